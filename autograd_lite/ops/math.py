"""Elementwise math of one tensor (a table: formula, derivative, what it saves), comparisons and logical ops.

Adding a row here is all a new differentiable op of one tensor takes: it works on every device, has gradients of
every order, and appears as ``autograd_lite.name``, ``Tensor.name`` and ``Tensor.name_``."""
import math

from .. import _api
from .. import _float8
from ..autograd.op_function import Function
from ..tensor import Tensor
from . import _formula as m
from ._pointwise import pointwise
from ._util import as_tensor, kernels_of, not_implemented, promote_pair, refuse_complex, wrap, xp_of

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_HALF_SQRT_PI = math.sqrt(math.pi) / 2


def _no_bool(op):
    def check(x):
        if x._data.dtype.kind == "b":
            raise not_implemented(op, x)
    return check


def _floats_only(op):
    def check(x):
        if x._data.dtype.kind not in "fV":
            raise not_implemented(op, x)
    return check


def _refuse_bool_negation(x):
    if x._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")


def _integral_or(fn):
    """A rounding formula that leaves integers as they are (as PyTorch: floor of an int64 tensor is itself)."""
    return lambda xp, x: x.copy() if x.dtype.kind in "iu" else fn(xp, x)


def _zero(g, x, y):
    return m.zeros_like(g)


def _kernel_formula(kernel):
    """The formula of an op that NumPy lacks: the kernel table's `kernel` (float32/float64; float16 through
    float32, as PyTorch computes it)."""
    def formula(xp, x):
        run = getattr(kernels_of(x), kernel)
        if x.dtype.itemsize >= 4:
            return run(x)
        return run(x.astype(xp.float32)).astype(x.dtype)
    return formula


# name, formula(xp, x), derivative(g, x, y), what it saves; then options (see _pointwise.pointwise)
neg = pointwise("neg", lambda xp, x: -x, lambda g, x, y: -g, saves="", floats=False, check=_refuse_bool_negation)
abs = pointwise("abs", lambda xp, x: xp.abs(x), lambda g, x, y: g * (m.sgn(x) if m.data(x).dtype.kind == "c" else
                m.sign(x)), floats=False, check=_no_bool("abs"), inplace=lambda self: _abs_(self))
sign = pointwise("sign", lambda xp, x: x.copy() if x.dtype.kind == "b" else
                xp.nan_to_num(xp.sign(x), nan=0.0) if x.dtype.kind == "f" else xp.sign(x), _zero, saves="", floats=False)
exp = pointwise("exp", lambda xp, x: xp.exp(x), lambda g, x, y: g * y, saves="out")
expm1 = pointwise("expm1", lambda xp, x: xp.expm1(x), lambda g, x, y: g * (y + 1), saves="out")
exp2 = pointwise("exp2", lambda xp, x: xp.exp2(x), lambda g, x, y: g * y * _LN2, saves="out")
square = pointwise("square", lambda xp, x: xp.square(x.astype("int64") if x.dtype.kind == "b" else x),
                   lambda g, x, y: 2 * g * x, floats=False)
log = pointwise("log", lambda xp, x: xp.log(x), lambda g, x, y: g / x)
log2 = pointwise("log2", lambda xp, x: xp.log2(x), lambda g, x, y: g / (x * _LN2))
log10 = pointwise("log10", lambda xp, x: xp.log10(x), lambda g, x, y: g / (x * _LN10))
log1p = pointwise("log1p", lambda xp, x: xp.log1p(x), lambda g, x, y: g / (x + 1))
sqrt = pointwise("sqrt", lambda xp, x: xp.sqrt(x), lambda g, x, y: g / (2 * y), saves="out")
rsqrt = pointwise("rsqrt", lambda xp, x: 1 / xp.sqrt(x), lambda g, x, y: -0.5 * g * y * y * y, saves="out")
reciprocal = pointwise("reciprocal", lambda xp, x: 1 / x, lambda g, x, y: -g * y * y, saves="out")
sin = pointwise("sin", lambda xp, x: xp.sin(x), lambda g, x, y: g * m.cos(x))
cos = pointwise("cos", lambda xp, x: xp.cos(x), lambda g, x, y: -g * m.sin(x))
tan = pointwise("tan", lambda xp, x: xp.tan(x), lambda g, x, y: g * (1 + y * y), saves="out")
asin = pointwise("asin", lambda xp, x: xp.arcsin(x), lambda g, x, y: g * m.rsqrt(1 - x * x))
acos = pointwise("acos", lambda xp, x: xp.arccos(x), lambda g, x, y: -g * m.rsqrt(1 - x * x))
atan = pointwise("atan", lambda xp, x: xp.arctan(x), lambda g, x, y: g / (1 + x * x))
sinh = pointwise("sinh", lambda xp, x: xp.sinh(x), lambda g, x, y: g * m.cosh(x))
cosh = pointwise("cosh", lambda xp, x: xp.cosh(x), lambda g, x, y: g * m.sinh(x))
asinh = pointwise("asinh", lambda xp, x: xp.arcsinh(x), lambda g, x, y: g * m.rsqrt(x * x + 1))


