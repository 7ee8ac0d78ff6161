"""CPU kernels: grid sampling (torch's grid_sample, 2-D), forward and backward, as a weighted gather.

grid_sample2d_pairs turns the grid into taps: per output point, PyTorch's coordinate rules (unnormalize, border
clip, reflection, in the grid's dtype) give each axis 1 (nearest), 2 (bilinear) or 4 (bicubic) taps and their
weights; the pairs of an x tap and a y tap become flat offsets into the (H, W) plane (-1 outside: zeros padding)
and the products of the two weights (and, for the backward, of a weight and the other axis' derivative). Then

    out[n, c, p] = sum_k w[n, p, k] * x[n, c, off[n, p, k]]     (0 for an outside tap, its weight still multiplied:
                                                                 a NaN weight gives NaN, as PyTorch)

and the backward scatters g onto dx with the same weights and sums g * x * dweights over the channels for the
grid. Loops run per sample (numba prange over N: no two threads write one dx plane), each (n, c) plane walked
point by point so that it stays in cache; nearest's and bilinear's taps written out, not looped (a loop of 1 or 4
inside the points' loop cost nearest 2x). The taps of bilinear and nearest come from _coord, the coordinate alone
(_axis's tuples of 4 taps cost 3x). Tried and dropped: one output row at a time, its taps in an L1 buffer, every
channel inner (PyTorch's order): the channels' planes then take turns in L1, and it ran no faster; the row's taps
tap-major, outside ones masked by a select so that the loops could vectorize with gathers: numba's LLVM vectorized
none of them. ops/grid_sampling.py holds the NumPy coordinate formula the taps are
tested against; grid_sample2d_forward_np / _backward_np below are the plain-NumPy sums.
"""
import numpy as np

from ._jit import PAR_MIN, check, jit, prange, twins

__all__ = ["grid_sample2d_pairs", "grid_sample2d_forward", "grid_sample2d_backward"]

_PAR_MIN = PAR_MIN // 4         # outputs; each reads KY * KX taps


@twins(_PAR_MIN, loop=lambda x, off, w, out: x.shape[0])
def _fwd(x, off, w, out):
    """x (N, C, HW) planes, off/w (N, P, K) flat taps and weights -> out (N, C, P)."""
    C, P, K = x.shape[1], off.shape[1], off.shape[2]
    for n in prange(x.shape[0]):
        on, wn = off[n], w[n]
        for c in range(C):
            xc, oc = x[n, c], out[n, c]
            if K == 1:              # nearest and bilinear written out: a loop over 1 or 4 taps inside the
                for p in range(P):  # points' loop costs its setup per point (nearest ran 2x slower)
                    o = on[p, 0]
                    oc[p] = 0.0 + wn[p, 0] * (xc[o] if o >= 0 else 0.0)
            elif K == 4:
                for p in range(P):
                    o0, o1, o2, o3 = on[p, 0], on[p, 1], on[p, 2], on[p, 3]
                    acc = 0.0
                    acc += wn[p, 0] * (xc[o0] if o0 >= 0 else 0.0)
                    acc += wn[p, 1] * (xc[o1] if o1 >= 0 else 0.0)
                    acc += wn[p, 2] * (xc[o2] if o2 >= 0 else 0.0)
                    acc += wn[p, 3] * (xc[o3] if o3 >= 0 else 0.0)
                    oc[p] = acc
            else:
                for p in range(P):
                    acc = 0.0
                    for k in range(K):
                        o = on[p, k]
                        acc += wn[p, k] * (xc[o] if o >= 0 else 0.0)
                    oc[p] = acc


