"""QuantStub / DeQuantStub / QuantWrapper, as ``torch.ao.quantization.stubs``: the points where a model's tensors
become quantized and float again; ``convert`` swaps them for nn.quantized.Quantize / DeQuantize."""
from ...nn.modules.module import Module

__all__ = ["QuantStub", "DeQuantStub", "QuantWrapper"]


class _Stub(Module):
    """An identity that convert swaps for a quantized module; qconfig (optional) is its own."""

    def __init__(self, qconfig=None):
        super().__init__()
        if qconfig:
            self.qconfig = qconfig

    def forward(self, x):
        return x


class QuantStub(_Stub):
    """Identity before convert (an observer is attached by prepare); ``nn.quantized.Quantize`` after.
    Example: ``self.quant = QuantStub()`` then ``x = self.quant(x)`` first in forward."""


class DeQuantStub(_Stub):
    """Identity before convert; ``nn.quantized.DeQuantize`` after.
    Example: ``self.dequant = DeQuantStub()`` then ``return self.dequant(x)`` last in forward."""


class QuantWrapper(Module):
    """``module`` between a QuantStub and a DeQuantStub. Example: ``QuantWrapper(model)``"""

    def __init__(self, module):
        super().__init__()
        qconfig = getattr(module, "qconfig", None)
        self.add_module("quant", QuantStub(qconfig))
        self.add_module("dequant", DeQuantStub(qconfig))
        self.add_module("module", module)
        self.train(module.training)

    def forward(self, X):
        return self.dequant(self.module(self.quant(X)))
