"""Activations, as torch.nn.functional has them: relu, sigmoid, tanh (kernel-accelerated table rows),
leaky_relu, elu, softmax, log_softmax, and dropout (inverted; its mask from autograd_lite.random)."""
import numpy as np

from .. import _api, random as _random
from .._args import canon_dim
from ..autograd.function import Function
from ..backend import backend_of
from . import _formula as m
from ._pointwise import pointwise
from ._util import kernels_of, not_implemented, quiet, to_float, via_kernel_dtype, xp_of


def _refuse_bool_relu(x):
    if x._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")


relu = pointwise("relu", lambda xp, x: xp.maximum(x, 0), lambda g, x, y: g * (m.data(y) > 0), saves="out",
                 kernel="relu", floats=False, check=_refuse_bool_relu, functional=True,
                 doc="``max(x, 0)`` elementwise, as ``torch.relu``.")
sigmoid = pointwise("sigmoid", lambda xp, x: 1 / (1 + xp.exp(-x)), lambda g, x, y: g * y * (1 - y),
                    saves="out", kernel="sigmoid", functional=True, doc="``1 / (1 + exp(-x))`` elementwise.")
tanh = pointwise("tanh", lambda xp, x: xp.tanh(x), lambda g, x, y: g * (1 - y * y), saves="out", kernel="tanh",
                 functional=True, doc="Hyperbolic tangent, elementwise.")


def _float_only(op, x):
    if not x.dtype.is_floating_point:
        raise not_implemented(op, x)


class LeakyRelu(Function):
    op_name = "leaky_relu"

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return xp_of(x).where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, g):
        x, = ctx._saved
        return m.where(m.data(x) > 0, g, g * ctx.slope), None


@_api.declare(method=False, top=False, functional=True)
def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` where ``x > 0``, else ``negative_slope * x``, as in ``torch.nn.functional.leaky_relu``."""
    _float_only("leaky_relu", input)
    if inplace:
        return input._inplace(leaky_relu, negative_slope)
    return LeakyRelu.apply(input, float(negative_slope))


class Elu(Function):
    """x for x > 0, alpha * (exp(x) - 1) otherwise; the backward alpha * exp(x) there, from x (not
    from out + alpha, which loses exp(x) to rounding for very negative x)."""
    op_name = "elu"

    @staticmethod
    def forward(ctx, x, alpha):
        xp = xp_of(x)
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))   # minimum: no overflow warning

    @staticmethod
    def backward(ctx, g):
        x, = ctx._saved
        return m.where(m.data(x) > 0, g, g * (ctx.alpha * m.exp(m.minimum(x, 0)))), None


@_api.declare(method=False, top=False, functional=True)
def elu(input, alpha=1.0, inplace=False):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``, as in ``torch.nn.functional.elu``."""
    _float_only("elu", input)
    if inplace:
        return input._inplace(elu, alpha)
    return Elu.apply(input, float(alpha))


# ---- softmax family -----------------------------------------------------------------------------

class Softmax(Function):
    """softmax along `dim` on the kernel table's softmax_forward / softmax_backward."""
    kernel = "softmax"

    @staticmethod
    def forward(ctx, x, dim):
        out = getattr(kernels_of(x), ctx.kernel + "_forward")(x, dim)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        y, = ctx._saved
        return y * (g - m.sum(g * y, (ctx.dim,), True)), None

    @staticmethod
    def backward_raw(ctx, g):
        out, = ctx._saved
        return getattr(kernels_of(out), ctx.kernel + "_backward")(g, out, ctx.dim), None


def log_softmax_derivative(g, y, dim):
    """The gradient of log_softmax along dim from its output y."""
    return g - m.exp(y) * m.sum(g, (dim,), True)


class LogSoftmax(Softmax):
    kernel = "log_softmax"

    @staticmethod
    def backward(ctx, g):
        y, = ctx._saved
        return log_softmax_derivative(g, y, ctx.dim), None


def _softmax_dim(x, dim, op):
    if dim is None:            # PyTorch's legacy implicit choice
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return canon_dim(dim, x.ndim, op)


def _softmax_input(x, dtype, op):
    x = x.to(dtype) if dtype is not None else x
    if not x.dtype.is_floating_point:
        raise not_implemented(op, x)
    return x


@_api.declare(functional=True)
def softmax(x, dim=None, dtype=None):
    """``exp(x) / exp(x).sum(dim)``, stable (the row max subtracted first)."""
    x = _softmax_input(x, dtype, "softmax")
    return via_kernel_dtype(Softmax.apply, x, _softmax_dim(x, dim, "softmax"))


@_api.declare(functional=True)
def log_softmax(x, dim=None, dtype=None):
    """``x - logsumexp(x, dim)``, stable."""
    x = _softmax_input(x, dtype, "log_softmax")
    return via_kernel_dtype(LogSoftmax.apply, x, _softmax_dim(x, dim, "log_softmax"))


# ---- dropout ------------------------------------------------------------------------------------

class Dropout(Function):
    """x * mask / (1 - p) from random draws u (the kernel's dropout_forward: mask = u >= p for uniform floats,
    u >= round(p * 65536) for uint16 draws); backward g * mask / (1 - p)."""
    op_name = "dropout"

    @staticmethod
    def forward(ctx, x, u, p):
        out, mask = kernels_of(x).dropout_forward(x, u, p)
        ctx.save_for_backward(mask)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, g):
        mask, = ctx._saved
        return g * m.data(mask) * (0.0 if ctx.p >= 1 else 1 / (1 - ctx.p)), None, None

    @staticmethod
    def backward_raw(ctx, g):
        mask, = ctx._saved
        return kernels_of(g).dropout_backward(g, mask, ctx.p), None, None


@_api.declare(method=False, top=False, functional=True)
def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout, as in ``torch.nn.functional.dropout``: while `training`, zeroes each element
    with probability `p` and scales the others by ``1 / (1 - p)``; otherwise (or for p = 0) returns
    `input`. The mask comes from autograd_lite.random: ``manual_seed`` reproduces it.

    Example: ``h = dropout(relu(linear(x, w)), p=0.2, training=model.training)``
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"dropout: result type Float can't be cast to the desired output type "
                           f"{input.dtype.scalar_type}")
    if inplace:
        return input._inplace(dropout, p, training)
    d = input._data
    if type(d) is np.ndarray:
        u = _random.bits16(d.shape)                    # keep where u >= p * 65536
    else:                                              # drawn on the input's device
        be = backend_of(d)
        with be.on(be.device_of(d).index):
            u = _random.bits16(d.shape, be.kernels)
    return via_kernel_dtype(Dropout.apply, input, u, float(p))
