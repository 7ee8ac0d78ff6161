"""Sparse compressed tensors (layouts ``sparse_csr`` and ``sparse_csc``, 2-D): the Tensor around a CSR (_csr.py), its
creation with PyTorch's invariant checks, conversions to and from dense and COO, and the products users run on it.

Gradients are PyTorch's: ``torch.mm``/``matmul``/``addmm``/``@`` give a compressed operand a dense gradient,
``torch.sparse.mm``/``sparse.addmm`` one kept at its entries (a CSR of its pattern), ``to_dense``/``values``/scaling a
CSR of its pattern, ``sum()`` a dense one. Backward runs on raw arrays (double backward through them is refused)."""
import numbers

import numpy as np

from .. import _dtype
from .. import _memory_format as _mf
from ..backend import backend_of
from ..tensor import Tensor
from . import _coo, _csr
from ._coo import COO
from ._csr import CSR, unsupported_csr
from ._tensor import (_SparseFunction, SPARSE_CLASSES, ScaleSparse, is_sparse, wrap_sparse, _device_name,
                      SparseLayoutTensor)

__all__ = ["SparseCompressedTensor", "sparse_csr_tensor", "sparse_csc_tensor", "to_sparse_compressed", "mm",
           "matmul", "is_compressed"]


def make_compressed(c, requires_grad=False):
    return wrap_sparse(SparseCompressedTensor, c, requires_grad)


_csr.CSR.wrap = staticmethod(make_compressed)


def is_compressed(x):
    return isinstance(x, Tensor) and type(x._data) is CSR


def _layout_name(x):
    """PyTorch's name of x's layout in its error texts."""
    if is_compressed(x):
        return "SparseCsc" if x._data.csc else "SparseCsr"
    return "Sparse" if is_sparse(x) else "Strided"




# ---- differentiable ops --------------------------------------------------------------------------------------------
class MakeCompressed(_SparseFunction):
    """sparse_csr_tensor(crow, col, values, size): differentiable in values (the gradient at each entry)."""

    @staticmethod
    def forward(ctx, values, compressed, plain, shape, csc):
        ctx.c = CSR(compressed, plain, values, shape, csc)
        return ctx.c

    @staticmethod
    def backward_raw(ctx, g):
        return _csr.with_pattern(g, ctx.c).values, None, None, None, None

    def name(self):
        return "SparseCompressedTensorBackward0"


class CompressedToDense(_SparseFunction):
    @staticmethod
    def forward(ctx, c, dtype):
        ctx.c = c
        return _csr.to_dense(c, dtype)

    @staticmethod
    def backward_raw(ctx, g):
        return _csr.with_pattern(g, ctx.c), None

    def name(self):
        return "ToDenseBackward0"


class ToCompressed(_SparseFunction):
    """A dense array or a COO as a CSR (csc: CSC); the gradient goes back dense (from dense) or as a COO (from COO),
    as PyTorch's."""

    @staticmethod
    def forward(ctx, x, csc):
        ctx.from_coo, ctx.csc = type(x) is COO, csc
        if type(x) is not COO:
            xp = backend_of(x).xp
            rows, cols = xp.nonzero(x)
            x = COO(xp.stack([rows, cols]).astype(np.int64), x[rows, cols], x.shape, True)
        return _csr.from_coo(x, csc)

    @staticmethod
    def backward_raw(ctx, g):
        if ctx.from_coo:
            return (_csr.to_coo(g) if type(g) is CSR else g), None
        return (_csr.to_dense(g) if type(g) is CSR else g), None

    def name(self):
        return "ToSparseCscBackward0" if self.csc else "ToSparseCsrBackward0"


class CompressedToCoo(_SparseFunction):
    @staticmethod
    def forward(ctx, c):
        ctx.c = c
        return _csr.to_coo(c)

    @staticmethod
    def backward_raw(ctx, g):
        return _csr.with_pattern(g, ctx.c)

    def name(self):
        return "ToSparseBackward0"


