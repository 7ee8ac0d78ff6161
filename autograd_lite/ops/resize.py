"""Padding, resizing and channel dropout as in torch.nn.functional: pad, interpolate, dropout1d/2d/3d,
feature_alpha_dropout and alpha_dropout.

Every non-constant pad and every interpolation mode is a separable linear map: along each spatial dim a small sparse
(out, in) matrix, built on the host with PyTorch's index and weight rules (the helpers below). Resample
applies the maps with gathers and indexed adds of the array module (any device); its backward applies the transposed
maps, a Resample again, so gradients of every order come for free. Constant padding is a slice copy; its backward is
the crop, a constant pad with the pads negated."""
import functools
import math
import numbers
import warnings

import numpy as np

from .. import _api, random as _random
from ..autograd.op_function import Function
from ..backend import backend_of
from ..tensor import Tensor
from . import _formula as m
from ._util import BERNOULLI_COMPLEX, kernels_of, refuse_complex, via_kernel_dtype


# ---- the separable linear map --------------------------------------------------------------------------------

def _index(a):
    """A host index array as a slice when it is an increasing arithmetic progression (a view, no gather)."""
    if a.size == 1:
        return slice(int(a[0]), int(a[0]) + 1, 1)
    step = int(a[1] - a[0])
    if step > 0 and np.all(np.diff(a) == step):
        return slice(int(a[0]), int(a[-1]) + 1, step)
    return a


def _runs(rows, cols, limit=8):
    """[(row slice, col slice)] when a round's entries fall in at most `limit` runs of consecutive rows and cols
    (padding: the middle and a few edge entries; nearest 2x backward: one run of step 2), else None."""
    n = rows.size
    if n == 1:
        return [(slice(int(rows[0]), int(rows[0]) + 1, 1), slice(int(cols[0]), int(cols[0]) + 1, 1))]
    dr, dc = np.diff(rows), np.diff(cols)
    if dr[0] > 0 and dc[0] > 0 and np.all(dr == dr[0]) and np.all(dc == dc[0]):
        return [(slice(int(rows[0]), int(rows[-1]) + 1, int(dr[0])), slice(int(cols[0]), int(cols[-1]) + 1,
                                                                            int(dc[0])))]
    breaks = np.flatnonzero((dr != 1) | (dc != 1)) + 1
    if breaks.size >= limit:
        return None
    bounds = [0, *breaks.tolist(), n]
    return [(slice(int(rows[a]), int(rows[b - 1]) + 1, 1), slice(int(cols[a]), int(cols[b - 1]) + 1, 1))
            for a, b in zip(bounds, bounds[1:])]


