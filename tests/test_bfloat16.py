"""bfloat16 (ml_dtypes' NumPy dtype) and the limited unsigned types uint16/uint32/uint64, against PyTorch 2.13.

The sweep calls every op name shared with torch (the complex sweep's list and argument lists, tests/test_complex_sweep.py)
on a small bfloat16 tensor: same dtype, values within bfloat16's tolerance, and for the differentiable ones a bfloat16
gradient of the same values. `ALLOWED` lists what is left (strict xfails).
"""
import io
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch

import autograd_lite as al
import test_complex_sweep as sweep

pytest.importorskip("ml_dtypes")

RTOL, ATOL = 2e-2, 2e-2         # bfloat16 keeps 8 bits: one rounding is 2 ** -8 relative; a few of them, less than this


def _input(lib, shape, grad, dtype="bfloat16"):
    """Random bfloat16 values; dtype="float32": the same values in float32 (the reference of PyTorch's opmath)."""
    rng = np.random.default_rng(len(shape))
    a = torch.tensor(rng.uniform(-2, 2, shape), dtype=torch.bfloat16).float().numpy()
    return lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=grad)


def _call(lib, ns, name, shape, make_args, grad=False, dtype="bfloat16"):
    x = _input(lib, shape, grad, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            args = make_args(lib, x)
            if name.endswith("_"):
                args = args[:1] + tuple(a.clone() if a is x else a for a in args[1:])
            return x, sweep._function(lib, ns, name)(*args), None
        except Exception as e:  # noqa: BLE001  (the outcome compared)
            return x, None, e


def _choose_args(ns, name):
    given = sweep.ARGS.get(f"{ns}.{name}", sweep.ARGS.get(name))
    options = [(s, given) for s in sweep.SHAPES] if given else [(s, c) for s in sweep.SHAPES for c in sweep.CANDIDATES]
    refused = None
    for shape, make_args in options:
        _, out, err = _call(torch, ns, name, shape, make_args)
        if err is None:
            return shape, make_args
        if refused is None and not isinstance(err, TypeError):
            refused = shape, make_args
    return refused


def _np(t):
    if getattr(t, "is_sparse", False):
        t = t.to_dense()
    if isinstance(t, torch.Tensor):
        t = t.detach().resolve_conj().resolve_neg()
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy()
    t = t.detach()
    return (t.float() if t.dtype == al.bfloat16 else t).numpy()


def _compare(ours, theirs, values, opmath=None):
    """Same dtypes and shapes; values within bfloat16's tolerance of torch's, or else of `opmath()`: torch's float32
    result on the same values rounded to bfloat16 (ours rounds once where torch's bfloat16 kernel rounds each step:
    group_norm's backward, bilinear)."""
    t_list, a_list = sweep._tensors(theirs), sweep._tensors(ours)
    if not t_list:
        if values and isinstance(theirs, (bool, int, float)):
            assert ours == theirs or np.isclose(ours, theirs, rtol=RTOL, atol=ATOL), (ours, theirs)
        return
    assert len(a_list) == len(t_list), (ours, theirs)
    for i, (a, t) in enumerate(zip(a_list, t_list)):
        assert str(a.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (a.dtype, t.dtype)
        assert tuple(a.shape) == tuple(t.shape), (a.shape, t.shape)
        if values:
            try:
                np.testing.assert_allclose(_np(a), _np(t), rtol=RTOL, atol=ATOL, equal_nan=True)
            except AssertionError:
                if opmath is None:
                    raise
                r = sweep._tensors(opmath())[i]
                ref = _np(r.to(t.dtype)) if r.is_floating_point() else _np(r)
                np.testing.assert_allclose(_np(a), ref, rtol=RTOL, atol=ATOL, equal_nan=True)


_LAPACK = ("torch has no bfloat16 LAPACK kernels and refuses; ours computes in float32 and rounds the result "
           "(ops/linalg*.py belong to another helper)")
_FLOAT32_TOO = "not bfloat16's: the same difference in float32 (torch and ours differ there too)"
ALLOWED = {
    **{n: _LAPACK for n in "cholesky cholesky_inverse det inverse logdet nuclear_norm pinverse qr slogdet "
                           "svd".split()},
    **{"linalg." + n: _LAPACK for n in "cholesky cholesky_ex det eig eigh eigvals eigvalsh inv inv_ex ldl_factor "
                                       "ldl_factor_ex lstsq matrix_rank pinv qr slogdet solve "
                                       "solve_ex svd svdvals vander".split()},
    **{n: f"torch has no bfloat16 kernel for {n}; ours computes in float32" for n in "cdist pdist histogram "
                                                                                     "histogramdd".split()},
    "binomial": "torch refuses bfloat16 counts (NotImplementedError); ours draws, and refuses negative counts "
                "(ValueError)",
    "native_norm": "torch 2.13 has no CPU kernel for native_norm at all (any dtype); ours computes it",
    "multilabel_margin_loss": "torch refuses bfloat16 (NotImplementedError) before checking the target; ours checks "
                              "the target's dtype first (RuntimeError)",
    **{n: _FLOAT32_TOO for n in "logit frexp nextafter stft adaptive_avg_pool2d adaptive_avg_pool3d".split()},
}


def _params():
    for ns, name in sweep.CASES:
        if name.startswith("to_sparse"):
            continue            # sparse tensors: the sparse package's own tests
        reason = ALLOWED.get(f"{ns}.{name}", ALLOWED.get(name))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(ns, name, marks=marks, id=f"{ns}.{name}")


@pytest.mark.parametrize("ns, name", list(_params()))
def test_bfloat16_input_as_torch(ns, name):
    chosen = _choose_args(ns, name)
    if chosen is None:
        pytest.skip("takes no tensor first")
    shape, make_args = chosen
    grad = not name.endswith("_") and name not in sweep.QUESTIONS
    t_x, t_out, t_err = _call(torch, ns, name, shape, make_args, grad)
    if t_err is not None and grad:
        t_x, t_out, t_err = _call(torch, ns, name, shape, make_args, grad=False)
        grad = False
    a_x, a_out, a_err = _call(al, ns, name, shape, make_args, grad)
    if t_err is not None:
        if a_err is None or str(a_err) != str(t_err):       # torch's own words pass ("Unsupported dtype BFloat16")
            sweep._raises_as_torch(t_err, a_err)
        return
    assert a_err is None, f"torch returns; ours raises {type(a_err).__name__}: {a_err}"
    values = name not in sweep.RANDOM
    reference = []          # torch in float32 on the same values: computed only when ours differs from torch's

    def opmath(what):
        if not reference:
            reference.extend(_call(torch, ns, name, shape, make_args, grad, dtype="float32")[:2])
            loss = sweep._loss(torch, sweep._tensors(reference[1])) if grad else 0
            if isinstance(loss, torch.Tensor) and loss.requires_grad:
                loss.backward()
        return {"out": reference[1], "x": reference[0], "grad": reference[0].grad}[what]
    _compare(a_out, t_out, values, lambda: opmath("out"))
    if name.endswith("_"):
        _compare(a_x, t_x, values, lambda: opmath("x"))
    t_loss = sweep._loss(torch, sweep._tensors(t_out)) if grad and values else 0
    if isinstance(t_loss, torch.Tensor) and t_loss.requires_grad:
        try:
            t_loss.backward()
        except RuntimeError:
            return
        a_loss = sweep._loss(al, sweep._tensors(a_out))
        assert isinstance(a_loss, al.Tensor), "torch's output requires grad, ours does not"
        a_loss.backward()
        assert a_x.grad is not None, "no gradient"
        _compare(a_x.grad, t_x.grad, True, lambda: opmath("grad"))


# ---- the dtypes themselves ----------------------------------------------------------------------------------------

DTYPES = ("bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float16", "bfloat16",
          "float32", "float64", "complex64", "complex128")


def _name(d):
    return str(d).split(".")[-1]


def test_dtype_attributes_as_torch():
    for n in ("bfloat16", "uint16", "uint32", "uint64"):
        ours, theirs = getattr(al, n), getattr(torch, n)
        assert (ours.is_floating_point, ours.is_signed, ours.is_complex, ours.itemsize) == \
            (theirs.is_floating_point, theirs.is_signed, theirs.is_complex, theirs.itemsize), n
        assert repr(ours) == f"autograd_lite.{n}" and al.tensor([], dtype=ours).dtype is ours
    assert al.bfloat16.scalar_type == "BFloat16" and al.uint16.scalar_type == "UInt16"
    assert al.bfloat16.to_complex() is al.complex64 and al.bfloat16.to_real() is al.bfloat16
    f, t = al.finfo(al.bfloat16), torch.finfo(torch.bfloat16)
    for k in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(f, k) == getattr(t, k), k
    assert repr(f) == repr(t)
    for n in ("uint16", "uint32", "uint64"):
        i, ti = al.iinfo(getattr(al, n)), torch.iinfo(getattr(torch, n))
        assert (i.bits, i.min, i.max, i.dtype) == (ti.bits, ti.min, ti.max, ti.dtype)


def test_promotion_table_as_torch():
    """promote_types over every pair, errors included (uint16/32/64 promote with nothing but floats and themselves)."""
    for a in DTYPES:
        for b in DTYPES:
            try:
                expected = _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))
            except RuntimeError as e:
                with pytest.raises(RuntimeError, match=str(e)):
                    al.promote_types(getattr(al, a if a != "bool" else "bool"), getattr(al, b))
                continue
            assert _name(al.promote_types(getattr(al, a), getattr(al, b))) == expected, (a, b)
            assert al.can_cast(getattr(al, a), getattr(al, b)) == torch.can_cast(getattr(torch, a), getattr(torch, b))


