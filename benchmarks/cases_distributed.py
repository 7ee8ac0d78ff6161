"""Data-parallel scaling (issue 18): the 784-512-256-10 MLP, global batch 256, SGD, random data, as one process
(1 and 2 threads) and as 2 MPI processes of 1 thread (mpiexec, DistributedDataParallel, 128 images per rank).
Reports samples/s, the speed-up and scaling efficiency against 1 process x 1 thread, the time backward waits on
the all-reduce per step (what the bucketed overlap did not hide), and MPI's all-reduce latency and bandwidth
between the ranks.

    python benchmarks/run.py --sections distributed
    python benchmarks/cases_distributed.py            # the same table alone
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
GLOBAL_BATCH, SIZES = 256, (784, 512, 256, 10)


def _rank_main(steps, threads, distributed, communicate=True):
    """One process of a configuration: prints one JSON line (rank 0). communicate=False: the ranks train on their
    shares alone, no DDP (what 2 ranks would take if the all-reduce were free)."""
    sys.path.insert(0, str(HERE.parent))
    import numpy as np
    import autograd_lite as torch
    from autograd_lite import nn, optim
    import autograd_lite.nn.functional as F
    torch.set_num_threads(threads)
    rank, world, dist = 0, 1, None
    if distributed:
        import autograd_lite.distributed as dist
        dist.init_process_group("mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    layers = []
    for a, b in zip(SIZES[:-1], SIZES[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    if distributed and communicate:
        model = nn.parallel.DistributedDataParallel(model)
    opt = optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(rank)
    local = GLOBAL_BATCH // world
    x = torch.tensor(rng.standard_normal((local, SIZES[0])).astype(np.float32))
    y = torch.tensor(rng.integers(0, SIZES[-1], local))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for _ in range(5):
        step()
    if distributed:
        dist.barrier()
        model._comm_wait_s = 0.0 if communicate else None
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if distributed:
        dist.barrier()
    elapsed = time.perf_counter() - start
    out = {"samples_per_s": steps * GLOBAL_BATCH / elapsed, "step_ms": 1e3 * elapsed / steps}
    if distributed and communicate:
        out["allreduce_wait_ms"] = 1e3 * model._comm_wait_s / steps
        out.update(_allreduce_speed(dist, torch, sum(p.numel() for p in model.parameters())))
        dist.destroy_process_group()
    if rank == 0:
        print(json.dumps(out), flush=True)


def _allreduce_speed(dist, torch, n_grad):
    """Median time of a blocking all-reduce of 1 float (latency) and of the model's gradients (bandwidth)."""
    result = {}
    for name, n in (("latency", 1), ("grads", n_grad)):
        t = torch.zeros(n)
        times = []
        for _ in range(30 if n > 1 else 200):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(t)
            times.append(time.perf_counter() - start)
        times.sort()
        result[f"allreduce_{name}_us"] = 1e6 * times[len(times) // 2]
    result["allreduce_bandwidth_gb_s"] = 4 * n_grad / (result["allreduce_grads_us"] * 1e-6) / 1e9
    return result


def _run(processes, threads, steps, communicate=True):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(threads))
    cmd = [sys.executable, __file__, "--rank", str(steps), str(threads), str(int(processes > 1)),
           str(int(communicate))]
    if processes > 1:
        mpiexec = shutil.which("mpiexec", path=f"{pathlib.Path(sys.executable).parent}{os.pathsep}"
                                               f"{os.environ.get('PATH', '')}")
        cmd = [mpiexec, "-n", str(processes)] + cmd
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(quick=False):
    """The section's table (markdown), or why it was skipped."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "### distributed\n\nskipped: mpi4py not installed (pip install -e '.[distributed]')\n"
    steps, repeats = (20, 1) if quick else (300, 3)
    configs = [("1 process x 1 thread", (1, 1, steps)), ("1 process x 2 threads", (1, 2, steps)),
               ("2 processes x 1 thread (DDP)", (2, 1, steps)),
               ("2 processes x 1 thread, no all-reduce (the bound)", (2, 1, steps, False))]
    runs = {name: [] for name, _ in configs}
    for _ in range(repeats):            # interleaved: a noisy moment hits every configuration alike
        for name, args in configs:
            runs[name].append(_run(*args))
    rows = [(name, sorted(r, key=lambda d: d["samples_per_s"])[len(r) // 2]) for name, r in runs.items()]
    base = rows[0][1]["samples_per_s"]
    lines = ["### distributed (784-512-256-10 MLP, global batch 256, SGD)", "",
             "| configuration | samples/s | step ms | speed-up vs 1x1 | efficiency per core | all-reduce wait ms/step |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in rows:
        cores = 2 if name.startswith("2") or "2 threads" in name else 1
        speed = r["samples_per_s"] / base
        wait = f"{r['allreduce_wait_ms']:.2f}" if "allreduce_wait_ms" in r else "-"
        lines.append(f"| {name} | {r['samples_per_s']:.0f} | {r['step_ms']:.2f} | {speed:.2f}x | "
                     f"{speed / cores:.0%} | {wait} |")
    d = rows[2][1]
    bound = rows[3][1]["step_ms"] + d["allreduce_grads_us"] / 1e3
    lines += ["", f"Without overlap (on 2 cores the shared-memory all-reduce is copying on the cores that compute), "
              f"2 ranks take at least the no-all-reduce step plus one all-reduce of the gradients: "
              f"{bound:.2f} ms, {rows[0][1]['step_ms'] / bound:.2f}x 1 process x 1 thread."]
    lines += ["", f"MPI all-reduce between the 2 ranks: latency {d['allreduce_latency_us']:.1f} us (1 float), "
              f"{d['allreduce_grads_us']:.0f} us for the gradients ({d['allreduce_bandwidth_gb_s']:.2f} GB/s)", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--rank":
        _rank_main(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5] == "1")
    else:
        print(report(quick="--quick" in sys.argv))
