"""torch's namespace beyond the ops, part 2: svd_lowrank / pca_lowrank, cond / while_loop, quasirandom.SobolEngine,
signal.windows, layouts and memory formats (channels_last), range, set_default_tensor_type, DLPack, and Tensor methods
(apply_, map_, set_, nonzero_static, unsafe_split, dim_order, the is_* flags)."""
import pickle
import warnings

import numpy as np
import pytest
import torch

import autograd_lite as al
from op_helpers import check_op


# ---- 4. low rank, control flow, Sobol, windows -----------------------------------------------------------------

def _low_rank(m, n, k, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((m, k)) @ rng.standard_normal((k, n))).astype(np.float32)


@pytest.mark.parametrize("m, n", [(20, 30), (30, 12)])
def test_svd_lowrank_recovers_the_subspace(m, n):
    a = _low_rank(m, n, 4)
    U, S, V = al.svd_lowrank(al.tensor(a), q=6)
    tU, tS, tV = torch.svd_lowrank(torch.tensor(a), q=6)
    assert (U.shape, S.shape, V.shape) == (tuple(tU.shape), tuple(tS.shape), tuple(tV.shape))
    assert U.dtype == al.float32
    np.testing.assert_allclose(S.numpy()[:4], tS.numpy()[:4], rtol=1e-4)
    np.testing.assert_allclose(((U * S) @ V.T).numpy(), a, atol=1e-4)
    # the same column space as torch's, whatever the signs: the projectors agree
    P, tP = U.numpy()[:, :4] @ U.numpy()[:, :4].T, tU.numpy()[:, :4] @ tU.numpy()[:, :4].T
    np.testing.assert_allclose(P, tP, atol=1e-4)


def test_pca_lowrank_and_its_gradient():
    a = _low_rank(15, 8, 3) + 2.0
    U, S, V = al.pca_lowrank(al.tensor(a), q=3)
    tU, tS, tV = torch.pca_lowrank(torch.tensor(a), q=3)
    np.testing.assert_allclose(S.numpy(), tS.numpy(), rtol=1e-4)
    centered = a - a.mean(0)
    np.testing.assert_allclose(((U * S) @ V.T).numpy(), centered, atol=1e-4)
    b = _low_rank(15, 8, 3)
    x = al.tensor(b, requires_grad=True)
    al.svd_lowrank(x, q=3)[1].sum().backward()           # the nuclear norm of a rank-3 matrix: its gradient U V^T
    u, _, vt = np.linalg.svd(b.astype(np.float64))
    np.testing.assert_allclose(x.grad.numpy(), u[:, :3] @ vt[:3], atol=1e-3)
    with pytest.raises(ValueError, match=r"q\(=9\) must be non-negative integer and not greater than min\(m, n\)=8"):
        al.pca_lowrank(al.tensor(a), q=9)


@pytest.mark.parametrize("kw", [{"k": 2}, {"k": 3, "largest": False}, {"k": 2, "B": True}])
def test_lobpcg(kw):
    rng = np.random.default_rng(0)
    m, b = rng.standard_normal((12, 12)), rng.standard_normal((12, 12))
    a, bm = m @ m.T + np.eye(12), b @ b.T + 12 * np.eye(12)
    res = {}
    for lib in (torch, al):
        A = lib.tensor(a, requires_grad=not kw.get("B"))         # torch has no gradient with B
        args = dict(kw, B=lib.tensor(bm) if kw.get("B") else None)
        E, X = lib.lobpcg(A, **args)
        if A.requires_grad:
            (E * lib.tensor([1.0, 2.0, 3.0][:kw["k"]], dtype=lib.float64)).sum().backward()
        res[lib.__name__] = (E.detach().numpy(), X.detach().numpy(), None if A.grad is None else A.grad.numpy())
    (e, x, g), (te, tx, tg) = res["autograd_lite"], res["torch"]
    np.testing.assert_allclose(e, te, rtol=1e-8)
    metric = bm if kw.get("B") else np.eye(12)
    np.testing.assert_allclose(np.abs(np.diag(tx.T @ metric @ x)), 1.0, rtol=1e-6)     # same vectors up to sign
    if not kw.get("B"):
        np.testing.assert_allclose(g, tg, atol=1e-6)
    with pytest.raises(ValueError, match="is smaller than 3 x the number of requested eigenpairs"):
        al.lobpcg(al.tensor(a), k=5)


