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