@pytest.mark.parametrize("make", [
    lambda L: L.ones(3, dtype=L.bfloat16) + 1.5, lambda L: L.ones(3, dtype=L.bfloat16) * 2,
    lambda L: L.ones(3, dtype=L.bfloat16) + L.ones(3, dtype=L.float16),
    lambda L: L.ones(3, dtype=L.bfloat16) + L.ones(3, dtype=L.float32),
    lambda L: L.ones(3, dtype=L.bfloat16) + L.tensor(1.0), lambda L: L.ones(3, dtype=L.bfloat16) + L.tensor([2]),
    lambda L: L.ones(3, dtype=L.int64) * L.tensor(2.0, dtype=L.bfloat16),
    lambda L: L.ones(3, dtype=L.float32) * L.tensor(2.0, dtype=L.bfloat16),
    lambda L: L.ones(3, dtype=L.uint16) * 3, lambda L: L.ones(3, dtype=L.uint16) * 2.5,
    lambda L: L.ones(3, dtype=L.uint32) / 2, lambda L: L.ones(3, dtype=L.uint64) * L.tensor(2),
    lambda L: L.ones(3, dtype=L.uint16).sum(), lambda L: L.ones(3, dtype=L.uint32).cumsum(0),
    lambda L: L.ones(3, dtype=L.bfloat16).sum(), lambda L: L.ones(3, dtype=L.bfloat16).mean(),
    lambda L: L.ones(3, dtype=L.bfloat16).sum(dtype=L.float32), lambda L: L.ones(3, dtype=L.bfloat16) > 0.5,
    lambda L: L.ones(3, dtype=L.bfloat16).argmax(), lambda L: L.ones(3, dtype=L.bfloat16).exp(),
    lambda L: L.softmax(L.ones(3, dtype=L.bfloat16), 0, dtype=L.float32),
    lambda L: L.result_type(L.ones(3, dtype=L.bfloat16), 1.5), lambda L: L.result_type(L.ones(3, dtype=L.uint16), 2),
])
def test_result_dtypes_as_torch(make):
    out, expected = make(al), make(torch)
    assert _name(out if isinstance(out, al.dtype) else out.dtype) == \
        _name(expected if isinstance(expected, torch.dtype) else expected.dtype)


