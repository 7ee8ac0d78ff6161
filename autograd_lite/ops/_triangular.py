"""Raw-array linear algebra the solvers share (no Tensor, no autograd), written once on the array module (NumPy or
CuPy): triangular solves, the LU factorisation with partial pivoting (LAPACK's getrf: packed LU, 1-based pivots,
info), and the permutation its pivots stand for."""
import math

import numpy as np

from ._util import kernels_of, quiet, xp_of


def _kernel(a, name):
    """The device's kernel for float32 / float64 arrays, or None (then the array-module formula runs)."""
    if a.dtype not in (np.float32, np.float64):
        return None
    return getattr(kernels_of(a), name, None)


def _unit_diag(t):
    xp = xp_of(t)
    n = t.shape[-1]
    return t * (1 - xp.eye(n, dtype=t.dtype)) + xp.eye(n, dtype=t.dtype)


def _substitute(t, b, upper):
    """Back (upper) or forward substitution, row by row, vectorised over the batch and the right-hand sides: the
    path for a triangle with a zero on its diagonal, where it gives inf and nan as BLAS's trsm does."""
    xp = xp_of(t)
    n = t.shape[-1]
    x = xp.zeros(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:], dtype=b.dtype)
    order = range(n - 1, -1, -1) if upper else range(n)
    with quiet(xp):
        for i in order:
            rest = slice(i + 1, n) if upper else slice(0, i)
            acc = b[..., i, :] - (t[..., i:i + 1, rest] @ x[..., rest, :])[..., 0, :]
            x[..., i, :] = acc / t[..., i, i][..., None]
    return x


def tri_solve(a, b, upper, unit=False):
    """X with T X = B, T the upper (lower) triangle of a, with ones on its diagonal when `unit`; a (..., n, n) and
    b (..., n, k) share their batch dims. The device's kernel where it has one; else a LAPACK solve, a lower
    system solved as the upper one of the reversed order so that it never pivots (the substitution's result)."""
    run = _kernel(a, "tri_solve")
    return run(a, b, upper, unit) if run is not None else tri_solve_xp(a, b, upper, unit)


def tri_solve_xp(a, b, upper, unit=False):
    """tri_solve on the array module (the formula the kernels are tested against)."""
    xp = xp_of(a)
    t = xp.triu(a) if upper else xp.tril(a)
    if unit:
        t = _unit_diag(t)
    if not upper:
        t, b = t[..., ::-1, ::-1], b[..., ::-1, :]
    try:
        if t.shape[-1] == 0:
            raise np.linalg.LinAlgError
        x = xp.linalg.solve(t, b)
        if xp is not np and not bool(xp.isfinite(x).all()):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        x = _substitute(t, b, True)
    return x if upper else xp.ascontiguousarray(x[..., ::-1, :])


def getrf(a):
    """LU with partial pivoting of a (..., m, n), as LAPACK's getrf: (packed LU (L unit lower below the diagonal,
    U on and above it), pivots (..., k) int32 1-based (row i swapped with row pivots[i] - 1, in order), info (...)
    int32: 0, or the 1-based index of the first zero on U's diagonal). One step per column, vectorised over the
    batch; a zero column is left unswapped and unscaled, as LAPACK does."""
    run = _kernel(a, "lu_factor")
    return run(a) if run is not None else getrf_xp(a)


def getrf_xp(a):
    """getrf on the array module: one step per column, vectorised over the batch."""
    xp = xp_of(a)
    shape = a.shape
    m, n = shape[-2:]
    k = min(m, n)
    count = math.prod(shape[:-2])
    lu = xp.array(a, copy=True).reshape((count, m, n))
    piv = xp.empty((count, k), dtype=np.int32)
    info = xp.zeros(count, dtype=np.int32)
    rows = xp.arange(count)
    with quiet(xp):
        for j in range(k):
            col = lu[:, j:, j]
            size = xp.abs(col.real) + xp.abs(col.imag) if col.dtype.kind == "c" else xp.abs(col)  # LAPACK's icamax
            p = j + xp.argmax(size, axis=1)
            piv[:, j] = p + 1
            top = lu[rows, j].copy()
            lu[rows, j] = lu[rows, p]
            lu[rows, p] = top
            d = lu[:, j, j]
            zero = d == 0
            info = xp.where((info == 0) & zero, j + 1, info).astype(np.int32)
            if j + 1 < m:
                lu[:, j + 1:, j] = xp.where(zero[:, None], lu[:, j + 1:, j], lu[:, j + 1:, j] / d[:, None])
                if j + 1 < n:
                    lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    batch = shape[:-2]
    return lu.reshape(shape), piv.reshape(batch + (k,)), info.reshape(batch)


def permutation(piv, m):
    """The row order `perm` (..., m) that the pivots (..., k) apply: A[perm] = L U, i.e. P[perm[i], i] = 1."""
    if piv.shape[-1] > m or (piv.size and bool(((piv < 1) | (piv > m)).any())):
        raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you properly "
                           "pass the result of lu_factor?")
    run = getattr(kernels_of(piv), "lu_permutation", None)
    return run(piv, m) if run is not None else permutation_xp(piv, m)


def permutation_xp(piv, m):
    """permutation on the array module, one swap per pivot, vectorised over the batch."""
    xp = xp_of(piv)
    batch = piv.shape[:-1]
    count = math.prod(batch)
    perm = xp.broadcast_to(xp.arange(m), batch + (m,)).reshape((count, m)).copy()
    flat = piv.reshape((count, piv.shape[-1])).astype(np.int64) - 1
    rows = xp.arange(perm.shape[0])
    for j in range(flat.shape[1]):
        p = flat[:, j]
        top = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p]
        perm[rows, p] = top
    return perm.reshape(batch + (m,))


def permutation_matrix(perm, dtype):
    """P (..., m, m) with P[perm[i], i] = 1, so that A = P L U."""
    xp = xp_of(perm)
    m = perm.shape[-1]
    return (perm[..., None, :] == xp.arange(m)[:, None]).astype(dtype)
