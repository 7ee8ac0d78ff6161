"""torch.linalg's triangular and LU solvers: solve_triangular (and the old triangular_solve), cholesky_solve,
cholesky_inverse, lu_factor / lu_factor_ex / lu / lu_unpack / lu_solve (and the old torch.lu), the *_ex variants
(solve_ex, inv_ex, cholesky_ex), tensorinv and tensorsolve.

Gradients are PyTorch's formulas, written with triangular solves that are themselves this module's Function, so
they differentiate again; the rest are compositions of differentiable ops."""
import math

import numpy as np

from .. import _api, return_types as _rt
from .._api import TOP
from ..autograd.op_function import Function
from ..creation import as_tensor as _as_tensor, eye as _eye_fn, zeros as _zeros_fn
from . import _formula as m
from . import _triangular as tri
from ._util import quiet, wrap, xp_of
from .decompositions import (Cholesky, LinAlgError, _batch_text, _check_matrix, _mH, _not_pd_error, _out,
                             _singular_error, _tril, cholesky, inv, solve)
from .linalg import _broadcast_error

declare = _api.declare


def _triu(x, k=0):
    return TOP["triu"](x, k) if m.is_graph(x) else xp_of(x).triu(x, k)


def _tensor(x):
    return x if m.is_graph(x) else _as_tensor(x)


def _batch(op, *shapes):
    """The broadcast batch shape of (..., r, c) operands, with PyTorch's error."""
    try:
        return tuple(np.broadcast_shapes(*(tuple(s[:-2]) for s in shapes)))
    except ValueError:
        raise _broadcast_error(shapes[0][:-2], shapes[1][:-2]) from None


def _expand(t, batch):
    return t if tuple(t.shape[:-2]) == batch else t.expand(batch + tuple(t.shape[-2:]))


def _need_float(op, t):
    """PyTorch's error for a dtype its CPU LAPACK / BLAS kernel lacks (integers, float16, bfloat16)."""
    if t.dtype.category < 2 or t.dtype.itemsize < 4:
        raise NotImplementedError(f'"{op}" not implemented for \'{t.dtype.scalar_type}\'')


# ---- triangular solves ----------------------------------------------------------------------------------

def _tri_raw(a, b, upper, left, unit):
    if left:
        return tri.tri_solve(a, b, upper, unit)
    xp = xp_of(a)
    return xp.swapaxes(tri.tri_solve(xp.swapaxes(a, -1, -2), xp.swapaxes(b, -1, -2), not upper, unit), -1, -2)


class SolveTriangular(Function):
    """X with T X = B (left) or X T = B, T the upper or lower triangle of A (unit: ones on its diagonal). PyTorch's
    gradients: gB = T^-T g (solved the other side for X T = B), gA = -gB X^T (-X^T gB), kept to T's triangle."""
    op_name = "linalg.solve_triangular"

    @staticmethod
    def forward(ctx, a, b, upper, left, unit):
        x = _tri_raw(a, b, upper, left, unit)
        ctx.save_for_backward(a, x)
        ctx.args = upper, left, unit
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx._saved
        upper, left, unit = ctx.args
        gb = _solve_tri(m.mT(a), g, not upper, left, unit)
        ga = None
        if ctx._inputs[0] is not None:
            ga = -(gb @ m.mT(x)) if left else -(m.mT(x) @ gb)
            ga = _triu(ga, 1 if unit else 0) if upper else _tril(ga, -1 if unit else 0)
        return ga, gb, None, None, None


def _solve_tri(a, b, upper, left=True, unit=False):
    """The dual helper: triangular solves on arrays, or the differentiable Function on Tensors."""
    if m.is_graph(a, b):
        return SolveTriangular.apply(_tensor(a), _tensor(b), upper, left, unit)
    return _tri_raw(a, b, upper, left, unit)