class AxisMap:
    """y[i] = sum of w * x[j] over the entries (i, j, w) of a sparse (n_out, n_in) matrix, along one axis.

    The entries are grouped in rounds whose rows are distinct, so a round is one gather (``x[..., cols]``), a product
    by its weights, and one store or indexed add (``y[..., rows] += ...``): O(entries) work on any array module.
    vals None: all weights 1 (a pure gather: padding, nearest). `T` is the transposed map (the backward)."""

    def __init__(self, rows, cols, vals, n_out, n_in):
        self.n_out, self.n_in = n_out, n_in
        self._args = rows, cols, vals
        order = np.argsort(rows, kind="stable")
        rows, cols = rows[order], cols[order]
        vals = None if vals is None else vals[order]
        first = np.searchsorted(rows, rows)                  # the first entry of each entry's row
        rank = np.arange(rows.size) - first
        self.rounds = []
        runs = []
        for r in range(int(rank.max()) + 1 if rows.size else 0):
            sel = rank == r
            self.rounds.append((_index(rows[sel]), _index(cols[sel]), None if vals is None else vals[sel]))
            runs.append(_runs(rows[sel], cols[sel]) if vals is None else None)
        # a 0/1 map whose every round is a few slices: copies and adds of slices, no gather at all
        self.runs = runs if runs and all(r is not None for r in runs) else None
        # the first round covers every output row in order: it makes y instead of adding to zeros
        whole = slice(0, n_out, 1)
        self.full = bool(self.rounds) and isinstance(self.rounds[0][0], slice) and self.rounds[0][0] == whole
        self.identity = (n_out == n_in and vals is None and self.full and len(self.rounds) == 1
                         and isinstance(self.rounds[0][1], slice) and self.rounds[0][1] == whole)

    @functools.cached_property
    def T(self):
        rows, cols, vals = self._args
        t = AxisMap(cols, rows, vals, self.n_in, self.n_out)
        t.__dict__["T"] = self
        return t

    def dense(self, dtype):
        """The transposed matrix (n_in, n_out) in dtype, on the host."""
        rows, cols, vals = self._args
        mt = np.zeros((self.n_in, self.n_out), dtype)
        np.add.at(mt, (cols, rows), 1 if vals is None else vals.astype(dtype))
        return mt

    def apply(self, x, axis):
        """The map along `axis` of the array x (x's array module and dtype)."""
        xp = backend_of(x).xp
        lead = (slice(None),) * axis
        trail = (1,) * (x.ndim - axis - 1)
        if self.runs is not None:
            return self._apply_runs(x, lead, xp)
        y, owned = None, False
        for i, (rows, cols, vals) in enumerate(self.rounds):
            fancy = not isinstance(cols, slice)
            part = xp.take(x, xp.asarray(cols), axis) if fancy else x[lead + (cols,)]
            if vals is not None:
                w = xp.asarray(vals.astype(x.dtype, copy=False)).reshape((-1,) + trail)
                part = xp.multiply(part, w, out=part) if fancy else part * w     # a gather's copy is ours
            if i == 0 and self.full:
                y, owned = part, vals is not None or fancy
                continue
            if y is None:
                y, owned = xp.zeros(x.shape[:axis] + (self.n_out,) + x.shape[axis + 1:], x.dtype), True
            elif not owned:
                y, owned = y.copy(), True
            if isinstance(rows, slice):
                y[lead + (rows,)] += part
            else:
                y[lead + (xp.asarray(rows),)] += part
        if y is None:
            return xp.zeros(x.shape[:axis] + (self.n_out,) + x.shape[axis + 1:], x.dtype)
        return y if owned else y.copy()

    def _apply_runs(self, x, lead, xp):
        axis = len(lead)
        shape = x.shape[:axis] + (self.n_out,) + x.shape[axis + 1:]
        y = xp.empty(shape, x.dtype) if self.full else xp.zeros(shape, x.dtype)
        for i, runs in enumerate(self.runs):
            for rows, cols in runs:
                if i == 0 and self.full:
                    y[lead + (rows,)] = x[lead + (cols,)]
                else:
                    y[lead + (rows,)] += x[lead + (cols,)]
        return y


DENSE_MAX = 1 << 14      # n_out * n_in up to which a float map along the last dim runs as one BLAS product


def _run(x, maps):
    """The maps applied to the array x. Along the last dim, where a gather picks single elements (slow), a small
    float map that is not a few slices is one matrix product instead (every weight in one pass; measured faster up
    to DENSE_MAX)."""
    for axis, mp in maps:
        if axis == x.ndim - 1 and mp.runs is None and x.dtype.kind == "f" and mp.n_out * mp.n_in <= DENSE_MAX \
                and x.size:
            k = kernels_of(x)
            mt = backend_of(x).xp.asarray(mp.dense(x.dtype))
            x = k.matmul(x.reshape(-1, mp.n_in), mt).reshape(x.shape[:-1] + (mp.n_out,))
        else:
            x = mp.apply(x, axis)
    return x


