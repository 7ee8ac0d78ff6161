"""autograd_lite.sparse: sparse COO tensors, as ``torch.sparse`` (mm, addmm, sum, softmax, log_softmax) and the
sparse side of the top-level API (``sparse_coo_tensor``, ``smm``, ``hspmm``, ``mm``/``matmul``/``@``/``add``/``mul``
with a sparse operand, ``Tensor.to_sparse`` / ``sparse_mask`` / ``to_dense``).

A sparse tensor is a Tensor (``isinstance`` holds) of class SparseTensor whose array is a COO (_coo.py); dense-only
ops called on it fail with PyTorch's "Could not run 'aten::...' with arguments from the 'SparseCPU' backend".
Sparse gradients (``nn.Embedding(sparse=True)``, ``torch.sparse.mm``) are SparseTensors that the optimizers SGD,
Adagrad and SparseAdam take.

Example::

    >>> s = torch.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3., 4., 5.], (2, 3), requires_grad=True)
    >>> torch.sparse.mm(s, torch.ones(3, 2)).sum().backward()
    >>> s.grad.to_dense()
    tensor([[0., 0., 2.],
            [2., 0., 2.]])
"""

from .. import _api
from ..tensor import Tensor
from ..autograd.grad_mode import no_grad
from ._coo import COO
from ._tensor import (SparseTensor, SparseMask, NoDerivative, make_sparse, SparseSoftmax, is_sparse, matmul as _matmul,
                      mm as _mm, sparse_coo_tensor, sparse_sum as sum, to_sparse, _mm as _masked_mm)
from ._tensor import _device_name
from ._coo import unsupported
from . import _compressed
from ._compressed import SparseCompressedTensor, sparse_csr_tensor, sparse_csc_tensor, is_compressed

__all__ = ["mm", "addmm", "sum", "softmax", "log_softmax", "SparseTensor", "sparse_coo_tensor", "smm", "hspmm",
           "SparseCompressedTensor", "sparse_csr_tensor", "sparse_csc_tensor",
           "as_sparse_gradcheck", "check_sparse_tensor_invariants"]


def _need_sparse(x, op):
    if not is_sparse(x):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
        raise unsupported(op, x.device.type.upper(), sparse=False)


def mm(mat1, mat2, reduce="sum"):
    """sparse (n, m) @ dense (m, p) -> dense (n, p); the sparse operand's gradient is kept at its own entries (a
    sparse COO gradient), the dense one's is dense. Example: ``torch.sparse.mm(adjacency, features)``."""
    if reduce != "sum":
        raise RuntimeError(f"torch.sparse.mm: reduce={reduce!r} is not supported in autograd_lite (only 'sum')")
    if is_compressed(mat1) or is_compressed(mat2):
        return _compressed.mm(mat1, mat2, masked=is_compressed(mat1))
    if not is_sparse(mat1):
        if is_sparse(mat2):
            return _mm(mat1, mat2)
        return mat1.mm(mat2)
    return _masked_mm(mat1, mat2, True, "addmm")


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """beta * mat + alpha * (sparse mat1 @ dense mat2), as torch.sparse.addmm (mat1's gradient kept at its entries).
    Example: ``torch.sparse.addmm(bias, s, w)``."""
    prod = mm(mat1, mat2)
    return (mat if beta == 1 else mat * beta) + (prod if alpha == 1 else prod * alpha)


def _softmax(input, dim, dtype, log):
    _need_sparse(input, "_sparse_log_softmax" if log else "_sparse_softmax")
    from .._args import canon_dim
    if dtype is not None:
        input = input.to(dtype)
    d = canon_dim(dim, input.ndim, "softmax")
    return SparseSoftmax.apply(input, d, log)


def softmax(input, dim, *, dtype=None):
    """softmax along `dim` over the specified entries only (unspecified ones count as -inf, so they stay
    unspecified): a sparse tensor of input's entries. Example: ``torch.sparse.softmax(scores, dim=1)``."""
    return _softmax(input, dim, dtype, False)


def log_softmax(input, dim, *, dtype=None):
    """log(softmax) along `dim` over the specified entries, as torch.sparse.log_softmax."""
    return _softmax(input, dim, dtype, True)


def smm(input, mat2):
    """sparse @ dense as a sparse tensor (its non-zero entries), as torch.smm (no derivative, as torch's). Example:
    ``torch.smm(s, d)``."""
    _need_sparse(input, "smm")
    with no_grad():
        out = to_sparse(mm(input, mat2))
    return NoDerivative.apply(out, "sspaddmm", input, mat2)


def hspmm(mat1, mat2):
    """sparse (n, m) @ dense (m, p) as a hybrid sparse tensor (sparse_dim 1, dense_dim 1): the product's rows where
    mat1 has an entry, as torch.hspmm. Example: ``torch.hspmm(s, d)``."""
    _need_sparse(mat1, "hspmm")
    with no_grad():
        out = mm(mat1, mat2)
        c = mat1._data
        rows = c.xp.unique(c.indices[0]) if c.nnz else c.indices[0]
        out = make_sparse(COO(rows[None], out._data[rows], tuple(out.shape), True))
    return NoDerivative.apply(out, "hspmm", mat1, mat2)


