"""FakeQuantize, as ``torch.ao.quantization.fake_quantize``: an observer plus fake quantization (quantize and
dequantize in the forward, a straight-through gradient) for quantization-aware training."""
import numpy as np

from ... import _dtype
from ... import _quantized as _q
from ...nn.modules.module import Module
from ...tensor import Tensor
from .observer import (MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver, _with_args)

__all__ = ["FakeQuantizeBase", "FakeQuantize", "default_fake_quant", "default_weight_fake_quant",
           "default_per_channel_weight_fake_quant", "default_dynamic_fake_quant", "disable_fake_quant",
           "enable_fake_quant", "disable_observer", "enable_observer"]


class FakeQuantizeBase(Module):
    """The switches of fake quantization: ``fake_quant_enabled`` and ``observer_enabled`` (uint8 buffers)."""
    with_args = classmethod(_with_args)

    def __init__(self):
        super().__init__()
        self.register_buffer("fake_quant_enabled", Tensor._make(np.array([1], np.uint8)))
        self.register_buffer("observer_enabled", Tensor._make(np.array([1], np.uint8)))

    def enable_fake_quant(self, enabled=True):
        self.fake_quant_enabled._data[0] = 1 if enabled else 0

    def disable_fake_quant(self):
        self.enable_fake_quant(False)

    def enable_observer(self, enabled=True):
        self.observer_enabled._data[0] = 1 if enabled else 0

    def disable_observer(self):
        self.enable_observer(False)


class FakeQuantize(FakeQuantizeBase):
    """Observes its input (``activation_post_process``), keeps the observer's scale and zero point in buffers, and
    returns ``fake_quantize_per_tensor_affine`` (or per channel) of the input, as PyTorch's FakeQuantize.

    Example::

        >>> fq = FakeQuantize(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255)
        >>> y = fq(torch.randn(4, 3))     # y is float, on the quantized grid of fq.scale / fq.zero_point
    """

    def __init__(self, observer=MovingAverageMinMaxObserver, quant_min=None, quant_max=None, is_dynamic=False,
                 **observer_kwargs):
        super().__init__()
        if quant_min is not None and quant_max is not None:
            if quant_min > quant_max:
                raise AssertionError("quant_min must be less than or equal to quant_max")
            dtype = observer_kwargs.get("dtype", _dtype.quint8)
            p = getattr(observer, "p", None)
            if p is not None:
                dtype = getattr(p, "keywords", {}).get("dtype", dtype)
            if not dtype.qmin <= quant_min and quant_max <= dtype.qmax:
                raise AssertionError("quant_min out of bound")
            observer_kwargs.update(quant_min=quant_min, quant_max=quant_max)
        observer_kwargs["is_dynamic"] = is_dynamic
        self.activation_post_process = observer(**observer_kwargs)
        app = self.activation_post_process
        self.quant_min, self.quant_max, self.is_dynamic = app.quant_min, app.quant_max, app.is_dynamic
        float_zp = app.qscheme is _q.per_channel_affine_float_qparams
        self.register_buffer("scale", Tensor._make(np.array([1.0], np.float32)))
        self.register_buffer("zero_point", Tensor._make(np.array([0], np.float32 if float_zp else np.int32)))
        self.dtype, self.qscheme = app.dtype, app.qscheme
        self.ch_axis = getattr(app, "ch_axis", -1)
        self.is_per_channel = app.qscheme in _q._PER_CHANNEL

    def calculate_qparams(self):
        return self.activation_post_process.calculate_qparams()

    def forward(self, X):
        if self.observer_enabled._data[0] == 1:
            self.activation_post_process(X.detach())
            scale, zero_point = self.calculate_qparams()
            self.scale._data = scale._data.astype(np.float32)
            self.zero_point._data = zero_point._data.astype(self.zero_point._data.dtype)
        if self.fake_quant_enabled._data[0] == 1:
            app = self.activation_post_process
            if self.is_per_channel:
                X = _q.fake_quantize_per_channel_affine(X, self.scale, self.zero_point, self.ch_axis,
                                                        app.quant_min, app.quant_max)
            else:
                X = _q.fake_quantize_per_tensor_affine(X, self.scale, self.zero_point, app.quant_min,
                                                       app.quant_max)
        return X

    def extra_repr(self):
        return (f"fake_quant_enabled={self.fake_quant_enabled}, observer_enabled={self.observer_enabled}, "
                f"quant_min={self.activation_post_process.quant_min}, "
                f"quant_max={self.activation_post_process.quant_max}, dtype={self.dtype}, qscheme={self.qscheme}, "
                f"ch_axis={self.ch_axis}, scale={self.scale}, zero_point={self.zero_point}")


def _apply_to(name):
    def fn(mod):
        if isinstance(mod, FakeQuantizeBase):
            getattr(mod, name)()
    fn.__name__ = name
    fn.__doc__ = f"``model.apply({name})``: calls ``{name}()`` on each FakeQuantize module."
    return fn


disable_fake_quant, enable_fake_quant = _apply_to("disable_fake_quant"), _apply_to("enable_fake_quant")
disable_observer, enable_observer = _apply_to("disable_observer"), _apply_to("enable_observer")

default_fake_quant = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                                            dtype=_dtype.quint8, qscheme=_q.per_tensor_affine, reduce_range=True)
default_weight_fake_quant = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=-128,
                                                   quant_max=127, dtype=_dtype.qint8,
                                                   qscheme=_q.per_tensor_symmetric, reduce_range=False)
default_dynamic_fake_quant = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0,
                                                    quant_max=255, is_dynamic=True, dtype=_dtype.quint8,
                                                    averaging_constant=1)
default_per_channel_weight_fake_quant = FakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127, dtype=_dtype.qint8,
    qscheme=_q.per_channel_symmetric, reduce_range=False, ch_axis=0)