class Resample(Function):
    """x with an AxisMap applied along each of some axes: ``apply(x, ((axis, map), ...), node_name)``. The
    backward is the transposed maps, again a Resample (its own backward the forward's maps)."""
    op_name = "resample"

    @staticmethod
    def forward(ctx, x, maps, node):
        ctx.maps, ctx.node = maps, node
        be = backend_of(x)
        with be.on(be.device_of(x).index):
            out = _run(x, maps)
        return out.copy() if out is x else out      # no map left (identities): a copy, never the input itself

    @staticmethod
    def backward(ctx, g):
        maps = tuple((axis, mp.T) for axis, mp in reversed(ctx.maps))
        if m.is_graph(g):
            return Resample.apply(g, maps, ctx.node), None, None
        be = backend_of(g)
        with be.on(be.device_of(g).index):
            return _run(g, maps), None, None

    def name(self):
        return self.node


def _resample(x, maps, node):
    """Resample with the maps that shrink first (less work for the others); identity maps are left out."""
    maps = [(a, mp) for a, mp in maps if not mp.identity]
    maps.sort(key=lambda am: am[1].n_out / max(am[1].n_in, 1))
    return Resample.apply(x, tuple(maps), node)


# ---- pad ------------------------------------------------------------------------------------------------------

def _constant_pad(x, pads, value):
    """The array x padded with `value` by (before, after) per dim (negative: cropped)."""
    src = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape, pads))
    if all(lo <= 0 and hi <= 0 for lo, hi in pads):
        return x[src].copy()
    out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pads))
    out = backend_of(x).xp.full(out_shape, value, dtype=x.dtype)
    dst = tuple(slice(max(lo, 0), max(lo, 0) + s.stop - s.start) for s, (lo, hi) in zip(src, pads))
    out[dst] = x[src]
    return out


class ConstantPad(Function):
    """_constant_pad as an op; the backward is the crop, a ConstantPad with the pads negated."""
    op_name = "constant_pad_nd"

    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.pads = pads
        return _constant_pad(x, pads, value)

    @staticmethod
    def backward(ctx, g):
        neg = tuple((-lo, -hi) for lo, hi in ctx.pads)
        if m.is_graph(g):
            return ConstantPad.apply(g, neg, 0), None, None
        return _constant_pad(g, neg, 0), None, None

    def name(self):
        return "ConstantPadNdBackward0"


