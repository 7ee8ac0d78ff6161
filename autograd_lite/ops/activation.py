"""Activations, as torch.nn.functional has them: relu, sigmoid, tanh (kernel-accelerated table rows),
leaky_relu, elu, the activations with settings of _activation (softplus, gelu, silu, mish, hardtanh, relu6,
hardsigmoid, hardswish, logsigmoid, softsign, selu, celu), prelu, softmax, log_softmax, dropout (inverted; its
mask from autograd_lite.random), softmin, glu, hardshrink, softshrink, tanhshrink, rrelu and gumbel_softmax."""
import math
import warnings

import numpy as np

from .. import _api, random as _random
from .. import _float8
from .._args import canon_dim
from ..autograd.grad_mode import state as _grad_state
from ..autograd.op_function import Function
from ..backend import backend_of
from . import _formula as m
from ._pointwise import pointwise
from ._util import (BERNOULLI_COMPLEX, kernels_of, not_implemented, quiet, refuse_complex, to_float,
                    via_kernel_dtype, wrap, xp_of)


def _refuse_bool_relu(x):
    if x._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    refuse_complex(x, "clamp is not supported for complex types")


relu = pointwise("relu", lambda xp, x: xp.maximum(x, 0), lambda g, x, y: m.where(m.data(y) > 0, g, 0.0), saves="out",
                 kernel="relu", floats=False, check=_refuse_bool_relu, inplace=False,
                 doc="``max(x, 0)`` elementwise, as ``torch.relu``.")


@_api.declare(method=False, top=True, functional=True)
def relu_(input):
    """relu in place, as ``torch.relu_`` / ``Tensor.relu_`` (what ``nn.ReLU(inplace=True)`` runs): straight into the
    storage, one pass, when autograd is not recording (eval); through Tensor._inplace when it is.

    Example: ``x = autograd_lite.tensor([-1.0, 2.0]); x.relu_()`` leaves ``x`` as ``tensor([0., 2.])``."""
    _refuse_bool_relu(input)
    if _grad_state.enabled and input._rg:
        return input._inplace(relu)
    input._check_writable()
    data = input._data
    if data.dtype.kind == "f" and data.dtype.itemsize >= 4:     # float32/64 (numpy's dtype.name is slow)
        kernels_of(data).relu_forward(data, True)
    else:
        xp_of(data).maximum(data, 0, out=data)
    input._version[0] += 1
    return input


_api.declare(relu, method=False, top=False, inplace=relu_)


@_api.declare(name="relu", method=False, top=False, functional=True)
def _functional_relu(input, inplace=False):
    """``max(x, 0)`` elementwise, as ``torch.nn.functional.relu``; inplace: into input's storage (relu_)."""
    return relu_(input) if inplace else relu(input)


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
        return m.where(m.data(x) > 0, g, g * (ctx.alpha * m.exp(_below(x, 0)))), None


