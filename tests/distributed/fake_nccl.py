"""A stand-in ``cupy.cuda.nccl`` for machines without a GPU: CuPy's NCCL API (get_unique_id, NcclCommunicator and
its collectives by device pointer, groupStart/groupEnd, the NCCL_* constants, NcclError) over MPI between the
ranks, on the host memory of tests/fake_cuda.py's arrays (their ``.data.ptr`` is the address of their NumPy
buffer). As NCCL: counts in elements, in place when the send and receive pointers are equal, the communicator made
by every rank calling NcclCommunicator with the same unique id (its creator's world rank: the rendezvous). Each call
has finished when it returns, so the stand-in's events are always done.

``install()`` (in an MPI worker, before ``init_process_group("nccl")``) puts a stand-in ``cupy`` holding it in
sys.modules and registers the stand-in 'cuda' device of tests/fake_cuda.py."""
import ctypes
import itertools
import pathlib
import sys
import types

import numpy as np
from mpi4py import MPI

sys.path.insert(0, str(pathlib.Path(__file__).parents[1]))      # tests/: fake_cuda, emulated_cupy
import emulated_cupy  # noqa: E402
import fake_cuda  # noqa: E402

available = True
NCCL_UNIQUE_ID_BYTES = 128
NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN, NCCL_AVG = range(5)
NCCL_INT8, NCCL_UINT8, NCCL_INT32, NCCL_UINT32, NCCL_INT64, NCCL_UINT64, NCCL_FLOAT16, NCCL_FLOAT32, \
    NCCL_FLOAT64, NCCL_BFLOAT16 = range(10)
NCCL_CHAR, NCCL_INT, NCCL_HALF, NCCL_FLOAT, NCCL_DOUBLE = NCCL_INT8, NCCL_INT32, NCCL_FLOAT16, NCCL_FLOAT32, \
    NCCL_FLOAT64
_DTYPES = {NCCL_INT8: np.int8, NCCL_UINT8: np.uint8, NCCL_INT32: np.int32, NCCL_UINT32: np.uint32,
           NCCL_INT64: np.int64, NCCL_UINT64: np.uint64, NCCL_FLOAT16: np.float16, NCCL_FLOAT32: np.float32,
           NCCL_FLOAT64: np.float64}
_REDUCE = {NCCL_SUM: np.add, NCCL_PROD: np.multiply, NCCL_MAX: np.maximum, NCCL_MIN: np.minimum}
INVALID_ARGUMENT, INVALID_USAGE = 4, 5
_serials = itertools.count(1)
_group = {"depth": 0, "pending": []}        # the point-to-point calls of the open group (NCCL's group semantics)


class NcclError(RuntimeError):
    def __init__(self, status, why=""):
        self.status = status
        name = {INVALID_ARGUMENT: "NCCL_ERROR_INVALID_ARGUMENT", INVALID_USAGE: "NCCL_ERROR_INVALID_USAGE"}[status]
        super().__init__(f"{name}: {why}")


def get_version():
    return 22000


def get_unique_id():
    """128 signed chars, as CuPy's: here the creator's MPI world rank and a serial (the rendezvous address)."""
    head = np.array([MPI.COMM_WORLD.Get_rank(), next(_serials)], "<i4").view(np.int8).tolist()
    return tuple(head + [0] * (NCCL_UNIQUE_ID_BYTES - len(head)))


def groupStart():
    _group["depth"] += 1


def groupEnd():
    if _group["depth"] == 0:
        raise NcclError(INVALID_USAGE, "groupEnd without groupStart")
    _group["depth"] -= 1
    if _group["depth"] == 0:
        pending, _group["pending"] = _group["pending"], []
        MPI.Request.Waitall([request for request, _ in pending])


def _int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):      # Cython's int / size_t / intptr_t
        raise TypeError(f"an integer is required for {name}, got {type(value).__name__}")
    return int(value)


