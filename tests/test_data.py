"""utils.data: datasets, samplers, default_collate and DataLoader, against torch.utils.data."""
import collections

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.utils import data as ald
from autograd_lite.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset,
                                      RandomSampler, SequentialSampler, Subset,
                                      SubsetRandomSampler, TensorDataset, default_collate,
                                      default_convert, random_split)
from autograd_lite.utils.data import dataloader as dataloader_module


def mnist_like(n=100, seed=0):
    rng = np.random.default_rng(seed)
    images = al.from_numpy(rng.random((n, 1, 28, 28), dtype=np.float32))
    labels = al.from_numpy(rng.integers(0, 10, n))
    return TensorDataset(images, labels)


class Generic(Dataset):
    """The same samples as `ds`, through a Dataset the DataLoader knows nothing about."""

    def __init__(self, ds):
        self.ds = ds

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        return self.ds[i]


def batches(loader):
    return [[t.numpy() for t in batch] for batch in loader]


def assert_same_batches(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert len(x) == len(y)
        for u, v in zip(x, y):
            assert u.dtype == v.dtype and u.shape == v.shape
            np.testing.assert_array_equal(u, v)


# ---- DataLoader ----------------------------------------------------------------------------------
def test_batches_shapes_dtypes_len():
    ds = mnist_like(100)
    loader = DataLoader(ds, batch_size=32)
    assert loader.dataset is ds and loader.batch_size == 32 and len(loader) == 4
    out = list(loader)
    assert [b[0].shape for b in out] == [(32, 1, 28, 28)] * 3 + [(4, 1, 28, 28)]
    assert all(b[0].dtype == al.float32 and b[1].dtype == al.int64 for b in out)
    assert isinstance(out[0], list)                 # torch collates tuples into lists
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in out]), ds.tensors[1].numpy())


def test_drop_last_and_len():
    ds = mnist_like(100)
    loader = DataLoader(ds, batch_size=32, drop_last=True)
    assert len(loader) == 3 and len(list(loader)) == 3
    assert len(DataLoader(ds, batch_size=25, drop_last=True)) == 4
    assert len(DataLoader(ds)) == 100 and len(DataLoader(ds, batch_size=None)) == 100


def test_iterator_next_and_legacy_next():
    loader = DataLoader(mnist_like(10), batch_size=4)
    it = iter(loader)
    assert len(it) == 3 and iter(it) is it
    images, labels = it.next()                      # the seed's dataiter.next()
    assert images.shape == (4, 1, 28, 28)
    images, labels = next(it)
    it.next()
    with pytest.raises(StopIteration):
        it.next()


def test_seed_usage_resize_does_not_touch_dataset():
    ds = mnist_like(64)
    before = ds.tensors[0].numpy().copy()
    images, labels = iter(DataLoader(ds, batch_size=64, shuffle=True)).next()
    images.resize_(images.size()[0], 784)
    images.mul_(0)
    assert images.shape == (64, 784)
    np.testing.assert_array_equal(ds.tensors[0].numpy(), before)


def test_shuffle_reproducible_under_manual_seed_and_new_each_epoch():
    ds = mnist_like(50)

    def epoch_orders():
        al.manual_seed(123)
        loader = DataLoader(ds, batch_size=50, shuffle=True)
        return [next(iter(loader))[1].numpy().copy() for _ in range(2)]

    first, second = epoch_orders()
    again = epoch_orders()
    np.testing.assert_array_equal(first, again[0])
    np.testing.assert_array_equal(second, again[1])
    assert not np.array_equal(first, second)
    assert sorted(first.tolist()) == sorted(ds.tensors[1].numpy().tolist())


def test_generator_argument():
    ds = TensorDataset(al.arange(20))
    order = lambda g: np.concatenate(batches(DataLoader(ds, 4, shuffle=True, generator=g)))
    np.testing.assert_array_equal(order(np.random.default_rng(7)), order(np.random.default_rng(7)))
    assert sorted(order(np.random.default_rng(8)).ravel().tolist()) == list(range(20))
    with pytest.raises(TypeError, match="Generator interface"):
        list(DataLoader(ds, shuffle=True, generator=42))