def test_uint_promotion_errors_in_ops():
    for L in (torch, al):
        with pytest.raises(RuntimeError, match="Promotion for uint16, uint32, uint64 types is not supported, "
                                               "attempted to promote UInt16 and Long"):
            L.ones(3, dtype=L.uint16) * L.tensor([1, 2, 3])


# ---- tensors: creation, conversion, printing ----------------------------------------------------------------------

VALUES = [[1.1, -2.5e-3, 3.0e30], [0.0, float("inf"), -7.0]]


def _repr(t):
    return repr(t).replace("autograd_lite.", "torch.")


@pytest.mark.parametrize("make", [
    lambda L: L.tensor(VALUES, dtype=L.bfloat16), lambda L: L.tensor([1.5, 2.25, 3.1], dtype=L.bfloat16),
    lambda L: L.tensor(2.5, dtype=L.bfloat16), lambda L: L.tensor([], dtype=L.bfloat16),
    lambda L: L.tensor([1.5], dtype=L.bfloat16, requires_grad=True), lambda L: L.arange(4, dtype=L.bfloat16),
    lambda L: L.tensor([1, 65535], dtype=L.uint16), lambda L: L.tensor([2 ** 32 - 1], dtype=L.uint32),
    lambda L: L.tensor([2 ** 64 - 1], dtype=L.uint64), lambda L: L.zeros(2, 2, dtype=L.uint64),
])
def test_printing_as_torch(make):
    assert _repr(make(al)) == repr(make(torch))


