"""Small top-level names of torch's: set_anomaly_enabled, empty_permuted, from_file, the device-generic Event and
Stream (as torch's CPU build has them), and the sym_* helpers on plain numbers (autograd_lite has no symbolic
shapes: SymInt / SymFloat / SymBool are the classes isinstance checks test against, and no value is one)."""
import builtins
import math
import os

import numpy as np

from . import _dtype
from .autograd import anomaly_mode
from .backend import device as _device
from .creation import _finish, _new_shape

__all__ = ["set_anomaly_enabled", "empty_permuted", "from_file", "Event", "Stream", "SymInt", "SymFloat", "SymBool",
           "sym_int", "sym_float", "sym_max", "sym_min", "sym_not", "sym_ite", "sym_sqrt", "sym_sum"]


def set_anomaly_enabled(enabled, check_nan=True):
    """Turns anomaly detection on or off, as ``torch.autograd.set_detect_anomaly(enabled, check_nan)`` called as a
    function.

    Example: ``torch.set_anomaly_enabled(True); torch.is_anomaly_enabled()`` is True."""
    anomaly_mode._set(enabled, check_nan)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """An uninitialised dense tensor of `size` whose dims lie in memory in the order `physical_layout` (outermost
    first): ``t.stride(physical_layout[i])`` is the i-th contiguous stride, as torch's.

    Example: ``torch.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1)).stride()`` is (60, 1, 15, 3) (channels last)."""
    shape, order = _new_shape((size,), "empty_permuted"), tuple(physical_layout)
    if len(shape) != len(order):
        raise RuntimeError("Number of dimensions in size does not match the length of the physical_layout; i.e. "
                           f"len(size) = {len(shape)} is not equal to len(physical_layout) = {len(order)}")
    seen = set()
    for i, d in enumerate(order):
        if not 0 <= d < len(shape):
            raise RuntimeError(f"Dimension out of range (expected to be between 0 and {len(shape) - 1}, but got {d} "
                               f"at index {i}).  NB: negative dims not currently supported; file an issue if you "
                               "want it.")
        if d in seen:
            raise RuntimeError("Duplicate dim not allowed")
        seen.add(d)
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    array = np.empty([shape[d] for d in order], dt.np).transpose(np.argsort(order))
    return _finish(array, dt, device, requires_grad)


def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None, pin_memory=False):
    """A CPU tensor of `size` elements mapped from the file: with shared=True the map is the file's (writes reach it;
    the file is made or extended as needed), otherwise a private copy-on-write map, as torch's.

    Example: ``np.arange(6, dtype=np.float32).tofile("x.bin"); torch.from_file("x.bin", size=6)``"""
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if device is not None and _device(device).type != "cpu":
        raise RuntimeError("from_file: only CPU tensors can be mapped to files")
    filename, shared = os.fspath(filename), bool(shared)
    nbytes = size * dt.np.itemsize
    mode = "read-write" if shared else "read-only"
    try:
        fd = os.open(filename, (os.O_RDWR | os.O_CREAT) if shared else os.O_RDONLY, 0o666)
    except OSError as e:
        raise RuntimeError(f"unable to open file <{filename}> in {mode} mode: {e.strerror} ({e.errno})") from None
    try:
        have = os.fstat(fd).st_size
        if have < nbytes:
            if not shared:
                raise RuntimeError(f"file <{filename}> size <{have}> is smaller than the required mapping size "
                                   f"<{nbytes}>")
            os.ftruncate(fd, nbytes)            # (torch extends a shared file to the mapping's size)
    finally:
        os.close(fd)
    if size == 0:
        return _finish(np.empty(0, dt.np), dt, None, False)
    array = np.memmap(filename, dtype=dt.np, mode="r+" if shared else "c", shape=(size,))
    return _finish(np.asarray(array), dt, None, False)


# ---- torch.Event / torch.Stream: the device-generic ones, on the CPU as torch's CPU build (no events there)

def _generic_device(device):
    dev = _device("cpu" if device is None else device)
    if dev.type == "cuda":                  # (CuPy's default stream runs everything; no events are made)
        raise RuntimeError("torch.Event / torch.Stream on cuda: autograd_lite has no CUDA streams or events; use "
                           "torch.cuda.synchronize()")
    if dev.type != "cpu":
        raise RuntimeError(f"PyTorch is not linked with support for {dev.type} devices")
    return dev


_NO_EVENTS = "cpu backend doesn't support events."


