"""CPU kernels: the CTC loss (Graves et al.; torch's ctc_loss), forward and backward, in log space.

Per sample n (numba prange over the batch), over the extended target l' (blanks around and between the labels,
2 S + 1 states): the forward recursion log_alpha (T, 2 S + 1) and the loss -log(alpha[T-1, end] + alpha[T-1,
end - 1]); the backward recursion log_beta, and the gradient as PyTorch's ctc_loss_backward gives it (the gradient
for logits through a log_softmax: exp(lp) - exp(log(sum of alpha * beta over the states of label c) + nll - lp)),
zero past a sample's input length. Each logsumexp subtracts its largest term, as PyTorch's CPU kernel (an all -inf
set gives -inf). ops/ctc.py holds the array-module formula these are tested against.
"""
import math

import numpy as np

from ._jit import PAR_MIN, check, jit, prange, twins

__all__ = ["ctc_loss_forward", "ctc_loss_backward"]

_PAR_MIN = PAR_MIN // 64         # recursion cells (each a few exp and a log)
_NEG_INF = -np.inf


@jit
def _label(tg, n, s, blank):
    return blank if s % 2 == 0 else tg[n, s // 2]


@jit
def _lse3(a, b, c):
    """log(exp(a) + exp(b) + exp(c)); the -inf terms (unreachable states: many) skip their exp."""
    m = max(a, max(b, c))
    if m == _NEG_INF:
        return _NEG_INF
    s = 0.0
    if a != _NEG_INF:
        s += math.exp(a - m)
    if b != _NEG_INF:
        s += math.exp(b - m)
    if c != _NEG_INF:
        s += math.exp(c - m)
    return math.log(s) + m


@twins(_PAR_MIN, loop=lambda lp, tg, il, tl, blank, la, nll: lp.shape[1])
def _fwd(lp, tg, il, tl, blank, la, nll):
    for n in prange(lp.shape[1]):
        T, S = il[n], tl[n]
        L = 2 * S + 1
        a = la[n]
        for t in range(a.shape[0]):
            for s in range(a.shape[1]):
                a[t, s] = _NEG_INF
        if T == 0:
            nll[n] = -0.0 if S == 0 else np.inf
            continue
        a[0, 0] = lp[0, n, blank]
        if S > 0:
            a[0, 1] = lp[0, n, tg[n, 0]]
        for t in range(1, T):
            for s in range(L):
                c = _label(tg, n, s, blank)
                l2 = a[t - 1, s - 1] if s > 0 else _NEG_INF
                l3 = a[t - 1, s - 2] if s > 1 and c != _label(tg, n, s - 2, blank) else _NEG_INF
                a[t, s] = _lse3(a[t - 1, s], l2, l3) + lp[t, n, c]
        l2 = a[T - 1, L - 2] if L > 1 else _NEG_INF
        nll[n] = -_lse3(a[T - 1, L - 1], l2, _NEG_INF)


@twins(_PAR_MIN, loop=lambda lp, tg, il, tl, blank, la, nll, g, zero_inf, lb, lcab, grad: lp.shape[1])
def _bwd(lp, tg, il, tl, blank, la, nll, g, zero_inf, lb, lcab, grad):
    C = lp.shape[2]
    for n in prange(lp.shape[1]):
        T, S = il[n], tl[n]
        L = 2 * S + 1
        for t in range(T, lp.shape[0]):
            for c in range(C):
                grad[t, n, c] = 0.0
        if T == 0:
            continue
        if zero_inf and nll[n] == np.inf:
            for t in range(T):
                for c in range(C):
                    grad[t, n, c] = 0.0
            continue
        a, b, lc = la[n], lb[n], lcab[n]
        for t in range(T):
            for s in range(L):
                b[t, s] = _NEG_INF
        b[T - 1, L - 1] = lp[T - 1, n, blank]
        if S > 0:
            b[T - 1, L - 2] = lp[T - 1, n, tg[n, S - 1]]
        for t in range(T - 2, -1, -1):
            for s in range(L):
                c = _label(tg, n, s, blank)
                l2 = b[t + 1, s + 1] if s < L - 1 else _NEG_INF
                l3 = b[t + 1, s + 2] if s < L - 2 and c != _label(tg, n, s + 2, blank) else _NEG_INF
                b[t, s] = _lse3(b[t + 1, s], l2, l3) + lp[t, n, c]
        gn, nl = g[n], nll[n]
        for t in range(T):
            for c in range(C):
                lc[c] = _NEG_INF
            for s in range(L):
                c = _label(tg, n, s, blank)
                v = a[t, s] + b[t, s]
                cur = lc[c]
                if cur == _NEG_INF:
                    lc[c] = v
                elif v != _NEG_INF:
                    lc[c] = max(cur, v) + math.log1p(math.exp(-abs(cur - v)))
            for c in range(C):
                r = lp[t, n, c]
                grad[t, n, c] = (math.exp(r) - math.exp(lc[c] + nl - r)) * gn


def _checked(op, lp, targets, il, tl, blank):
    if lp.ndim != 3 or targets.ndim != 2 or il.shape != (lp.shape[1],) or tl.shape != (lp.shape[1],) \
            or targets.shape[0] != lp.shape[1]:
        raise ValueError(f"{op}: expected log_probs (T, N, C), targets (N, S), lengths (N,), got {lp.shape}, "
                         f"{targets.shape}, {il.shape}, {tl.shape}")
    T, N, C = lp.shape
    il, tl = il.astype(np.int64, copy=False), tl.astype(np.int64, copy=False)
    if N and (il.min() < 0 or il.max() > T or tl.min() < 0 or tl.max() > targets.shape[1]):
        raise ValueError(f"{op}: lengths out of range")
    if not 0 <= blank < C:
        raise ValueError(f"{op}: blank {blank} not in [0, {C})")
    targets = np.ascontiguousarray(targets, np.int64)
    used = np.arange(targets.shape[1]) < tl[:, None]
    if used.any() and (targets[used].min() < 0 or targets[used].max() >= C):
        raise IndexError(f"{op}: target labels must lie in [0, {C})")
    return np.ascontiguousarray(lp), targets, il, tl


def ctc_loss_forward(lp, targets, input_lengths, target_lengths, blank):
    """(nll (N,), log_alpha (N, T, 2 S + 1)) of log-probabilities lp (T, N, C) and padded targets (N, S)."""
    (lp,) = check("ctc_loss_forward", lp)
    lp, tg, il, tl = _checked("ctc_loss_forward", lp, targets, input_lengths, target_lengths, blank)
    T, N, _ = lp.shape
    la = np.empty((N, T, 2 * tg.shape[1] + 1), lp.dtype)
    nll = np.empty(N, lp.dtype)
    _fwd.pick(la.size)(lp, tg, il, tl, int(blank), la, nll)
    return nll, la


def ctc_loss_backward(g, lp, targets, input_lengths, target_lengths, blank, nll, log_alpha, zero_infinity=False):
    """dL/dlp (T, N, C) of ctc_loss_forward for g = dL/dnll (N,), as PyTorch's ctc_loss_backward."""
    g, lp, nll, log_alpha = check("ctc_loss_backward", g, lp, nll, log_alpha)
    lp, tg, il, tl = _checked("ctc_loss_backward", lp, targets, input_lengths, target_lengths, blank)
    T, N, C = lp.shape
    if g.shape != (N,) or nll.shape != (N,) or log_alpha.shape != (N, T, 2 * tg.shape[1] + 1):
        raise ValueError(f"ctc_loss_backward: g {g.shape}, nll {nll.shape}, log_alpha {log_alpha.shape} for "
                         f"log_probs {lp.shape}")
    grad = np.empty(lp.shape, lp.dtype)
    lb = np.empty(log_alpha.shape, lp.dtype)
    lcab = np.empty((N, C), lp.dtype)
    _bwd.pick(lb.size)(lp, tg, il, tl, int(blank), np.ascontiguousarray(log_alpha), nll, np.ascontiguousarray(g),
                       bool(zero_infinity), lb, lcab, grad)
    return grad
