"""Sparse COO tensors (autograd_lite.sparse) against PyTorch: creation, printing, coalescing, the ops users run on
sparse tensors and their gradients (compared after to_dense(): a sparse gradient's pattern is an implementation
detail, its dense value is not), Embedding(sparse=True) gradients, the optimizers that take them, clip_grad_norm_,
the error texts, the Numba kernels against their NumPy formulas, and the stand-in CUDA device."""
import copy
import pickle

import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite import nn
import autograd_lite.nn.functional as F
from autograd_lite.kernels.cpu import sparse as sparse_kernels
from autograd_lite.sparse import _coo

pytestmark = [pytest.mark.filterwarnings("ignore:Sparse invariant checks"),     # torch's, on every sparse_coo_tensor
              pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")]     # torch's, on CSR

IND = [[0, 1, 1, 0], [2, 0, 2, 2]]           # (0, 2) twice: uncoalesced
VAL = [3., 4., 5., -1.]


def _sp(lib, ind=IND, val=VAL, size=(2, 3), **kw):
    return lib.sparse_coo_tensor(lib.tensor(ind), lib.tensor(val, dtype=kw.pop("dtype", None)), size, **kw)


def _np(t):
    t = t.detach()
    if t.is_sparse:
        t = t.to_dense()
    return np.asarray(t.numpy())


def _same(a, b, tol=1e-6):
    """ours vs torch: sparse-ness, shape, dtype name, dense values."""
    assert a.is_sparse == b.is_sparse, (a, b)
    assert tuple(a.shape) == tuple(b.shape)
    assert a.dtype.name == str(b.dtype).removeprefix("torch.")
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


def _err(fn):
    try:
        fn()
    except Exception as e:      # noqa: BLE001  (the test compares the type and text)
        return type(e), str(e)
    raise AssertionError("no error")


# ---- creation, structure, printing --------------------------------------------------------------------------------
def test_structure_as_torch():
    for lib in (al, torch):
        s = _sp(lib)
        assert s.is_sparse and s.layout is lib.sparse_coo and isinstance(s, lib.Tensor)
        assert s.sparse_dim() == 2 and s.dense_dim() == 0 and s._nnz() == 4 and not s.is_coalesced()
        assert tuple(s.shape) == (2, 3) and s.device.type == "cpu" and not s.requires_grad
        c = s.coalesce()
        assert c.is_coalesced() and c._nnz() == 3
        assert c.indices().tolist() == [[0, 1, 1], [2, 0, 2]] and c.values().tolist() == [2., 4., 5.]
        assert s._indices().tolist() == IND and s._values().tolist() == VAL
    _same(_sp(al).to_dense(), _sp(torch).to_dense())
    assert _sp(al, dtype=al.float64).dtype is al.float64


def test_repr_under_a_bfloat16_default_as_torch():
    pytest.importorskip("ml_dtypes")
    reprs = []
    for lib in (torch, al):
        lib.set_default_dtype(lib.bfloat16)
        try:
            reprs.append(repr(lib.tensor([[1.5, 0], [0, 2]]).to_sparse()).replace("torch.", "autograd_lite."))
        finally:
            lib.set_default_dtype(lib.float32)
    assert reprs[0] == reprs[1]


def test_repr_as_torch():
    cases = [lambda lib: _sp(lib), lambda lib: _sp(lib).coalesce(), lambda lib: _sp(lib, dtype=lib.float64),
             lambda lib: _sp(lib, requires_grad=True), lambda lib: _sp(lib, requires_grad=True) * 2,
             lambda lib: lib.sparse_coo_tensor(lib.zeros(2, 0, dtype=lib.int64), lib.zeros(0), (2, 3)),
             lambda lib: lib.arange(12.).reshape(2, 3, 2).to_sparse(2),
             lambda lib: lib.tensor([[0, 2], [3, 0]]).to_sparse(),
             lambda lib: lib.tensor([[0, 2.5], [3, 0]], dtype=lib.bfloat16).to_sparse()]
    for case in cases:
        ours, ref = repr(case(al)), repr(case(torch))
        ref = ref.replace("torch.", "autograd_lite.")
        assert ours == ref, (ours, ref)


@pytest.mark.parametrize("sparse_dim", [None, 0, 1, 2, 3])
def test_to_sparse_hybrid(sparse_dim):
    x = np.zeros((3, 2, 4), np.float32)
    x[0, 1, 2], x[2, 0, 0], x[2, 0, 3] = 1, 2, 3
    args = () if sparse_dim is None else (sparse_dim,)
    if sparse_dim == 0:
        assert _err(lambda: al.tensor(x).to_sparse(0)) == _err(lambda: torch.tensor(x).to_sparse(0))
        x = np.float32(3.0)         # a 0-d tensor: one entry
    a, b = al.tensor(x).to_sparse(*args), torch.tensor(x).to_sparse(*args)
    assert a.sparse_dim() == b.sparse_dim() and a.dense_dim() == b.dense_dim() and a._nnz() == b._nnz()
    assert a.indices().tolist() == b.indices().tolist()
    np.testing.assert_array_equal(a.values().numpy(), b.values().numpy())
    _same(a, b)


def test_size_inferred_and_dtypes():
    for kw in ({}, {"dtype": "float64"}):
        a = al.sparse_coo_tensor([[0, 4], [1, 2]], [1, 2], **{k: getattr(al, v) for k, v in kw.items()})
        b = torch.sparse_coo_tensor([[0, 4], [1, 2]], [1, 2], **{k: getattr(torch, v) for k, v in kw.items()})
        _same(a, b)
    a = al.sparse_coo_tensor(al.tensor([[0, 1]], dtype=al.int32), al.tensor([1., 2.]), (3,))
    assert a._indices().dtype is al.int64


def test_creation_errors_as_torch():
    T = "tensor"
    cases = [
        lambda lib: lib.sparse_coo_tensor(getattr(lib, T)([[0, -1]]), getattr(lib, T)([1., 2.]), (3,)),
        lambda lib: lib.sparse_coo_tensor(getattr(lib, T)([[0, 3]]), getattr(lib, T)([1., 2.]), (3,)),
        lambda lib: lib.sparse_coo_tensor(getattr(lib, T)([[0, 1], [0, 5]]), getattr(lib, T)([1., 2.]), (3, 3)),
        lambda lib: lib.sparse_coo_tensor(getattr(lib, T)([[0, 1]]), getattr(lib, T)([1., 2., 3.]), (3,)),
        lambda lib: lib.sparse_coo_tensor(getattr(lib, T)([[0, 1]]), getattr(lib, T)([1., 2.]), (3, 2)),
        lambda lib: lib.sparse_coo_tensor(getattr(lib, T)([[0, 1]]), getattr(lib, T)([[1., 2.], [3, 4]]), (3, 3)),
        lambda lib: lib.sparse_coo_tensor(getattr(lib, T)([[0, -1]]), getattr(lib, T)([1., 2.])),
        lambda lib: lib.sparse_coo_tensor([[0, 1]], [1, 2], (3,), requires_grad=True),
    ]
    for case in cases:
        kw = {"check_invariants": True}
        ours = _err(lambda: case(al))
        ref = _err(lambda: _with_invariants(case))
        assert ours[0] is ref[0] and ours[1] == ref[1], (ours, ref, kw)


def _with_invariants(case):
    with torch.sparse.check_sparse_tensor_invariants():
        return case(torch)


def test_error_texts_as_torch():
    d = [[1., 2., 3.], [4., 5., 6.]]
    cases = [
        lambda lib: _sp(lib).indices(),
        lambda lib: _sp(lib).values(),
        lambda lib: _sp(lib) + lib.ones(2, 3),
        lambda lib: _sp(lib) + _sp(lib, size=(3, 3)),
        lambda lib: lib.sparse.mm(_sp(lib), lib.ones(2, 2)),
        lambda lib: lib.sparse.mm(_sp(lib), lib.ones(3, 2, dtype=lib.float64)),
        lambda lib: _sp(lib).to_sparse(1),
        lambda lib: lib.ones(2, 3).to_sparse(3),
        lambda lib: lib.arange(24.).reshape(2, 3, 4).to_sparse(2).transpose(1, 2),
        lambda lib: _sp(lib).reshape(6),
        lambda lib: _sp(lib).numpy(),
        lambda lib: lib.tensor(d).sparse_mask(lib.tensor(d)),
    ]
    for case in cases:
        ours, ref = _err(lambda: case(al)), _err(lambda: case(torch))
        assert issubclass(ours[0], ref[0]) and ref[1].startswith(ours[1]), (ours, ref)


@pytest.mark.parametrize("name", ["sparse_dim", "dense_dim", "is_coalesced", "coalesce", "_nnz", "indices", "values",
                                  "_indices", "_values", "to_dense"])
def test_sparse_methods_of_a_dense_tensor_as_torch(name):
    ours, ref = (_try(lambda: getattr(lib.ones(2, 3), name)()) for lib in (al, torch))
    if isinstance(ref, tuple):
        assert issubclass(ours[0], ref[0]) and ref[1].startswith(ours[1]), (ours, ref)
    else:
        assert ours == ref if not isinstance(ref, torch.Tensor) else _np(ours).tolist() == _np(ref).tolist()


def _try(fn):
    try:
        return fn()
    except Exception as e:      # noqa: BLE001
        return type(e), str(e)


@pytest.mark.parametrize("op", ["exp", "view", "mean", "softmax"])
def test_dense_only_ops_refuse_with_torchs_wording(op):
    args = {"view": (6,), "softmax": (0,)}.get(op, ())
    ours = _err(lambda: getattr(_sp(al), op)(*args))
    assert ours[0] is not None and issubclass(ours[0], NotImplementedError)
    assert ours[1].startswith("Could not run 'aten::") and "with arguments from the 'SparseCPU' backend" in ours[1]
    ref = _err(lambda: getattr(_sp(torch), op)(*args))
    assert issubclass(ref[0], NotImplementedError) and "'SparseCPU' backend" in ref[1]


def test_top_level_dense_op_on_sparse_refuses():
    e = _err(lambda: al.exp(_sp(al)))
    assert issubclass(e[0], NotImplementedError) and e[1].startswith("Could not run 'aten::exp' with arguments from "
                                                                     "the 'SparseCPU' backend")


# ---- ops and their gradients --------------------------------------------------------------------------------------
DENSE = np.random.RandomState(0).randn(3, 4).astype(np.float32)
M = np.random.RandomState(1).randn(2, 4).astype(np.float32)
W23 = np.random.RandomState(2).randn(2, 3).astype(np.float32)

OPS = {
    "sparse.mm": lambda lib, s, d: lib.sparse.mm(s, d),
    "mm": lambda lib, s, d: lib.mm(s, d),
    "matmul": lambda lib, s, d: lib.matmul(s, d),
    "@": lambda lib, s, d: s @ d,
    "Tensor.mm": lambda lib, s, d: s.mm(d),
    "matvec": lambda lib, s, d: lib.matmul(s, d[:, 0]),
    "dense@sparse": lambda lib, s, d: d.t() @ s.t(),
    "mm(dense,sparse)": lambda lib, s, d: lib.mm(d.t(), s.t()),
    "sparse.addmm": lambda lib, s, d: lib.sparse.addmm(lib.tensor(M), s, d, beta=0.5, alpha=2.0),
    "addmm": lambda lib, s, d: lib.addmm(lib.tensor(M), s, d),
    "to_dense*w": lambda lib, s, d: s.to_dense() * lib.tensor(W23),
    "coalesce": lambda lib, s, d: s.coalesce().to_dense() * lib.tensor(W23),
    "values": lambda lib, s, d: s.coalesce().values() * 2,
    "t": lambda lib, s, d: s.t().to_dense() * lib.tensor(W23).t(),
    "transpose": lambda lib, s, d: lib.transpose(s, 0, 1).to_dense() * lib.tensor(W23).t(),
    "sum": lambda lib, s, d: s.sum() * 3,
    "torch.sum": lambda lib, s, d: lib.sum(s) * 3,
    "sparse.sum": lambda lib, s, d: lib.sparse.sum(s) * 3,
    "sparse.sum(0)": lambda lib, s, d: lib.sparse.sum(s, 0).to_dense() * lib.tensor(W23[0]),
    "sparse.sum(1)": lambda lib, s, d: lib.sparse.sum(s, dim=(1,)).to_dense() * lib.tensor(W23[:, 0]),
    "sparse.sum(0,1)": lambda lib, s, d: lib.sparse.sum(s, (0, 1)),
    "softmax0": lambda lib, s, d: lib.sparse.softmax(s, 0).to_dense() * lib.tensor(W23),
    "softmax1": lambda lib, s, d: lib.sparse.softmax(s, 1).to_dense() * lib.tensor(W23),
    # torch's backward is wrong for a negative dim (the gradients of a row do not sum to 0): ours at -1 against its 1
    "softmax-1": lambda lib, s, d: lib.sparse.softmax(s, -1 if lib is al else 1).to_dense() * lib.tensor(W23),
    "log_softmax1": lambda lib, s, d: lib.sparse.log_softmax(s, 1).to_dense() * lib.tensor(W23),
    "s+s": lambda lib, s, d: (s + s.coalesce() * 2).to_dense() * lib.tensor(W23),
    "add alpha": lambda lib, s, d: lib.add(s, s, alpha=3).to_dense() * lib.tensor(W23),
    "s-s": lambda lib, s, d: (s - s * 3).to_dense() * lib.tensor(W23),
    "sub": lambda lib, s, d: lib.sub(s, s * 0.5).to_dense() * lib.tensor(W23),
    "s*s": lambda lib, s, d: (s * (s * 2)).to_dense() * lib.tensor(W23),
    "mul": lambda lib, s, d: lib.mul(s, s).to_dense() * lib.tensor(W23),
    "s*2": lambda lib, s, d: (s * 2).to_dense() * lib.tensor(W23),
    "2*s": lambda lib, s, d: (2 * s).to_dense() * lib.tensor(W23),
    "s/4": lambda lib, s, d: (s / 4).to_dense() * lib.tensor(W23),
    "-s": lambda lib, s, d: (-s).to_dense() * lib.tensor(W23),
    "s*0d": lambda lib, s, d: (s * lib.tensor(1.5)).to_dense() * lib.tensor(W23),
    "dense+s": lambda lib, s, d: lib.tensor(W23) + s,
    "dense-s": lambda lib, s, d: lib.tensor(W23) - s,
    "torch.add(dense,s)": lambda lib, s, d: lib.add(lib.tensor(W23), s),
    "sparse_mask": lambda lib, s, d: (d[:2, :3] * 2).sparse_mask(s.coalesce()).to_dense(),
    "smm": lambda lib, s, d: lib.smm(s, d).to_dense(),
    "hspmm": lambda lib, s, d: lib.hspmm(s, d).to_dense(),
    "clone": lambda lib, s, d: s.clone().to_dense() * lib.tensor(W23),
    "double": lambda lib, s, d: s.double().to_dense() * 2,
    "to_sparse(dense)": lambda lib, s, d: (d * 2).to_sparse().to_dense(),
}


def _run(lib, op, s_grad=True, d_grad=True):
    # torch's sparse softmax backward is wrong for an input with repeated indices: one without there
    s = _sp(lib, [[1, 0, 1], [2, 2, 0]], [5., 2., 4.], requires_grad=s_grad) if "softmax" in op else \
        _sp(lib, requires_grad=s_grad)
    d = lib.tensor(DENSE, requires_grad=d_grad)
    out = OPS[op](lib, s, d)
    return s, d, out


@pytest.mark.parametrize("op", list(OPS))
def test_op_and_gradients_against_torch(op):
    (s1, d1, o1), (s2, d2, o2) = _run(al, op), _run(torch, op)
    _same(o1, o2, 1e-5)
    if o2.is_sparse:
        assert o1._nnz() == o2._nnz() or not o2.is_coalesced()
    if not o2.requires_grad:
        return
    if op in ("smm", "hspmm"):      # no derivative in torch: the same error at backward
        ref = _err(lambda: o2.to_dense().sum().backward())
        assert _err(lambda: o1.to_dense().sum().backward()) == ref and ref[1].startswith("derivative for aten::")
        return
    w = np.asarray(np.random.RandomState(3).randn(*o2.shape), np.float32)
    dense1, dense2 = (o1.to_dense() if o1.is_sparse else o1), (o2.to_dense() if o2.is_sparse else o2)
    (dense1 * al.tensor(w)).sum().backward()
    (dense2 * torch.tensor(w)).sum().backward()
    for a, b in ((s1, s2), (d1, d2)):
        assert (a.grad is None) == (b.grad is None), op
        if b.grad is not None:
            _same(a.grad, b.grad, 1e-5)


def test_gradient_of_values_through_sparse_coo_tensor():
    """sparse_coo_tensor is differentiable in its values: gradcheck in float64 through a chain of sparse ops."""
    ind = al.tensor(IND)

    def f(v, d):
        s = al.sparse_coo_tensor(ind, v, (2, 3))
        y = al.sparse.mm(al.sparse.softmax(s * 2, 1), d)
        return y + al.sparse.sum(s, 0).to_dense().sum()
    v = al.tensor(VAL, dtype=al.float64, requires_grad=True)
    d = al.tensor(DENSE.astype(np.float64), requires_grad=True)
    assert al.autograd.gradcheck(f, (v, d))
    # and the value of the gradient, against torch
    grads = []
    for lib in (al, torch):
        v = lib.tensor(VAL, requires_grad=True)
        s = lib.sparse_coo_tensor(lib.tensor(IND), v, (2, 3))
        (lib.sparse.mm(s, lib.tensor(DENSE)) ** 2).sum().backward()
        grads.append(v.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5)


def test_hybrid_sum_and_softmax_over_a_dense_dim():
    x = np.random.RandomState(4).randn(3, 2, 4).astype(np.float32)
    x[1] = 0
    for fn in (lambda lib, s: lib.sparse.sum(s, (1,)), lambda lib, s: lib.sparse.sum(s, (2,)),
               lambda lib, s: lib.sparse.sum(s, (0, 2)), lambda lib, s: lib.sparse.softmax(s, 2),
               lambda lib, s: lib.sparse.log_softmax(s, 0)):
        res = []
        for lib in (al, torch):
            s = lib.tensor(x).to_sparse(2).requires_grad_()
            out = fn(lib, s)
            dense = out.to_dense() if out.is_sparse else out
            (dense * lib.ones(dense.shape) * 1.5).pow(2).sum().backward()
            res.append((out, s.grad))
        _same(res[0][0], res[1][0], 1e-5)
        _same(res[0][1], res[1][1], 1e-5)


def test_sparse_leaf_grad_layouts_as_torch():
    """torch.sparse.mm keeps the sparse operand's gradient sparse; torch.mm gives it dense; .sum() dense."""
    for fn, sparse_grad in ((lambda lib, s, d: lib.sparse.mm(s, d), True), (lambda lib, s, d: lib.mm(s, d), False),
                            (lambda lib, s, d: s.to_dense(), True), (lambda lib, s, d: s.sum(), False)):
        for lib in (al, torch):
            s = _sp(lib, requires_grad=True)
            fn(lib, s, lib.tensor(DENSE)).sum().backward()
            assert s.grad.is_sparse == sparse_grad, (fn, lib)


def test_create_graph_through_sparse_refuses():
    s = _sp(al, requires_grad=True)
    y = (s.to_dense() ** 2).sum()
    with pytest.raises(RuntimeError, match="double backward"):
        al.autograd.grad(y, s, create_graph=True)


# ---- Embedding(sparse=True) ---------------------------------------------------------------------------------------
def _emb_grad(lib, kw, idx=((1, 3, 3), (0, 1, 4)), module="Embedding", calls=1, offsets=None):
    lib.manual_seed(0)
    e = getattr(lib.nn, module)(6, 2, sparse=True, **kw)
    with lib.no_grad():
        e.weight.copy_(lib.tensor(np.arange(12.).reshape(6, 2)))
    for k in range(calls):
        i = lib.tensor(idx) if k == 0 else lib.tensor([2, 5])
        o = lib.tensor([0, 2, 3]) if offsets is not None and k == 0 else lib.tensor([0]) if offsets is not None \
            else None
        args = (i,) if o is None else (i.reshape(-1), o)
        ((e(*args) * lib.tensor([1., -2.])) ** 2).sum().backward()
    return e.weight.grad


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 1}, {"max_norm": 1.0}])
@pytest.mark.parametrize("calls", [1, 2])
def test_embedding_sparse_grad_exactly_torchs(kw, calls):
    """Uncoalesced, one entry per lookup (padding left out): the same indices and values as torch's, in the same
    order. Accumulated over backward calls: the entries concatenated (torch merges some: the same dense value)."""
    a, b = _emb_grad(al, kw, calls=calls), _emb_grad(torch, kw, calls=calls)
    assert a.is_sparse and not a.is_coalesced() and a.layout is al.sparse_coo
    if calls > 1:
        _same(a, b)
        return
    assert a._indices().tolist() == b._indices().tolist()
    np.testing.assert_allclose(a._values().numpy(), b._values().numpy(), rtol=1e-6)
    assert repr(a) == repr(b).replace("torch.", "autograd_lite.")