def _array(ptr, count, datatype):
    """The `count` elements of `datatype` at device pointer `ptr`: a NumPy view of that memory."""
    ptr, count, datatype = _int(ptr, "a pointer"), _int(count, "count"), _int(datatype, "datatype")
    if datatype not in _DTYPES:
        raise NcclError(INVALID_ARGUMENT, f"invalid data type {datatype}")
    dtype = np.dtype(_DTYPES[datatype])
    if count == 0:
        return np.empty(0, dtype)
    if ptr == 0:
        raise NcclError(INVALID_ARGUMENT, "null pointer")
    return np.frombuffer((ctypes.c_ubyte * (count * dtype.itemsize)).from_address(ptr), dtype)


def _bytes(a):
    """`a`'s memory as bytes: MPI moves them whatever the dtype (it has no float16)."""
    return a.view(np.uint8)


def _reduce(stack, op, n):
    """The elementwise reduction of `stack`'s rows by NCCL op `op`, in their dtype (wrapping, as NCCL's)."""
    op = _int(op, "op")
    dtype = stack.dtype
    with np.errstate(all="ignore"):
        if op == NCCL_AVG:
            total = np.add.reduce(stack, axis=0, dtype=dtype)
            return (total / n).astype(dtype) if dtype.kind == "f" else total // n
        if op not in _REDUCE:
            raise NcclError(INVALID_ARGUMENT, f"invalid reduction operation {op}")
        return _REDUCE[op].reduce(stack, axis=0, dtype=dtype)


