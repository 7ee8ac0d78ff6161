"""The eager-mode flows, as ``torch.ao.quantization.quantize``: ``quantize_dynamic`` (Linear -> dynamic quantized
Linear), ``prepare`` (observers attached) / ``convert`` (modules swapped for quantized ones), ``prepare_qat``
(modules swapped for their QAT versions), ``propagate_qconfig_``."""
import copy

from ... import _dtype
from ... import nn
from ...nn import intrinsic as nni
from ...nn import qat as nnqat
from ...nn import quantized as nnq
from ...nn.quantized import dynamic as nnqd
from .qconfig import default_dynamic_qconfig
from .stubs import DeQuantStub, QuantStub

__all__ = ["quantize_dynamic", "prepare", "convert", "prepare_qat", "propagate_qconfig_", "swap_module",
           "get_default_static_quant_module_mappings", "get_default_dynamic_quant_module_mappings",
           "get_default_qat_module_mappings", "add_quant_dequant"]


def get_default_static_quant_module_mappings():
    """float module class -> quantized module class, for convert."""
    return {QuantStub: nnq.Quantize, DeQuantStub: nnq.DeQuantize, nn.Linear: nnq.Linear, nn.Conv2d: nnq.Conv2d,
            nn.ReLU6: nnq.ReLU6, nnqat.Linear: nnq.Linear, nnqat.Conv2d: nnq.Conv2d,
            nni.ConvReLU2d: nni.quantized.ConvReLU2d, nni.LinearReLU: nni.quantized.LinearReLU}


def get_default_dynamic_quant_module_mappings():
    return {nn.Linear: nnqd.Linear}


def get_default_qat_module_mappings():
    return {nn.Linear: nnqat.Linear, nn.Conv2d: nnqat.Conv2d}


def propagate_qconfig_(module, qconfig_dict=None):
    """Gives each submodule a ``qconfig``: its own, else its type's or name's entry in qconfig_dict, else its
    parent's (in place)."""
    qconfig_dict = qconfig_dict or {}

    def walk(mod, parent_qconfig, prefix):
        qconfig = qconfig_dict.get(type(mod), qconfig_dict.get(prefix, parent_qconfig))
        qconfig = getattr(mod, "qconfig", qconfig)
        mod.qconfig = qconfig
        for name, child in mod.named_children():
            walk(child, qconfig, prefix + "." + name if prefix else name)
    walk(module, qconfig_dict.get("", None), "")


def _observer_hook(module, inputs, output):
    return module.activation_post_process(output)


def _has_children(mod):
    return any(True for _ in mod.children())


def _observed_types():
    """The modules whose output prepare observes: those convert quantizes (PyTorch's propagation list, as far as
    built here)."""
    return (QuantStub, nn.Linear, nn.Conv2d, nn.ReLU6, nnqat.Linear, nnqat.Conv2d, nni.ConvReLU2d, nni.LinearReLU)


def _add_observers(module):
    for name, child in module.named_children():
        if type(child) in _observed_types():
            qconfig = getattr(child, "qconfig", None)
            if qconfig is not None and "activation_post_process" not in child._modules:
                child.activation_post_process = qconfig.activation()
                child.register_forward_hook(_observer_hook)
        elif _has_children(child):
            _add_observers(child)


def prepare(model, inplace=False, allow_list=None, observer_non_leaf_module_list=None,
            prepare_custom_config_dict=None):
    """Attaches an observer (the qconfig's activation factory) to every leaf module with a ``qconfig`` that records
    its output; run calibration data through the model, then ``convert``. Example::

        model.qconfig = torch.ao.quantization.default_qconfig
        prepared = torch.ao.quantization.prepare(model)"""
    if not inplace:
        model = copy.deepcopy(model)
    propagate_qconfig_(model)
    if not any(getattr(m, "qconfig", None) for m in model.modules()):
        import warnings
        warnings.warn("None of the submodule got qconfig applied. Make sure you passed correct configuration "
                      "through `qconfig_dict` or by assigning the `.qconfig` attribute directly on submodules",
                      stacklevel=2)
    _add_observers(model)
    return model


def swap_module(mod, mapping):
    """The quantized (or QAT) module of `mod` by `mapping` (its type's class ``from_float``), or `mod` itself."""
    if getattr(mod, "qconfig", None) is not None and type(mod) in mapping:
        return mapping[type(mod)].from_float(mod)
    return mod


