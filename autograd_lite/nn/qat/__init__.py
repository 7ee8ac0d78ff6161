"""autograd_lite.nn.qat: torch.ao.nn.qat, Linear and Conv2d whose weight is fake-quantized in the forward
(quantization-aware training); ``prepare_qat`` makes them from float modules and ``convert`` quantizes them."""
from ..modules.conv import Conv2d as _Conv2d
from ..modules.linear import Linear as _Linear
from .. import functional as F

__all__ = ["Linear", "Conv2d"]


def _check_float(cls, mod):
    if type(mod) is not cls._FLOAT_MODULE:
        raise AssertionError(f"qat.{cls.__name__}.from_float only works for {cls._FLOAT_MODULE.__name__}")
    if not getattr(mod, "qconfig", None):
        raise AssertionError("Input float module must have a valid qconfig")


class Linear(_Linear):
    """nn.Linear with its weight through ``qconfig.weight()`` (a FakeQuantize) in each forward.
    Example: ``nn.qat.Linear(4, 3, qconfig=torch.ao.quantization.default_qat_qconfig)``"""
    _FLOAT_MODULE = _Linear

    def __init__(self, in_features, out_features, bias=True, qconfig=None, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device=device, dtype=dtype)
        if not qconfig:
            raise AssertionError("qconfig must be provided for QAT module")
        self.qconfig = qconfig
        self.weight_fake_quant = qconfig.weight()

    def forward(self, input):
        return F.linear(input, self.weight_fake_quant(self.weight), self.bias)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """The QAT Linear of a float Linear with a qconfig (sharing its parameters)."""
        _check_float(cls, mod)
        q = cls(mod.in_features, mod.out_features, bias=mod.bias is not None, qconfig=mod.qconfig)
        q.weight, q.bias = mod.weight, mod.bias
        return q


class Conv2d(_Conv2d):
    """nn.Conv2d with its weight through ``qconfig.weight()`` (a FakeQuantize) in each forward.
    Example: ``nn.qat.Conv2d(3, 8, 3, qconfig=torch.ao.quantization.default_qat_qconfig)``"""
    _FLOAT_MODULE = _Conv2d

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", qconfig=None, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, dilation=dilation,
                         groups=groups, bias=bias, padding_mode=padding_mode, device=device, dtype=dtype)
        if not qconfig:
            raise AssertionError("qconfig must be provided for QAT module")
        self.qconfig = qconfig
        self.weight_fake_quant = qconfig.weight()

    def forward(self, input):
        weight = self.weight_fake_quant(self.weight)
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv2d(input, weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(input, weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        _check_float(cls, mod)
        q = cls(mod.in_channels, mod.out_channels, mod.kernel_size, stride=mod.stride, padding=mod.padding,
                dilation=mod.dilation, groups=mod.groups, bias=mod.bias is not None, padding_mode=mod.padding_mode,
                qconfig=mod.qconfig)
        q.weight, q.bias = mod.weight, mod.bias
        return q
