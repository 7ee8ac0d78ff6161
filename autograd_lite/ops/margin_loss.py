"""Margin and embedding losses with torch.nn.functional's signatures: margin_ranking_loss, hinge_embedding_loss,
cosine_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss, multi_margin_loss, multilabel_margin_loss,
triplet_margin_loss, triplet_margin_with_distance_loss. Each is composed of differentiable ops (gradients of every
order); what comes from the targets (masks, counts, picked weights) is a constant of the graph."""
import numpy as np

from .. import _api
from .._api import TOP
from ._util import not_implemented, wrap, xp_of
from .activation import logsigmoid
from .distance import pairwise_distance
from .loss import _reduction, reduce_tensor

declare = _api.declare


def _where(cond, a, b):
    return TOP["where"](cond, a, b)


def _size(t):
    return list(t.shape)


@declare(method=False, top=False, functional=True)
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``, reduced: target 1 wants input1 ranked higher, -1 input2.

    Example: ``F.margin_ranking_loss(score_a, score_b, autograd_lite.ones(4))``"""
    reduction = _reduction("margin_ranking_loss", reduction, size_average, reduce)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return reduce_tensor((-target * (input1 - input2) + margin).clamp(min=0), reduction)


@declare(method=False, top=False, functional=True)
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1, ``max(0, margin - input)`` where it is -1 (input: distances), reduced.

    Example: ``F.hinge_embedding_loss(distances, autograd_lite.tensor([1, -1, 1]))``"""
    reduction = _reduction("hinge_embedding_loss", reduction, size_average, reduce)
    loss = _where(target != 1, (margin - input).clamp(min=0), 0.0) + _where(target != -1, input, 0.0)
    return reduce_tensor(loss, reduction)


@declare(method=False, top=False, functional=True)
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(input1, input2)`` where target is 1, ``max(0, cos - margin)`` where it is -1 (cosines along the last
    dim of (N, D) or (D,) inputs), reduced.

    Example: ``F.cosine_embedding_loss(a, b, autograd_lite.tensor([1, -1]))`` for a, b (2, D)"""
    reduction = _reduction("cosine_embedding_loss", reduction, size_average, reduce)
    dim = target.ndim
    if dim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if (input1.ndim, input2.ndim) != (dim + 1, dim + 1):
        raise RuntimeError(f"{dim}D target tensor expects {dim + 1}D input tensors, but found inputs with sizes "
                           f"{_size(input1)} and {_size(input2)}.")
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    denom = (((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)).sqrt()
    cos = prod / denom
    loss = _where(target == 1, 1 - cos, 0.0) + _where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return reduce_tensor(loss, reduction)


@declare(method=False, top=False, functional=True)
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The two-class logistic loss ``log(1 + exp(-target * input))`` (targets 1 or -1), reduced.

    Example: ``F.soft_margin_loss(scores, autograd_lite.tensor([1.0, -1.0]))``"""
    reduction = _reduction("soft_margin_loss", reduction, size_average, reduce)
    return reduce_tensor((-input * target).exp().log1p(), reduction)


