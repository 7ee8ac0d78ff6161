"""autograd_lite.special against torch.special: every name, values over wide ranges (tiny, large, negative, near
singularities, inf, nan) in float64 and float32, dtypes, gradients (first and second order, gradcheck), errors, the
devices; the kernels against plain NumPy / mpmath formulas."""
import math

import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite.kernels.cpu import _jit, special_functions as K
from op_helpers import check_op

S = al.special
NAMES = sorted(n for n in dir(torch.special) if not n.startswith("_") and n not in
               ("Tensor", "torch", "common_args", "multi_dim_common"))
_SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 5.0, 8.0, 2.09, -2.09, 1e-300, 1e-30, 1e-8, -1e-8, 26.0, -26.0, 700.0,
            1e300, -1e300, math.inf, -math.inf, math.nan]


def _wide(seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(-30, 30, 3000), rng.standard_normal(500) * 300,
                           np.sign(rng.standard_normal(500)) * 10.0 ** rng.uniform(-300, 300, 500), _SPECIAL])


def _probabilities(seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(0, 1, 3000), 10.0 ** rng.uniform(-300, 0, 300),
                           1 - 10.0 ** rng.uniform(-16, 0, 300), [0.0, 1.0, 0.5, -0.5, 2.0, math.nan]])


def _close(ours, ref, rtol, atol):
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol, equal_nan=True)


def test_every_torch_special_name_is_here():
    assert [n for n in NAMES if not hasattr(S, n)] == []
    assert len(NAMES) == 56


# ---- values against torch --------------------------------------------------------------------------------------

UNARY = {  # name -> (float64 rtol, atol)
    "i0": (1e-14, 0), "i0e": (1e-14, 0), "i1": (1e-14, 0), "i1e": (1e-14, 0), "log_ndtr": (1e-14, 0),
    "ndtri": (1e-14, 0),
    "erfcx": (1e-13, 0),        # PyTorch's exp(x^2) loses 5e-14 below x = -20 (ours: 3e-16 against mpmath)
    "entr": (1e-15, 0), "modified_bessel_i0": (1e-14, 0),
    "modified_bessel_i1": (1e-14, 0), "modified_bessel_k0": (1e-14, 0), "modified_bessel_k1": (1e-14, 0),
    "scaled_modified_bessel_k0": (1e-14, 0), "scaled_modified_bessel_k1": (1e-14, 0),
    "spherical_bessel_j0": (1e-15, 0),
    # oscillating: relative error grows near their zeros, where both are right to an absolute 1e-16
    "bessel_j0": (1e-12, 1e-16), "bessel_j1": (1e-12, 1e-16), "bessel_y0": (1e-12, 1e-16),
    "bessel_y1": (1e-12, 1e-16), "airy_ai": (1e-12, 1e-15),
}


_OSCILLATING = ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "airy_ai")


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float64_matches_torch(name):
    x = _probabilities() if name == "ndtri" else _wide()
    ours = getattr(S, name)(al.tensor(x)).numpy()
    ref = getattr(torch.special, name)(torch.tensor(x))
    assert ours.dtype == np.float64 and ours.shape == tuple(ref.shape)
    ref = ref.numpy()
    if name in _OSCILLATING:        # far out, the phase (x^1.5 for airy_ai) is beyond float64's: bounded, that's all
        far = np.abs(x) > 200
        assert not np.any(np.abs(ours[far]) > 0.2) and np.array_equal(np.isnan(ours), np.isnan(ref))
        ours, ref = ours[~far], ref[~far]
    _close(ours, ref, *UNARY[name])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float32_matches_torch(name):
    with np.errstate(over="ignore"):
        x = (_probabilities() if name == "ndtri" else _wide()).astype(np.float32)    # out of range: +-inf
    ours = getattr(S, name)(al.tensor(x))
    ref = getattr(torch.special, name)(torch.tensor(x))
    assert ours.dtype == al.float32
    if name in ("i0", "i1", "modified_bessel_i0", "modified_bessel_i1"):
        x[np.abs(x) > 85] = np.nan      # float32 PyTorch overflows exp(x) first; these round the finite value
    # float32 here is float64 rounded; PyTorch computes in float32 (a few ulps, and more near the Bessel zeros)
    near = np.abs(x) < (10 if name == "airy_ai" else 30 if name in _OSCILLATING else np.inf)
    near |= (np.isnan(x) & (name not in ("i0", "i1", "modified_bessel_i0", "modified_bessel_i1")))
    _close(ours.numpy()[near], ref.numpy()[near], 2e-5, 2e-6)