def test_cond_and_while_loop():
    for lib in (torch, al):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        y = lib.cond(x.sum() > 0, lambda t: t.sin(), lambda t: t.cos(), (x,))
        y.sum().backward()
        np.testing.assert_allclose(x.grad.detach().numpy(), -np.sin([1.0, -2.0]), rtol=1e-6)
        with pytest.raises(RuntimeError, match="Expected pred to be bool or single-element tensor"):
            lib.cond(lib.ones(2) > 0, lambda t: t, lambda t: t, (x,))
    # torch's eager while_loop runs through dynamo (which rejects scalar carries here): ours against known values
    x = al.tensor([1.0, 2.0], requires_grad=True)
    i, v = al.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2), (al.tensor(0), x))
    assert i.item() == 3 and v.tolist() == [8.0, 16.0]
    v.sum().backward()
    assert x.grad.tolist() == [8.0, 8.0]
    with pytest.raises(RuntimeError, match="carried_inputs must be a tuple or list"):
        al.while_loop(lambda i: i < 3, lambda i: (i + 1,), al.tensor(0))
    with pytest.raises(RuntimeError, match="cond_fn must return a boolean scalar tensor or a boolean"):
        al.while_loop(lambda i: i, lambda i: (i + 1,), (al.tensor(0),))


@pytest.mark.parametrize("dimension", [1, 3, 40, 1111, 21201])
def test_sobol_equals_torch_bit_for_bit(dimension):
    ours, ref = al.quasirandom.SobolEngine(dimension), torch.quasirandom.SobolEngine(dimension)
    steps = [("draw", 1), ("draw", 6), ("fast_forward", 9), ("draw", 3), ("reset",), ("draw_base2", 3),
             ("draw", 5, "float64")]
    for step in steps:
        if step[0] in ("reset", "fast_forward"):
            getattr(ours, step[0])(*step[1:])
            getattr(ref, step[0])(*step[1:])
            continue
        kw = {"dtype": getattr(al, step[2])} if len(step) > 2 else {}
        a = getattr(ours, step[0])(step[1], **kw)
        t = getattr(ref, step[0])(step[1], **({"dtype": getattr(torch, step[2])} if kw else {}))
        assert str(a.dtype)[-7:] == str(t.dtype)[-7:]
        np.testing.assert_array_equal(a.numpy(), t.numpy(), err_msg=str(step))
    assert repr(ours) == repr(ref)


@pytest.mark.parametrize("dimension, seed", [(1, 0), (5, 7), (1500, 2 ** 40 + 5)])
def test_sobol_scrambled_with_a_seed_equals_torch(dimension, seed):
    ours = al.quasirandom.SobolEngine(dimension, scramble=True, seed=seed)
    ref = torch.quasirandom.SobolEngine(dimension, scramble=True, seed=seed)
    np.testing.assert_array_equal(ours.draw(5).numpy(), ref.draw(5).numpy())
    ours.fast_forward(3), ref.fast_forward(3)
    np.testing.assert_array_equal(ours.draw_base2(3).numpy(), ref.draw_base2(3).numpy())
    assert repr(ours) == repr(ref)


def test_sobol_scrambled_and_errors():
    al.manual_seed(3)
    eng = al.quasirandom.SobolEngine(3, scramble=True)
    pts = eng.draw_base2(6).numpy()
    al.manual_seed(3)
    again = al.quasirandom.SobolEngine(3, scramble=True).draw(64).numpy()
    np.testing.assert_array_equal(pts, again)                       # manual_seed fixes an unseeded scramble
    assert pts.min() >= 0 and pts.max() < 1 and len(np.unique(pts[:, 0])) == 64
    for d in range(3):                       # a (0, 6, s)-net in base 2: each of 8 x 8 cells of 2 dims holds 1
        cells = (pts[:, d] * 8).astype(int) * 8 + (pts[:, (d + 1) % 3] * 8).astype(int)
        assert len(np.unique(cells)) == 64
    with pytest.raises(ValueError, match="The balance properties of Sobol' points require n to be a power of 2"):
        eng.draw_base2(2)
    with pytest.raises(ValueError, match=r"Supported range of dimensionality for SobolEngine is \[1, 21201\]"):
        al.quasirandom.SobolEngine(0)
    out = al.zeros(1)
    assert al.quasirandom.SobolEngine(2).draw(4, out=out) is out and out.shape == (4, 2)


WINDOWS = [("bartlett", {}), ("blackman", {}), ("cosine", {}), ("exponential", {"tau": 0.7}),
           ("gaussian", {"std": 1.5}), ("general_cosine", {"a": [0.46, 0.23, 0.31]}),
           ("general_hamming", {"alpha": 0.6}), ("hamming", {}), ("hann", {}), ("kaiser", {"beta": 5.0}),
           ("nuttall", {})]


