"""The 3x3 convolution with stride 1 by Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray, 2015): a 6x6
input tile d and a filter g give the tile's 4x4 outputs as Y = A^T [(G g G^T) . (B^T d B)] A, 36 multiplications
instead of 144. Summed over the input channels the 36 element-wise products become 36 matrix products
V[e] (tiles*N, C) @ U[e] (C, O) on BLAS: 4x fewer multiply-adds than im2col's product.

The batch and the channels are the transforms' vector: a chunk of tile rows of the padded input is first laid out
(rows, columns, N*C) (_gather), so every transform step is a unit-stride loop over N*C (or N*O), long even for
small images; the products' tiles are transformed back into (rows, Wo, N*O) and transposed into NCHW with the
bias and the ReLU (_scatter). Chunks of tile rows keep the transformed tiles in cache between the transform and
the products. In float32 the outputs' errors are ~1e-5 of their scale (the transforms' coefficients reach 8),
against ~1e-6 for a direct sum; a NaN or inf input spreads to the outputs of its tiles that the transforms mix
it into, not only to its 3x3 neighbours.
"""
import threading

import numpy as np

from ._jit import PAR_MIN, check, jit, prange, twins
from ._threads import blas_for
from .conv import _u

__all__ = ["winograd_conv", "winograd_weight_grad"]

CHUNK = 1 << 20     # elements of the transformed tiles V per chunk of tile rows (4 MB in float32: in L2 with U)
_BLOCK = 256         # of the N*C vector, transformed at a time: a tile's alpha^2 intermediates stay in L1


@twins(PAR_MIN, loop=lambda x, ph, pw, r0, out: out.shape[0])
def _gather(x, ph, pw, r0, out):
    """out[r, j, n*C + c] = x[n, c, r0 + r - ph, j - pw], zero outside x: the rows' transpose, x as (N*C, H*W)."""
    n_img, c_in, h, w = x.shape
    zero = out.dtype.type(0)
    n_c, width = out.shape[2], out.shape[1]
    xf, of = x.reshape(-1), out.reshape(-1)
    for r in prange(out.shape[0]):
        iy = r0 + r - ph
        rb = r * width * n_c
        if iy < 0 or iy >= h:
            of[_u(rb):_u(rb + width * n_c)] = zero
            continue
        of[_u(rb):_u(rb + pw * n_c)] = zero
        of[_u(rb + (pw + w) * n_c):_u(rb + width * n_c)] = zero
        for e0 in range(0, n_c, 16):        # 16 planes at a time: each write fills a cache line
            e1 = min(n_c, e0 + 16)
            for ix in range(w):
                ob, xb = rb + (ix + pw) * n_c, iy * w + ix
                for e in range(e0, e1):
                    of[_u(ob + e)] = xf[_u(e * h * w + xb)]


@jit
def _bt(src, s0, ss, dst, d0, ds, n):
    """B^T d of F(4x4, 3x3) for n columns at once: d_j = src[s0 + j*ss : ... + n], (B^T d)_k into dst[d0 + k*ds
    : ... + n]. One loop per output: few enough streams that each loop vectorizes (LLVM checks a loop's streams
    for overlap at run time, up to 8 pairs)."""
    for e in range(n):
        dst[_u(d0 + e)] = 4 * src[_u(s0 + e)] - 5 * src[_u(s0 + 2 * ss + e)] + src[_u(s0 + 4 * ss + e)]
    for e in range(n):
        dst[_u(d0 + ds + e)] = (src[_u(s0 + 3 * ss + e)] + src[_u(s0 + 4 * ss + e)]
                                - 4 * (src[_u(s0 + ss + e)] + src[_u(s0 + 2 * ss + e)]))
    for e in range(n):
        dst[_u(d0 + 2 * ds + e)] = (4 * (src[_u(s0 + ss + e)] - src[_u(s0 + 2 * ss + e)])
                                    - src[_u(s0 + 3 * ss + e)] + src[_u(s0 + 4 * ss + e)])
    for e in range(n):
        dst[_u(d0 + 3 * ds + e)] = (2 * (src[_u(s0 + 3 * ss + e)] - src[_u(s0 + ss + e)])
                                    - src[_u(s0 + 2 * ss + e)] + src[_u(s0 + 4 * ss + e)])
    for e in range(n):
        dst[_u(d0 + 4 * ds + e)] = (2 * (src[_u(s0 + ss + e)] - src[_u(s0 + 3 * ss + e)])
                                    - src[_u(s0 + 2 * ss + e)] + src[_u(s0 + 4 * ss + e)])
    for e in range(n):
        dst[_u(d0 + 5 * ds + e)] = 4 * src[_u(s0 + ss + e)] - 5 * src[_u(s0 + 3 * ss + e)] + src[_u(s0 + 5 * ss + e)]


