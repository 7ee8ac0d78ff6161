"""GPU benchmarks of the CUDA backend: its kernels and the seed MLP's training step against a device-to-device
copy, CuPy's own matmul and PyTorch CUDA, side by side in one process.

    python benchmarks/gpu_bench.py                         # every section (about a minute on an H200)
    python benchmarks/gpu_bench.py --quick                 # fewer rounds and training steps
    python benchmarks/gpu_bench.py --out gpu_bench.md      # also write the full results as markdown
    python benchmarks/gpu_bench.py --sections matmul,training --require-gpu

Sections: "elementwise" (activations, dropout and the optimizer updates at 1M and 16M float32 elements: GB/s, and
the fraction of a same-size device-to-device copy's GB/s), "rows" (softmax, log_softmax and cross-entropy at
(4096, 10), (4096, 1024), (65536, 1024)), "matmul" (TFLOP/s of the kernel table's matmul and linear_forward with
its ReLU epilogue, cupy.matmul and torch), "training" (the seed MLP 784-128-64-10, LogSoftmax + NLLLoss, Adam
lr 0.003 at batch 64 and 4096: autograd_lite against PyTorch CUDA eager, the same initial weights and batches),
"conv" (the MNIST CNN's training step, DenseNet-121's eval forward, its transfer-learning step with the features
frozen (the notes' section 4.8), conv2d 3x3 64->64 forward: benchmarks/cases_conv.py's models and weights, against
PyTorch CUDA eager with cuDNN).

Timing: every block of calls starts and ends with cudaDeviceSynchronize (which waits for torch's work too), after a
warm-up; the implementations of a case alternate block by block, the order rotating every round, and each reports
the median seconds per call. GB/s counts the bytes our kernel reads and writes (BYTES); torch's GB/s uses the same
count, so the two compare times. The goals are checked last, and their table is printed last.
Without a usable GPU it prints why on one line and exits 0 (1 with --require-gpu).
Tests (no GPU needed): tests/test_gpu_bench.py.
"""
import argparse
import dataclasses
import datetime
import functools
import itertools
import os
import pathlib
import platform
import shlex
import sys
import time
import traceback

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))            # this checkout's autograd_lite, installed or not
import cases_conv  # noqa: E402
import cases_training  # noqa: E402
from _harness import fmt, torch_cross_entropy  # noqa: E402

OURS, COPY, CUPY, TORCH = "autograd_lite", "copy", "cupy.matmul", "torch"
SECTIONS = ("elementwise", "rows", "matmul", "training", "conv")
SCALE = {"GB/s": 1e9, "TFLOP/s": 1e12, "samples/s": 1.0}
COLUMNS = {                     # section: (implementations shown, references of the ratios "ours/ref")
    "elementwise": ((OURS, COPY, TORCH), (COPY, TORCH)),
    "rows": ((OURS, COPY, TORCH), (COPY, TORCH)),
    "matmul": ((OURS, CUPY, TORCH), (CUPY, TORCH)),
    "training": ((OURS, TORCH), (TORCH,)),
    "conv": ((OURS, TORCH), (TORCH,)),
}
SIZES = {"1M": 1 << 20, "16M": 1 << 24}
ROW_SHAPES = ((4096, 10), (4096, 1024), (65536, 1024))
MATMULS = ((4096, 784, 128), (4096, 128, 64), (4096, 4096, 4096))      # m, k, n
P = 0.5                                                               # dropout probability
SGD_ARGS = (1e-3, 0.9, 0.0, 0.0, False, False, False)   # lr, momentum, dampening, wd, nesterov, maximize, first
ADAM_ARGS = (None, 0.9, 0.999, 1e-8, 0.0, 1.0, 1e-3 / (1 - 0.9 ** 10), (1 - 0.999 ** 10) ** 0.5, False)  # step 10
# bytes our kernel reads and writes per element ("+ draw": the minimum, the draws need not reach memory)
BYTES = {"relu forward": 8, "relu backward": 12, "sigmoid forward": 8, "sigmoid backward": 12,
         "tanh forward": 8, "tanh backward": 12,
         "dropout forward": 11,             # read x, u (uint16); write y, mask (bool)
         "dropout forward + draw": 9,       # read x; write y, mask
         "dropout backward": 9,             # read g, mask; write dx
         "sgd momentum update": 20,         # read p, g, buf; write p, buf
         "adam update": 28,                 # read p, g, m, v; write p, m, v
         "softmax forward": 8, "log_softmax forward": 8, "softmax backward": 12, "log_softmax backward": 12,
         "cross_entropy fwd+bwd": 16}       # forward: read x, write probs; backward: read probs, write dx
