"""3-d pooling as in torch.nn.functional: max/avg pooling, adaptive pooling, max unpooling and power-average pooling
of (N, C, D, H, W) or (C, D, H, W) input.

A box window is a depth window of (H, W) windows, so each 3-d pool is the 2-d pool of every depth slice (ops/
pooling.py, its kernels on every device) followed by a pool over depth, composed of differentiable ops (gradients of
every order come from them):
- average: sums of the slices (avg_pool2d with divisor 1), summed over each depth window by one product with a
  constant (Do, D) matrix of ones, divided by the 3-d divisor (the per-axis window sizes multiply: PyTorch's
  divisor, with or without the padding, is a product of one size per axis);
- max: the slices' maxima and argmaxes (max_pool2d with indices), then per depth tap (a loop over the window's taps,
  not over elements) the slice whose maximum wins (ties keep the first, a NaN wins: the last NaN of the window, as
  PyTorch's scan over (d, h, w)), gathered; the flat index is d*H*W plus the slice's own.
"""
import numpy as np

from .. import _api, _dtype
from ._util import cast, not_implemented, wrap, xp_of
from .pooling import (_adaptive_size, _ints, _lp_pool, _max_unpool, _unpool_size, adaptive_avg_pool2d,
                      adaptive_max_pool2d, avg_pool2d, complex_global_mean, max_pool2d, out_length)


def _strided(op, kernel_size, stride, padding, dilation, words):
    """kernel, stride, padding, dilation as triples, with PyTorch's messages (`words`: max's or avg's)."""
    kernel = _ints(kernel_size, 3, f"{op}: kernel_size must {words[0]}be a single int, or a tuple of three ints",
                   op, "kernel_size", 2)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _ints(
        stride, 3, f"{op}: stride must {words[0]}be omitted, a single int, or a tuple of three ints", op, "stride", 3)
    padding = _ints(padding, 3, f"{op}: padding must {words[0]}be a single int, or a tuple of three ints", op,
                    "padding", 4)
    dilation = _ints(dilation, 3, f"{op}: dilation must be either a single int, or a tuple of three ints", op,
                     "dilation", 5)
    return kernel, stride, padding, dilation


def _shape_check(x, kernel, stride, dilation, out, input_size_check=False):
    """PyTorch's pool3d_shape_check (after the output sizes, whose own checks out_length makes)."""
    if min(kernel) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {kernel[0]} kH: {kernel[1]} "
                           f"kW: {kernel[2]}")
    if min(stride) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dT: {stride[0]} dH: {stride[1]} "
                           f"dW: {stride[2]}")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {dilation[0]} dilationH: "
                           f"{dilation[1]} dilationW: {dilation[2]}")
    shape = tuple(x.shape)
    if len(shape) not in (4, 5) or 0 in shape[-4:]:
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if input_size_check and any(s < k for s, k in zip(shape[-3:], kernel)):
        raise RuntimeError(f"input image (T: {shape[-3]} H: {shape[-2]} W: {shape[-1]}) smaller than kernel size "
                           f"(kT: {kernel[0]} kH: {kernel[1]} kW: {kernel[2]})")
    if min(out) < 1:
        c = shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{'x'.join(map(str, shape[-3:]))}). Calculated output size: "
                           f"({c}x{'x'.join(map(str, out))}). Output size is too small")


def _out_sizes(x, kernel, stride, padding, dilation, ceil_mode):
    if x.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    return tuple(out_length(x.shape[-3 + i], kernel[i], padding[i], stride[i], dilation[i], ceil_mode)
                 for i in range(3))


def _slices(x):
    """x (..., C, D, H, W) as 2-d pools' input (N*C, D, H, W): each depth slice a plane."""
    return x.reshape((-1,) + tuple(x.shape[-3:]))


def _depth_max(y2, i2, taps, lead, hw):
    """The max over depth windows of the slices' maxima y2 (N*C, D, h, w), argmax i2 (raw, flat in each slice):
    taps (K, Do) the input slice of each tap of each window (-1: padding). (output, flat indices in D*H*W)."""
    xp = xp_of(i2)
    v = y2._data if y2.dtype.is_floating_point else y2._data.astype(np.float64)
    best = bestd = None
    for pos in xp.asarray(taps):
        valid = (pos >= 0)[:, None, None]
        pc = xp.maximum(pos, 0)
        vals = xp.where(valid, v[:, pc], -xp.inf)
        if best is None:
            best, bestd = vals, xp.broadcast_to(pc[:, None, None], vals.shape)
            continue
        take = (vals > best) | ((vals != vals) & valid)
        best, bestd = xp.where(take, vals, best), xp.where(take, pc[:, None, None], bestd)
    d_idx = wrap(xp.ascontiguousarray(bestd, dtype=np.int64), i2)
    out = y2.gather(1, d_idx)
    idx = bestd * hw + xp.take_along_axis(i2, d_idx._data, axis=1)
    shape = lead + tuple(out.shape[1:])
    return out.reshape(shape), wrap(idx.reshape(shape), i2)


