"""Fractional max pooling (Graham, 2014) as torch.nn.functional's fractional_max_pool2d / 3d.

Each plane's windows start at PyTorch's pseudo-random intervals (aten's generate_intervals, computed in the samples'
own dtype so that the same _random_samples give the same windows); the max over each window is taken one tap of the
window at a time on the array module (a window has few taps), so it runs on every device; the CPU's kernel table
scans each window in one Numba loop. Indices are int64, flat per plane as PyTorch's. The backward adds the gradient at each argmax (a scatter-add along each flattened
plane); its own backward gathers at the argmax, whose backward adds again: every order works.
"""
import itertools
import math
import operator

import numpy as np

from .. import _api, _dtype
from ..autograd.op_function import Function
from ..creation import rand
from . import _formula as m
from ._scatter_add import add_along
from ._util import cast, kernels_of, not_implemented, wrap, xp_of


def _intervals(xp, sample, n_in, n_out, pool):
    """The window starts (planes, n_out) along one dim, from each plane's sample (planes,): aten's
    generate_intervals, in the sample's dtype."""
    dt = sample.dtype.type
    starts = xp.empty((sample.shape[0], n_out), np.int64)
    if n_out > 1:
        alpha = dt(n_in - pool) / dt(n_out - 1)
        i = xp.arange(n_out - 1, dtype=sample.dtype)[None, :]
        starts[:, :-1] = ((i + sample[:, None]) * alpha).astype(np.int64) - (sample * alpha).astype(np.int64)[:, None]
    if n_out > 0:
        starts[:, -1] = n_in - pool
    return starts


def _forward(x, samples, pool, out, order):
    """(max, flat argmax) of raw x (B, C, *in) over the windows of size `pool` that samples (B, C, nd) place;
    order[d]: the samples' column for spatial dim d."""
    xp = xp_of(x)
    b, c, *in_size = x.shape
    nd = len(in_size)
    planes = b * c
    flat = x.reshape(planes, math.prod(in_size))
    s = samples[:b].reshape(planes, nd)
    starts = [_intervals(xp, s[:, order[d]], in_size[d], out[d], pool[d]) for d in range(nd)]
    strides = [math.prod(in_size[d + 1:]) for d in range(nd)]
    base = 0        # the flat index of each window's first tap: (planes, *out)
    for d in range(nd):
        shape = (planes,) + tuple(out[d] if e == d else 1 for e in range(nd))
        base = base + (starts[d] * strides[d]).reshape(shape)
    base = xp.broadcast_to(base, (planes,) + tuple(out)).reshape(planes, math.prod(out))
    offsets = [sum(t * st for t, st in zip(tap, strides)) for tap in itertools.product(*(range(p) for p in pool))]
    kernel = getattr(kernels_of(x), "fractional_max_pool_forward", None)
    if kernel is not None and x.dtype.itemsize >= 4:
        best, idx = kernel(flat, base, np.array(offsets, np.int64))
    else:
        best, idx = _scan(xp, flat, base, offsets)
    shape = (b, c) + tuple(out)
    return best.reshape(shape), idx.reshape(shape)


def _scan(xp, flat, base, offsets):
    """(max, flat argmax) of each window on the array module, a window's taps (row-major offsets: PyTorch's scan
    order) one at a time: what the CPU kernel computes."""
    best = xp.full(base.shape, -np.inf, flat.dtype)
    idx = base.copy()
    for off in offsets:
        pos = base + off
        val = xp.take_along_axis(flat, pos, axis=1)
        take = (val > best) | xp.isnan(val)                      # a NaN wins, the last one of the window
        best = xp.where(take, val, best)
        idx = xp.where(take, pos, idx)
    return best, idx


def _scatter(g, idx, in_size):
    """dL/dx (..., *in_size): g (..., *out) added at each flat argmax of its plane."""
    xp, lead = xp_of(g), g.shape[:g.ndim - len(in_size)]
    planes, n_out = math.prod(lead), math.prod(g.shape[len(lead):])
    dx = xp.zeros((planes, math.prod(in_size)), g.dtype)
    add_along(xp, dx, 1, idx.reshape(planes, n_out), g.reshape(planes, n_out))
    return dx.reshape(lead + tuple(in_size))


def _gather(x, idx, in_size):
    """x (..., *in_size) read at each flat argmax: idx's shape."""
    lead = idx.shape[:idx.ndim - len(in_size)]
    flat = x.reshape(lead + (math.prod(in_size),))
    return xp_of(x).take_along_axis(flat, idx.reshape(lead + (math.prod(idx.shape[len(lead):]),)),
                                    axis=-1).reshape(idx.shape)


class FractionalPool(Function):
    """y = the pool of x; `result` (y, argmax) is computed by the caller."""
    op_name = "fractional_max_pool"

    @staticmethod
    def forward(ctx, x, result, in_size):
        ctx.idx, ctx.in_size = result[1], in_size
        return result[0]

    @staticmethod
    def backward(ctx, g):
        return _move(g, ctx.idx, ctx.in_size, True), None, None

    def name(self):
        return f"FractionalMaxPool{len(self.in_size)}DBackward0"


