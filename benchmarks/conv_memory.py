"""Peak memory of a training step of the MNIST CNN (benchmarks/cases_conv.py), autograd_lite against PyTorch, each
in a fresh process:

    python benchmarks/conv_memory.py [--batch 64] [--steps 5] [--threads 1]

Each process imports its library, builds the model (the same weights), runs one step (kernels compiled, buffers
made), then resets the kernel's high-water mark of its resident memory (/proc/self/clear_refs) and runs --steps
more. Reported: the resident memory before those steps, the peak during them, and the difference: the memory the
step itself needs above what the process already holds. Linux only (/proc).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(lib_name, batch, steps):
    sys.path.insert(0, HERE)
    import cases_conv
    step = cases_conv.cnn_step(lib_name, batch)
    step()
    with open("/proc/self/clear_refs", "w") as f:       # "5": reset the peak resident set size to the current
        f.write("5")
    before = _status_kb("VmRSS")
    for _ in range(steps):
        step()
    peak = _status_kb("VmHWM")
    print(json.dumps({"lib": lib_name, "before_mb": before / 1024, "peak_mb": peak / 1024,
                      "step_mb": (peak - before) / 1024}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=64, help="images per step (default 64)")
    ap.add_argument("--steps", type=int, default=5, help="steps measured after the first (default 5)")
    ap.add_argument("--threads", type=int, default=1, help="threads of both libraries (default 1)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.batch, args.steps)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               NUMBA_NUM_THREADS=str(args.threads))
    print("| library | resident before, MB | peak during the steps, MB | the steps' own, MB |\n|---|--:|--:|--:|")
    for lib_name in ("autograd_lite", "torch"):
        out = subprocess.run([sys.executable, __file__, "--child", lib_name, "--batch", str(args.batch), "--steps",
                              str(args.steps)], env=env, capture_output=True, text=True)
        if out.returncode:
            print(f"| {lib_name} | failed: {out.stderr.strip().splitlines()[-1]} | | |")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {lib_name} | {r['before_mb']:.0f} | {r['peak_mb']:.0f} | {r['step_mb']:.1f} |")


if __name__ == "__main__":
    main()