@jit
def _at(src, s0, ss, dst, d0, ds, n):
    """A^T m of F(4x4, 3x3) for n columns at once, as _bt: m_j = src[s0 + j*ss ...], (A^T m)_k into dst[d0 + k*ds
    ...]."""
    for e in range(n):
        dst[_u(d0 + e)] = (src[_u(s0 + e)] + src[_u(s0 + ss + e)] + src[_u(s0 + 2 * ss + e)]
                           + src[_u(s0 + 3 * ss + e)] + src[_u(s0 + 4 * ss + e)])
    for e in range(n):
        dst[_u(d0 + ds + e)] = (src[_u(s0 + ss + e)] - src[_u(s0 + 2 * ss + e)]
                                + 2 * (src[_u(s0 + 3 * ss + e)] - src[_u(s0 + 4 * ss + e)]))
    for e in range(n):
        dst[_u(d0 + 2 * ds + e)] = (src[_u(s0 + ss + e)] + src[_u(s0 + 2 * ss + e)]
                                    + 4 * (src[_u(s0 + 3 * ss + e)] + src[_u(s0 + 4 * ss + e)]))
    for e in range(n):
        dst[_u(d0 + 3 * ds + e)] = (src[_u(s0 + ss + e)] - src[_u(s0 + 2 * ss + e)]
                                    + 8 * (src[_u(s0 + 3 * ss + e)] - src[_u(s0 + 4 * ss + e)])
                                    + src[_u(s0 + 5 * ss + e)])


@jit
def _a(src, s0, ss, dst, d0, ds, n):
    """A g of F(4x4, 3x3) (A = (A^T)^T, 6x4) for n columns at once, as _bt: g_j = src[s0 + j*ss ...] (j < 4),
    (A g)_k into dst[d0 + k*ds ...] (k < 6): the weight gradient's transform of an output-gradient tile."""
    for e in range(n):
        dst[_u(d0 + e)] = src[_u(s0 + e)]
    for e in range(n):
        dst[_u(d0 + ds + e)] = (src[_u(s0 + e)] + src[_u(s0 + ss + e)] + src[_u(s0 + 2 * ss + e)]
                                + src[_u(s0 + 3 * ss + e)])
    for e in range(n):
        dst[_u(d0 + 2 * ds + e)] = (src[_u(s0 + e)] - src[_u(s0 + ss + e)] + src[_u(s0 + 2 * ss + e)]
                                    - src[_u(s0 + 3 * ss + e)])
    for e in range(n):
        dst[_u(d0 + 3 * ds + e)] = (src[_u(s0 + e)] + 2 * src[_u(s0 + ss + e)] + 4 * src[_u(s0 + 2 * ss + e)]
                                    + 8 * src[_u(s0 + 3 * ss + e)])
    for e in range(n):
        dst[_u(d0 + 4 * ds + e)] = (src[_u(s0 + e)] - 2 * src[_u(s0 + ss + e)] + 4 * src[_u(s0 + 2 * ss + e)]
                                    - 8 * src[_u(s0 + 3 * ss + e)])
    for e in range(n):
        dst[_u(d0 + 5 * ds + e)] = src[_u(s0 + 3 * ss + e)]


