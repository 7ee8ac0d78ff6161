"""Shared test setup: a fixed seed per test, the real data sets, the devices, and the line at the end of a run that
says what was skipped, why, and how to run it.

The tests that read real data (`data_dir`) find it through the AUTOGRAD_LITE_DATA environment variable, as the
example does: a folder holding mnist/ and fashion-mnist/, the four IDX .gz files of each. Without the variable they
look in ../shared/data beside this checkout; they skip when the folder lacks either."""
import collections
import os
import pathlib
import re

import numpy as np
import pytest

import autograd_lite as al

DATA_DIR = pathlib.Path(os.environ.get("AUTOGRAD_LITE_DATA")
                        or pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data")
DATA_SETS = ("mnist", "fashion-mnist")


@pytest.fixture(autouse=True)
def _seed():
    al.manual_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture
def data_dir():
    if not all((DATA_DIR / name).is_dir() for name in DATA_SETS):
        pytest.skip(f"data sets not found at {DATA_DIR}: set AUTOGRAD_LITE_DATA=DIR, a folder with mnist/ and "
                    "fashion-mnist/")
    return DATA_DIR


def _cuda_reason():
    return None if al.cuda.is_available() else al.cuda.unavailable_reason()


def pytest_runtest_setup(item):
    """Tests marked `cuda` need a usable GPU: skipped without one, failed with AUTOGRAD_LITE_REQUIRE_GPU=1."""
    if item.get_closest_marker("cuda") is not None:
        reason = _cuda_reason()
        if reason is not None:
            if os.environ.get("AUTOGRAD_LITE_REQUIRE_GPU") == "1":
                pytest.fail(f"AUTOGRAD_LITE_REQUIRE_GPU=1 but CUDA is not available: {reason}", pytrace=False)
            pytest.skip(f"CUDA not available: {reason}")


# Under pytest-xdist (the README's `pytest -n auto --dist loadgroup`) the tests of one group run in one worker, one
# after another: these files create POSIX shared-memory blocks or check that none is left in /dev/shm, which a test in
# another worker would disturb; the mpiexec tests start as many ranks as there are cores.
XDIST_GROUPS = {"shared_memory": ("test_data.py", "test_dataloader_workers.py", "test_multiprocessing.py",
                                  "test_lazy_modules.py", "test_small_gaps_2.py"),
                "mpiexec": ("test_distributed.py",)}


def pytest_collection_modifyitems(config, items):
    group_of = {name: group for group, names in XDIST_GROUPS.items() for name in names}
    for item in items:
        group = group_of.get(item.path.name)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


_CUDA = pytest.param("cuda", marks=pytest.mark.cuda)


def _on(name):
    """Yields the device name; for 'cuda-standin', with the stand-in installed as 'cuda' for the test."""
    if name != "cuda-standin":
        yield name
        return
    if al.cuda.is_available():
        pytest.skip("a real GPU is usable: the stand-in device is not needed")
    import fake_cuda as fake
    remove = fake.install()
    yield "cuda"
    remove()


@pytest.fixture(params=["cpu", "cuda-standin", _CUDA])
def device(request):
    """Each device a test runs on: the CPU, the stand-in CUDA device of tests/fake_cuda.py (the device plumbing on
    machines without a GPU; skipped where a real GPU is usable), and the GPU (marked cuda)."""
    yield from _on(request.param)


@pytest.fixture(params=["cuda-standin", _CUDA])
def gpu(request):
    """The `device` fixture without the CPU: for tests of moving between devices."""
    yield from _on(request.param)


@pytest.fixture
def fake_cuda():
    """A stand-in 'cuda' device for this test (tests/fake_cuda.py): the device plumbing without a GPU."""
    import fake_cuda as fake
    remove = fake.install()
    yield al.device("cuda")
    remove()


# ---- the last line before pytest's counts: the skips, grouped -------------------------------------------------
_TEST_EXTRA = {"torch", "PIL", "matplotlib", "h5py", "hypothesis", "pytest_benchmark", "tbb", "tensorboardX"}
_WHAT = {"torch": "PyTorch parity"}
_REASONS = 3           # reasons named per group, the most frequent first: the line stays one line


def _skip_group(reason):
    """(what was skipped, why and how to run it) for one skip's reason."""
    if reason.startswith("CUDA not available: "):
        why = reason.removeprefix("CUDA not available: ").split("; ")[0]     # the cause, without the advice
        return "CUDA", f"no usable GPU: {why}; on a GPU machine with CuPy, see README 'On the GPU'"
    if reason.startswith("data sets not found at "):
        return "data", reason
    missing = re.match(r"could not import '([\w.]+)': (.*)", reason)
    if missing:
        name = missing.group(1)
        top = name.split(".")[0]
        how = "pip install -e '.[test]'" if top in _TEST_EXTRA else f"pip install {top}"
        why = "not installed" if missing.group(2).startswith("No module named") else missing.group(2)
        return _WHAT.get(name, name), f"{name} {why}: {how}"
    return "other", reason


def skip_summary(skips):
    """One line from (reason, whole_file) pairs: each group's count, why, and how to run it; '' without skips.
    A module that skips at import counts as a file: how many tests it holds is unknown."""
    groups = collections.defaultdict(lambda: [0, 0, collections.Counter()])    # tests, files, reasons
    for reason, whole_file in skips:
        what, why = _skip_group(reason)
        group = groups[what]
        group[1 if whole_file else 0] += 1
        group[2][why] += 1
    parts = []
    order = {"CUDA": 0, "data": 1, _WHAT["torch"]: 2, "other": 4}
    for what, (tests, files, whys) in sorted(groups.items(), key=lambda g: (order.get(g[0], 3), g[0])):
        count = " + ".join(f"{n} {unit}{'s' * (n != 1)}" for n, unit in ((tests, "test"), (files, "file")) if n)
        shown = [w if n == tests + files else f"{n}: {w}" for w, n in whys.most_common(_REASONS)]
        if len(whys) > _REASONS:
            more = len(whys) - _REASONS
            shown.append(f"{more} more reason{'s' if more > 1 else ''}: pytest -rs lists them")
        parts.append(f"{what}: {count} ({'; '.join(shown)})")
    return "skipped: " + ", ".join(parts) if parts else ""


def _reason(report):
    text = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return text.removeprefix("Skipped: ")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter):
    """Outermost, so the line comes after pytest's own summary sections, just above the counts."""
    yield
    skips = [(_reason(r), r.when == "collect") for r in terminalreporter.stats.get("skipped", [])]
    line = skip_summary(skips)
    if line:
        terminalreporter.write_line(line, yellow=True)
