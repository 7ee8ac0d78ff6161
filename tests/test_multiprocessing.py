"""autograd_lite.multiprocessing and shared-memory tensors, against torch.multiprocessing's behaviour: share_memory_,
tensors crossing processes over the same memory (spawn, fork, queues), Hogwild in miniature, spawn's errors, and no
/dev/shm entry left behind."""
import gc
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autograd_lite as al
from shared_memory import shm_blocks
import autograd_lite.multiprocessing as mp
from autograd_lite import nn, optim

SHM = "/dev/shm"
pytestmark = pytest.mark.skipif(not os.path.isdir(SHM), reason="no /dev/shm (POSIX shared memory)")


def _blocks():
    return shm_blocks("sh")


@pytest.fixture(autouse=True)
def no_leaked_blocks():
    """Every test leaves /dev/shm as it found it once its tensors are gone."""
    before = _blocks()
    yield
    gc.collect()
    assert _blocks() - before == set()


# ---- what the children run (module level: spawn pickles them by name) -------------------------------------------
def _fill(weight, value):
    with al.no_grad():
        weight.fill_(value)


def _echo(inbox, outbox):
    t = inbox.get()
    t.add_(1)                               # in place, in the parent's block
    outbox.put(t * 2)                       # a new tensor, moved to shared memory by the queue
    outbox.put(("done", inbox.get()))


def _hogwild(rank, model, x, y, steps):
    al.manual_seed(rank)
    opt = optim.SGD(model.parameters(), lr=0.05)
    for _ in range(steps):
        idx = al.randint(0, x.shape[0], (16,))
        opt.zero_grad()
        nn.functional.mse_loss(model(x[idx]), y[idx]).backward()
        opt.step()


def _raise(rank, message):
    if rank == 1:
        raise ValueError(message)


def _exit(rank, code):
    sys.exit(code if rank == 0 else 0)


# ---- share_memory_ / is_shared / Module.share_memory ---------------------------------------------------------------
def test_share_memory_keeps_values_identity_and_grad_flag():
    x = al.randn(3, 4, requires_grad=True)
    values = x.detach().numpy().copy()
    assert not x.is_shared()
    assert x.share_memory_() is x
    assert x.is_shared() and x.requires_grad and x.is_leaf
    np.testing.assert_array_equal(x.detach().numpy(), values)
    assert x.dtype == al.float32 and x.shape == (3, 4)
    data = x._data
    assert x.share_memory_() is x and x._data is data          # already shared: a no-op
    assert x[1:].is_shared() and x.detach().is_shared()          # views of shared data are shared
    (x * 2).sum().backward()                                    # autograd works on it; grads are not shared
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2, np.float32))
    assert not x.grad.is_shared()
    assert len(_blocks()) >= 1


def test_share_memory_integer_and_empty_tensors():
    for t in (al.arange(5), al.zeros(0), al.tensor(3.5), al.tensor([True, False])):
        expected = t.numpy().copy()
        t.share_memory_()
        assert t.is_shared()
        np.testing.assert_array_equal(t.numpy(), expected)
        assert t.numpy().dtype == expected.dtype


def test_module_share_memory_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    params = list(model.parameters())
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    assert model.share_memory() is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(type(p) is nn.Parameter and p.requires_grad and p.is_shared() for p in params)
    assert all(b.is_shared() for b in model.buffers())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), state[k])


def test_share_memory_on_cuda_is_a_no_op(fake_cuda):
    x = al.ones(3, device="cuda")
    data = x._data
    assert x.share_memory_() is x and x._data is data
    assert x.is_shared()                # as torch: CUDA tensors are shared through IPC


# ---- tensors crossing processes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_child_writes_into_a_shared_parameter(method):
    weight = nn.Parameter(al.zeros(2, 3)).share_memory_()
    ctx = mp.get_context(method)
    p = ctx.Process(target=_fill, args=(weight, 7.0))
    p.start()
    p.join(30)
    assert p.exitcode == 0
    np.testing.assert_array_equal(weight.detach().numpy(), np.full((2, 3), 7, np.float32))
    assert weight.requires_grad and type(weight) is nn.Parameter


def test_a_non_shared_tensor_sent_to_a_spawned_child_is_moved_to_shared_memory():
    weight = al.zeros(4)
    ctx = mp.get_context("spawn")
    p = ctx.Process(target=_fill, args=(weight, 3.0))
    p.start()
    p.join(30)
    assert p.exitcode == 0 and weight.is_shared()
    np.testing.assert_array_equal(weight.numpy(), np.full(4, 3, np.float32))