@_api.declare(method=False, top=False, functional=True)
def elu(input, alpha=1.0, inplace=False):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``, as in ``torch.nn.functional.elu``."""
    _float_only("elu", input)
    if inplace:
        return input._inplace(elu, alpha)
    return Elu.apply(input, float(alpha))


@_api.declare(method=False, top=False, functional=True)
def elu_(input, alpha=1.0):
    """In-place ``F.elu``: ``F.elu(input, alpha, inplace=True)``."""
    return elu(input, alpha, inplace=True)


@_api.declare(method=False, top=False, functional=True)
def leaky_relu_(input, negative_slope=0.01):
    """In-place ``F.leaky_relu``: ``F.leaky_relu(input, negative_slope, inplace=True)``."""
    return leaky_relu(input, negative_slope, inplace=True)


# ---- activations with settings: formula(xp, x, *settings), derivative(g, x, *settings) -----------------------

def _activation(name, formula, derivative):
    """The Function of an activation with settings (numbers, strings: beta, approximate, ...), passed to `apply`
    after x: formula(xp, x, *settings) on the array module (float16 computed in float32, as PyTorch's), and
    derivative(g, x, *settings) in the formula namespace from the saved input x, so it has gradients of every
    order."""
    def forward(ctx, x, *settings):
        xp = xp_of(x)
        with quiet(xp):
            out = formula(xp, x, *settings) if x.dtype.itemsize >= 4 else \
                formula(xp, x.astype(xp.float32), *settings).astype(x.dtype)
        ctx.settings = settings
        ctx.save_for_backward(x)
        return out

    def backward(ctx, g):
        x, = ctx._saved
        with quiet(xp_of(m.data(x))):       # exp overflowing to inf in a branch where() drops
            grad = derivative(g, x, *ctx.settings)
        return (grad,) + (None,) * len(ctx.settings)

    cls_name = name.title().replace("_", "")
    return type(cls_name, (Function,), {"op_name": name, "forward": staticmethod(forward),
                                        "backward": staticmethod(backward)})


def _masked(mask, g):
    """g where mask (a raw bool array) holds, else 0 (not g * mask: an inf or NaN in g stays out, as in PyTorch)."""
    return m.where(mask, g, m.zeros_like(g))


def _hard_sigmoid_raw(xp, x):
    return xp.minimum(xp.maximum(x + 3, 0), 6) / 6


def _softplus(xp, x, beta, threshold):
    z = x * beta
    return xp.where(z > threshold, x, xp.log1p(xp.exp(xp.minimum(z, threshold))) / beta)


_SQRT1_2, _SQRT_2_OVER_PI, _INV_SQRT_2PI = math.sqrt(0.5), math.sqrt(2 / math.pi), 1 / math.sqrt(2 * math.pi)
_KAPPA = 0.044715          # the tanh approximation's cubic coefficient


def _gelu(xp, x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x * x * x)))
    return x * 0.5 * (1 + m.erf(x * _SQRT1_2))


def _gelu_derivative(g, x, approximate):
    if approximate == "tanh":
        t = m.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x * x * x))
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x * x))
    return g * (0.5 * (1 + m.erf(x * _SQRT1_2)) + x * m.exp(-0.5 * x * x) * _INV_SQRT_2PI)


def _mish_derivative(g, x):
    t = m.tanh(m.log1p(m.exp(x)))
    return g * (t + x * m.sigmoid(x) * (1 - t * t))


def _hardswish_derivative(g, x):
    xd = m.data(x)          # PyTorch's pieces: 0 to -3 (included), x / 3 + 1/2 up to 3 (excluded), then 1
    return m.where(xd <= -3, m.zeros_like(g), m.where(xd < 3, g * (x / 3 + 0.5), g))


def _below(x, edge):
    """x where x < edge, else the constant edge: a factor whose derivative stops at the edge itself, where PyTorch's
    second derivatives take the other side (elu's and softplus' double backward) while its first derivative takes
    this one."""
    xd = m.data(x)
    return m.where(xd < edge, x, m.zeros_like(xd) + edge)


def _elu_derivative(g, x, alpha, scale, input_scale):     # selu, celu: PyTorch's elu(x, alpha, scale, input_scale)
    return m.where(m.data(x) > 0, g * scale, g * (alpha * scale * input_scale) * m.exp(_below(x, 0) * input_scale))


def _softplus_derivative(g, x, beta, threshold):
    z = x * beta
    return m.where(m.data(z) > threshold, g, g * m.sigmoid(_below(z, threshold)))


Softplus = _activation("softplus", _softplus, _softplus_derivative)
Gelu = _activation("gelu", _gelu, _gelu_derivative)
Silu = _activation("silu", lambda xp, x: x / (1 + xp.exp(-x)),
                   lambda g, x: g * m.sigmoid(x) * (1 + x * (1 - m.sigmoid(x))))
Mish = _activation("mish", lambda xp, x: x * xp.tanh(xp.log1p(xp.exp(x))), _mish_derivative)
Hardtanh = _activation("hardtanh", lambda xp, x, lo, hi: xp.clip(x, lo, hi),
                       lambda g, x, lo, hi: _masked((m.data(x) > lo) & (m.data(x) < hi), g))
Threshold = _activation("threshold", lambda xp, x, th, value: xp.where(x > th, x, x.dtype.type(value)),
                        lambda g, x, th, value: _masked(m.data(x) > th, g))
Hardsigmoid = _activation("hardsigmoid", _hard_sigmoid_raw,
                          lambda g, x: _masked((m.data(x) > -3) & (m.data(x) < 3), g / 6))
Hardswish = _activation("hardswish", lambda xp, x: x * _hard_sigmoid_raw(xp, x), _hardswish_derivative)
Logsigmoid = _activation("logsigmoid", lambda xp, x: xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x))),
                         lambda g, x: g * m.sigmoid(-x))
Softsign = _activation("softsign", lambda xp, x: x / (1 + xp.abs(x)),
                       lambda g, x: g / ((1 + m.abs(x)) * (1 + m.abs(x))))
ScaledElu = _activation("elu", lambda xp, x, alpha, scale, input_scale: xp.where(
    x > 0, x * scale, (alpha * scale) * xp.expm1(xp.minimum(x, 0) * input_scale)), _elu_derivative)

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


@_api.declare(method=False, top=False, functional=True)
def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, and x itself where ``beta * x > threshold`` (as PyTorch).

    Example: ``F.softplus(autograd_lite.tensor([0.0, 30.0]))`` gives ``[0.6931, 30.0000]``."""
    _float_only("softplus", input)
    return Softplus.apply(input, float(beta), float(threshold))


@_api.declare(method=False, top=False, functional=True)
def gelu(input, approximate="none"):
    """``x * Phi(x)`` (Phi: the standard normal CDF, through erf), or its tanh approximation for
    ``approximate='tanh'``: ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))``.

    Example: ``F.gelu(autograd_lite.tensor([1.0]))`` gives ``[0.8413]``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _float_only("gelu", input)
    return Gelu.apply(input, approximate)


@_api.declare(method=False, top=False, functional=True)
def silu(input, inplace=False):
    """``x * sigmoid(x)`` (swish). Example: ``F.silu(autograd_lite.tensor([1.0]))`` gives ``[0.7311]``."""
    if not input.is_complex():                  # complex: the same holomorphic formula (ops/complex_numbers.py)
        _float_only("silu", input)
    return input._inplace(silu) if inplace else Silu.apply(input)


@_api.declare(method=False, top=False, functional=True)
def mish(input, inplace=False):
    """``x * tanh(softplus(x))``. Example: ``F.mish(autograd_lite.tensor([1.0]))`` gives ``[0.8651]``."""
    _float_only("mish", input)
    return input._inplace(mish) if inplace else Mish.apply(input)


def _check_hardtanh(input, min_val, max_val):
    if input._data.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    refuse_complex(input, "clamp is not supported for complex types")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")


@_api.declare(method=False, top=True, functional=True)
def threshold(input, threshold, value, inplace=False):
    """x where ``x > threshold``, else `value`, as ``torch.nn.functional.threshold``.

    Example: ``F.threshold(autograd_lite.tensor([0.5, 2.0]), 1.0, -1.0)`` gives ``[-1.0, 2.0]``."""
    refuse_complex(input, "\"threshold\" not implemented for '{type}'")
    if inplace:
        return input._inplace(threshold_fn, threshold, value)
    return Threshold.apply(input, threshold, value)


threshold_fn = threshold     # the name its own parameter hides inside it and threshold_


@_api.declare(method=False, top=True, functional=True)
def threshold_(input, threshold, value):
    """In-place :func:`threshold`."""
    return threshold_fn(input, threshold, value, inplace=True)


@_api.declare(method=False, top=False, functional=True)
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val]; the gradient passes strictly inside (as PyTorch). Integer tensors stay
    integer (the bounds truncated).

    Example: ``F.hardtanh(autograd_lite.tensor([-2.0, 0.5]))`` gives ``[-1.0, 0.5]``."""
    _check_hardtanh(input, min_val, max_val)
    if inplace:
        return input._inplace(hardtanh, min_val, max_val)
    kind = input._data.dtype.type
    return Hardtanh.apply(input, kind(min_val), kind(max_val))


@_api.declare(method=False, top=False, functional=True)
def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


@_api.declare(method=False, top=False, functional=True)
def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``: hardtanh(x, 0, 6). Example: ``F.relu6(autograd_lite.tensor([-1.0, 7.0]))`` gives
    ``[0., 6.]``."""
    return hardtanh(input, 0.0, 6.0, inplace)


@_api.declare(method=False, top=False, functional=True)
def hardsigmoid(input, inplace=False):
    """``min(max(x + 3, 0), 6) / 6``. Example: ``F.hardsigmoid(autograd_lite.tensor([0.0]))`` gives ``[0.5]``."""
    _float_only("hardsigmoid", input)
    return input._inplace(hardsigmoid) if inplace else Hardsigmoid.apply(input)


@_api.declare(method=False, top=False, functional=True)
def hardswish(input, inplace=False):
    """``x * hardsigmoid(x)``. Example: ``F.hardswish(autograd_lite.tensor([1.0]))`` gives ``[0.6667]``."""
    _float_only("hardswish", input)
    return input._inplace(hardswish) if inplace else Hardswish.apply(input)


@_api.declare(method=False, top=False, functional=True)
def logsigmoid(input):
    """``log(sigmoid(x))``, stable for any x. Example: ``F.logsigmoid(autograd_lite.tensor([0.0]))`` gives
    ``[-0.6931]``."""
    _float_only("logsigmoid", input)
    return Logsigmoid.apply(input)


@_api.declare(method=False, top=False, functional=True)
def softsign(input):
    """``x / (1 + |x|)``; integers give float32 (as PyTorch). Example: ``F.softsign(autograd_lite.tensor([1.0]))``
    gives ``[0.5]``."""
    if input._data.dtype.kind == "b":
        raise not_implemented("softsign", input)
    if input._data.dtype.kind == "c":          # |x| is not holomorphic: PyTorch's composite, differentiated as such
        return input / (input.abs() + 1)
    return Softsign.apply(to_float(input))


@_api.declare(method=False, functional=True)
def selu(input, inplace=False):
    """``scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))`` with PyTorch's alpha = 1.6733 and scale = 1.0507.

    Example: ``F.selu(autograd_lite.tensor([1.0]))`` gives ``[1.0507]``."""
    _float_only("selu", input)
    if inplace:
        return input._inplace(selu)
    return ScaledElu.apply(input, _SELU_ALPHA, _SELU_SCALE, 1.0)


@_api.declare(method=False, functional=True)
def selu_(input):
    """In-place :func:`selu`."""
    return selu(input, inplace=True)


@_api.declare(method=False, functional=True)
def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example: ``F.celu(autograd_lite.tensor([-1.0]), alpha=2.0)`` gives ``[-0.7869]``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    _float_only("celu", input)
    if inplace:
        return input._inplace(celu, alpha)
    return ScaledElu.apply(input, float(alpha), 1.0, 1.0 / alpha)


@_api.declare(method=False, functional=True)
def celu_(input, alpha=1.0):
    """In-place :func:`celu`."""
    return celu(input, alpha, inplace=True)


class PRelu(Function):
    """x where x > 0, else weight * x (weight already broadcastable to x: the engine sums its gradient back)."""
    op_name = "prelu"

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return xp_of(x).where(x > 0, x, w * x)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx._saved
        xd = m.data(x)
        gx = gw = None
        if ctx._inputs[0] is not None:      # at x = 0 the slope w as a constant: PyTorch's second derivative there
            gx = m.where(xd > 0, g, m.where(xd < 0, w, m.data(w)) * g)
        if ctx._inputs[1] is not None:
            gw = m.where(xd < 0, x * g, m.zeros_like(g))
        return gx, gw


@_api.declare(functional=True)
def prelu(input, weight):
    """x where x > 0, else ``weight * x``; weight: one number (a 1-element or 0-d tensor) or one per channel
    (dim 1 of input), as ``torch.nn.functional.prelu``; differentiable in both.

    Example: ``F.prelu(autograd_lite.tensor([[-1.0, 2.0]]), autograd_lite.tensor([0.25]))`` gives
    ``[[-0.25, 2.0]]``."""
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {input.dtype.scalar_type} and "
                           f"{weight.dtype.scalar_type}")
    _float_only("prelu", input)
    n = weight.numel()
    if n == 1:
        return PRelu.apply(input, weight.reshape((1,) * input.ndim))
    if input.ndim == 0:
        raise RuntimeError("Not allow zero-dim input tensor.")
    channels = input.shape[1] if input.ndim > 1 else 1
    if channels != n:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} "
                           f"and channel size = {channels}.")
    return PRelu.apply(input, weight.reshape((1, n) + (1,) * (input.ndim - 2)))


# ---- softmax family -----------------------------------------------------------------------------

class Softmax(Function):
    """softmax along `dim` on the kernel table's softmax_forward / softmax_backward."""
    kernel = "softmax"
    saved_names = {"result": 0, "dim": "dim"}

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
    if dim is None:            # PyTorch's legacy implicit choice, with its warning
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call to include dim=X "
                      "as an argument.", stacklevel=3)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return canon_dim(dim, x.ndim, op)


