"""Sparse COO kernels (autograd_lite.sparse): coalesce_sum (the segment sums of coalesce, after its sort) and spmm
(sparse (n, m) @ dense (m, p) from the COO entries).

NumPy does these as values[order] then add.reduceat (a full copy of the values first), and as add.at over an
(nnz, p) product (an unbuffered element-by-element loop): these are plain loops over contiguous rows. Every index
must already be checked to lie in its dim (autograd_lite.sparse checks user data before a kernel sees it).
"""
import numpy as np

from ._jit import jit

__all__ = ["coalesce_sum", "spmm"]

SPARSE_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64))


@jit
def _coalesce_sum(values, order, starts, out):
    n = order.shape[0]
    for s in range(starts.shape[0]):
        end = starts[s + 1] if s + 1 < starts.shape[0] else n
        row = out[s]
        for k in range(starts[s], end):
            src = values[order[k]]
            for j in range(row.shape[0]):
                row[j] += src[j]


@jit
def _spmm(rows, cols, vals, dense, out):
    for k in range(rows.shape[0]):
        v = vals[k]
        src = dense[cols[k]]
        dst = out[rows[k]]
        for j in range(dst.shape[0]):
            dst[j] += v * src[j]


def coalesce_sum(values, order, starts):
    """out[s] = sum of values[order[k]] for k in [starts[s], starts[s + 1]) (the last segment runs to the end), for
    values (nnz, width) C-contiguous float32/float64, order a permutation of range(nnz), starts increasing from 0.
    Returns a new (len(starts), width) array of values' dtype."""
    if values.ndim != 2 or values.dtype not in SPARSE_DTYPES:
        raise TypeError(f"coalesce_sum: values must be a 2-D float32/float64 array, got {values.dtype} {values.shape}")
    out = np.zeros((starts.shape[0], values.shape[1]), values.dtype)
    _coalesce_sum(np.ascontiguousarray(values), order.astype(np.int64, copy=False),
                  starts.astype(np.int64, copy=False), out)
    return out


def spmm(rows, cols, vals, dense, n):
    """The (n, p) product of the sparse matrix with entries (rows[k], cols[k], vals[k]) (repeats add up) and dense
    (m, p), for float32/float64 vals and dense of one dtype, rows in [0, n) and cols in [0, m). Returns a new array."""
    if dense.ndim != 2 or dense.dtype not in SPARSE_DTYPES or vals.dtype != dense.dtype:
        raise TypeError(f"spmm: dense must be a 2-D float32/float64 array of vals' dtype, got {dense.dtype} "
                        f"{dense.shape} and {vals.dtype}")
    out = np.zeros((n, dense.shape[1]), dense.dtype)
    _spmm(rows.astype(np.int64, copy=False), cols.astype(np.int64, copy=False), vals, np.ascontiguousarray(dense),
          out)
    return out
