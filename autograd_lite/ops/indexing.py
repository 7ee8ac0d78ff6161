"""Indexing: x[key] (basic and advanced; backward is a scatter-add), index_put (x[key] = v), gather,
take_along_dim, index_select, masked_select, where, masked_fill, and the writes along a dim: scatter, scatter_add,
index_add. Every index from user data is checked against its dim here, before a kernel uses it (CuPy wraps an
index out of bounds around where NumPy raises)."""
import numpy as np

from .. import _api
from .. import _float8
from .._args import canon_dim
from ..autograd.op_function import Function
from ..autograd.grad_mode import state as _grad_state
from ..backend import backend_of
from ..tensor import Tensor
from . import _formula as m
from ._util import promote_pair, xp_of, as_tensor
from ._scatter_add import add_along, add_at, add_index, along  # noqa: F401  (kernels where the device has them)

declare = _api.declare

_INDEX_ERROR = "tensors used as indices must be long, int, byte or bool tensors"


def normalize_key(key, like=None):
    """A PyTorch index (ints, slices, None, Ellipsis, bool/int Tensors, lists) as a NumPy key, its index arrays on
    the device of array `like` (as PyTorch, a CUDA tensor takes CPU index tensors). Returns (key, advanced):
    advanced is True when the key holds index arrays."""
    if not isinstance(key, tuple):
        key = (key,)
    out, advanced = [], False
    for k in key:
        if isinstance(k, Tensor):
            k = k._data
        elif isinstance(k, (list, np.ndarray)):
            k = np.asarray(k)
            if k.dtype.kind == "f" and k.size == 0:
                k = k.astype(np.int64)
        if hasattr(k, "dtype") and hasattr(k, "ndim"):
            kind = k.dtype.kind
            if kind not in "biu":
                raise IndexError(_INDEX_ERROR)
            if kind == "b" or k.ndim:
                advanced = True
            elif k.ndim == 0:
                k = int(k)
            if type(k) is not int and like is not None and type(k) is not type(like):
                be = backend_of(like)
                k = be.from_host(backend_of(k).to_host(k), be.device_of(like).index)
        out.append(k)
    if not advanced and not any(k is Ellipsis for k in out):
        out.append(Ellipsis)       # x[0] of a 1-D array: a 0-d view, not a NumPy scalar copy
    if advanced and like is not None and type(like) is not np.ndarray:
        _check_bounds(out, like.shape)       # CuPy wraps an index out of bounds around where NumPy raises
    return tuple(out), advanced


def index_array_axes(key, ndim):
    """(axis, array) for each integer index array of a normalized key: the axis of the indexed array it selects on."""
    consumed = sum(k.ndim if getattr(k, "dtype", None) == bool else 0 if k is None or k is Ellipsis else 1
                            for k in key)
    axis = 0
    for k in key:
        if k is Ellipsis:
            axis += ndim - consumed
        elif hasattr(k, "dtype"):
            if k.dtype == bool:
                axis += k.ndim
            else:
                yield axis, k
                axis += 1
        elif k is not None:
            axis += 1


def _check_bounds(key, shape):
    """PyTorch's IndexError for an integer index outside [-size, size) of its dim."""
    for axis, k in index_array_axes(key, len(shape)):
        n = shape[axis] if axis < len(shape) else 0
        if k.size:
            lo, hi = int(k.min()), int(k.max())
            if lo < -n or hi >= n:
                raise IndexError(f"index {hi if hi >= n else lo} is out of bounds for dimension {axis} with size {n}")


def check_range(index, n, dim, prefix=""):
    """PyTorch's error for an index array with a value outside [0, n), the size of dim `dim` (the ops along a dim
    take no negative index)."""
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        if hi >= n or lo < 0:
            raise RuntimeError(f"{prefix}index {hi if hi >= n else lo} is out of bounds for dimension {dim} with "
                               f"size {n}")