NOT_GOALS = ("dropout forward + draw",)     # two launches, not one kernel: outside the copy-bandwidth goal
SEED, LR, BATCHES = (784, 128, 64, 10), 0.003, (64, 4096)
TRAIN_STEPS = {64: 200, 4096: 50}
TRAIN_STEP = "seed MLP step, loss.item() every step"
TRAIN_PIPELINED = "seed MLP step, loss read every 10 steps"
LOSS_STEPS, LOSS_TOL = 5, 1e-3
TRAINING_GOALS = {4096: 1.0, 64: 0.8}        # batch: ours/torch at least
COPY_GOAL = 0.7                              # elementwise kernels at 16M: at least this fraction of the copy's GB/s
CNN_BATCHES = (64, 512)                     # the MNIST CNN's training step
DENSENET = (8, 224)                         # DenseNet-121 forward: batch, image side
CONV_SHAPE = (8, 64, 56, 56, 64)            # conv2d 3x3 pad 1: batch, in channels, height, width, out channels
CONV_GOALS = {"MNIST CNN": 1.0, "DenseNet-121": 1.0}    # issue 17: transfer learning on the GPU >= torch eager
TRANSFER_BATCH = 16                         # the transfer-learning step's batch (issue 17)
SUMMARY_HEAD = "## gpu_bench summary"
NOTES = {
    "elementwise": [
        "GB/s: BYTES per element over the median time; copy: cupy.copyto of a float32 array of the same size "
        "(2 x 4 bytes per element); ours/copy: our GB/s over the copy's; ours/torch: torch's time over ours",
        f"dropout p={P}: ours from given uint16 draws (+ draw: autograd_lite.random.bits16 on the GPU, then the "
        "kernel, as F.dropout); torch: F.dropout(x, p, training=True), which draws its own mask",
        "updates: one flat parameter; ours the kernel table's sgd_update/adam_update (Adam at step 10); torch "
        "optim.SGD(lr=1e-3, momentum=0.9) / optim.Adam(lr=1e-3) .step(), Python included"],
    "rows": [
        "dim=1; torch: softmax, log_softmax, aten _softmax_backward_data / _log_softmax_backward_data; "
        "cross-entropy (mean over rows): ours cross_entropy_forward + the sum + cross_entropy_backward, torch aten "
        "_log_softmax, nll_loss_forward, nll_loss_backward, _log_softmax_backward_data (what autograd runs)"],
    "matmul": [
        "TFLOP/s = 2 m k n over the time; linear_forward + relu: x (m, k), w (n, k), b (n,): ours relu(x @ w.T + b) "
        "in one cuBLAS call and one epilogue launch, cupy.matmul x @ w.T alone, torch relu(F.linear(x, w, b))"],
    "training": [
        f"784-128-64-10 ReLU, LogSoftmax(dim=1) + NLLLoss, Adam lr {LR}; the weights of "
        "benchmarks/cases_training.py (one NumPy draw, copied into both models), 8 fixed random batches moved to "
        "the GPU once; one step = zero_grad, forward, loss, backward, step (+ loss.item()); steps alternate "
        "between the libraries, each timed on its own"],
    "conv": [
        "benchmarks/cases_conv.py's models, one set of weights for both libraries: the MNIST CNN (conv 1-32, pool, "
        "conv 32-64, pool, 1600-128-10 with dropout; CrossEntropyLoss, Adam; loss.item() every step) and "
        "DenseNet-121 (eval, no_grad); conv2d: F.conv2d of fixed random arrays; torch with cuDNN's defaults"],
}


# ---- arithmetic, arguments, tables (no GPU needed) ---------------------------------------------------------
def rate(work, seconds, unit):
    """`work` (bytes, flops, samples) per `seconds` in `unit` (GB/s, TFLOP/s, samples/s); None without a time."""
    return None if not seconds else work / seconds / SCALE[unit]


def matmul_flops(m, k, n):
    return 2.0 * m * k * n


def copy_bytes(n, itemsize=4):
    """Bytes a device-to-device copy of n elements moves: each read once and written once."""
    return 2 * n * itemsize


def cuda_version(v):
    """12040 -> '12.4' (CUDA's encoding of runtime and driver versions)."""
    return f"{v // 1000}.{v % 1000 // 10}"


def needs_gpu_message(reason):
    """The one line printed when no GPU is usable."""
    reason = " ".join(str(reason).split())
    return f"gpu_bench.py: needs a usable CUDA GPU; autograd_lite.cuda.unavailable_reason(): {reason}"