@twins(PAR_MIN, loop=lambda src, tw, k, out: out.shape[1])
def _tiles(src, tw, k, out):
    """out[a*6 + b, t] = (T d T^T)[a, b] of tile t = ty*tw + tx, d = src[4*ty : 4*ty + k, 4*tx : 4*tx + k]: T = B^T
    for k = 6 (the input's overlapping 6x6 tiles), T = A for k = 4 (the output gradient's 4x4 ones)."""
    n_c, width = src.shape[2], src.shape[1]
    sf, of = src.reshape(-1), out.reshape(-1)
    os_ = out.shape[1] * n_c                           # out's stride between two of the 36
    for t in prange(out.shape[1]):
        ty, tx = t // tw, t % tw
        rows = np.empty(k * 6 * _BLOCK, out.dtype)     # rows[(i*6 + b)*_BLOCK + e]: d T^T, row i of the tile
        for e0 in range(0, n_c, _BLOCK):
            n_e = min(n_c, e0 + _BLOCK) - e0
            for i in range(k):
                s0 = ((4 * ty + i) * width + 4 * tx) * n_c + e0
                if k == 6:
                    _bt(sf, s0, n_c, rows, i * 6 * _BLOCK, _BLOCK, n_e)
                else:
                    _a(sf, s0, n_c, rows, i * 6 * _BLOCK, _BLOCK, n_e)
            for b in range(6):
                if k == 6:
                    _bt(rows, b * _BLOCK, 6 * _BLOCK, of, b * os_ + t * n_c + e0, 6 * os_, n_e)
                else:
                    _a(rows, b * _BLOCK, 6 * _BLOCK, of, b * os_ + t * n_c + e0, 6 * os_, n_e)


@twins(PAR_MIN, loop=lambda mm, tw, yt: mm.shape[1])
def _output(mm, tw, yt):
    """yt[4*ty + r, 4*tx + s] = (A^T M A)[r, s] of tile t = ty*tw + tx, M = mm[:, t] (6x6 of N*O each), within yt
    (rows, Wo, N*O)."""
    rows, wo, n_o = yt.shape
    mf, yf = mm.reshape(-1), yt.reshape(-1)
    ms = mm.shape[1] * n_o                             # mm's stride between two of the 36
    for t in prange(mm.shape[1]):
        ty, tx = t // tw, t % tw
        cols = np.empty(24 * _BLOCK, yt.dtype)         # cols[(a*4 + s)*_BLOCK + e]: M A, row a of the tile
        res = np.empty(4 * _BLOCK, yt.dtype)
        n_r, n_s = min(4, rows - 4 * ty), min(4, wo - 4 * tx)
        for e0 in range(0, n_o, _BLOCK):
            n_e = min(n_o, e0 + _BLOCK) - e0
            for a in range(6):
                _at(mf, 6 * a * ms + t * n_o + e0, ms, cols, 4 * a * _BLOCK, _BLOCK, n_e)
            for s in range(n_s):
                _at(cols, s * _BLOCK, 4 * _BLOCK, res, 0, _BLOCK, n_e)
                for r in range(n_r):
                    yb = ((4 * ty + r) * wo + 4 * tx + s) * n_o + e0
                    for e in range(n_e):
                        yf[_u(yb + e)] = res[_u(r * _BLOCK + e)]


@twins(PAR_MIN, loop=lambda yt, bias, relu, r0, y: yt.shape[0])
def _scatter(yt, bias, relu, r0, y):
    """y[n, o, r0 + r, j] = yt[r, j, n*O + o] + bias[n*O + o], max(., 0) when relu: the rows' transpose, y as
    (N*O, Ho*Wo)."""
    rows, wo, n_o = yt.shape
    hw = y.shape[2] * y.shape[3]
    zero = y.dtype.type(0)
    tf, yf = yt.reshape(-1), y.reshape(-1)
    for r in prange(rows):
        for e0 in range(0, n_o, 16):        # 16 planes at a time: each read is a cache line
            e1 = min(n_o, e0 + 16)
            for j in range(wo):
                tb, yb = (r * wo + j) * n_o, (r0 + r) * wo + j
                for e in range(e0, e1):
                    val = tf[_u(tb + e)] + bias[e]
                    yf[_u(e * hw + yb)] = zero if relu and val < zero else val      # NaN stays NaN


@jit
def _filter(w, u):
    """u[a*6 + b, c, o] = (G g G^T)[a, b] of each filter g = w[o, c] (3x3), G of F(4x4, 3x3): rows (1/4, 0, 0),
    (-1, -1, -1)/6, (-1, 1, -1)/6, (1/24, 1/12, 1/6), (1/24, -1/12, 1/6), (0, 0, 1)."""
    o_ch, c_in = w.shape[:2]
    gw = np.empty((6, 3))
    for o in range(o_ch):
        for c in range(c_in):
            for j in range(3):          # G g, column j, in float64
                g0, g1, g2 = np.float64(w[o, c, 0, j]), np.float64(w[o, c, 1, j]), np.float64(w[o, c, 2, j])
                gw[0, j], gw[1, j], gw[2, j] = g0 / 4, -(g0 + g1 + g2) / 6, -(g0 - g1 + g2) / 6
                gw[3, j], gw[4, j], gw[5, j] = g0 / 24 + g1 / 12 + g2 / 6, g0 / 24 - g1 / 12 + g2 / 6, g2
            for a in range(6):          # (G g) G^T
                g0, g1, g2 = gw[a, 0], gw[a, 1], gw[a, 2]
                u[a * 6, c, o], u[a * 6 + 1, c, o] = g0 / 4, -(g0 + g1 + g2) / 6
                u[a * 6 + 2, c, o], u[a * 6 + 3, c, o] = -(g0 - g1 + g2) / 6, g0 / 24 + g1 / 12 + g2 / 6
                u[a * 6 + 4, c, o], u[a * 6 + 5, c, o] = g0 / 24 - g1 / 12 + g2 / 6, g2


