"""Loss functions with torch.nn.functional's signatures: cross_entropy (class indices: one fused kernel
pair; class probabilities: log_softmax and products), nll_loss, mse_loss, l1_loss, binary_cross_entropy,
binary_cross_entropy_with_logits, and composed of differentiable ops kl_div, poisson_nll_loss, gaussian_nll_loss;
reduction 'mean' | 'sum' | 'none'. The margin and embedding losses are in margin_loss.py."""
import math
import numbers
import warnings

import numpy as np

from .. import _api
from ..autograd.engine import stand_in
from ..autograd.op_function import Function
from ..autograd.grad_mode import is_grad_enabled
from .._api import TOP
from ..creation import ones_like
from . import _formula as m
from ._util import kernels_of, not_implemented, promote_pair, quiet, via_kernel_dtype, wrap, xp_of
from .activation import log_softmax
from .distance import floor_values
from .arithmetic import add, mul, sub
from .indexing import _placed
from .math import abs as _abs, neg
from .reduction import sum as _sum

declare = _api.declare

_REDUCTIONS = ("mean", "sum", "none")
SMALL_SUM = 1024      # row losses up to this many: reduced in Python floats (see _reduce_rows)


def legacy_get_string(size_average, reduce, emit_warning=True, _stacklevel=2):
    """The reduction PyTorch's deprecated ``size_average`` / ``reduce`` pair stands for (None counts as True), with
    its deprecation warning: ``legacy_get_string(False, None)`` is ``'sum'``."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                      "instead.", stacklevel=_stacklevel + 1)
    return reduction


def _reduction(op, reduction, size_average=None, reduce=None):
    """The reduction to apply; PyTorch's deprecated size_average/reduce, when given, override it."""
    if size_average is None and reduce is None and reduction in _REDUCTIONS:
        return reduction
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce, _stacklevel=3)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction (expected 'mean', 'sum' or "
                         "'none')")
    return reduction


def _divide(s, n):
    """s / n; 0 / 0 is nan silently, as in PyTorch (a mean over nothing)."""
    if n:
        return s / n
    with quiet(xp_of(m.data(s))):
        return s / n


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    s = loss.sum()
    return s if reduction == "sum" else _divide(s, loss.size)


def _unreduce(g, reduction, n):
    """The gradient of one element of the unreduced loss (a factor that broadcasts against it)."""
    return _divide(g, n) if reduction == "mean" else g


def _float_pair(op, input, target, complex_ok=False):
    input, target = promote_pair(input, target)
    if not input.dtype.is_floating_point and not (complex_ok and input.is_complex()):
        raise not_implemented(op, input)
    return input, target


def _weights_broadcast(op, input, **weights):
    """Each given weight must broadcast to the input's shape (not beyond it), as PyTorch expands it."""
    shape = tuple(input.shape)
    for name, w in weights.items():
        if w is None:
            continue
        try:
            ok = xp_of(input._data).broadcast_shapes(tuple(w.shape), shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"{op}: {name} of shape {tuple(w.shape)} does not broadcast to the input's "
                               f"shape {shape}")


def _in_dtype_of(w, x):
    """A weight array in the input's dtype (itself when it has it: saved as is, its version then checked)."""
    return None if w is None else w.astype(x.dtype, copy=False)


def _constant(op, name, t):
    """PyTorch's error for a weight that requires grad: the losses are not differentiable with respect to it."""
    if t is not None and t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument '{name}'. This "
                           "input cannot have requires_grad True.")
    return t


# ---- regression losses: mse_loss, l1_loss ------------------------------------------------------

class _DifferenceLoss(Function):
    """reduce(value(input - target, k)), input and target broadcast together; k: the loss's constant (smooth L1's
    beta, Huber's delta), else None."""

    @staticmethod
    def forward(ctx, a, b, reduction, k=None):
        d = a - b
        ctx.save_for_backward(*((a, b) if ctx.slope_reads_inputs else (d,)))
        ctx.reduction, ctx.k = reduction, k
        return _reduce(ctx.value(d, k), reduction)

    @staticmethod
    def backward(ctx, g):
        saved = ctx._saved
        d = saved[0] - saved[1] if ctx.slope_reads_inputs else saved[0]
        gd = ctx.slope(d, _unreduce(g, ctx.reduction, m.data(d).size), ctx.k)
        return (gd if ctx._inputs[0] is not None else None,
                -gd if ctx._inputs[1] is not None else None, None, None)


