"""What runs inside a DataLoader worker process: its seeding, ``get_worker_info()``, the loop that
turns index batches into collated batches, and how exceptions travel back to the main process."""
import os
import random
import sys
import traceback

from multiprocessing.reduction import ForkingPickler

import numpy as np

from ... import random as _random
from ._shared import register_reducers

__all__ = ["WorkerInfo", "get_worker_info"]

STATUS_CHECK_INTERVAL = 5.0     # seconds between checks that the main process is still there
_worker_info = None


class WorkerInfo:
    """What a worker process knows about itself: ``id``, ``num_workers``, ``seed`` and its copy of
    the ``dataset``. Read-only, as in PyTorch."""

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, val)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{type(self).__name__}({items})"


def get_worker_info():
    """In a DataLoader worker process, its ``WorkerInfo`` (id, num_workers, seed, dataset); None in
    the main process. An IterableDataset uses it to split its samples between workers.

    Example::

        >>> info = get_worker_info()
        >>> start = 0 if info is None else info.id      # then step by info.num_workers
    """
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, with its traceback as text; ``reraise()`` raises it again
    in the main process with the same type (RuntimeError when the type takes no message)."""

    def __init__(self, where):
        exc_type, exc, tb = sys.exc_info()
        self.exc_name = exc_type.__name__
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        try:
            ForkingPickler.dumps(exc_type)
        except Exception:                   # a local class: raised again as a RuntimeError
            exc_type = RuntimeError
        self.exc_type = exc_type
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:        # KeyError's str() repr()s its message: keep newlines
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


class IterableStop:
    """A worker's answer once its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class ResumeIteration:
    """Sent to persistent workers at each new epoch; echoed back once the worker has reset."""


def generate_state(base_seed, worker_id):
    """The four 32-bit words PyTorch seeds NumPy's global generator with in worker `worker_id`
    (numpy's SeedSequence hash of (worker_id, base_seed)), so the two differ from random's."""
    mask = 0xFFFFFFFF
    hash_const = [0x43B0D7E5]

    def hash32(value):
        value = (value ^ hash_const[0]) & mask
        hash_const[0] = (hash_const[0] * 0x931E8875) & mask
        value = (value * hash_const[0]) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x, y):
        result = (0xCA01F9DD * x - 0x4973F715 * y) & mask
        return (result ^ (result >> 16)) & mask

    entropy = [worker_id, base_seed & mask, base_seed >> 32, 0]
    pool = [hash32(e) for e in entropy]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash32(pool[i_src]))
    hash_const_b = 0x8B51F9DD
    state = []
    for i in range(4):
        data_val = pool[i] ^ hash_const_b
        hash_const_b = (hash_const_b * 0x58F38DED) & mask
        data_val = (data_val * hash_const_b) & mask
        state.append((data_val ^ (data_val >> 16)) & mask)
    return state


def _seed_worker(seed, base_seed, worker_id):
    random.seed(seed)
    _random.manual_seed(seed)
    np.random.seed(generate_state(base_seed, worker_id))


def worker_loop(make_fetcher, dataset, index_reader, result_writer, result_lock, done_event,
                base_seed, init_fn, worker_id, num_workers, parent_pid):
    """Reads index batches ``(idx, indices)`` from the pipe `index_reader` and writes
    ``(idx, batch)``, pickled, to `result_writer` until it reads None, `done_event` is set, or the
    main process is gone. Pipes, not queues: no feeder thread can hold back a message."""
    global _worker_info
    try:
        from ...kernels.cpu._threads import set_num_threads
        set_num_threads(1)                # the parallelism is the workers, as in PyTorch
        register_reducers()
        seed = base_seed + worker_id
        _seed_worker(seed, base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(dataset)
        except Exception:
            init_error = ExceptionWrapper(where)      # the answer to every task
        exhausted = False
        while True:
            if not index_reader.poll(STATUS_CHECK_INTERVAL):
                if os.getppid() != parent_pid:          # orphaned: the main process died
                    break
                continue
            task = index_reader.recv()
            if task is None:
                break
            if isinstance(task, ResumeIteration):
                exhausted = False
                if init_error is None:
                    fetcher = make_fetcher(dataset)
                _send(result_writer, result_lock, (task, None), where)
                continue
            if done_event.is_set() or exhausted:
                continue                                # drain until told to stop
            idx, indices = task
            if init_error is not None:
                data = init_error
            else:
                try:
                    data = fetcher(indices)
                except StopIteration:
                    exhausted, data = True, IterableStop(worker_id)
                except Exception:
                    data = ExceptionWrapper(where)
            _send(result_writer, result_lock, (idx, data), where)
            del data
    except (KeyboardInterrupt, BrokenPipeError, EOFError):
        pass                    # the main process handles the interrupt, or is gone


def _send(writer, lock, message, where):
    """`message` pickled here, so that a batch that cannot be pickled becomes an error for the
    main process instead of a batch that never comes."""
    try:
        payload = ForkingPickler.dumps(message)
    except Exception:
        payload = ForkingPickler.dumps((message[0], ExceptionWrapper(where + " (pickling its "
                                                                     "batch)")))
    with lock:
        writer.send_bytes(payload)