def sparse_mask(self, mask):
    """This dense tensor's values at the (coalesced) entries of the sparse `mask`, as a sparse tensor of mask's
    pattern. Example: ``dense.sparse_mask(s)``."""
    if is_sparse(self):
        raise unsupported("sparse_mask", _device_name(self._data))
    if not is_sparse(mask):
        raise unsupported("sparse_mask", self.device.type.upper(), sparse=False)
    if tuple(self.shape) != tuple(mask.shape):
        raise RuntimeError(f"sparse_mask(): operands have incompatible sizes; self has size {list(self.shape)} but "
                           f"mask has size {list(mask.shape)}")
    return SparseMask.apply(self, mask)


def _dense_to_dense(self, dtype=None, *, masked_grad=None):
    return self if dtype is None else self.to(dtype)


def _not_sparse(name):
    def method(self, *args, **kwargs):
        if name.startswith("_"):
            raise unsupported(name, self.device.type.upper(), sparse=False)
        what = "sparse tensor" if name == "values" else "sparse coordinate tensor"
        raise RuntimeError(f"{name} expected {what} layout but got Strided")
    method.__name__ = name
    return method


# dense Tensor methods of the sparse API (a dense tensor is strided: these convert or refuse, as torch's do)
Tensor.to_sparse = to_sparse
Tensor.to_sparse_coo = lambda self: to_sparse(self)
Tensor.sparse_mask = sparse_mask
Tensor.to_dense = _dense_to_dense
for _name in ("is_coalesced", "coalesce", "_nnz", "indices", "values", "_indices", "_values"):
    setattr(Tensor, _name, _not_sparse(_name))
Tensor.to_sparse_csr = lambda self, dense_dim=None: _compressed.to_sparse_compressed(self, False)
Tensor.to_sparse_csc = lambda self, dense_dim=None: _compressed.to_sparse_compressed(self, True)
for _name, _want in (("crow_indices", "row"), ("col_indices", "row"), ("ccol_indices", "column"),
                     ("row_indices", "column")):
    setattr(Tensor, _name, _compressed._wrong_layout(_name, f"sparse {_want} compressed tensor"))
Tensor.sparse_dim = lambda self: 0                     # torch: a strided tensor has 0 sparse dims ...
Tensor.dense_dim = lambda self: self.ndim              # ... and all of its dims dense


# ---- the top-level functions that take a sparse operand (first or second): its own op; a dense call is unchanged
def _add(a, b, *, alpha=1, out=None):
    return a.add(b, alpha=alpha) if is_sparse(a) else (b.__radd__(a) if alpha == 1 else a + b * alpha)


def _sub(a, b, *, alpha=1, out=None):
    return a.sub(b, alpha=alpha) if is_sparse(a) else (b.__rsub__(a) if alpha == 1 else a - b * alpha)


def _addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    prod = _mm(mat1, mat2)
    return (input if beta == 1 else input * beta) + (prod if alpha == 1 else prod * alpha)


# ... and those with a compressed (CSR/CSC) operand
_COMPRESSED = {"mm": lambda a, b, out=None: _compressed.mm(a, b),
               "matmul": lambda a, b, out=None: _compressed.matmul(a, b), "addmm": _compressed.addmm,
               "t": lambda a: a.t(), "transpose": lambda a, d0, d1: a.transpose(d0, d1),
               "neg": lambda a, out=None: a.neg(), "sum": lambda a, *args, **kw: a.sum(*args, **kw),
               "mul": lambda a, b, out=None: a.mul(b) if is_compressed(a) else b.mul(a)}

for _name, _fn in (("mm", lambda a, b, out=None: _mm(a, b)), ("matmul", lambda a, b, out=None: _matmul(a, b)),
                   ("addmm", _addmm), ("add", _add), ("sub", _sub),
                   ("mul", lambda a, b, out=None: a.mul(b) if is_sparse(a) else b.mul(a)),
                   ("t", lambda a: a.t()), ("transpose", lambda a, d0, d1: a.transpose(d0, d1)),
                   ("neg", lambda a, out=None: a.neg()), ("sum", lambda a, *args, **kw: a.sum(*args, **kw))):
    _api.route(_name, SparseTensor, _fn, "either")
    if _name in _COMPRESSED:
        _api.route(_name, SparseCompressedTensor, _COMPRESSED[_name], "either")

_api.TOP.update(sparse_coo_tensor=sparse_coo_tensor, smm=smm, hspmm=hspmm, sparse_csr_tensor=sparse_csr_tensor,
                sparse_csc_tensor=sparse_csc_tensor)


class check_sparse_tensor_invariants:
    """torch.sparse.check_sparse_tensor_invariants: here the invariants (indices within the size) are always
    checked, so enabling or disabling changes nothing. Usable as a context manager or decorator."""

    @staticmethod
    def is_enabled():
        return True

    @staticmethod
    def enable():
        pass

    @staticmethod
    def disable():
        pass

    def __init__(self, enable=True):
        self.state = enable

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        return fn


def as_sparse_gradcheck(gradcheck):
    """torch.sparse.as_sparse_gradcheck: gradcheck with sparse inputs; here the given gradcheck, unchanged."""
    return gradcheck

