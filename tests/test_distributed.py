"""autograd_lite.distributed and DistributedDataParallel in real processes: each test launches ``mpiexec -n N`` on a
worker script of tests/distributed/ (every worker asserts its own checks against NumPy or against single-process
training, and prints a line at the end; with the argument 'nccl', on the stand-in device and NCCL of
tests/distributed/fake_nccl.py). In-process: what needs no launcher (errors before init, the hook DDP is built on).
Skipped when mpi4py or mpiexec is missing (``pip install -e ".[test]"`` brings both)."""
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

import autograd_lite as torch
import autograd_lite.distributed as dist
from autograd_lite.autograd import engine

WORKERS = pathlib.Path(__file__).with_name("distributed")


def _mpiexec():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None, "mpi4py not installed: pip install -e '.[test]' (or '.[distributed]')"
    exe = shutil.which("mpiexec", path=os.pathsep.join([str(pathlib.Path(sys.executable).parent),
                                                       os.environ.get("PATH", "")]))
    return (exe, None) if exe else (None, "mpiexec not found: pip install mpich (or install Open MPI)")


MPIEXEC, WHY = _mpiexec()
needs_mpi = pytest.mark.skipif(MPIEXEC is None, reason=WHY or "")


def launch(script, n, timeout=120, args=()):
    """Runs `script` (in tests/distributed/, or a path) on n ranks; its output (both streams) when every rank
    exited 0."""
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(pathlib.Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")]))
    try:
        done = subprocess.run([MPIEXEC, "-n", str(n), sys.executable, str(WORKERS / script), *args], env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{script} on {n} ranks hung for {timeout} s:\n{e.stdout}\n{e.stderr}")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    return out


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_collectives_against_numpy(n):
    out = launch("collectives_worker.py", n)
    for r in range(n):
        assert f"collectives ok {r} {n}" in out, out


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_ddp_matches_single_process_training(n):
    out = launch("ddp_worker.py", n)
    for r in range(n):
        assert f"ddp ok {r} {n}" in out, out


@needs_mpi
@pytest.mark.parametrize("script, done", [("collectives_worker.py", "collectives ok"), ("ddp_worker.py", "ddp ok")])
def test_nccl_backend_on_the_standin_device(script, done):
    """The NCCL engine's own code (distributed/_nccl.py: communicator, device pointers, dtypes, ops, streams) on
    the stand-in device, with the stand-in cupy.cuda.nccl of tests/distributed/fake_nccl.py carrying its calls over
    MPI: every check of the MPI run holds on 'nccl' with the tensors on 'cuda'."""
    out = launch(script, 2, args=["nccl"])
    for r in range(2):
        assert f"{done} {r} 2" in out, out


@needs_mpi
def test_mnist_example_distributed(data_dir, tmp_path):
    example = pathlib.Path(__file__).resolve().parents[1] / "examples" / "mnist.py"
    checkpoint = tmp_path / "ddp.pth"
    out = launch(example, 2, timeout=180, args=["--distributed", "--data-dir", str(data_dir), "--limit", "1024",
                                                  "--epochs", "1", "--save", str(checkpoint)])
    lines = out.splitlines()
    assert lines.count("distributed: 2 ranks (MPI), 32 images per rank and step") == 1, out   # rank 0 prints
    assert sum(line.startswith("test accuracy: ") for line in lines) == 1, out
    assert float(lines[-1].split(": ")[1]) > 0.5, out
    assert torch.load(checkpoint)["state_dict"]["0.weight"].shape == (128, 784)


# ---- in-process --------------------------------------------------------------------------------------------
def test_calls_before_init_fail_as_pytorch():
    assert dist.is_available() and not dist.is_initialized()
    for call in (dist.get_rank, dist.get_world_size, dist.barrier, lambda: dist.all_reduce(torch.ones(1)),
                 lambda: dist.new_group([0])):
        with pytest.raises(ValueError, match="Default process group has not been initialized, please make sure "
                                             "to call init_process_group."):
            call()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))


def test_backend_names():
    with pytest.raises(ValueError, match="Invalid backend: 'foo'"):
        dist.init_process_group("foo")
    with pytest.raises(RuntimeError, match="Distributed package doesn't have Gloo built in"):
        dist.init_process_group("gloo")
    assert dist.Backend("MPI") == "mpi" and dist.ReduceOp.SUM is dist.reduce_op.SUM
    if not dist.is_nccl_available():
        with pytest.raises(RuntimeError, match="Distributed package doesn't have NCCL built in"):
            dist.init_process_group("nccl")
    assert not dist.is_initialized()




def test_post_accumulate_grad_hook_runs_once_the_grad_is_complete():
    w = torch.randn(3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda p: seen.append(("w", p.grad.numpy().copy())))
    handle = b.register_post_accumulate_grad_hook(lambda p: seen.append(("b", None)))
    ((w * 2).sum() * (b + 1).sum() + (w * w).sum()).backward()     # w feeds two nodes: one call, its full grad
    assert [s[0] for s in seen] == ["b", "w"]
    np.testing.assert_allclose(seen[1][1], 2 * (b.detach().numpy() + 1).sum() + 2 * w.detach().numpy(), rtol=1e-6)
    handle.remove()
    seen.clear()
    (b * 3).sum().backward()
    assert seen == []
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        torch.ones(2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(print)


def test_queue_callback_runs_at_the_end_of_backward():
    w = torch.randn(2, requires_grad=True)
    order = []
    w.register_post_accumulate_grad_hook(
        lambda p: engine.queue_callback(lambda: order.append(("end", p.grad is not None))))
    (w * w).sum().backward()
    assert order == [("end", True)]
    with pytest.raises(RuntimeError, match="Final callbacks can only be installed during backward pass."):
        engine.queue_callback(print)
