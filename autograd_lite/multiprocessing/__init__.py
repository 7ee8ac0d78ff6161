"""autograd_lite.multiprocessing: Python's multiprocessing, as torch.multiprocessing re-exports it, plus Tensors
that cross processes through shared memory (see reductions) and ``spawn``.

A tensor sent to another process (Process arguments under 'spawn' or 'fork', Queue.put) is moved into a named
POSIX shared-memory block and rebuilt there over the same block: Hogwild training works as torch's::

    import autograd_lite.multiprocessing as mp
    model.share_memory()
    procs = [mp.Process(target=train, args=(model,)) for _ in range(2)]

Sharing strategy: 'file_system' only (named blocks under /dev/shm, each reference-counted and unlinked by the
last process holding it); torch's 'file_descriptor' is not implemented.
"""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from .reductions import init_reductions
from .spawn import (ProcessContext, ProcessException, ProcessExitedException, ProcessRaisedException, spawn,
                    start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies"] + multiprocessing.__all__

_sharing_strategy = "file_system"
_all_sharing_strategies = {"file_system"}


def set_sharing_strategy(new_strategy):
    """Sets how CPU tensors are shared; only 'file_system' (named shared-memory blocks) exists here."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"sharing strategy {new_strategy!r} is not supported: autograd_lite implements "
                             "'file_system' only")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    """The current strategy for sharing CPU tensors: 'file_system'."""
    return _sharing_strategy


def get_all_sharing_strategies():
    """The strategies this system supports: {'file_system'}."""
    return set(_all_sharing_strategies)


init_reductions()
