"""Out-of-place writes into a copy of a tensor (each with its in-place ``name_`` and, where PyTorch has it, the
top-level function): index_fill, index_copy, index_put with accumulate, masked_scatter, put, scatter_reduce,
index_reduce, select_scatter, slice_scatter, diagonal_scatter. Gradients of every order: the region written gets
the gradient of the values, the rest that of the input."""
import numpy as np

from .. import _api
from .._args import canon_dim
from ..autograd.op_function import Function
from ..tensor import Tensor
from . import _formula as m
from .indexing import (IndexPut, _check_scatter, _multiply_at, add_at, add_along, along, gather, index_tensors,
                       normalize_key, scatter, scatter_add)
from ._util import as_tensor, quiet, xp_of

declare = _api.declare

_SCALAR_NAME = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _name(t):
    return _SCALAR_NAME.get(t.dtype.name, t.dtype.name)


def _along_key(d, index):
    return (slice(None),) * d + (index,)


def _check_dim_range(idx, n, d, prefix="", allow_negative=False):
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        low = -n if allow_negative else 0
        if hi >= n or lo < low:
            raise IndexError(f"{prefix}index {hi if hi >= n else lo} is out of bounds for dimension {d} with size {n}")


def _put_region(x, key, value, *index_arrays):
    """x with x[key] = value (value: a Tensor of x's dtype, or a number); differentiable in both."""
    return IndexPut.apply(x, value, key, *index_arrays)


# ---- index_fill / index_copy ----------------------------------------------------------------------------------------

@declare(inplace=True)
def index_fill(input, dim, index, value):
    """input with `value` (a number or a 0-d tensor) at the positions `index` (int64) along `dim`:
    ``torch.zeros(2, 3).index_fill(1, torch.tensor([0, 2]), 5.0)``. Differentiable in input and a tensor value."""
    if index.dtype.name != "int64":
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")
    scalar = input.ndim == 0
    x = input.reshape(1) if scalar else input
    d = canon_dim(dim, x.ndim, "index_fill")
    n = x.shape[d]
    idx = index._data.reshape(-1)
    _check_dim_range(idx, n, d, allow_negative=True)
    xp = xp_of(idx)
    idx = xp.unique(xp.where(idx < 0, idx + n, idx))     # PyTorch gives a tensor value each place's gradient once
    if isinstance(value, Tensor):
        value = value.to(x.dtype)
        if value.device != x.device:
            value = value.to(x.device)
    else:
        value = xp_of(x._data).asarray(value).astype(x._data.dtype)
        value = Tensor._make(value)
    out = _put_region(x, _along_key(d, idx), value)
    return out.reshape(()) if scalar else out


@declare(inplace=True)
def index_copy(input, dim, index, source):
    """input with the slices of `source` along `dim` written at the positions `index` (int64):
    ``x.index_copy(0, torch.tensor([2, 0]), rows)``. Differentiable in input and source."""
    if index.dtype.name != "int64":
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_name(index)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_name(input)} and (source) {_name(source)}")
    if index.ndim > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got 2)")
    if input.ndim and source.ndim and source.ndim != input.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({source.ndim}), destination dimensionality ({input.ndim})")
    scalar = input.ndim == 0
    x = input.reshape(1) if scalar else input
    src = source.reshape(1) if source.ndim == 0 else source
    d = canon_dim(dim, x.ndim, "index_copy")
    count = src.shape[d] if src.ndim > d else 1
    if index.numel() != count:
        raise IndexError(f"index_copy_(): Number of indices ({index.numel()}) should be equal to source.size(dim) "
                         f"({count})")
    idx = index._data.reshape(-1)
    _check_dim_range(idx, x.shape[d], d, "index_copy_(): ")
    out = _put_region(x, _along_key(d, idx), src, index)
    return out.reshape(()) if scalar else out


# ---- index_put with accumulate, put ---------------------------------------------------------------------------------

class IndexPutAccumulate(Function):
    """x with values added at key (repeats accumulate); gradients g and g[key]."""
    op_name = "index_put"

    @staticmethod
    def forward(ctx, x, values, key, *index_arrays):
        ctx.key = key
        out = x.copy()
        add_at(xp_of(x), out, key, values)
        return out

    @staticmethod
    def backward(ctx, g):
        return g, g[ctx.key], None