class MSELoss(_DifferenceLoss):
    op_name = "mse_loss"
    saved_names = {"self": 0, "target": 1, "reduction": lambda node: _REDUCTIONS[node.reduction]}

    def name(self):
        return "MseLossBackward0"
    slope_reads_inputs = True       # its slope is d itself: d's own derivative is needed (second order)
    value = staticmethod(lambda d, k: d * d)
    slope = staticmethod(lambda d, g, k: d * (2 * g))


class L1Loss(_DifferenceLoss):
    op_name = "l1_loss"
    slope_reads_inputs = False      # its slope sign(d) is piecewise constant: d may be kept as it is
    value = staticmethod(lambda d, k: xp_of(d).abs(d))
    slope = staticmethod(lambda d, g, k: m.sign(d) * g)


class SmoothL1Loss(_DifferenceLoss):
    """0.5 d² / beta where |d| < beta, else |d| - 0.5 beta."""
    op_name = "smooth_l1_loss"
    slope_reads_inputs = True       # quadratic near 0: the slope d / beta depends on d
    value = staticmethod(lambda d, k: (lambda a: xp_of(d).where(a < k, 0.5 * d * d / k, a - 0.5 * k))(
        xp_of(d).abs(d)))
    slope = staticmethod(lambda d, g, k: m.where(abs(m.data(d)) < k, d / k, m.sign(d)) * g)


class HuberLoss(_DifferenceLoss):
    """0.5 d² where |d| < delta, else delta (|d| - 0.5 delta): smooth L1 times delta."""
    op_name = "huber_loss"
    slope_reads_inputs = True
    value = staticmethod(lambda d, k: (lambda a: xp_of(d).where(a < k, 0.5 * d * d, k * (a - 0.5 * k)))(
        xp_of(d).abs(d)))
    slope = staticmethod(lambda d, g, k: m.where(abs(m.data(d)) < k, d, m.sign(d) * k) * g)


def _difference_loss(cls, error, input, target, size_average, reduce, reduction, weight, k=None):
    op = cls.op_name
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)
    reduction = _reduction(op, reduction, size_average, reduce)
    input, target = _float_pair(op, input, target, complex_ok=cls is L1Loss)
    if weight is None and input.is_complex():      # |d| of complex d (real), as a composition (abs's sgn gradient)
        return reduce_tensor(error(sub(input, target)), reduction)
    if weight is None:
        return cls.apply(input, target, reduction, k)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Weights and input must have the same size (weight of shape "
                         f"{tuple(weight.shape)}, input of shape {tuple(input.shape)}).")
    loss = mul(error(sub(input, target)), weight)
    if reduction == "none":
        return loss
    return _sum(loss) if reduction == "sum" else _sum(loss) / _sum(weight)


