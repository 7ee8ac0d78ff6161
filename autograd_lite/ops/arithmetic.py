"""Arithmetic of two operands (the second may be a Python scalar: it gets no gradient): add, sub, mul, div, pow,
maximum, minimum, remainder, fmod, atan2, lerp, clamp; and the in-place arithmetic optimizers use."""
import math
import warnings

from .. import _api, _dtype
from ..autograd.op_function import Function, saved_value
from ..autograd.grad_mode import state as _grad_state
from ..backend import backend_of
from ..tensor import Tensor
from . import _formula as m
from .math import reciprocal
from ._util import as_tensor, cast, not_implemented, promote_pair, quiet, refuse_complex, to_float, xp_of

declare = _api.declare


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """PyTorch's RuntimeError('ZeroDivisionError') for integer division or modulo by zero; also a ZeroDivisionError,
    as Python's own."""


def _refuse_integer_zero_divisor(a, bd):
    if a._data.dtype.kind in "biu" and not xp_of(a._data).all(bd != 0):
        raise IntegerDivisionByZero("ZeroDivisionError")


def _is_array(x):
    return hasattr(x, "dtype") and hasattr(x, "shape")


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
    saved_names = {"self": 0, "other": 1}

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx._inputs       # each saved only for the other's gradient, as PyTorch
        ctx._saved = (a if need_b is not None else None, b if need_a is not None else None)  # save_for_backward, inline
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx._saved
        inputs = ctx._inputs
        return (g * b if inputs[0] is not None else None,
                g * a if inputs[1] is not None else None)


class Div(Function):
    """a / b; x / 0 is inf or nan without a word, as PyTorch."""
    saved_names = {"self": 0, "other": 1}

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx._inputs[1] is not None else None, b)
        with quiet(xp_of(a)):
            return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx._saved
        with quiet(xp_of(m.data(g))):
            ga = g / b if ctx._inputs[0] is not None else None
            gb = -g * a / (b * b) if ctx._inputs[1] is not None else None
        return ga, gb


