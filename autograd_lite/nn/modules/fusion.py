"""Where nn fuses modules: the one place that decides. A Linear and the ReLU / Sigmoid / Tanh / LogSoftmax (over the
last dim) after it run as one kernel (F.linear's `activation`), and in a Sequential, a run of such layers runs as
one graph node (ops.nn.linear_chain). A BatchNorm and the ReLU after it run as one node and one kernel pass
(ops.normalization.batch_norm_relu): the norm's output is seen by the ReLU alone, so whether the ReLU is in place
changes nothing. A Conv2d (on a batch) and the ReLU after it run as one node (ops.conv.conv_relu): the bias and ReLU
applied as the output is written, the ReLU's mask and the bias gradient in one backward pass; followed by a
MaxPool2d, the three run as one node (ops.conv.conv2d_relu_max_pool2d) whose backward masks at the pool's size and
never makes the ReLU's full-size gradient. A module with hooks is never fused: its hooks must see its own call."""
from ... import _subclass
from ...tensor import Tensor
from ...ops.conv import conv2d_relu_max_pool2d
from ...ops.nn import linear_chain
from .activation import LogSoftmax, ReLU, Sigmoid, Tanh
from .conv import Conv2d
from .linear import Linear
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .pooling import MaxPool2d

_BATCH_NORMS = (BatchNorm1d, BatchNorm2d, BatchNorm3d)

_ACTIVATIONS = {ReLU: "relu", Sigmoid: "sigmoid", Tanh: "tanh", LogSoftmax: "log_softmax"}


def hooked(module):
    return bool(module._forward_hooks or module._forward_pre_hooks)


def fused_activation(module, ndim):
    """The activation a Linear with outputs of `ndim` dims takes in from `module`, the module after it, or None."""
    act = _ACTIVATIONS.get(type(module))
    if act is None or hooked(module):
        return None
    if act == "log_softmax":
        dim = module.dim if module.dim is not None else (0 if ndim in (0, 1, 3) else 1)    # PyTorch's implicit dim
        if not (ndim and -ndim <= dim < ndim and dim % ndim == ndim - 1):
            return None
    return act


def _conv_relu_pool(modules, i, x):
    """Whether modules[i:i + 3] are a Conv2d, a ReLU and a MaxPool2d that run on x as one node."""
    if i + 2 >= len(modules) or type(modules[i]) is not Conv2d or type(modules[i + 1]) is not ReLU:
        return False
    conv, pool = modules[i], modules[i + 2]
    return (type(pool) is MaxPool2d and not pool.return_indices and conv.padding_mode == "zeros"
            and isinstance(x, Tensor) and x.ndim == 4 and not any(hooked(m) for m in modules[i:i + 3]))


def run_sequence(modules, x):
    """Runs `modules` one after the other on x, fusing what fuses."""
    if type(x) is not Tensor or _subclass.busy:     # a subclass or a mode sees each layer's call, as in torch
        for module in modules:
            x = module(x)
        return x
    i, n = 0, len(modules)
    while i < n:
        module = modules[i]
        if _conv_relu_pool(modules, i, x):
            pool = modules[i + 2]
            x, i = conv2d_relu_max_pool2d(x, module.weight, module.bias, module.stride, module.padding,
                                          module.dilation, module.groups, pool.kernel_size, pool.stride,
                                          pool.padding, pool.dilation, pool.ceil_mode), i + 3
            continue
        if ((type(module) in _BATCH_NORMS or (type(module) is Conv2d and isinstance(x, Tensor) and x.ndim == 4))
                and i + 1 < n and type(modules[i + 1]) is ReLU and isinstance(x, Tensor)
                and not hooked(module) and not hooked(modules[i + 1])):
            x, i = module.forward(x, "relu"), i + 2
            continue
        if type(module) is Linear and isinstance(x, Tensor) and not hooked(module):
            layers, acts, j, ndim = [], [], i, x._data.ndim
            while j < n and type(modules[j]) is Linear and not hooked(modules[j]):
                act = fused_activation(modules[j + 1], ndim) if j + 1 < n else None
                layers.append(modules[j])
                acts.append(act)
                j += 2 if act else 1
            out = linear_chain(x, [(m.weight, m.bias) for m in layers], acts) if len(layers) > 1 else None
            if out is not None:                     # the run as one graph node
                x, i = out, j
                continue
            if acts[0]:                             # one layer and its activation as one kernel
                x, i = module.forward(x, acts[0]), i + 2
                continue
        x, i = module(x), i + 1
    return x