@dataclasses.dataclass
class Row:
    section: str
    name: str
    size: str
    unit: str                        # a key of SCALE
    work: float                      # bytes, flops or samples per call
    times: dict                      # implementation -> median seconds per call
    works: dict = dataclasses.field(default_factory=dict)     # an implementation's own work (the copy's bytes)
    errors: dict = dataclasses.field(default_factory=dict)    # implementation -> why it was not timed

    def rate(self, impl):
        return rate(self.works.get(impl, self.work), self.times.get(impl), self.unit)

    def ratio(self, other):
        """Our rate over other's: > 1, ours is faster (for the copy: the fraction of its bandwidth we reach)."""
        ours, theirs = self.rate(OURS), self.rate(other)
        return None if ours is None or not theirs else ours / theirs

    def micros(self, impl):
        t = self.times.get(impl)
        return None if t is None else t * 1e6


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer rounds and training steps")
    ap.add_argument("--out", metavar="FILE", help="write the full results as markdown (rewritten after each section)")
    ap.add_argument("--require-gpu", action="store_true", help="exit 1, not 0, when no GPU is usable")
    ap.add_argument("--sections", default=",".join(SECTIONS), help=f"a subset of {','.join(SECTIONS)}")
    args = ap.parse_args(argv)
    args.sections = [s for s in args.sections.split(",") if s]
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        ap.error(f"unknown sections {unknown}; choose from {','.join(SECTIONS)}")
    return args


def section_table(rows, impls, refs):
    """A markdown table: rates of `impls`, our and torch's microseconds per call, ratios ours/ref; errors below."""
    head = ["case", "size", "unit", *impls, "ours us", "torch us", *[f"ours/{r}" for r in refs]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 3 + "--:|" * (len(head) - 3)]
    for r in rows:
        cells = [r.name, r.size, r.unit, *[fmt(r.rate(k), r.unit) for k in impls],
                 fmt(r.micros(OURS), "us"), fmt(r.micros(TORCH), "us"), *[fmt(r.ratio(k), "x") for k in refs]]
        lines.append("| " + " | ".join(cells) + " |")
    errors = [f"- {r.name} [{r.size}], {k}: {e}" for r in rows for k, e in r.errors.items()]
    return "\n".join(lines + (["", "Not timed:", *errors] if errors else []))


def loss_check(batch, ours, theirs):
    """(text, max |difference|) of the first training losses of both libraries."""
    diff = max(abs(a - b) for a, b in zip(ours, theirs))
    text = (f"batch {batch}, first {len(ours)} steps: autograd_lite {' '.join(f'{v:.5f}' for v in ours)}; "
            f"torch {' '.join(f'{v:.5f}' for v in theirs)}; max |diff| {diff:.2e}")
    return text, diff


def goals(rows, checks):
    """(goal, measured, met) for each goal; met None when it could not be measured."""
    out = []
    for batch, need in TRAINING_GOALS.items():
        row = next((r for r in rows if r.name == TRAIN_STEP and r.size == f"batch {batch}"), None)
        if row is not None:
            s = row.ratio(TORCH)
            out.append((f"seed MLP training step, batch {batch}: >= {need}x torch",
                        "-" if s is None else f"{s:.2f}x", None if s is None else s >= need))
    for r in rows:
        if r.section == "conv" and r.unit == "samples/s":
            need = next(v for k, v in CONV_GOALS.items() if r.name.startswith(k))
            s = r.ratio(TORCH)
            out.append((f"{r.name} [{r.size}]: >= {need}x torch", "-" if s is None else f"{s:.2f}x",
                        None if s is None else s >= need))
    for batch, ours, theirs in checks:
        diff = loss_check(batch, ours, theirs)[1]
        out.append((f"batch {batch}: the first {len(ours)} losses agree with torch's within {LOSS_TOL:g}",
                    f"{diff:.1e}", diff <= LOSS_TOL))
    for r in rows:
        if r.section == "elementwise" and r.size == "16M" and r.name not in NOT_GOALS:
            s = r.ratio(COPY)
            out.append((f"{r.name} [16M]: >= {COPY_GOAL}x copy bandwidth",
                        "-" if s is None else f"{s:.2f}x", None if s is None else s >= COPY_GOAL))
    return out


def goals_table(items):
    lines = ["| goal | measured | met |", "|---|--:|---|"]
    lines += [f"| {g} | {m} | {'-' if ok is None else 'yes' if ok else '**no**'} |" for g, m, ok in items]
    return "\n".join(lines)


@dataclasses.dataclass
class Results:
    rows: list = dataclasses.field(default_factory=list)
    checks: list = dataclasses.field(default_factory=list)     # (batch, our losses, torch's losses)
    notes: dict = dataclasses.field(default_factory=dict)      # section -> extra lines measured on the machine


