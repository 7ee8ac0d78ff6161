"""Matrix products: matmul (1-D, 2-D, batched with broadcasting), mm, bmm, dot."""
from .. import _api, _dtype
from ..autograd.function import Function
from ..autograd.grad_mode import state as _grad_state
from ..tensor import Tensor
from . import _formula as m
from ._util import as_tensor, kernels_of, not_implemented, xp_of
from .shape import squeeze, unsqueeze

declare = _api.declare


def _mm2(a, b):
    """2-D a @ b: the kernel table's matmul for float32/float64, the array module's for other dtypes (integers,
    float16), as PyTorch multiplies those too."""
    dt = a.dtype
    if dt.kind == "f" and dt.itemsize >= 4:
        return kernels_of(a).matmul(a, b)
    if dt.kind == "b":
        raise NotImplementedError('"matmul" not implemented for \'Bool\'')
    return xp_of(a).matmul(a, b)


class MatMul(Function):
    """2-D and batched (..., m, k) @ (..., k, n); batch dims broadcast (the engine sums them)."""
    op_name = "matmul"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if a.ndim == 2 and b.ndim == 2:
            return _mm2(a, b)
        return xp_of(a).matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx._saved
        return (g @ m.mT(b) if ctx._inputs[0] is not None else None,
                m.mT(a) @ g if ctx._inputs[1] is not None else None)

    @staticmethod
    def backward_raw(ctx, g):
        a, b = ctx._saved
        ga = gb = None
        if a.ndim == 2 and b.ndim == 2:
            if ctx._inputs[0] is not None:
                ga = _mm2(g, b.T)
            if ctx._inputs[1] is not None:
                gb = _mm2(a.T, g)
            return ga, gb
        xp = xp_of(g)
        if ctx._inputs[0] is not None:
            ga = xp.matmul(g, xp.swapaxes(b, -1, -2))
        if ctx._inputs[1] is not None:
            gb = xp.matmul(xp.swapaxes(a, -1, -2), g)
        return ga, gb


class Dot(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp_of(a).asarray(a @ b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx._saved
        return g * b, g * a


def _check_dtypes(op, a, b):
    """PyTorch's errors: the operands of a product must share a dtype (no promotion), and bool has no product."""
    da, db = a.dtype, b.dtype
    if da is not db:
        raise RuntimeError(f"{op}: expected m1 and m2 to have the same dtype, but got: {da.scalar_type} != "
                           f"{db.scalar_type}")
    if da is _dtype.bool_:
        raise not_implemented(op, a)


def _shape_error(op, a, b):
    return RuntimeError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                        f"({a.shape[-1]} != {b.shape[-2] if b.ndim > 1 else b.shape[0]})")


@declare(operators=("__matmul__",))
def matmul(a, b):
    """Matrix product with PyTorch's rules for 1-D, 2-D and batched operands."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        da, db = a._data, b._data
        sa, sb = da.shape, db.shape
        if len(sa) == 2 == len(sb) and sa[1] == sb[0] and da.dtype is db.dtype:
            if (a._rg or b._rg) and _grad_state.enabled:
                return MatMul.apply(a, b)   # the common case, nothing to check or promote
            return Tensor._make(_mm2(da, db))     # no graph to record: no node at all
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    _check_dtypes("matmul", a, b)
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise _shape_error("matmul", a, b)
    if a.ndim == 1 and b.ndim == 1:
        return Dot.apply(a, b)
    if a.ndim == 1:
        return squeeze(MatMul.apply(unsqueeze(a, 0), b), -2)
    if b.ndim == 1:
        return squeeze(MatMul.apply(a, unsqueeze(b, -1)), -1)
    if a.ndim > 2 or b.ndim > 2:
        xp = xp_of(a._data)
        try:
            xp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise RuntimeError(f"matmul: batch dims of shapes {tuple(a.shape)} and {tuple(b.shape)} "
                               "cannot be broadcast together") from None
    return MatMul.apply(a, b)


@declare
def mm(a, b):
    """The product of two matrices."""
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    _check_dtypes("mm", a, b)
    return matmul(a, b)


@declare
def bmm(a, b):
    """The products of two batches of matrices, (b, n, m) @ (b, m, p)."""
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"bmm: expected 3-D tensors, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: shapes {tuple(a.shape)} and {tuple(b.shape)}")
    _check_dtypes("bmm", a, b)
    return matmul(a, b)


@declare
def dot(a, b):
    """The dot product of two vectors."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    _check_dtypes("dot", a, b)
    return matmul(a, b)


@declare(aliases=("ger",))
def outer(a, b):
    """``torch.outer`` (``ger``): a[i] * b[j] for 1-D a and b."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D vectors, got {a.ndim}-D and {b.ndim}-D")
    return a.reshape(-1, 1) * b.reshape(1, -1)


@declare
def mv(a, v):
    """``torch.mv``: matrix (n, m) times vector (m,)."""
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"mv: expected a matrix and a vector, got {a.ndim}-D and {v.ndim}-D")
    _check_dtypes("mv", a, v)
    return matmul(a, v)


@declare(method="__rmatmul__", top=False)
def _rmatmul(self, other):
    return matmul(as_tensor(other, self), self)

