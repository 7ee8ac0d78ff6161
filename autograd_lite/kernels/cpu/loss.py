"""cross_entropy (log-softmax and NLL fused, with class weights, ignore_index and label smoothing) and
nll_loss, forwards and backwards, over (rows, classes) arrays: x (R, C), target (R,) of class indices.

Per row r with target t (w = the class weights, or ones; eps = label_smoothing; lse = max + log-sum-exp):
    loss_r = (1 - eps) * w[t] * (lse - x[r, t]) + eps / C * sum_c w[c] * (lse - x[r, c]),  0 where t == ignore
    dloss_r/dx[r, j] = p_j * ((1 - eps) * w[t] + eps * sum(w) / C) - (1 - eps) * w[t] * [j == t] - eps / C * w[j]
with p = softmax(x[r]). The forwards also return the total weight sum(w[t]) over the rows not ignored (a
'mean' divides by it, as PyTorch does). Every kernel, backwards included, raises IndexError naming a target
outside [0, C) that is not ignore_index, and never reads or writes out of bounds. Sums accumulate in float64
(sums of float32 exp: over blocks of softmax.BLOCK columns, then in float64), the rest runs in the input's dtype.

Dispatch: cross_entropy_forward runs one numba pass per row (_ce_one_pass: max, exp and sum, softmax kept for
backward, loss) below SCALAR_EXP_MAX elements (one call instead of three), and from there on float32 rows of
softmax.FUSED_MIN columns or more, with _fastmath's vectorised exp. Otherwise, it runs a numba row pass (max,
shift, picked logit, smoothing sum), NumPy's SIMD exp in place and a numba row pass (log-sum-exp, losses,
normalise into the softmax): NumPy's SIMD exp outruns numba's scalar libm exp (float64) there. The backward is
one numba pass writing the gradient. The numba paths beat the NumPy formulas at every measured size; parallel
(over rows) from _jit.PAR_MIN elements. Figures (bench_losses.py --paths): benchmarks/RESULTS.md, "Loss kernels"
and Kernel design notes: loss.
"""
import numpy as np

from ._fastmath import exp, exp_nonpos, fence
from ._jit import PAR_MIN, check, jit, prange, rows, twins
from .softmax import BLOCK, _fused, _rowmax
from ..shapes import check_rows

SCALAR_EXP_MAX = 1 << 10  # elements; below, the one-pass kernel: one call instead of three outweighs its libm exp
_I64 = np.dtype(np.int64)
_NO_WEIGHT = {dt: np.empty(0, dt) for dt in (np.float32, np.float64)}  # weight None: a 0-size array, w[c] = 1


@jit
def _row_loss(ls, picked, wsh, wt, eps, wsum, n):
    """Row loss from log(sum(exp(sh))), sh[t], sum_c w[c] * sh[c] (sh = x - max), w[t], sum(w)."""
    loss = (1 - eps) * wt * (ls - picked)
    if eps != 0:
        loss += eps / n * (wsum * ls - wsh)
    return loss


@jit
def _kind(tr, ignore, n):
    """1: a class index in [0, n); 0: ignore_index; -1: out of bounds."""
    if tr == ignore:
        return 0
    return 1 if 0 <= tr < n else -1


@twins(PAR_MIN, loop=lambda x, *_: x.shape[0])
def _ce_shift(x, t, w, ignore, smooth, picked, wsh, sh):
    """sh = x - rowmax(x); picked[r] = sh[r, t_r]; wsh[r] = sum_c w[c] * sh[r, c] (only when smooth).
    Returns the number of targets out of bounds."""
    n = x.shape[1]
    nbad = 0
    for r in prange(x.shape[0]):
        m = _rowmax(x, r)
        for j in range(n):
            sh[r, j] = x[r, j] - m
        k = _kind(t[r], ignore, n)
        picked[r] = sh[r, t[r]] if k > 0 else 0
        if k < 0:
            nbad += 1
        if smooth:
            s = 0.0
            if w.size:
                for j in range(n):
                    s += w[j] * sh[r, j]
            else:
                for j in range(n):
                    s += sh[r, j]
            wsh[r] = s
    return nbad


@twins(PAR_MIN, loop=lambda t, w, ignore, eps, picked, wsh, losses, e: e.shape[0])
def _ce_finish(t, w, ignore, eps, picked, wsh, losses, e):
    """e = exp(sh) -> softmax, in place; losses[r] per _row_loss (0 where ignored). Returns the total weight."""
    n = e.shape[1]
    wsum = w.sum() if w.size else n
    total = 0.0
    for r in prange(e.shape[0]):
        s = 0.0
        for j in range(n):
            s += e[r, j]
        inv = e.dtype.type(1 / s)
        for j in range(n):
            e[r, j] *= inv
        tr = t[r]
        if tr == ignore:
            losses[r] = 0
            continue
        wt = w[tr] if w.size else 1.0
        total += wt
        losses[r] = _row_loss(np.log(s), picked[r], wsh[r], wt, eps, wsum, n)
    return total


