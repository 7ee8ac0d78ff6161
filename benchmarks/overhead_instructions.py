"""Instructions per ((a*b).sum()).backward() on 4 elements, ours against the 40-line minimal autograd, counted by
valgrind's callgrind: the same count whatever else the machine is doing (timings on these shared VMs move 5%).

    python benchmarks/overhead_instructions.py [--iterations 1000]

Each implementation runs in a fresh process twice under callgrind, with N iterations and with none; the difference
over N is its cost per iteration. OPENBLAS_NUM_THREADS=1: OpenBLAS's idle worker threads would add their spinning.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def worker(which, n):
    sys.path.insert(0, HERE)
    import numpy as np
    import autograd_lite as al
    from _minimal_autograd import MiniTensor
    x, y = np.random.rand(4).astype(np.float32), np.random.rand(4).astype(np.float32)
    if which == "autograd_lite":
        a, b = al.tensor(x, requires_grad=True), al.tensor(y, requires_grad=True)
    else:
        a, b = MiniTensor(x), MiniTensor(y)

    def step():
        a.grad = b.grad = None
        (a * b).sum().backward()
    for _ in range(50 + n):
        step()


def instructions(which, n):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
                        "--worker", which, str(n)], check=True, capture_output=True,
                       env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
        with open(out) as f:
            return int(re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker[0], int(args.worker[1]))
    counts = {}
    for which in ("autograd_lite", "minimal autograd"):
        counts[which] = (instructions(which, args.iterations) - instructions(which, 0)) / args.iterations
        print(f"{which}: {counts[which]:,.0f} instructions per iteration")
    print(f"minimal / autograd_lite: {counts['minimal autograd'] / counts['autograd_lite']:.3f}")


if __name__ == "__main__":
    main()
