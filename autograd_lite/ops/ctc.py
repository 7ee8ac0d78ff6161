"""The connectionist temporal classification loss: nn.functional.ctc_loss and torch.ctc_loss.

CTCLoss gives each sample's negative log-likelihood (N,) from log_probs (T, N, C) and padded targets (N, S): the
log-space alpha recursion over the extended target (a blank around and between the labels), through the kernel table
(kernels/cpu/ctc.py) or, on a device without those kernels, the array-module formula below (a Python loop over time,
vectorised over the batch and the states; also the formula the kernels are tested against). Its backward is
PyTorch's ctc_loss_backward (the beta recursion; the gradient of the logits through a log_softmax), and like
PyTorch's it cannot be differentiated again. The reductions (mean: each loss over its target length, then the
batch mean) and zero_infinity are Tensor ops around it.
"""
import numbers

import numpy as np

from .. import _api
from ..autograd.op_function import Function
from ..tensor import Tensor
from . import _formula as m
from ._util import kernels_of, not_implemented, quiet, xp_of

_REDUCTIONS = ("none", "mean", "sum")          # torch.ctc_loss's integer reduction: the index


# ---- the array-module formula ----------------------------------------------------------------------------------

def _lse(*xs):
    """log(sum(exp(x))) of arrays elementwise, the largest subtracted (an all -inf set gives -inf)."""
    xp = xp_of(xs[0])
    mx = xs[0]
    for x in xs[1:]:
        mx = xp.maximum(mx, x)
    mx = xp.where(mx == -np.inf, 0, mx)
    return xp.log(sum(xp.exp(x - mx) for x in xs)) + mx


def _extended(lp, tg, blank):
    """(labels of the extended targets (N, L), whether state s may skip from s - 2 (N, L))."""
    xp = xp_of(lp)
    N, S = tg.shape
    ext = xp.full((N, 2 * S + 1), blank, np.int64)
    ext[:, 1::2] = tg
    skip = xp.zeros(ext.shape, bool)
    skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
    return ext, skip


def _shift(a, k):
    """a (..., L) moved k states right (k > 0) or left (k < 0), -inf filled."""
    out = xp_of(a).full(a.shape, -np.inf, a.dtype)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def ctc_forward_xp(lp, tg, il, tl, blank):
    """(nll (N,), log_alpha (N, T, 2 S + 1)) on any array module, as kernels.cpu.ctc_loss_forward."""
    xp = xp_of(lp)
    T, N, C = lp.shape
    ext, skip = _extended(lp, tg, blank)
    L = ext.shape[1]
    la = xp.full((N, T, L), -np.inf, lp.dtype)
    if T == 0 or N == 0:
        return xp.where(tl == 0, -0.0, np.inf).astype(lp.dtype), la
    states = xp.arange(L)
    with quiet(xp):
        emit = xp.take_along_axis(lp.transpose(1, 0, 2), xp.broadcast_to(ext[:, None, :], (N, T, L)), 2)
        first = xp.where(states < 2, emit[:, 0], -np.inf)
        la[:, 0] = xp.where(states[None] < 2 * tl[:, None] + 1, first, -np.inf)
        for t in range(1, T):
            prev = la[:, t - 1]
            la[:, t] = _lse(prev, _shift(prev, 1), xp.where(skip, _shift(prev, 2), -np.inf)) + emit[:, t]
        last = la[xp.arange(N), xp.maximum(il - 1, 0)]                       # (N, L) at each sample's end
        end = xp.take_along_axis(last, (2 * tl)[:, None], 1)[:, 0]
        before = xp.where(tl > 0, xp.take_along_axis(last, xp.maximum(2 * tl - 1, 0)[:, None], 1)[:, 0], -np.inf)
        nll = -_lse(end, before)
        nll = xp.where(il == 0, xp.where(tl == 0, -0.0, np.inf), nll)
    la = xp.where((xp.arange(T)[None, :, None] < il[:, None, None]) & (states < 2 * tl[:, None, None] + 1), la,
                  -np.inf)
    return nll.astype(lp.dtype, copy=False), la.astype(lp.dtype, copy=False)