def _convert(module, mapping):
    for name, child in list(module.named_children()):
        if type(child) not in mapping and _has_children(child):
            _convert(child, mapping)
        setattr(module, name, swap_module(child, mapping))


def convert(module, mapping=None, inplace=False, remove_qconfig=True, is_reference=False,
            convert_custom_config_dict=None, use_precomputed_fake_quant=False):
    """Swaps each observed module for its quantized version (QuantStub -> Quantize, Linear -> quantized Linear,
    Conv2d -> quantized Conv2d, DeQuantStub -> DeQuantize), reading the observers' scales and zero points."""
    if is_reference:
        raise NotImplementedError("autograd_lite: convert(is_reference=True) is not supported")
    if not inplace:
        module = copy.deepcopy(module)
    _convert(module, mapping or get_default_static_quant_module_mappings())
    for m in module.modules():          # what prepare attached to modules left as they are (ReLU, Identity)
        if "activation_post_process" in m._modules:
            del m._modules["activation_post_process"]
            for key in [k for k, h in m._forward_hooks.items() if h is _observer_hook]:
                del m._forward_hooks[key]
    if remove_qconfig:
        for m in module.modules():
            if "qconfig" in m.__dict__:
                del m.__dict__["qconfig"]
    return module


def prepare_qat(model, mapping=None, inplace=False):
    """Swaps Linear / Conv2d (with a qconfig) for their QAT versions (weights fake-quantized) and attaches
    fake-quantizing observers to the outputs; train, then ``convert``. Example::

        model.qconfig = torch.ao.quantization.get_default_qat_qconfig("x86")
        qat_model = torch.ao.quantization.prepare_qat(model.train())"""
    if not model.training:
        raise AssertionError("prepare_qat only works on models in training mode")
    if not inplace:
        model = copy.deepcopy(model)
    propagate_qconfig_(model)
    _convert(model, mapping or get_default_qat_module_mappings())
    return prepare(model, inplace=True)


def quantize_dynamic(model, qconfig_spec=None, dtype=_dtype.qint8, mapping=None, inplace=False):
    """A copy of `model` whose Linear submodules (those of qconfig_spec: a set of types, or a dict of types / names
    to QConfig) are dynamically quantized Linears: int8 weights, activations quantized on each call.

    Example: ``torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)``"""
    if dtype is not _dtype.qint8:
        raise ValueError(f"autograd_lite: quantize_dynamic supports dtype=torch.qint8 only (got {dtype}); "
                         "float16 / quint8 dynamic quantization is not implemented")
    if qconfig_spec is None:
        qconfig_spec = {nn.Linear: default_dynamic_qconfig}
    elif isinstance(qconfig_spec, (set, list, tuple)):
        qconfig_spec = dict.fromkeys(qconfig_spec, default_dynamic_qconfig)
    if not inplace:
        model = copy.deepcopy(model)
    propagate_qconfig_(model, qconfig_spec)
    mapping = mapping or get_default_dynamic_quant_module_mappings()
    _convert(model, mapping)
    _warn_left_float(model, mapping)
    for m in model.modules():
        if "qconfig" in m.__dict__:
            del m.__dict__["qconfig"]
    return model


# what PyTorch's quantize_dynamic quantizes and autograd_lite cannot: said, not silently left in float
_TORCH_DYNAMIC = ("LSTM", "GRU", "LSTMCell", "GRUCell", "RNNCell", "Embedding", "EmbeddingBag")


def _warn_left_float(model, mapping):
    left = sorted({type(m).__name__ for m in model.modules() if getattr(m, "qconfig", None) is not None and
                   type(m) not in mapping and type(m).__name__ in _TORCH_DYNAMIC and type(m).__module__.startswith(
                       nn.__name__)})
    if left:
        import warnings
        warnings.warn(f"autograd_lite: quantize_dynamic has no dynamically quantized {', '.join(left)}; "
                      "those modules are left in float (PyTorch quantizes them)", UserWarning, stacklevel=3)


def add_quant_dequant(module):
    """Wraps each leaf module with a qconfig in a QuantWrapper (in place); returns the module."""
    from .stubs import QuantWrapper
    if not _has_children(module) and getattr(module, "qconfig", None):
        return QuantWrapper(module)
    for name, child in module.named_children():
        setattr(module, name, add_quant_dequant(child))
    return module
