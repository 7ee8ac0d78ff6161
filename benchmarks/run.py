"""Every comparison side by side: autograd_lite, NumPy and PyTorch (when installed), one table.

    python benchmarks/run.py                       # 1 thread, every section
    python benchmarks/run.py --threads 1,2         # one worker process per thread count
    python benchmarks/run.py --quick               # fewer sizes and rounds (a minute or two)
    python benchmarks/run.py --markdown            # also rewrite the summary in benchmarks/RESULTS.md
    python benchmarks/run.py --sections training,overhead --peak 160
    python benchmarks/run.py --threads 2 --sections training --background-load 1   # on a busy machine
    python benchmarks/run.py --threads 1,2 --sections conv      # convolutional networks (issue 16)
    python benchmarks/run.py --threads 1,2 --sections sequence  # LSTM, GRU, Transformer, Embedding
    python benchmarks/run.py --sections distributed             # 2 MPI processes against 1 (issue 18)

Each thread count runs in a fresh worker process with OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS set before
NumPy loads (and torch.set_num_threads). Inside it, every case times its implementations in alternating blocks
(benchmarks/_harness.py), so machine drift hits all alike, each block with BLAS at the thread count its library
would use (NumPy and torch: all; autograd_lite: its policy); the tables give medians and ratios (> 1: autograd_lite
is faster), and autograd_lite's rate at more threads against 1 thread. --background-load N keeps N busy processes
running meanwhile, as on a shared machine. Start-up runs fresh processes of its own
(benchmarks/startup.py). The goals of issue 5 are checked last.
"""
import argparse
import datetime
import functools
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _harness  # noqa: E402
RESULTS = HERE / "RESULTS.md"
BEGIN, END = "<!-- run.py: begin -->", "<!-- run.py: end -->"
SECTIONS = ("kernels", "training", "overhead", "conv", "sequence", "startup")
OURS = _harness.OURS
OURS_1 = OURS + ", 1 thread"       # autograd_lite at set_num_threads(1), in an n-thread worker
REFERENCES = ("numpy", "torch", "minimal autograd", "memcpy", "gemm")
SETTLE_S = 0.15          # seconds between blocks at more than one thread (see blas_setter)
SCALING_NOISE = 0.03      # n threads against 1 within this counts as even (RESULTS.md, Thread policy)
CONFIRM = 3               # a case screened slower at n threads is timed again, n against 1, this many times longer
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


# ---- worker: one thread count, in its own process ------------------------------------------------
def worker(args):
    sys.path.insert(0, str(HERE.parent))
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        pass
    modules = {"kernels": "cases_kernels", "training": "cases_training", "overhead": "cases_overhead",
               "conv": "cases_conv", "sequence": "cases_sequence"}
    prepare = blas_setter(args.threads)
    rows = []
    for section in args.sections:
        if section not in modules:
            continue
        module = __import__(modules[section])
        for case in module.cases(quick=args.quick):
            if args.threads > 1 and OURS in case.impls:     # 1 thread beside n, interleaved: scaling free of drift
                # one step timed under both names: its own buffers would differ by placement alone by up to 25%
                case.impls[OURS] = case.impls[OURS_1] = functools.lru_cache(maxsize=None)(case.impls[OURS])
            rounds = 3 if args.quick else 7
            times = _harness.measure(case, rounds=rounds, prepare=prepare)
            row = {"section": case.section, "name": case.name, "size": case.size, "unit": case.unit,
                   "note": case.note, "rates": {k: case.rate(t) for k, t in times.items()}}
            if OURS_1 in times and _gain(times[OURS_1], times[OURS]) < 1 - SCALING_NOISE:
                # screened slower at n threads: confirmed or not by n against 1 alone, CONFIRM times the rounds
                again = _harness.measure(case, rounds=CONFIRM * rounds, prepare=prepare, only=(OURS, OURS_1))
                row["scaling"] = {k: case.rate(t) for k, t in again.items()}
            rows.append(row)
            print(f"  {case.section}: {case.name} [{case.size}] done", file=sys.stderr, flush=True)
    peak = args.peak
    if peak is None and "kernels" in args.sections:
        peak = __import__("cases_kernels").peak_gflops(args.threads)
    with open(args.worker, "w") as f:
        json.dump({"threads": args.threads, "peak": peak, "rows": rows}, f)


def _gain(one_thread_s, n_threads_s):
    return one_thread_s / n_threads_s


