"""Linear and Identity."""
import math

from ... import creation
from .. import functional as F
from ...ops.nn import Linear as _LinearOp, LinearChain as _LinearChain
from .. import init
from ..parameter import Parameter
from .module import Module


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


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

    def forward(self, x, activation=None):
        """`activation` ('relu', 'sigmoid', 'tanh'): the activation that follows, fused into the
        same kernel (nn.Sequential passes it for a Linear followed by ReLU, Sigmoid or Tanh)."""
        shape = x._data.shape
        if not shape or shape[-1] != self.in_features:
            raise RuntimeError(f"Linear(in_features={self.in_features}, out_features="
                               f"{self.out_features}): expected input with {self.in_features} "
                               f"features in its last dimension, got input of shape "
                               f"{tuple(x.shape)}")
        params = self._parameters
        w, b = params.get("weight"), params.get("bias")
        dt = w._data.dtype if w is not None else None
        if x._data.dtype is dt and dt.itemsize >= 4 and w._data.shape == (self.out_features, self.in_features) \
                and (b is None or b._data.dtype is dt and b._data.shape == (self.out_features,)):
            return _LinearOp.apply(x, w, b, activation)     # checked: what F.linear would check and promote
        return F.linear(x, w, b, activation)

    @staticmethod
    def _chain(layers, activations, x):
        """Linear layers one after the other (activations[i]: the fused activation after layers[i], or None) as
        one graph node, or None when a layer's parameters or input do not fit the chain's fast path (wrong
        sizes or dtypes: the caller then runs the layers one by one, and they raise their own errors)."""
        data = x._data
        dt, n_in, wb = data.dtype, data.shape[-1] if data.ndim else -1, [x]
        if dt.kind != "f" or dt.itemsize < 4:
            return None
        for layer in layers:
            params = layer._parameters
            w, b = params.get("weight"), params.get("bias")
            out = layer.out_features
            if w is None or layer.in_features != n_in or w._data.dtype is not dt or w._data.shape != (out, n_in) \
                    or (b is not None and (b._data.dtype is not dt or b._data.shape != (out,))):
                return None
            wb += (w, b)
            n_in = out
        return _LinearChain.apply(*wb, activations=tuple(activations))

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