def _max_taps(n, out, k, s, p, d):
    """(K, Do) input slice of each tap of each strided window over depth; -1 where the tap is padding."""
    pos = np.arange(out)[None, :] * s - p + np.arange(k)[:, None] * d
    return np.where((pos >= 0) & (pos < n), pos, -1)


def _run_max(x, taps, pool2d, batched):
    """A 3-d max pool: pool2d (the slices' 2-d pool, with indices) then the depth taps' max."""
    if x.dtype is _dtype.bool_:
        raise not_implemented("max_pool3d", x)
    x5 = x if batched else x.unsqueeze(0)
    y2, i2 = pool2d(_slices(x5))
    hw = x5.shape[-2] * x5.shape[-1]
    out, idx = _depth_max(y2, i2._data, taps, tuple(x5.shape[:2]), hw)
    if not batched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return out, idx


@_api.declare(method=False, top=True, functional=True)
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each kernel_size window of input (N, C, D, H, W) or (C, D, H, W), as
    ``torch.nn.functional.max_pool3d``; with return_indices, also the flat index (d*H*W + h*W + w) of each maximum.

    Example: ``F.max_pool3d(torch.randn(2, 4, 8, 8, 8), 2).shape`` is (2, 4, 4, 4, 4)."""
    op = "max_pool3d"
    kernel, stride, padding, dilation = _strided(op, kernel_size, stride, padding, dilation, ("either ", ""))
    out = _out_sizes(input, kernel, stride, padding, dilation, ceil_mode)
    _shape_check(input, kernel, stride, dilation, out)
    taps = _max_taps(input.shape[-3], out[0], kernel[0], stride[0], padding[0], dilation[0])

    def pool2d(s):
        return max_pool2d(s, kernel[1:], stride[1:], padding[1:], dilation[1:], ceil_mode, True)

    res = _run_max(input, taps, pool2d, input.ndim == 5)
    return res if return_indices else res[0]


@_api.declare(method=False, top=False, functional=True)
def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """``max_pool3d(..., return_indices=True)``: (output, indices)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_run(x, op, pool2d, ones, divisor):
    """A 3-d average: pool2d (the slices' sums) summed over depth windows by ones (Do, D), divided by divisor
    (Do, Ho, Wo); integers exactly through float64 (PyTorch's truncating division), float16 through float32."""
    if x.dtype is _dtype.bool_ or (not x.dtype.is_floating_point and x._data.dtype != np.int64):
        raise not_implemented(op, x)
    if not x.dtype.is_floating_point or x._data.dtype.itemsize < 4:
        wide = _dtype.float64 if not x.dtype.is_floating_point else _dtype.float32
        y = _avg_run(cast(x, wide), op, pool2d, ones, divisor)
        return cast(y.trunc() if not x.dtype.is_floating_point else y, x.dtype)
    batched = x.ndim == 5
    x5 = x if batched else x.unsqueeze(0)
    n, c, d = x5.shape[:3]
    s = pool2d(_slices(x5))                                          # (N*C, D, Ho, Wo)
    xp, dt = xp_of(x._data), x._data.dtype
    a = wrap(xp.asarray(ones, dtype=dt), x._data)
    y = a.matmul(s.reshape(n * c, d, -1))                             # (N*C, Do, Ho*Wo)
    y = y.reshape(n, c, *divisor.shape) / wrap(xp.asarray(divisor, dtype=dt), x._data)
    return y if batched else y.squeeze(0)


def _avg_axis(n, out, k, s, p, count_include_pad):
    """(ones (out, n), divisor (out,)) of one axis of a strided average pool, as PyTorch's avg_pool3d counts."""
    ones, div = np.zeros((out, n)), np.empty(out)
    for o in range(out):
        a = o * s - p
        b = min(a + k, n + p)
        lo, hi = max(a, 0), min(b, n)
        ones[o, lo:hi] = 1
        div[o] = b - a if count_include_pad else hi - lo
    return ones, div


