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


# ---- 3-d convolutions with a (kd, 3, 3) kernel, stride 1: F(4x4, 3x3) in (H, W), the depth taps a reduction. Each
# input depth slice is transformed once (the depth-stacked conv2d transformed it kd times, after copying it kd
# times). The transforms' vectors are (image, depth, channel), so a tile's depth slices lie side by side: output
# slice od's product reads its kd input slices in place as one (tiles*N, kd*C) matrix whose rows are D*C apart (a
# gemm's lda; NumPy's matmul would copy it), one BLAS gemm per (element of the 36, output slice), called from numba
# (matmul.blas_gemm; NumPy's matmul, tap by tap, where that is not found).
CHUNK3D = 1 << 18   # elements of V or M per chunk of tile rows: smaller than 2-d's CHUNK (measured, 1 thread:
#                     2x8x16x56^2, 8 -> 16, k3 forward 24 ms at 1 << 18, 36 at 1 << 20; 16 and 32 channels: flat)

@twins(PAR_MIN, loop=lambda xf, po, h, w, ph, pw, r0, out: out.shape[0])
def _gather_planes(xf, po, h, w, ph, pw, r0, out):
    """out[r, j, e] = xf[po[e] + (r0 + r - ph)*w + j - pw], zero outside the h x w plane at po[e]: _gather with
    each vector element's plane given by its offset (a depth slice of an image's channel)."""
    zero = out.dtype.type(0)
    n_v, width = out.shape[2], out.shape[1]
    of = out.reshape(-1)
    for r in prange(out.shape[0]):
        iy = r0 + r - ph
        rb = r * width * n_v
        if iy < 0 or iy >= h:
            of[_u(rb):_u(rb + width * n_v)] = zero
            continue
        of[_u(rb):_u(rb + pw * n_v)] = zero
        of[_u(rb + (pw + w) * n_v):_u(rb + width * n_v)] = zero
        tmp = np.empty(16 * w, out.dtype)
        for e0 in range(0, n_v, 16):        # 16 planes at a time, through tmp: a plane's row is read whole (the
            e1 = min(n_v, e0 + 16)          # planes lie D*H*W apart: reading them column by column thrashes L1)
            for e in range(e0, e1):
                xb = po[e] + iy * w
                for ix in range(w):
                    tmp[ix * 16 + e - e0] = xf[_u(xb + ix)]
            for ix in range(w):
                ob = rb + (ix + pw) * n_v
                for e in range(e0, e1):
                    of[_u(ob + e)] = tmp[ix * 16 + e - e0]


@twins(PAR_MIN, loop=lambda yt, rows, bias, po, r0, yf: yt.shape[0] * rows)
def _scatter_planes(yt, rows, bias, po, r0, yf):
    """yf[po[d, e] + (r0 + r)*Wo + j] = yt[d, r, j, e] + bias[e] for r < rows: _scatter into the planes at po."""
    n_d, r_all, wo, n_v = yt.shape
    tf, pf = yt.reshape(-1), po.reshape(-1)
    for dr in prange(n_d * rows):
        d, r = dr // rows, dr % rows
        tmp = np.empty(16 * wo, yt.dtype)
        for e0 in range(0, n_v, 16):        # 16 planes at a time, through tmp: each plane's row written whole
            e1 = min(n_v, e0 + 16)
            for j in range(wo):
                tb = ((d * r_all + r) * wo + j) * n_v
                for e in range(e0, e1):
                    tmp[(e - e0) * wo + j] = tf[_u(tb + e)] + bias[e]
            for e in range(e0, e1):
                yb = pf[d * n_v + e] + (r0 + r) * wo
                for j in range(wo):
                    yf[_u(yb + j)] = tmp[(e - e0) * wo + j]


