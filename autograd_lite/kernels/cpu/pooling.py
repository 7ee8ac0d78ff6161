"""CPU kernels: max and average pooling (2-D, as torch's max_pool2d/avg_pool2d) and adaptive pooling, forward and
backward, on arrays (..., H, W); the leading dims are planes, run in parallel (numba prange) over N*C planes.

Windows are computed per axis in Python (`max_windows`, `avg_windows`, `adaptive_windows`: start/end per output
index), so one max kernel and one average kernel serve the strided and the adaptive pools. Max pooling keeps its
argmax as a flat index into the plane (h * W + w, PyTorch's indices); ties keep the first maximum, a NaN wins
(the last NaN of the window), as PyTorch's CPU kernels. The argmax is int32 here (the backward reads it: a
quarter less memory traffic than int64); the ops widen it to int64 where a user sees it.

Fast paths, each giving what the general kernels give (tests/test_pooling.py): a dilation-1 max pool works row by
row, separably (each column's max over the window's rows, then over the window's columns: contiguous loops that
vectorise), and skips the argmax when asked (indices=False: nothing will differentiate it); kernel 2 stride 2
without padding (the usual CNN pool) has its own loops, max and avg; the global average pool (adaptive, 1x1) is a
mean per plane, its backward a broadcast.
"""
import numpy as np

from ._jit import PAR_MIN, check, jit, prange, twins

__all__ = ["max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
           "adaptive_max_pool2d_forward", "adaptive_max_pool2d_backward", "adaptive_avg_pool2d_forward",
           "adaptive_avg_pool2d_backward"]

# the planes' loops go parallel from this many output elements; the work per element is a window, so below
# _jit.PAR_MIN
_PAR_MIN = PAR_MIN // 4
# the row-by-row max forwards go parallel far earlier: measured 2.2x at 2 threads from 1.6M outputs, and no loss
# in the CNN step (RESULTS.md, Convolutional networks: threads)
_MAX_PAR_MIN = 1 << 18
# the 2x2 max pool's forward stays serial below 1M outputs: right after a 2-thread product (as in the MNIST CNN) its
# parallel twin was slower at 346K outputs (0.93-0.96x; 1.73x alone): benchmarks/bench_conv_threads.py
_MAX22_PAR_MIN = 1 << 20


# ---- windows per axis (pure Python) ---------------------------------------------------------------------------

def max_windows(n, out, k, s, p, d):
    """(first, end) per output index of a max window of one axis: first is the first in-bounds tap (the start
    moved past the padding by whole dilation steps), end the bound of the taps."""
    first, end = np.empty(out, np.int64), np.empty(out, np.int64)
    for o in range(out):
        start = o * s - p
        first[o] = start + (-start + d - 1) // d * d if start < 0 else start
        end[o] = min(start + (k - 1) * d + 1, n)
    return first, end


def avg_windows(n, out, k, s, p):
    """(start, end, pool) per output index of an average window of one axis: the in-bounds [start, end), and the
    window's size counting the padding (PyTorch's count_include_pad divisor; clipped at n + p in ceil mode)."""
    start, end, pool = np.empty(out, np.int64), np.empty(out, np.int64), np.empty(out, np.int64)
    for o in range(out):
        a = o * s - p
        b = min(a + k, n + p)
        pool[o] = b - a
        start[o], end[o] = max(a, 0), min(b, n)
    return start, end, pool


def adaptive_windows(n, out):
    """(start, end) per output index of adaptive pooling: [floor(o * n / out), ceil((o + 1) * n / out))."""
    o = np.arange(out, dtype=np.int64)
    return o * n // out, ((o + 1) * n + out - 1) // out


# ---- numba kernels on (planes, H, W) ---------------------------------------------------------------------------

