"""torch.special's own functions (those not already top-level ops): the Bessel family, the normal distribution (ndtr,
log_ndtr, ndtri), erfcx, entr, xlog1py, the regularized incomplete gamma, Hurwitz zeta, airy_ai and the orthogonal
polynomials. Exposed as ``autograd_lite.special.<name>`` (autograd_lite/special.py).

The values come from the kernel table's ``special_unary(name, x)`` / ``special_binary(name, a, b)`` (each element in
float64, Cephes' algorithms as PyTorch's); a device whose table lacks them runs the CPU kernels on a host copy.
Gradients are PyTorch's formulas, written in the formula namespace (every order); functions PyTorch gives no
derivative (the Bessel functions, airy_ai, the polynomials) return results that never require grad.

Example::

    autograd_lite.special.i0(autograd_lite.tensor([0.0, 1.0]))      # [1.0000, 1.2661]
"""
import math

from .. import _api
from ..autograd.op_function import Function, TensorBase
from ..backend import backend_of, cpu
from ..tensor import Tensor
from . import _formula as m
from .special import Xlogy, x_log_operands
from ._util import as_tensor, not_implemented, promote_pair, quiet, to_float, xp_of

_SQRT_2PI = math.sqrt(2 * math.pi)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
# The functions PyTorch also runs on float16 (through float32); the others refuse it, as PyTorch's CPU kernels do.
_HALF_OK = {"i0", "i0e", "i1", "i1e", "ndtr", "entr", "gammainc", "gammaincc"}


# ---- running the kernels --------------------------------------------------------------------------------------

def _run(name, *arrays):
    """special_unary / special_binary of the arrays' device (float32/float64; float16 through float32)."""
    entry = "special_unary" if len(arrays) == 1 else "special_binary"
    dt = arrays[0].dtype
    if dt.itemsize < 4:
        arrays = tuple(a.astype("float32") for a in arrays)
    be = backend_of(arrays[0])
    kernel = getattr(be.kernels, entry, None)
    if kernel is None:          # no kernel on this device: the CPU's, on host copies
        out = be.from_host(getattr(cpu.kernels, entry)(name, *(be.to_host(a) for a in arrays)))
    else:
        out = kernel(name, *arrays)
    return out if out.dtype == dt else out.astype(dt)


def _floating(name, x):
    """x as a float tensor (integers and bools: float32); float16 refused where PyTorch refuses it."""
    if x._data.dtype.kind not in "fV":
        if x._data.dtype.kind == "c":           # the kernels are of real numbers, as PyTorch's
            raise not_implemented(f"{name}_cpu", x)
        return to_float(x)
    if x._data.dtype.itemsize < 4 and name not in _HALF_OK:
        raise not_implemented(f"{name}_cpu", x)
    return x


def _dual(cls):
    """cls's op on Tensors (recorded), its raw forward on arrays: what a derivative formula calls."""
    def call(x):
        if isinstance(x, TensorBase):
            return cls.apply(x)
        return _run(cls.kernel_name, x)
    return call


# ---- one-argument functions ---------------------------------------------------------------------------------------

def _unary_class(name, derivative):
    def forward(ctx, x):
        out = _run(name, x)
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, y = ctx._saved
        if m.is_graph(g):
            return derivative(g, x, y)
        with quiet(xp_of(g)):
            return derivative(g, x, y)

    body = {"op_name": name, "kernel_name": name, "forward": staticmethod(forward),
            "backward": staticmethod(backward), "differentiable": derivative is not None}
    return type("Special" + name.title().replace("_", ""), (Function,), body)


