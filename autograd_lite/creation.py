"""Creation functions. Python floats become the default dtype (float32 unless set_default_dtype) and Python ints
int64, as in PyTorch."""
import numbers

import numpy as np

from . import _dtype, _float8, _flags, backend as _backend, random
from . import _memory_format as _mf
from ._api import declare
from ._args import shape_arg
from .backend import device as _device, get_backend
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "rand", "randn",
           "randint", "randperm", "arange", "linspace", "eye", "zeros_like", "ones_like",
           "full_like", "empty_like", "rand_like", "randn_like", "randint_like", "FloatTensor", "DoubleTensor",
           "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor", "ShortTensor", "ByteTensor", "CharTensor", "BoolTensor",
           "logspace", "asarray", "frombuffer", "scalar_tensor", "empty_strided", "hann_window", "hamming_window",
           "blackman_window", "bartlett_window", "kaiser_window"]


def _infer_dtype(data):
    """float32 for Python floats, int64 for ints, bool for bools, else the array's own dtype."""
    if isinstance(data, np.ndarray):
        return None
    flat = data
    while isinstance(flat, (list, tuple)) and flat:
        flat = flat[0]
    if isinstance(flat, (bool, np.bool_)):
        return np.bool_
    if isinstance(flat, np.generic):
        return None
    if isinstance(flat, numbers.Integral):
        return _scan_kind(data)
    if isinstance(flat, complex):
        return _dtype.default_complex().np
    return _dtype.get_default_dtype().np


def _scan_kind(data):
    """Nested lists mixing ints and floats are float32 (a complex number found first: complex64); all-int lists
    int64. A complex number after a float: tensor() retries (see _has_complex)."""
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, float) or isinstance(x, Tensor) and x.is_floating_point():
            return _dtype.get_default_dtype().np
        elif isinstance(x, complex) or isinstance(x, Tensor) and x.is_complex():
            return _dtype.default_complex().np
    return np.int64


def _has_complex(data):
    if isinstance(data, (list, tuple)):
        return any(map(_has_complex, data))
    return isinstance(data, complex) or isinstance(data, Tensor) and data.is_complex()


def _finish(array, dtype, device, requires_grad):
    if device is None:
        device = _flags.default_device()          # set_default_device's, None for the CPU
    if device is not None:
        dev = _device(device)
        be = get_backend(dev)
        if be.name != "cpu":
            _dtype.check_device(array.dtype, dev)
            array = be.from_host(array, dev.index)
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor copied from `data` (a number, nested list, NumPy array or Tensor).

    Example: ``tensor([[1., 2.], [3., 4.]], requires_grad=True)``."""
    if isinstance(data, Tensor):             # a detached copy, on data's device unless told
        device = device if device is not None else _flags.default_device()
        t = Tensor._make(data._data.copy())
        if device is not None:
            t = t.to(device)
        if dtype is not None:
            t = t.to(dtype)
        if requires_grad:
            t.requires_grad = True
        return t
    if data is None:
        raise TypeError("tensor: Could not infer dtype of NoneType")
    if _backend.is_device_array(data):       # a CuPy array: copied on its own device
        t = Tensor._make(data.copy() if dtype is None else data.astype(_dtype.to_dtype(dtype).np))
        t = t if device is None else t.to(device)
        if requires_grad:
            t.requires_grad = True
        return t
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flatten_once(data)):
        data = _lists_of_tensors(data)
    np_dtype = _dtype.to_dtype(dtype).np if dtype is not None else _infer_dtype(data)
    if dtype is not None and _float8.is_float8(np_dtype):        # PyTorch's float8 rounding, through float32
        with np.errstate(over="ignore"):
            wide = tensor(data, _dtype.float32)._data
        return _finish(_float8.astype(wide, np_dtype), dtype, device, requires_grad)
    try:
        array = np.array(data, dtype=np_dtype)
    except TypeError:               # a complex number after a float ([1.5, 2j]): complex, as PyTorch
        if dtype is not None or not _has_complex(data):
            raise
        array = np.array(data, dtype=_dtype.default_complex().np)
    except ValueError as e:
        kind = TypeError if "could not convert" in str(e) else ValueError
        raise kind(f"tensor: could not build a tensor from the data ({e})") from None
    if array.dtype == object or array.dtype.kind in "USV" and not _dtype.is_bfloat16(array.dtype):
        raise TypeError(f"tensor: can't convert data of type {type(data).__name__} to a tensor")
    if array.dtype not in _dtype._BY_NP:
        array = array.astype({"f": np.float32, "c": np.complex128}.get(array.dtype.kind, np.int64))
    return _finish(array, dtype, device, requires_grad)


def _flatten_once(data):
    return data if isinstance(data, (list, tuple)) else ()


def _lists_of_tensors(data):
    if isinstance(data, Tensor):
        return data._host().tolist() if data.ndim else data.item()
    if isinstance(data, (list, tuple)):
        return [_lists_of_tensors(x) for x in data]
    return data


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or Tensor when it can."""
    device = device if device is not None else _flags.default_device()
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if _backend.is_device_array(data) and dtype is None and device is None:   # a CuPy array: shared
        _dtype.from_numpy_dtype(data.dtype)
        return Tensor._make(data)
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.to_dtype(dtype).np == data.dtype) \
            and (device is None or str(device) == "cpu"):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array (float64 stays float64)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy_dtype(array.dtype)
    return Tensor._make(array)


