"""Which threads run a Twins' parallel kernel: numba's threading layer, and what each layer can take.

The layer is numba's default choice, tbb, else omp, else workqueue, or the user's NUMBA_THREADING_LAYER.
tbb (the `tbb` extra) takes concurrent callers and forked children; GNU OpenMP aborts a forked child that runs a
parallel loop once its parent has launched it; workqueue aborts when two threads run parallel loops at once. So
pip's libtbb is loaded where numba would miss it, and a Parallel kernel runs as it is, except: in a child forked
from an omp process, serially; under workqueue, while another thread runs one, serially.
"""
import contextlib
import ctypes
import os
import site
import sys
import threading

import numba


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


class Parallel:
    """A parallel numba kernel run as the threading layer allows, else its serial twin; other attributes are the
    numba kernel's."""

    def __init__(self, kernel, serial):
        self.kernel, self.serial = kernel, serial

    def __call__(self, *args):
        mode = _mode or _launch()
        if mode == "parallel":
            return self.kernel(*args)
        lock = _alone
        if mode == "alone" and lock.acquire(blocking=False):
            try:
                return self.kernel(*args)
            finally:
                lock.release()
        return self.serial(*args)

    def __getattr__(self, name):
        return getattr(self.kernel, name)