def test_queue_round_trip():
    ctx = mp.get_context("spawn")
    inbox, outbox = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=_echo, args=(inbox, outbox))
    p.start()
    t = al.arange(6, dtype=al.float32).reshape(2, 3)
    inbox.put(t)
    doubled = outbox.get(timeout=30)
    inbox.put(al.tensor([1, 2], dtype=al.int64))
    tag, ints = outbox.get(timeout=30)
    p.join(30)
    assert p.exitcode == 0
    np.testing.assert_array_equal(t.numpy(), np.arange(1, 7, dtype=np.float32).reshape(2, 3))   # the child's add_
    np.testing.assert_array_equal(doubled.numpy(), 2 * np.arange(1, 7, dtype=np.float32).reshape(2, 3))
    assert doubled.is_shared() and doubled.dtype == al.float32
    assert tag == "done" and ints.dtype == al.int64 and ints.tolist() == [1, 2]


def test_non_leaf_requiring_grad_refuses_to_cross():
    x = al.ones(2, requires_grad=True) * 2
    q = mp.get_context("spawn").SimpleQueue()
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        q.put(x)
    q.close()


def test_hogwild_two_processes_train_one_shared_model():
    al.manual_seed(0)
    x = al.randn(256, 5)
    y = x @ al.randn(5, 1) + 0.5
    model = nn.Linear(5, 1).share_memory()
    before = model.weight.detach().numpy().copy()
    with al.no_grad():
        loss_before = nn.functional.mse_loss(model(x), y).item()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_hogwild, args=(rank, model, x, y, 60)) for rank in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert not np.array_equal(model.weight.detach().numpy(), before)
    with al.no_grad():
        loss_after = nn.functional.mse_loss(model(x), y).item()
    assert loss_after < 0.2 * loss_before


# ---- spawn ------------------------------------------------------------------------------------------------------------
def test_spawn_reraises_a_child_exception_with_its_traceback():
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.spawn(_raise, args=("boom in the child",), nprocs=2)
    message = str(info.value)
    assert "-- Process 1 terminated with the following error:" in message
    assert "ValueError: boom in the child" in message and "_raise" in message
    assert info.value.error_index == 1


def test_spawn_exit_code_and_context():
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with exit code 3") as info:
        mp.spawn(_exit, args=(3,), nprocs=2)
    assert info.value.exit_code == 3
    context = mp.spawn(_raise, args=("unused",), nprocs=1, join=False)
    assert isinstance(context, mp.ProcessContext) and len(context.pids()) == 1
    while not context.join():
        pass
    assert mp.spawn(_raise, args=("unused",), nprocs=1) is None


def test_api_reexports_and_sharing_strategy():
    import multiprocessing
    for name in ("Process", "Queue", "SimpleQueue", "Pool", "Manager", "Event", "Lock", "set_start_method",
                 "get_start_method", "get_context", "cpu_count", "current_process"):
        assert getattr(mp, name) is getattr(multiprocessing, name), name
    assert mp.get_sharing_strategy() == "file_system"
    assert mp.get_all_sharing_strategies() == {"file_system"}
    mp.set_sharing_strategy("file_system")
    with pytest.raises(AssertionError):
        mp.set_sharing_strategy("no_such_strategy")


def test_no_block_left_after_a_process_exits_without_cleaning_up():
    """A script that shares a model, hands it to spawn and fork children, keeps a queue's tensor and exits:
    /dev/shm holds none of its blocks afterwards."""
    script = textwrap.dedent("""
        import os, sys
        sys.path.insert(0, sys.argv[1])
        import autograd_lite as al
        import autograd_lite.multiprocessing as mp
        from test_multiprocessing import _fill, _echo
        if __name__ == "__main__":
            model = al.nn.Linear(3, 2).share_memory()
            for method in ("spawn", "fork"):
                p = mp.get_context(method).Process(target=_fill, args=(model.weight, 1.0))
                p.start(); p.join()
            ctx = mp.get_context("spawn")
            inbox, outbox = ctx.Queue(), ctx.Queue()
            p = ctx.Process(target=_echo, args=(inbox, outbox)); p.start()
            inbox.put(al.ones(3)); kept = outbox.get(); inbox.put(al.zeros(1)); outbox.get(); p.join()
        """)
    before = _blocks()
    out = subprocess.run([sys.executable, "-c", script, os.path.dirname(__file__)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert _blocks() - before == set()