def index_tensors(key):
    """The Tensors in a PyTorch index: passed to an indexing node as inputs, so that an in-place change to one
    before backward raises instead of scattering the gradient to other places."""
    return [k for k in (key if isinstance(key, tuple) else (key,)) if isinstance(k, Tensor)]


def _save_index_arrays(ctx, key):
    ctx.save_for_backward(*(k for k in key if hasattr(k, "shape")))


class Index(Function):
    """Basic indexing (ints, slices, None, Ellipsis): a view of the input."""
    is_view = True

    @staticmethod
    def forward(ctx, x, key, *index_arrays):
        ctx.shape, ctx.key = x.shape, key
        _save_index_arrays(ctx, key)
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return _placed(g, ctx.key, ctx.shape, ctx.accumulate), None

    accumulate = False          # a basic key selects each element once

    def name(self):
        return "SliceBackward0"


class IndexAdvanced(Index):
    """Indexing with index arrays or masks: a copy; backward scatter-adds (repeats accumulate)."""
    op_name = "index"
    is_view = False
    accumulate = True

    def name(self):
        return "IndexBackward0"


class Placed(Function):
    """zeros(shape) with g placed at key (added, where the key repeats indices): the gradient of x[key]. Its own
    gradient is g[key] again, so indexing has gradients of every order."""
    op_name = "index_backward"

    @staticmethod
    def forward(ctx, g, key, shape, accumulate):
        ctx.key = key
        return _placed_array(g, key, shape, accumulate)

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.key], None, None, None


def _placed_array(g, key, shape, accumulate):
    xp = xp_of(g)
    out = xp.zeros(shape, dtype=g.dtype)
    if accumulate:
        add_at(xp, out, key, g)
    else:
        out[key] = g
    return out


def _placed(g, key, shape, accumulate=True):
    if m.is_graph(g):
        return Placed.apply(g, key, shape, accumulate)
    return _placed_array(g, key, shape, accumulate)


@declare(method="__getitem__", top=False)
def index(x, key):
    """``x[key]`` for PyTorch's keys: ints, slices, None, Ellipsis, bool masks and integer tensors."""
    nkey, advanced = normalize_key(key, x._data)
    if advanced:
        return IndexAdvanced.apply(x, nkey, *index_tensors(key))
    return Index.apply(x, nkey)


class CopyInto(Function):
    """dst.copy_(src) as a graph node: src broadcast into dst's shape; dst gets a zero gradient."""
    op_name = "copy_"

    @staticmethod
    def forward(ctx, dst, src):
        return xp_of(src).broadcast_to(src, dst.shape).copy()

    @staticmethod
    def backward(ctx, g):
        return m.zeros_like(g), g


def _copy_values(dst, src):
    return CopyInto.apply(dst, src.to(dst.device).to(dst.dtype))


@declare(method="copy_", top=False)
def copy_(self, src, non_blocking=False):
    """Copies src (broadcast, converted to this tensor's dtype and device) into this tensor, in place."""
    src = src if isinstance(src, Tensor) else as_tensor(src, self)
    return self._inplace(_copy_values, src)


class IndexPut(Function):
    """out = x with out[key] = value; the gradient of value is g[key]."""
    @staticmethod
    def forward(ctx, x, value, key, *index_arrays):
        ctx.key = key
        _save_index_arrays(ctx, key)
        out = x.copy()
        out[key] = value
        return out

    @staticmethod
    def backward(ctx, g):
        data = m.data(g)
        outside = xp_of(data).ones(data.shape, bool)
        outside[ctx.key] = False
        return g * outside, g[ctx.key], None


@declare(method=False)
def index_put(x, key, value):
    """x with x[key] replaced by value (broadcast), out of place."""
    nkey, _ = normalize_key(key, x._data)
    if not isinstance(value, Tensor):
        value = as_tensor(value, x)
    if value.dtype is not x.dtype:
        value = value.to(x.dtype)
    return IndexPut.apply(x, value, nkey, *index_tensors(key))


