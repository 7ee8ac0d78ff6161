"""The figures behind the parallel thresholds of the conv networks' kernels (kernels/cpu/{conv,pooling,
normalization}.py), at 2 threads:

    python benchmarks/bench_conv_threads.py kernels     # each Twins kernel, serial vs parallel, at the networks' sizes
    python benchmarks/bench_conv_threads.py networks    # the MNIST CNN step and DenseNet-121's forward, A/B

kernels: the MNIST CNN training step (batch 64) and DenseNet-121's eval forward (batch 8) are run once with every
Twins kernel watched; the first call of each kernel per power-of-two size is kept (its arguments copied), and
batch norm's training forward/backward, group norm (32 groups) and the 2x2 average pool's backward are added at
DenseNet's batch-norm and pool shapes (neither timed network runs them). Each is timed serial against parallel
(_threads.Parallel, forced to 2 threads), interleaved, medians of single calls: "alone" (calls back to back) and
"after BLAS" (each call right after a 2-thread product, the MNIST CNN's conv2 chunk, as in the networks: OpenBLAS's
workers still spin, RESULTS.md, Thread policy). "size" is the measure the kernel's threshold is compared with,
"calls" its calls per CNN step / DenseNet forward; "now" says which one the current thresholds run at 2 threads.
networks: samples/s of both cases at 1 and 2 threads with the thresholds before this work (BEFORE) and the
current ones, interleaved blocks in one process, each block SETTLE_S after the last (run.py's rule), medians.
"""
import argparse
import collections
import math
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

import autograd_lite as al  # noqa: E402
import cases_conv  # noqa: E402
from autograd_lite.kernels.cpu import _jit, _threads  # noqa: E402
from autograd_lite.kernels.cpu._jit import PAR_MIN, Twins  # noqa: E402
from autograd_lite.kernels.cpu.conv import matmul_into  # noqa: E402

MODULES = ("conv", "pooling", "normalization")
SETTLE_S = 0.15
ALSO = ("_relu_inplace",)    # kernels of other modules the networks spend time in: in the table, not in the A/B
# the thresholds of issue 15 (commit bc1b493), for the A/B: PAR_MIN, pooling's PAR_MIN // 4, the max rows' 2^18
BEFORE = {"_max_fwd22": 1 << 18, "_max_rows": 1 << 18, "_max_rows_idx": 1 << 18, "_max_fwd22_values": 1 << 18}
BEFORE.update({k: PAR_MIN // 4 for k in ("_max_fwd", "_scatter", "_scatter22", "_avg_fwd", "_avg_bwd", "_avg_fwd22",
                                         "_avg_bwd22", "_plane_mean", "_plane_fill")})


def _name(t):
    return t.serial.py_func.__name__


def _full(t):
    """module.name: two modules may name a kernel alike (pooling's and winograd's _scatter)."""
    return f"{_module(t)}.{_name(t)}"


def _module(t):
    return t.serial.py_func.__module__.rsplit(".", 1)[-1]


def ours():
    """The Twins kernels of the conv networks' modules, by name."""
    return {_name(t): t for t in Twins.all if _module(t) in MODULES}


# ---- kernels ------------------------------------------------------------------------------------------------------
def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def record(step, kept, calls, tag):
    """Runs step() once with every Twins watched: kept[(name, bucket)] = (size, copied args) of the first call per
    power-of-two size, calls[(name, bucket)][tag] += 1. The size is the one the kernel's threshold sees (pick)."""
    saved = [(t, t.serial, t.parallel) for t in Twins.all]
    seen = {}

    def watch(t, fn):
        name = _full(t)

        def run(*args):
            size = seen.pop(id(t), getattr(args[-1], "size", 0))
            key = (name, int(math.log2(max(size, 1))))
            if key not in kept:
                kept[key] = (size, [_copy(a) for a in args])
            calls[key][tag] += 1
            return fn(*args)
        return run

    def picker(t):
        def pick(size):
            seen[id(t)] = size
            return Twins.pick(t, size)
        return pick

    try:
        for t, s, p in saved:
            t.serial, t.parallel, t.pick = watch(t, s), watch(t, p), picker(t)
        step()
    finally:
        for t, s, p in saved:
            t.serial, t.parallel = s, p
            del t.pick