@declare(method=False, top=False, functional=True)
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target) ** 2``, reduced; `weight` (input's shape) weighs each
    element and a 'mean' then divides by its sum. A target of another shape broadcasts, with
    PyTorch's UserWarning."""
    return _difference_loss(MSELoss, lambda d: mul(d, d), input, target, size_average, reduce, reduction,
                            weight)


@declare(method=False, top=False, functional=True)
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|``, reduced; otherwise as `mse_loss`."""
    return _difference_loss(L1Loss, _abs, input, target, size_average, reduce, reduction, weight)


@declare(method=False, top=False, functional=True)
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1: ``0.5 d² / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (d = input - target), reduced;
    beta 0 is `l1_loss`. Example: ``F.smooth_l1_loss(pred, target, beta=0.5)``."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, size_average, reduce, reduction)
    return _difference_loss(SmoothL1Loss, None, input, target, size_average, reduce, reduction, None, float(beta))


@declare(method=False, top=False, functional=True)
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber: ``0.5 d²`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``, reduced; `weight` (input's
    shape) weighs each element, a 'mean' divides by their count. Example: ``F.huber_loss(pred, target, delta=2.0)``."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    k = float(delta)
    if weight is None:
        return _difference_loss(HuberLoss, None, input, target, None, None, reduction, None, k)
    loss = mul(_difference_loss(HuberLoss, None, input, target, None, None, "none", None, k), weight)
    if reduction == "none":     # (unlike mse_loss's and l1_loss's, its weighted mean divides by the count)
        return loss
    return _sum(loss) if reduction == "sum" else _sum(loss) / loss.numel()


# ---- binary cross-entropy --------------------------------------------------------------------

def _weighted(ctx, loss, w, reduction, *saved):
    """The forward's end: loss * w (w None: 1) reduced, `saved` kept for backward."""
    ctx.save_for_backward(*saved)
    ctx.reduction = reduction
    return _reduce(loss if w is None else loss * w, reduction)


def _weighted_grad(ctx, g, x, w):
    """The backward's start: the gradient of each element's loss, times w."""
    g = _unreduce(g, ctx.reduction, m.data(x).size)
    return g if w is None else g * w


def _clamped_logs(x):
    """(max(log x, -100), max(log(1 - x), -100)): PyTorch's clamp keeps the loss finite at 0 and 1."""
    with quiet(xp_of(m.data(x))):
        return m.maximum(m.log(x), -100.0), m.maximum(m.log1p(-x), -100.0)


class BinaryCrossEntropy(Function):
    """-w * (t * max(log x, -100) + (1 - t) * max(log(1 - x), -100)), reduced."""
    op_name = "binary_cross_entropy"

    @staticmethod
    def forward(ctx, x, t, w, reduction):
        w = _in_dtype_of(w, x)
        for name, a in (("input", x), ("target", t)):
            if not ((a >= 0) & (a <= 1)).all():
                raise RuntimeError(f"binary_cross_entropy: all elements of {name} should be between 0 and 1")
        log_x, log_1mx = _clamped_logs(x)
        return _weighted(ctx, (t - 1) * log_1mx - t * log_x, w, reduction, x, t, w)

    @staticmethod
    def backward(ctx, g):
        x, t, w = ctx._saved
        g = _weighted_grad(ctx, g, x, w)
        gx = gt = None
        if ctx._inputs[0] is not None:   # PyTorch's form: (x - t) / max(x (1 - x), 1e-12)
            gx = g * (x - t) / m.maximum((1 - x) * x, 1e-12)
        if ctx._inputs[1] is not None:
            log_x, log_1mx = _clamped_logs(x)
            gt = g * (log_1mx - log_x)
        return gx, gt, None, None


def _log_sigmoid(x):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)): no overflow for any x."""
    return m.minimum(x, 0.0) - m.log1p(m.exp(-m.abs(x)))


class BinaryCrossEntropyWithLogits(Function):
    """w * ((1 - t) * x - (1 + (pw - 1) * t) * log(sigmoid(x))), stable for any x."""
    op_name = "binary_cross_entropy_with_logits"

    @staticmethod
    def forward(ctx, x, t, w, pw, reduction):
        w, pw = _in_dtype_of(w, x), _in_dtype_of(pw, x)
        log_sig = _log_sigmoid(x)
        loss = (1 - t) * x - (log_sig if pw is None else (1 + (pw - 1) * t) * log_sig)
        return _weighted(ctx, loss, w, reduction, x, t, w, pw)

    @staticmethod
    def backward(ctx, g):
        x, t, w, pw = ctx._saved
        g = _weighted_grad(ctx, g, x, w)
        gx = gt = None
        if ctx._inputs[0] is not None:   # (1 - t) - lw * sigmoid(-x), lw = 1 + (pw - 1) t
            e = m.exp(-m.abs(x))
            sig_neg = m.where(m.data(x) >= 0, e, 1.0) / (1 + e)
            gx = g * ((1 - t) - (sig_neg if pw is None else (1 + (pw - 1) * t) * sig_neg))
        if ctx._inputs[1] is not None:
            gt = g * (-x if pw is None else -x - (pw - 1) * _log_sigmoid(x))
        return gx, gt, None, None, None


@declare(method=False, top=False, functional=True)
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy of probabilities `input` against `target` (same shape, both in [0, 1]);
    the logs are clamped at -100, as in PyTorch; `weight` broadcasts to the input's shape."""
    op = "binary_cross_entropy"
    reduction = _reduction(op, reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    input, target = _float_pair(op, input, target)
    _weights_broadcast(op, input, weight=weight)
    return BinaryCrossEntropy.apply(input, target, _constant(op, "weight", weight), reduction)


@declare(method=False, top=False, functional=True)
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross-entropy of ``sigmoid(input)`` against `target`, computed stably from the logits;
    `pos_weight` (broadcast against the target, e.g. one per class) weighs the positive term."""
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(op, reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Target size ({target.shape}) must be the same as input size ({input.shape})")
    input, target = _float_pair(op, input, target)
    _weights_broadcast(op, input, weight=weight, pos_weight=pos_weight)
    return BinaryCrossEntropyWithLogits.apply(input, target, _constant(op, "weight", weight),
                                              _constant(op, "pos_weight", pos_weight), reduction)


# ---- class-index losses: nll_loss, cross_entropy -------------------------------------------------

def _rows(x):
    """(N, C, d1, ...) as (N * d1 * ..., C) rows; (N, C) as is; (C,) as (1, C). Arrays or Tensors."""
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return x.reshape((1, -1))
    return m.movedim(x, 1, -1).reshape((-1, x.shape[1]))


def _unrows(g, shape):
    """(R, C) rows back to the input's shape: the inverse of _rows."""
    if len(shape) <= 2:
        return g.reshape(tuple(shape))
    return m.movedim(g.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)), -1, 1)