def _check_solve_shapes(op, A, B, left, what="A"):
    if B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    n = A.shape[-1]
    r, c = B.shape[-2:]
    if (r if left else c) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and {r}x{c})")


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """``linalg.solve_triangular``: X with A X = B (left=False: X A = B) for a triangular A: only its upper
    (upper=True) or lower triangle is read, and with unitriangular=True its diagonal is taken as ones. Batch dims
    broadcast; the result has A's dtype.

    Example: ``X = torch.linalg.solve_triangular(torch.linalg.cholesky(S), B, upper=False)``"""
    op = "linalg.solve_triangular"
    _check_matrix(op, A)
    _check_solve_shapes(op, A, B, left)
    _need_float("triangular_solve_cpu", A)
    if B.dtype is not A.dtype:
        B = B.to(A.dtype)
    batch = _batch(op, B.shape, A.shape)
    X = SolveTriangular.apply(_expand(A, batch), _expand(B, batch), bool(upper), bool(left), bool(unitriangular))
    return _out(X, out)


@declare
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """``torch.triangular_solve(b, A)`` (deprecated form of ``linalg.solve_triangular``): (solution,
    cloned_coefficient) with A X = b (transpose=True: A^T X = b).

    Example: ``X, _ = torch.triangular_solve(b, A, upper=False)``"""
    _check_matrix("triangular_solve", A)
    _need_float("triangular_solve_cpu", A)
    if input.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected b to have at least 2 dimensions, but it has "
                           f"{input.ndim} dimensions instead")
    if input.dtype is not A.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {input.dtype.scalar_type} "
                           f"and A of type {A.dtype.scalar_type} instead.")
    batch = _batch("triangular_solve", input.shape, A.shape)
    A2 = _expand(A, batch)
    T = A2.mT if transpose else A2
    X = solve_triangular(T, input, upper=bool(upper) != bool(transpose), unitriangular=unitriangular)
    return _rt.triangular_solve((X, A2.clone()))


# ---- cholesky_solve, cholesky_inverse ------------------------------------------------------------------

def _chol_raw(b, L, upper):
    xp = xp_of(L)
    Lt = xp.swapaxes(L, -1, -2)
    if L.dtype.kind == "c":
        Lt = Lt.conj()
    if upper:
        return tri.tri_solve(L, tri.tri_solve(Lt, b, False), True)
    return tri.tri_solve(Lt, tri.tri_solve(L, b, False), True)


class CholeskySolve(Function):
    """X = (L L^H)^-1 B (upper: (U^H U)^-1 B). PyTorch's gradients, of the whole matrix L as given: gB = the same
    solve of g, gL = -(gB X^H + X gB^H) L (upper: -U (...))."""
    op_name = "cholesky_solve"

    @staticmethod
    def forward(ctx, b, L, upper):
        x = _chol_raw(b, L, upper)
        ctx.save_for_backward(L, x)
        ctx.upper = upper
        return x

    @staticmethod
    def backward(ctx, g):
        L, x = ctx._saved
        gb = _cholesky_solve(g, L, ctx.upper)
        gL = None
        if ctx._inputs[1] is not None:
            common = gb @ _mH(x)
            common = common + _mH(common)
            gL = -(L @ common) if ctx.upper else -(common @ L)
        return gb, gL, None


def _cholesky_solve(b, L, upper):
    if m.is_graph(b, L):
        return CholeskySolve.apply(_tensor(b), _tensor(L), upper)
    return _chol_raw(b, L, upper)