def _unary(name, derivative=None, doc=""):
    cls = _unary_class(name, derivative)

    def op(input):
        if not isinstance(input, Tensor):
            raise TypeError(f"special_{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        return cls.apply(_floating(name, input))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    op.function = cls
    return op


def _safe(x):
    """x with |x| <= eps replaced by eps (PyTorch's i1/i1e backward: their limit at 0 is taken separately)."""
    eps = float(xp_of(m.data(x)).finfo(m.data(x).dtype).eps)
    return m.where(xp_of(m.data(x)).abs(m.data(x)) > eps, x, eps), xp_of(m.data(x)).abs(m.data(x)) > eps


def _sign(x):
    d = m.data(x)
    return xp_of(d).sign(d)


def _d_i1(g, x, y):
    sx, big = _safe(x)
    return g * m.where(big, _i0(sx) - y / sx, 0.5)


def _d_i1e(g, x, y):
    sx, big = _safe(x)
    return g * m.where(big, _i0e(sx) - y * (_sign(sx) + 1 / sx), 0.5)


i1 = _unary("i1", _d_i1, "The modified Bessel function of the first kind of order 1, elementwise (integers give "
                         "float32).\n\nExample: ``autograd_lite.special.i1(autograd_lite.tensor([1.0]))`` gives "
                         "``[0.5652]``.")
i1e = _unary("i1e", _d_i1e, "``exp(-|x|) * i1(x)``, elementwise.\n\nExample: "
                            "``autograd_lite.special.i1e(autograd_lite.tensor([1.0]))`` gives ``[0.2079]``.")
_i1, _i1e = _dual(i1.function), _dual(i1e.function)
i0 = _unary("i0", lambda g, x, y: g * _i1(x),
            "The modified Bessel function of the first kind of order 0, elementwise (integers give float32).\n\n"
            "Example: ``autograd_lite.special.i0(autograd_lite.tensor([0.0, 1.0]))`` gives ``[1.0000, 1.2661]``.")
i0e = _unary("i0e", lambda g, x, y: g * (_i1e(x) - _sign(x) * y),
             "``exp(-|x|) * i0(x)``, elementwise.\n\nExample: "
             "``autograd_lite.special.i0e(autograd_lite.tensor([1.0]))`` gives ``[0.4658]``.")
_i0, _i0e = _dual(i0.function), _dual(i0e.function)

ndtr = _unary("ndtr", lambda g, x, y: g * m.exp(-0.5 * x * x) / _SQRT_2PI,
              "The standard normal distribution function, ``(1 + erf(x / sqrt(2))) / 2``, elementwise (accurate in "
              "the lower tail).\n\nExample: ``autograd_lite.special.ndtr(autograd_lite.tensor([0.0]))`` gives "
              "``[0.5000]``.")
log_ndtr = _unary("log_ndtr", lambda g, x, y: g / _SQRT_2PI * m.exp(-(y + 0.5 * x * x)),
                  "``log(ndtr(x))`` without underflow in the lower tail.\n\nExample: "
                  "``autograd_lite.special.log_ndtr(autograd_lite.tensor([-40.0]))`` gives ``[-804.6084]``.")
ndtri = _unary("ndtri", lambda g, x, y: g * _SQRT_2PI * m.exp(0.5 * y * y),
               "The inverse of ndtr: the x for which the standard normal's mass below x is p.\n\nExample: "
               "``autograd_lite.special.ndtri(autograd_lite.tensor([0.975]))`` gives ``[1.9600]``.")
erfcx = _unary("erfcx", lambda g, x, y: g * (2 * x * y - _TWO_OVER_SQRT_PI),
               "The scaled complementary error function ``exp(x^2) * erfc(x)``, without overflow.\n\nExample: "
               "``autograd_lite.special.erfcx(autograd_lite.tensor([30.0]))`` gives ``[0.0188]``.")
entr = _unary("entr", lambda g, x, y: g * -(1 + m.log(x)),
              "``-x * log(x)`` for x > 0, 0 at 0, -inf below.\n\nExample: "
              "``autograd_lite.special.entr(autograd_lite.tensor([0.5]))`` gives ``[0.3466]``.")


def _no_grad(name, what):
    return _unary(name, None, f"{what}, elementwise (no gradient, as in PyTorch).\n\nExample: "
                              f"``autograd_lite.special.{name}(autograd_lite.tensor([1.0]))``.")


bessel_j0 = _no_grad("bessel_j0", "The Bessel function of the first kind of order 0")
bessel_j1 = _no_grad("bessel_j1", "The Bessel function of the first kind of order 1")
bessel_y0 = _no_grad("bessel_y0", "The Bessel function of the second kind of order 0")
bessel_y1 = _no_grad("bessel_y1", "The Bessel function of the second kind of order 1")
modified_bessel_i0 = _no_grad("modified_bessel_i0", "The modified Bessel function of the first kind of order 0")
modified_bessel_i1 = _no_grad("modified_bessel_i1", "The modified Bessel function of the first kind of order 1")
modified_bessel_k0 = _no_grad("modified_bessel_k0", "The modified Bessel function of the second kind of order 0")
modified_bessel_k1 = _no_grad("modified_bessel_k1", "The modified Bessel function of the second kind of order 1")
scaled_modified_bessel_k0 = _no_grad("scaled_modified_bessel_k0", "``exp(x) * modified_bessel_k0(x)``")
scaled_modified_bessel_k1 = _no_grad("scaled_modified_bessel_k1", "``exp(x) * modified_bessel_k1(x)``")
spherical_bessel_j0 = _no_grad("spherical_bessel_j0", "The spherical Bessel function of the first kind of order 0")
airy_ai = _no_grad("airy_ai", "The Airy function Ai")


# ---- two-argument functions ---------------------------------------------------------------------------------------

def _derivative_missing(what):
    return NotImplementedError(f"the derivative for '{what}' is not implemented.")


def _binary_class(name, grads):
    def forward(ctx, a, b):
        out = _run(name, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    def backward(ctx, g):
        a, b, y = ctx._saved
        with quiet(xp_of(m.data(g))):
            return grads(ctx, g, a, b, y)

    body = {"op_name": name, "kernel_name": name, "forward": staticmethod(forward),
            "backward": staticmethod(backward), "differentiable": grads is not None}
    return type("Special" + name.title().replace("_", ""), (Function,), body)


def _igamma_grads(what, sign):
    def grads(ctx, g, a, x, y):
        if ctx._inputs[0] is not None:
            raise _derivative_missing(f"{what}: input")
        return None, sign * g * m.exp((a - 1) * m.log(x) - x - m.lgamma(a))
    return grads


_Gammainc = _binary_class("gammainc", _igamma_grads("igamma", 1))
_Gammaincc = _binary_class("gammaincc", _igamma_grads("igammac", -1))


def _zeta_grads(ctx, g, x, q, y):
    if ctx._inputs[0] is not None:
        raise _derivative_missing("zeta")
    return None, g * -x * _zeta_of(x + 1, q)


_Zeta = _binary_class("zeta", _zeta_grads)


def _zeta_of(x, q):
    return _Zeta.apply(x, q) if m.is_graph(x, q) else _run("zeta", x, q)


def _pair(name, input, other, *, scalars, floats_only=False):
    """(input, other) as two float tensors of PyTorch's result dtype (integers: float32). scalars: whether either
    may be a Python number (not both)."""
    op = f"special_{name}"
    for i, (arg, v) in enumerate((("input", input), ("other", other))):
        if not isinstance(v, Tensor) and not (scalars and isinstance(v, (int, float)) and not isinstance(v, bool)):
            raise TypeError(f"{op}(): argument '{arg}' (position {i + 1}) must be Tensor, not {type(v).__name__}")
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise TypeError(f"{op}() received an invalid combination of arguments - got ({type(input).__name__}, "
                            f"{type(other).__name__}), but expected one of: (Tensor, Tensor), (Number, Tensor), "
                            "(Tensor, Number)")
        b, a = promote_pair(other, input)
        a = as_tensor(a, b)
    else:
        a, b = promote_pair(input, other)
        b = as_tensor(b, a)
    if floats_only and a._data.dtype.kind not in "fV":
        raise not_implemented(floats_only, a)
    a, b = _floating(name, a), _floating(name, b)
    if a._data.dtype != b._data.dtype:
        b = b.to(a.dtype)
    return a, b


def gammainc(input, other):
    """The regularized lower incomplete gamma function ``P(input, other)`` (both tensors, floats); differentiable
    in `other` only, as PyTorch.

    Example: ``autograd_lite.special.gammainc(autograd_lite.tensor([2.0]), autograd_lite.tensor([1.0]))`` gives
    ``[0.2642]``."""
    return _Gammainc.apply(*_pair("gammainc", input, other, scalars=False, floats_only="igamma_cpu"))


def gammaincc(input, other):
    """The regularized upper incomplete gamma function ``Q(input, other) = 1 - P(input, other)``; differentiable
    in `other` only.

    Example: ``autograd_lite.special.gammaincc(autograd_lite.tensor([2.0]), autograd_lite.tensor([1.0]))`` gives
    ``[0.7358]``."""
    return _Gammaincc.apply(*_pair("gammaincc", input, other, scalars=False, floats_only="igammac_cpu"))


def zeta(input, other):
    """The Hurwitz zeta function ``sum_k (k + other) ** -input``; either may be a number; differentiable in
    `other`.

    Example: ``autograd_lite.special.zeta(autograd_lite.tensor([2.0]), 1.0)`` gives ``[1.6449]``."""
    return _Zeta.apply(*_pair("zeta", input, other, scalars=True))


def _polynomial(name, what):
    cls = _binary_class(name, None)

    def op(input, n):
        x, k = _pair(name, input, n, scalars=True)
        return cls.apply(x, k)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"{what} of degree n (a tensor or number, truncated to an integer; negative: 0) at input, "
                  f"elementwise, broadcasting; no gradient, as in PyTorch.\n\nExample: "
                  f"``autograd_lite.special.{name}(autograd_lite.tensor([0.5]), 3)``.")
    return op


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", "The Chebyshev polynomial of the first kind T_n")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", "The Chebyshev polynomial of the second kind U_n")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", "The Chebyshev polynomial of the third kind V_n")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", "The Chebyshev polynomial of the fourth kind W_n")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t", "The shifted Chebyshev polynomial T*_n")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u", "The shifted Chebyshev polynomial U*_n")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v", "The shifted Chebyshev polynomial V*_n")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w", "The shifted Chebyshev polynomial W*_n")
hermite_polynomial_h = _polynomial("hermite_polynomial_h", "The physicists' Hermite polynomial H_n")
hermite_polynomial_he = _polynomial("hermite_polynomial_he", "The probabilists' Hermite polynomial He_n")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", "The Laguerre polynomial L_n")
legendre_polynomial_p = _polynomial("legendre_polynomial_p", "The Legendre polynomial P_n")


# ---- xlog1py ------------------------------------------------------------------------------------------------------

class Xlog1py(Xlogy):
    """x * log1p(y), 0 where x == 0 (unless y is NaN), as PyTorch."""
    log, shift = "log1p", 1


def xlog1py(input, other):
    """``input * log1p(other)``, and 0 where input is 0; either may be a number; integers give float32.

    Example: ``autograd_lite.special.xlog1py(autograd_lite.tensor([0.0, 2.0]), autograd_lite.tensor([-1.0, 1.0]))``
    gives ``[0.0000, 1.3863]``."""
    return Xlog1py.apply(*x_log_operands("xlog1py", input, other))


# The names PyTorch also has at the top level and as Tensor methods (torch.i0, Tensor.igamma_, ...): the same ops.
_api.declare(i0, name="i0", inplace=True)
_api.declare(gammainc, name="igamma", inplace=True)
_api.declare(gammaincc, name="igammac", inplace=True)
