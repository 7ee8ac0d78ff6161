"""CPU kernels: batch norm and group norm (layer norm is group norm of one group over (rows, D)), forward and backward.

Batch norm runs over x viewed as (N, C, S), in parallel over channels: per channel one pass for the statistics and
one fused pass for the output (forward) or for dx (backward, which first sums g and g * (x - mean) in one pass).
A channel's N * S elements are contiguous runs of S; its second pass re-reads them from cache. Statistics
accumulate in float64, shifted by the channel's first element (stable one-pass variance). Inputs with short runs
(S < SHORT, e.g. (N, C)) are transposed to (1, C, N * S) first.
Group norm runs over (N * G rows of K * S): one row per (sample, group), the affine per channel; its backward sums
per channel into float64 partials per chunk of rows (dweight, dbias) while it writes dx.
"""
import numpy as np

from ._jit import PAR_MIN, check, jit, prange, twins

SHORT = 32          # runs shorter than this are transposed first: strided per-channel loops would crawl
CHUNKS = 16         # chunks of rows of group norm's backward: each has its own dweight/dbias partials
# The other kernels here stay at PAR_MIN: right after a 2-thread product, as in a network, their parallel twins were
# slower than serial up to 3.2M elements (benchmarks/bench_conv_threads.py kernels, RESULTS.md, issue 16).
_BN_TRAIN_PAR_MIN = min(PAR_MIN, 1 << 18)   # alone after a product 0.94x at 3.2M, but in DenseNet's frozen step at 2
# threads the parallel twin from 256K elements took 4-15% less batch-norm time than from 4M in each of 6 paired runs
_BN_BWD_PAR_MIN = min(PAR_MIN, 1 << 21)     # alone 1.6-1.8x from 1.6M; right after a product 3.2M and 6.4M alike
# (0.95-1.63x and 0.97-1.53x in repeated runs), 0.96x at 0.8M (benchmarks/bench_pool_bn.py kernels)
_GN_BWD_PAR_MIN = min(PAR_MIN, 1 << 21)     # ~6x the work per element of the forward: 1.09x at 1.6M, 1.30x at 3.2M

__all__ = ["batch_norm_forward", "batch_norm_backward", "group_norm_forward", "group_norm_backward"]


@twins(_BN_TRAIN_PAR_MIN, loop=lambda x, w, b, eps, relu, mean, var, y: y.shape[1])
def _bn_train_fwd(x, w, b, eps, relu, mean, var, y):
    n_, s_, c_ = x.shape[0], x.shape[2], y.shape[1]     # x may have more channels: y's are the first (see _as3)
    cnt = n_ * s_
    for c in prange(c_):
        k = np.float64(x[0, c, 0])
        s1 = 0.0
        s2 = 0.0
        for n in range(n_):
            xr = x[n, c]
            for s in range(s_):
                t = np.float64(xr[s]) - k
                s1 += t
                s2 += t * t
        d = s1 / cnt
        v = max(s2 / cnt - d * d, 0.0)
        mean[c] = k + d
        var[c] = v
        _bn_affine(x, c, x.dtype.type(k + d), w[c] / np.sqrt(v + eps), b[c], relu, y)


@twins(PAR_MIN, loop=lambda x, w, b, eps, relu, mean, var, y: y.shape[1])
def _bn_eval_fwd(x, w, b, eps, relu, mean, var, y):
    for c in prange(y.shape[1]):
        _bn_affine(x, c, mean[c], w[c] / np.sqrt(np.float64(var[c]) + eps), b[c], relu, y)


@jit
def _bn_affine(x, c, m, scale, bias, relu, y):
    """y[:, c] = (x[:, c] - m) * scale + bias, then max(., 0) (NaN kept) where relu: the ReLU after the norm in
    the same pass."""
    a = x.dtype.type(scale)
    zero = x.dtype.type(0)
    for n in range(x.shape[0]):
        xr, yr = x[n, c], y[n, c]
        if relu:
            for s in range(x.shape[2]):
                v = (xr[s] - m) * a + bias
                yr[s] = zero if v < zero else v
        else:
            for s in range(x.shape[2]):
                yr[s] = (xr[s] - m) * a + bias


