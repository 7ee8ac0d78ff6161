"""Process groups and collectives, as ``torch.distributed``: the default group comes from the MPI launcher
(``mpiexec -n N python script.py``); tensors travel from their own buffers, in place; objects are pickled only in
the ``*_object`` calls."""
import warnings

import numpy as np

from .. import backend as _backend
from ..tensor import Tensor
from .reduce_op import ReduceOp, check_op

__all__ = ["Backend", "GroupMember", "group", "ProcessGroup", "init_process_group", "destroy_process_group",
           "is_initialized", "is_mpi_available", "is_nccl_available", "is_gloo_available", "get_rank",
           "get_world_size", "get_backend", "new_group", "get_group_rank", "get_global_rank",
           "get_process_group_ranks", "barrier", "all_reduce", "broadcast", "reduce", "all_gather",
           "all_gather_into_tensor", "gather", "scatter", "reduce_scatter", "reduce_scatter_tensor",
           "all_gather_object", "broadcast_object_list", "gather_object", "scatter_object_list"]

NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


class Backend(str):
    """A backend's name: ``Backend.MPI`` ('mpi') on CPUs, ``Backend.NCCL`` ('nccl') on GPUs."""
    MPI, NCCL, GLOO = "mpi", "nccl", "gloo"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        value = name.lower()
        if value not in (cls.MPI, cls.NCCL, cls.GLOO):
            raise ValueError(f"Invalid backend: '{name}'")
        return super().__new__(cls, value)


class ProcessGroup:
    """A set of ranks that run collectives together (``new_group`` makes one; the default group has them all)."""

    def __init__(self, engine, ranks, backend):
        self._engine, self._ranks, self._backend = engine, list(ranks), backend

    def rank(self):
        return self._engine.rank()

    def size(self):
        return self._engine.size()

    def __repr__(self):
        return f"ProcessGroup(backend={self._backend!r}, ranks={self._ranks})"


class GroupMember:
    WORLD = None                        # the default group once init_process_group has run
    NON_GROUP_MEMBER = object()         # what new_group returns on a rank outside its ranks


group = GroupMember                     # dist.group.WORLD, as PyTorch
_groups = []                            # every group of this process (the default one first)


def is_mpi_available():
    """True when mpi4py can be imported (``pip install "autograd_lite[distributed]"``)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_nccl_available():
    """True when CuPy with its NCCL bindings can be imported."""
    try:
        from ._nccl import nccl_module
        nccl_module()
    except Exception:       # CuPy absent, or built without NCCL, or no CUDA driver
        return False
    return True


def is_gloo_available():
    return False


def is_initialized():
    return GroupMember.WORLD is not None


def _default():
    if GroupMember.WORLD is None:
        raise ValueError(NOT_INITIALIZED)
    return GroupMember.WORLD


def _engine_class(backend):
    if backend == Backend.MPI:
        if not is_mpi_available():
            raise RuntimeError("Distributed package doesn't have MPI built in. MPI is only included if mpi4py is "
                               "installed: pip install \"autograd_lite[distributed]\"")
        from ._mpi import MPIEngine
        return MPIEngine
    if backend == Backend.NCCL:
        if not is_nccl_available() or not is_mpi_available():
            raise RuntimeError("Distributed package doesn't have NCCL built in")
        from ._nccl import NCCLEngine
        return NCCLEngine
    raise RuntimeError("Distributed package doesn't have Gloo built in (autograd_lite runs on MPI: use "
                       "backend='mpi' and launch with mpiexec)")


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Makes the default process group: every process launched by ``mpiexec -n N`` (rank and world size come from
    MPI; one process alone is a world of 1).

    Example::

        import autograd_lite.distributed as dist
        dist.init_process_group("mpi")          # mpiexec -n 2 python train.py
        print(dist.get_rank(), dist.get_world_size())
    """
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    backend = Backend(backend if backend is not None else Backend.MPI)
    engine_class = _engine_class(backend)
    from ._mpi import mpi
    world = mpi().COMM_WORLD
    if world_size not in (-1, world.Get_size()) or rank not in (-1, world.Get_rank()):
        warnings.warn(f"For MPI backend, world_size ({world_size}) and rank ({rank}) are ignored since they are "
                      "assigned by the MPI runtime.", stacklevel=2)
    comm = world if backend == Backend.MPI else world.Dup()
    pg = ProcessGroup(engine_class(comm), range(world.Get_size()), backend)
    GroupMember.WORLD = pg
    _groups.append(pg)