def test_ndtr_matches_torch_and_keeps_the_lower_tail():
    x = _wide()
    ours = S.ndtr(al.tensor(x)).numpy()
    _close(ours, torch.special.ndtr(torch.tensor(x)).numpy(), 1e-12, 1e-15)     # torch: (1 + erf) / 2, absolute
    mpmath = pytest.importorskip("mpmath")
    tail = np.array([-3.0, -5.0, -10.0, -20.0, -37.0, 5.0])
    _close(S.ndtr(al.tensor(tail)).numpy(), [float(mpmath.ncdf(v)) for v in tail], 2e-15, 0)
    assert S.ndtr(al.tensor([-37.5], dtype=al.float64)).item() > 0


def test_log_ndtr_and_erfcx_far_tails():
    assert S.log_ndtr(al.tensor([-40.0], dtype=al.float64)).item() == pytest.approx(-804.60844201, rel=1e-10)
    assert S.erfcx(al.tensor([1e300], dtype=al.float64)).item() == pytest.approx(1 / math.sqrt(math.pi) / 1e300)
    assert S.erfcx(al.tensor([-30.0])).item() == math.inf


# ---- two arguments ------------------------------------------------------------------------------------------------

def _gamma_args(seed=0):
    rng = np.random.default_rng(seed)
    a = np.concatenate([10 ** rng.uniform(-3, 3, 2000), rng.uniform(0, 20, 1000)])
    x = np.concatenate([10 ** rng.uniform(-3, 3, 2000), rng.uniform(0, 40, 1000)])
    edge = np.array([0.0, 0.5, 1.0, 2.0, 30.0, math.inf, math.nan, -1.0])
    return np.concatenate([a, np.repeat(edge, edge.size)]), np.concatenate([x, np.tile(edge, edge.size)])


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_matches_torch(name):
    a, x = _gamma_args()
    ours = getattr(S, name)(al.tensor(a), al.tensor(x)).numpy()
    ref = getattr(torch.special, name)(torch.tensor(a), torch.tensor(x)).numpy()
    # PyTorch switches to an asymptotic series where 20 < a < 200 and |x - a| < 0.3 a; its factor sqrt(2 pi a) takes
    # pi in float32, so there it is right to 1e-8 only (mpmath below): compare loosely there.
    with np.errstate(invalid="ignore"):
        asym = (a > 20) & (np.abs(x - a) < 0.3 * a)
    _close(ours[~asym], ref[~asym], 1e-12, 1e-300)
    _close(ours[asym], ref[asym], 1e-7, 0)
    a32, x32 = a.astype(np.float32), x.astype(np.float32)
    ours32 = getattr(S, name)(al.tensor(a32), al.tensor(x32))
    assert ours32.dtype == al.float32
    ours = getattr(S, name)(al.tensor(a32.astype(np.float64)), al.tensor(x32.astype(np.float64))).numpy()
    _close(ours32.numpy(), ours.astype(np.float32), 0, 0)          # float64 rounded


def test_incomplete_gamma_against_mpmath_where_a_is_near_x():
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(1)
    a = rng.uniform(21, 3000, 40)
    x = a * rng.uniform(0.8, 1.2, 40)
    p = S.gammainc(al.tensor(a), al.tensor(x)).numpy()
    q = S.gammaincc(al.tensor(a), al.tensor(x)).numpy()
    _close(p, [float(mpmath.gammainc(u, 0, v, regularized=True)) for u, v in zip(a, x)], 1e-12, 0)
    _close(q, [float(mpmath.gammainc(u, v, mpmath.inf, regularized=True)) for u, v in zip(a, x)], 1e-12, 0)