@declare
def cholesky_solve(input, input2, upper=False, *, out=None):
    """``torch.cholesky_solve(B, L)``: X with A X = B for A = L L^T given its Cholesky factor L (upper=True:
    A = U^T U). Batch dims broadcast.

    Example: ``X = torch.cholesky_solve(B, torch.linalg.cholesky(A))``"""
    if input.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {input.ndim} dimensions instead")
    if input2.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {input2.ndim} dimensions instead")
    if input.dtype is not input2.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {input.dtype.scalar_type} "
                           f"and A of type {input2.dtype.scalar_type} instead.")
    n, k = input2.shape[-2:]
    if n != k:
        raise RuntimeError(f"A must be batches of square matrices, but they are {n} by {k} matrices")
    _need_float("cholesky_solve_cpu", input2)
    if input.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is {n} by {n} but each b "
                           f"matrix is {input.shape[-2]} by {input.shape[-1]}")
    batch = _batch("cholesky_solve", input.shape, input2.shape)
    return _out(CholeskySolve.apply(_expand(input, batch), _expand(input2, batch), bool(upper)), out)


@declare
def cholesky_inverse(input, upper=False, *, out=None):
    """``torch.cholesky_inverse(L)``: A^-1 for A = L L^T given its Cholesky factor L (upper=True: A = U^T U).

    Example: ``torch.cholesky_inverse(torch.linalg.cholesky(A))`` is ``torch.linalg.inv(A)``"""
    op = "cholesky_inverse"
    if input.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    _check_matrix(op, input)
    diag = xp_of(input._data).diagonal(input._data, 0, -2, -1)
    if bool((diag == 0).any()):
        host = diag if type(diag) is np.ndarray else diag.get()
        flat = host.reshape(-1, host.shape[-1])
        b = int(np.argmax((flat == 0).any(-1)))
        raise LinAlgError(f"{op}: {_batch_text(input._data, b)}The diagonal element {int(np.argmax(flat[b] == 0)) + 1} "
                          "is zero, the inversion could not be completed because the input matrix is singular.")
    if input.is_complex():
        return _out(CholeskyInverseComplex.apply(input, bool(upper)), out)
    n = input.shape[-1]
    eye = _eye_fn(n, dtype=input.dtype, device=input.device).expand(tuple(input.shape))
    return _out(CholeskySolve.apply(eye, input, bool(upper)), out)


class CholeskyInverseComplex(Function):
    """(L L^H)^-1 as LAPACK's potri computes it, which PyTorch returns: W = L^-1, then W^H W with the real part of
    W's diagonal (upper: W W^H, W = U^-1), the last element Re(w) w; the same for a factor with a real diagonal,
    as every Cholesky factor has. PyTorch's gradient -(X (g + g^H) X) L (upper: -U (...)), X the result."""
    op_name = "cholesky_inverse"

    @staticmethod
    def forward(ctx, L, upper):
        xp = xp_of(L)
        n = L.shape[-1]
        W = tri.tri_solve(L, xp.broadcast_to(xp.eye(n, dtype=L.dtype), L.shape), upper)
        d = xp.diagonal(W, 0, -2, -1).copy()
        W = W - xp.eye(n, dtype=d.real.dtype) * (1j * d.imag)[..., None, :]
        Wh = xp.swapaxes(W, -1, -2).conj()
        x = W @ Wh if upper else Wh @ W
        if n:                                   # lauu2 scales its last row by Re(w_nn) without squaring it
            x[..., n - 1, n - 1] += d[..., n - 1].real * (1j * d[..., n - 1].imag)
        ctx.save_for_backward(L, x)
        ctx.upper = upper
        return x

    @staticmethod
    def backward(ctx, g):
        L, x = ctx._saved
        common = x @ (g + _mH(g)) @ x
        return (-(L @ common) if ctx.upper else -(common @ L)), None


# ---- LU ------------------------------------------------------------------------------------------------------

def _eye_rect(r, c, like):
    d = m.data(like)
    eye = xp_of(d).eye(r, c, dtype=d.dtype)
    return _as_tensor(eye) if m.is_graph(like) else eye


def _unpack(lu):
    """(L, U) of a packed LU (dual): L (..., m, k) unit lower, U (..., k, n) upper."""
    rows, cols = m.data(lu).shape[-2:]
    k = min(rows, cols)
    return _tril(lu[..., :, :k], -1) + _eye_rect(rows, k, lu), _triu(lu[..., :k, :])


