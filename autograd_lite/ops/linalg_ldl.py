"""torch.linalg's LDL factorization of symmetric matrices: ldl_factor, ldl_factor_ex and ldl_solve.

LAPACK's sytrf / sytrs for the lower triangle (Bunch-Kaufman diagonal pivoting, 1x1 and 2x2 blocks, as LAPACK's
unblocked dsytf2, which its sytrf runs for matrices up to its block size): LD holds L (unit diagonal, not stored)
below D's blocks, the upper triangle zero; pivots are LAPACK's (1-based, int32; a 2x2 block at k, k+1 gives both
-p). Written on NumPy, one column at a time (a device array is factored on the host). Not differentiable, as in
PyTorch: the backward raises PyTorch's error.
"""
import numpy as np

from .. import return_types as _rt
from ..autograd.op_function import Function
from ..backend import backend_of
from ._util import wrap
from .decompositions import _check_matrix

_ALPHA = (1 + 17 ** 0.5) / 8        # Bunch-Kaufman's threshold

linalg_ldl_factor = _rt._structseq("linalg_ldl_factor", ("LD", "pivots"))
linalg_ldl_factor_ex = _rt._structseq("linalg_ldl_factor_ex", ("LD", "pivots", "info"))


def _cabs1(x):
    """LAPACK's magnitude for pivoting: |Re| + |Im| for complex numbers, |x| for real ones."""
    return np.abs(x.real) + np.abs(x.imag) if np.iscomplexobj(x) else np.abs(x)


def sytf2_lower(a, hermitian=False):
    """(LD, ipiv, info) of the symmetric matrix whose lower triangle is a's (n, n), as LAPACK's dsytf2('L') (zsytf2
    for complex a; zhetf2 for complex a with `hermitian`: A = L D L^H, D Hermitian)."""
    herm = hermitian and np.iscomplexobj(a)
    a = np.tril(a)
    a = a + (np.tril(a, -1).conj().T if herm else np.tril(a, -1).T)     # the whole matrix: the swaps read both
    if herm:
        a[np.diag_indices_from(a)] = a.diagonal().real
    n = a.shape[0]
    ipiv = np.zeros(n, np.int32)
    info, k = 0, 0
    while k < n:
        kstep, absakk = 1, abs(a[k, k].real) if herm else _cabs1(a[k, k])
        if k < n - 1:
            imax = k + 1 + int(np.argmax(_cabs1(a[k + 1:, k])))
            colmax = _cabs1(a[imax, k])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0 or np.isnan(absakk):
            info = info or k + 1            # D(k) is exactly zero: the factorization goes on
            kp = k
        else:
            if absakk >= _ALPHA * colmax:
                kp = k
            else:
                rowmax = _cabs1(a[imax, k:imax]).max()
                if imax < n - 1:
                    rowmax = max(rowmax, _cabs1(a[imax + 1:, imax]).max())
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif (abs(a[imax, imax].real) if herm else _cabs1(a[imax, imax])) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:    # rows and columns kk and kp of the trailing matrix swapped
                a[[kk, kp], k:] = a[[kp, kk], k:]
                a[k:, [kk, kp]] = a[k:, [kp, kk]]
            if kstep == 1:
                if k < n - 1:
                    x = a[k + 1:, k].copy()
                    a[k + 1:, k + 1:] -= np.multiply.outer(x, x.conj() if herm else x) * (1 / a[k, k])
                    a[k + 1:, k] = x * (1 / a[k, k])
                    a[k, k + 1:] = a[k + 1:, k].conj() if herm else a[k + 1:, k]
                    if herm:                # as zher: the diagonal stays real
                        a[np.arange(k + 1, n), np.arange(k + 1, n)] = a.diagonal()[k + 1:].real
            elif k < n - 2 and herm:        # zhetf2's 2x2 block
                d = abs(a[k + 1, k])
                d11, d22 = a[k + 1, k + 1].real / d, a[k, k].real / d
                d21 = a[k + 1, k] / d
                d = 1 / (d11 * d22 - 1) / d
                wk = d * (d11 * a[k + 2:, k] - d21 * a[k + 2:, k + 1])
                wkp1 = d * (d22 * a[k + 2:, k + 1] - d21.conjugate() * a[k + 2:, k])
                a[k + 2:, k + 2:] -= (np.multiply.outer(a[k + 2:, k], wk.conj())
                                      + np.multiply.outer(a[k + 2:, k + 1], wkp1.conj()))
                a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1
                a[k, k + 2:], a[k + 1, k + 2:] = wk.conj(), wkp1.conj()
                a[np.arange(k + 2, n), np.arange(k + 2, n)] = a.diagonal()[k + 2:].real
            elif k < n - 2:
                d21 = a[k + 1, k]
                d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
                d21 = 1 / (d11 * d22 - 1) / d21
                wk = d21 * (d11 * a[k + 2:, k] - a[k + 2:, k + 1])
                wkp1 = d21 * (d22 * a[k + 2:, k + 1] - a[k + 2:, k])
                a[k + 2:, k + 2:] -= np.multiply.outer(a[k + 2:, k], wk) + np.multiply.outer(a[k + 2:, k + 1], wkp1)
                a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1
                a[k, k + 2:], a[k + 1, k + 2:] = wk, wkp1
        if kstep == 1:
            ipiv[k] = kp + 1
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    return np.tril(a), ipiv, info


