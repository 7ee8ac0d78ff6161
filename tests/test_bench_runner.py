"""benchmarks/run.py's report logic on synthetic measurements: speed-ups, the goals of issue 5, and the
summary block it rewrites in RESULTS.md (nothing is timed here)."""
import pathlib

import pytest
from script_loader import load_script

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run():
    return load_script(ROOT / "benchmarks" / "run.py", "bench_run")


def _row(section, name, size, unit, **rates):
    return {"section": section, "name": name, "size": size, "unit": unit, "note": "", "rates": rates}


WORKER = {"threads": 1, "peak": 100.0, "rows": [
    _row("training", "seed MLP 784-128-64-10, LogSoftmax + NLLLoss, Adam", "batch 64", "samples/s",
         autograd_lite=60000, torch=30000, numpy=66000),
    _row("training", "784-512-256-10 + Dropout(0.5), CrossEntropyLoss, Adam", "batch 256", "samples/s",
         autograd_lite=16000, torch=10000, numpy=15000),
    _row("overhead", "((a*b).sum()).backward()", "4 elements", "us", autograd_lite=20.0, torch=62.0),
    _row("kernels", "relu forward", "1M", "GB/s", autograd_lite=9.0, numpy=6.0, torch=8.0, memcpy=10.0),
    _row("kernels", "matmul (kernel)", "512x512 @ 512x512", "GFLOP/s", autograd_lite=50.0, numpy=55.0),
]}
STARTUP = [{"name": "autograd_lite, empty Numba cache", "wall_s": 5.0, "peak_mb": 170.0},
           {"name": "autograd_lite, warm Numba cache", "wall_s": 1.2, "peak_mb": 140.0},
           {"name": "torch", "wall_s": 4.5, "peak_mb": 300.0}]


def test_speedup_reads_time_and_rate_units(run):
    rows = WORKER["rows"]
    assert run.speedup(rows[0], "torch") == pytest.approx(2.0)
    assert run.speedup(rows[2], "torch") == pytest.approx(3.1)      # us: their time over ours
    assert run.speedup(rows[3], "memcpy") == pytest.approx(0.9)
    assert run.speedup(rows[4], "torch") is None


def test_goals(run):
    met = {goal: ok for goal, _, ok in run.goals([WORKER], STARTUP)}
    assert met["1 thr: seed MLP training >= 1.5x torch"] is True
    assert met["1 thr: seed MLP training >= 1.0x numpy"] is False
    assert met["1 thr: 784-512-256-10 + Dropout, batch 256, Adam >= 1.5x torch"] is True
    overhead = next(g for g in met if "overhead" in g)
    assert "<= 20.0 us here" in overhead and met[overhead] is True          # 10/31 of torch's 62 us
    assert met["1 thr: relu forward at 1M >= 0.8x memcpy"] is True
    assert met["1 thr: relu forward [1M] >= the faster of NumPy and torch"] is True
    assert met["1 thr: matmul (kernel) [512x512 @ 512x512] >= 0.95x NumPy"] is False
    assert met["start-up, empty cache <= 8 s"] is True
    assert met["start-up, warm cache <= 1.0 s where torch takes 3.0 s, i.e. <= 1.50 s here"] is True


def test_markdown_block_is_replaced_not_appended(run, tmp_path, monkeypatch):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Older section\nkept\n")
    monkeypatch.setattr(run, "RESULTS", results)
    run.write_markdown("first\n")
    run.write_markdown("second\n")
    text = results.read_text()
    assert text.count(run.BEGIN) == 1 and "second" in text and "first" not in text
    assert text.startswith("# Benchmark results") and text.endswith("## Older section\nkept\n")


def test_bytecodes_counts_each_phase(capsys):
    """benchmarks/bytecodes.py: a table with every phase of the step, and counts that add up."""
    module = load_script(ROOT / "benchmarks" / "bytecodes.py", "bench_bytecodes")
    _, counts = module.count(lambda: sum(i for i in range(10)))
    assert sum(counts.values()) > 10
    module.main([])
    rows = dict(line.strip("|").split(" | ") for line in capsys.readouterr().out.splitlines()[2:])
    phases = ["zero_grad", "forward", "loss", "backward", "optimizer step", "loss.item()"]
    values = {k.strip(): int(v.strip().replace(",", "")) for k, v in rows.items()}
    assert set(phases) < set(values) and all(values[p] > 0 for p in phases[1:5])
    assert values["autograd_lite step"] == sum(values[p] for p in phases)
    assert values["numpy_mlp step"] > 0


def test_worker_env_sets_the_thread_counts_and_nothing_else(run):
    one, two = run.worker_env(1, {"PATH": "/bin"}), run.worker_env(2, {"PATH": "/bin"})
    assert all(one[v] == "1" and two[v] == "2" for v in run.THREAD_VARS)
    assert set(two) == {"PATH", *run.THREAD_VARS}       # the library's own thread policy is what is measured


def test_thread_scaling_reads_the_interleaved_one_thread_rate(run):
    two = {"threads": 2, "peak": None, "rows": [
        _row("training", "seed MLP", "batch 64", "samples/s", **{"autograd_lite": 120.0, run.OURS_1: 100.0}),
        _row("overhead", "tiny graph", "4 elements", "us", **{"autograd_lite": 11.0, run.OURS_1: 10.0}),
        _row("kernels", "relu forward", "1M", "GB/s", autograd_lite=9.0),           # no 1-thread rate: left out
        dict(_row("kernels", "sgd", "64K", "GB/s", **{"autograd_lite": 5.0, run.OURS_1: 10.0}),
             scaling={"autograd_lite": 10.5, run.OURS_1: 10.0})]}                   # timed again: that counts
    scaling = run.thread_scaling([WORKER, two])
    assert [(r["name"], n, gain) for r, n, _, _, gain in scaling] == [
        ("seed MLP", 2, pytest.approx(1.2)), ("tiny graph", 2, pytest.approx(10 / 11)), ("sgd", 2, pytest.approx(1.05))]
    met = {goal: (measured, ok) for goal, measured, ok in run.goals([two], None)}
    slower = next(g for g in met if g.startswith("no case slower"))
    assert "tiny graph" in slower and met[slower] == ("0.91x", False)
    table = run.scaling_table(scaling)
    assert "| tiny graph | 4 elements | us | 10.0 | 11.0 | 2 | 0.91x |" in table
    assert "| sgd (timed again) | 64K | GB/s | 10.0 | 10.5 | 2 | 1.05x |" in table


def test_background_load_runs_busy_processes_until_stopped(run):
    load = run.background_load(2)
    try:
        assert len(load) == 2 and all(p.poll() is None for p in load)
    finally:
        for p in load:
            p.terminate()
            p.wait()
    assert all(p.returncode is not None for p in load)
    assert run.background_load(0) == []
