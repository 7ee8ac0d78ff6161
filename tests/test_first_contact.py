"""A first contact that explains itself: the test extra brings the PyTorch reference, and a run ends with one line
that says what was skipped, why, and how to run it (tests/conftest.py's summary)."""
import os
import pathlib
import subprocess
import sys

import pytest
from script_loader import load_script

ROOT = pathlib.Path(__file__).resolve().parents[1]
CUDA_TEST = "tests/test_cuda.py::test_to_and_back[cuda]"                   # marked cuda
DATA_TEST = "tests/test_vision_datasets.py::test_real_mnist[False]"        # reads the real MNIST
TORCH_TEST = "tests/test_tensor.py::test_type_string_matches_torch"        # importorskip("torch") in the test
TORCH_FILE = "tests/test_ops_torch.py"                                     # importorskip("torch") at import
PLAIN_TEST = "tests/test_cuda.py::test_manual_seed_all_seeds_the_global_generator"


@pytest.fixture(scope="module")
def conftest():
    return load_script(ROOT / "tests" / "conftest.py", "tests_conftest")


def test_the_test_extra_brings_the_cpu_reference():
    tomllib = pytest.importorskip("tomllib")                   # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["reference"] == ["torch==2.13.0"]           # a range would take a multi-GB CUDA build
    assert "torch==2.13.0" in extras["test"]
    assert not any("torch" in r for name, rs in extras.items() if name not in ("test", "reference") for r in rs)


def test_ci_runs_the_readme_command_without_a_torch_of_its_own():
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]" && pytest' in ci
    assert not any("torch" in line for line in ci.splitlines() if "pip install" in line)


# ---- the summary line, from reasons ---------------------------------------------------------------------------
def test_summary_groups_counts_and_says_how(conftest):
    cuda = "CUDA not available: CuPy is not installed or failed to import (ModuleNotFoundError: No module named " \
           "'cupy'); install the extra that matches your CUDA: pip install 'autograd_lite[cuda12]'"
    data = "data sets not found at /x: set AUTOGRAD_LITE_DATA=DIR, a folder with mnist/ and fashion-mnist/"
    torch = "could not import 'torch': No module named 'torch'"
    skips = ([(cuda, False)] * 1480 + [(data, False)] * 12 + [(torch, False)] * 3 + [(torch, True)] * 9
             + [("could not import 'h5py': No module named 'h5py'", True), ("shellcheck not installed", False)])
    line = conftest.skip_summary(skips)
    assert line == (
        "skipped: CUDA: 1480 tests (no usable GPU: CuPy is not installed or failed to import (ModuleNotFoundError: "
        "No module named 'cupy'); on a GPU machine with CuPy, see README 'On the GPU'), "
        f"data: 12 tests ({data}), "
        "PyTorch parity: 3 tests + 9 files (torch not installed: pip install -e '.[test]'), "
        "h5py: 1 file (h5py not installed: pip install -e '.[test]'), "
        "other: 1 test (shellcheck not installed)")


def test_summary_names_a_few_reasons_and_counts_the_rest(conftest):
    skips = [(f"op{i} has no parallel path", False) for i in range(5)] + [("op0 has no parallel path", False)]
    line = conftest.skip_summary(skips)
    assert line == ("skipped: other: 6 tests (2: op0 has no parallel path; 1: op1 has no parallel path; "
                    "1: op2 has no parallel path; 2 more reasons: pytest -rs lists them)")
    assert conftest.skip_summary([]) == ""
    assert "keras not installed: pip install keras" in conftest.skip_summary(
        [("could not import 'keras': No module named 'keras'", False)])


# ---- the summary line, at the end of a run ----------------------------------------------------------------------
def _pytest(tmp_path, *args, **env):
    """pytest on a few tests in a subprocess: no GPU, and torch hidden (an import of it fails as when missing)."""
    hide = tmp_path / "no_torch" / "torch"
    hide.mkdir(parents=True, exist_ok=True)
    (hide / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
    env = {**os.environ, "AUTOGRAD_LITE_DISABLE_CUDA": "1", "PYTHONPATH": str(hide.parent),
           "PYTHONDONTWRITEBYTECODE": "1", **env}
    env.pop("AUTOGRAD_LITE_REQUIRE_GPU", None)
    out = subprocess.run([sys.executable, "-m", "pytest", "-o", "addopts=", "-q", "-p", "no:cacheprovider", *args],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.rstrip("\n").splitlines()


def test_a_run_ends_with_one_line_of_skips(tmp_path):
    missing = tmp_path / "data"
    (missing / "mnist").mkdir(parents=True)                 # fashion-mnist/ missing: the data tests skip
    lines = _pytest(tmp_path, CUDA_TEST, DATA_TEST, TORCH_TEST, TORCH_FILE, PLAIN_TEST,
                    AUTOGRAD_LITE_DATA=str(missing))
    assert lines[-1].startswith("1 passed, 4 skipped in ")
    assert [line for line in lines if line.startswith("skipped:")] == [lines[-2]]
    assert lines[-2] == (
        "skipped: CUDA: 1 test (no usable GPU: the CUDA backend is disabled by AUTOGRAD_LITE_DISABLE_CUDA; on a GPU "
        "machine with CuPy, see README 'On the GPU'), "
        f"data: 1 test (data sets not found at {missing}: set AUTOGRAD_LITE_DATA=DIR, a folder with mnist/ and "
        "fashion-mnist/), "
        "PyTorch parity: 1 test + 1 file (torch not installed: pip install -e '.[test]')")


def test_without_the_variable_the_data_is_looked_for_beside_the_checkout(tmp_path):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("AUTOGRAD_LITE_DATA", None)
    fallback = ROOT.parent / "shared" / "data"
    lines = subprocess.run([sys.executable, "-c", "import conftest; print(conftest.DATA_DIR)"], capture_output=True,
                           text=True, cwd=ROOT / "tests", env=env, timeout=120).stdout.splitlines()
    assert lines == [str(fallback)]
    lines = _pytest(tmp_path, PLAIN_TEST, DATA_TEST, AUTOGRAD_LITE_DATA="")     # empty: as if unset
    if all((fallback / name).is_dir() for name in ("mnist", "fashion-mnist")):
        assert lines[-1].startswith("2 passed in ") and not any(line.startswith("skipped:") for line in lines)
    else:
        assert lines[-2] == (f"skipped: data: 1 test (data sets not found at {fallback}: set AUTOGRAD_LITE_DATA="
                             "DIR, a folder with mnist/ and fashion-mnist/)")
