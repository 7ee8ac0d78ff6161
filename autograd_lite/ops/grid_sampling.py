"""grid_sample and affine_grid as in torch.nn.functional (and torch.grid_sampler / torch.affine_grid_generator).

grid_sample reads the input at the grid's points, each axis on its own: the grid's coordinate is unnormalized to
pixels and padded (border: clipped; reflection: reflected, then clipped), which is a piecewise affine map of the
grid (a value and a slope per point, PyTorch's coordinate rules, its NaN handling included); the map's point gives
the taps along that axis (1 nearest, 2 bilinear, 4 bicubic: bicubic pads each tap instead) and their weights, a
polynomial of the point's fractional part. The sample is the weighted sum over the tap pairs, an outside tap
reading 0 (its weight still multiplies, so a NaN weight gives NaN, as PyTorch).

For 4-D input on the CPU, Numba kernels (kernels/cpu/grid_sample.py) compute the taps (the same rules, tested
against `_axis` here), the sum and its backward (dL/dinput, and dL/dgrid through the weights' derivatives times the
slope). The same sum written with Tensor ops (`_composite`: gathers and products, any number of spatial dims) is the
path of 5-D input and of a device without the kernels, and gives the backward under create_graph: the gradient of
the composite, taken on the graph's own inputs, so any order of derivative works, as PyTorch's
grid_sampler_2d_backward is differentiable.

affine_grid is theta times a base grid of normalized pixel centres: a batched product of existing ops.
"""
import functools
import itertools
import math
import operator
import warnings

import numpy as np

from .. import _api, _dtype
from ..autograd.op_function import Function
from . import _formula as m
from ._util import cast, kernels_of, not_implemented, xp_of

_MODES = ("bilinear", "nearest", "bicubic")
_PADS = ("zeros", "border", "reflection")
_A = -0.75          # the cubic convolution's parameter (PyTorch's, as upsample bicubic)
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


# ---- coordinates (raw arrays) ----------------------------------------------------------------------------------

def _clip(c, size, xp):
    """(value, slope) of PyTorch's clip_coordinates: clamped to [0, size - 1], NaN to 0; slope 1 strictly inside."""
    v = xp.where(c == c, xp.minimum(xp.maximum(c, 0), size - 1), 0)
    return v.astype(c.dtype, copy=False), (c > 0) & (c < size - 1)


def _reflect(c, twice_low, twice_high, xp):
    """(value, slope +-1) of PyTorch's CPU reflect_coordinates: c folded into [low, high] by twice the span (in c's
    dtype: for far points the rounding decides, as PyTorch's)."""
    if twice_low == twice_high:
        return xp.zeros_like(c), xp.zeros(c.shape, bool)
    low, tw = twice_low / 2, twice_high - twice_low
    t = c - low
    a = xp.abs(t)
    extra = a - xp.trunc(a / tw) * tw
    other = tw - extra
    mirrored = other < extra
    v = xp.where(mirrored, other, extra) + low
    return v.astype(c.dtype, copy=False), mirrored == (t < 0)           # slope +1 where True, -1 where False


def _pad(c, size, pad, align, xp):
    """(value, slope) of PyTorch's compute_coordinates for padding mode `pad` (slope an array or 1)."""
    if pad == "zeros":
        return c, 1
    slope = 1
    if pad == "reflection":
        c, up = _reflect(c, 0, 2 * (size - 1), xp) if align else _reflect(c, -1, 2 * size - 1, xp)
        slope = xp.where(up, 1, -1).astype(c.dtype)
    c, inside = _clip(c, size, xp)
    return c, slope * inside.astype(c.dtype)


def _inside(c, size, xp):
    """Integer-valued coordinates as int64 taps, -1 outside [0, size) (NaN and huge values included)."""
    ok = (c >= 0) & (c <= size - 1)
    return xp.where(ok, c, -1).astype(np.int64)


def _axis(g, size, mode, pad, align):
    """One axis of the grid (raw array g) -> (taps [K arrays of g's shape], fractional part t, slope dt/dg)."""
    xp = xp_of(g)
    with np.errstate(all="ignore"):
        if align:
            c, scale = ((g + 1) / 2) * (size - 1), (size - 1) / 2
        else:
            c, scale = ((g + 1) * size - 1) / 2, size / 2
        if mode == "bicubic":                       # the weights from the point, each tap padded on its own
            base = xp.floor(c)
            taps = [_inside(_pad(base + o, size, pad, align, xp)[0], size, xp) for o in (-1, 0, 1, 2)]
            slope = scale
        else:
            c, s = _pad(c, size, pad, align, xp)
            base = xp.rint(c) if mode == "nearest" else xp.floor(c)
            taps = [_inside(base, size, xp)] + ([] if mode == "nearest" else [_inside(base + 1, size, xp)])
            slope = s * scale
        t = c - base
    slope = xp.broadcast_to(xp.asarray(slope, g.dtype), g.shape)
    return taps, t, slope


def _cc1(x):
    return ((_A + 2) * x - (_A + 3)) * x * x + 1


def _cc2(x):
    return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A


