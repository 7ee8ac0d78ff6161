"""The speed-ups of the special functions, grid_sample and conv3d against the forms they replace: _sincos against
NumPy's sin and cos (1 ulp), each special function's vectorizing kernel against its scalar form applied point by
point (bit for bit, serial and parallel, inside and outside the fast form's domain), grid_sample's taps in float32
against the op's NumPy coordinate formula, and conv3d's Winograd forward of the depth-stacked slices against
PyTorch (values, gradients, second order)."""
import importlib
import itertools
import math

import numba
import numpy as np
import pytest
import torch

import autograd_lite as al
import autograd_lite.nn.functional as F
from autograd_lite.kernels.cpu import _jit, grid_sample as GK, special_functions as S
from autograd_lite.ops import grid_sampling as G

C3 = importlib.import_module("autograd_lite.ops.conv3d")     # the module (the package exports the function)


@numba.njit(cache=False)
def _sincos_all(x, s, c):
    for i in range(x.size):
        s[i], c[i] = S._sincos(x[i])


def test_sincos_within_one_ulp_of_numpy():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(20000) * 10, rng.random(20000) * 2e5 - 1e5, np.arange(1, 3000) * np.pi / 2,
                        rng.standard_normal(1000) * 1e-8, [0.0, -0.0, 5e-324, 99999.99, 1e5, -1e5, 3e7]])
    s, c = np.empty_like(x), np.empty_like(x)
    _sincos_all(x, s, c)
    for got, fn in ((s, math.sin), (c, math.cos)):          # libm's: within half an ulp
        want = np.array([fn(v) for v in x])
        assert np.all(np.abs(got - want) <= np.spacing(np.abs(want)))
    _sincos_all(np.array([np.inf, -np.inf, np.nan]), s[:3], c[:3])
    assert np.isnan(s[:3]).all() and np.isnan(c[:3]).all()


@numba.njit(cache=False)
def _log_all(x, out):
    for i in range(x.size):
        out[i] = S._log(x[i])


def test_branch_free_log_within_one_ulp_of_libm():
    rng = np.random.default_rng(3)
    x = np.concatenate([np.exp(rng.uniform(-700, 700, 20000)), rng.uniform(0.5, 2.0, 20000),
                        1.0 + rng.uniform(-1e-6, 1e-6, 2000), [1.0, 2.0, 0.5, 2.2250738585072014e-308,
                                                               1.7976931348623157e308, 1e-310, 0.0, -1.0, np.inf,
                                                               np.nan]])
    got = np.empty_like(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        _log_all(x, got)
        want = np.log(x)
    finite = np.isfinite(want)
    assert np.all(np.abs(got[finite] - want[finite]) <= np.spacing(np.abs(want[finite])))
    np.testing.assert_array_equal(got[~finite], want[~finite])
    assert got[-10] == 0.0


def _points(dtype):
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.standard_normal(3000) * 6, rng.random(3000) * 40, rng.random(2000),
                        rng.random(200) * 4e5 - 2e5,
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, 1e-6, 5.0, -5.0, 8.0, 99999.0, 1e5, -1e5, 0.5,
                         -0.5, S._EXPM2, 1.0 - S._EXPM2, 1.0, 3e38,
                         -1.0, -1.0000001, 2.0, 2.0000001, 2.09, -2.09, 103.892, 103.9, -2699.0, -2701.0, -36.7,
                         -36.71, 37.0, 1e-310, 2.2250738585072014e-308, 1e-301, 0.99999999]])
    return x.astype(dtype)


@pytest.mark.parametrize("name", sorted(S.UNARY))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unary_kernel_is_its_scalar_form(name, dtype):
    scalar = S._FORMS[name][0]
    x = _points(dtype)
    with np.errstate(over="ignore"):
        want = np.array([scalar(float(v)) for v in x]).astype(dtype)
    # the parallel loop is the serial one's body under prange: compiled (seconds each) for three functions that
    # cover the template's paths (near/far forms, a slow path, none), not for all of them
    for parallel in (False, True) if dtype == np.float64 and name in ("airy_ai", "log_ndtr", "entr") else (False,):
        with _jit.forced(parallel):
            got = S.special_unary(name, x)
        assert got.dtype == dtype and got.shape == x.shape
        np.testing.assert_array_equal(got, want)
    assert S.special_unary(name, x[:0].reshape(0, 3)).shape == (0, 3)
    np.testing.assert_array_equal(S.special_unary(name, x[:12].reshape(3, 4)[:, ::2]),
                                  want[:12].reshape(3, 4)[:, ::2])