class Pow(Function):
    """a ** b with PyTorch's gradients at the edges: none through an exponent of 0 (not 0 * inf at a = 0), and
    none to the exponent where a = 0 and b >= 0. PowTensor: the same for a tensor exponent (torch's node names)."""
    saved_names = {"self": 0, "exponent": lambda node: saved_value(node, 1)}

    @staticmethod
    def forward(ctx, a, b):
        with quiet(xp_of(a)):
            out = _integer_pow(a, b) if a.dtype.kind in "iu" else a ** b
        ctx.save_for_backward(a, b, out if ctx._inputs[1] is not None else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx._saved
        ga = gb = None
        with quiet(xp_of(m.data(a))):       # 0 ** -1 = inf, log(0) = -inf: silently, as PyTorch
            if ctx._inputs[0] is not None:
                if isinstance(b, (int, float)):
                    ga = m.zeros_like(g) if b == 0 else g * b * a ** (b - 1)
                else:
                    ga = m.where(m.data(b) == 0, 0.0, g * b * a ** (b - 1))
            if ctx._inputs[1] is not None:
                gb = m.where((m.data(a) == 0) & (m.data(b) >= 0), 0.0, g * out * m.log(a))
        return ga, gb


class PowTensor(Pow):           # tensor ** tensor
    saved_names = {"self": 0, "exponent": 1, "result": 2}

    def name(self):
        return "PowBackward1"


class RPow(Function):          # scalar ** tensor
    op_name = "pow"
    saved_names = {"self": "base", "exponent": 0, "result": 1}

    @staticmethod
    def forward(ctx, b, s):
        with quiet(xp_of(b)):
            out = _integer_pow(s, b) if b.dtype.kind in "iu" else s ** b
        ctx.save_for_backward(b, out)
        ctx.log_s = math.nan if s < 0 else (-math.inf if s == 0 else math.log(s))
        ctx.base = s
        return out

    @staticmethod
    def backward(ctx, g):
        b, out = ctx._saved
        with quiet(xp_of(m.data(b))):
            if ctx.log_s == -math.inf:          # 0 ** b: PyTorch's 0 where b >= 0
                return m.where(m.data(b) >= 0, 0.0, g * out * ctx.log_s), None
            return g * out * ctx.log_s, None

    def name(self):
        return "PowBackward2"


def _integer_pow(a, b):
    """a ** b for integers (one of them an array), with PyTorch's rule for negative exponents (NumPy refuses them):
    1 ** b = 1, (-1) ** b = 1 or -1 as b is even or odd, any other base 0."""
    xp = xp_of(b if hasattr(b, "dtype") else a)
    negative = b < 0
    if not xp.any(negative):
        return a ** b
    out = a ** xp.where(negative, 0, b)
    small = xp.where(a == -1, xp.where(b % 2 == 0, 1, -1), xp.where(a == 1, 1, 0))
    return xp.where(negative, small, out).astype(out.dtype, copy=False)


class _Extremum(Function):
    """maximum / minimum; ties split the gradient evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.pick(xp_of(a), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = (m.data(v) for v in ctx._saved)
        wins, tie = ctx.wins(a, b), a == b          # selected, not multiplied: an inf gradient of the loser stays out
        half = m.where(tie, g * 0.5, 0.0)
        return m.where(wins, g, half), m.where(wins | tie, half, g)


class Maximum(_Extremum):
    pick = staticmethod(lambda xp, a, b: xp.maximum(a, b))
    wins = staticmethod(lambda a, b: a > b)


class Minimum(_Extremum):
    pick = staticmethod(lambda xp, a, b: xp.minimum(a, b))
    wins = staticmethod(lambda a, b: a < b)


def _alpha_first(name, alpha, other):
    """PyTorch's deprecated ``add(Number alpha, Tensor other)`` order (old scripts' ``p.data.add_(-lr, grad)``),
    warned about as torch does; returns (other, alpha)."""
    warnings.warn(f"This overload of {name} is deprecated:\n\t{name}(Number alpha, Tensor other)\nConsider using "
                  f"one of the following signatures instead:\n\t{name}(Tensor other, *, Number alpha = 1)",
                  UserWarning, stacklevel=3)
    return other, alpha


@declare(operators=("__add__", "__radd__"))
def add(a, b, alpha=1):
    """``a + alpha * b``, broadcasting, with PyTorch's type promotion."""
    if isinstance(alpha, Tensor) and not isinstance(b, Tensor):
        b, alpha = _alpha_first("add", b, alpha)
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
    if isinstance(alpha, Tensor) and not isinstance(b, Tensor):
        b, alpha = _alpha_first("sub", b, alpha)
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
            and a._data.dtype.kind in "fV":
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
    bd = b._data if isinstance(b, Tensor) else b
    _refuse_integer_zero_divisor(a, bd)
    if mode not in ("floor", "trunc"):
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {mode!r}")
    return RoundedDiv.apply(a, b, mode)


class RoundedDiv(Function):
    """a / b rounded ('floor' or 'trunc'): a step function of both, so their gradients are zero (PyTorch's
    DivBackward2); recorded all the same, so that a loss through it still backpropagates."""

    @staticmethod
    def forward(ctx, a, b, mode):
        xp = xp_of(a)
        with quiet(xp):
            if mode == "floor":
                return xp.floor_divide(a, b)
            return xp.trunc(a / b).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        zero = m.zeros_like(g)
        return tuple(zero if given is not None else None for given in ctx._inputs[:2]) + (None,)

    def name(self):
        return "DivBackward2"


@declare(operators=("__floordiv__",), reflected=("__rfloordiv__",))
def floor_divide(a, b):
    """``a // b``: division rounded down."""
    return _rounded_div(a, b, "floor")


@declare(operators=("__pow__",), reflected=("__rpow__",), inplace=True, inplace_operators=("__ipow__",))
def pow(a, b):
    """``a ** b``; differentiable in both (PyTorch's rules at a = 0 and b = 0). Integers to negative integer
    tensor powers follow PyTorch (``2 ** -1 == 0``); to a negative Python int they raise, as in PyTorch.

    Example: ``autograd_lite.pow(autograd_lite.tensor([2.0, 3.0]), 2)`` gives ``[4., 9.]``."""
    if not isinstance(a, Tensor):
        b, a = promote_pair(b, a)
        if b._data.dtype.kind == "b":
            raise not_implemented("pow", b)
        return RPow.apply(b, a)
    a, b = promote_pair(a, b)
    if a._data.dtype.kind == "b":               # bool ** bool (a number exponent promotes a to an integer)
        raise not_implemented("pow", a)
    if a._data.dtype.kind in "iu" and isinstance(b, int) and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return (PowTensor if isinstance(b, Tensor) else Pow).apply(a, b)


