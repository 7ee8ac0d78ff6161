"""Quantized modules, as ``torch.ao.nn.quantized``: Linear and Conv2d on quantized tensors (int8 weights, integer
accumulation, the output requantized to the module's scale and zero point), Quantize / DeQuantize, ReLU6; made
from float modules by ``autograd_lite.ao.quantization.convert``. The integer arithmetic is written once here
(``linear_int``) and shared with the dynamic Linear."""
import numpy as np

from ... import _dtype
from ... import _quantized as _q
from ...tensor import Tensor
from .. import functional as F
from ..modules.module import Module

__all__ = ["Linear", "Conv2d", "Quantize", "DeQuantize", "ReLU6", "LinearPackedParams"]

_F32 = np.float32
_ABSENT = object()      # what state_dict.pop returns for a key the checkpoint lacks (None is a valid bias)


def _host(t):
    return t._data if type(t._data) is np.ndarray else t._data.get()


def weight_centered(qw):
    """(int weights minus their zero points as float64, float32 scale per output channel)."""
    d = qw._data
    if d.per_channel:
        zp = d.zero_point.reshape([-1] + [1] * (d.ndim - 1))
        return d.ints.astype(np.float64) - zp, d.scale.astype(_F32)
    return d.ints.astype(np.float64) - d.zero_point, np.full(d.shape[0], d.scale, _F32)


def _saturating_acc(x, qw, x_zp):
    """FBGEMM's int8 GEMM when activations use all 8 bits: each pair of adjacent products (uint8 x * int8 w) is
    summed with int16 saturation (vpmaddubsw) before the int32 accumulation; zero points corrected exactly after."""
    d = qw._data
    w = d.ints.astype(np.int32)
    k = x.shape[1]
    if k % 2:
        x, w = np.pad(x, ((0, 0), (0, 1))), np.pad(w, ((0, 0), (0, 1)))
    acc = np.empty((x.shape[0], w.shape[0]), np.int64)
    for r in range(0, x.shape[0], 64):      # bounded memory: (64, N, K / 2) pair sums at a time
        xr = x[r:r + 64].astype(np.int32)
        pairs = xr[:, None, 0::2] * w[None, :, 0::2] + xr[:, None, 1::2] * w[None, :, 1::2]
        acc[r:r + 64] = np.clip(pairs, -32768, 32767).sum(axis=2)
    w_zp = d.zero_point.reshape(-1) if d.per_channel else np.full(w.shape[0], d.zero_point)
    acc -= x_zp * d.ints.astype(np.int64).sum(axis=1)[None, :]
    acc -= w_zp[None, :] * (x[:, :k].astype(np.int64).sum(axis=1)[:, None] - k * x_zp)
    return acc.astype(_F32)


def linear_int(qx_ints, x_scale, x_zp, qw, bias):
    """FBGEMM's quantized linear in float: acc = sum((qx - x_zp) * (qw - w_zp)) (exact integers; with int16
    saturation of product pairs when the activations exceed 7 bits, as FBGEMM's), then
    fma(float32(acc), float32(x_scale) * w_scale, bias) rounded once to float32 (emulated in float64)."""
    w, w_scale = weight_centered(qw)
    flat = qx_ints.reshape(-1, qx_ints.shape[-1])
    if flat.size and flat.max() > 127:
        acc = _saturating_acc(flat, qw, x_zp)
    else:
        acc = ((flat.astype(np.float64) - x_zp) @ w.T).astype(_F32)      # float64 sums of integers: exact
    mult = (_F32(x_scale) * w_scale).astype(np.float64)
    out = acc.astype(np.float64) * mult
    if bias is not None:
        out += _host(bias).astype(_F32)
    return out.astype(_F32).reshape(qx_ints.shape[:-1] + (w.shape[0],))


def quantize_weight(weight, observer):
    """A float weight quantized with an observer that has seen it (PyTorch's _quantize_weight)."""
    scale, zp = observer.calculate_qparams()
    w = weight.detach().float() if weight.dtype is not _dtype.float32 else weight.detach()
    if observer.qscheme in (_q.per_tensor_symmetric, _q.per_tensor_affine):
        return _q.quantize_per_tensor(w, float(scale._data[0]), int(zp._data[0]), observer.dtype)
    if observer.qscheme in (_q.per_channel_symmetric, _q.per_channel_affine):
        return _q.quantize_per_channel(w, Tensor._make(scale._data.astype(np.float64)),
                                       Tensor._make(zp._data.astype(np.int64)), observer.ch_axis, observer.dtype)
    return _q.quantize_per_channel(w, scale, zp, observer.ch_axis, _dtype.quint8)