@jit
def _taps(od, off0, dil, kd, n_d):
    """The taps [k_lo, k_hi) whose input slice od + off0 + k*dil lies in [0, n_d)."""
    k_lo = max(0, -((od + off0) // dil))
    return k_lo, max(k_lo, min(kd, (n_d - 1 - od - off0) // dil + 1))


@jit
def _slice_products(gemm, v, u, mm, off0, dil):
    """mm[e, r, od] = sum over taps k of v[e, r, od + off0 + k*dil] @ u[e, k]: v (36, R, D, C), u (36, kd, C, O), mm
    (36, R, Do, O). With dil 1 a slice's taps are adjacent in v: one gemm per (e, od), K = taps*C (v's rows D*C
    apart)."""
    rows, n_d, c = v.shape[1], v.shape[2], v.shape[3]
    kd, o, d_out = u.shape[1], u.shape[3], mm.shape[2]
    isz = v.itemsize
    one, zero = v.dtype.type(1), v.dtype.type(0)
    for od in range(d_out):
        k_lo, k_hi = _taps(od, off0, dil, kd, n_d)
        if k_hi == k_lo:
            mm[:, :, od] = zero
            continue
        for e in range(36):
            vb = v.ctypes.data + _u(((e * rows * n_d + od + off0) * c) * isz)
            ub, mb = u.ctypes.data + _u(e * kd * c * o * isz), mm.ctypes.data + _u(((e * rows * d_out + od) * o) * isz)
            if dil == 1:
                gemm(101, 111, 111, rows, o, (k_hi - k_lo) * c, one, vb + _u(k_lo * c * isz), n_d * c,
                     ub + _u(k_lo * c * o * isz), o, zero, mb, d_out * o)
            else:
                for k in range(k_lo, k_hi):
                    gemm(101, 111, 111, rows, o, c, one, vb + _u(k * dil * c * isz), n_d * c, ub + _u(k * c * o * isz),
                         o, zero if k == k_lo else one, mb, d_out * o)


@jit
def _slice_weight_products(gemm, h, v, m, off0, dil):
    """m[e, :, k] += sum over r, od of h[e, r, od]^T v[e, r, od + off0 + k*dil]: h (36, R, Do, O), v (36, R, D, C),
    m (36, O, kd, C); with dil 1 one gemm per (e, od) over the slice's adjacent taps."""
    rows, n_d, c = v.shape[1], v.shape[2], v.shape[3]
    d_out, o, kd = h.shape[2], h.shape[3], m.shape[2]
    isz = v.itemsize
    one = v.dtype.type(1)
    for od in range(d_out):
        k_lo, k_hi = _taps(od, off0, dil, kd, n_d)
        for e in range(36):
            hb = h.ctypes.data + _u(((e * rows * d_out + od) * o) * isz)
            vb = v.ctypes.data + _u(((e * rows * n_d + od + off0) * c) * isz)
            mb = m.ctypes.data + _u(e * o * kd * c * isz)
            if dil == 1 and k_hi > k_lo:
                gemm(101, 112, 111, o, (k_hi - k_lo) * c, rows, one, hb, d_out * o, vb + _u(k_lo * c * isz), n_d * c,
                     one, mb + _u(k_lo * c * isz), kd * c)
            elif k_hi > k_lo:
                for k in range(k_lo, k_hi):
                    gemm(101, 112, 111, o, c, rows, one, hb, d_out * o, vb + _u(k * dil * c * isz), n_d * c, one,
                         mb + _u(k * c * isz), kd * c)


def _products(gemm, v, u, mm, off0, dil):
    """_slice_products, or by NumPy's matmul where no BLAS gemm is at hand (a product per tap, summed)."""
    if gemm is not None:
        return _slice_products(gemm, v, u, mm, off0, dil)
    for od in range(mm.shape[2]):
        k_lo, k_hi = _taps(od, off0, dil, u.shape[1], v.shape[2])
        mm[:, :, od] = 0
        for k in range(k_lo, k_hi):
            mm[:, :, od] += np.matmul(v[:, :, od + off0 + k * dil], u[:, k])
    return None


def _weight_products(gemm, h, v, m, off0, dil):
    """_slice_weight_products, or by NumPy's matmul where no BLAS gemm is at hand."""
    if gemm is not None:
        return _slice_weight_products(gemm, h, v, m, off0, dil)
    for od in range(h.shape[2]):
        k_lo, k_hi = _taps(od, off0, dil, m.shape[2], v.shape[2])
        for k in range(k_lo, k_hi):
            m[:, :, k] += np.matmul(h[:, :, od].transpose(0, 2, 1), v[:, :, od + off0 + k * dil])
    return None


def _planes(n, c, d, hw):
    """The offsets of the planes x[n, c, d] of x (N, C, D, H*W) in the vector order (n, d, c)."""
    return (((np.arange(n)[:, None, None] * c + np.arange(c)) * d + np.arange(d)[:, None]) * hw).reshape(-1)


def _check3d(op, x, weight_or_g):
    if x.ndim != 5 or weight_or_g.ndim != 5:
        raise ValueError(f"{op}: expected 5-d arrays, got {list(x.shape)} and {list(weight_or_g.shape)}")


def winograd_conv3d(x, weight, bias, depth, padding):
    """y (N, O, Do, Ho, Wo) = x (N, C, D, H, W) convolved with weight (O, C, kd, 3, 3), stride 1, plus bias (O,) or
    None: output slice od reads input slices od + off + k*dil (k < kd; zeros outside x), depth = (off, dil, Do);
    (H, W) padded by padding (ph, pw) <= 2, Ho = H + 2*ph - 2. F(4x4, 3x3) per depth slice, each input slice
    transformed once.

    >>> x, w = np.ones((1, 1, 2, 4, 4), np.float32), np.ones((1, 1, 2, 3, 3), np.float32)
    >>> winograd_conv3d(x, w, None, (0, 1, 1), (0, 0))[0, 0, 0].tolist()
    [[18.0, 18.0], [18.0, 18.0]]
    """
    from .matmul import blas_gemm
    x, weight = check("winograd_conv3d", x, weight)
    _check3d("winograd_conv3d", x, weight)
    (n, c, d, h, w), (o, kd) = x.shape, (weight.shape[0], weight.shape[2])
    off0, dil, d_out = (int(e) for e in depth)
    ph, pw = (int(e) for e in padding)
    ho, wo = h + 2 * ph - 2, w + 2 * pw - 2
    if (weight.shape[1] != c or weight.shape[3:] != (3, 3) or ho < 1 or wo < 1 or not 0 <= ph <= 2
            or not 0 <= pw <= 2 or d_out < 1 or dil < 1):
        raise ValueError(f"winograd_conv3d: expected x (N, C, D, H, W), weight (O, C, kd, 3, 3) and padding in "
                         f"[0, 2], got {list(x.shape)}, {list(weight.shape)}, padding {[ph, pw]}")
    gemm = blas_gemm(x.dtype)
    out = np.empty((n, o, d_out, ho, wo), x.dtype)
    if x.size == 0 or out.size == 0:
        return out if out.size == 0 else np.tile(np.asarray(0 if bias is None else bias, x.dtype).reshape(-1, 1, 1, 1),
                                                  (n, 1, d_out, ho, wo)).reshape(out.shape)
    uk = np.empty((kd, 36, c, o), x.dtype)
    for k in range(kd):
        _filter(np.ascontiguousarray(weight[:, :, k]), uk[k])
    u = np.ascontiguousarray(uk.transpose(1, 0, 2, 3))
    b = np.zeros(n * d_out * o, x.dtype) if bias is None else np.tile(np.asarray(bias, x.dtype), n * d_out)
    x = np.ascontiguousarray(x)
    po_x, po_y = _planes(n, c, d, h * w), _planes(n, o, d_out, ho * wo).reshape(1, -1)
    th, tw = -(-ho // 4), -(-wo // 4)
    nv_x, nv_y = n * d * c, n * d_out * o
    step = max(1, min(th, CHUNK3D // (36 * tw * max(nv_x, nv_y))))      # tile rows per chunk
    xt, v, mm, yt = _workspace(((step * 4 + 2) * (tw * 4 + 2) * nv_x, 36 * step * tw * nv_x, 36 * step * tw * nv_y,
                                step * 4 * wo * nv_y), x.dtype)
    xf, yf = x.reshape(-1), out.reshape(-1)
    for ty0 in range(0, th, step):
        k = min(th, ty0 + step) - ty0
        rows = min(4 * k, ho - 4 * ty0)
        xk = xt[:(k * 4 + 2) * (tw * 4 + 2) * nv_x].reshape(k * 4 + 2, tw * 4 + 2, nv_x)
        vk = v[:36 * k * tw * nv_x].reshape(36, k * tw, nv_x)
        mk = mm[:36 * k * tw * nv_y].reshape(36, k * tw, nv_y)
        yk = yt[:rows * wo * nv_y].reshape(rows, wo, nv_y)
        _gather_planes(xf, po_x, h, w, ph, pw, ty0 * 4, xk)
        _tiles(xk, tw, 6, vk)
        blas_for(36 * k * tw * n * c * o * d_out * kd)
        _products(gemm, vk.reshape(36, k * tw * n, d, c), u, mk.reshape(36, k * tw * n, d_out, o), off0, dil)
        _output(mk, tw, yk)
        _scatter_planes(yk.reshape(1, rows, wo, nv_y), rows, b, po_y, ty0 * 4, yf)
    return out


def winograd_weight_grad3d(x, g, kd, depth, padding):
    """dw (O, C, kd, 3, 3) of winograd_conv3d's convolution of x (N, C, D, H, W) (depth = (off, dil, Do), padding
    (ph, pw)) from its output gradient g (N, O, Do, Ho, Wo): per element of the 36 and output slice, one gemm over
    the slice's taps, its tiles the reduction.

    >>> x, g = np.ones((1, 1, 2, 4, 4), np.float32), np.ones((1, 1, 1, 4, 4), np.float32)
    >>> winograd_weight_grad3d(x, g, 2, (0, 1, 1), (1, 1))[0, 0, 1].tolist()
    [[9.0, 12.0, 9.0], [12.0, 16.0, 12.0], [9.0, 12.0, 9.0]]
    """
    from .matmul import blas_gemm
    x, g = check("winograd_weight_grad3d", x, g)
    _check3d("winograd_weight_grad3d", x, g)
    off0, dil, d_out = (int(e) for e in depth)
    ph, pw = (int(e) for e in padding)
    (n, c, d, h, w), (o, ho, wo) = x.shape, (g.shape[1],) + g.shape[3:]
    if (g.shape[0] != n or g.shape[2] != d_out or (ho, wo) != (h + 2 * ph - 2, w + 2 * pw - 2)
            or not 0 <= ph <= 2 or not 0 <= pw <= 2 or kd < 1 or dil < 1):
        raise ValueError(f"winograd_weight_grad3d: expected x (N, C, D, H, W) and the gradient (N, O, {d_out}, "
                         f"H + 2*ph - 2, W + 2*pw - 2) of its convolution padded by {[ph, pw]} (in [0, 2]), got "
                         f"{list(x.shape)} and {list(g.shape)}")
    gemm = blas_gemm(x.dtype)
    if x.size == 0 or g.size == 0:
        return np.zeros((o, c, kd, 3, 3), x.dtype)
    x, g = np.ascontiguousarray(x), np.ascontiguousarray(g)
    po_x, po_g = _planes(n, c, d, h * w), _planes(n, o, d_out, ho * wo)
    th, tw = -(-ho // 4), -(-wo // 4)
    nv_x, nv_g = n * d * c, n * d_out * o
    step = max(1, min(th, CHUNK3D // (36 * tw * max(nv_x, nv_g))))      # tile rows per chunk
    xt, v, gt, hh = _workspace(((step * 4 + 2) * (tw * 4 + 2) * nv_x, 36 * step * tw * nv_x,
                                step * 4 * tw * 4 * nv_g, 36 * step * tw * nv_g), x.dtype)
    m = np.zeros((36, o, kd, c), x.dtype)
    xf, gf = x.reshape(-1), g.reshape(-1)
    for ty0 in range(0, th, step):
        k = min(th, ty0 + step) - ty0
        xk = xt[:(k * 4 + 2) * (tw * 4 + 2) * nv_x].reshape(k * 4 + 2, tw * 4 + 2, nv_x)
        vk = v[:36 * k * tw * nv_x].reshape(36, k * tw, nv_x)
        gk = gt[:k * 4 * tw * 4 * nv_g].reshape(k * 4, tw * 4, nv_g)
        hk = hh[:36 * k * tw * nv_g].reshape(36, k * tw, nv_g)
        _gather_planes(xf, po_x, h, w, ph, pw, ty0 * 4, xk)
        _tiles(xk, tw, 6, vk)
        _gather_planes(gf, po_g, ho, wo, 0, 0, ty0 * 4, gk)    # zero beyond the output: partial tiles add nothing
        _tiles(gk, tw, 4, hk)
        blas_for(36 * k * tw * n * c * o * d_out * kd)
        _weight_products(gemm, hk.reshape(36, k * tw * n, d_out, o), vk.reshape(36, k * tw * n, d, c), m, off0, dil)
    mf = m.transpose(0, 2, 1, 3).reshape(6, 6, kd, o, c).astype(np.float64)
    dw = np.tensordot(np.tensordot(_GT, mf, (1, 0)), _GT, (1, 1))         # i, kd, o, c, j
    return np.ascontiguousarray(dw.transpose(2, 3, 1, 0, 4), x.dtype)


PATHS.update({"winograd_conv3d": {"numba": winograd_conv3d},
              "winograd_weight_grad3d": {"numba": winograd_weight_grad3d}})
__all__ += ["winograd_conv3d", "winograd_weight_grad3d"]