def _lu_backward(gL, gU, P, L, U):
    """PyTorch's gradient of A = P L U: for square A, P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T; a wide A
    passes its extra columns of U, a tall one its extra rows of L, through the square part."""
    rows, cols = m.data(L).shape[-2], m.data(U).shape[-1]
    k = min(rows, cols)
    if rows == cols:
        phi = _tril(m.mT(L) @ gL, -1) + _triu(gU @ m.mT(U))
        return P @ _solve_tri(m.mT(U), _solve_tri(m.mT(L), phi, True, True, True), False, False)
    if rows < cols:                                 # wide: U = [U1 | U2]
        U1, U2, gU1, gU2 = U[..., :k], U[..., k:], gU[..., :k], gU[..., k:]
        lg2 = _solve_tri(m.mT(L), gU2, True, True, True)
        gL = gL - lg2 @ m.mT(U2)
        phi = _tril(m.mT(L) @ gL, -1) + _triu(gU1 @ m.mT(U1))
        g1 = _solve_tri(m.mT(U1), _solve_tri(m.mT(L), phi, True, True, True), False, False)
        return P @ m.cat([g1, lg2], -1)
    L1, L2, gL1, gL2 = L[..., :k, :], L[..., k:, :], gL[..., :k, :], gL[..., k:, :]      # tall: L = [L1; L2]
    g2 = _solve_tri(m.mT(U), gL2, False, False)
    gU = gU - m.mT(L2) @ g2
    phi = _tril(m.mT(L1) @ gL1, -1) + _triu(gU @ m.mT(U))
    g1 = _solve_tri(m.mT(U), _solve_tri(m.mT(L1), phi, True, True, True), False, False)
    return P @ m.cat([g1, g2], -2)


class LUFactor(Function):
    """The packed LU of A (computed before, with its pivots); gradient PyTorch's, of L = the strict lower part
    (unit diagonal) and U = the upper part."""
    op_name = "linalg.lu_factor"

    @staticmethod
    def forward(ctx, a, lu, piv):
        ctx.save_for_backward(lu)
        ctx.piv = piv
        return lu

    @staticmethod
    def backward(ctx, g):
        lu, = ctx._saved
        L, U = _unpack(lu)
        d = m.data(lu)
        k = min(d.shape[-2:])
        gL, gU = _tril(g[..., :, :k], -1), _triu(g[..., :k, :])
        P = _pmatrix(ctx.piv, d.shape[-2], d.dtype)
        return _lu_backward(gL, gU, _tensor(P) if m.is_graph(g) else P, L, U), None, None


def _pmatrix(piv, rows, dtype):
    return tri.permutation_matrix(tri.permutation(piv, rows), dtype)


def _lu_parts(op, A, pivot):
    """(packed LU differentiable, pivots int32, info int32) of A."""
    if A.ndim < 2:
        raise RuntimeError(f"{op}: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} instead")
    _need_float("lu_cpu", A)
    if not pivot:
        raise RuntimeError(f"{op.replace('torch.', '')}: LU without pivoting is not implemented on the CPU")
    lu, piv, info = tri.getrf(A._data)
    return LUFactor.apply(A, lu, piv), wrap(piv, A._data), wrap(info, A._data)


