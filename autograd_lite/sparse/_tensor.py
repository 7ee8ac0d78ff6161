"""The sparse COO Tensor (a Tensor whose ``_data`` is a COO, layout ``sparse_coo``) and its differentiable ops.

A sparse gradient is the gradient of the tensor's dense value, kept at some pattern of entries, as PyTorch's: the
ops below pass it on as a COO (or as a dense array where PyTorch's formula is dense: ``torch.mm(sparse, dense)``),
and the engine accumulates COO gradients by concatenating their entries (autograd/engine.py). Backward formulas run
on raw arrays; double backward (create_graph) through a sparse op is refused."""
import numbers

import numpy as np

from .. import _dtype, _format
from .. import _memory_format as _mf
from .. import backend as _backend
from ..autograd.grad_mode import state as _grad_state
from ..autograd.op_function import Function, TensorBase, _next_seq
from ..backend import backend_of
from ..tensor import Tensor, parse_to_args
from . import _coo
from ._coo import COO, coalesce, gather, to_dense, unsupported

__all__ = ["SparseTensor", "make_sparse", "is_sparse", "sparse_coo_tensor", "to_sparse"]

_new = object.__new__


def wrap_sparse(cls, data, requires_grad=False):
    """A leaf Tensor of class `cls` (SparseTensor, SparseCompressedTensor) around a raw sparse array."""
    t = _new(cls)
    t._data = data
    t._rg = requires_grad
    t._grad = t.grad_fn = t._hooks = t._base = None
    t._version = [0]
    return t


def sparse_to(t, args, kwargs):
    """Tensor.to for a sparse tensor of any layout: a cast (differentiable), then a move between devices."""
    device, dtype = parse_to_args(args, kwargs.get("device"), kwargs.get("dtype"))
    out = t
    if dtype is not None and dtype is not t.dtype:
        out = CastSparse.apply(out, dtype.np)
    if device is not None:
        from ..backend import device as _device, get_backend
        dev = _device(device)
        if dev != t.device:
            if out._rg:
                raise RuntimeError("autograd_lite: moving a sparse tensor that requires grad between devices is "
                                   "not differentiable here; detach() it first")
            src, be = backend_of(out._data.values), get_backend(dev)
            out = wrap_sparse(type(out), out._data.map_arrays(lambda a: be.from_host(src.to_host(a), dev.index)))
    return out


def make_sparse(coo, requires_grad=False):
    """The sparse Tensor around a COO."""
    return wrap_sparse(SparseTensor, coo, requires_grad)


_coo.COO.wrap = staticmethod(make_sparse)


def is_sparse(x):
    return isinstance(x, TensorBase) and type(x._data) is COO


def _device_name(data):
    """'CPU' or 'CUDA': where a raw sparse array's values live (torch's backend names in its error texts)."""
    return "CUDA" if backend_of(data.values).device.type == "cuda" else "CPU"


SPARSE_CLASSES = {}      # raw sparse array type -> its Tensor class (COO: SparseTensor; _compressed.py adds CSR's)


class _SparseFunction(Function):
    """A sparse op: its backward runs on raw arrays (backward_raw); under create_graph it refuses. Its apply records
    the graph as Function.apply does, and makes a sparse Tensor of a COO result, a dense one of an array."""

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = _new(cls)
        ctx._saved = ()
        raw, inputs, needs = [], [], False
        for a in args:
            if isinstance(a, TensorBase):
                d = a._data
                raw.append(d)
                if a._rg:
                    needs = True
                    inputs.append((a.grad_fn or a, d.shape, d.dtype, id(d)))
                else:
                    inputs.append(None)
            else:
                raw.append(a)
                inputs.append(None)
        record = needs and _grad_state.enabled
        ctx._inputs = tuple(inputs) if record else (None,) * len(inputs)
        data = cls.forward(ctx, *raw, **kwargs)
        klass = SPARSE_CLASSES.get(type(data))
        if klass is not None:
            out = _new(klass)
        else:
            if type(data) not in _backend.array_types:        # NumPy's 0-d results are scalars
                data = backend_of(raw[0] if type(raw[0]) not in SPARSE_CLASSES else raw[0].values).xp.asarray(data)
            out = _new(Tensor)
        out._data = data
        out._grad = out._hooks = out._base = None
        out._version = [0]
        if record:
            ctx._seq = _next_seq()
            ctx._versions = None
            out._rg, out.grad_fn = True, ctx
        else:
            out._rg, out.grad_fn = False, None
        return out

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(f"{ctx.name()}: double backward (create_graph=True) through sparse tensors is not "
                           "supported in autograd_lite")


def _dense_of(g):
    return to_dense(g) if type(g) is COO else g


