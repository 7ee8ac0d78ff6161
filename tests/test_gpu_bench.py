"""benchmarks/gpu_bench.py and benchmarks/gpu_check.sh without a GPU: the arithmetic, the arguments, the tables and
goals, the timing loop on stand-in steps, every section run end to end on a NumPy stand-in for CuPy (the CPU kernel
table has the CUDA table's names and signatures; torch on the CPU), the needs-a-GPU exits, and the shell script's
syntax and time budget."""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest
from script_loader import load_script

ROOT = pathlib.Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "gpu_bench.py"
CHECK = ROOT / "benchmarks" / "gpu_check.sh"


@pytest.fixture(scope="module")
def gb():
    return load_script(BENCH, "gpu_bench")


# ---- arithmetic ---------------------------------------------------------------------------------------------
def test_rates(gb):
    assert gb.rate(8e9, 1.0, "GB/s") == 8.0
    assert gb.rate(gb.matmul_flops(4096, 4096, 4096), 0.002, "TFLOP/s") == pytest.approx(68.72, rel=1e-3)
    assert gb.rate(64, 0.001, "samples/s") == 64000
    assert gb.rate(1.0, None, "GB/s") is None and gb.rate(1.0, 0.0, "GB/s") is None
    assert gb.copy_bytes(1 << 24) == 2 * 4 * (1 << 24)


def test_row_rates_and_ratios(gb):
    row = gb.Row("elementwise", "relu backward", "1M", "GB/s", 12e6,
                 {gb.OURS: 1e-3, gb.COPY: 2e-3, gb.TORCH: 4e-3}, works={gb.COPY: 8e6})
    assert row.rate(gb.OURS) == pytest.approx(12.0)
    assert row.rate(gb.COPY) == pytest.approx(4.0)              # the copy counts its own bytes
    assert row.ratio(gb.COPY) == pytest.approx(3.0)
    assert row.ratio(gb.TORCH) == pytest.approx(4.0)            # same work: torch's time over ours
    assert row.micros(gb.OURS) == pytest.approx(1000.0)
    assert row.rate(gb.CUPY) is None and row.ratio(gb.CUPY) is None and row.micros(gb.CUPY) is None
    del row.times[gb.OURS]
    assert row.ratio(gb.TORCH) is None


def test_bytes_cover_every_case_and_cuda_versions(gb):
    assert set(gb.BYTES) >= {"relu forward", "adam update", "cross_entropy fwd+bwd", "dropout forward + draw"}
    assert gb.BYTES["adam update"] == 28 and gb.BYTES["dropout forward"] == 11
    assert gb.cuda_version(13000) == "13.0" and gb.cuda_version(12040) == "12.4"


def test_needs_gpu_message_is_one_line(gb):
    msg = gb.needs_gpu_message("no driver\n  (cudaErrorNoDevice)")
    assert "\n" not in msg and msg.endswith("no driver (cudaErrorNoDevice)")
    assert "needs a usable CUDA GPU" in msg and "unavailable_reason()" in msg


# ---- arguments ----------------------------------------------------------------------------------------------
def test_parse_args(gb):
    a = gb.parse_args([])
    assert (a.quick, a.out, a.require_gpu, a.sections) == (False, None, False, list(gb.SECTIONS))
    a = gb.parse_args(["--quick", "--out", "r.md", "--require-gpu", "--sections", "matmul,training"])
    assert (a.quick, a.out, a.require_gpu, a.sections) == (True, "r.md", True, ["matmul", "training"])
    with pytest.raises(SystemExit) as e:
        gb.parse_args(["--sections", "matmul,kernels"])
    assert e.value.code == 2