def synthetic(kept, calls):
    """Batch norm training forward/backward and group norm at the eval batch norms' shapes, the 2x2 average pool's
    backward at its forward's: kernels of these networks' training that neither timed case runs."""
    rng = np.random.default_rng(0)
    for (name, b), (size, args) in list(kept.items()):
        if name == "normalization._bn_eval_fwd":
            x = args[0]
            n, c, s = x.shape
            f64 = lambda: np.zeros(c, np.float64)  # noqa: E731
            w, bb = args[1], args[2]
            g = rng.standard_normal(x.shape, dtype=np.float32)
            mean, inv = x.mean((0, 2)).astype(np.float32), np.ones(c, np.float32)
            kept[("normalization._bn_train_fwd", b)] = (size, [x, w, bb, 1e-5, False, f64(), f64(), np.empty_like(x)])
            kept[("normalization._bn_bwd", b)] = (size, [g, x, mean, inv, w, True, g, False, f64(), f64(),
                                                         np.empty_like(x)])
            if c % 32 == 0:
                x2 = x.reshape(n * 32, -1)
                kept[("normalization._gn_fwd", b)] = (size, [x2, 32, s, w, bb, 1e-5, np.empty(n * 32), np.empty(n * 32),
                                               np.empty_like(x2)])
                chunks = 16
                kept[("normalization._gn_bwd", b)] = (size, [g.reshape(x2.shape), x2, np.zeros(n * 32, np.float32),
                                               np.ones(n * 32, np.float32), w, 32, s, np.zeros((chunks, c)),
                                               np.zeros((chunks, c)), np.empty_like(x2)])
        elif name == "pooling._avg_fwd22":
            x, div, out = args
            kept[("pooling._avg_bwd22", b)] = (x.size, [out, div, np.empty_like(x)])
    for key in kept:
        calls.setdefault(key, collections.Counter())


def _times(fn, args, before, n):
    out = []
    for _ in range(n):
        if before is not None:
            before()
        t = time.perf_counter()
        fn(*args)
        out.append(time.perf_counter() - t)
    return out


def compare(t, args, before, rounds=9, target_s=0.01):
    """Median seconds of one call, serial and parallel, interleaved (the order alternating by round)."""
    kernels = {"serial": t.serial, "parallel": t.parallel}
    for fn in kernels.values():
        _times(fn, args, before, 2)
    one = statistics.median(_times(t.serial, args, None, 3))
    n = max(3, min(40, int(target_s / max(one, 1e-6))))
    runs = {k: [] for k in kernels}
    for r in range(rounds):
        for k in (("serial", "parallel") if r % 2 else ("parallel", "serial")):
            runs[k] += _times(kernels[k], args, before, n)
    return {k: statistics.median(v) for k, v in runs.items()}


def others():
    """A function that returns the cores other processes kept busy since its last call (from _threads' counters):
    the figures of a row are noise where this is not near 0."""
    free = _threads._FreeCores()
    free()

    def busy():
        last = free.last
        if free() is None:
            return float("nan")
        (t0, m0, o0), (t1, m1, o1) = last, free.last
        return max(0.0, (m1 - m0) - (o1 - o0)) / (t1 - t0)
    return busy


QUIET = 0.25       # others' cores above this: the machine is busy, a row or block is timed again