def test_creation_and_conversion_as_torch():
    a = al.tensor(VALUES, dtype=al.bfloat16)
    t = torch.tensor(VALUES, dtype=torch.bfloat16)
    assert a.tolist() == t.tolist() and a[0, 0].item() == t[0, 0].item() == 1.1015625
    assert a.element_size() == 2 and a.itemsize == 2 and a.nbytes == 12 and a.is_floating_point()
    assert a.is_signed() and not a.is_complex() and a.dtype.is_floating_point
    for make in (lambda L, x: x.bfloat16(), lambda L, x: x.to(L.bfloat16),
                 lambda L, x: x.type(L.bfloat16), lambda L, x: L.as_tensor(x, dtype=L.bfloat16),
                 lambda L, x: x.to(L.bfloat16).float(), lambda L, x: x.to(L.bfloat16).double(),
                 lambda L, x: x.to(L.bfloat16).half(), lambda L, x: x.to(L.bfloat16).long(),
                 lambda L, x: x.to(L.bfloat16).to(L.uint16), lambda L, x: x.to(L.uint16).to(L.bfloat16)):
        ours = make(al, al.tensor([[1.1, -2.7, 300.2]]))
        theirs = make(torch, torch.tensor([[1.1, -2.7, 300.2]]))
        assert _repr(ours) == repr(theirs)
    for L in (torch, al):
        with pytest.raises(TypeError, match="Got unsupported ScalarType BFloat16"):
            L.ones(2, dtype=L.bfloat16).numpy()
        x = L.ones(2, dtype=L.bfloat16)
        assert x.type().split(".")[-1] == "BFloat16Tensor" and isinstance(x, L.BFloat16Tensor)
        assert _name(L.ones(2).type(L.BFloat16Tensor).dtype) == "bfloat16"
        assert L.BFloat16Tensor([1.5]).dtype is L.bfloat16
        assert L.ones(2, dtype=L.uint32).type().split(".")[-1] == "UInt32Tensor"
    for fn in ("zeros", "ones", "empty", "rand", "randn"):
        assert getattr(al, fn)(2, 3, dtype=al.bfloat16).dtype is al.bfloat16
    for make in (lambda L: L.full((2,), 1.3, dtype=L.bfloat16), lambda L: L.arange(0, 2, 0.5, dtype=L.bfloat16),
                 lambda L: L.linspace(0, 1, 5, dtype=L.bfloat16), lambda L: L.eye(2, dtype=L.bfloat16),
                 lambda L: L.zeros_like(L.ones(2, dtype=L.bfloat16)), lambda L: L.randint(0, 1, (3,), dtype=L.bfloat16),
                 lambda L: L.ones(2, dtype=L.bfloat16).new_zeros(3), lambda L: L.full((2,), 7, dtype=L.uint32),
                 lambda L: L.ones(3, dtype=L.uint64), lambda L: L.tensor([1.7, 70000.0]).to(L.uint16)):
        assert _repr(make(al)) == repr(make(torch))
    assert al.randint(0, 5, (3,), dtype=al.uint16).dtype is al.uint16


def test_set_default_dtype_bfloat16_as_torch():
    try:
        for L in (torch, al):
            L.set_default_dtype(L.bfloat16)
            assert L.get_default_dtype() is L.bfloat16
            for make in (lambda: L.tensor([1.5]), lambda: L.zeros(2), lambda: L.arange(0.0, 2), lambda: L.rand(2),
                         lambda: L.tensor([1, 2]) / 2):
                assert _name(make().dtype) == "bfloat16"
            assert repr(L.tensor([1.5])).endswith("tensor([1.5000])")        # the default dtype: no suffix
            with pytest.raises(RuntimeError, match="invalid default scalar type for complex"):
                L.tensor([1j])
    finally:
        torch.set_default_dtype(torch.float32)
        al.set_default_dtype(al.float32)