class NcclCommunicator:
    """One rank of a communicator of `ndev` ranks: made when every rank has called it with the same `commId`."""

    def __init__(self, ndev, commId, rank):
        if not isinstance(commId, tuple):
            raise TypeError(f"Argument 'commId' has incorrect type (expected tuple, got {type(commId).__name__})")
        assert len(commId) == NCCL_UNIQUE_ID_BYTES
        ndev, rank = _int(ndev, "ndev"), _int(rank, "rank")
        if not 0 <= rank < ndev:
            raise NcclError(INVALID_ARGUMENT, f"rank {rank} of {ndev}")
        root, serial = np.array(commId[:8], np.int8).view("<i4").tolist()
        world, tag = MPI.COMM_WORLD, 1000 + serial % 20000
        # the rendezvous: every rank tells the id's creator its world rank; the creator answers with them all
        if world.Get_rank() == root:
            ranks = {rank: root}
            for _ in range(ndev - 1):
                r, w = world.recv(source=MPI.ANY_SOURCE, tag=tag)
                if r in ranks:
                    raise NcclError(INVALID_USAGE, f"two processes claim rank {r}")
                ranks[r] = w
            order = [ranks[r] for r in range(ndev)]
            for w in order:
                if w != root:
                    world.send(order, dest=w, tag=tag)
        else:
            world.send((rank, world.Get_rank()), dest=root, tag=tag)
            order = world.recv(source=root, tag=tag)
        everyone = world.Get_group()
        members = everyone.Incl(order)
        self._comm = world.Create_group(members, tag)       # collective over the members only, as NCCL's init
        members.Free()
        everyone.Free()
        self._rank, self._size = rank, ndev

    def _live(self):
        if self._comm is None:
            raise NcclError(INVALID_ARGUMENT, "the communicator was destroyed")
        return self._comm

    def destroy(self):
        if self._comm is not None:
            self._comm.Free()
            self._comm = None

    abort = destroy

    @property
    def comm(self):
        return id(self) if self._comm is not None else 0

    def device_id(self):
        return 0

    def rank_id(self):
        return self._rank

    def size(self):
        return self._size

    def check_async_error(self):
        pass

    def _stack(self, send):
        """Every rank's `send`, one row each, on every rank."""
        stack = np.empty((self._size, send.size), send.dtype)
        self._live().Allgather(_bytes(send.copy()), _bytes(stack))
        return stack

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):
        _int(stream, "stream")
        send, recv = _array(sendbuf, count, datatype), _array(recvbuf, count, datatype)
        recv[...] = _reduce(self._stack(send), op, self._size)

    def reduce(self, sendbuf, recvbuf, count, datatype, op, root, stream):
        _int(stream, "stream")
        root = self._root(root)
        send = _array(sendbuf, count, datatype)
        stack = np.empty((self._size, send.size), send.dtype) if self._rank == root else None
        self._live().Gather(_bytes(send.copy()), None if stack is None else _bytes(stack), root)
        if self._rank == root:
            _array(recvbuf, count, datatype)[...] = _reduce(stack, op, self._size)

    def bcast(self, buff, count, datatype, root, stream):
        _int(stream, "stream")
        self._live().Bcast(_bytes(_array(buff, count, datatype)), self._root(root))

    def broadcast(self, sendbuff, recvbuff, count, datatype, root, stream):
        root = self._root(root)
        if self._rank == root and sendbuff != recvbuff:
            _array(recvbuff, count, datatype)[...] = _array(sendbuff, count, datatype)
        self.bcast(recvbuff, count, datatype, root, stream)

    def allGather(self, sendbuf, recvbuf, count, datatype, stream):
        _int(stream, "stream")
        recv = _array(recvbuf, count * self._size, datatype)
        self._live().Allgather(_bytes(_array(sendbuf, count, datatype).copy()), _bytes(recv))

    def reduceScatter(self, sendbuf, recvbuf, recvcount, datatype, op, stream):
        _int(stream, "stream")
        send = _array(sendbuf, recvcount * self._size, datatype)
        parts = np.empty_like(send)
        self._live().Alltoall(_bytes(send.copy()), _bytes(parts))        # rank i gets every rank's i-th part
        _array(recvbuf, recvcount, datatype)[...] = _reduce(parts.reshape(self._size, -1), op, self._size)

    def send(self, sendbuf, count, datatype, peer, stream):
        _int(stream, "stream")
        buf = _array(sendbuf, count, datatype)
        self._p2p(self._live().Isend(_bytes(buf), self._root(peer)), buf)

    def recv(self, recvbuf, count, datatype, peer, stream):
        _int(stream, "stream")
        buf = _array(recvbuf, count, datatype)
        self._p2p(self._live().Irecv(_bytes(buf), self._root(peer)), buf)

    def _p2p(self, request, buf):
        if _group["depth"]:
            _group["pending"].append((request, buf))        # buf: kept alive until groupEnd
        else:
            request.Wait()

    def _root(self, r):
        r = _int(r, "root")
        if not 0 <= r < self._size:
            raise NcclError(INVALID_ARGUMENT, f"invalid rank {r} (communicator of {self._size})")
        return r


class Event:
    """cupy.cuda.Event: every stand-in NCCL call has finished when it returns, so an event is done at once."""
    done = True

    def record(self, stream=None):
        pass

    def synchronize(self):
        pass

    def query(self):
        return True


class Stream:
    ptr = 0                 # the default stream

    def synchronize(self):
        pass


def get_current_stream(device_id=None):
    return Stream()


def install():
    """Makes ``import cupy`` / ``from cupy.cuda import nccl`` find the stand-ins and registers the stand-in 'cuda'
    device; returns a function that undoes both."""
    nccl = sys.modules[__name__]
    cp = emulated_cupy.module()
    cuda = types.ModuleType("cupy.cuda")
    cuda.__dict__.update(vars(cp.cuda), nccl=nccl, Event=Event, Stream=Stream,
                         get_current_stream=get_current_stream)
    cp.cuda = cuda
    saved = {k: sys.modules.get(k) for k in ("cupy", "cupy.cuda", "cupy.cuda.nccl")}
    sys.modules.update({"cupy": cp, "cupy.cuda": cuda, "cupy.cuda.nccl": nccl})
    remove_device = fake_cuda.install()

    def remove():
        remove_device()
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return remove