def test_embedding_sparse_scale_grad_by_freq_refuses_as_torch():
    ours = _err(lambda: _emb_grad(al, {"scale_grad_by_freq": True}))
    assert ours == _err(lambda: _emb_grad(torch, {"scale_grad_by_freq": True}))


@pytest.mark.parametrize("kw", [{"mode": "sum"}, {"mode": "mean"}, {"mode": "sum", "padding_idx": 3}])
def test_embedding_bag_sparse_grad(kw):
    for calls in (1, 2):
        a = _emb_grad(al, kw, idx=(1, 3, 3, 0, 1, 4), module="EmbeddingBag", calls=calls, offsets=True)
        b = _emb_grad(torch, kw, idx=(1, 3, 3, 0, 1, 4), module="EmbeddingBag", calls=calls, offsets=True)
        assert a.is_sparse and a._nnz() == b._nnz()
        _same(a, b)


def test_embedding_bag_max_mode_refuses_sparse_as_torch():
    assert _err(lambda: al.nn.EmbeddingBag(4, 2, mode="max", sparse=True)(al.tensor([[1, 2]]))) == \
        _err(lambda: torch.nn.EmbeddingBag(4, 2, mode="max", sparse=True)(torch.tensor([[1, 2]])))


def test_functional_embedding_sparse_and_dense_plus_sparse_accumulation():
    """A weight used by a sparse lookup and by a dense op gets a dense gradient (torch's)."""
    for order in (0, 1):
        grads = []
        for lib in (al, torch):
            w = lib.tensor(np.arange(8.).reshape(4, 2), requires_grad=True)
            sparse_part = lib.nn.functional.embedding(lib.tensor([0, 3, 3]), w, sparse=True).sum()
            dense_part = (w * 2).sum()
            (sparse_part + dense_part if order else dense_part + sparse_part).backward()
            first = w.grad.clone()
            lib.nn.functional.embedding(lib.tensor([1]), w, sparse=True).sum().backward()   # sparse onto dense
            grads.append((first, w.grad))
        for x, y in zip(*grads):
            _same(x, y)


