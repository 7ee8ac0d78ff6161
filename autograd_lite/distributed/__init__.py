"""Data-parallel training across processes, as ``torch.distributed``, on MPI (mpi4py) for CPUs and NCCL (CuPy)
for GPUs. Launch N processes with ``mpiexec -n N python train.py``; each one::

    import autograd_lite.distributed as dist
    dist.init_process_group("mpi")
    t = autograd_lite.ones(3) * dist.get_rank()
    dist.all_reduce(t)                  # in place: the sum over the ranks, on every rank

``pip install "autograd_lite[distributed]"`` brings mpi4py (and MPICH's mpiexec on Linux)."""
from .reduce_op import ReduceOp
from .work import Work
from .distributed_c10d import *  # noqa: F401,F403
from .distributed_c10d import __all__ as _c10d_all

reduce_op = ReduceOp        # PyTorch's legacy name

__all__ = ["ReduceOp", "Work", "is_available", "reduce_op"] + _c10d_all


def is_available():
    """True: the package is always there (its backends need mpi4py, and CuPy for NCCL: see is_mpi_available)."""
    return True
