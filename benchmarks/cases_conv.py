"""Convolutional networks, side by side with PyTorch: the MNIST CNN's training step, DenseNet-121's forward, and the
layers alone (conv2d in GFLOP/s against the one product it amounts to; pooling and batch norm in GB/s against memcpy).

    cd benchmarks && OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 python cases_conv.py [--quick]

Every library starts from the same weights (autograd_lite's init, copied into torch's model through NumPy) and
reads the same fixed random batches. "gemm" is the product a convolution amounts to, np.matmul on arrays already
laid out (the im2col matrix made once, outside the timing): the rate the convolution would reach if laying out
its input were free. benchmarks/run.py imports `cases`.
"""
import collections
import functools
import itertools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import OURS, Case, fmt, measure, ratio  # noqa: E402

POOL = 4                     # distinct batches cycled through
DENSENET121 = (6, 12, 24, 16)


def _lib(name):
    return __import__(name)                     # ImportError (torch absent): the harness skips the impl


# ---- models, written once for both libraries (the same nn API) --------------------------------------------
def mnist_cnn(lib):
    """examples/mnist.py --model cnn's network."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def densenet(lib, blocks=DENSENET121, growth=32, init_features=64, bn_size=4, num_classes=1000):
    """torchvision's DenseNet (DenseNet-121 by default) from the library's layers, torchvision's module names."""
    nn = lib.nn

    class DenseLayer(nn.Module):
        def __init__(self, n_in):
            super().__init__()
            self.norm1, self.relu1 = nn.BatchNorm2d(n_in), nn.ReLU(inplace=True)
            self.conv1 = nn.Conv2d(n_in, bn_size * growth, 1, bias=False)
            self.norm2, self.relu2 = nn.BatchNorm2d(bn_size * growth), nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

        def forward(self, features):
            x = lib.cat(features, 1)
            return self.conv2(self.relu2(self.norm2(self.conv1(self.relu1(self.norm1(x))))))

    class DenseBlock(nn.ModuleDict):
        def __init__(self, n_layers, n_in):
            super().__init__()
            for i in range(n_layers):
                self.add_module(f"denselayer{i + 1}", DenseLayer(n_in + i * growth))

        def forward(self, x):
            features = [x]
            for layer in self.values():
                features.append(layer(features))
            return lib.cat(features, 1)

    class Transition(nn.Sequential):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.add_module("norm", nn.BatchNorm2d(n_in))
            self.add_module("relu", nn.ReLU(inplace=True))
            self.add_module("conv", nn.Conv2d(n_in, n_out, 1, bias=False))
            self.add_module("pool", nn.AvgPool2d(2, 2))

    class DenseNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential()
            for name, layer in (("conv0", nn.Conv2d(3, init_features, 7, 2, 3, bias=False)),
                                ("norm0", nn.BatchNorm2d(init_features)), ("relu0", nn.ReLU(inplace=True)),
                                ("pool0", nn.MaxPool2d(3, 2, 1))):
                self.features.add_module(name, layer)
            n = init_features
            for i, n_layers in enumerate(blocks):
                self.features.add_module(f"denseblock{i + 1}", DenseBlock(n_layers, n))
                n += n_layers * growth
                if i != len(blocks) - 1:
                    self.features.add_module(f"transition{i + 1}", Transition(n, n // 2))
                    n //= 2
            self.features.add_module("norm5", nn.BatchNorm2d(n))
            self.classifier = nn.Linear(n, num_classes)

        def forward(self, x):
            x = lib.nn.functional.relu(self.features(x))
            x = lib.nn.functional.adaptive_avg_pool2d(x, (1, 1))
            return self.classifier(lib.flatten(x, 1))

    return DenseNet()


@functools.lru_cache(maxsize=None)
def _weights(name):
    """The model's state_dict as NumPy arrays: autograd_lite's init, seeded, shared by both libraries."""
    import autograd_lite as al
    al.manual_seed(0)
    return {k: v.numpy().copy() for k, v in MODELS[name](al).state_dict().items()}


MODELS = {"mnist_cnn": mnist_cnn, "densenet121": densenet}


def model(lib_name, name):
    lib = _lib(lib_name)
    m = MODELS[name](lib)
    m.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in _weights(name).items()})
    return lib, m


def vision_densenet121(lib_name):
    """DenseNet-121 as its users build it: autograd_lite.vision.models.densenet121() for autograd_lite, the torch.nn
    model above (torchvision's architecture and module names: torchvision does not install beside CPU torch here)
    for torch; the same weights."""
    if lib_name != OURS:
        return model(lib_name, "densenet121")
    lib = _lib(lib_name)
    from autograd_lite.vision import models
    m = models.densenet121()
    m.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in _weights("densenet121").items()})
    return lib, m


@functools.lru_cache(maxsize=None)
def batches(shape, n=POOL, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape, dtype=np.float32), rng.integers(0, 10, shape[0], dtype=np.int64))
            for _ in range(n)]


