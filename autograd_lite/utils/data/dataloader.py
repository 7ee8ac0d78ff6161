"""DataLoader: batches of a dataset, in order or shuffled."""
import numpy as np

from ...backend import backend_of
from ...tensor import Tensor
from .collate import default_collate, default_convert
from .dataset import tensor_source
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset")


class DataLoader:
    """Iterates over `dataset` in batches of ``batch_size`` samples, collated by ``collate_fn``.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch; ``None`` yields single samples (through ``default_convert``).
        shuffle: a new random order every epoch, drawn from ``generator`` or, by default, from
            ``autograd_lite.random`` (``manual_seed`` makes it reproducible).
        sampler, batch_sampler: custom index orders, as in PyTorch (exclusive with ``shuffle``).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: turns a list of samples into a batch (default: ``default_collate``).
        generator: any object with NumPy's ``Generator`` interface.
        num_workers, pin_memory, timeout, worker_init_fn, prefetch_factor, persistent_workers:
            accepted for compatibility; batches are always loaded in the main process.

    Batches of a ``TensorDataset`` (or a ``Subset`` of one) with the default ``collate_fn`` are
    gathered with one fancy index per tensor, not sample by sample; the result is the same. A
    dataset may also batch itself: with the default ``collate_fn``, its
    ``_collated_batch(indices)`` (indices an int64 NumPy array) is called once per batch and must
    return what ``default_collate([dataset[i] for i in indices])`` would, or None to have the
    batch loaded sample by sample (MNIST does this with ``ToTensor`` + ``Normalize``).

    Example::

        >>> loader = DataLoader(TensorDataset(images, labels), batch_size=64, shuffle=True)
        >>> images, labels = next(iter(loader))      # or iter(loader).next(), the legacy spelling
        >>> len(loader)                              # batches per epoch
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                SequentialSampler(dataset)
        if batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.collate_fn = collate_fn if collate_fn is not None else \
            default_collate if batch_sampler is not None else default_convert
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self._initialized = True

    def __setattr__(self, name, value):
        if name in _FROZEN and self.__dict__.get("_initialized"):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is "
                             "initialized")
        object.__setattr__(self, name, value)

    def __iter__(self):
        return _DataLoaderIter(self)

    def __len__(self):
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)


class _DataLoaderIter:
    """One pass over a DataLoader: ``next(it)`` or the legacy ``it.next()``."""

    def __init__(self, loader):
        self._loader = loader
        self._fetch = _fetcher(loader)
        self._indices = iter(_index_batches(loader))

    def __iter__(self):
        return self

    def __next__(self):
        return self._fetch(next(self._indices))

    next = __next__

    def __len__(self):
        return len(self._loader)


def _index_batches(loader):
    bs = loader.batch_sampler
    if bs is None:
        return loader.sampler
    if isinstance(bs, BatchSampler) and type(bs).__iter__ is BatchSampler.__iter__:
        return bs._index_batches()
    return bs


def _fetcher(loader):
    dataset, collate = loader.dataset, loader.collate_fn
    if loader.batch_sampler is None:
        return lambda index: collate(dataset[index])
    source = tensor_source(dataset) if collate is default_collate else None
    if source is not None:
        return lambda batch: _gather(*source, batch)

    def per_sample(batch):
        return collate([dataset[i] for i in
                        (batch.tolist() if isinstance(batch, np.ndarray) else batch)])

    collated_batch = getattr(dataset, "_collated_batch", None) if collate is default_collate \
        else None
    if collated_batch is None:
        return per_sample

    def whole_batch(batch):
        out = collated_batch(np.asarray(batch, dtype=np.int64))
        return per_sample(batch) if out is None else out
    return whole_batch


def _gather(tensors, index, batch):
    """The batch of a TensorDataset: one fancy index per tensor (through autograd when the tensor
    requires grad, as stacking its rows would be)."""
    rows = np.asarray(batch, dtype=np.int64)
    if index is not None:
        rows = index[rows]
    out = []
    for t in tensors:
        if t._rg:
            out.append(t[Tensor._make(rows)])
        else:
            data = t._data
            on_device = rows if type(data) is np.ndarray else backend_of(data).xp.asarray(rows)
            out.append(Tensor._make(data[on_device]))
    return out