class MakeSparse(_SparseFunction):
    """sparse_coo_tensor(indices, values, size): differentiable in values (their gradient: the tensor's gradient at
    each index)."""

    @staticmethod
    def forward(ctx, values, indices, shape, coalesced):
        ctx.indices, ctx.shape = indices, shape
        return COO(indices, values, shape, coalesced)

    @staticmethod
    def backward_raw(ctx, g):
        return gather(g, ctx.indices, ctx.shape), None, None, None

    def name(self):
        return "SparseCooTensorWithDimsAndTensorsBackward0"


class ToDense(_SparseFunction):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.x = coalesce(x) if x.nnz else x
        return to_dense(x, dtype)

    @staticmethod
    def backward_raw(ctx, g):
        x = ctx.x
        return COO(x.indices, gather(g, x.indices, x.shape).astype(x.dtype, copy=False), x.shape, x.coalesced), None

    def name(self):
        return "ToDenseBackward0"


class ToSparse(_SparseFunction):
    """A dense array as COO over its first sparse_dim dims (an entry per position where any value is non-zero)."""

    @staticmethod
    def forward(ctx, x, sparse_dim):
        xp = backend_of(x).xp
        if sparse_dim == 0:         # one entry: the whole tensor, as torch's
            return COO(xp.zeros((0, 1), np.int64), x[None].copy(), x.shape, True)
        lead = x.shape[:sparse_dim]
        flat = x.reshape((int(np.prod(lead, dtype=np.int64)),) + x.shape[sparse_dim:])
        nz = flat != 0
        if flat.ndim > 1:
            nz = nz.reshape(flat.shape[0], -1).any(axis=1)
        pos = xp.flatnonzero(nz)
        indices = xp.stack(xp.unravel_index(pos, lead)).astype(np.int64) if sparse_dim else \
            xp.zeros((0, pos.shape[0]), np.int64)
        return COO(indices.reshape(sparse_dim, -1), flat[pos], x.shape, True)

    @staticmethod
    def backward_raw(ctx, g):
        return _dense_of(g), None

    def name(self):
        return "ToSparseBackward0"


class Coalesce(_SparseFunction):
    @staticmethod
    def forward(ctx, x):
        return coalesce(x)

    @staticmethod
    def backward_raw(ctx, g):
        return g

    def name(self):
        return "CoalesceBackward0"


class Values(_SparseFunction):
    """The values of a coalesced COO; the gradient is a COO of the same indices."""
    is_view = False

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x.values

    @staticmethod
    def backward_raw(ctx, g):
        x = ctx.x
        return COO(x.indices, g, x.shape, x.coalesced)

    def name(self):
        return "ValuesBackward0"


def _transposed(x, d0, d1):
    """COO or dense array x with dims d0 and d1 swapped."""
    if type(x) is not COO:
        return x.swapaxes(d0, d1)
    shape = list(x.shape)
    shape[d0], shape[d1] = shape[d1], shape[d0]
    sd = x.sparse_dim
    if d0 < sd:
        order = list(range(sd))
        order[d0], order[d1] = d1, d0
        return COO(x.indices[order], x.values, shape, False)
    return COO(x.indices, x.values.swapaxes(d0 - sd + 1, d1 - sd + 1), shape, x.coalesced)


class Transpose(_SparseFunction):
    @staticmethod
    def forward(ctx, x, d0, d1):
        ctx.d0, ctx.d1 = d0, d1
        return _transposed(x, d0, d1)

    @staticmethod
    def backward_raw(ctx, g):
        return _transposed(g, ctx.d0, ctx.d1), None, None

    def name(self):
        return "TransposeBackward0"


def _check_mm(s, d, op="addmm"):
    if s.ndim != 2 or s._data.dense_dim:
        raise RuntimeError(f"{op}: matrices expected, got {s.ndim}D tensor")
    if d.ndim != 2:
        raise RuntimeError(f"{op}: matrices expected, got {d.ndim}D tensor")
    if d.shape[0] != s.shape[1]:
        raise RuntimeError(f"{op}: Argument #3 (dense): Expected dim 0 size {s.shape[1]}, got {d.shape[0]}")
    if s.dtype is not d.dtype:
        raise RuntimeError(f"expected scalar type {s.dtype.scalar_type} but found {d.dtype.scalar_type}")


class SparseMM(_SparseFunction):
    """sparse (n, m) @ dense (m, p) -> dense. The sparse operand's gradient is dense (torch.mm) or kept at its own
    entries (masked: torch.sparse.mm); the dense operand's is sparse^T @ grad."""

    @staticmethod
    def forward(ctx, s, d, masked):
        s = coalesce(s)
        ctx.s, ctx.d, ctx.masked = s, d, masked
        return _coo.spmm(s, d)

    @staticmethod
    def backward_raw(ctx, g):
        s, d = ctx.s, ctx.d
        g = _dense_of(g)
        gs = gd = None
        if ctx._inputs[0] is not None:
            if ctx.masked:
                rows, cols = s.indices
                gs = COO(s.indices, (g[rows] * d[cols]).sum(axis=1), s.shape, True)
            else:
                gs = g @ d.T
        if ctx._inputs[1] is not None:
            gd = _coo.spmm(_transposed(s, 0, 1), g)
        return gs, gd, None

    def name(self):
        return "SparseAddmmBackward0" if self.masked else "MmBackward0"