@declare
def maximum(a, b):
    """Elementwise maximum of two tensors (ties share the gradient)."""
    a, b = promote_pair(a, as_tensor(b, a))
    refuse_complex(a, "maximum not implemented for complex tensors.", RuntimeError)
    return Maximum.apply(a, b)


@declare
def minimum(a, b):
    """Elementwise minimum of two tensors (ties share the gradient)."""
    a, b = promote_pair(a, as_tensor(b, a))
    refuse_complex(a, "minimum not implemented for complex tensors.", RuntimeError)
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
        return m.where(keep, g, 0.0), None, None        # selected, as PyTorch: an inf gradient outside stays 0


class ClampTensors(Function):
    """min(max(x, lo), hi) with tensor bounds (either may be None), broadcasting; PyTorch's gradients: x where
    lo <= x <= hi (ties included), lo where x < lo < hi, hi where x > hi or hi < lo."""
    op_name = "clamp"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        xp = xp_of(x)
        out = x if lo is None else xp.maximum(x, lo)
        return out if hi is None else xp.minimum(out, hi)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = (None if v is None else m.data(v) for v in ctx._saved)
        need = ctx._inputs
        if lo is None:
            masks = (x <= hi, None, x > hi)
        elif hi is None:
            masks = (x >= lo, x < lo, None)
        else:
            masks = ((x >= lo) & (x <= hi), (x < lo) & (lo < hi), (x > hi) | (hi < lo))
        zero = m.zeros_like(g)
        return tuple(None if mask is None or e is None else m.where(mask, g, zero) for mask, e in zip(masks, need))


def _clamp_tensors(x, lo, hi):
    """clamp with a tensor bound: x, lo and hi in PyTorch's result dtype of the three."""
    bounds = [as_tensor(b, x) if b is not None else None for b in (lo, hi)]
    tensors = [t for t in (x, *bounds) if t is not None]
    rt = _dtype.result_type([t.dtype for t in tensors if t._data.ndim], [t.dtype for t in tensors if not t._data.ndim])
    lo, hi = (None if b is None else cast(b, rt) for b in bounds)
    return ClampTensors.apply(cast(x, rt), lo, hi)


@declare(inplace=True, aliases=("clip",))
def clamp(x, min=None, max=None):
    """x limited to [min, max] (either may be None, a number or a tensor, broadcasting); the gradient passes to x
    inside (bounds included), to a tensor bound outside, as in PyTorch.

    Example: ``autograd_lite.clamp(autograd_lite.tensor([-2.0, 0.5, 3.0]), -1, 1)`` gives ``[-1.0, 0.5, 1.0]``."""
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    refuse_complex(x, "clamp is not supported for complex types")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensors(x, min, max)
    if x._data.dtype.kind not in "fV" and any(isinstance(v, float) for v in (min, max)):
        x = to_float(x)
    return Clamp.apply(x, min, max)


class Remainder(Function):
    """a - b * floor(a / b) (the sign of b, as Python's %); PyTorch's gradients: g for a, -g * floor(a / b) for b
    (piecewise constant: no second derivative)."""
    fn = staticmethod(lambda xp, a, b: xp.remainder(a, b))
    quotient = staticmethod(lambda xp, a, b: xp.floor_divide(a, b))    # Python's rounding, as PyTorch's

    @staticmethod
    def forward(ctx, a, b):
        if ctx._inputs[1] is not None:
            ctx.save_for_backward(a, b)
        xp = xp_of(b if _is_array(b) else a)
        with quiet(xp):
            return ctx.fn(xp, a, b)

    @staticmethod
    def backward(ctx, g):
        gb = None
        if ctx._inputs[1] is not None:
            a, b = (m.data(v) for v in ctx._saved)
            xp = xp_of(b)
            with quiet(xp):
                gb = -g * ctx.quotient(xp, a, b)
        return (g if ctx._inputs[0] is not None else None), gb