def test_indexing_and_writes():
    """Non-differentiable paths on bfloat16 storage: indexing, setitem, fill, masked writes, views sharing storage."""
    outs = []
    for L in (torch, al):
        x = L.tensor(VALUES, dtype=L.bfloat16)
        v = x.t()
        v[0, 1] = 4.3                            # a view writes its base
        x[1, x[1] > 0] = 2.2
        x[0, :1] = L.tensor([9.1])              # float32 values into bfloat16 storage
        x.view(-1)[5] = -1.05
        y = x.clone().fill_(0.7).masked_fill(L.tensor([[True, False, True]]), 1.3)
        z = x.clone()
        z += L.tensor([1.0, 2.0, 3.0])           # in place with a float32 operand: stays bfloat16
        z.mul_(0.5)
        outs.append([_repr(t) for t in (x, y, z, x[[1, 0]], x[:, 1:], x.flatten()[::2], x.index_select(1, L.tensor([2])))])
    assert outs[0] == outs[1]


# ---- autograd -----------------------------------------------------------------------------------------------------

def _pair(values, dtype="bfloat16", grad=True):
    return [L.tensor(values, dtype=getattr(L, dtype), requires_grad=grad) for L in (torch, al)]


def _close(ours, theirs):
    assert _name(ours.dtype) == _name(theirs.dtype)
    np.testing.assert_allclose(ours.detach().float().numpy(), theirs.detach().float().numpy(), rtol=RTOL, atol=ATOL)


def test_gradients_are_bfloat16_and_torchs():
    (t, a), (tw, aw) = _pair([[0.5, -1.25, 2.0], [1.5, 0.75, -0.3]]), _pair([[1.0, -2.0, 0.5]], "float32")
    outs = []
    for L, x, w in ((torch, t, tw), (al, a, aw)):
        h = (x * 2).exp().sum(1, keepdim=True) + x.sin() * w          # bfloat16 with float32: float32
        loss = h.pow(2).mean() + (x.relu() @ x.t()).tanh().sum()
        loss.backward()
        outs.append((h, loss, x.grad, w.grad))
    for ours, theirs in zip(outs[1], outs[0]):
        _close(ours, theirs)
    assert a.grad.dtype is al.bfloat16 and aw.grad.dtype is al.float32
    assert (a * 2).grad_fn.name() == "MulBackward0" and a.exp().grad_fn.name() == "ExpBackward0"


def test_gradients_accumulate_in_bfloat16():
    t, a = _pair([0.1, 0.2, 0.3])
    for L, x in ((torch, t), (al, a)):
        for _ in range(3):
            (x * 1.1).sum().backward()
    _close(a.grad, t.grad)


def test_second_order_in_bfloat16():
    t, a = _pair([0.5, -1.25, 2.0, 0.3])
    outs = []
    for L, x in ((torch, t), (al, a)):
        y = (x ** 3 * x.sin()).sum()
        g, = L.autograd.grad(y, x, create_graph=True)
        g2, = L.autograd.grad((g * g).sum(), x)
        outs.append((g, g2))
    for ours, theirs in zip(outs[1], outs[0]):
        _close(ours, theirs)


def test_saved_input_modified_in_place_still_gives_torchs_gradient_or_error():
    """A bfloat16 op saves its float32 widening: an in-place change of the input after it cannot corrupt backward."""
    x = al.tensor([0.5, 1.5], dtype=al.bfloat16, requires_grad=True)
    y = x * 1
    z = y.exp()
    y.add_(1)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.float().numpy(), np.exp([0.5, 1.5]), rtol=RTOL)


def test_user_function_on_bfloat16():
    class Cube(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x * x * g
    x = al.tensor([0.5, -2.0], dtype=al.bfloat16, requires_grad=True)
    y = Cube.apply(x)
    assert y.dtype is al.bfloat16 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype is al.bfloat16 and x.grad.tolist() == [0.75, 12.0]


def _model(L):
    L.manual_seed(0)
    m = L.nn.Sequential(L.nn.Conv2d(2, 3, 3, padding=1), L.nn.BatchNorm2d(3), L.nn.ReLU(), L.nn.MaxPool2d(2),
                        L.nn.Flatten(), L.nn.Linear(12, 5), L.nn.LayerNorm(5), L.nn.GELU(), L.nn.Linear(5, 3))
    rng = np.random.default_rng(0)
    with L.no_grad():
        for p in m.parameters():
            p.copy_(L.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape)), dtype=L.float32))
    return m


