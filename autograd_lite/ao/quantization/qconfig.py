"""QConfig, as ``torch.ao.quantization.qconfig``: which observer (or fake quantizer) factories a module's
activations and weights get."""
from collections import namedtuple

from .fake_quantize import (FakeQuantize, default_fake_quant, default_per_channel_weight_fake_quant,
                            default_weight_fake_quant)
from .observer import (HistogramObserver, MovingAverageMinMaxObserver, default_dynamic_quant_observer, default_observer,
                       default_per_channel_weight_observer, default_weight_observer)

__all__ = ["QConfig", "default_qconfig", "default_dynamic_qconfig", "per_channel_dynamic_qconfig",
           "default_per_channel_qconfig", "default_qat_qconfig", "get_default_qconfig",
           "get_default_qat_qconfig"]


class QConfig(namedtuple("QConfig", ["activation", "weight"])):
    """(activation, weight): observer classes or ``with_args`` factories, never instances (each module gets its
    own). Example: ``QConfig(activation=MinMaxObserver.with_args(dtype=torch.quint8), weight=default_weight_observer)``"""
    __slots__ = ()

    def __new__(cls, activation, weight):
        from ...nn.modules.module import Module
        if isinstance(activation, Module) or isinstance(weight, Module):
            raise ValueError("QConfig received observer instance, please pass observer class instead. Use "
                             "MyObserver.with_args(x=1) to override arguments to constructor if needed")
        return super().__new__(cls, activation, weight)


default_qconfig = QConfig(activation=default_observer, weight=default_weight_observer)
default_per_channel_qconfig = QConfig(activation=default_observer, weight=default_per_channel_weight_observer)
default_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer, weight=default_weight_observer)
per_channel_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer,
                                      weight=default_per_channel_weight_observer)
default_qat_qconfig = QConfig(activation=default_fake_quant, weight=default_weight_fake_quant)


def get_default_qconfig(backend="x86", version=0):
    """The post-training (static) qconfig of a backend: activations by a HistogramObserver (reduce_range for x86 /
    fbgemm), weights per channel (qint8 symmetric; per tensor for qnnpack), as PyTorch's.
    Example: ``model.qconfig = get_default_qconfig("x86")``"""
    supported = ["fbgemm", "x86", "qnnpack", "onednn"]
    if backend not in supported:
        raise AssertionError(f"backend: {backend} not supported. backend must be one of {supported}")
    if version != 0:
        raise AssertionError(f"Version number: {version} in get_default_qconfig is not supported. Version number "
                             "must be 0")
    return QConfig(activation=HistogramObserver.with_args(reduce_range=backend in ("x86", "fbgemm")),
                   weight=default_weight_observer if backend == "qnnpack" else default_per_channel_weight_observer)


def get_default_qat_qconfig(backend="x86", version=1):
    """The QAT qconfig of a backend: for x86 / fbgemm, activations fake-quantized with a moving-average min/max
    (quint8, reduce_range) and weights per channel (qint8, symmetric), as PyTorch's (whose version 1 runs the same
    numbers through a fused FakeQuantize module). Example: ``model.qconfig = get_default_qat_qconfig("x86")``"""
    supported = ["fbgemm", "x86", "qnnpack", "onednn"]
    if backend not in supported:
        raise AssertionError(f"backend: {backend} not supported. backend must be one of {supported}")
    if backend in ("fbgemm", "x86"):
        return QConfig(activation=FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0,
                                                         quant_max=255, reduce_range=True),
                       weight=default_per_channel_weight_fake_quant)
    if backend == "onednn":
        return QConfig(activation=FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0,
                                                         quant_max=255),
                       weight=default_per_channel_weight_fake_quant)
    return QConfig(activation=FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0,
                                                     quant_max=255, reduce_range=False),
                   weight=default_weight_fake_quant)