# ---- optimizers ---------------------------------------------------------------------------------------------------
OPTIMIZERS = {
    "SGD": lambda lib, p: lib.optim.SGD(p, lr=0.1),
    "SGD momentum": lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9),
    "SGD nesterov": lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "SGD dampening maximize": lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.5, dampening=0.3, maximize=True),
    "Adagrad": lambda lib, p: lib.optim.Adagrad(p, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    "Adagrad maximize": lambda lib, p: lib.optim.Adagrad(p, lr=0.1, maximize=True),
    "SparseAdam": lambda lib, p: lib.optim.SparseAdam(p, lr=0.1),
    "SparseAdam maximize": lambda lib, p: lib.optim.SparseAdam(p, lr=0.05, betas=(0.8, 0.9), maximize=True),
}


def _train_embedding(lib, make_opt, steps=4, bag=False):
    e = (lib.nn.EmbeddingBag if bag else lib.nn.Embedding)(7, 3, sparse=True)
    with lib.no_grad():
        e.weight.copy_(lib.tensor(np.random.RandomState(0).randn(7, 3).astype(np.float32)))
    opt = make_opt(lib, e.parameters())
    for k in range(steps):
        opt.zero_grad()
        idx = lib.tensor([[1, 3, 3], [0, 1, 6]] if k % 2 else [[2, 2, 5], [1, 4, 4]])
        ((e(idx) - 0.5) ** 2).sum().backward()
        opt.step()
    return e.weight.detach().numpy().copy(), opt


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("bag", [False, True])
def test_optimizers_take_sparse_grads_as_torch(name, bag):
    (a, opt_a), (b, opt_b) = (_train_embedding(lib, OPTIMIZERS[name], bag=bag) for lib in (al, torch))
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for (pa, sa), (pb, sb) in zip(opt_a.state.items(), opt_b.state.items()):
        assert sorted(sa) == sorted(sb)
        for key in sa:
            if isinstance(sb[key], torch.Tensor):
                assert sa[key].is_sparse == sb[key].is_sparse, key
                _same(sa[key], sb[key], 1e-5)
            else:
                assert sa[key] == sb[key]


