"""A stand-in CUDA device for machines without a GPU: NumPy arrays of a subclass that plays CuPy's ndarray.

It tests the device plumbing: Tensor.to/.cuda/.cpu, creation with device=, Module.to with optimizer state,
save/load, mixed-device errors, training loops. Like CuPy, its arrays refuse to mix with plain NumPy arrays
(TypeError) and its array module returns its own arrays. Its kernel table is the CUDA table (kernels/cuda/table.py
and the CUDA C of sources.py) running on tests/emulated_cupy.py where g++ is here, else the CPU kernels under the
CUDA table's names. Activated by the `device`/`gpu` fixtures of conftest.py, which register it as the 'cuda'
backend for one test.
"""
import types

import numpy as np

import autograd_lite.backend as backend
import autograd_lite.kernels.cpu as cpu_kernels
from autograd_lite.kernels.cuda import sources


class FakeCudaArray(np.ndarray):
    """A NumPy array that plays a CUDA array: a plain ndarray operand raises TypeError, as CuPy's do."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        _refuse_host(inputs + (out or ()))
        inputs = tuple(_host_view(x) for x in inputs)
        if out is not None:
            kwargs["out"] = tuple(_host_view(x) for x in out)
        with np.errstate(all="ignore"):          # CuPy never warns
            return _device_view(getattr(ufunc, method)(*inputs, **kwargs))

    def __array_function__(self, func, types_, args, kwargs):
        _refuse_host(_flat(args) + _flat(tuple(kwargs.values())))
        return _device_view(func(*_map(_host_view, args), **{k: _map(_host_view, v) for k, v in kwargs.items()}))

    def __getitem__(self, key):
        return super().__getitem__(_wrapped(key, self.shape))

    def __setitem__(self, key, value):
        super().__setitem__(_wrapped(key, self.shape), value)

    def get(self):
        """A host copy (cupy.ndarray.get)."""
        return np.array(self.view(np.ndarray))

    @property
    def device(self):
        return types.SimpleNamespace(id=0)

    @property
    def data(self):
        """CuPy's MemoryPointer: `.ptr`, the address of the first element (here in host memory), as the stand-in
        NCCL (tests/distributed/fake_nccl.py) takes it."""
        return types.SimpleNamespace(ptr=self.ctypes.data, device_id=0)


def _wrapped(key, shape):
    """CuPy's integer array indexing: an index out of bounds wraps around (modulo its dim's size), no error."""
    from autograd_lite.ops.indexing import index_array_axes
    keys = key if isinstance(key, tuple) else (key,)
    axes = {id(k): axis for axis, k in index_array_axes(keys, len(shape)) if axis < len(shape) and shape[axis]}
    return tuple(k % shape[axes[id(k)]] if id(k) in axes else k for k in keys) if axes else key


def _flat(items):
    out = []
    for x in items:
        out.extend(_flat(x) if isinstance(x, (list, tuple)) else [x])
    return tuple(out)


def _refuse_host(items):
    for x in _flat(items):
        if type(x) is np.ndarray:
            raise TypeError(f"Unsupported type {type(x)}")


def _map(fn, x):
    if isinstance(x, (list, tuple)):
        return type(x)(_map(fn, v) for v in x)
    return fn(x)


def _host_view(x):
    return x.view(np.ndarray) if isinstance(x, FakeCudaArray) else x


def _device_view(x):
    if type(x) is np.ndarray:
        return x.view(FakeCudaArray)
    if isinstance(x, np.generic):          # CuPy returns 0-d arrays where NumPy returns scalars
        return np.asarray(x).view(FakeCudaArray)
    if isinstance(x, tuple):
        return tuple(_device_view(v) for v in x)
    if isinstance(x, list):
        return [_device_view(v) for v in x]
    return x


class _ArrayModule(types.ModuleType):
    """numpy, with every function's arrays returned as FakeCudaArray (cupy's role); asnumpy copies back."""

    def __init__(self):
        super().__init__("fake_cupy")
        self.ndarray = FakeCudaArray

    def __getattr__(self, name):
        value = getattr(np, name)
        if callable(value) and not isinstance(value, (type, np.ufunc)):   # ufuncs dispatch by __array_ufunc__
            def call(*args, **kwargs):
                return _device_view(value(*args, **kwargs))
            call.__name__ = name
            return call
        return value

    @staticmethod
    def asarray(a, dtype=None):
        if isinstance(a, FakeCudaArray):
            return a if dtype is None or a.dtype == dtype else a.astype(dtype)
        return np.array(a, dtype=dtype).view(FakeCudaArray)       # a copy, as to a GPU

    @staticmethod
    def asnumpy(a):
        return np.array(_host_view(a))


def _kernel(name):
    fn = getattr(cpu_kernels, name)

    def run(*args, **kwargs):
        for x in _flat(args) + _flat(tuple(kwargs.values())):
            if type(x) is np.ndarray:
                raise TypeError(f"{name}: expected CUDA arrays, got a host numpy.ndarray")
        return _device_view(fn(*_map(_host_view, args), **{k: _map(_host_view, v) for k, v in kwargs.items()}))
    run.__name__ = name
    return run


def kernel_table():
    """The CUDA kernel table itself on emulated CuPy (tests/emulated_cupy.py) where g++ is here; else the CPU
    kernels under the CUDA table's names."""
    import emulated_cupy
    if emulated_cupy.available() is None:
        return emulated_cupy.kernel_table()
    return types.SimpleNamespace(**{name: _kernel(name) for name in sources.NAMES})


class FakeCudaBackend(backend.Backend):
    def __init__(self):
        super().__init__("cuda", _ArrayModule(), "fake")
        self.kernels = kernel_table()

    def from_host(self, array, index=None):
        if index not in (None, 0):
            raise RuntimeError(f"CUDA error: invalid device ordinal: cuda:{index} (1 device(s) available)")
        return self.xp.asarray(array)

    def device_of(self, array):
        return backend.device("cuda", 0)


def install():
    """Registers the stand-in as the 'cuda' backend; returns a function that removes it."""
    import autograd_lite.cuda as cuda
    saved = cuda._probe
    backend.register(FakeCudaBackend(), FakeCudaArray)
    cuda._probe = (True, None)

    def remove():
        backend.unregister("cuda")
        cuda._probe = saved
    return remove