def blas_setter(threads):
    """`prepare` for the harness: NumPy and torch blocks run with BLAS at `threads` threads, as those libraries
    would by themselves (autograd_lite, in the same process, sizes the shared BLAS per product); an autograd_lite
    block starts from its own policy again (set_num_threads forgets the BLAS size it last set). With more than one
    thread, every block starts SETTLE_S after the last: OpenBLAS's workers spin for ~0.1 s after a multi-threaded
    product, and a block run in that time would pay for the previous block's library (torch at 2 threads: 3.5x
    slower, RESULTS.md)."""
    import autograd_lite
    try:
        from threadpoolctl import ThreadpoolController
        blas = ThreadpoolController().select(user_api="blas")
    except ImportError:
        blas = None

    def prepare(name):
        if threads > 1:
            time.sleep(SETTLE_S)
        if name in (OURS, OURS_1):
            autograd_lite.set_num_threads(1 if name == OURS_1 else threads)
        elif blas is not None:
            blas.limit(limits=threads)
    return prepare


def worker_env(threads, base=os.environ):
    """The environment of a worker: every thread-count variable set before NumPy, numba and torch load. Nothing else:
    autograd_lite's own thread policy (kernels/cpu/_threads.py) is what is measured."""
    return dict(base, **{v: str(threads) for v in THREAD_VARS})