class Fmod(Remainder):
    """a - b * trunc(a / b) (the sign of a, as C's fmod); gradients g for a, -g * trunc(a / b) for b."""
    fn = staticmethod(lambda xp, a, b: xp.fmod(a, b))
    quotient = staticmethod(lambda xp, a, b: xp.trunc(a / b))


def _modulo(op, cls, a, b):
    a = as_tensor(a, b if isinstance(b, Tensor) else None)
    a, b = promote_pair(a, b)
    if a._data.dtype.kind == "b":
        raise not_implemented(op, a)
    bd = b._data if isinstance(b, Tensor) else b
    _refuse_integer_zero_divisor(a, bd)
    return cls.apply(a, b)


@declare(operators=("__mod__",), reflected=("__rmod__",), inplace=True, inplace_operators=("__imod__",))
def remainder(a, b):
    """Python's ``a % b``: the result has the sign of b; differentiable in both (b: ``-floor(a / b)``).

    Example: ``autograd_lite.remainder(autograd_lite.tensor([-3.0, 3.0]), 2)`` gives ``[1., 1.]``."""
    return _modulo("remainder", Remainder, a, b)


@declare(inplace=True)
def fmod(a, b):
    """C's ``fmod(a, b)``: the result has the sign of a; differentiable in both (b: ``-trunc(a / b)``).

    Example: ``autograd_lite.fmod(autograd_lite.tensor([-3.0, 3.0]), 2)`` gives ``[-1., 1.]``."""
    if not isinstance(a, Tensor):
        got = ", ".join("Tensor" if isinstance(v, Tensor) else type(v).__name__ for v in (a, b))
        raise TypeError(f"fmod() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                        " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                        " * (Tensor input, Number other, *, Tensor out = None)\n")
    return _modulo("fmod", Fmod, a, b)


class Atan2(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp_of(a).arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx._saved
        with quiet(xp_of(m.data(a))):      # at the origin: NaN, silently
            r = g / (a * a + b * b)
        return (r * b if ctx._inputs[0] is not None else None), (-r * a if ctx._inputs[1] is not None else None)


@declare(inplace=True, aliases=("arctan2",))
def atan2(input, other):
    """The angle of the point (other, input): ``atan(input / other)`` in the right quadrant, in (-pi, pi];
    broadcasting; integers give float32.

    Example: ``autograd_lite.atan2(autograd_lite.tensor([1.0]), autograd_lite.tensor([-1.0]))`` gives
    ``[2.3562]``."""
    if not isinstance(other, Tensor):
        raise TypeError(f"atan2(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    a, b = promote_pair(input, other)
    return Atan2.apply(to_float(a), to_float(b))


class Lerp(Function):
    """start + weight * (end - start), as PyTorch computes it: from end for |weight| >= 0.5 (exact at weight = 1),
    float16 in float32."""

    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight if _is_array(weight) else None)
        ctx.weight = None if _is_array(weight) else weight
        dtype = start.dtype
        if dtype.itemsize < 4:
            xp = xp_of(start)
            start, end = start.astype(xp.float32), end.astype(xp.float32)
            weight = weight.astype(xp.float32) if _is_array(weight) else weight
        if _is_array(weight):
            small = abs(weight) < 0.5
            out = xp_of(start).where(small, start + weight * (end - start), end - (end - start) * (1 - weight))
        elif abs(weight) < 0.5:
            out = start + weight * (end - start)
        else:
            out = end - (end - start) * (1 - weight)
        return out.astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        start, end, w = ctx._saved
        if w is None:
            w = ctx.weight
        need = ctx._inputs
        return (g * (1 - w) if need[0] is not None else None, g * w if need[1] is not None else None,
                g * (end - start) if need[2] is not None else None)


_TYPE_META = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool"}


@declare(inplace=True)
def lerp(input, end, weight):
    """``input + weight * (end - input)``, broadcasting; weight a number or a tensor; input, end (and a tensor
    weight) of one float dtype. Differentiable in all three.

    Example: ``autograd_lite.lerp(autograd_lite.zeros(2), autograd_lite.ones(2), 0.25)`` gives ``[0.25, 0.25]``."""
    end = as_tensor(end, input)
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected dtype {_TYPE_META.get(input.dtype.name, input.dtype.name)} for `{name}` "
                               f"but got dtype {_TYPE_META.get(t.dtype.name, t.dtype.name)}")
    if not input.dtype.is_floating_point and not input.is_complex():
        raise not_implemented("lerp", input)
    if not isinstance(weight, Tensor):
        weight = complex(weight) if input.is_complex() else float(weight)
    return Lerp.apply(input, end, weight)


