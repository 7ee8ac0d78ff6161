"""Numba decorators of the CPU kernels, their cache directory, and the array plumbing they share.

Numba caches next to the source file by default, which fails on a read-only install; the cache goes to
NUMBA_CACHE_DIR if set, else $XDG_CACHE_HOME/autograd_lite/numba (or ~/.cache/autograd_lite/numba), in a
subfolder named by a digest of the kernel sources (see _sources_digest). This sets numba.config.CACHE_DIR
for the whole process, before any kernel is decorated (numba picks a kernel's cache locator at
decoration time). Kernels are compiled lazily, on their first call: nothing compiles at import.
"""
import contextlib
import hashlib
import math
import os
import types

import numba
import numpy as np

from ._threads import Parallel


def _user_cache_dir():
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = xdg if os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "autograd_lite", "numba")


def _sources_digest(folder=None):
    """A digest of this package's kernel sources. numba keys a cached kernel by its own file's timestamp, not by
    the helpers it inlines from other files (_fastmath's intrinsics, _rowmax), so each version of the sources
    caches into a folder of its own: an edit or an upgrade never loads a stale kernel."""
    digest = hashlib.sha1()
    here = folder or os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(here)):
        if name.endswith(".py"):
            with open(os.path.join(here, name), "rb") as f:
                digest.update(name.encode() + b"\0" + f.read())
    return digest.hexdigest()[:16]


numba.config.CACHE_DIR = os.path.join(os.environ.get("NUMBA_CACHE_DIR") or _user_cache_dir(), _sources_digest())

# No 'nnan'/'ninf'/'afn': NaN and inf must survive; error_model='numpy': x/0 gives inf, not an error.
_OPTS = dict(cache=True, error_model="numpy", fastmath={"reassoc", "contract", "nsz", "arcp"})
jit = numba.njit(**_OPTS)
pjit = numba.njit(parallel=True, **_OPTS)
prange = numba.prange

# Elements from which a Twins kernel (below) runs its parallel loop. A parallel call first waits for the other core,
# busy (OpenBLAS's worker spins a while after every matmul) or asleep: hence 16M, or 256K when OpenBLAS's workers
# sleep at once (OPENBLAS_THREAD_TIMEOUT <= 10, set before NumPy loads). RESULTS.md, Kernel design notes: _jit.
def _blas_workers_sleep():
    try:
        return int(os.environ.get("OPENBLAS_THREAD_TIMEOUT", "")) <= 10
    except ValueError:
        return False


PAR_MIN = 1 << 18 if _blas_workers_sleep() else 1 << 24


class Twins:
    """A kernel whose loops use prange, compiled twice: serially (prange runs as range) and in
    parallel. Calling it runs the parallel one when the last argument (the output) has at least
    par_min elements. The parallel one is compiled from a renamed copy of fn: numba's cache keys
    a kernel by qualified name and bytecode, not by options, so jitting fn itself twice would make
    both share, and overwrite, one cache entry. pick(size) chooses by another measure of size. However it is
    called, parallel runs as the threading layer allows (see _threads). loop(*args): the iterations of fn's
    outer prange, which the parallel one deals out in chunks (_threads.Parallel)."""

    def __init__(self, fn, par_min, loop):
        par = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_par", fn.__defaults__, fn.__closure__)
        par.__qualname__ = fn.__qualname__ + "_par"
        self.serial, self.par_min = jit(fn), par_min
        self.parallel = Parallel(pjit(par), self.serial, loop)
        Twins.all.append(self)

    all = []

    def pick(self, size):
        """The kernel to run for a problem of this size."""
        return self.parallel if size >= self.par_min else self.serial

    def __call__(self, *args):
        return self.pick(args[-1].size)(*args)


def twins(par_min, loop):
    """Decorator: Twins(fn, par_min, loop), e.g. ``@twins(PAR_MIN, loop=lambda x, out: out.size)``."""
    return lambda fn: Twins(fn, par_min, loop)


@contextlib.contextmanager
def forced(parallel):
    """Within it, every Twins runs its parallel (True: even at one thread or on a busy machine, as the threading
    layer allows) or serial (False) kernel: for tests and benchmarks."""
    saved = [t.par_min for t in Twins.all], Parallel.forced
    for t in Twins.all:
        t.par_min = 0 if parallel else math.inf
    Parallel.forced = bool(parallel)
    try:
        yield
    finally:
        for t, p in zip(Twins.all, saved[0]):
            t.par_min = p
        Parallel.forced = saved[1]


FLOATS = _F32, _F64 = (np.dtype(np.float32), np.dtype(np.float64))
_ND = np.ndarray


def check(op, *xs):
    """xs as ndarrays; TypeError unless they share one float32/float64 dtype."""
    x = xs[0]
    if type(x) is _ND:                      # the hot path: ndarrays of one kernel dtype, as they come
        dt = x.dtype
        if dt is _F32 or dt is _F64:
            for x in xs:
                if type(x) is not _ND or x.dtype is not dt:
                    break
            else:
                return xs
    xs = [np.asarray(x) for x in xs]
    dt = xs[0].dtype
    for x in xs:
        if x.dtype != dt or dt not in FLOATS:
            raise TypeError(f"{op}: expected float32 or float64 arrays of one dtype, got {_desc(xs)}")
    return xs


def same_shape(op, *xs):
    """check(), plus ValueError unless they share one shape."""
    xs = check(op, *xs)
    if len(xs) > 1:
        shape = xs[0].shape
        for x in xs:
            if x.shape != shape:
                raise ValueError(f"{op}: shapes must match, got {_desc(xs)}")
    return xs


def _desc(xs):
    return ", ".join(f"{x.dtype}{list(x.shape)}" for x in xs)


def nd(r):
    """r as an ndarray: NumPy returns scalars, not 0-d arrays, from ufuncs and reductions on 0-d input."""
    return r if type(r) is np.ndarray else np.asarray(r)


def rows(x):
    """C-contiguous 2-D view (prod(leading), last) of x, ndim >= 1 (a copy only when x is not C-contiguous)."""
    n = x.shape[-1]
    if n and x.flags.c_contiguous:
        return x.reshape(-1, n)
    return np.ascontiguousarray(x).reshape(math.prod(x.shape[:-1]), n)


def elementwise(kernel, x, y=None):
    """A new C-contiguous array of x's shape and dtype, filled by kernel(x, [y,] out), all raveled (a view when
    C-contiguous, else a C-order copy). kernel: a Twins, serial or parallel by size."""
    out = np.empty(x.shape, x.dtype)
    run = kernel.pick(x.size)
    if y is None:
        run(x.ravel(), out.ravel())
    else:
        run(x.ravel(), y.ravel(), out.ravel())
    return out