class Event:
    """torch.Event(device=None, *, enable_timing=False, blocking=False, interprocess=False): on the CPU (the only
    device here, as on torch's CPU build) it is always complete; record() raises, as torch's.

    Example: ``torch.Event().query()`` is True."""

    def __init__(self, device=None, *, enable_timing=False, blocking=False, interprocess=False):
        self.device = _generic_device(device)
        self.event_id = 0
        self._timing = bool(enable_timing)

    def record(self, stream=None):
        raise RuntimeError(_NO_EVENTS)

    def query(self):
        return True

    def synchronize(self):
        pass

    def wait(self, stream=None):
        pass

    def elapsed_time(self, end_event):
        if not (self._timing and end_event._timing):
            raise ValueError("Both events must be created with argument 'enable_timing=True'.")
        raise RuntimeError(_NO_EVENTS)

    def __repr__(self):
        return f"torch.Event device_type={self.device.type}, device_index=-1, event_flag=0, event_id=0"


class Stream:
    """torch.Stream(device=None, *, priority=0): the CPU's one stream, as torch's CPU build has it (work runs in
    order at once; recording an event raises).

    Example: ``with torch.Stream(): ...``"""

    def __init__(self, device=None, *, priority=0):
        self.device = _generic_device(device)
        self.device_index, self.device_type, self.stream_id = -1, 0, 0

    def query(self):
        return True

    def synchronize(self):
        pass

    def record_event(self, event=None):
        raise RuntimeError(_NO_EVENTS)

    def wait_event(self, event):
        pass

    def wait_stream(self, stream):
        raise RuntimeError(_NO_EVENTS)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, Stream) and (self.device, self.stream_id) == (other.device, other.stream_id)

    def __hash__(self):
        return hash((self.device.type, self.stream_id))

    def __repr__(self):
        return f"torch.Stream device_type={self.device.type}, device_index=-1, stream_id=0"


# ---- symbolic numbers: none here, so the sym_* helpers act on plain numbers (and 0-dim tensors) as torch's do

class _NoSymbolic:
    def __init__(self, node):
        raise RuntimeError(f"{type(self).__name__}: autograd_lite has no symbolic shapes (torch.compile / export "
                           "make these); sizes are plain ints")


class SymInt(_NoSymbolic):
    """torch.SymInt's name, for ``isinstance(x, torch.SymInt)`` checks: no value here is one (sizes are ints)."""


class SymFloat(_NoSymbolic):
    """torch.SymFloat's name, for isinstance checks: no value here is one."""


class SymBool(_NoSymbolic):
    """torch.SymBool's name, for isinstance checks: no value here is one."""


def sym_int(a):
    """int(a), as torch.sym_int on a number. Example: ``torch.sym_int(2.7)`` is 2."""
    return builtins.int(a)


def sym_float(a):
    """float(a), as torch.sym_float on a number. Example: ``torch.sym_float(2)`` is 2.0."""
    return builtins.float(a)


def sym_not(a):
    """not a, as torch.sym_not on a bool. Example: ``torch.sym_not(True)`` is False."""
    return not a


_NUMBERS, _FLOATS = (np.integer, np.floating, builtins.int, builtins.float), (np.floating, builtins.float)


def _sym_extreme(fn, a, b):
    for v in (a, b):
        if not isinstance(v, _NUMBERS):
            raise AssertionError(f"expected {_NUMBERS}, got {type(v)}")
    return builtins.float(fn(a, b)) if isinstance(a, _FLOATS) or isinstance(b, _FLOATS) else fn(a, b)


def sym_max(a, b):
    """max of two numbers, float if either is, as torch.sym_max. Example: ``torch.sym_max(1, 2.0)`` is 2.0."""
    return _sym_extreme(builtins.max, a, b)


def sym_min(a, b):
    """min of two numbers, float if either is, as torch.sym_min. Example: ``torch.sym_min(1, 2.0)`` is 1.0."""
    return _sym_extreme(builtins.min, a, b)


def sym_ite(b, t, f):
    """``t if b else f``, as torch.sym_ite (b a bool, t and f of one type). Example: ``torch.sym_ite(True, 1, 2)``."""
    if not isinstance(b, builtins.bool):
        raise AssertionError(f"expected SymBool or bool, got {type(b)}")
    if type(t) is not type(f):
        raise AssertionError(f"type mismatch: {type(t)} vs {type(f)}")
    return t if b else f


def sym_sqrt(a):
    """math.sqrt(a), as torch.sym_sqrt. Example: ``torch.sym_sqrt(4)`` is 2.0."""
    return math.sqrt(a)


def sym_sum(*args):
    """sum(args), as torch.sym_sum (one sequence or several arguments). Example: ``torch.sym_sum([1, 2, 3])``."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = args[0]
    return builtins.sum(args)
