"""DenseNet-121/161/169/201, as ``torchvision.models.densenet``: the same modules, names, state_dict keys, init
and pretrained weights (whose legacy key names, ``norm.1``..., are remapped on load as torchvision does).

Speed: a dense layer runs norm1, relu1, conv1, norm2, relu2, conv2 through nn's fusion (fusion.run_sequence): each
BatchNorm and the ReLU after it are one node and one kernel pass, as in an nn.Sequential. Where nothing records
(inference, a frozen network), a dense block writes its layers' features into one buffer instead of concatenating
(_forward_into_buffer); a transition pools before its 1x1 convolution (_pool_first). RESULTS.md, Transfer learning."""
import re
from collections import OrderedDict
from functools import partial
from typing import Optional

from ... import nn
from ...nn import functional as F
from ...nn.modules.fusion import run_sequence
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...creation import empty
from ...ops.shape import cat, flatten
from ...tensor import Tensor
from ...utils.checkpoint import checkpoint
from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _ovewrite_named_param, handle_legacy_interface

__all__ = ["DenseNet", "DenseNet121_Weights", "DenseNet161_Weights", "DenseNet169_Weights", "DenseNet201_Weights",
           "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate, memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient    # checkpoints the bottleneck (utils.checkpoint), as torchvision

    def bn_function(self, inputs):
        return run_sequence([self.norm1, self.relu1, self.conv1], cat(inputs, 1))

    def forward(self, input):
        prev_features = [input] if isinstance(input, Tensor) else input
        if self.memory_efficient and is_grad_enabled() and any(t.requires_grad for t in prev_features):
            # torchvision's: the concatenation and bottleneck recomputed in backward instead of kept
            bottleneck = checkpoint(lambda *inputs: self.bn_function(list(inputs)), *prev_features,
                                    use_reentrant=False)
            new_features = run_sequence([self.norm2, self.relu2, self.conv2], bottleneck)
        else:
            # (a traced input, fx's Proxy, records torchvision's cat node even for one input)
            one = len(prev_features) == 1 and isinstance(prev_features[0], Tensor)
            x = prev_features[0] if one else cat(prev_features, 1)
            new_features = run_sequence([self.norm1, self.relu1, self.conv1, self.norm2, self.relu2, self.conv2], x)
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    _version = 2

    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate, memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate=growth_rate, bn_size=bn_size,
                                drop_rate=drop_rate, memory_efficient=memory_efficient)
            self.add_module("denselayer%d" % (i + 1), layer)

    def forward(self, init_features):
        layers = list(self.values())
        if _into_buffer(init_features, layers):
            return _forward_into_buffer(init_features, layers)
        features = [init_features]
        for layer in layers:
            features.append(layer(features))
        return cat(features, 1)


def _into_buffer(x, layers):
    """Whether a dense block runs into one buffer: nothing records (no grad mode, or the block frozen and its input
    needing no gradient: inference, transfer learning), no hooks see the layers' list inputs, each layer's new
    features are its conv2's."""
    if not isinstance(x, Tensor) or x.ndim != 4:
        return False
    if is_grad_enabled() and (x.requires_grad or any(p.requires_grad for m in layers for p in m.parameters())):
        return False
    return all(type(m) is _DenseLayer and type(m.conv2) is nn.Conv2d and not m._forward_hooks
               and not m._forward_pre_hooks for m in layers)


def _forward_into_buffer(x, layers):
    """A dense block's output, each layer's new features written into its channels of one (N, C_out, H, W) buffer:
    a layer reads the first channels as its input (a view: batch norm reads it in place), so the block makes no
    concatenation (torchvision's, one per layer, copies a quadratic amount of memory)."""
    n, c, h, w = x.shape
    width = c + sum(m.conv2.out_channels for m in layers)
    out = empty((n, width, h, w), dtype=x.dtype, device=x.device)
    with no_grad():
        out[:, :c] = x
        for layer in layers:
            new = layer(out[:, :c])
            out[:, c:c + new.shape[1]] = new
            c += new.shape[1]
    return out


class _Transition(nn.Sequential):
    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)

    def forward(self, input):
        modules = list(self._modules.values())
        if not isinstance(input, Tensor) or not _pool_first(modules):     # (traced: torchvision's node order)
            return super().forward(input)
        norm, relu, conv, pool = modules
        return conv(pool(run_sequence([norm, relu], input)))


def _pool_first(modules):
    """Whether a transition may pool before its convolution: avg_pool2d(conv1x1(x)) = conv1x1(avg_pool2d(x)), both
    linear and per pixel / per channel, so the same result (up to rounding) from a convolution on a quarter of the
    pixels. Only as torchvision builds it (norm, relu, a 1x1 stride-1 conv, a 2x2 unpadded average pool), no
    hooks to see the intermediate shapes."""
    if len(modules) != 4 or any(m._forward_hooks or m._forward_pre_hooks for m in modules):
        return False
    norm, relu, conv, pool = modules
    return (type(norm) is nn.BatchNorm2d and type(relu) is nn.ReLU and type(conv) is nn.Conv2d
            and type(pool) is nn.AvgPool2d and conv.kernel_size == (1, 1) and conv.stride == (1, 1)
            and conv.padding in ((0, 0), "valid") and conv.dilation == (1, 1) and pool.padding in (0, (0, 0))
            and pool.divisor_override is None)


