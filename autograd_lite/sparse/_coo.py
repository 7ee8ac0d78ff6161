"""COO: the raw array of a sparse COO tensor (what a sparse Tensor's ``_data`` is, and how a sparse gradient flows
through the engine): int64 indices (sparse_dim, nnz), values (nnz, *dense_shape) of the tensor's dtype on its
device, the full shape, and whether the entries are known to be coalesced (sorted, no repeated index).

Written once on the values' array module (NumPy or CuPy); the CPU kernel table's coalesce_sum and spmm are used where
they apply, with the NumPy formulas below as their fallbacks. Dense NumPy code handed a COO fails at once with
PyTorch's wording (``__array_ufunc__``/``__array_function__``/attribute access), except ``dense + sparse`` (and
``dense += sparse``): the engine adds gradients with them."""
import types

import numpy as np

from ..backend import backend_of

__all__ = ["RawSparse", "COO", "coalesce", "to_dense", "gather", "linear_index", "add", "spmm", "unsupported"]


def unsupported(op, device="CPU", sparse=True):
    """PyTorch's error for an op the sparse COO layout lacks (sparse=False: one a dense tensor lacks)."""
    backend = ("Sparse" if sparse else "") + device
    return _Unsupported(f"Could not run 'aten::{op}' with arguments from the '{backend}' backend. This could be "
                        "because the operator doesn't exist for this backend, or was omitted during the "
                        "selective/custom build process (if using custom build).")


class _Unsupported(NotImplementedError, AttributeError):
    """NotImplementedError as PyTorch raises it; an AttributeError too, so ``getattr(coo, name, default)`` and
    ``hasattr`` still work on a COO."""


_FLAGS = types.SimpleNamespace(writeable=False, c_contiguous=False, f_contiguous=False, owndata=True)


class RawSparse:
    """What the raw sparse arrays (COO, and CSR in _csr.py) share: NumPy defers to them, ``+`` and ``dense += sparse``
    go through their module's add, and any other NumPy use fails at once with PyTorch's error for the layout."""
    __slots__ = ()
    __array_priority__ = 2000       # ndarray + raw sparse defers to __radd__ / __array_ufunc__
    base = None                     # never a view: the engine's leaf-gradient checks read these
    flags = _FLAGS
    wrap = None                     # wrap(raw) -> the Tensor around it (set by sparse/_tensor.py, _compressed.py)

    def copy(self):
        return self.map_arrays(lambda a: a.copy())

    def as_leaf_grad(self):
        """The Tensor the engine stores as a leaf's ``.grad`` for this gradient (see autograd/engine.py)."""
        return self.wrap(self)

    def __add__(self, other):
        return self.add(self, other)

    def __radd__(self, other):
        return self.add(other, self)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if ufunc is np.add and method == "__call__" and len(inputs) == 2 and not kwargs:
            a, b = inputs
            if out is None:
                return self.add(a, b)
            if len(out) == 1 and out[0] is a and b is self and not isinstance(a, RawSparse):    # dense += sparse
                return _add_into(a, self.as_coo())
        raise self.unsupported(ufunc.__name__)

    def __array_function__(self, func, types_, args, kwargs):
        raise self.unsupported(func.__name__)

    def __array__(self, dtype=None, copy=None):
        raise self.unsupported("_to_dense")     # no silent densifying: Tensor.to_dense() says it

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise self.unsupported(name)


