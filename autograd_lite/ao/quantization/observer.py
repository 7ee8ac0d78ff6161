"""Observers, as ``torch.ao.quantization.observer``: modules that record the range of what passes through them
and compute a scale and zero point from it (``calculate_qparams``) with PyTorch's formulas, in float32."""
import functools

import numpy as np

from ... import _dtype
from ... import _quantized as _q
from ...nn.modules.module import Module
from ...tensor import Tensor

__all__ = ["ObserverBase", "MinMaxObserver", "MovingAverageMinMaxObserver", "PerChannelMinMaxObserver",
           "MovingAveragePerChannelMinMaxObserver", "HistogramObserver", "PlaceholderObserver", "default_observer",
           "default_weight_observer", "default_per_channel_weight_observer", "default_dynamic_quant_observer",
           "default_placeholder_observer", "default_float_qparams_observer", "default_histogram_observer"]

_F32 = np.float32
_EPS = float(np.finfo(np.float32).eps)


class _PartialWrapper:
    """``Observer.with_args(...)``: a factory of observers with those arguments (PyTorch's _PartialWrapper)."""

    def __init__(self, p):
        self.p = p

    def __call__(self, *args, **kwargs):
        return self.p(*args, **kwargs)

    def __repr__(self):
        return repr(self.p) + "{}"

    def with_args(self, **kwargs):
        return _PartialWrapper(functools.partial(self.p, **kwargs))


def _with_args(cls_or_self, **kwargs):
    return _PartialWrapper(functools.partial(cls_or_self, **kwargs))