def _lu_error(op, info):
    host = info if type(info) is np.ndarray else info.get()
    flat = host.reshape(-1)
    b = int(np.argmax(flat > 0))
    prefix = f"(Batch element {b}): " if host.ndim > 0 else ""
    return RuntimeError(f"{op}: {prefix}U[{flat[b]},{flat[b]}] is zero and using it on lu_solve would result in a "
                        "division by zero. If you still want to perform the factorization, consider calling "
                        "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """``linalg.lu_factor_ex``: (LU, pivots, info) as LAPACK's getrf: L (unit diagonal) and U packed in one matrix,
    1-based int32 pivots, info 0 or the (1-based) index of U's first zero on the diagonal. Differentiable in LU.

    Example: ``LU, pivots, info = torch.linalg.lu_factor_ex(A)``"""
    op = "torch.linalg.lu_factor_ex"
    LU, piv, info = _lu_parts(op, A, pivot)
    if check_errors and bool((info._data > 0).any()):
        raise _lu_error(op, info._data)
    return _rt.linalg_lu_factor_ex((LU, piv, info))


def lu_factor(A, *, pivot=True, out=None):
    """``linalg.lu_factor``: (LU, pivots) of A = P L U (see lu_factor_ex); a singular A (a zero on U's diagonal) is an
    error. Example: ``LU, pivots = torch.linalg.lu_factor(A); X = torch.linalg.lu_solve(LU, pivots, B)``"""
    op = "torch.linalg.lu_factor"
    LU, piv, info = _lu_parts(op, A, pivot)
    if bool((info._data > 0).any()):
        raise _lu_error(op, info._data)
    return _rt.linalg_lu_factor((LU, piv))


def lu(A, *, pivot=True, out=None):
    """``linalg.lu``: (P, L, U) with A = P L U, P a permutation, L unit lower-triangular (m, k), U upper-triangular
    (k, n), k = min(m, n). Differentiable in L and U.

    Example: ``P, L, U = torch.linalg.lu(A)``"""
    LU, piv, _ = _lu_parts("linalg.lu", A, pivot)
    L, U = _unpack(LU)
    return _rt.linalg_lu((wrap(_pmatrix(piv._data, A.shape[-2], A._data.dtype), A._data), L, U))


@declare(name="lu", method=False)
def lu_old(A, pivot=True, get_infos=False, out=None):
    """``torch.lu`` (deprecated form of ``linalg.lu_factor``): (LU, pivots), with infos when get_infos=True.
    Example: ``A_LU, pivots = torch.lu(A)``"""
    LU, piv, info = _lu_parts("torch.lu", A, pivot)
    return (LU, piv, info) if get_infos else (LU, piv)


def _lu_method(self, pivot=True, get_infos=False):
    return lu_old(self, pivot, get_infos)


_api.declare(name="lu", top=False)(_lu_method)


@declare(method=False)
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """``torch.lu_unpack``: (P, L, U) from the packed LU and pivots of ``linalg.lu_factor``; empty tensors for the
    parts not asked for. Differentiable in LU_data.

    Example: ``P, L, U = torch.lu_unpack(*torch.linalg.lu_factor(A))``"""
    if LU_data.ndim < 2:
        raise RuntimeError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(LU_data.shape)} instead")
    if LU_pivots.dtype.scalar_type != "Int":
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                           "Note: this function is intended to be used with the output produced by "
                           "torch.linalg.lu_factor")
    rows = LU_data.shape[-2]
    empty = _zeros_fn(0, dtype=LU_data.dtype, device=LU_data.device)
    L = U = P = empty
    if unpack_data:
        L, U = _unpack(LU_data)
    if unpack_pivots:
        piv = LU_pivots._data
        if piv.size and bool(((piv < 1) | (piv > rows)).any()):
            raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you "
                               "properly pass the result of lu_factor?")
        P = wrap(_pmatrix(piv, rows, LU_data._data.dtype), LU_data._data)
    return _rt.lu_unpack((P, L, U))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """``linalg.lu_solve``: X with A X = B (adjoint: A^T X = B; left=False: X A = B) from ``lu_factor``'s (LU,
    pivots). Differentiable in LU and B; batch dims broadcast.

    Example: ``X = torch.linalg.lu_solve(*torch.linalg.lu_factor(A), B)``"""
    op = "linalg.lu_solve"
    _check_matrix(op, LU)
    _check_solve_shapes(op, LU, B, left)
    if not left:                                # X A = B is A^H X^H = B^H
        return _out(lu_solve(LU, pivots, B.mH, adjoint=not adjoint).mH, out)
    rows = LU.shape[-2]
    P = wrap(_pmatrix(pivots._data, rows, LU._data.dtype), LU._data)
    if B.dtype is not LU.dtype:
        B = B.to(LU.dtype)
    if adjoint:                                 # A^H = U^H L^H P^T
        Y = solve_triangular(LU.mH, B, upper=False)
        return _out(P @ solve_triangular(LU.mH, Y, upper=True, unitriangular=True), out)
    Y = solve_triangular(LU, P.mT @ B, upper=False, unitriangular=True)
    return _out(solve_triangular(LU, Y, upper=True), out)


@declare(name="lu_solve")
def lu_solve_old(input, LU_data, LU_pivots, *, out=None):
    """``torch.lu_solve(b, LU_data, LU_pivots)`` (deprecated form of ``linalg.lu_solve``)."""
    return lu_solve(LU_data, LU_pivots, input, out=out)


# ---- the *_ex variants: an info tensor instead of an error -------------------------------------------------

def _lu_info(A):
    return tri.getrf(A._data)


def _raw_solve(lu, piv, b):
    """A^-1 b from getrf's factors, with inf and nan where U has a zero on its diagonal (as LAPACK's getrs)."""
    perm = tri.permutation(piv, lu.shape[-2])
    pb = xp_of(b).take_along_axis(b, perm[..., :, None], axis=-2) if perm.ndim > 1 else b[..., perm, :]
    return tri.tri_solve(lu, tri.tri_solve(lu, pb, False, True), True)


def inv_ex(A, *, check_errors=False, out=None):
    """``linalg.inv_ex``: (inverse, info), info (int32) 0 or the index of the first zero pivot, instead of an
    error for a singular A. Example: ``Ainv, info = torch.linalg.inv_ex(A)``"""
    op = "linalg.inv_ex"
    _check_matrix(op, A)
    lu_, piv, info = _lu_info(A)
    if not bool((info > 0).any()):
        return _rt.linalg_inv_ex((inv(A), wrap(info, A._data)))
    if check_errors:
        raise _singular_error(op, A._data, "inversion")
    xp = xp_of(A._data)
    eye = xp.broadcast_to(xp.eye(A.shape[-1], dtype=A._data.dtype), A.shape)
    return _rt.linalg_inv_ex((wrap(_raw_solve(lu_, piv, eye), A._data), wrap(info, A._data)))


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """``linalg.solve_ex``: (result, info) as ``linalg.solve``, with info (int32) instead of an error for a singular
    A. Example: ``X, info = torch.linalg.solve_ex(A, B)``"""
    op = "linalg.solve_ex"
    _check_matrix(op, A)
    lu_, piv, info = _lu_info(A)
    if not bool((info > 0).any()):
        return _rt.linalg_solve_ex((solve(A, B, left=left), wrap(info, A._data)))
    if check_errors:
        raise LinAlgError("torch.linalg.solve_ex: The solver failed because the input matrix is singular.")
    Bm = B if left else B.mT
    if not left:
        lu_, piv, _ = tri.getrf(A.mT._data)
    vector = Bm.ndim == 1 or (Bm.ndim == A.ndim - 1 and tuple(Bm.shape) == tuple(A.shape[:-1]))
    b = (Bm.unsqueeze(-1) if vector else Bm)._data
    batch = _batch(op, A.shape, b.shape)
    xp = xp_of(b)
    lu_b = xp.broadcast_to(lu_, batch + lu_.shape[-2:])
    piv_b = xp.broadcast_to(piv, batch + piv.shape[-1:])
    x = _raw_solve(lu_b, piv_b, xp.broadcast_to(b, batch + b.shape[-2:]))
    x = x[..., 0] if vector else x
    x = x if left else xp.swapaxes(x, -1, -2)
    return _rt.linalg_solve_ex((wrap(x, A._data), wrap(info, A._data)))


def _potrf_partial(a):
    """Unblocked Cholesky, vectorised over the batch, each matrix stopped at its first non-positive pivot (left
    there, as LAPACK's potf2 does): (L, info)."""
    xp = xp_of(a)
    n = a.shape[-1]
    L = xp.tril(a).reshape((-1, n, n)).copy()
    info = xp.zeros(L.shape[0], dtype=np.int32)
    with quiet(xp):
        for j in range(n):
            live = info == 0
            row = L[:, j, :j].conj()                # as LAPACK's potf2: the diagonal's imaginary part is ignored
            d = (L[:, j, j] - (L[:, j, :j] * row).sum(-1)).real
            bad = live & ~(d > 0)
            info = xp.where(bad, j + 1, info).astype(np.int32)
            ok = live & ~bad
            L[:, j, j] = xp.where(ok, xp.sqrt(xp.where(ok, d, 1)), xp.where(bad, d, L[:, j, j]))
            col = (L[:, j + 1:, j] - (L[:, j + 1:, :j] @ row[..., None])[..., 0]) / L[:, j, j][:, None]
            L[:, j + 1:, j] = xp.where(ok[:, None], col, L[:, j + 1:, j])
    return L.reshape(a.shape), info.reshape(a.shape[:-2])


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """``linalg.cholesky_ex``: (L, info) as ``linalg.cholesky``, with info (int32) 0 or the order of the first
    leading minor that is not positive-definite instead of an error.

    Example: ``L, info = torch.linalg.cholesky_ex(A)``"""
    op = "linalg.cholesky_ex"
    _check_matrix(op, A)
    L, info = _potrf_partial(A._data)
    if not bool((info > 0).any()):
        return _rt.linalg_cholesky_ex((cholesky(A, upper=upper), wrap(info, A._data)))
    if check_errors:
        err = _not_pd_error(A._data)
        raise LinAlgError(str(err).replace("linalg.cholesky", op, 1))
    L = CholeskyPartial.apply(A, L)
    return _rt.linalg_cholesky_ex((L.mH if upper else L, wrap(info, A._data)))


class CholeskyPartial(Function):
    """The factor potf2 leaves for a matrix that is not positive-definite, differentiable by linalg.cholesky's
    formula, as PyTorch's."""
    op_name = "linalg.cholesky_ex"

    @staticmethod
    def forward(ctx, a, L):
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, g):
        return Cholesky.backward(ctx, g), None