@twins(PAR_MIN, loop=lambda x, *_: x.shape[0])
def _ce_one_pass(x, t, w, ignore, eps, losses, p):
    """The whole forward in one pass per row, with _fastmath's exp: vectorised for float32, numba's scalar
    libm exp for float64 (one call instead of three, for small inputs). Sums of exp in float32 blocks as in
    softmax.py. Returns (total weight, number of targets out of bounds)."""
    n = x.shape[1]
    wsum = w.sum() if w.size else n
    total = 0.0
    nbad = 0
    for r in prange(x.shape[0]):
        m = _rowmax(x, r)
        s = wsh = 0.0
        for b in range(0, n, BLOCK):
            xb, pb = x[r, b:b + BLOCK], p[r, b:b + BLOCK]
            sb = p.dtype.type(0)
            for j in range(xb.size):
                v = exp_nonpos(xb[j] - m)
                pb[j] = v
                sb += v
            s += sb
        if eps != 0:
            for j in range(n):
                wsh += (w[j] if w.size else 1.0) * fence(x[r, j] - m)
        inv = p.dtype.type(1 / s)
        for j in range(n):
            p[r, j] *= inv
        tr = t[r]
        k = _kind(tr, ignore, n)
        if k <= 0:
            losses[r] = 0
            if k < 0:
                nbad += 1
            continue
        wt = w[tr] if w.size else 1.0
        total += wt
        losses[r] = _row_loss(np.log(s), fence(x[r, tr] - m), wsh, wt, eps, wsum, n)  # see _fastmath.strict_sub
    return total, nbad


@twins(PAR_MIN, loop=lambda g, gstep, t, w, ignore, eps, p, logp, out: p.shape[0])
def _ce_bwd(g, gstep, t, w, ignore, eps, p, logp, out):
    """out = dloss/dx (see the module docstring) times g[r * gstep]; 0 on ignored rows. logp: p holds the
    log-probabilities (exponentiated here, in the same pass). Returns the number of targets out of bounds (their
    rows are zeros)."""
    n = p.shape[1]
    wsum = w.sum() if w.size else n
    zero = out.dtype.type(0)
    nbad = 0
    for r in prange(p.shape[0]):
        tr = t[r]
        k = _kind(tr, ignore, n)
        if k <= 0:
            for j in range(n):
                out[r, j] = zero
            if k < 0:
                nbad += 1
            continue
        gr = g[r * gstep]
        wt = w[tr] if w.size else 1.0
        a = out.dtype.type(((1 - eps) * wt + eps * wsum / n) * gr)
        c = out.dtype.type(eps / n * gr)
        if w.size:
            for j in range(n):
                out[r, j] = (exp(p[r, j]) if logp else p[r, j]) * a - c * w[j]
        else:
            for j in range(n):
                out[r, j] = (exp(p[r, j]) if logp else p[r, j]) * a - c
        out[r, tr] -= out.dtype.type((1 - eps) * wt * gr)
    return nbad


@jit
def _nll_fwd(x, t, w, ignore, losses):
    """Returns (total weight, number of targets out of bounds)."""
    n = x.shape[1]
    total = 0.0
    nbad = 0
    for r in range(x.shape[0]):
        tr = t[r]
        k = _kind(tr, ignore, n)
        if k <= 0:
            losses[r] = 0
            nbad += k < 0
            continue
        wt = w[tr] if w.size else 1.0
        total += wt
        losses[r] = -wt * x[r, tr]
    return total, nbad


@jit
def _nll_bwd(g, gstep, t, w, ignore, out):  # out: zeros (R, C)
    """Returns the number of targets out of bounds (left at zero)."""
    nbad = 0
    for r in range(out.shape[0]):
        tr = t[r]
        k = _kind(tr, ignore, out.shape[1])
        if k > 0:
            out[r, tr] = -(w[tr] if w.size else 1.0) * g[r * gstep]
        nbad += k < 0
    return nbad


# ---- the plain NumPy formulas -----------------------------------------------------------------

