"""Quantized tensors, as PyTorch's QuantizedCPU backend (eager mode): ``quantize_per_tensor``,
``quantize_per_channel``, ``quantize_per_tensor_dynamic``, ``dequantize``, ``int_repr`` and the ``q_*`` accessors,
the qschemes, and the fake-quantize ops of quantization-aware training.

A quantized tensor is a Tensor (``isinstance`` holds) of class QuantizedTensor whose array is a QArray: the integer
representation (uint8 for quint8, int8 for qint8, int32 for qint32) and the quantization parameters. The ops PyTorch
runs on such tensors cheaply (views, reshape, clone, indexing, cat/stack, relu, equal) work on the integers and keep
the parameters; any other op fails with PyTorch's "Could not run 'aten::X' with arguments from the 'QuantizedCPU'
backend" (the QArray refuses NumPy, as the sparse COO does).

Rounding is PyTorch's (FBGEMM's): ``q = clamp(rint(x * float32(1 / scale)) + zero_point, qmin, qmax)`` in float32,
ties to even; ``dequantize`` is ``float32(scale) * (q - zero_point)``.

Example::

    >>> q = torch.quantize_per_tensor(torch.tensor([-1.0, 0.26, 2.0]), 0.5, 3, torch.quint8)
    >>> q.int_repr(), q.dequantize()
    (tensor([1, 4, 7], dtype=torch.uint8), tensor([-1.0000,  0.5000,  2.0000]))
"""
import warnings

import numpy as np

from . import _api, _dtype, _format
from .autograd.op_function import Function
from .backend import device as _device
from .ops import _formula as m
from .sparse._coo import unsupported as _unsupported
from .tensor import Tensor

__all__ = ["qscheme", "per_tensor_affine", "per_channel_affine", "per_tensor_symmetric", "per_channel_symmetric",
           "per_channel_affine_float_qparams", "QuantizedTensor", "quantize_per_tensor", "quantize_per_channel",
           "quantize_per_tensor_dynamic", "dequantize", "fake_quantize_per_tensor_affine",
           "fake_quantize_per_channel_affine", "choose_qparams"]

_F32, _CPU = np.dtype(np.float32), _device("cpu")


class qscheme:
    """A quantization scheme, e.g. ``autograd_lite.per_tensor_affine`` (PyTorch's ``torch.qscheme``)."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"autograd_lite.{self.name}"

    def __reduce__(self):           # pickle as the module-level singleton
        return (_qscheme_named, (self.name,))

    def __deepcopy__(self, memo):
        return self


def _qscheme_named(name):
    return globals()[name]


per_tensor_affine = qscheme("per_tensor_affine")
per_channel_affine = qscheme("per_channel_affine")
per_tensor_symmetric = qscheme("per_tensor_symmetric")
per_channel_symmetric = qscheme("per_channel_symmetric")
per_channel_affine_float_qparams = qscheme("per_channel_affine_float_qparams")
_PER_CHANNEL = (per_channel_affine, per_channel_symmetric, per_channel_affine_float_qparams)
_QDTYPES = (_dtype.quint8, _dtype.qint8, _dtype.qint32)


def _refuse(op):
    return _unsupported(op, "QuantizedCPU", sparse=False)


# NumPy names -> PyTorch's overload names in its "Could not run 'aten::X'" error
_ATEN = {"add": "add.out", "subtract": "sub.out", "multiply": "mul.out", "true_divide": "div.out",
         "divide": "div.out", "matmul": "mm.out", "dot": "mm.out", "negative": "neg.out", "exp": "exp.out",
         "log": "log.out", "sum": "sum.IntList_out", "absolute": "abs.out", "sqrt": "sqrt.out", "power": "pow.out"}


class QArray:
    """The raw array of a quantized tensor: `ints` (the integer representation, uint8/int8/int32), its quantized
    dtype, the qscheme, and scale / zero_point: a float and an int per tensor, or (per channel along `axis`) float64
    and int64 arrays (float32 and float ones for per_channel_affine_float_qparams). NumPy handed one refuses with
    PyTorch's QuantizedCPU error."""
    __slots__ = ("ints", "qdtype", "qscheme", "scale", "zero_point", "axis")
    __array_priority__ = 2000
    base = None

    def __init__(self, ints, qdtype, scheme, scale, zero_point, axis=None):
        self.ints, self.qdtype, self.qscheme = ints, qdtype, scheme
        self.scale, self.zero_point, self.axis = scale, zero_point, axis

    shape = property(lambda self: self.ints.shape)
    ndim = property(lambda self: self.ints.ndim)
    size = property(lambda self: self.ints.size)
    dtype = property(lambda self: self.ints.dtype)
    itemsize = property(lambda self: self.ints.itemsize)
    strides = property(lambda self: self.ints.strides)
    flags = property(lambda self: self.ints.flags)

    @property
    def per_channel(self):
        return self.axis is not None

    def like(self, ints):
        """The same quantization parameters around other integers (per tensor only: a view's)."""
        return QArray(ints, self.qdtype, self.qscheme, self.scale, self.zero_point, self.axis)

    def copy(self):
        return self.like(self.ints.copy())

    def dequantize(self):
        q = self.ints
        if self.axis is None:
            return np.asarray((q.astype(np.int64) - self.zero_point).astype(_F32) * np.float32(self.scale))  # 0-d too
        shape = [1] * q.ndim
        shape[self.axis] = -1
        scale, zp = self.scale.reshape(shape), self.zero_point.reshape(shape)
        if self.qscheme is per_channel_affine_float_qparams:
            return (q.astype(_F32) - zp) * scale
        return ((q.astype(np.int64) - zp) * scale).astype(_F32)        # in float64, as torch's kernel

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise _refuse(_ATEN.get(ufunc.__name__, ufunc.__name__ + ".out"))

    def __array_function__(self, func, types_, args, kwargs):
        raise _refuse(_ATEN.get(func.__name__, func.__name__))

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"Got unsupported ScalarType {self.qdtype.scalar_type}")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise _refuse(name)


