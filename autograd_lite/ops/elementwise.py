"""Elementwise ops: arithmetic, pow, maximum/minimum, unary math, activations, comparisons."""
import math

from ..autograd.function import Function
from ..tensor import Tensor
from ._util import (kernels_of, not_implemented, promote_pair, quiet, to_float, xp_of, as_tensor, wrap,
                    via_kernel_dtype)


# ---- arithmetic (the second operand may be a Python scalar: it gets no gradient) ---------------

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
        need_a, need_b = ctx._inputs
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


class RDiv(Function):          # scalar / tensor
    op_name = "div"

    @staticmethod
    def forward(ctx, a, s):
        r = 1 / a                     # as PyTorch: reciprocal, then times s; r is ours, the output the user's
        ctx.save_for_backward(r)
        ctx.s = s
        return r * s

    @staticmethod
    def backward(ctx, g):
        r, = ctx._saved
        return -g * ctx.s * r * r, None


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        with quiet(xp_of(a)):
            out = a ** b
        ctx.save_for_backward(a, b, out if ctx._inputs[1] is not None else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx._saved
        xp = xp_of(a)
        ga = gb = None
        if ctx._inputs[0] is not None:
            ga = g * b * a ** (b - 1)
        if ctx._inputs[1] is not None:
            with quiet(xp):        # PyTorch's rule: 0 where a == 0 and b >= 0, else out * log(a)
                gb = g * xp.where((a == 0) & (b >= 0), 0, out * xp.log(a))
            gb = gb.astype(out.dtype, copy=False)
        return ga, gb


class RPow(Function):          # scalar ** tensor
    op_name = "pow"

    @staticmethod
    def forward(ctx, b, s):
        out = s ** b
        ctx.save_for_backward(out)
        ctx.log_s = math.nan if s < 0 else (-math.inf if s == 0 else math.log(s))
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx._saved
        with quiet(xp_of(out)):
            return (g * out * ctx.log_s).astype(out.dtype, copy=False), None


class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp_of(a).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx._saved
        share = (a > b) + 0.5 * (a == b)       # ties split the gradient, as in PyTorch
        share = share.astype(g.dtype, copy=False)
        return g * share, g * (1 - share)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp_of(a).minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx._saved
        share = ((a < b) + 0.5 * (a == b)).astype(g.dtype, copy=False)
        return g * share, g * (1 - share)


def add(a, b, alpha=1):
    if alpha == 1 and isinstance(b, Tensor) and isinstance(a, Tensor) and a._data.dtype is b._data.dtype:
        return Add.apply(a, b)          # fast path: same dtype, nothing to promote
    if alpha != 1:
        b = mul(b, alpha) if isinstance(b, Tensor) else b * alpha
    if not isinstance(a, Tensor):
        a, b = b, a
    a, b = promote_pair(a, b)
    return Add.apply(a, b)


def sub(a, b, alpha=1):
    if alpha == 1 and isinstance(b, Tensor) and isinstance(a, Tensor) and a._data.dtype is b._data.dtype:
        return Sub.apply(a, b)          # fast path: same dtype, nothing to promote
    if alpha != 1:
        b = mul(b, alpha) if isinstance(b, Tensor) else b * alpha
    if not isinstance(a, Tensor):
        b, a = promote_pair(b, a)
        return RSub.apply(b, a)
    a, b = promote_pair(a, b)
    return Sub.apply(a, b)


def mul(a, b):
    if isinstance(b, Tensor) and isinstance(a, Tensor) and a._data.dtype is b._data.dtype:
        return Mul.apply(a, b)            # fast path: same dtype, nothing to promote
    if not isinstance(a, Tensor):
        a, b = b, a
    a, b = promote_pair(a, b)
    return Mul.apply(a, b)


def div(a, b, rounding_mode=None):
    if rounding_mode is not None:
        return _rounded_div(a, b, rounding_mode)
    if isinstance(b, Tensor) and isinstance(a, Tensor) and a._data.dtype is b._data.dtype \
            and a._data.dtype.kind == "f":
        return Div.apply(a, b)            # fast path: same float dtype
    if not isinstance(a, Tensor):
        b, a = promote_pair(b, a)
        return RDiv.apply(to_float(b), a)
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


def pow(a, b):
    if not isinstance(a, Tensor):
        b, a = promote_pair(b, a)
        return RPow.apply(b, a)
    a, b = promote_pair(a, b)
    return Pow.apply(a, b)


def maximum(a, b):
    a, b = promote_pair(a, as_tensor(b, a))
    return Maximum.apply(a, b)


def minimum(a, b):
    a, b = promote_pair(a, as_tensor(b, a))
    return Minimum.apply(a, b)


# ---- unary math -------------------------------------------------------------------------------

class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).abs(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx._saved
        return g * xp_of(x).sign(x)


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = xp_of(x).exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx._saved
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = xp_of(x)
        with quiet(xp):            # log(0) = -inf and log(-1) = nan, silently, as in PyTorch
            return xp.log(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx._saved
        return g / x


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        xp = xp_of(x)
        with quiet(xp):
            out = xp.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx._saved
        return g / (2 * out)


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx._saved
        return g * xp_of(x).cos(x)


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).cos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx._saved
        return -g * xp_of(x).sin(x)


class Activation(Function):
    """An activation on the kernel table: `<kernel>_forward(x)` and `<kernel>_backward(g, out)`,
    the backward written in terms of the saved output."""
    kernel = None

    @staticmethod
    def forward(ctx, x):
        out = getattr(kernels_of(x), ctx.kernel + "_forward")(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx._saved
        return getattr(kernels_of(out), ctx.kernel + "_backward")(g, out)


class Tanh(Activation):
    kernel = "tanh"


class Sigmoid(Activation):
    kernel = "sigmoid"


class Relu(Activation):
    kernel = "relu"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "f":
            return Activation.forward(ctx, x)
        out = xp_of(x).maximum(x, 0)      # integer relu: no kernel, no gradient
        ctx.save_for_backward(out)
        return out


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return xp_of(x).clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x, = ctx._saved
        keep = True
        if ctx.lo is not None:
            keep = x >= ctx.lo
        if ctx.hi is not None:
            keep = keep & (x <= ctx.hi)
        return g * keep, None, None


def neg(x):
    if x._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(x)


def abs(x):
    if x._data.dtype.kind == "b":
        raise not_implemented("abs", x)
    return Abs.apply(x)


def exp(x):
    return Exp.apply(to_float(x))


def log(x):
    return Log.apply(to_float(x))


def sqrt(x):
    return Sqrt.apply(to_float(x))


def sin(x):
    return Sin.apply(to_float(x))


def cos(x):
    return Cos.apply(to_float(x))


def tanh(x):
    return via_kernel_dtype(Tanh.apply, to_float(x))


def sigmoid(x):
    return via_kernel_dtype(Sigmoid.apply, to_float(x))


def relu(x):
    kind = x._data.dtype.kind
    if kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return via_kernel_dtype(Relu.apply, x) if kind == "f" else Relu.apply(x)


def clamp(x, min=None, max=None):
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


# ---- comparisons (bool results, no gradient) --------------------------------------------------

class _Compare(Function):
    differentiable = False          # never part of a graph, so no backward


def _comparison(name, fn):
    cls = type(name.capitalize(), (_Compare,), {"op_name": name, "forward": staticmethod(fn)})

    def op(a, b):
        if not isinstance(a, Tensor):
            a = as_tensor(a, b)
        a, b = promote_pair(a, b)
        return cls.apply(a, b)
    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` returning a bool tensor."
    return op


eq = _comparison("eq", lambda ctx, a, b: a == b)
ne = _comparison("ne", lambda ctx, a, b: a != b)
lt = _comparison("lt", lambda ctx, a, b: a < b)
le = _comparison("le", lambda ctx, a, b: a <= b)
gt = _comparison("gt", lambda ctx, a, b: a > b)
ge = _comparison("ge", lambda ctx, a, b: a >= b)
