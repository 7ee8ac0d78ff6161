"""A paper model of data-parallel training on a cluster (issue 18): the 784-512-256-10 MLP's step on p nodes from
its measured per-step compute and a ring all-reduce over an assumed network.

    python benchmarks/scaling_model.py        # measures the compute here, prints RESULTS.md's table

Model (stated in RESULTS.md with the figures):
- compute(b): a one-core training step of b samples, measured here for each b the table needs (4, 32, 128, 256:
  small batches cost more per sample, the step's Python and small kernels do not shrink);
- ring all-reduce of S bytes over p nodes: 2 (p - 1) / p * S / bandwidth + 2 (p - 1) * latency;
- step = compute + all-reduce (no overlap: a lower bound on speed) or max(compute, all-reduce) (perfect overlap);
- strong scaling: the global batch (256) split over the nodes; weak scaling: 256 samples per node.
"""
import os
import subprocess
import sys
import json

PARAMS = 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10     # the MLP's parameters (float32 gradients)
NETWORKS = {   # (bandwidth GB/s, latency us): this machine's measured; the others typical figures, assumed
    "this machine's 2 cores, shared memory (measured)": (5.0, 4.0),
    "25 GbE, TCP": (3.1, 20.0),
    "100 Gb/s InfiniBand HDR": (12.5, 2.0),
}
GLOBAL_BATCH = 256


def allreduce_ms(p, nbytes, bandwidth_gb_s, latency_us):
    if p == 1:
        return 0.0
    return 1e3 * (2 * (p - 1) / p * nbytes / (bandwidth_gb_s * 1e9)) + 1e-3 * 2 * (p - 1) * latency_us


def measure_compute(batches=(4, 32, 128, 256)):
    """{b: ms}: one process, one thread, a training step of b samples (median over 300 steps' mean)."""
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    step = {}
    for batch in batches:
        code = ("import sys; sys.path.insert(0, %r); import cases_distributed as c; c.GLOBAL_BATCH = %d; "
                "c._rank_main(300, 1, False)") % (here, batch)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        step[batch] = json.loads(out.stdout.strip().splitlines()[-1])["step_ms"]
    return step


def table(compute):
    nbytes = 4 * PARAMS
    lines = ["compute (ms per step, one core): " + ", ".join(f"{b} samples {t:.2f}" for b, t in compute.items())
             + f"; gradients {nbytes / 1e6:.2f} MB", "",
             "| network | nodes | strong: samples/node | strong: speed-up (no overlap / overlap) | "
             "weak: efficiency (no overlap / overlap) |", "|---|--:|--:|--:|--:|"]
    one = compute[GLOBAL_BATCH]
    for name, (bw, lat) in NETWORKS.items():
        for p in ((2,) if "measured" in name else (2, 8, 64)):
            ar = allreduce_ms(p, nbytes, bw, lat)
            strong = compute[GLOBAL_BATCH // p]
            lines.append(f"| {name} | {p} | {GLOBAL_BATCH // p} | {one / (strong + ar):.1f}x / "
                         f"{one / max(strong, ar):.1f}x | {one / (one + ar):.0%} / {one / max(one, ar):.0%} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(measure_compute()))