def _softmax_input(x, dtype, op):
    x = x.to(dtype) if dtype is not None else x
    _float8.refuse(op, x)
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
    if input._data.dtype.kind == "c":            # PyTorch's p = 1 gives zeros before its mask refuses complex
        if p == 1:
            return input * 0
        refuse_complex(input, BERNOULLI_COMPLEX)
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


# ---- softmin, glu, the shrinks, rrelu, gumbel_softmax ---------------------------------------------------------

@_api.declare(method=False, top=False, functional=True)
def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-input, dim)``: the smallest entries weigh most.

    Example: ``F.softmin(autograd_lite.tensor([1.0, 2.0]), dim=0)`` gives ``[0.7311, 0.2689]``."""
    if dim is None:
        dim = _softmax_dim(input, None, "softmin")
    return softmax(-input, dim, dtype)


@_api.declare(method=False, top=False, functional=True)
def glu(input, dim=-1):
    """The gated linear unit ``a * sigmoid(b)``, a and b the two halves of input along `dim`.

    Example: ``F.glu(autograd_lite.randn(4, 6))`` has shape (4, 3)."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = canon_dim(dim, input.ndim, "glu")
    _float_only("glu", input)
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {n}")
    a, b = input.chunk(2, dim)
    return a * sigmoid(b)


