"""Pooling against PyTorch: max/avg pooling in 1-D and 2-D and adaptive pooling, forward, backward and second order
(op_helpers.check_op), on the CPU and the stand-in CUDA device (the CUDA kernels on emulated CuPy); gradcheck and
gradgradcheck; indices; the modules and their reprs; the errors in PyTorch's words; the CPU kernels' paths."""
import numpy as np
import pytest

import autograd_lite as al
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.kernels.cpu import _jit, pooling as cpu_pooling
from autograd_lite.ops._util import kernels_of
from op_helpers import check_op, functional, random_inputs

torch = pytest.importorskip("torch")


def _t(x):
    """A non-contiguous view with the same values layout-wise: H and W swapped twice through a transposed copy."""
    return x.transpose(-1, -2)


# (id, fn(lib, x), input shape): fn runs in torch and in autograd_lite
CASES = [
    ("max2d-k2", lambda L, x: functional(L).max_pool2d(x, 2), (2, 3, 8, 8)),
    ("max2d-k2-odd", lambda L, x: functional(L).max_pool2d(x, 2), (2, 2, 7, 9)),
    ("max2d-k3s2p1", lambda L, x: functional(L).max_pool2d(x, 3, 2, 1), (2, 3, 9, 9)),
    ("max2d-dilation", lambda L, x: functional(L).max_pool2d(x, 3, 1, 1, 2), (1, 2, 9, 10)),
    ("max2d-rect", lambda L, x: functional(L).max_pool2d(x, (2, 3), (1, 2), (1, 1)), (2, 2, 7, 8)),
    ("max2d-ceil", lambda L, x: functional(L).max_pool2d(x, 3, 2, ceil_mode=True), (1, 2, 8, 8)),
    ("max2d-ceil-pad", lambda L, x: functional(L).max_pool2d(x, 2, 2, 1, ceil_mode=True), (1, 2, 7, 6)),
    ("max2d-indices", lambda L, x: functional(L).max_pool2d(x, 3, 2, 1, return_indices=True), (2, 2, 7, 7)),
    ("max2d-indices-dil", lambda L, x: functional(L).max_pool2d(x, 2, 1, 1, 2, True, True), (1, 2, 6, 7)),
    ("max2d-with-indices", lambda L, x: functional(L).max_pool2d_with_indices(x, 2), (1, 2, 6, 6)),
    ("max2d-unbatched", lambda L, x: functional(L).max_pool2d(x, 2), (3, 8, 6)),
    ("max2d-noncontig", lambda L, x: functional(L).max_pool2d(_t(x), 3, 2, 1), (2, 2, 6, 9)),
    ("max2d-top", lambda L, x: L.max_pool2d(x, 2, 1), (1, 2, 5, 5)),
    ("max2d-empty-batch", lambda L, x: functional(L).max_pool2d(x, 2), (0, 2, 4, 4)),
    ("max1d-k2", lambda L, x: functional(L).max_pool1d(x, 2), (2, 3, 9)),
    ("max1d-k3s2p1-ceil", lambda L, x: functional(L).max_pool1d(x, 3, 2, 1, ceil_mode=True), (2, 3, 10)),
    ("max1d-dilation", lambda L, x: functional(L).max_pool1d(x, 2, 1, 1, 3), (2, 2, 9)),
    ("max1d-indices", lambda L, x: functional(L).max_pool1d(x, 3, 2, 1, return_indices=True), (2, 2, 9)),
    ("max1d-unbatched", lambda L, x: functional(L).max_pool1d(x, 3), (3, 10)),
    ("max1d-top-indices", lambda L, x: L.max_pool1d_with_indices(x, 2), (2, 2, 8)),
    ("max1d-noncontig", lambda L, x: functional(L).max_pool1d(x.transpose(1, 2), 2), (2, 8, 3)),
    ("avg2d-k2", lambda L, x: functional(L).avg_pool2d(x, 2), (2, 3, 8, 8)),
    ("avg2d-k3s2p1", lambda L, x: functional(L).avg_pool2d(x, 3, 2, 1), (2, 2, 9, 9)),
    ("avg2d-nopad-count", lambda L, x: functional(L).avg_pool2d(x, 3, 2, 1, count_include_pad=False), (2, 2, 9, 8)),
    ("avg2d-ceil", lambda L, x: functional(L).avg_pool2d(x, 3, 2, 1, True), (1, 2, 8, 8)),
    ("avg2d-ceil-nocount", lambda L, x: functional(L).avg_pool2d(x, 3, 2, 1, True, False), (1, 2, 8, 7)),
    ("avg2d-divisor", lambda L, x: functional(L).avg_pool2d(x, 3, 2, 1, divisor_override=5), (1, 2, 7, 7)),
    ("avg2d-rect", lambda L, x: functional(L).avg_pool2d(x, (2, 3), (1, 2), (1, 1)), (2, 2, 7, 8)),
    ("avg2d-overlap", lambda L, x: functional(L).avg_pool2d(x, 3, 1), (1, 2, 6, 6)),
    ("avg2d-unbatched", lambda L, x: functional(L).avg_pool2d(x, 2), (3, 6, 8)),
    ("avg2d-noncontig", lambda L, x: functional(L).avg_pool2d(_t(x), 2), (2, 2, 6, 8)),
    ("avg1d-k3s1p1", lambda L, x: functional(L).avg_pool1d(x, 3, 1, 1), (2, 3, 9)),
    ("avg1d-nocount-ceil", lambda L, x: functional(L).avg_pool1d(x, 3, 2, 1, True, False), (2, 3, 10)),
    ("avg1d-unbatched", lambda L, x: functional(L).avg_pool1d(x, 2), (3, 9)),
    ("avg1d-top", lambda L, x: L.avg_pool1d(x, 4, 3), (2, 2, 11)),
    ("aavg2d-nondividing", lambda L, x: functional(L).adaptive_avg_pool2d(x, (3, 4)), (2, 3, 7, 9)),
    ("aavg2d-global", lambda L, x: functional(L).adaptive_avg_pool2d(x, 1), (2, 3, 5, 5)),
    ("aavg2d-none", lambda L, x: functional(L).adaptive_avg_pool2d(x, (None, 2)), (2, 2, 5, 7)),
    ("aavg2d-larger", lambda L, x: functional(L).adaptive_avg_pool2d(x, (6, 5)), (1, 2, 4, 3)),
    ("aavg2d-unbatched", lambda L, x: functional(L).adaptive_avg_pool2d(x, 3), (2, 7, 8)),
    ("aavg2d-noncontig", lambda L, x: functional(L).adaptive_avg_pool2d(_t(x), (2, 3)), (2, 2, 7, 5)),
    ("amax2d-nondividing", lambda L, x: functional(L).adaptive_max_pool2d(x, (3, 4)), (2, 3, 7, 9)),
    ("amax2d-indices", lambda L, x: functional(L).adaptive_max_pool2d(x, (2, 3), True), (2, 2, 5, 7)),
    ("amax2d-larger", lambda L, x: functional(L).adaptive_max_pool2d(x, 5), (1, 2, 3, 4)),
    ("amax2d-unbatched", lambda L, x: functional(L).adaptive_max_pool2d(x, (None, 3)), (2, 6, 7)),
    ("amax2d-with-indices", lambda L, x: functional(L).adaptive_max_pool2d_with_indices(x, 2), (1, 2, 5, 5)),
    ("aavg1d", lambda L, x: functional(L).adaptive_avg_pool1d(x, 4), (2, 3, 10)),
    ("aavg1d-unbatched-top", lambda L, x: L.adaptive_avg_pool1d(x, 3), (3, 8)),
    ("amax1d", lambda L, x: functional(L).adaptive_max_pool1d(x, 4), (2, 3, 10)),
    ("amax1d-indices", lambda L, x: functional(L).adaptive_max_pool1d(x, 3, return_indices=True), (2, 2, 7)),
    ("amax1d-top", lambda L, x: L.adaptive_max_pool1d(x, 3), (2, 7)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fn, shape", [pytest.param(f, s, id=i) for i, f, s in CASES])
def test_against_torch(fn, shape, dtype, device):
    """Outputs (values, shapes, dtypes, int64 indices), gradients, and second derivatives (float64)."""
    check_op(fn, [shape], dtype=dtype, device=device, second=dtype == "float64")


SMALL = [
    pytest.param(lambda x: F.max_pool2d(x, 3, 2, 1), (1, 2, 5, 5), id="max2d"),
    pytest.param(lambda x: F.max_pool2d(x, 2, 1, 1, 2, ceil_mode=True), (1, 2, 5, 4), id="max2d-dil-ceil"),
    pytest.param(lambda x: F.max_pool1d(x, 3, 1, 1), (2, 1, 6), id="max1d"),
    pytest.param(lambda x: F.avg_pool2d(x, 3, 2, 1, True, False), (1, 2, 5, 5), id="avg2d"),
    pytest.param(lambda x: F.avg_pool2d(x, 2, 1, divisor_override=3), (1, 1, 4, 4), id="avg2d-divisor"),
    pytest.param(lambda x: F.avg_pool1d(x, 3, 2, 1), (2, 1, 7), id="avg1d"),
    pytest.param(lambda x: F.adaptive_avg_pool2d(x, (2, 3)), (1, 2, 5, 4), id="aavg2d"),
    pytest.param(lambda x: F.adaptive_max_pool2d(x, (3, 2)), (1, 2, 5, 4), id="amax2d"),
    pytest.param(lambda x: F.adaptive_max_pool1d(x, 3), (2, 1, 7), id="amax1d"),
    pytest.param(lambda x: F.max_pool2d(x, 2).sin() * F.avg_pool2d(x, 2), (1, 1, 4, 4), id="max-times-avg"),
]


@pytest.mark.parametrize("fn, shape", SMALL)
def test_gradcheck_and_gradgradcheck(fn, shape, device):
    x = al.tensor(random_inputs([shape], "float64")[0], requires_grad=True, device=device)
    assert al.autograd.gradcheck(fn, (x,))
    assert al.autograd.gradgradcheck(fn, (x,))


def test_double_backward_through_the_gradient_matches_torch():
    """d/dv of <grad_x(<pool(x), v>), u>: max pool's backward differentiated in its gradient (the gather)."""
    x0, v0, u0 = random_inputs([(2, 2, 6, 6), (2, 2, 3, 3), (2, 2, 6, 6)], "float64")
    res = []
    for lib in (torch, al):
        fn = functional(lib)
        x, v = lib.tensor(x0, requires_grad=True), lib.tensor(v0, requires_grad=True)
        for pool in (lambda a: fn.max_pool2d(a, 2), lambda a: fn.avg_pool2d(a, 3, 1, 1)[..., ::2, ::2],
                     lambda a: fn.adaptive_max_pool2d(a, 3)):
            gx, = lib.autograd.grad((pool(x) * v).sum(), x, create_graph=True)
            gv, = lib.autograd.grad((gx * lib.tensor(u0)).sum(), v)
            res.append(gv.detach().numpy())
    n = len(res) // 2
    for a, b in zip(res[n:], res[:n]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_ties_nan_and_inf_pick_the_same_index_as_torch():
    x = np.zeros((1, 2, 6, 6), np.float32)
    x[0, 1] = -np.inf
    x[0, 0, 1, 1] = np.nan
    x[0, 0, 3, 3:5] = np.nan
    x[0, 1, 4, 4] = 1.0
    for args in [(2,), (3, 2, 1), (3, 1, 1, 2)]:
        t = torch.nn.functional.max_pool2d(torch.tensor(x), *args, return_indices=True)
        a = F.max_pool2d(al.tensor(x), *args, return_indices=True)
        np.testing.assert_array_equal(a[0].numpy(), t[0].numpy())
        np.testing.assert_array_equal(a[1].numpy(), t[1].numpy())
    t = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), (4, 4), return_indices=True)
    a = F.adaptive_max_pool2d(al.tensor(x), (4, 4), return_indices=True)
    np.testing.assert_array_equal(a[0].numpy(), t[0].numpy())
    np.testing.assert_array_equal(a[1].numpy(), t[1].numpy())


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
def test_integer_inputs(dtype):
    """As PyTorch: max pooling takes every integer type, avg pooling int64 only (truncating), max_pool1d none."""
    x = (np.arange(81) * 7 % 83 - (0 if dtype == "uint8" else 40)).astype(dtype).reshape(1, 9, 9)[:, :8, :8].copy()
    for name, args in [("max_pool2d", (3, 2, 1)), ("avg_pool2d", (3, 1, 1)), ("avg_pool2d", (2,)),
                       ("max_pool1d", (2,)), ("avg_pool1d", (3,))]:
        try:
            t = getattr(torch.nn.functional, name)(torch.tensor(x), *args)
        except NotImplementedError as e:
            with pytest.raises(NotImplementedError, match=str(e)):
                getattr(F, name)(al.tensor(x), *args)
            continue
        a = getattr(F, name)(al.tensor(x), *args)
        assert a.dtype == getattr(al, dtype)
        np.testing.assert_array_equal(a.numpy(), t.numpy())


def test_float16_goes_through_float32():
    x = random_inputs([(2, 2, 6, 6)], "float32")[0].astype(np.float16)
    for name, args in [("max_pool2d", (2,)), ("avg_pool2d", (3, 1, 1)), ("adaptive_avg_pool2d", (4,))]:
        t = getattr(torch.nn.functional, name)(torch.tensor(x), *args)
        a = getattr(F, name)(al.tensor(x), *args)
        assert a.dtype == al.float16
        np.testing.assert_allclose(a.numpy().astype(np.float32), t.numpy().astype(np.float32), rtol=2e-3, atol=2e-3)


def test_grad_fn_names():
    x = al.randn(1, 1, 4, 4, requires_grad=True)
    assert F.max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert F.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert F.adaptive_max_pool2d(x, 2).grad_fn.name() == "AdaptiveMaxPool2DBackward0"


# ---- modules -------------------------------------------------------------------------------------------------------

MODULES = [
    ("MaxPool2d", (2,), {}), ("MaxPool2d", (3, 2, 1), {}), ("MaxPool2d", ((2, 3),), {"ceil_mode": True}),
    ("MaxPool2d", (3,), {"dilation": 2, "return_indices": True}), ("MaxPool1d", (3,), {"ceil_mode": True}),
    ("MaxPool1d", (2, 1, 1), {"return_indices": True}), ("AvgPool2d", (2,), {}),
    ("AvgPool2d", (3, 2, 1), {"count_include_pad": False, "divisor_override": 4}), ("AvgPool1d", (3, 1, 1), {}),
    ("AvgPool1d", (2,), {"ceil_mode": True}), ("AdaptiveAvgPool2d", ((1, 1),), {}),
    ("AdaptiveAvgPool2d", ((None, 3),), {}), ("AdaptiveAvgPool1d", (3,), {}), ("AdaptiveMaxPool2d", (3,), {}),
    ("AdaptiveMaxPool2d", ((2, 3), True), {}), ("AdaptiveMaxPool1d", (4,), {"return_indices": True}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES, ids=[f"{m[0]}{i}" for i, m in enumerate(MODULES)])
def test_modules_match_torch(name, args, kwargs):
    ours, ref = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(ref)
    shape = (2, 3, 9) if name.endswith("1d") else (2, 3, 9, 8)
    x = random_inputs([shape])[0]
    a, t = ours(al.tensor(x)), ref(torch.tensor(x))
    a, t = (a, t) if isinstance(t, tuple) else ((a,), (t,))
    assert len(a) == len(t)
    for u, v in zip(a, t):
        assert str(u.dtype).split(".")[-1] == str(v.dtype).split(".")[-1]
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-6, atol=1e-6)


def test_modules_in_a_cnn_train():
    model = nn.Sequential(nn.MaxPool2d(2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    x = al.randn(4, 3, 8, 8, requires_grad=True)
    model(x).sum().backward()
    assert x.grad.shape == (4, 3, 8, 8) and x.grad.dtype == al.float32


# ---- errors, as PyTorch words them ---------------------------------------------------------------------------------

def _e(name, shape, *args, **kwargs):
    return pytest.param(name, shape, args, kwargs, id=f"{name}{shape}{args}{kwargs}".replace(" ", ""))


ERRORS = [
    _e("max_pool2d", (2, 3, 8, 8), 3, 1, 2), _e("max_pool2d", (2, 3, 8, 8), (3, 5), 1, (1, 3)),
    _e("max_pool2d", (2, 3, 8, 8), 3, 1, 4, 3), _e("max_pool2d", (2, 3, 8, 8), 3, 1, 2, 2),
    _e("max_pool2d", (1, 2, 2), 3), _e("max_pool2d", (2, 1, 2, 2), 3),
    _e("max_pool2d", (1, 2, 2), 3, return_indices=True), _e("max_pool2d", (2, 2), 2), _e("max_pool2d", (8,), 2),
    _e("max_pool2d", (1, 2, 3, 4, 5), 2), _e("max_pool2d", (2, 2, 4, 0), 2), _e("max_pool2d", (0, 4, 4), 2),
    _e("max_pool2d", (2, 0, 4, 4), 2), _e("max_pool2d", (2, 3, 8, 8), 0), _e("max_pool2d", (2, 3, 8, 8), -1),
    _e("max_pool2d", (2, 3, 8, 8), 2, -1), _e("max_pool2d", (2, 3, 8, 8), 2, 2, -1),
    _e("max_pool2d", (2, 3, 8, 8), 2, 2, 0, -1), _e("max_pool2d", (2, 3, 8, 8), 2, 2, 0, 0),
    _e("max_pool2d", (2, 3, 8, 8), (2, 2, 2)), _e("max_pool2d", (2, 3, 8, 8), 2, (1, 1, 1)),
    _e("max_pool2d", (2, 3, 8, 8), 2, 2, (0, 0, 0)), _e("max_pool2d", (2, 3, 8, 8), 2, 2, 0, (1, 1, 1)),
    _e("max_pool2d", (2, 3, 8, 8), 2, 2.5),
    _e("max_pool1d", (3, 8), 0), _e("max_pool1d", (3, 8), 2, 0), _e("max_pool1d", (3, 8), 2, 2, -1),
    _e("max_pool1d", (3, 8), 2, 2, 0, 0), _e("max_pool1d", (3, 8), 3, 1, 2), _e("max_pool1d", (8,), 2),
    _e("max_pool1d", (1, 2, 3, 4), 2), _e("max_pool1d", (1, 2, 2), 3), _e("max_pool1d", (2, 0, 4), 2),
    _e("max_pool1d", (2, 4, 0), 2), _e("max_pool1d", (3, 8), (2, 2)),
    _e("max_pool1d", (2, 2), 3, return_indices=True), _e("max_pool1d", (2, 8), 2, 2, 0, 0, return_indices=True),
    _e("max_pool1d", (2, 8), 3, 1, 2, return_indices=True), _e("max_pool1d", (2, 2, 2, 2), 2, return_indices=True),
    _e("avg_pool2d", (2, 3, 8, 8), 0), _e("avg_pool2d", (2, 3, 8, 8), 2, 0), _e("avg_pool2d", (2, 3, 8, 8), 2, 2, -1),
    _e("avg_pool2d", (2, 3, 8, 8), 3, 1, 2), _e("avg_pool2d", (2, 3, 8, 8), -1, 1), _e("avg_pool2d", (2, 2), 2),
    _e("avg_pool2d", (8,), 2), _e("avg_pool2d", (1, 2, 3, 4, 5), 2), _e("avg_pool2d", (1, 2, 2), 3),
    _e("avg_pool2d", (2, 0, 4, 4), 2), _e("avg_pool2d", (2, 3, 8, 8), (2, 2, 2)),
    _e("avg_pool2d", (2, 3, 8, 8), 2, 2, 0, False, True, 0),
    _e("avg_pool1d", (3, 8), 0), _e("avg_pool1d", (3, 8), 3, 1, 2), _e("avg_pool1d", (8,), 2),
    _e("avg_pool1d", (1, 2, 3, 4), 2), _e("avg_pool1d", (1, 2, 2), 3), _e("avg_pool1d", (2, 0, 4), 2),
    _e("avg_pool1d", (3, 8), (2, 2)), _e("avg_pool1d", (3, 8), 2, (2, 2)), _e("avg_pool1d", (3, 8), -1),
    _e("adaptive_avg_pool2d", (2, 3, 8, 8), -1), _e("adaptive_avg_pool2d", (2, 3, 8, 8), (2, -1)),
    _e("adaptive_avg_pool2d", (2, 2), 2), _e("adaptive_avg_pool2d", (2, 2, 0, 4), 2),
    _e("adaptive_max_pool2d", (2, 3, 8, 8), -1), _e("adaptive_max_pool2d", (2, 2), 2),
    _e("adaptive_max_pool2d", (2, 0, 4, 4), 2), _e("adaptive_max_pool2d", (2, 2, 0, 4), 2),
    _e("adaptive_avg_pool1d", (3, 8), -1), _e("adaptive_avg_pool1d", (3, 8), (2, 2)),
    _e("adaptive_avg_pool1d", (8,), 2), _e("adaptive_avg_pool1d", (2, 4, 0), 2),
    _e("adaptive_max_pool1d", (3, 8), -1), _e("adaptive_max_pool1d", (3, 8), (2, 2)),
    _e("adaptive_max_pool1d", (8,), 2), _e("adaptive_max_pool1d", (2, 0, 4), 2), _e("adaptive_max_pool1d", (2, 4, 0), 2),
]


@pytest.mark.parametrize("name, shape, args, kwargs", ERRORS)
def test_errors_as_torch(name, shape, args, kwargs):
    x = np.ones(shape, np.float32)
    with pytest.raises(Exception) as ref:
        getattr(torch.nn.functional, name)(torch.tensor(x), *args, **kwargs)
    with pytest.raises(type(ref.value)) as ours:
        getattr(F, name)(al.tensor(x), *args, **kwargs)
    assert str(ours.value) == str(ref.value)


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_dtype_errors_as_torch(name):
    for x in (np.ones((1, 4, 4), bool), np.ones((1, 4, 4), np.int64)):
        try:
            getattr(torch.nn.functional, name)(torch.tensor(x), 2)
        except NotImplementedError as e:
            with pytest.raises(NotImplementedError, match=str(e)):
                getattr(F, name)(al.tensor(x), 2)


# ---- the CPU kernels' paths ----------------------------------------------------------------------------------------

def _tricky(shape, seed=0):
    """Small integers (many ties; sums exact in any order) with NaNs, infs and -infs: the paths must agree exactly."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, shape).astype(np.float64)
    flat = x.reshape(-1)
    for v, share in ((np.nan, 0.02), (-np.inf, 0.05), (np.inf, 0.01)):
        flat[rng.random(flat.size) < share] = v
    return x


def _general_max(x, kernel, stride, padding, dilation, out):
    """The general kernel's (values, argmax), the reference of every fast path."""
    hs, he = cpu_pooling.max_windows(x.shape[-2], out[0], kernel[0], stride[0], padding[0], dilation[0])
    ws, we = cpu_pooling.max_windows(x.shape[-1], out[1], kernel[1], stride[1], padding[1], dilation[1])
    return cpu_pooling._max_forward("t", x, hs, he, ws, we, dilation[0], dilation[1])


MAX_GEOMETRIES = [((2, 2), (2, 2), (0, 0), False), ((3, 3), (2, 2), (1, 1), False), ((3, 3), (2, 2), (1, 1), True),
                  ((3, 3), (1, 1), (1, 1), False), ((2, 3), (1, 2), (1, 1), False), ((4, 5), (3, 2), (2, 1), True),
                  ((1, 3), (1, 3), (0, 1), True), ((2, 2), (2, 2), (1, 0), True), ((5, 4), (4, 3), (2, 2), False)]


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_row_kernels_equal_the_general_kernel(parallel, dtype):
    """The dilation-1 paths (_max_rows with and without the argmax, kernel-2 stride-2 loops) give the general
    kernel's values and indices, ties, NaNs and infinities included; and the backward of both agrees."""
    with _jit.forced(parallel):
        for shape in [(3, 4, 11, 12), (2, 3, 10, 7), (1, 2, 1, 9)]:
            x = _tricky(shape).astype(dtype)
            for kernel, stride, padding, ceil in MAX_GEOMETRIES:
                if shape[-2] == 1 and kernel[0] > 1:
                    continue
                out = tuple(al.ops.pooling.out_length(shape[-2 + i], kernel[i], padding[i], stride[i], 1, ceil)
                            for i in (0, 1))
                ref = _general_max(x, kernel, stride, padding, (1, 1), out)
                y, idx = cpu_pooling.max_pool2d_forward(x, kernel, stride, padding, (1, 1), out)
                values, none = cpu_pooling.max_pool2d_forward(x, kernel, stride, padding, (1, 1), out, False)
                assert none is None and idx.dtype == ref[1].dtype
                np.testing.assert_array_equal(y, ref[0])
                np.testing.assert_array_equal(idx, ref[1])
                np.testing.assert_array_equal(values, ref[0])
                g = random_inputs([y.shape], dtype, seed=3)[0]
                np.testing.assert_array_equal(
                    cpu_pooling.max_pool2d_backward(g, idx, shape[-2:], kernel, stride, padding, (1, 1)),
                    cpu_pooling._max_backward("t", g, ref[1], shape[-2:]))


def _add_at(g, idx, in_size):
    """The max pool's backward as np.add.at (unbuffered, in output order): g added at each flat argmax."""
    planes = g.reshape(-1, g.shape[-2] * g.shape[-1])
    out = np.zeros((planes.shape[0], in_size[0] * in_size[1]), g.dtype)
    for p, (gp, ip) in enumerate(zip(planes, idx.reshape(planes.shape))):
        np.add.at(out[p], ip, gp)
    return out.reshape(g.shape[:-2] + tuple(in_size))


# (input shape, kernel, stride, padding, dilation, ceil_mode); (2, 9) with kernel 2 dilation 3 pad 1: windows with no
# tap inside (their argmax a clipped first tap)
SCATTER_GEOMETRIES = [((2, 3, 11, 12), (3, 3), (2, 2), (1, 1), (1, 1), False),
                      ((2, 3, 11, 12), (3, 3), (2, 2), (1, 1), (1, 1), True),
                      ((1, 2, 10, 7), (3, 2), (1, 3), (1, 0), (2, 1), True),
                      ((2, 2, 9, 8), (2, 2), (3, 2), (0, 1), (3, 2), False),
                      ((1, 3, 2, 9), (2, 3), (1, 2), (1, 1), (3, 2), False),
                      ((3, 1, 5, 5), (5, 5), (1, 1), (2, 2), (1, 1), False)]


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_backward_scatter_equals_add_at(parallel, dtype):
    """The max pools' backward (a plane's rows zeroed just before the output row that first reaches them) against
    np.add.at at the forward's argmax, exactly (ties: several outputs at one input, sums in output order); overlapping,
    dilated, padded, ceil-mode and empty windows, the adaptive pool; the result is a new array, not a view."""
    with _jit.forced(parallel):
        for shape, kernel, stride, padding, dilation, ceil in SCATTER_GEOMETRIES:
            x = _tricky(shape, seed=2).astype(dtype)
            out = tuple(al.ops.pooling.out_length(shape[-2 + i], kernel[i], padding[i], stride[i], dilation[i], ceil)
                        for i in (0, 1))
            y, idx = cpu_pooling.max_pool2d_forward(x, kernel, stride, padding, dilation, out)
            g = np.random.default_rng(3).standard_normal(y.shape).astype(dtype)
            dx = cpu_pooling.max_pool2d_backward(g, idx, shape[-2:], kernel, stride, padding, dilation)
            assert dx.dtype == x.dtype and dx.shape == x.shape and dx.base is None
            np.testing.assert_array_equal(dx, _add_at(g, idx, shape[-2:]))
            # the kernel itself into NaNs: every row zeroed (a fresh array may be zeros already)
            rows = cpu_pooling.max_windows(shape[-2], out[0], kernel[0], stride[0], padding[0], dilation[0])
            planes = np.full((shape[0] * shape[1],) + shape[-2:], np.nan, dtype)
            cpu_pooling._scatter(g.reshape(-1, *out), idx.reshape(-1, *out), cpu_pooling._reach(*rows, shape[-2]),
                                 planes)
            np.testing.assert_array_equal(planes.reshape(shape), dx)
        x = _tricky((2, 3, 7, 10), seed=4).astype(dtype)
        for out in [(3, 4), (7, 10), (1, 1), (5, 3)]:
            y, idx = cpu_pooling.adaptive_max_pool2d_forward(x, out)
            g = np.random.default_rng(5).standard_normal(y.shape).astype(dtype)
            dx = cpu_pooling.adaptive_max_pool2d_backward(g, idx, x.shape[-2:])
            assert dx.base is None
            np.testing.assert_array_equal(dx, _add_at(g, idx, x.shape[-2:]))
            assert cpu_pooling.adaptive_avg_pool2d_backward(g, x.shape[-2:]).base is None
    for kernel, out in [(2, (3, 5)), (3, (3, 4))]:     # the average pools' backward: new arrays too (both paths)
        g = np.ones((2, 3) + out, dtype)
        dx = cpu_pooling.avg_pool2d_backward(g, (7, 10), (kernel,) * 2, (2, 2), (0, 0), True, None)
        assert dx.base is None and dx.shape == (2, 3, 7, 10)


@pytest.mark.parametrize("parallel", [False, True])
def test_average_fast_paths_equal_the_general_kernels(parallel):
    """avg pool kernel 2 stride 2 (odd sizes: the last row and column get no gradient) and the global average
    pool (a mean per plane, its backward a broadcast) against _avg_fwd/_avg_bwd; sums exact in any order."""
    with _jit.forced(parallel):
        for shape in [(2, 3, 8, 10), (2, 3, 7, 9)]:
            x = np.random.default_rng(1).integers(-8, 9, shape).astype(np.float32) / 4
            out = (shape[2] // 2, shape[3] // 2)
            g = np.random.default_rng(2).integers(-8, 9, (2, 3) + out).astype(np.float32)
            for divisor in (None, 3):
                hs, he, ws, we, div = cpu_pooling._avg_setup(shape[2:], out, (2, 2), (2, 2), (0, 0), True, divisor,
                                                             np.float32)
                ref = np.empty((6,) + out, np.float32)
                cpu_pooling._avg_fwd(x.reshape(6, *shape[2:]), hs, he, ws, we, div, ref)
                np.testing.assert_array_equal(
                    cpu_pooling.avg_pool2d_forward(x, (2, 2), (2, 2), (0, 0), out, True, divisor), ref.reshape(g.shape))
                ref = np.zeros((6,) + shape[2:], np.float32)
                cpu_pooling._avg_bwd(g.reshape(6, *out), hs, he, ws, we, div, ref)
                np.testing.assert_array_equal(
                    cpu_pooling.avg_pool2d_backward(g, shape[2:], (2, 2), (2, 2), (0, 0), True, divisor),
                    ref.reshape(shape))
        for shape in [(2, 3, 8, 4), (2, 3, 1, 16), (2, 3, 7, 9)]:     # H * W a power of 2: divisions exact too
            same = np.testing.assert_array_equal if shape[-1] != 9 else (
                lambda a, b: np.testing.assert_allclose(a, b, rtol=2e-7, atol=0))
            x = np.random.default_rng(1).integers(-8, 9, shape).astype(np.float32) / 4
            g = np.random.default_rng(2).integers(-8, 9, (2, 3, 1, 1)).astype(np.float32)
            setup = cpu_pooling._adaptive_avg_setup(shape[2:], (1, 1), np.float32)
            ref = np.empty((6, 1, 1), np.float32)
            cpu_pooling._avg_fwd(x.reshape(6, *shape[2:]), *setup, ref)
            same(cpu_pooling.adaptive_avg_pool2d_forward(x, (1, 1)), ref.reshape(2, 3, 1, 1))
            ref = np.zeros((6,) + shape[2:], np.float32)
            cpu_pooling._avg_bwd(g.reshape(6, 1, 1), *setup, ref)
            same(cpu_pooling.adaptive_avg_pool2d_backward(g, shape[2:]), ref.reshape(shape))


def test_max_pool_skips_the_argmax_only_when_nothing_differentiates(monkeypatch):
    """No grad mode, or an input that needs no gradient: the value-only kernels; their output is the same."""
    x = al.tensor(_tricky((2, 3, 9, 9)).astype(np.float32))
    table, calls = kernels_of(x._data), []

    def spy(*args, real=table.max_pool2d_forward):
        calls.append(args[-1])
        return real(*args)

    monkeypatch.setattr(table, "max_pool2d_forward", spy)
    plain = F.max_pool2d(x, 3, 2, 1)
    with al.no_grad():
        F.max_pool2d(x.requires_grad_(), 3, 2, 1)
        F.max_pool2d(x, 3, 2, 1, return_indices=True)
    trained = F.max_pool2d(x, 3, 2, 1)
    assert calls == [False, False, True, True]
    np.testing.assert_array_equal(plain.numpy(), trained.detach().numpy())


@pytest.mark.parametrize("parallel", [False, True])
def test_serial_and_parallel_kernels(parallel):
    x = random_inputs([(4, 3, 9, 9)])[0]
    with _jit.forced(parallel):
        for name, args in [("max_pool2d", (3, 2, 1)), ("max_pool2d", (2,)), ("avg_pool2d", (3, 2, 1)),
                           ("adaptive_avg_pool2d", (4,)), ("adaptive_max_pool2d", (4,))]:
            check_op(lambda L, t: getattr(functional(L), name)(t, *args), [x.shape], second=False)