@declare(method="__setitem__", top=False)
def setitem(self, key, value):
    """``x[key] = value``, in place (recorded when autograd is)."""
    if isinstance(value, Tensor) and value._rg or self._rg and _grad_state.enabled:
        self._inplace(index_put, key, value)
        return
    k, _ = normalize_key(key, self._data)
    value = value._data if isinstance(value, Tensor) else value
    dt = self._data.dtype
    self._data[k] = _float8.coerce(value, dt) if dt.itemsize == 1 and dt.kind in "Vf" else value
    self._version[0] += 1


class Gather(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        if index.dtype.kind not in "iu":
            raise RuntimeError(f"gather(): Expected dtype int32/int64 for index, got {index.dtype}")
        if index.ndim != x.ndim:
            raise RuntimeError(f"gather(): Index tensor must have the same number of dimensions as "
                               f"input tensor ({index.ndim} vs {x.ndim})")
        check_range(index, x.shape[dim] if x.ndim else 1, dim, "gather(): ")
        for d in range(x.ndim):
            if d != dim and index.shape[d] > x.shape[d]:
                raise RuntimeError(f"gather(): Size does not match at dimension {d} expected index "
                                   f"{tuple(index.shape)} to be smaller than self {tuple(x.shape)} "
                                   f"apart from dimension {dim}")
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(index)
        sub = x[tuple(slice(None) if d == dim else slice(0, s) for d, s in enumerate(index.shape))]
        return xp_of(x).take_along_axis(sub, index, axis=dim) if x.ndim else x.copy()

    @staticmethod
    def backward(ctx, g):
        if not ctx.shape:
            return g, None, None
        return _placed(g, along(m.data(ctx._saved[0]), ctx.dim), ctx.shape), None, None   # repeats accumulate


@declare
def gather(x, dim, index):
    """Values of x along `dim` at `index` (an integer tensor of x's number of dims)."""
    d = canon_dim(dim, x.ndim, "gather")
    if not isinstance(index, Tensor):
        raise TypeError(f"gather(): index must be a Tensor, got {type(index).__name__}")
    return Gather.apply(x, d, index)


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return xp_of(a).where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        cond = m.data(ctx._saved[0])
        # selected, not multiplied, as PyTorch: an inf or nan gradient of the branch not taken stays out
        return None, m.where(cond, g, 0.0) if ctx._inputs[1] else None, m.where(cond, 0.0, g) if ctx._inputs[2] else None


@declare(method=False)
def where(condition, a=None, b=None):
    """a where condition holds, else b (broadcast); ``where(condition)``: the indices where it holds."""
    if a is None and b is None:
        return tuple(Tensor._make(i) for i in xp_of(condition._data).nonzero(condition._data))
    if condition.dtype.name != "bool":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype.name}")
    if not isinstance(a, Tensor):
        a = as_tensor(a, b if isinstance(b, Tensor) else None)
    a, b = promote_pair(a, b)
    b = as_tensor(b, a)
    return Where.apply(condition, a, b)