_PAD_MODES = ("constant", "reflect", "replicate", "circular")
_NOT_SUPPORTED = ("Padding size {} is not supported for {}D input tensor.\nSupported combinations for non-constant "
                  "padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D input: padding "
                  "size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


@functools.lru_cache(maxsize=256)
def _pad_map(mode, n, lo, hi):
    """The gather of one padded dim of size n as PyTorch indexes it (reflect and replicate: its kernels' formulas,
    negative pads included; circular: the crop, then the wrap)."""
    j = np.arange(n + lo + hi)
    if mode == "circular":
        start = max(-lo, 0)
        size = n - start - max(-hi, 0)
        src = start + (j - max(lo, 0)) % max(size, 1)
    else:
        if mode == "reflect":
            src = np.where(j < lo, 2 * lo - j, np.where(j < n + lo, j, 2 * (n + lo - 1) - j))
        else:
            src = np.where(j < lo, lo, np.where(j < n + lo, j, n + lo - 1))
        src = src - max(lo, 0) + max(-lo, 0)
    mp = AxisMap(j, src.astype(np.int64), None, j.size, n)
    mp.src = src.astype(np.int64)   # the source of each output, in order: PadGather's index array
    return mp


def _pad_args(pad):
    if isinstance(pad, Tensor):
        raise TypeError("pad(): argument 'pad' (position 2) must be tuple of ints, not Tensor")
    pad = tuple(pad)
    for i, p in enumerate(pad):
        if not isinstance(p, numbers.Integral) or isinstance(p, bool):
            raise TypeError(f"pad(): argument 'pad' failed to unpack the object at pos {i + 1} with error \"type must "
                            f"be tuple of ints,but got {type(p).__name__}\"")
    return tuple(int(p) for p in pad)


def _check_nonconstant(x, mode, pad):
    """PyTorch's checks of a reflect / replicate / circular pad (the padded dims' sizes, the output's)."""
    shape, nd, k = tuple(x.shape), x.ndim, len(pad) // 2
    if not (len(pad) in (2, 4, 6) and nd in (k + 1, k + 2)):
        raise NotImplementedError(_NOT_SUPPORTED.format(len(pad), nd))
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(k)]         # last dim first
    dims = [nd - 1 - i for i in range(k)]
    if mode == "circular":
        for (lo, hi), d in reversed(list(zip(pairs, dims))):
            if lo > shape[d] or hi > shape[d]:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if shape[d] + lo + hi < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        return
    if any(s == 0 for i, s in enumerate(shape) if not (i == 0 and nd == k + 2)):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(shape)}")
    if mode == "reflect":
        for i, ((lo, hi), d) in enumerate(zip(pairs, dims)):
            if lo >= shape[d] or hi >= shape[d]:
                raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {d} of input {list(shape)}")
    out = [shape[d] + lo + hi for (lo, hi), d in zip(pairs, dims)][::-1]
    if all(o < 1 for o in out):
        ins = [shape[d] for d in dims][::-1]
        if k == 1:
            text = f"input (W: {ins[0]}) is too small. Calculated output W: {out[0]}"
        elif k == 2:
            gap = " " if mode == "replicate" else ""
            text = f"input (H: {ins[0]}, W: {ins[1]}{gap}) is too small. Calculated output H: {out[0]} W: {out[1]}"
        else:
            text = (f"input (D: {ins[0]} H: {ins[1]}, W: {ins[2]}) is too small. Calculated output D: {out[0]} "
                    f"H: {out[1]} W: {out[2]}")
        raise RuntimeError(text)
    if any(o < 0 for o in out):
        full = list(shape[:nd - k]) + out
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {full}")


_PAD_NODES = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
              "circular": "CircularPad{}DBackward0"}


_ZERO = np.zeros(1, np.int64)      # the index array of a dim that is not padded (size 1)


class PadGather(Function):
    """A non-constant pad of the last k dims (k <= 3) as one pass of the kernel table's gather3d_forward:
    ``apply(x, maps, node)``, maps ((axis, AxisMap of a pure gather), ...) in axis order. The two passes of a
    Resample (one per padded dim) cost twice the time. The backward formula is the Resample of the transposed maps
    (every order of gradient); its raw path the kernel's scatter-add, gather3d_backward."""
    op_name = "pad"

    @staticmethod
    def forward(ctx, x, maps, node):
        ctx.maps, ctx.node = maps, node
        k = len(maps)
        lead, size = x.shape[:x.ndim - k], (1,) * (3 - k) + x.shape[x.ndim - k:]
        ctx.idx = (_ZERO,) * (3 - k) + tuple(mp.src for _, mp in maps)
        ctx.shape = lead, size
        out = kernels_of(x).gather3d_forward(x.reshape(lead + size), *ctx.idx)
        return out.reshape(lead + tuple(mp.n_out for _, mp in maps))

    @staticmethod
    def backward(ctx, g):
        if m.is_graph(g):
            return Resample.apply(g, tuple((axis, mp.T) for axis, mp in ctx.maps), ctx.node), None, None
        return PadGather.backward_raw(ctx, g)

    @staticmethod
    def backward_raw(ctx, g):
        lead, size = ctx.shape
        k = len(ctx.maps)
        g3 = g.reshape(lead + (1,) * (3 - k) + g.shape[g.ndim - k:])
        dx = kernels_of(g).gather3d_backward(g3, *ctx.idx, size)
        return dx.reshape(lead + size[3 - k:]), None, None

    def name(self):
        return self.node