Hardshrink = _activation("hardshrink", lambda xp, x, lambd: xp.where(xp.abs(x) > lambd, x, x.dtype.type(0)),
                         lambda g, x, lambd: _masked(abs(m.data(x)) > lambd, g))
Softshrink = _activation("softshrink", lambda xp, x, lambd: xp.where(
    x > lambd, x - x.dtype.type(lambd), xp.where(x < -lambd, x + x.dtype.type(lambd), x.dtype.type(0))),
    lambda g, x, lambd: _masked(abs(m.data(x)) > lambd, g))


@_api.declare(functional=True)
def hardshrink(input, lambd=0.5):
    """x where ``|x| > lambd``, else 0. Example: ``F.hardshrink(autograd_lite.tensor([0.2, -1.0]))`` gives
    ``[0., -1.]``."""
    _float_only("hardshrink", input)
    return Hardshrink.apply(input, float(lambd))


@_api.declare(method=False, top=False, functional=True)
def softshrink(input, lambd=0.5):
    """x shrunk towards 0 by lambd: ``x - lambd`` above lambd, ``x + lambd`` below -lambd, else 0.

    Example: ``F.softshrink(autograd_lite.tensor([0.2, -1.0]))`` gives ``[0.0, -0.5]``."""
    _float_only("softshrink", input)
    if not lambd >= 0:
        top = np.finfo(input._data.dtype).max
        raise RuntimeError(f"lambda must be in range [0, {float(top):g}] for input dtype {input.dtype.scalar_type}, "
                           f"but found {float(lambd):g}")
    return Softshrink.apply(input, float(lambd))