class CompressedValues(_SparseFunction):
    @staticmethod
    def forward(ctx, c):
        ctx.c = c
        return c.values

    @staticmethod
    def backward_raw(ctx, g):
        return ctx.c.with_values(g)

    def name(self):
        return "ValuesBackward0"


class CompressedT(_SparseFunction):
    """The transpose: a CSR's is the CSC of the same arrays (no copy)."""

    @staticmethod
    def forward(ctx, c):
        return _csr.transposed(c)

    @staticmethod
    def backward_raw(ctx, g):
        return _csr.transposed(g) if type(g) is CSR else g.T

    def name(self):
        return "TransposeBackward0"


class CompressedSum(_SparseFunction):
    @staticmethod
    def forward(ctx, c, dtype):
        ctx.shape, ctx.dtype = c.shape, c.dtype
        v = c.values if dtype is None else c.values.astype(dtype)
        return c.xp.asarray(v.sum(dtype=v.dtype))

    @staticmethod
    def backward_raw(ctx, g):       # dense, as PyTorch's
        return backend_of(g).xp.broadcast_to(g, ctx.shape).astype(ctx.dtype), None

    def name(self):
        return "SumBackward0"


class CloneCompressed(ScaleSparse):
    def name(self):
        return "CloneBackward0"


def _spmm(c, d):
    return _coo.spmm(_csr.to_coo(c), d)


class CompressedMM(_SparseFunction):
    """compressed (n, m) @ dense (m, p) -> dense. The compressed operand's gradient is dense (torch.mm) or a CSR of
    its entries (masked: torch.sparse.mm); the dense operand's is c^T @ grad."""

    @staticmethod
    def forward(ctx, c, d, masked):
        ctx.c, ctx.d, ctx.masked = c, d, masked
        return _spmm(c, d)

    @staticmethod
    def backward_raw(ctx, g):
        c, d = ctx.c, ctx.d
        gc = gd = None
        if ctx._inputs[0] is not None:
            if ctx.masked and c.csc:        # as PyTorch's
                raise RuntimeError("sparse_addmm_sparse_backward: unsupported combination of layouts, grad: Strided, "
                                   "mat1: SparseCsc, mat2: Strided")
            if ctx.masked:
                rows, cols = _csr.to_coo(c).indices
                gc = _csr.with_pattern(COO(_csr.to_coo(c).indices, (g[rows] * d[cols]).sum(axis=1), c.shape, True),
                                       c)
            else:
                gc = g @ d.T
        if ctx._inputs[1] is not None:
            gd = _spmm(_csr.transposed(c), g)
        return gc, gd, None

    def name(self):
        return "SparseAddmmBackward0" if self.masked else "MmBackward0"


class DenseCompressedMM(_SparseFunction):
    """dense (n, m) @ compressed (m, p) -> dense (c^T @ d^T)^T; both gradients dense, as PyTorch's."""

    @staticmethod
    def forward(ctx, d, c):
        ctx.c, ctx.d = c, d
        return _spmm(_csr.transposed(c), d.T).T

    @staticmethod
    def backward_raw(ctx, g):
        c, d = ctx.c, ctx.d
        gd = _spmm(c, g.T).T if ctx._inputs[0] is not None else None
        gc = d.T @ g if ctx._inputs[1] is not None else None
        return gd, gc

    def name(self):
        return "MmBackward0"


def _check_mm(a, b):
    for t in (a, b):
        if t.ndim != 2:
            raise RuntimeError(f"addmm: matrices expected, got {t.ndim}D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {a.dtype.scalar_type} but found {b.dtype.scalar_type}")