@pytest.mark.parametrize("name", ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "spherical_bessel_j0", "ndtri"])
def test_vectorized_forms_against_torch(name):
    x = np.random.default_rng(2).random(4000) * (1 if name == "ndtri" else 30)
    got = getattr(al.special, name)(al.tensor(x)).numpy()
    want = getattr(torch.special, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    x32 = x.astype(np.float32)          # float32: computed in float64, rounded once
    got32 = getattr(al.special, name)(al.tensor(x32))
    assert got32.dtype == al.float32
    want32 = getattr(torch.special, name)(torch.tensor(x32.astype(np.float64))).numpy().astype(np.float32)
    np.testing.assert_allclose(got32.numpy(), want32, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode,pad,align", list(itertools.product(["bilinear", "nearest"],
                                                                  ["zeros", "border", "reflection"], [False, True])))
def test_grid_taps_float32_against_numpy_formula(mode, pad, align):
    rng = np.random.default_rng(3)
    g = ((rng.random((2, 5, 7, 2)) - 0.5) * 3.0).astype(np.float32)
    g[0, 0, 0] = [np.nan, 0.5]
    g[1, 1, 1] = [3e9, -np.inf]
    H, W = 6, 5
    off, w, dy, dx = GK.grid_sample2d_pairs(g, H, W, mode, pad, align, grads=True)
    ys, xs = G._axis(g[..., 1], H, mode, pad, align), G._axis(g[..., 0], W, mode, pad, align)
    wy, wx = G._weights(ys[1], mode), G._weights(xs[1], mode)
    for k, (a, b) in enumerate(itertools.product(range(len(ys[0])), range(len(xs[0])))):
        inside = (ys[0][a] >= 0) & (xs[0][b] >= 0)
        np.testing.assert_array_equal(off[..., k].reshape(inside.shape),
                                      np.where(inside, ys[0][a] * W + xs[0][b], -1))
        ok = inside | (mode != "nearest")       # nearest's weight at an outside (NaN) point: 1 here, NaN there
        np.testing.assert_allclose(w[..., k].reshape(inside.shape)[ok], (wy[a] * wx[b])[ok], rtol=1e-6,
                                   atol=1e-7, equal_nan=True)
        if mode == "bilinear":          # d(weight)/dy: the y weight's slope times the x weight
            sy = np.where(a == 0, -1, 1) * ys[2]
            np.testing.assert_allclose(dy[..., k].reshape(inside.shape), sy * wx[b], rtol=1e-6, atol=1e-6,
                                       equal_nan=True)
    assert off.dtype == np.int64 and w.dtype == dy.dtype == np.float32


def _conv3d_pair(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 11, 6, 16, 16)).astype(dtype)
    w = (rng.standard_normal((12, 11, 3, 3, 3)) * 0.1).astype(dtype)
    b = rng.standard_normal(12).astype(dtype)
    return x, w, b


def test_conv3d_winograd_path_is_taken():
    x, w, _ = _conv3d_pair(np.float32)
    cols = C3._unfold(al.tensor(x, requires_grad=True), (1, 3, 1, 1, 1, 6))
    p = ((1, 1), (1, 1), (1, 1), 1)
    assert C3._stacked_winograd(cols, C3._stacked_weight(al.tensor(w), 1), p, (16, 16), 11)
    assert not C3._stacked_winograd(cols, C3._stacked_weight(al.tensor(w[:10]), 1), p, (16, 16), 11)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 2e-4)])
def test_conv3d_winograd_against_torch(dtype, tol):
    x, w, b = _conv3d_pair(dtype)
    ax, aw, ab = (al.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    y, ty = F.conv3d(ax, aw, ab, padding=1), torch.nn.functional.conv3d(tx, tw, tb, padding=1)
    assert y.dtype == (al.float64 if dtype == np.float64 else al.float32) and y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    go = np.random.default_rng(4).standard_normal(y.shape).astype(dtype)
    grads = al.autograd.grad(y, (ax, aw, ab), al.tensor(go), create_graph=True)
    tgrads = torch.autograd.grad(ty, (tx, tw, tb), torch.tensor(go), create_graph=True)
    for a, t in zip(grads, tgrads):
        np.testing.assert_allclose(a.detach().numpy(), t.detach().numpy(), rtol=tol * 10, atol=tol * 10)
    if dtype == np.float64:         # second order through the same backward formulas
        s, ts = sum((g * g).sum() for g in grads[:2]), sum((g * g).sum() for g in tgrads[:2])
        for a, t in zip(al.autograd.grad(s, (ax, aw)), torch.autograd.grad(ts, (tx, tw))):
            np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-8, atol=1e-8)