def summary(results):
    return f"{SUMMARY_HEAD}\n\n" + goals_table(goals(results.rows, results.checks))


def report(machine, command, results, date=None):
    """The full results as markdown: the machine, the command, a table per section, the loss check, the goals."""
    parts = ["# GPU benchmarks: benchmarks/gpu_bench.py",
             f"Measured {date or datetime.date.today()} on {machine}.", f"Command: `{command}`.",
             "Medians of synchronised blocks, implementations alternating; `ours/x` > 1: autograd_lite is faster "
             "(ours/copy: the fraction of the copy's GB/s)."]
    for section in SECTIONS:
        rows = [r for r in results.rows if r.section == section]
        if rows or section in results.notes:
            notes = NOTES[section] + results.notes.get(section, [])
            parts.append(f"## {section}\n\n" + section_table(rows, *COLUMNS[section]) + "\n\n"
                         + "\n".join(f"- {n}" for n in notes))
    if results.checks:
        parts.append("## training losses, autograd_lite and torch\n\n"
                     + "\n".join(f"- {loss_check(*c)[0]}" for c in results.checks))
    parts.append(summary(results))
    return "\n\n".join(parts) + "\n"


def write_out(path, text):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def progress_line(row):
    """One line per measured case, for the log."""
    cells = [f"{k} {fmt(row.rate(k), row.unit)}" for k in (OURS, COPY, CUPY, TORCH) if k in row.times]
    cells += [f"{k} not timed ({e})" for k, e in row.errors.items()]
    return f"  {row.section}: {row.name} [{row.size}] {row.unit}: " + ", ".join(cells)


def _error(e):
    return f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"


# ---- timing on the GPU -------------------------------------------------------------------------------------
def _block(step, sync, number):
    sync()
    t0 = time.perf_counter()
    for _ in range(number):
        step()
    sync()
    return (time.perf_counter() - t0) / number


def measure(factories, sync, rounds=9, target_s=0.02, warmup=3, number=None):
    """(median seconds per call, errors) of each implementation; factory() builds its inputs and returns the step.
    One block per implementation and round, of `number` calls (default: about target_s long), synchronised at both
    ends; the order rotates every round. A factory or step that raises is reported in errors, not timed."""
    steps, errors = {}, {}
    for name, factory in factories.items():
        try:
            step = factory()
            for _ in range(warmup):
                step()
            sync()
            steps[name] = step
        except Exception as e:              # noqa: BLE001 -- a failing implementation must not stop the others
            errors[name] = _error(e)
    numbers = {}
    for name in list(steps):
        try:
            numbers[name] = number or max(1, int(target_s / max(_block(steps[name], sync, 10), 1e-7)))
        except Exception as e:              # noqa: BLE001
            errors[name] = _error(e)
            del steps[name]
    runs = {name: [] for name in steps}
    for r in range(rounds):
        names = list(steps)
        k = r % len(names) if names else 0
        for name in names[k:] + names[:k]:
            try:
                runs[name].append(_block(steps[name], sync, numbers[name]))
            except Exception as e:          # noqa: BLE001
                errors[name] = _error(e)
                del steps[name]
    return {name: float(np.median(runs[name])) for name in steps if runs[name]}, errors


# ---- the cases -----------------------------------------------------------------------------------------------
class _TorchOptim:
    """A torch entry that builds its step once: optimizer `name` on one parameter p with gradient g, fused where
    torch accepts it, else its default (foreach on CUDA); `variant` says which."""

    def __init__(self, name, **kw):
        self.name, self.kw, self.variant = name, kw, None

    def __call__(self, T, p, g, *_):
        p.requires_grad_()
        p.grad = g
        cls = getattr(T.optim, self.name)
        try:
            opt = cls([p], fused=True, **self.kw)
            opt.step()
            self.variant = f"optim.{self.name}(fused=True)"
        except (RuntimeError, TypeError, ValueError):
            opt = cls([p], **self.kw)
            opt.step()
            self.variant = f"optim.{self.name}() (default: foreach)"
        return opt.step