class MaskedFill(Function):
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        return xp_of(x).where(mask, xp_of(x).asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        return m.where(m.data(ctx._saved[0]), 0.0, g), None, None


@declare(inplace=True)
def masked_fill(x, mask, value):
    """x with `value` where the bool `mask` (broadcast) holds."""
    if mask.dtype.name != "bool":
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    if isinstance(value, Tensor):
        value = value.item()
    out = MaskedFill.apply(x, mask, value)
    if out.shape != x.shape:
        raise RuntimeError(f"masked_fill: mask of shape {tuple(mask.shape)} does not broadcast to "
                           f"the input's shape {tuple(x.shape)}")
    return out


@declare(name="where", top=False)
def _where_method(self, condition, other):
    """``x.where(condition, y)``: x where condition holds, else y."""
    return where(condition, self, other)


# selections along a dim -------------------------------------------------------------------------------------------

def _index_tensor(index, op):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    return index


def broadcast_shapes(a, b, op):
    """The broadcast shape of shapes a and b, with PyTorch's error."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i, (sa, sb) in enumerate(zip(a, b)):
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(f"{op}: The size of tensor a ({sa}) must match the size of tensor b ({sb}) at "
                               f"non-singleton dimension {i}")
    return tuple(sa if sb == 1 else sb for sa, sb in zip(a, b))


@declare
def index_select(x, dim, index):
    """The entries of x at the positions `index` (a vector of int32/int64) along `dim`:
    ``torch.index_select(x, 0, torch.tensor([2, 0]))`` takes rows 2 and 0. The gradient adds up repeats."""
    d = canon_dim(dim, x.ndim, "index_select")
    if _index_tensor(index, "index_select").dtype.name not in ("int32", "int64"):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    n = x.shape[d] if x.ndim else 1
    idx = index._data
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError("index_select(): index out of range in self")
    if x.ndim == 0:
        if index.numel() != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index.numel()} value(s)")
        return x.reshape(1)[index.reshape(1)].reshape(())
    return x[(slice(None),) * d + (index.reshape(1) if index.ndim == 0 else index,)]


@declare
def masked_select(x, mask):
    """The elements of x where the bool `mask` (broadcast with x) holds, as a 1-D tensor:
    ``torch.masked_select(x, x > 0)``."""
    if not isinstance(mask, Tensor) or mask.dtype.name != "bool":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = broadcast_shapes(mask.shape, x.shape, "masked_select")
    if tuple(x.shape) != shape:
        x = x.expand(shape)
    if tuple(mask.shape) != shape:
        mask = mask.expand(shape)
    return x[mask]


@declare
def take_along_dim(x, indices, dim=None):
    """``gather`` with broadcasting: the values of x along `dim` at `indices` (int64, x's number of dims; the other
    dims broadcast together); with dim=None, of the flattened x at the flattened indices."""
    if _index_tensor(indices, "take_along_dim").dtype.name != "int64":
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices.dtype.scalar_type}")
    scalar = False
    if dim is None:
        x, indices, d = x.reshape(-1), indices.reshape(-1), 0
    else:
        if x.ndim != indices.ndim:
            raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of "
                               f"dimensions, but got {x.ndim} dimensions for input, and {indices.ndim} dimensions "
                               "for indices")
        d = canon_dim(dim, x.ndim, "take_along_dim")
        if x.ndim == 0:
            x, indices, scalar = x.reshape(1), indices.reshape(1), True
        rest = broadcast_shapes(x.shape[:d] + (1,) + x.shape[d + 1:], indices.shape[:d] + (1,) + indices.shape[d + 1:],
                                "take_along_dim")
        x_shape, i_shape = rest[:d] + x.shape[d:d + 1] + rest[d + 1:], rest[:d] + indices.shape[d:d + 1] + rest[d + 1:]
        x = x if tuple(x.shape) == x_shape else x.expand(x_shape)
        indices = indices if tuple(indices.shape) == i_shape else indices.expand(i_shape)
    check_range(indices._data, x.shape[d], d, "take_along_dim(): ")
    out = gather(x, d, indices)
    return out.reshape(()) if scalar else out


# writes along a dim -----------------------------------------------------------------------------------------------

_REDUCE = (None, "add", "multiply")


def _multiply_at(xp, out, key, values):
    """out[key] *= values, repeated places multiplied in turn (numpy.multiply.at; on CuPy, whose ufunc.at lacks
    multiply, in rounds of distinct places)."""
    if isinstance(out, np.ndarray):
        np.multiply.at(out, key, values)
    else:
        _multiply_rounds(xp, out, key, values)


def _multiply_rounds(xp, out, key, values):
    key = xp.broadcast_arrays(*key)
    flat = xp.ravel_multi_index(tuple(key), out.shape).ravel()
    values = xp.broadcast_to(xp.asarray(values, dtype=out.dtype), key[0].shape).ravel()
    view = out.reshape(-1)
    while flat.size:
        places, first = xp.unique(flat, return_index=True)
        view[places] *= values[first]
        rest = xp.ones(flat.size, dtype=bool)
        rest[first] = False
        flat, values = flat[rest], values[rest]


class Scatter(Function):
    """x with src (an array, or a number) written at the places `index` names along dim: mode None replaces,
    'sum' adds (scatter_add), 'add' / 'multiply' are scatter's `reduce` (no derivative, as in PyTorch). The
    gradient of x is g with the replaced places zeroed; that of src, g gathered at the index."""
    op_name = "scatter"

    @staticmethod
    def forward(ctx, x, index, src, dim, mode):
        ctx.dim, ctx.mode, ctx.src_shape = dim, mode, getattr(src, "shape", None)
        ctx.save_for_backward(index)
        out = x.copy()
        if index.size:
            key = along(index, dim)
            if ctx.src_shape is not None and src.shape != index.shape:
                src = src[tuple(slice(0, s) for s in index.shape)]
            if mode is None:
                out[key] = src
            elif mode == "multiply":
                _multiply_at(xp_of(x), out, key, src)
            else:
                add_along(xp_of(x), out, dim, index, src)
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx.mode in ("add", "multiply"):
            raise RuntimeError("derivative for aten::scatter is not implemented")
        index = m.data(ctx._saved[0])
        if not index.size:
            return g, None, None, None, None
        key = along(index, ctx.dim)
        gx = gsrc = None
        if ctx._inputs[0] is not None:
            if ctx.mode == "sum":
                gx = g
            else:
                keep = xp_of(index).ones(tuple(g.shape), dtype=bool)
                keep[key] = False
                gx = m.where(keep, g, 0.0)
        if ctx._inputs[2] is not None:
            gsrc = g[key]
            if tuple(ctx.src_shape) != tuple(index.shape):     # src larger than index: zeros where unused
                gsrc = _placed(gsrc, tuple(slice(0, s) for s in index.shape), ctx.src_shape, False)
        return gx, None, gsrc, None, None


def _check_scatter(x, d, index, src, op):
    """PyTorch's checks of scatter's arguments; False when the index is empty (nothing to write)."""
    if _index_tensor(index, op).dtype.name not in ("int32", "int64"):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
    has_src = isinstance(src, Tensor)
    if has_src and src.dtype is not x.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
    if index.numel() == 0:
        return False
    if index.ndim != x.ndim:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as self tensor")
    if has_src and src.ndim != index.ndim:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as src tensor")
    if any(index.shape[k] > x.shape[k] for k in range(x.ndim) if k != d) or \
            has_src and any(i > s for i, s in zip(index.shape, src.shape)):
        raise RuntimeError(f"{op}(): Expected index {list(index.shape)} to be no larger than self {list(x.shape)} "
                           f"apart from dimension {d}" +
                           (f" and to be no larger size than src {list(src.shape)}" if has_src else ""))
    check_range(index._data, x.shape[d] if x.ndim else 1, d, f"{op}(): ")
    return True


def _scatter(x, d, index, src, mode):
    if x.ndim == 0:           # a 0-d tensor as one element of a 1-d one
        src = src.reshape(1) if isinstance(src, Tensor) else src
        return Scatter.apply(x.reshape(1), index.reshape(1), src, 0, mode).reshape(())
    return Scatter.apply(x, index, src, d, mode)


@declare(inplace=True)
def scatter(x, dim, index, src=None, value=None, *, reduce=None):
    """x with the values of src (or the number `value`) written along `dim` at `index` (int32/int64, x's number of
    dims): ``out[i][index[i][j]] = src[i][j]`` for dim 1. reduce='add' / 'multiply' combines instead of replacing
    (not differentiable, as in PyTorch). ``x.scatter_(1, idx, 0.0)`` in place."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing required argument 'src' (or 'value')")
    if reduce not in _REDUCE:
        raise RuntimeError("scatter(): reduce argument must be either add or multiply.")
    d = canon_dim(dim, x.ndim, "scatter")
    if isinstance(src, np.generic):
        src = src.item()
    if not isinstance(src, (Tensor, bool, int, float)):
        raise TypeError(f"scatter(): argument 'src' must be Tensor or a number, not {type(src).__name__}")
    if not _check_scatter(x, d, index, src, "scatter"):
        return x.clone()
    return _scatter(x, d, index, src, reduce)