def _picked_np(t, w, ignore, n, dtype):
    """(rows kept, their targets, the weight of each row: w[t] or 0 where ignored)."""
    keep = t != ignore
    if (keep & ((t < 0) | (t >= n))).any():
        raise _out_of_bounds(t, n, ignore)
    tk = np.where(keep, t, 0)
    wt = (w[tk] if w.size else np.ones(t.shape, dtype)) * keep
    return keep, tk, wt


def _ce_forward_np(x, t, w, ignore, eps):
    r, n = x.shape
    keep, tk, wt = _picked_np(t, w, ignore, n, x.dtype)
    with np.errstate(invalid="ignore"):  # an all -inf row gives NaN silently, as on the numba path
        sh = x - x.max(1, keepdims=True, initial=-np.inf)
    e = np.exp(sh)
    s = e.sum(1, keepdims=True)
    logp = sh - np.log(s)
    losses = -(1 - eps) * wt * logp[np.arange(r), tk]
    if eps:
        losses -= eps / n * (logp @ (w if w.size else np.ones(n, x.dtype))) * keep
    return losses.astype(x.dtype), e / s, np.asarray(wt.sum(dtype=np.float64), x.dtype)


def _ce_backward_np(g, p, t, w, ignore, eps, log_probs=False):
    r, n = p.shape
    if log_probs:
        p = np.exp(p)
    keep, tk, wt = _picked_np(t, w, ignore, n, p.dtype)
    g = np.broadcast_to(g, (r,)) * keep
    wsum = w.sum() if w.size else n
    out = p * (((1 - eps) * wt + eps * wsum / n) * g)[:, None]
    out -= (eps / n * g)[:, None] * (w if w.size else 1)
    out[np.arange(r), tk] -= (1 - eps) * wt * g
    return out.astype(p.dtype)


def _nll_forward_np(x, t, w, ignore):
    keep, tk, wt = _picked_np(t, w, ignore, x.shape[1], x.dtype)
    return (-wt * x[np.arange(x.shape[0]), tk]).astype(x.dtype), np.asarray(wt.sum(dtype=np.float64), x.dtype)


def _nll_backward_np(g, t, w, ignore, n):
    keep, tk, wt = _picked_np(t, w, ignore, n, g.dtype)
    out = np.zeros((t.size, n), g.dtype)
    out[np.arange(t.size), tk] = -wt * np.broadcast_to(g, t.shape)
    return out


# ---- the numba paths --------------------------------------------------------------------------

def _out_of_bounds(t, n, ignore):
    """IndexError naming the first target out of bounds."""
    value = t[(t != ignore) & ((t < 0) | (t >= n))][0]
    return IndexError(f"Target {value} is out of bounds. Expected a class index in [0, {n - 1}] ({n} classes) "
                      f"or ignore_index ({ignore}).")


def _ce_forward_numba(x, t, w, ignore, eps):
    if _fused(x):
        return _ce_forward_one_pass(x, t, w, ignore, eps)
    p = np.empty_like(x)
    losses, picked, wsh = (np.empty(x.shape[0], x.dtype) for _ in range(3))
    if _ce_shift(x, t, w, ignore, eps != 0, picked, wsh, p):
        raise _out_of_bounds(t, x.shape[1], ignore)
    np.exp(p, out=p)  # NumPy's SIMD exp: numba's is a scalar libm call
    total = _ce_finish(t, w, ignore, eps, picked, wsh, losses, p)
    return losses, p, np.asarray(total, x.dtype)


def _ce_forward_one_pass(x, t, w, ignore, eps):
    p, losses = np.empty_like(x), np.empty(x.shape[0], x.dtype)
    total, nbad = _ce_one_pass(x, t, w, ignore, eps, losses, p)
    if nbad:
        raise _out_of_bounds(t, x.shape[1], ignore)
    return losses, p, np.asarray(total, x.dtype)


def _ce_backward_numba(g, p, t, w, ignore, eps, log_probs=False):
    out = np.empty_like(p)
    if _ce_bwd(g.reshape(-1), int(g.ndim == 1), t, w, ignore, eps, p, bool(log_probs), out):
        raise _out_of_bounds(t, p.shape[1], ignore)
    return out


def _nll_forward_numba(x, t, w, ignore):
    losses = np.empty(x.shape[0], x.dtype)
    total, nbad = _nll_fwd(x, t, w, ignore, losses)
    if nbad:
        raise _out_of_bounds(t, x.shape[1], ignore)
    return losses, np.asarray(total, x.dtype)


def _nll_backward_numba(g, t, w, ignore, n):
    out = np.zeros((t.size, n), g.dtype)
    if _nll_bwd(g.reshape(-1), int(g.ndim == 1), t, w, ignore, out):
        raise _out_of_bounds(t, n, ignore)
    return out