def cnn_step(lib_name, batch):
    lib, m = model(lib_name, "mnist_cnn")
    m.train()
    opt, criterion = lib.optim.Adam(m.parameters(), lr=1e-3), lib.nn.CrossEntropyLoss()
    data = itertools.cycle([(lib.from_numpy(x), lib.from_numpy(y)) for x, y in batches((batch, 1, 28, 28))])

    def step():
        x, y = next(data)
        opt.zero_grad()
        loss = criterion(m(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def densenet_forward(lib_name, batch):
    lib, m = vision_densenet121(lib_name)
    m.eval()
    data = itertools.cycle([lib.from_numpy(x) for x, _ in batches((batch, 3, 224, 224), n=2)])

    def step():
        with lib.no_grad():
            return m(next(data))
    return step


def transfer_step(lib_name, batch):
    """The notes' section 4.8 training step: DenseNet-121's parameters frozen, a new classifier
    (1024-500-2, LogSoftmax) trained with Adam and NLLLoss, the model in train mode (batch norm on the batch's
    statistics, updating its running ones)."""
    lib, m = vision_densenet121(lib_name)
    nn = lib.nn
    for p in m.parameters():
        p.requires_grad = False
    lib.manual_seed(0)
    m.classifier = nn.Sequential(collections.OrderedDict([
        ("fc1", nn.Linear(1024, 500)), ("relu", nn.ReLU()), ("fc2", nn.Linear(500, 2)),
        ("output", nn.LogSoftmax(dim=1))]))
    m.train()
    opt, criterion = lib.optim.Adam(m.classifier.parameters(), lr=1e-3), nn.NLLLoss()
    data = itertools.cycle([(lib.from_numpy(x), lib.from_numpy(y % 2))
                            for x, y in batches((batch, 3, 224, 224), n=2)])

    def step():
        x, y = next(data)
        opt.zero_grad()
        loss = criterion(m(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def cnn_flops(batch):
    """Multiply-adds x 2 of one training step: forward, then backward (no input gradient for the first conv)."""
    conv1, conv2 = 26 * 26 * 32 * 9, 11 * 11 * 64 * 32 * 9
    linear = 1600 * 128 + 128 * 10
    return 2 * batch * ((conv1 + conv2 + linear) + (conv1 + 2 * conv2 + 2 * linear))


# ---- layers alone -------------------------------------------------------------------------------------------
CONV = (8, 64, 56, 56, 64, 3)           # batch, in channels, height, width, out channels, kernel: DenseNet's size


def _conv_inputs(lib_name, requires_grad):
    n, c, h, w, o, k = CONV
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, c, h, w), dtype=np.float32)
    wt = rng.standard_normal((o, c, k, k), dtype=np.float32) / np.float32(np.sqrt(c * k * k))  # stays float32
    lib = _lib(lib_name)
    x, wt = lib.from_numpy(x), lib.from_numpy(wt)
    if requires_grad:
        x.requires_grad_(True)
        wt.requires_grad_(True)
    return lib, x, wt


def conv_forward(lib_name):
    lib, x, w = _conv_inputs(lib_name, False)
    conv = lib.nn.functional.conv2d
    return lambda: conv(x, w, padding=1)


def conv_backward(lib_name):
    """The gradients of input and weight from a fixed output gradient (the forward outside the timing)."""
    lib, x, w = _conv_inputs(lib_name, True)
    y = lib.nn.functional.conv2d(x, w, padding=1)
    g = lib.ones_like(y)
    return lambda: lib.autograd.grad(y, (x, w), g, retain_graph=True)


def conv_gemm(backward):
    """The products of a 3x3 convolution by im2col: (O, C*9) @ (C*9, N*H*W); backward: two of that size."""
    n, c, h, w, o, k = CONV
    rng = np.random.default_rng(3)
    cols = rng.standard_normal((c * k * k, n * h * w), dtype=np.float32)
    wt = rng.standard_normal((o, c * k * k), dtype=np.float32)
    g = rng.standard_normal((o, n * h * w), dtype=np.float32)
    if not backward:
        return lambda: wt @ cols
    return lambda: (g @ cols.T, wt.T @ g)


def conv_flops():
    n, c, h, w, o, k = CONV
    return 2.0 * n * h * w * o * c * k * k


POOL_SHAPE = (8, 64, 112, 112)          # DenseNet's first max pool: 3x3, stride 2, padding 1
BN_SHAPE = (8, 128, 56, 56)


def _array(shape, seed=4):
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def max_pool(lib_name, backward):
    lib = _lib(lib_name)
    x = lib.from_numpy(_array(POOL_SHAPE)).requires_grad_(backward)
    pool = functools.partial(lib.nn.functional.max_pool2d, kernel_size=3, stride=2, padding=1)
    if not backward:
        return lambda: pool(x)
    y = pool(x)
    g = lib.ones_like(y)
    return lambda: lib.autograd.grad(y, x, g, retain_graph=True)


def batch_norm(lib_name, backward):
    """Training-mode batch norm with affine weights; backward: input, weight and bias gradients."""
    lib = _lib(lib_name)
    c = BN_SHAPE[1]
    x = lib.from_numpy(_array(BN_SHAPE)).requires_grad_(backward)
    weight = lib.ones(c).requires_grad_(backward)
    bias = lib.zeros(c).requires_grad_(backward)
    mean, var = lib.zeros(c), lib.ones(c)
    bn = lambda: lib.nn.functional.batch_norm(x, mean, var, weight, bias, training=True)  # noqa: E731
    if not backward:
        return bn
    y = bn()
    g = lib.ones_like(y)
    return lambda: lib.autograd.grad(y, (x, weight, bias), g, retain_graph=True)


def memcpy(shape):
    a = _array(shape)
    b = np.empty_like(a)
    return lambda: np.copyto(b, a)


def cases(quick=False):
    out = []
    for batch in (64,):
        out.append(Case("conv", "MNIST CNN training step, Adam", f"batch {batch}", "samples/s", batch,
                        {lib: functools.partial(cnn_step, lib, batch) for lib in (OURS, "torch")},
                        f"MNIST CNN: conv 1-32 3x3, ReLU, max pool 2, conv 32-64 3x3, ReLU, max pool 2, 1600-128-10 "
                        f"with dropout; {cnn_flops(64) / 1e9:.2f} GFLOP per step of 64"))
    out.append(Case("conv", "DenseNet-121 forward, eval, 224x224", "batch 2" if quick else "batch 8", "samples/s",
                    2 if quick else 8,
                    {lib: functools.partial(densenet_forward, lib, 2 if quick else 8) for lib in (OURS, "torch")},
                    "DenseNet-121: autograd_lite.vision.models.densenet121() against torchvision's architecture in torch.nn "
                    "(torchvision does not install beside CPU torch here), the same weights"))
    batch = 4 if quick else 16
    out.append(Case("conv", "DenseNet-121 transfer-learning step, features frozen", f"batch {batch}", "samples/s",
                    batch, {lib: functools.partial(transfer_step, lib, batch) for lib in (OURS, "torch")},
                    "transfer-learning step: the notes' section 4.8, DenseNet-121 frozen in train mode, a new "
                    "1024-500-2 classifier, Adam"))
    n, c, h, w, o, k = CONV
    size = f"{n}x{c}x{h}x{w}, {o} out, {k}x{k} pad 1"
    out.append(Case("conv", "conv2d forward", size, "GFLOP/s", conv_flops(),
                    {OURS: functools.partial(conv_forward, OURS), "torch": functools.partial(conv_forward, "torch"),
                     "gemm": functools.partial(conv_gemm, False)},
                    "gemm: the convolution's product alone, np.matmul on the im2col matrix made in advance"))
    out.append(Case("conv", "conv2d backward (input and weight)", size, "GFLOP/s", 2 * conv_flops(),
                    {OURS: functools.partial(conv_backward, OURS), "torch": functools.partial(conv_backward, "torch"),
                     "gemm": functools.partial(conv_gemm, True)}))
    pool_bytes = 4 * np.prod(POOL_SHAPE) * (1 + 0.25)      # the input read, the output (a quarter) written
    for backward in (False, True):
        out.append(Case("conv", f"max_pool2d 3x3 stride 2 pad 1 {'backward' if backward else 'forward'}",
                        "x".join(map(str, POOL_SHAPE)), "GB/s", pool_bytes,
                        {OURS: functools.partial(max_pool, OURS, backward),
                         "torch": functools.partial(max_pool, "torch", backward),
                         "memcpy": functools.partial(memcpy, POOL_SHAPE)},
                        "memcpy: a copy of the pooling's input (its bytes counted as read + written)"))
    bn_bytes = 4 * np.prod(BN_SHAPE) * 2
    for backward in (False, True):
        out.append(Case("conv", f"batch_norm training {'backward' if backward else 'forward'}",
                        "x".join(map(str, BN_SHAPE)), "GB/s", bn_bytes * (1.5 if backward else 1),
                        {OURS: functools.partial(batch_norm, OURS, backward),
                         "torch": functools.partial(batch_norm, "torch", backward),
                         "memcpy": functools.partial(memcpy, BN_SHAPE)},
                        "batch_norm GB/s: the bytes of one read and one write of the tensor (backward: of the "
                        "input, the output gradient and the input gradient)"))
    return out


def main():
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    impls = (OURS, "torch", "gemm", "memcpy")
    print(f"| case | size | {' | '.join(impls)} | ours/torch |\n|---|---|" + "--:|" * 5)
    for case in cases(quick="--quick" in sys.argv):
        times = measure(case, rounds=3 if "--quick" in sys.argv else 7)
        rates = [fmt(case.rate(times[k]), case.unit) if k in times else "-" for k in impls]
        print(f"| {case.name} | {case.size} | {' | '.join(rates)} | {fmt(ratio(case, times, 'torch'), 'x')} |",
              flush=True)


if __name__ == "__main__":
    main()