@twins(_PAR_MIN, loop=lambda g, x, off, w, dy, dx_, want_x, want_grid, dx, gy, gx: g.shape[0])
def _bwd(g, x, off, w, dy, dx_, want_x, want_grid, dx, gy, gx):
    """dx (N, C, HW) zeroed: g scattered with the weights; gy/gx (N, P) zeroed: g times the taps' values with the
    weights' derivatives dy/dx_ (N, P, K), summed over the channels."""
    C, P, K = x.shape[1], off.shape[1], off.shape[2]
    for n in prange(g.shape[0]):
        on, wn, dyn, dxn, gyn, gxn = off[n], w[n], dy[n], dx_[n], gy[n], gx[n]
        for c in range(C):
            xc, gc, dc = x[n, c], g[n, c], dx[n, c]
            for p in range(P):
                gv = gc[p]
                if want_grid and K == 4:        # bilinear written out (see _fwd)
                    o0, o1, o2, o3 = on[p, 0], on[p, 1], on[p, 2], on[p, 3]
                    v0 = xc[o0] if o0 >= 0 else 0.0
                    v1 = xc[o1] if o1 >= 0 else 0.0
                    v2 = xc[o2] if o2 >= 0 else 0.0
                    v3 = xc[o3] if o3 >= 0 else 0.0
                    sy = 0.0
                    sy += dyn[p, 0] * v0
                    sy += dyn[p, 1] * v1
                    sy += dyn[p, 2] * v2
                    sy += dyn[p, 3] * v3
                    sx = 0.0
                    sx += dxn[p, 0] * v0
                    sx += dxn[p, 1] * v1
                    sx += dxn[p, 2] * v2
                    sx += dxn[p, 3] * v3
                    if want_x:
                        if o0 >= 0:
                            dc[o0] += gv * wn[p, 0]
                        if o1 >= 0:
                            dc[o1] += gv * wn[p, 1]
                        if o2 >= 0:
                            dc[o2] += gv * wn[p, 2]
                        if o3 >= 0:
                            dc[o3] += gv * wn[p, 3]
                    gyn[p] += gv * sy
                    gxn[p] += gv * sx
                elif want_grid:
                    sy = 0.0
                    sx = 0.0
                    for k in range(K):
                        o = on[p, k]
                        v = xc[o] if o >= 0 else 0.0
                        sy += dyn[p, k] * v
                        sx += dxn[p, k] * v
                        if want_x and o >= 0:
                            dc[o] += gv * wn[p, k]
                    gyn[p] += gv * sy
                    gxn[p] += gv * sx
                elif want_x and K == 1:
                    o = on[p, 0]
                    if o >= 0:
                        dc[o] += gv * wn[p, 0]
                elif want_x:
                    for k in range(K):
                        o = on[p, k]
                        if o >= 0:
                            dc[o] += gv * wn[p, k]


# ---- the grid's taps and weights (PyTorch's coordinate rules, as ops/grid_sampling.py's NumPy formula) ----------

_A = -0.75


@jit
def _clip(c, size):
    """(value, slope) of clip_coordinates: clamped to [0, size - 1], NaN to 0, slope 1 strictly inside."""
    if c != c:
        return 0.0, 0.0
    if c <= 0:
        return 0.0, 0.0
    if c >= size - 1:
        return size - 1.0, 0.0
    return c, 1.0


@jit
def _r(x, f32):
    """x rounded to float32 for a float32 grid: float64 arithmetic rounded after each step is float32's (PyTorch
    computes the coordinates in the grid's dtype; for far points the reflection depends on it)."""
    return np.float64(np.float32(x)) if f32 else x


@jit
def _reflect(c, twice_low, twice_high, f32):
    """(value, slope) of PyTorch's CPU reflect_coordinates: folded by twice the span, then mirrored."""
    if twice_low == twice_high:
        return 0.0, 0.0
    low, tw = twice_low / 2, twice_high - twice_low
    t = _r(c - low, f32)
    a = abs(t)
    extra = _r(a - _r(np.trunc(_r(a / tw, f32)) * tw, f32), f32)
    other = _r(tw - extra, f32)
    sign = -1.0 if t < 0 else 1.0
    if other < extra:
        return _r(other + low, f32), -sign
    return _r(extra + low, f32), sign


