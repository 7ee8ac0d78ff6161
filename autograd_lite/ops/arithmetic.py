"""Arithmetic of two operands (the second may be a Python scalar: it gets no gradient): add, sub, mul, div, pow,
maximum, minimum, remainder, fmod, clamp; and the in-place arithmetic optimizers use."""
import math

from .. import _api
from ..autograd.function import Function
from ..autograd.grad_mode import state as _grad_state
from ..backend import backend_of
from ..tensor import Tensor
from . import _formula as m
from .math import reciprocal
from ._util import as_tensor, promote_pair, quiet, to_float, wrap, xp_of

declare = _api.declare


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx._inputs[1] is not None else None)


class RSub(Function):          # scalar - tensor
    op_name = "sub"

    @staticmethod
    def forward(ctx, a, s):
        return s - a

    @staticmethod
    def backward(ctx, g):
        return -g, None


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx._inputs       # each saved only for the other's gradient, as PyTorch
        ctx.save_for_backward(a if need_b is not None else None, b if need_a is not None else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx._saved
        inputs = ctx._inputs
        return (g * b if inputs[0] is not None else None,
                g * a if inputs[1] is not None else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx._inputs[1] is not None else None, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx._saved
        ga = g / b if ctx._inputs[0] is not None else None
        gb = -g * a / (b * b) if ctx._inputs[1] is not None else None
        return ga, gb


class Pow(Function):
    """a ** b with PyTorch's gradients at the edges: none through an exponent of 0 (not 0 * inf at a = 0), and
    none to the exponent where a = 0 and b >= 0."""

    @staticmethod
    def forward(ctx, a, b):
        with quiet(xp_of(a)):
            out = a ** b
        ctx.save_for_backward(a, b, out if ctx._inputs[1] is not None else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx._saved
        ga = gb = None
        if ctx._inputs[0] is not None:
            if isinstance(b, (int, float)):
                ga = m.zeros_like(g) if b == 0 else g * b * a ** (b - 1)
            else:
                ga = m.where(m.data(b) == 0, 0.0, g * b * a ** (b - 1))
        if ctx._inputs[1] is not None:
            gb = m.where((m.data(a) == 0) & (m.data(b) >= 0), 0.0, g * out * m.log(a))
        return ga, gb


class RPow(Function):          # scalar ** tensor
    op_name = "pow"

    @staticmethod
    def forward(ctx, b, s):
        out = s ** b
        ctx.save_for_backward(b, out)
        ctx.log_s = math.nan if s < 0 else (-math.inf if s == 0 else math.log(s))
        return out

    @staticmethod
    def backward(ctx, g):
        b, out = ctx._saved
        if ctx.log_s == -math.inf:          # 0 ** b: PyTorch's 0 where b >= 0
            return m.where(m.data(b) >= 0, 0.0, g * out * ctx.log_s), None
        return g * out * ctx.log_s, None


class _Extremum(Function):
    """maximum / minimum; ties split the gradient evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.pick(xp_of(a), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = (m.data(v) for v in ctx._saved)
        share = (ctx.wins(a, b) + 0.5 * (a == b)).astype(m.data(g).dtype, copy=False)     # piecewise constant
        return g * share, g * (1 - share)


class Maximum(_Extremum):
    pick = staticmethod(lambda xp, a, b: xp.maximum(a, b))
    wins = staticmethod(lambda a, b: a > b)


class Minimum(_Extremum):
    pick = staticmethod(lambda xp, a, b: xp.minimum(a, b))
    wins = staticmethod(lambda a, b: a < b)


@declare(operators=("__add__", "__radd__"))
def add(a, b, alpha=1):
    """``a + alpha * b``, broadcasting, with PyTorch's type promotion."""
    if alpha == 1 and isinstance(b, Tensor) and isinstance(a, Tensor) and a._data.dtype is b._data.dtype:
        return Add.apply(a, b)          # fast path: same dtype, nothing to promote
    if alpha != 1:
        b = mul(b, alpha) if isinstance(b, Tensor) else b * alpha
    if not isinstance(a, Tensor):
        a, b = b, a
    a, b = promote_pair(a, b)
    return Add.apply(a, b)


@declare(operators=("__sub__",), reflected=("__rsub__",), aliases=("subtract",))
def sub(a, b, alpha=1):
    """``a - alpha * b``."""
    if alpha == 1 and isinstance(b, Tensor) and isinstance(a, Tensor) and a._data.dtype is b._data.dtype:
        return Sub.apply(a, b)          # fast path: same dtype, nothing to promote
    if alpha != 1:
        b = mul(b, alpha) if isinstance(b, Tensor) else b * alpha
    if not isinstance(a, Tensor):
        b, a = promote_pair(b, a)
        return RSub.apply(b, a)
    a, b = promote_pair(a, b)
    return Sub.apply(a, b)


@declare(operators=("__mul__", "__rmul__"), aliases=("multiply",))
def mul(a, b):
    """``a * b``."""
    if isinstance(b, Tensor) and isinstance(a, Tensor) and a._data.dtype is b._data.dtype:
        return Mul.apply(a, b)            # fast path: same dtype, nothing to promote
    if not isinstance(a, Tensor):
        a, b = b, a
    a, b = promote_pair(a, b)
    return Mul.apply(a, b)


@declare(operators=("__truediv__",), reflected=("__rtruediv__",), aliases=("divide", "true_divide"))
def div(a, b, rounding_mode=None):
    """``a / b`` (true division: integers give float32), or rounded: rounding_mode 'trunc' or 'floor'."""
    if rounding_mode is not None:
        return _rounded_div(a, b, rounding_mode)
    if isinstance(b, Tensor) and isinstance(a, Tensor) and a._data.dtype is b._data.dtype \
            and a._data.dtype.kind == "f":
        return Div.apply(a, b)            # fast path: same float dtype
    if not isinstance(a, Tensor):         # scalar / tensor, as PyTorch: reciprocal, then times the scalar
        b, a = promote_pair(b, a)
        return mul(reciprocal(to_float(b)), a)
    a, b = promote_pair(a, b)
    a = to_float(a)
    if isinstance(b, Tensor):
        b = to_float(b)
    return Div.apply(a, b)


def _rounded_div(a, b, mode):
    a = as_tensor(a, b if isinstance(b, Tensor) else None)
    a, b = promote_pair(a, b)
    xp = xp_of(a._data)
    bd = b._data if isinstance(b, Tensor) else b
    if a._data.dtype.kind in "biu" and not xp.all(bd != 0):
        raise ZeroDivisionError("ZeroDivisionError: integer division by zero")
    if mode not in ("floor", "trunc"):
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {mode!r}")
    with quiet(xp):
        if mode == "floor":
            out = xp.floor_divide(a._data, bd)
        else:
            out = xp.trunc(a._data / bd).astype(a._data.dtype, copy=False)
    return wrap(out, a._data)


@declare(operators=("__floordiv__",), reflected=("__rfloordiv__",))
def floor_divide(a, b):
    """``a // b``: division rounded down."""
    return _rounded_div(a, b, "floor")


@declare(operators=("__pow__",), reflected=("__rpow__",), inplace=True)
def pow(a, b):
    """``a ** b``; differentiable in both (PyTorch's rules at a = 0 and b = 0)."""
    if not isinstance(a, Tensor):
        b, a = promote_pair(b, a)
        return RPow.apply(b, a)
    a, b = promote_pair(a, b)
    return Pow.apply(a, b)


@declare
def maximum(a, b):
    """Elementwise maximum of two tensors (ties share the gradient)."""
    a, b = promote_pair(a, as_tensor(b, a))
    return Maximum.apply(a, b)


@declare
def minimum(a, b):
    """Elementwise minimum of two tensors (ties share the gradient)."""
    a, b = promote_pair(a, as_tensor(b, a))
    return Minimum.apply(a, b)


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return xp_of(x).clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x = m.data(ctx._saved[0])
        keep = True
        if ctx.lo is not None:
            keep = x >= ctx.lo
        if ctx.hi is not None:
            keep = keep & (x <= ctx.hi)
        return g * keep, None, None


@declare(inplace=True, aliases=("clip",))
def clamp(x, min=None, max=None):
    """x limited to [min, max] (either may be None, a number or a tensor); the gradient passes inside."""
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    if x._data.dtype.kind != "f" and any(isinstance(v, float) for v in (min, max)):
        x = to_float(x)
    return Clamp.apply(x, min, max)


@declare(operators=("__mod__",), reflected=("__rmod__",))
def remainder(a, b):
    """Python's ``a % b``: the result has the sign of b."""
    a = as_tensor(a, b if isinstance(b, Tensor) else None)
    a, b = promote_pair(a, b)
    bd = b._data if isinstance(b, Tensor) else b
    if a._data.dtype.kind in "biu" and not xp_of(a._data).all(bd != 0):
        raise ZeroDivisionError("ZeroDivisionError: integer modulo by zero")
    with quiet(xp_of(a._data)):
        return wrap(xp_of(a._data).remainder(a._data, bd), a._data)


@declare(method="__pos__", top=False)
def positive(x):
    return x


# ---- in-place arithmetic: straight into the storage when autograd is not recording (the optimizer path) ------

def _fast_inplace(name, ufunc, op):
    def method(self, other, *args):
        if args:                              # add_(other, alpha)
            other = other * args[0] if args[0] != 1 else other
        if _grad_state.enabled and (self._rg or isinstance(other, Tensor) and other._rg):
            return self._inplace(op, other)
        data = self._data
        try:
            getattr(backend_of(data).xp, ufunc)(data, other._data if isinstance(other, Tensor) else other,
                                                 out=data)
        except (TypeError, ValueError) as e:       # NumPy's casting and broadcasting errors
            raise RuntimeError(f"{name}_: {e} (tensor of shape {tuple(data.shape)}, {self.dtype.name})") from None
        self._version[0] += 1
        return self
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place :func:`{name}`."
    return method


for _op, _ufunc, _dunder in ((add, "add", "__iadd__"), (sub, "subtract", "__isub__"), (mul, "multiply", "__imul__"),
                             (div, "true_divide", "__itruediv__")):
    declare(_op, method=False, top=False, inplace=_fast_inplace(_op.__name__, _ufunc, _op),
            inplace_operators=(_dunder,))