def sytrs_lower(ld, ipiv, b, hermitian=False):
    """X with A X = b (n, m) from sytf2_lower's (LD, ipiv), as LAPACK's dsytrs('L') (zhetrs with `hermitian`)."""
    herm = hermitian and np.iscomplexobj(ld)
    cj = np.conj if herm else (lambda x: x)
    b = b.copy()
    n = ld.shape[0]
    k = 0
    while k < n:            # L D Y = P b
        if ipiv[k] > 0:
            kp = ipiv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= np.multiply.outer(ld[k + 1:, k], b[k])
            b[k] /= ld[k, k]
            k += 1
        else:
            kp = -ipiv[k] - 1
            b[[k + 1, kp]] = b[[kp, k + 1]]
            b[k + 2:] -= np.multiply.outer(ld[k + 2:, k], b[k]) + np.multiply.outer(ld[k + 2:, k + 1], b[k + 1])
            akm1k = ld[k + 1, k]
            akm1, ak = ld[k, k] / cj(akm1k), ld[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1
            bkm1, bk = b[k] / cj(akm1k), b[k + 1] / akm1k
            b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:           # L^T P^T X = Y (L^H for hermitian)
        if ipiv[k] > 0:
            b[k] -= cj(ld[k + 1:, k]) @ b[k + 1:]
            kp = ipiv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            b[k] -= cj(ld[k + 1:, k]) @ b[k + 1:]
            b[k - 1] -= cj(ld[k + 1:, k - 1]) @ b[k + 1:]
            kp = -ipiv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 2
    return b


class _NoDerivative(Function):
    """A result computed outside the graph whose backward is PyTorch's error: it has no derivative."""

    @staticmethod
    def forward(ctx, x, result, aten):
        ctx.aten = aten
        return result

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"derivative for aten::{ctx.aten} is not implemented")