@twins(_BN_BWD_PAR_MIN, loop=lambda g, x, mean, invstd, w, training, y, relu, dw, db, dx: x.shape[1])
def _bn_bwd(g, x, mean, invstd, w, training, y, relu, dw, db, dx):
    """relu: g is the gradient of relu(batch norm) = y, taken where y > 0 only (the ReLU's backward, fused). Each
    pass is a function of its own, its relu test outside the loops: written inline, LLVM vectorised them worse
    (2.1x slower at 8x1024x7x7, 1.25x at 8x512x14x14, the same at 56x56: benchmarks/bench_pool_bn.py)."""
    n_, c_, s_ = x.shape
    cnt = n_ * s_
    for c in prange(c_):
        m = mean[c]
        r = np.float64(invstd[c])
        sg, sgx = _bn_grad_sums(g, x, y, relu, c, m)
        db[c] = sg
        dw[c] = sgx * r
        a = w[c] * r
        # dx = a * (g - mean(g) - xhat * mean(g * xhat)) in training; a * g with fixed statistics
        q = x.dtype.type(a * r * r * sgx / cnt if training else 0.0)
        o = x.dtype.type(a * sg / cnt if training else 0.0)
        _bn_dx(g, x, y, relu, c, m, x.dtype.type(a), q, o, dx)


@jit
def _bn_grad_sums(g, x, y, relu, c, m):
    """(sum of g, sum of g * (x - m)) over channel c in float64; g taken where y > 0 only if relu."""
    zero = x.dtype.type(0)
    sg = 0.0
    sgx = 0.0
    for n in range(x.shape[0]):
        xr, gr, yr = x[n, c], g[n, c], y[n, c]
        if relu:
            for s in range(x.shape[2]):
                gv = np.float64(gr[s] if yr[s] > zero else zero)
                sg += gv
                sgx += gv * np.float64(xr[s] - m)
        else:
            for s in range(x.shape[2]):
                gv = np.float64(gr[s])
                sg += gv
                sgx += gv * np.float64(xr[s] - m)
    return sg, sgx


@jit
def _bn_dx(g, x, y, relu, c, m, p, q, o, dx):
    """dx[:, c] = g * p - (x - m) * q - o (g taken where y > 0 only if relu)."""
    zero = x.dtype.type(0)
    for n in range(x.shape[0]):
        xr, gr, yr, dr = x[n, c], g[n, c], y[n, c], dx[n, c]
        if relu:
            for s in range(x.shape[2]):
                dr[s] = (gr[s] if yr[s] > zero else zero) * p - (xr[s] - m) * q - o
        else:
            for s in range(x.shape[2]):
                dr[s] = gr[s] * p - (xr[s] - m) * q - o


@twins(PAR_MIN, loop=lambda x, groups, s_, w, b, eps, mean, rstd, y: x.shape[0])
def _gn_fwd(x, groups, s_, w, b, eps, mean, rstd, y):
    rows, length = x.shape
    k_ = length // s_
    for r in prange(rows):
        c0 = (r % groups) * k_
        k = np.float64(x[r, 0])
        s1 = 0.0
        s2 = 0.0
        for j in range(length):
            t = np.float64(x[r, j]) - k
            s1 += t
            s2 += t * t
        d = s1 / length
        rs = 1.0 / np.sqrt(max(s2 / length - d * d, 0.0) + eps)
        mean[r] = k + d
        rstd[r] = rs
        m = x.dtype.type(k + d)
        if s_ == 1:         # layer norm: the affine per element
            for j in range(length):
                y[r, j] = (x[r, j] - m) * x.dtype.type(w[c0 + j] * rs) + b[c0 + j]
        else:
            for kk in range(k_):
                scale = x.dtype.type(w[c0 + kk] * rs)
                bc = b[c0 + kk]
                xr, yr = x[r, kk * s_:(kk + 1) * s_], y[r, kk * s_:(kk + 1) * s_]
                for s in range(s_):
                    yr[s] = (xr[s] - m) * scale + bc


