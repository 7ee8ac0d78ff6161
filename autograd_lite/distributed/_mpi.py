"""The MPI engine (mpi4py): collectives on contiguous host arrays, straight from their buffers (never pickled),
non-blocking (MPI-3's I* calls) so that one code path serves async_op=True and False."""
from .reduce_op import ReduceOp
from .work import Work

__all__ = ["MPIEngine", "mpi"]


def mpi():
    """mpi4py's MPI module (importing it initialises MPI: rank and size come from the launcher, mpiexec)."""
    from mpi4py import MPI
    return MPI


class MPIEngine:
    """One MPI communicator (a process group's ranks); arrays are NumPy, C-contiguous, on the host."""
    host_only = True

    def __init__(self, comm):
        self.comm, self.MPI = comm, mpi()
        M = self.MPI
        self._ops = {ReduceOp.SUM: M.SUM, ReduceOp.PRODUCT: M.PROD, ReduceOp.MIN: M.MIN, ReduceOp.MAX: M.MAX,
                     ReduceOp.BAND: M.BAND, ReduceOp.BOR: M.BOR, ReduceOp.BXOR: M.BXOR}

    def _op(self, op, buf):
        """MPI's op for `op` on buf: on bools (MPI's arithmetic ops refuse them) SUM and MAX are a logical or,
        PRODUCT and MIN a logical and, PyTorch's results."""
        if buf.dtype == bool and op in (ReduceOp.SUM, ReduceOp.MAX, ReduceOp.MIN, ReduceOp.PRODUCT):
            return self.MPI.LOR if op in (ReduceOp.SUM, ReduceOp.MAX) else self.MPI.LAND
        return self._ops[op]

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()

    def _work(self, request, finish, keep):
        # keep: the buffers MPI reads or writes until the request completes
        return Work(lambda: request.Test(), lambda: (request.Wait(), keep), finish)

    def allreduce(self, buf, op, finish=None):
        return self._work(self.comm.Iallreduce(self.MPI.IN_PLACE, buf, self._op(op, buf)), finish, buf)

    def broadcast(self, buf, root, finish=None):
        return self._work(self.comm.Ibcast(buf, root), finish, buf)

    def reduce(self, buf, op, root, finish=None):
        if self.rank() == root:
            request = self.comm.Ireduce(self.MPI.IN_PLACE, buf, self._op(op, buf), root)
        else:
            request = self.comm.Ireduce(buf, None, self._op(op, buf), root)
        return self._work(request, finish, buf)

    def allgather(self, send, recv, finish=None):
        return self._work(self.comm.Iallgather(send, recv), finish, (send, recv))

    def gather(self, send, recv, root, finish=None):
        return self._work(self.comm.Igather(send, recv, root), finish, (send, recv))

    def scatter(self, send, recv, root, finish=None):
        return self._work(self.comm.Iscatter(send, recv, root), finish, (send, recv))

    def reduce_scatter(self, send, recv, op, finish=None):
        return self._work(self.comm.Ireduce_scatter_block(send, recv, self._op(op, send)), finish, (send, recv))

    def barrier(self):
        return self._work(self.comm.Ibarrier(), None, None)

    # objects: pickled, as PyTorch's *_object collectives
    def allgather_object(self, obj):
        return self.comm.allgather(obj)

    def bcast_object(self, obj, root):
        return self.comm.bcast(obj, root)

    def gather_object(self, obj, root):
        return self.comm.gather(obj, root)

    def scatter_object(self, objs, root):
        return self.comm.scatter(objs, root)

    def free(self):
        if self.comm != self.MPI.COMM_WORLD:
            self.comm.Free()
