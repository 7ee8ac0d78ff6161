"""Where nn fuses modules: the one place that decides. A Linear and the ReLU / Sigmoid / Tanh / LogSoftmax (over the
last dim) after it run as one kernel (F.linear's `activation`), and in a Sequential, a run of such layers runs as
one graph node (ops.nn.linear_chain). A BatchNorm and the ReLU after it run as one node and one kernel pass
(ops.normalization.batch_norm_relu): the norm's output is seen by the ReLU alone, so whether the ReLU is in place
changes nothing. A module with hooks is never fused: its hooks must see its own call."""
from ...tensor import Tensor
from ...ops.nn import linear_chain
from .activation import LogSoftmax, ReLU, Sigmoid, Tanh
from .linear import Linear
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d

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


def run_sequence(modules, x):
    """Runs `modules` one after the other on x, fusing what fuses."""
    i, n = 0, len(modules)
    while i < n:
        module = modules[i]
        if (type(module) in _BATCH_NORMS and i + 1 < n and type(modules[i + 1]) is ReLU and isinstance(x, Tensor)
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