def index_put(input, indices, values, accumulate=False):
    """input with ``input[indices] = values`` (or ``+=`` with accumulate=True, repeats adding up), out of place:
    ``x.index_put((torch.tensor([0, 0]),), torch.ones(3), accumulate=True)``."""
    if isinstance(indices, Tensor):
        raise TypeError("index_put(): argument 'indices' (position 1) must be tuple of Tensors, not Tensor")
    values = values if isinstance(values, Tensor) else as_tensor(values, input)
    if values.dtype is not input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {_name(input)} for "
                           f"the destination and {_name(values)} for the source.")
    key, _ = normalize_key(tuple(indices), input._data)
    if accumulate:
        return IndexPutAccumulate.apply(input, values, key, *index_tensors(tuple(indices)))
    return IndexPut.apply(input, values, key, *index_tensors(tuple(indices)))


declare(index_put, inplace=True)
_api.TOP["index_put_"] = Tensor.index_put_


@declare(inplace=True)
def put(input, index, source, accumulate=False):
    """input (as if flattened) with `source` written (or added, accumulate=True) at the flat positions `index`
    (int64, negative from the end): ``x.put(torch.tensor([0, 5]), torch.tensor([9., 9.]))``."""
    if index.dtype.name != "int64":
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_name(index)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_name(input)} and source.dtype = {_name(source)}")
    if index.numel() != source.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    n = input.numel()
    idx = index._data.reshape(-1)
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= n or lo < -n:
            raise IndexError(f"out of range: tried to access index {hi if hi >= n else lo} on a tensor of {n} "
                             "elements.")
    flat = input.reshape(-1)
    out = index_put(flat, (Tensor._make(idx),), source.reshape(-1), accumulate)
    return out.reshape(input.shape)



# ---- masked_scatter -------------------------------------------------------------------------------------------------

@declare(inplace=True)
def masked_scatter(input, mask, source):
    """input with the leading elements of `source`, in order, written where the bool `mask` (broadcast) holds:
    ``x.masked_scatter(x > 0, torch.zeros(x.numel()))``. Differentiable in input and source."""
    if mask.dtype.name != "bool":
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {_name(mask)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got{_name(input)} "
                           f"and {_name(source)}")
    shape = tuple(np.broadcast_shapes(tuple(input.shape), tuple(mask.shape)))
    x = input if tuple(input.shape) == shape else input.expand(shape)
    mk = mask if tuple(mask.shape) == shape else mask.expand(shape)
    count = int(mk._data.sum())
    if source.numel() < count:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    values = source.reshape(-1)[:count]
    key, _ = normalize_key((mk._data,), x._data)
    return IndexPut.apply(x, values, key)


# ---- scatter_reduce / index_reduce ----------------------------------------------------------------------------------

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _identity(dtype, reduce):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _reduce_at(xp, reduce, out, key, values):
    with quiet(xp):               # NaN propagates into max / min silently, as in PyTorch
        _reduce_at_loud(xp, reduce, out, key, values)


def _reduce_at_loud(xp, reduce, out, key, values):
    if reduce == "prod":
        _multiply_at(xp, out, key, values)
    else:
        ufunc = xp.maximum if reduce == "amax" else xp.minimum
        at = getattr(ufunc, "at", None)
        if at is not None:
            at(out, key, values)
        else:                                   # CuPy without ufunc.at for max / min
            import cupyx
            (cupyx.scatter_max if reduce == "amax" else cupyx.scatter_min)(out, key, values)


def _scatter_reduce_array(x, index, src, dim, reduce, include_self):
    xp = xp_of(x)
    out = x.copy()
    if not index.size:
        return out
    key = along(index, dim) if reduce not in ("sum", "mean") or not include_self else None
    if src.shape != index.shape:
        src = src[tuple(slice(0, s) for s in index.shape)]
    if not include_self:
        out[key] = _identity(x.dtype, reduce)
    if reduce in ("sum", "mean"):
        add_along(xp, out, dim, index, src)          # the scatter-add kernel where the device has one
    else:
        _reduce_at(xp, reduce, out, key, src)
    if reduce == "mean":
        count = _counts(xp, x.shape, x.dtype, dim, index, include_self)
        if x.dtype.kind == "f":
            out /= count
        else:
            out = xp.floor_divide(out, count)
    return out


def _counts(xp, shape, dtype, dim, index, include_self):
    """How many values each place of a scatter along `dim` at `index` gets (one more with include_self), at least
    1: scatter_reduce 'mean''s divisor."""
    count = xp.full(shape, 1 if include_self else 0, dtype=dtype)
    add_along(xp, count, dim, index, xp.ones(index.shape, dtype=dtype))
    count[count == 0] = 1
    return count


def _as_tensor_of(a):
    return a if m.is_graph(a) else Tensor._make(a)


