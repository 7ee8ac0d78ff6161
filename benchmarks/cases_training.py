"""Training steps and inference, in samples/s: autograd_lite, PyTorch and a hand-written NumPy MLP.

    cd benchmarks && OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 python cases_training.py [--quick]

One step = zero_grad, forward, loss, backward, optimizer step (loss.item() included), on the next of 8
fixed random batches (x standard normal float32, y int64 in [0, 10)). Every library starts from the same
weights: drawn once with a NumPy rng within nn.Linear's init bounds (U(-1/sqrt(in), 1/sqrt(in))) and
copied into each model. "numpy" is benchmarks/numpy_mlp.py. benchmarks/run.py imports `cases`.
"""
import functools
import itertools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import Case, fmt, measure, ratio  # noqa: E402
from numpy_mlp import NumpyMLP  # noqa: E402

SEED = (784, 128, 64, 10)
WIDE = (784, 512, 256, 10)
POOL = 8
NOTE_NUMPY = ("numpy: benchmarks/numpy_mlp.py, hand-written float32 forward/backward, preallocated buffers, "
              "in-place Adam/SGD over one flat parameter buffer")
NOTE_DROPOUT = ("Dropout: each library draws its own masks (16 random bits per element: autograd_lite from its "
                "SplitMix64 kernel, numpy from NumPy's PCG64 bytes; torch: its own generator)")
NOTE_INFERENCE = "inference: numpy takes the argmax of the logits (log_softmax skipped: same argmax)"


@functools.lru_cache(maxsize=None)
def init_params(sizes, seed=0):
    """(weights (out, in), biases) float32, U(-1/sqrt(in), 1/sqrt(in)) like nn.Linear's default init."""
    rng = np.random.default_rng(seed)
    ws, bs = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(n_in)
        ws.append(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32))
        bs.append(rng.uniform(-bound, bound, n_out).astype(np.float32))
    return ws, bs


@functools.lru_cache(maxsize=None)
def batches(n_in, batch, n=POOL, seed=1):
    """n fixed (x float32 (batch, n_in), y int64 (batch,)) pairs, shared by every library (none writes them)."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((batch, n_in), dtype=np.float32), rng.integers(0, 10, batch, dtype=np.int64))
            for _ in range(n)]


def build(lib, sizes, dropout=0.0, loss="ce", optimizer="adam", lr=1e-3, momentum=0.0):
    """(model, criterion, optimizer) in autograd_lite or torch (same API): Linear+ReLU(+Dropout) layers,
    then LogSoftmax(dim=1) + NLLLoss (loss="nll") or CrossEntropyLoss on the logits; init_params' weights."""
    nn = lib.nn
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers += [nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
    if loss == "nll":
        layers.append(nn.LogSoftmax(dim=1))
    model = nn.Sequential(*layers)
    with lib.no_grad():                        # copy_ checks the (out, in) layout: a shape mismatch raises
        linears = [m for m in model if isinstance(m, nn.Linear)]
        for layer, w, b in zip(linears, *init_params(tuple(sizes))):
            layer.weight.copy_(lib.from_numpy(w))
            layer.bias.copy_(lib.from_numpy(b))
    criterion = nn.NLLLoss() if loss == "nll" else nn.CrossEntropyLoss()
    opt = (lib.optim.Adam(model.parameters(), lr=lr) if optimizer == "adam"
           else lib.optim.SGD(model.parameters(), lr=lr, momentum=momentum))
    return model, criterion, opt


def _lib(name):
    return __import__(name)                     # ImportError (torch absent): the harness skips the impl


def framework_step(name, spec, batch):
    """A zero-arg training step of autograd_lite or torch."""
    lib = _lib(name)
    model, criterion, opt = build(lib, **spec)
    model.train()
    data = itertools.cycle([(lib.from_numpy(x), lib.from_numpy(y)) for x, y in batches(spec["sizes"][0], batch)])

    def step():
        x, y = next(data)
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def numpy_mlp(sizes, loss="ce", **kwargs):
    """build()'s network as a NumpyMLP (its loss is log_softmax + NLL: "nll" and "ce" alike)."""
    return NumpyMLP(*init_params(tuple(sizes)), rng=np.random.default_rng(2), **kwargs)


def numpy_step(spec, batch):
    mlp, data = numpy_mlp(**spec), itertools.cycle(batches(spec["sizes"][0], batch))
    return lambda: mlp.step(*next(data))


def framework_inference(name, spec, batch):
    lib = _lib(name)
    model = build(lib, **spec)[0]
    model.eval()
    data = itertools.cycle([lib.from_numpy(x) for x, _ in batches(spec["sizes"][0], batch)])

    def step():
        with lib.no_grad():
            return model(next(data)).argmax(dim=1)
    return step


def numpy_inference(spec, batch):
    mlp, data = numpy_mlp(**spec), itertools.cycle([x for x, _ in batches(spec["sizes"][0], batch)])
    return lambda: mlp.predict(next(data))


def _case(name, spec, batch, inference=False, note=NOTE_NUMPY):
    lib_step, ref_step = (framework_inference, numpy_inference) if inference else (framework_step, numpy_step)
    impls = {lib: functools.partial(lib_step, lib, spec, batch) for lib in ("autograd_lite", "torch")}
    impls["numpy"] = functools.partial(ref_step, spec, batch)
    return Case("training", name, f"batch {batch}", "samples/s", batch, impls, note)


def cases(quick=False):
    seed = dict(sizes=SEED, loss="nll")
    out = [_case("seed MLP 784-128-64-10, LogSoftmax + NLLLoss, Adam", seed, 64)]
    for batch, opt in [(64, "adam"), (256, "adam")] + ([] if quick else [(64, "sgd"), (256, "sgd")]):
        spec = dict(sizes=WIDE, dropout=0.5, optimizer=opt, lr=1e-3 if opt == "adam" else 0.01,
                    momentum=0.0 if opt == "adam" else 0.9)
        out.append(_case(f"784-512-256-10 + Dropout(0.5), CrossEntropyLoss, "
                         f"{'Adam' if opt == 'adam' else 'SGD momentum 0.9'}", spec, batch, note=NOTE_DROPOUT))
    out.append(_case("seed MLP inference (eval, no_grad, argmax)", seed, 1000, inference=True, note=NOTE_INFERENCE))
    return out


def main():
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    impls = ("autograd_lite", "torch", "numpy")
    print(f"| case | size | {' | '.join(impls)} | ours/torch | ours/numpy |\n|---|---|" + "--:|" * 5)
    for case in cases(quick="--quick" in sys.argv):
        times = measure(case)
        rates = [fmt(case.rate(times[k]), case.unit) if k in times else "-" for k in impls]
        ratios = [fmt(ratio(case, times, k), "x") for k in ("torch", "numpy")]
        print(f"| {case.name} | {case.size} | {' | '.join(rates)} | {' | '.join(ratios)} |", flush=True)


if __name__ == "__main__":
    main()