def mm(mat1, mat2, masked=False):
    """torch.mm with a compressed operand (the other dense): dense, the compressed operand's gradient dense (masked,
    torch.sparse.mm's: kept at its entries)."""
    if is_compressed(mat1) and is_compressed(mat2) or is_sparse(mat1) or is_sparse(mat2):
        raise unsupported_csr("mm (of two sparse operands)", _device_name((mat1 if is_compressed(mat1) else
                                                                          mat2)._data))
    _check_mm(mat1, mat2)
    if is_compressed(mat1):
        return CompressedMM.apply(mat1, mat2, masked)
    return DenseCompressedMM.apply(mat1, mat2)


def matmul(a, b):
    """torch.matmul with a compressed 2-D operand: a matrix (or matrix-vector) product, dense."""
    if is_compressed(a) and not is_compressed(b) and b.ndim == 1:
        return mm(a, b.unsqueeze(1)).squeeze(1)
    if is_compressed(b) and not is_compressed(a) and a.ndim == 1:
        return mm(a.unsqueeze(0), b).squeeze(0)
    return mm(a, b)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    prod = mm(mat1, mat2)
    return (input if beta == 1 else input * beta) + (prod if alpha == 1 else prod * alpha)


# ---- creation ------------------------------------------------------------------------------------------------------
def _to_tensor(x, dtype=None):
    from ..creation import tensor as _tensor
    return x if isinstance(x, Tensor) else _tensor(x, dtype=dtype)


def _check_compressed(compressed, plain, nnz, shape, csc):
    """PyTorch's invariant checks of compressed sparse indices, in its order and words."""
    cname, pname = ("ccol", "row") if csc else ("crow", "col")
    n_major, n_minor = (shape[1], shape[0]) if csc else (shape[0], shape[1])
    major, minor = ("columns", "rows") if csc else ("rows", "cols")
    if compressed.shape[0] != n_major + 1:
        raise RuntimeError(f"{cname}_indices.shape[-1] must be equal to the number of {major} + 1 (={n_major + 1}), "
                           f"but got {compressed.shape[0]}")
    if plain.shape[0] != nnz:
        raise RuntimeError(f"{pname}_indices.shape[-1] must be equal to nnz (={nnz}) as defined by values.shape[0], "
                           f"but got {plain.shape[0]}")
    host = backend_of(compressed).to_host
    cmp, pl = host(compressed).astype(np.int64), host(plain).astype(np.int64)
    if cmp[0] != 0:
        raise RuntimeError(f"`{cname}_indices[..., 0] == 0` is not satisfied.")
    if cmp[-1] != nnz:
        raise RuntimeError(f"`{cname}_indices[..., -1] == nnz` is not satisfied.")
    step = np.diff(cmp)
    if step.size and (step.min() < 0 or step.max() > n_minor):
        raise RuntimeError(f"`0 <= {cname}_indices[..., 1:] - {cname}_indices[..., :-1] <= n{minor}` is not "
                           "satisfied.")
    if nnz and (pl.min() < 0 or pl.max() >= n_minor):
        raise RuntimeError(f"`0 <= {pname}_indices < n{minor}` is not satisfied.")
    if nnz > 1:
        same = np.repeat(np.arange(n_major), step)
        if np.any((same[1:] == same[:-1]) & (pl[1:] <= pl[:-1])):
            raise RuntimeError(f"`{pname}_indices[..., {cname}_indices[..., i - 1]:{cname}_indices[..., i]] for all "
                               f"i = 1, ..., n{'cols' if csc else 'rows'} are sorted and distinct along the last "
                               "dimension values` is not satisfied.")