@declare(inplace=True)
def scatter_add(x, dim, index, src):
    """x with the values of src added along `dim` at `index` (repeated places add up): ``out[i][index[i][j]] +=
    src[i][j]`` for dim 1."""
    d = canon_dim(dim, x.ndim, "scatter_add")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
    if not _check_scatter(x, d, index, src, "scatter_add"):
        return x.clone()
    return _scatter(x, d, index, src, "sum")


class IndexAdd(Function):
    """x with alpha * source added at the positions `index` along dim (repeats add up); the gradient of source is
    alpha * index_select(g, dim, index)."""
    op_name = "index_add"

    @staticmethod
    def forward(ctx, x, index, source, dim, alpha):
        ctx.dim, ctx.alpha = dim, alpha
        ctx.save_for_backward(index)
        out = x.copy()
        if alpha != 1:
            source = source * xp_of(x).asarray(alpha, dtype=x.dtype)
        add_index(xp_of(x), out, dim, index, source)
        return out

    @staticmethod
    def backward(ctx, g):
        gsrc = None
        if ctx._inputs[2] is not None:
            gsrc = g[(slice(None),) * ctx.dim + (m.data(ctx._saved[0]),)]
            if ctx.alpha != 1:
                gsrc = gsrc * ctx.alpha
        return g, None, gsrc, None, None


