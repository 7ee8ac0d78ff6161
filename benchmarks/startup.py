"""Fresh-process start-up: `python -c SCRIPT` imports the library and runs ONE training step of the seed
MLP (784-128-64-10, LogSoftmax + NLLLoss, Adam, batch 64); its wall time (measured by the parent,
process start to exit) and its peak RSS (ru_maxrss, reported by the child).

    python benchmarks/startup.py [--quick]

Variants: autograd_lite with an empty Numba cache (NUMBA_CACHE_DIR = a fresh temporary folder: every
kernel the step needs compiles and is written there), autograd_lite with a warm cache (the folder of the
first empty run: every kernel loads; checked by the folder's files staying the same), and torch. Each
runs 3 times (--quick: once), interleaved, after one untimed import of each library (so the files
are in the OS page cache for all); medians. Thread variables (OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS) pass
through from this process's environment. benchmarks/run.py imports `measure`.
"""
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SCRIPT = """
import json, resource
import {lib} as torch
from {lib} import nn, optim
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10),
                      nn.LogSoftmax(dim=1))
optimizer = optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.randn(64, 784), torch.randint(0, 10, (64,))
optimizer.zero_grad()
loss = nn.NLLLoss()(model(x), y)
loss.backward()
optimizer.step()
print(json.dumps({{"loss": loss.item(), "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""
TORCH, EMPTY, WARM = "torch", "autograd_lite, empty Numba cache", "autograd_lite, warm Numba cache"


def _run(code, cache_dir=None):
    """(wall seconds, the child's JSON) of `python -c code`, NUMBA_CACHE_DIR = cache_dir when given."""
    env = dict(os.environ)
    env.pop("NUMBA_CACHE_DIR", None)
    if cache_dir:
        env["NUMBA_CACHE_DIR"] = cache_dir
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode:
        raise RuntimeError(f"startup.py: the child failed:\n{out.stderr}")
    return wall, json.loads(out.stdout.strip().splitlines()[-1])


def _files(folder):
    """{path: (size, mtime_ns)} of every file under folder."""
    stats = {os.path.join(d, f): os.stat(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs}
    return {path: (st.st_size, st.st_mtime_ns) for path, st in stats.items()}


def measure(quick=False):
    """[{"name", "wall_s", "peak_mb", "runs"}] for the variants (torch only when installed); medians;
    peak_mb = ru_maxrss / 1024 (MiB)."""
    reps = 1 if quick else 3
    libs = ["autograd_lite"] + (["torch"] if importlib.util.find_spec("torch") else [])
    for lib in libs:                                      # untimed: page cache (no kernel compiles)
        _run(f"import {lib}; print('{{}}')")
    tmp = tempfile.mkdtemp(prefix="autograd_lite-startup-")
    runs = {EMPTY: [], WARM: [], TORCH: []}
    warm_dir = None
    try:
        for r in range(reps):
            fresh = os.path.join(tmp, f"empty{r}")
            os.mkdir(fresh)
            runs[EMPTY].append(_run(SCRIPT.format(lib="autograd_lite"), fresh))
            written = _files(fresh)
            if not any(f.endswith(".nbc") for f in written):
                raise RuntimeError(f"startup.py: the empty-cache run wrote no Numba cache files to {fresh}")
            warm_dir = warm_dir or fresh
            before = _files(warm_dir)
            runs[WARM].append(_run(SCRIPT.format(lib="autograd_lite"), warm_dir))
            if _files(warm_dir) != before:
                raise RuntimeError(f"startup.py: the warm-cache run compiled (wrote to {warm_dir})")
            if "torch" in libs:
                runs[TORCH].append(_run(SCRIPT.format(lib="torch")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [{"name": name, "wall_s": statistics.median(w for w, _ in rs),
             "peak_mb": statistics.median(j["maxrss_kib"] for _, j in rs) / 1024, "runs": len(rs)}
            for name, rs in runs.items() if rs]


def main():
    results = measure(quick="--quick" in sys.argv)
    torch_wall = next((r["wall_s"] for r in results if r["name"] == TORCH), None)
    print("| process | wall s (median) | peak MB | wall / torch's |\n|---|--:|--:|--:|")
    for r in results:
        rel = f"{r['wall_s'] / torch_wall:.2f}" if torch_wall else "-"
        print(f"| {r['name']} | {r['wall_s']:.2f} | {r['peak_mb']:.0f} | {rel} |")
    print(f"\n{results[0]['runs']} run(s) each. Goals: warm <= 1/3 of torch's wall (1.0 s where torch takes 3.0 s), "
          "empty <= 8 s, peak memory below torch's.")


if __name__ == "__main__":
    main()