@_api.declare(method=False, top=False, functional=True)
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean over each kernel_size window of input (N, C, D, H, W) or (C, D, H, W), as
    ``torch.nn.functional.avg_pool3d`` (count_include_pad: padding counts in the divisor; divisor_override: the
    divisor itself).

    Example: ``F.avg_pool3d(torch.randn(2, 4, 8, 8, 8), 2).shape`` is (2, 4, 4, 4, 4)."""
    op = "avg_pool3d"
    kernel, stride, padding, _ = _strided(op, kernel_size, stride, padding, 1, ("", ""))
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out = _out_sizes(input, kernel, stride, padding, (1, 1, 1), ceil_mode)
    _shape_check(input, kernel, stride, (1, 1, 1), out, input_size_check=True)
    axes = [_avg_axis(input.shape[-3 + i], out[i], kernel[i], stride[i], padding[i], count_include_pad)
            for i in range(3)]
    if divisor_override is not None:
        divisor = np.full(out, float(divisor_override))
    else:
        divisor = axes[0][1][:, None, None] * axes[1][1][None, :, None] * axes[2][1][None, None, :]

    def pool2d(s):
        return avg_pool2d(s, kernel[1:], stride[1:], padding[1:], ceil_mode, count_include_pad, 1)

    return _avg_run(input, "avg_pool3d_out_frame", pool2d, axes[0][0], divisor)


def _adaptive_windows(n, out):
    o = np.arange(out)
    return o * n // out, ((o + 1) * n + out - 1) // out


def _adaptive_checks(x, out, kind):
    op = f"{kind}_pool3d"
    if x.ndim not in (4, 5):
        raise RuntimeError(f"{op}(): Expected 4D or 5D tensor, but got{':' if kind == 'adaptive_max' else ''} "
                           f"{list(x.shape)}")
    for i in range(1, x.ndim):
        if x.shape[i] <= 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(x.shape)} with dimension {i} being empty")
    if min(out) < 0:
        if kind == "adaptive_avg":
            raise RuntimeError(f"adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but "
                               f"received {{{out[0]}, {out[1]},{out[2]}}}")
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{list(x.shape[:-3]) + list(out)}")
    if x.dtype is _dtype.bool_ or not x.dtype.is_floating_point:
        raise not_implemented(f"{op}_cpu", x)


@_api.declare(method=False, top=False, functional=True)
def adaptive_avg_pool3d(input, output_size):
    """The mean over windows that tile input (N, C, D, H, W) or (C, D, H, W) into output_size (an int, or (d, h, w)
    where None keeps that size), as ``torch.nn.functional.adaptive_avg_pool3d``.

    Example: ``F.adaptive_avg_pool3d(x, 1)`` is the global average pool, (N, C, 1, 1, 1)."""
    mean = complex_global_mean(input, output_size, 3)
    if mean is not None:
        return mean
    out = _adaptive_size(output_size, tuple(input.shape), 3, "adaptive_avg_pool3d: output_size must be 3")
    _adaptive_checks(input, out, "adaptive_avg")
    d = input.shape[-3]
    start, end = _adaptive_windows(d, out[0])
    ones = np.zeros((out[0], d))
    for o in range(out[0]):
        ones[o, start[o]:end[o]] = 1 / (end[o] - start[o])

    def pool2d(s):
        return adaptive_avg_pool2d(s, out[1:])

    return _avg_run(input, "adaptive_avg_pool3d", pool2d, ones, np.ones(out))


@_api.declare(method=False, top=False, functional=True)
def adaptive_max_pool3d(input, output_size, return_indices=False):
    """The maximum over windows that tile input (N, C, D, H, W) or (C, D, H, W) into output_size, as
    ``torch.nn.functional.adaptive_max_pool3d``; with return_indices, also the flat index of each maximum.

    Example: ``F.adaptive_max_pool3d(x, (2, 2, 2))``."""
    out = _adaptive_size(output_size, tuple(input.shape), 3,
                         "adaptive_max_pool3d(): internal error: output_size.size() must be 3")
    _adaptive_checks(input, out, "adaptive_max")
    start, end = _adaptive_windows(input.shape[-3], out[0])
    k = int((end - start).max()) if out[0] else 1
    taps = np.minimum(start[None, :] + np.arange(k)[:, None], end[None, :] - 1)   # a window's last tap repeats

    def pool2d(s):
        return adaptive_max_pool2d(s, out[1:], True)

    res = _run_max(input, taps, pool2d, input.ndim == 5)
    return res if return_indices else res[0]


@_api.declare(method=False, top=False, functional=True)
def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """``adaptive_max_pool3d(..., return_indices=True)``: (output, indices)."""
    return adaptive_max_pool3d(input, output_size, True)


@_api.declare(method=False, top=False, functional=True)
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool3d: each value of input put back at its index (max_pool3d's ``return_indices``) in
    zeros of the unpooled size, as ``torch.nn.functional.max_unpool3d``.

    Example: ``out, idx = F.max_pool3d(x, 2, return_indices=True); F.max_unpool3d(out, idx, 2)``"""
    kernel = _ints(kernel_size, 3, "max_unpool3d: kernel_size must be an int or a triple of ints")
    stride = kernel if stride is None else _ints(stride, 3, "max_unpool3d: stride must be an int or a triple of ints")
    padding = _ints(padding, 3, "max_unpool3d: padding must be an int or a triple of ints")
    return _max_unpool(input, indices, _unpool_size("max_unpool3d", input, kernel, stride, padding, output_size))


@_api.declare(method=False, top=False, functional=True)
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each window of (N, C, D, H, W) or (C, D, H, W) input, ``(sum x ** p) ** (1 / p)``, as
    ``torch.nn.functional.lp_pool3d`` (p inf: the largest |x|).

    Example: ``F.lp_pool3d(x, 2, 2)``"""
    kd, kh, kw = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 3   # Python's error
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool3d, avg_pool3d, kd * kh * kw)
