"""Devices and backends: one Backend per device type holds its array module and kernel table, so
an op is written once against `be.xp` (numpy or cupy) and `be.kernels`."""
import contextlib
import functools
import importlib

import numpy as np

__all__ = ["device", "Backend", "backend_of", "get_backend", "array_types"]


# PyTorch's other device types: a script written for one of them is told that this library lacks it
_TORCH_DEVICE_TYPES = ("ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla", "lazy",
                       "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:
    """A device, e.g. ``device('cpu')``; ``str(device)`` is ``'cpu'``."""
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if isinstance(type, str) and ":" in type:
            spec, (type, idx) = type, type.split(":", 1)
            if not (idx.isascii() and idx.isdigit()):
                raise RuntimeError(f"Invalid device string: '{spec}'")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            if type in _TORCH_DEVICE_TYPES:
                raise RuntimeError(f"autograd_lite has no support for {type} devices: it runs on cpu and cuda")
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = type, index

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and \
            (self.index or 0) == (other.index or 0)

    def __hash__(self):
        return hash((self.type, self.index or 0))


class Backend:
    """The array module (`xp`) and kernel table (`kernels`, imported on first use) of a device."""

    def __init__(self, name, xp, kernel_module):
        self.name, self.xp, self.device = name, xp, device(name)
        self._kernel_module = kernel_module

    @functools.cached_property
    def kernels(self):                      # after the first use, a plain instance attribute
        return importlib.import_module(self._kernel_module)

    def from_host(self, array, index=None):
        """A NumPy array copied onto this device (device `index`, or the current one)."""
        return self.xp.asarray(array)

    def to_host(self, array):
        """This device's array copied into a NumPy array."""
        return array if self.xp is np else self.xp.asnumpy(array)

    def device_of(self, array):
        """The device holding `array`."""
        return self.device

    def on(self, index=None):
        """A context in which new arrays of xp land on device `index` (the current one for None)."""
        return contextlib.nullcontext()

    def __repr__(self):
        return f"Backend({self.name!r})"


cpu = Backend("cpu", np, "autograd_lite.kernels.cpu")
_BY_ARRAY_TYPE = {np.ndarray: cpu}
_BY_NAME = {"cpu": cpu}
array_types = (np.ndarray,)


def register(backend, array_type):
    """Adds a device backend (the CUDA backend registers itself here when CuPy is usable)."""
    global array_types
    _BY_ARRAY_TYPE[array_type] = backend
    _BY_NAME[backend.name] = backend
    array_types = tuple(_BY_ARRAY_TYPE)


def is_device_array(obj):
    """True for an array of a registered non-CPU backend (a CuPy array once the CUDA backend is up)."""
    be = _BY_ARRAY_TYPE.get(type(obj))
    return be is not None and be is not cpu


def backend_of(array):
    be = _BY_ARRAY_TYPE.get(type(array))
    return cpu if be is None else be


def get_backend(dev):
    """The backend of a device spec ('cpu', 'cuda:0', device(...)); a clear error if unavailable."""
    dev = device(dev if dev is not None else "cpu")
    be = _BY_NAME.get(dev.type)
    if be is None:
        from . import cuda                  # probes CuPy and the GPU once; registers the backend if usable
        if not cuda.is_available():
            raise RuntimeError(f"device '{dev}' is not available: {cuda.unavailable_reason()}")
        be = _BY_NAME[dev.type]
    return be


def unregister(name):
    """Removes the backend registered under `name` (tests that register a stand-in device use it)."""
    global array_types
    be = _BY_NAME.pop(name, None)
    for t in [t for t, b in _BY_ARRAY_TYPE.items() if b is be]:
        del _BY_ARRAY_TYPE[t]
    array_types = tuple(_BY_ARRAY_TYPE)
