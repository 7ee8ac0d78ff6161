"""Embedding lookups: F.embedding (rows of a weight matrix at integer indices of any shape; backward: the gradient's
rows added into a zero matrix at those indices), F.embedding_bag, and F.one_hot.

The lookup and its backward are a pair of ops, each the other's gradient (RowsTake <-> RowsScatter), so gradients
of every order come from the same two forwards. Every index is bounds-checked before use."""
import numpy as np

from .. import _api
from ..autograd.op_function import Function, device_error
from ..creation import full
from ..tensor import Tensor
from . import _formula as m
from .indexing import add_at, index_put
from ._util import kernels_of, xp_of

declare = _api.declare


def _rows_add(xp, out, index, rows):
    """out[index[i]] += rows[i] for a 2-D out, repeats adding up: the kernel table's rows_add where the device has
    one (the CPU, float32/float64), else NumPy's add.at through one flat index (3 to 4 times faster on a 1-D array
    than along the rows of a 2-D one)."""
    kernel = getattr(kernels_of(out), "rows_add", None)
    if kernel is not None and out.dtype.kind == "f" and out.dtype.itemsize >= 4 and out.flags.c_contiguous \
            and rows.dtype == out.dtype:
        kernel(out, index, rows)
        return
    width = out.shape[1]
    flat = (index.reshape(-1, 1) * width + xp.arange(width)).reshape(-1)
    add_at(xp, out.reshape(-1), flat, rows.reshape(-1))


def _take(w, index, scale, num):
    return RowsTake.apply(w, index, scale, num, True) if m.is_graph(w) else _take_array(w, index, scale)


def _scatter(g, index, scale, num):
    return RowsScatter.apply(g, index, scale, num) if m.is_graph(g) else _scatter_array(g, index, scale, num)


def _take_array(w, index, scale):
    out = xp_of(w).take(w, index, axis=0)
    return out if scale is None else out * scale[..., None]


def _scatter_array(g, index, scale, num):
    xp = xp_of(g)
    out = xp.zeros((num,) + tuple(g.shape[index.ndim:]), dtype=g.dtype)
    if not index.size:
        return out
    rows = g.reshape(index.size, -1)
    if scale is not None:
        rows = rows * scale.reshape(-1, 1)
    _rows_add(xp, out.reshape(num, -1), index.reshape(-1), rows)
    return out


class RowsTake(Function):
    """w[index] * scale[..., None] (scale None or out_scale False: 1) for w (num, *): the rows of w at the integer
    array index (any shape). Its gradient is RowsScatter with the same scale (embedding's: the padding row zeroed,
    rows divided by their index's count); with `sparse`, a sparse COO gradient of one entry per lookup instead (the
    padding row's left out), as PyTorch's embedding(sparse=True)."""
    op_name = "embedding"

    @staticmethod
    def forward(ctx, w, index, scale, num, out_scale, sparse=False, padding_idx=None, by_freq=False):
        ctx.index, ctx.scale, ctx.num = index, scale, num
        ctx.sparse, ctx.padding_idx, ctx.by_freq = sparse, padding_idx, by_freq
        return _take_array(w, index, scale if out_scale else None)

    @staticmethod
    def backward(ctx, g):
        if ctx.sparse:
            if m.is_graph(g):
                raise RuntimeError("embedding(sparse=True): double backward (create_graph=True) through a sparse "
                                   "gradient is not supported in autograd_lite")
            if ctx.by_freq:
                raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with sparse gradients")
            return _sparse_rows_grad(g, ctx.index, ctx.scale, ctx.num, ctx.padding_idx), None, None, None, None, \
                None, None, None
        return _scatter(g, ctx.index, ctx.scale, ctx.num), None, None, None, None, None, None, None

    def name(self):
        return "EmbeddingBackward0"


class RowsScatter(Function):
    """zeros(num, *) with row g[i] * scale[i] added at index[i] (repeats add up): the gradient of RowsTake. Its own
    gradient is RowsTake again."""
    op_name = "embedding_backward"

    @staticmethod
    def forward(ctx, g, index, scale, num):
        ctx.index, ctx.scale, ctx.num = index, scale, num
        return _scatter_array(g, index, scale, num)

    @staticmethod
    def backward(ctx, gg):
        return _take(gg, ctx.index, ctx.scale, ctx.num), None, None, None

    def name(self):
        return "EmbeddingDenseBackwardBackward0"