def _qrange(dtype, reduce_range, quant_min, quant_max):
    """PyTorch's calculate_qmin_qmax."""
    if quant_min is not None and quant_max is not None:
        if not quant_min <= 0 <= quant_max:
            raise AssertionError("Used-specified quantization range must include 0.")
        if quant_min >= quant_max:
            raise AssertionError("qmin must be strictly less than qmax for user-specified quantization range.")
        if dtype in (_dtype.qint8, _dtype.int8) and not 0 < quant_max - quant_min + 1 <= 256:
            raise AssertionError("quantization range should be positive and not exceed the maximum bit range "
                                 "(=256).")
        return (quant_min // 2, quant_max // 2) if reduce_range else (quant_min, quant_max)
    if dtype in (_dtype.qint8, _dtype.int8):
        return (-64, 63) if reduce_range else (-128, 127)
    if dtype in (_dtype.quint8, _dtype.uint8):
        return (0, 127) if reduce_range else (0, 255)
    if dtype in (_dtype.qint32, _dtype.int32):
        return -2 ** 31, 2 ** 31 - 1
    if dtype is _dtype.quint4x2:
        return 0, 15
    return 0, 15


class ObserverBase(Module):
    """The base of observers: ``dtype``, ``is_dynamic``, ``with_args``."""
    with_args = classmethod(_with_args)

    def __init__(self, dtype, is_dynamic=False):
        super().__init__()
        self.dtype, self.is_dynamic = dtype, is_dynamic


class _UniformObserver(ObserverBase):
    """PyTorch's UniformQuantizationObserverBase: the qscheme, the integer range, eps and _calculate_qparams."""
    _ALLOWED = ("per_tensor_affine", "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric",
                "per_channel_affine_float_qparams")

    def __init__(self, dtype=_dtype.quint8, qscheme=_q.per_tensor_affine, reduce_range=False, quant_min=None,
                 quant_max=None, factory_kwargs=None, eps=_EPS, is_dynamic=False, **kwargs):
        super().__init__(dtype, is_dynamic)
        if qscheme.name not in self._ALLOWED:
            raise AssertionError("Default Observer only works for per_tensor_affine, per_tensor_symmetric, "
                                 "per_channel_affine, per_channel_symmetric and per_channel_float_qparams "
                                 "quantization scheme")
        self.qscheme, self.reduce_range = qscheme, reduce_range
        self.register_buffer("eps", Tensor._make(np.array([eps], _F32)))
        self.has_customized_qrange = quant_min is not None and quant_max is not None
        self.quant_min, self.quant_max = _qrange(dtype, reduce_range, quant_min, quant_max)

    def _calculate_qparams(self, min_val, max_val):
        """(scale float32, zero_point) tensors of shape (channels,) (per tensor: (1,)), PyTorch's formulas."""
        lo, hi = np.asarray(min_val._data, _F32), np.asarray(max_val._data, _F32)
        if lo.size == 0 or hi.size == 0 or lo.ndim == 0 and lo == np.inf and hi == -np.inf:
            import warnings
            warnings.warn("must run observer before calling calculate_qparams. Returning default values.",
                          stacklevel=2)
            return Tensor._make(np.array([1.0], _F32)), Tensor._make(np.array([0], np.int64))
        if (lo > hi).any():
            raise AssertionError(f"min {min_val} should be less than max {max_val}")
        qmin, qmax = self.quant_min, self.quant_max
        lo_neg, hi_pos = np.minimum(lo, _F32(0)), np.maximum(hi, _F32(0))
        eps = self.eps._data
        scheme = self.qscheme
        if scheme in (_q.per_tensor_symmetric, _q.per_channel_symmetric):
            hi_pos = np.maximum(-lo_neg, hi_pos)
            scale = np.maximum(hi_pos / _F32((qmax - qmin) / 2), eps)
            zp_value = ((qmin + qmax) // 2 if self.has_customized_qrange else 128) \
                if self.dtype in (_dtype.quint8, _dtype.uint8) else 0
            zp = np.full(lo.shape, zp_value, np.int64)
        elif scheme is _q.per_channel_affine_float_qparams:
            scale = (hi - lo) / _F32(qmax - qmin)
            scale = np.where(scale > eps, scale, _F32(1)).astype(_F32)
            zp = (-1 * lo / scale).astype(_F32)
        else:
            scale = np.maximum((hi_pos - lo_neg) / _F32(qmax - qmin), eps)
            zp = np.clip(qmin - np.rint(lo_neg / scale).astype(np.int32), qmin, qmax).astype(np.int32)
        return Tensor._make(np.asarray(scale, _F32).reshape(-1)), Tensor._make(np.asarray(zp).reshape(-1))

    def calculate_qparams(self):
        """(scale, zero_point) of the range seen so far (min_val / max_val, set by the subclass's forward)."""
        return self._calculate_qparams(self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"

    def reset_min_max_vals(self):
        raise NotImplementedError("Cannot reset min/max values in the given observer.")


def _buffer(value):
    return Tensor._make(np.array(value, _F32))


class MinMaxObserver(_UniformObserver):
    """Records the running min and max of its inputs; ``calculate_qparams()`` maps [min, max] (widened to hold 0)
    onto the integer range (affine) or [-max|x|, max|x|] (symmetric), as PyTorch's.

    Example::

        >>> obs = MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)
        >>> _ = obs(torch.tensor([-1.0, 2.0]))
        >>> obs.calculate_qparams()
        (tensor([0.0157]), tensor([0]))
    """

    def __init__(self, dtype=_dtype.quint8, qscheme=_q.per_tensor_affine, reduce_range=False, quant_min=None,
                 quant_max=None, factory_kwargs=None, eps=_EPS, is_dynamic=False, **kwargs):
        if qscheme.name.startswith("per_channel") and type(self) in (MinMaxObserver, MovingAverageMinMaxObserver):
            raise NotImplementedError("MinMaxObserver's qscheme only support torch.per_tensor_symmetric and "
                                      "torch.per_tensor_affine.")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, factory_kwargs, eps, is_dynamic,
                         **kwargs)
        self.register_buffer("min_val", _buffer(np.inf))
        self.register_buffer("max_val", _buffer(-np.inf))
        if qscheme is _q.per_tensor_symmetric and reduce_range and dtype is _dtype.quint8:
            raise NotImplementedError("Cannot reduce range for symmetric quantization for quint8")

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        x = np.asarray(x_orig.detach()._data, _F32)
        self.min_val._data = np.asarray(np.minimum(x.min(), self.min_val._data), _F32)
        self.max_val._data = np.asarray(np.maximum(x.max(), self.max_val._data), _F32)
        return x_orig

    def reset_min_max_vals(self):
        self.min_val._data, self.max_val._data = _buffer(np.inf)._data, _buffer(-np.inf)._data


class MovingAverageMinMaxObserver(MinMaxObserver):
    """MinMaxObserver with a moving average of the min and max: ``min += c * (min(x) - min)``
    (averaging_constant c), the first batch taken as it is. Example: ``MovingAverageMinMaxObserver(0.01)``"""

    def __init__(self, averaging_constant=0.01, dtype=_dtype.quint8, qscheme=_q.per_tensor_affine,
                 reduce_range=False, quant_min=None, quant_max=None, eps=_EPS, is_dynamic=False, **kwargs):
        self.averaging_constant = averaging_constant
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range, quant_min=quant_min,
                         quant_max=quant_max, eps=eps, is_dynamic=is_dynamic, **kwargs)

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        x = np.asarray(x_orig.detach()._data, _F32)
        lo, hi = self.min_val._data, self.max_val._data
        if lo == np.inf and hi == -np.inf:
            lo, hi = x.min(), x.max()
        else:
            c = _F32(self.averaging_constant)
            lo, hi = lo + c * (x.min() - lo), hi + c * (x.max() - hi)
        self.min_val._data, self.max_val._data = np.asarray(lo, _F32), np.asarray(hi, _F32)
        return x_orig


class PerChannelMinMaxObserver(_UniformObserver):
    """The min and max of each slice along ch_axis; ``calculate_qparams()`` gives a scale and zero point per
    channel. Example: ``PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric)``"""

    def __init__(self, ch_axis=0, dtype=_dtype.quint8, qscheme=_q.per_channel_affine, reduce_range=False,
                 quant_min=None, quant_max=None, factory_kwargs=None, eps=_EPS, is_dynamic=False, **kwargs):
        if not qscheme.name.startswith("per_channel"):
            raise NotImplementedError("PerChannelObserver's qscheme only support torch.per_channel_symmetric, "
                                      "torch.per_channel_affine and torch.per_channel_affine_float_qparams.")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, factory_kwargs, eps, is_dynamic,
                         **kwargs)
        self.ch_axis = ch_axis
        self.register_buffer("min_val", _buffer([]))
        self.register_buffer("max_val", _buffer([]))

    def _channel_minmax(self, x_orig):
        x = np.asarray(x_orig.detach()._data, _F32)
        y = np.moveaxis(x, self.ch_axis, 0).reshape(x.shape[self.ch_axis], -1)
        return y.min(axis=1), y.max(axis=1)

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        lo, hi = self._channel_minmax(x_orig)
        if self.min_val._data.size and self.max_val._data.size:
            lo, hi = np.minimum(lo, self.min_val._data), np.maximum(hi, self.max_val._data)
        self.min_val._data, self.max_val._data = lo.astype(_F32), hi.astype(_F32)
        return x_orig

    def reset_min_max_vals(self):
        self.min_val._data, self.max_val._data = _buffer([])._data, _buffer([])._data