@declare(inplace=True)
def index_add(x, dim, index, source, alpha=1):
    """x with ``alpha * source`` added at the positions `index` (a vector of int32/int64) along `dim`; repeated
    positions add up: ``x.index_add_(0, torch.tensor([0, 2]), rows)``."""
    d = canon_dim(dim, x.ndim, "index_add")
    if _index_tensor(index, "index_add").dtype.name not in ("int32", "int64"):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {index.dtype.scalar_type}")
    if index.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {index.ndim} with type: "
                         f"{index.dtype.scalar_type} and size: {list(index.shape)}")
    if not isinstance(source, Tensor):
        raise TypeError(f"index_add(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source.dtype is not x.dtype:
        raise RuntimeError(f"index_add_(): self ({x.dtype.scalar_type}) and source ({source.dtype.scalar_type}) "
                           "must have the same scalar type")
    if x.ndim and d >= source.ndim:
        raise RuntimeError(f"index_add_(): Indexing dim {d} is out of bounds of the source tensor with dim "
                           f"{source.ndim}")
    count = source.shape[d] if source.ndim else 1
    if index.numel() != count:
        raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be equal to source.size(dim): "
                           f"({count}), for dim: {d}")
    if source.ndim != x.ndim or any(a != b for k, (a, b) in enumerate(zip(x.shape, source.shape)) if k != d):
        raise RuntimeError(f"index_add(): source tensor shape must match self tensor shape, excluding the specified "
                           f"dimension. Got self.shape = {list(x.shape)} source.shape = {list(source.shape)}")
    check_range(index._data, x.shape[d] if x.ndim else 1, d, "index_add(): ")
    if x.dtype.name != "bool" and not x.dtype.is_floating_point:
        alpha = int(alpha)                  # PyTorch truncates alpha for integer tensors
    if x.ndim == 0:
        return IndexAdd.apply(x.reshape(1), index.reshape(1), source.reshape(1), 0, alpha).reshape(())
    return IndexAdd.apply(x, index.reshape(1) if index.ndim == 0 else index, source, d, alpha)