@_api.declare(method=False, top=False, functional=True)
def pad(input, pad, mode="constant", value=None):
    """``input`` padded as ``torch.nn.functional.pad``: `pad` lists (before, after) pairs from the last dim
    backwards; mode 'constant' (any dims, `value`, negative pads crop), 'reflect', 'replicate' or 'circular' (the
    last 1, 2 or 3 dims of a batched or unbatched input).

    Example: ``F.pad(x, (1, 1, 2, 2), mode='reflect')`` pads W by 1 and H by 2 on each side."""
    pad = _pad_args(pad)
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    nd = input.ndim
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * nd:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {nd}")
    k = len(pad) // 2
    pairs = [(0, 0)] * (nd - k) + [(pad[2 * i], pad[2 * i + 1]) for i in range(k)][::-1]
    if mode == "constant":
        size = input.shape
        for d in range(nd - k, nd):
            lo, hi = pairs[d]
            if size[d] + min(lo, 0) < 0 or size[d] + min(lo, 0) + min(hi, 0) < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        return ConstantPad.apply(input, tuple(pairs), 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check_nonconstant(input, mode, pad)
    maps = [(d, _pad_map(mode, input.shape[d], *pairs[d])) for d in range(nd - k, nd)]
    if input.dtype.is_floating_point and input.numel():
        return via_kernel_dtype(lambda x: PadGather.apply(x, tuple(maps), _PAD_NODES[mode].format(k)), input)
    return _resample(input, maps, _PAD_NODES[mode].format(k))


# ---- interpolate ----------------------------------------------------------------------------------------------

_MODES_TEXT = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}       # the modes torch names the dims of
_NODE = {"nearest": "UpsampleNearest{}DBackward0", "nearest-exact": "UpsampleNearestExact{}DBackward0",
         "linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
         "bicubic": "UpsampleBicubic2DBackward0", "trilinear": "UpsampleTrilinear3DBackward0",
         "area": "AdaptiveAvgPool{}DBackward0"}
_ORDER = dict(_LINEAR_MODES, bicubic=4)        # the input dims of each interpolating mode
_CUBIC_A = -0.75


def _scale_value(scale, n_in, n_out, ft):
    """PyTorch's compute_scales_value in the float type ft: 1 / scale_factor when given, else in / out."""
    return ft(1.0 / scale) if scale is not None and scale > 0 else ft(n_in) / ft(n_out)


def _area_scale(n_in, n_out, align_corners, scale, ft):
    if align_corners:
        return ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
    return _scale_value(scale, n_in, n_out, ft)


def _source_index(scale, i, align_corners, ft, cubic=False):
    """area_pixel_compute_source_index: the real source coordinate of output index i (an array)."""
    if align_corners:
        return (scale * i.astype(ft)).astype(ft)
    src = (np.float64(scale) * (i + 0.5) - 0.5).astype(ft)
    return src if cubic else np.maximum(src, ft(0))


def _floor_lambda(real, n_in, ft):
    """guard_index_and_lambda: the index below (at most n_in - 1) and the weight of the one above, in [0, 1]."""
    idx = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
    lam = np.clip(real - idx.astype(ft), ft(0), ft(1)).astype(ft)
    return idx, lam