class ScatterReduce(Function):
    """scatter_reduce on arrays; its backward is PyTorch's scatter_reduce_backward written with the differentiable
    ops (scatter_add, gather, scatter_reduce itself for prod), so it has gradients of every order."""
    op_name = "scatter_reduce"

    @staticmethod
    def forward(ctx, x, index, src, dim, reduce, include_self):
        ctx.dim, ctx.reduce, ctx.include_self = dim, reduce, include_self
        out = _scatter_reduce_array(x, index, src, dim, reduce, include_self)
        ctx.save_for_backward(x, index, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        graph = m.is_graph(g)
        x, index, src, result = (_as_tensor_of(a) for a in ctx._saved)
        g = _as_tensor_of(g)
        index = Tensor._make(m.data(index))
        gx, gs = _scatter_reduce_grads(g, x, ctx.dim, index, src, ctx.reduce, ctx.include_self, result)
        if tuple(gs.shape) != tuple(src.shape):        # src larger than index: zeros where unused
            gs = _pad_to(gs, tuple(src.shape))
        if not graph:
            gx, gs = gx._data, gs._data
        return gx, None, gs, None, None, None


def _pad_to(t, shape):
    out = Tensor._make(xp_of(t._data).zeros(shape, dtype=t._data.dtype))
    return _put_region(out, tuple(slice(0, s) for s in t.shape), t)


def _scatter_reduce_grads(g, x, dim, index, src, reduce, include_self, result):
    if reduce == "sum":
        gx, gs = g, gather(g, dim, index)
    elif reduce == "prod":
        masked_x = x.masked_fill(x == 0, 1)
        masked_x_result = scatter_reduce(masked_x, dim, index, src, reduce, include_self=include_self)
        gx = g * masked_x_result / masked_x
        src_zero = src == 0
        zeros = Tensor._make(xp_of(g._data).zeros(tuple(g.shape), dtype=g._data.dtype))
        src_num_zeros = gather(scatter_add(zeros, dim, index, src_zero.to(g.dtype)), dim, index)
        single_zero = src_zero & (src_num_zeros == 1)
        masked_src = src.masked_fill(single_zero, 1)
        masked_src_result = scatter_reduce(x, dim, index, masked_src, reduce, include_self=include_self)
        from .indexing import where
        gs = where(single_zero, gather(g * masked_src_result, dim, index),
                   gather(g * result, dim, index) / src.masked_fill(src_zero, 1))
    elif reduce == "mean":
        n = Tensor._make(_counts(xp_of(g._data), tuple(g.shape), g._data.dtype, dim, index._data, include_self))
        gx, gs = g / n, gather(g, dim, index) / gather(n, dim, index)
    else:
        value = gather(result, dim, index)
        x_is = (x == result).to(g.dtype)
        src_is = (src == value).to(g.dtype)
        src_is_sub = src_is if tuple(src_is.shape) == tuple(index.shape) else \
            src_is[tuple(slice(0, s) for s in index.shape)]
        n = scatter_add(x_is, dim, index, src_is_sub)
        distributed = g / n
        gx = x_is * distributed
        gs = src_is * gather(distributed, dim, index) if tuple(src_is.shape) == tuple(index.shape) else \
            src_is_sub * gather(distributed, dim, index)
    if not include_self:
        gx = scatter(gx, dim, index, 0)
    return gx, gs


@declare(inplace=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """input with the values of src combined along `dim` at `index` by `reduce` ('sum', 'prod', 'mean', 'amax',
    'amin'), input's own values included unless include_self=False:
    ``torch.zeros(3).scatter_reduce(0, torch.tensor([0, 0, 2]), torch.tensor([1., 2., 3.]), 'amax')``.
    Differentiable in input and src (ties of amax / amin share the gradient, as in PyTorch)."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = canon_dim(dim, input.ndim, "scatter_reduce")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 3) must be Tensor, not {type(src).__name__}")
    try:
        nonempty = _check_scatter(input, d, index, src, "scatter")
    except RuntimeError as e:       # PyTorch names no op for an index out of bounds here
        raise RuntimeError(str(e).replace("scatter(): index ", "index ", 1)) from None
    if not nonempty:
        return input.clone()
    if input.ndim == 0:
        return ScatterReduce.apply(input.reshape(1), index.reshape(1), src.reshape(1), 0, reduce,
                                   include_self).reshape(())
    return ScatterReduce.apply(input, index, src, d, reduce, include_self)


@declare(inplace=True)
def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """input with the slices of `source` along `dim` combined at the positions `index` by `reduce` ('prod',
    'mean', 'amax', 'amin'): ``x.index_reduce(0, torch.tensor([0, 0]), rows, 'amax')``. Differentiable."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    if index.dtype.name not in ("int32", "int64"):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {index.dtype.scalar_type}")
    if index.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_reduce_(): self ({input.dtype.scalar_type}) and source "
                           f"({source.dtype.scalar_type}) must have the same scalar type")
    scalar = input.ndim == 0
    x = input.reshape(1) if scalar else input
    src = source.reshape(1) if source.ndim == 0 else source
    d = canon_dim(dim, x.ndim, "index_reduce")
    if src.ndim != x.ndim or any(a != b for k, (a, b) in enumerate(zip(x.shape, src.shape)) if k != d):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(x.shape)} source.shape = {list(src.shape)}")
    if index.numel() != src.shape[d]:
        raise RuntimeError(f"index_reduce_(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim): ({src.shape[d]}), for dim: {d}")
    idx = index._data
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= x.shape[d]):
        raise IndexError("index out of range in self")
    shape = [1] * src.ndim
    shape[d] = -1
    idx = Tensor._make(xp_of(index._data).broadcast_to(index._data.reshape(shape).astype("int64"), tuple(src.shape)))
    out = ScatterReduce.apply(x, idx, src, d, reduce, include_self)
    return out.reshape(()) if scalar else out