class MovingAveragePerChannelMinMaxObserver(PerChannelMinMaxObserver):
    """PerChannelMinMaxObserver with a moving average per channel (averaging_constant)."""

    def __init__(self, averaging_constant=0.01, ch_axis=0, dtype=_dtype.quint8, qscheme=_q.per_channel_affine,
                 reduce_range=False, quant_min=None, quant_max=None, eps=_EPS, is_dynamic=False, **kwargs):
        super().__init__(ch_axis=ch_axis, dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max, eps=eps, is_dynamic=is_dynamic, **kwargs)
        self.averaging_constant = averaging_constant

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        lo, hi = self._channel_minmax(x_orig)
        if self.min_val._data.size and self.max_val._data.size:
            c = _F32(self.averaging_constant)
            old_lo, old_hi = self.min_val._data, self.max_val._data
            lo, hi = old_lo + c * (lo - old_lo), old_hi + c * (hi - old_hi)
        self.min_val._data, self.max_val._data = lo.astype(_F32), hi.astype(_F32)
        return x_orig


def _histc(x, bins, lo, hi):
    """torch.histc in float32: bin int((x - lo) * bins / (hi - lo)) of the values in [lo, hi] (the last bin closed)."""
    lo, hi = _F32(lo), _F32(hi)
    if lo == hi:
        lo, hi = _F32(lo - 1), _F32(hi + 1)
    x = x[(x >= lo) & (x <= hi)]
    pos = ((x - lo) * _F32(bins) / (hi - lo)).astype(np.int64)
    pos[pos == bins] = bins - 1
    return np.bincount(pos, minlength=bins).astype(_F32)


def _linspace(start, end, steps):
    """torch.linspace in float32: from both ends toward the middle."""
    start, end = _F32(start), _F32(end)
    step = (end - start) / _F32(steps - 1)
    idx = np.arange(steps)
    return np.where(idx < steps / 2, start + step * idx.astype(_F32),
                    end - step * (steps - 1 - idx).astype(_F32)).astype(_F32)


