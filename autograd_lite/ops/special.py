"""Floating-point classes (isnan, isinf, isfinite, isposinf, isneginf, nan_to_num), the elementwise functions of two
tensors that keep precision (logaddexp, logaddexp2, hypot, xlogy, float_power), addcmul / addcdiv, logit,
deg2rad / rad2deg, and the gamma family (lgamma, digamma, polygamma) written on the array module.

Example::

    autograd_lite.logaddexp(autograd_lite.tensor([0.0]), autograd_lite.tensor([0.0]))    # [0.6931]
"""
import math

from .. import _api, _dtype
from .. import _float8
from ..autograd.op_function import Function
from ..tensor import Tensor
from . import _formula as m
from ._pointwise import pointwise
from ._util import as_tensor, cast, not_implemented, promote_pair, quiet, refuse_complex, to_float, wrap, xp_of
from .arithmetic import add, clamp, div, mul, pow as _pow
from .math import log, log1p

declare = _api.declare


# ---- floating-point classes (bool results) ---------------------------------------------------------------------

def _classify(name, test, integral):
    def op(input):
        if name in ("isposinf", "isneginf"):
            refuse_complex(input, f"{name} does not support complex inputs.", RuntimeError)
        d = input._data
        xp = xp_of(d)
        if _float8.is_float8(d.dtype):
            if name != "isnan":
                _float8.refuse(name, input)
            if d.dtype.name != "float8_e8m0fnu" or name != "isfinite":    # (PyTorch's e8m0 is all finite, NaN too)
                d = _float8.to_float32(d)
        if d.dtype.kind != "f":                         # integers and bools are finite, never nan or inf
            return wrap(xp.full(d.shape, integral, dtype=bool), d)
        return wrap(test(xp, d), d)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"Elementwise ``{name}`` as a bool tensor (integer and bool tensors: all {integral}).\n\n"
                  f"Example: ``autograd_lite.{name}(autograd_lite.tensor([1.0, float('inf'), float('nan')]))``")
    return declare(op)


isnan = _classify("isnan", lambda xp, d: xp.isnan(d), False)
isinf = _classify("isinf", lambda xp, d: xp.isinf(d), False)
isfinite = _classify("isfinite", lambda xp, d: xp.isfinite(d), True)
isposinf = _classify("isposinf", lambda xp, d: xp.isposinf(d), False)
isneginf = _classify("isneginf", lambda xp, d: xp.isneginf(d), False)


class NanToNum(Function):
    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return xp_of(x).nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        x = m.data(ctx._saved[0])
        return m.where(xp_of(x).isfinite(x), g, 0.0), None, None, None