@twins(_GN_BWD_PAR_MIN, loop=lambda g, x, mean, rstd, w, groups, s_, dw, db, dx: dw.shape[0])
def _gn_bwd(g, x, mean, rstd, w, groups, s_, dw, db, dx):
    """dw, db: (chunks, C) float64 partials, zeroed; chunk i takes rows i, i + chunks, ..."""
    rows, length = x.shape
    k_ = length // s_
    chunks = dw.shape[0]
    for ch in prange(chunks):
        for r in range(ch, rows, chunks):
            c0 = (r % groups) * k_
            m = x.dtype.type(mean[r])
            rs = np.float64(rstd[r])
            sgw = 0.0
            sgwx = 0.0
            if s_ == 1:         # layer norm: one pass over the row, vectorised across its elements
                for j in range(length):
                    gv = np.float64(g[r, j])
                    xm = np.float64(x[r, j] - m)
                    gw = gv * np.float64(w[c0 + j])
                    sgw += gw
                    sgwx += gw * xm
                    db[ch, c0 + j] += gv
                    dw[ch, c0 + j] += gv * xm * rs
            for kk in range(k_ if s_ > 1 else 0):
                a = 0.0
                bb = 0.0
                for j in range(kk * s_, (kk + 1) * s_):
                    gv = np.float64(g[r, j])
                    a += gv
                    bb += gv * np.float64(x[r, j] - m)
                wc = np.float64(w[c0 + kk])
                db[ch, c0 + kk] += a
                dw[ch, c0 + kk] += bb * rs
                sgw += wc * a
                sgwx += wc * bb
            # dx = rs * (g * w - mean(g * w) - xhat * mean(g * w * xhat)) over the row
            q = x.dtype.type(rs * rs * rs * sgwx / length)
            o = x.dtype.type(rs * sgw / length)
            if s_ == 1:
                for j in range(length):
                    dx[r, j] = g[r, j] * x.dtype.type(w[c0 + j] * rs) - (x[r, j] - m) * q - o
            else:
                for kk in range(k_):
                    p = x.dtype.type(w[c0 + kk] * rs)
                    for j in range(kk * s_, (kk + 1) * s_):
                        dx[r, j] = g[r, j] * p - (x[r, j] - m) * q - o


@twins(PAR_MIN, loop=lambda x, w, b, eps, mean, rstd, y: x.shape[0])
def _ln_fwd(x, w, b, eps, mean, rstd, y):
    """Group norm of one group over rows (rows, D) with S = 1 (layer norm): the affine per element, in x's dtype
    (a float64 product per element would not vectorise as well)."""
    rows, d = x.shape
    for r in prange(rows):
        xr, yr = x[r], y[r]
        k = np.float64(xr[0])
        s1 = 0.0
        s2 = 0.0
        for j in range(d):
            t = np.float64(xr[j]) - k
            s1 += t
            s2 += t * t
        dm = s1 / d
        rs = 1.0 / np.sqrt(max(s2 / d - dm * dm, 0.0) + eps)
        mean[r] = k + dm
        rstd[r] = rs
        m = x.dtype.type(k + dm)
        a = x.dtype.type(rs)
        for j in range(d):
            yr[j] = (xr[j] - m) * a * w[j] + b[j]