class FractionalMove(Function):
    """scatter: g added at the argmax (the pool's backward); else x read at the argmax. Each is linear and the
    other's derivative."""
    op_name = "fractional_max_pool_backward"

    @staticmethod
    def forward(ctx, a, idx, in_size, scatter):
        ctx.idx, ctx.in_size, ctx.scatter = idx, in_size, scatter
        return (_scatter if scatter else _gather)(a, idx, in_size)

    @staticmethod
    def backward(ctx, g):
        return _move(g, ctx.idx, ctx.in_size, not ctx.scatter), None, None, None

    def name(self):
        return f"FractionalMaxPool{len(self.in_size)}DBackwardBackward0" if self.scatter else "GatherBackward0"


def _move(a, idx, in_size, scatter):
    """FractionalMove of a: recorded under create_graph, on the raw arrays otherwise."""
    if m.is_graph(a):
        return FractionalMove.apply(a, idx, in_size, scatter)
    return (_scatter if scatter else _gather)(a, idx, in_size)


# ---- the functions, with PyTorch's checks and words ------------------------------------------------------------

def _ints(v, n, error):
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * n
    v = tuple(operator.index(a) for a in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(error)
    return v


def _fractional(input, kernel_size, output_size, output_ratio, return_indices, samples, nd):
    op = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:
            raise ValueError(f"{op} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        output_size = [int(input.shape[-nd + i] * ratio[i]) for i in range(nd)]
    if samples is None:
        if not input.dtype.is_floating_point:
            raise not_implemented("check_uniform_bounds", input)
        if input.ndim < nd + 1:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], "
                             f"but got {-nd - 1})")
        n_batch = 1 if input.ndim == nd + 1 else input.shape[0]
        samples = rand(n_batch, input.shape[-nd - 1], nd, dtype=input.dtype, device=input.device)
    words = "Ints" if nd == 2 else "three Ints"
    pool = _ints(kernel_size, nd, f"{op}: kernel_size must either be a single Int or tuple of {words}")
    out = _ints(output_size, nd, f"{op}: output_size must either be a single Int or tuple of {words}")
    where = op if nd == 2 else "fractional_max_pool3d_out"
    shape = tuple(input.shape)
    if len(shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"{where}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(shape)}")
    for i in range(1, len(shape)):
        if shape[i] <= 0:
            raise RuntimeError(f"{where}(): Expected input to have non-zero size for non-batch dimensions, but got"
                               f"{list(shape)} with dimension {i} being empty.")
    names = ("height", "width") if nd == 2 else ("time", "height", "width")
    for d in range(nd):
        n_in = shape[-nd + d]
        # 2-d allows a last window that ends at the input's end, 3-d (aten's check) does not
        if out[d] + pool[d] - 1 > n_in or (nd == 3 and out[d] + pool[d] - 1 == n_in):
            raise RuntimeError(f"{where}(): pool {names[d]} {pool[d]} too large relative to input {names[d]} {n_in}")
    if min(out) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{list(shape[:-nd]) + list(out)}")
    _check_samples(input, samples, nd)
    if input.dtype is _dtype.bool_ or not input.dtype.is_floating_point:
        raise not_implemented(f"{op}_out_frame" if nd == 2 else "fractional_max_pool3d_out_frame", input)
    if samples.device != input.device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{input.device} and {samples.device}!")
    x = input if input.ndim == nd + 2 else input.unsqueeze(0)
    xk = x if x._data.dtype.itemsize >= 4 else cast(x, _dtype.float32)     # float16: the max runs in float32
    order = (1, 0) if nd == 2 else (0, 1, 2)      # 2-d: samples[..., 0] places W, [..., 1] H
    val, idx = _forward(xk._data, samples._data, pool, out, order)
    in_size = tuple(shape[-nd:])
    y = FractionalPool.apply(xk, (val, idx), in_size)
    if xk is not x:
        y = cast(y, x.dtype)
    if input.ndim == nd + 1:
        y, idx = y.squeeze(0), idx[0]
    return (y, wrap(idx, val)) if return_indices else y


def _check_samples(input, samples, nd):
    if samples.dtype is not input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    batch, channels = (1, input.shape[0]) if input.ndim == nd + 1 else input.shape[:2]
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != channels:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {samples.shape[2]}.")


@_api.declare(method=False, top=False, functional=True)
def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """The max over pseudo-randomly placed kernel_size windows of input (N, C, H, W) or (C, H, W), for an output of
    output_size (oH, oW) or output_ratio times the input's size, as ``torch.nn.functional.fractional_max_pool2d``;
    _random_samples (N, C, 2) in [0, 1) place the windows (default: drawn by ``rand``).

    Example: ``F.fractional_max_pool2d(x, 3, output_ratio=0.5)`` halves H and W."""
    return _fractional(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 2)


@_api.declare(method=False, top=False, functional=True)
def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """``fractional_max_pool2d(..., return_indices=True)``: (output, int64 indices flat per plane)."""
    return _fractional(input, kernel_size, output_size, output_ratio, True, _random_samples, 2)


@_api.declare(method=False, top=False, functional=True)
def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """The max over pseudo-randomly placed kernel_size windows of input (N, C, T, H, W) or (C, T, H, W), as
    ``torch.nn.functional.fractional_max_pool3d``; _random_samples (N, C, 3) place the windows.

    Example: ``F.fractional_max_pool3d(x, 2, output_size=(4, 4, 4))``."""
    return _fractional(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 3)


@_api.declare(method=False, top=False, functional=True)
def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """``fractional_max_pool3d(..., return_indices=True)``: (output, int64 indices flat per plane)."""
    return _fractional(input, kernel_size, output_size, output_ratio, True, _random_samples, 3)