def run_worker(threads, args):
    env = worker_env(threads)
    out = HERE / f".worker-{os.getpid()}-{threads}.json"
    cmd = [sys.executable, __file__, "--worker", str(out), "--threads", str(threads),
           "--sections", ",".join(args.sections)] + (["--quick"] if args.quick else []) \
        + (["--peak", str(args.peak)] if args.peak else [])
    try:
        subprocess.run(cmd, env=env, check=True)
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def background_load(n):
    """n busy processes (a Python loop each, as other users' work would be), started now; stop them with
    .terminate(). They run at the same priority as the measurement, spread over the cores by the OS."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


# ---- tables ----------------------------------------------------------------------------------------
def speedup(row, other):
    """How many times faster autograd_lite is than `other` (None when either is missing)."""
    r = row["rates"]
    if "autograd_lite" not in r or other not in r:
        return None
    return r[other] / r["autograd_lite"] if row["unit"] == "us" else r["autograd_lite"] / r[other]


def section_table(rows, peak):
    refs = [k for k in REFERENCES if any(k in r["rates"] for r in rows)]
    head = ["case", "size", "unit", "autograd_lite"] + refs + [f"x {k}" for k in refs]
    if peak and any(r["unit"] == "GFLOP/s" for r in rows):
        head.append("of peak")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 3 + "--:|" * (len(head) - 3)]
    for r in rows:
        cells = [r["name"], r["size"], r["unit"], _harness.fmt(r["rates"].get("autograd_lite"), r["unit"])]
        cells += [_harness.fmt(r["rates"].get(k), r["unit"]) for k in refs]
        cells += [_harness.fmt(speedup(r, k), "x") if speedup(r, k) is not None else "-" for k in refs]
        if len(head) > len(cells):
            ours = r["rates"].get("autograd_lite")
            cells.append(f"{ours / peak:.0%}" if r["unit"] == "GFLOP/s" and ours else "")
        lines.append("| " + " | ".join(cells) + " |")
    notes = sorted({r["note"] for r in rows if r["note"]})
    return "\n".join(lines + [""] + [f"- {n}" for n in notes])


def startup_table(results):
    lines = ["| process | wall s (median) | peak MB | wall / torch's |", "|---|--:|--:|--:|"]
    torch_wall = next((r["wall_s"] for r in results if r["name"].startswith("torch")), None)
    for r in results:
        rel = f"{r['wall_s'] / torch_wall:.2f}" if torch_wall else "-"
        lines.append(f"| {r['name']} | {r['wall_s']:.2f} | {r['peak_mb']:.0f} | {rel} |")
    return "\n".join(lines)


# ---- goals of issue 5 ------------------------------------------------------------------------------
ACTIVATIONS_AND_LOSSES = ("relu", "sigmoid", "tanh", "log_softmax", "cross", "dropout")


def goals(workers, startup):
    """(goal, measured, met) for every goal that this run measured."""
    out = []
    for w in workers:
        t, rows = w["threads"], w["rows"]

        def find(section, *words):
            return [r for r in rows if r["section"] == section
                    and all(x.lower() in (r["name"] + " " + r["size"]).lower() for x in words)]
        for r in find("training", "seed MLP", "64"):
            if "inference" in r["name"]:
                continue
            for other, need in (("torch", 1.5), ("numpy", 1.0)):
                s = speedup(r, other)
                if s is not None:
                    out.append((f"{t} thr: seed MLP training >= {need}x {other}", f"{s:.2f}x", s >= need))
        for r in find("training", "512", "256", "adam"):
            if "256" in r["size"]:
                s = speedup(r, "torch")
                if s is not None:
                    out.append((f"{t} thr: 784-512-256-10 + Dropout, batch 256, Adam >= 1.5x torch",
                                f"{s:.2f}x", s >= 1.5))
        for r in find("conv", "MNIST CNN"):
            s = speedup(r, "torch")
            if s is not None and t == 1:
                out.append((f"{t} thr: MNIST CNN training step >= 1.5x torch", f"{s:.2f}x", s >= 1.5))
        for r in find("conv", "DenseNet-121 forward"):
            s = speedup(r, "torch")
            if s is not None:
                out.append((f"{t} thr: DenseNet-121 forward >= 1.2x torch", f"{s:.2f}x", s >= 1.2))
        for r in find("conv", "DenseNet-121 transfer"):
            s = speedup(r, "torch")
            if s is not None:
                out.append((f"{t} thr: DenseNet-121 transfer-learning step >= 1.2x torch", f"{s:.2f}x", s >= 1.2))
        for r in find("overhead", "4 elements"):
            ours, torch_us = r["rates"].get("autograd_lite"), r["rates"].get("torch")
            if torch_us:
                need = 10 / 31 * torch_us
                out.append((f"{t} thr: tiny-graph overhead <= 10 us where torch takes 31 us, i.e. "
                            f"<= {need:.1f} us here (torch {torch_us:.1f} us)", f"{ours:.1f} us",
                            ours <= need))
        for r in rows:
            if r["section"] != "kernels":
                continue
            low = r["name"].lower()
            if "relu" in low and r["size"].startswith("1M") and "memcpy" in r["rates"]:
                s = speedup(r, "memcpy")
                out.append((f"{t} thr: {r['name']} at 1M >= 0.8x memcpy", f"{s:.2f}x", s >= 0.8))
            if any(k in low for k in ACTIVATIONS_AND_LOSSES):
                best = [speedup(r, k) for k in ("numpy", "torch") if speedup(r, k) is not None]
                if best:
                    out.append((f"{t} thr: {r['name']} [{r['size']}] >= the faster of NumPy and torch",
                                f"{min(best):.2f}x", min(best) >= 1.0))
            if low.startswith("matmul") and speedup(r, "numpy") is not None:
                s = speedup(r, "numpy")
                out.append((f"{t} thr: {r['name']} [{r['size']}] >= 0.95x NumPy", f"{s:.2f}x", s >= 0.95))
    scaling = thread_scaling(workers)
    if scaling:
        worst = min(scaling, key=lambda x: x[4])
        out.append((f"no case slower at more threads than at 1 (worst: {worst[0]['name']} [{worst[0]['size']}], "
                    f"{worst[1]} thr; within {SCALING_NOISE:.0%}, run-to-run noise)", f"{worst[4]:.2f}x",
                    worst[4] >= 1 - SCALING_NOISE))
    if startup:
        torch_r = next((r for r in startup if r["name"].startswith("torch")), None)
        for r in startup:
            if r["name"].startswith("torch"):
                continue
            warm = "warm" in r["name"]
            if warm and torch_r:
                need = torch_r["wall_s"] / 3
                out.append((f"start-up, warm cache <= 1.0 s where torch takes 3.0 s, i.e. <= {need:.2f} s "
                            "here", f"{r['wall_s']:.2f} s", r["wall_s"] <= need))
            elif not warm:
                out.append(("start-up, empty cache <= 8 s", f"{r['wall_s']:.2f} s", r["wall_s"] <= 8))
            if torch_r:
                out.append((f"peak memory of '{r['name']}' below torch's ({torch_r['peak_mb']:.0f} MB)",
                            f"{r['peak_mb']:.0f} MB", r["peak_mb"] < torch_r["peak_mb"]))
    return out


def thread_scaling(workers):
    """(row, n, rate at 1 thread, rate at n, n/1) of autograd_lite for every case of every worker at n > 1 threads:
    its 1-thread rate timed in the same process, interleaved with the n-thread one (set_num_threads(1))."""
    out = []
    for w in workers:
        if w["threads"] == 1:
            continue
        for r in w["rows"]:
            rates = r.get("scaling", r["rates"])           # the confirming measurement where there is one
            a1, an = rates.get(OURS_1), rates.get(OURS)
            if a1 and an:
                gain = a1 / an if r["unit"] == "us" else an / a1
                out.append((r, w["threads"], a1, an, gain))
    return out


def scaling_table(scaling):
    lines = ["| case | size | unit | 1 thread | n threads | n | n / 1 |", "|---|---|---|--:|--:|--:|--:|"]
    for r, n, a1, an, gain in scaling:
        name = r["name"] + (" (timed again)" if "scaling" in r else "")
        lines.append(f"| {name} | {r['size']} | {r['unit']} | {_harness.fmt(a1, r['unit'])} | "
                     f"{_harness.fmt(an, r['unit'])} | {n} | {gain:.2f}x |")
    return "\n".join(lines)


def goals_table(items):
    lines = ["| goal | measured | met |", "|---|--:|---|"]
    lines += [f"| {g} | {m} | {'yes' if ok else '**no**'} |" for g, m, ok in items]
    return "\n".join(lines)


# ---- report ----------------------------------------------------------------------------------------
def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor()) if os.path.exists("/proc/cpuinfo") \
        else platform.processor()
    import numba
    import numpy as np
    try:
        import torch
        tv = torch.__version__
    except ImportError:
        tv = "not installed"
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}; Python "
            f"{platform.python_version()}, NumPy {np.__version__}, Numba {numba.__version__}, PyTorch {tv}")


def report(args, workers, startup):
    cmd = "python benchmarks/run.py " + " ".join(sys.argv[1:])
    load = (f" With {args.background_load} busy process{'es' if args.background_load > 1 else ''} running "
            "beside it (--background-load)." if args.background_load else "")
    parts = [f"Measured {datetime.date.today()} on {machine()}.{load}", f"Command: `{cmd.strip()}`.",
             "Rates are medians of interleaved blocks; `x lib` = how many times faster autograd_lite is "
             "(for us: lib's time / ours). The machine is shared: read the ratios."]
    for w in workers:
        by_section = {}
        for r in w["rows"]:
            by_section.setdefault(r["section"], []).append(r)
        for section, rows in by_section.items():
            peak = f" (peak {w['peak']:.0f} GFLOP/s measured)" if w.get("peak") and section == "kernels" else ""
            parts.append(f"### {section}, {w['threads']} thread{'s' if w['threads'] > 1 else ''}{peak}\n\n"
                         + section_table(rows, w.get("peak")))
    scaling = thread_scaling(workers)
    if scaling:
        parts.append("### autograd_lite at more threads against 1 thread (set_num_threads(1), timed in the same "
                     f"process, interleaved; > 1: faster; a case first measured more than {SCALING_NOISE:.0%} slower "
                     f"is timed again, n against 1 alone, {CONFIRM}x as long)\n\n" + scaling_table(scaling))
    if startup:
        parts.append("### start-up: a fresh process imports the library and runs one training step of the "
                     "seed MLP\n\n" + startup_table(startup))
    busy = f", {args.background_load} busy" if args.background_load else ""
    parts.append(f"### goals (issues 5, 15, 16 and 17{busy})\n\n" + goals_table(goals(workers, startup)))
    return "\n\n".join(parts) + "\n"


def write_markdown(text):
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"{BEGIN}\n## Summary: benchmarks/run.py\n\n{text}{END}"
    if BEGIN in old:
        new = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        head, _, rest = old.partition("\n")
        new = f"{head}\n\n{block}\n{rest}"
    RESULTS.write_text(new)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1", help="comma-separated thread counts (default 1)")
    ap.add_argument("--quick", action="store_true", help="fewer sizes and rounds")
    ap.add_argument("--markdown", action="store_true", help="rewrite the summary in benchmarks/RESULTS.md")
    ap.add_argument("--peak", type=float, help="the machine's float32 peak in GFLOP/s (default: measured)")
    ap.add_argument("--sections", default=",".join(SECTIONS), help=f"subset of {','.join(SECTIONS)}")
    ap.add_argument("--background-load", type=int, default=0, metavar="N",
                    help="run N busy processes while measuring, as on a machine shared with other work (default 0)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)     # a worker writes its rows to this JSON file
    args = ap.parse_args()
    args.sections = [s for s in args.sections.split(",") if s]
    unknown = set(args.sections) - set(SECTIONS) - {"distributed"}       # distributed: only when asked
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    if args.worker:
        args.threads = int(args.threads)
        return worker(args)
    if "distributed" in args.sections:      # processes of its own (mpiexec): a table of its own
        import cases_distributed
        print(cases_distributed.report(quick=args.quick))
        args.sections.remove("distributed")
        if not args.sections:
            return
    load = background_load(args.background_load)
    try:
        workers = [run_worker(int(t), args) for t in args.threads.split(",")]
        startup = None
        if "startup" in args.sections:
            import startup as startup_module
            startup = startup_module.measure(quick=args.quick)
    finally:
        for p in load:
            p.terminate()
            p.wait()
    text = report(args, workers, startup)
    print(text)
    if args.markdown:
        write_markdown(text)
        print(f"(written to {RESULTS})")


if __name__ == "__main__":
    main()