def _row_args(x, target, weight):
    """(x as rows, target flat, weight in x's dtype or None): the kernels' arguments."""
    return _rows(x), target.reshape(-1), None if weight is None else weight.astype(x.dtype, copy=False)


def _reduce_rows(losses, total, reduction, shape):
    """Row losses reduced; a 'mean' divides by the total weight of the targets not ignored (all
    ignored: 0 / 0 = nan, as in PyTorch)."""
    if reduction == "none":
        return losses.reshape(shape[:1] + shape[2:] if len(shape) > 1 else ())
    if type(losses) is np.ndarray and losses.size <= SMALL_SUM:
        # a batch's losses: summed in float64 by Python, ~5x cheaper than NumPy's reduction machinery
        s, n = sum(losses.tolist()), float(total)
        return np.asarray(s if reduction == "sum" else s / n if n else math.nan, losses.dtype)
    s = losses.sum()
    return s if reduction == "sum" else _divide(s, total)


def _row_grad(g, total, reduction):
    if reduction == "none":
        return g.reshape(-1)
    return g if reduction == "sum" else _divide(g, total)


def _picked(t, w, ignore, n, dtype):
    """(rows kept, their targets (ignored rows: 0), each row's weight w[t] or 0 where ignored): constants."""
    t = m.data(t)
    keep = t != ignore
    tk = xp_of(t).where(keep, t, 0)
    wt = (m.data(w)[tk] if w is not None else 1) * keep
    return keep, tk, wt.astype(dtype, copy=False)


_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}        # torch's enum, as its nodes save it


def _class_loss_names(self_slot, target_slot, weight_slot):
    """torch's names of what NllLossBackward0 saves (nll_loss, and cross_entropy's node standing for it)."""
    def target(node, t):    # as the caller gave it (the kernels read it flat)
        shape = node.shape
        return t.reshape(shape[:1] + shape[2:] if len(shape) > 1 else ())
    names = {"target": (target_slot, target), "weight": weight_slot,
            "total_weight": lambda node: wrap(*(xp_of(node.total).asarray(node.total, node._inputs[0][2]),) * 2),
            "reduction": lambda node: _REDUCTIONS[node.reduction],
            "ignore_index": lambda node: node.options[0] % 2 ** 64 if hasattr(node, "options")
            else node.ignore_index % 2 ** 64}      # torch's getter reads it as unsigned: -100 is 2**64 - 100
    if self_slot is not None:
        names["self"] = self_slot
    return names