def _qparams_entry(module, state_dict, prefix, missing_keys, error_msgs, shape=()):
    """Takes `prefix` scale / zero_point (one-element tensors, of `shape`) out of state_dict into module.scale /
    zero_point (as torch's modules pop what they read: Module._load_from_state_dict then finds nothing unexpected)."""
    values = {}
    for name, kind in (("scale", "f"), ("zero_point", "iu")):
        key = prefix + name
        if key not in state_dict:
            missing_keys.append(key)
            continue
        v = state_dict.pop(key)
        if not isinstance(v, Tensor) or isinstance(v, _q.QuantizedTensor) or v.numel() != 1 or \
                _host(v).dtype.kind not in kind:
            error_msgs.append(f'While copying the parameter named "{key}", expected a one-element '
                              f'{"float" if kind == "f" else "integer"} tensor from checkpoint but received '
                              f"{v!r:.80}")
            continue
        values[name] = float(v.item()) if kind == "f" else int(v.item())
    for name, value in values.items():
        setattr(module, name, value)


def _check_weight_bias(key, bias_key, weight, bias, shape, error_msgs):
    """Whether a checkpoint's quantized weight (qint8, of `shape`) and float bias (or None) can be loaded; if not,
    why, appended to error_msgs."""
    if not isinstance(weight, _q.QuantizedTensor) or weight.dtype is not _dtype.qint8:
        error_msgs.append(f'While copying the parameter named "{key}", expected a qint8 quantized tensor from '
                          f"checkpoint but received {type(weight).__name__} of dtype {getattr(weight, 'dtype', None)}")
        return False
    if tuple(weight.shape) != tuple(shape):
        error_msgs.append(f"size mismatch for {key}: copying a param with shape {weight.shape} from checkpoint, the "
                          f"shape in current model is {type(weight.shape)(shape)}.")
        return False
    if bias is not None and (not isinstance(bias, Tensor) or isinstance(bias, _q.QuantizedTensor) or
                             bias.dtype is not _dtype.float32 or tuple(bias.shape) != (shape[0],)):
        error_msgs.append(f'While copying the parameter named "{bias_key}", expected a float32 tensor of shape '
                          f"({shape[0]},) or None from checkpoint but received {bias!r:.80}")
        return False
    return True


def _observed(mod):
    """(weight observer that has seen mod.weight: its QAT weight_fake_quant, else a fresh qconfig.weight(); the
    output's scale; the output's zero point) of a float or QAT module that prepare observed, as convert reads them."""
    app = getattr(mod, "activation_post_process", None)
    if app is None or getattr(mod, "qconfig", None) is None:
        raise AssertionError("Input float module must have qconfig defined and an activation_post_process")
    wobs = getattr(mod, "weight_fake_quant", None)
    if wobs is None:
        wobs = mod.qconfig.weight()
        wobs(mod.weight)
    return (wobs,) + _output_qparams(app)


def _output_qparams(observer):
    scale, zp = observer.calculate_qparams()
    return float(scale._data.reshape(-1)[0]), int(zp._data.reshape(-1)[0])


def _plain(bias):
    """A checkpoint's bias (a Parameter in PyTorch's) as the plain tensor the quantized modules hold."""
    return None if bias is None else Tensor._make(bias._data)


