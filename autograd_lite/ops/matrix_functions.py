"""Matrix functions and small torch.linalg compositions: matrix_exp (differentiable to any order: its gradient is
the matrix_exp of a block matrix, as PyTorch's), householder_product (orgqr), vecdot, vander, cond, diagonal."""
import math

import numpy as np

from .. import _api, return_types as _rt
from .._api import TOP
from ..autograd.op_function import Function
from ..creation import as_tensor as _as_tensor, eye as _eye_fn, full as _full_fn, ones_like as _ones_like_fn
from . import _formula as m
from ._triangular import getrf
from ._util import quiet, xp_of
from .decompositions import _check_matrix, _out, inv
from .linalg import _norm_input, matrix_norm, svdvals

declare = _api.declare

# Higham (2005): the degree-13 Pade approximant's coefficients and the 1-norm up to which it is exact to float64
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
           10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def _expm(a):
    """exp of each matrix of a (..., n, n) by scaling and squaring with the [13/13] Pade approximant, in float64
    (complex128 for complex a; the result in a's dtype); each matrix of a batch is scaled by its own power of two."""
    xp = xp_of(a)
    A = a.astype(np.result_type(a.dtype, np.float64))
    n = A.shape[-1]
    if n == 0 or A.size == 0:
        return xp.array(a, copy=True)
    with quiet(xp):
        norm = xp.abs(A).sum(-2).max(-1)
        s = xp.ceil(xp.log2(xp.where(norm > _THETA13, norm, _THETA13) / _THETA13))
        s = xp.where(xp.isfinite(s), s, 0).astype(np.int64)
        A = A / (2.0 ** s)[..., None, None]
        b = _PADE13
        eye = xp.eye(n, dtype=A.dtype)
        A2 = A @ A
        A4 = A2 @ A2
        A6 = A4 @ A2
        U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
        V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
        try:
            R = xp.linalg.solve(V - U, V + U)
        except np.linalg.LinAlgError:             # only for non-finite input
            R = xp.full(A.shape, np.nan)
        top = int(s.max()) if s.size else 0
        for j in range(top):
            R = xp.where((j < s)[..., None, None], R @ R, R)
    return R.astype(a.dtype)


class MatrixExp(Function):
    """exp(A); gradient the upper-right block of exp([[A^T, g], [0, A^T]]), itself a matrix_exp (any order); for
    complex A, A^H in place of A^T (PyTorch's convention, given by `holomorphic`)."""
    op_name = "linalg.matrix_exp"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _expm(a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx._saved
        n = m.data(a).shape[-1]
        at = m.mT(a)
        block = m.cat([m.cat([at, g], -1), m.cat([m.zeros_like(at), at], -1)], -2)
        big = MatrixExp.apply(block) if m.is_graph(block) else _expm(block)
        return big[..., :n, n:]


@declare(name="matrix_exp")
def matrix_exp(A):
    """``torch.matrix_exp`` (``linalg.matrix_exp``): the matrix exponential of a square matrix (or of each of a
    batch). Differentiable to any order.

    Example: ``R = torch.linalg.matrix_exp(W - W.mT)`` is a rotation."""
    _check_matrix("linalg.matrix_exp", A)
    return MatrixExp.apply(A)


def householder_product(A, tau, *, out=None):
    """``linalg.householder_product`` (``torch.orgqr``): the first n columns of H_1 ... H_k, H_i = I - tau_i v_i
    v_i^H, v_i the i-th column of A below the diagonal with a 1 on it (geqrf's output). Differentiable in A and
    tau (a composition of products).

    Example: ``Q = torch.linalg.householder_product(A, tau)``"""
    op = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if A.shape[-1] < tau.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.ndim} and input.ndim is equal to {A.ndim}")
    if tau.dtype is not A.dtype:
        raise RuntimeError(f"{op}: tau dtype {tau.dtype.scalar_type} does not match input dtype "
                           f"{A.dtype.scalar_type}")
    _norm_input(op, A, None)
    rows, cols = A.shape[-2:]
    k = tau.shape[-1]
    V = TOP["tril"](A[..., :, :k], -1) + _eye_fn(rows, k, dtype=A.dtype, device=A.device)
    Q = _eye_fn(rows, cols, dtype=A.dtype, device=A.device).expand(tuple(A.shape[:-2]) + (rows, cols))
    for i in range(k - 1, -1, -1):          # Q = H_i Q, from the last reflector to the first
        v = V[..., :, i:i + 1]
        Q = Q - (tau[..., i:i + 1].unsqueeze(-1) * v) @ (v.mH @ Q)
    return _out(Q, out)