@declare(method="__pos__", top=False)
def positive(x):
    return x


# ---- in-place arithmetic: straight into the storage when autograd is not recording (the optimizer path) ------

def _fast_inplace(name, ufunc, op):
    def method(self, other, *args, **kwargs):
        if args or kwargs:                    # the plain call (the optimizers') skips all of this
            if args and isinstance(args[0], Tensor) and not isinstance(other, Tensor):
                other, args = _alpha_first(name + "_", other, args[0])[0], (other,)
            if "alpha" in kwargs and not args and name in ("add", "sub"):
                args = (kwargs.pop("alpha"),)
            if kwargs:                        # div_'s rounding_mode, or a name the op refuses in its own words
                return self._inplace(op, other, *args, **kwargs)
            if args[0] != 1:                  # add_(other, alpha)
                other = other * args[0]
        if _grad_state.enabled and (self._rg or isinstance(other, Tensor) and other._rg):
            return self._inplace(op, other)
        data = self._data
        try:
            getattr(backend_of(data).xp, ufunc)(data, other._data if isinstance(other, Tensor) else other,
                                                 out=data)
        except (TypeError, ValueError) as e:       # NumPy's casting and broadcasting errors
            self._check_writable()                 # an overlapping view (expand): checked only once NumPy refused
            _refuse_complex_into_real(self, other)
            raise RuntimeError(f"{name}_: {e} (tensor of shape {tuple(data.shape)}, {self.dtype.name})") from None
        self._version[0] += 1
        return self
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place :func:`{name}`."
    return method


def _refuse_complex_into_real(self, other):
    """PyTorch's error for a complex result written into a real tensor (``x.mul_(1j)``)."""
    if self._data.dtype.kind != "c" and (isinstance(other, complex) or
                                         isinstance(other, Tensor) and other._data.dtype.kind == "c"):
        rt = _dtype.promote_types(self.dtype, other.dtype) if isinstance(other, Tensor) else \
            _dtype.result_type((self.dtype,), (), (other,))
        raise RuntimeError(f"result type {rt.scalar_type} can't be cast to the desired output type "
                           f"{self.dtype.scalar_type}")


for _op, _ufunc, _dunder in ((add, "add", "__iadd__"), (sub, "subtract", "__isub__"), (mul, "multiply", "__imul__"),
                             (div, "true_divide", "__itruediv__")):
    declare(_op, method=False, top=False, inplace=_fast_inplace(_op.__name__, _ufunc, _op),
            inplace_operators=(_dunder,))

for _alias, _of in (("multiply", "mul"), ("subtract", "sub"), ("divide", "div"), ("true_divide", "div")):
    declare(getattr(Tensor, _of), name=_alias, method=False, top=False, inplace=getattr(Tensor, _of + "_"))
declare(floor_divide, method=False, top=False, inplace=True, inplace_operators=("__ifloordiv__",))


@declare(inplace=True)
def clamp_min(input, min):
    """``clamp(input, min=min)``: ``torch.clamp_min(x, 0.0)`` (min a number or a tensor)."""
    return clamp(input, min=min)


@declare(inplace=True)
def clamp_max(input, max):
    """``clamp(input, max=max)``: ``torch.clamp_max(x, 1.0)`` (max a number or a tensor)."""
    return clamp(input, max=max)


for _name in ("clamp_min_", "clamp_max_", "clamp_"):
    _api.TOP[_name] = getattr(Tensor, _name)       # torch.clamp_min_(x, 0) as well as x.clamp_min_(0)


@declare(name="positive")
def _positive(input):
    """``+x``: the input itself (a bool tensor refuses, as in PyTorch)."""
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


@declare(method=False)
def rsub(input, other, *, alpha=1):
    """``other - alpha * input``: ``torch.rsub(x, 1.0)`` is ``1 - x``."""
    if alpha != 1:
        input = mul(input, alpha)
    return sub(other, input)
