"""The thread policy (issue 15): PyTorch's thread API, OMP_NUM_THREADS, BLAS sized per product, parallel work
capped at the cores other processes leave free."""
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import nn
from autograd_lite.kernels.cpu import _threads
from autograd_lite.kernels.cpu._jit import forced


def _python(code, **env):
    """stdout of `code` in a fresh interpreter with `env` added (a None value removes the variable)."""
    full = {k: v for k, v in os.environ.items() if k not in env}
    full.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def policy(monkeypatch):
    """The policy's state restored after the test; the machine's load read as `free` free cores (None: unknown)."""
    saved = _threads.get_num_threads()
    state = {"free": None}
    monkeypatch.setattr(_threads, "_free_cores", lambda: state["free"])
    monkeypatch.setattr(_threads, "_until", 0.0)
    monkeypatch.setattr(_threads, "_free", None)

    def free(n):
        state["free"] = n
        _threads._until = 0.0                       # read again at the next parallel call
    yield free
    al.set_num_threads(saved)


# ---- the API, with PyTorch's messages ------------------------------------------------------------------------
def test_set_num_threads_sets_get_num_threads(policy):
    al.set_num_threads(1)
    assert al.get_num_threads() == 1
    al.set_num_threads(np.int64(3))
    assert al.get_num_threads() == 3 and type(al.get_num_threads()) is int


@pytest.mark.parametrize("bad", [0, -1, True, 2.0, "2", None])
def test_set_num_threads_refuses_as_pytorch(policy, bad):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as want:
        torch.set_num_threads(bad)
    with pytest.raises(RuntimeError) as got:
        al.set_num_threads(bad)
    assert str(got.value) == str(want.value)
    assert al.get_num_threads() >= 1


def test_interop_threads_as_pytorch():
    """Default: the intra-op count; set once, as PyTorch allows; its messages, word for word."""
    out = _python("""
import autograd_lite as al
print(al.get_num_interop_threads() == al.get_num_threads())
for bad in (0, "1"):
    try:
        al.set_num_interop_threads(bad)
    except RuntimeError as e:
        print(e)
al.set_num_interop_threads(3)
print(al.get_num_interop_threads())
try:
    al.set_num_interop_threads(4)
except RuntimeError as e:
    print(e)
print(al.get_num_interop_threads())
""")
    assert out.splitlines() == [
        "True", "set_num_interop_threads expects a positive integer", "set_num_interop_threads expects an int, but got str",
        "3", "Error: cannot set number of interop threads after parallel work has started or set_num_interop_threads "
        "called", "3"]


@pytest.mark.parametrize("value,want", [("1", "1"), ("3", "3"), (None, "cores"), ("", "cores"), ("x", "cores"),
                                        ("0", "cores")])
def test_omp_num_threads_is_honoured(value, want):
    out = _python("import os, autograd_lite as al; print(al.get_num_threads(), len(os.sched_getaffinity(0)))"
                  if hasattr(os, "sched_getaffinity") else
                  "import os, autograd_lite as al; print(al.get_num_threads(), os.cpu_count())",
                  OMP_NUM_THREADS=value).split()
    assert out[0] == (out[1] if want == "cores" else want)


# ---- BLAS: one thread for small products, the policy's count for large ones -----------------------------------------
def _blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    infos = threadpoolctl.threadpool_info()
    counts = {i["num_threads"] for i in infos if i["user_api"] == "blas"}
    if not counts:
        pytest.skip("NumPy's BLAS is not visible to threadpoolctl")
    assert len(counts) == 1
    return counts.pop()


def _small_and_large():
    """A product below BLAS_PAR_MIN multiply-adds and one above, as (Tensor, Tensor) pairs."""
    assert 8 * 64 * 64 < _threads.BLAS_PAR_MIN <= 256 * 256 * 256
    return [(al.randn(8, 64), al.randn(64, 64)), (al.randn(256, 256), al.randn(256, 256))]


def test_blas_runs_small_products_on_one_thread(policy):
    al.set_num_threads(2)
    (sa, sb), (la, lb) = _small_and_large()
    la @ lb
    assert _blas_threads() == 2
    sa @ sb
    assert _blas_threads() == 1
    la @ lb
    assert _blas_threads() == 2


@pytest.mark.parametrize("path", ["matmul", "batched", "linear", "backward"])
def test_every_product_path_sizes_blas(policy, path):
    al.set_num_threads(2)
    (sa, sb), (la, lb) = _small_and_large()
    if path == "matmul":
        run = lambda a, b: a @ b                                            # noqa: E731
    elif path == "batched":
        run = lambda a, b: a.expand(2, *a.shape) @ b                          # noqa: E731
    elif path == "linear":
        run = lambda a, b: nn.functional.linear(a, b)                         # noqa: E731
    else:
        def run(a, b):
            b = b.clone().requires_grad_()
            (a @ b).sum().backward()
    run(la, lb)
    assert _blas_threads() == 2
    run(sa, sb)
    assert _blas_threads() == 1


def test_one_thread_means_one_blas_thread(policy):
    al.set_num_threads(1)
    (la, lb) = _small_and_large()[1]
    la @ lb
    assert _blas_threads() == 1