class LinearPackedParams(Module):
    """The (quantized weight, float bias) pair of a quantized Linear; its state_dict keys are PyTorch's ``dtype`` and
    ``_packed_params`` (the pair)."""
    _version = 3                # PyTorch's: 2 added dtype, 3 packed (weight, bias) into one entry

    def __init__(self, dtype=_dtype.qint8):
        super().__init__()
        self.dtype = dtype
        self._pair = (None, None)

    def set_weight_bias(self, weight, bias):
        self._pair = (weight, bias)

    def _weight_bias(self):
        return self._pair

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "dtype"] = self.dtype
        destination[prefix + "_packed_params"] = self._pair

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Takes dtype and the (weight, bias) pair out of state_dict (PyTorch's keys; a version 1 or 2 checkpoint's
        separate weight / bias and missing dtype upgraded as torch does), the weight checked (qint8, this module's
        shape) before anything is set."""
        version = local_metadata.get("version", None)
        key, dtype_key, wkey, bkey = (prefix + k for k in ("_packed_params", "dtype", "weight", "bias"))
        if (version is None or version < 2) and dtype_key not in state_dict:
            state_dict[dtype_key] = _dtype.qint8        # (only qint8 was saved before version 2)
        if (version is None or version < 3) and key not in state_dict and wkey in state_dict and bkey in state_dict:
            state_dict[key] = (state_dict.pop(wkey), state_dict.pop(bkey))
        dtype = state_dict.pop(dtype_key, _ABSENT)
        if dtype is _ABSENT:
            missing_keys.append(dtype_key)
        elif dtype is not _dtype.qint8:
            error_msgs.append(f"{dtype_key}: autograd_lite's quantized Linear supports dtype torch.qint8 only, the "
                              f"checkpoint has {dtype!r:.40}")
        if key not in state_dict:
            missing_keys.append(key)
        else:
            pair = state_dict.pop(key)
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                error_msgs.append(f'While copying the parameter named "{key}", expected a (weight, bias) pair from '
                                  f"checkpoint but received {type(pair).__name__}")
            elif _check_weight_bias(key, key, pair[0], pair[1], getattr(
                    pair[0] if self._pair[0] is None else self._pair[0], "shape", ()), error_msgs):
                self.set_weight_bias(pair[0], _plain(pair[1]))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def extra_repr(self):
        return repr(self._pair)


class Linear(Module):
    """A Linear on quantized tensors: quint8 input, qint8 weight, output quantized with ``scale`` / ``zero_point``
    (PyTorch's QuantizedLinear). Made by ``convert`` from an observed nn.Linear (``from_float``).

    Example: ``qlinear = nn.quantized.Linear(4, 3); qlinear(torch.quantize_per_tensor(x, 0.1, 128, torch.quint8))``"""
    _FLOAT_MODULE = None        # nn.Linear, set below (nn is not importable here at import time)
    _version = 3                # PyTorch's: the state_dict's _metadata says it (the dynamic Linear's is 4)

    def __init__(self, in_features, out_features, bias_=True, dtype=_dtype.qint8):
        super().__init__()
        if dtype is not _dtype.qint8:
            raise RuntimeError("Unsupported dtype specified for quantized Linear!")
        self.in_features, self.out_features = in_features, out_features
        bias = Tensor._make(np.zeros(out_features, _F32)) if bias_ else None
        qweight = _q.quantize_per_tensor(Tensor._make(np.zeros((out_features, in_features), _F32)), 1, 0,
                                         _dtype.qint8)
        self._packed_params = LinearPackedParams(dtype)
        self._packed_params.set_weight_bias(qweight, bias)
        self.scale, self.zero_point = 1.0, 0

    def _get_name(self):
        return "QuantizedLinear"

    def __repr__(self):         # the packed params are not shown, as PyTorch's
        return f"{self._get_name()}({self.extra_repr()})"

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, scale={self.scale}, "
                f"zero_point={self.zero_point}, qscheme={self.weight().qscheme()}")

    def weight(self):
        return self._packed_params._weight_bias()[0]

    def bias(self):
        return self._packed_params._weight_bias()[1]

    def set_weight_bias(self, w, b):
        self._packed_params.set_weight_bias(w, b)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "scale"] = Tensor._make(np.array(self.scale, _F32))
        destination[prefix + "zero_point"] = Tensor._make(np.array(self.zero_point, np.int64))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Takes scale and zero_point out of state_dict (PyTorch's keys; a version 1 checkpoint's weight / bias moved
        under _packed_params, as torch does); the _packed_params child reads the weight and bias."""
        _qparams_entry(self, state_dict, prefix, missing_keys, error_msgs)
        version = local_metadata.get("version", None)
        wkey, bkey = prefix + "weight", prefix + "bias"
        if (version is None or version == 1) and wkey in state_dict and bkey in state_dict:
            state_dict[prefix + "_packed_params.weight"] = state_dict.pop(wkey)
            state_dict[prefix + "_packed_params.bias"] = state_dict.pop(bkey)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def forward(self, x):
        if not isinstance(x, _q.QuantizedTensor):
            raise _q._refuse_dense("quantized::linear", x)
        d = x._data
        if d.per_channel or x.dtype is not _dtype.quint8:
            raise RuntimeError("quantized::linear (fbgemm): Expected input data type to be quint8")
        out = linear_int(d.ints, d.scale, d.zero_point, self.weight(), self.bias())
        return _q.quantize_per_tensor(Tensor._make(out), self.scale, self.zero_point, _dtype.quint8)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """The quantized Linear of an observed float (or QAT) Linear: its weight quantized with its qconfig's weight
        observer, its output scale / zero point from its activation_post_process."""
        wobs, scale, zero_point = _observed(mod)
        q = cls(mod.in_features, mod.out_features, dtype=wobs.dtype)
        q.set_weight_bias(quantize_weight(mod.weight, wobs), None if mod.bias is None else mod.bias.detach())
        q.scale, q.zero_point = scale, zero_point
        return q


class Quantize(Module):
    """quantize_per_tensor with fixed scale / zero point / dtype (what QuantStub becomes after convert).
    Example: ``nn.quantized.Quantize(0.1, 128, torch.quint8)(x).int_repr()``"""

    def __init__(self, scale, zero_point, dtype, factory_kwargs=None):
        super().__init__()
        self.scale, self.zero_point, self.dtype = float(scale), int(zero_point), dtype

    def forward(self, X):
        return _q.quantize_per_tensor(X, self.scale, self.zero_point, self.dtype)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """PyTorch's buffers: scale (float32) and zero_point (int64), one element each."""
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "scale"] = Tensor._make(np.array([self.scale], _F32))
        destination[prefix + "zero_point"] = Tensor._make(np.array([self.zero_point], np.int64))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        _qparams_entry(self, state_dict, prefix, missing_keys, error_msgs)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def extra_repr(self):
        return f"scale={Tensor._make(np.array([self.scale], _F32))}, zero_point=" \
               f"{Tensor._make(np.array([self.zero_point], np.int64))}, dtype={self.dtype}"

    def _get_name(self):
        return "Quantize"

    @staticmethod
    def from_float(mod, use_precomputed_fake_quant=False):
        return Quantize(*_output_qparams(mod.activation_post_process), mod.activation_post_process.dtype)