@declare(name="orgqr")
def orgqr(input, tau):
    """``torch.orgqr``: ``linalg.householder_product``. Example: ``Q = torch.orgqr(A, tau)``"""
    return householder_product(input, tau)


class Geqrf(Function):
    """LAPACK's geqrf: the R factor above the diagonal and the Householder vectors below it, packed as rows with tau
    (zero-padded to n) as a last row: (..., m + 1, n). No derivative, as PyTorch."""
    op_name = "geqrf"

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        rows, cols = a.shape[-2:]
        out = xp.zeros(a.shape[:-2] + (rows + 1, cols), dtype=a.dtype)
        if a.size:                  # NumPy's raw mode is geqrf's output transposed (Fortran order)
            h, tau = xp.linalg.qr(a, mode="raw")
            out[..., :rows, :] = xp.swapaxes(h, -1, -2)
            out[..., rows, :tau.shape[-1]] = tau
        return out

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("the derivative for 'geqrf' is not implemented.")


def _lapack_dtype(op, x):
    """PyTorch's error for a dtype its LAPACK kernels lack (integers, bool, float16, bfloat16)."""
    if x.dtype.scalar_type not in ("Float", "Double", "ComplexFloat", "ComplexDouble"):
        raise NotImplementedError(f'"{op}_cpu" not implemented for \'{x.dtype.scalar_type}\'')


@declare
def geqrf(input):
    """``torch.geqrf``: (a, tau), LAPACK's QR in Householder form: R on and above a's diagonal, the reflectors'
    vectors below it (their leading 1 implied), tau (..., min(m, n)) their scales. Not differentiable, as PyTorch;
    ``householder_product(a, tau)`` gives Q and ``ormqr`` multiplies by it.

    Example: ``a, tau = torch.geqrf(A); Q = torch.linalg.householder_product(a, tau)``"""
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    _lapack_dtype("geqrf", input)
    rows, cols = input.shape[-2:]
    packed = Geqrf.apply(input)
    return _rt.geqrf((packed[..., :rows, :], packed[..., rows, :min(rows, cols)]))


@declare
def ormqr(input, tau, other, left=True, transpose=False, *, out=None):
    """``torch.ormqr``: other multiplied by Q = H_1 ... H_k of geqrf's (input, tau), H_i = I - tau_i v_i v_i^H:
    Q C (left), C Q (left=False), with Q^H for transpose=True. Differentiable in all three (a composition of
    products, so to any order).

    Example: ``a, tau = torch.geqrf(A); QtB = torch.ormqr(a, tau, B, transpose=True)``"""
    op = "torch.ormqr"
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if other.ndim < 2:
        raise RuntimeError(f"{op}: other must have at least 2 dimensions.")
    side = -2 if left else -1
    if other.shape[side] != input.shape[-2]:
        raise RuntimeError(f"{op}: other.shape[{side}] must be equal to input.shape[-2]")
    if tau.ndim != input.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.ndim} and input.ndim is equal to {input.ndim}")
    if tau.shape[-1] != min(other.shape[side], input.shape[-1]):
        raise RuntimeError(f"{op}: tau.shape[-1] must be equal to min(other.shape[{side}], input.shape[-1])")
    if other.ndim != input.ndim:
        raise RuntimeError(f"{op}: Expected other to have the same number of dimensions as input, but got "
                           f"other.ndim equal to {other.ndim} and input.ndim is equal to {input.ndim}")
    for name, t in (("tau", tau), ("other", other)):
        batch = tuple(t.shape[:len(input.shape) - 2])
        if batch != tuple(input.shape[:-2]):
            raise RuntimeError(f"{op}: Expected batch dimensions of {name} to be equal to input.shape[:-2], but got "
                               f"{list(batch)}")
    for name, t in (("tau", tau), ("other", other)):
        if t.dtype is not input.dtype:
            raise RuntimeError(f"{op}: Expected input and {name} to have the same dtype, but input has dtype"
                               f"{input.dtype.scalar_type} and {name} has dtype {t.dtype.scalar_type}")
    _lapack_dtype("ormqr", input)
    rows, k = input.shape[-2], tau.shape[-1]
    V = TOP["tril"](input[..., :, :k], -1) + _eye_fn(rows, k, dtype=input.dtype, device=input.device)
    t = tau.conj() if transpose else tau
    C = other
    # Q C = H_1 (... (H_k C)); Q^H C = H_k^H (... (H_1^H C)); on the right, C Q = ((C H_1) ...) H_k
    order = range(k) if left == transpose else range(k - 1, -1, -1)
    for i in order:
        v = V[..., :, i:i + 1]
        ti = t[..., i:i + 1].unsqueeze(-1)
        C = C - (ti * v) @ (v.mH @ C) if left else C - (C @ v) @ (ti * v.mH)
    return _out(C, out)


