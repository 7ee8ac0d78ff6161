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
from ._threads import blas_for

__all__ = ["im2col", "col2im", "conv_direct", "conv_direct_relu_pool22", "tap_sum", "matmul_into",
           "conv_bias_relu_", "conv_relu_backward"]


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


@twins(PAR_MIN, loop=lambda *a: a[-1].shape[0] * a[-1].shape[1])
def _conv_direct(x, wt, bias, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, relu, out):
    n_img, c_in, h, w = x.shape
    zero = out.dtype.type(0)
    o_ch = out.shape[1]
    xf, of = x.ravel(), out.reshape(-1)
    flat = sh == 1 and sw == 1 and ph == 0 and pw == 0
    for no in prange(n_img * o_ch):
        n, o = no // o_ch, no % o_ch
        base = no * ho * wo
        b = bias[o]
        if flat:        # every tap in range: sums over whole rows of the input's width, long loops that vectorize
            acc = np.empty(ho * w, out.dtype)
            _flat_plane(xf, wt, n, o, h, w, dh, dw, ho, wo, b, acc)
            for oy in range(ho):
                for ox in range(wo):
                    v = acc[oy * w + ox]
                    of[_u(base + oy * wo + ox)] = zero if relu and v < zero else v    # NaN stays NaN
            continue
        for i in range(ho * wo):
            of[_u(base + i)] = b
        for c in range(c_in):
            for ki in range(kh):
                for kj in range(kw):
                    wv = wt[o, c, ki, kj]
                    off = kj * dw - pw
                    lo, hi = _valid(off, sw, w, wo)
                    for oy in range(ho):
                        iy = oy * sh - ph + ki * dh
                        if iy < 0 or iy >= h:
                            continue
                        xb, ob = ((n * c_in + c) * h + iy) * w + off, base + oy * wo
                        if sw == 1:
                            for ox in range(lo, hi):
                                of[_u(ob + ox)] += wv * xf[_u(xb + ox)]
                        else:
                            for ox in range(lo, hi):
                                of[_u(ob + ox)] += wv * xf[_u(xb + ox * sw)]
        if relu:
            for i in range(ho * wo):
                if of[_u(base + i)] < zero:
                    of[_u(base + i)] = zero


@jit
def _flat_plane(xf, wt, n, o, h, w, dh, dw, ho, wo, b, acc):
    """acc[oy*w + ox] = b + the taps of output channel o at (oy, ox) of image n, x = xf (N, C, H, W) flattened,
    unpadded and stride 1: every tap a pass over whole rows of the input's width (acc's rows are w wide)."""
    c_in, kh, kw = wt.shape[1:]
    for i in range((ho - 1) * w + wo):
        acc[i] = b
    for c in range(c_in):
        for ki in range(kh):
            for kj in range(kw):
                wv, xb = wt[o, c, ki, kj], ((n * c_in + c) * h + ki * dh) * w + kj * dw
                for i in range((ho - 1) * w + wo):
                    acc[i] += wv * xf[_u(xb + i)]


@twins(PAR_MIN, loop=lambda x, wt, bias, dh, dw, ho, wo, out, idx: out.shape[0] * out.shape[1])
def _conv_direct_relu_pool22(x, wt, bias, dh, dw, ho, wo, out, idx):
    n_img, c_in, h, w = x.shape
    o_ch, zero = out.shape[1], out.dtype.type(0)
    xf = x.ravel()
    for no in prange(n_img * o_ch):
        n, o = no // o_ch, no % o_ch
        acc = np.empty(ho * w, out.dtype)
        _flat_plane(xf, wt, n, o, h, w, dh, dw, ho, wo, bias[o], acc)
        for i in range((ho - 1) * w + wo):          # the ReLU (NaN stays NaN)
            if acc[i] < zero:
                acc[i] = zero
        op, ip = out[n, o], idx[n, o]
        for py in range(op.shape[0]):               # the 2x2 max, as pooling's _max_fwd22 picks it (a NaN wins)
            r0, r1 = 2 * py * w, (2 * py + 1) * w
            for px in range(op.shape[1]):
                c = 2 * px
                best, j = acc[r0 + c], 2 * py * wo + c
                v = acc[r0 + c + 1]
                if v > best or v != v:
                    best, j = v, 2 * py * wo + c + 1
                v = acc[r1 + c]
                if v > best or v != v:
                    best, j = v, (2 * py + 1) * wo + c
                v = acc[r1 + c + 1]
                if v > best or v != v:
                    best, j = v, (2 * py + 1) * wo + c + 1
                op[py, px] = best
                ip[py, px] = j