class NLLLoss(Function):
    """-w[t] * x[t] per target (class dim 1), reduced; backward a scatter."""
    op_name = "nll_loss"
    saved_names = _class_loss_names(2, 0, 1)

    def name(self):
        return "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        rows, t, w = (x, target, weight) if x.ndim == 2 and weight is None else _row_args(x, target, weight)
        losses, total = kernels_of(x).nll_loss_forward(rows, t, w, ignore_index)
        ctx.save_for_backward(t, w, x)      # x: only for grad_fn._saved_self, as torch's (no copy: it is alive)
        ctx.shape, ctx.total, ctx.reduction, ctx.ignore_index = x.shape, total, reduction, ignore_index
        return _reduce_rows(losses, total, reduction, x.shape)

    @staticmethod
    def backward(ctx, g):
        t, w = ctx._saved[:2]
        n = ctx.shape[1] if len(ctx.shape) > 1 else ctx.shape[0]
        keep, tk, wt = _picked(t, w, ctx.ignore_index, n, m.data(g).dtype)
        xp = xp_of(tk)
        with quiet(xp):                      # every row ignored: the mean's 0/0 is nan, as PyTorch's, and silent
            rows = m.where(keep, _row_grad(g, ctx.total, ctx.reduction) * -wt, 0.0)     # ignored rows: 0, never nan
        return _unrows(_placed(rows, (xp.arange(tk.size), tk), (tk.size, n), False), ctx.shape), None, None, None, None

    @staticmethod
    def backward_raw(ctx, g):
        t, w = ctx._saved[:2]
        n = ctx.shape[1] if len(ctx.shape) > 1 else ctx.shape[0]
        gx = kernels_of(g).nll_loss_backward(_row_grad(g, ctx.total, ctx.reduction), t, w, ctx.ignore_index, n)
        return _unrows(gx, ctx.shape), None, None, None, None


def _class_scores_grad(g, logp_rows, t, w, total, reduction, ignore, eps, shape):
    """The gradient of cross-entropy with respect to the logits (rows), from log-probabilities `logp_rows` that
    are (under create_graph) a function of them: (softmax - smoothed onehot) * weights / normaliser."""
    p = m.exp(logp_rows)
    n = shape[1] if len(shape) > 1 else shape[0]
    keep, tk, wt = _picked(t, w, ignore, n, m.data(p).dtype)
    xp = xp_of(tk)
    wsum = float(m.data(w).sum()) if w is not None else n
    gr = _row_grad(g, total, reduction)
    gr = m.where(keep.reshape(-1, 1), gr.reshape((-1, 1)) if m.data(gr).ndim else gr, 0.0)  # ignored rows: 0
    onehot = xp.zeros(m.data(p).shape, m.data(p).dtype)
    onehot[xp.arange(tk.size), tk] = (1 - eps) * wt
    smooth = eps / n * (m.data(w) if w is not None else 1.0)
    out = p * (((1 - eps) * wt + eps * wsum / n).reshape(-1, 1) * gr) - (onehot + smooth) * gr
    return _unrows(out, shape)


class CrossEntropy(Function):
    """log_softmax and nll_loss (with label smoothing) in one kernel pair; the forward keeps the
    softmax, the backward writes ``(softmax - onehot) * w / normaliser`` straight into the gradient. It stands for
    torch's log_softmax and NllLossBackward0: it has the latter's saved names but self (it keeps no log-softmax)."""
    op_name = "cross_entropy"
    saved_names = _class_loss_names(None, 1, 2)

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, label_smoothing):
        rows, t, w = _row_args(x, target, weight)
        losses, probs, total = kernels_of(x).cross_entropy_forward(rows, t, w, ignore_index, label_smoothing)
        ctx.save_for_backward(probs, t, w)
        ctx.shape, ctx.total, ctx.reduction = x.shape, total, reduction
        ctx.options = ignore_index, label_smoothing
        return _reduce_rows(losses, total, reduction, x.shape)

    @staticmethod
    def backward(ctx, g):
        probs, t, w = (m.data(v) for v in ctx._saved)
        with quiet(xp_of(probs)):
            logp = xp_of(probs).log(probs)
        if m.is_graph(g):               # the log-probabilities as a function of the logits (softmax's the same)
            logp = log_softmax(_rows(stand_in(ctx, 0, _unrows(logp, ctx.shape), g)), 1)
        return (_class_scores_grad(g, logp, t, w, ctx.total, ctx.reduction, *ctx.options, ctx.shape),
                None, None, None, None, None)

    @staticmethod
    def backward_raw(ctx, g):
        probs, t, w = ctx._saved
        gx = kernels_of(probs).cross_entropy_backward(_row_grad(g, ctx.total, ctx.reduction), probs, t, w,
                                                      *ctx.options)
        return _unrows(gx, ctx.shape), None, None, None, None, None