@declare(method=False, top=False, functional=True)
def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy of sigmoid(input) against 0/1 targets, averaged over the classes (the last dim), one loss
    per sample; `weight` weighs the classes.

    Example: ``F.multilabel_soft_margin_loss(logits, labels.float())`` for (N, C) logits and labels"""
    if size_average is not None or reduce is not None:
        reduction = _reduction("multilabel_soft_margin_loss", reduction, size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction + " is not valid")
    return reduce_tensor(loss, reduction)


def _frames(op, input, target, weight=None):
    """(frames, classes) of a multi-class margin loss's input: (C,), (N, C) or a 0-d tensor, with PyTorch's checks."""
    nd = input.ndim
    if not ((nd == 2 and input.shape[1] != 0) or (nd == 1 and input.shape[0] != 0) or nd == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{_size(input)}")
    if not input.dtype.is_floating_point:
        raise not_implemented(op, input)
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected target of integer class indices, but got {target.dtype.scalar_type}")
    return (1, input.shape[0] if nd == 1 else 1) if nd <= 1 else tuple(input.shape)


@declare(method=False, top=False, functional=True)
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """The multi-class hinge loss: for each sample, ``sum over i != y of max(0, margin - x[y] + x[i]) ** p / C``
    (times weight[y]), y its target class, reduced; p 1 or 2.

    Example: ``F.multi_margin_loss(scores, labels)`` for (N, C) scores and (N,) class indices"""
    reduction = _reduction("multi_margin_loss", reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    n, c = _frames("multi_margin_loss", input, target)
    if target.ndim > 1 or target.numel() != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {_size(target)}. Input has "
                           f"shape {_size(input)}.")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {_size(weight)}")
    t = target._data.reshape(-1)
    if ((t < 0) | (t >= c)).any():
        raise RuntimeError("target out of range")
    x, column = input.reshape(n, c), t.reshape(n, 1)
    z = (margin - x.gather(1, wrap(column, t)) + x).clamp(min=0)
    others = wrap(xp_of(t).arange(c).reshape(1, c) != column, t)        # the classes i != y
    h = _where(others, z if p == 1 else z * z, 0.0)
    if weight is not None:
        h = h * wrap(weight._data.astype(input._data.dtype)[t].reshape(n, 1), t)
    loss = h.sum(1) / c
    if reduction == "none":
        return loss if target.ndim > 0 else loss.reshape(())
    return reduce_tensor(loss, reduction)


@declare(method=False, top=False, functional=True)
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The multi-label hinge loss: for each sample, ``sum over targets j and non-targets i of
    max(0, 1 - (x[j] - x[i])) / C``; a sample's targets are the class indices of its target row up to the first -1.

    Example: ``F.multilabel_margin_loss(scores, autograd_lite.tensor([[3, 0, -1, 1]]))``"""
    reduction = _reduction("multilabel_margin_loss", reduction, size_average, reduce)
    n, c = _frames("multilabel_margin_loss", input, target)
    if (input.ndim <= 1 and (target.ndim > 1 or target.numel() != c)) or \
            (input.ndim == 2 and tuple(target.shape) != (n, c)):
        raise RuntimeError(f"inconsistent target size: {_size(target)} for input of size: {_size(input)}")
    t = target._data
    t = np.asarray(t.get() if hasattr(t, "get") else t).reshape(n, c)
    if ((t < -1) | (t >= c)).any():
        raise RuntimeError("multilabel_margin_loss: target index out of range (expected -1 or a class in "
                           f"[0, {c}), got {t.min() if (t < -1).any() else t.max()})")
    counts = np.zeros((n, c), input._data.dtype)
    for row in range(n):
        for j in t[row]:
            if j < 0:
                break
            counts[row, j] += 1
    pairs = counts[:, :, None] * (counts == 0)[:, None, :]           # (target j, non-target i) pairs, counted
    x = input.reshape(n, c)
    hinge = (1 - x.reshape(n, c, 1) + x.reshape(n, 1, c)).clamp(min=0)
    loss = (hinge * wrap(pairs, input._data)).sum((1, 2)) / c
    if reduction == "none":
        return loss if input.ndim == 2 else loss.reshape(())
    return reduce_tensor(loss, reduction)


def _triplet_dims(anchor, positive, negative):
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs")


def _triplet(anchor, positive, negative, distance, margin, swap, reduction):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _triplet_dims(anchor, positive, negative)
    d_pos, d_neg = distance(anchor, positive), distance(anchor, negative)
    if swap:
        d_neg = TOP["minimum"](d_neg, distance(positive, negative))
    return reduce_tensor((margin + d_pos - d_neg).clamp(min=0), reduction)


@declare(method=False, top=False, functional=True)
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))``, d the p-norm pairwise_distance; `swap` takes
    the smaller of d(anchor, negative) and d(positive, negative).

    Example: ``F.triplet_margin_loss(a, pos, neg, margin=0.5)``"""
    reduction = _reduction("triplet_margin_loss", reduction, size_average, reduce)
    return _triplet(anchor, positive, negative, lambda x, y: pairwise_distance(x, y, p, eps), margin, swap,
                    reduction)


@declare(method=False, top=False, functional=True)
def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """triplet_margin_loss with any distance: ``distance_function(x, y)`` (default pairwise_distance).

    Example: ``F.triplet_margin_with_distance_loss(a, pos, neg, distance_function=lambda x, y: 1 -
    F.cosine_similarity(x, y))``"""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _triplet(anchor, positive, negative, distance_function or pairwise_distance, margin, swap, reduction)