def test_loader_arguments_like_torch():
    ds = mnist_like(10)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0, 1]], batch_size=2)
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    loader = DataLoader(ds, batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    loader.num_workers = 1                          # not frozen in torch either


def test_samplers_and_batch_sampler():
    ds = TensorDataset(al.arange(10))
    out = batches(DataLoader(ds, batch_size=4, sampler=[9, 8, 7, 6, 5]))
    assert [b[0].tolist() for b in out] == [[9, 8, 7, 6], [5]]
    out = batches(DataLoader(ds, batch_sampler=[[1, 2], [3]]))
    assert [b[0].tolist() for b in out] == [[1, 2], [3]]
    assert list(BatchSampler(SequentialSampler(range(5)), 2, False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(range(5), 2, True)) == [[0, 1], [2, 3]]
    assert len(BatchSampler(range(5), 2, False)) == 3
    rs = RandomSampler(range(5), replacement=True, num_samples=12)
    drawn = list(rs)
    assert len(rs) == 12 and len(drawn) == 12 and set(drawn) <= set(range(5))
    counts = np.bincount(list(RandomSampler(range(4), num_samples=10)), minlength=4)
    assert counts.sum() == 10 and counts.min() >= 2          # two full permutations, then 2 more
    assert sorted(SubsetRandomSampler([3, 5, 7])) == [3, 5, 7]
    out = batches(DataLoader(ds, batch_size=2, sampler=SubsetRandomSampler([3, 5, 7])))
    assert sorted(np.concatenate([b[0] for b in out]).tolist()) == [3, 5, 7]


def test_num_workers_runs_in_main_process():
    ds = mnist_like(10)
    assert_same_batches(batches(DataLoader(ds, batch_size=3, num_workers=2, pin_memory=True)),
                        batches(DataLoader(ds, batch_size=3)))


def test_batch_size_none_converts_samples():
    ds = TensorDataset(al.arange(3.0), al.arange(3))
    first = next(iter(DataLoader(ds, batch_size=None)))
    assert isinstance(first, list) and first[0].shape == () and first[1].item() == 0
    np_ds = [(np.ones(2, np.float32), 1)]
    x, y = next(iter(DataLoader(np_ds, batch_size=None)))
    assert isinstance(x, al.Tensor) and x.dtype == al.float32 and y == 1


# ---- fast path -----------------------------------------------------------------------------------
def counting_gather(monkeypatch):
    calls = []
    real = dataloader_module._gather

    def gather(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(dataloader_module, "_gather", gather)
    return calls


@pytest.mark.parametrize("batch_size,shuffle,drop_last", [(16, False, False), (16, True, False),
                                                          (7, True, True), (100, True, False)])
def test_fast_path_gives_the_generic_batches(monkeypatch, batch_size, shuffle, drop_last):
    calls = counting_gather(monkeypatch)
    ds = mnist_like(70)

    def run(d):
        al.manual_seed(5)
        return batches(DataLoader(d, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last))

    fast = run(ds)
    assert len(calls) == len(fast) > 0
    generic = run(Generic(ds))
    assert len(calls) == len(fast)
    assert_same_batches(fast, generic)


def test_fast_path_through_subsets(monkeypatch):
    calls = counting_gather(monkeypatch)
    ds = mnist_like(60)
    al.manual_seed(1)
    train, val = random_split(ds, [0.75, 0.25])
    nested = Subset(train, list(range(40, 0, -3)) + [-1])
    for d in (train, val, nested):
        al.manual_seed(2)
        fast = batches(DataLoader(d, batch_size=8, shuffle=True))
        al.manual_seed(2)
        assert_same_batches(fast, batches(DataLoader(Generic(d), batch_size=8, shuffle=True)))
    assert calls


def test_fast_path_skipped_for_custom_getitem_or_collate(monkeypatch):
    calls = counting_gather(monkeypatch)

    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    ds = Doubled(al.ones(4, 2), al.arange(4))
    x, _ = next(iter(DataLoader(ds, batch_size=4)))
    assert x.numpy().tolist() == [[2.0, 2.0]] * 4
    out = next(iter(DataLoader(mnist_like(4), batch_size=4, collate_fn=lambda b: len(b))))
    assert out == 4 and not calls


def test_fast_path_keeps_autograd():
    w = al.randn(6, 3, requires_grad=True)
    ds = TensorDataset(w, al.arange(6))
    for d in (ds, Generic(ds)):
        w.grad = None
        x, _ = next(iter(DataLoader(d, batch_size=6)))
        assert x.requires_grad
        (x * 2).sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), np.full((6, 3), 2, np.float32))


def test_fast_path_dtypes_and_1d():
    ds = TensorDataset(al.arange(10, dtype=al.float64), al.arange(10, dtype=al.int32),
                       al.ones(10, 2, dtype=al.bool))
    x, y, z = next(iter(DataLoader(ds, batch_size=4)))
    assert (x.dtype, y.dtype, z.dtype) == (al.float64, al.int32, al.bool)
    assert x.shape == (4,) and z.shape == (4, 2)


# ---- datasets ------------------------------------------------------------------------------------
def test_tensor_dataset():
    ds = mnist_like(5)
    x, y = ds[2]
    assert x.shape == (1, 28, 28) and y.shape == () and len(ds) == 5
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(al.zeros(3), al.zeros(4))
    with pytest.raises(TypeError, match="expects Tensors, got ndarray at position 1"):
        TensorDataset(al.zeros(3), np.zeros(3))


def test_subset_concat_and_add():
    a, b = TensorDataset(al.arange(3)), TensorDataset(al.arange(10, 15))
    s = Subset(b, [4, 0])
    assert s[0][0].item() == 14 and len(s) == 2
    c = a + s
    assert isinstance(c, ConcatDataset) and len(c) == 5 and c.cumulative_sizes == [3, 5]
    assert [c[i][0].item() for i in range(5)] == [0, 1, 2, 14, 10]
    assert c[-1][0].item() == 10
    with pytest.raises(ValueError, match="absolute value of index"):
        c[-6]
    with pytest.raises(IndexError):
        c[5]
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        ConcatDataset([])
    out = batches(DataLoader(c, batch_size=2))
    assert [x[0].tolist() for x in out] == [[0, 1], [2, 14], [10]]


def test_random_split_sizes_disjoint_reproducible():
    torch = pytest.importorskip("torch")
    ds = TensorDataset(al.arange(10))
    for lengths in ([3, 7], [0.33, 0.33, 0.34], [0.5, 0.5], [0.1, 0.2, 0.7]):
        parts = random_split(ds, lengths)
        want = [len(p) for p in torch.utils.data.random_split(range(10), lengths)]
        assert [len(p) for p in parts] == want
        seen = [i for p in parts for i in p.indices]
        assert sorted(seen) == list(range(10))
    one = [p.indices for p in random_split(range(30), [10, 20], generator=np.random.default_rng(3))]
    two = [p.indices for p in random_split(range(30), [10, 20], generator=np.random.default_rng(3))]
    assert one == two
    al.manual_seed(9)
    three = [p.indices for p in random_split(range(30), [10, 20])]
    al.manual_seed(9)
    assert three == [p.indices for p in random_split(range(30), [10, 20])]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 4])
    with pytest.raises(ValueError, match="Fraction at index 0"):
        random_split(ds, [1.5, -0.5])