class DeQuantize(Module):
    """dequantize (what DeQuantStub becomes after convert). Example: ``nn.quantized.DeQuantize()(q)`` is
    ``q.dequantize()``."""

    def forward(self, Xq):
        return Xq.dequantize()

    @staticmethod
    def from_float(mod, use_precomputed_fake_quant=False):
        return DeQuantize()


class ReLU6(Module):
    """min(max(x, 0), 6) on a quantized tensor: the integers clamped to [zero_point, round(6 / scale) +
    zero_point], same qparams (PyTorch's QuantizedReLU6). Example: ``nn.quantized.ReLU6()(q)``"""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return _q.clamp_ints(input, 0.0, 6.0, self.inplace)

    def _get_name(self):
        return "QuantizedReLU6"

    @staticmethod
    def from_float(mod, use_precomputed_fake_quant=False):
        return ReLU6(mod.inplace)


def _conv2d_int(qx, qw, bias, stride, padding, dilation, groups):
    """Quantized conv2d as float arithmetic on centred integers (exact sums), then fma with the scales as
    linear_int: the padding is the input's zero point (a real 0)."""
    d = qx._data
    w, w_scale = weight_centered(qw)
    if groups == 1 and d.ints.size and d.ints.max() > 127:
        acc = _saturating_conv(d, qw, stride, padding, dilation)
    else:
        x = Tensor._make((d.ints.astype(np.float64) - d.zero_point))
        acc = F.conv2d(x, Tensor._make(w), None, stride, padding, dilation, groups)._data.astype(_F32)
    mult = (_F32(d.scale) * w_scale).astype(np.float64).reshape(1, -1, 1, 1)
    out = acc.astype(np.float64) * mult
    if bias is not None:
        out += _host(bias).astype(_F32).reshape(1, -1, 1, 1)
    return out.astype(_F32)