@jit
def _pad(c, size, pad, align, f32):
    """(value, slope) of compute_coordinates (pad 0 zeros, 1 border, 2 reflection)."""
    if pad == 0:
        return c, 1.0
    s = 1.0
    if pad == 2:
        if align:
            c, s = _reflect(c, 0, 2 * (size - 1), f32)
        else:
            c, s = _reflect(c, -1, 2 * size - 1, f32)
    c, s2 = _clip(c, size)
    return c, s * s2


@jit
def _tap(c, size):
    return np.int64(c) if c >= 0 and c <= size - 1 else np.int64(-1)


@jit
def _cc1(x):
    return ((_A + 2) * x - (_A + 3)) * x * x + 1


@jit
def _cc2(x):
    return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A


@jit
def _axis(g, size, mode, pad, align, f32):
    """One coordinate g of a point -> (taps, weights, the weights' derivatives by g), 4-tuples of which the mode's
    first 1 (nearest, mode 1), 2 (bilinear, 0) or 4 (bicubic, 2) count. Tuples, not arrays: no reference counts
    in the point loop."""
    if align:
        c, scale = _r(_r(_r(g + 1, f32) / 2, f32) * (size - 1), f32), (size - 1) / 2
    else:
        c, scale = _r(_r(_r(_r(g + 1, f32) * size, f32) - 1, f32) / 2, f32), size / 2
    if mode == 2:
        base = np.floor(c)
        t = c - base
        taps = (_tap(_pad(_r(base - 1, f32), size, pad, align, f32)[0], size),
                _tap(_pad(base, size, pad, align, f32)[0], size),
                _tap(_pad(_r(base + 1, f32), size, pad, align, f32)[0], size),
                _tap(_pad(_r(base + 2, f32), size, pad, align, f32)[0], size))
        d1a, d1b = (3 * (_A + 2) * t - 2 * (_A + 3)) * t, (3 * (_A + 2) * (1 - t) - 2 * (_A + 3)) * (1 - t)
        d2a, d2b = (3 * _A * (t + 1) - 10 * _A) * (t + 1) + 8 * _A, (3 * _A * (2 - t) - 10 * _A) * (2 - t) + 8 * _A
        return (taps, (_cc2(t + 1), _cc1(t), _cc1(1 - t), _cc2(2 - t)),
                (d2a * scale, d1a * scale, -d1b * scale, -d2b * scale))
    c, s = _pad(c, size, pad, align, f32)
    if mode == 1:
        return (_tap(np.rint(c), size), np.int64(-1), np.int64(-1), np.int64(-1)), (1.0, 0.0, 0.0, 0.0), \
            (0.0, 0.0, 0.0, 0.0)
    base = np.floor(c)
    t = c - base
    return (_tap(base, size), _tap(base + 1, size), np.int64(-1), np.int64(-1)), (1 - t, t, 0.0, 0.0), \
        (-s * scale, s * scale, 0.0, 0.0)


@jit
def _coord(g, size, pad, align, f32):
    """(the padded pixel coordinate, its derivative by g) of one grid value: _axis's first steps, for bilinear and
    nearest (3x faster than _axis's tuples of taps)."""
    if align:
        c, scale = _r(_r(_r(g + 1, f32) / 2, f32) * (size - 1), f32), (size - 1) / 2
    else:
        c, scale = _r(_r(_r(_r(g + 1, f32) * size, f32) - 1, f32) / 2, f32), size / 2
    c, s = _pad(c, size, pad, align, f32)
    return c, s * scale