def test_zeta_matches_torch():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.uniform(1, 30, 2000), rng.uniform(-5, 5, 500), [1.0, 0.5, 2.0, 2.0, 3.0, math.inf]])
    q = np.concatenate([rng.uniform(-10, 30, 2000), rng.uniform(-5, 5, 500), [1.0, 1.0, 0.0, -2.0, -1.5, 1.0]])
    _close(S.zeta(al.tensor(x), al.tensor(q)).numpy(), torch.special.zeta(torch.tensor(x), torch.tensor(q)).numpy(),
           1e-13, 0)
    assert S.zeta(al.tensor([2.0]), 1.0).item() == pytest.approx(math.pi ** 2 / 6)
    assert S.zeta(2.0, al.tensor([1.0, 2.0])).numpy() == pytest.approx([math.pi ** 2 / 6, math.pi ** 2 / 6 - 1])


POLYNOMIALS = [n for n in NAMES if n.endswith(("polynomial_t", "polynomial_u", "polynomial_v", "polynomial_w",
                                               "polynomial_h", "polynomial_he", "polynomial_l", "polynomial_p"))]


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_match_torch(name):
    x = np.concatenate([np.linspace(-1.5, 1.5, 61), [0.0, 1.0, -1.0, 0.5, math.nan, math.inf]])
    n = np.array([-1, 0, 1, 2, 3, 5, 6, 7, 9, 10, 20, 50, 130, 600, 3.7, math.nan, math.inf])
    xs, ns = np.meshgrid(x, n, indexing="ij")
    ours = getattr(S, name)(al.tensor(xs), al.tensor(ns))
    ref = getattr(torch.special, name)(torch.tensor(xs), torch.tensor(ns))
    _close(ours.numpy(), ref.numpy(), 1e-12, 1e-12)
    low = ns <= 20       # float32: PyTorch's recurrence in float32 drifts at high degree
    ours32 = getattr(S, name)(al.tensor(xs[low].astype(np.float32)), al.tensor(ns[low].astype(np.float32)))
    ref32 = getattr(torch.special, name)(torch.tensor(xs[low].astype(np.float32)),
                                         torch.tensor(ns[low].astype(np.float32)))
    assert ours32.dtype == al.float32
    _close(ours32.numpy(), ref32.numpy(), 1e-4, 1e-4)
    # n as a number, x as a number; broadcasting
    f = x[:-2]          # torch's scalar-n kernel gives x = NaN the value of its neighbour: not compared
    _close(getattr(S, name)(al.tensor(f), 3).numpy(), getattr(torch.special, name)(torch.tensor(f), 3).numpy(),
           1e-12, 1e-12)
    _close(getattr(S, name)(0.25, al.tensor([2, 4])).numpy(),
           getattr(torch.special, name)(0.25, torch.tensor([2, 4])).numpy(), 1e-6, 1e-6)
    b = getattr(S, name)(al.tensor(x[:5]).reshape(5, 1), al.tensor([1.0, 2.0, 3.0]))
    assert b.shape == (5, 3)


def test_polynomials_against_numpy():
    x = np.linspace(-0.99, 0.99, 41)
    P = np.polynomial
    for n in range(12):
        c = np.zeros(n + 1)
        c[n] = 1
        _close(K.special_binary("chebyshev_polynomial_t", x, np.full_like(x, n)), P.chebyshev.chebval(x, c), 1e-12,
               1e-12)
        _close(K.special_binary("legendre_polynomial_p", x, np.full_like(x, n)), P.legendre.legval(x, c), 1e-12,
               1e-12)
        _close(K.special_binary("hermite_polynomial_h", x, np.full_like(x, n)), P.hermite.hermval(x, c), 1e-12,
               1e-9)
        _close(K.special_binary("hermite_polynomial_he", x, np.full_like(x, n)), P.hermite_e.hermeval(x, c), 1e-12,
               1e-9)
        _close(K.special_binary("laguerre_polynomial_l", x, np.full_like(x, n)), P.laguerre.lagval(x, c), 1e-12,
               1e-12)


# ---- the kernels against plain formulas, serial and parallel --------------------------------------------------------