def test_module_bfloat16_forward_backward_as_torch():
    x = np.random.default_rng(1).uniform(-1, 1, (2, 2, 4, 4)).astype(np.float32)
    y = np.array([0, 2])
    outs = []
    for L in (torch, al):
        m = _model(L).bfloat16()
        out = m(L.tensor(x).bfloat16())
        loss = L.nn.functional.cross_entropy(out, L.tensor(y))
        loss.backward()
        outs.append([out, loss] + [p.grad for p in m.parameters()] + [m[1].running_mean])
        assert all(p.dtype == L.bfloat16 for p in m.parameters())
    for ours, theirs in zip(outs[1], outs[0]):
        _close(ours, theirs)


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
                                          ("Adam", dict(lr=0.05, weight_decay=0.01)), ("AdamW", dict(lr=0.05)),
                                          ("Adam", dict(lr=0.05, amsgrad=True)), ("RMSprop", dict(lr=0.01)),
                                          ("Adagrad", dict(lr=0.1))])
def test_optimizers_on_bfloat16_parameters_as_torch(name, kwargs):
    outs = []
    for L in (torch, al):
        p = L.tensor([[0.5, -1.25, 2.0], [1.0, 0.75, -0.3]], dtype=L.bfloat16, requires_grad=True)
        opt = getattr(L.optim, name)([p], **kwargs)
        for _ in range(4):
            opt.zero_grad()
            (p * p * L.tensor([1.0, 2.0, 3.0], dtype=L.bfloat16)).sum().backward()
            opt.step()
        outs.append([p] + [v for k, v in sorted(opt.state[p].items()) if k != "step"])
    for ours, theirs in zip(outs[1], outs[0]):
        _close(ours, theirs)


def test_autocast_cpu_defaults_to_bfloat16_as_torch():
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    outs = []
    for L in (torch, al):
        assert L.get_autocast_dtype("cpu") is L.bfloat16
        lin = L.nn.Linear(4, 3)
        with L.no_grad():
            lin.weight.copy_(L.tensor(np.linspace(-0.5, 0.7, 12, dtype=np.float32).reshape(3, 4)))
            lin.bias.copy_(L.tensor([0.1, -0.2, 0.3]))
        with L.autocast("cpu"):
            y = lin(L.tensor(x))
            loss = L.nn.functional.cross_entropy(y, L.tensor([0, 2]))
            extra = [y.exp(), y.sum(), L.cat([y, L.tensor(x[:, :3])]), L.nn.functional.mse_loss(y, y)]
        loss.backward()
        outs.append([y, loss, lin.weight.grad, lin.bias.grad] + extra)
    for ours, theirs in zip(outs[1], outs[0]):
        _close(ours, theirs)


# ---- checkpoints --------------------------------------------------------------------------------------------------

def _checkpoint(L):
    return {"b": L.tensor(VALUES, dtype=L.bfloat16), "p": L.nn.Parameter(L.tensor([0.5, -1.5], dtype=L.bfloat16)),
            "u16": L.tensor([1, 65535], dtype=L.uint16), "u32": L.tensor([2 ** 32 - 1], dtype=L.uint32),
            "u64": L.tensor([2 ** 64 - 1, 3], dtype=L.uint64), "d": L.bfloat16}


def _same(ours, theirs):
    if isinstance(theirs, torch.dtype):
        assert _name(ours) == _name(theirs)
        return
    assert _name(ours.dtype) == _name(theirs.dtype) and type(ours).__name__ == type(theirs).__name__
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("zip_format", [True, False])
def test_torch_checkpoint_loads_bfloat16_exactly(zip_format):
    buf = io.BytesIO()
    torch.save(_checkpoint(torch), buf, _use_new_zipfile_serialization=zip_format)
    buf.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no widening warning
        loaded = al.load(buf)
    theirs = _checkpoint(torch)
    for k in (theirs if zip_format else ("b", "p", "d")):     # torch's legacy format has no uint16/32/64
        _same(loaded[k], theirs[k])