def _acosh_derivative(g, x, y):
    if m.data(x).dtype.kind == "c":           # off the real line sqrt(z * z - 1) takes the other branch
        return g * m.rsqrt(x - 1) * m.rsqrt(x + 1)
    return g * m.rsqrt(x * x - 1)


acosh = pointwise("acosh", lambda xp, x: xp.arccosh(x), _acosh_derivative)
atanh = pointwise("atanh", lambda xp, x: xp.arctanh(x), lambda g, x, y: g / (1 - x * x))
round = pointwise("round", _integral_or(lambda xp, x: xp.round(x)), _zero, saves="", floats=False,
                  check=_no_bool("round"))
trunc = pointwise("trunc", _integral_or(lambda xp, x: xp.trunc(x)), _zero, saves="", floats=False,
                  check=_no_bool("trunc"))
floor = pointwise("floor", _integral_or(lambda xp, x: xp.floor(x)), _zero, saves="", floats=False,
                  check=_no_bool("floor"))
ceil = pointwise("ceil", _integral_or(lambda xp, x: xp.ceil(x)), _zero, saves="", floats=False,
                 check=_no_bool("ceil"))
frac = pointwise("frac", lambda xp, x: x - xp.trunc(x), lambda g, x, y: g, saves="", floats=False,
                 check=_floats_only("frac"))
erf = pointwise("erf", _kernel_formula("erf_forward"), lambda g, x, y: g * _TWO_OVER_SQRT_PI * m.exp(-x * x),
                doc="The error function ``2 / sqrt(pi) * integral of exp(-t^2) from 0 to x``, elementwise.\n\n"
                    "Example: ``autograd_lite.erf(autograd_lite.tensor([0.0, 0.5]))`` gives ``[0.0000, 0.5205]``.")
erfinv = pointwise("erfinv", _kernel_formula("erfinv_forward"), lambda g, x, y: g * _HALF_SQRT_PI * m.exp(y * y),
                   saves="out", doc="The inverse of erf on [-1, 1] (+-inf at +-1, NaN outside), elementwise.\n\n"
                                    "Example: ``autograd_lite.erfinv(autograd_lite.tensor([0.0, 0.5]))`` gives "
                                    "``[0.0000, 0.4769]``.")
_api.declare(neg, name="negative", operators=("__neg__",), inplace=True)
def _abs_(self):
    refuse_complex(self, "In-place abs is not supported for complex tensors.", RuntimeError)   # |z| is real
    return self._inplace(abs)


_api.declare(abs, name="absolute", operators=("__abs__",), inplace=_abs_)
_api.declare(asin, name="arcsin", inplace=True)
_api.declare(acos, name="arccos", inplace=True)
_api.declare(atan, name="arctan", inplace=True)
_api.declare(asinh, name="arcsinh", inplace=True)
_api.declare(acosh, name="arccosh", inplace=True)
_api.declare(atanh, name="arctanh", inplace=True)
_api.declare(trunc, name="fix", inplace=True)


def _into_self(op):
    """The in-place form of an op whose result dtype differs (comparisons, logical ops): the result is cast to
    this tensor's dtype, as PyTorch's ``x.eq_(y)`` writes 1 / 0 into a float or integer x."""
    def method(self, *args):
        return self._inplace(lambda a, *rest: _as_dtype(op(a, *rest), a), *args)
    method.__name__ = method.__qualname__ = op.__name__ + "_"
    method.__doc__ = f"In-place :func:`{op.__name__}`, written in this tensor's dtype."
    return method


def _as_dtype(out, like):
    return out if out._data.dtype == like._data.dtype else wrap(out._data.astype(like._data.dtype), like._data)


# ---- comparisons (bool results, no gradient) --------------------------------------------------

class _Compare(Function):
    differentiable = False          # never part of a graph, so no backward


def _comparison(name, fn, dunder, aliases):
    cls = type(name.capitalize(), (_Compare,), {"op_name": name, "forward": staticmethod(fn)})
    ordered = name not in ("eq", "ne")          # complex numbers have no order

    def op(a, b):
        if not isinstance(a, Tensor):
            a = as_tensor(a, b)
        a, b = promote_pair(a, b)
        if ordered and a._data.dtype.kind == "c":
            raise not_implemented(f"{name}_cpu", a)
        return cls.apply(a, b)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{dunder}`` as a bool tensor."
    return _api.declare(op, operators=(f"__{name}__",), aliases=aliases, inplace=_into_self(op))