def _factor(op, A, hermitian):
    _check_matrix(op, A)
    host = backend_of(A._data).to_host(A._data)
    n = host.shape[-1]
    flat = host.reshape((-1, n, n))
    ld, piv, info = np.empty_like(flat), np.empty(flat.shape[:2], np.int32), np.empty(flat.shape[0], np.int32)
    for i, a in enumerate(flat):
        ld[i], piv[i], info[i] = sytf2_lower(a, hermitian)
    like = A._data
    LD = _NoDerivative.apply(A, wrap(ld.reshape(host.shape), like)._data, "linalg_ldl_factor_ex")
    return LD, wrap(piv.reshape(host.shape[:-1]), like), wrap(info.reshape(host.shape[:-2]), like)


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """``linalg.ldl_factor_ex``: (LD, pivots, info) of the symmetric A (its lower triangle is read) as LAPACK's
    sytrf: A = P L D L^T P^T, D of 1x1 and 2x2 blocks; info 0, or the (1-based) index of D's first exact zero.
    hermitian: A = P L D L^H P^T for complex A (LAPACK's hetrf); the same as symmetric for real input.

    Example: ``LD, pivots, info = torch.linalg.ldl_factor_ex(A)``"""
    LD, piv, info = _factor("torch.linalg.ldl_factor_ex", A, hermitian)
    if check_errors and bool((info._data > 0).any()):
        raise RuntimeError(f"torch.linalg.ldl_factor_ex: Unknown error code: {int(info._data.max())}.")
    return linalg_ldl_factor_ex((LD, piv, info))


def ldl_factor(A, *, hermitian=False, out=None):
    """``linalg.ldl_factor``: (LD, pivots) of the symmetric A (see ldl_factor_ex), to pass to ldl_solve.

    Example: ``LD, pivots = torch.linalg.ldl_factor(A); X = torch.linalg.ldl_solve(LD, pivots, B)``"""
    LD, piv, info = _factor("torch.linalg.ldl_factor_ex", A, hermitian)
    if bool((info._data > 0).any()):       # PyTorch's words (an internal assert there) for an exactly singular D
        raise RuntimeError(f"torch.linalg.ldl_factor: Unknown error code: {int(info._data.max())}.")
    return linalg_ldl_factor((LD, piv))


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """``linalg.ldl_solve``: X with A X = B from ldl_factor's (LD, pivots), as LAPACK's sytrs; batch dims broadcast.

    Example: ``X = torch.linalg.ldl_solve(*torch.linalg.ldl_factor(A), B)``"""
    op = "torch.linalg.ldl_solve"
    if LD.ndim < 2:
        raise RuntimeError(f"{op}: LD should have at least 2 dimensions, but has {LD.ndim} dimensions instead")
    if B.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(B.ndim, 1)}, "
                         f"{max(B.ndim, 1) - 1}], but got -2)")
    if LD.shape[-1] != LD.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {LD.shape[-2]} by "
                           f"{LD.shape[-1]} matrices")
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise RuntimeError(f"{op}: Expected LD.shape[:-1] and pivots.shape to be the same, but got pivots with "
                           f"shape {list(pivots.shape)} instead")
    if pivots.dtype.is_floating_point or pivots.dtype.itemsize < 4:
        raise RuntimeError(f"{op}: Expected pivots to be integers. Got {pivots.dtype.scalar_type}")
    if LD.dtype is not B.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {B.dtype.scalar_type} and A "
                           f"of type {LD.dtype.scalar_type} instead.")
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {op}: each A matrix is {n} by {n} but each b matrix is "
                           f"{B.shape[-2]} by {B.shape[-1]}")
    batch = tuple(np.broadcast_shapes(tuple(LD.shape[:-2]), tuple(B.shape[:-2])))
    to_host = backend_of(LD._data).to_host
    ld = np.broadcast_to(to_host(LD._data), batch + (n, n)).reshape((-1, n, n))
    piv = np.broadcast_to(to_host(pivots._data), batch + (n,)).reshape((-1, n))
    b = np.broadcast_to(to_host(B._data), batch + tuple(B.shape[-2:])).reshape((-1,) + tuple(B.shape[-2:]))
    x = np.stack([sytrs_lower(*args, hermitian) for args in zip(ld, piv, b)]) if b.shape[0] else b.copy()
    return _NoDerivative.apply(B, wrap(x.reshape(batch + tuple(B.shape[-2:])), B._data)._data, "linalg_ldl_solve")
