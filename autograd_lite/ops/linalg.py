"""Linear algebra: matmul (1-D, 2-D, batched with broadcasting), mm, bmm, dot, outer, mv, addmm, baddbmm, einsum;
the norms (norm, dist, cdist and autograd_lite.linalg's vector_norm, matrix_norm, norm, svdvals)."""
import collections
import math
import string

import numpy as np

from .. import _api, _dtype
from .._api import TOP
from .._args import canon_dim, canon_dims
from ..autograd.op_function import Function, device_error, input_sizes, saved_strides, saved_variants
from ..autograd.grad_mode import state as _grad_state
from ..tensor import Tensor
from . import _formula as m
from ._util import as_tensor, cast, kernels_of, not_implemented, promote_pair, quiet, xp_of
from .shape import squeeze, unsqueeze

declare = _api.declare


def _mm(a, b):
    """a @ b, 2-D or batched: the kernel table's matmul for float32/float64 (it sizes BLAS's threads), the array
    module's for other dtypes (integers, float16), as PyTorch multiplies those too."""
    dt = a.dtype
    if dt.kind == "f" and dt.itemsize >= 4:
        return kernels_of(a).matmul(a, b)
    if dt.kind == "b":
        raise NotImplementedError('"matmul" not implemented for \'Bool\'')
    return xp_of(a).matmul(a, b)


def _mm_names(a, b, first="self", second="mat2"):
    """torch's names of what a product of matrices saves (mm, addmm): the operands, their sizes and strides."""
    return {first: 0, second: 1, first + "_sym_sizes": input_sizes(a, 0), first + "_sym_strides": saved_strides(0),
            second + "_sym_sizes": input_sizes(b, 1), second + "_sym_strides": saved_strides(1)}


class MatMul(Function):
    """2-D and batched (..., m, k) @ (..., k, n); batch dims broadcast (the engine sums them)."""
    op_name = "matmul"

    saved_names = saved_variants(lambda node: "bmm" if node._batched() else "mm", mm=_mm_names(0, 1),
                                 bmm={"self": 0, "mat2": 1})

    def _batched(self):
        return any(e is not None and len(e[1]) > 2 for e in self._inputs)

    def name(self):
        return "BmmBackward0" if self._batched() else "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _mm(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx._saved
        return (g @ m.mT(b) if ctx._inputs[0] is not None else None,
                m.mT(a) @ g if ctx._inputs[1] is not None else None)

    @staticmethod
    def backward_raw(ctx, g):
        a, b = ctx._saved
        xp = xp_of(g)
        return (_mm(g, xp.swapaxes(b, -1, -2)) if ctx._inputs[0] is not None else None,
                _mm(xp.swapaxes(a, -1, -2), g) if ctx._inputs[1] is not None else None)


class Dot(Function):
    saved_names = {"self": 0, "tensor": 1}

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


def _check_devices(op, *tensors):
    """PyTorch's error for operands on two devices (a kernel given another device's array may not raise itself)."""
    tensors = [t for t in tensors if isinstance(t, Tensor)]
    if len({type(t._data) for t in tensors}) > 1:
        err = device_error(op, tensors)
        if err is not None:
            raise err


def _shape_error(op, a, b):
    return RuntimeError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                        f"({a.shape[-1]} != {b.shape[-2] if b.ndim > 1 else b.shape[0]})")