@twins(_PAR_MIN, loop=lambda x, hs, he, ws, we, dh, dw, out, idx: x.shape[0])
def _max_fwd(x, hs, he, ws, we, dh, dw, out, idx):
    W = x.shape[2]
    for p in prange(x.shape[0]):
        xp, op, ip = x[p], out[p], idx[p]
        for oh in range(op.shape[0]):
            for ow in range(op.shape[1]):
                bh, bw = hs[oh], ws[ow]
                if bh >= he[oh] or bw >= we[ow]:    # no tap inside (padding and dilation): -inf, as PyTorch
                    op[oh, ow] = -np.inf
                    ip[oh, ow] = min(bh, x.shape[1] - 1) * W + min(bw, W - 1)
                    continue
                best = xp[bh, bw]
                for h in range(hs[oh], he[oh], dh):
                    for w in range(ws[ow], we[ow], dw):
                        v = xp[h, w]
                        if v > best or v != v:
                            best, bh, bw = v, h, w
                op[oh, ow] = best
                ip[oh, ow] = bh * W + bw


@twins(_MAX22_PAR_MIN, loop=lambda x, out, idx: x.shape[0])
def _max_fwd22(x, out, idx):
    """kernel 2, stride 2, no padding or dilation."""
    W = x.shape[2]
    for p in prange(x.shape[0]):
        xp, op, ip = x[p], out[p], idx[p]
        for oh in range(op.shape[0]):
            r0, r1 = xp[2 * oh], xp[2 * oh + 1]
            base = 2 * oh * W
            for ow in range(op.shape[1]):
                w = 2 * ow
                best, j = r0[w], base + w
                v = r0[w + 1]
                if v > best or v != v:
                    best, j = v, base + w + 1
                v = r1[w]
                if v > best or v != v:
                    best, j = v, base + W + w
                v = r1[w + 1]
                if v > best or v != v:
                    best, j = v, base + W + w + 1
                op[oh, ow] = best
                ip[oh, ow] = j


@jit
def _row_length(W, OW, kw, sw, pw):
    """The length of a row padded with pw on the left and -inf past W, far enough for every window."""
    return max(W + 2 * pw, (OW - 1) * sw + kw)


@jit
def _col_max(t, o, kw, sw):
    """o[ow] = max of t[ow * sw : ow * sw + kw] (a NaN wins). As a call it does not vectorise: the kernels write
    the common stride 2 out in place."""
    for ow in range(o.size):
        o[ow] = t[ow * sw]
    for j in range(1, kw):
        for ow in range(o.size):
            v, b = t[ow * sw + j], o[ow]
            o[ow] = v if (v > b) | (v != v) else b


@twins(_MAX_PAR_MIN, loop=lambda x, hs, he, kw, sw, pw, out: x.shape[0])
def _max_rows(x, hs, he, kw, sw, pw, out):
    """Max pool, dilation 1, no argmax (nothing will differentiate it): per output row, the max over its input
    rows (contiguous loops), then the max over each window's columns of that, in a row padded with -inf."""
    W, OW = x.shape[2], out.shape[2]
    for p in prange(x.shape[0]):
        t = np.full(_row_length(W, OW, kw, sw, pw), -np.inf, x.dtype)
        r = t[pw:pw + W]
        xp, op = x[p], out[p]
        for oh in range(op.shape[0]):
            r[:] = xp[hs[oh]]
            for h in range(hs[oh] + 1, he[oh]):
                row = xp[h]
                for w in range(W):
                    v, b = row[w], r[w]
                    r[w] = v if (v > b) | (v != v) else b
            o = op[oh]
            if sw == 2:     # _col_max written out with a literal stride: LLVM loads the pairs as vectors (2x)
                for ow in range(o.size):
                    o[ow] = t[ow * 2]
                for j in range(1, kw):
                    for ow in range(o.size):
                        v, b = t[ow * 2 + j], o[ow]
                        o[ow] = v if (v > b) | (v != v) else b
            else:
                _col_max(t, o, kw, sw)