@pytest.mark.parametrize("name, kw", WINDOWS, ids=[w[0] for w in WINDOWS])
def test_signal_windows(name, kw):
    for M in (0, 1, 2, 7, 10):
        for sym in (True, False):
            for dt in ("float32", "float64"):
                a = getattr(al.signal.windows, name)(M, sym=sym, dtype=getattr(al, dt), **kw)
                t = getattr(torch.signal.windows, name)(M, sym=sym, dtype=getattr(torch, dt), **kw)
                assert a.dtype == getattr(al, dt) and tuple(a.shape) == tuple(t.shape)
                np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)
    assert getattr(al.signal.windows, name)(5, **kw).dtype == al.float32
    for args in ((-1,), (3,)):
        kwargs = dict(kw, dtype=None if args == (-1,) else "int64")
        messages = []
        for lib in (torch, al):
            with pytest.raises(ValueError) as err:
                getattr(lib.signal.windows, name)(*args, **{k: getattr(lib, v) if k == "dtype" and v else v
                                                            for k, v in kwargs.items()})
            messages.append(str(err.value).replace("torch.", "autograd_lite."))
        assert messages[0] == messages[1]


# ---- 5. layouts, memory formats, deprecated and exchange functions ---------------------------------------------

def test_layout_and_memory_format_objects():
    for n in ("strided", "sparse_coo", "sparse_csr", "channels_last", "channels_last_3d", "contiguous_format",
              "preserve_format", "legacy_contiguous_format"):
        assert repr(getattr(al, n)) == f"autograd_lite.{n}"
        assert pickle.loads(pickle.dumps(getattr(al, n))) is getattr(al, n)
    assert isinstance(al.strided, al.layout) and isinstance(al.channels_last, al.memory_format)
    assert al.ones(2).layout is al.strided
    assert not any(getattr(al.ones(2), f) for f in ("is_sparse", "is_quantized", "is_meta", "is_mkldnn",
                                                     "is_nested", "is_mps", "is_xpu", "is_vulkan"))


@pytest.mark.parametrize("shape, fmt", [((2, 3, 4, 5), "channels_last"), ((2, 3, 2, 4, 5), "channels_last_3d")])
def test_channels_last_is_real(shape, fmt):
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for make in (lambda lib, x: x.contiguous(memory_format=getattr(lib, fmt)),
                 lambda lib, x: x.to(memory_format=getattr(lib, fmt)),
                 lambda lib, x: x.contiguous(memory_format=getattr(lib, fmt)).clone(),
                 lambda lib, x: lib.empty_like(x.contiguous(memory_format=getattr(lib, fmt))),
                 lambda lib, x: lib.zeros_like(x, memory_format=getattr(lib, fmt)),
                 lambda lib, x: lib.empty(*shape, memory_format=getattr(lib, fmt))):
        ours, ref = make(al, al.tensor(a)), make(torch, torch.tensor(a))
        assert ours.stride() == ref.stride()
        for f in ("contiguous_format", fmt):
            assert ours.is_contiguous(memory_format=getattr(al, f)) == ref.is_contiguous(memory_format=getattr(torch, f))
        assert ours.is_contiguous() == ref.is_contiguous() and ours.dim_order() == ref.dim_order()
    y = al.tensor(a).contiguous(memory_format=getattr(al, fmt))
    np.testing.assert_array_equal(y.numpy(), a)
    assert y.contiguous().stride() == torch.tensor(a).stride()
    assert y.clone(memory_format=al.contiguous_format).is_contiguous()
    for lib in (torch, al):
        with pytest.raises(RuntimeError, match=f"required rank {len(shape)} tensor to use {fmt} format"):
            lib.ones(2, 3).contiguous(memory_format=getattr(lib, fmt))


def test_channels_last_through_ops_and_gradients():
    check_op(lambda lib, x, w: lib.nn.functional.conv2d(x.contiguous(memory_format=lib.channels_last), w, padding=1),
             [(2, 3, 5, 5), (4, 3, 3, 3)])
    check_op(lambda lib, x: (x.contiguous(memory_format=lib.channels_last) * 2).sum((0, 2)), [(2, 3, 4, 5)])


