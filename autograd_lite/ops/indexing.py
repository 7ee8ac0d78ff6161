"""Indexing: x[key] (basic and advanced; backward is a scatter-add), index_put (x[key] = v),
gather, where, masked_fill."""
import numpy as np

from .. import _api
from .._args import canon_dim
from ..autograd.function import Function
from ..autograd.grad_mode import state as _grad_state
from ..backend import backend_of
from ..tensor import Tensor
from . import _formula as m
from ._util import promote_pair, xp_of, as_tensor

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


def scatter_add(xp, out, key, values):
    """out[key] += values, repeated indices accumulating (numpy.add.at; CuPy before ufunc.at: cupyx.scatter_add)."""
    at = getattr(xp.add, "at", None)
    if at is not None:
        at(out, key, values)
    else:
        import cupyx
        cupyx.scatter_add(out, key, values)


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
        scatter_add(xp, out, key, g)
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
    self._data[k] = value._data if isinstance(value, Tensor) else value
    self._version[0] += 1


class Gather(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        if index.dtype.kind not in "iu":
            raise RuntimeError(f"gather(): Expected dtype int64 for index, got {index.dtype}")
        if index.ndim != x.ndim:
            raise RuntimeError(f"gather(): Index tensor must have the same number of dimensions as "
                               f"input tensor ({index.ndim} vs {x.ndim})")
        n = x.shape[dim] if x.ndim else 1
        if index.size and (index.min() < -n or index.max() >= n):
            raise RuntimeError(f"gather(): index {int(index.max() if index.max() >= n else index.min())} "
                               f"is out of bounds for dimension {dim} with size {n}")
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
        index = m.data(ctx._saved[0])
        xp = xp_of(index)
        grid = list(xp.ix_(*[xp.arange(s) for s in index.shape]))
        grid[ctx.dim] = index
        return _placed(g, tuple(grid), ctx.shape), None, None       # repeated indices accumulate


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
        return None, g * cond if ctx._inputs[1] else None, m.where(cond, 0.0, g) if ctx._inputs[2] else None


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