# ---- tables, goals, the report ------------------------------------------------------------------------------
def test_section_table(gb):
    rows = [gb.Row("elementwise", "relu forward", "16M", "GB/s", 8 * 2 ** 24,
                   {gb.OURS: 40e-6, gb.COPY: 36e-6, gb.TORCH: 44e-6}, works={gb.COPY: 8 * 2 ** 24}),
            gb.Row("elementwise", "adam update", "16M", "GB/s", 28 * 2 ** 24, {gb.OURS: 1e-4},
                   errors={gb.TORCH: "RuntimeError: boom"})]
    lines = gb.section_table(rows, *gb.COLUMNS["elementwise"]).splitlines()
    assert lines[0] == ("| case | size | unit | autograd_lite | copy | torch | ours us | torch us | ours/copy "
                        "| ours/torch |")
    assert lines[2] == "| relu forward | 16M | GB/s | 3,355 | 3,728 | 3,050 | 40.0 | 44.0 | 0.90 | 1.10 |"
    assert lines[3].startswith("| adam update | 16M | GB/s | 4,698 | - | - | 100.0 | - | - | - |")
    assert lines[-2:] == ["Not timed:", "- adam update [16M], torch: RuntimeError: boom"]


def test_goals(gb):
    n = 2 ** 24
    rows = [gb.Row("training", gb.TRAIN_STEP, "batch 4096", "samples/s", 4096, {gb.OURS: 1e-3, gb.TORCH: 1.2e-3}),
            gb.Row("training", gb.TRAIN_STEP, "batch 64", "samples/s", 64, {gb.OURS: 1e-3, gb.TORCH: 0.7e-3}),
            gb.Row("training", gb.TRAIN_PIPELINED, "batch 64", "samples/s", 64, {gb.OURS: 1e-3, gb.TORCH: 1e-4}),
            gb.Row("elementwise", "relu forward", "16M", "GB/s", 8 * n, {gb.OURS: 1e-4, gb.COPY: 0.8e-4},
                   works={gb.COPY: 8 * n}),
            gb.Row("elementwise", "tanh forward", "16M", "GB/s", 8 * n, {gb.OURS: 1e-4, gb.COPY: 0.5e-4},
                   works={gb.COPY: 8 * n}),
            gb.Row("elementwise", "relu forward", "1M", "GB/s", 8 * n, {gb.OURS: 1e-4, gb.COPY: 0.1e-4}),
            gb.Row("elementwise", "dropout forward + draw", "16M", "GB/s", 9 * n, {gb.OURS: 1e-3, gb.COPY: 1e-4}),
            gb.Row("elementwise", "adam update", "16M", "GB/s", 28 * n, {}, errors={gb.OURS: "TypeError: x"})]
    checks = [(64, [2.3, 2.2], [2.3002, 2.2]), (4096, [2.3, 2.2], [2.31, 2.2])]
    got = {g: (m, ok) for g, m, ok in gb.goals(rows, checks)}
    assert got["seed MLP training step, batch 4096: >= 1.0x torch"] == ("1.20x", True)
    assert got["seed MLP training step, batch 64: >= 0.8x torch"] == ("0.70x", False)
    assert got["batch 64: the first 2 losses agree with torch's within 0.001"] == ("2.0e-04", True)
    assert got["batch 4096: the first 2 losses agree with torch's within 0.001"][1] is False
    assert got["relu forward [16M]: >= 0.7x copy bandwidth"] == ("0.80x", True)
    assert got["tanh forward [16M]: >= 0.7x copy bandwidth"] == ("0.50x", False)
    assert got["adam update [16M]: >= 0.7x copy bandwidth"] == ("-", None)
    assert len(got) == 7                       # not the 1M size, the pipelined step, nor dropout + draw
    table = gb.goals_table(gb.goals(rows, checks)).splitlines()
    assert table[:2] == ["| goal | measured | met |", "|---|--:|---|"]
    assert "| 1.20x | yes |" in table[2] and "| 0.70x | **no** |" in table[3] and table[-1].endswith("| - | - |")