eq = _comparison("eq", lambda ctx, a, b: a == b, "==", ())
ne = _comparison("ne", lambda ctx, a, b: a != b, "!=", ("not_equal",))
lt = _comparison("lt", lambda ctx, a, b: a < b, "<", ("less",))
le = _comparison("le", lambda ctx, a, b: a <= b, "<=", ("less_equal",))
gt = _comparison("gt", lambda ctx, a, b: a > b, ">", ("greater",))
ge = _comparison("ge", lambda ctx, a, b: a >= b, ">=", ("greater_equal",))


# ---- logical / bitwise ------------------------------------------------------------------------

def _logical_operand(b, a, name):
    if not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}")
    return b


def _logical(word, fn):
    def op(a, b):
        _float8.refuse("logical_" + word, a, b)
        b = _logical_operand(b, a, "logical_" + word)
        return wrap(fn(xp_of(a._data), a._data, b._data), a._data)
    op.__name__ = op.__qualname__ = "logical_" + word
    op.__doc__ = f"Elementwise logical {word} of the truth values (nonzero) of two tensors, as a bool tensor."
    return _api.declare(op, inplace=_into_self(op))


logical_and = _logical("and", lambda xp, a, b: xp.logical_and(a, b))
logical_or = _logical("or", lambda xp, a, b: xp.logical_or(a, b))
logical_xor = _logical("xor", lambda xp, a, b: xp.logical_xor(a, b))


def logical_not(a):
    """The logical not of a tensor's truth values (nonzero), as a bool tensor."""
    _float8.refuse("logical_not", a)
    return wrap(a._data == 0, a._data)


_api.declare(logical_not, inplace=_into_self(logical_not))


def _integral(op, kernel, a, b=None):
    for t in (a, b):
        if isinstance(t, Tensor) and t._data.dtype.kind not in "biu":
            raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'{t.dtype.scalar_type}\'')
        if isinstance(t, float):
            raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'Float\'')


@_api.declare(inplace=True)
def bitwise_not(a):
    """``~x``: bitwise not of an integer tensor, logical not of a bool one."""
    _integral("bitwise_not", "bitwise_not", a)
    return wrap(~a._data, a._data)


def _invert(a):
    if a._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(a)


_api.declare(_invert, method=False, top=False, operators=("__invert__",))


def _bitwise(name, kernel, fn, operator):
    def op(a, b):
        if not isinstance(a, Tensor):
            a = as_tensor(a, b)
        _integral(name, kernel, a, b)
        bd = b._data if isinstance(b, Tensor) else b
        return wrap(fn(xp_of(a._data), a._data, bd), a._data)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{operator}`` of integer or bool tensors (or a tensor and a Python int)."
    return op


bitwise_and = _api.declare(_bitwise("bitwise_and", "bitwise_and", lambda xp, a, b: a & b, "&"),
                           operators=("__and__", "__rand__"), inplace=True, inplace_operators=("__iand__",))
bitwise_or = _api.declare(_bitwise("bitwise_or", "bitwise_or", lambda xp, a, b: a | b, "|"),
                          operators=("__or__", "__ror__"), inplace=True, inplace_operators=("__ior__",))
bitwise_xor = _api.declare(_bitwise("bitwise_xor", "bitwise_xor", lambda xp, a, b: a ^ b, "^"),
                           operators=("__xor__", "__rxor__"), inplace=True, inplace_operators=("__ixor__",))
bitwise_left_shift = _api.declare(_bitwise("bitwise_left_shift", "lshift",
                                           lambda xp, a, b: xp.left_shift(a, b), "<<"),
                                  operators=("__lshift__",), reflected=("__rlshift__",), inplace=True,
                                  inplace_operators=("__ilshift__",))
bitwise_right_shift = _api.declare(_bitwise("bitwise_right_shift", "rshift",
                                            lambda xp, a, b: xp.right_shift(a, b), ">>"),
                                   operators=("__rshift__",), reflected=("__rrshift__",), inplace=True,
                                   inplace_operators=("__irshift__",))


@_api.declare
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|a - b| <= atol + rtol * |b|`` as a bool tensor."""
    b = as_tensor(b, a)
    _float8.refuse("isclose", a, b)
    return wrap(xp_of(a._data).isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan), a._data)


@_api.declare
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of a is close to b's (see isclose)."""
    b = as_tensor(b, a)
    _float8.refuse("allclose", a, b)
    return bool(xp_of(a._data).allclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@_api.declare
def equal(a, b):
    """``torch.equal``: True when a and b have the same shape and elements."""
    _float8.refuse("equal", a, b)
    return tuple(a.shape) == tuple(b.shape) and bool(xp_of(a._data).array_equal(a._data, b._data))