@functools.lru_cache(maxsize=256)
def _interp_map(mode, n_in, n_out, scale, align_corners, antialias, dtype):
    """The AxisMap of one dim for an interpolation mode (PyTorch's CPU index and weight rules, in dtype's
    precision as its kernels compute them)."""
    ft = np.dtype(dtype).type
    i = np.arange(n_out)
    if mode in ("nearest", "nearest-exact"):
        s = np.float32(_scale_value(scale, n_in, n_out, np.float64))
        if mode == "nearest":
            if n_out == n_in:
                src = i
            elif n_out == 2 * n_in:
                src = i >> 1
            else:
                src = np.floor(i.astype(np.float32) * s)
        else:
            src = np.floor(((i + 0.5) * np.float64(s)).astype(np.float32))
        src = np.minimum(src.astype(np.int64), n_in - 1)
        return AxisMap(i, src, None, n_out, n_in)
    if mode == "area":
        start = (i * n_in) // n_out
        end = -((-(i + 1) * n_in) // n_out)
        count = end - start
        rows = np.repeat(i, count)
        cols = np.concatenate([np.arange(a, b) for a, b in zip(start, end)])
        return AxisMap(rows, cols, np.repeat((ft(1) / count.astype(ft)).astype(ft), count), n_out, n_in)
    if antialias:
        return _aa_map(n_in, n_out, _area_scale(n_in, n_out, align_corners, scale, ft), ft, mode)
    s = _area_scale(n_in, n_out, align_corners, scale, ft)
    if n_out == n_in and mode != "bicubic":          # PyTorch's linear weights copy when the sizes match
        return AxisMap(i, i, None, n_out, n_in)
    if mode == "bicubic":
        real = _source_index(s, i, align_corners, ft, cubic=True)
        idx, t = _floor_lambda(real, n_in, ft)
        a = ft(_CUBIC_A)
        c1 = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1                    # noqa: E731 |x| <= 1
        c2 = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a              # noqa: E731 1 < |x| < 2
        w = np.stack([c2(t + 1), c1(t), c1(1 - t), c2(2 - t)], 1).astype(ft)
        cols = np.clip(idx[:, None] + np.arange(-1, 3), 0, n_in - 1)
        return AxisMap(np.repeat(i, 4), cols.ravel(), w.ravel(), n_out, n_in)
    idx, lam = _floor_lambda(_source_index(s, i, align_corners, ft), n_in, ft)
    nxt = idx + (idx < n_in - 1)
    rows = np.concatenate([i, i])
    return AxisMap(rows, np.concatenate([idx, nxt]), np.concatenate([(ft(1) - lam).astype(ft), lam]), n_out, n_in)


def _aa_map(n_in, n_out, scale, ft, mode):
    """PyTorch's antialiased weights (compute_indices_weights_aa): a triangle (bilinear) or cubic filter widened
    by the scale when downsampling, normalised per output."""
    size = 2 if mode == "bilinear" else 4
    support = (size * 0.5) * scale if scale >= 1.0 else size * 0.5
    support, invscale = ft(support), ft(1.0 / scale if scale >= 1.0 else 1.0)
    max_size = int(math.ceil(support)) * 2 + 1
    rows, cols, vals = [], [], []
    for i in range(n_out):
        center = ft(scale * (i + 0.5))
        xmin = max(int(center - support + 0.5), 0)
        xsize = min(max(min(int(center + support + 0.5), n_in) - xmin, 0), max_size)
        x = ((np.arange(xsize) + xmin - center + 0.5) * invscale).astype(ft)
        if mode == "bilinear":
            w = np.maximum(ft(1) - np.abs(x), ft(0)).astype(ft)
        else:
            a, ax = ft(-0.5), np.abs(x)
            w = np.where(ax < 1, ((a + 2) * ax - (a + 3)) * ax * ax + 1,
                         np.where(ax < 2, (((ax - 5) * ax + 8) * ax - 4) * a, 0)).astype(ft)
        total = w.sum(dtype=ft)
        if total != 0:
            w = (w / total).astype(ft)
        rows += [i] * xsize
        cols += range(xmin, xmin + xsize)
        vals.append(w)
    return AxisMap(np.array(rows, np.int64), np.array(cols, np.int64),
                   np.concatenate(vals) if vals else np.zeros(0, ft), n_out, n_in)


def _output_size(input, size, scale_factor, recompute_scale_factor, mode):
    """(output sizes, scale factors passed to the index rules or None per dim), as torch's interpolate."""
    dim = input.ndim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {spatial} and output size of {size}. Please provide "
                                 "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                                 "format.")
            if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            out = [int(s) for s in size]
        else:
            out = [int(size)] * max(dim, 0)
    elif scale_factor is not None:
        out = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {spatial} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * max(dim, 0)
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out = [math.floor(float(n) * s) for n, s in zip(spatial, scales)]
        scales = None
    if out is None:
        out = [int(n * s) for n, s in zip(spatial, scales)]
    return out, scales or [None] * len(out)


def _check_sizes(input, out):
    spatial = list(input.shape[2:])
    if any(n <= 0 for n in spatial) or any(o <= 0 for o in out):
        names = "DHW"[3 - len(out):]
        ins = ", ".join(f"{c}: {n}" for c, n in zip(names, spatial))
        outs = ", ".join(f"{c}: {n}" for c, n in zip(names, out))
        joint = " and" if len(out) == 1 else ""
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({ins}){joint} "
                           f"output ({outs})")
    if input.numel() == 0 and math.prod(input.shape[1:]) == 0:
        raise RuntimeError(f"Non-empty {input.ndim}D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")