class COO(RawSparse):
    """Raw sparse COO array (see the module's docstring). Not a user-facing class: autograd_lite.sparse_coo_tensor
    makes the Tensor around it."""
    __slots__ = ("indices", "values", "shape", "coalesced")
    unsupported = staticmethod(unsupported)

    def __init__(self, indices, values, shape, coalesced=False):
        self.indices, self.values, self.shape, self.coalesced = indices, values, tuple(shape), coalesced

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def dtype(self):
        return self.values.dtype

    @property
    def size(self):
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def itemsize(self):
        return self.values.itemsize

    @property
    def nnz(self):
        return self.indices.shape[1]

    @property
    def sparse_dim(self):
        return self.indices.shape[0]

    @property
    def dense_dim(self):
        return self.values.ndim - 1

    @property
    def xp(self):
        return backend_of(self.values).xp

    def map_arrays(self, fn):
        """The same sparse array with fn applied to each of its arrays (a copy, a move between devices)."""
        return COO(fn(self.indices), fn(self.values), self.shape, self.coalesced)

    def astype(self, dtype, copy=True):
        return COO(self.indices, self.values.astype(dtype, copy=copy), self.shape, self.coalesced)

    def with_values(self, values):
        """The same indices with other values (same nnz)."""
        return COO(self.indices, values, self.shape, self.coalesced)

    def as_coo(self):
        return self

    @staticmethod
    def add(a, b):
        return add(a, b)

    def __repr__(self):
        return f"COO(indices={self.indices!r}, values={self.values!r}, shape={self.shape}, nnz={self.nnz})"


def linear_index(indices, dims, xp):
    """Each column of indices (len(dims), nnz) as one int64 row-major position in an array of shape dims."""
    if indices.shape[0] == 0:
        return xp.zeros(indices.shape[1], np.int64)
    key = indices[0].astype(np.int64)
    for d in range(1, indices.shape[0]):
        key = key * dims[d] + indices[d]
    return key


def _segment_sum(values, order, starts, xp):
    """Per segment s, the sum of values[order[k]] for k from starts[s] to the next start: the kernel table's
    coalesce_sum where it fits (CPU, float32/float64), else NumPy's add.reduceat (CuPy: add.at)."""
    n = values.shape[0]
    flat = values.reshape(n, -1)
    kernel = getattr(backend_of(values).kernels, "coalesce_sum", None)
    if kernel is not None and flat.dtype.kind == "f" and flat.dtype.itemsize >= 4 and flat.shape[1]:
        out = kernel(flat, order, starts)
    else:
        out = segment_sum_reference(flat, order, starts, xp)
    return out.reshape((starts.shape[0],) + values.shape[1:])


def segment_sum_reference(flat, order, starts, xp):
    """The array-module formula the coalesce_sum kernel replaces."""
    if xp is np:
        return np.add.reduceat(flat[order], starts, axis=0)
    seg = xp.cumsum(_starts_mask(starts, order.shape[0], xp)) - 1       # each sorted entry's segment
    out = xp.zeros((starts.shape[0], flat.shape[1]), flat.dtype)
    xp.add.at(out, seg, flat[order])
    return out


def _starts_mask(starts, n, xp):
    mask = xp.zeros(n, np.int64)
    mask[starts] = 1
    return mask


def coalesce(coo):
    """The same tensor with its indices sorted (row-major) and repeats summed (PyTorch's coalesce)."""
    if coo.coalesced:
        return coo
    xp = coo.xp
    nnz, sd = coo.nnz, coo.sparse_dim
    if nnz <= 1:
        return COO(coo.indices, coo.values, coo.shape, True)
    key = linear_index(coo.indices, coo.shape[:sd], xp)
    order = xp.argsort(key, kind="stable")
    sorted_key = key[order]
    first = xp.ones(nnz, bool)
    first[1:] = sorted_key[1:] != sorted_key[:-1]
    starts = xp.flatnonzero(first)
    values = _segment_sum(coo.values, order, starts, xp)
    return COO(coo.indices[:, order[starts]], values, coo.shape, True)


def _scatter_rows(out2, key, values2, xp):
    """out2[key[k]] += values2[k] (repeats add up), out2 (rows, width) C-contiguous."""
    kernel = getattr(backend_of(out2).kernels, "rows_add", None)
    if kernel is not None and out2.dtype.kind == "f" and out2.dtype.itemsize >= 4 and values2.dtype == out2.dtype:
        kernel(out2, key, xp.ascontiguousarray(values2))
    else:
        xp.add.at(out2, key, values2)


def to_dense(coo, dtype=None):
    """The dense array of coo (repeated indices add up)."""
    xp = coo.xp
    out = xp.zeros(coo.shape, dtype or coo.dtype)
    if coo.nnz:
        _add_into(out, coo)
    return out