def quietly(measure, busy, tries=3, wait_s=20):
    """measure() timed again (up to `tries` times) while other processes kept more than QUIET cores busy; before
    each try, up to wait_s seconds for the machine to quieten. Returns (result, others' cores during it)."""
    best = None
    for _ in range(tries):
        end = time.monotonic() + wait_s
        busy()
        while time.monotonic() < end:
            time.sleep(0.5)
            if busy() < QUIET:
                break
        result = measure()
        load = busy()
        if best is None or load < best[1]:
            best = (result, load)
        if load < QUIET:
            break
    return best


def kernels_table(only=None):
    al.set_num_threads(2)
    kept, calls = {}, collections.defaultdict(collections.Counter)
    record(cases_conv.cnn_step("autograd_lite", 64), kept, calls, "cnn")          # the first call compiles
    cnn = cases_conv.cnn_step("autograd_lite", 64)
    cnn()
    dense = cases_conv.densenet_forward("autograd_lite", 8)
    dense()
    kept.clear()
    calls.clear()
    record(cnn, kept, calls, "cnn")
    record(dense, kept, calls, "dense")
    synthetic(kept, calls)
    names = {_full(t): t for t in Twins.all if _module(t) in MODULES or _name(t) in ALSO}
    rng = np.random.default_rng(1)
    a = rng.standard_normal((64, 288), dtype=np.float32)
    b = rng.standard_normal((288, 847), dtype=np.float32)
    c = np.empty((64, 847), np.float32)
    product = lambda: matmul_into(a, b, c)  # noqa: E731   15.6M multiply-adds: 2 BLAS threads
    print(f"{al.get_num_threads()} threads, threading layer {__import__('numba').threading_layer()}; "
          "us per call, medians (serial / parallel = the gain)\n")
    print("| kernel | size | calls CNN / DenseNet | alone: serial | parallel | gain | after BLAS: serial | parallel "
          "| gain | now | others' cores |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|")
    busy = others()
    _jit.Parallel.forced = True          # the parallel kernel at 2 threads, whatever else runs on the machine
    try:
        for (name, bucket) in sorted(kept):
            if name not in names or (only and name.split(".")[1] not in only):
                continue
            size, args = kept[(name, bucket)]
            t = names[name]
            (alone, after), load = quietly(lambda: (compare(t, args, None), compare(t, args, product)), busy)
            cn = calls[(name, bucket)]
            now = "parallel" if size >= t.par_min else "serial"
            us = lambda s: f"{s * 1e6:,.0f}"  # noqa: E731
            print(f"| {name} | {size:,} | {cn['cnn']} / {cn['dense']} | {us(alone['serial'])} | "
                  f"{us(alone['parallel'])} | {alone['serial'] / alone['parallel']:.2f} | {us(after['serial'])} | "
                  f"{us(after['parallel'])} | {after['serial'] / after['parallel']:.2f} | {now} | {load:.2f} |",
                  flush=True)
    finally:
        _jit.Parallel.forced = False


