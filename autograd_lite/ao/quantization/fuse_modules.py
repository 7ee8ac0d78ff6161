"""fuse_modules, as ``torch.ao.quantization.fuse_modules`` (eval mode): conv-bn(-relu), conv-relu, linear-bn and
linear-relu groups become one module (batch norm folded into the weights; a ReLU kept in an nn.intrinsic module),
the others of the group nn.Identity."""
import copy

import numpy as np

from ... import nn
from ...nn import intrinsic as nni
from ...nn.parameter import Parameter
from ...tensor import Tensor

__all__ = ["fuse_modules", "fuse_known_modules", "fuse_conv_bn_weights"]

_F32 = np.float32


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """(weight, bias) Parameters of a conv (or linear) with the eval-mode batch norm after it folded in:
    ``w * gamma / sqrt(var + eps)``, ``(b - mean) * gamma / sqrt(var + eps) + beta`` (PyTorch's order of ops)."""
    a = lambda t: None if t is None else t.detach()._data      # noqa: E731
    w, rm, rv = a(conv_w), a(bn_rm), a(bn_rv)
    b = a(conv_b) if conv_b is not None else np.zeros_like(rm)
    gamma = a(bn_w) if bn_w is not None else np.ones_like(rm)
    beta = a(bn_b) if bn_b is not None else np.zeros_like(rm)
    rsqrt = np.float32(1) / np.sqrt(rv + rv.dtype.type(bn_eps))
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (w.ndim - 2)
    fused_w = (w * (gamma * rsqrt).reshape(shape)).astype(w.dtype)
    fused_b = ((b - rm) * rsqrt * gamma + beta).astype(w.dtype)
    return (Parameter(Tensor._make(fused_w), conv_w.requires_grad),
            Parameter(Tensor._make(fused_b), conv_b.requires_grad if conv_b is not None else True))


def _fold(mod, bn):
    if mod.training or bn.training:
        raise NotImplementedError("autograd_lite: fusing batch norm needs eval mode (fuse_modules_qat's ConvBn "
                                  "modules for training are not implemented)")
    fused = copy.deepcopy(mod)
    fused.weight, fused.bias = fuse_conv_bn_weights(mod.weight, mod.bias, bn.running_mean, bn.running_var, bn.eps,
                                                    bn.weight, bn.bias)
    return fused


def fuse_known_modules(mod_list, is_qat=False, additional_fuser_method_mapping=None):
    """The fused module of a list of modules, then nn.Identity for each of the others."""
    types = tuple(type(m) for m in mod_list)
    if types == (nn.Conv2d, nn.BatchNorm2d) or types == (nn.Linear, nn.BatchNorm1d):
        fused = _fold(*mod_list)
    elif types == (nn.Conv2d, nn.BatchNorm2d, nn.ReLU):
        fused = nni.ConvReLU2d(_fold(mod_list[0], mod_list[1]), mod_list[2])
    elif types == (nn.Conv2d, nn.ReLU):
        fused = nni.ConvReLU2d(*mod_list)
    elif types == (nn.Linear, nn.ReLU):
        fused = nni.LinearReLU(*mod_list)
    else:
        raise NotImplementedError(f"Cannot fuse modules: {types}")
    return [fused] + [nn.Identity() for _ in mod_list[1:]]


def _get(model, name):
    for part in name.split("."):
        model = getattr(model, part)
    return model


def _set(model, name, module):
    *parents, last = name.split(".")
    for part in parents:
        model = getattr(model, part)
    setattr(model, last, module)


def fuse_modules(model, modules_to_fuse, inplace=False, fuser_func=fuse_known_modules, fuse_custom_config_dict=None):
    """Fuses each group of named submodules (a list of names, or a list of such lists), as PyTorch's.

    Example: ``fused = torch.ao.quantization.fuse_modules(model.eval(), [["conv", "bn", "relu"]])``"""
    if not inplace:
        model = copy.deepcopy(model)
    groups = modules_to_fuse if modules_to_fuse and isinstance(modules_to_fuse[0], (list, tuple)) else \
        [modules_to_fuse]
    for names in groups:
        fused = fuser_func([_get(model, n) for n in names])
        for name, module in zip(names, fused):
            _set(model, name, module)
    return model