def _floor_div(a, b):
    """torch's div(rounding_mode='floor') on floats (Python's floor division, in float32)."""
    b = _F32(b)
    mod = np.fmod(a, b)
    div = (a - mod) / b
    div = np.where((mod != 0) & ((b < 0) != (mod < 0)), div - _F32(1), div)
    floor = np.floor(div)
    return np.where(div - floor > _F32(0.5), floor + _F32(1), floor).astype(_F32)


class HistogramObserver(_UniformObserver):
    """Records a running histogram (``bins`` bins) of its inputs and chooses the [min, max] that minimises the
    L2 quantization error over it (PyTorch's norm-minimisation search), then qparams as MinMaxObserver. Float32
    arithmetic follows torch's; sums may differ in the last bit, so a near-tie can pick a neighbouring bin.

    Example: ``HistogramObserver(reduce_range=True)`` (x86's default activation observer)"""

    def __init__(self, bins=2048, dtype=_dtype.quint8, qscheme=_q.per_tensor_affine, reduce_range=False,
                 quant_min=None, quant_max=None, factory_kwargs=None, eps=_EPS, is_dynamic=False, **kwargs):
        if qscheme not in (_q.per_tensor_affine, _q.per_tensor_symmetric):
            raise NotImplementedError("HistogramObserver's qscheme only support torch.per_tensor_symmetric and "
                                      "torch.per_tensor_affine.")
        if is_dynamic:
            raise NotImplementedError("HistogramObserver doesn't support dynamic quantization")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, factory_kwargs, eps, is_dynamic,
                         **kwargs)
        self.bins = bins
        self.register_buffer("histogram", _buffer(np.zeros(bins)))
        self.register_buffer("min_val", _buffer(np.inf))
        self.register_buffer("max_val", _buffer(-np.inf))
        self.dst_nbins = 2 ** (8 * dtype.itemsize)
        self.upsample_rate = 16

    def _upscale_histogram(self, hist, orig_min, orig_max, update_min, update_max):
        n = self.bins * self.upsample_rate
        hist = np.repeat(hist, self.upsample_rate) / _F32(self.upsample_rate)
        bin_size = (orig_max - orig_min) / _F32(n)
        mids = _linspace(orig_min, orig_max, n + 1)[:-1] + _F32(0.5) * bin_size
        bounds = _linspace(update_min, update_max, self.bins + 1)
        bucket = np.clip(np.searchsorted(bounds, mids, side="right") - 1, 0, self.bins - 1)
        out = np.zeros(self.bins, _F32)
        np.add.at(out, bucket, hist.astype(_F32))          # in order, in float32: torch's bincount
        return out

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        x = np.asarray(x_orig.detach()._data, _F32).reshape(-1)
        if np.isinf(x).any():
            import warnings
            warnings.warn("torch.inf detected in input tensor, ignoring input", stacklevel=2)
            x = x[~np.isinf(x)]
            if x.size == 0:
                return x_orig
        x_min, x_max = x.min(), x.max()
        cur_min, cur_max = _F32(self.min_val._data), _F32(self.max_val._data)
        if cur_min == np.inf or cur_max == -np.inf:
            self.min_val._data, self.max_val._data = np.asarray(x_min, _F32), np.asarray(x_max, _F32)
            self.histogram._data = _histc(x, self.bins, x_min, x_max)
            return x_orig
        new_min, new_max = min(cur_min, x_min), max(cur_max, x_max)
        update = _histc(x, self.bins, new_min, new_max)
        hist = self.histogram._data
        if new_min == cur_min and new_max == cur_max:
            hist = hist + update
        elif cur_min == cur_max:
            hist = _histc(np.array([cur_min], _F32), self.bins, new_min, new_max) * hist.sum(dtype=_F32) + update
        else:
            hist = update + self._upscale_histogram(hist, cur_min, cur_max, new_min, new_max)
        self.histogram._data = hist.astype(_F32)
        self.min_val._data, self.max_val._data = np.asarray(new_min, _F32), np.asarray(new_max, _F32)
        return x_orig

    def _quantization_error(self, start, end):
        bin_width = (float(self.max_val._data) - float(self.min_val._data)) / self.bins
        dst_width = bin_width * (end - start + 1) / self.dst_nbins
        if dst_width == 0.0:
            return 0.0
        src = np.arange(self.bins)
        begin = (src - start).astype(_F32) * _F32(bin_width)
        src_end = begin + _F32(bin_width)
        dst_begin = np.clip(_floor_div(begin, dst_width), 0, self.dst_nbins - 1).astype(_F32)
        dst_begin_center = (dst_begin + _F32(0.5)) * _F32(dst_width)
        dst_end = np.clip(_floor_div(src_end, dst_width), 0, self.dst_nbins - 1).astype(_F32)
        density = self.histogram._data / _F32(bin_width)

        def norm_of(b, e):
            return density * ((e * e * e - b * b * b) / _F32(3))
        half = _F32(dst_width / 2)
        norm = np.zeros(self.bins, _F32)
        norm += norm_of(begin - dst_begin_center, np.ones(self.bins, _F32) * _F32(dst_width / 2))
        norm += (dst_end - dst_begin - _F32(1)) * norm_of(-half, half)
        dst_end_center = dst_end * _F32(dst_width) + _F32(dst_width / 2)
        norm += norm_of(_F32(-dst_width / 2), src_end - dst_end_center)
        return float(norm.sum(dtype=_F32))

    def _non_linear_param_search(self):
        hist = self.histogram._data
        bin_width = (self.max_val._data - self.min_val._data) / _F32(self.bins)
        total = float(hist.sum(dtype=_F32))
        csum = np.cumsum(hist.astype(np.float64)).astype(_F32)     # torch's cumsum accumulates in double
        alpha, beta, start, end, norm_min = 0.0, 1.0, 0, self.bins - 1, float("inf")
        while alpha < beta:
            next_alpha, next_beta = alpha + 1e-5, beta - 1e-5
            left, right = start, end
            while left < end and csum[left] < _F32(next_alpha * total):
                left += 1
            while right > start and csum[right] > _F32(next_beta * total):
                right -= 1
            next_start, next_end = start, end
            if left - start > end - right:
                next_start, alpha = left, next_alpha
            else:
                next_end, beta = right, next_beta
            if next_start == start and next_end == end:
                continue
            norm = self._quantization_error(next_start, next_end)
            if norm > norm_min:
                break
            norm_min, start, end = norm, next_start, next_end
        lo = self.min_val._data + bin_width * _F32(start)
        return Tensor._make(np.asarray(lo, _F32)), \
            Tensor._make(np.asarray(self.min_val._data + bin_width * _F32(end + 1), _F32))

    def calculate_qparams(self):
        if self.min_val._data == np.inf and self.max_val._data == -np.inf:
            import warnings
            warnings.warn("must run observer before calling calculate_qparams. Returning default scale and zero "
                          "point ", stacklevel=2)
            return Tensor._make(np.array([1.0], _F32)), Tensor._make(np.array([0], np.int64))
        return self._calculate_qparams(*self._non_linear_param_search())


