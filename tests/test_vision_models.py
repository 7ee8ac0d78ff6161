"""vision.models against torchvision's architectures, written here in torch.nn (torchvision does not install beside
the CPU torch): parameter counts as published, state_dict keys and shapes, eval-mode logits with the same weights,
reprs; the weights enums, their presets, the legacy pretrained= interface, the registry, and loading published
weights (DenseNet's legacy key names) through a stand-in for hub.load_state_dict_from_url."""
import re
import sys
import types
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch as pt
import torch.nn as tnn
import torch.nn.functional as tF

import autograd_lite as al
from autograd_lite.vision import models, transforms

# ---- torchvision's architectures in torch.nn (class names as torchvision's, for the reprs) ------------------------


class _DenseLayer(tnn.Module):
    def __init__(self, n_in, growth, bn_size):
        super().__init__()
        self.norm1, self.relu1 = tnn.BatchNorm2d(n_in), tnn.ReLU(inplace=True)
        self.conv1 = tnn.Conv2d(n_in, bn_size * growth, kernel_size=1, stride=1, bias=False)
        self.norm2, self.relu2 = tnn.BatchNorm2d(bn_size * growth), tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(bn_size * growth, growth, kernel_size=3, stride=1, padding=1, bias=False)

    def forward(self, features):
        x = self.conv1(self.relu1(self.norm1(pt.cat(features, 1))))
        return self.conv2(self.relu2(self.norm2(x)))


class _DenseBlock(tnn.ModuleDict):
    def __init__(self, n_layers, n_in, bn_size, growth):
        super().__init__()
        for i in range(n_layers):
            self.add_module("denselayer%d" % (i + 1), _DenseLayer(n_in + i * growth, growth, bn_size))

    def forward(self, x):
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return pt.cat(features, 1)