def _sparse_compressed_tensor(compressed, plain, values, size, dtype, device, requires_grad, csc):
    cname, pname = ("ccol", "row") if csc else ("crow", "col")
    compressed, plain = _to_tensor(compressed), _to_tensor(plain)
    values = _to_tensor(values, dtype)
    if dtype is not None and values.dtype is not _dtype.to_dtype(dtype):
        values = values.to(dtype)
    if device is not None:
        values, compressed, plain = values.to(device), compressed.to(device), plain.to(device)
    if compressed.dtype is not plain.dtype:
        raise RuntimeError(f"{cname}_indices and {pname}_indices must have the same dtype, bot got "
                           f"{compressed.dtype.scalar_type} and {plain.dtype.scalar_type}, respectively")
    if compressed.dtype.name not in ("int32", "int64"):
        st = compressed.dtype.scalar_type
        if size is None:        # PyTorch fails while inferring the size
            raise NotImplementedError(f'"estimate_sparse_compressed_tensor_size" not implemented for \'{st}\'')
        raise RuntimeError(f"{cname}_indices and {pname}_indices dtype must be Int or Long, but got {st}")
    if compressed.ndim != plain.ndim:
        raise RuntimeError(f"{cname}_indices and {pname}_indices dimensionalities must be equal but got "
                           f"{compressed.ndim} and {plain.ndim}, respectively")
    if compressed.ndim != 1 or values.ndim != 1:
        raise RuntimeError("autograd_lite: sparse compressed tensors with batch or dense dimensions are not "
                           "supported (only 2-D ones with 1-D indices and values)")
    nnz = values.shape[0]
    if size is None:
        pl = plain._data
        n_minor = int(backend_of(pl).to_host(pl).max()) + 1 if pl.shape[0] else 0
        n_major = max(compressed.shape[0] - 1, 0)
        shape = (n_minor, n_major) if csc else (n_major, n_minor)
    else:
        shape = tuple(int(s) for s in (size if not isinstance(size, int) else (size,)))
        if len(shape) != 2:
            raise RuntimeError(f"tensor dimensionality must be sum of batch, base, and dense dimensionalities "
                               f"(=0 + 2 + 0) but got {len(shape)}")
    _check_compressed(compressed._data, plain._data, nnz, shape, csc)
    if requires_grad and not (values.dtype.is_floating_point or values.dtype.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    out = MakeCompressed.apply(values, compressed._data, plain._data, shape, csc)
    if requires_grad:
        out = out.detach().requires_grad_(True)
    return out


def sparse_csr_tensor(crow_indices, col_indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None):
    """A 2-D sparse CSR tensor: row i's entries are values[crow_indices[i]:crow_indices[i + 1]] at the columns
    col_indices[same range] (sorted and distinct in each row). PyTorch's invariants are always checked. Differentiable
    in `values`.

    Example::

        >>> c = torch.sparse_csr_tensor([0, 2, 3], [0, 2, 1], [1., 2., 3.], (2, 3))
        >>> c.to_dense()
        tensor([[1., 0., 2.],
                [0., 3., 0.]])
    """
    return _sparse_compressed_tensor(crow_indices, col_indices, values, size, dtype, device, requires_grad, False)


def sparse_csc_tensor(ccol_indices, row_indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None):
    """A 2-D sparse CSC tensor (column j's entries at values[ccol_indices[j]:ccol_indices[j + 1]], rows sorted and
    distinct). Example: ``torch.sparse_csc_tensor([0, 1, 2, 3], [0, 1, 0], [1., 3., 2.], (2, 3))``."""
    return _sparse_compressed_tensor(ccol_indices, row_indices, values, size, dtype, device, requires_grad, True)


def to_sparse_compressed(x, csc=False):
    """A dense 2-D tensor or a 2-D COO as CSR (csc: CSC); differentiable (the gradient goes back dense, or COO).
    Example: ``torch.tensor([[0., 2.], [3., 0.]]).to_sparse_csr()``."""
    if is_compressed(x):
        if x._data.csc == csc:
            return x
        return to_sparse_compressed(x.to_sparse(), csc)
    if x.ndim != 2 or (is_sparse(x) and x._data.dense_dim):
        raise RuntimeError(f"autograd_lite: to_sparse_{'csc' if csc else 'csr'} takes a 2-D tensor without dense "
                           f"dims, got {x.ndim}-D")
    return ToCompressed.apply(x, csc)


def _rebuild(compressed, plain, values, shape, csc, requires_grad):
    return make_compressed(CSR(compressed, plain, values, shape, csc), requires_grad)


def _unsupported_method(name):
    def method(self, *args, **kwargs):
        raise unsupported_csr(name, _device_name(self._data))
    method.__name__ = name
    return method


def _wrong_layout(name, want):
    def method(self, *args, **kwargs):
        raise RuntimeError(f"{name} expected {want} layout but got {_layout_name(self)}")
    method.__name__ = name
    return method


class SparseCompressedTensor(SparseLayoutTensor):
    """A 2-D sparse CSR (``layout == autograd_lite.sparse_csr``) or CSC (``sparse_csc``) tensor: compressed indices,
    plain indices and values. Made by ``sparse_csr_tensor`` or ``x.to_sparse_csr()``.

    Example::

        >>> c = torch.tensor([[0., 2.], [3., 0.]]).to_sparse_csr()
        >>> c.crow_indices().tolist(), c.col_indices().tolist()
        ([0, 1, 2], [1, 0])
    """
    __slots__ = ()

    layout = property(lambda self: _mf.sparse_csc if self._data.csc else _mf.sparse_csr,
                      doc="``autograd_lite.sparse_csr`` or ``sparse_csc``")
    is_sparse = property(lambda self: False, doc="False, as torch's (``is_sparse`` means COO)")
    is_sparse_csr = property(lambda self: not self._data.csc, doc="True for a CSR tensor")

    @property
    def data(self):
        return make_compressed(self._data)

    def __repr__(self):
        from ._tensor import _repr_with_suffixes
        c = self._data
        names = ("ccol_indices", "row_indices") if c.csc else ("crow_indices", "col_indices")
        be = backend_of(c.values)
        return _repr_with_suffixes(self, [(names[0], be.to_host(c.compressed)), (names[1], be.to_host(c.plain)),
                                          ("values", be.to_host(c.values))], c.nnz, False)

    def __reduce_ex__(self, protocol):
        c = self._data
        host = backend_of(c.values).to_host
        return (_rebuild, (host(c.compressed), host(c.plain), host(c.values), c.shape, c.csc, self._rg))

    # ---- structure
    def sparse_dim(self):
        return 2

    def dense_dim(self):
        return 0

    def crow_indices(self):
        if self._data.csc:
            raise RuntimeError(f"crow_indices expected sparse row compressed tensor layout but got "
                               f"{_layout_name(self)}")
        return Tensor._make(self._data.compressed)

    def col_indices(self):
        if self._data.csc:
            raise RuntimeError(f"col_indices expected sparse row compressed tensor layout but got "
                               f"{_layout_name(self)}")
        return Tensor._make(self._data.plain)

    def ccol_indices(self):
        if not self._data.csc:
            raise RuntimeError(f"ccol_indices expected sparse column compressed tensor layout but got "
                               f"{_layout_name(self)}")
        return Tensor._make(self._data.compressed)

    def row_indices(self):
        if not self._data.csc:
            raise RuntimeError(f"row_indices expected sparse column compressed tensor layout but got "
                               f"{_layout_name(self)}")
        return Tensor._make(self._data.plain)

    def values(self):
        """The values (differentiable: the gradient is a CSR of this tensor's entries)."""
        return CompressedValues.apply(self)

    indices = _wrong_layout("indices", "sparse coordinate tensor")
    coalesce = _wrong_layout("coalesce", "sparse coordinate tensor")
    is_coalesced = _wrong_layout("is_coalesced", "sparse coordinate tensor")

    # ---- conversions
    def to_dense(self, dtype=None, *, masked_grad=True):
        """The dense tensor; differentiable (the gradient: a CSR of this tensor's entries)."""
        return CompressedToDense.apply(self, None if dtype is None else _dtype.to_dtype(dtype).np)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        if layout is _mf.sparse_csr or layout is _mf.sparse_csc:
            return to_sparse_compressed(self, layout is _mf.sparse_csc)
        if layout is not None and layout is not _mf.sparse_coo:
            raise RuntimeError(f"to_sparse: conversion to {layout} is not supported in autograd_lite")
        if sparse_dim is not None and sparse_dim != 2:
            name = "SparseCsc" if self._data.csc else "SparseCsr"
            raise RuntimeError(f"sparse_compressed_to_sparse: conversion from {name} to Sparse with sparse_dim "
                               "argument !=2 is not supported")
        return CompressedToCoo.apply(self)

    def to_sparse_coo(self):
        return self.to_sparse()

    def to_sparse_csr(self, dense_dim=None):
        return to_sparse_compressed(self, False)

    def to_sparse_csc(self, dense_dim=None):
        return to_sparse_compressed(self, True)

    def stride(self, dim=None):
        raise RuntimeError("Sparse CSR tensors do not have strides")

    def is_contiguous(self, memory_format=None):
        raise RuntimeError("Sparse CSR tensors do not have is_contiguous")

    reshape = is_contiguous

    def numpy(self, force=False):
        raise TypeError(f"can't convert {_layout_name(self)} layout tensor to numpy. Use Tensor.to_dense() first.")

    __array__ = numpy

    # ---- autograd / copies
    def detach(self):
        t = make_compressed(self._data)
        t._version = self._version
        return t

    def clone(self, *, memory_format=None):
        if self._rg:
            return CloneCompressed.apply(self, 1)
        return make_compressed(self._data.copy())

    # ---- arithmetic
    def mul(self, other):
        if isinstance(other, (numbers.Number, np.generic)) or (isinstance(other, Tensor) and other.ndim == 0 and
                                                                 type(other) is Tensor):
            return ScaleSparse.apply(self, other.item() if isinstance(other, Tensor) else other)
        raise unsupported_csr("mul (a compressed tensor times a tensor)", _device_name(self._data))

    __mul__ = __rmul__ = mul

    def neg(self):
        return ScaleSparse.apply(self, -1)

    __neg__ = neg

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        """The sum of every element (dense 0-d; its gradient is dense, as torch's)."""
        if dim is not None:
            raise unsupported_csr("sum.dim_IntList", _device_name(self._data))
        return CompressedSum.apply(self, None if dtype is None else _dtype.to_dtype(dtype).np)

    def t(self):
        return CompressedT.apply(self)

    def transpose(self, dim0, dim1):
        from .._args import canon_dim
        d0, d1 = canon_dim(dim0, 2, "transpose"), canon_dim(dim1, 2, "transpose")
        return self if d0 == d1 else self.t()

    def mm(self, mat2):
        return mm(self, mat2)

    def matmul(self, other):
        return matmul(self, other)

    __matmul__ = matmul

    def __rmatmul__(self, other):
        return matmul(other, self)


for _name in ("exp", "log", "mean", "softmax", "log_softmax", "view", "max", "min", "amax", "amin", "argmax", "argmin",
              "cumsum", "prod", "std", "var", "expand", "permute", "flatten", "squeeze", "unsqueeze", "contiguous",
              "tolist", "sigmoid", "softplus", "clamp", "fill_", "index_select", "__getitem__", "__setitem__", "add",
              "__add__", "__radd__", "sub", "__sub__", "__rsub__", "div", "__truediv__", "__rtruediv__",
              "sparse_mask"):
    _op = {"__getitem__": "index", "__setitem__": "index_put_", "__truediv__": "div", "__rtruediv__": "div"}.get(
        _name, _name.strip("_").removeprefix("r") if _name.startswith("__r") else _name.strip("_"))
    setattr(SparseCompressedTensor, _name, _unsupported_method(_op))

SPARSE_CLASSES[CSR] = SparseCompressedTensor