def test_a_busy_machine_caps_blas(policy):
    al.set_num_threads(2)
    (la, lb) = _small_and_large()[1]
    policy(1)
    la @ lb
    assert _blas_threads() == 1
    policy(2)
    la @ lb
    assert _blas_threads() == 2


def test_products_are_right_at_any_thread_count(policy):
    a, b = np.random.default_rng(0).standard_normal((2, 256, 256))
    for n in (1, 2):
        al.set_num_threads(n)
        np.testing.assert_allclose((al.tensor(a) @ al.tensor(b)).numpy(), a @ b, rtol=1e-12, atol=1e-12)


# ---- parallel kernels -------------------------------------------------------------------------------------------
def _probe():
    """A Parallel whose kernels say which ran."""
    return _threads.Parallel(lambda: "parallel", lambda: "serial", lambda: 1)


def test_parallel_kernels_run_serially_at_one_thread_and_on_a_busy_machine(policy):
    probe = _probe()
    al.set_num_threads(1)
    assert probe() == "serial"
    al.set_num_threads(2)
    policy(1)
    assert _threads.threads_now() == 1 and probe() == "serial"
    policy(2)
    assert _threads.threads_now() == 2
    assert probe() == ("parallel" if _threads._mode != "serial" else "serial")
    policy(None)                                        # load unknown: the policy's count
    assert _threads.threads_now() == 2
    policy(8)
    assert _threads.threads_now() == 2                  # never more than set


def test_parallel_loops_are_dealt_in_chunks(policy):
    """CHUNKS_PER_THREAD chunks per thread, numba's setting restored after the call."""
    import numba
    al.set_num_threads(2)
    policy(2)
    probe = _threads.Parallel(numba.get_parallel_chunksize, lambda: "serial", lambda: 100)
    if _threads._mode == "serial":
        pytest.skip("parallel kernels run serially in this process (a child forked from an OpenMP process)")
    before = numba.get_parallel_chunksize()
    assert probe() == -(-100 // (2 * _threads.CHUNKS_PER_THREAD))
    assert numba.get_parallel_chunksize() == before


def test_every_parallel_kernel_counts_its_loop():
    """Each Twins declares its outer loop's iterations; a kernel without one would be dealt out as one chunk."""
    from autograd_lite.kernels.cpu._jit import Twins
    assert Twins.all and all(callable(t.parallel.loop) for t in Twins.all)
    x = np.ones((64, 8), np.float32)
    from autograd_lite.kernels.cpu.activations import _relu_fwd
    from autograd_lite.kernels.cpu.softmax import _softmax32
    assert _relu_fwd.parallel.loop(x.ravel(), x.ravel()) == 512 and _softmax32.parallel.loop(x, x) == 64


def test_forced_parallel_ignores_the_load(policy):
    """Tests force the parallel kernels: they must run them however busy the test machine is."""
    probe = _probe()
    al.set_num_threads(2)
    policy(1)
    with forced(True):
        assert probe() == ("parallel" if _threads._mode != "serial" else "serial")
    assert probe() == "serial"


def test_parallel_and_serial_kernels_agree_at_one_thread(policy):
    x = np.linspace(-3, 3, 1 << 16, dtype=np.float32)
    al.set_num_threads(1)
    with forced(True):
        one = al.tensor(x).relu().numpy()
    al.set_num_threads(2)
    np.testing.assert_array_equal(one, np.maximum(x, 0))


# ---- how the load is read ---------------------------------------------------------------------------------------
def _free_cores_after(samples, cpus=2):
    meter = _threads._FreeCores.__new__(_threads._FreeCores)
    meter.cpus, meter.last = {f"cpu{i}".encode() for i in range(cpus)}, None
    it = iter(samples)
    meter._sample = lambda: next(it)
    return [meter() for _ in samples]


@pytest.mark.parametrize("busy,ours,free", [(0.0, 0.0, 2), (2.0, 2.0, 2), (1.5, 0.5, 1), (1.0, 0.0, 1),
                                            (2.0, 0.0, 1), (0.3, 0.0, 2), (0.6, 0.0, 1)])
def test_free_cores_are_the_cores_others_leave(busy, ours, free):
    """(time, machine busy seconds, our cpu seconds) samples one second apart: our own threads do not count."""
    assert _free_cores_after([(0.0, 10.0, 1.0), (1.0, 10.0 + busy, 1.0 + ours)]) == [None, free]


def test_free_cores_without_time_passing_are_unknown():
    assert _free_cores_after([(5.0, 1.0, 1.0), (5.0, 3.0, 1.0)]) == [None, None]


@pytest.mark.skipif(not os.path.exists("/proc/stat") or not hasattr(os, "sched_getaffinity"), reason="Linux only")
def test_free_cores_see_busy_processes():
    """As many busy processes as cores: a quarter second later, one core counts as free at most."""
    meter = _threads._FreeCores()
    cores = len(os.sched_getaffinity(0))
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    try:
        time.sleep(0.5)                                 # they are running
        meter()
        time.sleep(0.5)
        assert meter() == 1
    finally:
        for p in busy:
            p.kill()
            p.wait()