def vecdot(x, y, *, dim=-1, out=None):
    """``linalg.vecdot``: the dot product of x and y along `dim` (they broadcast), x conjugated when complex.

    Example: ``torch.linalg.vecdot(a, b)`` is ``(a.conj() * b).sum(-1)``"""
    op = "linalg.vecdot"
    if x.dtype is not y.dtype:
        raise RuntimeError(f"{op}: Expected x and y to have the same dtype, but found x of type "
                           f"{x.dtype.scalar_type} and y of type {y.dtype.scalar_type} instead")
    _norm_input(op, x, None)
    return _out((x.conj() * y).sum(dim), out)


def vander(x, *, N=None):
    """``linalg.vander``: the Vandermonde matrix of x (..., n): (..., n, N) with columns x^0, x^1, ..., x^(N-1)
    (N defaults to n).

    Example: ``torch.linalg.vander(torch.tensor([1, 2, 3]))``"""
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: Expected x to have at least 1 dimension, but got a scalar.")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    y = x.long() if x.dtype.scalar_type == "Bool" else x
    powers = y.unsqueeze(-1).expand(tuple(y.shape) + (n - 1,))
    ones = _ones_like_fn(y.unsqueeze(-1))
    return TOP["cumprod"](TOP["cat"]([ones, powers], -1), -1)


def cond(A, p=None, *, out=None):
    """``linalg.cond``: the condition number of A in the matrix norm p: sigma_max / sigma_min for p None, 2 (-2:
    the inverse), sum(s) * sum(1 / s) for 'nuc', else norm(A, p) * norm(A^-1, p) for square A ('fro', inf, -inf,
    1, -1; inf where A is singular).

    Example: ``torch.linalg.cond(A)``"""
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p not in (None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if p is None or p in (2, -2):
        _norm_input("linalg.svd", A, None)
        s = svdvals(A)
        with quiet(xp_of(A._data)):
            out_ = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
        return _out(out_, out)
    _check_matrix(f"linalg.cond(ord={p})", A)
    if p == "nuc":                          # as PyTorch: from the singular values, sum(s) * sum(1 / s)
        s = svdvals(A)
        with quiet(xp_of(A._data)):
            return _out(s.sum(-1) * (1 / s).sum(-1), out)
    info_ok = _invertible(A)
    if bool(info_ok.all()):
        return _out(matrix_norm(A, p) * matrix_norm(inv(A), p), out)
    res = _full_fn(tuple(A.shape[:-2]), math.inf, dtype=A.dtype, device=A.device)
    if bool(info_ok.any()):                 # the invertible ones get their value, the others inf
        xp = xp_of(A._data)
        eye = _as_tensor(xp.eye(A.shape[-1], dtype=A._data.dtype))
        safe = TOP["where"](_as_tensor(info_ok[..., None, None]), A, eye)
        res = TOP["where"](_as_tensor(info_ok), matrix_norm(safe, p) * matrix_norm(inv(safe), p), res)
    return _out(res, out)


def _invertible(A):
    """A boolean array (...): whether each matrix has an LU without a zero pivot."""
    return getrf(A._data)[2] == 0


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``linalg.diagonal``: ``torch.diagonal`` with the last two dims as default.

    Example: ``torch.linalg.diagonal(A)``"""
    if A.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{max(A.ndim, 1)}, "
                         f"{max(A.ndim, 1) - 1}], but got {dim1 if dim1 < 0 else dim1})")
    return TOP["diagonal"](A, offset, dim1, dim2)