def test_range_and_set_default_tensor_type():
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        x = al.range(1, 4, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for args, kw in (((1, 4), {}), ((1, 4, 0.5), {}), ((0, 10, 3), {"dtype": "int64"}), ((5, 1, -2), {})):
            a = al.range(*args, **{k: getattr(al, v) for k, v in kw.items()})
            t = torch.range(*args, **{k: getattr(torch, v) for k, v in kw.items()})
            assert a.tolist() == t.tolist() and str(a.dtype)[-5:] == str(t.dtype)[-5:]
        with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
            al.range(1, 4, -1)
    assert x.dtype == al.float32 and x.shape == (7,)
    try:
        with pytest.warns(UserWarning, match=r"set_default_tensor_type\(\) is deprecated as of PyTorch 2.1"):
            al.set_default_tensor_type(al.DoubleTensor)
        assert al.get_default_dtype() == al.float64 and al.ones(1).dtype == al.float64
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            al.set_default_tensor_type("torch.FloatTensor")
            assert al.get_default_dtype() == al.float32
            with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
                al.set_default_tensor_type(al.LongTensor)
    finally:
        al.set_default_dtype(al.float32)


def test_dlpack_exchange():
    x = al.arange(6.0).reshape(2, 3)
    t = torch.from_dlpack(x)
    t[0, 0] = 9.0                                       # shared memory, both ways
    assert x[0, 0].item() == 9.0
    y = al.from_dlpack(torch.ones(3))
    assert y.dtype == al.float32 and y.tolist() == [1.0, 1.0, 1.0]
    z = al.from_dlpack(al.to_dlpack(x))
    assert np.shares_memory(z.numpy(), x.numpy())
    assert al.from_dlpack(np.arange(3)).dtype == al.int64
    with pytest.raises(RuntimeError, match="Can't export tensors that require gradient"):
        x.requires_grad_().__dlpack__()


def test_get_device_module():
    assert al.get_device_module("cpu") is al.cpu and al.get_device_module("cuda:0") is al.cuda
    assert al.get_device_module(al.device("cuda")) is al.cuda
    assert al.get_device_module("mps") is al.mps and al.get_device_module("xpu:0") is al.xpu     # as torch's
    with pytest.raises(RuntimeError, match="Device 'hpu' does not have a corresponding module"):
        al.get_device_module("hpu")


# ---- 6. Tensor methods ---------------------------------------------------------------------------------------------

def test_python_callables_in_place():
    for lib in (torch, al):
        x = lib.tensor([1.0, 2.0, 3.0])
        assert x.apply_(lambda v: v * 10) is x
        x.map_(lib.tensor([15.0]), max)
        x.map2_(lib.tensor([1.0, 1.0, 1.0]), lib.tensor([0.5, 0.5, 0.5]), lambda a, b, c: a + b * c)
        assert x.tolist() == [15.5, 20.5, 30.5]
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        al.ones(2, requires_grad=True).apply_(abs)


def test_while_loop_that_never_runs_returns_copies():
    i0 = al.tensor(5)                  # (torch's eager while_loop goes through dynamo here, which rejects this)
    i, = al.while_loop(lambda i: i < 3, lambda i: (i + 1,), (i0,))
    assert i.item() == 5 and i is not i0


def test_small_tensor_methods():
    x = al.tensor([[0, 1], [2, 0]])
    t = torch.tensor([[0, 1], [2, 0]])
    for size, fill in ((4, -1), (1, 9), (0, -1)):
        assert al.nonzero_static(x, size=size, fill_value=fill).tolist() == \
            torch.nonzero_static(t, size=size, fill_value=fill).tolist()
    assert x.nonzero_static(size=3).dtype == al.int64
    assert x.char().dtype == al.int8 and x.output_nr == 0 and not x.is_inference() and not x.is_pinned()
    assert x.pin_memory() is x and not al.is_inference(x) and not x.is_distributed()
    assert x.is_set_to(x.view(2, 2)) and not x.is_set_to(x[:1]) and not x.is_set_to(x.clone())
    w, tw = al.arange(15.0).reshape(5, 3), torch.arange(15.0).reshape(5, 3)
    assert al.embedding_renorm_(w, al.tensor([0, 2, 2]), 1.0, 2.0) is w
    torch.embedding_renorm_(tw, torch.tensor([0, 2, 2]), 1.0, 2.0)
    np.testing.assert_allclose(w.numpy(), tw.numpy(), rtol=1e-6)
    y = al.ones(2, 3).new_empty_strided((2, 2), (1, 2))
    assert y.stride() == (1, 2) and y.dtype == al.float32
    for name, arg in (("unsafe_chunk", 2), ("unsafe_split", 2), ("unsafe_split_with_sizes", [1, 4])):
        a, r = getattr(al, name)(al.arange(5), arg), getattr(torch, name)(torch.arange(5), arg)
        assert [p.tolist() for p in a] == [p.tolist() for p in r]
        assert [p.tolist() for p in getattr(al.arange(5), name)(arg)] == [p.tolist() for p in r]
    assert al.ones(2, 3, 4).dim_order() == (0, 1, 2) and al.ones(3, 4).t().dim_order() == (1, 0)


def test_set_and_module_load():
    for lib in (torch, al):
        y = lib.zeros(3)
        src = lib.arange(6.0)
        assert y.set_(src) is y and y.tolist() == src.tolist()
        y[0] = 7.0
        assert src[0].item() == 7.0                      # the same storage
        y.set_(lib.arange(6.0), 1, (2, 2), (2, 1))
        assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]]
        y.set_()
        assert y.shape == (0,)
        p, v = lib.zeros(2), lib.tensor([1.0, 2.0])
        out = p.module_load(v)
        assert out is not p and p.tolist() == [1.0, 2.0] and out.tolist() == [1.0, 2.0]
        assert p.module_load(v, assign=True) is not v