def _n_classes(op, input):
    shape = input._data.shape
    if input._data.dtype.kind in "fV" and len(shape) == 2:       # the common case: (N, C) scores
        return shape[1]
    if not input.dtype.is_floating_point:
        raise not_implemented(op, input)
    if input.ndim == 0:
        raise ValueError(f"{op}: expected input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    return input.shape[1] if input.ndim > 1 else input.shape[0]


def _check_class_target(op, input, target):
    """PyTorch's checks (and exception types) on a target of class indices."""
    shape, tshape = input._data.shape, target._data.shape
    kind = target._data.dtype.kind
    if len(shape) == 2 and tshape == shape[:1] and (kind == "i" or kind == "u"):
        return                                                   # the common case: (N, C) scores, (N,) classes
    if kind not in "iu":
        raise RuntimeError(f"{op}: expected target dtype to be Long (class indices), but got "
                           f"{target.dtype.scalar_type} (target of shape {tshape}, input of shape {shape})")
    if len(shape) == 1:
        if target.numel() != 1 or len(tshape) > 1:
            raise ValueError(f"{op}: For 1D input, 1D target must have size 1, but got target size: "
                             f"{tshape} (input of shape {shape})")
        return
    if len(shape) == 2 and len(tshape) > 1:
        raise RuntimeError(f"{op}: 0D or 1D target tensor expected, multi-target not supported (target of "
                           f"shape {tshape}, input of shape {shape})")
    batch = tshape[0] if tshape else 0
    if batch != shape[0]:
        raise ValueError(f"{op}: Expected input batch_size ({shape[0]}) to match target batch_size ({batch}) "
                         f"(input of shape {shape}, target of shape {tshape}).")
    if tshape != shape[:1] + shape[2:]:
        raise RuntimeError(f"{op}: Expected target size {list(shape[:1] + shape[2:])}, got {list(tshape)} "
                           f"(input of shape {shape})")


def _ignore_index(op, ignore_index):
    if not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"{op}(): argument 'ignore_index' must be int, not {type(ignore_index).__name__}")
    return int(ignore_index)


def _class_weight(op, weight, n):
    if weight is not None and tuple(weight.shape) != (n,):
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {n} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    return _constant(op, "weight", weight)