@_api.declare(method=False, top=False, functional=True)
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resizes the spatial dims of an (N, C, *spatial) input as ``torch.nn.functional.interpolate``: to `size`, or
    by `scale_factor` (then used in the source-index rule unless `recompute_scale_factor`); mode 'nearest',
    'nearest-exact', 'area' (any of 1 to 3 spatial dims), 'linear' (3-D), 'bilinear' / 'bicubic' (4-D, `antialias`
    for downsampling) or 'trilinear' (5-D), `align_corners` for the (bi/tri)linear and bicubic modes.

    Example: ``F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)``."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear "
                             "| bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    out, scales = _output_size(input, size, scale_factor, recompute_scale_factor, mode)
    nd = input.ndim
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and nd == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    need = _LINEAR_MODES.get(mode)
    if mode == "lanczos" and nd == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
        raise NotImplementedError("interpolate: mode 'lanczos' is not implemented in autograd_lite")
    if need is not None and nd != need and nd in (3, 4, 5):
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {need}D input")
    if not (nd in (3, 4, 5) and mode in ("nearest", "nearest-exact", "area") or nd == _ORDER.get(mode)):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the "
                                  f"modes: {_MODES_TEXT} (got {mode})")
    _check_sizes(input, out)
    kind = input._data.dtype
    if kind.kind not in "fV":
        what = "nearest" if mode.startswith("nearest") else "linear"
        if not (kind == np.uint8 and what == "nearest"):
            raise NotImplementedError(f'"compute_indices_weights_{what}" not implemented for '
                                      f"'{input.dtype.scalar_type}'")
    node = _NODE[mode].format(nd - 2).replace("Backward0", "AaBackward0" if antialias else "Backward0")

    def run(x):
        ft = x._data.dtype.type if x._data.dtype.kind == "f" else np.float32
        maps = [(2 + d, _interp_map(mode, x.shape[2 + d], out[d], scales[d], bool(align_corners), bool(antialias),
                                    ft)) for d in range(nd - 2)]
        return _resample(x, maps, node)
    if mode.startswith("nearest"):
        return run(input)
    return via_kernel_dtype(run, input)


@_api.declare(method=False, top=False, functional=True)
def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (as ``torch.nn.functional.upsample``)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


@_api.declare(method=False, top=False, functional=True)
def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


@_api.declare(method=False, top=False, functional=True)
def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- channel dropout ------------------------------------------------------------------------------------------

_ALPHA = 1.7580993408473766          # SELU's -scale * alpha: the value alpha dropout's dropped units take