@jit
def _pair_loop(grid, H, W, mode, pad, align, f32, grads, off, w, dy, dx):
    """The taps of the points grid (P, 2) into off, w (P, K) (and the weights' derivatives into dy, dx: grads)."""
    if mode == 1:                       # nearest: one tap, weight 1, no derivative
        for i in range(grid.shape[0]):
            cy = _coord(np.float64(grid[i, 1]), H, pad, align, f32)[0]
            cx = _coord(np.float64(grid[i, 0]), W, pad, align, f32)[0]
            h, c = _tap(np.rint(cy), H), _tap(np.rint(cx), W)
            off[i, 0] = h * W + c if h >= 0 and c >= 0 else -1
            w[i, 0] = 1.0
            if grads:
                dy[i, 0] = 0.0
                dx[i, 0] = 0.0
        return
    K = 2 if mode == 0 else 4
    for i in range(grid.shape[0]):
        if K == 2:                      # bilinear, unrolled
            cy, sy = _coord(np.float64(grid[i, 1]), H, pad, align, f32)
            cx, sx = _coord(np.float64(grid[i, 0]), W, pad, align, f32)
            by, bx = np.floor(cy), np.floor(cx)
            ty, tx = cy - by, cx - bx
            wy, wx, dwy, dwx = (1 - ty, ty), (1 - tx, tx), (-sy, sy), (-sx, sx)
            h0, h1, c0, c1 = _tap(by, H), _tap(by + 1, H), _tap(bx, W), _tap(bx + 1, W)
            off[i, 0] = h0 * W + c0 if h0 >= 0 and c0 >= 0 else -1
            off[i, 1] = h0 * W + c1 if h0 >= 0 and c1 >= 0 else -1
            off[i, 2] = h1 * W + c0 if h1 >= 0 and c0 >= 0 else -1
            off[i, 3] = h1 * W + c1 if h1 >= 0 and c1 >= 0 else -1
            w[i, 0], w[i, 1], w[i, 2], w[i, 3] = wy[0] * wx[0], wy[0] * wx[1], wy[1] * wx[0], wy[1] * wx[1]
            if grads:
                dy[i, 0], dy[i, 1], dy[i, 2], dy[i, 3] = dwy[0] * wx[0], dwy[0] * wx[1], dwy[1] * wx[0], dwy[1] * wx[1]
                dx[i, 0], dx[i, 1], dx[i, 2], dx[i, 3] = wy[0] * dwx[0], wy[0] * dwx[1], wy[1] * dwx[0], wy[1] * dwx[1]
            continue
        ty, wy, dwy = _axis(np.float64(grid[i, 1]), H, mode, pad, align, f32)
        tx, wx, dwx = _axis(np.float64(grid[i, 0]), W, mode, pad, align, f32)
        k = 0
        for a in range(K):
            h = ty[a]
            for b in range(K):
                c = tx[b]
                off[i, k] = h * W + c if h >= 0 and c >= 0 else -1
                w[i, k] = wy[a] * wx[b]
                if grads:
                    dy[i, k] = dwy[a] * wx[b]
                    dx[i, k] = wy[a] * dwx[b]
                k += 1


_MODES, _PADS = ("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection")


def grid_sample2d_pairs(grid, H, W, mode, padding_mode, align_corners, grads=False):
    """The taps of grid sampling an (H, W) plane at the points of grid (N, Ho, Wo, 2) (PyTorch's grid_sample rules):
    (off, w), flat offsets into the plane (N, P, K), -1 outside, and their weights, the products of the two axes'
    (K = 1 nearest, 4 bilinear, 16 bicubic); grads: also (dy, dx), the weights' derivatives by the grid's y and x."""
    (grid,) = check("grid_sample2d_pairs", grid)
    if grid.ndim != 4 or grid.shape[-1] != 2:
        raise ValueError(f"grid_sample2d_pairs: expected a grid (N, Ho, Wo, 2), got shape {grid.shape}")
    m = _MODES.index(mode)
    k = (4, 1, 16)[m]
    n = grid.shape[0]
    shape = (n * grid.shape[1] * grid.shape[2], k)
    off, w = np.empty(shape, np.int64), np.empty(shape, grid.dtype)
    dy, dx = (np.empty(shape, grid.dtype), np.empty(shape, grid.dtype)) if grads else (w, w)
    _pair_loop(np.ascontiguousarray(grid).reshape(-1, 2), int(H), int(W), m, _PADS.index(padding_mode),
               bool(align_corners), grid.dtype == np.float32, bool(grads), off, w, dy, dx)
    out = tuple(a.reshape(n, -1, k) for a in (off, w, dy, dx))
    return out if grads else out[:2]


