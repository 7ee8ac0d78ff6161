"""CPU kernels of the convolutions: im2col (the patches of an image as columns) and col2im (its adjoint: columns
summed back into an image), the heavy products being the table's matmul (BLAS).

Layouts: cols (N, C*kh*kw, Ho*Wo), one matrix per image (torch's unfold; the forward's per-image products write
NCHW directly), or with `transposed` (C*kh*kw, N, Ho*Wo), one matrix for the batch (the weight gradient's single
product over N*Ho*Wo). Row r = (c*kh + ki)*kw + kj holds x[n, c, oy*sh - ph + ki*dh, ox*sw - pw + kj*dw] at column
oy*Wo + ox, zero in the padding. Both kernels run one (image, channel) plane per iteration of a prange: col2im's
sums into a plane never race. Indices are unsigned (_u): numba's negative-index wraparound doubles the time of
these short copy loops (MNIST's conv 32->64, 64 images: im2col 2.3 -> 1.1 ms).
"""
import numpy as np

from ._jit import PAR_MIN, check, jit, prange, twins

__all__ = ["im2col", "col2im"]


@jit
def _u(i):
    """An index as unsigned: numba then skips its negative-index wraparound, which halves these copy loops."""
    return np.uint64(i)


@jit
def _valid(off, sw, w, wo):
    """The columns ox in [lo, hi) whose input column ox*sw + off lies in [0, w)."""
    lo = min(max(0, -(off // sw)), wo)
    return lo, (max(min(wo, (w - 1 - off) // sw + 1), lo) if w - 1 - off >= 0 else lo)


@twins(PAR_MIN, loop=lambda x, *_: x.shape[0] * x.shape[1])
def _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, sn, sr, out):
    n_img, c_in, h, w = x.shape
    xf, zero = x.ravel(), out.dtype.type(0)
    for nc in prange(n_img * c_in):
        n, c = nc // c_in, nc % c_in
        for ki in range(kh):
            for kj in range(kw):
                row = out[n * sn + ((c * kh + ki) * kw + kj) * sr]
                off = kj * dw - pw
                lo, hi = _valid(off, sw, w, wo)
                for oy in range(ho):
                    iy, ob = oy * sh - ph + ki * dh, oy * wo
                    if iy < 0 or iy >= h:
                        lo_y = hi_y = wo
                    else:
                        lo_y, hi_y = lo, hi
                    for ox in range(lo_y):
                        row[_u(ob + ox)] = zero
                    xb = (nc * h + iy) * w + off
                    if sw == 1:
                        for ox in range(lo_y, hi_y):
                            row[_u(ob + ox)] = xf[_u(xb + ox)]
                    else:
                        for ox in range(lo_y, hi_y):
                            row[_u(ob + ox)] = xf[_u(xb + ox * sw)]
                    for ox in range(hi_y, wo):
                        row[_u(ob + ox)] = zero


@twins(PAR_MIN, loop=lambda *a: a[-1].shape[0] * a[-1].shape[1])
def _col2im(cols, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, sn, sr, out):
    n_img, c_in, h, w = out.shape
    of = out.reshape(-1)
    for nc in prange(n_img * c_in):
        n, c = nc // c_in, nc % c_in
        for ki in range(kh):
            for kj in range(kw):
                row = cols[n * sn + ((c * kh + ki) * kw + kj) * sr]
                off = kj * dw - pw
                lo, hi = _valid(off, sw, w, wo)
                for oy in range(ho):
                    iy, ob = oy * sh - ph + ki * dh, oy * wo
                    if iy < 0 or iy >= h:
                        continue
                    xb = (nc * h + iy) * w + off
                    if sw == 1:
                        for ox in range(lo, hi):
                            of[_u(xb + ox)] += row[_u(ob + ox)]
                    else:
                        for ox in range(lo, hi):
                            of[_u(xb + ox * sw)] += row[_u(ob + ox)]


def _pairs(op, **pairs):
    out = []
    for name, v in pairs.items():
        if len(v) != 2 or any(int(e) != e for e in v):
            raise ValueError(f"{op}: {name} must be a pair of ints, got {v!r}")
        out.extend(int(e) for e in v)
    return out


def _geometry(op, n_img, c_in, kernel_size, stride, padding, dilation, out_size):
    kh, kw, sh, sw, ph, pw, dh, dw, ho, wo = _pairs(op, kernel_size=kernel_size, stride=stride, padding=padding,
                                                     dilation=dilation, out_size=out_size)
    if min(kh, kw, sh, sw, dh, dw) < 1 or min(ph, pw, ho, wo) < 0:
        raise ValueError(f"{op}: kernel_size, stride and dilation must be positive, padding and out_size "
                         f"non-negative, got kernel_size={kernel_size}, stride={stride}, padding={padding}, "
                         f"dilation={dilation}, out_size={out_size}")
    k = c_in * kh * kw
    return (kh, kw, sh, sw, ph, pw, dh, dw, ho, wo), k, ho * wo


def im2col(x, kernel_size, stride, padding, dilation, out_size, transposed=False, out=None):
    """The patches of x (N, C, H, W) as columns: (N, C*kh*kw, Ho*Wo), or (C*kh*kw, N, Ho*Wo) with `transposed`.
    padding: the zeros before each spatial dim (those after it only shorten out_size (Ho, Wo)). out: a
    C-contiguous array of that shape to write into (a buffer reused over the chunks of a batch)."""
    (x,) = check("im2col", x)
    if x.ndim != 4:
        raise ValueError(f"im2col: expected x of shape (N, C, H, W), got {list(x.shape)}")
    n_img, c_in = x.shape[:2]
    geo, k, n_l = _geometry("im2col", n_img, c_in, kernel_size, stride, padding, dilation, out_size)
    x = np.ascontiguousarray(x)
    shape = (k, n_img, n_l) if transposed else (n_img, k, n_l)
    out = np.empty(shape, x.dtype) if out is None else _given(out, shape, x.dtype, "im2col")
    if out.size:
        sn, sr = (1, n_img) if transposed else (k, 1)
        _im2col(x, *geo, sn, sr, out.reshape(-1, n_l))
    return out


def col2im(cols, image_shape, kernel_size, stride, padding, dilation, out_size, transposed=False, out=None):
    """The adjoint of im2col: the columns `cols` summed back into an image of `image_shape` (N, C, H, W); out: a
    C-contiguous array of that shape to write into."""
    (cols,) = check("col2im", cols)
    if len(image_shape) != 4:
        raise ValueError(f"col2im: expected image_shape (N, C, H, W), got {image_shape}")
    n_img, c_in, h, w = (int(s) for s in image_shape)
    geo, k, n_l = _geometry("col2im", n_img, c_in, kernel_size, stride, padding, dilation, out_size)
    want = (k, n_img, n_l) if transposed else (n_img, k, n_l)
    if cols.shape != want:
        raise ValueError(f"col2im: expected cols of shape {list(want)}, got {list(cols.shape)}")
    if out is None:
        out = np.zeros((n_img, c_in, h, w), cols.dtype)
    else:
        out = _given(out, (n_img, c_in, h, w), cols.dtype, "col2im")
        out.fill(0)
    if out.size and cols.size:
        sn, sr = (1, n_img) if transposed else (k, 1)
        _col2im.pick(cols.size)(np.ascontiguousarray(cols).reshape(-1, n_l), *geo, sn, sr, out)
    return out


def _given(out, shape, dtype, op):
    if type(out) is not np.ndarray or out.shape != shape or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(f"{op}: out must be a C-contiguous {dtype} array of shape {list(shape)}")
    return out


PATHS = {"im2col": {"numba": im2col}, "col2im": {"numba": col2im}}