@jit
def _col_argmax(t, tr, o, br, bc, kw, sw):
    """Over each window of columns, from each column's maximum t and its row tr: the maximum o, its row br and
    column bc, as _max_fwd's row-major scan finds them: a column replaces the best so far (of a lower column) if
    greater, or equal at a lower row, or a NaN at a row not lower (the last NaN). Padding columns are -inf at a
    row past every real one, so a real column always wins. Selects, not branches: the loops vectorise."""
    for ow in range(o.size):
        o[ow], br[ow], bc[ow] = t[ow * sw], tr[ow * sw], ow * sw
    for j in range(1, kw):
        for ow in range(o.size):
            c = ow * sw + j
            v, r, b, rb = t[c], tr[c], o[ow], br[ow]
            take = ((v != v) & ((b == b) | (r >= rb))) | (v > b) | ((v == b) & (r < rb))
            o[ow] = v if take else b
            br[ow] = r if take else rb
            bc[ow] = c if take else bc[ow]


@twins(_MAX_PAR_MIN, loop=lambda x, hs, he, kw, sw, pw, out, idx: x.shape[0])
def _max_rows_idx(x, hs, he, kw, sw, pw, out, idx):
    """_max_rows with the argmax, the same as _max_fwd's: each column's first maximum (last NaN) over the window's
    rows, then the window's row-major first over those columns (see _col_argmax)."""
    H, W, OW = x.shape[1], x.shape[2], out.shape[2]
    for p in prange(x.shape[0]):
        n = _row_length(W, OW, kw, sw, pw)
        t, tr = np.full(n, -np.inf, x.dtype), np.full(n, H, idx.dtype)
        br, bc = np.empty(OW, idx.dtype), np.empty(OW, idx.dtype)
        r, rr = t[pw:pw + W], tr[pw:pw + W]
        xp, op, ip = x[p], out[p], idx[p]
        for oh in range(op.shape[0]):
            h0 = hs[oh]
            r[:] = xp[h0]
            rr[:] = h0
            for h in range(h0 + 1, he[oh]):
                row, hi = xp[h], idx.dtype.type(h)
                for w in range(W):
                    v, b, a = row[w], r[w], rr[w]
                    take = (v > b) | (v != v)
                    r[w] = v if take else b
                    rr[w] = hi if take else a
            o = op[oh]
            if sw == 2:     # _col_argmax written out with a literal stride (see _max_rows)
                for ow in range(o.size):
                    o[ow], br[ow], bc[ow] = t[ow * 2], tr[ow * 2], ow * 2
                for j in range(1, kw):
                    for ow in range(o.size):
                        c = ow * 2 + j
                        v, rv, b, rb = t[c], tr[c], o[ow], br[ow]
                        take = ((v != v) & ((b == b) | (rv >= rb))) | (v > b) | ((v == b) & (rv < rb))
                        o[ow] = v if take else b
                        br[ow] = rv if take else rb
                        bc[ow] = c if take else bc[ow]
            else:
                _col_argmax(t, tr, o, br, bc, kw, sw)
            io = ip[oh]
            for ow in range(OW):
                io[ow] = br[ow] * W + bc[ow] - pw


@twins(_MAX22_PAR_MIN, loop=lambda x, out: x.shape[0])
def _max_fwd22_values(x, out):
    """_max_fwd22 without the argmax: on short rows (MNIST's 26) one pass beats _max_rows' four."""
    for p in prange(x.shape[0]):
        xp, op = x[p], out[p]
        for oh in range(op.shape[0]):
            r0, r1, o = xp[2 * oh], xp[2 * oh + 1], op[oh]
            for ow in range(op.shape[1]):
                w = 2 * ow
                b, v = r0[w], r0[w + 1]
                b = v if (v > b) | (v != v) else b
                v = r1[w]
                b = v if (v > b) | (v != v) else b
                v = r1[w + 1]
                o[ow] = v if (v > b) | (v != v) else b