def test_report_has_every_part_and_the_summary_last(gb):
    res = gb.Results(rows=[gb.Row("elementwise", "relu forward", "16M", "GB/s", 8e6, {gb.OURS: 1e-4, gb.COPY: 1e-4}),
                           gb.Row("matmul", "matmul", "4096x784 @ 784x128", "TFLOP/s",
                                  gb.matmul_flops(4096, 784, 128), {gb.OURS: 1e-4, gb.CUPY: 1e-4})],
                     checks=[(64, [2.3], [2.3])], notes={"matmul": ["CUPY_TF32=unset"]})
    text = gb.report("NVIDIA H200 (140 GiB)", "python benchmarks/gpu_bench.py --quick", res, date="2026-01-02")
    assert text.startswith("# GPU benchmarks: benchmarks/gpu_bench.py\n\nMeasured 2026-01-02 on NVIDIA H200")
    assert "Command: `python benchmarks/gpu_bench.py --quick`." in text
    order = [text.index(h) for h in ("## elementwise", "## matmul", "## training losses", gb.SUMMARY_HEAD)]
    assert order == sorted(order) and "## rows" not in text and "## training\n" not in text
    assert "- CUPY_TF32=unset" in text and "| matmul | 4096x784 @ 784x128 | TFLOP/s | 8.22 | 8.22 |" in text
    assert text.rstrip().endswith(gb.goals_table(gb.goals(res.rows, res.checks)))


def test_write_out_makes_the_folder(gb, tmp_path):
    gb.write_out(tmp_path / "a" / "r.md", "x\n")
    assert (tmp_path / "a" / "r.md").read_text() == "x\n"


# ---- timing, on stand-in steps ------------------------------------------------------------------------------
def test_measure_reports_medians_and_errors(gb):
    calls, syncs = {"a": 0, "b": 0}, []

    def counting(name):
        def step():
            calls[name] += 1
        return lambda: step

    def broken():
        raise RuntimeError("no kernel")

    def fails_later():
        n = [0]

        def step():
            n[0] += 1
            if n[0] > 3:
                raise ValueError("late")
        return step

    times, errors = gb.measure({"a": counting("a"), "b": counting("b"), "c": broken, "d": fails_later},
                               lambda: syncs.append(1), rounds=4, number=5, warmup=2)
    assert set(times) == {"a", "b"} and all(t > 0 for t in times.values())
    assert calls == {"a": 2 + 4 * 5, "b": 2 + 4 * 5}           # warm-up, then 4 blocks of 5 calls
    assert errors == {"c": "RuntimeError: no kernel", "d": "ValueError: late"}
    assert len(syncs) >= 2 * 4 * 2                             # every block synchronised at both ends


# ---- every section end to end, on a NumPy stand-in for CuPy ------------------------------------------------
def numpy_as_cupy():
    """The parts of CuPy that gpu_bench uses, on NumPy."""
    return types.SimpleNamespace(
        float32=np.float32, ones=np.ones, full=np.full, empty_like=np.empty_like, copyto=np.copyto,
        asarray=np.asarray, asnumpy=np.asarray, matmul=np.matmul,
        random=types.SimpleNamespace(RandomState=np.random.default_rng))


def test_every_section_runs_on_a_stand_in(gb, monkeypatch, fake_cuda, capsys):
    torch = pytest.importorskip("torch")
    from autograd_lite.kernels import cpu
    for name, value in {"SIZES": {"1M": 256, "16M": 1024}, "ROW_SHAPES": ((8, 10), (4, 64)),
                        "MATMULS": ((16, 8, 4),), "BATCHES": (8, 16), "TRAIN_STEPS": {8: 4, 16: 4},
                        "TRAINING_GOALS": {16: 0.0, 8: 0.0}, "CNN_BATCHES": (4,), "DENSENET": (1, 32),
                        "TRANSFER_BATCH": 2,
                        "CONV_SHAPE": (1, 4, 6, 6, 3)}.items():
        monkeypatch.setattr(gb, name, value)
    ctx = gb.context(numpy_as_cupy(), cpu, torch, lambda: None, quick=True, device=str(fake_cuda),
                     torch_device="cpu")
    ctx.rounds, ctx.target_s = 1, 1e-4
    res = gb.Results()
    for run in gb.RUNNERS.values():
        run(ctx, res)
    assert [r for r in res.rows if r.errors] == []
    for r in res.rows:
        assert set(r.times) == set(gb.COLUMNS[r.section][0]), (r.name, r.size)
    sections = [r.section for r in res.rows]
    assert sections.count("elementwise") == 11 * 2 and sections.count("rows") == 5 * 2
    assert sections.count("matmul") == 2 and sections.count("training") == 4 and sections.count("conv") == 4
    assert [c[0] for c in res.checks] == [8, 16]
    for batch, ours, theirs in res.checks:         # same weights, same batches: the same losses
        assert len(ours) == gb.LOSS_STEPS and gb.loss_check(batch, ours, theirs)[1] < 1e-4
    goals = gb.goals(res.rows, res.checks)
    assert sum(g.startswith("seed MLP") for g, _, _ in goals) == 2
    assert [g for g, _, _ in goals if "torch" in g and ("CNN" in g or "DenseNet" in g)] == [
        "MNIST CNN training step [batch 4]: >= 1.0x torch", "DenseNet-121 forward, eval [batch 1, 32x32]: >= 1.0x torch",
        "DenseNet-121 transfer-learning step [batch 2, features frozen]: >= 1.0x torch"]
    text = gb.report("stand-in", "test", res)
    assert all(f"## {s}\n" in text for s in gb.SECTIONS) and "torch's optimizers ran as optim." in text
    out = capsys.readouterr().out
    assert "  elementwise: relu forward [1M] GB/s: autograd_lite" in out and "max |diff|" in out


