"""CPU kernels: triangular solves (substitution, as BLAS's trsm) and the LU factorisation with partial pivoting (as
LAPACK's getf2: packed LU, 1-based int32 pivots, info), batched: numba prange over the matrices of a batch.

A zero on the diagonal gives inf and nan (error_model='numpy'), never an error, as BLAS does; a column of zeros is
left unswapped and unscaled, as LAPACK does. ops/_triangular.py holds the array-module formulas these are tested
against (and that other devices run).
"""
import math

import numpy as np

from ._jit import PAR_MIN, check, prange, twins
from .matmul import matmul as _matmul

__all__ = ["tri_solve", "lu_factor", "lu_permutation"]

_PAR_MIN = PAR_MIN // 16


@twins(_PAR_MIN, loop=lambda a, b, upper, unit, x: a.shape[0])
def _tri(a, b, upper, unit, x):
    n, k = a.shape[1], b.shape[2]
    for m in prange(a.shape[0]):
        A, X = a[m], x[m]
        X[:, :] = b[m]
        for s in range(n):
            i = n - 1 - s if upper else s
            lo, hi = (i + 1, n) if upper else (0, i)
            xi = X[i]
            for j in range(lo, hi):
                f = A[i, j]
                xj = X[j]
                for c in range(k):
                    xi[c] -= f * xj[c]
            if not unit:
                d = A[i, i]
                for c in range(k):
                    xi[c] /= d


def tri_solve(a, b, upper, unit):
    """X with T X = B for a (..., n, n), b (..., n, k) of one batch shape; T the upper (lower) triangle of a, ones
    on its diagonal when `unit`."""
    a, b = check("tri_solve", a, b)
    shape = b.shape
    n, k = shape[-2:]
    count = math.prod(shape[:-2])
    a3 = np.ascontiguousarray(a).reshape(count, n, n)
    b3 = np.ascontiguousarray(b).reshape(count, n, k)
    x = np.empty(b3.shape, b3.dtype)
    if n <= _BLOCK * 2:
        _tri.pick(x.size)(a3, b3, bool(upper), bool(unit), x)
        return x.reshape(shape)
    # blocked, as trsm: each diagonal block by substitution, the rest of B updated by a matrix product (BLAS)
    starts = list(range(0, n, _BLOCK))
    rhs = b3.copy()
    with np.errstate(all="ignore"):
        for s in (starts[::-1] if upper else starts):
            e = min(s + _BLOCK, n)
            blk = np.ascontiguousarray(a3[:, s:e, s:e])
            xs = np.empty(rhs[:, s:e].shape, rhs.dtype)
            _tri.pick(xs.size)(blk, np.ascontiguousarray(rhs[:, s:e]), bool(upper), bool(unit), xs)
            x[:, s:e] = xs
            if upper and s > 0:
                rhs[:, :s] -= _matmul(a3[:, :s, s:e], xs)
            elif not upper and e < n:
                rhs[:, e:] -= _matmul(a3[:, e:, s:e], xs)
    return x.reshape(shape)


_BLOCK = 64


@twins(_PAR_MIN, loop=lambda lu, piv, info: lu.shape[0])
def _getf2(lu, piv, info):
    rows, cols = lu.shape[1], lu.shape[2]
    for m in prange(lu.shape[0]):
        A = lu[m]
        info[m] = 0
        for j in range(min(rows, cols)):
            p, best = j, abs(A[j, j])
            for i in range(j + 1, rows):
                v = abs(A[i, j])
                if v > best:
                    p, best = i, v
            piv[m, j] = p + 1
            if p != j:
                for c in range(cols):
                    t = A[j, c]
                    A[j, c] = A[p, c]
                    A[p, c] = t
            d = A[j, j]
            if d == 0:
                if info[m] == 0:
                    info[m] = j + 1
            else:
                for i in range(j + 1, rows):
                    A[i, j] /= d
            rj = A[j, j + 1:]
            for i in range(j + 1, rows):
                f = A[i, j]
                ri = A[i, j + 1:]
                for c in range(rj.shape[0]):
                    ri[c] -= f * rj[c]


@twins(_PAR_MIN, loop=lambda piv, perm: piv.shape[0])
def _perm(piv, perm):
    for m in prange(piv.shape[0]):
        for i in range(perm.shape[1]):
            perm[m, i] = i
        for j in range(piv.shape[1]):
            p = piv[m, j] - 1
            t = perm[m, j]
            perm[m, j] = perm[m, p]
            perm[m, p] = t


def lu_permutation(piv, rows):
    """The row order perm (..., rows) (int64) that getrf's pivots (..., k) apply: A[perm] = L U. The pivots must
    lie in 1..rows (checked by the caller)."""
    flat = np.ascontiguousarray(piv, dtype=np.int32).reshape(math.prod(piv.shape[:-1]), piv.shape[-1])
    perm = np.empty((flat.shape[0], rows), np.int64)
    _perm.pick(perm.size)(flat, perm)
    return perm.reshape(piv.shape[:-1] + (rows,))


def lu_factor(a):
    """(packed LU, pivots int32 1-based, info int32) of a (..., m, n), as LAPACK's getrf."""
    a, = check("lu_factor", a)
    shape = a.shape
    rows, cols = shape[-2:]
    lu = np.array(a, order="C", copy=True).reshape(math.prod(shape[:-2]), rows, cols)
    piv = np.empty((lu.shape[0], min(rows, cols)), np.int32)
    info = np.empty(lu.shape[0], np.int32)
    _getf2.pick(lu.size)(lu, piv, info)
    return lu.reshape(shape), piv.reshape(shape[:-2] + piv.shape[-1:]), info.reshape(shape[:-2])