class PlaceholderObserver(ObserverBase):
    """Records nothing: it carries the dtype (and is_dynamic) a later convert reads, as PyTorch's."""

    def __init__(self, dtype=_dtype.float32, custom_op_name="", compute_dtype=None, quant_min=None, quant_max=None,
                 qscheme=None, eps=None, is_dynamic=False):
        super().__init__(dtype, is_dynamic)
        self.qscheme = _q.per_tensor_affine if qscheme is None else qscheme
        self.quant_min, self.quant_max, self.custom_op = quant_min, quant_max, custom_op_name

    def forward(self, x):
        return x

    def extra_repr(self):
        return f"dtype={self.dtype}, is_dynamic={self.is_dynamic}"

    def calculate_qparams(self):
        raise Exception("calculate_qparams should not be called for PlaceholderObserver")  # noqa: TRY002


default_observer = MinMaxObserver.with_args(quant_min=0, quant_max=127)
default_weight_observer = MinMaxObserver.with_args(dtype=_dtype.qint8, qscheme=_q.per_tensor_symmetric)
default_per_channel_weight_observer = PerChannelMinMaxObserver.with_args(dtype=_dtype.qint8,
                                                                         qscheme=_q.per_channel_symmetric)
default_dynamic_quant_observer = PlaceholderObserver.with_args(dtype=_dtype.quint8, quant_min=0, quant_max=255,
                                                               is_dynamic=True)
default_placeholder_observer = PlaceholderObserver
default_float_qparams_observer = PerChannelMinMaxObserver.with_args(
    dtype=_dtype.quint8, qscheme=_q.per_channel_affine_float_qparams, ch_axis=0)
default_histogram_observer = HistogramObserver.with_args(quant_min=0, quant_max=127)
