"""autograd_lite.nn.intrinsic: torch.ao.nn.intrinsic, the fused float modules ``fuse_modules`` makes (a module and
the ReLU after it, kept together so convert quantizes them as one); ``nn.intrinsic.quantized`` holds their
quantized versions."""
from ..modules.container import Sequential
from ..modules.conv import Conv2d
from ..modules.linear import Linear
from ..modules.activation import ReLU

__all__ = ["ConvReLU2d", "LinearReLU", "quantized"]


class _FusedModule(Sequential):
    """A module followed by its ReLU, run as a Sequential."""
    _KINDS = ()

    def __init__(self, module, relu):
        if type(module) is not self._KINDS[0] or type(relu) is not ReLU:
            raise AssertionError(f"Incorrect types for input modules{type(module)}{type(relu)}")
        super().__init__(module, relu)


class ConvReLU2d(_FusedModule):
    """Conv2d then ReLU (fuse_modules' result for conv-relu and conv-bn-relu). Example: ``ConvReLU2d(conv, relu)``"""
    _KINDS = (Conv2d,)


class LinearReLU(_FusedModule):
    """Linear then ReLU (fuse_modules' result for linear-relu). Example: ``LinearReLU(linear, relu)``"""
    _KINDS = (Linear,)


from . import quantized  # noqa: E402
