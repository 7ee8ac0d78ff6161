"""autograd_lite.nn.quantized: torch.ao.nn.quantized (torch.nn.quantized), the modules that run on quantized
tensors; ``nn.quantized.dynamic`` holds the dynamically quantized Linear."""
from .modules import Linear, Conv2d, Quantize, DeQuantize, ReLU6, LinearPackedParams  # noqa: F401
from . import dynamic  # noqa: F401

__all__ = ["Linear", "Conv2d", "Quantize", "DeQuantize", "ReLU6", "LinearPackedParams", "dynamic"]