def _saturating_conv(d, qw, stride, padding, dilation):
    """FBGEMM's im2col conv with 8-bit activations: the patches ordered (kh, kw, c_in) (NHWC), padded with the zero
    point, through the saturating pair sums of _saturating_acc."""
    x = np.pad(d.ints, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2), constant_values=d.zero_point)
    n, c, h, w_ = x.shape
    o, _, kh, kw = qw.shape
    oh = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (w_ - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    cols = np.empty((n, oh, ow, kh, kw, c), d.ints.dtype)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i * dilation[0]:i * dilation[0] + stride[0] * oh:stride[0],
                      j * dilation[1]:j * dilation[1] + stride[1] * ow:stride[1]]
            cols[:, :, :, i, j, :] = patch.transpose(0, 2, 3, 1)
    qw_nhwc = _q.make_quantized(qw._data.like(np.ascontiguousarray(qw._data.ints.transpose(0, 2, 3, 1)).reshape(o, -1)))
    acc = _saturating_acc(cols.reshape(n * oh * ow, -1), qw_nhwc, d.zero_point)
    return acc.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)


class Conv2d(Module):
    """A Conv2d on quantized tensors (quint8 input, qint8 weight, output requantized to ``scale`` /
    ``zero_point``), PyTorch's QuantizedConv2d; made by ``convert`` from an observed nn.Conv2d (zeros padding).
    Example: ``nn.quantized.Conv2d(3, 8, 3)(torch.quantize_per_tensor(x, 0.1, 128, torch.quint8))``"""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        pair = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v)      # noqa: E731
        if padding_mode != "zeros":
            raise NotImplementedError("autograd_lite: quantized Conv2d supports padding_mode='zeros' only")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, pair(kernel_size)
        self.stride, self.padding, self.dilation, self.groups = pair(stride), pair(padding), pair(dilation), groups
        self.padding_mode = padding_mode
        self._weight = _q.quantize_per_tensor(
            Tensor._make(np.zeros((out_channels, in_channels // groups) + self.kernel_size, _F32)), 1, 0,
            _dtype.qint8)
        self._bias = Tensor._make(np.zeros(out_channels, _F32)) if bias else None
        self.scale, self.zero_point = 1.0, 0

    def _get_name(self):
        return "QuantizedConv2d"

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
             f"scale={self.scale}, zero_point={self.zero_point}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self._bias is None:
            s += ", bias=False"
        return s

    def weight(self):
        return self._weight

    def bias(self):
        return self._bias

    def set_weight_bias(self, w, b):
        self._weight, self._bias = w, b

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "weight"] = self._weight
        destination[prefix + "bias"] = self._bias
        destination[prefix + "scale"] = Tensor._make(np.array(self.scale, _F32))
        destination[prefix + "zero_point"] = Tensor._make(np.array(self.zero_point, np.int64))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Takes weight (qint8, this module's shape), bias, scale and zero_point out of state_dict (PyTorch's keys)."""
        _qparams_entry(self, state_dict, prefix, missing_keys, error_msgs)
        wkey, bkey = prefix + "weight", prefix + "bias"
        weight, bias = state_dict.pop(wkey, _ABSENT), state_dict.pop(bkey, _ABSENT)
        for key, value in ((wkey, weight), (bkey, bias)):
            if value is _ABSENT:
                missing_keys.append(key)
        if weight is not _ABSENT and bias is not _ABSENT and \
                _check_weight_bias(wkey, bkey, weight, bias, self._weight.shape, error_msgs):
            self.set_weight_bias(weight, _plain(bias))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def forward(self, input):
        if not isinstance(input, _q.QuantizedTensor):
            raise _q._refuse_dense("quantized::conv2d.new", input)
        if input.ndim != 4:
            raise ValueError("Input shape must be `(N, C, H, W)`!")
        out = _conv2d_int(input, self._weight, self._bias, self.stride, self.padding, self.dilation, self.groups)
        return _q.quantize_per_tensor(Tensor._make(out), self.scale, self.zero_point, _dtype.quint8)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        wobs, scale, zero_point = _observed(mod)
        q = cls(mod.in_channels, mod.out_channels, mod.kernel_size, mod.stride, mod.padding, mod.dilation,
                mod.groups, mod.bias is not None, mod.padding_mode)
        q.set_weight_bias(quantize_weight(mod.weight, wobs), None if mod.bias is None else mod.bias.detach())
        q.scale, q.zero_point = scale, zero_point
        return q