def _torch_cuda():
    """torch when it is installed and sees a GPU, else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


def _to_torch(ctx, a):
    """A torch copy of a CuPy array on ctx.torch_device, through the host (no interop to go wrong); dtypes other
    than float32, int64 and bool (the uint16 draws: torch draws its own) stay as they are."""
    if a.dtype not in (np.float32, np.int64, np.bool_):
        return a
    return ctx.torch.from_numpy(ctx.cp.asnumpy(a)).to(ctx.torch_device)


def _factories(ctx, make, fns, arg):
    """Factories of each implementation of a case: make(arg) -> CuPy inputs; fns[impl](*inputs), torch's with
    torch first and torch copies of the inputs (a _TorchOptim builds its step)."""
    out = {}
    for impl, fn in fns.items():
        if impl == TORCH and ctx.torch is None:
            continue

        def factory(impl=impl, fn=fn):
            args = make(arg)
            if impl != TORCH:
                return functools.partial(fn, *args)
            args = [_to_torch(ctx, a) for a in args]
            return fn(ctx.torch, *args) if isinstance(fn, _TorchOptim) else functools.partial(fn, ctx.torch, *args)
        out[impl] = factory
    return out


def _copy(cp, n):
    def factory():
        src = cp.ones(n, cp.float32)
        dst = cp.empty_like(src)
        return functools.partial(cp.copyto, dst, src)
    return factory


def _randn(cp, shape, seed=0):
    return cp.random.RandomState(seed).standard_normal(shape, dtype=cp.float32)


def elementwise_cases(cp, table):
    """name -> (make(n) -> CuPy inputs, {implementation: function})."""
    from autograd_lite.random import bits16

    def x(n):
        return [_randn(cp, n)]

    def gy(fwd):
        return lambda n: [_randn(cp, n, 1), fwd(_randn(cp, n))]

    def xu(n):
        return [_randn(cp, n), bits16((n,), table)]

    def g_mask(n):
        return [_randn(cp, n, 1), table.dropout_forward(_randn(cp, n), bits16((n,), table), P)[1]]

    def params(k):
        return lambda n: [_randn(cp, n), _randn(cp, n, 1)] + [cp.full(n, 0.1, cp.float32) for _ in range(k)]

    def aten(op):
        return lambda T, *a: getattr(T.ops.aten, op)(*a)

    def dropout(T, x, *_):              # torch draws its own mask: the uint16 draws are not used
        return T.nn.functional.dropout(x, P, True)

    return {
        "relu forward": (x, {OURS: table.relu_forward, TORCH: lambda T, x: T.relu(x)}),
        "relu backward": (gy(table.relu_forward), {OURS: table.relu_backward,
                                                   TORCH: lambda T, g, y: T.ops.aten.threshold_backward(g, y, 0)}),
        "sigmoid forward": (x, {OURS: table.sigmoid_forward, TORCH: lambda T, x: T.sigmoid(x)}),
        "sigmoid backward": (gy(table.sigmoid_forward), {OURS: table.sigmoid_backward,
                                                         TORCH: aten("sigmoid_backward")}),
        "tanh forward": (x, {OURS: table.tanh_forward, TORCH: lambda T, x: T.tanh(x)}),
        "tanh backward": (gy(table.tanh_forward), {OURS: table.tanh_backward, TORCH: aten("tanh_backward")}),
        "dropout forward": (xu, {OURS: lambda x, u: table.dropout_forward(x, u, P), TORCH: dropout}),
        "dropout forward + draw": (x, {OURS: lambda x: table.dropout_forward(x, bits16(x.shape, table), P),
                                       TORCH: dropout}),
        "dropout backward": (g_mask, {OURS: lambda g, m: table.dropout_backward(g, m, P),
                                      TORCH: lambda T, g, m: T.ops.aten.native_dropout_backward(g, m, 1 / (1 - P))}),
        "sgd momentum update": (params(1), {OURS: lambda p, g, b: table.sgd_update(p, g, b, *SGD_ARGS),
                                            TORCH: _TorchOptim("SGD", lr=1e-3, momentum=0.9)}),
        "adam update": (params(2), {OURS: lambda p, g, m, v: table.adam_update(p, g, m, v, *ADAM_ARGS),
                                    TORCH: _TorchOptim("Adam", lr=1e-3)}),
    }


def row_cases(cp, table):
    """name -> (make(shape) -> CuPy inputs, {implementation: function}), dim=1."""
    def x(shape):
        return [_randn(cp, shape)]

    def gy(fwd):
        return lambda shape: [_randn(cp, shape, 1), fwd(_randn(cp, shape))]

    def xt(shape):
        return [_randn(cp, shape), cp.asarray(np.random.default_rng(1).integers(0, shape[1], shape[0]))]

    def ce(x, t):                       # the mean loss and its gradient
        losses, probs, total = table.cross_entropy_forward(x, t)
        return losses.sum() / total, table.cross_entropy_backward(1 / total, probs, t)

    sm, lsm = (lambda x: table.softmax_forward(x, 1)), (lambda x: table.log_softmax_forward(x, 1))
    return {
        "softmax forward": (x, {OURS: sm, TORCH: lambda T, x: T.softmax(x, 1)}),
        "log_softmax forward": (x, {OURS: lsm, TORCH: lambda T, x: T.log_softmax(x, 1)}),
        "softmax backward": (gy(sm), {OURS: lambda g, y: table.softmax_backward(g, y, 1),
                                      TORCH: lambda T, g, y: T.ops.aten._softmax_backward_data(g, y, 1, T.float32)}),
        "log_softmax backward": (gy(lsm), {
            OURS: lambda g, y: table.log_softmax_backward(g, y, 1),
            TORCH: lambda T, g, y: T.ops.aten._log_softmax_backward_data(g, y, 1, T.float32)}),
        "cross_entropy fwd+bwd": (xt, {OURS: ce, TORCH: torch_cross_entropy}),
    }


def matmul_cases(cp, table):
    """name -> (make((m, k, n)) -> CuPy inputs, {implementation: function})."""
    def ab(spec):
        m, k, n = spec
        return [_randn(cp, (m, k)), _randn(cp, (k, n), 1)]

    def xwb(spec):
        m, k, n = spec
        return [_randn(cp, (m, k)), _randn(cp, (n, k), 1), _randn(cp, n, 2)]

    return {
        "matmul": (ab, {OURS: table.matmul, CUPY: cp.matmul, TORCH: lambda T, a, b: T.matmul(a, b)}),
        "linear_forward + relu": (xwb, {OURS: lambda x, w, b: table.linear_forward(x, w, b, "relu"),
                                        CUPY: lambda x, w, b: cp.matmul(x, w.T),
                                        TORCH: lambda T, x, w, b: T.relu(T.nn.functional.linear(x, w, b))}),
    }


# ---- the sections --------------------------------------------------------------------------------------------
def _add(res, row):
    res.rows.append(row)
    print(progress_line(row), flush=True)


def run_elementwise(ctx, res):
    cases = elementwise_cases(ctx.cp, ctx.table)
    optims = [fns[TORCH] for _, fns in cases.values() if isinstance(fns.get(TORCH), _TorchOptim)]
    for name, (make, fns) in cases.items():
        for label, n in SIZES.items():
            factories = _factories(ctx, make, fns, n)
            factories[COPY] = _copy(ctx.cp, n)
            times, errors = measure(factories, ctx.sync, ctx.rounds, ctx.target_s)
            _add(res, Row("elementwise", name, label, "GB/s", BYTES[name] * n, times, {COPY: copy_bytes(n)}, errors))
    used = sorted({o.variant for o in optims if o.variant})
    if used:
        res.notes.setdefault("elementwise", []).append("torch's optimizers ran as " + ", ".join(used))


def run_rows(ctx, res):
    for name, (make, fns) in row_cases(ctx.cp, ctx.table).items():
        for shape in ROW_SHAPES:
            n = shape[0] * shape[1]
            factories = _factories(ctx, make, fns, shape)
            factories[COPY] = _copy(ctx.cp, n)
            times, errors = measure(factories, ctx.sync, ctx.rounds, ctx.target_s)
            _add(res, Row("rows", name, f"{shape[0]}x{shape[1]}", "GB/s", BYTES[name] * n, times,
                          {COPY: copy_bytes(n)}, errors))


def run_matmul(ctx, res):
    for name, (make, fns) in matmul_cases(ctx.cp, ctx.table).items():
        for m, k, n in MATMULS:
            times, errors = measure(_factories(ctx, make, fns, (m, k, n)), ctx.sync, ctx.rounds, ctx.target_s)
            _add(res, Row("matmul", name, f"{m}x{k} @ {k}x{n}", "TFLOP/s", matmul_flops(m, k, n), times,
                          errors=errors))
    tf32 = "-" if ctx.torch is None else ctx.torch.backends.cuda.matmul.allow_tf32
    res.notes.setdefault("matmul", []).append(f"float32 throughout: CUPY_TF32={os.environ.get('CUPY_TF32', 'unset')}, "
                                              f"torch.backends.cuda.matmul.allow_tf32={tf32}")


def train_step(model, criterion, opt, data, read_loss=True):
    """One training step on the next batch; the loss as a float (a sync) when read_loss, else its tensor."""
    x, y = next(data)
    opt.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    opt.step()
    return loss.item() if read_loss else loss


def _trainer(lib, batch, device):
    """(step reading the loss, step leaving it on the device) of the seed MLP on `device`, in autograd_lite or torch:
    cases_training's weights and batches, the batches moved to the device once."""
    model, criterion, _ = cases_training.build(lib, SEED, loss="nll", lr=LR)
    model.to(device)
    opt = lib.optim.Adam(model.parameters(), lr=LR)            # made after the move: plain parameters on the device
    data = itertools.cycle([(lib.from_numpy(x).to(device), lib.from_numpy(y).to(device))
                            for x, y in cases_training.batches(SEED[0], batch)])
    return (functools.partial(train_step, model, criterion, opt, data, True),
            functools.partial(train_step, model, criterion, opt, data, False))