def _sparse_rows_grad(g, index, scale, num, padding_idx):
    """embedding's sparse gradient: a COO (num, *) with row g[i] * scale[i] at index[i] per lookup, uncoalesced
    (repeats stay), the lookups of padding_idx left out."""
    from ..sparse._coo import COO
    xp = xp_of(g)
    idx = index.reshape(-1).astype(np.int64, copy=False)
    rows = g.reshape((idx.shape[0],) + tuple(g.shape[index.ndim:]))
    if scale is not None:
        rows = rows * scale.reshape((-1,) + (1,) * (rows.ndim - 1))
    if padding_idx is not None:
        keep = idx != padding_idx
        idx, rows = idx[keep], rows[keep]
    return COO(idx.reshape(1, -1), xp.ascontiguousarray(rows), (num,) + tuple(g.shape[index.ndim:]))


def check_indices(input, weight, op="embedding"):
    """PyTorch's checks of embedding's indices against a weight (num, dim): a Tensor of int32/int64, every value in
    [0, num), on the weight's device."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'indices' (position 2) must be Tensor, not {type(input).__name__}")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{input.dtype.scalar_type}Tensor instead (while checking "
                           f"arguments for {op})")
    err = device_error(op, (weight, input))
    if err is not None:
        raise err
    index = input._data
    if index.size and (int(index.min()) < 0 or int(index.max()) >= weight.shape[0]):
        raise IndexError("index out of range in self")
    return index


def padding_index(padding_idx, num):
    """padding_idx as a row of a weight of `num` rows (a negative one counts from the end); None stays None."""
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num if padding_idx < 0 else padding_idx


def _grad_scale(index, num, padding_idx, scale_grad_by_freq, dtype):
    """Per lookup, the factor of its row's gradient: 0 at padding_idx, 1 / (times its index occurs) with
    scale_grad_by_freq, else 1 (None when all are 1)."""
    xp = xp_of(index)
    scale = None
    if scale_grad_by_freq:
        counts = xp.bincount(index.reshape(-1), minlength=num)
        scale = (1 / counts[index]).astype(dtype)
    if padding_idx is not None:
        keep = (index != padding_idx).astype(dtype)
        scale = keep if scale is None else scale * keep
    return scale


def renorm_(weight, index, max_norm, norm_type):
    """Rescales, in place and outside autograd, the rows of weight that index names whose norm_type-norm exceeds
    max_norm, to norm max_norm (PyTorch's embedding_renorm_)."""
    w = weight._data
    xp = xp_of(w)
    rows = xp.unique(index.reshape(-1))
    sel = w[rows]
    a = xp.abs(sel)
    if norm_type == float("inf"):
        norms = a.max(axis=1)
    elif norm_type == 0:
        norms = (a != 0).sum(axis=1).astype(w.dtype)
    else:
        norms = (a ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    factor = xp.where(over, max_norm / (norms + 1e-7), 1).astype(w.dtype)
    w[rows] = sel * factor[:, None]
    weight._version[0] += 1


@declare(method=False, top=False, functional=True)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """The rows of `weight` (num_embeddings, embedding_dim) at the integer indices `input` (int64/int32, any
    shape): output (*input.shape, embedding_dim). The gradient of a repeated row adds up; padding_idx's row gets
    none; scale_grad_by_freq divides each row's gradient by how often it occurs in input; max_norm first rescales
    the looked-up rows of weight, in place, to that norm at most. sparse=True makes weight's gradient a sparse COO
    tensor (one entry per lookup, for optim.SparseAdam / SGD / Adagrad).

    Example::

        >>> w = torch.randn(10, 3)
        >>> F.embedding(torch.tensor([[1, 2], [4, 1]]), w).shape
        autograd_lite.Size([2, 2, 3])
    """
    index = check_indices(input, weight)
    num = weight.shape[0]
    padding_idx = padding_index(padding_idx, num)
    if max_norm is not None:
        renorm_(weight, index, max_norm, norm_type)
    scale = _grad_scale(index, num, padding_idx, scale_grad_by_freq, weight._data.dtype) if weight._rg else None
    return RowsTake.apply(weight, input, scale, num, False, bool(sparse), padding_idx,   # scale: the gradient's
                          bool(scale_grad_by_freq))


@declare(method=False, top=False, functional=True)
def one_hot(tensor, num_classes=-1):
    """int64 one-hot vectors of the class indices `tensor` (int64, any shape): output (*tensor.shape, num_classes),
    num_classes -1 meaning the largest index + 1. Example: ``F.one_hot(torch.tensor([0, 2]), 3)``."""
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    index = tensor._data
    xp = xp_of(index)
    if num_classes == -1:
        if not index.size:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(index.max()) + 1
    if index.size:
        if int(index.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(index.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes < 0:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (index[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._make(out)


def _type_name(x):
    return "<class 'torch.Tensor'>" if isinstance(x, Tensor) else str(type(x))


def _bag_offsets(input, offsets, per_sample_weights, include_last_offset):
    """(flat indices, flat per-sample weights or None, host offsets of each bag's start plus the end, bag count)."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {_type_name(offsets)}")
        bags, size = input.shape
        starts = np.arange(bags + 1, dtype=np.int64) * size
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
        return input.reshape(-1), per_sample_weights, starts, bags
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if offsets is None or offsets.ndim != 1:
        raise ValueError(f"offsets has to be a 1D Tensor but got {None if offsets is None else offsets.ndim}")
    if offsets.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"Expected tensor for argument #2 'offsets' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{offsets.dtype.scalar_type}Tensor instead (while checking "
                           "arguments for embedding_bag)")
    starts = np.asarray(offsets.cpu().numpy(), dtype=np.int64)
    n = input.shape[0]
    if starts.size and starts[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {starts[0]}")
    if starts.size and starts[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                           f"{starts[-1]}")
    if (np.diff(starts) < 0).any():
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got {starts.tolist()}")
    if not include_last_offset:
        starts = np.append(starts, n)
    return input, per_sample_weights, starts, max(starts.size - 1, 0)


@declare(method=False, top=False, functional=True)
def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """The sum, mean or max of each bag of embeddings: input (B, N) is B bags of N indices; a 1-D input is cut into
    bags at `offsets` (each bag's start; with include_last_offset the last entry is the end). per_sample_weights
    (input's shape, mode 'sum' only) weighs each looked-up row; padding_idx's entries are left out of their bag; an
    empty bag gives zeros. Output (B, embedding_dim).

    Example::

        >>> w = torch.randn(10, 3)
        >>> F.embedding_bag(torch.tensor([1, 2, 4, 5]), w, torch.tensor([0, 2]), mode="sum").shape
        autograd_lite.Size([2, 3])
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if weight.is_complex():
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, "
                           f"BFloat16, Float, Double; but got {weight.device.type.upper()}{weight.dtype.scalar_type}"
                           "Type instead (while checking arguments for embedding_bag)")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                      "on GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights (torch.Size({list(per_sample_weights.shape)})) is "
                             f"not None, then it must have the same shape as the input (torch.Size("
                             f"{list(input.shape)}))")
    check_indices(input, weight, "embedding_bag")
    flat, psw, starts, bags = _bag_offsets(input, offsets, per_sample_weights, include_last_offset)
    num = weight.shape[0]
    padding_idx = padding_index(padding_idx, num)
    used = int(starts[-1]) if starts.size else 0
    if used < flat.shape[0]:             # entries past the last offset belong to no bag
        flat = flat[:used]
        psw = None if psw is None else psw[:used]
    # sparse: the padding lookups are left out of weight's gradient, as PyTorch's (dense: their rows weigh 0 below)
    rows = embedding(flat, weight, padding_idx if sparse else None, max_norm, norm_type, scale_grad_by_freq, sparse)
    if psw is not None:
        rows = rows * psw.reshape(-1, 1)
    host = flat.cpu().numpy()
    keep = np.ones(host.shape, bool) if padding_idx is None else host != padding_idx
    bag = np.repeat(np.arange(bags), np.diff(starts))
    if mode == "max":
        return _bag_max(rows, bag, keep, starts, bags, weight)
    scale = keep.astype(np.float64)
    if mode == "mean":
        counts = np.bincount(bag[keep], minlength=bags)
        scale = scale / np.maximum(counts, 1)[bag]
    xp = xp_of(weight._data)
    scale = xp.asarray(scale.astype(weight._data.dtype))
    return RowsScatter.apply(rows, xp.asarray(bag), scale, bags)


def _bag_max(rows, bag, keep, starts, bags, weight):
    """The elementwise max of each bag's kept rows (0 for a bag with none): the rows placed in a (bags, longest,
    dim) tensor filled with -inf, then max over the middle dim."""
    xp = xp_of(weight._data)
    position = np.arange(bag.size) - starts[:-1][bag]
    longest = int(np.diff(starts).max()) if bags else 0
    out = full((bags, max(longest, 1), weight.shape[1]), float("-inf"), dtype=weight.dtype, device=weight.device)
    if keep.any():
        sel = np.flatnonzero(keep)
        picked = rows if keep.all() else rows[Tensor._make(xp.asarray(sel))]
        out = index_put(out, (Tensor._make(bag[sel]), Tensor._make(position[sel])), picked)
    empty = np.bincount(bag[keep], minlength=bags) == 0
    best = out.amax(1)
    if empty.any():
        best = best.masked_fill(Tensor._make(xp.asarray(empty[:, None])), 0.0)
    return best