def _new_shape(size, op):
    shape = shape_arg(size, op)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: Trying to create tensor with negative dimension "
                           f"{min(shape)}: {list(shape)}")
    return shape


def _sized(fill, size, dtype, device, requires_grad, op):
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if dt in _dtype.FLOAT8:     # PyTorch draws no float8
        _no_float8("normal_kernel_cpu" if op == "randn" else "check_uniform_bounds", dt)
    if dt.is_complex:           # PyTorch's: real and imaginary parts drawn apart, randn's each of variance 1/2
        parts = np.ascontiguousarray(fill(_new_shape(size, op) + (2,), dt.to_real().np))
        values = parts.view(dt.np)[..., 0] * (np.sqrt(0.5).astype(parts.dtype) if op == "randn" else 1)
        return _finish(values, dt, device, requires_grad)
    return _finish(fill(_new_shape(size, op), dt.np), dt, device, requires_grad)


def _no_float8(kernel, dt):
    raise NotImplementedError(f'"{kernel}" not implemented for \'{dt.scalar_type}\'')


def _filled(name, size, dtype, device, requires_grad):
    """zeros/ones/empty made by the device's own array module (no copy from the host)."""
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    shape = _new_shape(size, name)
    dev = _device(device) if device is not None else _flags.default_device()
    if dev is None or dev.type == "cpu":
        return _finish(getattr(np, name)(shape, dt.np), dt, "cpu", requires_grad)
    be = get_backend(dev)
    _dtype.check_device(dt.np, dev)
    with be.on(dev.index):
        return _finish(getattr(be.xp, name)(shape, dt.np), dt, dev, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _filled("zeros", size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled("ones", size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None):
    out = _filled("empty", size, dtype, device, requires_grad)
    return out if memory_format in (None, _mf.contiguous_format) else out.contiguous(memory_format)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = _infer_dtype(fill_value) or _dtype.get_default_dtype()
    dt = _dtype.to_dtype(dtype)
    if dt in _dtype.FLOAT8:     # PyTorch's rounding, through float32
        return _finish(_float8.astype(np.full(_new_shape((size,), "full"), fill_value, np.float32), dt.np), dt,
                       device, requires_grad)
    return _finish(np.full(_new_shape((size,), "full"), fill_value, dtype=dt.np), dt, device,
                   requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    return _sized(lambda s, d: random.uniform(s, 0.0, 1.0, d, generator), size, dtype, device, requires_grad,
                  "rand")


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    return _sized(lambda s, d: random.normal(s, 0.0, 1.0, d, generator), size, dtype, device, requires_grad,
                  "randn")


def randint(low, high=None, size=None, dtype=None, device=None, requires_grad=False, generator=None):
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    if size is None:
        low, high, size = 0, low, high
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    return _finish(random.integers(low, high, _new_shape((size,), "randint"), dt.np, generator), dt, device,
                   requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    return _finish(random.permutation(n, generator).astype(dt.np), dt, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    values = [start, end, step]
    if dtype is None:
        floating = any(isinstance(v, float) or isinstance(v, Tensor) and v.is_floating_point()
                       for v in values)
        dtype = _dtype.get_default_dtype() if floating else _dtype.int64
    dt = _dtype.to_dtype(dtype)
    if dt in _dtype.FLOAT8:
        _no_float8("arange_cpu", dt)
    values = [v.item() if isinstance(v, Tensor) else v for v in values]
    return _finish(np.arange(*values, dtype=np.float64 if dt.is_floating_point else None)
                   .astype(dt.np), dt, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if dt in _dtype.FLOAT8:
        _no_float8("linspace_cpu", dt)
    return _finish(np.linspace(start, end, steps).astype(dt.np), dt, device, requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    """`steps` values from ``base ** start`` to ``base ** end``, evenly spaced in the exponent.

    Example: ``torch.logspace(0, 2, 3)`` is ``tensor([1., 10., 100.])``."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    values = np.power(float(base), np.linspace(float(start), float(end), steps))
    return _finish(values.astype(dt.np), dt, device, requires_grad)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A 0-d tensor holding the number `s`, of the default dtype (float32) unless told: ``torch.scalar_tensor(3)``
    is ``tensor(3.)``."""
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    return _finish(np.asarray(s.item() if isinstance(s, Tensor) else s).astype(dt.np), dt, device, requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised tensor of `size` whose elements lie `stride` elements apart along each dim:
    ``torch.empty_strided((2, 3), (1, 2)).stride()`` is ``(1, 2)``."""
    shape, strides = _new_shape((size,), "empty_strided"), tuple(int(st) for st in stride)
    if len(shape) != len(strides):
        raise RuntimeError(f"dimensionality of sizes ({len(shape)}) must match dimensionality of strides "
                           f"({len(strides)})")
    extent = 0 if 0 in shape else 1 + sum((n - 1) * st for n, st in zip(shape, strides))
    buf = empty(extent, dtype=dtype, device=device, requires_grad=False)._data
    xp = _backend.backend_of(buf).xp
    t = Tensor._make(xp.lib.stride_tricks.as_strided(buf, shape, tuple(st * buf.itemsize for st in strides)))
    if requires_grad:
        t.requires_grad = True
    return t


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """`obj` (a Tensor, NumPy array, number or nested list) as a tensor, sharing its memory where it can (copy=None),
    always (copy=False: ValueError where it can't) or never (copy=True).

    Example: ``torch.asarray(np.ones(2))`` shares the array's memory (float64)."""
    if isinstance(obj, (Tensor, np.ndarray)) or _backend.is_device_array(obj):
        t = obj if isinstance(obj, Tensor) else from_numpy(obj) if isinstance(obj, np.ndarray) else as_tensor(obj)
        dt = _dtype.to_dtype(dtype) if dtype is not None else t.dtype
        dev = _device(device) if device is not None else t.device
        if copy is False and dt is not t.dtype:
            raise ValueError(f"can't alias tensor with dtype '{_scalar_name(t.dtype)}' into dtype "
                             f"'{_scalar_name(dt)}'.")
        if copy is False and dev != t.device:
            raise ValueError(f"can't alias tensor from device '{t.device}' to '{dev}'.")
        out = t.to(device=dev, dtype=dt, copy=bool(copy))
        if requires_grad:
            out.requires_grad_(True)
        return out
    if copy is False:
        raise ValueError(f"can't alias {type(obj).__name__} into a tensor: it has no memory to share")
    if isinstance(obj, np.generic):
        return asarray(np.asarray(obj), dtype=dtype, device=device, copy=True, requires_grad=requires_grad)
    return tensor(obj, dtype=dtype, device=device, requires_grad=requires_grad)


def _scalar_name(dt):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(dt.name, dt.name)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor sharing the memory of an object with the buffer protocol (bytearray, array.array, mmap), read
    as `dtype`, `count` elements (-1: all) from byte `offset`.

    Example: ``torch.frombuffer(bytearray(8), dtype=torch.int32)`` is ``tensor([0, 0], dtype=torch.int32)``."""
    dt = _dtype.to_dtype(dtype)
    length = memoryview(buffer).nbytes
    size = dt.np.itemsize
    if length <= 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if offset < 0 or offset >= length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length ({length} "
                         "bytes) minus 1")
    if count < 0 and (length - offset) % size:
        raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a multiple "
                         f"of element size ({size})")
    if count > 0 and count * size > length - offset:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset ({offset} bytes) must not "
                         f"be greater than actual buffer length ({length} bytes)")
    array = np.frombuffer(buffer, dtype=dt.np, count=count, offset=offset)
    return _finish(array, dt, "cpu", requires_grad)


def _window(name, window_length, periodic, dtype, device, requires_grad, formula):
    """A window of `window_length` points from formula(n, N) (n = 0 .. N-1, N the symmetric length): periodic
    windows are the symmetric window one longer, its last point dropped, as PyTorch builds them."""
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    if window_length <= 1:
        return _finish(np.ones(window_length, dt.np), dt, device, requires_grad)
    n = window_length + 1 if periodic else window_length
    values = formula(np.arange(n, dtype=np.float64), n)[:window_length]
    return _finish(values.astype(dt.np), dt, device, requires_grad)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hann window ``0.5 - 0.5 cos(2 pi n / (N - 1))``: ``torch.hann_window(400)`` for an STFT."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: 0.5 - 0.5 * np.cos(2 * np.pi * k / (n - 1)))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """The Hamming window ``alpha - beta cos(2 pi n / (N - 1))``: ``torch.hamming_window(8)``."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: alpha - beta * np.cos(2 * np.pi * k / (n - 1)))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The Blackman window ``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: 0.42 - 0.5 * np.cos(2 * np.pi * k / (n - 1)) + 0.08 * np.cos(4 * np.pi * k / (n - 1)))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The Bartlett (triangular) window ``1 - |2 n / (N - 1) - 1|``."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: 1 - np.abs(2 * k / (n - 1) - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  requires_grad=False):
    """The Kaiser window ``I0(beta sqrt(1 - (2 n / (N - 1) - 1) ** 2)) / I0(beta)``."""
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: np.kaiser(n, beta))


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    return _finish(np.eye(n, m, dtype=dt.np), dt, device, requires_grad)


def _like(fn, x, dtype, device, requires_grad, *args, memory_format=None):
    out = fn(*args, x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)
    fmt = _mf.suggest(x._data) if memory_format in (None, _mf.preserve_format) else memory_format
    return out if fmt is _mf.contiguous_format else out.contiguous(fmt)      # torch's: x's layout, or the one asked


def zeros_like(x, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(zeros, x, dtype, device, requires_grad, memory_format=memory_format)


def ones_like(x, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(ones, x, dtype, device, requires_grad, memory_format=memory_format)


def empty_like(x, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(empty, x, dtype, device, requires_grad, memory_format=memory_format)


def rand_like(x, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(rand, x, dtype, device, requires_grad, memory_format=memory_format)


def randn_like(x, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(randn, x, dtype, device, requires_grad, memory_format=memory_format)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(lambda shape, **kw: full(shape, fill_value, **kw), x, dtype, device, requires_grad,
                 memory_format=memory_format)


def randint_like(x, low, high=None, dtype=None, device=None):
    if (x.dtype if dtype is None else _dtype.to_dtype(dtype)).is_complex:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean types")
    return randint(low, high, x.shape, dtype=dtype or x.dtype, device=device or x.device)


# ---- Tensor methods that create tensors --------------------------------------------------------

@declare(top=False)
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    """Zeros of `size` with this tensor's dtype and device (unless given)."""
    return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@declare(top=False)
def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@declare(top=False)
def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@declare(top=False)
def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


@declare(top=False)
def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


# ---- the legacy tensor types: FloatTensor(...), x.type(FloatTensor), x.type('torch.FloatTensor') -----

class _TensorType(type):
    """``FloatTensor`` and friends: callables that build tensors of one dtype, usable with
    ``x.type(FloatTensor)`` and ``isinstance(x, FloatTensor)``."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls._tensor_type_dtype

    def __call__(cls, *args):
        if args and all(isinstance(a, numbers.Integral) for a in args):
            return empty(*args, dtype=cls._tensor_type_dtype)
        return tensor(args[0] if args else [], dtype=cls._tensor_type_dtype)

    def __repr__(cls):
        return f"<class 'autograd_lite.{cls.__name__}'>"


def _tensor_type(name, dt):
    return _TensorType(name, (), {"_tensor_type_dtype": dt})


FloatTensor = _tensor_type("FloatTensor", _dtype.float32)
DoubleTensor = _tensor_type("DoubleTensor", _dtype.float64)
HalfTensor = _tensor_type("HalfTensor", _dtype.float16)
BFloat16Tensor = _tensor_type("BFloat16Tensor", _dtype.bfloat16)
LongTensor = _tensor_type("LongTensor", _dtype.int64)
IntTensor = _tensor_type("IntTensor", _dtype.int32)
ShortTensor = _tensor_type("ShortTensor", _dtype.int16)
ByteTensor = _tensor_type("ByteTensor", _dtype.uint8)
CharTensor = _tensor_type("CharTensor", _dtype.int8)
BoolTensor = _tensor_type("BoolTensor", _dtype.bool_)
_TYPES = {t.__name__: t for t in (FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor, LongTensor, IntTensor,
                                  ShortTensor, ByteTensor, CharTensor, BoolTensor)}
_TYPE_NAMES = {t._tensor_type_dtype.name: f"autograd_lite.{name}" for name, t in _TYPES.items()}
_TYPE_NAMES.update({n: f"autograd_lite.UInt{n[4:]}Tensor" for n in ("uint16", "uint32", "uint64")})    # names only


@declare(method="type", top=False)
def tensor_type(self, dtype=None, non_blocking=False):
    """The legacy type name ('autograd_lite.FloatTensor', 'autograd_lite.cuda.FloatTensor'), or a conversion:
    ``x.type(FloatTensor)`` or ``x.type('torch.FloatTensor')`` is a float32 CPU tensor, as in PyTorch (FloatTensor
    and friends are CPU types; 'torch.cuda.FloatTensor' a CUDA one)."""
    if dtype is None:
        name = _TYPE_NAMES.get(self.dtype.name, "autograd_lite.Tensor")
        return name.replace("autograd_lite.", "autograd_lite.cuda.", 1) if self.is_cuda else name
    if isinstance(dtype, str) and dtype.rsplit(".", 1)[-1] in _TYPES:
        device = "cuda" if ".cuda." in dtype else "cpu"
        return self.to(device, _TYPES[dtype.rsplit(".", 1)[-1]]._tensor_type_dtype)
    if isinstance(dtype, _TensorType):
        return self.to("cpu", dtype._tensor_type_dtype)
    return self.to(_dtype.to_dtype(dtype))


@declare(top=False)
def new(self, *args, device=None):
    """The legacy ``x.new(...)``: ``x.new(2, 3)`` an uninitialised tensor of that size, ``x.new([1, 2])`` one of
    those values, ``x.new()`` an empty one; with this tensor's dtype and device."""
    device = device or self.device
    if args and all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
        return empty(*args, dtype=self.dtype, device=device)
    if len(args) == 1 and isinstance(args[0], (tuple, list)) and type(args[0]).__name__ == "Size":
        return empty(*args[0], dtype=self.dtype, device=device)
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0]
    return tensor(args[0] if args else [], dtype=self.dtype, device=device)