@pytest.mark.parametrize("fmt", ["torch", "autograd_lite"])
def test_saved_bfloat16_loads_as_bfloat16(fmt):
    buf = io.BytesIO()
    al.save(_checkpoint(al), buf, format=fmt)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=True) if fmt == "torch" else al.load(buf)
    for k, v in _checkpoint(torch).items():
        _same(loaded[k], v) if fmt == "torch" else _same(loaded[k], v)


def test_safetensors_bfloat16_both_ways(tmp_path):
    st = pytest.importorskip("safetensors.torch")
    from autograd_lite.utils import safetensors as ours
    src = {k: v for k, v in _checkpoint(torch).items() if k != "d"}
    src["p"] = src["p"].detach()
    st.save_file(src, tmp_path / "t.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for loaded in (ours.load_file(tmp_path / "t.safetensors"), ours.load(st.save(src))):
            for k, v in src.items():
                _same(loaded[k], v)
    loaded["b"].add_(1)                         # writable
    ours.save_file(loaded, tmp_path / "o.safetensors")
    back = st.load_file(tmp_path / "o.safetensors")
    assert back["b"].dtype == torch.bfloat16 and torch.equal(back["b"], src["b"] + 1)
    assert back["u64"].dtype == torch.uint64 and torch.equal(back["u64"], src["u64"])


# ---- devices and the optional package -----------------------------------------------------------------------------

def test_bfloat16_refused_on_cuda_at_once(gpu):
    x = al.ones(2, dtype=al.bfloat16)
    for make in (lambda: x.to(gpu), lambda: x.cuda(), lambda: al.zeros(2, dtype=al.bfloat16, device=gpu),
                 lambda: al.tensor([1.5], dtype=al.bfloat16, device=gpu), lambda: x.to(gpu, al.bfloat16)):
        with pytest.raises(TypeError, match="bfloat16 tensors cannot be on device 'cuda.*CuPy has no bfloat16"):
            make()
    assert x.float().to(gpu).to(al.float16).dtype is al.float16         # other dtypes move as before
    m = al.nn.Linear(2, 2).bfloat16()
    with pytest.raises(TypeError, match="bfloat16 tensors cannot be on device 'cuda"):
        m.to(gpu)


_WITHOUT_ML_DTYPES = """
import io, sys, warnings
sys.modules["ml_dtypes"] = None                 # as if it were not installed
import autograd_lite as al
assert al.bfloat16.is_floating_point and al.finfo(al.bfloat16).eps == 2 ** -7
assert al.promote_types(al.bfloat16, al.float16) is al.float32
assert al.get_autocast_dtype("cpu") is al.float16
for make in (lambda: al.tensor([1.0], dtype=al.bfloat16), lambda: al.ones(2).bfloat16(),
             lambda: al.zeros(2, dtype="bfloat16")):
    try:
        make()
    except ModuleNotFoundError as e:
        assert "\\n" not in str(e) and "pip install ml_dtypes" in str(e) and e.__cause__ is None, e
    else:
        raise AssertionError("no error")
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    t = al.load(io.BytesIO(bytes.fromhex(sys.argv[1])))
assert t.dtype is al.float32 and t.tolist() == [1.5, -2.25], t
assert any("loaded as float32" in str(x.message) and "ml_dtypes" in str(x.message) for x in w), w
print("ok")
"""


def test_without_ml_dtypes_one_clear_line():
    buf = io.BytesIO()
    torch.save(torch.tensor([1.5, -2.25], dtype=torch.bfloat16), buf)
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(_WITHOUT_ML_DTYPES), buf.getvalue().hex()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


# ---- uint16, uint32, uint64: torch 2.13's "limited support" ---------------------------------------------------------

def _uint_cases(L, dt):
    a, b = L.tensor([1, 2, 3], dtype=dt), L.tensor([3, 1, 2], dtype=dt)
    return {
        "mul": lambda: a * b, "mul_scalar": lambda: a * 3, "add_float": lambda: a + 1.5, "div": lambda: a / b,
        "eq": lambda: a == b, "ne_scalar": lambda: a != 1, "and": lambda: a & b, "or": lambda: a | b,
        "xor": lambda: a ^ b, "sum": lambda: a.sum(), "sum_dim": lambda: a[None].sum(1), "prod": lambda: a.prod(),
        "cumsum": lambda: a.cumsum(0), "mean": lambda: a.mean(), "sort": lambda: a.sort(), "argsort": lambda: a.argsort(),
        "msort": lambda: L.msort(a), "unique": lambda: L.unique(a), "cat": lambda: L.cat([a, b]),
        "stack": lambda: L.stack([a, b]), "index": lambda: a[1:], "index_tensor": lambda: a[L.tensor([0, 2])],
        "where": lambda: L.where(L.tensor([True, False, True]), a, b), "clone": lambda: a.clone(),
        "reshape": lambda: a.reshape(3, 1), "t": lambda: a[None].t(), "expand": lambda: a[None].expand(2, 3),
        "contiguous": lambda: a[None].expand(2, 3).contiguous(), "roll": lambda: a.roll(1), "repeat": lambda: a.repeat(2),
        "fill_": lambda: a.clone().fill_(4), "zero_": lambda: a.clone().zero_(), "copy_": lambda: a.clone().copy_(b),
        "setitem": lambda: (lambda c: (c.__setitem__(0, 9), c)[1])(a.clone()), "any": lambda: a.any(),
        "all": lambda: a.all(), "sqrt": lambda: a.sqrt(), "exp": lambda: a.exp(), "float": lambda: a.float(),
        "bfloat16": lambda: a.bfloat16(), "bool": lambda: a.bool(), "long": lambda: a.long(),
        "from_float": lambda: L.tensor([1.7, 70000.0]).to(dt), "from_long": lambda: L.tensor([70000, 5]).to(dt),
        "mul_long": lambda: a * L.tensor([1, 2, 3]), "mul_float": lambda: a * L.tensor([1.0, 2.0, 3.0]),
        "zeros_like": lambda: L.zeros_like(a), "tolist": lambda: a.tolist(), "item": lambda: a[0].item(),
        "element_size": lambda: a.element_size(), "is_signed": lambda: a.is_signed(),
        "is_floating_point": lambda: a.is_floating_point(), "numpy": lambda: a.numpy().dtype.name,
    }


@pytest.mark.parametrize("dt", ["uint16", "uint32", "uint64"])
def test_uint_ops_torch_supports(dt):
    """What torch 2.13 does with these dtypes, ours does (values, dtypes, errors). Where torch has no kernel (add,
    sub, comparisons other than ==/!=, min/max, abs, neg, shifts, flip, arange, clamp, matmul, argmax, gather...),
    ours computes with NumPy's unsigned arithmetic (wrap-around) rather than refusing."""
    theirs, ours = _uint_cases(torch, getattr(torch, dt)), _uint_cases(al, getattr(al, dt))
    for name in theirs:
        outcome = []
        for cases in (theirs, ours):
            try:
                outcome.append(_repr(cases[name]()).replace("torch.return_types.", ""))
            except Exception as e:  # noqa: BLE001  (the outcome compared)
                outcome.append(f"{type(e).__name__}: {str(e).replace('autograd_lite', 'torch')}")
        assert outcome[1] == outcome[0], (dt, name)


def test_bfloat16_training_loop_as_torch():
    """model.bfloat16(), cross-entropy, clip_grad_norm_, Adam: five steps, the same as torch's at bfloat16 tolerance."""
    outs = []
    for L in (torch, al):
        m = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), L.nn.Linear(8, 3))
        with L.no_grad():
            for i, p in enumerate(m.parameters()):
                p.copy_(L.tensor(np.linspace(-1, 1, p.numel(), dtype=np.float32).reshape(tuple(p.shape)) * (i + 1) / 3))
        m.bfloat16()
        opt = L.optim.Adam(m.parameters(), lr=0.01)
        x, y = L.tensor(np.linspace(-2, 2, 20, dtype=np.float32).reshape(5, 4)).bfloat16(), L.tensor([0, 1, 2, 1, 0])
        for _ in range(5):
            opt.zero_grad()
            loss = L.nn.functional.cross_entropy(m(x), y)
            loss.backward()
            norm = L.nn.utils.clip_grad_norm_(m.parameters(), 0.5)
            opt.step()
        outs.append([loss, norm] + list(m.parameters()))
    for ours, theirs in zip(outs[1], outs[0]):
        _close(ours, theirs)
