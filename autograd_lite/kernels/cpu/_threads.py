"""The library's thread policy: how many threads its work may use, and which run a parallel kernel.

One count, `get_num_threads()` (OMP_NUM_THREADS, else the cores this process may run on; `set_num_threads(n)`),
bounds both numba's parallel kernels and BLAS, and runs them one after the other, never side by side. A parallel
call uses `threads_now()` threads: that count capped at the cores other processes left free over the last quarter
second, since a parallel call waits for its slowest thread and a thread that shares its core with other work is
many times slower (RESULTS.md, Thread policy). BLAS runs a product on one thread below BLAS_PAR_MIN multiply-adds
(`blas_for(work)`), where more threads gain nothing; it is sized through threadpoolctl (the `threads` extra), and
without it keeps its own setting.

Numba's threading layer is numba's default choice, tbb, else omp, else workqueue, or the user's
NUMBA_THREADING_LAYER. tbb (the `tbb` extra) takes concurrent callers and forked children; GNU OpenMP aborts a
forked child that runs a parallel loop once its parent has launched it; workqueue aborts when two threads run
parallel loops at once. So pip's libtbb is loaded where numba would miss it, and a Parallel kernel runs as it is,
except: with one thread allowed, serially; in a child forked from an omp process, serially; under workqueue, while
another thread runs one, serially.
"""
import contextlib
import ctypes
import numbers
import os
import site
import sys
import threading
import time

import numba

BLAS_PAR_MIN = 1 << 22      # multiply-adds from which a product runs on several BLAS threads


def _cpu_ids():
    """The CPUs this process may run on."""
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)


def _cores():
    return len(_cpu_ids())


def _from_environment():
    """OMP_NUM_THREADS, as PyTorch honours it, else the cores this process may run on."""
    try:
        n = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        return _cores()
    return n if n >= 1 else _cores()


_threads = _from_environment()
_applied = threading.local()    # numba's count is per thread: applied in each thread before its first parallel call


def get_num_threads():
    """The number of threads autograd_lite's work may use: numba's parallel kernels and large BLAS products.

    Example: ``autograd_lite.get_num_threads()`` is the machine's cores unless OMP_NUM_THREADS or set_num_threads
    said otherwise."""
    return _threads


def set_num_threads(n):
    """Sets the number of threads autograd_lite's parallel kernels and large BLAS products may use (PyTorch's
    ``torch.set_num_threads``); 1 runs everything serially.

    Example: ``autograd_lite.set_num_threads(1)`` on a machine shared with other work."""
    global _threads
    _threads = _positive("set_num_threads", n)
    _blas.now = None                    # resized on the next product


