"""One pass (or, with persistent workers, every pass) over a DataLoader with worker processes:
index batches go to the workers round robin, at most ``prefetch_factor`` per worker ahead, and
their collated batches come back through one result pipe, handed out in order."""
import itertools
import multiprocessing
import os
import time
import types
import weakref
from multiprocessing.reduction import ForkingPickler

from ... import random as _random
from .dataloader import Fetcher, index_batches
from .sampler import generator_of
from ._worker import STATUS_CHECK_INTERVAL, ExceptionWrapper, IterableStop, ResumeIteration, \
    worker_loop

_POLL = 1.0     # seconds between checks that the workers are alive while waiting for a batch


class MultiProcessingIter:
    """The workers and the bookkeeping of one DataLoader's multi-process iteration."""

    def __init__(self, loader):
        self._loader = weakref.ref(loader)     # no cycle: persistent workers end with the loader
        self._sources = types.SimpleNamespace(dataset=loader.dataset, sampler=loader.sampler,
                                              batch_sampler=loader.batch_sampler,
                                              batch_size=loader.batch_size)
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._timeout, self._in_order = loader.timeout, loader.in_order
        self._persistent = loader.persistent_workers
        self._shutdown = True                   # until the workers exist
        ctx = loader.multiprocessing_context or multiprocessing
        base_seed = int(generator_of(loader.generator).integers(0, 1 << 63, dtype="int64"))
        self._result_reader, result_writer = ctx.Pipe(duplex=False)
        self._result_lock = result_lock = ctx.Lock()  # kept: a spawned child rebuilds it late
        self._done = ctx.Event()
        self._index_writers, self._workers = [], []
        fetcher = Fetcher(loader)
        try:
            for worker_id in range(self._num_workers):
                index_reader, index_writer = ctx.Pipe(duplex=False)
                worker = ctx.Process(
                    target=worker_loop, daemon=True,
                    args=(fetcher, loader.dataset, index_reader, result_writer, result_lock,
                          self._done, base_seed, loader.worker_init_fn, worker_id,
                          self._num_workers, os.getpid()))
                worker.start()
                index_reader.close()
                self._index_writers.append(index_writer)
                self._workers.append(worker)
        finally:
            result_writer.close()           # the workers hold theirs: EOF here once all are gone
            self._shutdown = False
            if len(self._workers) < self._num_workers:
                self._shutdown_workers()
        self._reset(first=True)

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader())

    def _reset(self, first=False):
        """Starts a pass: a new index order; persistent workers restart their iterables."""
        self._indices = index_batches(self._sources)
        self._send_idx = self._rcvd_idx = 0
        self._task_info, self._outstanding = {}, 0
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first:
            for w in self._index_writers:
                w.send(ResumeIteration())
            resumed = 0
            while resumed < self._num_workers:   # batches of an abandoned pass are dropped
                _, data = self._get_data()
                resumed += isinstance(_, ResumeIteration)
        for _ in range(self._prefetch):
            self._try_put_index()

    def _try_put_index(self):
        if self._outstanding >= self._prefetch:
            return
        try:
            indices = next(self._indices)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._active[worker_id]:
                break
        else:
            return
        self._index_writers[worker_id].send((self._send_idx, indices))
        self._task_info[self._send_idx] = (worker_id,)
        self._outstanding += 1
        self._send_idx += 1

    def __next__(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._active[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)      # done, or its worker ran dry
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                data = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process(data)
            idx, data = self._get_data()
            self._outstanding -= 1
            if isinstance(data, IterableStop):
                self._active[data.worker_id] = False
                self._try_put_index()
                continue
            if idx != self._rcvd_idx and self._in_order:
                self._task_info[idx] += (data,)
                continue
            del self._task_info[idx]
            if idx == self._rcvd_idx:
                self._rcvd_idx += 1
            return self._process(data)

    next = __next__

    def _process(self, data):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _get_data(self):
        """The next ``(idx, batch)`` from any worker; RuntimeError past the timeout or when a
        worker died."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
            if self._poll(max(wait, 0)):
                try:
                    return ForkingPickler.loads(self._result_reader.recv_bytes())
                except EOFError:            # every worker gone
                    for w in self._workers:
                        w.join(_POLL)
            dead = [w for w in self._workers if not w.is_alive()]
            if dead:
                pids = ", ".join(str(w.pid) for w in dead)
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _poll(self, wait):
        try:
            return self._result_reader.poll(wait)
        except (EOFError, OSError):     # every worker gone: the liveness check tells why
            return False

    def _shutdown_workers(self):
        """Stops the workers and drops what they had sent (which frees its shared memory)."""
        if self._shutdown:
            return
        self._shutdown = True
        self._sources = None
        try:
            self._done.set()
            for w in self._index_writers:
                try:
                    w.send(None)
                except OSError:                 # that worker is gone already
                    pass
            deadline = time.monotonic() + STATUS_CHECK_INTERVAL
            while any(w.is_alive() for w in self._workers) and time.monotonic() < deadline:
                self._drain(0.05)
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                w.join()
            self._drain(0)
        finally:
            for conn in self._index_writers + [self._result_reader]:
                conn.close()

    def _drain(self, wait):
        try:
            while self._result_reader.poll(wait):
                ForkingPickler.loads(self._result_reader.recv_bytes())   # unlinks its blocks
        except Exception:           # EOF: every worker has exited
            pass

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:       # at interpreter exit the modules may be half torn down
            pass