@pytest.mark.parametrize("make", [
    lambda lib, p: lib.optim.SGD(p, lr=0.1, weight_decay=0.1),
    lambda lib, p: lib.optim.Adagrad(p, weight_decay=0.1),
    lambda lib, p: lib.optim.Adam(p),
    lambda lib, p: lib.optim.AdamW(p),
    lambda lib, p: lib.optim.RMSprop(p),
    lambda lib, p: lib.optim.Adamax(p),
])
def test_optimizers_refuse_sparse_grads_as_torch(make):
    ours, ref = _err(lambda: _train_embedding(al, make, 1)), _err(lambda: _train_embedding(torch, make, 1))
    assert ours == ref


def test_sparse_adam_refuses_dense_grads():
    for lib in (al, torch):
        p = lib.nn.Parameter(lib.ones(2))
        p.grad = lib.ones(2)
        with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please consider Adam"):
            lib.optim.SparseAdam([p]).step()


def test_training_embedding_model_with_sparse_adam_equals_torch():
    """Embedding(sparse=True) + Linear: SparseAdam on the table, Adam on the rest, same init: same weights."""
    def train(lib):
        rs = np.random.RandomState(0)
        emb, lin = lib.nn.Embedding(20, 4, sparse=True), lib.nn.Linear(4, 3)
        with lib.no_grad():
            emb.weight.copy_(lib.tensor(rs.randn(20, 4).astype(np.float32)))
            lin.weight.copy_(lib.tensor(rs.randn(3, 4).astype(np.float32)))
            lin.bias.copy_(lib.tensor(rs.randn(3).astype(np.float32)))
        opts = [lib.optim.SparseAdam(emb.parameters(), lr=0.05), lib.optim.Adam(lin.parameters(), lr=0.05)]
        losses = []
        for step in range(8):
            x = lib.tensor(rs.randint(0, 20, (5, 6)))
            y = lib.tensor(rs.randint(0, 3, 5))
            for o in opts:
                o.zero_grad()
            loss = lib.nn.functional.cross_entropy(lin(emb(x).mean(1)), y)
            loss.backward()
            if step == 3:
                _clip(lib, list(emb.parameters()) + list(lin.parameters()), 0.5)
            for o in opts:
                o.step()
            losses.append(loss.item())
        return losses, emb.weight.detach().numpy().copy(), lin.weight.detach().numpy().copy()

    ours, ref = train(al), train(torch)
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-5)
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[2], ref[2], rtol=1e-5, atol=1e-6)