def test_kernels_against_numpy_formulas():
    x = np.linspace(-20, 20, 801)
    _close(K.special_unary("i0", x), np.i0(x), 1e-14, 0)
    _close(K.special_unary("spherical_bessel_j0", x[x != 0]), np.sin(x[x != 0]) / x[x != 0], 1e-14, 1e-16)
    p = x[x > 0]
    _close(K.special_unary("entr", p), -p * np.log(p), 1e-15, 0)
    _close(K.special_unary("ndtr", x), [0.5 * math.erfc(-v / math.sqrt(2)) for v in x], 1e-13, 0)
    _close(K.special_unary("erfcx", x[x < 5]), np.exp(x[x < 5] ** 2) * np.array([math.erfc(v) for v in x[x < 5]]),
           1e-13, 0)
    _close(K.special_binary("zeta", np.full(3, 4.0), np.array([1.0, 2.0, 3.0])),
           [sum((k + q) ** -4.0 for k in range(200000)) for q in (1.0, 2.0, 3.0)], 1e-12, 0)
    low = x[(x <= 0) & (x > -37)]        # the lower tail, where ndtr keeps its relative precision
    _close(K.special_unary("ndtri", K.special_unary("ndtr", low)), low, 1e-14, 1e-14)


def test_kernels_parallel_equals_serial():
    x = _wide()
    with np.errstate(invalid="ignore"):
        a, b = np.abs(x) % 50, np.abs(x[::-1]) % 50
    with _jit.forced(False):
        serial = K.special_unary("bessel_j0", x), K.special_binary("gammainc", a, b)
    with _jit.forced(True):
        parallel = K.special_unary("bessel_j0", x), K.special_binary("gammainc", a, b)
    for s, p in zip(serial, parallel):
        np.testing.assert_array_equal(s, p)


def test_kernel_refuses_other_dtypes():
    with pytest.raises(TypeError, match="special_unary"):
        K.special_unary("i0", np.arange(3))
    with pytest.raises(TypeError, match="special_binary"):
        K.special_binary("zeta", np.ones(2), np.ones(2, np.float32))


# ---- gradients ------------------------------------------------------------------------------------------------------

GRAD_UNARY = {  # name -> (low, high) of the inputs
    "i0": (-3, 3), "i0e": (-3, 3), "i1": (-3, 3), "i1e": (-3, 3), "ndtr": (-3, 3), "log_ndtr": (-6, 3),
    "ndtri": (0.05, 0.95), "erfcx": (-2, 4), "entr": (0.1, 3), "expit": (-3, 3), "gammaln": (0.2, 4),
}


@pytest.mark.parametrize("name", sorted(GRAD_UNARY))
def test_unary_gradients_match_torch(name):
    low, high = GRAD_UNARY[name]
    check_op(lambda lib, x: getattr(lib.special, name)(x), [(3, 4)], low=low, high=high, dtype="float64",
             min_abs=0.0 if low > 0 else 0.1)


@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e", "ndtr", "log_ndtr", "ndtri", "erfcx", "entr"])
def test_unary_gradcheck(name):
    low, high = GRAD_UNARY[name]
    x = al.tensor(np.random.default_rng(3).uniform(low, high, 6), requires_grad=True)
    assert al.autograd.gradcheck(getattr(S, name), (x,))


def test_i1_gradient_at_zero():
    for name in ("i1", "i1e"):
        x = al.tensor([0.0, 1.0], dtype=al.float64, requires_grad=True)
        t = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
        getattr(S, name)(x).sum().backward()
        getattr(torch.special, name)(t).sum().backward()
        _close(x.grad.numpy(), t.grad.numpy(), 1e-12, 0)


def test_binary_gradients_match_torch():
    check_op(lambda lib, x, y: lib.special.xlog1py(x, y), [(3, 4), (4,)], low=0.1, high=2, dtype="float64")
    check_op(lambda lib, a, x: lib.special.gammainc(a.detach(), x), [(3, 4), (3, 4)], low=0.5, high=4,
             dtype="float64", min_abs=0.5)
    check_op(lambda lib, a, x: lib.special.gammaincc(a.detach(), x), [(3, 4), (4,)], low=0.5, high=4,
             dtype="float64", min_abs=0.5)
    check_op(lambda lib, s, q: lib.special.zeta(s.detach() + 2, q), [(5,), (5,)], low=0.5, high=3,
             dtype="float64", min_abs=0.5)
    check_op(lambda lib, x: lib.special.multigammaln(x, 3), [(5,)], low=1.5, high=4, dtype="float64", min_abs=1.5)


