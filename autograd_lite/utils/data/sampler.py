"""Samplers: the dataset indices a DataLoader visits, and in which order.

Shuffling draws from ``autograd_lite.random``'s global generator (``manual_seed`` makes it
reproducible) or from the ``generator=`` given: any object with NumPy's ``Generator`` interface
(``permutation``, ``integers``), e.g. ``numpy.random.default_rng(0)`` or what
``autograd_lite.manual_seed`` returns."""
import numpy as np

from ... import random
from ...creation import from_numpy
from ...ops.sampling import multinomial

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]


def generator_of(generator):
    """`generator`, or the global one as it is now (manual_seed replaces it)."""
    gen = random.generator() if generator is None else generator
    if not callable(getattr(gen, "permutation", None)):
        raise TypeError("generator must have NumPy's Generator interface (numpy.random.default_rng(0), "
                        f"or what autograd_lite.manual_seed returns), got {type(generator).__name__}")
    return gen


class Sampler:
    """Base class: ``__iter__`` yields dataset indices, ``__len__`` says how many."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError("Subclasses of Sampler should implement __iter__.")


class _ArraySampler(Sampler):
    """A sampler whose whole epoch is one int64 array (`_index_array`), so the DataLoader slices
    batches out of it instead of iterating index by index."""

    def __iter__(self):
        return iter(self._index_array().tolist())


def is_array_sampler(sampler):
    """True when iterating `sampler` is exactly iterating its `_index_array()`."""
    return isinstance(sampler, _ArraySampler) and type(sampler).__iter__ is _ArraySampler.__iter__


class SequentialSampler(_ArraySampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _index_array(self):
        return np.arange(len(self.data_source), dtype=np.int64)

    def __len__(self):
        return len(self.data_source)


class RandomSampler(_ArraySampler):
    """A random permutation of the indices each epoch, or ``num_samples`` draws with replacement.

    Example: ``DataLoader(ds, sampler=RandomSampler(ds, replacement=True, num_samples=100))``."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.data_source, self.replacement, self._num_samples = data_source, replacement, num_samples
        self.generator = generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_array(self):
        n, k, gen = len(self.data_source), self.num_samples, generator_of(self.generator)
        if self.replacement:
            return gen.integers(0, n, size=k, dtype=np.int64)
        parts = [gen.permutation(n) for _ in range(k // n)] + [gen.permutation(n)[:k % n]]
        return np.concatenate(parts).astype(np.int64, copy=False)

    def __len__(self):
        return self.num_samples


class WeightedRandomSampler(_ArraySampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (one per dataset item), with
    replacement by default: class-balanced batches from an imbalanced data set.

    Example::

        weights = 1.0 / class_counts[labels]            # each item weighted by its class's rarity
        loader = DataLoader(ds, batch_size=64, sampler=WeightedRandomSampler(weights, len(ds)))
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = np.asarray(weights.tolist() if hasattr(weights, "tolist") else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        self.weights = from_numpy(w)
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def _index_array(self):
        return multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator).numpy()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(_ArraySampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def _index_array(self):
        indices = np.asarray(self.indices, dtype=np.int64).reshape(-1)
        return indices[generator_of(self.generator).permutation(len(indices))]

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size``.

    Example: ``list(BatchSampler(SequentialSampler(range(5)), 2, False))`` is
    ``[[0, 1], [2, 3], [4]]``."""

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def _index_batches(self):
        """The batches as int64 arrays when the sampler is an array sampler, else as lists."""
        bs = self.batch_size
        if is_array_sampler(self.sampler):
            idx = self.sampler._index_array()
            stop = len(idx) - len(idx) % bs if self.drop_last else len(idx)
            return (idx[i:i + bs] for i in range(0, stop, bs))
        return self._list_batches()

    def _list_batches(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __iter__(self):
        for batch in self._index_batches():
            yield batch.tolist() if isinstance(batch, np.ndarray) else batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