def _clip(lib, params, max_norm):
    """clip_grad_norm_; torch 2.13's raises on sparse gradients: for it, the norm of the gradients' dense values (what
    autograd_lite's computes) and then its clip_grads_with_norm_ on the sparse gradients themselves."""
    if lib is al:
        return al.nn.utils.clip_grad_norm_(params, max_norm)
    total = torch.nn.utils.get_total_norm([p.grad.to_dense() if p.grad.is_sparse else p.grad for p in params])
    torch.nn.utils.clip_grads_with_norm_(params, max_norm, total)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_on_sparse_grads(norm_type):
    """The total norm is of the gradients' dense values (repeated indices summed first); the sparse gradient is
    scaled in place and stays sparse."""
    g_ind, g_val = [[0, 0, 2]], [[3., 4.], [1., 1.], [-2., 2.]]
    p = al.nn.Parameter(al.zeros(3, 2))
    p.grad = al.sparse_coo_tensor(g_ind, g_val, (3, 2))
    q = al.nn.Parameter(al.zeros(2))
    q.grad = al.tensor([1., -5.])
    total = al.nn.utils.clip_grad_norm_([p, q], 1.0, norm_type=norm_type)
    dense = torch.sparse_coo_tensor(g_ind, g_val, (3, 2)).to_dense()
    tp, tq = torch.nn.Parameter(torch.zeros(3, 2)), torch.nn.Parameter(torch.zeros(2))
    tp.grad, tq.grad = dense, torch.tensor([1., -5.])
    ref = torch.nn.utils.clip_grad_norm_([tp, tq], 1.0, norm_type=norm_type)
    np.testing.assert_allclose(total.item(), ref.item(), rtol=1e-6)
    assert p.grad.is_sparse
    np.testing.assert_allclose(_np(p.grad), tp.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(q.grad.numpy(), tq.grad.numpy(), rtol=1e-6)


def test_zero_grad_keeps_a_sparse_grad_empty():
    for lib in (al, torch):
        e = lib.nn.Embedding(4, 2, sparse=True)
        opt = lib.optim.SGD(e.parameters(), lr=0.1)
        e(lib.tensor([1, 2])).sum().backward()
        opt.zero_grad(set_to_none=False)
        g = e.weight.grad
        assert g.is_sparse and g._nnz() == 0 and tuple(g.shape) == (4, 2)
        opt.zero_grad()
        assert e.weight.grad is None


def test_pickle_and_deepcopy():
    s = _sp(al, requires_grad=True)
    for t in (pickle.loads(pickle.dumps(s)), copy.deepcopy(s)):
        assert t.is_sparse and t.requires_grad and t._indices().tolist() == IND
        np.testing.assert_array_equal(_np(t), _np(s))


# ---- kernels against their NumPy formulas -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_match_numpy_formulas(dtype):
    rs = np.random.RandomState(5)
    nnz, width = 200, 7
    values = rs.randn(nnz, width).astype(dtype)
    key = rs.randint(0, 40, nnz)
    order = np.argsort(key, kind="stable")
    sk = key[order]
    starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    np.testing.assert_allclose(sparse_kernels.coalesce_sum(values, order, starts),
                               _coo.segment_sum_reference(values, order, starts, np), rtol=1e-5, atol=1e-6)
    rows, cols = rs.randint(0, 30, nnz), rs.randint(0, 20, nnz)
    vals, dense = rs.randn(nnz).astype(dtype), rs.randn(20, 9).astype(dtype)
    np.testing.assert_allclose(sparse_kernels.spmm(rows, cols, vals, dense, 30),
                               _coo.spmm_reference(rows, cols, vals, dense, 30, np), rtol=1e-5, atol=1e-6)
    # and the ops take the same paths' results: coalesce and to_dense of a large uncoalesced tensor against torch
    ind = np.stack([rs.randint(0, 30, nnz), rs.randint(0, 20, nnz)])
    a = al.sparse_coo_tensor(ind, values[:, 0].copy(), (30, 20)).coalesce()
    b = torch.sparse_coo_tensor(torch.tensor(ind), torch.tensor(values[:, 0].copy()), (30, 20)).coalesce()
    assert a.indices().tolist() == b.indices().tolist()
    np.testing.assert_allclose(a.values().numpy(), b.values().numpy(), rtol=1e-5, atol=1e-6)


def test_kernel_refuses_bad_arrays():
    with pytest.raises(TypeError, match="coalesce_sum"):
        sparse_kernels.coalesce_sum(np.ones(3, np.int64), np.arange(3), np.arange(1))
    with pytest.raises(TypeError, match="spmm"):
        sparse_kernels.spmm(np.arange(2), np.arange(2), np.ones(2, np.float32), np.ones((2, 2)), 2)


# ---- the stand-in CUDA device ---------------------------------------------------------------------------------------
def test_sparse_on_the_standin_cuda_device(fake_cuda):
    s = _sp(al).to("cuda")
    assert s.is_sparse and s.device.type == "cuda" and "device='cuda:0'" in repr(s) or "device='cuda" in repr(s)
    d = al.tensor(DENSE, device="cuda", requires_grad=True)
    s.requires_grad_()
    y = al.sparse.mm(s, d)
    assert y.device.type == "cuda"
    (y ** 2).sum().backward()
    ref_s, ref_d = _sp(torch, requires_grad=True), torch.tensor(DENSE, requires_grad=True)
    (torch.sparse.mm(ref_s, ref_d) ** 2).sum().backward()
    np.testing.assert_allclose(y.detach().cpu().numpy(), torch.sparse.mm(ref_s, ref_d).detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(s.grad.to_dense().cpu().numpy(), ref_s.grad.to_dense().numpy(), rtol=1e-5)
    np.testing.assert_allclose(d.grad.cpu().numpy(), ref_d.grad.numpy(), rtol=1e-5)
    e = nn.Embedding(6, 3, sparse=True).to("cuda")
    opt = al.optim.SparseAdam(e.parameters(), lr=0.1)
    before = e.weight.detach().cpu().numpy().copy()
    F.embedding(al.tensor([1, 4, 4], device="cuda"), e.weight, sparse=True).sum().backward()
    assert e.weight.grad.is_sparse and e.weight.grad.device.type == "cuda"
    opt.step()
    after = e.weight.detach().cpu().numpy()
    assert (after[[0, 2, 3, 5]] == before[[0, 2, 3, 5]]).all() and (after[[1, 4]] != before[[1, 4]]).all()


# ---- sparse compressed layouts (CSR, CSC) ---------------------------------------------------------------------------
CROW, COL, CVAL = [0, 2, 3], [0, 2, 1], [1., 2., 3.]


def _csr(lib, crow=CROW, col=COL, val=CVAL, size=(2, 3), **kw):
    return lib.sparse_csr_tensor(lib.tensor(crow), lib.tensor(col), lib.tensor(val, dtype=kw.pop("dtype", None)),
                                 size, **kw)


def _dense_of(t):
    t = t.detach()
    return np.asarray((t.to_dense() if t.layout is not (al.strided if isinstance(t, al.Tensor) else torch.strided)
                       else t).numpy())


def _same_csr(a, b, tol=1e-6):
    """ours vs torch: layout, shape, dtype, index arrays (for compressed ones) and dense values."""
    assert repr(a.layout).removeprefix("autograd_lite.") == str(b.layout).removeprefix("torch.")
    assert tuple(a.shape) == tuple(b.shape) and a.dtype.name == str(b.dtype).removeprefix("torch.")
    if b.layout is torch.sparse_csr:
        assert a.crow_indices().tolist() == b.crow_indices().tolist()
        assert a.col_indices().tolist() == b.col_indices().tolist()
    elif b.layout is torch.sparse_csc:
        assert a.ccol_indices().tolist() == b.ccol_indices().tolist()
        assert a.row_indices().tolist() == b.row_indices().tolist()
    np.testing.assert_allclose(_dense_of(a), _dense_of(b), rtol=tol, atol=tol)


def test_csr_structure_as_torch():
    for lib in (al, torch):
        c = _csr(lib)
        assert c.layout is lib.sparse_csr and c.is_sparse_csr and not c.is_sparse and isinstance(c, lib.Tensor)
        assert c._nnz() == 3 and c.sparse_dim() == 2 and c.dense_dim() == 0 and c.values().tolist() == CVAL
        assert c.crow_indices().dtype is lib.int64 and not lib.ones(2).is_sparse_csr
        assert not c.to_sparse().is_sparse_csr and not c.to_sparse_csc().is_sparse_csr
    _same_csr(_csr(al), _csr(torch))
    _same_csr(_csr(al, dtype=al.float64), _csr(torch, dtype=torch.float64))
    _same_csr(al.sparse_csr_tensor(CROW, COL, CVAL), torch.sparse_csr_tensor(CROW, COL, CVAL))      # size inferred
    _same_csr(al.sparse_csr_tensor(CROW, [0, 5, 1], CVAL), torch.sparse_csr_tensor(CROW, [0, 5, 1], CVAL))
    i32 = (al.tensor(CROW, dtype=al.int32), al.tensor(COL, dtype=al.int32))
    assert al.sparse_csr_tensor(*i32, CVAL, (2, 3)).crow_indices().dtype is al.int32


def test_csr_repr_as_torch():
    cases = [lambda lib: _csr(lib), lambda lib: _csr(lib, dtype=lib.float64), lambda lib: _csr(lib, requires_grad=True),
             lambda lib: _csr(lib, requires_grad=True) * 2, lambda lib: _csr(lib, requires_grad=True).clone(),
             lambda lib: _csr(lib, val=[1, 2, 3]), lambda lib: lib.zeros(2, 3).to_sparse_csr(),
             lambda lib: lib.tensor([[0, 1.], [2, 0]]).to_sparse_csr(), lambda lib: _csr(lib).t(),
             lambda lib: lib.arange(40.).reshape(5, 8).to_sparse_csr(),
             lambda lib: lib.tensor([[0, 1.], [2, 0]]).to_sparse_csc()]
    for case in cases:
        ours, ref = repr(case(al)), repr(case(torch)).replace("torch.", "autograd_lite.")
        assert ours == ref, (ours, ref)


def _csr_pair(lib, fn):
    x = lib.tensor(W23 * (np.abs(W23) > 0.5), requires_grad=True)
    return x, fn(lib, x)


@pytest.mark.parametrize("conv", ["dense.to_sparse_csr", "to_sparse(layout)", "coo.to_sparse_csr", "csr.to_sparse",
                                  "csr.to_sparse_coo", "csc", "csc.to_sparse", "t().to_dense", "values"])
def test_csr_conversions_and_their_gradients_as_torch(conv):
    fns = {"dense.to_sparse_csr": lambda lib, x: x.to_sparse_csr(),
           "to_sparse(layout)": lambda lib, x: x.to_sparse(layout=lib.sparse_csr),
           "coo.to_sparse_csr": lambda lib, x: x.to_sparse().to_sparse_csr(),
           "csr.to_sparse": lambda lib, x: x.to_sparse_csr().to_sparse(),
           "csr.to_sparse_coo": lambda lib, x: x.to_sparse_csr().to_sparse_coo(),
           "csc": lambda lib, x: x.to_sparse_csc(),
           "csc.to_sparse": lambda lib, x: x.to_sparse(layout=lib.sparse_csc).to_sparse(),
           "t().to_dense": lambda lib, x: x.to_sparse_csr().t().to_dense(),
           "values": lambda lib, x: x.to_sparse_csr().values()}
    (x1, o1), (x2, o2) = (_csr_pair(lib, fns[conv]) for lib in (al, torch))
    _same_csr(o1, o2)
    if o2.is_sparse:
        assert o1._indices().tolist() == o2._indices().tolist() and o1.is_coalesced() == o2.is_coalesced()
    o1 = o1 if o1.layout is al.strided else o1.to_dense()
    o2 = o2 if o2.layout is torch.strided else o2.to_dense()
    w = np.random.RandomState(4).randn(*o2.shape).astype(np.float32)
    (o1 * al.tensor(w)).sum().backward()
    (o2 * torch.tensor(w)).sum().backward()
    _same_csr(x1.grad, x2.grad)


CSR_OPS = {
    "@": lambda lib, c, d: c @ d,
    "mm": lambda lib, c, d: lib.mm(c, d),
    "matmul": lambda lib, c, d: lib.matmul(c, d),
    "matvec": lambda lib, c, d: c @ d[:, 0],
    "addmm": lambda lib, c, d: lib.addmm(lib.ones(2, 4), c, d, beta=0.5, alpha=2),
    "sparse.mm": lambda lib, c, d: lib.sparse.mm(c, d),
    "sparse.addmm": lambda lib, c, d: lib.sparse.addmm(lib.ones(2, 4), c, d),
    "dense@csr": lambda lib, c, d: d.t()[:, :2] @ c,
    "mm(dense, csr)": lambda lib, c, d: lib.mm(d.t()[:, :2], c),
    "csc mm": lambda lib, c, d: lib.mm(c.t().t(), d),
    "sparse.mm(csc^T)": lambda lib, c, d: lib.sparse.mm(c.t(), d[:2]),
    "to_dense": lambda lib, c, d: c.to_dense() * d[:2, :3],
    "clone*2": lambda lib, c, d: (c.clone() * 2).to_dense(),
    "neg": lambda lib, c, d: (-c).to_dense(),
    "double": lambda lib, c, d: c.double().to_dense() * 2,
    "sum": lambda lib, c, d: c.sum() * d[:2, :3],
    "values": lambda lib, c, d: c.values() * d[0, :3],
}


@pytest.mark.parametrize("grads", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("op", list(CSR_OPS))
def test_csr_ops_and_gradients_as_torch(op, grads):
    outs, leaves = [], []
    for lib in (al, torch):
        c, d = _csr(lib, requires_grad=grads[0]), lib.tensor(DENSE, requires_grad=grads[1])
        outs.append(CSR_OPS[op](lib, c, d))
        leaves.append((c, d))
    (o1, o2), w = outs, np.random.RandomState(3).randn(*outs[1].shape).astype(np.float32)
    _same_csr(o1, o2, 1e-5)
    assert o1.requires_grad == o2.requires_grad
    if not o2.requires_grad:
        return
    ref = _try(lambda: (o2 * torch.tensor(w)).sum().backward())
    if ref is not None:         # torch refuses this backward: the same error
        assert _try(lambda: (o1 * al.tensor(w)).sum().backward()) == ref
        return
    (o1 * al.tensor(w)).sum().backward()
    for a, b in zip(*leaves):
        assert (a.grad is None) == (b.grad is None), op
        if b.grad is not None:
            _same_csr(a.grad, b.grad, 1e-5)


def test_csr_gradient_of_values_gradcheck_and_against_torch():
    def f(lib, v, d):
        c = lib.sparse_csr_tensor(lib.tensor(CROW), lib.tensor(COL), v, (2, 3))
        return lib.sparse.mm(c * 2, d) + lib.mm(c, d) + c.to_dense().sum()
    v = al.tensor(CVAL, dtype=al.float64, requires_grad=True)
    d = al.tensor(DENSE.astype(np.float64), requires_grad=True)
    assert al.autograd.gradcheck(lambda v, d: f(al, v, d), (v, d))
    vt, dt = torch.tensor(CVAL, dtype=torch.float64, requires_grad=True), torch.tensor(DENSE.astype(np.float64),
                                                                                       requires_grad=True)
    f(al, v, d).sum().backward()
    f(torch, vt, dt).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), vt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(d.grad.numpy(), dt.grad.numpy(), rtol=1e-10)
    assert repr(al.sparse_csr_tensor(CROW, COL, v)).endswith("grad_fn=<SparseCompressedTensorBackward0>)")


def test_csr_grads_accumulate_as_torch():
    leaves = []
    for lib in (al, torch):
        c, d = _csr(lib, requires_grad=True), lib.tensor(DENSE)
        for _ in range(2):
            lib.sparse.mm(c, d).sum().backward()
        leaves.append(c)
    _same_csr(*leaves)
    _same_csr(leaves[0].grad, leaves[1].grad, 1e-5)


def test_csr_creation_errors_as_torch():
    cases = [
        lambda lib: _csr(lib, crow=[0, 2, 1]), lambda lib: _csr(lib, crow=[1, 2, 3]),
        lambda lib: _csr(lib, crow=[0, 2, 4]), lambda lib: _csr(lib, crow=[0, 2, 2]),
        lambda lib: _csr(lib, crow=[0, 3, 2, 3], col=[0, 1, 2], size=(3, 3)),
        lambda lib: _csr(lib, col=[0, 3, 1]), lambda lib: _csr(lib, col=[0, -1, 1]),
        lambda lib: _csr(lib, crow=[0, 2, 3, 3]), lambda lib: _csr(lib, col=[0, 2]),
        lambda lib: _csr(lib, col=[2, 0, 1]), lambda lib: _csr(lib, col=[0, 0, 1]),
        lambda lib: _csr(lib, size=(2, 3, 4)), lambda lib: _csr(lib, size=(3,)),
        lambda lib: lib.sparse_csr_tensor(lib.tensor(CROW, dtype=lib.int32), lib.tensor(COL), lib.tensor(CVAL)),
        lambda lib: lib.sparse_csr_tensor(lib.tensor([CROW]), lib.tensor(COL), lib.tensor(CVAL)),
        lambda lib: lib.sparse_csr_tensor(lib.tensor([0., 1]), lib.tensor([0.]), lib.tensor([1.]), (1, 1)),
        lambda lib: lib.sparse_csr_tensor(lib.tensor([0., 1]), lib.tensor([0.]), lib.tensor([1.])),
        lambda lib: _csr(lib, val=[1, 2, 3], requires_grad=True),
        lambda lib: lib.sparse_csc_tensor(lib.tensor([0, 1, 3]), lib.tensor([1, 0]), lib.tensor([1., 2.]), (2, 2)),
        lambda lib: lib.sparse_csc_tensor(lib.tensor([0, 2, 2]), lib.tensor([1, 0]), lib.tensor([1., 2.]), (2, 2)),
    ]
    for case in cases:
        ours = _err(lambda: case(al))
        ref = _err(lambda: case(torch) if "requires_grad" in repr(case.__code__.co_consts) else
                   _with_invariants(case))
        assert ours[0] is ref[0] and ours[1] == ref[1], (ours, ref)


def test_csr_error_texts_as_torch():
    cases = [lambda lib: _csr(lib).indices(), lambda lib: _csr(lib).coalesce(), lambda lib: _csr(lib).is_coalesced(),
             lambda lib: lib.ones(2, 3).crow_indices(), lambda lib: lib.ones(2, 3).to_sparse().col_indices(),
             lambda lib: _csr(lib).ccol_indices(), lambda lib: _csr(lib).t().crow_indices(),
             lambda lib: _csr(lib).to_sparse(1), lambda lib: _csr(lib).stride(), lambda lib: _csr(lib).is_contiguous(),
             lambda lib: _csr(lib).numpy(), lambda lib: _csr(lib).item(),
             lambda lib: lib.mm(_csr(lib), lib.ones(4, 2)),
             lambda lib: lib.mm(_csr(lib), lib.ones(3, 2, dtype=lib.float64))]
    for case in cases:
        ours, ref = _err(lambda: case(al)), _err(lambda: case(torch))
        assert ours[0] is ref[0] and ours[1] == ref[1], (ours, ref)


@pytest.mark.parametrize("op", ["mean", "view", "softmax", "exp", "log"])
def test_dense_only_ops_on_csr_refuse_with_torchs_wording(op):
    args = {"view": (6,), "softmax": (0,)}.get(op, ())
    ours = _err(lambda: getattr(_csr(al), op)(*args))
    assert issubclass(ours[0], NotImplementedError)
    assert ours[1].startswith(f"Could not run 'aten::{op}' with arguments from the 'SparseCsrCPU' backend"), ours
    ref = _err(lambda: getattr(_csr(torch), op)(*args))     # torch: this message, or 'unsupported tensor layout'
    assert "SparseCsr" in ref[1]
    e = _err(lambda: al.exp(_csr(al)))
    assert e[1].startswith("Could not run 'aten::exp' with arguments from the 'SparseCsrCPU' backend")


def test_csr_copies_moves_and_pickle():
    c = _csr(al)
    assert c.to(al.float32) is c and c.to("cpu") is c
    _same_csr(c.to(al.float64), _csr(torch).to(torch.float64))
    k = c.clone()
    assert k._data.values is not c._data.values and k.values().tolist() == CVAL
    assert c.detach().layout is al.sparse_csr and not c.detach().requires_grad
    back = pickle.loads(pickle.dumps(_csr(al, requires_grad=True)))
    assert back.requires_grad and back.crow_indices().tolist() == CROW and back.values().tolist() == CVAL


def test_csr_on_the_standin_cuda_device(fake_cuda):
    c = _csr(al).to("cuda")
    assert c.layout is al.sparse_csr and c.device.type == "cuda" and "device='cuda" in repr(c)
    d = al.tensor(DENSE, device="cuda", requires_grad=True)
    c.requires_grad_()
    y = al.sparse.mm(c, d)
    (y ** 2).sum().backward()
    ref_c, ref_d = _csr(torch, requires_grad=True), torch.tensor(DENSE, requires_grad=True)
    (torch.sparse.mm(ref_c, ref_d) ** 2).sum().backward()
    np.testing.assert_allclose(y.detach().cpu().numpy(), torch.sparse.mm(ref_c, ref_d).detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(c.grad.to_dense().cpu().numpy(), ref_c.grad.to_dense().numpy(), rtol=1e-5)
    np.testing.assert_allclose(d.grad.cpu().numpy(), ref_d.grad.numpy(), rtol=1e-5)