def ctc_backward_xp(g, lp, tg, il, tl, blank, nll, la, zero_infinity=False):
    """dL/dlp (T, N, C) on any array module, as kernels.cpu.ctc_loss_backward."""
    xp = xp_of(lp)
    T, N, C = lp.shape
    ext, skip = _extended(lp, tg, blank)
    L = ext.shape[1]
    if T == 0 or N == 0:
        return xp.zeros(lp.shape, lp.dtype)
    states = xp.arange(L)
    lb = xp.full((N, T, L), -np.inf, lp.dtype)
    with quiet(xp):
        emit = xp.take_along_axis(lp.transpose(1, 0, 2), xp.broadcast_to(ext[:, None, :], (N, T, L)), 2)
        ends = (states[None] == 2 * tl[:, None]) | (states[None] == 2 * tl[:, None] - 1)
        skip_up = xp.zeros(skip.shape, bool)                                    # state s may skip to s + 2
        skip_up[:, :-2] = skip[:, 2:]
        for t in range(T - 1, -1, -1):
            init = xp.where(ends, emit[:, t], -np.inf)
            if t < T - 1:
                nxt = lb[:, t + 1]
                rec = _lse(nxt, _shift(nxt, -1), xp.where(skip_up, _shift(nxt, -2), -np.inf)) + emit[:, t]
            else:
                rec = init
            lb[:, t] = xp.where((il == t + 1)[:, None], init, xp.where((t < il - 1)[:, None], rec, -np.inf))
        ab = la + lb                                                            # (N, T, L)
        mx = ab.max(axis=2, keepdims=True)
        mx = xp.where(mx == -np.inf, 0, mx)
        onehot = (ext[:, :, None] == xp.arange(C)).astype(lp.dtype)            # (N, L, C)
        lcab = xp.log(xp.einsum("ntl,nlc->ntc", xp.exp(ab - mx), onehot)) + mx    # (N, T, C)
        lpn = lp.transpose(1, 0, 2)
        grad = (xp.exp(lpn) - xp.exp(lcab + nll[:, None, None] - lpn)) * g[:, None, None]
    keep = xp.arange(T)[None, :, None] < il[:, None, None]
    if zero_infinity:
        keep = keep & (nll != np.inf)[:, None, None]
    return xp.where(keep, grad, 0).transpose(1, 0, 2).astype(lp.dtype, copy=True)


# ---- the op ------------------------------------------------------------------------------------------------------

def _kernel(lp, name):
    return getattr(kernels_of(lp), name, None)


class CTCLoss(Function):
    """Per-sample negative log-likelihoods (N,) of log_probs (T, N, C); zero_infinity: inf ones as 0."""
    op_name = "ctc_loss"

    @staticmethod
    def forward(ctx, lp, tg, il, tl, blank, zero_infinity):
        run = _kernel(lp, "ctc_loss_forward")
        nll, la = run(lp, tg, il, tl, blank) if run is not None else ctc_forward_xp(lp, tg, il, tl, blank)
        ctx.args = tg, il, tl, blank, zero_infinity
        ctx.nll, ctx.la = nll, la
        ctx.save_for_backward(lp)
        if zero_infinity:
            return xp_of(nll).where(nll == np.inf, 0, nll).astype(nll.dtype, copy=False)
        return nll

    @staticmethod
    def backward(ctx, g):
        lp = ctx.saved_tensors[0]
        if m.is_graph(g):
            return CTCLossBackward.apply(g, lp, ctx), None, None, None, None, None
        return _ctc_grad(g, lp, ctx), None, None, None, None, None

    def name(self):
        return "CtcLossBackward0"


def _ctc_grad(g, lp, ctx):
    tg, il, tl, blank, zero_infinity = ctx.args
    run = _kernel(lp, "ctc_loss_backward")
    g = xp_of(lp).ascontiguousarray(g, dtype=lp.dtype)
    if run is not None:
        return run(g, lp, tg, il, tl, blank, ctx.nll, ctx.la, zero_infinity)
    return ctc_backward_xp(g, lp, tg, il, tl, blank, ctx.nll, ctx.la, zero_infinity)


class CTCLossBackward(Function):
    """The CTC gradient as a node of the graph (create_graph); like PyTorch's it has no derivative."""
    op_name = "ctc_loss_backward"

    @staticmethod
    def forward(ctx, g, lp, fwd):
        return _ctc_grad(g, lp, fwd)

    @staticmethod
    def backward(ctx, gg):
        raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")


# ---- argument handling --------------------------------------------------------------------------------------------

