"""More elementwise functions, each as PyTorch has it (method, ``name_``, top level): erfc, sinc, signbit,
fmax / fmin, copysign, heaviside, ldexp, gcd / lcm, nextafter, frexp, mvlgamma. Formulas on the array module (every
device), derivatives in the formula namespace (every order).

Example::

    autograd_lite.sinc(autograd_lite.tensor([0.0, 0.5]))      # [1.0000, 0.6366]
"""
import math

from .. import _api, return_types
from ..autograd.op_function import Function
from ..tensor import Tensor
from . import _formula as m
from ._pointwise import pointwise
from ._util import kernels_of, not_implemented, promote_pair, quiet, refuse_complex, to_float, wrap, xp_of
from .arithmetic import mul, pow as _pow
from .special import lgamma

declare = _api.declare

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)


def _erfc64(xp, x):
    """erfc in float64 with its relative precision in the tail: 1 - erf(|x|) below 2 (erfc(2) = 0.0047: at most
    2.3 digits lost to the subtraction), the continued fraction of erfc above; erfc(-x) = 2 - erfc(x)."""
    a = xp.abs(x)
    near = 1.0 - kernels_of(x).erf_forward(a)
    z = xp.maximum(a, 2.0)
    f = xp.zeros_like(z)
    for k in range(60, 0, -1):                   # 1 / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...))))
        f = (0.5 * k) / (z + f)
    far = xp.exp(-z * z) * _INV_SQRT_PI / (z + f)
    out = xp.where(a < 2.0, near, far)
    out = xp.where(x < 0, 2.0 - out, out)
    return xp.where(xp.isnan(x), x, out)


def _in_float64(fn):
    def formula(xp, x):
        return fn(xp, x.astype(xp.float64)).astype(x.dtype)
    return formula


erfc = pointwise("erfc", _in_float64(_erfc64), lambda g, x, y: -g * _TWO_OVER_SQRT_PI * m.exp(-x * x),
                 doc="The complementary error function ``1 - erf(x)``, precise in the tail, elementwise.\n\n"
                     "Example: ``autograd_lite.erfc(autograd_lite.tensor([0.0, 3.0]))`` gives ``[1.0000e+00, "
                     "2.2090e-05]``.")


def _sinc(xp, x):
    px = math.pi * x
    with quiet(xp):
        out = xp.sin(px) / px
    return xp.where(x == 0, xp.ones((), x.dtype), out).astype(x.dtype, copy=False)


def _sinc_derivative(g, x, y):
    px = x * math.pi
    return m.where(m.data(x) == 0, 0.0, g * (m.cos(px) * math.pi - y * math.pi) / px)


sinc = pointwise("sinc", _sinc, _sinc_derivative, saves="x out",
                 doc="The normalized sinc ``sin(pi x) / (pi x)`` (1 at 0), elementwise.\n\n"
                     "Example: ``autograd_lite.sinc(autograd_lite.tensor([0.0, 0.5]))`` gives ``[1.0000, 0.6366]``.")

for _name in ("erfc_", "sinc_"):
    _api.TOP[_name] = getattr(Tensor, _name)


@declare
def signbit(input):
    """Whether each element has its sign bit set (-0.0 included), as a bool tensor.

    Example: ``autograd_lite.signbit(autograd_lite.tensor([-0.0, 1.0]))`` gives ``[True, False]``."""
    refuse_complex(input, "signbit is not implemented for complex tensors.")
    d = input._data
    xp = xp_of(d)
    if d.dtype.kind == "b":
        return wrap(xp.zeros(d.shape, bool), d)
    return wrap(xp.signbit(d), d)


# ---- two tensors ----------------------------------------------------------------------------------------------------

def _tensor_other(name, other, arg="other"):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position 2) must be Tensor, not {type(other).__name__}")