def _weights(t, mode):
    """The taps' weights from the fractional part t (arrays or Tensors alike)."""
    if mode == "bilinear":
        return [1 - t, t]
    if mode == "bicubic":
        return [_cc2(t + 1), _cc1(t), _cc1(1 - t), _cc2(2 - t)]
    return [t * 0 + 1]


# ---- the Tensor-op composite (any device; the create_graph backward) ------------------------------------------

def _const(a, like):
    return like._make(xp_of(like._data).ascontiguousarray(a))


def _composite(x, grid, spec):
    """grid_sample of Tensors x (N, C, *in) and grid (N, *out, d) (d = 2 or 3 spatial dims) with differentiable
    Tensor ops: per tap combination, a gather of x's flattened planes times the product of the axes' weights."""
    from .indexing import gather, where
    mode = spec[0]
    N, C = x.shape[:2]
    sizes, out = tuple(x.shape[2:]), tuple(grid.shape[1:-1])
    nd, P = len(sizes), math.prod(out)
    gd = grid._data
    xp = xp_of(gd)
    axes = []
    for d, size in enumerate(sizes):                    # the grid's last coordinate is the first spatial dim
        k = nd - 1 - d
        g_raw = gd[..., k]
        taps, t, slope = _axis(g_raw, size, *spec)
        finite = xp.isfinite(g_raw)
        delta = where(_const(finite, grid), grid[..., k] - _const(xp.where(finite, g_raw, 0), grid),
                      _const(xp.zeros_like(g_raw), grid))            # 0, carrying the grid's gradient
        tt = delta * _const(slope, grid) + _const(t, grid)
        ws = [delta * 0 + 1] if mode == "nearest" else _weights(tt, mode)
        axes.append(([tp.reshape(N, 1, P) for tp in taps], [w.reshape(N, 1, P) for w in ws]))
    strides = [math.prod(sizes[d + 1:]) for d in range(nd)]
    xf = x.reshape(N, C, math.prod(sizes))
    y = None
    for combo in itertools.product(*(range(len(taps)) for taps, _ in axes)):
        taps = [axes[d][0][i] for d, i in enumerate(combo)]
        inside = functools.reduce(operator.and_, [tp >= 0 for tp in taps])
        flat = xp.where(inside, sum(tp * st for tp, st in zip(taps, strides)), 0)
        v = gather(xf, 2, _const(xp.broadcast_to(flat, (N, C, P)), x))
        v = v * _const(inside.astype(gd.dtype), x)
        w = functools.reduce(operator.mul, [axes[d][1][i] for d, i in enumerate(combo)])
        term = w * v
        y = term if y is None else y + term
    return y.reshape((N, C) + out)


class _Bridge(Function):
    """The identity, whose backward stops while `blocked`: the composite's gradient, taken inside a backward, reaches
    the graph's inputs without running through their own graphs; differentiated later, it passes through."""
    op_name = "grid_sampler_bridge"

    @staticmethod
    def forward(ctx, x):
        ctx.blocked = False
        return x[...]

    @staticmethod
    def backward(ctx, g):
        return None if ctx.blocked else g


def _graph_backward(ctx, g, x, grid):
    """(dx, dgrid) as Tensors of the graph: the gradient of the composite at x and grid, g as its output gradient."""
    from ..autograd import grad
    need = ctx.needs_input_grad[:2]
    ins = [_Bridge.apply(t) if n else t.detach() for t, n in zip((x, grid), need)]
    y = _composite(ins[0], ins[1], ctx.spec)
    wanted = [t for t, n in zip(ins, need) if n]
    for t in wanted:
        t.grad_fn.blocked = True
    try:
        got = list(grad(y, wanted, g, create_graph=True, allow_unused=True))
    finally:
        for t in wanted:
            t.grad_fn.blocked = False
    out = [got.pop(0) if n else None for n in need]
    return out[0], out[1], None


class GridSampler2D(Function):
    """y = grid_sample(x, grid) through the kernel table; spec = (mode, padding_mode, align_corners)."""
    op_name = "grid_sampler_2d"

    @staticmethod
    def forward(ctx, x, grid, spec):
        N, C, H, W = x.shape
        k = kernels_of(x)
        ctx.spec = spec
        # the weights' derivatives too when the grid will want its gradient: one pass over the grid, not two
        grads = ctx.needs_input_grad[1] and spec[0] != "nearest"
        ctx.pairs = k.grid_sample2d_pairs(grid, H, W, *spec, grads=grads)
        ctx.save_for_backward(x, grid)
        out = k.grid_sample2d_forward(x, *ctx.pairs[:2])
        return out.reshape((N, C) + grid.shape[1:3])

    @staticmethod
    def backward(ctx, g):
        x, grid = ctx.saved_tensors
        if m.is_graph(g):
            return _graph_backward(ctx, g, x, grid)
        want_x, want_grid = ctx.needs_input_grad[:2]
        want_grid = want_grid and ctx.spec[0] != "nearest"
        N, C, H, W = x.shape
        k = kernels_of(g)
        off, w, *d = ctx.pairs
        dy, dx = d or (w, w)
        if want_grid and not d:
            off, w, dy, dx = k.grid_sample2d_pairs(grid, H, W, *ctx.spec, grads=True)
        with np.errstate(all="ignore"):
            gx, dgy, dgx = k.grid_sample2d_backward(xp_of(g).ascontiguousarray(g).reshape(N, C, -1), x, off, w, dy,
                                                    dx, want_x, want_grid)
        dgrid = None
        if ctx.needs_input_grad[1]:
            xp = xp_of(g)
            dgrid = xp.stack([dgx, dgy], -1).reshape(grid.shape) if want_grid else xp.zeros_like(grid)
        return gx, dgrid, None

    def name(self):
        return "GridSampler2DBackward0"