def _planes(op, x, off, *ws):
    if x.ndim != 4 or off.ndim != 3 or off.shape[0] != x.shape[0] or any(w.shape != off.shape for w in ws):
        raise ValueError(f"{op}: expected x (N, C, H, W) and pairs (N, P, K), got {x.shape}, {off.shape}")
    N, C, H, W = x.shape
    if off.size and off.max() >= H * W:
        raise IndexError(f"{op}: a tap lies outside the {H}x{W} planes")
    return np.ascontiguousarray(x).reshape(N, C, H * W), off.astype(np.int64, copy=False)


def grid_sample2d_forward(x, off, w):
    """(N, C, P) samples of x (N, C, H, W) at the pairs (off, w) of grid_sample2d_pairs."""
    x4, w = check("grid_sample2d_forward", x, w)
    x, off = _planes("grid_sample2d_forward", x4, off, w)
    out = np.empty(x.shape[:2] + (off.shape[1],), x.dtype)
    _fwd(x, off, np.ascontiguousarray(w), out)
    return out


def grid_sample2d_backward(g, x, off, w, dy, dx, want_x=True, want_grid=True):
    """(dx (N, C, H, W) or None, dgy (N, P) or None, dgx (N, P) or None) of grid_sample2d_forward for g (N, C, P):
    dgy/dgx the derivatives along the grid's coordinates (through the pairs' derivatives dy/dx)."""
    g, x4, w, dy, dx = check("grid_sample2d_backward", g, x, w, dy, dx)
    x, off = _planes("grid_sample2d_backward", x4, off, w, dy, dx)
    if g.shape != x.shape[:2] + (off.shape[1],):
        raise ValueError(f"grid_sample2d_backward: g of shape {g.shape} for x {x4.shape} and {off.shape[1]} points")
    N, C = x.shape[:2]
    dxs = np.zeros(x.shape if want_x else (N, C, 1), x.dtype)          # (stand-ins when not wanted)
    gy = np.zeros(off.shape[:2] if want_grid else (N, 1), x.dtype)
    gx = np.zeros_like(gy)
    c = np.ascontiguousarray
    _bwd.pick(g.size)(c(g), x, off, c(w), c(dy), c(dx), bool(want_x), bool(want_grid), dxs, gy, gx)
    return dxs.reshape(x4.shape) if want_x else None, gy if want_grid else None, gx if want_grid else None


# ---- the plain-NumPy formulas (tests) --------------------------------------------------------------------------

def _gathered(x, off):
    """x at every tap: (N, C, P, K), 0 outside."""
    N, C, H, W = x.shape
    inside = off >= 0
    flat = np.where(inside, off, 0).reshape(N, 1, -1)
    v = np.take_along_axis(x.reshape(N, C, H * W), flat, 2).reshape((N, C) + off.shape[1:])
    return np.where(inside[:, None], v, 0), inside


def grid_sample2d_forward_np(x, off, w):
    return np.einsum("ncpk,npk->ncp", _gathered(x, off)[0], w)


def grid_sample2d_backward_np(g, x, off, w, dy, dx):
    N, C, H, W = x.shape
    v, inside = _gathered(x, off)
    contrib = np.where(inside[:, None], g[:, :, :, None] * w[:, None], 0)         # outside taps add nothing
    flat = np.where(inside, off, 0)
    dxs = np.zeros((N, C, H * W), x.dtype)
    for n in range(N):
        for c in range(C):
            np.add.at(dxs[n, c], flat[n].ravel(), contrib[n, c].ravel())
    return dxs.reshape(x.shape), np.einsum("ncp,ncpk,npk->np", g, v, dy), np.einsum("ncp,ncpk,npk->np", g, v, dx)
