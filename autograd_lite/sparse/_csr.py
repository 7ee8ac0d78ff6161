"""CSR: the raw array of a sparse compressed tensor (layout ``sparse_csr``, or ``sparse_csc`` when ``csc``): the
compressed indices (n + 1,) over the rows (CSC: the columns), the plain indices (nnz,) (CSC: the rows), values
(nnz,), the 2-D shape. Only 2-D tensors without batch or dense dims.

Every op goes through the COO form (_coo.py), whose kernels and formulas it reuses: a CSR's rows are sorted and its
columns sorted and distinct within a row (checked at creation), so its COO is coalesced as it stands. Dense NumPy code
handed a CSR fails with PyTorch's "Could not run 'aten::...' with arguments from the 'SparseCsrCPU' backend", except
``dense + csr`` and ``dense += csr`` (the engine adds gradients with them)."""
import numbers

import numpy as np

from ..backend import backend_of
from . import _coo
from ._coo import COO, RawSparse, unsupported

__all__ = ["CSR", "to_coo", "from_coo", "transposed", "with_pattern", "to_dense", "add", "unsupported_csr"]


def unsupported_csr(op, device="CPU"):
    """PyTorch's error for an op the sparse compressed layouts lack."""
    return unsupported(op, "Csr" + device)


class CSR(RawSparse):
    """Raw sparse compressed array (see the module's docstring). Not user-facing: autograd_lite.sparse_csr_tensor
    makes the Tensor around it."""
    __slots__ = ("compressed", "plain", "values", "shape", "csc")
    unsupported = staticmethod(unsupported_csr)

    def __init__(self, compressed, plain, values, shape, csc=False):
        self.compressed, self.plain, self.values, self.shape, self.csc = compressed, plain, values, tuple(shape), csc

    ndim = property(lambda self: 2)
    dtype = property(lambda self: self.values.dtype)
    nnz = property(lambda self: self.plain.shape[0])
    itemsize = property(lambda self: self.values.itemsize)
    xp = property(lambda self: backend_of(self.values).xp)

    @property
    def size(self):
        return self.shape[0] * self.shape[1]

    def map_arrays(self, fn):
        """The same sparse array with fn applied to each of its arrays (a copy, a move between devices)."""
        return CSR(fn(self.compressed), fn(self.plain), fn(self.values), self.shape, self.csc)

    def astype(self, dtype, copy=True):
        return CSR(self.compressed, self.plain, self.values.astype(dtype, copy=copy), self.shape, self.csc)

    def with_values(self, values):
        return CSR(self.compressed, self.plain, values, self.shape, self.csc)

    def as_coo(self):
        return to_coo(self)

    @staticmethod
    def add(a, b):
        return add(a, b)

    def __mul__(self, c):           # a scalar (ScaleSparse's backward)
        if not isinstance(c, (numbers.Number, np.generic)):
            raise unsupported_csr("mul")
        return self.with_values(self.values * c)

    def __repr__(self):
        return (f"CSR(compressed={self.compressed!r}, plain={self.plain!r}, values={self.values!r}, "
                f"shape={self.shape}, csc={self.csc})")


def _expanded(compressed, xp):
    """Each entry's compressed index (its row; CSC: its column) from the compressed indices."""
    counts = xp.diff(compressed.astype(np.int64))
    return xp.repeat(xp.arange(counts.shape[0], dtype=np.int64), counts)


def to_coo(c):
    """The COO of c, entries in c's order: a CSR's is coalesced (row-major), a CSC's not (column-major), as
    PyTorch's."""
    xp = c.xp
    major, minor = _expanded(c.compressed, xp), c.plain.astype(np.int64)
    if not c.csc:
        return COO(xp.stack([major, minor]), c.values, c.shape, True)
    return COO(xp.stack([minor, major]), c.values, c.shape, c.nnz <= 1)


def from_coo(coo, csc=False, index_dtype=np.int64):
    """The CSR (csc: CSC) of a 2-D COO without dense dims (repeats summed)."""
    xp = coo.xp
    if csc:                         # CSC of a = CSR of a^T, read back with the shape of a
        t = from_coo(COO(coo.indices[::-1], coo.values, coo.shape[::-1], False), False, index_dtype)
        return CSR(t.compressed, t.plain, t.values, coo.shape, True)
    c = _coo.coalesce(coo)
    counts = xp.bincount(c.indices[0], minlength=c.shape[0]) if c.nnz else xp.zeros(c.shape[0], np.int64)
    compressed = xp.zeros(c.shape[0] + 1, index_dtype)
    compressed[1:] = xp.cumsum(counts)
    return CSR(compressed, c.indices[1].astype(index_dtype), c.values, c.shape, False)


def transposed(c):
    """c^T without a copy: a CSR's transpose is the CSC of the same arrays (and the other way round)."""
    return CSR(c.compressed, c.plain, c.values, c.shape[::-1], not c.csc)


def with_pattern(g, c):
    """A CSR of c's entries (and compressed layout) holding the values of g (CSR, COO or dense, of c's shape) there:
    a gradient kept at c's entries."""
    pattern = to_coo(c)
    vals = _coo.gather(to_coo(g) if type(g) is CSR else g, pattern.indices, c.shape).astype(c.dtype, copy=False)
    if not c.csc:
        return c.with_values(vals)
    return from_coo(pattern.with_values(vals), True, c.compressed.dtype)


def to_dense(c, dtype=None):
    return _coo.to_dense(to_coo(c), dtype)


def add(a, b):
    """a + b for CSRs (a CSR of the union of their entries), a CSR and a dense array (dense) or a COO (COO)."""
    if type(a) is CSR and type(b) is CSR:
        if a.shape != b.shape:
            raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size "
                               f"{list(a.shape)} while other has size {list(b.shape)}")
        return from_coo(_coo.add(to_coo(a), to_coo(b)), a.csc, a.compressed.dtype)
    return _coo.add(to_coo(a) if type(a) is CSR else a, to_coo(b) if type(b) is CSR else b)