def _add_into(out, coo):
    """out += coo for a dense out of coo's shape, in place; returns out."""
    xp = coo.xp
    sd = coo.sparse_dim
    rows = 1
    for s in coo.shape[:sd]:
        rows *= s
    key = linear_index(coo.indices, coo.shape[:sd], xp)
    values = coo.values.astype(out.dtype, copy=False)
    if out.flags.c_contiguous:
        _scatter_rows(out.reshape(rows, -1), key, values.reshape(coo.nnz, -1), xp)
    else:
        flat = out.reshape(rows, -1).copy()
        _scatter_rows(flat, key, values.reshape(coo.nnz, -1), xp)
        out[...] = flat.reshape(out.shape)
    return out


def add(a, b):
    """a + b for two COO (their entries concatenated: a's first; coalesced when both were) or a COO and a dense
    array (dense). PyTorch's shape check and message."""
    if type(a) is COO and type(b) is COO:
        if a.shape != b.shape:
            raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size "
                               f"{list(a.shape)} while other has size {list(b.shape)} (FYI: dense-sparse addition "
                               "does not currently support broadcasting)")
        if a.sparse_dim != b.sparse_dim:
            raise RuntimeError(f"add: expected 'self' and 'other' to have same sparse dimensions, but self has "
                               f"{a.sparse_dim} sparse dimensions while other has {b.sparse_dim}")
        xp = a.xp
        dtype = np.result_type(a.dtype, b.dtype)
        if not b.nnz:
            return a.astype(dtype, copy=False)
        if not a.nnz:
            return b.astype(dtype, copy=False)
        out = COO(xp.concatenate([a.indices, b.indices], axis=1),
                  xp.concatenate([a.values.astype(dtype, copy=False), b.values.astype(dtype, copy=False)]), a.shape)
        return coalesce(out) if a.coalesced and b.coalesced else out
    dense, coo = (b, a) if type(a) is COO else (a, b)
    if tuple(dense.shape) != coo.shape:
        raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size "
                           f"{list(dense.shape)} while other has size {list(coo.shape)} (FYI: dense-sparse addition "
                           "does not currently support broadcasting)")
    out = dense.astype(np.result_type(dense.dtype, coo.dtype), copy=True)
    return _add_into(out, coo)


def gather(g, indices, shape):
    """The values of g (a COO or a dense array of `shape`) at the positions of `indices` (sparse_dim, n): an array
    (n, *dense_shape); positions g has no entry at give 0."""
    if type(g) is not COO:
        return g[tuple(indices)]
    xp = g.xp
    c = coalesce(g)
    dims = shape[:indices.shape[0]]
    out = xp.zeros((indices.shape[1],) + tuple(c.values.shape[1:]), c.dtype)
    if not c.nnz or not indices.shape[1]:
        return out
    have = linear_index(c.indices, dims, xp)
    want = linear_index(indices, dims, xp)
    pos = xp.minimum(xp.searchsorted(have, want), have.shape[0] - 1)
    hit = have[pos] == want
    out[hit] = c.values[pos[hit]]
    return out


def spmm_reference(rows, cols, vals, dense, n, xp):
    """The array-module formula the spmm kernel replaces."""
    out = xp.zeros((n, dense.shape[1]), np.result_type(vals.dtype, dense.dtype))
    xp.add.at(out, rows, vals[:, None] * dense[cols])
    return out


def spmm(coo, dense):
    """coo (n, m) with sparse_dim 2 @ dense (m, p): a dense (n, p) array (repeats add up)."""
    xp = coo.xp
    rows, cols = coo.indices[0], coo.indices[1]
    n = coo.shape[0]
    kernel = getattr(backend_of(dense).kernels, "spmm", None)
    if kernel is not None and dense.dtype.kind == "f" and dense.dtype.itemsize >= 4 and coo.dtype == dense.dtype:
        return kernel(rows, cols, coo.values, dense, n)
    return spmm_reference(rows, cols, coo.values, dense, n, xp)