def test_main_on_a_stand_in_gpu_without_torch(gb, monkeypatch, fake_cuda, tmp_path, capsys):
    """main() as on the GPU machine, CuPy and the CUDA table replaced by stand-ins and torch hidden: every section
    runs, --out is written, the summary comes last."""
    import autograd_lite as al
    from autograd_lite.kernels import cpu
    runtime = types.SimpleNamespace(deviceSynchronize=lambda: None, runtimeGetVersion=lambda: 13000,
                                    driverGetVersion=lambda: 13000,
                                    getDeviceProperties=lambda i: {"name": b"Stand-in GPU", "totalGlobalMem": 2 ** 34})
    cupy = numpy_as_cupy()
    cupy.cuda, cupy.__version__ = types.SimpleNamespace(runtime=runtime), "0.stand-in"
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "autograd_lite.kernels.cuda.table", cpu)
    monkeypatch.setitem(sys.modules, "torch", None)                 # import torch raises ImportError
    monkeypatch.setattr(al.cuda, "is_available", lambda: True)
    for name, value in {"SIZES": {"1M": 64, "16M": 128}, "ROW_SHAPES": ((4, 10),), "MATMULS": ((8, 4, 2),),
                        "BATCHES": (8,), "TRAIN_STEPS": {8: 4}, "CNN_BATCHES": (2,), "DENSENET": (1, 32),
                        "CONV_SHAPE": (1, 2, 5, 5, 2)}.items():
        monkeypatch.setattr(gb, name, value)
    out = tmp_path / "r" / "gpu_bench.md"
    assert gb.main(["--quick", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert stdout.startswith("Stand-in GPU (16 GiB), CUDA runtime 13.0, driver 13.0; CuPy 0.stand-in, PyTorch not "
                             "available")
    summary = stdout[stdout.index(gb.SUMMARY_HEAD):]
    assert "seed MLP" not in summary                   # batches 64 and 4096 not run, no loss check without torch
    assert summary.splitlines()[-1].startswith("| adam update [16M]: >= 0.7x copy bandwidth |")
    text = out.read_text()
    assert text.endswith(summary) and "python benchmarks/gpu_bench.py --quick --out" in text
    assert "| seed MLP step, loss.item() every step | batch 8 | samples/s |" in text
    assert "## training losses" not in text
    assert "| DenseNet-121 forward, eval | batch 1, 32x32 | samples/s |" in text


# ---- the scripts ----------------------------------------------------------------------------------------------
def _bench(*args):
    env = {"AUTOGRAD_LITE_DISABLE_CUDA": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)


def test_bench_without_gpu_exits_0_with_one_line():
    out = _bench("--quick")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("\n") == 1 and "needs a usable CUDA GPU" in out.stdout
    assert "disabled by AUTOGRAD_LITE_DISABLE_CUDA" in out.stdout


def test_bench_without_gpu_fails_when_required():
    out = _bench("--require-gpu")
    assert out.returncode == 1 and "needs a usable CUDA GPU" in out.stderr and out.stdout == ""


def test_bench_rejects_unknown_sections():
    out = _bench("--sections", "nope")
    assert out.returncode == 2 and "unknown sections" in out.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_check_script_parses():
    out = subprocess.run(["bash", "-n", str(CHECK)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_check_script_passes_shellcheck():
    out = subprocess.run(["shellcheck", str(CHECK)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout


def test_check_script_fits_in_eight_minutes_and_finds_the_summary(gb):
    text = CHECK.read_text()
    limits = dict(re.findall(r"\b(T_[A-Z]+)=(\d+)", text))
    assert set(limits) == {"T_PROBE", "T_INSTALL", "T_TESTS", "T_BENCH", "T_MNIST", "T_CNN"}
    grace = int(re.search(r"timeout -k (\d+)", text).group(1))
    assert sum(map(int, limits.values())) + grace * len(limits) < 8 * 60
    assert f"/^{gb.SUMMARY_HEAD}/" in text              # the script cuts the bench's summary at this heading


# ---- gpu_check.sh: without a GPU, one line at once; past the probe, the stages as before ----------------------------
def _check(tmp_path, python=sys.executable, **env):
    """gpu_check.sh copied into an otherwise empty tree (its ROOT; this checkout's autograd_lite on PYTHONPATH), run
    from elsewhere: the run, and the tree's files before and after."""
    tree, tmp = tmp_path / "tree", tmp_path / "tmp"
    (tree / "benchmarks").mkdir(parents=True)
    tmp.mkdir()
    shutil.copy(CHECK, tree / "benchmarks")
    before = sorted(tree.rglob("*"))
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TMPDIR": str(tmp), "PYTHON": str(python),
           "PYTHONPATH": str(ROOT), **env}
    out = subprocess.run(["bash", str(tree / "benchmarks" / "gpu_check.sh")], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=120)
    return out, before, sorted(tree.rglob("*"))


def _stand_in_python(tmp_path, body):
    path = tmp_path / "python"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_check_script_without_gpu_stops_at_once_and_writes_nothing(tmp_path):
    out, before, after = _check(tmp_path, AUTOGRAD_LITE_DISABLE_CUDA="1")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == ("gpu_check.sh: no usable CUDA GPU, nothing run: the CUDA backend is disabled by "
                          "AUTOGRAD_LITE_DISABLE_CUDA\n")
    assert after == before and list((tmp_path / "tmp").iterdir()) == []      # no results, no logs, no bytecode


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_check_script_stops_when_the_probe_fails(tmp_path):
    python = _stand_in_python(tmp_path, "echo 'ModuleNotFoundError: No module named numba' >&2; exit 1")
    out, before, after = _check(tmp_path, python, OUT=str(tmp_path / "out"))
    assert out.returncode == 2 and out.stdout == "" and after == before and not (tmp_path / "out").exists()
    assert out.stderr == (f"gpu_check.sh: the CUDA probe failed ({python}, exit status 1), nothing run: "
                          "ModuleNotFoundError: No module named numba\n")


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_check_script_goes_on_past_a_probe_that_finds_a_gpu(tmp_path):
    """A stand-in interpreter whose probe says "available" and whose every other run succeeds silently: every
    stage runs, the results go to OUT and nowhere else."""
    python = _stand_in_python(tmp_path, 'case "$*" in *unavailable_reason*) echo available ;; esac')
    out, before, after = _check(tmp_path, python, OUT=str(tmp_path / "out"))
    assert out.returncode == 0, out.stderr
    assert "== (b) CUDA tests" in out.stdout and "== (c) benchmarks/gpu_bench.py" in out.stdout
    not_run = "not run: no data folder given (first argument or AUTOGRAD_LITE_DATA) |"
    assert out.stdout.rstrip().endswith(f"| MNIST, 3 epochs, cuda | {not_run}\n| MNIST CNN, 1 epoch, cuda | {not_run}")
    assert after == before
    results = (tmp_path / "out" / "gpu_results.md").read_text()
    assert "| CUDA tests (pytest -m cuda) | no summary line (ok) |" in results