@twins(PAR_MIN, loop=lambda bias, relu, y: y.shape[0] * y.shape[1])
def _bias_relu(bias, relu, y):
    n_img, o_ch, n_l = y.shape
    zero = y.dtype.type(0)
    for no in prange(n_img * o_ch):
        n, o = no // o_ch, no % o_ch
        b = bias[o]
        if relu:
            for i in range(n_l):
                v = y[n, o, i] + b
                y[n, o, i] = zero if v < zero else v      # NaN stays NaN
        else:
            for i in range(n_l):
                y[n, o, i] += b


@twins(PAR_MIN, loop=lambda g, y, db, out: out.shape[1])
def _relu_bias_bwd(g, y, db, out):
    n_img, o_ch, n_l = g.shape
    zero = g.dtype.type(0)
    for o in prange(o_ch):      # one channel per iteration: its bias sum never races
        s = zero
        for n in range(n_img):
            for i in range(n_l):
                v = g[n, o, i] if y[n, o, i] > zero else zero
                out[n, o, i] = v
                s += v
        db[o] = s


@twins(PAR_MIN, loop=lambda *a: a[-1].shape[0] * a[-1].shape[1])
def _tap_sum(z, h, w, bias, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, out):
    n_img, o_ch = out.shape[:2]
    of = out.reshape(-1)
    for no in prange(n_img * o_ch):
        n, o = no // o_ch, no % o_ch
        base = no * ho * wo
        b = bias[o]
        for i in range(ho * wo):
            of[_u(base + i)] = b
        for ki in range(kh):
            for kj in range(kw):
                row = z[n, (ki * kw + kj) * o_ch + o]
                off = kj * dw - pw
                lo, hi = _valid(off, sw, w, wo)
                for oy in range(ho):
                    iy = oy * sh - ph + ki * dh
                    if iy < 0 or iy >= h:
                        continue
                    xb, ob = iy * w + off, base + oy * wo
                    if sw == 1:
                        for ox in range(lo, hi):
                            of[_u(ob + ox)] += row[_u(xb + ox)]
                    else:
                        for ox in range(lo, hi):
                            of[_u(ob + ox)] += row[_u(xb + ox * sw)]


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


def _bias(bias, o, dtype):
    return np.zeros(o, dtype) if bias is None else np.ascontiguousarray(bias, dtype)


def conv_direct(x, weight, bias, stride, padding, dilation, out_size, out=None, relu=False):
    """y (N, O, Ho, Wo) = x (N, C, H, W) convolved with weight (O, C, kh, kw), plus bias (O,) or None, tap by
    tap, each output plane summed in cache: for a few taps (C*kh*kw; the first layer of a CNN), where im2col's
    product would be a thin one (K = C*kh*kw) and the output would be written twice. relu: max(y, 0) as it is
    written."""
    x, weight = check("conv_direct", x, weight)
    if x.ndim != 4 or weight.ndim != 4 or weight.shape[1] != x.shape[1]:
        raise ValueError(f"conv_direct: expected x (N, C, H, W) and weight (O, C, kh, kw), got {list(x.shape)} "
                         f"and {list(weight.shape)}")
    n_img, c_in = x.shape[:2]
    o = weight.shape[0]
    geo, _, _ = _geometry("conv_direct", n_img, c_in, weight.shape[2:], stride, padding, dilation, out_size)
    shape = (n_img, o) + tuple(geo[-2:])
    out = np.empty(shape, x.dtype) if out is None else _given(out, shape, x.dtype, "conv_direct")
    if out.size:
        _conv_direct(np.ascontiguousarray(x), np.ascontiguousarray(weight), _bias(bias, o, x.dtype), *geo,
                     bool(relu), out)
    return out


