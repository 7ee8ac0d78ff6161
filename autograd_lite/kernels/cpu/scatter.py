"""Scatter-adds, repeated indices adding up: rows_add (Embedding's backward), add_index (index_add along a dim),
add_along (scatter_add / scatter_reduce 'sum' / 'mean' along a dim) and add_flat (out.flat[pos] += vals: any other
key, e.g. index_put(accumulate=True)).

NumPy's add.at does this through its generic unbuffered ufunc loop, element by element (15 to 40 times slower than
PyTorch): these are plain loops, the inner one over contiguous memory where the layout allows. Every index must
already be checked to lie in its dim (the ops do it, before a kernel sees it).
"""
import numpy as np

from ._jit import jit

__all__ = ["rows_add", "add_index", "add_along", "add_flat"]

SCATTER_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.int32, np.int64))


@jit
def _rows_add(out, index, rows):
    for i in range(index.shape[0]):
        row = out[index[i]]
        src = rows[i]
        for j in range(row.shape[0]):
            row[j] += src[j]


@jit
def _add_index(out, index, src):
    for a in range(src.shape[0]):
        for i in range(index.shape[0]):
            row = out[a, index[i]]
            s = src[a, i]
            for j in range(row.shape[0]):
                row[j] += s[j]


@jit
def _add_along(out, index, src):
    for a in range(index.shape[0]):
        for i in range(index.shape[1]):
            idx = index[a, i]
            s = src[a, i]
            o = out[a]
            for j in range(idx.shape[0]):
                o[idx[j], j] += s[j]


@jit
def _add_flat(out, pos, vals):
    for i in range(pos.shape[0]):
        out[pos[i]] += vals[i]


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


def _check_out(op, out, ndim):
    if out.ndim != ndim or not out.flags.c_contiguous or out.dtype not in SCATTER_DTYPES:
        raise TypeError(f"{op}: out must be a C-contiguous {ndim}-D float32/float64/int32/int64 array, got "
                        f"{out.dtype} {out.shape}")


def _check_index(op, index, ndim):
    if index.ndim != ndim or index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be a {ndim}-D integer array, got {index.dtype} {index.shape}")


def _check_src(op, src, shape, dtype):
    if src.shape != shape or src.dtype != dtype:
        raise ValueError(f"{op}: src must be {shape} {dtype}, got {src.dtype} {src.shape}")


def add_index(out, index, src):
    """out[a, index[i], :] += src[a, i, :] in place, for out (A, N, B) C-contiguous, index (M,) integers in [0, N),
    src (A, M, B) of out's dtype: index_add along the middle dim. Returns out."""
    _check_out("add_index", out, 3)
    _check_index("add_index", index, 1)
    _check_src("add_index", src, (out.shape[0], index.shape[0], out.shape[2]), out.dtype)
    _add_index(out, np.ascontiguousarray(index, dtype=np.int64), np.ascontiguousarray(src))
    return out


def add_along(out, index, src):
    """out[a, index[a, i, b], b] += src[a, i, b] in place, for out (A, N, B) C-contiguous, index (A, M, B) integers
    in [0, N), src (A, M, B) of out's dtype: scatter_add along the middle dim. Returns out."""
    _check_out("add_along", out, 3)
    _check_index("add_along", index, 3)
    if index.shape[0] != out.shape[0] or index.shape[2] != out.shape[2]:
        raise ValueError(f"add_along: index must be ({out.shape[0]}, M, {out.shape[2]}), got {index.shape}")
    _check_src("add_along", src, index.shape, out.dtype)
    _add_along(out, np.ascontiguousarray(index, dtype=np.int64), np.ascontiguousarray(src))
    return out


def add_flat(out, pos, vals):
    """out[pos[i]] += vals[i] in place, for out 1-D contiguous, pos (n,) integers in [0, out.size), vals (n,) of
    out's dtype. Returns out."""
    _check_out("add_flat", out, 1)
    _check_index("add_flat", pos, 1)
    _check_src("add_flat", vals, pos.shape, out.dtype)
    _add_flat(out, np.ascontiguousarray(pos, dtype=np.int64), np.ascontiguousarray(vals))
    return out
