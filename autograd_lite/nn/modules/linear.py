"""Identity, Linear and Bilinear."""
import math

from ... import creation
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x @ weight.T + bias, with weight of shape (out_features, in_features).

    Args:
        in_features: size of each input sample; out_features: size of each output sample;
        bias: learn an additive bias (default True).
    Shape: input (*, in_features) -> output (*, out_features).
    Init: weight and bias ~ U(-1/sqrt(in_features), 1/sqrt(in_features)) (PyTorch's
    kaiming_uniform_ with a = sqrt(5)).

    Example::

        >>> fc = nn.Linear(784, 128)
        >>> fc(autograd_lite.randn(64, 784)).shape
        autograd_lite.Size([64, 128])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(creation.empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input, activation=None):
        """`activation` ('relu', 'sigmoid', 'tanh', 'log_softmax'): the activation that follows, fused into the same
        kernel (nn.Sequential passes it: see fusion.py)."""
        shape = input._data.shape
        if not shape or shape[-1] != self.in_features:
            raise RuntimeError(f"Linear(in_features={self.in_features}, out_features="
                               f"{self.out_features}): expected input with {self.in_features} "
                               f"features in its last dimension, got input of shape "
                               f"{tuple(input.shape)}")
        return F.linear(input, self.weight, self.bias, activation)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """``y = x1^T A x2 + b`` per output feature: weight (out_features, in1_features, in2_features), bias
    (out_features,), both ~ U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as ``torch.nn.Bilinear``.

    Example::

        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(autograd_lite.randn(128, 20), autograd_lite.randn(128, 30)).shape
        autograd_lite.Size([128, 40])
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        like = dict(device=device, dtype=dtype)
        self.weight = Parameter(creation.empty(out_features, in1_features, in2_features, **like))
        if bias:
            self.bias = Parameter(creation.empty(out_features, **like))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] > 0 else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