# ---- collate -------------------------------------------------------------------------------------
Point = collections.namedtuple("Point", "x y")

COLLATE_CASES = {
    "floats": lambda lib: [1.5, 2.0],
    "ints": lambda lib: [1, 2],
    "bools": lambda lib: [True, False],
    "int_then_float": lambda lib: [1, 2.5],
    "np_f32": lambda lib: [np.float32(1), np.float32(2)],
    "np_f64": lambda lib: [np.float64(1)],
    "np_i32": lambda lib: [np.int32(1), np.int32(3)],
    "np_arrays": lambda lib: [np.zeros(3, np.float64), np.ones(3, np.float64)],
    "np_u8": lambda lib: [np.zeros((2, 2), np.uint8)] * 3,
    "tensors": lambda lib: [lib.ones(2, 3), lib.zeros(2, 3)],
    "tuples": lambda lib: [(lib.ones(2), 1, 2.0), (lib.zeros(2), 3, 4.0)],
    "lists": lambda lib: [[1, 2], [3, 4]],
    "dicts": lambda lib: [{"a": 1, "b": "x", "c": np.ones(2, np.float32)},
                          {"a": 2, "b": "y", "c": np.zeros(2, np.float32)}],
    "ordered": lambda lib: [collections.OrderedDict(b=1.0, a=2), collections.OrderedDict(b=3.0, a=4)],
    "namedtuple": lambda lib: [Point(1, 2.0), Point(3, 4.0)],
    "strings": lambda lib: ["cat", "dog"],
    "nested": lambda lib: [({"img": lib.ones(2)}, [1, (2, 3)]), ({"img": lib.zeros(2)}, [4, (5, 6)])],
}


def normal_form(x):
    """A comparable description: Tensors as (dtype, shape, values), containers with their type."""
    if hasattr(x, "dtype") and hasattr(x, "shape") and not isinstance(x, np.ndarray):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, [(k, normal_form(v)) for k, v in x.items()])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [normal_form(v) for v in x])
    return x


@pytest.mark.parametrize("case", sorted(COLLATE_CASES))
def test_default_collate_like_torch(case):
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    ours = default_collate(COLLATE_CASES[case](al))
    theirs = torch_collate(COLLATE_CASES[case](torch))
    assert normal_form(ours) == normal_form(theirs)


def test_default_collate_errors():
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="batch must contain"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])


def test_default_convert():
    out = default_convert((np.ones(2, np.float32), {"k": np.int64(3)}, "s", [np.zeros(1)]))
    assert isinstance(out, list) and out[0].dtype == al.float32
    assert out[1]["k"].dtype == al.int64 and out[2] == "s" and out[3][0].dtype == al.float64
    strings = np.array(["a"])
    assert default_convert(strings) is strings


def test_loader_matches_torch_order_and_len():
    torch = pytest.importorskip("torch")
    x = np.arange(23 * 2, dtype=np.float32).reshape(23, 2)
    for bs, drop in ((5, False), (5, True), (23, False), (30, True)):
        ours = DataLoader(TensorDataset(al.from_numpy(x)), batch_size=bs, drop_last=drop)
        theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x)),
                                             batch_size=bs, drop_last=drop)
        assert len(ours) == len(theirs)
        assert_same_batches(batches(ours), [[t.numpy() for t in b] for b in theirs])


def test_package_exports():
    assert set(ald.__all__) >= {"Dataset", "TensorDataset", "Subset", "ConcatDataset",
                                "random_split", "DataLoader", "default_collate"}