class _FExtremum(Function):
    """fmax / fmin: the larger (smaller) of the two, NaN only where both are; the gradient goes to input where it
    wins or ties or other is NaN, as PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.pick(xp_of(a), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = (m.data(v) for v in ctx._saved)
        with quiet(xp_of(a)):
            first = ctx.wins(a, b) | xp_of(b).isnan(b)
        return m.where(first, g, 0.0), m.where(first, 0.0, g)


class Fmax(_FExtremum):
    pick = staticmethod(lambda xp, a, b: xp.fmax(a, b))
    wins = staticmethod(lambda a, b: a >= b)


class Fmin(_FExtremum):
    pick = staticmethod(lambda xp, a, b: xp.fmin(a, b))
    wins = staticmethod(lambda a, b: a <= b)


def _fextremum(name, cls, word):
    def op(input, other):
        _tensor_other(name, other)
        for t in (input, other):
            refuse_complex(t, f"{name} not implemented for complex tensors.", RuntimeError)
        a, b = promote_pair(input, other)
        return cls.apply(a, b)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"The elementwise {word} of two tensors, ignoring NaN (NaN only where both are); ties give input "
                  f"the gradient.\n\nExample: ``autograd_lite.{name}(autograd_lite.tensor([1.0, float('nan')]), "
                  f"autograd_lite.tensor([2.0, 3.0]))``")
    return declare(op)


fmax = _fextremum("fmax", Fmax, "maximum")
fmin = _fextremum("fmin", Fmin, "minimum")


class Copysign(Function):
    """|a| with the sign of b; gradient g * sign for a (0 where a == 0, as PyTorch), none for b."""

    @staticmethod
    def forward(ctx, a, b):
        out = xp_of(a).copysign(a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx._saved
        ad = m.data(a)
        with quiet(xp_of(ad)):
            ga = m.where(ad == 0, 0.0, g * out / a)
        return ga, (m.zeros_like(g) if ctx._inputs[1] is not None else None)


@declare(inplace=True)
def copysign(input, other):
    """The magnitude of input with the sign of other (a tensor or a number), as floats; differentiable in input.

    Example: ``autograd_lite.copysign(autograd_lite.tensor([1.0, -2.0]), -1)`` gives ``[-1., -2.]``."""
    a, b = promote_pair(input, other)
    a = to_float(a)
    if isinstance(b, Tensor):
        b = to_float(b)
        if b._data.dtype != a._data.dtype:
            a, b = promote_pair(a, b)
        return Copysign.apply(a, b)
    return Copysign.apply(a, xp_of(a._data).asarray(float(b), dtype=a._data.dtype))


@declare(inplace=True)
def heaviside(input, values):
    """The step function: 0 where input < 0, `values` (broadcast) where input == 0, 1 where input > 0; input and
    values of one dtype.

    Example: ``autograd_lite.heaviside(autograd_lite.tensor([-1.0, 0.0, 2.0]), autograd_lite.tensor([0.5]))``
    gives ``[0.0, 0.5, 1.0]``."""
    _tensor_other("heaviside", values, "values")
    for t in (input, values):
        refuse_complex(t, "heaviside is not yet implemented for complex tensors.", RuntimeError)
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    a, v = input._data, values._data
    xp = xp_of(a)
    out = xp.where(a == 0, v, (a > 0).astype(a.dtype))
    return wrap(out.astype(a.dtype, copy=False), a)


@declare(inplace=True)
def ldexp(input, other):
    """``input * 2 ** other``, as floats; differentiable in input and (a float) other.

    Example: ``autograd_lite.ldexp(autograd_lite.tensor([1.5]), autograd_lite.tensor([2]))`` gives ``[6.]``."""
    _tensor_other("ldexp", other)
    if input._data.dtype.kind in "fV" and other._data.dtype.kind not in "fV":
        other = other.to(input.dtype)           # 2 ** an integer exponent in input's precision (float16 stays)
    out = mul(input, _pow(2.0, other))
    return to_float(out) if out._data.dtype.kind not in "fV" else out


def _integer_pair(name, fn, doc):
    def op(input, other):
        _tensor_other(name, other)
        a, b = promote_pair(input, other)
        if a._data.dtype.kind not in "iu":
            raise not_implemented(f"{name}_cpu", a)
        return wrap(fn(xp_of(a._data), a._data, b._data), a._data)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return declare(op, inplace=True)


gcd = _integer_pair("gcd", lambda xp, a, b: xp.gcd(a, b),
                    "The greatest common divisor of integer tensors, elementwise (``gcd(0, 0) = 0``).\n\n"
                    "Example: ``autograd_lite.gcd(autograd_lite.tensor([4, 9]), autograd_lite.tensor([6, 3]))`` gives "
                    "``[2, 3]``.")
lcm = _integer_pair("lcm", lambda xp, a, b: xp.lcm(a, b),
                    "The least common multiple of integer tensors, elementwise (0 if either is 0).\n\n"
                    "Example: ``autograd_lite.lcm(autograd_lite.tensor([4, 9]), autograd_lite.tensor([6, 3]))`` gives "
                    "``[12, 9]``.")


@declare(inplace=True)
def nextafter(input, other):
    """The next floating-point value after input towards other, elementwise (not differentiable).

    Example: ``autograd_lite.nextafter(autograd_lite.tensor([1.0]), autograd_lite.tensor([2.0])) - 1`` is the float32
    epsilon."""
    _tensor_other("nextafter", other)
    a, b = promote_pair(input, other)
    if a._data.dtype.kind not in "fV":
        raise not_implemented("nextafter_cpu", a)
    return wrap(xp_of(a._data).nextafter(a._data, b._data), a._data)


for _name in ("ldexp_", "gcd_", "lcm_"):
    _api.TOP[_name] = getattr(Tensor, _name)
_api.TOP["xlogy_"] = Tensor.xlogy_


@declare
def frexp(input):
    """(mantissa, exponent) with ``input = mantissa * 2 ** exponent`` and 0.5 <= |mantissa| < 1, as
    ``return_types.frexp`` (exponent int32); floats only.

    Example: ``autograd_lite.frexp(autograd_lite.tensor([1.5]))`` gives mantissa ``[0.75]``, exponent ``[1]``."""
    d = input._data
    if d.dtype.kind not in "fV":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = xp_of(d).frexp(d if d.dtype.kind == "f" else d.astype("float32"))    # bfloat16: exact
    return return_types.frexp._of(wrap(mantissa.astype(d.dtype, copy=False), d), wrap(exponent.astype("int32"), d))


@declare(inplace=True)
def mvlgamma(input, p):
    """The multivariate log-gamma of dimension p: ``p (p - 1) / 4 log(pi) + sum_i lgamma(x - i / 2)``, i < p;
    differentiable to any order.

    Example: ``autograd_lite.mvlgamma(autograd_lite.tensor([2.5]), 2)`` gives ``[0.8570]``."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = to_float(input)
    out = lgamma(x)
    for i in range(1, p):
        out = out + lgamma(x - i / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)