def _keep_mask(x, shape, p):
    """A float mask (1 kept, 0 dropped) of `shape` in x's dtype on x's device, from autograd_lite.random (bits16,
    as dropout: keep where the uint16 draw >= round(p * 65536))."""
    d = x._data
    be = backend_of(d)
    with be.on(be.device_of(d).index):
        u = _random.bits16(shape, None if type(d) is np.ndarray else be.kernels)
        return (u >= round(p * 65536)).astype(d.dtype)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise_dropout(input, p, training, inplace, feature, alpha):
    """PyTorch's _dropout_impl: input * noise (+ b for alpha dropout); noise one draw per element, or per
    (sample, channel) for feature dropout."""
    if p == 0 or not training or input.numel() == 0:
        return input
    if inplace:
        return input._inplace(_noise_dropout, p, training, False, feature, alpha)
    if not input.dtype.is_floating_point and not input.is_complex():
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype.scalar_type}")
    if feature and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 1:
        return input * 0
    refuse_complex(input, BERNOULLI_COMPLEX)
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)
    keep = _keep_mask(input, shape, p)
    if not alpha:
        return input * Tensor._make(keep * keep.dtype.type(1 / (1 - p)))
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = (keep - 1) * (_ALPHA * a) + _ALPHA * a * p
    return input * Tensor._make(keep * keep.dtype.type(a)) + Tensor._make(b.astype(keep.dtype, copy=False))


def _unbatched(fn, input, batched, inplace):
    """fn on input with a batch dim added when it has none (as dropout1d / dropout3d do)."""
    if batched:
        return fn(input)
    if inplace:
        return input._inplace(lambda t: fn(t.unsqueeze(0)).squeeze(0))
    return fn(input.unsqueeze(0)).squeeze(0)


def _warn_other_dims(spatial, nd):
    """PyTorch's deprecation warning of dropout2d / dropout3d for an input of another number of dims."""
    if nd not in (spatial + 1, spatial + 2):
        op = f"dropout{spatial}d"
        warnings.warn(f"{op}: Received a {nd}-D input to {op}, which is deprecated and will result in an error in a "
                      "future release. To retain the behavior and silence this warning, please use dropout instead. "
                      f"Note that {op} exists to provide channel-wise dropout on inputs with {spatial} spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. "
                      f"{spatial + 1}D or {spatial + 2}D inputs).", stacklevel=3)


@_api.declare(method=False, top=False, functional=True)
def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of an (N, C, L) or (C, L) input with probability p while training, scaling the rest
    by 1 / (1 - p), as ``torch.nn.functional.dropout1d``. Example: ``F.dropout1d(x, 0.2, model.training)``."""
    _check_p(p)
    nd = input.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _unbatched(lambda t: _noise_dropout(t, p, training, inplace and nd == 3, True, False), input, nd == 3,
                      inplace)


@_api.declare(method=False, top=False, functional=True)
def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels (dim 1) of an (N, C, H, W) input with probability p while training, scaling the rest
    by 1 / (1 - p), as ``torch.nn.functional.dropout2d`` (its warnings for other dims: a 3-D input is (N, C, L)).

    Example: ``F.dropout2d(x, 0.2, model.training)``."""
    _check_p(p)
    nd = input.ndim
    _warn_other_dims(2, nd)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This "
                      "behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _noise_dropout(input, p, training, inplace, True, False)


@_api.declare(method=False, top=False, functional=True)
def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability p while training, as
    ``torch.nn.functional.dropout3d``. Example: ``F.dropout3d(x, 0.2, model.training)``."""
    _check_p(p)
    nd = input.ndim
    _warn_other_dims(3, nd)
    return _unbatched(lambda t: _noise_dropout(t, p, training, inplace and nd == 5, True, False), input, nd == 5,
                      inplace)


@_api.declare(method=False, top=False, functional=True)
def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (dim 1), as ``torch.nn.functional.feature_alpha_dropout``: dropped channels
    take SELU's saturation value, then all are scaled and shifted to keep zero mean and unit variance."""
    _check_p(p)
    return _noise_dropout(input, p, training, inplace, True, True)


@_api.declare(method=False, top=False, functional=True)
def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of single elements (for SELU networks), as ``torch.nn.functional.alpha_dropout``."""
    _check_p(p)
    return _noise_dropout(input, p, training, inplace, False, True)