# ---- the public functions ------------------------------------------------------------------------------------

def _sizes(t):
    return list(t.shape)


def _check(input, grid, mode):
    if input.device != grid.device:
        raise RuntimeError(f"grid_sampler(): expected input and grid to be on same device, but input is on "
                           f"{input.device} and grid is on {grid.device}")
    if input.ndim == 0 or grid.ndim == 0 or input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but got "
                           f"grid with sizes {_sizes(grid)}")
    for i in range(2, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {_sizes(input)} with dimension {i} being empty")
    nd = 4 if input.ndim == 4 else 5
    if input.ndim != nd or grid.ndim != nd:
        raise RuntimeError(f"grid_sampler(): expected {nd}D input and grid with same number of dimensions, but got "
                           f"input with sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if nd == 5 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.dtype.is_floating_point:
        raise not_implemented("grid_sampler_2d_cpu_kernel_impl", input)
    if grid.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_type} but found {grid.dtype.scalar_type}")


def _sample(input, grid, spec):
    if input._data.dtype.itemsize < 4:          # float16 / bfloat16: through float32, as the kernels take
        f32 = _dtype.float32
        return cast(_sample(cast(input, f32), cast(grid, f32), spec), input.dtype)
    if input.ndim == 5 or getattr(kernels_of(input._data), "grid_sample2d_forward", None) is None:
        return _composite(input, grid, spec)            # 5-D, or a device without the kernels
    return GridSampler2D.apply(input, grid, spec)


@_api.declare(method=False, top=True, functional=False)
def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """torch.grid_sampler: grid_sample with the modes as integers (0 bilinear, 1 nearest, 2 bicubic; padding 0
    zeros, 1 border, 2 reflection)."""
    mode = _MODES[interpolation_mode]
    _check(input, grid, mode)
    return _sample(input, grid, (mode, _PADS[padding_mode], bool(align_corners)))


@_api.declare(method=False, top=False, functional=True)
def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples input (N, C, H, W) at the grid's points (N, Ho, Wo, 2), x then y in [-1, 1], into (N, C, Ho, Wo);
    differentiable in input and grid (any order).

    Example: ``F.grid_sample(img, F.affine_grid(theta, img.size(), align_corners=False), align_corners=False)``"""
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in _PADS:
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    return grid_sampler(input, grid, _MODES.index(mode), _PADS.index(padding_mode), align_corners)


def _base_coords(n, align, dtype, xp):
    """The normalized pixel centres along an axis of n pixels (PyTorch's linspace_from_neg_one)."""
    if n <= 1:
        return xp.zeros(n, dtype)
    c = xp.linspace(-1, 1, n, dtype=dtype)
    return c if align else c * (n - 1) / n


@_api.declare(method=False, top=True, functional=False)
def affine_grid_generator(theta, size, align_corners):
    """torch.affine_grid_generator: the sampling grid of affine matrices theta (N, 2, 3) or (N, 3, 4)."""
    from .linalg import matmul
    size = [int(s) for s in size]
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {tuple(size)}.")
    N, spatial = size[0], size[2:]
    xp = xp_of(theta._data)
    dt = theta._data.dtype
    axes = [_base_coords(s, align_corners, dt, xp) for s in reversed(spatial)]      # x, y(, z)
    mesh = xp.meshgrid(*reversed(axes), indexing="ij")[::-1]                          # each of shape spatial
    base = xp.stack(list(mesh) + [xp.ones(tuple(spatial), dt)], -1).reshape(1, -1, len(spatial) + 1)
    if theta.shape[0] != N:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{N}, {len(spatial) + 1}] but got: [{theta.shape[0]}, {theta.shape[2]}].")
    out = matmul(theta._make(xp.ascontiguousarray(xp.broadcast_to(base, (N,) + base.shape[1:]))), theta.mT)
    return out.reshape([N] + spatial + [len(spatial)])


@_api.declare(method=False, top=False, functional=True)
def affine_grid(theta, size, align_corners=None):
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of a batch of affine matrices theta (N, 2, 3) (or
    (N, 3, 4)) for an output of `size`, to pass to grid_sample; differentiable in theta.

    Example: ``grid = F.affine_grid(theta, x.size(), align_corners=False)``"""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(size)
    if len(size) == 4:
        if theta.ndim != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return affine_grid_generator(theta, size, align_corners)
