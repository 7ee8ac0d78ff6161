"""Numba's threading layers side by side on one parallel kernel (relu_forward): median microseconds per call.

    python benchmarks/bench_threading.py              # 3 rounds x (omp, workqueue, tbb), interleaved
    python benchmarks/bench_threading.py --rounds 5

Each layer runs in a fresh process (NUMBA_THREADING_LAYER set before numba loads; a layer that is not installed
is skipped). Columns: the parallel twin back to back (through its _threads.Parallel guard, and bare); right after
a 256x512x256 float32 matmul, as in a training step (OpenBLAS's workers then hold the cores); the serial twin; and
two threads calling the parallel twin at once (time per call). The table gives each figure's median over rounds.
"""
import argparse
import collections
import os
import statistics
import subprocess
import sys
import threading
import time

LAYERS = ("omp", "workqueue", "tbb")
SIZES = (1 << 18, 1 << 20, 1 << 22, 1 << 24)
COLUMNS = ("parallel", "bare", "after matmul", "serial", "2 threads")


def _median_us(call, n, matmul=None):
    time.sleep(0.3)                      # lets OpenBLAS's and the layer's spinning workers go to sleep
    times = []
    for _ in range(n):
        if matmul is not None:
            matmul()
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def _two_threads_us(call, n):
    time.sleep(0.3)

    def loop():
        for _ in range(n):
            call()
    threads = [threading.Thread(target=loop) for _ in range(2)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return (time.perf_counter() - t) / (2 * n) * 1e6


def worker():
    """One process, one layer: prints 'layer|size figures...|...'."""
    import numba
    import numpy as np
    from autograd_lite.kernels.cpu.activations import _relu_fwd

    a, b = np.random.rand(256, 512).astype(np.float32), np.random.rand(512, 256).astype(np.float32)
    par, ser = _relu_fwd.parallel, _relu_fwd.serial
    rows = []
    for size in SIZES:
        x = np.random.randn(size).astype(np.float32)
        out = np.empty_like(x)
        n = max(21, min(301, (1 << 26) // size))
        ser(x, out)
        par(x, out)
        run = lambda: par(x, out)                                   # noqa: E731
        rows.append((size, _median_us(run, n), _median_us(lambda: par.kernel(x, out), n),
                     _median_us(run, n, lambda: a @ b), _median_us(lambda: ser(x, out), n), _two_threads_us(run, n)))
    print(numba.threading_layer(), *(" ".join(f"{v:.1f}" for v in r) for r in rows), sep="|")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker()
    figures = collections.defaultdict(list)
    for _ in range(args.rounds):
        for layer in LAYERS:
            env = dict(os.environ, NUMBA_THREADING_LAYER=layer)
            done = subprocess.run([sys.executable, __file__, "--worker"], env=env, capture_output=True, text=True)
            if done.returncode:
                print(f"{layer}: not available ({done.stderr.strip().splitlines()[-1]})", file=sys.stderr)
                continue
            got, *rows = done.stdout.strip().split("|")
            for row in rows:
                size, *values = row.split()
                figures[(int(float(size)), got)].append(list(map(float, values)))
    print("| size | layer | " + " | ".join(COLUMNS) + " |\n|---|---|" + "--:|" * len(COLUMNS))
    for (size, layer), runs in sorted(figures.items()):
        medians = [statistics.median(column) for column in zip(*runs)]
        print(f"| {size >> 10}K | {layer} | " + " | ".join(f"{m:.1f}" for m in medians) + " |")


if __name__ == "__main__":
    main()
