"""QuantStub / DeQuantStub / QuantWrapper, as ``torch.ao.quantization.stubs``: the points where a model's tensors
become quantized and float again; ``convert`` swaps them for nn.quantized.Quantize / DeQuantize."""
from ...nn.modules.module import Module

__all__ = ["QuantStub", "DeQuantStub", "QuantWrapper"]


class QuantStub(Module):
    """Identity before convert (an observer is attached by prepare); ``nn.quantized.Quantize`` after.
    Example: ``self.quant = QuantStub()`` then ``x = self.quant(x)`` first in forward."""

    def __init__(self, qconfig=None):
        super().__init__()
        if qconfig:
            self.qconfig = qconfig

    def forward(self, x):
        return x


class DeQuantStub(Module):
    """Identity before convert; ``nn.quantized.DeQuantize`` after."""

    def __init__(self, qconfig=None):
        super().__init__()
        if qconfig:
            self.qconfig = qconfig

    def forward(self, x):
        return x


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
