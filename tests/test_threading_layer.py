"""Parallel kernels in forked children and in concurrent threads, under each threading layer (issue 13, item 7).

Each scenario runs in a fresh interpreter, every Twins forced onto its parallel kernel: a threading layer that cannot
take the scenario aborts the whole process. NUMBA_THREADING_LAYER unset is the library's choice; set, the user's.
"""
import importlib.metadata
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

SETUP = """
import multiprocessing, os, sys, threading
import numba, numpy as np
import autograd_lite as al
from autograd_lite import nn, optim
from autograd_lite.kernels import cpu
from autograd_lite.kernels.cpu._jit import forced

x = np.linspace(-1, 1, 1 << 16, dtype=np.float32)

def relu_ok():
    return np.array_equal(cpu.relu_forward(x), np.maximum(x, 0))
"""

FORK = """
assert relu_ok()
pid = os.fork()
if pid == 0:
    os._exit(0 if relu_ok() else 3)
assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0, "os.fork child failed"
child = multiprocessing.get_context("fork").Process(target=lambda: sys.exit(0 if relu_ok() else 3))
child.start()
child.join()
assert child.exitcode == 0, f"multiprocessing fork child: exit code {child.exitcode}"
assert relu_ok()
"""

# Two threads, each training its own copy of one model on one batch, and checking relu_forward at every step, all at
# once; their weights must end where the same training run alone ends.
THREADS = """
def model():
    al.manual_seed(0)
    return nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10))

rng = np.random.default_rng(0)
data = al.tensor(rng.standard_normal((64, 32), dtype=np.float32))
target = al.tensor(rng.integers(0, 10, 64))
failed = []

def train(net, steps=150):
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(net(data), target).backward()
        opt.step()
        if not relu_ok():
            failed.append("relu_forward")
    return net

want = [p.detach().numpy() for p in train(model()).parameters()]
nets = [model(), model()]
threads = [threading.Thread(target=train, args=(net,)) for net in nets]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not failed, failed
for net in nets:
    for p, w in zip(net.parameters(), want):
        np.testing.assert_allclose(p.detach().numpy(), w, rtol=1e-4, atol=1e-5)
"""


def run(scenario, layer=None):
    """Runs SETUP, then scenario with every Twins parallel, in a new interpreter (NUMBA_THREADING_LAYER=layer if
    given, else none and no NUMBA_THREADING_LAYER_PRIORITY); returns numba's threading layer there."""
    code = SETUP + "with forced(True):\n" + textwrap.indent(scenario, "    ") + "print(numba.threading_layer())\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_THREADING_LAYER")}
    if layer:
        env["NUMBA_THREADING_LAYER"] = layer
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"exit code {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r.stdout.split()[-1]


@pytest.mark.parametrize("layer", [None, "omp"])
def test_fork_after_a_parallel_kernel(layer):
    """A forked child (os.fork, multiprocessing's 'fork') runs kernels after its parent ran a parallel one: GNU
    OpenMP would abort it."""
    used = run(FORK, layer)
    assert layer is None or used == layer


@pytest.mark.parametrize("layer", [None, "workqueue"])
def test_threads_run_parallel_kernels_at_once(layer):
    """Two threads train and run kernels at the same time: the workqueue layer would abort on concurrent callers."""
    used = run(THREADS, layer)
    assert layer is None or used == layer


def test_tbb_is_the_layer_where_installed():
    """pip's tbb package is found, in a virtualenv too: numba's tbb layer takes forks and concurrent callers."""
    try:
        importlib.metadata.version("tbb")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("the tbb package is not installed")
    assert run("assert relu_ok()\n") == "tbb"
