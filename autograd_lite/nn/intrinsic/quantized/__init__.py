"""autograd_lite.nn.intrinsic.quantized: torch.ao.nn.intrinsic.quantized, the quantized Conv2d / Linear with their
ReLU fused: the requantized output clamped below at its zero point (a real 0), as FBGEMM's fused kernels."""
import numpy as np

from .... import _quantized as _q
from ...quantized import modules as _m

__all__ = ["ConvReLU2d", "LinearReLU"]


def _relu_q(y):
    d = y._data
    return _q.make_quantized(d.like(np.maximum(d.ints, d.ints.dtype.type(d.zero_point))))


class ConvReLU2d(_m.Conv2d):
    """Quantized Conv2d + ReLU (convert's result for nn.intrinsic.ConvReLU2d)."""

    def _get_name(self):
        return "QuantizedConvReLU2d"

    def forward(self, input):
        return _relu_q(super().forward(input))

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        conv = mod[0]
        conv.qconfig, conv.activation_post_process = mod.qconfig, mod.activation_post_process
        return super().from_float(conv)


class LinearReLU(_m.Linear):
    """Quantized Linear + ReLU (convert's result for nn.intrinsic.LinearReLU)."""

    def _get_name(self):
        return "QuantizedLinearReLU"

    def forward(self, x):
        return _relu_q(super().forward(x))

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        linear = mod[0]
        linear.qconfig, linear.activation_post_process = mod.qconfig, mod.activation_post_process
        return super().from_float(linear)