def _scalar(x):
    return isinstance(x, (numbers.Number, np.generic)) or isinstance(x, Tensor) and not is_sparse(x) and x.ndim == 0


def _scalar_value(x, dtype):
    return x._data.astype(dtype) if isinstance(x, Tensor) else dtype.type(x) if dtype.kind in "fc" else x


class ScaleSparse(_SparseFunction):
    """sparse * c for a number c: the values scaled."""

    @staticmethod
    def forward(ctx, x, c):
        ctx.c = c
        if isinstance(c, numbers.Integral) or x.dtype.kind in "fc":     # PyTorch's: a Python number keeps the dtype
            out_dtype = x.dtype
        else:
            out_dtype = _dtype.get_default_dtype().np
        return x.with_values((x.values * c).astype(out_dtype, copy=False))

    @staticmethod
    def backward_raw(ctx, g):
        return (g.with_values(g.values * ctx.c) if type(g) is COO else g * ctx.c), None

    def name(self):
        return "MulBackward0"


def _mul_raw(a, b):
    """a * b for COO a and b (coalesced first: the entries both have) or a COO a and a dense array b of its shape
    (a COO of a's entries)."""
    if type(b) is not COO:
        a = coalesce(a)
        return a.with_values(a.values * gather(b, a.indices, a.shape))
    a, b = coalesce(a), coalesce(b)
    xp = a.xp
    dims = a.shape[:a.sparse_dim]
    ka, kb = _coo.linear_index(a.indices, dims, xp), _coo.linear_index(b.indices, dims, xp)
    common, ia, ib = xp.intersect1d(ka, kb, assume_unique=True, return_indices=True)
    return COO(a.indices[:, ia], a.values[ia] * b.values[ib], a.shape, True)


