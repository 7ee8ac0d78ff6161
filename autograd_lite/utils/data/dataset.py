"""Map-style datasets: ``dataset[i]`` is one sample and ``len(dataset)`` their number."""
import bisect
import itertools
import math
import numbers
import warnings

import numpy as np

from ...tensor import Tensor
from .sampler import generator_of

__all__ = ["Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "Subset", "ConcatDataset", "StackDataset",
           "random_split"]


class Dataset:
    """Base class of map-style datasets: define ``__getitem__`` (and ``__len__`` for the default
    samplers). ``a + b`` concatenates two datasets.

    Example::

        class Squares(Dataset):
            def __len__(self):
                return 10
            def __getitem__(self, i):
                return autograd_lite.tensor([float(i)]), i * i
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of datasets read as a stream: define ``__iter__``. With ``num_workers > 0`` each
    worker iterates its own copy; ``get_worker_info()`` tells a copy which part is its own.

    Example::

        class Count(IterableDataset):
            def __iter__(self):
                info = get_worker_info()
                start, step = (0, 1) if info is None else (info.id, info.num_workers)
                return iter(range(start, 10, step))
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """IterableDatasets one after the other: ``ChainDataset([a, b])`` (or ``a + b``) yields a's
    samples, then b's."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class TensorDataset(Dataset):
    """Samples are ``(t[i] for t in tensors)``: the tensors share their first dimension.

    Example: ``TensorDataset(images, labels)[0]`` is ``(images[0], labels[0])``. A DataLoader over
    it (or over a Subset of it) gathers each batch with one fancy index per tensor."""

    def __init__(self, *tensors):
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset expects Tensors, got {type(t).__name__} at position "
                                f"{i} (autograd_lite.from_numpy wraps a NumPy array)")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: the tensor at position {i} is 0-d; every tensor "
                                 "needs a first dimension to index samples along")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) > 1:
            raise AssertionError(f"Size mismatch between tensors: TensorDataset needs tensors with "
                                 f"the same first dimension, got sizes {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0] if self.tensors else 0


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``Subset(ds, [4, 2])[1]`` is
    ``ds[2]``."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)

    def _collated_batch(self, indices):
        """The DataLoader's batch hook, passed through to the underlying dataset (None if it has
        none, or if a subclass changed how items are fetched)."""
        inner = getattr(self.dataset, "_collated_batch", None)
        if inner is None or type(self).__getitem__ is not Subset.__getitem__:
            return None
        return inner(np.asarray(self.indices, dtype=np.int64).reshape(-1)[indices])


def tensor_source(dataset):
    """``(tensors, index)`` when samples of `dataset` are rows of in-memory tensors: a
    TensorDataset, or Subsets of one, whose ``__getitem__`` nobody overrode. `index` maps the
    dataset's indices to rows (None: identity). None for any other dataset."""
    index = None
    while isinstance(dataset, Subset) and type(dataset).__getitem__ is Subset.__getitem__:
        idx = np.asarray(dataset.indices, dtype=np.int64).reshape(-1)
        index = idx if index is None else idx[index]
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset) and type(dataset).__getitem__ is TensorDataset.__getitem__:
        return dataset.tensors, index
    return None


class ConcatDataset(Dataset):
    """The samples of several datasets one after the other.

    Example: ``len(ConcatDataset([a, b])) == len(a) + len(b)``; ``a + b`` builds the same."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        if which == len(self.datasets):
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length {len(self)}")
        return self.datasets[which][idx - (self.cumulative_sizes[which - 1] if which else 0)]


class StackDataset(Dataset):
    """Several datasets of one length side by side: item i is the tuple (or, given by keyword, the dict) of their
    items i.

    Example: ``StackDataset(images, texts)[0] == (images[0], texts[0])``;
    ``StackDataset(image=images, text=texts)[0] == {"image": images[0], "text": texts[0]}``."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                             "input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = args or tuple(kwargs.values())
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length


def random_split(dataset, lengths, generator=None):
    """Splits `dataset` into non-overlapping random Subsets of the given lengths, or of the given
    fractions of ``len(dataset)`` (floored, the remainder handed out one by one from the first).

    Example: ``train, val = random_split(ds, [0.8, 0.2])``; pass
    ``generator=numpy.random.default_rng(42)`` (or seed with ``manual_seed``) to reproduce it."""
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(lengths)):
            lengths[i % len(lengths)] += 1
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty "
                              "dataset.", stacklevel=2)
    if any(not isinstance(x, numbers.Integral) or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions that "
                         f"sum to 1, got {lengths}")
    lengths = [int(x) for x in lengths]
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = generator_of(generator).permutation(n).tolist()
    return [Subset(dataset, indices[end - length:end])
            for end, length in zip(itertools.accumulate(lengths), lengths)]
