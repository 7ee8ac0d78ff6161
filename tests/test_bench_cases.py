"""Every case benchmarks/run.py times builds and runs: each implementation's step once, at the quick sizes (a
broken case would otherwise surface only when someone runs the benchmarks). Nothing is timed."""
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))
import cases_conv  # noqa: E402
import cases_kernels  # noqa: E402
import cases_overhead  # noqa: E402
import cases_sequence  # noqa: E402
import cases_training  # noqa: E402

CASES = [c for m in (cases_kernels, cases_training, cases_overhead, cases_conv, cases_sequence)
         for c in m.cases(quick=True)
         if not c.size.startswith("1M")]          # one size per kernel is enough to build and run it


@pytest.mark.parametrize("case", CASES, ids=[f"{c.section}-{c.name}-{c.size}" for c in CASES])
def test_every_implementation_runs(case):
    ran = []
    for name, factory in case.impls.items():
        try:
            step = factory()
        except ImportError:                          # torch absent: the harness leaves it out too
            continue
        step()
        ran.append(name)
    assert "autograd_lite" in ran and len(ran) >= 2, ran


@pytest.mark.parametrize("name,shape", [("mnist_cnn", (2, 1, 28, 28)), ("densenet121", (1, 3, 64, 64))])
def test_conv_models_compute_what_torchs_compute(name, shape):
    """The conv section's claim that both libraries run one network: the same weights give the same outputs."""
    torch = pytest.importorskip("torch")
    x = cases_conv.batches(shape, n=1)[0][0]
    outs = []
    for lib_name in ("autograd_lite", "torch"):
        lib, model = cases_conv.model(lib_name, name)
        model.eval()
        with lib.no_grad():
            outs.append(model(lib.from_numpy(x.copy())).numpy())
    assert outs[0].shape == outs[1].shape == (shape[0], 10 if name == "mnist_cnn" else 1000)
    assert abs(outs[0] - outs[1]).max() <= 1e-4 * max(1.0, abs(outs[1]).max()), torch.__version__


@pytest.mark.parametrize("name", ["LSTM", "GRU", "Transformer", "mnist_rnn"])
def test_sequence_models_compute_what_torchs_compute(name):
    """The sequence section's claim: the weights copied from torch give torch's outputs (eval: no dropout)."""
    pytest.importorskip("torch")
    outs = []
    for lib_name in ("autograd_lite", "torch"):
        lib, model = cases_sequence.model(lib_name, name)
        model.eval()
        with lib.no_grad():
            if name == "mnist_rnn":
                out = model(lib.from_numpy(cases_sequence.image_batches(8, n=1)[0][0].copy()))
            else:
                x = lib.from_numpy(cases_sequence.token_batches(n=1)[0][0].copy())
                second = (lib.nn.Transformer.generate_square_subsequent_mask(x.shape[0]) if name == "Transformer"
                          else lib.zeros(cases_sequence.LAYERS, x.shape[1], cases_sequence.HID))
                if name == "LSTM":
                    second = (second, second)
                out = model(x, second)
                out = out[0] if isinstance(out, tuple) else out
        outs.append(out.numpy())
    assert outs[0].shape == outs[1].shape and outs[0].shape[1] in (10, cases_sequence.VOCAB)
    assert abs(outs[0] - outs[1]).max() <= 1e-4 * max(1.0, abs(outs[1]).max())


@pytest.mark.skipif(not pathlib.Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc")
def test_conv_memory_script_reports_both_libraries():
    import subprocess
    pytest.importorskip("torch")
    script = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "conv_memory.py"
    out = subprocess.run([sys.executable, str(script), "--batch", "4", "--steps", "1"], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = [line.split("|")[1:-1] for line in out.stdout.splitlines()[2:]]
    assert [r[0].strip() for r in rows] == ["autograd_lite", "torch"], out.stdout
    for r in rows:
        before, peak, own = (float(c) for c in r[1:])
        assert 0 < before <= peak and own >= 0