# ---- select / slice / diagonal scatter ------------------------------------------------------------------------------

def _check_src(src, region_shape, input):
    if tuple(src.shape) != tuple(region_shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(region_shape)}")
    return src if src.dtype is input.dtype else src.to(input.dtype)


@declare
def select_scatter(input, src, dim, index):
    """input with ``input.select(dim, index)`` replaced by src: ``torch.select_scatter(torch.zeros(2, 2),
    torch.ones(2), 0, 0)``. Differentiable in both."""
    d = canon_dim(dim, input.ndim, "select_scatter")
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    key = _along_key(d, index + n if index < 0 else index) + (Ellipsis,)
    src = _check_src(src, input.shape[:d] + input.shape[d + 1:], input)
    return _put_region(input, key, src)


@declare
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """input with ``input[start:end:step]`` along `dim` replaced by src: ``torch.slice_scatter(torch.zeros(4, 4),
    torch.ones(4, 2), 1, 0, 4, 2)``. Differentiable in both."""
    d = canon_dim(dim, input.ndim, "slice_scatter")
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    key = _along_key(d, slice(start, end, step)) + (Ellipsis,)
    region = xp_of(input._data).empty((input.shape[d],), dtype=bool)[slice(start, end, step)].shape
    src = _check_src(src, input.shape[:d] + region + input.shape[d + 1:], input)
    return _put_region(input, key, src)


@declare
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """input with ``input.diagonal(offset, dim1, dim2)`` replaced by src (the diagonal as its last dim):
    ``torch.diagonal_scatter(torch.zeros(3, 3), torch.ones(3))``. Differentiable in both."""
    d1, d2 = canon_dim(dim1, input.ndim, "diagonal_scatter"), canon_dim(dim2, input.ndim, "diagonal_scatter")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    region = tuple(input.diagonal(offset, d1, d2).shape)
    src = _check_src(src, region, input)
    xp = xp_of(input._data)
    k = region[-1]
    rows = xp.arange(k) + (0 if offset >= 0 else -offset)
    cols = xp.arange(k) + (offset if offset >= 0 else 0)
    key = [slice(None)] * input.ndim
    key[d1], key[d2] = rows, cols
    front = 0 if abs(d1 - d2) != 1 else min(d1, d2)     # where NumPy puts the indexed dim
    return _put_region(input, tuple(key), src.movedim(-1, front))


# ---- fill_diagonal_ -------------------------------------------------------------------------------------------------

def _diagonal_mask(x, wrap):
    if x.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if x.ndim > 2 and len(set(x.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(tuple(x.shape), dtype=bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    return Tensor._make(mask if type(x._data) is np.ndarray else xp_of(x._data).asarray(mask))


def _fill_diagonal(self, fill_value, wrap=False):
    """Writes `fill_value` on the main diagonal of this tensor (all dims equal, or a matrix; a tall matrix with
    wrap=True starts again every ``cols + 1`` rows, as NumPy's fill_diagonal): ``torch.zeros(3, 3).fill_diagonal_(1)``."""
    mask = _diagonal_mask(self, wrap)
    return self._inplace(lambda x, mk: x.masked_fill(mk, fill_value), mask)


declare(_fill_diagonal, name="fill_diagonal", method=False, top=False, inplace=_fill_diagonal)
