"""The NCCL engine (CuPy's ``cupy.cuda.nccl``): collectives on CuPy arrays on the GPU, in place, on the current
stream; the communicator's unique id is broadcast over MPI. Imports CuPy only when a process group is made."""
from .reduce_op import ReduceOp
from .work import Work

__all__ = ["NCCLEngine", "nccl_module"]


def nccl_module():
    from cupy.cuda import nccl
    return nccl


class NCCLEngine:
    """A NCCL communicator over the ranks of MPI communicator `comm` (one GPU per rank: the current device)."""
    host_only = False

    def __init__(self, comm):
        import cupy
        self.cupy, self.nccl, self.comm = cupy, nccl_module(), comm
        n = self.nccl
        uid = n.get_unique_id() if comm.Get_rank() == 0 else None
        uid = comm.bcast(uid, 0)            # a tuple of ints: the rendezvous, not data
        self.nc = n.NcclCommunicator(comm.Get_size(), uid, comm.Get_rank())
        self._ops = {ReduceOp.SUM: n.NCCL_SUM, ReduceOp.PRODUCT: n.NCCL_PROD, ReduceOp.MIN: n.NCCL_MIN,
                     ReduceOp.MAX: n.NCCL_MAX}
        self._types = {"float16": n.NCCL_FLOAT16, "float32": n.NCCL_FLOAT32, "float64": n.NCCL_FLOAT64,
                       "int8": n.NCCL_INT8, "uint8": n.NCCL_UINT8, "int32": n.NCCL_INT32, "int64": n.NCCL_INT64,
                       "bool": n.NCCL_UINT8}

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()

    def _type(self, a):
        t = self._types.get(a.dtype.name)
        if t is None:
            raise RuntimeError(f"NCCL backend: unsupported dtype {a.dtype.name}")
        return t

    def _op(self, op, a):
        if op not in self._ops:
            raise RuntimeError(f"Cannot use ReduceOp.{op.name} with NCCL")
        if a.dtype.kind == "b" and op is ReduceOp.SUM:
            return self.nccl.NCCL_MAX     # as PyTorch: bools travel as uint8, where a sum would leave 2s in them
        return self._ops[op]

    def _work(self, finish, keep):
        event = self.cupy.cuda.Event()
        event.record()
        return Work(lambda: event.done, lambda: (event.synchronize(), keep), finish)

    @staticmethod
    def _stream():
        import cupy
        return cupy.cuda.get_current_stream().ptr

    def allreduce(self, buf, op, finish=None):
        self.nc.allReduce(buf.data.ptr, buf.data.ptr, buf.size, self._type(buf), self._op(op, buf), self._stream())
        return self._work(finish, buf)

    def broadcast(self, buf, root, finish=None):
        self.nc.bcast(buf.data.ptr, buf.size, self._type(buf), root, self._stream())
        return self._work(finish, buf)

    def reduce(self, buf, op, root, finish=None):
        self.nc.reduce(buf.data.ptr, buf.data.ptr, buf.size, self._type(buf), self._op(op, buf), root,
                       self._stream())
        return self._work(finish, buf)

    def allgather(self, send, recv, finish=None):
        self.nc.allGather(send.data.ptr, recv.data.ptr, send.size, self._type(send), self._stream())
        return self._work(finish, (send, recv))

    def reduce_scatter(self, send, recv, op, finish=None):
        self.nc.reduceScatter(send.data.ptr, recv.data.ptr, recv.size, self._type(recv), self._op(op, recv),
                              self._stream())
        return self._work(finish, (send, recv))

    def gather(self, send, recv, root, finish=None):
        # NCCL has no gather: point-to-point sends to the root inside one group call
        n, s, stream, t = self.nccl, send.size, self._stream(), self._type(send)
        n.groupStart()
        if self.rank() == root:
            for peer in range(self.size()):
                self.nc.recv(recv.data.ptr + peer * s * send.itemsize, s, t, peer, stream)
        self.nc.send(send.data.ptr, s, t, root, stream)
        n.groupEnd()
        return self._work(finish, (send, recv))

    def scatter(self, send, recv, root, finish=None):
        n, s, stream, t = self.nccl, recv.size, self._stream(), self._type(recv)
        n.groupStart()
        if self.rank() == root:
            for peer in range(self.size()):
                self.nc.send(send.data.ptr + peer * s * recv.itemsize, s, t, peer, stream)
        self.nc.recv(recv.data.ptr, s, t, root, stream)
        n.groupEnd()
        return self._work(finish, (send, recv))

    def barrier(self):
        self.cupy.cuda.get_current_stream().synchronize()
        self.comm.Barrier()
        return Work(lambda: True, lambda: None)

    def allgather_object(self, obj):
        return self.comm.allgather(obj)

    def bcast_object(self, obj, root):
        return self.comm.bcast(obj, root)

    def gather_object(self, obj, root):
        return self.comm.gather(obj, root)

    def scatter_object(self, objs, root):
        return self.comm.scatter(objs, root)

    def free(self):
        self.nc.destroy()
        self.comm.Free()                    # this group's own MPI communicator (a Dup or a Split)
