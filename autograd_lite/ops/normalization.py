"""Normalization as in torch.nn.functional: batch_norm, layer_norm, group_norm, instance_norm (and rms_norm,
local_response_norm, composed of differentiable ops).

Two nodes: BatchNorm (per-channel statistics over (N, *), or fixed running statistics) and GroupNorm (statistics per
sample and group of channels; layer_norm is it on (rows, D) with one group, instance_norm with one channel a group).
Their forwards and fast backwards are the kernel table's; their backward formulas recompute the statistics from x
with differentiable ops, so gradients of gradients flow through the statistics too.
"""
import math

import numpy as np

from .. import _api, _dtype
from ..autograd.op_function import Function, saved_value, saved_variants
from ..tensor import Tensor
from . import _formula as m
from ._util import cast, kernels_of, not_implemented, xp_of
from .resize import pad


def _per_channel(x):
    """(reduced dims, broadcast shape of a per-channel vector) for x (N, C, *)."""
    return (0,) + tuple(range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _normalized(x, dims, count, eps):
    """(x - mean) * invstd over dims, and invstd (keepdim), in differentiable ops."""
    xc = x - m.sum(x, dims, True) / count
    invstd = (m.sum(xc * xc, dims, True) / count + eps) ** -0.5
    return xc * invstd, invstd


def _gw(g, w, shape):
    return g if w is None else g * w.reshape(shape)


def _through_stats(gw, xhat, invstd, dims, count):
    """dL/dx of xhat = normalized(x) from gw = dL/dxhat: the statistics' paths included."""
    return invstd * (gw - m.sum(gw, dims, True) / count - xhat * (m.sum(gw * xhat, dims, True) / count))


def _statistic(slot):
    """torch's result1/result2 of batch norm (the batch's mean and invstd): empty in eval mode."""
    return slot, lambda node, t: t if node.training else Tensor._make(t._data[:0])


def _running(i):
    return lambda node: None if node.running[i] is None else Tensor._make(node.running[i])


_BATCH_NORM_NAMES = {"input": 0, "weight": 1, "result1": _statistic(2), "result2": _statistic(3),
                     "running_mean": _running(0), "running_var": _running(1), "training": "training", "eps": "eps"}


class BatchNorm(Function):
    """apply(x, weight, bias, running_mean, running_var, training, momentum, eps, relu); running statistics are
    updated in place while training (when given), used as they are otherwise. relu: the output is relu(batch norm),
    the ReLU in the same kernel pass (forward and backward): nn.Sequential's BatchNorm then ReLU."""
    op_name = "batch_norm"
    saved_names = saved_variants(lambda node: "relu" if node.relu else "bn", bn=_BATCH_NORM_NAMES, relu={"result": 4})
    opmath_keep = (3, 4)        # bfloat16 running statistics are blended in place, in their own dtype

    @staticmethod
    def forward(ctx, x, w, b, rmean, rvar, training, momentum, eps, relu=False):
        k, xp = kernels_of(x), xp_of(x)
        if training:
            y, mean, var = k.batch_norm_forward(x, w, b, None, None, eps, relu)
            if rmean is not None:
                n = x.size // x.shape[1]
                _blend(rmean, mean, momentum)
                _blend(rvar, var * (n / (n - 1)) if n > 1 else var * float("nan"), momentum)
        else:
            mean, var = rmean.astype(x.dtype), rvar.astype(x.dtype)     # copies: the buffers may change later
            y = k.batch_norm_forward(x, w, b, mean, var, eps, relu)[0]
        invstd = 1 / xp.sqrt(var + x.dtype.type(eps))
        ctx.save_for_backward(x, w, mean, invstd, y) if relu else ctx.save_for_backward(x, w, mean, invstd)
        ctx.training, ctx.eps, ctx.relu, ctx.running = training, eps, relu, (rmean, rvar)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w, mean, invstd = ctx.saved_tensors[:4]
        if ctx.relu:            # the ReLU's backward first: its mask is a constant of the graph
            g = m.where(m.data(ctx.saved_tensors[4]) > 0, g, 0.0)
        dims, shape = _per_channel(x)
        count = x.shape[0] * math.prod(x.shape[2:])
        if ctx.training:
            xhat, invstd = _normalized(x, dims, count, ctx.eps)
            dx = _through_stats(_gw(g, w, shape), xhat, invstd, dims, count)
        else:
            invstd = invstd.reshape(shape)
            xhat = (x - mean.reshape(shape)) * invstd
            dx = _gw(g, w, shape) * invstd
        need = ctx.needs_input_grad
        return (dx if need[0] else None, m.sum(g * xhat, dims) if need[1] else None,
                m.sum(g, dims) if need[2] else None) + (None,) * 6

    @staticmethod
    def backward_raw(ctx, g):
        x, w, mean, invstd = ctx._saved[:4]
        dx, dw, db = kernels_of(g).batch_norm_backward(g, x, mean, invstd, w, ctx.training,
                                                       ctx._saved[4] if ctx.relu else None)
        need = ctx.needs_input_grad
        return (dx if need[0] else None, dw if need[1] else None, db if need[2] else None) + (None,) * 6

    def name(self):
        return "ReluBackward0" if self.relu else "NativeBatchNormBackward0"


def _blend(running, batch, momentum):
    """running = (1 - momentum) * running + momentum * batch, in place, in running's dtype."""
    running *= 1 - momentum
    running += (momentum * batch).astype(running.dtype, copy=False)


def _normalized_shape(node):
    """layer_norm's normalized_shape: the weight's, else the fewest trailing dims of the input holding D elements."""
    w = node._inputs[1]
    if w is not None:
        return tuple(w[1])
    shape, d = tuple(saved_value(node, 0).shape), node.dims[1]
    return next(shape[k:] for k in range(len(shape) - 1, -1, -1) if math.prod(shape[k:]) == d)


def _norm_statistic(slot):
    """torch's result1/result2 (mean, rstd): layer norm's shaped (..., 1, ...), group norm's (N, group)."""
    def value(node, t):
        if node.layer:
            shape = tuple(saved_value(node, 0).shape)
            k = len(_normalized_shape(node))
            return t.reshape(shape[:len(shape) - k] + (1,) * k)
        return t.reshape((node.dims[0], node.dims[2]))
    return slot, value


_LAYER_NORM_NAMES = {"input": 0, "weight": 1, "bias": 4, "normalized_shape": _normalized_shape,
                     "result1": _norm_statistic(2), "result2": _norm_statistic(3)}
_GROUP_NORM_NAMES = {"input": 0, "weight": 1, "result1": _norm_statistic(2), "result2": _norm_statistic(3),
                     "N": lambda node: node.dims[0], "C": lambda node: node.dims[1],
                     "HxW": lambda node: node.dims[3], "group": lambda node: node.dims[2], "eps": "eps"}


class GroupNorm(Function):
    """apply(x, weight, bias, num_groups, eps, d): x (N, C, *) normalized per sample and group of C / num_groups
    channels, weight/bias (C,); d (layer norm's D, else None): x (..., D) as (rows, D) in one group, weight/bias of
    D elements in any shape."""
    op_name = "group_norm"
    saved_names = saved_variants(lambda node: "layer" if node.layer else "group", layer=_LAYER_NORM_NAMES,
                                 group=_GROUP_NORM_NAMES)

    @staticmethod
    def forward(ctx, x, w, b, groups, eps, d):
        if d is None:
            n, c = x.shape[:2]
            ctx.dims = (n, c, groups, math.prod(x.shape[2:]))
            x3, w1, b1 = x, w, b
        else:
            ctx.dims = (x.size // d if d else 0, d, 1, 1)
            x3 = x.reshape(-1, d)
            w1, b1 = (None if w is None else w.reshape(-1)), (None if b is None else b.reshape(-1))
        y, mean, rstd = kernels_of(x).group_norm_forward(x3, groups, w1, b1, eps)
        ctx.save_for_backward(x, w, mean, rstd, b)      # x and w themselves: create_graph finds them as inputs
        ctx.eps, ctx.layer = eps, d is not None
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors[:2]
        n, c, gs, s = ctx.dims
        k = c // gs if gs else 0
        xs, g4 = x.reshape((n, gs, k, s)), g.reshape((n, gs, k, s))
        xhat, invstd = _normalized(xs, (2, 3), k * s, ctx.eps)
        dx = _through_stats(_gw(g4, w, (1, gs, k, 1)), xhat, invstd, (2, 3), k * s)
        need, inputs = ctx.needs_input_grad, ctx._inputs
        return (dx.reshape(tuple(x.shape)) if need[0] else None,
                m.sum(g4 * xhat, (0, 3)).reshape(tuple(inputs[1][1])) if need[1] else None,
                m.sum(g4, (0, 3)).reshape(tuple(inputs[2][1])) if need[2] else None, None, None, None)

    @staticmethod
    def backward_raw(ctx, g):
        x, w, mean, rstd = ctx._saved[:4]
        n, c, gs, s = ctx.dims
        dx, dw, db = kernels_of(g).group_norm_backward(
            g.reshape(n, c, s), x.reshape(n, c, s), mean, rstd, None if w is None else w.reshape(-1), gs)
        need, inputs = ctx.needs_input_grad, ctx._inputs
        return (dx.reshape(x.shape) if need[0] else None, dw.reshape(inputs[1][1]) if need[1] else None,
                db.reshape(inputs[2][1]) if need[2] else None, None, None, None)

    def name(self):
        return "NativeLayerNormBackward0" if self.layer else "NativeGroupNormBackward0"


# ---- checks and dtypes ---------------------------------------------------------------------------------------

def _float_input(op, x):
    if not x.dtype.is_floating_point:
        raise not_implemented(op, x)


def _check_vector(name, t, c):
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def _kernel_dtype(fn, x, *tensors):
    """fn(x, *tensors) with float16 x (and its float16 weights) through float32, as the kernels take float32/64."""
    if x._data.dtype.itemsize >= 4:
        return fn(x, *tensors)
    f32 = _dtype.float32
    out = fn(cast(x, f32), *(t if t is None or t.dtype is not x.dtype else cast(t, f32) for t in tensors))
    return cast(out, x.dtype)


# ---- the functions -------------------------------------------------------------------------------------------

@_api.declare(method=False, top=False, functional=True)
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization over each channel of input (N, C, *), as ``torch.nn.functional.batch_norm``: the batch's
    statistics while training (running_mean/running_var, if given, updated in place with `momentum`, the variance
    unbiased), else the running ones.

    Example::

        >>> y = F.batch_norm(x, rm, rv, training=True)      # rm, rv move towards x's statistics
    """
    return batch_norm_relu(input, running_mean, running_var, weight, bias, training, momentum, eps, False)


def batch_norm_relu(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
                    eps=1e-5, relu=True):
    """relu(F.batch_norm(...)) (relu=True) as one node and one kernel pass each way: what nn.Sequential runs for a
    BatchNorm and the ReLU after it (nn/modules/fusion.py); relu=False: F.batch_norm itself."""
    _float_input("batch_norm", input)
    c = input.shape[1] if input.ndim > 1 else 0
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be defined in evaluation mode")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        _check_vector(name, t, c)
    if input.ndim < 2:
        raise RuntimeError(f"batch_norm: expected input of shape (N, C, *), got {tuple(input.shape)}")
    if training and input.numel() // c == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")

    def run(x, w, b):
        return BatchNorm.apply(x, w, b, running_mean, running_var, bool(training), float(momentum or 0.0),
                               float(eps), bool(relu))
    return _kernel_dtype(run, input, weight, bias)


def _torch_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled=True):
    """``torch.batch_norm``: F.batch_norm with its arguments in ATen's order."""
    return batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


_api.declare(_torch_batch_norm, name="batch_norm", method=False, top=True)


@_api.declare(method=False, top=True, functional=True)
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """Normalizes over the last dims `normalized_shape` (a tuple of ints), then weight/bias of that shape, as
    ``torch.nn.functional.layer_norm``.

    Example::

        >>> F.layer_norm(x, (x.shape[-1],))        # each row: mean 0, variance 1
    """
    if isinstance(normalized_shape, int) or not all(isinstance(d, int) for d in normalized_shape):
        raise TypeError(f"layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    ns = tuple(normalized_shape)
    _float_input("layer_norm", input)
    if not ns or tuple(input.shape[input.ndim - len(ns):]) != ns or len(ns) > input.ndim:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    for t in (weight, bias):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {'weight' if t is weight else 'bias'} to be of same shape as "
                               f"normalized_shape, but got {'weight' if t is weight else 'bias'} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(ns)}")
    d = math.prod(ns)

    def run(x, w, b):
        return GroupNorm.apply(x, w, b, 1, float(eps), d)
    return _kernel_dtype(run, input, weight, bias)


@_api.declare(method=False, top=True, functional=True)
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """Normalizes each sample's groups of C / num_groups channels of input (N, C, *), then weight/bias per channel,
    as ``torch.nn.functional.group_norm``.

    Example::

        >>> F.group_norm(x, 2, weight, bias)          # x (N, 4, H, W): channels {0, 1} and {2, 3} together
    """
    _float_input("group_norm", input)
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for t in (weight, bias):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {'weight' if t is weight else 'bias'} to be a vector of size equal to the "
                               f"number of channels in input, but got {'weight' if t is weight else 'bias'} of "
                               f"shape {list(t.shape)} and input of shape {list(input.shape)}")

    def run(x, w, b):
        return GroupNorm.apply(x, w, b, int(num_groups), float(eps), None)
    return _kernel_dtype(run, input, weight, bias)


@_api.declare(method=False, top=False, functional=True)
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalizes each sample's channels of input (N, C, *) on their own, as
    ``torch.nn.functional.instance_norm``; with use_input_stats=False, by the running statistics.

    Example::

        >>> F.instance_norm(x)         # every x[n, c] to mean 0, variance 1
    """
    _float_input("instance_norm", input)
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if math.prod(tuple(input.shape)[2:]) <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    c = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        _check_vector(name, t, c)
    if running_mean is not None or running_var is not None:
        _instance_running_stats(input._data, running_mean, running_var, momentum)
    return group_norm(input, c, weight, bias, eps)


def _instance_running_stats(x, running_mean, running_var, momentum):
    """PyTorch's update of instance norm's running statistics: the instances' means and unbiased variances, averaged
    over the batch, blended in with momentum (in place)."""
    n, c = x.shape[:2]
    x3 = x.reshape(n, c, -1).astype(x.dtype if x.dtype.itemsize >= 4 else "float32")
    if running_mean is not None:
        _blend(running_mean._data, x3.mean(2).mean(0), momentum)
    if running_var is not None:
        _blend(running_var._data, x3.var(2, ddof=1).mean(0), momentum)


@_api.declare(method=False, top=True, functional=True)
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x ** 2) + eps) * weight``, the mean over the last dims `normalized_shape`; eps None: the
    machine epsilon of input's dtype, as ``torch.nn.functional.rms_norm``.

    Example: ``F.rms_norm(x, (x.shape[-1],))`` gives rows of root mean square 1."""
    if isinstance(normalized_shape, int) or not all(isinstance(d, int) for d in normalized_shape):
        raise TypeError(f"rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    ns = tuple(normalized_shape)
    if not input.is_complex():                  # complex: PyTorch's mean(x * x), the complex square
        _float_input("rms_norm", input)
    if not ns or len(ns) > input.ndim or tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*"
                           f"{', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(ns)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - len(ns), input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


@_api.declare(method=False, top=False, functional=True)
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Each element divided by ``(k + alpha * mean(x ** 2 over `size` neighbouring channels)) ** beta``, channels
    being dim 1 of input (N, C, *), as ``torch.nn.functional.local_response_norm`` (AlexNet's LRN).

    Example: ``F.local_response_norm(x, size=5, alpha=1e-4, beta=0.75, k=2.0)``"""
    dim = input.ndim
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    squares = pad(input * input, (0, 0) * (dim - 2) + (size // 2, (size - 1) // 2))
    window = squares[:, 0:c]
    for s in range(1, size):
        window = window + squares[:, s:s + c]
    return input / ((window * (alpha / size) + k) ** beta)
