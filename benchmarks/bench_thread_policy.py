"""The figures behind the thread policy (kernels/cpu/_threads.py), one part at a time:

    python benchmarks/bench_thread_policy.py blas        # training steps at 2 threads by BLAS_PAR_MIN
    python benchmarks/bench_thread_policy.py chunks      # a 16M-element parallel kernel: equal shares vs chunks
    python benchmarks/bench_thread_policy.py example --load 0,1,2 [--tree DIR] [--data-dir DIR]

blas: one process (OMP_NUM_THREADS=2 unless set), each step timed in interleaved blocks under each threshold from
which a product runs on all BLAS threads ("never": one thread always); medians in samples/s.
chunks: relu_backward's parallel twin, per call after a 0.15 s pause (as between a training step's kernels and
the next step's), numba's default equal shares against _threads.Parallel's chunks; calls over 30 ms counted.
example: examples/mnist.py's wall and CPU seconds with N busy processes beside it; --tree runs another checkout's
library (a git worktree of an older commit) for a before/after.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def blas(rounds=7, block_s=0.15):
    import autograd_lite as al
    from autograd_lite.kernels.cpu import _threads
    from cases_training import SEED, WIDE, framework_step
    thresholds = {"2^17": 1 << 17, "2^20": 1 << 20, "2^22": 1 << 22, "2^24": 1 << 24, "2^26": 1 << 26,
                  "never": 1 << 62}
    specs = {"seed MLP, batch 16": (dict(sizes=SEED, loss="nll"), 16),
             "seed MLP, batch 64": (dict(sizes=SEED, loss="nll"), 64),
             "seed MLP, batch 256": (dict(sizes=SEED, loss="nll"), 256),
             "784-512-256-10, Adam, batch 64": (dict(sizes=WIDE, dropout=0.5, optimizer="adam"), 64),
             "784-512-256-10, SGD, batch 256": (dict(sizes=WIDE, dropout=0.5, optimizer="sgd", lr=0.01,
                                                     momentum=0.9), 256)}
    print(f"{al.get_num_threads()} threads; samples/s by BLAS_PAR_MIN (multiply-adds)\n")
    print("| case | " + " | ".join(thresholds) + " |\n|---|" + "--:|" * len(thresholds))
    for name, (spec, batch) in specs.items():
        step, rates = framework_step("autograd_lite", spec, batch), {k: [] for k in thresholds}
        for _ in range(rounds):
            for label, value in thresholds.items():
                _threads.BLAS_PAR_MIN, _threads._blas.now = value, None
                time.sleep(0.15)
                for _ in range(3):
                    step()
                t, n = time.perf_counter(), 0
                while time.perf_counter() - t < block_s:
                    step()
                    n += 1
                rates[label].append(batch * n / (time.perf_counter() - t))
        print(f"| {name} | " + " | ".join(f"{statistics.median(v):,.0f}" for v in rates.values()) + " |", flush=True)


def chunks(calls=80):
    import numba
    import numpy as np
    import autograd_lite as al
    from autograd_lite.kernels.cpu.activations import _relu_bwd
    n = 1 << 24
    rng = np.random.default_rng(0)
    g, y = rng.standard_normal(n, dtype=np.float32), np.maximum(rng.standard_normal(n, dtype=np.float32), 0)
    al.set_num_threads(2)
    print(f"relu_backward, {n} float32 elements, 2 threads; ms per call\n")
    print("| schedule | median | max | calls over 30 ms |\n|---|--:|--:|--:|")
    for name, run in (("equal shares (numba's default)", _relu_bwd.parallel.kernel),
                      ("chunks (_threads.Parallel)", _relu_bwd.parallel)) * 2:
        ms = []
        for _ in range(calls // 4):
            time.sleep(0.15)
            for _ in range(4):
                out = np.empty_like(g)
                t = time.perf_counter()
                run(g, y, out)
                ms.append((time.perf_counter() - t) * 1e3)
        ms = ms[4:]                                     # the first calls start the threading layer
        print(f"| {name} | {statistics.median(ms):.1f} | {max(ms):.1f} | {sum(m > 30 for m in ms)} of {len(ms)} |",
              flush=True)
    print(f"\nthreading layer: {numba.threading_layer()}")


def example(loads, tree, data_dir, repeat=2):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    env.pop("OMP_NUM_THREADS", None)                    # as a user runs it
    print(f"examples/mnist.py with {os.path.abspath(tree)}'s library\n")
    print("| busy processes | wall s | CPU s | test accuracy |\n|--:|--:|--:|--:|")
    for load in loads:
        busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(load)]
        try:
            time.sleep(0.5)
            for _ in range(repeat):
                before, t = os.times(), time.perf_counter()
                cmd = [sys.executable, os.path.join(tree, "examples", "mnist.py")] + (["--data-dir", data_dir]
                                                                                     if data_dir else [])
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
                wall, after = time.perf_counter() - t, os.times()
                cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
                acc = out.strip().splitlines()[-1].split()[-1]
                print(f"| {load} | {wall:.2f} | {cpu:.2f} | {acc} |", flush=True)
        finally:
            for p in busy:
                p.kill()
                p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=("blas", "chunks", "example"), help="which measurement to run")
    ap.add_argument("--load", default="0,1,2", help="example: comma-separated counts of busy processes")
    ap.add_argument("--tree", default=os.path.dirname(HERE), help="example: the checkout whose library runs")
    ap.add_argument("--data-dir", default=os.environ.get("AUTOGRAD_LITE_DATA", ""),
                    help="example: the folder with MNIST (as examples/mnist.py --data-dir)")
    args = ap.parse_args()
    if args.part == "blas":
        blas()
    elif args.part == "chunks":
        chunks()
    else:
        example([int(n) for n in args.load.split(",")], args.tree, args.data_dir)


if __name__ == "__main__":
    main()