@twins(_PAR_MIN, loop=lambda g, idx, reach, out: g.shape[0])
def _scatter(g, idx, reach, out):
    """out[p] = 0, then out[p].flat[idx[p, oh, ow]] += g[p, oh, ow] in output order (PyTorch's order of the sums); g,
    idx (planes, OH, OW), out (planes, H, W). A row of the plane is zeroed just before the adds of the first output
    row that can reach it (reach[oh]: one past the last row output rows <= oh can reach), so it is zeroed and added
    to while in L1: 10-20% faster than zeroing the whole plane first (8x64x112x112, 3x3/2)."""
    H, W = out.shape[1], out.shape[2]
    z = out.dtype.type(0)
    for p in prange(g.shape[0]):
        gp, ip, op = g[p], idx[p], out[p]
        flat = op.reshape(H * W)
        done = 0
        for oh in range(gp.shape[0]):
            for h in range(done, reach[oh]):
                row = op[h]
                for w in range(W):      # indices known >= 0: a memset (flat indices were 1.6x slower)
                    row[w] = z
            done = max(done, reach[oh])
            gr, ir = gp[oh], ip[oh]
            for ow in range(gr.size):
                flat[ir[ow]] += gr[ow]
        for h in range(done, H):
            row = op[h]
            for w in range(W):
                row[w] = z


@twins(_PAR_MIN, loop=lambda g, idx, out: g.shape[0])
def _scatter22(g, idx, out):
    """The scatter of a kernel-2 stride-2 max pool: each input once, so every element written, none added."""
    W = out.shape[2]
    for p in prange(g.shape[0]):
        gp, ip, op = g[p], idx[p], out[p]
        for oh in range(gp.shape[0]):
            r0, r1 = op[2 * oh], op[2 * oh + 1]
            base = 2 * oh * W
            for ow in range(gp.shape[1]):
                w = 2 * ow
                j, v, z = ip[oh, ow] - base, gp[oh, ow], out.dtype.type(0)
                r0[w] = v if j == w else z
                r0[w + 1] = v if j == w + 1 else z
                r1[w] = v if j == W + w else z
                r1[w + 1] = v if j == W + w + 1 else z


@twins(_PAR_MIN, loop=lambda x, hs, he, ws, we, div, out: x.shape[0])
def _avg_fwd(x, hs, he, ws, we, div, out):
    for p in prange(x.shape[0]):
        xp, op = x[p], out[p]
        for oh in range(op.shape[0]):
            for ow in range(op.shape[1]):
                s = out.dtype.type(0)
                for h in range(hs[oh], he[oh]):
                    for w in range(ws[ow], we[ow]):
                        s += xp[h, w]
                op[oh, ow] = s / div[oh, ow]


@twins(_PAR_MIN, loop=lambda g, hs, he, ws, we, div, out: g.shape[0])
def _avg_bwd(g, hs, he, ws, we, div, out):
    """The adjoint of _avg_fwd: out (planes, H, W) zeroed."""
    for p in prange(g.shape[0]):
        gp, op = g[p], out[p]
        for oh in range(gp.shape[0]):
            for ow in range(gp.shape[1]):
                v = gp[oh, ow] / div[oh, ow]
                for h in range(hs[oh], he[oh]):
                    for w in range(ws[ow], we[ow]):
                        op[h, w] += v


@twins(_PAR_MIN, loop=lambda x, div, out: x.shape[0])
def _avg_fwd22(x, div, out):
    """_avg_fwd of kernel 2, stride 2, no padding: the same sums, in the same order."""
    for p in prange(x.shape[0]):
        xp, op = x[p], out[p]
        for oh in range(op.shape[0]):
            r0, r1, o, d = xp[2 * oh], xp[2 * oh + 1], op[oh], div[oh]
            for ow in range(op.shape[1]):
                w = 2 * ow
                o[ow] = (r0[w] + r0[w + 1] + r1[w] + r1[w + 1]) / d[ow]