def destroy_process_group(group=None):
    """Frees `group`, or every group (the default one included: init_process_group may then run again)."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return
    if group is None or group is GroupMember.WORLD:
        _default()
        for pg in _groups:
            pg._engine.free()
        _groups.clear()
        GroupMember.WORLD = None
    else:
        if group not in _groups:
            raise ValueError("Invalid process group specified or has been destroyed.")
        group._engine.free()
        _groups.remove(group)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of some ranks of the default group (every rank must call it, members or not; a rank outside
    `ranks` gets ``GroupMember.NON_GROUP_MEMBER``). Group ranks follow the sorted global ranks.

    Example: ``evens = dist.new_group([0, 2])``"""
    world = _default()
    size = world.size()
    ranks = sorted(range(size) if ranks is None else ranks)
    for r in ranks:
        if not 0 <= r < size:
            raise ValueError(f"Invalid rank {r}, rank should be in the interval [0, {size - 1}]")
    if len(set(ranks)) != len(ranks):
        raise ValueError("the new group cannot have duplicate ranks")
    backend = Backend(backend) if backend is not None else world._backend
    engine_class = _engine_class(backend)
    from ._mpi import mpi
    me = world.rank()
    comm = world._engine.comm.Split(0 if me in ranks else mpi().UNDEFINED, me)
    if me not in ranks:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(engine_class(comm), ranks, backend)
    _groups.append(pg)
    return pg


def _group(group):
    return _default() if group is None or group is GroupMember.WORLD else group


def _not_member(group, op):
    if group is GroupMember.NON_GROUP_MEMBER:
        rank = -1 if GroupMember.WORLD is None else GroupMember.WORLD.rank()
        warnings.warn(f"Running {op} on global rank {rank} which does not belong to the given group.", stacklevel=3)
        return True
    return False


def get_rank(group=None):
    """This process's rank in `group` (the default group: 0 .. world size - 1); -1 outside the group."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    pg = _group(group)
    return pg.rank()


def get_world_size(group=None):
    """How many processes `group` has (the default group: all); -1 outside the group."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return _group(group).size()


def get_backend(group=None):
    if group is GroupMember.NON_GROUP_MEMBER:
        raise ValueError("Invalid process group specified")
    return _group(group)._backend


def get_process_group_ranks(group):
    return list(_group(group)._ranks)


def get_group_rank(group, global_rank):
    pg = _group(group)
    if global_rank not in pg._ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg._ranks.index(global_rank)


def get_global_rank(group, group_rank):
    pg = _group(group)
    if not 0 <= group_rank < len(pg._ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return pg._ranks[group_rank]


def _group_rank(pg, rank, group_rank):
    """PyTorch's rule: a global rank or a group rank, not both."""
    if group_rank is not None:
        if rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        return group_rank
    if rank is None:
        raise ValueError("Must specify global_rank or group_rank")
    return get_group_rank(pg, rank)


# ---- tensors <-> buffers --------------------------------------------------------------------------------------
def _check_tensor(t, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
                        f"             but got {type(t)} instead.")


def _check_list(ts, name):
    if not isinstance(ts, list):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(ts)} instead.")
    if not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(ts)} with elements of type {[type(t) for t in ts]}.")


def _same_dtype(tensors):
    dtypes = list(dict.fromkeys(t.dtype for t in tensors))
    if len(dtypes) > 1:
        raise ValueError(f"Invalid usage of tensors with different dtypesFound {dtypes[0]} and  {dtypes[1]}")


def _to_buffer(data, pg):
    """`data` as the engine's buffer: C-contiguous, on the host for MPI (a GPU array is copied through it; MPI has
    no float16: float32 stands in)."""
    if not pg._engine.host_only and not _backend.is_device_array(data):
        raise RuntimeError(f"No backend type associated with device type {_backend.backend_of(data).name}")
    if pg._engine.host_only:
        if _backend.is_device_array(data):
            data = _backend.backend_of(data).to_host(data)
        if data.dtype == np.float16:
            return data.astype(np.float32)
        return np.ascontiguousarray(data)
    return _backend.backend_of(data).xp.ascontiguousarray(data)


def _write(t, buf):
    """Stores buffer `buf` into Tensor t's own array (nothing to do when buf is that array) and bumps its version."""
    data = t._data
    if buf is not data:
        if buf.dtype != data.dtype:
            buf = buf.astype(data.dtype)
        be = _backend.backend_of(data)
        if be is not _backend.backend_of(buf):
            buf = be.from_host(buf, be.device_of(data).index)
        data[...] = buf.reshape(data.shape)
    t._version[0] += 1


def _empty(n, like, pg):
    xp = np if pg._engine.host_only else _backend.backend_of(like).xp
    return xp.empty(n, like.dtype)


def _run(work, async_op, result=()):
    work._result = list(result)
    if async_op:
        return work
    work.wait()
    return None