class MulSparse(_SparseFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return _mul_raw(a, b)

    @staticmethod
    def backward_raw(ctx, g):
        ga = _mul_raw(g, ctx.b) if type(g) is COO else _mul_raw(ctx.b, g)
        gb = _mul_raw(g, ctx.a) if type(g) is COO else _mul_raw(ctx.a, g)
        return (ga if ctx._inputs[0] is not None else None), (gb if ctx._inputs[1] is not None else None)

    def name(self):
        return "MulBackward0"


class AddSparse(_SparseFunction):
    """a + alpha * b for two COO (their entries concatenated), or dense a + alpha * sparse b (dense)."""

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        if alpha != 1:
            b = b.with_values(b.values * alpha)
        return _coo.add(a, b)

    @staticmethod
    def backward_raw(ctx, g):
        alpha = ctx.alpha
        if alpha == 1:
            gb = g
        else:
            gb = g.with_values(g.values * alpha) if type(g) is COO else g * alpha
        return g, gb, None

    def name(self):
        return "AddBackward0"


class SparseMask(_SparseFunction):
    """dense.sparse_mask(mask): a COO of the mask's (coalesced) entries with the dense tensor's values there."""

    @staticmethod
    def forward(ctx, d, mask):
        m = coalesce(mask)
        return COO(m.indices, gather(d, m.indices, m.shape), m.shape, True)

    @staticmethod
    def backward_raw(ctx, g):
        return _dense_of(g), None

    def name(self):
        return "SparseMaskBackward0"


class NoDerivative(_SparseFunction):
    """Passes a computed result through, linked to the inputs it came from, whose backward raises PyTorch's error for
    an op without a derivative (smm, hspmm)."""

    @staticmethod
    def forward(ctx, result, op, *inputs):
        ctx.op = op
        return result

    @staticmethod
    def backward_raw(ctx, g):
        raise RuntimeError(f"derivative for aten::{ctx.op} is not implemented")

    def name(self):
        return f"{self.op.capitalize()}Backward0"


def _sum_dims(x, dims):
    """(sparse dims kept, dense axes of values summed) for a sum over dims."""
    sd = x.sparse_dim
    kept = [d for d in range(sd) if d not in dims]
    dense_axes = tuple(d - sd + 1 for d in dims if d >= sd)
    return kept, dense_axes


class SparseSum(_SparseFunction):
    """The sum over `dims` (None: all): dense when every sparse dim is summed, else a COO. The gradient is the
    output's gradient at each input entry: a COO of the input's entries, or dense (Tensor.sum())."""

    @staticmethod
    def forward(ctx, x, dims, dense_grad, dtype):
        x = coalesce(x)
        ctx.x, ctx.dims, ctx.dense_grad = x, dims, dense_grad
        xp = x.xp
        values = x.values if dtype is None else x.values.astype(dtype)
        if dims is None:
            return xp.asarray(values.sum(dtype=values.dtype))
        kept, dense_axes = _sum_dims(x, dims)
        if dense_axes:
            values = values.sum(axis=dense_axes)
        shape = tuple(s for d, s in enumerate(x.shape) if d not in dims)
        if not kept:
            return values.sum(axis=0)
        ctx.kept = kept
        return coalesce(COO(x.indices[kept], values, shape))

    @staticmethod
    def backward_raw(ctx, g):
        x, dims = ctx.x, ctx.dims
        xp = x.xp
        g = _dense_of(g) if dims is None or len(_sum_dims(x, dims)[0]) == 0 else g
        if dims is None:
            vals = xp.broadcast_to(g, x.values.shape)
        else:
            kept, dense_axes = _sum_dims(x, dims)
            if kept:
                out_shape = tuple(s for d, s in enumerate(x.shape) if d not in dims)
                per = gather(g, x.indices[kept], out_shape)
            else:
                per = xp.broadcast_to(g, (x.nnz,) + g.shape)
            for a in sorted(dense_axes):
                per = xp.expand_dims(per, a)
            vals = xp.broadcast_to(per, x.values.shape)
        if ctx.dense_grad:          # Tensor.sum(): torch's gradient is dense, the whole tensor's
            return xp.broadcast_to(_dense_of(g), x.shape).astype(x.dtype), None, None, None
        return COO(x.indices, xp.ascontiguousarray(vals).astype(x.dtype, copy=False), x.shape, True), None, None, None

    def name(self):
        return "SumBackward0" if self.dense_grad else "SparseSumBackward0"


def _groups(x, dim):
    """For softmax along sparse dim `dim` of a coalesced COO: each entry's group (the entries sharing every other
    sparse index) as (order sorting entries by group, group starts in that order, group id of each entry)."""
    xp = x.xp
    others = [d for d in range(x.sparse_dim) if d != dim]
    key = _coo.linear_index(x.indices[others], [x.shape[d] for d in others], xp)
    order = xp.argsort(key, kind="stable")
    sk = key[order]
    first = xp.ones(sk.shape[0], bool)
    first[1:] = sk[1:] != sk[:-1]
    starts = xp.flatnonzero(first)
    gid = xp.empty(sk.shape[0], np.int64)
    gid[order] = xp.cumsum(first) - 1
    return gid, starts.shape[0]


def _group_reduce(values, gid, n, xp, op):
    out = xp.full((n,) + values.shape[1:], -np.inf if op == "max" else 0, values.dtype)
    (xp.maximum if op == "max" else xp.add).at(out, gid, values)
    return out


class SparseSoftmax(_SparseFunction):
    """softmax / log_softmax over the specified entries along `dim` (the unspecified ones count as -inf)."""

    @staticmethod
    def forward(ctx, x, dim, log):
        x = coalesce(x)
        xp = x.xp
        v = x.values
        if dim >= x.sparse_dim:
            axis = dim - x.sparse_dim + 1
            m = v.max(axis=axis, keepdims=True) if v.size else v
            e = xp.exp(v - m)
            s = e.sum(axis=axis, keepdims=True)
            out = (v - m - xp.log(s)) if log else e / s
            ctx.group = None
        else:
            gid, n = _groups(x, dim)
            m = _group_reduce(v, gid, n, xp, "max")[gid]
            e = xp.exp(v - m)
            s = _group_reduce(e, gid, n, xp, "sum")[gid]
            out = (v - m - xp.log(s)) if log else e / s
            ctx.group = (gid, n)
        ctx.x, ctx.dim, ctx.log = x, dim, log
        ctx.out = out
        return x.with_values(out.astype(x.dtype, copy=False))

    @staticmethod
    def backward_raw(ctx, g):
        x, y, xp = ctx.x, ctx.out, ctx.x.xp
        gv = gather(g, x.indices, x.shape)
        p = xp.exp(y) if ctx.log else y
        inner = gv if ctx.log else gv * y
        if ctx.group is None:
            tot = inner.sum(axis=ctx.dim - x.sparse_dim + 1, keepdims=True)
        else:
            gid, n = ctx.group
            tot = _group_reduce(inner, gid, n, xp, "sum")[gid]
        gi = gv - p * tot if ctx.log else y * (gv - tot)
        return x.with_values(gi.astype(x.dtype, copy=False)), None, None

    def name(self):
        return "LogSoftmaxBackward0" if self.log else "SoftmaxBackward0"


class CastSparse(_SparseFunction):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward_raw(ctx, g):
        return g.astype(ctx.dtype), None

    def name(self):
        return "ToCopyBackward0"


# ---- creation ----------------------------------------------------------------------------------------------------
def _check_indices(indices, shape, sd):
    """PyTorch's invariant checks of COO indices against the size (before any kernel reads them)."""
    if not indices.shape[1]:
        return
    host = indices if type(indices) is np.ndarray else backend_of(indices).to_host(indices)
    lo, hi = host.min(axis=1), host.max(axis=1)
    for d in range(sd):
        if lo[d] < 0:
            raise RuntimeError(f"found negative index {int(lo[d])} for dim {d}")
        if hi[d] >= shape[d]:
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {shape[d]} but found index "
                               f"{int(hi[d])}")


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """A sparse COO tensor with the given `indices` (sparse_dim, nnz) and `values` (nnz, *dense_shape) (repeated
    indices add up); `size` is inferred as the largest index + 1 per sparse dim when not given. Differentiable in
    `values`. Every index is checked against the size.

    Example::

        >>> s = torch.sparse_coo_tensor([[0, 1], [2, 0]], [3., 4.], (2, 3))
        >>> s.to_dense()
        tensor([[0., 0., 3.],
                [4., 0., 0.]])
    """
    from ..creation import tensor as _tensor
    if not isinstance(indices, Tensor):
        indices = _tensor(indices, dtype=_dtype.int64)
    if not isinstance(values, Tensor):
        values = _tensor(values, dtype=dtype)
    if dtype is not None and values.dtype is not _dtype.to_dtype(dtype):
        values = values.to(dtype)
    if device is not None:
        values, indices = values.to(device), indices.to(device)
    if indices.dtype.is_floating_point or indices.dtype.is_complex or indices.dtype.name == "bool":
        indices = indices.to(_dtype.int64)
    ind = indices._data.astype(np.int64, copy=False)
    if ind.ndim != 2:
        sd = ind.shape[0] if ind.ndim else 0
        raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = "
                           f"{len(size) if size is not None else ind.ndim}, sparse_dim = {sd}, dense_dim = "
                           f"{max(values.ndim - 1, 0)}")
    sd, nnz = ind.shape
    if values.ndim == 0 or values.shape[0] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {nnz}, nnz from values: "
                           f"{values.shape[0] if values.ndim else 0}")
    dense_shape = tuple(values.shape[1:])
    if size is None:
        if nnz:
            host = backend_of(ind).to_host(ind)
            lo = host.min(axis=1)
            for d in range(sd):
                if lo[d] < 0:
                    raise RuntimeError(f"found negative index {int(lo[d])} for dim {d}")
            shape = tuple(int(m) + 1 for m in host.max(axis=1)) + dense_shape
        else:
            shape = (0,) * sd + dense_shape
    else:
        shape = tuple(int(s) for s in (size if not isinstance(size, int) else (size,)))
        if len(shape) != sd + len(dense_shape):
            raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = {len(shape)}, "
                               f"sparse_dim = {sd}, dense_dim = {len(dense_shape)}")
        if shape[sd:] != dense_shape:
            raise RuntimeError(f"values has incorrect size, expected {[nnz, *shape[sd:]]}, got "
                               f"{[nnz, *dense_shape]}")
        _check_indices(ind, shape, sd)
    if requires_grad and values.dtype.name not in ("float16", "float32", "float64", "bfloat16", "complex64",
                                                   "complex128"):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    out = MakeSparse.apply(values, ind, shape, bool(is_coalesced))
    if requires_grad:
        out = out.detach().requires_grad_(True)
    return out