# ---- tensorinv, tensorsolve -----------------------------------------------------------------------------

def tensorinv(A, ind=2, *, out=None):
    """``linalg.tensorinv``: the inverse of A for ``tensordot`` over `ind` dims: A reshaped to a square matrix
    prod(shape[:ind]) x prod(shape[ind:]), inverted, reshaped to shape[ind:] + shape[:ind].

    Example: ``Ainv = torch.linalg.tensorinv(torch.randn(4, 6, 8, 3), ind=2)`` has shape (8, 3, 4, 6)"""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    head, tail = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    rows, cols = math.prod(head), math.prod(tail)
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return _out(inv(A.reshape(rows, cols)).reshape(tail + head), out)


def tensorsolve(A, B, dims=None, *, out=None):
    """``linalg.tensorsolve``: X with ``tensordot(A, X, X.ndim) = B``; `dims` are dims of A moved to the end
    first. X has shape A.shape[B.ndim:].

    Example: ``X = torch.linalg.tensorsolve(torch.randn(6, 4, 24), torch.randn(6, 4))``"""
    if dims is not None:
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        A = TOP["movedim"](A, dims, tuple(range(A.ndim - len(dims), A.ndim)))
    tail = tuple(A.shape[B.ndim:])
    rows, cols = B.numel(), math.prod(tail)
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {cols} != {rows}")
    return _out(solve(A.reshape(rows, cols), B.reshape(rows)).reshape(tail), out)