def test_gradcheck_binary():
    rng = np.random.default_rng(4)
    a = al.tensor(rng.uniform(0.5, 3, 5))
    x = al.tensor(rng.uniform(0.5, 3, 5), requires_grad=True)
    assert al.autograd.gradcheck(lambda v: S.gammainc(a, v), (x,))
    assert al.autograd.gradcheck(lambda v: S.gammaincc(a, v), (x,))
    assert al.autograd.gradcheck(lambda v: S.zeta(a + 2, v), (x,))
    y = al.tensor(rng.uniform(-0.5, 3, 5), requires_grad=True)
    assert al.autograd.gradcheck(S.xlog1py, (x, y))


def test_xlog1py_zeros_match_torch():
    x, y = [0.0, 0.0, 2.0, 0.0], [-1.0, math.nan, -1.0, -2.0]
    ours = S.xlog1py(al.tensor(x, requires_grad=True), al.tensor(y))
    ref = torch.special.xlog1py(torch.tensor(x), torch.tensor(y))
    _close(ours.detach().numpy(), ref.numpy(), 0, 0)
    assert S.xlog1py(2, al.tensor([1.0])).item() == pytest.approx(2 * math.log(2))
    assert S.xlog1py(al.tensor([2]), al.tensor([1])).dtype == al.float32


def test_no_gradient_functions_give_plain_results():
    x = al.tensor([0.5, 1.5], requires_grad=True)
    for name in ("bessel_j0", "bessel_y1", "modified_bessel_k0", "airy_ai", "spherical_bessel_j0"):
        assert not getattr(S, name)(x).requires_grad
    assert not S.chebyshev_polynomial_t(x, 3).requires_grad
    assert not S.legendre_polynomial_p(x, al.tensor([2.0, 3.0], requires_grad=True)).requires_grad