def to_sparse(x, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    """The sparse COO tensor of a dense one over its first `sparse_dim` dims (default: all). Differentiable (the
    gradient is dense). Example: ``torch.tensor([[0., 2.], [3., 0.]]).to_sparse()``."""
    if layout is _mf.sparse_csr or layout is _mf.sparse_csc:
        from ._compressed import to_sparse_compressed
        return to_sparse_compressed(x, layout is _mf.sparse_csc)
    if layout is not None and layout is not _mf.sparse_coo:
        raise RuntimeError(f"to_sparse: conversion to {layout} is not supported in autograd_lite (only "
                           "autograd_lite.sparse_coo, sparse_csr and sparse_csc are)")
    if is_sparse(x):
        if sparse_dim is not None and sparse_dim != x._data.sparse_dim:
            raise RuntimeError("to_sparse: conversion from Sparse to Sparse with sparse_dim argument "
                               "!=self.sparse_dim() is not supported")
        return x
    sd = x.ndim if sparse_dim is None else sparse_dim
    if not 0 <= sd <= x.ndim:
        raise RuntimeError(f"dense_to_sparse: sparse_dim argument must be in [0,{x.ndim}] range, but {sd} is given")
    if sd == 0 and x.ndim:
        raise RuntimeError("dense_to_sparse: sparse_dim argument must be in >0 when self.dim()>0")
    return ToSparse.apply(x, sd)


# ---- the Tensor ---------------------------------------------------------------------------------------------------
def _unsupported_method(name):
    def method(self, *args, **kwargs):
        raise unsupported(name, _device_name(self._data))
    method.__name__ = name
    return method


class SparseLayoutTensor(Tensor):
    """What the sparse layouts' Tensors (SparseTensor here, SparseCompressedTensor in _compressed.py) share: the
    device of their values, nnz, item, and the moves and casts through sparse_to."""
    __slots__ = ()
    _result_class = Tensor          # a dense op's result; sparse results are re-classed by _sparse

    @property
    def device(self):
        v = self._data.values
        return backend_of(v).device_of(v)

    def _nnz(self):
        return self._data.nnz

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self.to_dense().item()

    def to(self, *args, **kwargs):
        """A copy on another device and/or dtype (differentiable in dtype; this tensor when nothing changes)."""
        return sparse_to(self, args, kwargs)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to(device if device is not None else "cuda")

    def double(self):
        return self.to(_dtype.float64)

    def float(self):
        return self.to(_dtype.float32)


class SparseTensor(SparseLayoutTensor):
    """A sparse COO tensor (``layout == autograd_lite.sparse_coo``): int64 indices (sparse_dim, nnz) and values
    (nnz, *dense_shape). Made by ``sparse_coo_tensor`` or ``dense.to_sparse()``; ``to_dense()`` gives it back dense.

    Example::

        >>> s = torch.tensor([[0., 2.], [3., 0.]]).to_sparse()
        >>> s._nnz(), s.indices().tolist()
        (2, [[0, 1], [1, 0]])
    """
    __slots__ = ()

    layout = property(lambda self: _mf.sparse_coo, doc="``autograd_lite.sparse_coo``")
    is_sparse = property(lambda self: True, doc="True: a sparse COO tensor")

    @property
    def data(self):
        return make_sparse(self._data)

    def __repr__(self):
        return _sparse_repr(self)

    def __reduce_ex__(self, protocol):
        c = self._data
        be = backend_of(c.values)
        return (_rebuild_sparse, (be.to_host(c.indices), be.to_host(c.values), c.shape, c.coalesced, self._rg))

    def __deepcopy__(self, memo):
        out = make_sparse(self._data.copy(), self._rg)
        if self._grad is not None:
            out._grad = self._grad.detach().clone()
        memo[id(self)] = out
        return out

    # ---- structure
    def sparse_dim(self):
        return self._data.sparse_dim

    def dense_dim(self):
        return self._data.dense_dim

    def is_coalesced(self):
        return self._data.coalesced

    def _coalesced_(self, coalesced):
        self._data.coalesced = bool(coalesced)
        return self

    def coalesce(self):
        """The same tensor with sorted, unique indices (repeats summed)."""
        if self._data.coalesced:
            return self
        return Coalesce.apply(self)

    def indices(self):
        if not self._data.coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return self._indices()

    def values(self):
        if not self._data.coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return Values.apply(self)

    def _indices(self):
        return Tensor._make(self._data.indices)

    def _values(self):
        return Tensor._make(self._data.values)

    def to_dense(self, dtype=None, *, masked_grad=True):
        """The dense tensor (repeated indices add up); differentiable (the gradient: a COO of this tensor's
        entries)."""
        return ToDense.apply(self, None if dtype is None else _dtype.to_dtype(dtype).np)

    def to_sparse(self, sparse_dim=None, **kwargs):
        return to_sparse(self, sparse_dim, **kwargs)

    def to_sparse_coo(self):
        return self

    def stride(self, dim=None):
        raise RuntimeError("sparse tensors do not have strides")

    def is_contiguous(self, memory_format=None):
        raise RuntimeError("sparse tensors do not have is_contiguous")

    def numpy(self, force=False):
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first.")

    def tolist(self):
        raise unsupported("tolist", _device_name(self._data))

    def __array__(self, dtype=None, copy=None):
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first.")

    def reshape(self, *shape):
        raise RuntimeError("reshape is not implemented for sparse tensors")

    view = _unsupported_method("view")
    __getitem__ = _unsupported_method("index")
    __setitem__ = _unsupported_method("index_put_")

    # ---- autograd / copies
    def detach(self):
        t = make_sparse(self._data)
        t._version = self._version
        return t

    def clone(self, *, memory_format=None):
        if self._rg:            # differentiable: the gradient passes through
            return ScaleSparse.apply(self, 1)
        return make_sparse(self._data.copy())

    def type_as(self, other):
        return self.to(other.dtype)

    # ---- in place (the optimizers' and clip_grad's): the COO is replaced, never written into
    def zero_(self):
        c = self._data
        xp = c.xp
        self._data = COO(xp.zeros((c.sparse_dim, 0), np.int64), xp.zeros((0,) + c.values.shape[1:], c.dtype), c.shape,
                         True)
        self._version[0] += 1
        return self

    def mul_(self, other):
        c = self._data
        if not _scalar(other):
            raise unsupported("mul_", _device_name(c))
        self._data = c.with_values((c.values * _scalar_value(other, c.dtype)).astype(c.dtype, copy=False))
        self._version[0] += 1
        return self

    def div_(self, other):
        c = self._data
        if not _scalar(other):
            raise unsupported("div_", _device_name(c))
        self._data = c.with_values((c.values / _scalar_value(other, c.dtype)).astype(c.dtype, copy=False))
        self._version[0] += 1
        return self

    def add_(self, other, *, alpha=1):
        if not is_sparse(other):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
        o = other._data if alpha == 1 else other._data.with_values(other._data.values * alpha)
        self._data = _coo.add(self._data, o.astype(self._data.dtype, copy=False))
        self._version[0] += 1
        return self

    def copy_(self, src, non_blocking=False):
        if not is_sparse(src):
            raise unsupported("copy_", _device_name(self._data))
        self._data = src._data.copy().astype(self._data.dtype, copy=False)
        self._version[0] += 1
        return self

    # ---- arithmetic
    def add(self, other, *, alpha=1):
        if is_sparse(other):
            _check_same_size(self, other)
            return AddSparse.apply(self, other, alpha)
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")

    def sub(self, other, *, alpha=1):
        return self.add(other, alpha=-alpha) if is_sparse(other) else self.add(other)

    def __add__(self, other):
        return self.add(other)

    def __radd__(self, other):          # dense + sparse: dense (reached before Tensor.__add__: a subclass's)
        if isinstance(other, Tensor) and not is_sparse(other):
            _check_same_size(other, self)
            return AddSparse.apply(other, self, 1)
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")

    def __sub__(self, other):
        return self.sub(other)

    def __rsub__(self, other):
        if isinstance(other, Tensor) and not is_sparse(other):
            _check_same_size(other, self)
            return AddSparse.apply(other, self, -1)
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")

    def mul(self, other):
        if is_sparse(other):
            _check_same_size(self, other)
            return MulSparse.apply(self, other)
        if _scalar(other):
            c = other.item() if isinstance(other, Tensor) else other
            return ScaleSparse.apply(self, c)
        raise unsupported("mul (sparse * dense: only a number or a 0-d tensor here)", _device_name(self._data))

    __mul__ = mul

    def __rmul__(self, other):
        return self.mul(other)

    def div(self, other, *, rounding_mode=None):
        if rounding_mode is not None or not _scalar(other):
            raise unsupported("div", _device_name(self._data))
        c = other.item() if isinstance(other, Tensor) else other
        if self._data.dtype.kind not in "fc":
            raise unsupported("div (of an integer sparse tensor)", _device_name(self._data))
        return ScaleSparse.apply(self, 1.0 / c)

    __truediv__ = div

    def __rtruediv__(self, other):
        raise unsupported("reciprocal", _device_name(self._data))

    def neg(self):
        return ScaleSparse.apply(self, -1)

    __neg__ = neg

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        """The sum of every element (dense 0-d; its gradient is dense, as torch's), or over `dim`: as
        torch.sparse.sum."""
        if dim is None:
            return SparseSum.apply(self, None, True, None if dtype is None else _dtype.to_dtype(dtype).np)
        if keepdim:
            raise unsupported("sum.dim_IntList (keepdim=True)", _device_name(self._data))
        return sparse_sum(self, dim, dtype=dtype)

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, but got "
                               f"{self._data.sparse_dim} sparse and {self._data.dense_dim} dense dimensions")
        return self if self.ndim < 2 else self.transpose(0, 1)

    def transpose(self, dim0, dim1):
        from .._args import canon_dim
        d0, d1 = canon_dim(dim0, self.ndim, "transpose"), canon_dim(dim1, self.ndim, "transpose")
        sd = self._data.sparse_dim
        if (d0 < sd) != (d1 < sd):
            raise RuntimeError(f"sparse transpose: transposed dimensions must be sparse Got sparse_dim: {sd}, d0: "
                               f"{d0}, d1: {d1}")
        if d0 == d1:
            return self
        return Transpose.apply(self, min(d0, d1), max(d0, d1))

    def mm(self, mat2):
        return mm(self, mat2)

    def matmul(self, other):
        return matmul(self, other)

    __matmul__ = matmul

    def __rmatmul__(self, other):       # dense @ sparse: (sparse^T @ dense^T)^T, gradients dense
        return matmul(other, self)

    def sparse_mask(self, mask):
        raise unsupported("sparse_mask (of a sparse tensor)", _device_name(self._data))


