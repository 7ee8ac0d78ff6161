"""autograd_lite.ao.nn: torch.ao.nn, the quantized (``quantized``, ``quantized.dynamic``) and quantization-aware
(``qat``) modules; the same modules as ``autograd_lite.nn.quantized`` / ``nn.qat``."""
from ...nn import quantized, qat, intrinsic  # noqa: F401

__all__ = ["quantized", "qat", "intrinsic"]