def conv_direct_relu_pool22(x, weight, bias, dilation, out_size):
    """(y, argmax) of max_pool2d(relu(conv2d(x, weight, bias, dilation=dilation)), 2) for x (N, C, H, W), weight
    (O, C, kh, kw) of a few taps (conv_direct's), stride 1, no padding; out_size (Ho, Wo): the convolution's. The
    pool reads each output plane in cache, and the full-size ReLU output is never written. argmax as
    max_pool2d_forward's: a flat index into the Ho*Wo plane.

    >>> y, i = conv_direct_relu_pool22(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), None, (1, 1), (2, 2))
    >>> y.tolist(), i.tolist()
    ([[[[9.0]]]], [[[[0]]]])
    """
    x, weight = check("conv_direct_relu_pool22", x, weight)
    ho, wo = (int(e) for e in out_size)
    dh, dw = (int(e) for e in dilation)
    if (x.ndim != 4 or weight.ndim != 4 or weight.shape[1] != x.shape[1] or ho < 2 or wo < 2
            or (ho - 1) + dh * (weight.shape[2] - 1) != x.shape[2] - 1
            or (wo - 1) + dw * (weight.shape[3] - 1) != x.shape[3] - 1):
        raise ValueError(f"conv_direct_relu_pool22: expected x (N, C, H, W) and weight (O, C, kh, kw) whose "
                         f"unpadded convolution is {[ho, wo]} (at least 2x2), got {list(x.shape)} and "
                         f"{list(weight.shape)}")
    o = weight.shape[0]
    shape = (x.shape[0], o, ho // 2, wo // 2)
    out, idx = np.empty(shape, x.dtype), np.empty(shape, np.int32 if ho * wo < 2 ** 31 else np.int64)
    if out.size:
        _conv_direct_relu_pool22(np.ascontiguousarray(x), np.ascontiguousarray(weight), _bias(bias, o, x.dtype),
                                 dh, dw, ho, wo, out, idx)
    return out, idx


def conv_bias_relu_(y, bias, relu):
    """y (N, O, ...) += bias (O,) (None: 0), then relu when `relu`, in place (y C-contiguous), which is returned: the
    convolution's epilogue, run on a chunk of the batch while it is in cache."""
    (y,) = check("conv_bias_relu_", y)
    if not y.flags.c_contiguous or y.ndim < 2:
        raise ValueError(f"conv_bias_relu_: expected a C-contiguous y (N, O, ...), got shape {list(y.shape)}")
    if y.size:
        _bias_relu(_bias(bias, y.shape[1], y.dtype), bool(relu), y.reshape(y.shape[0], y.shape[1], -1))
    return y


def conv_relu_backward(g, y):
    """(dz, db) for y = relu(z), z = conv + bias (N, O, ...), from g = dL/dy: dz = g * (y > 0) and the bias gradient
    db (O,) = dz summed over all but dim 1, in one pass."""
    g, y = check("conv_relu_backward", g, y)
    if g.shape != y.shape or g.ndim < 2:
        raise ValueError(f"conv_relu_backward: expected g and y of one shape (N, O, ...), got {list(g.shape)} and "
                         f"{list(y.shape)}")
    out, db = np.empty(g.shape, g.dtype), np.zeros(g.shape[1], g.dtype)
    if g.size:
        shape3 = (g.shape[0], g.shape[1], -1)
        _relu_bias_bwd(np.ascontiguousarray(g).reshape(shape3), np.ascontiguousarray(y).reshape(shape3), db,
                       out.reshape(shape3))
    return out, db


def tap_sum(z, image_hw, bias, kernel_size, stride, padding, dilation, out_size, out=None):
    """The convolution from its taps' products z (N, kh*kw*O, H*W), row (ki*kw + kj)*O + o = w[o, :, ki, kj] @
    x[n]: y[n, o, oy, ox] = bias[o] + sum over taps of z at input pixel (oy*sh - ph + ki*dh, ox*sw - pw + kj*dw),
    padding read as zeros. Cheaper than im2col where the output has fewer channels than the input."""
    (z,) = check("tap_sum", z)
    h, w = (int(e) for e in image_hw)
    kh, kw = (int(e) for e in kernel_size)
    if z.ndim != 3 or z.shape[1] % (kh * kw) or z.shape[2] != h * w:
        raise ValueError(f"tap_sum: expected z of shape (N, {kh}*{kw}*O, {h}*{w}), got {list(z.shape)}")
    n_img, o = z.shape[0], z.shape[1] // (kh * kw)
    geo, _, _ = _geometry("tap_sum", n_img, o, kernel_size, stride, padding, dilation, out_size)
    shape = (n_img, o) + tuple(geo[-2:])
    out = np.empty(shape, z.dtype) if out is None else _given(out, shape, z.dtype, "tap_sum")
    if out.size:
        _tap_sum(np.ascontiguousarray(z), h, w, _bias(bias, o, z.dtype), *geo, out)
    return out


def matmul_into(a, b, out):
    """np.matmul(a, b, out=out), BLAS sized for it: a product written straight where it belongs (no copy)."""
    blas_for(a.shape[-2] * a.shape[-1] * b.shape[-1] * (b.size // (b.shape[-2] * b.shape[-1])))
    return np.matmul(a, b, out=out)


def _given(out, shape, dtype, op):
    if type(out) is not np.ndarray or out.shape != shape or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(f"{op}: out must be a C-contiguous {dtype} array of shape {list(shape)}")
    return out


PATHS = {"im2col": {"numba": im2col}, "col2im": {"numba": col2im}, "conv_direct": {"numba": conv_direct},
         "conv_direct_relu_pool22": {"numba": conv_direct_relu_pool22},
         "conv_bias_relu_": {"numba": conv_bias_relu_},
         "conv_relu_backward": {"numba": conv_relu_backward},
         "tap_sum": {"numba": tap_sum}, "matmul_into": {"numpy": matmul_into}}