@declare(inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by `nan`, `posinf` and `neginf` (default: 0 and the dtype's largest and smallest
    finite values); the gradient flows through the finite elements only.

    Example: ``autograd_lite.nan_to_num(autograd_lite.tensor([float('nan'), 1.0]))`` gives ``[0., 1.]``."""
    if input._data.dtype.kind not in "fV":
        return input.clone()
    return NanToNum.apply(input, nan, posinf, neginf)


# ---- two tensors, one Function each (formula on the array module, derivative in the formula namespace) ---------

CLASSES = {}        # name -> its Function class (complex_numbers gives logaddexp's PyTorch's complex gradients)


def _binary(name, formula, derivative, doc, complex_ok=False):
    """Declares ``name(input, other)``: float tensors (integers refused, as PyTorch; complex ones where
    `complex_ok`), broadcasting, gradients of every order. derivative(g, a, b, y) returns (d/da, d/db) times g."""
    def forward(ctx, a, b):
        xp = xp_of(a)
        with quiet(xp):
            y = formula(xp, a, b)
        ctx.save_for_backward(a, b, y)
        return y

    def backward(ctx, g):
        a, b, y = ctx._saved
        with quiet(xp_of(m.data(g))):
            ga, gb = derivative(g, a, b, y)
        return (ga if ctx._inputs[0] is not None else None), (gb if ctx._inputs[1] is not None else None)

    cls = type(name.title(), (Function,), {"op_name": name, "forward": staticmethod(forward),
                                           "backward": staticmethod(backward)})
    CLASSES[name] = cls

    def op(input, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
        a, b = promote_pair(input, other)
        if a._data.dtype.kind not in ("fVc" if complex_ok else "fV"):
            raise not_implemented(f"{name}_cpu", a)
        return cls.apply(a, b)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return declare(op, inplace=name == "hypot")


def logaddexp_complex(xp, x, y):
    """log(exp(x) + exp(y)) of complex arrays as PyTorch's kernel computes it: max + log1p(exp(min - max)), min and max
    by real part (a tie: max is x), so the imaginary part stays within pi / 2 of max's (no wrap to (-pi, pi]); NaN
    anywhere gives NaN; both real parts -inf gives min, both +inf log(exp(min) + exp(max))."""
    swap = ~(x.real < y.real)
    lo, hi = xp.where(swap, y, x), xp.where(swap, x, y)
    out = xp.log1p(xp.exp(lo - hi)) + hi
    same_inf = ~xp.isfinite(lo.real) & (lo.real == hi.real)
    if same_inf.any():
        out = xp.where(same_inf, xp.where(lo.real < 0, lo, xp.log(xp.exp(lo) + xp.exp(hi))), out)
    nan = xp.isnan(x) | xp.isnan(y)
    if nan.any():
        out = xp.where(nan, xp.asarray(complex(math.nan, math.nan), out.dtype), out)
    return out.astype(xp.result_type(x, y), copy=False)


logaddexp = _binary("logaddexp", lambda xp, a, b: xp.logaddexp(a, b) if a.dtype.kind != "c" else
                    logaddexp_complex(xp, a, b),
                    lambda g, a, b, y: (g * m.exp(a - y), g * m.exp(b - y)),
                    "``log(exp(input) + exp(other))`` without overflow (complex input too, as PyTorch).\n\nExample: "
                    "``autograd_lite.logaddexp(autograd_lite.tensor([1000.0]), autograd_lite.tensor([1000.0]))`` "
                    "gives ``[1000.6931]``.", complex_ok=True)
logaddexp2 = _binary("logaddexp2", lambda xp, a, b: xp.logaddexp2(a, b),
                     lambda g, a, b, y: (g * m.exp2(a - y), g * m.exp2(b - y)),
                     "``log2(2 ** input + 2 ** other)`` without overflow.\n\nExample: "
                     "``autograd_lite.logaddexp2(autograd_lite.tensor([1.0]), autograd_lite.tensor([1.0]))`` "
                     "gives ``[2.]``.")
hypot = _binary("hypot", lambda xp, a, b: xp.hypot(a, b), lambda g, a, b, y: (g * a / y, g * b / y),
                "``sqrt(input ** 2 + other ** 2)`` without overflow.\n\nExample: "
                "``autograd_lite.hypot(autograd_lite.tensor([3.0]), autograd_lite.tensor([4.0]))`` gives ``[5.]``.")


class Xlogy(Function):
    """x * log(y + shift), 0 where x == 0 (unless y is NaN), as PyTorch; log names the array function (log, or
    log1p for xlog1py with shift 1)."""
    log, shift = "log", 0

    @staticmethod
    def forward(ctx, x, y):
        xp = xp_of(x)
        ctx.save_for_backward(x, y)
        with quiet(xp):
            return xp.where((x == 0) & ~xp.isnan(y), xp.zeros((), x.dtype),
                            x * getattr(xp, ctx.log)(y)).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx._saved
        with quiet(xp_of(m.data(g))):
            # PyTorch's: g * log(y + shift), 0 only where x == 0 and y + shift <= 0 (no slope in the limit there)
            gx = m.where((m.data(x) == 0) & (m.data(y) <= -ctx.shift), 0.0, g * getattr(m, ctx.log)(y)) \
                if ctx._inputs[0] is not None else None
            gy = g * x / (y + ctx.shift if ctx.shift else y) if ctx._inputs[1] is not None else None
        return gx, gy


def x_log_operands(name, input, other):
    """xlogy's and xlog1py's operands: either may be a number, promoted together, integers as float32."""
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): at least one of input and other must be a Tensor")
        input = as_tensor(input, other)
    other = as_tensor(other, input)
    a, b = promote_pair(input, other)
    refuse_complex(a, f"\"{name}\" not implemented for '{{type}}'")     # promoted: complex if either is
    return to_float(a), to_float(b)


@declare(inplace=True)
def xlogy(input, other):
    """``input * log(other)``, and 0 where input is 0 (the entropy term); either may be a number; integers give
    float32.

    Example: ``autograd_lite.xlogy(autograd_lite.tensor([0.0, 2.0]), autograd_lite.tensor([0.0, 1.0]))`` gives
    ``[0., 0.]``."""
    return Xlogy.apply(*x_log_operands("xlogy", input, other))


@declare(inplace=True)
def logit(input, eps=None):
    """``log(p / (1 - p))``, p clamped to [eps, 1 - eps] first when eps is given (zero gradient outside).

    Example: ``autograd_lite.logit(autograd_lite.tensor([0.5, 0.75]))`` gives ``[0.0000, 1.0986]``."""
    refuse_complex(input, "\"logit\" not implemented for '{type}'")
    p = to_float(input)
    if eps is not None:
        p = clamp(p, eps, 1 - eps)
    return log(p) - log1p(-p)


_D2R = math.pi / 180


def _refuse_complex_angle(name):
    return lambda x: refuse_complex(x, f"{name} is not supported for complex tensors.", RuntimeError)


deg2rad = pointwise("deg2rad", lambda xp, x: x * _D2R, lambda g, x, y: g * _D2R, saves="",
                    check=_refuse_complex_angle("deg2rad"),
                    doc="Degrees to radians, elementwise (integers give float32).\n\n"
                        "Example: ``autograd_lite.deg2rad(autograd_lite.tensor([180.0]))`` gives ``[3.1416]``.")
rad2deg = pointwise("rad2deg", lambda xp, x: x / _D2R, lambda g, x, y: g / _D2R, saves="",
                    check=_refuse_complex_angle("rad2deg"),
                    doc="Radians to degrees, elementwise (integers give float32).\n\n"
                        "Example: ``autograd_lite.rad2deg(autograd_lite.tensor([3.1416]))`` gives ``[180.0004]``.")


def _float_power_inplace(self, exponent):
    if self._data.dtype.name != "float64":
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype.scalar_type} but the operation's "
                           "result requires dtype Double")
    return self._inplace(float_power, exponent)


@declare(inplace=_float_power_inplace)
def float_power(input, exponent):
    """``input ** exponent`` in float64 (both converted first), whatever their dtypes.

    Example: ``autograd_lite.float_power(autograd_lite.tensor([2]), 2)`` gives ``[4.]`` (float64)."""
    f64, scalar = _dtype.float64, float
    if any(isinstance(t, complex) or isinstance(t, Tensor) and t._data.dtype.kind == "c" for t in (input, exponent)):
        f64, scalar = _dtype.complex128, complex        # a complex operand: the power in complex128
    if not isinstance(input, Tensor):
        return _pow(float(input), cast(exponent, f64))
    if isinstance(exponent, Tensor):
        exponent = cast(exponent, f64)
    elif not isinstance(exponent, bool):
        exponent = scalar(exponent)
    return _pow(cast(input, f64), exponent)


# ---- addcmul / addcdiv ----------------------------------------------------------------------------------------

def _scaled(t, value):
    return t if value == 1 else mul(t, value)


@declare(inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``, broadcasting (the update of Adam-style optimizers).

    Example: ``autograd_lite.addcmul(autograd_lite.zeros(2), autograd_lite.ones(2), autograd_lite.ones(2),
    value=0.5)`` gives ``[0.5, 0.5]``."""
    prod = mul(tensor1, tensor2)
    if prod._data.dtype.kind in "biu" and input._data.dtype.kind in "biu":
        value = int(value)
    return add(input, _scaled(prod, value))


@declare(inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``, broadcasting; tensor1 and tensor2 may not both be integers.

    Example: ``autograd_lite.addcdiv(autograd_lite.zeros(2), autograd_lite.ones(2), autograd_lite.full((2,), 4.0),
    value=2)`` gives ``[0.5, 0.5]``."""
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a "
            "true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + "
            "value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * "
            "tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    return add(input, _scaled(div(tensor1, tensor2), value))


# ---- the gamma family -------------------------------------------------------------------------------------------

_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)       # B_2, B_4, ..., B_14


def _in_float(fn):
    """fn on float64 (float32 and float16 computed in float64 and rounded, as exact as the dtype holds)."""
    def formula(xp, x):
        with quiet(xp):
            return fn(xp, x.astype(xp.float64)).astype(x.dtype)
    return formula


def _lgamma64(xp, x):
    """log|Gamma(x)|: Lanczos (g = 7) for x >= 0.5, the reflection formula below."""
    small = x < 0.5
    z = xp.where(small, 1 - x, x) - 1
    s = xp.full(x.shape, _LANCZOS[0])
    for k, c in enumerate(_LANCZOS[1:], 1):
        s = s + c / (z + k)
    t = z + 7.5
    big = _HALF_LOG_2PI + (z + 0.5) * xp.log(t) - t + xp.log(s)
    sine = xp.abs(xp.sin(math.pi * (x - 2 * xp.floor(x / 2))))        # sin(pi x), exact at the integers
    out = xp.where(small, math.log(math.pi) - xp.log(sine) - big, big)
    return xp.where(xp.isinf(x) | ((x <= 0) & (x == xp.floor(x))), xp.inf, out)


def _digamma64(xp, x):
    """psi(x): the recurrence up to x >= 10, then the asymptotic series; the reflection formula below 0.5."""
    small = x < 0.5
    z = xp.where(small, 1 - x, x)
    acc = xp.zeros(x.shape)
    for _ in range(10):
        low = z < 10
        acc = acc - xp.where(low, 1 / z, 0.0)
        z = xp.where(low, z + 1, z)
    inv2 = 1 / (z * z)
    series = xp.zeros(x.shape)
    for k in range(len(_BERNOULLI) - 1, -1, -1):
        series = (series + _BERNOULLI[k] / (2 * k + 2)) * inv2
    out = acc + xp.log(z) - 0.5 / z - series
    whole = x == xp.floor(x)
    reflected = out - math.pi / xp.tan(math.pi * (x - xp.floor(x)))
    out = xp.where(small, xp.where(whole, xp.nan, reflected), out)
    return xp.where(x == 0, -xp.inf, xp.where(x == xp.inf, xp.inf, out))


def _polygamma64(xp, n, x):
    """psi^(n)(x), n >= 1: the recurrence up to x >= 20 (any number of steps), then the asymptotic series."""
    sign = -1.0 if n % 2 == 0 else 1.0
    fact = math.factorial(n)
    z = x.copy()
    acc = xp.zeros(x.shape)
    lowest = float(xp.nanmin(x)) if x.size else 20.0
    steps = int(math.ceil(20 - lowest)) if math.isfinite(lowest) and lowest < 20 else 0
    for _ in range(min(steps, 100000)):
        low = z < 20
        acc = acc + xp.where(low, 1 / z ** (n + 1), 0.0)
        z = xp.where(low, z + 1, z)
    series = math.factorial(n - 1) / z ** n + fact / (2 * z ** (n + 1))
    for k, b in enumerate(_BERNOULLI, 1):
        series = series + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / z ** (2 * k + n)
    out = sign * (fact * acc + series)
    return xp.where((x <= 0) & (x == xp.floor(x)), -xp.inf if n % 2 == 0 else xp.inf, out)


class Polygamma(Function):
    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return _in_float(lambda xp, v: _polygamma64(xp, n, v))(xp_of(x), x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx._saved
        return g * (Polygamma.apply(x, ctx.n + 1) if m.is_graph(x) else Polygamma.forward(_ctx(), x, ctx.n + 1)), None


def _ctx():
    return Function.__new__(Polygamma)


lgamma = pointwise("lgamma", _in_float(_lgamma64), lambda g, x, y: g * m.digamma(x),
                   doc="log|Gamma(x)|, elementwise (integers give float32).\n\n"
                       "Example: ``autograd_lite.lgamma(autograd_lite.tensor([3.0]))`` gives ``[0.6931]``.")
digamma = pointwise("digamma", _in_float(_digamma64),
                    lambda g, x, y: g * (Polygamma.apply(x, 1) if m.is_graph(x)
                                         else Polygamma.forward(_ctx(), x, 1)),
                    doc="The logarithmic derivative of Gamma, elementwise (integers give float32).\n\n"
                        "Example: ``autograd_lite.digamma(autograd_lite.tensor([1.0]))`` gives ``[-0.5772]``.")
declare(digamma, name="psi", method=False)


def _polygamma_method(self, n):
    return polygamma(n, self)


@declare(method=False)
def polygamma(n, input):
    """The n-th derivative of digamma (n >= 0), elementwise; differentiable to any order.

    Example: ``autograd_lite.polygamma(1, autograd_lite.tensor([1.0]))`` gives ``[1.6449]`` (pi^2 / 6)."""
    if not isinstance(n, int) or n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input)
    refuse_complex(input, "\"polygamma\" not implemented for '{type}'")
    return Polygamma.apply(to_float(input), n)


declare(_polygamma_method, name="polygamma", top=False, inplace=True)
