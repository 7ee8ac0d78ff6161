"""matmul through BLAS (NumPy), and matmul_blocked, a cache-blocked numba kernel that BLAS outruns everywhere;
blas_gemm, NumPy's own BLAS gemm as a function numba kernels call (the recurrent layers' per-step product)."""
import ctypes
import glob
import os

import numpy as np

from ._jit import _F32, _F64, check, jit, nd, prange, twins
from ._threads import blas_for

BM, BK, BN = 64, 128, 256  # rows of a per parallel task; a (BK, BN) block of b stays in L2, BN of a c row in L1
PAR_MIN = 1 << 27  # m*k*n from which a parallel call's wait (see _jit.PAR_MIN) is small beside the product


@jit
def _panel4(a, b, c, i, k0, k1, j0, j1):  # c[i:i+4, j0:j1] += a[i:i+4, k0:k1] @ b[k0:k1, j0:j1]
    c0, c1, c2, c3 = c[i, j0:j1], c[i + 1, j0:j1], c[i + 2, j0:j1], c[i + 3, j0:j1]  # slices: loops from 0 vectorize
    for p in range(k0, k1):
        a0, a1, a2, a3, bp = a[i, p], a[i + 1, p], a[i + 2, p], a[i + 3, p], b[p, j0:j1]
        for j in range(j1 - j0):
            c0[j] += a0 * bp[j]
            c1[j] += a1 * bp[j]
            c2[j] += a2 * bp[j]
            c3[j] += a3 * bp[j]


@jit
def _panel1(a, b, c, i, k0, k1, j0, j1):  # c[i, j0:j1] += a[i, k0:k1] @ b[k0:k1, j0:j1]
    ci = c[i, j0:j1]
    for p in range(k0, k1):
        aip, bp = a[i, p], b[p, j0:j1]
        for j in range(j1 - j0):
            ci[j] += aip * bp[j]