for _name in ("exp", "log", "softmax", "log_softmax", "mean", "max", "min", "amax", "amin", "argmax", "argmin",
              "cumsum", "prod", "std", "var", "norm_", "expand", "permute", "flatten", "squeeze", "unsqueeze",
              "contiguous", "sigmoid", "softplus", "clamp", "clamp_", "clamp_min_", "fill_", "index_select"):
    setattr(SparseTensor, _name, _unsupported_method(_name))


SPARSE_CLASSES[COO] = SparseTensor


def _check_same_size(a, b):
    if tuple(a.shape) != tuple(b.shape):
        raise RuntimeError(f"add: expected sizes of 'self' and 'other' to match, but {list(a.shape)} != "
                           f"{list(b.shape)}")


def _rebuild_sparse(indices, values, shape, coalesced, requires_grad):
    return make_sparse(COO(indices, values, shape, coalesced), requires_grad)


# ---- ops with a dense operand ---------------------------------------------------------------------------------------
def _mm(s, d, masked, op):
    _check_mm(s, d, op)
    return SparseMM.apply(s, d, masked)


def mm(mat1, mat2):
    """torch.mm with a sparse operand: sparse @ dense -> dense (the sparse operand's gradient dense, as torch's);
    dense @ sparse -> dense."""
    if is_sparse(mat1) and not is_sparse(mat2):
        return _mm(mat1, mat2, False, "addmm")
    if is_sparse(mat2) and not is_sparse(mat1):
        if mat1.ndim != 2:
            raise RuntimeError(f"addmm: matrices expected, got {mat1.ndim}D tensor")
        return _mm(mat2.t(), mat1.t(), False, "addmm").t()
    raise unsupported("mm (sparse @ sparse)", _device_name(mat1._data))