def test_derivatives_torch_lacks_raise_its_error():
    a = al.tensor([2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"the derivative for 'igamma: input' is not implemented\."):
        S.gammainc(a, al.tensor([1.0])).sum().backward()
    with pytest.raises(NotImplementedError, match=r"the derivative for 'igammac: input' is not implemented\."):
        S.gammaincc(a, al.tensor([1.0])).sum().backward()
    with pytest.raises(NotImplementedError, match=r"the derivative for 'zeta' is not implemented\."):
        S.zeta(a, al.tensor([1.0])).sum().backward()


# ---- dtypes and errors ----------------------------------------------------------------------------------------------

def test_integer_and_bool_inputs_give_float32():
    for name in ("i0", "ndtr", "erfcx", "bessel_j0", "entr", "expit"):
        assert getattr(S, name)(al.tensor([1, 2])).dtype == al.float32
    assert S.i0(al.tensor([True])).item() == pytest.approx(1.2660658)
    assert S.zeta(al.tensor([2, 3]), 1).dtype == al.float32
    assert S.chebyshev_polynomial_t(al.tensor([2]), al.tensor([3])).numpy().tolist() == [26.0]
    assert S.chebyshev_polynomial_t(al.tensor([0.5], dtype=al.float64), al.tensor([3.7])).dtype == al.float64
    half = S.i0e(al.tensor([1.0], dtype=al.float16))
    assert half.dtype == al.float16 and half.item() == pytest.approx(0.4658, abs=1e-3)


def test_errors_in_torch_wording():
    with pytest.raises(NotImplementedError, match="\"igamma_cpu\" not implemented for 'Long'"):
        S.gammainc(al.tensor([2]), al.tensor([1]))
    with pytest.raises(TypeError, match=r"argument 'other' \(position 2\) must be Tensor, not float"):
        S.gammaincc(al.tensor([2.0]), 1.0)
    with pytest.raises(TypeError, match="invalid combination of arguments"):
        S.chebyshev_polynomial_t(0.5, 3)
    with pytest.raises(NotImplementedError, match="\"erfcx_cpu\" not implemented for 'Half'"):
        S.erfcx(al.tensor([1.0], dtype=al.float16))
    with pytest.raises(NotImplementedError, match="\"bessel_j0_cpu\" not implemented for 'Half'"):
        S.bessel_j0(al.tensor([1.0], dtype=al.float16))
    with pytest.raises(NotImplementedError, match="\"zeta_cpu\" not implemented for 'Half'"):
        S.zeta(al.tensor([2.0], dtype=al.float16), 1.0)
    assert S.gammainc(al.tensor([2.0], dtype=al.float16), al.tensor([1.0], dtype=al.float16)).dtype == al.float16


def test_aliases_and_signatures_of_the_top_level_ones():
    x = al.tensor([[1.0, 2.0], [3.0, 0.5]])
    t = torch.tensor([[1.0, 2.0], [3.0, 0.5]])
    _close(S.softmax(x, 1).numpy(), torch.special.softmax(t, 1).numpy(), 1e-6, 0)
    assert S.log_softmax(x, 0, dtype=al.float64).dtype == al.float64
    _close(S.logsumexp(x, 1, keepdim=True).numpy(), torch.special.logsumexp(t, 1, keepdim=True).numpy(), 1e-6, 0)
    _close(S.round(al.tensor([1.26, -2.35, 1234.5]), decimals=1).numpy(),
           torch.special.round(torch.tensor([1.26, -2.35, 1234.5]), decimals=1).numpy(), 1e-6, 0)
    _close(S.round(al.tensor([1234.5]), decimals=-2).numpy(), [1200.0], 0, 0)
    _close(S.multigammaln(x + 2, 2).numpy(), torch.special.multigammaln(t + 2, 2).numpy(), 1e-6, 0)
    for name in ("expit", "gammaln", "psi", "digamma", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "sinc",
                 "logit"):
        v = al.tensor([0.3, 0.7])
        _close(getattr(S, name)(v).numpy(), getattr(torch.special, name)(torch.tensor([0.3, 0.7])).numpy(), 1e-6, 0)
    _close(S.polygamma(1, al.tensor([1.0, 2.0])).numpy(), [math.pi ** 2 / 6, math.pi ** 2 / 6 - 1], 1e-6, 0)
    _close(S.xlogy(al.tensor([0.0, 2.0]), al.tensor([0.0, 3.0])).numpy(), [0.0, 2 * math.log(3)], 1e-6, 0)


# ---- devices ------------------------------------------------------------------------------------------------------

def test_on_every_device(device):
    check_op(lambda lib, x: lib.special.i1e(x), [(2, 3)], device=device, second=False)
    check_op(lambda lib, x: lib.special.log_ndtr(x), [(4,)], device=device, second=False)
    x = al.tensor([0.5, 2.0, 9.0], device=device)
    y = S.bessel_y0(x)
    assert y.device == x.device
    _close(y.cpu().numpy(), torch.special.bessel_y0(torch.tensor([0.5, 2.0, 9.0])).numpy(), 1e-6, 0)
    z = S.zeta(al.tensor([2.0, 3.0], device=device), al.tensor([1.0], device=device))
    assert z.device == x.device


def test_top_level_and_method_names_as_torch():
    """torch.i0 / torch.igamma / torch.igammac and their Tensor methods (in-place too) are the special ops."""
    x = np.array([0.5, 1.0, 2.5], np.float64)
    y = np.array([1.0, 2.0, 3.0], np.float64)
    for name, args in (("i0", (x,)), ("igamma", (x, y)), ("igammac", (x, y))):
        ours = getattr(al, name)(*(al.from_numpy(a.copy()) for a in args))
        ref = getattr(torch, name)(*(torch.from_numpy(a.copy()) for a in args))
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12)
        t = al.from_numpy(args[0].copy())
        method = getattr(t, name)(*(al.from_numpy(a.copy()) for a in args[1:]))
        np.testing.assert_allclose(method.numpy(), ref.numpy(), rtol=1e-12)
        out = getattr(t, name + "_")(*(al.from_numpy(a.copy()) for a in args[1:]))
        assert out is t
        np.testing.assert_allclose(t.numpy(), ref.numpy(), rtol=1e-12)
