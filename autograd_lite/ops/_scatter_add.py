"""Scatter-adds on a device's arrays, repeated places adding up: add_at (out[key] += values, any key), add_along
(scatter_add along a dim) and add_index (index_add along a dim). Each runs the kernel table's scatter kernel where
the device has one (the CPU: kernels/cpu/scatter.py, float32/float64/int32/int64), else the array module's add.at
(cupyx.scatter_add on a CuPy without ufunc.at). The indices are checked by the ops before they get here, except
add_at's, which checks its own as NumPy does."""
import math

import numpy as np

from ._util import kernels_of, xp_of

_KERNEL_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.int32, np.int64))


def along(index, dim):
    """The key that picks, for each position of array `index`, the element of dim `dim` that it names and the other
    dims by the position itself: ``x[along(index, dim)]`` is ``gather(x, dim, index)``."""
    xp = xp_of(index)
    key = list(xp.ix_(*[xp.arange(s) for s in index.shape]))
    key[dim] = index
    return tuple(key)


def _kernel(out, name):
    """The kernel table's `name` for out (None where the device has none or out's layout / dtype doesn't fit)."""
    if type(out) is not np.ndarray or out.dtype not in _KERNEL_DTYPES or not out.flags.c_contiguous:
        return None
    return getattr(kernels_of(out), name, None)


def _array_add_at(xp, out, key, values):
    at = getattr(xp.add, "at", None)
    if at is not None:
        at(out, key, values)
    else:
        import cupyx
        cupyx.scatter_add(out, key, values)


def _cast(values, dtype):
    return values.astype(dtype, copy=False) if hasattr(values, "astype") else np.asarray(values, dtype=dtype)


def _row_index(key):
    """The index array of a key that picks whole rows, ``(index,)`` or ``(index, ...)`` with index 1-D integers."""
    if len(key) == 2 and key[1] is Ellipsis or len(key) == 1:
        k = key[0]
        if type(k) is np.ndarray and k.ndim == 1 and k.dtype.kind in "iu":
            return k
    return None


def add_at(xp, out, key, values):
    """out[key] += values in place, repeated places accumulating (numpy.add.at's meaning, its IndexError for an
    index out of range)."""
    kernel = _kernel(out, "add_flat")
    key = key if isinstance(key, tuple) else (key,)
    if kernel is None or not out.size:
        return _array_add_at(xp, out, key, values)
    rows = _row_index(key)
    if rows is not None and out.ndim:
        n = out.shape[0]
        if rows.size:
            lo, hi = int(rows.min()), int(rows.max())
            if lo < -n or hi >= n:
                raise IndexError(f"index {hi if hi >= n else lo} is out of bounds for axis 0 with size {n}")
            if lo < 0:
                rows = np.where(rows < 0, rows + n, rows)
        width = out.size // n
        vals = np.broadcast_to(_cast(values, out.dtype), (rows.size,) + out.shape[1:])
        kernels_of(out).add_index(out.reshape(1, n, width), rows, vals.reshape(1, rows.size, width))
        return None
    if out.size > max(4 * np.size(values), 1 << 16):      # a few places of a large array: no position map
        return _array_add_at(xp, out, key, values)
    pos = np.arange(out.size).reshape(out.shape)[key]
    vals = np.broadcast_to(_cast(values, out.dtype), pos.shape)
    kernel(out.reshape(-1), pos.reshape(-1), vals.reshape(-1))
    return None


def add_along(xp, out, dim, index, src):
    """out[..., index[..., i, ...], ...] += src[..., i, ...] along dim `dim` (scatter_add's write), src at least
    index's shape (its leading part used), index checked to lie in [0, out.shape[dim])."""
    if tuple(src.shape) != tuple(index.shape):
        src = src[tuple(slice(0, s) for s in index.shape)]
    kernel = _kernel(out, "add_along")
    if kernel is None or index.shape[:dim] != out.shape[:dim] or index.shape[dim + 1:] != out.shape[dim + 1:]:
        return add_at(xp, out, along(index, dim), src)
    if not index.size:
        return None
    a, b = math.prod(out.shape[:dim]), math.prod(out.shape[dim + 1:])
    m = index.shape[dim]
    kernel(out.reshape(a, out.shape[dim], b), index.reshape(a, m, b),
           np.ascontiguousarray(_cast(src, out.dtype)).reshape(a, m, b))
    return None


def add_index(xp, out, dim, index, src):
    """out[..., index[i], ...] += src[..., i, ...] along dim `dim` (index_add's write), index 1-D, checked to lie in
    [0, out.shape[dim]), src out's shape but index.size along dim."""
    kernel = _kernel(out, "add_index")
    if kernel is None:
        return _array_add_at(xp, out, (slice(None),) * dim + (index,), src)
    if not index.size:
        return None
    a, b = math.prod(out.shape[:dim]), math.prod(out.shape[dim + 1:])
    kernel(out.reshape(a, out.shape[dim], b), index.reshape(-1),
           np.ascontiguousarray(_cast(src, out.dtype)).reshape(a, index.size, b))
    return None