@twins(_PAR_MIN, loop=lambda g, div, out: g.shape[0])
def _avg_bwd22(g, div, out):
    """_avg_bwd of kernel 2, stride 2, no padding: every input written once (an odd last row or column: 0)."""
    W = out.shape[2]
    for p in prange(g.shape[0]):
        gp, op = g[p], out[p]
        OH, OW = gp.shape
        for oh in range(OH):
            r0, r1, gr, d = op[2 * oh], op[2 * oh + 1], gp[oh], div[oh]
            for ow in range(OW):
                v = gr[ow] / d[ow]
                r0[2 * ow] = v
                r0[2 * ow + 1] = v
                r1[2 * ow] = v
                r1[2 * ow + 1] = v
            for w in range(2 * OW, W):
                r0[w] = 0
                r1[w] = 0
        for h in range(2 * OH, out.shape[1]):
            op[h] = 0


@twins(_PAR_MIN, loop=lambda x, out: x.shape[0])
def _plane_mean(x, out):
    """out[p] = the mean of row p of x (planes, H * W): the global average pool."""
    n = x.shape[1]
    for p in prange(x.shape[0]):
        xp, s = x[p], out.dtype.type(0)
        for j in range(n):
            s += xp[j]
        out[p] = s / out.dtype.type(n)


@twins(_PAR_MIN, loop=lambda g, out: out.shape[0])
def _plane_fill(g, out):
    """out[p, :] = g[p] / (H * W): the global average pool's backward."""
    for p in prange(out.shape[0]):
        out[p] = g[p] / out.dtype.type(out.shape[1])


@jit
def _avg_div(hp, wp, hs, he, ws, we, include_pad, divisor, out):
    for oh in range(out.shape[0]):
        for ow in range(out.shape[1]):
            if divisor:
                out[oh, ow] = divisor
            elif include_pad:
                out[oh, ow] = hp[oh] * wp[ow]
            else:
                out[oh, ow] = (he[oh] - hs[oh]) * (we[ow] - ws[ow])


# ---- the table's functions ---------------------------------------------------------------------------------------

def _planes(op, x):
    """x (..., H, W) as a C-contiguous (planes, H, W) array."""
    (x,) = check(op, x)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected an array (..., H, W), got shape {x.shape}")
    return np.ascontiguousarray(x).reshape(-1, *x.shape[-2:])


def _index_type(h, w):
    return np.int32 if h * w < 2 ** 31 else np.int64


def _max_forward(op, x, hs, he, ws, we, dh, dw, rows=None, indices=True, fast=False):
    """rows: None (the general kernel), else (kw, sw, pw) of a dilation-1 pool (the row kernels); fast: kernel 2
    stride 2 unpadded (its own loops with indices). indices False: the argmax is None."""
    lead, (h, w) = x.shape[:-2], x.shape[-2:]
    xs = _planes(op, x)
    shape = (xs.shape[0], len(hs), len(ws))
    out = np.empty(shape, xs.dtype)
    idx = np.empty(shape, _index_type(h, w)) if indices or rows is None else None
    if out.size:
        if rows is None:
            _max_fwd(xs, hs, he, ws, we, dh, dw, out, idx)
        elif fast:
            _max_fwd22(xs, out, idx) if indices else _max_fwd22_values(xs, out)
        elif not indices:
            _max_rows(xs, hs, he, *rows, out)
        else:
            _max_rows_idx(xs, hs, he, *rows, out, idx)
    return out.reshape(lead + shape[1:]), None if idx is None or not indices else idx.reshape(lead + shape[1:])


def _reach(first, end, h):
    """Per output row, one past the last input row that output rows up to it can hold an argmax in (a window with
    no tap inside holds its first row, clipped: _max_fwd), for _scatter."""
    return np.maximum.accumulate(np.maximum(end, np.minimum(first, h - 1) + 1)) if len(end) else end