def _refusing_operator(op):
    def method(self, *args):
        raise _refuse(op)
    return method


for _dunder, _op in (("add", "add.out"), ("sub", "sub.out"), ("mul", "mul.out"), ("truediv", "div.out"),
                     ("floordiv", "floor_divide.out"), ("mod", "remainder.Tensor_out"), ("matmul", "mm.out"),
                     ("pow", "pow.Tensor_Tensor_out")):
    setattr(QArray, f"__{_dunder}__", _refusing_operator(_op))
    setattr(QArray, f"__r{_dunder}__", _refusing_operator(_op))
for _dunder, _op in (("neg", "neg.out"), ("abs", "abs.out"), ("invert", "bitwise_not.out"), ("lt", "lt.Tensor_out"),
                     ("le", "le.Tensor_out"), ("gt", "gt.Tensor_out"), ("ge", "ge.Tensor_out")):
    setattr(QArray, f"__{_dunder}__", _refusing_operator(_op))


def _is_q(x):
    return type(x) is QuantizedTensor


# ---- quantizing ---------------------------------------------------------------------------------------------------
def _round_to(x, inv_scale, zero_point, qdtype):
    """PyTorch's (FBGEMM's) affine rounding: clamp(rint(fma(x, inv_scale, zero_point)), qmin, qmax), the fused
    multiply-add rounded once to float32 (emulated in float64, where the product is exact), ties to even."""
    v = np.rint((x.astype(np.float64, order="C") * np.asarray(inv_scale, np.float64) + zero_point).astype(_F32))
    # a contiguous array, as PyTorch's result, and an array even for 0-d input (NumPy's rint gives a scalar)
    return np.asarray(np.clip(np.nan_to_num(v.astype(np.float64), nan=0.0), qdtype.qmin, qdtype.qmax).astype(qdtype.np))


def _check_qdtype(qdtype, op="new_qtensor"):
    qdtype = _dtype.to_dtype(qdtype)
    if qdtype is _dtype.quint4x2:
        raise RuntimeError(f"{op}: quint4x2 (two 4-bit values per byte) is not supported in autograd_lite")
    if qdtype not in _QDTYPES:
        raise RuntimeError(f"ScalarType {qdtype.scalar_type} is not supported in new_qtensor.")
    return qdtype