class _Transition(tnn.Sequential):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.norm, self.relu = tnn.BatchNorm2d(n_in), tnn.ReLU(inplace=True)
        self.conv = tnn.Conv2d(n_in, n_out, kernel_size=1, stride=1, bias=False)
        self.pool = tnn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(tnn.Module):
    def __init__(self, growth=32, blocks=(6, 12, 24, 16), n_init=64, bn_size=4, num_classes=1000):
        super().__init__()
        self.features = tnn.Sequential(OrderedDict([
            ("conv0", tnn.Conv2d(3, n_init, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", tnn.BatchNorm2d(n_init)), ("relu0", tnn.ReLU(inplace=True)),
            ("pool0", tnn.MaxPool2d(kernel_size=3, stride=2, padding=1))]))
        n = n_init
        for i, n_layers in enumerate(blocks):
            self.features.add_module("denseblock%d" % (i + 1), _DenseBlock(n_layers, n, bn_size, growth))
            n += n_layers * growth
            if i != len(blocks) - 1:
                self.features.add_module("transition%d" % (i + 1), _Transition(n, n // 2))
                n //= 2
        self.features.add_module("norm5", tnn.BatchNorm2d(n))
        self.classifier = tnn.Linear(n, num_classes)

    def forward(self, x):
        out = tF.adaptive_avg_pool2d(tF.relu(self.features(x)), (1, 1))
        return self.classifier(pt.flatten(out, 1))


def _conv3x3(i, o, stride=1):
    return tnn.Conv2d(i, o, kernel_size=3, stride=stride, padding=1, groups=1, bias=False, dilation=1)


def _conv1x1(i, o, stride=1):
    return tnn.Conv2d(i, o, kernel_size=1, stride=stride, bias=False)


class BasicBlock(tnn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1, self.bn1 = _conv3x3(inplanes, planes, stride), tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2, self.bn2 = _conv3x3(planes, planes), tnn.BatchNorm2d(planes)
        self.downsample, self.stride = downsample, stride

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(tnn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1, self.bn1 = _conv1x1(inplanes, planes), tnn.BatchNorm2d(planes)
        self.conv2, self.bn2 = _conv3x3(planes, planes, stride), tnn.BatchNorm2d(planes)
        self.conv3, self.bn3 = _conv1x1(planes, planes * 4), tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample, self.stride = downsample, stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn3(self.conv3(self.relu(self.bn2(self.conv2(out)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet(tnn.Module):
    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = tnn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1, self.relu = tnn.BatchNorm2d(64), tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            setattr(self, f"layer{i + 1}", self._make_layer(block, planes, n, 1 if i == 0 else 2))
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, n, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = tnn.Sequential(_conv1x1(self.inplanes, planes * block.expansion, stride),
                                        tnn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, n)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(pt.flatten(self.avgpool(x), 1))


class VGG(tnn.Module):
    def __init__(self, cfg, batch_norm, num_classes=1000, dropout=0.5):
        super().__init__()
        layers, c = [], 3
        for v in cfg:
            if v == "M":
                layers.append(tnn.MaxPool2d(kernel_size=2, stride=2))
                continue
            layers += [tnn.Conv2d(c, v, kernel_size=3, padding=1)]
            layers += [tnn.BatchNorm2d(v), tnn.ReLU(inplace=True)] if batch_norm else [tnn.ReLU(inplace=True)]
            c = v
        self.features = tnn.Sequential(*layers)
        self.avgpool = tnn.AdaptiveAvgPool2d((7, 7))
        self.classifier = tnn.Sequential(
            tnn.Linear(512 * 7 * 7, 4096), tnn.ReLU(True), tnn.Dropout(p=dropout), tnn.Linear(4096, 4096),
            tnn.ReLU(True), tnn.Dropout(p=dropout), tnn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(pt.flatten(self.avgpool(self.features(x)), 1))


VGG_A = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
VGG_D = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


class Conv2dNormActivation(tnn.Sequential):
    def __init__(self, i, o, kernel_size=3, stride=1, groups=1):
        super().__init__(tnn.Conv2d(i, o, kernel_size, stride, (kernel_size - 1) // 2, dilation=1, groups=groups,
                                    bias=False), tnn.BatchNorm2d(o), tnn.ReLU6(inplace=True))


class InvertedResidual(tnn.Module):
    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = int(round(inp * t))
        self.use_res_connect = stride == 1 and inp == oup
        layers = [Conv2dNormActivation(inp, hidden, kernel_size=1)] if t != 1 else []
        layers += [Conv2dNormActivation(hidden, hidden, stride=stride, groups=hidden),
                   tnn.Conv2d(hidden, oup, 1, 1, 0, bias=False), tnn.BatchNorm2d(oup)]
        self.conv = tnn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(tnn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        features, c_in = [Conv2dNormActivation(3, 32, stride=2)], 32
        for t, c, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
                           [6, 160, 3, 2], [6, 320, 1, 1]]:
            for i in range(n):
                features.append(InvertedResidual(c_in, c, s if i == 0 else 1, t))
                c_in = c
        features.append(Conv2dNormActivation(c_in, 1280, kernel_size=1))
        self.features = tnn.Sequential(*features)
        self.classifier = tnn.Sequential(tnn.Dropout(p=0.2), tnn.Linear(1280, num_classes))

    def forward(self, x):
        return self.classifier(pt.flatten(tF.adaptive_avg_pool2d(self.features(x), (1, 1)), 1))


class AlexNet(tnn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        R, M = (lambda: tnn.ReLU(inplace=True)), (lambda: tnn.MaxPool2d(kernel_size=3, stride=2))
        self.features = tnn.Sequential(
            tnn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), R(), M(),
            tnn.Conv2d(64, 192, kernel_size=5, padding=2), R(), M(),
            tnn.Conv2d(192, 384, kernel_size=3, padding=1), R(), tnn.Conv2d(384, 256, kernel_size=3, padding=1), R(),
            tnn.Conv2d(256, 256, kernel_size=3, padding=1), R(), M())
        self.avgpool = tnn.AdaptiveAvgPool2d((6, 6))
        self.classifier = tnn.Sequential(
            tnn.Dropout(p=0.5), tnn.Linear(256 * 6 * 6, 4096), R(), tnn.Dropout(p=0.5), tnn.Linear(4096, 4096), R(),
            tnn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(pt.flatten(self.avgpool(self.features(x)), 1))


class Fire(tnn.Module):
    def __init__(self, inplanes, s, e1, e3):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze, self.squeeze_activation = tnn.Conv2d(inplanes, s, kernel_size=1), tnn.ReLU(inplace=True)
        self.expand1x1, self.expand1x1_activation = tnn.Conv2d(s, e1, kernel_size=1), tnn.ReLU(inplace=True)
        self.expand3x3 = tnn.Conv2d(s, e3, kernel_size=3, padding=1)
        self.expand3x3_activation = tnn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return pt.cat([self.expand1x1_activation(self.expand1x1(x)), self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(tnn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        M = (lambda: tnn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True))
        self.features = tnn.Sequential(
            tnn.Conv2d(3, 64, kernel_size=3, stride=2), tnn.ReLU(inplace=True), M(),
            Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), M(), Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), M(),
            Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256))
        self.classifier = tnn.Sequential(tnn.Dropout(p=0.5), tnn.Conv2d(512, num_classes, kernel_size=1),
                                         tnn.ReLU(inplace=True), tnn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        return pt.flatten(self.classifier(self.features(x)), 1)


REFERENCES = {
    "densenet121": lambda: DenseNet(),
    "densenet161": lambda: DenseNet(48, (6, 12, 36, 24), 96),
    "resnet18": lambda: ResNet(BasicBlock, [2, 2, 2, 2]),
    "resnet50": lambda: ResNet(Bottleneck, [3, 4, 6, 3]),
    "vgg11_bn": lambda: VGG(VGG_A, True),
    "vgg16": lambda: VGG(VGG_D, False),
    "mobilenet_v2": MobileNetV2,
    "alexnet": AlexNet,
    "squeezenet1_1": SqueezeNet,
}

PUBLISHED = {"densenet121": 7978856, "resnet18": 11689512, "resnet50": 25557032, "vgg16": 138357544,
             "mobilenet_v2": 3504872, "alexnet": 61100840, "squeezenet1_1": 1235496, "densenet161": 28681000,
             "densenet169": 14149480, "densenet201": 20013928, "resnet34": 21797672, "resnet101": 44549160,
             "resnet152": 60192808, "vgg11": 132863336, "vgg11_bn": 132868840, "vgg16_bn": 138365992}

ALL = ["alexnet", "densenet121", "densenet161", "densenet169", "densenet201", "mobilenet_v2", "resnet101",
       "resnet152", "resnet18", "resnet34", "resnet50", "squeezenet1_0", "squeezenet1_1", "vgg11", "vgg11_bn",
       "vgg16", "vgg16_bn"]


def _shapes(state):
    return {k: tuple(v.shape) for k, v in state.items()}


def _randomize(model, seed=0):
    """Every floating parameter and buffer drawn afresh (BatchNorm's running stats too, so eval mode uses them);
    returns the state dict as NumPy arrays."""
    rng = np.random.default_rng(seed)
    out = {}
    for key, t in model.state_dict().items():
        if t.dtype != al.float32:
            out[key] = t.numpy()
            continue
        if key.endswith("running_var"):
            v = rng.uniform(0.5, 1.5, t.shape)
        elif key.endswith("running_mean") or key.endswith(".bias"):
            v = rng.normal(0, 0.1, t.shape)
        elif t.ndim == 1:                                   # BatchNorm weights
            v = rng.uniform(0.8, 1.2, t.shape)
        else:                                               # fan-in scaled: activations stay O(1) through depth
            v = rng.standard_normal(t.shape, dtype=np.float32) * np.float32(1.0 / np.sqrt(np.prod(t.shape[1:])))
        out[key] = v.astype(np.float32, copy=False)
    model.load_state_dict({k: al.from_numpy(v.copy()) for k, v in out.items()})
    return out


@pytest.fixture
def skip_init(monkeypatch):
    """Parameters left as allocated, in both libraries: the tests using it check structure or load values of their
    own, and drawing VGG's 133M initial values takes seconds."""
    def zeros(shape, *args, dtype=np.float32, **kwargs):       # random.normal/uniform(shape, a, b, dtype, gen)
        return np.zeros(shape, args[2] if len(args) > 2 else dtype)
    for name, stand_in in (("normal", zeros), ("uniform", zeros), ("fill_normal", lambda out, *a, **k: out),
                           ("fill_uniform", lambda out, *a, **k: out)):
        monkeypatch.setattr(sys.modules["autograd_lite.random"], name, stand_in)
    for name in ("normal_", "uniform_", "kaiming_uniform_", "kaiming_normal_", "constant_"):
        monkeypatch.setattr(tnn.init, name, lambda tensor, *args, **kwargs: tensor)


# ---- architecture --------------------------------------------------------------------------------------------


def test_list_models_registers_every_architecture():
    assert models.list_models() == ALL
    assert models.list_models(include="resnet*") == ["resnet101", "resnet152", "resnet18", "resnet34", "resnet50"]
    assert models.list_models(include=["vgg*", "alex*"], exclude="*_bn") == ["alexnet", "vgg11", "vgg16"]
    assert models.list_models(module=models) == ALL


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_counts_are_the_published_ones(name, skip_init):
    model = models.get_model(name)
    n = sum(p.numel() for p in model.parameters())
    assert n == PUBLISHED[name] == models.get_model_weights(name).DEFAULT.meta["num_params"]


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_state_dict_keys_and_shapes_are_torchvisions(name, skip_init):
    ours, ref = models.get_model(name).state_dict(), REFERENCES[name]().state_dict()
    assert list(ours) == list(ref)
    assert _shapes(ours) == _shapes(ref)
    assert all(ours[k].dtype == al.int64 for k in ours if k.endswith("num_batches_tracked"))


@pytest.mark.parametrize("name", ["squeezenet1_1", "resnet18", "mobilenet_v2", "alexnet", "vgg11_bn", "densenet121"])
def test_repr_is_pytorchs(name, skip_init):
    assert repr(models.get_model(name)) == repr(REFERENCES[name]())


# (builder, input size: the smallest that each net takes, or a little above)
FORWARD = [("densenet121", 64), ("resnet18", 32), ("resnet50", 32), ("vgg11_bn", 32), ("mobilenet_v2", 32),
           ("alexnet", 63), ("squeezenet1_1", 33)]


@pytest.mark.parametrize("name,size", FORWARD)
def test_eval_forward_equals_torch_with_the_same_weights(name, size, skip_init):
    ours, ref = models.get_model(name), REFERENCES[name]()
    state = _randomize(ours)
    ref.load_state_dict({k: pt.from_numpy(v.copy()) for k, v in state.items()})
    ours.eval()
    ref.eval()
    x = np.random.default_rng(1).standard_normal((2, 3, size, size), dtype=np.float32)
    with al.no_grad():
        got = ours(al.from_numpy(x.copy())).numpy()
    with pt.no_grad():
        want = ref(pt.from_numpy(x)).numpy()
    assert got.shape == want.shape == (2, 1000)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_densenet_train_step_matches_torch():
    """Train mode (batch statistics, running-stat updates) and the gradients through the fused dense layers, in
    float64: in float32 a ReLU input within rounding of 0 may flip its mask in one library and not the other."""
    ours, ref = models.densenet121(num_classes=3).double(), DenseNet(num_classes=3).double()
    state = _randomize(ours.float(), seed=2)
    ours.double()
    ref.load_state_dict({k: pt.from_numpy(v.copy()) for k, v in state.items()})
    x = np.random.default_rng(3).standard_normal((2, 3, 64, 64))
    ours(al.from_numpy(x.copy())).square().sum().backward()
    ref(pt.from_numpy(x)).square().sum().backward()
    got = dict(ours.named_parameters())
    for key, p in ref.named_parameters():
        np.testing.assert_allclose(got[key].grad.numpy(), p.grad.numpy(), rtol=1e-6,
                                   atol=1e-6 * np.abs(p.grad.numpy()).max(), err_msg=key)
    for key, value in ref.state_dict().items():
        if "running" in key or "num_batches" in key:
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-6, atol=1e-9)


def test_densenet_frozen_blocks_write_one_buffer_and_transitions_pool_first(monkeypatch):
    """Frozen (transfer learning, train mode) and under no_grad, a dense block concatenates nothing (its layers
    read the first channels of one buffer) and a transition pools before its 1x1 convolution: the logits, the new
    classifier's gradients and the running statistics stay torch's (float64). Hooks, or anything recording, keep
    torchvision's order of operations."""
    from autograd_lite.vision.models import densenet
    cats = []
    monkeypatch.setattr(densenet, "cat", lambda *a: cats.append(1) or al.cat(*a))
    ours, ref = models.densenet121(num_classes=3).double(), DenseNet(num_classes=3).double()
    state = _randomize(ours.float(), seed=4)
    ours.double()
    ref.load_state_dict({k: pt.from_numpy(v.copy()) for k, v in state.items()})
    for model in (ours.features, ref.features):
        model.requires_grad_(False)
    x = np.random.default_rng(6).standard_normal((2, 3, 64, 64))
    ours(al.from_numpy(x.copy())).square().sum().backward()
    ref(pt.from_numpy(x)).square().sum().backward()
    assert cats == []
    got = ours.state_dict()
    for key, value in ref.state_dict().items():
        np.testing.assert_allclose(got[key].numpy(), value.numpy(), rtol=1e-9, atol=1e-12, err_msg=key)
    for key, p in ref.classifier.named_parameters():
        np.testing.assert_allclose(getattr(ours.classifier, key).grad.numpy(), p.grad.numpy(), rtol=1e-9)
    transition = ours.features.transition1
    assert densenet._pool_first(list(transition._modules.values()))
    seen = []
    transition.conv.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
    ours.features.denseblock1.denselayer1.register_forward_pre_hook(lambda m, i: seen.append(type(i[0]).__name__))
    with al.no_grad():
        ours.eval()(al.from_numpy(x.copy()))
    # torchvision's order: a list into the hooked block (one cat per layer but the first, one for its output), the
    # hooked transition's conv at full size
    assert seen == ["list", (2, 128, 16, 16)] and len(cats) == len(ours.features.denseblock1)
    ours.features.requires_grad_(True)
    cats.clear()
    ours.train()(al.from_numpy(x.copy()))
    assert len(cats) == 4 + sum(len(b) - 1 for b in (ours.features.denseblock1, ours.features.denseblock2,
                                                     ours.features.denseblock3, ours.features.denseblock4))


def test_init_is_torchvisions():
    resnet = models.resnet18(zero_init_residual=True)
    assert float(resnet.layer1[0].bn2.weight.abs().sum()) == 0.0
    assert float(resnet.layer1[0].bn1.weight.sum()) == 64.0
    w = models.resnet50().conv1.weight.detach().numpy()     # kaiming normal, fan_out, relu: std sqrt(2 / (64*49))
    assert abs(w.std() - np.sqrt(2 / (64 * 49))) < 0.1 * np.sqrt(2 / (64 * 49)) and abs(w.mean()) < 0.01
    dense = models.densenet121()
    assert float(dense.classifier.bias.abs().sum()) == 0.0
    w = dense.features.conv0.weight.detach().numpy()        # kaiming normal, fan_in, leaky_relu(0): sqrt(2 / 147)
    assert abs(w.std() - np.sqrt(2 / 147)) < 0.1 * np.sqrt(2 / 147)
    sq = models.squeezenet1_1()
    assert abs(sq.classifier[1].weight.detach().numpy().std() - 0.01) < 0.002
    assert float(models.mobilenet_v2().classifier[1].bias.abs().sum()) == 0.0


def test_builder_keyword_arguments(skip_init):
    assert models.densenet121(memory_efficient=True, drop_rate=0.1).features.denseblock1.denselayer1.drop_rate == 0.1
    assert models.vgg11(dropout=0.3, num_classes=7).classifier[2].p == 0.3
    assert models.squeezenet1_1(dropout=0.1, num_classes=4).classifier[0].p == 0.1
    small = models.mobilenet_v2(width_mult=0.5, num_classes=10)
    assert small.features[0][0].out_channels == 16 and small.last_channel == 1280
    wide = models.resnet50(width_per_group=128)
    assert wide.layer1[0].conv2.weight.shape == (128, 128, 3, 3)
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1 and base_width=64"):
        models.resnet18(groups=2)
    with pytest.raises(ValueError, match="Unsupported SqueezeNet version 2_0: 1_0 or 1_1 expected"):
        models.SqueezeNet("2_0")
    with pytest.raises(TypeError):
        models.resnet18(no_such_argument=1)


# ---- weights enums, presets, registry ------------------------------------------------------------------------


def test_weights_enums():
    w = models.ResNet50_Weights.DEFAULT
    assert w is models.ResNet50_Weights.IMAGENET1K_V2 and repr(w) == "ResNet50_Weights.IMAGENET1K_V2"
    assert w.url == "https://download.pytorch.org/models/resnet50-11ad3fa6.pth"
    assert models.DenseNet121_Weights.IMAGENET1K_V1.url.endswith("/densenet121-a639ec97.pth")
    cats = w.meta["categories"]
    assert len(cats) == 1000 and cats[0] == "tench" and cats[281] == "tabby" and cats[999] == "toilet tissue"
    assert len(set(cats)) == 1000
    urls = [m.url for e in (models.get_model_weights(n) for n in ALL) for m in e]
    assert all(re.fullmatch(r"https://download\.pytorch\.org/models/[\w.-]+-[0-9a-f]{8}\.pth", u) for u in urls)
    assert models.VGG16_Weights.IMAGENET1K_FEATURES.meta["categories"] is None
    assert models.DenseNet121_Weights.verify("DEFAULT") is models.DenseNet121_Weights.IMAGENET1K_V1
    assert models.DenseNet121_Weights.verify("DenseNet121_Weights.IMAGENET1K_V1") is \
        models.DenseNet121_Weights.IMAGENET1K_V1
    assert models.DenseNet121_Weights.verify(None) is None
    with pytest.raises(TypeError, match="Invalid Weight class provided; expected ResNet18_Weights but received "
                                        "ResNet50_Weights."):
        models.resnet18(weights=models.ResNet50_Weights.DEFAULT)
    with pytest.raises(KeyError):
        models.resnet18(weights="IMAGENET1K_V7")


def test_registry_lookups():
    assert models.get_weight("ResNet50_Weights.DEFAULT") is models.ResNet50_Weights.IMAGENET1K_V2
    assert models.get_weight("DenseNet121_Weights.IMAGENET1K_V1") is models.DenseNet121_Weights.DEFAULT
    assert models.get_model_weights("densenet121") is models.DenseNet121_Weights
    assert models.get_model_weights(models.mobilenet_v2) is models.MobileNet_V2_Weights
    model = models.get_model("ResNet18", weights=None, num_classes=10)
    assert isinstance(model, models.ResNet) and model.fc.out_features == 10
    with pytest.raises(ValueError, match="Unknown model nosuchnet"):
        models.get_model("nosuchnet")
    with pytest.raises(ValueError, match="Invalid weight name provided: 'ResNet50_Weights'."):
        models.get_weight("ResNet50_Weights")
    with pytest.raises(ValueError, match="The weight enum 'Nope_Weights' for the specific method couldn't be "
                                         "retrieved."):
        models.get_weight("Nope_Weights.DEFAULT")


def test_preset_transforms_on_pil_and_tensors():
    Image = pytest.importorskip("PIL.Image")
    preset = models.ResNet50_Weights.IMAGENET1K_V2.transforms()
    assert repr(preset) == ("ImageClassification(\n    crop_size=[224]\n    resize_size=[232]\n"
                            "    mean=[0.485, 0.456, 0.406]\n    std=[0.229, 0.224, 0.225]\n"
                            "    interpolation=InterpolationMode.BILINEAR\n)")
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (300, 260, 3), dtype=np.uint8)
    img = Image.fromarray(pixels)
    out = preset(img)
    want = transforms.Normalize(preset.mean, preset.std)(transforms.ToTensor()(
        transforms.CenterCrop(224)(transforms.Resize(232)(img))))
    assert out.shape == (3, 224, 224) and out.dtype == al.float32
    np.testing.assert_array_equal(out.numpy(), want.numpy())

    # tensors: torch's antialiased bilinear resize of the shorter side, centre crop, /255 for uint8, normalise
    preset = models.DenseNet121_Weights.DEFAULT.transforms()
    mean, std = pt.tensor(preset.mean).view(3, 1, 1), pt.tensor(preset.std).view(3, 1, 1)
    chw = np.ascontiguousarray(pixels.transpose(2, 0, 1))
    resized = tF.interpolate(pt.from_numpy(chw).float()[None], size=(295, 256), mode="bilinear",
                             align_corners=False, antialias=True)
    top, left = int(round((295 - 224) / 2)), int(round((256 - 224) / 2))
    crop = resized[0, :, top:top + 224, left:left + 224]
    want_u8 = (crop.round().clamp(0, 255).to(pt.uint8).float() / 255 - mean) / std
    got = preset(al.from_numpy(chw.copy()))
    diff = np.abs(got.numpy() - want_u8.numpy())            # a .5 may round either way: one grey level at most
    assert diff.max() <= 1 / 255 / min(preset.std) + 1e-5 and (diff > 1e-5).mean() < 1e-3
    batch = chw[None].astype(np.float32) / 255
    got = preset(al.from_numpy(np.concatenate([batch, batch])))
    want = (tF.interpolate(pt.from_numpy(batch), size=(295, 256), mode="bilinear", align_corners=False,
                           antialias=True)[..., top:top + 224, left:left + 224] - mean) / std
    assert got.shape == (2, 3, 224, 224)
    np.testing.assert_allclose(got.numpy()[1], want.numpy()[0], atol=1e-5)
    small = preset(al.from_numpy(rng.random((3, 100, 150), dtype=np.float32)))    # resized up to 256 first
    assert small.shape == (3, 224, 224)


# ---- pretrained weights through the hub ----------------------------------------------------------------------


@pytest.fixture
def fake_hub(monkeypatch):
    """Replaces hub.load_state_dict_from_url; records its calls. `serve[url] = state_dict` sets what it returns."""
    try:
        from autograd_lite import hub
    except ImportError:                                     # hub.py not written yet: a stand-in module
        hub = types.ModuleType("autograd_lite.hub")
        monkeypatch.setitem(sys.modules, "autograd_lite.hub", hub)
        monkeypatch.setattr(al, "hub", hub, raising=False)
    calls, serve = [], {}

    def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                                 file_name=None, weights_only=False):
        calls.append(dict(url=url, progress=progress, check_hash=check_hash))
        return OrderedDict((k, v) for k, v in serve[url].items())
    monkeypatch.setattr(hub, "load_state_dict_from_url", load_state_dict_from_url, raising=False)
    return calls, serve


def _legacy_densenet_state(seed=5):
    """densenet121's state dict as torchvision publishes it: torch-made values, keys `denselayerN.norm.1.weight`...,
    and no num_batches_tracked (saved before BatchNorm had it)."""
    pt.manual_seed(seed)
    ref = DenseNet()
    for m in ref.modules():
        if isinstance(m, tnn.BatchNorm2d):
            tnn.init.uniform_(m.running_var, 0.5, 1.5)
            tnn.init.normal_(m.running_mean, 0, 0.1)
            tnn.init.uniform_(m.weight, 0.8, 1.2)
    state = OrderedDict()
    for key, value in ref.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue
        key = re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", key)
        state[key] = al.from_numpy(value.numpy().copy())
    return ref, state


def test_densenet121_default_weights_load_with_the_legacy_key_names(fake_hub):
    calls, serve = fake_hub
    ref, legacy = _legacy_densenet_state()
    assert "features.denseblock1.denselayer1.norm.1.weight" in legacy
    serve[models.DenseNet121_Weights.IMAGENET1K_V1.url] = legacy
    model = models.densenet121(weights="DEFAULT", progress=False)
    assert calls == [dict(url="https://download.pytorch.org/models/densenet121-a639ec97.pth", progress=False,
                          check_hash=True)]
    for key, value in ref.state_dict().items():
        if not key.endswith("num_batches_tracked"):
            np.testing.assert_array_equal(model.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    x = np.random.default_rng(6).standard_normal((1, 3, 64, 64), dtype=np.float32)
    model.eval()
    ref.eval()
    with al.no_grad():
        got = model(al.from_numpy(x.copy())).numpy()
    with pt.no_grad():
        want = ref(pt.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_weights_members_and_names_load(fake_hub):
    calls, serve = fake_hub
    ref = models.squeezenet1_1()
    state = _randomize(ref, seed=7)
    serve[models.SqueezeNet1_1_Weights.IMAGENET1K_V1.url] = {k: al.from_numpy(v.copy()) for k, v in state.items()}
    for weights in (models.SqueezeNet1_1_Weights.IMAGENET1K_V1, "IMAGENET1K_V1", "SqueezeNet1_1_Weights.DEFAULT"):
        model = models.squeezenet1_1(weights=weights)
        np.testing.assert_array_equal(model.classifier[1].weight.detach().numpy(), state["classifier.1.weight"])
    assert [c["check_hash"] for c in calls] == [True] * 3 and calls[0]["progress"] is True
    model = models.get_model("squeezenet1_1", weights="DEFAULT")
    np.testing.assert_array_equal(model.features[0].weight.detach().numpy(), state["features.0.weight"])
    state_dict = models.SqueezeNet1_1_Weights.DEFAULT.get_state_dict(progress=False)
    assert calls[-1] == dict(url=models.SqueezeNet1_1_Weights.DEFAULT.url, progress=False, check_hash=False)
    assert set(state_dict) == set(state)


def test_pretrained_true_warns_as_torchvision_and_loads_v1(fake_hub):
    calls, serve = fake_hub
    ref = models.resnet18()
    serve[models.ResNet18_Weights.IMAGENET1K_V1.url] = ref.state_dict()
    with pytest.warns(UserWarning) as record:
        model = models.resnet18(pretrained=True)
    assert [str(w.message) for w in record] == [
        "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, please use "
        "'weights' instead.",
        "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be removed in "
        "the future. The current behavior is equivalent to passing `weights=ResNet18_Weights.IMAGENET1K_V1`. You "
        "can also use `weights=ResNet18_Weights.DEFAULT` to get the most up-to-date weights."]
    np.testing.assert_array_equal(model.fc.weight.detach().numpy(), ref.fc.weight.detach().numpy())
    with pytest.warns(UserWarning) as record:
        models.densenet121(pretrained=False)
    assert str(record[-1].message).endswith("The current behavior is equivalent to passing `weights=None`.")
    assert len(calls) == 1
    with pytest.warns(UserWarning) as record:                # resnet18(True): pretrained by position
        models.resnet18(True)
    assert [str(w.message)[:40] for w in record] == ["Using 'weights' as positional parameter(",
                                                     "Arguments other than a weight enum or `N"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        models.resnet18(weights=None)


def test_num_classes_must_match_the_weights(fake_hub):
    with pytest.raises(ValueError, match=r"^The parameter 'num_classes' expected value 1000 but got 2 instead\.$"):
        models.densenet121(weights="DEFAULT", num_classes=2)
    with pytest.raises(ValueError, match="expected value 1000 but got 10 instead"):
        models.get_model("resnet50", weights="DEFAULT", num_classes=10)
    assert fake_hub[0] == []                                # refused before any download


def test_vgg16_feature_weights_keep_num_classes(fake_hub, skip_init):
    calls, serve = fake_hub
    serve[models.VGG16_Weights.IMAGENET1K_FEATURES.url] = models.vgg16(num_classes=5, init_weights=False).state_dict()
    model = models.vgg16(weights=models.VGG16_Weights.IMAGENET1K_FEATURES, num_classes=5)
    assert model.classifier[6].out_features == 5 and calls[0]["check_hash"] is True


def test_densenet_forward_runs_batchnorm_relu_fused(monkeypatch):
    """Every BatchNorm+ReLU pair of DenseNet-121 goes through the fused op (one node, one kernel pass)."""
    from autograd_lite.nn.modules import normalization
    seen = []
    fused = normalization.batch_norm_relu
    monkeypatch.setattr(normalization, "batch_norm_relu", lambda *a: seen.append(1) or fused(*a))
    model = models.densenet121().eval()
    with al.no_grad():
        model(al.randn(1, 3, 32, 32))
    assert len(seen) == 1 + 2 * 58 + 3                      # norm0, two per dense layer, three transitions