def _lengths(v, name):
    """Lengths as an int64 host array (a Tensor or a sequence of ints)."""
    if isinstance(v, Tensor):
        if v.dtype.is_floating_point or v.dtype.name == "bool":
            raise RuntimeError(f"{name} must be integral")
        return np.asarray(v.cpu()._data).astype(np.int64).reshape(-1)
    if isinstance(v, numbers.Integral):
        return np.asarray([int(v)], np.int64)
    return np.asarray([int(x) for x in v], np.int64)


_CHECKING = " (while checking arguments for ctc_loss_allocate_outputs)"


def _prepare(log_probs, targets, input_lengths, target_lengths, blank):
    """(log_probs (T, N, C) Tensor, padded targets (N, S) and the lengths as host int64 arrays, unbatched)."""
    if not log_probs.dtype.is_floating_point:
        raise not_implemented("ctc_loss_cpu", log_probs)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
    if log_probs.ndim != 3:
        raise RuntimeError(f"ctc_loss(): expected log_probs of 2 or 3 dims, got {log_probs.ndim}")
    T, N, C = log_probs.shape
    il, tl = _lengths(input_lengths, "input_lengths"), _lengths(target_lengths, "target_lengths")
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if il.size != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.size != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    tgt = np.asarray(targets.cpu()._data)
    if unbatched and tgt.ndim == 1:
        tgt = tgt[None]
    for v in tl:
        if v < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {v}{_CHECKING}")
    if tgt.ndim == 1:                                   # concatenated targets
        if tgt.shape[0] != tl.sum():
            raise RuntimeError(f"Expected tensor to have size {tl.sum()} at dimension 0, but got size "
                               f"{tgt.shape[0]} for argument #2 'targets'{_CHECKING}")
        S = int(tl.max()) if N else 0
        padded = np.zeros((N, S), np.int64)
        pos = np.arange(S) < tl[:, None]
        padded[pos] = tgt.astype(np.int64)
    else:
        S = int(tl.max()) if N else 0
        if tgt.ndim != 2 or tgt.shape[0] != N:
            raise RuntimeError(f"ctc_loss(): expected targets (N, S) or concatenated, got shape {list(tgt.shape)}")
        if tgt.shape[1] < S:
            raise RuntimeError(f"Expected tensor to have size at least {S} at dimension 1, but got size "
                               f"{tgt.shape[1]} for argument #2 'targets'{_CHECKING}")
        padded = np.ascontiguousarray(tgt[:, :S].astype(np.int64))
    for v in il:
        if v < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {v}{_CHECKING}")
        if v > T:
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {v}{_CHECKING}")
    used = np.arange(padded.shape[1]) < tl[:, None]
    if used.any() and (padded[used].min() < 0 or padded[used].max() >= C):
        raise IndexError(f"ctc_loss(): target labels must lie in [0, {C}), got {padded[used].min()} to "
                         f"{padded[used].max()}")
    return log_probs, padded, il, tl, unbatched


def _ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity):
    lp, tg, il, tl, unbatched = _prepare(log_probs, targets, input_lengths, target_lengths, int(blank))
    be = xp_of(lp._data)
    dev = lambda a: be.asarray(a) if be is not np else a                     # noqa: E731
    loss = CTCLoss.apply(lp, dev(tg), dev(il), dev(tl), int(blank), bool(zero_infinity))
    if reduction == "mean":
        div = lp._make(be.asarray(np.maximum(tl, 1).astype(lp._data.dtype)))
        return (loss / div).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.reshape(()) if unbatched else loss


@_api.declare(method=False, top=False, functional=True)
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The CTC loss of log-probabilities (T, N, C) (or (T, C)) against targets (N, S) padded or concatenated,
    with lengths as Tensors or tuples; reduction 'mean' divides each loss by its target length, then averages.

    Example: ``F.ctc_loss(logits.log_softmax(2), targets, input_lengths, target_lengths)``"""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)


@_api.declare(name="ctc_loss", method=False, top=True, functional=False)
def _ctc_loss_top(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False):
    """torch.ctc_loss: ctc_loss with the reduction as an integer (0 none, 1 mean, 2 sum)."""
    return _ctc(log_probs, targets, input_lengths, target_lengths, blank, _REDUCTIONS[reduction], zero_infinity)