def _float_input(x):
    if not isinstance(x, Tensor):
        raise TypeError(f"quantize_per_tensor(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    if _is_q(x) or x._data.dtype != _F32:
        raise RuntimeError(f"Quantize only works on Float Tensor, got {x.dtype.scalar_type}")
    return x._data if type(x._data) is np.ndarray else x._data.get()


def _scalar(v):
    return v.item() if isinstance(v, Tensor) else v


def quantize_per_tensor(input, scale, zero_point, dtype):
    """``clamp(round(input / scale) + zero_point, qmin, qmax)`` as a quantized tensor of `dtype` (quint8, qint8,
    qint32), PyTorch's rounding (ties to even). scale/zero_point: numbers or one-element tensors; a list of tensors
    (with tensors of scales and zero points) gives a list.

    Example: ``torch.quantize_per_tensor(torch.tensor([0.26, -1.0]), 0.5, 3, torch.quint8).int_repr()`` is
    ``tensor([4, 1], dtype=torch.uint8)``."""
    if isinstance(input, (list, tuple)):
        scales, zps = np.asarray(scale._data if isinstance(scale, Tensor) else scale, np.float64).reshape(-1), \
            np.asarray(zero_point._data if isinstance(zero_point, Tensor) else zero_point, np.int64).reshape(-1)
        return [quantize_per_tensor(t, float(s), int(z), dtype) for t, s, z in zip(input, scales, zps)]
    a = _float_input(input)
    qdtype = _check_qdtype(dtype)
    scale, zero_point = float(_scalar(scale)), int(_scalar(zero_point))
    if zero_point > qdtype.qmax:
        raise RuntimeError(f"quantize_tensor_per_tensor_affine zero_point {zero_point} is above upper bound.")
    if zero_point < qdtype.qmin:
        raise RuntimeError(f"quantize_tensor_per_tensor_affine zero_point {zero_point} is below lower bound.")
    inv = np.float32(1) / np.float32(scale)
    return make_quantized(QArray(_round_to(a, inv, np.float32(zero_point), qdtype), qdtype, per_tensor_affine,
                                 scale, zero_point))


def quantize_per_channel(input, scales, zero_points, axis, dtype):
    """Quantizes each slice along `axis` with its own scale and zero point (tensors of one value per channel); float
    zero points give the ``per_channel_affine_float_qparams`` scheme (``round(x / scale + zero_point)``).

    Example: ``torch.quantize_per_channel(w, torch.tensor([0.1, 0.2]), torch.tensor([0, 0]), 0, torch.qint8)``"""
    a = _float_input(input)
    qdtype = _check_qdtype(dtype)
    s, z = np.asarray(scales._data if isinstance(scales, Tensor) else scales), \
        np.asarray(zero_points._data if isinstance(zero_points, Tensor) else zero_points)
    if s.size != z.size:
        raise RuntimeError("number of elements in scales and zero_points must match")
    if not 0 <= axis < a.ndim:          # torch's: no negative axis
        raise RuntimeError(f"Channel axis out of range in per channel affine quantization. Got: {axis}Expected: "
                           f"[0, {a.ndim})")
    if a.shape[axis] != s.size:
        raise RuntimeError(f"length of scales must equal to channel, expected {a.shape[axis]} got, {s.size}")
    shape = [1] * a.ndim
    shape[axis] = -1
    if z.dtype.kind == "f":         # float qparams: round(x * inv_scale + zero_point)
        s32, z32 = s.astype(_F32).reshape(-1), z.astype(_F32).reshape(-1)
        inv = np.where(s32 == 0, np.float32(1), np.float32(1) / np.where(s32 == 0, np.float32(1), s32))
        v = np.rint(np.ascontiguousarray(a) * inv.reshape(shape) + z32.reshape(shape))
        ints = np.clip(v, qdtype.qmin, qdtype.qmax).astype(qdtype.np)
        return make_quantized(QArray(ints, qdtype, per_channel_affine_float_qparams, s32, z32, axis))
    s64, z64 = s.astype(np.float64).reshape(-1), z.astype(np.int64).reshape(-1)
    inv = (np.float32(1) / s64.astype(_F32)).reshape(shape)
    ints = _round_to(a, inv, z64.astype(_F32).reshape(shape), qdtype)
    return make_quantized(QArray(ints, qdtype, per_channel_affine, s64, z64, axis))


def choose_qparams(x_min, x_max, qmin, qmax, reduce_range=False, preserve_sparsity=False):
    """PyTorch's ChooseQuantizationParams (ATen quant_utils): (scale, zero_point) of an affine map of
    [min(x_min, 0), max(x_max, 0)] onto [qmin, qmax] (halved with reduce_range); scale a double, at least 6.1e-5."""
    if reduce_range:
        qmin, qmax = int(qmin / 2), int(qmax / 2)
    lo, hi = np.float32(x_min), np.float32(x_max)
    if lo < 0 and hi > 0 and preserve_sparsity:
        sym_min, sym_max = -((qmax - qmin) // 2 + 1), (qmax - qmin) // 2
        bound = max(abs(float(lo) / sym_min), abs(float(hi) / sym_max))
        lo, hi = np.float32(bound * sym_min), np.float32(bound * sym_max)
    lo, hi = min(lo, np.float32(0)), max(hi, np.float32(0))
    scale = (float(hi) - float(lo)) / (qmax - qmin)
    if np.float32(scale) == 0 or np.isinf(np.float32(1) / np.float32(scale)):
        scale = 0.1
    small = np.float32(6.1e-05)
    if scale < small:
        org, scale = np.float32(scale), float(small)
        if lo == 0:
            hi = np.float32(small * (qmax - qmin))
        elif hi == 0:
            lo = np.float32(-small * (qmax - qmin))
        else:
            amp = np.float32(small / org)
            lo, hi = np.float32(lo * amp), np.float32(hi * amp)
    from_min, from_max = qmin - float(lo) / scale, qmax - float(hi) / scale
    zp = from_min if abs(qmin) + abs(float(lo) / scale) < abs(qmax) + abs(float(hi) / scale) else from_max
    if lo < 0 and hi > 0 and preserve_sparsity:
        zp = (qmin + qmax) / 2
    zp = qmin if zp < qmin else qmax if zp > qmax else int(np.rint(zp))
    return scale, int(zp)


def quantize_per_tensor_dynamic(input, dtype, reduce_range):
    """quantize_per_tensor with a scale and zero point chosen from input's min and max (PyTorch's
    choose_qparams; reduce_range halves the integer range). dtype: quint8 or qint8.

    Example: ``torch.quantize_per_tensor_dynamic(x, torch.quint8, False)``"""
    a = _float_input(input)
    qdtype = _dtype.to_dtype(dtype)
    if qdtype not in (_dtype.quint8, _dtype.qint8):
        raise RuntimeError(f"dtype {qdtype.scalar_type}not supported")
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    scale, zp = choose_qparams(lo, hi, qdtype.qmin, qdtype.qmax, reduce_range)
    return quantize_per_tensor(input, scale, zp, qdtype)


def make_quantized(qarray):
    """The quantized Tensor around a QArray."""
    t = object.__new__(QuantizedTensor)
    t._init(qarray)
    return t


def dequantize(tensor):
    """The float32 values of a quantized tensor (a float tensor is returned as it is; a list gives a list).
    Example: ``torch.dequantize(q)``"""
    if isinstance(tensor, (list, tuple)):
        return [dequantize(t) for t in tensor]
    return tensor.dequantize()


# ---- the Tensor ---------------------------------------------------------------------------------------------------
def _per_tensor_only(x, op):
    if x._data.per_channel:
        raise RuntimeError("Setting strides is possible only on uniformly quantized tensor")


def _view_method(name):
    """A dense Tensor method run on the integers (views, reshapes, indexing): the result keeps the qparams."""
    def method(self, *args, **kwargs):
        _per_tensor_only(self, name)
        out = getattr(Tensor._make(self._data.ints), name)(*args, **kwargs)
        if isinstance(out, (tuple, list)):
            return type(out)(make_quantized(self._data.like(o._data)) for o in out)
        return make_quantized(self._data.like(out._data))
    method.__name__ = name
    method.__doc__ = f"``{name}`` of the integer representation; the result has this tensor's qparams."
    return method


def _refused_method(op):
    def method(self, *args, **kwargs):
        raise _refuse(op)
    method.__name__ = op.split(".")[0]
    return method


_EXPECT_PER_TENSOR = "Expected quantizer->qscheme() == kPerTensorAffine to be true, but got false."
_EXPECT_PER_CHANNEL = ("Expected quantizer->qscheme() == kPerChannelAffine || quantizer->qscheme() == "
                       "kPerChannelAffineFloatQParams to be true, but got false.")


class QuantizedTensor(Tensor):
    """A quantized tensor (PyTorch's QuantizedCPU): integers plus a scale and zero point, per tensor or per
    channel. Made by ``quantize_per_tensor`` / ``quantize_per_channel``; ``dequantize()`` gives the float values.

    Example::

        >>> q = torch.quantize_per_tensor(torch.tensor([1.0, 2.0]), 0.1, 0, torch.qint8)
        >>> q.q_scale(), q.int_repr().tolist()
        (0.1, [10, 20])
    """
    __slots__ = ()
    _result_class = Tensor

    dtype = property(lambda self: self._data.qdtype, doc="quint8, qint8 or qint32")
    device = property(lambda self: _CPU, doc="always the CPU (PyTorch's QuantizedCPU)")
    is_quantized = property(lambda self: True, doc="True: a quantized tensor")
    is_cuda = property(lambda self: False)

    def __repr__(self):
        return _quantized_repr(self)

    def __reduce_ex__(self, protocol):
        d = self._data
        return (_rebuild, (d.ints, d.qdtype.name, d.qscheme.name, d.scale, d.zero_point, d.axis))

    def __deepcopy__(self, memo):
        out = make_quantized(self._data.copy())
        memo[id(self)] = out
        return out

    # ---- quantization parameters
    def qscheme(self):
        return self._data.qscheme

    def q_scale(self):
        if self._data.per_channel:
            raise RuntimeError(_EXPECT_PER_TENSOR)
        return self._data.scale

    def q_zero_point(self):
        if self._data.per_channel:
            raise RuntimeError(_EXPECT_PER_TENSOR)
        return self._data.zero_point

    def q_per_channel_scales(self):
        if not self._data.per_channel:
            raise RuntimeError(_EXPECT_PER_CHANNEL)
        return Tensor._make(self._data.scale.copy())

    def q_per_channel_zero_points(self):
        if not self._data.per_channel:
            raise RuntimeError(_EXPECT_PER_CHANNEL)
        return Tensor._make(self._data.zero_point.copy())

    def q_per_channel_axis(self):
        if not self._data.per_channel:
            raise RuntimeError(_EXPECT_PER_CHANNEL)
        return self._data.axis

    def int_repr(self):
        """The integers (uint8 for quint8, int8 for qint8, int32 for qint32), a copy."""
        return Tensor._make(self._data.ints.copy())

    def dequantize(self):
        """``(int_repr - zero_point) * scale`` as float32."""
        return Tensor._make(self._data.dequantize())

    # ---- conversion
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self.dequantize().item()

    def numpy(self, force=False):
        raise TypeError(f"Got unsupported ScalarType {self.dtype.scalar_type}")

    def tolist(self):
        raise RuntimeError("load_scalar: invalid type")

    def to(self, *args, **kwargs):
        """This tensor (it stays on the CPU); another dtype is refused, as PyTorch does."""
        from .tensor import parse_to_args
        dev, dt = parse_to_args(args, kwargs.get("device"), kwargs.get("dtype"))
        if dt is not None and dt is not self.dtype:
            raise RuntimeError("Creation of quantized tensor requires quantized dtype like torch.quint8")
        if dev is not None and _device(dev).type != "cpu":
            raise _refuse("empty_strided")
        return self

    def cpu(self):
        return self

    def float(self, memory_format=None):
        raise RuntimeError("Creation of quantized tensor requires quantized dtype like torch.quint8")

    double = half = float

    def detach(self):
        return make_quantized(self._data)

    def clone(self, *, memory_format=None):
        return make_quantized(self._data.copy())

    def contiguous(self, memory_format=None):
        return self if self._data.ints.flags.c_contiguous else self.clone()

    def equal(self, other):
        """Whether both have the same qscheme, qparams, shape and integers."""
        a, b = self._data, getattr(other, "_data", None)
        if not isinstance(b, QArray):
            raise _refuse("equal")
        if a.qdtype is not b.qdtype or a.qscheme is not b.qscheme or a.shape != b.shape:
            return False
        same = np.array_equal(a.scale, b.scale) and np.array_equal(a.zero_point, b.zero_point) and a.axis == b.axis
        return bool(same and np.array_equal(a.ints, b.ints))

    def __setitem__(self, index, value):
        """Writes `value` (a number or a float tensor), quantized with this tensor's qparams."""
        _per_tensor_only(self, "index_put_")
        d = self._data
        v = np.asarray(value._data if isinstance(value, Tensor) and not _is_q(value) else
                       value.dequantize()._data if _is_q(value) else value, _F32)
        d.ints[_ints_index(index)] = _round_to(v, np.float32(1) / np.float32(d.scale), np.float32(d.zero_point),
                                               d.qdtype)
        self._version[0] += 1

    def fill_(self, value):
        """Every element set to `value` quantized with this tensor's qparams."""
        self[...] = value
        return self

    def relu(self):
        """max(x, 0): the integers clamped below at the zero point (same qparams)."""
        d = self._data
        if d.per_channel:
            return make_quantized(d.like(np.maximum(d.ints, d.zero_point.reshape(
                [-1 if i == d.axis else 1 for i in range(d.ndim)]).astype(d.ints.dtype))))
        return make_quantized(d.like(np.maximum(d.ints, d.ints.dtype.type(d.zero_point))))

    def relu_(self):
        self._data.ints[...] = self.relu()._data.ints
        self._version[0] += 1
        return self


def _ints_index(index):
    """An index for the integer array (Tensor indices as arrays)."""
    if isinstance(index, tuple):
        return tuple(_ints_index(i) for i in index)
    return index._data if isinstance(index, Tensor) else index


for _name in ("view", "reshape", "flatten", "t", "transpose", "permute", "unsqueeze", "squeeze", "expand",
              "__getitem__", "index_select", "chunk", "split", "unbind", "narrow", "select", "view_as", "reshape_as",
              "movedim", "swapaxes", "unflatten", "expand_as"):
    setattr(QuantizedTensor, _name, _view_method(_name))

for _name, _op in (("add", "add.out"), ("__add__", "add.out"), ("__radd__", "add.out"), ("sub", "sub.out"),
                   ("__sub__", "sub.out"), ("__rsub__", "sub.out"), ("mul", "mul.out"), ("__mul__", "mul.out"),
                   ("__rmul__", "mul.out"), ("div", "div.out"), ("__truediv__", "div.out"), ("matmul", "mm.out"),
                   ("__matmul__", "mm.out"), ("mm", "mm.out"), ("neg", "neg.out"), ("__neg__", "neg.out"),
                   ("exp", "exp.out"), ("log", "log.out"), ("sum", "sum.IntList_out"), ("zero_", "zero_"),
                   ("abs", "abs.out"), ("sqrt", "sqrt.out"), ("pow", "pow.Tensor_Scalar_out"), ("__pow__",
                   "pow.Tensor_Scalar_out"), ("sigmoid", "sigmoid.out"), ("tanh", "tanh.out"), ("softmax",
                   "_softmax.out"), ("log_softmax", "_log_softmax.out"), ("mean", "mean.out"), ("prod", "prod.int_out"),
                   ("cumsum", "cumsum.out"), ("norm", "norm.out"), ("bmm", "bmm.out")):
    setattr(QuantizedTensor, _name, _refused_method(_op))


def _rebuild(ints, qdtype, scheme, scale, zero_point, axis):
    return make_quantized(QArray(ints, _dtype.to_dtype(qdtype), _qscheme_named(scheme), scale, zero_point, axis))


def _quantized_repr(t):
    """PyTorch's repr: the dequantized values, then size, dtype, scheme and qparams (broken where PyTorch's are)."""
    d = t._data
    indent = len("tensor(")
    values = d.dequantize()
    body = "tensor(" + (_format.array_str(values, indent) if values.size else "[]")
    suffixes = [f"size={tuple(d.shape)}", f"dtype={d.qdtype!r}", f"quantization_scheme={d.qscheme!r}"]
    if d.per_channel:
        suffixes += [f"scale={Tensor._make(d.scale)!r}", f"zero_point={Tensor._make(d.zero_point)!r}",
                     f"axis={d.axis}"]
    else:
        suffixes += [f"scale={d.scale!r}", f"zero_point={d.zero_point}"]
    return _format.with_suffixes(body, suffixes, indent)


# ---- fake quantization (QAT): forward quantize-dequantize, straight-through gradient inside [qmin, qmax] -----------
def _fake_quant(x, inv, scale, zp, qmin, qmax):
    """(x fake-quantized, mask of the elements whose rounded value lies in [qmin, qmax]): PyTorch's kernel, in
    inv and scale float32 whatever the input dtype, zp added after rounding."""
    q = np.rint(x * inv.astype(x.dtype)) + zp
    mask = (q >= qmin) & (q <= qmax)
    return ((np.clip(q, qmin, qmax) - zp).astype(_F32) * scale).astype(x.dtype, copy=False), mask


class FakeQuantize(Function):
    """fake_quantize_per_tensor_affine / fake_quantize_per_channel_affine: apply(x, scale, zp, qmin, qmax, axis)
    with scale and zp float32 arrays broadcast against x (axis: None per tensor)."""
    op_name = "fake_quantize_per_tensor_affine"

    @staticmethod
    def forward(ctx, x, scale, zp, qmin, qmax, axis, name):
        inv = np.float32(1) / scale         # float32, as torch's kernel, for any input dtype
        out, mask = _fake_quant(x, inv, scale, zp, qmin, qmax)
        ctx.save_for_backward(mask.astype(x.dtype))
        ctx.qname = name
        return out

    @staticmethod
    def backward(ctx, g):
        mask, = ctx._saved
        return g * m.data(mask), None, None, None, None, None, None

    def name(self):
        return self.qname


def _check_fake_args(input, qmin, qmax, op):
    if not isinstance(input, Tensor) or _is_q(input):
        raise _refuse(op)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f'"{op}" not implemented for \'{input.dtype.scalar_type}\'')
    if qmin > qmax:
        raise RuntimeError("`quant_min` should be less than or equal to `quant_max`.")


def _arr(v, dtype):
    return np.asarray(v._data if isinstance(v, Tensor) else v).astype(dtype)


@_api.declare(method=False)
def fake_quantize_per_tensor_affine(input, scale, zero_point, quant_min, quant_max):
    """``(clamp(round(x / scale) + zero_point, quant_min, quant_max) - zero_point) * scale``, still float; the
    gradient passes where the rounded value lies in [quant_min, quant_max], zero elsewhere (straight-through), as
    PyTorch's. scale / zero_point: numbers or one-element tensors.

    Example: ``torch.fake_quantize_per_tensor_affine(x, 0.1, 0, -128, 127)``"""
    _check_fake_args(input, quant_min, quant_max, "fake_quantize_per_tensor_affine")
    tensor_qparams = isinstance(scale, Tensor)
    zp = int(_scalar(zero_point))
    if not quant_min <= zp <= quant_max:
        raise RuntimeError("`zero_point` must be between `quant_min` and `quant_max`.")
    name = "FakeQuantizePerTensorAffineCachemaskBackward0" if not tensor_qparams else \
        "FakeQuantizePerTensorAffineCachemaskTensorQparamsBackward0"
    return FakeQuantize.apply(input, np.float32(_scalar(scale)), np.float32(zp), quant_min, quant_max, None, name)


@_api.declare(method=False)
def fake_quantize_per_channel_affine(input, scale, zero_point, axis, quant_min, quant_max):
    """fake_quantize_per_tensor_affine with one scale and zero point per slice along `axis` (float32 scales, int
    zero points), straight-through gradient. Example: ``torch.fake_quantize_per_channel_affine(w, s, z, 0, -128,
    127)``"""
    _check_fake_args(input, quant_min, quant_max, "fake_quantize_per_channel_affine")
    s, z = _arr(scale, _F32).reshape(-1), _arr(zero_point, np.float64).reshape(-1)
    axis = axis + input.ndim if axis < 0 else axis
    if not 0 <= axis < input.ndim:
        raise RuntimeError("`axis` must be between 0 and number of dimensions of input")
    if s.size != input.shape[axis] or z.size != s.size:
        raise RuntimeError("dimensions of scale and zero-point are not consistent with input tensor")
    if ((z < quant_min) | (z > quant_max)).any():
        raise RuntimeError("`zero_point` must be between `quant_min` and `quant_max`.")
    shape = [-1 if i == axis else 1 for i in range(input.ndim)]
    return FakeQuantize.apply(input, s.reshape(shape), np.rint(z).astype(_F32).reshape(shape), quant_min, quant_max,
                              axis, "FakeQuantizePerChannelAffineCachemaskBackward0")


# ---- top-level names, and the top-level ops that take a quantized operand -----------------------------------------
def _cat(tensors, dim=0, *, out=None, stack=False):
    """cat / stack of quantized tensors: per tensor, one dtype; the others requantized to the first's qparams."""
    tensors = list(tensors)
    first = tensors[0]
    dense = next((t for t in tensors if not _is_q(t)), None)
    if dense is not None:           # PyTorch asks the dense one for its qscheme
        raise _refuse_dense("qscheme", dense)
    if any(t._data.per_channel for t in tensors):
        raise RuntimeError("Only per-tensor quantization is supported in 'cat'!")
    if any(t.dtype is not first.dtype for t in tensors):
        raise RuntimeError("All dtypes must be the same.")
    d = first._data
    if any((t._data.scale, t._data.zero_point) != (d.scale, d.zero_point) for t in tensors):
        warnings.warn("All inputs of this cat operator must share the same quantization parameters. Otherwise large "
                      "numerical inaccuracies may occur.", UserWarning, stacklevel=3)
    same = [t if (t._data.scale, t._data.zero_point) == (d.scale, d.zero_point) else
            quantize_per_tensor(t.dequantize(), d.scale, d.zero_point, d.qdtype) for t in tensors]
    joined = _api.dense("stack" if stack else "cat")([Tensor._make(t._data.ints) for t in same], dim)
    return make_quantized(d.like(joined._data))


def _dispatch(name, quantized_fn, where=(_api.TOP,), pair=False):
    """Routes the op `name` (and its aliases) in each table of `where` to quantized_fn when its first argument (the
    first tensor of a list for cat/stack; either of the two for a `pair`) is quantized (_api.route)."""
    operand = "either" if pair else "list" if name in ("cat", "concat", "concatenate", "stack") else "first"
    _api.route(name, QuantizedTensor, quantized_fn, operand, where)


_dispatch("cat", _cat)
_dispatch("concat", _cat)
_dispatch("concatenate", _cat)
_dispatch("stack", lambda tensors, dim=0, *, out=None: _cat(tensors, dim, stack=True))
_dispatch("relu", lambda x, inplace=False: x.relu_() if inplace else x.relu(), (_api.TOP, _api.FUNCTIONAL))
_dispatch("equal", lambda a, b: a.equal(b))


def _compare(name):
    """PyTorch's quantized comparisons: on the dequantized values (the other operand quantized, float or a number)."""
    def method(self, other):
        return getattr(self.dequantize(), name)(other.dequantize() if _is_q(other) else other)
    method.__name__ = name
    return method


def _compare_into_self(self, other):
    raise RuntimeError("The 'out' tensor must have dtype 'torch.bool'")     # PyTorch's words, its dtype name


for _name, _dunder in (("eq", "__eq__"), ("ne", "__ne__"), ("lt", "__lt__"), ("le", "__le__"), ("gt", "__gt__"),
                       ("ge", "__ge__")):
    setattr(QuantizedTensor, _name, _compare(_name))
    setattr(QuantizedTensor, _dunder, _compare(_name))
    setattr(QuantizedTensor, _name + "_", _compare_into_self)
    _dispatch(_name, lambda a, b, _n=_name: getattr(a.dequantize() if _is_q(a) else a, _n)(
        b.dequantize() if _is_q(b) else b), pair=True)
QuantizedTensor.__hash__ = Tensor.__hash__         # defining __eq__ would drop it


def _pool_ints(pool):
    """A max pool of a quantized tensor: run on its integers (max commutes with the monotone affine map), same
    qparams, as PyTorch's quantized max_pool2d."""
    def fn(input, *args, **kwargs):
        d = input._data
        exact = np.float64 if d.qdtype is _dtype.qint32 else _F32      # every integer exact
        out = _api.dense(pool, _api.FUNCTIONAL)(Tensor._make(d.ints.astype(exact)), *args, **kwargs)
        if isinstance(out, tuple):
            return (make_quantized(d.like(out[0]._data.astype(d.ints.dtype))),) + tuple(out[1:])
        return make_quantized(d.like(out._data.astype(d.ints.dtype)))
    return fn


def _avg_pool_ints(pool, ties_on_q):
    """An average pool of a quantized tensor, as PyTorch's: the mean m of (q - zero_point) (padding counts as a
    real 0), rounded ties to even, same qparams; avg_pool2d breaks ties on the integers (rint(m + zero_point)),
    adaptive_avg_pool2d on m (rint(m) + zero_point)."""
    def fn(input, *args, **kwargs):
        _per_tensor_only(input, pool)
        d = input._data
        mean = _api.dense(pool, _api.FUNCTIONAL)(Tensor._make(d.ints.astype(np.float64) - d.zero_point), *args, **kwargs)._data
        ints = np.rint(mean + d.zero_point) if ties_on_q else np.rint(mean) + d.zero_point
        return make_quantized(d.like(np.clip(ints, d.qdtype.qmin, d.qdtype.qmax).astype(d.ints.dtype)))
    return fn


def clamp_ints(x, lo=None, hi=None, inplace=False):
    """clamp of a quantized tensor in its integers, the bounds quantized with its qparams, as PyTorch's quantized
    clamp / hardtanh / relu6 (same qparams)."""
    _per_tensor_only(x, "clamp")
    d = x._data
    inv, zp, ints = np.float32(1) / np.float32(d.scale), np.float32(d.zero_point), d.ints
    if lo is not None:
        ints = np.maximum(ints, _round_to(np.float32(_scalar(lo)), inv, zp, d.qdtype))
    if hi is not None:
        ints = np.minimum(ints, _round_to(np.float32(_scalar(hi)), inv, zp, d.qdtype))
    if not inplace:
        return make_quantized(d.like(ints if ints is not d.ints else ints.copy()))
    d.ints[...] = ints
    x._version[0] += 1
    return x


def _clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return clamp_ints(input, min, max)


QuantizedTensor.clamp = QuantizedTensor.clip = _clamp
_dispatch("clamp", _clamp)
_dispatch("clip", _clamp)
_dispatch("hardtanh", lambda input, min_val=-1.0, max_val=1.0, inplace=False: clamp_ints(input, min_val, max_val,
                                                                                             inplace), (_api.FUNCTIONAL,))
_dispatch("relu6", lambda input, inplace=False: clamp_ints(input, 0.0, 6.0, inplace), (_api.FUNCTIONAL,))


for _name in ("max_pool1d", "max_pool2d"):
    _dispatch(_name, _pool_ints(_name), (_api.TOP, _api.FUNCTIONAL))
_dispatch("avg_pool2d", _avg_pool_ints("avg_pool2d", True), (_api.TOP, _api.FUNCTIONAL))
_dispatch("adaptive_avg_pool2d", _avg_pool_ints("adaptive_avg_pool2d", False), (_api.TOP, _api.FUNCTIONAL))
for _name in ("reshape", "flatten", "transpose", "permute", "unsqueeze", "squeeze", "index_select", "chunk", "split",
              "narrow", "select", "movedim", "swapaxes", "unflatten", "clone", "detach", "t", "unbind"):
    _dispatch(_name, lambda x, *args, _n=_name, **kw: getattr(x, _n)(*args, **kw))

_api.TOP.update(quantize_per_tensor=quantize_per_tensor, quantize_per_channel=quantize_per_channel,
                quantize_per_tensor_dynamic=quantize_per_tensor_dynamic, dequantize=dequantize,
                int_repr=lambda x: x.int_repr(), q_scale=lambda x: x.q_scale(),
                q_zero_point=lambda x: x.q_zero_point(), q_per_channel_scales=lambda x: x.q_per_channel_scales(),
                q_per_channel_zero_points=lambda x: x.q_per_channel_zero_points(),
                q_per_channel_axis=lambda x: x.q_per_channel_axis(), qscheme=qscheme,
                per_tensor_affine=per_tensor_affine, per_channel_affine=per_channel_affine,
                per_tensor_symmetric=per_tensor_symmetric, per_channel_symmetric=per_channel_symmetric,
                per_channel_affine_float_qparams=per_channel_affine_float_qparams, quint8=_dtype.quint8,
                qint8=_dtype.qint8, qint32=_dtype.qint32, quint4x2=_dtype.quint4x2)


def _not_quantized(op):
    def method(self, *args, **kwargs):
        raise _refuse_dense(op, self)
    method.__name__ = op
    return method


def _refuse_dense(op, t):
    return _unsupported(op, t.device.type.upper(), sparse=False)


def _dense_dequantize(self):
    """A dense tensor's dequantize: itself as float32 (PyTorch's; a float32 tensor is returned as it is)."""
    return self.to(_dtype.float32)


# dense Tensors: the quantized accessors refuse as PyTorch's do (the 'CPU' backend), dequantize casts to float32
for _name in ("int_repr", "q_scale", "q_zero_point", "q_per_channel_scales", "q_per_channel_zero_points",
              "q_per_channel_axis", "qscheme"):
    setattr(Tensor, _name, _not_quantized(_name))
Tensor.dequantize = _dense_dequantize