@_api.declare(method=False, top=False, functional=True)
def tanhshrink(input):
    """``x - tanh(x)``; integers give float32. Example: ``F.tanhshrink(autograd_lite.tensor([1.0]))`` gives
    ``[0.2384]``."""
    x = to_float(input)
    return x - tanh(x)


def _check_rrelu(input, lower, upper):
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    _float_only("rrelu", input)


@_api.declare(method=False, functional=True)
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: while `training`, each negative element is scaled by a slope drawn uniformly from
    [lower, upper] (autograd_lite.random: ``manual_seed`` reproduces it); otherwise by their mean
    ``(lower + upper) / 2``, as leaky_relu.

    Example: ``F.rrelu(x, training=model.training)``"""
    _check_rrelu(input, lower, upper)
    if inplace:
        return input._inplace(rrelu, lower, upper, training)
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    d = input._data
    slopes = _random.uniform(d.shape, lower, upper, dtype=d.dtype)
    xp = xp_of(d)
    return input * wrap(xp.where(d <= 0, xp.asarray(slopes), d.dtype.type(1)), d)


@_api.declare(method=False, functional=True)
def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)


@_api.declare(method=False, top=False, functional=True)
def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax distribution: ``softmax((logits + g) / tau, dim)`` with g drawn from
    Gumbel(0, 1) (autograd_lite.random); `hard`: the one-hot of its argmax in the forward, its soft gradient in the
    backward (straight through).

    Example: ``F.gumbel_softmax(logits, tau=0.5, hard=True)``"""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    d = logits._data
    xp = xp_of(d)
    u = _random.uniform(d.shape, dtype=d.dtype)
    with quiet(np):
        gumbels = -np.log(-np.log1p(-u))        # -log(Exponential(1))
    y_soft = softmax((logits + wrap(gumbels.astype(d.dtype, copy=False), d)) / tau, dim)
    if not hard:
        return y_soft
    dim = canon_dim(dim, logits.ndim, "gumbel_softmax")
    ys = y_soft._data
    index = xp.expand_dims(ys.argmax(axis=dim), dim)
    shape = [1] * ys.ndim
    shape[dim] = ys.shape[dim] if ys.ndim else 1
    y_hard = (xp.arange(shape[dim]).reshape(shape) == index).astype(ys.dtype)
    return wrap(y_hard, ys) - y_soft.detach() + y_soft
