"""Shared test setup: a fixed seed per test, and the path to the real data sets."""
import os
import pathlib

import numpy as np
import pytest

import autograd_lite as al

DATA_DIR = pathlib.Path(os.environ.get("AUTOGRAD_LITE_DATA",
                                       pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _seed():
    al.manual_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture
def data_dir():
    if not DATA_DIR.exists():
        pytest.skip(f"data sets not found at {DATA_DIR}")
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