@declare(operators=("__matmul__",))
def matmul(a, b):
    """Matrix product with PyTorch's rules for 1-D, 2-D and batched operands."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        da, db = a._data, b._data
        sa, sb = da.shape, db.shape
        if len(sa) == 2 == len(sb) and sa[1] == sb[0] and da.dtype is db.dtype and type(da) is type(db) and \
                da.dtype.itemsize > 1:      # (float8: through MatMul, in float32)
            if (a._rg or b._rg) and _grad_state.enabled:
                return MatMul.apply(a, b)   # the common case, nothing to check or promote
            return Tensor._make(_mm(da, db))     # no graph to record: no node at all
    _check_devices("matmul", a, b)
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


def _check_expand(t, target):
    """PyTorch's error when `t` does not broadcast to the result's shape `target` (addmm's input)."""
    shape = tuple(t.shape)
    if len(shape) > len(target):
        raise RuntimeError(f"expand: the number of sizes provided ({len(target)}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({len(shape)})")
    for k in range(1, len(shape) + 1):
        if shape[-k] not in (1, target[-k]):
            raise RuntimeError(f"The expanded size of the tensor ({target[-k]}) must match the existing size "
                               f"({shape[-k]}) at non-singleton dimension {len(target) - k}.  Target sizes: "
                               f"{list(target)}.  Tensor sizes: {list(shape)}")


class AddMM(Function):
    """beta * input + alpha * (a @ b), of matrices (addmm) or batches of them (baddbmm); input broadcasts (the
    engine sums its gradient back). beta = 0 ignores input's values (nan and inf too), as PyTorch."""
    op_name = "addmm"
    saved_names = {**_mm_names(1, 2, "mat1", "mat2"), "alpha": "alpha", "beta": "beta"}

    def name(self):
        return "AddmmBackward0"

    @staticmethod
    def forward(ctx, input, a, b, beta, alpha):
        need = ctx._inputs
        ctx.save_for_backward(a if need[2] is not None else None, b if need[1] is not None else None)
        ctx.beta, ctx.alpha = beta, alpha
        out = _mm(a, b)
        if alpha != 1:
            out = out * alpha
        if beta != 0:
            out = out + (input if beta == 1 else input * beta)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx._saved
        need, alpha = ctx._inputs, ctx.alpha
        gi = (g if ctx.beta == 1 else g * ctx.beta) if need[0] is not None else None
        ga = g @ m.mT(b) if need[1] is not None else None
        gb = m.mT(a) @ g if need[2] is not None else None
        if alpha != 1:
            ga = ga * alpha if ga is not None else None
            gb = gb * alpha if gb is not None else None
        return gi, ga, gb, None, None


def _coefficients(dt, beta, alpha):
    """beta and alpha as PyTorch uses them: integers for integer tensors."""
    return (int(beta), int(alpha)) if dt.category < 2 else (beta, alpha)


@declare(inplace=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``; input broadcasts to the (n, p) result.

    Example: ``torch.addmm(bias, x, w.t())`` is a linear layer."""
    _check_devices("addmm", input, mat1, mat2)
    for name, t in (("mat1", mat1), ("mat2", mat2)):
        if t.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t.ndim}-D tensor")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {mat1.dtype.scalar_type} and "
                           f"{mat2.dtype.scalar_type}")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {input.dtype.scalar_type} and "
                           f"{mat2.dtype.scalar_type}")
    if mat1.dtype is _dtype.bool_:
        raise not_implemented("addmm", mat1)
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x{mat1.shape[1]} and "
                           f"{mat2.shape[0]}x{mat2.shape[1]})")
    _check_expand(input, (mat1.shape[0], mat2.shape[1]))
    return AddMM.apply(input, mat1, mat2, *_coefficients(mat1.dtype, beta, alpha))


class BAddBMM(AddMM):
    op_name = "baddbmm"
    saved_names = {"batch1": 0, "batch2": 1, "alpha": "alpha", "beta": "beta"}

    def name(self):
        return "BaddbmmBackward0"


@declare(inplace=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` for batches (b, n, m) and (b, m, p); input broadcasts to
    (b, n, p).

    Example: ``torch.baddbmm(bias, q, k.transpose(1, 2), alpha=0.125)``"""
    _check_devices("baddbmm", input, batch1, batch2)
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    b, n, k = batch1.shape
    if tuple(batch2.shape[:2]) != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but got: "
                           f"[{batch2.shape[0]}, {batch2.shape[1]}].")
    if not (input.dtype is batch1.dtype is batch2.dtype):
        raise RuntimeError(f"Input dtypes must be the same, got: input {input.dtype.scalar_type.lower()}, batch1: "
                           f"{batch1.dtype.scalar_type.lower()}, batch2: {batch2.dtype.scalar_type.lower()}")
    if batch1.dtype is _dtype.bool_:
        raise not_implemented("baddbmm", batch1)
    _check_expand(input, (b, n, batch2.shape[2]))
    return BAddBMM.apply(input, batch1, batch2, *_coefficients(batch1.dtype, beta, alpha))


# ---- einsum -------------------------------------------------------------------------------------

_LETTERS = string.ascii_uppercase + string.ascii_lowercase      # sublist integers 0..51, in this order


class EinsumSpec(collections.namedtuple("EinsumSpec", ["terms", "out"])):
    """An equation made explicit: one string of letters per operand (ellipses spelled out) and the output's."""

    @property
    def equation(self):
        return ",".join(self.terms) + "->" + self.out


def _einsum_error(msg):
    return RuntimeError("einsum(): " + msg)


def _parse_einsum(equation, shapes):
    """The EinsumSpec of `equation` for operands of `shapes`, with PyTorch's checks and errors."""
    for i, c in enumerate(equation):
        if not (c.isascii() and c.isalpha()) and c not in " ,.->":
            raise _einsum_error(f"invalid subscript given at index {i} in the equation string, subscripts must be in "
                                "[a-zA-Z]")
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    if "-" in lhs or ">" in lhs or "-" in rhs or ">" in rhs:
        raise _einsum_error("the equation has a misplaced '->'")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise _einsum_error("fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise _einsum_error("more operands were provided than specified in the equation")
    fresh = [c for c in _LETTERS if c not in eq]
    spans = []                                  # per operand: how many dims its ellipsis covers
    for i, (t, shape) in enumerate(zip(terms, shapes)):
        if "." in t.replace("...", "", 1):
            raise _einsum_error(f"found '.' for operand {i} that is not part of any ellipsis")
        if "..." in t:
            if len(t) - 3 > len(shape):
                raise _einsum_error(f"the number of subscripts in the equation ({len(t) - 3}) is more than the number "
                                    f"of dimensions ({len(shape)}) for operand {i}")
            spans.append(len(shape) - (len(t) - 3))
        elif len(t) != len(shape):
            raise _einsum_error(f"the number of subscripts in the equation ({len(t)}) does not match the number of "
                                f"dimensions ({len(shape)}) for operand {i} and no ellipsis was given")
        else:
            spans.append(0)
    ell = "".join(fresh[:max(spans, default=0)])
    terms = [t.replace("...", ell[len(ell) - n:]) for t, n in zip(terms, spans)]
    if arrow:
        if "." in rhs.replace("...", "", 1):
            raise _einsum_error("found '.' for output but an ellipsis (...) was already found")
        out = rhs.replace("...", ell)
        for c in out:
            if out.count(c) > 1:
                raise _einsum_error(f"output subscript {c} appears more than once in the output")
            if not any(c in t for t in terms):
                raise _einsum_error(f"output subscript {c} does not appear in the equation for any input operand")
    else:                                       # implicit: the ellipsis dims, then the letters seen once, sorted
        counts = collections.Counter("".join(terms))
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    sizes = {}
    for i, (t, shape) in enumerate(zip(terms, shapes)):
        own = {}
        for c, s in zip(t, shape):
            if c in own and own[c] != s:
                raise _einsum_error(f"subscript {c} is repeated for operand {i} but the sizes don't match, "
                                    f"{s} != {own[c]}")
            own[c] = s
        for c, s in own.items():
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = s
            elif s not in (1, prev):
                raise _einsum_error(f"subscript {c} has size {s} for operand {i} which does not broadcast with "
                                    f"previously seen size {prev}")
    return EinsumSpec(tuple(terms), out)


def _einsum_arrays(equation, arrays):
    # contraction order and BLAS: worth their ~10 us of planning past a few thousand elements, or 3 operands
    plan = len(arrays) > 2 or (len(arrays) == 2 and max(a.size for a in arrays) > 4096)
    out = xp_of(arrays[0]).einsum(equation, *arrays, optimize=plan)
    if len(arrays) == 1 and hasattr(out, "base") and xp_of(arrays[0]).may_share_memory(out, arrays[0]):
        out = out.copy()                        # NumPy returns views for transposes and diagonals
    return out


def _einsum_dual(equation, operands):
    """einsum of arrays, or (under create_graph) of Tensors as a recorded op."""
    if m.is_graph(*operands):
        return Einsum.apply(_parse_einsum(equation, [o.shape for o in operands]),
                            *(o if isinstance(o, Tensor) else Tensor._make(o) for o in operands))
    return _einsum_arrays(equation, operands)


def _einsum_grad(spec, i, g, operands):
    """The gradient of operand i: an einsum of g and the other operands back to operand i's subscripts. A letter
    repeated in operand i (a diagonal, a trace) becomes a fresh letter tied to the first by an identity matrix; a
    letter only operand i has (summed over it alone), or one of size 1 elsewhere, is restored by broadcasting."""
    term, shape = spec.terms[i], tuple(operands[i].shape)
    unused = iter(c for c in _LETTERS if c not in "".join(spec.terms) + spec.out)
    target, ties, seen = [], [], set()
    for c, s in zip(term, shape):
        if c in seen:
            c2 = next(unused)
            ties.append((c + c2, s))
            c = c2
        seen.add(c)
        target.append(c)
    gd = m.data(g)
    eyes = [xp_of(gd).eye(s, dtype=gd.dtype) for _, s in ties]
    sources = [spec.out] + [t for j, t in enumerate(spec.terms) if j != i] + [t for t, _ in ties]
    present = set("".join(sources))
    kept = [k for k, c in enumerate(target) if c in present]
    equation = ",".join(sources) + "->" + "".join(target[k] for k in kept)
    h = _einsum_dual(equation, [g] + [o for j, o in enumerate(operands) if j != i] + eyes)
    if len(kept) < len(target):
        h = m.expand_dims(h, tuple(k for k in range(len(target)) if k not in kept))
    if tuple(h.shape) != shape:         # size 1 where operand i is larger: broadcast (the engine sums the converse)
        h = m.broadcast_to(h, tuple(max(a, b) for a, b in zip(h.shape, shape)))
    return h


class Einsum(Function):
    """einsum through the array module's; each operand's gradient is another einsum (so every order works)."""
    op_name = "einsum"

    @staticmethod
    def forward(ctx, spec, *arrays):
        ctx.spec = spec
        ctx.save_for_backward(*arrays)
        return _einsum_arrays(spec.equation, arrays)

    @staticmethod
    def backward(ctx, g):
        operands = ctx._saved
        return (None,) + tuple(_einsum_grad(ctx.spec, i, g, operands) if ctx._inputs[i + 1] is not None else None
                               for i in range(len(operands)))


def _sublist_subscripts(sub):
    out = []
    for k in sub:
        if k is Ellipsis:
            out.append("...")
        elif isinstance(k, int) and 0 <= k < len(_LETTERS):
            out.append(_LETTERS[k])
        else:
            raise _einsum_error(f"expected subscript to be within the range [0, 52), but got {k}")
    return "".join(out)


@declare(method=False)
def einsum(*args):
    """Einstein summation: ``einsum(equation, *operands)`` (or a list of operands), or the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``. Differentiable in every operand, traces and diagonals included.

    Example: ``torch.einsum('bij,bjk->bik', a, b)`` is a batched matrix product."""
    if args and isinstance(args[0], Tensor):           # sublist form: op, sublist, op, sublist, ..., [output]
        operands = args[0:len(args) - len(args) % 2:2]
        subs = [_sublist_subscripts(s) for s in args[1::2][:len(operands)]]
        equation = ",".join(subs) + ("->" + _sublist_subscripts(args[-1]) if len(args) % 2 else "")
    else:
        if not args or not isinstance(args[0], str):
            raise TypeError("einsum(): expected an equation string followed by tensors")
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    if not operands:
        raise _einsum_error("must provide at least one operand")
    for o in operands:
        if not isinstance(o, Tensor):
            raise TypeError(f"einsum(): operands must be Tensors, got {type(o).__name__}")
        if o.dtype is not operands[0].dtype:
            raise RuntimeError(f"einsum(): expected scalar type {operands[0].dtype.scalar_type} but found "
                               f"{o.dtype.scalar_type}")
    if operands[0].dtype is _dtype.bool_:
        raise not_implemented("einsum", operands[0])
    return Einsum.apply(_parse_einsum(equation, [o.shape for o in operands]), *operands)


# ---- norms --------------------------------------------------------------------------------------

def _order_text(p):
    """An order as PyTorch prints it: 2, -1, inf, 0.5."""
    return str(int(p)) if isinstance(p, float) and p.is_integer() else str(p)


class VectorNorm(Function):
    """linalg.vector_norm of any order (2, 1, inf, -inf, 0, any number) over `dims` (None: all). PyTorch's gradients,
    the subgradient 0 where the norm is 0 included, written as formulas that differentiate again."""
    op_name = "linalg.vector_norm"

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = xp_of(x)
        with quiet(xp):
            if p == 2:
                out = xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
            elif p == 1:
                out = xp.abs(x).sum(axis=dims, keepdims=keepdim)
            elif p == math.inf:
                out = xp.abs(x).max(axis=dims, keepdims=keepdim)
            elif p == -math.inf:
                out = xp.abs(x).min(axis=dims, keepdims=keepdim)
            elif p == 0:
                out = (x != 0).sum(axis=dims, keepdims=keepdim).astype(x.dtype)
            else:
                out = (xp.abs(x) ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)
        ctx.save_for_backward(x, out)
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx._saved
        p, dims = ctx.p, ctx.dims
        if dims is not None and not ctx.keepdim:
            g, out = m.expand_dims(g, dims), m.expand_dims(out, dims)
        if p == 0:
            return m.zeros_like(x), None, None, None
        if p == 1:
            return g * m.sign(x), None, None, None
        xd, od = m.data(x), m.data(out)
        xp = xp_of(xd)
        if math.isinf(p):                       # the elements at the extreme share the gradient (NaN ones too)
            ad = xp.abs(xd)
            mask = (ad == od) | xp.isnan(ad)
            count = mask.sum(axis=dims, keepdims=True).astype(xd.dtype)
            return m.sign(x) * (g / count * mask), None, None, None
        zero = od == 0                          # piecewise constant: where the norm is 0, the subgradient 0
        with quiet(xp):
            if p == 2:
                return x * m.where(zero, 0.0, g / m.where(zero, 1.0, out)), None, None, None
            if p < 1:                           # |x|^(p-1) is infinite at x = 0: 0 there, as PyTorch
                xz = xd == 0
                scaled = m.sign(x) * m.where(xz, 0.0, m.abs(m.where(xz, 1.0, x)) ** (p - 1))
                return scaled * g * out ** (1 - p), None, None, None
            scaled = m.sign(x) * m.abs(x) ** (p - 1) if p < 2 else x * m.abs(x) ** (p - 2)
            return scaled * m.where(zero, 0.0, g / m.where(zero, 1.0, out) ** (p - 1)), None, None, None


def _norm_input(op, x, dtype):
    """x checked (floating point) and converted to `dtype` if given, with PyTorch's errors."""
    if x.dtype.category < 2:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {x.dtype.scalar_type}")
    if dtype is None:
        return x
    dt = _dtype.to_dtype(dtype)
    if dt.category < 2:
        raise RuntimeError(f"{op}: dtype should be floating point or complex, but got {dt.scalar_type}")
    if x.dtype.is_complex != dt.is_complex:
        kind = "complex for complex" if x.dtype.is_complex else "real for real"
        raise RuntimeError(f"{op}: dtype should be {kind} inputs, but got {dt.scalar_type}")
    if dt.itemsize < x.dtype.itemsize:
        raise RuntimeError(f"{op}: the dtype of the input ({x.dtype.scalar_type}) should be convertible without "
                           f"narrowing to the specified dtype ({dt.scalar_type})")
    return cast(x, dt)


def _dims(dim):
    """dim as a tuple (None stays None; an empty tuple means all dims, as PyTorch)."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    return dims or None


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``linalg.vector_norm``: ``sum(|x|**ord) ** (1/ord)`` over `dim` (all dims by default); ord may be inf (the
    largest |x|), -inf (the smallest) or 0 (the count of nonzeros).

    Example: ``torch.linalg.vector_norm(x, dim=1)`` gives the Euclidean length of each row."""
    op = "linalg.vector_norm"
    x = _norm_input(op, x, dtype)
    if x._data.dtype.kind == "c":       # the norm of a complex tensor: that of its moduli (real, as PyTorch's)
        x = x.abs()
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    p = float(ord)
    dims = canon_dims(_dims(dim), x.ndim, op)
    if x.numel() == 0 and (p < 0 or math.isinf(p)):
        if dims is None:
            raise RuntimeError(f"{op} cannot compute the {_order_text(p)} norm on an empty tensor because the "
                               "operation does not have an identity")
        for d in dims:
            if x.shape[d] == 0:
                raise RuntimeError(f"{op} cannot compute the {_order_text(p)} norm on the dimension {d} because "
                                   "this dimension is empty and the operation does not have an identity")
    return VectorNorm.apply(x, p, dims, keepdim)


class Svdvals(Function):
    """The singular values of each matrix (the last two dims), descending (real for complex input). Gradient
    U diag(g) V^H; under
    create_graph U and V come from the differentiable SVD, so it differentiates again."""
    op_name = "linalg.svdvals"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp_of(a).linalg.svd(a, compute_uv=False)

    @staticmethod
    def backward(ctx, g):
        a, = ctx._saved
        if m.is_graph(a):       # the singular vectors as differentiable ops (torch.svd, ops/decompositions.py)
            u, _, v = TOP["svd"](a)
            return (u * g.unsqueeze(-2)) @ v.mH
        u, _, vh = xp_of(a).linalg.svd(a, full_matrices=False)
        return (u * g[..., None, :]) @ vh


def svdvals(A):
    """``linalg.svdvals``: the singular values of A (batches of matrices: the last two dims), descending.
    Differentiable to any order."""
    _norm_input("linalg.svdvals", A, None)
    if A.ndim < 2:
        raise RuntimeError("linalg.svdvals: The input tensor A must have at least 2 dimensions.")
    return Svdvals.apply(A)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """``linalg.matrix_norm`` over the two dims `dim`: 'fro' (Frobenius), 'nuc' (sum of singular values), inf / -inf
    (largest / smallest row sum of |A|), 1 / -1 (column sums), 2 / -2 (largest / smallest singular value).

    Example: ``torch.linalg.matrix_norm(A, ord=1)``"""
    op = "linalg.matrix_norm"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    A = _norm_input(op, A, dtype)
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    d0, d1 = (canon_dim(d, A.ndim, op) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"{op}: dims must be different. Got ({dims[0]}, {dims[1]})")
    if isinstance(ord, str):
        if ord == "fro":
            return vector_norm(A, 2, (d0, d1), keepdim)
        if ord != "nuc":
            raise RuntimeError(f"{op}: Order {ord} not supported.")
    elif ord not in (1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"{op}: Order {_order_text(float(ord))} not supported.")
    if ord == "nuc" or abs(ord) == 2:
        s = Svdvals.apply(TOP["movedim"](A, (d0, d1), (-2, -1)))
        out = s.sum(-1) if ord == "nuc" else (TOP["amax"] if ord > 0 else TOP["amin"])(s, -1)
        if keepdim:
            for d in sorted((d0, d1)):
                out = unsqueeze(out, d)
        return out
    # as PyTorch: sums of |A| over one dim, then the largest (smallest) of them over the other
    first, second = (d1, d0) if math.isinf(ord) else (d0, d1)
    sums = TOP["abs"](A).sum(first, keepdim=True)
    out = (TOP["amax"] if ord > 0 else TOP["amin"])(sums, second, keepdim=True)
    return out if keepdim else squeeze(out, (d0, d1))


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``linalg.norm``: a vector norm (over one dim, or all dims when ord is None) or a matrix norm (over two dims,
    or of a 2-D A when ord is given).

    Example: ``torch.linalg.norm(A)`` (Frobenius), ``torch.linalg.norm(v, ord=1)``"""
    dims = _dims(dim)
    if dims is not None:
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}")
    elif ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.ndim}D.")
    if ord is not None and (isinstance(ord, str) or (len(dims) == 2 if dims is not None else A.ndim == 2)):
        return matrix_norm(A, ord, dims if dims is not None else (0, 1), keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


@declare
def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """``torch.norm``: the 2-norm of all elements ('fro', the default), a vector norm of order p over `dim`, or a
    matrix norm ('fro' or 'nuc' over two dims). Differentiable (subgradient 0 at 0).

    Example: ``x.norm(dim=1, keepdim=True)``; ``torch.norm(x, p=1)``"""
    dims = _dims(dim)
    if isinstance(p, str):
        if p == "fro" and (dims is None or len(dims) <= 2):
            return vector_norm(x, 2, dims, keepdim, dtype=dtype)
        return matrix_norm(x, p, dims if dims is not None else tuple(range(x.ndim)), keepdim, dtype=dtype)
    return vector_norm(x, 2 if p is None else p, dims, keepdim, dtype=dtype)


@declare
def dist(a, b, p=2):
    """The p-norm of ``a - b`` (broadcast).

    Example: ``torch.dist(x, y)`` is the Euclidean distance."""
    b = as_tensor(b, a)
    a, b = promote_pair(a, b)
    if not a.dtype.is_floating_point and not a.is_complex():
        raise RuntimeError(f"dist(): input dtype should be either floating point or complex. Got "
                           f"{a.dtype.scalar_type} instead.")
    return vector_norm(a - b, p)


def _broadcast_error(s1, s2):
    n = max(len(s1), len(s2))
    a, b = (1,) * (n - len(s1)) + tuple(s1), (1,) * (n - len(s2)) + tuple(s2)
    for d in range(n):
        if a[d] != b[d] and 1 not in (a[d], b[d]):
            return RuntimeError(f"The size of tensor a ({a[d]}) must match the size of tensor b ({b[d]}) at "
                                f"non-singleton dimension {d}")
    return None


class CdistEuclid(Function):
    """cdist for p = 2 through a matrix product, as PyTorch does past 25 rows: |a|^2 + |b|^2 - 2 a.b, in memory
    (..., P, R) instead of (..., P, R, M). Gradient: with W = g / dist (0 where dist = 0), sum_r W (x1 - x2_r) =
    x1 * rowsum(W) - W @ x2, and the same for x2; a formula of products, so it differentiates again."""
    op_name = "cdist"

    @staticmethod
    def forward(ctx, x1, x2):
        xp = xp_of(x1)
        sq = (x1 * x1).sum(-1)[..., :, None] + (x2 * x2).sum(-1)[..., None, :] - 2 * (x1 @ xp.swapaxes(x2, -1, -2))
        out = xp.sqrt(xp.maximum(sq, 0))
        ctx.save_for_backward(x1, x2, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x1, x2, out = ctx._saved
        zero = m.data(out) == 0
        w = m.where(zero, 0.0, g / m.where(zero, 1.0, out))
        need = ctx._inputs
        g1 = x1 * m.sum(w, (-1,), True) - w @ x2 if need[0] is not None else None
        g2 = x2 * m.mT(m.sum(w, (-2,), True)) - m.mT(w) @ x1 if need[1] is not None else None
        return g1, g2


def _use_mm(x1, x2, p, compute_mode):
    """PyTorch's choice of the matrix-product form of the 2-norm distances."""
    if p != 2 or compute_mode == "donot_use_mm_for_euclid_dist":
        return False
    return compute_mode == "use_mm_for_euclid_dist" or x1.shape[-2] > 25 or x2.shape[-2] > 25


@declare(method=False)
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M): (..., P, R), the
    batch dims broadcast.

    Example: ``torch.cdist(points, centers)``"""
    for name, t in (("X1", x1), ("X2", x2)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {t.dtype.scalar_type}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"cdist(): expected scalar type {x1.dtype.scalar_type} but found {x2.dtype.scalar_type}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    err = _broadcast_error(x1.shape[:-2], x2.shape[:-2])
    if err is not None:
        raise err
    if compute_mode not in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                            "donot_use_mm_for_euclid_dist"):
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if _use_mm(x1, x2, p, compute_mode) and x1.numel() and x2.numel():
        return CdistEuclid.apply(x1, x2)
    diff = unsqueeze(x1, -2) - unsqueeze(x2, -3)            # (..., P, R, M)
    if diff.numel() == 0:
        return vector_norm(diff, 2, -1)          # empty: zeros (or nothing) for any p
    return vector_norm(diff, p, -1)


@declare(inplace=True)
def renorm(input, p, dim, maxnorm):
    """input with each slice along `dim` whose p-norm exceeds `maxnorm` scaled down to norm `maxnorm`
    (``maxnorm / (norm + 1e-7)``, as PyTorch): ``w.renorm(2, 0, 1.0)`` caps each row's length at 1."""
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    d = canon_dim(dim, input.ndim, "renorm")
    norm = vector_norm(input, p, tuple(k for k in range(input.ndim) if k != d), keepdim=True)
    scale = TOP["where"](norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return input * scale