def _reduction(op, pg, dtype):
    """(the engine's op, a function that finishes AVG on the buffer): AVG is a SUM divided by the group's size;
    integers divide as C does (toward zero)."""
    op = check_op(op)
    if op is not ReduceOp.AVG:
        return op, None
    if dtype == np.bool_:
        raise TypeError("Cannot use ReduceOp.AVG with boolean inputs")
    n = pg.size()

    def average(buf):
        if buf.dtype.kind in "iu":
            xp = _backend.backend_of(buf).xp
            buf[...] = xp.sign(buf) * (xp.abs(buf) // n)
        else:
            buf /= n
    return ReduceOp.SUM, average


# ---- collectives -------------------------------------------------------------------------------------------
def barrier(group=None, async_op=False, device_ids=None):
    """Blocks until every rank of the group has reached it."""
    if _not_member(group, "barrier"):
        return None
    return _run(_group(group)._engine.barrier(), async_op)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces `tensor` over the group, in place, on every rank.

    Example::

        t = autograd_lite.tensor([float(dist.get_rank())])
        dist.all_reduce(t, op=dist.ReduceOp.SUM)     # every rank: 0 + 1 + ... + (N - 1)
    """
    _check_tensor(tensor, "tensor")
    if _not_member(group, "all_reduce"):
        return None
    pg = _group(group)
    op, post = _reduction(op, pg, tensor._data.dtype)
    buf = _to_buffer(tensor._data, pg)

    def finish():
        if post is not None:
            post(buf)
        _write(tensor, buf)
    return _run(pg._engine.allreduce(buf, op, finish), async_op, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copies rank `src`'s `tensor` into every rank's `tensor`, in place."""
    _check_tensor(tensor, "tensor")
    if _not_member(group, "broadcast"):
        return None
    pg = _group(group)
    root = _group_rank(pg, src, group_src)
    buf = _to_buffer(tensor._data, pg)
    return _run(pg._engine.broadcast(buf, root, lambda: _write(tensor, buf)), async_op, [tensor])


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduces `tensor` over the group into rank `dst`'s `tensor` (the others' are left as they were)."""
    _check_tensor(tensor, "tensor")
    if _not_member(group, "reduce"):
        return None
    pg = _group(group)
    root = _group_rank(pg, dst, group_dst)
    op, post = _reduction(op, pg, tensor._data.dtype)
    buf = _to_buffer(tensor._data, pg)

    def finish():
        if pg.rank() == root:
            if post is not None:
                post(buf)
            _write(tensor, buf)
    return _run(pg._engine.reduce(buf, op, root, finish), async_op, [tensor])


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's `tensor`, into `tensor_list` (one tensor per rank, in rank order) on every rank."""
    _check_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    _same_dtype(tensor_list + [tensor])
    if _not_member(group, "all_gather"):
        return None
    pg = _group(group)
    _check_outputs(tensor_list, tensor, pg, "all_gather", "tensor_list")
    send = _to_buffer(tensor._data, pg)
    recv = _empty(send.size * pg.size(), send, pg)
    return _run(pg._engine.allgather(send, recv, lambda: _split_into(recv, tensor_list)), async_op, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's `input_tensor`, concatenated in rank order along the first axis into `output_tensor` (of
    world_size times its size; ``(world_size * n, ...)`` or ``(world_size, n, ...)``)."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    _same_dtype([output_tensor, input_tensor])
    if _not_member(group, "all_gather_into_tensor"):
        return None
    pg = _group(group)
    if output_tensor.numel() != input_tensor.numel() * pg.size():
        raise ValueError("Output tensor size must be equal to world_size times input tensor size")
    send = _to_buffer(input_tensor._data, pg)
    recv = _to_buffer(output_tensor._data, pg)
    return _run(pg._engine.allgather(send, recv, lambda: _write(output_tensor, recv)), async_op, [output_tensor])


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's `tensor` into `gather_list` on rank `dst` (default 0; the others pass no list)."""
    _check_tensor(tensor, "tensor")
    if gather_list:
        _check_list(gather_list, "gather_list")
    else:
        gather_list = []
    _same_dtype(gather_list + [tensor])
    if _not_member(group, "gather"):
        return None
    pg = _group(group)
    root = _group_rank(pg, 0 if dst is None and group_dst is None else dst, group_dst)
    if pg.rank() == root:
        if not gather_list:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_outputs(gather_list, tensor, pg, "gather", "gather_list")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    send = _to_buffer(tensor._data, pg)
    recv = _empty(send.size * pg.size(), send, pg) if pg.rank() == root else None
    finish = (lambda: _split_into(recv, gather_list)) if recv is not None else None
    return _run(pg._engine.gather(send, recv, root, finish), async_op, gather_list)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank `src`'s ``scatter_list[i]`` into rank i's `tensor` (default src 0; the others pass no list)."""
    _check_tensor(tensor, "tensor")
    if scatter_list:
        _check_list(scatter_list, "scatter_list")
    else:
        scatter_list = []
    _same_dtype(scatter_list + [tensor])
    if _not_member(group, "scatter"):
        return None
    pg = _group(group)
    root = _group_rank(pg, 0 if src is None and group_src is None else src, group_src)
    if pg.rank() == root:
        if not scatter_list:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_outputs(scatter_list, tensor, pg, "scatter", "scatter_list")
        send = _concat(scatter_list, pg)
    else:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
        send = None
    recv = _to_buffer(tensor._data, pg)
    return _run(pg._engine.scatter(send, recv, root, lambda: _write(tensor, recv)), async_op, [tensor])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces ``input_list[i]`` over the group into rank i's `output`."""
    _check_tensor(output, "output")
    _check_list(input_list, "input_list")
    _same_dtype(input_list + [output])
    if _not_member(group, "reduce_scatter"):
        return None
    pg = _group(group)
    _check_outputs(input_list, output, pg, "reduce_scatter", "input_list")
    return _reduce_scatter(output, _concat(input_list, pg), op, pg, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces `input` (world_size times `output`'s size) over the group; rank i gets the i-th part in `output`."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    _same_dtype([output, input])
    if _not_member(group, "reduce_scatter_tensor"):
        return None
    pg = _group(group)
    if input.numel() != output.numel() * pg.size():
        raise ValueError("Input tensor size must be equal to world_size times output tensor size")
    return _reduce_scatter(output, _to_buffer(input._data, pg).reshape(-1), op, pg, async_op)


def _reduce_scatter(output, send, op, pg, async_op):
    op, post = _reduction(op, pg, output._data.dtype)
    recv = _to_buffer(output._data, pg)

    def finish():
        if post is not None:
            post(recv)
        _write(output, recv)
    return _run(pg._engine.reduce_scatter(send, recv, op, finish), async_op, [output])


def _check_outputs(tensors, like, pg, op, name):
    if len(tensors) != pg.size():
        raise ValueError(f"{op}: `{name}` has {len(tensors)} tensors; it needs one per rank of the group "
                         f"({pg.size()})")
    for t in tensors:
        if t.numel() != like.numel():
            raise ValueError(f"{op}: every tensor of `{name}` must have {like.numel()} elements (as the "
                             f"tensor of this rank), got {t.numel()}")


def _concat(tensors, pg):
    parts = [_to_buffer(t._data, pg).reshape(-1) for t in tensors]
    xp = np if pg._engine.host_only else _backend.backend_of(parts[0]).xp
    return xp.concatenate(parts)


def _split_into(buf, tensors):
    n = buf.size // len(tensors)
    for i, t in enumerate(tensors):
        _write(t, buf[i * n:(i + 1) * n])


# ---- objects (pickled, as PyTorch) -----------------------------------------------------------------------------
def all_gather_object(object_list, obj, group=None):
    """Every rank's picklable `obj` into `object_list` (of the group's size), in rank order."""
    if _not_member(group, "all_gather_object"):
        return None
    pg = _group(group)
    gathered = pg._engine.allgather_object(obj)
    for i, o in enumerate(gathered):
        object_list[i] = o
    return None


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Rank `src`'s (default 0) picklable objects into every rank's `object_list` (of the same length)."""
    if _not_member(group, "broadcast_object_list"):
        return None
    pg = _group(group)
    root = _group_rank(pg, 0 if src is None and group_src is None else src, group_src)
    received = pg._engine.bcast_object(list(object_list) if pg.rank() == root else None, root)
    object_list[:len(received)] = received
    return None


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Every rank's picklable `obj` into `object_gather_list` on rank `dst` (default 0)."""
    if _not_member(group, "gather_object"):
        return None
    pg = _group(group)
    root = _group_rank(pg, 0 if dst is None and group_dst is None else dst, group_dst)
    if pg.rank() == root and object_gather_list is None:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    if pg.rank() != root and object_gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    gathered = pg._engine.gather_object(obj, root)
    if pg.rank() == root:
        for i, o in enumerate(gathered):
            object_gather_list[i] = o
    return None


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None):
    """Rank `src`'s ``scatter_object_input_list[i]`` into rank i's ``scatter_object_output_list[0]``."""
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at least 1.")
    if _not_member(group, "scatter_object_list"):
        return None
    pg = _group(group)
    root = _group_rank(pg, 0 if src is None and group_src is None else src, group_src)
    objs = list(scatter_object_input_list) if pg.rank() == root else None
    scatter_object_output_list[0] = pg._engine.scatter_object(objs, root)
    return None