def _max_backward(op, g, idx, in_size, rows=None, fast=False):
    """rows(OH): (first, end) of the windows' input rows per output row (max_windows, adaptive_windows); None: any
    row (the plane zeroed first)."""
    gs = _planes(op, g)
    ids = np.ascontiguousarray(idx).reshape(gs.shape)
    # the result is the array itself, not a view of one: autograd.grad and .grad then take it without a copy
    dx = np.empty(g.shape[:-2] + tuple(in_size), gs.dtype)
    if fast and 2 * gs.shape[1] == in_size[0] and 2 * gs.shape[2] == in_size[1]:
        if dx.size:
            _scatter22(gs, ids, dx.reshape(gs.shape[0], *in_size))
    elif gs.size:
        reach = np.full(gs.shape[1], in_size[0]) if rows is None else _reach(*rows(gs.shape[1]), in_size[0])
        _scatter(gs, ids, reach, dx.reshape(gs.shape[0], *in_size))
    else:
        dx[...] = 0
    return dx


def _fast(kernel, stride, padding, dilation, in_size, out_size):
    """Kernel 2, stride 2, unpadded, and every window inside the input (ceil_mode's partial last ones are not)."""
    return (tuple(kernel) == (2, 2) and tuple(stride) == (2, 2) and not any(padding) and tuple(dilation) == (1, 1)
            and 2 * out_size[0] <= in_size[0] and 2 * out_size[1] <= in_size[1])


def max_pool2d_forward(x, kernel, stride, padding, dilation, out_size, indices=True):
    """(max over each window, argmax as a flat index into its H*W plane) of x (..., H, W); kernel, stride,
    padding, dilation, out_size: (h, w) pairs, already checked (out_size from PyTorch's formula). indices=False:
    no argmax (None), for a pool nothing will differentiate."""
    h, w = x.shape[-2:]
    hs, he = max_windows(h, out_size[0], kernel[0], stride[0], padding[0], dilation[0])
    ws, we = max_windows(w, out_size[1], kernel[1], stride[1], padding[1], dilation[1])
    rows = (kernel[1], stride[1], padding[1]) if tuple(dilation) == (1, 1) else None
    return _max_forward("max_pool2d_forward", x, hs, he, ws, we, dilation[0], dilation[1], rows, indices,
                        _fast(kernel, stride, padding, dilation, (h, w), out_size))


def max_pool2d_backward(g, idx, in_size, kernel, stride, padding, dilation):
    """dL/dx (..., *in_size) of max_pool2d_forward from g = dL/dy: g added at each argmax."""
    rows = lambda oh: max_windows(in_size[0], oh, kernel[0], stride[0], padding[0], dilation[0])  # noqa: E731
    return _max_backward("max_pool2d_backward", g, idx, in_size, rows,
                         _fast(kernel, stride, padding, dilation, in_size, g.shape[-2:]))


def _avg_setup(x_size, out_size, kernel, stride, padding, count_include_pad, divisor_override, dtype):
    hs, he, hp = avg_windows(x_size[0], out_size[0], kernel[0], stride[0], padding[0])
    ws, we, wp = avg_windows(x_size[1], out_size[1], kernel[1], stride[1], padding[1])
    div = np.empty(tuple(out_size), dtype)
    _avg_div(hp, wp, hs, he, ws, we, bool(count_include_pad), int(divisor_override or 0), div)
    return hs, he, ws, we, div


def avg_pool2d_forward(x, kernel, stride, padding, out_size, count_include_pad, divisor_override):
    """The mean over each window of x (..., H, W), divided as PyTorch's avg_pool2d does (divisor_override: None
    or a nonzero int)."""
    xs = _planes("avg_pool2d_forward", x)
    hs, he, ws, we, div = _avg_setup(x.shape[-2:], out_size, kernel, stride, padding, count_include_pad,
                                     divisor_override, xs.dtype)
    out = np.empty((xs.shape[0], *out_size), xs.dtype)
    if out.size:
        if _fast(kernel, stride, padding, (1, 1), x.shape[-2:], out_size):
            _avg_fwd22(xs, div, out)
        else:
            _avg_fwd(xs, hs, he, ws, we, div, out)
    return out.reshape(x.shape[:-2] + tuple(out_size))