@declare(method=False, top=False, functional=True)
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` (C,), (N, C) or (N, C, d1, ...) at the class
    indices `target` (), (N,) or (N, d1, ...); `weight` (C,) weighs each class, targets equal to
    `ignore_index` count for nothing, and a 'mean' divides by the total weight of the others.

    Example: ``nll_loss(log_softmax(logits, 1), labels)``
    """
    op = "nll_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    n = _n_classes(op, input)
    _check_class_target(op, input, target)
    weight, ignore_index = _class_weight(op, weight, n), _ignore_index(op, ignore_index)
    return via_kernel_dtype(NLLLoss.apply, input, target, weight, ignore_index, reduction)


@declare(method=False, top=False, functional=True)
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits `input` (C,), (N, C) or (N, C, d1, ...) against class indices `target`
    (), (N,) or (N, d1, ...) (one fused, stable kernel: ``nll_loss(log_softmax(input, 1), target)``
    in one pass), or against class probabilities of the input's shape. `weight`, `ignore_index`
    and `label_smoothing` (mixes ``label_smoothing / C`` of the uniform distribution into the
    target) as in PyTorch.

    Example: ``loss = cross_entropy(model(x), labels); loss.backward()``
    """
    op = "cross_entropy"
    reduction = _reduction(op, reduction, size_average, reduce)
    n = _n_classes(op, input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"{op}: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    ignore_index = _ignore_index(op, ignore_index)
    if tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing, n)
    if target.dtype.is_floating_point and target.ndim == input.ndim:
        raise RuntimeError(f"{op}: a target of class probabilities must have the input's shape "
                           f"{tuple(input.shape)}, got {tuple(target.shape)}")
    _check_class_target(op, input, target)
    return via_kernel_dtype(CrossEntropy.apply, input, target, _class_weight(op, weight, n), ignore_index,
                            reduction, float(label_smoothing))


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing, n):
    """-sum_c w_c * p_c * log_softmax(input)_c per sample: target p of class probabilities."""
    if not target.dtype.is_floating_point:
        raise RuntimeError("cross_entropy: Expected floating point type for target with class probabilities, "
                           f"got {target.dtype.name} (target of shape {tuple(target.shape)})")
    if ignore_index >= 0:
        raise RuntimeError("cross_entropy: ignore_index is not supported for floating point target")
    _class_weight("cross_entropy", weight, n)
    dim = 1 if input.ndim > 1 else 0
    if label_smoothing > 0:
        target = add(mul(target, 1 - label_smoothing), label_smoothing / n)
    loss = mul(log_softmax(input, dim), target)
    if weight is not None:
        loss = mul(loss, weight.reshape((n,) + (1,) * (input.ndim - 2)) if input.ndim > 1 else weight)
    if reduction == "none":
        return neg(_sum(loss, dim))
    total = neg(_sum(loss))
    count = input.numel() // n if n else 0
    return total if reduction == "sum" else mul(total, 1 / count if count else math.nan)


# ---- kl_div, poisson_nll_loss, gaussian_nll_loss: composed of differentiable ops --------------------------------

def reduce_tensor(loss, reduction):
    """A loss Tensor reduced as PyTorch's apply_loss_reduction: 'mean' | 'sum' | 'none'."""
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _log_or_zero_at_zero(t):
    """log(t), and 0 where t is 0 (t * log(t) is then 0 there, with a finite gradient)."""
    return (t + wrap((t._data == 0).astype(t._data.dtype), t._data)).log()


@declare(method=False, top=False, functional=True)
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """The Kullback-Leibler divergence of `target` from log-probabilities `input`, pointwise
    ``target * (log(target) - input)`` (``exp(target) * (target - input)`` with `log_target`), reduced;
    'batchmean' divides the sum by the batch size (the KL divergence's definition), 'mean' by the element count.

    Example: ``F.kl_div(F.log_softmax(logits, 1), probs, reduction='batchmean')``"""
    op = "kl_div"
    if size_average is None and reduce is None:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                          "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                          "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        if reduction != "batchmean":
            reduction = _reduction(op, reduction)
    else:
        reduction = _reduction(op, reduction, size_average, reduce)
    if input.dtype.is_floating_point is False or target.dtype.is_floating_point is False:
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        input, target = promote_pair(input, target)
        loss = target.exp() * (target - input)
    else:           # as PyTorch: xlogy(target, target) in the target's dtype, then promoted
        loss = target * _log_or_zero_at_zero(target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim != 0 else total
    return reduce_tensor(loss, reduction)


@declare(method=False, top=False, functional=True)
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Negative log-likelihood of `target` under Poisson(rate): ``exp(input) - target * input`` for log rates
    (`log_input`), else ``input - target * log(input + eps)``; `full` adds Stirling's approximation of
    ``log(target!)`` where target > 1.

    Example: ``F.poisson_nll_loss(log_rate, counts)``"""
    reduction = _reduction("poisson_nll_loss", reduction, size_average, reduce)
    input, target = _float_pair("poisson_nll_loss", input, target, complex_ok=True)
    if full and target.is_complex():            # Stirling's term compares target with 1
        raise not_implemented("le_cpu", target)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target._data > 1
        safe = TOP["where"](wrap(big, target._data), target, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (safe * (2 * math.pi)).log()
        loss = loss + TOP["where"](wrap(big, target._data), stirling, 0.0)
    return reduce_tensor(loss, reduction)


def _gaussian_var(input, var):
    """var broadcastable against input, as PyTorch's checks allow it (one dim short, or one size-1 mismatch)."""
    shape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape == shape:
        return var
    if shape[:-1] == vshape:
        return var.unsqueeze(-1)
    if len(shape) == len(vshape) and sum(v for s, v in zip(shape, vshape) if s != v) == 1:
        return var
    raise ValueError("var is of incorrect size")


@declare(method=False, top=False, functional=True)
def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of `target` under Normal(input, var): ``0.5 * (log(var) + (input - target)² / var)``
    (+ ``0.5 * log(2 pi)`` with `full`), var floored at eps; var of input's shape, or one dim short of it, or with
    one dim of size 1 (homoscedastic), or a float.

    Example: ``F.gaussian_nll_loss(mean, target, variance)``"""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = ones_like(input) * var
    elif var.is_complex():                      # PyTorch's `var < 0` check has no complex kernel
        raise not_implemented("lt_cpu", var)
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = _gaussian_var(input, var)
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = floor_values(var, eps)
    d = input - target
    loss = 0.5 * (var.log() + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_tensor(loss, reduction)