@twins(PAR_MIN, loop=lambda a, *_: -(-a.shape[0] // BM))
def _blocked(a, b, c):  # c += a @ b
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    for ib in prange((m + BM - 1) // BM):
        i0, i1 = ib * BM, min(ib * BM + BM, m)
        for k0 in range(0, k, BK):
            for j0 in range(0, n, BN):
                k1, j1 = min(k0 + BK, k), min(j0 + BN, n)
                for i in range(i0, i1 - 3, 4):
                    _panel4(a, b, c, i, k0, k1, j0, j1)
                for i in range(i1 - (i1 - i0) % 4, i1):
                    _panel1(a, b, c, i, k0, k1, j0, j1)


def _shapes(op, a, b):
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"{op}: cannot multiply shapes {a.shape} @ {b.shape}")


def matmul_blocked(a, b):
    """a @ b for 2-D a (m, k) and b (k, n), by the cache-blocked numba kernel."""
    a, b = check("matmul_blocked", a, b)
    _shapes("matmul_blocked", a, b)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"matmul_blocked: expected 2-D operands, got shapes {a.shape} @ {b.shape}")
    c = np.zeros((a.shape[0], b.shape[1]), a.dtype)
    work = c.size * a.shape[1] if a.shape[0] > BM else 0  # parallel tasks are blocks of BM rows
    _blocked.pick(work)(np.ascontiguousarray(a), np.ascontiguousarray(b), c)
    return c


def _np_matmul(a, b):
    try:
        return nd(np.matmul(a, b))
    except ValueError as e:  # batch shapes that do not broadcast
        raise ValueError(f"matmul: cannot multiply shapes {a.shape} @ {b.shape} ({e})") from None


PATHS = {"matmul": {"numba": matmul_blocked, "numpy": np.dot}}
DOT_MAX_OUT = 1 << 15       # output elements from which 2-D products run np.matmul instead of np.dot


def matmul(a, b):
    """a @ b: 2-D (m, k) @ (k, n), or batched (..., m, k) @ (..., k, n) and 1-D operands as np.matmul."""
    dt = getattr(a, "dtype", None)
    if not (type(a) is type(b) is np.ndarray and (dt is _F32 or dt is _F64) and b.dtype is dt):
        a, b = check("matmul", a, b)            # (the hot path above: two ndarrays of one kernel dtype)
    if a.ndim == 2 == b.ndim and a.shape[1] == b.shape[0]:
        # BLAS, never matmul_blocked (never faster). np.dot's call overhead is lower than np.matmul's (and than a
        # numba call plus its output allocation), but np.dot zeroes its output before BLAS overwrites it: hence
        # np.matmul for large outputs (RESULTS.md, Kernel design notes: matmul).
        out = a.shape[0] * b.shape[1]
        blas_for(out * a.shape[1])
        return np.dot(a, b) if out < DOT_MAX_OUT else np.matmul(a, b)
    _shapes("matmul", a, b)
    blas_for(a.size * (b.shape[-1] if b.ndim > 1 else 1))      # a bound on the batched product's work
    return _np_matmul(a, b)


# NumPy's bundled OpenBLAS (its wheels; ILP64, symbols with a suffix) or an LP64 one: (symbol prefix, suffix, int)
_CBLAS_NAMES = (("scipy_cblas_", "64_", ctypes.c_int64), ("cblas_", "64_", ctypes.c_int64),
                ("scipy_cblas_", "", ctypes.c_int32), ("cblas_", "", ctypes.c_int32))
_gemms = None


def _numpy_blas_libraries():
    here = os.path.dirname(np.__file__)         # wheels: numpy.libs beside it (Linux, Windows), numpy/.dylibs (macOS)
    pattern = ("*openblas*.so*", "*openblas*.dylib", "*openblas*.dll")
    return [p for d in (os.path.join(here, os.pardir, "numpy.libs"), os.path.join(here, ".dylibs"))
            for pat in pattern for p in sorted(glob.glob(os.path.join(d, pat)))]


def _find_gemms():
    """{float32: cblas_sgemm, float64: cblas_dgemm} of the BLAS NumPy itself loaded, as ctypes functions, or {}."""
    for path in _numpy_blas_libraries():
        try:
            lib = ctypes.CDLL(path)             # already loaded by NumPy: the same library, not a second copy
        except OSError:
            continue
        for prefix, suffix, int_t in _CBLAS_NAMES:
            found = {}
            for dt, letter, real in ((np.dtype(np.float32), "s", ctypes.c_float),
                                     (np.dtype(np.float64), "d", ctypes.c_double)):
                fn = getattr(lib, f"{prefix}{letter}gemm{suffix}", None)
                if fn is None:
                    break
                fn.argtypes = [ctypes.c_int] * 3 + [int_t] * 3 + [real, ctypes.c_void_p, int_t, ctypes.c_void_p,
                                                                   int_t, real, ctypes.c_void_p, int_t]
                fn.restype = None
                found[dt] = fn
            if len(found) == 2:
                return found
    return {}


def blas_gemm(dtype):
    """NumPy's BLAS cblas_?gemm for float32 or float64 as a ctypes function that numba kernels take as an argument
    (row-major: gemm(101, 111 or 112 (a^T), 111 or 112 (b^T), m, n, k, alpha, a.ctypes.data, lda, b..., ldb,
    beta, c..., ldc)), or None where NumPy's BLAS is not a library found here: the callers' NumPy path runs then.
    It skips np.dot's per-call cost (about a third of a (20, 200) @ (200, 800) product) and adds into c (beta).

    Example: ``gemm = blas_gemm(np.float32)``, then in a numba kernel ``gemm(101, 111, 111, m, n, k, np.float32(1),
    a.ctypes.data, k, b.ctypes.data, n, np.float32(0), c.ctypes.data, n)`` for c = a @ b."""
    global _gemms
    if _gemms is None:
        _gemms = _find_gemms()
    return _gemms.get(np.dtype(dtype))
