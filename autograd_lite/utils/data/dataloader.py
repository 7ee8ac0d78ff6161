"""DataLoader: batches of a dataset, in order or shuffled, loaded in this process or in worker
processes (``num_workers``)."""
import itertools
import multiprocessing

import numpy as np

from ...autograd import profiler as _profiler
from ...backend import backend_of
from ...tensor import Tensor
from .collate import default_collate, default_convert
from .dataset import IterableDataset, tensor_source
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset")


class DataLoader:
    """Iterates over `dataset` in batches of ``batch_size`` samples, collated by ``collate_fn``.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``) or an ``IterableDataset``.
        batch_size: samples per batch; ``None`` yields single samples (through ``default_convert``).
        shuffle: a new random order every epoch, drawn from ``generator`` or, by default, from
            ``autograd_lite.random`` (``manual_seed`` makes it reproducible).
        sampler, batch_sampler: custom index orders, as in PyTorch (exclusive with ``shuffle``).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: turns a list of samples into a batch (default: ``default_collate``).
        generator: any object with NumPy's ``Generator`` interface.
        num_workers: 0 loads batches in this process; N > 0 starts N worker processes, each
            loading whole batches (its own copy of the dataset), returned in order.
        prefetch_factor: batches each worker loads ahead (default 2 with workers).
        persistent_workers: keep the workers (and their dataset copies) from epoch to epoch.
        worker_init_fn: called in each worker with its id, after seeding, before loading.
        multiprocessing_context: 'fork', 'spawn', 'forkserver' or a ``multiprocessing`` context
            (default: the platform's, fork on Linux, as PyTorch).
        timeout: seconds to wait for a worker's batch before a RuntimeError (0: forever).
        pin_memory, pin_memory_device: accepted; a no-op, since batches are made on the CPU and
            ``.to("cuda")`` copies them as they are.
        in_order: with False, workers' batches come as soon as they are ready.

    Each worker seeds Python's ``random``, NumPy's global generator and ``autograd_lite.random``
    from a base seed drawn each epoch from ``generator`` (or ``autograd_lite.random``), plus its
    id, as PyTorch does; ``get_worker_info()`` returns its id, seed and dataset copy. An exception
    in a worker is raised again here, with the worker's traceback in its message. Batches travel
    through shared memory: the arrays are mapped, not copied, in this process.

    Batches of a ``TensorDataset`` (or a ``Subset`` of one) with the default ``collate_fn`` are
    gathered with one fancy index per tensor, not sample by sample; the result is the same. A
    dataset may also batch itself: with the default ``collate_fn``, its
    ``_collated_batch(indices)`` (indices an int64 NumPy array) is called once per batch and must
    return what ``default_collate([dataset[i] for i in indices])`` would, or None to have the
    batch loaded sample by sample (MNIST does this with ``ToTensor`` + ``Normalize``). Both hold
    in worker processes too.

    Example::

        >>> loader = DataLoader(TensorDataset(images, labels), batch_size=64, shuffle=True)
        >>> images, labels = next(iter(loader))      # or iter(loader).next(), the legacy spelling
        >>> len(loader)                              # batches per epoch
        >>> loader = DataLoader(image_folder, batch_size=64, shuffle=True, num_workers=2)
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
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value}")
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
            sampler = _InfiniteConstantSampler() if iterable else \
                RandomSampler(dataset, generator=generator) if shuffle else \
                SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.collate_fn = collate_fn if collate_fn is not None else \
            default_collate if batch_sampler is not None else default_convert
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.pin_memory_device, self.in_order = pin_memory_device, in_order
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self._iterator = None
        self._initialized = True

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 "loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            elif not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object "
                                "or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self.__multiprocessing_context = context

    def __setattr__(self, name, value):
        if name in _FROZEN and self.__dict__.get("_initialized"):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is "
                             "initialized")
        object.__setattr__(self, name, value)

    def __iter__(self):
        if self.num_workers == 0:
            return _DataLoaderIter(self)
        from ._multiprocessing import MultiProcessingIter
        if not self.persistent_workers:
            return MultiProcessingIter(self)
        if self._iterator is None or self._iterator._shutdown:
            self._iterator = MultiProcessingIter(self)
        else:
            self._iterator._reset()
        return self._iterator

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)


class _InfiniteConstantSampler(Sampler):
    """An IterableDataset's sampler: None forever (the dataset decides what comes next)."""

    def __iter__(self):
        return itertools.repeat(None)


class _DataLoaderIter:
    """One pass over a DataLoader in this process: ``next(it)`` or the legacy ``it.next()``."""

    def __init__(self, loader):
        self._loader = loader
        self._fetch = Fetcher(loader)(loader.dataset)
        self._indices = index_batches(loader)

    def __iter__(self):
        return self

    def __next__(self):
        if _profiler._current is not None:         # a profiler records: the batch is an event, named as torch's
            with _profiler.record_function("enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__"):
                return self._fetch(next(self._indices))
        return self._fetch(next(self._indices))

    next = __next__

    def __len__(self):
        return len(self._loader)


def index_batches(loader):
    """An iterator over the loader's index batches (int64 arrays or lists) or single indices."""
    if isinstance(loader.dataset, IterableDataset):
        bs = loader.batch_size
        return itertools.repeat(None if bs is None else [None] * bs)
    bs = loader.batch_sampler
    if bs is None:
        return iter(loader.sampler)
    if isinstance(bs, BatchSampler) and type(bs).__iter__ is BatchSampler.__iter__:
        return iter(bs._index_batches())
    return iter(bs)


class Fetcher:
    """Picklable recipe (sent to spawned workers) for the function that turns an index batch of
    `dataset` into a collated batch: ``Fetcher(loader)(dataset)(indices)``."""

    def __init__(self, loader):
        self.collate_fn, self.drop_last = loader.collate_fn, loader.drop_last
        self.auto_collation = loader.batch_sampler is not None

    def __call__(self, dataset):
        if isinstance(dataset, IterableDataset):
            return _iterable_fetcher(dataset, self.collate_fn, self.auto_collation,
                                     self.drop_last)
        return _map_fetcher(dataset, self.collate_fn, self.auto_collation)


def _iterable_fetcher(dataset, collate, auto_collation, drop_last):
    samples = iter(dataset)

    def fetch(indices):
        if not auto_collation:
            return collate(next(samples))
        batch = list(itertools.islice(samples, len(indices)))
        if not batch or (drop_last and len(batch) < len(indices)):
            raise StopIteration
        return collate(batch)
    return fetch


def _map_fetcher(dataset, collate, auto_collation):
    if not auto_collation:
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
