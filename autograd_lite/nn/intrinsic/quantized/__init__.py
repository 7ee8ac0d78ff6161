"""autograd_lite.nn.intrinsic.quantized: torch.ao.nn.intrinsic.quantized, the quantized Conv2d / Linear with their
ReLU fused: the requantized output clamped below at its zero point (a real 0), as FBGEMM's fused kernels."""
from ...quantized import modules as _m

__all__ = ["ConvReLU2d", "LinearReLU"]


class _WithReLU:
    """The quantized module (the next class in the MRO) made from a fused float module (module, ReLU), its output
    through a quantized ReLU."""

    def forward(self, input):
        return super().forward(input).relu()

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        inner = mod[0]
        inner.qconfig, inner.activation_post_process = mod.qconfig, mod.activation_post_process
        return super().from_float(inner)


class ConvReLU2d(_WithReLU, _m.Conv2d):
    """Quantized Conv2d + ReLU (convert's result for nn.intrinsic.ConvReLU2d)."""

    def _get_name(self):
        return "QuantizedConvReLU2d"


class LinearReLU(_WithReLU, _m.Linear):
    """Quantized Linear + ReLU (convert's result for nn.intrinsic.LinearReLU)."""

    def _get_name(self):
        return "QuantizedLinearReLU"