class DenseNet(nn.Module):
    """Densenet-BC (`Densely Connected Convolutional Networks <https://arxiv.org/abs/1608.06993>`_).

    Args:
        growth_rate: filters added per layer (k); block_config: layers in each of the 4 blocks;
        num_init_features: filters of the first convolution; bn_size: bottleneck width factor (bn_size * k);
        drop_rate: dropout after each dense layer; num_classes; memory_efficient: accepted (torchvision
        checkpoints the bottleneck to save memory; here it is computed as usual, same values).

    Example: ``DenseNet(32, (6, 12, 24, 16), 64)`` is densenet121's architecture.
    """

    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4, drop_rate=0,
                 num_classes=1000, memory_efficient=False):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers=num_layers, num_input_features=num_features, bn_size=bn_size,
                                growth_rate=growth_rate, drop_rate=drop_rate, memory_efficient=memory_efficient)
            self.features.add_module("denseblock%d" % (i + 1), block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                trans = _Transition(num_input_features=num_features, num_output_features=num_features // 2)
                self.features.add_module("transition%d" % (i + 1), trans)
                num_features = num_features // 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        for m in self.modules():        # torchvision's init (from the Lua original)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        features = self.features(x)
        out = F.relu(features, inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        out = flatten(out, 1)
        return self.classifier(out)


# Checkpoints from before module names could not hold dots: denselayerN.norm.1.weight -> denselayerN.norm1.weight
_LEGACY_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def _remap_legacy_keys(state_dict):
    """Renames the legacy keys of a DenseNet state dict in place (torchvision's _load_state_dict regex)."""
    for key in list(state_dict.keys()):
        res = _LEGACY_KEY.match(key)
        if res:
            state_dict[res.group(1) + res.group(2)] = state_dict.pop(key)
    return state_dict


def _load_state_dict(model, weights, progress):
    model.load_state_dict(_remap_legacy_keys(weights.get_state_dict(progress=progress, check_hash=True)))


def _densenet(growth_rate, block_config, num_init_features, weights, progress, **kwargs):
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    if weights is not None:
        _load_state_dict(model=model, weights=weights, progress=progress)
    return model


_COMMON_META = {
    "min_size": (29, 29),
    "categories": _IMAGENET_CATEGORIES,
    "recipe": "https://github.com/pytorch/vision/pull/116",
    "_docs": """These weights are ported from LuaTorch.""",
}


def _weights(url, num_params, acc1, acc5, ops_, file_size):
    return Weights(url=url, transforms=partial(ImageClassification, crop_size=224),
                   meta={**_COMMON_META, "num_params": num_params,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
                         "_ops": ops_, "_file_size": file_size})


class DenseNet121_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("https://download.pytorch.org/models/densenet121-a639ec97.pth", 7978856, 74.434, 91.972,
                             2.834, 30.845)
    DEFAULT = IMAGENET1K_V1


class DenseNet161_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("https://download.pytorch.org/models/densenet161-8d451a50.pth", 28681000, 77.138, 93.560,
                             7.728, 110.369)
    DEFAULT = IMAGENET1K_V1


class DenseNet169_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("https://download.pytorch.org/models/densenet169-b2777c0a.pth", 14149480, 75.600, 92.806,
                             3.36, 54.708)
    DEFAULT = IMAGENET1K_V1


class DenseNet201_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("https://download.pytorch.org/models/densenet201-c1103571.pth", 20013928, 76.896, 93.370,
                             4.291, 77.373)
    DEFAULT = IMAGENET1K_V1


@register_model()
@handle_legacy_interface(weights=("pretrained", DenseNet121_Weights.IMAGENET1K_V1))
def densenet121(*, weights: Optional[DenseNet121_Weights] = None, progress: bool = True, **kwargs) -> DenseNet:
    """Densenet-121 (`Densely Connected Convolutional Networks <https://arxiv.org/abs/1608.06993>`_).

    Args:
        weights: None (random init), "DEFAULT", a DenseNet121_Weights member or its name; progress: show a progress
        bar while downloading; **kwargs: DenseNet's (num_classes, drop_rate, memory_efficient...).

    Example::

        >>> model = models.densenet121(weights="DEFAULT")       # downloads densenet121-a639ec97.pth once
        >>> model.classifier = nn.Linear(1024, 2)
    """
    weights = DenseNet121_Weights.verify(weights)
    return _densenet(32, (6, 12, 24, 16), 64, weights, progress, **kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", DenseNet161_Weights.IMAGENET1K_V1))
def densenet161(*, weights: Optional[DenseNet161_Weights] = None, progress: bool = True, **kwargs) -> DenseNet:
    """Densenet-161: growth 48, blocks (6, 12, 36, 24), 96 initial features (arguments as densenet121)."""
    weights = DenseNet161_Weights.verify(weights)
    return _densenet(48, (6, 12, 36, 24), 96, weights, progress, **kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", DenseNet169_Weights.IMAGENET1K_V1))
def densenet169(*, weights: Optional[DenseNet169_Weights] = None, progress: bool = True, **kwargs) -> DenseNet:
    """Densenet-169: growth 32, blocks (6, 12, 32, 32) (arguments as densenet121)."""
    weights = DenseNet169_Weights.verify(weights)
    return _densenet(32, (6, 12, 32, 32), 64, weights, progress, **kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", DenseNet201_Weights.IMAGENET1K_V1))
def densenet201(*, weights: Optional[DenseNet201_Weights] = None, progress: bool = True, **kwargs) -> DenseNet:
    """Densenet-201: growth 32, blocks (6, 12, 48, 32) (arguments as densenet121)."""
    weights = DenseNet201_Weights.verify(weights)
    return _densenet(32, (6, 12, 48, 32), 64, weights, progress, **kwargs)