def _positive(op, n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise RuntimeError(f"{op} expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"{op} expects a positive integer")
    return int(n)


_interop = None     # the count set_num_interop_threads recorded; None: never set


def get_num_interop_threads():
    """PyTorch's count of threads for running independent ops at once. autograd_lite runs every op in the calling
    thread (parallelism is inside the kernels, get_num_threads()), so this is only the number set, else
    get_num_threads(); PyTorch scripts that set it run unchanged.

    Example: ``autograd_lite.get_num_interop_threads()``."""
    return _threads if _interop is None else _interop


def set_num_interop_threads(n):
    """Records PyTorch's inter-op thread count, with PyTorch's rules: a positive int, set at most once. No work of
    autograd_lite's runs ops side by side, so it changes no speed (see get_num_interop_threads).

    Example: ``autograd_lite.set_num_interop_threads(1)``."""
    global _interop
    n = _positive("set_num_interop_threads", n)
    if _interop is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                           "set_num_interop_threads called")
    _interop = n


class _FreeCores:
    """How many of this process's cores other processes leave free, from the kernel's per-CPU counters over the last
    WINDOW seconds (Linux's /proc/stat; elsewhere every core counts as free). A parallel call on a busy machine waits
    for its slowest thread, which shares a core with the other work: so work runs on the free cores only.

    Our own threads (BLAS's spinning workers included) are subtracted through os.times(), so going serial does not
    make the machine look free, nor our own threads make it look busy."""
    WINDOW = 0.25

    def __init__(self):
        self.cpus = {f"cpu{c}".encode() for c in _cpu_ids()}
        self.tick = os.sysconf("SC_CLK_TCK")
        self.last = None            # (time, machine busy seconds, our cpu seconds)

    def _sample(self):
        busy = 0
        with open("/proc/stat", "rb") as f:
            for line in f:
                if not line.startswith(b"cpu"):
                    break
                fields = line.split()
                if fields[0] in self.cpus:  # user nice system idle iowait irq softirq steal
                    v = [int(x) for x in fields[1:9]]
                    busy += v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
        t = os.times()
        return time.monotonic(), busy / self.tick, t.user + t.system

    def __call__(self):
        """The free cores since the last call (None on the first, or where the counters cannot be read)."""
        try:
            sample = self._sample()
        except (OSError, ValueError):
            return None
        last, self.last = self.last, sample
        if last is None or sample[0] <= last[0]:
            return None
        others = max(0.0, (sample[1] - last[1]) - (sample[2] - last[2])) / (sample[0] - last[0])
        return max(1, round(len(self.cpus) - others))


_free_cores = _FreeCores() if os.path.exists("/proc/stat") and hasattr(os, "sysconf") else (lambda: None)
_free, _until = None, 0.0       # the free cores last seen (None: not known), and when to look again


def threads_now():
    """The threads a parallel call may use now: get_num_threads(), capped at the cores other processes left free
    over the last _FreeCores.WINDOW seconds (looked at once per window: a shorter one would read the kernel's
    10 ms ticks as whole cores)."""
    global _free, _until
    if _threads == 1:
        return 1
    t = time.monotonic()
    if t >= _until:
        _free, _until = _free_cores(), t + _FreeCores.WINDOW
    return _threads if _free is None else min(_threads, _free)


def _numba_threads(n):
    """This thread's numba count set to n (capped at the threads numba started with)."""
    n = min(n, numba.config.NUMBA_NUM_THREADS)
    if getattr(_applied, "n", None) != n:
        numba.set_num_threads(n)
        _applied.n = n


class _Blas:
    """BLAS's thread count through threadpoolctl, changed only when a product needs another one."""
    now = None

    def __init__(self):
        self.libs = None

    def use(self, n):
        if self.libs is None:
            try:
                import threadpoolctl
                self.libs = threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers
            except ImportError:
                self.libs = ()
        for lib in self.libs:
            lib.set_num_threads(n)
        self.now = n


_blas = _Blas()


def blas_for(work):
    """Sizes BLAS for a product of `work` multiply-adds: one thread below BLAS_PAR_MIN, else get_num_threads()."""
    n = 1 if work < BLAS_PAR_MIN else threads_now()
    if n != _blas.now:
        _blas.use(n)


def _load_pip_tbb():
    """numba links its tbb layer to libtbb by name, and pip's tbb package puts libtbb in <prefix>/lib (Library/bin
    on Windows), off the loader's path in a virtualenv or a user install: loaded by path first, numba finds it."""
    rel = {"linux": "lib/libtbb.so.12", "darwin": "lib/libtbb.12.dylib", "win32": "Library/bin/tbb12.dll"}
    for base in (sys.prefix, site.getuserbase()):
        path = os.path.join(base, rel.get(sys.platform, ""))
        if os.path.isfile(path):
            with contextlib.suppress(OSError):
                ctypes.CDLL(path)
            return


_load_pip_tbb()
_mode = None  # "parallel", "alone" or "serial"; None until the layer is launched
_alone = threading.Lock()  # held by the thread running a parallel kernel, in mode "alone"


def _launch():
    """Launches the threading layer (numba picks it then) unless a parallel kernel has, and sets the mode by it."""
    global _mode
    numba.get_num_threads()
    _mode = "alone" if numba.threading_layer() == "workqueue" else "parallel"
    return _mode


def _after_fork_in_child():
    global _mode, _alone
    _alone = threading.Lock()  # another thread of the parent may have held it
    with contextlib.suppress(ValueError):  # raised while no layer is launched: the child launches its own
        if numba.threading_layer() == "omp":
            _mode = "serial"


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


CHUNKS_PER_THREAD = 4


class Parallel:
    """A parallel numba kernel run as the threading layer allows, else its serial twin; other attributes are the
    numba kernel's. Its loop's iterations (`loop(*args)`) are dealt out in CHUNKS_PER_THREAD chunks per thread, not
    split in equal shares: a thread that starts late (its core busy, or asleep in a virtual machine) leaves its
    chunks to the others, where an equal share held the whole call up to 100 ms (RESULTS.md, Thread policy)."""

    forced = False      # _jit.forced(True): parallel kernels run at get_num_threads() threads, whatever the load

    def __init__(self, kernel, serial, loop):
        self.kernel, self.serial, self.loop = kernel, serial, loop

    def __call__(self, *args):
        n = _threads if Parallel.forced else threads_now()
        if n == 1 and not Parallel.forced:
            return self.serial(*args)
        mode = _mode or _launch()
        _numba_threads(n)
        if mode == "parallel":
            return self._chunked(n, args)
        lock = _alone
        if mode == "alone" and lock.acquire(blocking=False):
            try:
                return self._chunked(n, args)
            finally:
                lock.release()
        return self.serial(*args)

    def _chunked(self, n, args):
        chunk = max(1, -(-self.loop(*args) // (CHUNKS_PER_THREAD * n)))
        before = numba.set_parallel_chunksize(chunk)
        try:
            return self.kernel(*args)
        finally:
            numba.set_parallel_chunksize(before)     # numba's setting is the thread's: other numba code keeps its own

    def __getattr__(self, name):
        return getattr(self.kernel, name)
