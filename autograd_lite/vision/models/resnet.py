"""ResNet-18/34/50/101/152, as ``torchvision.models.resnet``: the same modules, names, state_dict keys, init and
pretrained weights. Each BatchNorm and the ReLU after it run fused (fusion.run_sequence), as in an nn.Sequential."""
from functools import partial
from typing import Optional

from ... import nn
from ...nn.modules.fusion import run_sequence
from ...ops.shape import flatten
from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _load_weights, _ovewrite_named_param, handle_legacy_interface

__all__ = ["ResNet", "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights",
           "ResNet152_Weights", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3x3 convolution with padding."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = run_sequence([self.conv1, self.bn1, self.relu, self.conv2, self.bn2], x)
        identity = x if self.downsample is None else self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    # the stride is on the 3x3 convolution (conv2), "ResNet V1.5", as torchvision
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = run_sequence([self.conv1, self.bn1, self.relu, self.conv2, self.bn2, self.relu, self.conv3, self.bn3],
                           x)
        identity = x if self.downsample is None else self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """ResNet (`Deep Residual Learning for Image Recognition <https://arxiv.org/abs/1512.03385>`_).

    Args:
        block: BasicBlock or Bottleneck; layers: blocks per stage (4 ints); num_classes; zero_init_residual: zero
        the last BatchNorm's weight of each residual branch; groups, width_per_group: ResNeXt / wide variants
        (Bottleneck only); replace_stride_with_dilation: 3 bools; norm_layer: default nn.BatchNorm2d.

    Example: ``ResNet(Bottleneck, [3, 4, 6, 3])`` is resnet50's architecture.
    """

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
                 replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None "
                             f"or a 3-element tuple, got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:          # each residual branch starts as zero: each block as the identity
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation,
                        norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def _forward_impl(self, x):
        x = run_sequence([self.conv1, self.bn1, self.relu, self.maxpool], x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = flatten(x, 1)
        return self.fc(x)

    def forward(self, x):
        return self._forward_impl(x)


def _resnet(block, layers, weights, progress, **kwargs):
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = ResNet(block, layers, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


_COMMON_META = {"min_size": (1, 1), "categories": _IMAGENET_CATEGORIES}
_V1_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
_V1_DOCS = """These weights reproduce closely the results of the paper using a simple training recipe."""
_V2_DOCS = """
                These weights improve upon the results of the original paper by using TorchVision's `new training recipe
                <https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.
            """


def _weights(url, num_params, recipe, acc1, acc5, ops, file_size, docs, resize_size=None):
    preset = (partial(ImageClassification, crop_size=224) if resize_size is None
              else partial(ImageClassification, crop_size=224, resize_size=resize_size))
    return Weights(url=url, transforms=preset,
                   meta={**_COMMON_META, "num_params": num_params, "recipe": recipe,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}, "_ops": ops,
                         "_file_size": file_size, "_docs": docs})


_URL = "https://download.pytorch.org/models/"


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnet18-f37072fd.pth", 11689512, _V1_RECIPE, 69.758, 89.078, 1.814, 44.661,
                             _V1_DOCS)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnet34-b627a593.pth", 21797672, _V1_RECIPE, 73.314, 91.420, 3.664, 83.275,
                             _V1_DOCS)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnet50-0676ba61.pth", 25557032, _V1_RECIPE, 76.130, 92.862, 4.089, 97.781,
                             _V1_DOCS)
    IMAGENET1K_V2 = _weights(_URL + "resnet50-11ad3fa6.pth", 25557032,
                             "https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621", 80.858, 95.434,
                             4.089, 97.79, _V2_DOCS, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnet101-63fe2227.pth", 44549160, _V1_RECIPE, 77.374, 93.546, 7.801, 170.511,
                             _V1_DOCS)
    IMAGENET1K_V2 = _weights(_URL + "resnet101-cd907fc2.pth", 44549160,
                             "https://github.com/pytorch/vision/issues/3995#new-recipe", 81.886, 95.780, 7.801, 170.53,
                             _V2_DOCS, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnet152-394f9c45.pth", 60192808, _V1_RECIPE, 78.312, 94.046, 11.514, 230.434,
                             _V1_DOCS)
    IMAGENET1K_V2 = _weights(_URL + "resnet152-f82ba261.pth", 60192808,
                             "https://github.com/pytorch/vision/issues/3995#new-recipe", 82.284, 96.002, 11.514,
                             230.474, _V2_DOCS, resize_size=232)
    DEFAULT = IMAGENET1K_V2


@register_model()
@handle_legacy_interface(weights=("pretrained", ResNet18_Weights.IMAGENET1K_V1))
def resnet18(*, weights: Optional[ResNet18_Weights] = None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-18 (`Deep Residual Learning for Image Recognition <https://arxiv.org/abs/1512.03385>`_).

    Args:
        weights: None, "DEFAULT", a ResNet18_Weights member or its name; progress: a progress bar while downloading;
        **kwargs: ResNet's (num_classes, zero_init_residual, ...).

    Example::

        >>> model = models.resnet18(weights=models.ResNet18_Weights.DEFAULT)
        >>> model.fc = nn.Linear(512, 10)
    """
    weights = ResNet18_Weights.verify(weights)
    return _resnet(BasicBlock, [2, 2, 2, 2], weights, progress, **kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", ResNet34_Weights.IMAGENET1K_V1))
def resnet34(*, weights: Optional[ResNet34_Weights] = None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-34: BasicBlock, [3, 4, 6, 3] (arguments as resnet18)."""
    weights = ResNet34_Weights.verify(weights)
    return _resnet(BasicBlock, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", ResNet50_Weights.IMAGENET1K_V1))
def resnet50(*, weights: Optional[ResNet50_Weights] = None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-50: Bottleneck, [3, 4, 6, 3] (arguments as resnet18; DEFAULT is IMAGENET1K_V2)."""
    weights = ResNet50_Weights.verify(weights)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", ResNet101_Weights.IMAGENET1K_V1))
def resnet101(*, weights: Optional[ResNet101_Weights] = None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-101: Bottleneck, [3, 4, 23, 3] (arguments as resnet18)."""
    weights = ResNet101_Weights.verify(weights)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", ResNet152_Weights.IMAGENET1K_V1))
def resnet152(*, weights: Optional[ResNet152_Weights] = None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-152: Bottleneck, [3, 8, 36, 3] (arguments as resnet18)."""
    weights = ResNet152_Weights.verify(weights)
    return _resnet(Bottleneck, [3, 8, 36, 3], weights, progress, **kwargs)
