"""DataLoader(num_workers=N): worker processes, seeding, errors, shutdown, against torch.utils.data."""
import gc
import os
import random
import time

import numpy as np
import pytest
import torch

import autograd_lite as al
from shared_memory import shm_blocks
from autograd_lite.utils.data import (DataLoader, Dataset, IterableDataset, TensorDataset,
                                      get_worker_info)
from autograd_lite.utils.data._worker import WorkerInfo, generate_state





@pytest.fixture(autouse=True)
def no_leaks():
    before = shm_blocks("dl")
    yield
    gc.collect()
    assert shm_blocks("dl") <= before


class Squares(Dataset):
    """Sample i: an image-like array (large enough for shared memory), i and a float."""

    def __init__(self, n=40):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.full((3, 64, 64), i, np.float32), "y": i, "z": i / 2}


class Info(Dataset):
    """Sample i: (i, worker id, worker seed, pid, draws of random, numpy and autograd_lite)."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        info = get_worker_info()
        return (i, info.id, info.seed, os.getpid(), random.random(), float(np.random.rand()),
                float(al.rand(1).item()))


def as_numpy(batch):
    return {k: v.numpy() for k, v in batch.items()}


def test_batches_equal_single_process_and_torch():
    ds = Squares()
    ours0 = [as_numpy(b) for b in DataLoader(ds, batch_size=8)]
    ours2 = [as_numpy(b) for b in DataLoader(ds, batch_size=8, num_workers=2)]
    ref = [{k: v.numpy() for k, v in b.items()}
           for b in torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2)]
    assert len(ours0) == len(ours2) == len(ref) == 5
    for a, b, r in zip(ours0, ours2, ref):
        for k in r:
            assert a[k].dtype == b[k].dtype == r[k].dtype
            np.testing.assert_array_equal(b[k], r[k])
            np.testing.assert_array_equal(a[k], r[k])


def test_tensor_dataset_fast_path_and_unbatched():
    images = al.from_numpy(np.arange(30 * 2000, dtype=np.float32).reshape(30, 2000))
    ds = TensorDataset(images, al.arange(30))
    a = [[t.numpy() for t in b] for b in DataLoader(ds, batch_size=7)]
    b = [[t.numpy() for t in b] for b in DataLoader(ds, batch_size=7, num_workers=2,
                                                    pin_memory=True, prefetch_factor=1)]
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            np.testing.assert_array_equal(u, v)
    single = list(DataLoader(ds, batch_size=None, num_workers=2))
    assert len(single) == 30 and single[3][0].shape == (2000,) and int(single[3][1]) == 3
    assert isinstance(single[3][0], al.Tensor)


class SelfBatching(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return np.float32(i)

    def _collated_batch(self, indices):
        return al.from_numpy(indices.astype(np.float32) + 100)      # marks the whole-batch path


@pytest.mark.parametrize("workers", [0, 2])
def test_collated_batch_hook_with_and_without_workers(workers):
    out = [b.tolist() for b in DataLoader(SelfBatching(), batch_size=4, num_workers=workers)]
    assert out == [[100, 101, 102, 103], [104, 105, 106, 107], [108, 109]]


def test_custom_collate_returns_numpy_and_in_order_false():
    ds = Squares(20)
    loader = DataLoader(ds, batch_size=5, num_workers=2,
                        collate_fn=lambda s: np.stack([d["x"] for d in s]))
    out = list(loader)
    assert all(isinstance(b, np.ndarray) for b in out) and out[1][0, 0, 0, 0] == 5
    unordered = DataLoader(ds, batch_size=5, num_workers=2, in_order=False)
    assert sorted(int(b["y"][0]) for b in unordered) == [0, 5, 10, 15]


def test_worker_info_seeds_as_pytorch():
    al.manual_seed(123)
    rows = [list(zip(*[t.tolist() for t in b])) for b in
            DataLoader(Info(), batch_size=3, num_workers=2)]
    rows = [r for b in rows for r in b]
    assert [r[0] for r in rows] == list(range(12))
    assert [r[1] for r in rows] == [0, 0, 0, 1, 1, 1] * 2           # batches round robin
    seeds = {r[1]: r[2] for r in rows}
    assert seeds[1] == seeds[0] + 1
    assert len({r[3] for r in rows}) == 2 and os.getpid() not in {r[3] for r in rows}
    for wid in (0, 1):
        first = next(r for r in rows if r[1] == wid)
        random.seed(seeds[wid])
        np_state = np.random.get_state()
        np.random.seed(generate_state(seeds[0], wid))
        al_state = al.get_rng_state()
        al.manual_seed(seeds[wid])
        assert first[4] == random.random()
        assert first[5] == float(np.random.rand())
        assert first[6] == pytest.approx(float(al.rand(1).item()))
        np.random.set_state(np_state)
        al.set_rng_state(al_state)
    al.manual_seed(123)
    again = [r for b in DataLoader(Info(), batch_size=3, num_workers=2)
             for r in zip(*[t.tolist() for t in b])]
    assert [r[2] for r in again] == [r[2] for r in rows]             # manual_seed reproduces
    assert [r[4:] for r in again] == [r[4:] for r in rows]
    other = [r for b in DataLoader(Info(), batch_size=3, num_workers=2)
             for r in zip(*[t.tolist() for t in b])]
    assert other[0][2] != rows[0][2]                                 # a new base seed per epoch


def test_generate_state_matches_torch():
    from torch.utils.data._utils.worker import _generate_state
    for base, wid in [(0, 0), (12345, 1), ((1 << 63) - 7, 3), (987654321987, 15)]:
        assert generate_state(base, wid) == _generate_state(base, wid)


def test_worker_info_outside_workers_and_read_only():
    assert get_worker_info() is None
    info = WorkerInfo(id=0, num_workers=2, seed=5, dataset=None)
    assert repr(info) == "WorkerInfo(id=0, num_workers=2, seed=5, dataset=None)"
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        info.id = 3


def test_worker_init_fn_and_generator():
    def init(worker_id):
        np.random.seed(1000 + worker_id)

    class Draw(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return float(np.random.rand())

    out = [b.tolist() for b in DataLoader(Draw(), batch_size=2, num_workers=2,
                                          worker_init_fn=init)]
    np.random.seed(1000)
    expect0 = [np.random.rand(), np.random.rand()]
    np.random.seed(1001)
    assert out == [expect0, [np.random.rand(), np.random.rand()]]
    seeds = [[r for b in DataLoader(Info(), batch_size=6, num_workers=2,
                                    generator=np.random.default_rng(7))
              for r in b[2].tolist()] for _ in range(2)]
    assert seeds[0] == seeds[1]


class Failing(Dataset):
    def __init__(self, exc):
        self.exc = exc

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise self.exc
        return i


def test_worker_error_reraised_with_traceback_as_torch():
    with pytest.raises(ValueError) as ours:
        list(DataLoader(Failing(ValueError("bad sample")), batch_size=2, num_workers=2))
    ref_it = iter(torch.utils.data.DataLoader(Failing(ValueError("bad sample")), batch_size=2,
                                              num_workers=2))
    with pytest.raises(ValueError) as ref:
        list(ref_it)
    ref_it._shutdown_workers()          # now: collected in a cycle, torch's waits 5 s a worker
    msg, ref_msg = str(ours.value), str(ref.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback")
    assert ref_msg.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback")
    assert "in __getitem__" in msg and "raise self.exc" in msg and msg.endswith("bad sample\n")
    with pytest.raises(KeyError, match="Caught KeyError"):
        list(DataLoader(Failing(KeyError("k")), batch_size=2, num_workers=2))

    class Strict(Exception):
        def __init__(self, a, b):
            super().__init__(a, b)

    with pytest.raises(RuntimeError, match="Caught Strict in DataLoader worker process"):
        list(DataLoader(Failing(Strict(1, 2)), batch_size=2, num_workers=1))


def test_worker_init_fn_error():
    def init(worker_id):
        raise RuntimeError(f"no init in {worker_id}")

    with pytest.raises(RuntimeError, match="(?s)Caught RuntimeError in DataLoader worker.*no init"):
        list(DataLoader(Squares(4), num_workers=1, worker_init_fn=init))


class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(1.5)
        return i


class Dies(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        os._exit(3)


def test_timeout_and_dead_worker():
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.3 seconds"):
        next(iter(DataLoader(Slow(), num_workers=1, timeout=0.3)))
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(DataLoader(Dies(), num_workers=1))


def workers_of(it):
    return list(it._workers)


def test_shutdown_deleted_broken_interrupted():
    loader = DataLoader(Squares(64), batch_size=2, num_workers=2)
    it = iter(loader)
    next(it)
    procs = workers_of(it)
    assert all(p.is_alive() for p in procs)
    del it
    gc.collect()
    assert not any(p.is_alive() for p in procs)
    for batch in loader:                                 # loop broken early
        break
    gc.collect()
    it = iter(loader)
    procs = workers_of(it)
    with pytest.raises(KeyboardInterrupt):
        for i, batch in enumerate(it):
            if i == 2:
                raise KeyboardInterrupt
    del it, batch
    gc.collect()
    assert not any(p.is_alive() for p in procs)
    it = iter(loader)
    procs = workers_of(it)
    assert len(list(it)) == 32
    assert not any(p.is_alive() for p in procs)           # exhausted: workers stopped


def test_persistent_workers_keep_processes_and_reset():
    loader = DataLoader(Info(), batch_size=4, num_workers=2, persistent_workers=True)
    pids = [{p for b in loader for p in b[3].tolist()} for _ in range(2)]
    assert pids[0] == pids[1] and len(pids[0]) == 2
    it = iter(loader)
    next(it)                                                   # abandon a pass half way
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    procs = workers_of(loader._iterator)
    del loader, it
    gc.collect()
    time.sleep(0.2)
    assert not any(p.is_alive() for p in procs)


def test_spawn_and_context_objects():
    import multiprocessing
    ds = TensorDataset(al.arange(10.), al.arange(10))
    for ctx in ("spawn", multiprocessing.get_context("fork")):
        out = [b[1].tolist() for b in DataLoader(ds, batch_size=4, num_workers=1,
                                                 multiprocessing_context=ctx)]
        assert out == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


class Stream(IterableDataset):
    def __init__(self, n, split):
        self.n, self.split = n, split

    def __iter__(self):
        info = get_worker_info()
        if not self.split or info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


class TorchStream(torch.utils.data.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        return iter(range(info.id, self.n, info.num_workers))


def test_iterable_dataset_with_and_without_workers():
    assert [b.tolist() for b in DataLoader(Stream(7, True), batch_size=3)] == \
        [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(7, True), batch_size=3, drop_last=True)] == \
        [[0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Stream(7, True), batch_size=3)) == 3
    split = [b.tolist() for b in DataLoader(Stream(7, True), batch_size=2, num_workers=2)]
    ref = [b.tolist() for b in torch.utils.data.DataLoader(TorchStream(7), batch_size=2,
                                                           num_workers=2)]
    assert split == ref == [[0, 2], [1, 3], [4, 6], [5]]
    copies = [x for b in DataLoader(Stream(5, False), batch_size=2, num_workers=2)
              for x in b.tolist()]
    assert sorted(copies) == sorted(list(range(5)) * 2)           # each worker iterates a copy
    assert [int(x) for x in DataLoader(Stream(3, True), batch_size=None, num_workers=2)] == \
        [0, 1, 2]
    loader = DataLoader(Stream(6, True), batch_size=2, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in loader] == [b.tolist() for b in loader] == [[0, 2], [1, 3], [4],
                                                                            [5]]


def test_argument_errors_as_torch():
    cases = [
        (dict(num_workers=-1), ValueError, "num_workers option should be non-negative"),
        (dict(prefetch_factor=2), ValueError, "prefetch_factor option could only be specified"),
        (dict(num_workers=1, prefetch_factor=-1), ValueError,
         "prefetch_factor option should be non-negative"),
        (dict(persistent_workers=True), ValueError, "persistent_workers option needs num_workers > 0"),
        (dict(multiprocessing_context="fork"), ValueError,
         "multiprocessing_context can only be used with multi-process loading"),
        (dict(num_workers=1, multiprocessing_context="thread"), ValueError,
         "multiprocessing_context option should specify a valid start method"),
        (dict(num_workers=1, multiprocessing_context=3), TypeError,
         "multiprocessing_context option should be a valid context object"),
        (dict(timeout=-1), ValueError, "timeout option should be non-negative"),
    ]
    for kwargs, exc, text in cases:
        with pytest.raises(exc, match=text):
            DataLoader(Squares(4), **kwargs)
        with pytest.raises(exc, match=text):
            torch.utils.data.DataLoader(Squares(4), **kwargs)
    for kwargs, text in [(dict(shuffle=True), "expected unspecified shuffle option"),
                         (dict(sampler=[0, 1]), "expected unspecified sampler option")]:
        with pytest.raises(ValueError, match=text):
            DataLoader(Stream(3, True), **kwargs)
        with pytest.raises(ValueError, match=text):
            torch.utils.data.DataLoader(TorchStream(3), **kwargs)
    assert DataLoader(Squares(4), num_workers=2).prefetch_factor == 2