def run_training(ctx, res):
    import autograd_lite as al
    libs = {OURS: (al, ctx.device), **({TORCH: (ctx.torch, ctx.torch_device)} if ctx.torch is not None else {})}
    for batch in BATCHES:
        steps, losses, errors = {}, {}, {}
        for name, (lib, device) in libs.items():
            try:
                steps[name] = _trainer(lib, batch, device)
                losses[name] = [steps[name][0]() for _ in range(LOSS_STEPS)]
            except Exception as e:          # noqa: BLE001 -- report it, time the other library
                steps.pop(name, None)
                errors[name] = _error(e)
        if len(losses) == 2:
            res.checks.append((batch, losses[OURS], losses[TORCH]))
            print(f"  training: {loss_check(batch, losses[OURS], losses[TORCH])[0]}", flush=True)
        n_steps = TRAIN_STEPS[batch] // (4 if ctx.quick else 1)
        for label, i, number, rounds in ((TRAIN_STEP, 0, 1, n_steps),
                                         (TRAIN_PIPELINED, 1, 10, max(3, n_steps // 10))):
            factories = {name: (lambda step=pair[i]: step) for name, pair in steps.items()}
            times, errs = measure(factories, ctx.sync, rounds, warmup=10, number=number)
            _add(res, Row("training", label, f"batch {batch}", "samples/s", batch, times,
                          errors={**errors, **errs}))


def _conv_model(ctx, lib_name, name):
    """cases_conv's model `name` in autograd_lite or torch, on the GPU."""
    import autograd_lite as al
    lib, device = (al, ctx.device) if lib_name == OURS else (ctx.torch, ctx.torch_device)
    if name == "densenet121":       # vision.models' for us, torchvision's architecture in torch.nn for torch
        return lib, device, cases_conv.vision_densenet121(lib_name)[1].to(device)
    return lib, device, cases_conv.model(lib_name, name)[1].to(device)


def _cnn_step(ctx, lib_name, batch):
    lib, device, model = _conv_model(ctx, lib_name, "mnist_cnn")
    model.train()
    opt, criterion = lib.optim.Adam(model.parameters(), lr=1e-3), lib.nn.CrossEntropyLoss()
    data = itertools.cycle([(lib.from_numpy(x).to(device), lib.from_numpy(y).to(device))
                            for x, y in cases_conv.batches((batch, 1, 28, 28))])
    return functools.partial(train_step, model, criterion, opt, data, True)


def _densenet_forward(ctx, lib_name, batch, side):
    lib, device, model = _conv_model(ctx, lib_name, "densenet121")
    model.eval()
    x = lib.from_numpy(cases_conv.batches((batch, 3, side, side), n=1)[0][0]).to(device)

    def step():
        with lib.no_grad():
            return model(x)
    return step


def _transfer_step(ctx, lib_name, batch):
    """The notes' section 4.8 step on the GPU: DenseNet-121 frozen (train mode), a new classifier trained."""
    lib, device, model = _conv_model(ctx, lib_name, "densenet121")
    for p in model.parameters():
        p.requires_grad = False
    lib.manual_seed(0)
    model.classifier = lib.nn.Sequential(lib.nn.Linear(1024, 500), lib.nn.ReLU(), lib.nn.Linear(500, 2),
                                         lib.nn.LogSoftmax(dim=1)).to(device)
    model.train()
    opt, criterion = lib.optim.Adam(model.classifier.parameters(), lr=1e-3), lib.nn.NLLLoss()
    data = itertools.cycle([(lib.from_numpy(x).to(device), lib.from_numpy(y % 2).to(device))
                            for x, y in cases_conv.batches((batch, 3, DENSENET[1], DENSENET[1]), n=2)])
    return functools.partial(train_step, model, criterion, opt, data, True)


def _conv_forward(ctx, lib_name):
    import autograd_lite as al
    n, c, h, w, o = CONV_SHAPE
    rng = np.random.default_rng(3)
    x, wt = rng.standard_normal((n, c, h, w), dtype=np.float32), rng.standard_normal((o, c, 3, 3), dtype=np.float32)
    lib, device = (al, ctx.device) if lib_name == OURS else (ctx.torch, ctx.torch_device)
    x, wt = lib.from_numpy(x).to(device), lib.from_numpy(wt).to(device)
    return functools.partial(lib.nn.functional.conv2d, x, wt, None, 1, 1)


def run_conv(ctx, res):
    libs = [OURS] + ([TORCH] if ctx.torch is not None else [])
    n, c, h, w, o = CONV_SHAPE
    cases = [("MNIST CNN training step", f"batch {b}", "samples/s", b, lambda lib, b=b: _cnn_step(ctx, lib, b))
             for b in CNN_BATCHES]
    cases.append(("DenseNet-121 forward, eval", f"batch {DENSENET[0]}, {DENSENET[1]}x{DENSENET[1]}", "samples/s",
                  DENSENET[0], lambda lib: _densenet_forward(ctx, lib, *DENSENET)))
    cases.append(("DenseNet-121 transfer-learning step", f"batch {TRANSFER_BATCH}, features frozen", "samples/s",
                  TRANSFER_BATCH, lambda lib: _transfer_step(ctx, lib, TRANSFER_BATCH)))
    cases.append(("conv2d 3x3 forward", f"{n}x{c}x{h}x{w}, {o} out, pad 1", "TFLOP/s", 2.0 * n * h * w * o * c * 9,
                  lambda lib: _conv_forward(ctx, lib)))
    for name, size, unit, work, make in cases:
        factories = {lib: functools.partial(make, lib) for lib in libs}
        times, errors = measure(factories, ctx.sync, ctx.rounds, ctx.target_s, number=None)
        _add(res, Row("conv", name, size, unit, work, times, errors=errors))


RUNNERS = {"elementwise": run_elementwise, "rows": run_rows, "matmul": run_matmul, "training": run_training,
           "conv": run_conv}


# ---- main ------------------------------------------------------------------------------------------------------
def _gpu(cp):
    """'NAME (N GiB), CUDA runtime X, driver Y' of GPU 0."""
    try:
        props = cp.cuda.runtime.getDeviceProperties(0)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        rt, drv = cp.cuda.runtime.runtimeGetVersion(), cp.cuda.runtime.driverGetVersion()
        return (f"{name} ({props['totalGlobalMem'] / 2 ** 30:.0f} GiB), CUDA runtime {cuda_version(rt)}, "
                f"driver {cuda_version(drv)}")
    except Exception as e:                  # noqa: BLE001 -- a description, not worth stopping for
        return f"a GPU that CuPy could not describe ({_error(e)})"


def machine(cp, torch):
    """The GPU and the versions that matter, in one line."""
    import numba
    tv = f"{torch.__version__} (CUDA {torch.version.cuda})" if torch is not None else "not available"
    return (f"{_gpu(cp)}; CuPy {cp.__version__}, PyTorch {tv}, NumPy {np.__version__}, Numba {numba.__version__}, "
            f"Python {platform.python_version()}")


def context(cp, table, torch, sync, quick=False, device="cuda", torch_device="cuda"):
    """What the sections run with: the array module and kernel table, torch (None: no torch column), the
    synchronize, the devices of the training models, the rounds and block length of a measurement."""
    return argparse.Namespace(cp=cp, table=table, torch=torch, sync=sync, quick=quick, device=device,
                              torch_device=torch_device, rounds=3 if quick else 9, target_s=0.01 if quick else 0.02)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    import autograd_lite as al
    if not al.cuda.is_available():
        print(needs_gpu_message(al.cuda.unavailable_reason()), file=sys.stderr if args.require_gpu else sys.stdout)
        return 1 if args.require_gpu else 0
    import cupy as cp
    from autograd_lite.kernels.cuda import table
    torch = _torch_cuda()
    ctx = context(cp, table, torch, cp.cuda.runtime.deviceSynchronize, args.quick)
    command = "python benchmarks/gpu_bench.py " + " ".join(shlex.quote(a) for a in argv)
    about = machine(cp, torch)
    print(f"{about}\n{command.strip()}", flush=True)
    res, failed = Results(), []
    for section in args.sections:
        try:
            RUNNERS[section](ctx, res)
        except Exception as e:              # noqa: BLE001 -- report it, run the other sections
            traceback.print_exc()
            res.notes.setdefault(section, []).append(f"the section stopped: {_error(e)}")
            failed.append(section)
        if args.out:
            write_out(args.out, report(about, command.strip(), res))
    text = report(about, command.strip(), res)
    print("\n" + text[:text.index(SUMMARY_HEAD)].rstrip() + "\n")
    print(summary(res), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