def matmul(a, b):
    """torch.matmul with a sparse 2-D operand: a matrix (or a vector) product, dense."""
    if is_sparse(a) and not is_sparse(b) and b.ndim == 1:
        return mm(a, b.unsqueeze(1)).squeeze(1)
    if is_sparse(b) and not is_sparse(a) and a.ndim == 1:
        return mm(a.unsqueeze(0), b).squeeze(0)
    return mm(a, b)


def sparse_sum(input, dim=None, dtype=None):
    """The sum of a sparse tensor: of every element (a dense 0-d tensor) or over `dim` (an int or a tuple): sparse
    while a sparse dim is left, else dense. Its gradient is a COO of the input's entries.

    Example: ``torch.sparse.sum(s, dim=1)``"""
    if not is_sparse(input):
        raise RuntimeError("torch.sparse.sum: expected a sparse tensor")        # torch: "Could not run..."
    np_dtype = None if dtype is None else _dtype.to_dtype(dtype).np
    if dim is None:
        return SparseSum.apply(input, None, False, np_dtype)
    from .._args import canon_dim
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(sorted({canon_dim(d, input.ndim, "sum") for d in dims}))
    out = SparseSum.apply(input, dims, False, np_dtype)
    return out if type(out._data) is COO else out


def _sparse_repr(t):
    c = t._data
    be = backend_of(c.values)
    return _repr_with_suffixes(t, [("indices", be.to_host(c.indices)), ("values", be.to_host(c.values))], c.nnz, True)


def _repr_with_suffixes(t, parts, nnz, force_newline):
    """PyTorch's repr of a sparse tensor: its (name, host array) parts, then size, nnz, dtype, layout, grad_fn,
    broken into lines where PyTorch's are (torch's _add_suffixes; a COO's first suffix always on a new line)."""
    from .._format import array_str
    indent = len("tensor(")
    lines = []
    for name, a in parts:
        if _dtype.is_bfloat16(a.dtype):
            a = a.astype("float32")        # exact: bfloat16 printed as float32's digits, as the dense repr
        prefix = name + "=tensor("
        text = array_str(a, indent + len(prefix))
        if a.size == 0:
            text += f", size={tuple(a.shape)}"
        lines.append(prefix + text + ")")
    body = "tensor(" + (",\n" + " " * indent).join(lines)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    suffixes += [f"size={tuple(t._data.shape)}", f"nnz={nnz}"]
    if t.dtype not in (_dtype.get_default_dtype(), _dtype.get_default_dtype().to_complex(), _dtype.int64,
                       _dtype.bool_):               # as the dense repr (_format)
        suffixes.append(f"dtype={t.dtype!r}")
    suffixes.append(f"layout={t.layout!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return _format.with_suffixes(body, suffixes, indent, force_newline)
