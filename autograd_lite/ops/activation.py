"""Activations with torch.nn.functional's signatures beyond relu/sigmoid/tanh: leaky_relu, elu, and
dropout (inverted; its mask from autograd_lite.random, applied by one kernel pass)."""
import numpy as np

from .. import random as _random
from ..autograd.function import Function
from ..backend import backend_of
from ._util import kernels_of, not_implemented, via_kernel_dtype, xp_of


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
        return xp_of(x).where(x > 0, g, g * ctx.slope), None


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
        xp = xp_of(x)
        return xp.where(x > 0, g, g * (ctx.alpha * xp.exp(xp.minimum(x, 0)))), None


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
        return kernels_of(g).dropout_backward(g, mask, ctx.p), None, None


def _float_only(op, x):
    if not x.dtype.is_floating_point:
        raise not_implemented(op, x)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` where ``x > 0``, else ``negative_slope * x``, as in ``torch.nn.functional.leaky_relu``."""
    _float_only("leaky_relu", input)
    if inplace:
        return input._inplace(leaky_relu, negative_slope)
    return LeakyRelu.apply(input, float(negative_slope))


def elu(input, alpha=1.0, inplace=False):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``, as in ``torch.nn.functional.elu``."""
    _float_only("elu", input)
    if inplace:
        return input._inplace(elu, alpha)
    return Elu.apply(input, float(alpha))


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