def spin_table(only=("_conv_direct", "_max_rows", "_bn_eval_fwd", "_im2col")):
    """The gain of the parallel kernel by the time since the last 2-thread product (busy in Python meanwhile, as
    the network's main thread is): how long OpenBLAS's spinning worker holds the other core."""
    al.set_num_threads(2)
    kept, calls = {}, collections.defaultdict(collections.Counter)
    for step in (cases_conv.cnn_step("autograd_lite", 64), cases_conv.densenet_forward("autograd_lite", 8)):
        step()
        record(step, kept, calls, "")
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((64, 288), dtype=np.float32), rng.standard_normal((288, 847), dtype=np.float32)
    c = np.empty((64, 847), np.float32)
    delays = (0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
    print("gain (serial / parallel, medians) by the time since a 2-thread product\n")
    print("| kernel | size | " + " | ".join(f"{d * 1e3:g} ms" for d in delays) + " |\n|---|--:|" + "--:|" * len(delays))
    busy = others()
    _jit.Parallel.forced = True
    try:
        for (name, bucket), (size, args) in sorted(kept.items()):
            t = {_full(t): t for t in Twins.all}[name]
            if _name(t) not in only or size < 1 << 20:
                continue
            gains = []
            for d in delays:
                def before(d=d):
                    matmul_into(a, b, c)
                    end = time.perf_counter() + d
                    while time.perf_counter() < end:
                        pass
                r = compare(t, args, before, rounds=5, target_s=0.02 if d < 1e-2 else 0.3)
                gains.append(r["serial"] / r["parallel"])
            print(f"| {name} | {size:,} | " + " | ".join(f"{g:.2f}" for g in gains)
                  + f" | others {busy():.2f}", flush=True)
    finally:
        _jit.Parallel.forced = False


# ---- networks -------------------------------------------------------------------------------------------------------
def networks(rounds, cases=("cnn", "dense"), all_parallel=False):
    after = {name: t.par_min for name, t in ours().items()}
    before = {name: BEFORE.get(name, PAR_MIN) for name in after}
    thresholds = {"before": before, "after": after}
    if all_parallel:
        thresholds["all parallel"] = {name: 0 for name in after}
    configs = [(n, k) for n in (1, 2) for k in thresholds if n == 2 or k != "all parallel"]
    kernels = ours()
    busy = others()

    def prepare(config):
        n, k = config
        for name, value in thresholds[k].items():
            kernels[name].par_min = value
        al.set_num_threads(n)
        time.sleep(SETTLE_S)

    steps = {"cnn": ("MNIST CNN training step, Adam, batch 64", 64, cases_conv.cnn_step("autograd_lite", 64), 0.3),
             "dense": ("DenseNet-121 forward, eval, batch 8", 8, cases_conv.densenet_forward("autograd_lite", 8), 0.6)}
    print("samples/s, medians of interleaved blocks; thresholds: before = issue 15's, after = the modules' now\n")
    print("| case | " + " | ".join(f"{n} thr, {k}" for n, k in configs) + " | 1 thr after / before | 2 thr after / "
          "before | 2 thr / 1 thr, after | others' cores, max |\n|---|" + "--:|" * (len(configs) + 4))
    try:
        for key in cases:
            label, batch, step, target = steps[key]
            for config in configs:
                prepare(config)
                step()
                step()
            runs, loads = {c: [] for c in configs}, []
            for r in range(rounds):
                for config in configs[r % len(configs):] + configs[:r % len(configs)]:
                    def block():
                        prepare(config)
                        t, n = time.perf_counter(), 0
                        while n == 0 or time.perf_counter() - t < target:
                            step()
                            n += 1
                        return batch * n / (time.perf_counter() - t)
                    rate, load = quietly(block, busy)
                    runs[config].append(rate)
                    loads.append(load)
            med = {c: statistics.median(v) for c, v in runs.items()}
            cells = " | ".join(f"{med[c]:,.1f}" for c in configs)
            print(f"| {label} | {cells} | {med[(1, 'after')] / med[(1, 'before')]:.3f} | "
                  f"{med[(2, 'after')] / med[(2, 'before')]:.3f} | {med[(2, 'after')] / med[(1, 'after')]:.2f} | "
                  f"{max(loads):.2f} |",
                  flush=True)
    finally:
        for name, value in after.items():
            kernels[name].par_min = value


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=("kernels", "spin", "networks"), help="which measurement to run")
    ap.add_argument("--only", default="", help="kernels: comma-separated kernel names (default: all)")
    ap.add_argument("--rounds", type=int, default=9, help="networks: blocks per configuration")
    ap.add_argument("--cases", default="cnn,dense", help="networks: cnn, dense or both")
    ap.add_argument("--all-parallel", action="store_true", help="networks: also every kernel parallel at 2 threads")
    args = ap.parse_args()
    if args.part == "kernels":
        kernels_table(set(filter(None, args.only.split(","))))
    elif args.part == "spin":
        spin_table()
    else:
        networks(args.rounds, args.cases.split(","), args.all_parallel)


if __name__ == "__main__":
    main()