@twins(PAR_MIN, loop=lambda g, x, mean, rstd, w, dw, db, dx: dw.shape[0])
def _ln_bwd(g, x, mean, rstd, w, dw, db, dx):
    """_ln_fwd's backward: per row one pass for its sums, one for dx and the float64 dweight/dbias partials of
    its chunk (dw, db: (chunks, D), zeroed; chunk i takes a block of consecutive rows)."""
    rows, d = x.shape
    chunks = dw.shape[0]
    per = -(-rows // chunks)
    for ch in prange(chunks):
        dwc, dbc = dw[ch], db[ch]
        for r in range(ch * per, min(rows, (ch + 1) * per)):
            gr, xr, dr = g[r], x[r], dx[r]
            m = x.dtype.type(mean[r])
            rs = np.float64(rstd[r])
            sgw = 0.0
            sgwx = 0.0
            for j in range(d):
                gw = np.float64(gr[j] * w[j])
                sgw += gw
                sgwx += gw * np.float64(xr[j] - m)
            # dx = rs * (g * w - mean(g * w) - xhat * mean(g * w * xhat)) over the row
            a = x.dtype.type(rs)
            q = x.dtype.type(rs * rs * rs * sgwx / d)
            o = x.dtype.type(rs * sgw / d)
            for j in range(d):
                gv = gr[j]
                xm = xr[j] - m
                dbc[j] += gv
                dwc[j] += gv * (xm * a)
                dr[j] = gv * w[j] * a - xm * q - o


def _affine(w, b, c, dtype):
    """weight and bias as arrays of dtype (ones and zeros for None)."""
    w = np.ones(c, dtype) if w is None else np.ascontiguousarray(w, dtype)
    b = np.zeros(c, dtype) if b is None else np.ascontiguousarray(b, dtype)
    return w, b


def _as3(x):
    """x (N, C, *) as a C-contiguous (N, C, S) array, and whether it was transposed to (1, C, N * S) (short runs)."""
    n, c = x.shape[:2]
    s = x.size // (n * c) if n * c else 0
    if s < SHORT and n > 1:
        return np.ascontiguousarray(np.moveaxis(x.reshape(n, c, s), 1, 0)).reshape(1, c, n * s), True
    return np.ascontiguousarray(x).reshape(n, c, s), False


def _as3_prefix(x):
    """x (N, C, *) as a C-contiguous (N, C', S) array whose first C channels are x's, C' >= C: a view where x is the
    first channels of a contiguous (N, C', *) array (DenseNet's block buffer, x[:, :C]), which kernels that loop
    over their output's channels read without a copy; else _as3(x)."""
    n, c = x.shape[:2]
    s = x.size // (n * c) if n * c else 0
    item = x.itemsize
    if (x.flags.c_contiguous or s < SHORT or x.ndim < 3 or not x[0].flags.c_contiguous
            or x.strides[0] % (s * item) or x.strides[0] < c * s * item or type(x.base) is not np.ndarray):
        return _as3(x)
    full = x.strides[0] // (s * item)
    lo, hi = _byte_bounds(x.base)
    if x.ctypes.data < lo or x.ctypes.data + ((n - 1) * full + full) * s * item > hi:
        return _as3(x)      # the channels after x's in its last sample are not in its buffer
    return np.lib.stride_tricks.as_strided(x, (n, full, s), (x.strides[0], s * item, item), writeable=False), False


def _byte_bounds(a):
    """The first and one-past-the-last byte addresses of a's memory."""
    lo = hi = a.ctypes.data
    for extent, stride in zip(a.shape, a.strides):
        if extent == 0:
            return lo, lo
        if stride < 0:
            lo += (extent - 1) * stride
        else:
            hi += (extent - 1) * stride
    return lo, hi + a.itemsize


def _out3(x, transposed):
    """(out, out3): a new array of x's shape, the result, and the (N, C, S) array a kernel writes (out's view, or
    (1, C, N * S) when transposed, see _as3). The result is no view: autograd.grad and .grad take it without a copy."""
    n, c = x.shape[:2]
    out = np.empty(x.shape, x.dtype)
    return out, (np.empty((1, c, x.size // c), x.dtype) if transposed else out.reshape(n, c, -1))


def _back(out3, out, transposed):
    """out, filled from the kernel's out3 (_out3)."""
    if transposed:
        n, c = out.shape[:2]
        out.reshape(n, c, -1)[...] = np.moveaxis(out3.reshape(c, n, -1), 0, 1)
    return out


def _check_bn(op, x, *arrays):
    (x,) = check(op, x)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected x of shape (N, C, *), got {list(x.shape)}")
    c = x.shape[1]
    for a in arrays:
        if a is not None and np.shape(a) != (c,):
            raise ValueError(f"{op}: expected per-channel arrays of shape ({c},), got {list(np.shape(a))}")
    return x


def batch_norm_forward(x, weight, bias, mean=None, var=None, eps=1e-5, relu=False):
    """(y, mean, var) for x (N, C, *): y = (x - mean) / sqrt(var + eps) * weight + bias per channel. mean and var
    None: the batch's (var biased), computed and returned; else the given (running) statistics. weight/bias None:
    1 and 0. mean and var come back in x's dtype. relu: y = max(y, 0) (NaN kept) in the same pass."""
    x = _check_bn("batch_norm_forward", x, weight, bias, mean, var)
    c = x.shape[1]
    w, b = _affine(weight, bias, c, x.dtype)
    if x.size == 0:
        nan = np.full(c, np.nan, x.dtype)
        return np.empty(x.shape, x.dtype), (nan if mean is None else mean), (nan if var is None else var)
    x3, transposed = _as3_prefix(x)
    y, y3 = _out3(x, transposed)
    if mean is None:
        mean, var = np.empty(c, np.float64), np.empty(c, np.float64)
        _bn_train_fwd.pick(x.size)(x3, w, b, float(eps), bool(relu), mean, var, y3)
        mean, var = mean.astype(x.dtype), var.astype(x.dtype)
    else:
        _bn_eval_fwd.pick(x.size)(x3, w, b, float(eps), bool(relu), np.ascontiguousarray(mean, x.dtype),
                                  np.ascontiguousarray(var, x.dtype), y3)
    return _back(y3, y, transposed), mean, var


def batch_norm_backward(g, x, mean, invstd, weight, training=True, y=None):
    """(dx, dweight, dbias) of batch_norm_forward from g = dL/dy; mean, invstd = 1 / sqrt(var + eps) the statistics
    the forward used. training: they were the batch's (dx flows through them too). y: the output of
    batch_norm_forward(..., relu=True), g that of the ReLU: g counts where y > 0 only."""
    x = _check_bn("batch_norm_backward", x, mean, invstd, weight)
    (g, x) = check("batch_norm_backward", g, x) if y is None else check("batch_norm_backward", g, x, y)[:2]
    if g.shape != x.shape or (y is not None and np.shape(y) != x.shape):
        raise ValueError(f"batch_norm_backward: shapes must match, got {list(g.shape)}, {list(x.shape)}"
                         + ("" if y is None else f", {list(np.shape(y))}"))
    c = x.shape[1]
    w, _ = _affine(weight, None, c, x.dtype)
    dw, db = np.zeros(c, np.float64), np.zeros(c, np.float64)
    if x.size == 0:
        return np.zeros(x.shape, x.dtype), dw.astype(x.dtype), db.astype(x.dtype)
    x3, transposed = _as3(x)
    g3, _ = _as3(g)
    y3 = g3 if y is None else _as3(np.asarray(y))[0]
    dx, dx3 = _out3(x, transposed)
    _bn_bwd.pick(x.size)(g3, x3, np.ascontiguousarray(mean, x.dtype), np.ascontiguousarray(invstd, x.dtype), w,
                         bool(training), y3, y is not None, dw, db, dx3)
    return _back(dx3, dx, transposed), dw.astype(x.dtype), db.astype(x.dtype)


def _gn_rows(op, x, num_groups):
    (x,) = check(op, x)
    if x.ndim < 2 or num_groups < 1 or x.shape[1] % num_groups:
        raise ValueError(f"{op}: expected x (N, C, *) with C divisible by num_groups={num_groups}, "
                         f"got {list(x.shape)}")
    n, c = x.shape[:2]
    s = x.size // (n * c) if n * c else 0
    return np.ascontiguousarray(x).reshape(n * num_groups, -1), n, c, s


def group_norm_forward(x, num_groups, weight, bias, eps=1e-5):
    """(y, mean, rstd) for x (N, C, *): each sample's C / num_groups channels of a group normalized together, then
    weight/bias (C,) per channel (None: 1 and 0). mean, rstd: (N, num_groups) in x's dtype. Layer norm over the
    last D elements is this on x (rows, D) with num_groups=1."""
    x2, n, c, s = _gn_rows("group_norm_forward", x, num_groups)
    w, b = _affine(weight, bias, c, x.dtype)
    rows = n * num_groups
    mean, rstd = np.empty(rows, np.float64), np.empty(rows, np.float64)
    y = np.empty(x2.shape, x.dtype)
    if x2.size and s == 1 and num_groups == 1:
        _ln_fwd.pick(x.size)(x2, w, b, float(eps), mean, rstd, y)
    elif x2.size:
        _gn_fwd.pick(x.size)(x2, num_groups, s, w, b, float(eps), mean, rstd, y)
    else:
        mean[:], rstd[:] = np.nan, np.nan
    shape = (n, num_groups)
    return y.reshape(x.shape), mean.astype(x.dtype).reshape(shape), rstd.astype(x.dtype).reshape(shape)


def group_norm_backward(g, x, mean, rstd, weight, num_groups):
    """(dx, dweight, dbias) of group_norm_forward from g = dL/dy."""
    x2, n, c, s = _gn_rows("group_norm_backward", x, num_groups)
    (g, _) = check("group_norm_backward", g, x)
    if g.shape != x.shape:
        raise ValueError(f"group_norm_backward: shapes must match, got {list(g.shape)}, {list(x.shape)}")
    w, _ = _affine(weight, None, c, x.dtype)
    rows = n * num_groups
    chunks = max(1, min(CHUNKS, rows))
    dw, db = np.zeros((chunks, c), np.float64), np.zeros((chunks, c), np.float64)
    dx_x = np.empty(x.shape, x.dtype)         # the result, no view (see _out3); dx: the kernels' rows of it
    dx = dx_x.reshape(x2.shape)
    if x2.size and s == 1 and num_groups == 1:
        _ln_bwd.pick(x.size)(np.ascontiguousarray(g).reshape(x2.shape), x2,
                             np.ascontiguousarray(mean, x.dtype).reshape(-1),
                             np.ascontiguousarray(rstd, x.dtype).reshape(-1), w, dw, db, dx)
    elif x2.size:
        _gn_bwd.pick(x.size)(np.ascontiguousarray(g).reshape(x2.shape), x2,
                             np.ascontiguousarray(mean, x.dtype).reshape(-1),
                             np.ascontiguousarray(rstd, x.dtype).reshape(-1), w, num_groups, s, dw, db, dx)
    return dx_x, dw.sum(0).astype(x.dtype), db.sum(0).astype(x.dtype)


# ---- the NumPy formulas, for tests -----------------------------------------------------------------------------

def _np_bn_forward(x, weight, bias, mean=None, var=None, eps=1e-5, relu=False):
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    xd = x.astype(np.float64)
    if mean is None:
        mean, var = xd.mean(dims), xd.var(dims)
    y = (xd - np.reshape(mean, shape)) / np.sqrt(np.reshape(var, shape).astype(np.float64) + eps)
    if weight is not None:
        y = y * np.reshape(weight, shape)
    if bias is not None:
        y = y + np.reshape(bias, shape)
    if relu:
        y = np.where(y < 0, 0, y)
    return y.astype(x.dtype), np.asarray(mean, x.dtype), np.asarray(var, x.dtype)


def _np_bn_backward(g, x, mean, invstd, weight, training=True, y=None):
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    gd, xd = g.astype(np.float64), x.astype(np.float64)
    if y is not None:
        gd = np.where(y > 0, gd, 0)
    xhat = (xd - np.reshape(mean, shape)) * np.reshape(invstd, shape)
    w = np.ones(x.shape[1]) if weight is None else weight.astype(np.float64)
    gw = gd * w.reshape(shape)
    dx = gw * np.reshape(invstd, shape)
    if training:
        dx = np.reshape(invstd, shape) * (gw - gw.mean(dims, keepdims=True)
                                          - xhat * (gw * xhat).mean(dims, keepdims=True))
    return dx.astype(x.dtype), (gd * xhat).sum(dims).astype(x.dtype), gd.sum(dims).astype(x.dtype)


def _np_gn_forward(x, num_groups, weight, bias, eps=1e-5):
    n, c = x.shape[:2]
    xg = x.astype(np.float64).reshape(n, num_groups, -1)
    mean, var = xg.mean(2, keepdims=True), xg.var(2, keepdims=True)
    y = ((xg - mean) / np.sqrt(var + eps)).reshape(n, c, -1)
    if weight is not None:
        y = y * weight.reshape(1, c, 1)
    if bias is not None:
        y = y + bias.reshape(1, c, 1)
    return (y.reshape(x.shape).astype(x.dtype), mean.reshape(n, num_groups).astype(x.dtype),
            (1 / np.sqrt(var + eps)).reshape(n, num_groups).astype(x.dtype))


def _np_gn_backward(g, x, mean, rstd, weight, num_groups):
    n, c = x.shape[:2]
    xg = x.astype(np.float64).reshape(n, num_groups, -1)
    r = rstd.astype(np.float64).reshape(n, num_groups, 1)
    xhat = ((xg - mean.reshape(n, num_groups, 1)) * r).reshape(n, c, -1)
    gd = g.astype(np.float64).reshape(n, c, -1)
    w = np.ones(c) if weight is None else weight.astype(np.float64)
    gw = (gd * w.reshape(1, c, 1)).reshape(n, num_groups, -1)
    xh = xhat.reshape(n, num_groups, -1)
    dx = r * (gw - gw.mean(2, keepdims=True) - xh * (gw * xh).mean(2, keepdims=True))
    return (dx.reshape(x.shape).astype(x.dtype), (gd * xhat).sum((0, 2)).astype(x.dtype),
            gd.sum((0, 2)).astype(x.dtype))


PATHS = {
    "batch_norm_forward": {"numba": batch_norm_forward, "numpy": _np_bn_forward},
    "batch_norm_backward": {"numba": batch_norm_backward, "numpy": _np_bn_backward},
    "group_norm_forward": {"numba": group_norm_forward, "numpy": _np_gn_forward},
    "group_norm_backward": {"numba": group_norm_backward, "numpy": _np_gn_backward},
}