def test_sincos_constants_split_pi_over_2():
    assert S._PIO2_1 + S._PIO2_1T == pytest.approx(math.pi / 2, rel=1e-15)
    assert (S._PIO2_1 * 2 ** 32).is_integer()      # 33 bits: fn * _PIO2_1 is exact for fn below 2^20


@numba.njit(cache=False)
def _exp_all(x, out):
    for i in range(x.size):
        out[i] = S._exp(x[i])


def test_exp_within_one_ulp_of_libm():
    rng = np.random.default_rng(3)
    k = np.arange(-1021, 1022)
    x = np.concatenate([rng.random(50000) * 1416 - 708, rng.standard_normal(20000), rng.standard_normal(2000) * 1e-9,
                        (k + 0.5) * math.log(2), np.nextafter((k + 0.5) * math.log(2), 0), k * math.log(2),
                        [0.0, -0.0, 5e-324, 1e-300, -1e-300, 708.0, -708.0, 707.99, -707.99, 1.0, -1.0]])
    got, want = np.empty_like(x), np.array([math.exp(v) for v in x])
    _exp_all(x, got)
    assert np.all(np.abs(got - want) <= np.spacing(want))
    assert np.mean(got == want) > 0.8           # and mostly libm's value
    assert S._EXP_MAX < 1022 * math.log(2)      # 2^k normal over the whole domain
    edges = np.array([708.5, 709.78, 710.0, -708.5, -745.0, -746.0, np.inf, -np.inf, np.nan, 1e300, -1e300])
    _exp_all(edges, got[:edges.size])
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(got[:edges.size], np.exp(edges))     # libm's beyond the domain


@pytest.mark.parametrize("name", ["i0", "i1", "modified_bessel_k0", "modified_bessel_k1", "ndtr"])
def test_exp_forms_against_torch(name):
    rng = np.random.default_rng(4)
    if name == "ndtr":
        x = np.concatenate([rng.standard_normal(4000) * 8, np.linspace(-40, 40, 4001),
                            (np.array([0.5, 0.84375, 1.25, 1 / 0.35, 6.0, 26.0]) * math.sqrt(2) * [[1], [-1]]).ravel()])
    else:
        x = np.concatenate([rng.random(4000) * 30, rng.random(200) * 1400 - 700, [0.0, 2.0, 8.0, 708.0, 709.0, 720.0]])
        x = x if name[0] == "i" else np.abs(x)
    with np.errstate(over="ignore"):
        want = getattr(torch.special, name)(torch.tensor(x)).numpy()
    got = getattr(al.special, name)(al.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=2e-14, atol=1e-300 if name != "ndtr" else 2e-16)
    x32 = x.astype(np.float32)
    with np.errstate(over="ignore"):
        want32 = getattr(torch.special, name)(torch.tensor(x32.astype(np.float64))).numpy().astype(np.float32)
    got32 = getattr(al.special, name)(al.tensor(x32))
    assert got32.dtype == al.float32
    if name == "ndtr":          # torch's lower tail: (1 + erf) / 2, absolute precision only
        np.testing.assert_allclose(got32.numpy(), want32, rtol=1.2e-7, atol=2e-16)
    else:
        np.testing.assert_array_max_ulp(got32.numpy(), want32, maxulp=1)


def test_ndtr_fdlibm_forms_keep_relative_precision():
    mpmath = pytest.importorskip("mpmath")
    x = np.concatenate([np.linspace(-37, 0, 741), -np.array([0.5, 0.84375, 1.25, 1 / 0.35]) * math.sqrt(2)])
    want = np.array([float(mpmath.ncdf(v)) for v in x])
    np.testing.assert_allclose(S.special_unary("ndtr", x), want, rtol=2e-15, atol=0)


def test_erfcx_fdlibm_forms_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    x = np.concatenate([np.linspace(-26, 26, 521), [0.25, 0.84375, 1.25, 1 / 0.35, -0.25, -1.25, 25.99, 26.01, 40.0]])
    x = x.astype(np.float32).astype(np.float64)         # the float32 run below takes the same points
    with mpmath.workdps(40):        # exp(x^2) of a 53-bit x^2 would lose x^2 1e-16
        want = np.array([float(mpmath.erfc(mpmath.mpf(v)) * mpmath.exp(mpmath.mpf(v) ** 2)) for v in x])
    np.testing.assert_allclose(S.special_unary("erfcx", x), want, rtol=1e-15, atol=0)
    x32 = x.astype(np.float32)
    with np.errstate(over="ignore"):        # erfcx(-26) overflows float32
        np.testing.assert_array_max_ulp(S.special_unary("erfcx", x32), want.astype(np.float32), maxulp=1)
