"""Row scatter-add: out[index[i]] += rows[i] for every i, repeated indices adding up (Embedding's backward).

NumPy's add.at does this through its generic unbuffered ufunc loop, element by element: a plain loop over rows
runs each row as a contiguous vector add.
"""
import numpy as np

from ._jit import jit

__all__ = ["rows_add"]


@jit
def _rows_add(out, index, rows):
    for i in range(index.shape[0]):
        row = out[index[i]]
        src = rows[i]
        for j in range(row.shape[0]):
            row[j] += src[j]


def rows_add(out, index, rows):
    """Adds rows[i] into out[index[i]] in place, for out (num, width) C-contiguous float32/float64, index
    (n,) integers already checked to lie in [0, num), rows (n, width) of out's dtype. Returns out."""
    if out.ndim != 2 or not out.flags.c_contiguous or out.dtype not in (np.float32, np.float64):
        raise TypeError(f"rows_add: out must be a C-contiguous 2-D float32/float64 array, got {out.dtype} "
                        f"{out.shape}")
    if index.ndim != 1 or index.dtype.kind not in "iu":
        raise TypeError(f"rows_add: index must be a 1-D integer array, got {index.dtype} {index.shape}")
    if rows.shape != (index.shape[0], out.shape[1]) or rows.dtype != out.dtype:
        raise ValueError(f"rows_add: rows must be ({index.shape[0]}, {out.shape[1]}) {out.dtype}, got "
                         f"{rows.dtype} {rows.shape}")
    _rows_add(out, np.ascontiguousarray(index, dtype=np.int64), np.ascontiguousarray(rows))
    return out