_held = threading.local()


def _workspace(sizes, dtype):
    """Arrays of these sizes from one buffer per thread kept between calls (fresh ones cost their page faults on
    every call); their contents never outlive a call."""
    itemsize = np.dtype(dtype).itemsize
    n_bytes = sum(sizes) * itemsize
    buf = getattr(_held, "buf", None)
    if buf is None or buf.size < n_bytes:
        buf = _held.buf = np.empty((n_bytes,), np.uint8)
    flat = buf[:n_bytes].view(dtype)
    starts = np.cumsum((0,) + tuple(sizes))
    return [flat[i:j] for i, j in zip(starts[:-1], starts[1:])]


def winograd_conv(x, weight, bias, padding, relu=False, out=None):
    """y (N, O, Ho, Wo) = x (N, C, H, W) convolved with weight (O, C, 3, 3), stride 1, padding (ph, pw), plus bias
    (O,) or None, then max(y, 0) when relu: Winograd's F(4x4, 3x3).

    >>> x, w = np.ones((1, 2, 5, 5), np.float32), np.ones((3, 2, 3, 3), np.float32)
    >>> winograd_conv(x, w, None, (1, 1))[0, 0, :2, :2].tolist()
    [[8.0, 12.0], [12.0, 18.0]]
    """
    x, weight = check("winograd_conv", x, weight)
    if x.ndim != 4 or weight.ndim != 4 or weight.shape[2:] != (3, 3) or weight.shape[1] != x.shape[1]:
        raise ValueError(f"winograd_conv: expected x (N, C, H, W) and weight (O, C, 3, 3), got {list(x.shape)} "
                         f"and {list(weight.shape)}")
    (n, c, h, w), o = x.shape, weight.shape[0]
    ph, pw = (int(e) for e in padding)
    ho, wo = h + 2 * ph - 2, w + 2 * pw - 2
    if ho < 1 or wo < 1 or ph < 0 or pw < 0:
        raise ValueError(f"winograd_conv: padding {[ph, pw]} of an input of size {[h, w]} leaves no output")
    shape = (n, o, ho, wo)
    if out is None:
        out = np.empty(shape, x.dtype)
    elif type(out) is not np.ndarray or out.shape != shape or out.dtype != x.dtype or not out.flags.c_contiguous:
        raise ValueError(f"winograd_conv: out must be a C-contiguous {x.dtype} array of shape {list(shape)}")
    u = np.empty((36,) + weight.shape[1::-1], x.dtype)
    _filter(np.ascontiguousarray(weight), u)
    b = np.zeros(n * o, x.dtype) if bias is None else np.tile(np.asarray(bias, x.dtype), n)   # per (n, o)
    x = np.ascontiguousarray(x)
    th, tw = -(-ho // 4), -(-wo // 4)
    step = max(1, min(th, CHUNK // (36 * tw * n * c)))        # tile rows per chunk
    n_x, n_v, n_m = (step * 4 + 2) * (tw * 4 + 2) * n * c, 36 * step * tw * n * c, 36 * step * tw * n * o
    xt, v, mm, yt = _workspace((n_x, n_v, n_m, step * 4 * wo * n * o), x.dtype)
    for ty0 in range(0, th, step):
        k = min(th, ty0 + step) - ty0                           # tile rows in this chunk
        rows = min(4 * k, ho - 4 * ty0)
        xk = xt[:(k * 4 + 2) * (tw * 4 + 2) * n * c].reshape(k * 4 + 2, tw * 4 + 2, n * c)
        vk = v[:36 * k * tw * n * c].reshape(36, k * tw, n * c)
        mk = mm[:36 * k * tw * n * o].reshape(36, k * tw * n, o)
        yk = yt[:rows * wo * n * o].reshape(rows, wo, n * o)
        _gather(x, ph, pw, ty0 * 4, xk)
        _tiles(xk, tw, 6, vk)
        blas_for(36 * k * tw * n * c * o)
        np.matmul(vk.reshape(36, k * tw * n, c), u, out=mk)
        _output(mk.reshape(36, k * tw, n * o), tw, yk)
        _scatter(yk, b, bool(relu), ty0 * 4, out)
    return out


_GT = np.array([[1 / 4, -1 / 6, -1 / 6, 1 / 24, 1 / 24, 0], [0, -1 / 6, 1 / 6, 1 / 12, -1 / 12, 0],
                [0, -1 / 6, -1 / 6, 1 / 6, 1 / 6, 1]])      # G^T of F(4x4, 3x3)


def winograd_weight_grad(x, g, padding):
    """dw (O, C, 3, 3) of the 3x3 convolution with stride 1 and padding (ph, pw) of x (N, C, H, W), from its output
    gradient g (N, O, Ho, Wo): per tile, the transpose of the forward's map, G^T [(A g A^T) . (B^T d B)] G, the
    sum over the batch's tiles being 36 products (O, tiles*N) @ (tiles*N, C).

    >>> x, g = np.ones((1, 1, 4, 4), np.float32), np.ones((1, 1, 4, 4), np.float32)
    >>> winograd_weight_grad(x, g, (1, 1))[0, 0].tolist()
    [[9.0, 12.0, 9.0], [12.0, 16.0, 12.0], [9.0, 12.0, 9.0]]
    """
    x, g = check("winograd_weight_grad", x, g)
    ph, pw = (int(e) for e in padding)
    if (x.ndim != 4 or g.ndim != 4 or g.shape[0] != x.shape[0] or ph < 0 or pw < 0
            or g.shape[2:] != (x.shape[2] + 2 * ph - 2, x.shape[3] + 2 * pw - 2)):
        raise ValueError(f"winograd_weight_grad: expected x (N, C, H, W) and the gradient (N, O, H + 2*ph - 2, "
                         f"W + 2*pw - 2) of its 3x3 convolution padded by {[ph, pw]}, got {list(x.shape)} and "
                         f"{list(g.shape)}")
    (n, c), (o, ho, wo) = x.shape[:2], g.shape[1:]
    x, g = np.ascontiguousarray(x), np.ascontiguousarray(g)
    th, tw = -(-ho // 4), -(-wo // 4)
    step = max(1, min(th, CHUNK // (36 * tw * n * max(c, o))))     # tile rows per chunk
    n_x, n_v = (step * 4 + 2) * (tw * 4 + 2) * n * c, 36 * step * tw * n * c
    n_g, n_h = step * 4 * tw * 4 * n * o, 36 * step * tw * n * o
    xt, v, gt, h = _workspace((n_x, n_v, n_g, n_h), x.dtype)
    m = np.zeros((36, o, c), x.dtype)
    for ty0 in range(0, th, step):
        k = min(th, ty0 + step) - ty0                           # tile rows in this chunk
        xk = xt[:(k * 4 + 2) * (tw * 4 + 2) * n * c].reshape(k * 4 + 2, tw * 4 + 2, n * c)
        vk = v[:36 * k * tw * n * c].reshape(36, k * tw, n * c)
        gk = gt[:k * 4 * tw * 4 * n * o].reshape(k * 4, tw * 4, n * o)
        hk = h[:36 * k * tw * n * o].reshape(36, k * tw, n * o)
        _gather(x, ph, pw, ty0 * 4, xk)
        _tiles(xk, tw, 6, vk)
        _gather(g, 0, 0, ty0 * 4, gk)                           # zero beyond the output: partial tiles add nothing
        _tiles(gk, tw, 4, hk)
        blas_for(36 * k * tw * n * c * o)
        m += np.matmul(hk.reshape(36, k * tw * n, o).transpose(0, 2, 1), vk.reshape(36, k * tw * n, c))
    dw = np.tensordot(np.tensordot(_GT, m.reshape(6, 6, o, c).astype(np.float64), (1, 0)), _GT, (1, 1))  # i, o, c, j
    return np.ascontiguousarray(dw.transpose(1, 2, 0, 3), x.dtype)


PATHS = {"winograd_conv": {"numba": winograd_conv}, "winograd_weight_grad": {"numba": winograd_weight_grad}}