# op: {path: fn}, each on checked arguments (x as C-contiguous rows, w an array); the dispatchers below
# pick one, tests and benchmarks/bench_losses.py call each.
PATHS = {
    "cross_entropy_forward": {"numba": _ce_forward_numba, "numba_scalar_exp": _ce_forward_one_pass,
                              "numpy": _ce_forward_np},
    "cross_entropy_backward": {"numba": _ce_backward_numba, "numpy": _ce_backward_np},
    "nll_loss_forward": {"numba": _nll_forward_numba, "numpy": _nll_forward_np},
    "nll_loss_backward": {"numba": _nll_backward_numba, "numpy": _nll_backward_np},
}


def _rows(op, x):
    (x,) = check(op, x)
    check_rows(op, x)
    return rows(x)


def _target_weight(op, target, weight, shape, dtype):
    """target as a C-contiguous int32/int64 array of shape[:1]; weight as one of dtype and shape[1:]."""
    if weight is None and type(target) is np.ndarray and target.dtype is _I64 and target.shape == shape[:1] \
            and target.flags.c_contiguous:
        return target, _NO_WEIGHT[dtype.type]             # the common case, as it comes
    t = np.asarray(target)
    if t.dtype.kind not in "iu" or t.shape != shape[:1]:
        raise TypeError(f"{op}: expected an integer target of shape {shape[:1]}, got {t.dtype}{list(t.shape)}")
    if t.dtype not in (np.int32, np.int64):
        t = t.astype(np.int64)
    if weight is None:
        return np.ascontiguousarray(t), _NO_WEIGHT[dtype.type]
    w = np.ascontiguousarray(weight, dtype)
    if w.shape != shape[1:]:
        raise ValueError(f"{op}: expected a weight of shape {shape[1:]}, got {w.shape}")
    return np.ascontiguousarray(t), w


def _grad(op, g, r, dtype):
    """g as a C-contiguous array of dtype: 0-d (one factor for every row) or (r,)."""
    g = np.asarray(g, dtype)
    if g.ndim and g.shape != (r,):
        raise ValueError(f"{op}: expected a 0-d or ({r},) gradient, got shape {g.shape}")
    return np.ascontiguousarray(g) if g.ndim else g  # (ascontiguousarray makes 0-d arrays 1-d)


def cross_entropy_forward(x, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    """(losses (R,), softmax (R, C), total weight 0-d) for logits x (R, C) and class indices target (R,)."""
    x = _rows("cross_entropy_forward", x)
    t, w = _target_weight("cross_entropy_forward", target, weight, x.shape, x.dtype)
    path = "numba_scalar_exp" if x.size < SCALAR_EXP_MAX else "numba"
    return PATHS["cross_entropy_forward"][path](x, t, w, int(ignore_index), float(label_smoothing))


def cross_entropy_backward(g, probs, target, weight=None, ignore_index=-100, label_smoothing=0.0, log_probs=False):
    """d(sum_r g_r * loss_r)/dx (R, C) from the forward's softmax; g 0-d (every row) or (R,). log_probs: `probs`
    holds log-probabilities (a log_softmax's output), exponentiated in the same pass."""
    p = _rows("cross_entropy_backward", probs)
    t, w = _target_weight("cross_entropy_backward", target, weight, p.shape, p.dtype)
    g = _grad("cross_entropy_backward", g, p.shape[0], p.dtype)
    return _ce_backward_numba(g, p, t, w, int(ignore_index), float(label_smoothing), log_probs)


def nll_loss_forward(x, target, weight=None, ignore_index=-100):
    """(losses (R,) = -w[t] * x[r, t] (0 where ignored), total weight 0-d) for log-probabilities x (R, C)."""
    x = _rows("nll_loss_forward", x)
    t, w = _target_weight("nll_loss_forward", target, weight, x.shape, x.dtype)
    return PATHS["nll_loss_forward"]["numba"](x, t, w, int(ignore_index))


def nll_loss_backward(g, target, weight, ignore_index, n_classes):
    """(R, C) zeros but -w[t_r] * g_r at [r, t_r]; g float32/float64, 0-d (every row) or (R,)."""
    (g,) = check("nll_loss_backward", g)
    shape = (np.shape(target)[0] if np.ndim(target) else -1, n_classes)
    t, w = _target_weight("nll_loss_backward", target, weight, shape, g.dtype)
    return PATHS["nll_loss_backward"]["numba"](_grad("nll_loss_backward", g, shape[0], g.dtype), t, w,
                                               int(ignore_index), n_classes)
