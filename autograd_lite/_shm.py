"""Arrays in POSIX shared memory (named blocks under /dev/shm), below Tensor: imports nothing of the library.

Two kinds of blocks:
- one-shot (`write_once` / `map_once`): a DataLoader worker writes a batch, the main process maps it and
  unlinks the name at once;
- owned (`share_memory_`, `map_shared`): what ``Tensor.share_memory_()`` moves a tensor's data into and what
  autograd_lite.multiprocessing sends by name. Such a block starts with a reference count (mappings plus
  messages in flight: `describe` counts one for the message, the receiver's mapping takes it over), changed
  under an flock; the process that drops it to zero unlinks the name, and at exit every process drops the
  references it holds, so no /dev/shm entry outlives the last process using it.
"""
import itertools
import mmap
import os
import sys
import weakref

import numpy as np

try:
    import _posixshmem
    import fcntl
except ImportError:                 # not POSIX: no shared memory
    _posixshmem = fcntl = None

HEADER = 64                         # the reference count (int64) then padding: data stays 64-byte aligned
_NO_FD = {"trackfd": False} if sys.version_info >= (3, 13) else {}     # before 3.13 each mapping keeps an fd
_counter = itertools.count()


def _new_name(tag):
    return f"/al_{tag}_{os.getpid()}_{next(_counter)}"


def _require():
    if _posixshmem is None:
        raise RuntimeError("shared memory is not available on this platform (no POSIX shm_open)")


# ---- one-shot blocks (DataLoader batches) --------------------------------------------------------------------
def write_once(array):
    """The name of a new block holding a copy of `array` (C-contiguous, at least 1 byte), for `map_once`."""
    name = _new_name("dl")
    fd = _posixshmem.shm_open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600)
    try:
        os.ftruncate(fd, array.nbytes)
        with mmap.mmap(fd, array.nbytes) as block:
            np.frombuffer(block, array.dtype, array.size).reshape(array.shape)[...] = array
    except BaseException:
        _posixshmem.shm_unlink(name)
        raise
    finally:
        os.close(fd)
    return name


def map_once(name, shape, dtype):
    """The array in block `name` (from `write_once`), mapped; the name is unlinked at once."""
    fd = _posixshmem.shm_open(name, os.O_RDWR, mode=0o600)
    try:
        _posixshmem.shm_unlink(name)
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        block = mmap.mmap(fd, size)
    finally:
        os.close(fd)
    return np.frombuffer(block, dtype, int(np.prod(shape))).reshape(shape)


# ---- owned, reference-counted blocks (share_memory_, multiprocessing) ------------------------------------------
class _Block(mmap.mmap):
    """A mapping of an owned block; `name`, `addr` (of its first byte), `finalizer` (drops its reference)."""


_held = weakref.WeakSet()           # this process's mappings (released at exit)
_exit_hook_pid = None


def _adjust(name, delta, fd=None):
    """Adds `delta` to block `name`'s reference count, under an exclusive flock; the new count. At zero the name is
    unlinked (the mappings stay valid until they are dropped)."""
    own = fd is None
    if own:
        fd = _posixshmem.shm_open(name, os.O_RDWR, mode=0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with mmap.mmap(fd, HEADER) as head:
            count = int.from_bytes(head[:8], "little") + delta
            head[:8] = count.to_bytes(8, "little")
        if count <= 0:
            _posixshmem.shm_unlink(name)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        if own:
            os.close(fd)
    return count


def _release(name, pid):
    """Drops one reference (a mapping dies, or its process exits); the last one unlinks the name."""
    if os.getpid() == pid:          # else a forked child's copy of its parent's mapping: the parent's reference
        try:
            _adjust(name, -1)
        except FileNotFoundError:   # unlinked by hand
            pass


def _release_all():
    for block in list(_held):
        block.finalizer()


def _map(name, fd, size):
    """Maps block `name` (open as `fd`, which the caller closes), holding one reference that is dropped when the
    mapping dies or this process exits."""
    global _exit_hook_pid
    block = _Block(fd, size, **_NO_FD)
    block.name = name
    block.addr = np.frombuffer(block, np.uint8, 1).ctypes.data
    block.finalizer = weakref.finalize(block, _release, name, os.getpid())
    _held.add(block)
    if _exit_hook_pid != os.getpid():           # each process (forked children too) releases at its exit, after
        from multiprocessing import util        # its queues' feeder threads have flushed (exitpriority -5)
        util.Finalize(None, _release_all, exitpriority=-100)
        _exit_hook_pid = os.getpid()
    return block


def block_of(array):
    """The owned block under `array` (a NumPy array), or None."""
    while array is not None:
        if isinstance(array, _Block):
            return array
        array = array.obj if isinstance(array, memoryview) else getattr(array, "base", None)
    return None


def new_shared(array):
    """A copy of `array` (NumPy) in a new owned block: same shape and dtype, C-contiguous."""
    _require()
    name = _new_name("sh")
    fd = _posixshmem.shm_open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600)
    try:
        os.ftruncate(fd, HEADER + max(array.nbytes, 1))
        _adjust(name, 1, fd)
        block = _map(name, fd, HEADER + max(array.nbytes, 1))
    except BaseException:
        _posixshmem.shm_unlink(name)
        raise
    finally:
        os.close(fd)
    out = np.ndarray(array.shape, array.dtype, buffer=np.frombuffer(block, np.uint8), offset=HEADER)
    out[...] = array
    return out


def describe(array):
    """What `map_shared` needs to map `array` (in an owned block) in another process; counts one reference for the
    message in flight, which the receiver's mapping takes over."""
    block = block_of(array)
    _adjust(block.name, 1)
    offset = array.__array_interface__["data"][0] - block.addr
    return block.name, len(block), offset, array.shape, array.strides, array.dtype.str


def map_shared(name, size, offset, shape, strides, dtype):
    """The array that `describe` described, mapped (no copy: writes are seen by every process mapping it)."""
    fd = _posixshmem.shm_open(name, os.O_RDWR, mode=0o600)
    try:
        block = _map(name, fd, size)
    finally:
        os.close(fd)
    return np.ndarray(shape, dtype, buffer=np.frombuffer(block, np.uint8), offset=offset, strides=strides)


# ---- the Tensor methods (tensor.py attaches them) ------------------------------------------------------------
def share_memory_(self):
    """Moves this tensor's data into shared memory (a named POSIX block), in place: values, identity,
    ``requires_grad`` and class stay; its ``.grad`` is not moved. A no-op if already shared, and on CUDA
    tensors (torch shares those through CUDA IPC when they are sent). Returns self.

    Tensors sent to another process (autograd_lite.multiprocessing: Process arguments, Queue.put) are
    rebuilt there over the same memory: writes on either side are seen by the other.

    Example::

        >>> w = autograd_lite.zeros(3).share_memory_()
        >>> w.is_shared()
        True
    """
    data = self._data
    if type(data) is np.ndarray and block_of(data) is None:
        self._data = new_shared(data)
    return self


def is_shared(self):
    """True if this tensor's data is in shared memory (``share_memory_``, or received from another process);
    CUDA tensors count as shared, as torch's."""
    data = self._data
    return type(data) is not np.ndarray or block_of(data) is not None
