"""autograd_lite.ao: torch.ao's quantization (eager mode): ``ao.quantization`` and ``ao.nn`` (quantized and QAT
modules)."""
from . import quantization  # noqa: F401
from . import nn  # noqa: F401

__all__ = ["quantization", "nn"]