def avg_pool2d_backward(g, in_size, kernel, stride, padding, count_include_pad, divisor_override):
    """dL/dx (..., *in_size) of avg_pool2d_forward from g = dL/dy (its adjoint)."""
    gs = _planes("avg_pool2d_backward", g)
    hs, he, ws, we, div = _avg_setup(in_size, g.shape[-2:], kernel, stride, padding, count_include_pad,
                                     divisor_override, gs.dtype)
    fast = _fast(kernel, stride, padding, (1, 1), in_size, g.shape[-2:]) and gs.size
    dx = (np.empty if fast else np.zeros)(g.shape[:-2] + tuple(in_size), gs.dtype)     # no view: see _max_backward
    if fast:
        _avg_bwd22(gs, div, dx.reshape(gs.shape[0], *in_size))
    elif gs.size:
        _avg_bwd(gs, hs, he, ws, we, div, dx.reshape(gs.shape[0], *in_size))
    return dx


def adaptive_max_pool2d_forward(x, out_size, indices=True):
    """(max, flat argmax) over the adaptive windows of x (..., H, W) for an output of out_size (h, w); indices=False:
    the argmax is None."""
    hs, he = adaptive_windows(x.shape[-2], out_size[0])
    ws, we = adaptive_windows(x.shape[-1], out_size[1])
    return _max_forward("adaptive_max_pool2d_forward", x, hs, he, ws, we, 1, 1, indices=indices)


def adaptive_max_pool2d_backward(g, idx, in_size):
    """dL/dx (..., *in_size) of adaptive_max_pool2d_forward: g added at each argmax."""
    return _max_backward("adaptive_max_pool2d_backward", g, idx, in_size, lambda oh: adaptive_windows(in_size[0], oh))


def _adaptive_avg_setup(in_size, out_size, dtype):
    hs, he = adaptive_windows(in_size[0], out_size[0])
    ws, we = adaptive_windows(in_size[1], out_size[1])
    return hs, he, ws, we, np.multiply.outer(he - hs, we - ws).astype(dtype)


def adaptive_avg_pool2d_forward(x, out_size):
    """The mean over the adaptive windows of x (..., H, W) for an output of out_size (h, w)."""
    xs = _planes("adaptive_avg_pool2d_forward", x)
    out = np.empty((xs.shape[0], *out_size), xs.dtype)
    if out.size and tuple(out_size) == (1, 1):
        _plane_mean(xs.reshape(xs.shape[0], -1), out.reshape(-1))
    elif out.size:
        _avg_fwd(xs, *_adaptive_avg_setup(x.shape[-2:], out_size, xs.dtype), out)
    return out.reshape(x.shape[:-2] + tuple(out_size))


def adaptive_avg_pool2d_backward(g, in_size):
    """dL/dx (..., *in_size) of adaptive_avg_pool2d_forward from g = dL/dy."""
    gs = _planes("adaptive_avg_pool2d_backward", g)
    fill = gs.shape[1:] == (1, 1) and gs.size
    dx = (np.empty if fill else np.zeros)(g.shape[:-2] + tuple(in_size), gs.dtype)     # no view: see _max_backward
    if fill:
        _plane_fill(gs.reshape(-1), dx.reshape(gs.shape[0], -1))
    elif gs.size:
        _avg_bwd(gs, *_adaptive_avg_setup(in_size, g.shape[-2:], gs.dtype), dx.reshape(gs.shape[0], *in_size))
    return dx


PATHS = {name: ("numba",) for name in __all__}
