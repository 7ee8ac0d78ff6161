"""Run by tests/test_distributed.py under ``mpiexec -n N``: every collective of autograd_lite.distributed against
the same reduction done by NumPy on every rank's data (each rank can compute all ranks' inputs). Prints
"collectives ok <rank> <size>" at the end; any failed check raises (non-zero exit). Argument: the backend, 'mpi'
(default; host tensors) or 'nccl' (tensors on 'cuda': the stand-in NCCL and device of fake_nccl.py)."""
import pickle
import sys
import warnings

import numpy as np

import autograd_lite as torch
import autograd_lite.distributed as dist

BACKEND = sys.argv[1] if len(sys.argv) > 1 else "mpi"
DEVICE = "cuda" if BACKEND == "nccl" else "cpu"
if BACKEND == "nccl":             # NCCL's code (distributed/_nccl.py) on the stand-in device and NCCL, GPU or not
    import fake_nccl
    fake_nccl.install()
dist.init_process_group(BACKEND)
rank, size = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == BACKEND
DTYPES = [torch.float32, torch.float64, torch.int64]


def data(r, dtype, shape=(2, 3)):
    """Rank r's input: small values (products stay exact), different per rank."""
    a = (np.arange(np.prod(shape)).reshape(shape) % 4 + 1) * (r + 1) - r
    return a.astype(dtype.np if hasattr(dtype, "np") else dtype)


def T(a):
    """`a` as a tensor on the backend's device."""
    return torch.tensor(a, device=DEVICE)


def one():
    return torch.ones(1, device=DEVICE)


def np_dtype(dtype):
    return {torch.float32: np.float32, torch.float64: np.float64, torch.int64: np.int64}[dtype]


def expected(op, arrays):
    stack = np.stack(arrays)
    if op is dist.ReduceOp.SUM:
        return stack.sum(0)
    if op is dist.ReduceOp.PRODUCT:
        return stack.prod(0)
    if op is dist.ReduceOp.MIN:
        return stack.min(0)
    if op is dist.ReduceOp.MAX:
        return stack.max(0)
    total = stack.sum(0)            # AVG
    return np.trunc(total / len(arrays)).astype(total.dtype) if total.dtype.kind == "i" else total / len(arrays)


def check(t, want, what):
    assert t.device.type == DEVICE, (what, t.device)
    got = t.cpu().numpy()
    assert got.dtype == want.dtype, (what, got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=f"{what} rank {rank}")


OPS = [dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.PRODUCT, dist.ReduceOp.MIN, dist.ReduceOp.MAX]
for dtype in DTYPES:
    nd = np_dtype(dtype)
    everyone = [data(r, nd) for r in range(size)]
    for op in OPS:
        # all_reduce: in place, sync and async
        t = T(everyone[rank])
        v0 = t._version[0]
        assert dist.all_reduce(t, op=op) is None
        check(t, expected(op, everyone), f"all_reduce {op} {dtype}")
        assert t._version[0] > v0
        t = T(everyone[rank])
        work = dist.all_reduce(t, op=op, async_op=True)
        work.wait()
        assert work.is_completed()
        check(t, expected(op, everyone), f"all_reduce async {op} {dtype}")
        # reduce into rank size - 1; the others keep theirs
        t = T(everyone[rank])
        dist.reduce(t, dst=size - 1, op=op)
        check(t, expected(op, everyone) if rank == size - 1 else everyone[rank], f"reduce {op} {dtype}")
        # reduce_scatter (list) and reduce_scatter_tensor
        parts = [[data(r, nd) * (i + 1) for i in range(size)] for r in range(size)]
        out = torch.zeros(2, 3, dtype=dtype, device=DEVICE)
        dist.reduce_scatter(out, [T(p) for p in parts[rank]], op=op)
        check(out, expected(op, [parts[r][rank] for r in range(size)]), f"reduce_scatter {op} {dtype}")
        out = torch.zeros(2, 3, dtype=dtype, device=DEVICE)
        dist.reduce_scatter_tensor(out, T(np.concatenate(parts[rank])), op=op)
        check(out, expected(op, [parts[r][rank] for r in range(size)]), f"reduce_scatter_tensor {op} {dtype}")
    # broadcast from the last rank, async
    t = T(everyone[rank])
    dist.broadcast(t, src=size - 1, async_op=True).wait()
    check(t, everyone[size - 1], f"broadcast {dtype}")
    # all_gather, all_gather_into_tensor
    outs = [torch.zeros(2, 3, dtype=dtype, device=DEVICE) for _ in range(size)]
    dist.all_gather(outs, T(everyone[rank]))
    for r in range(size):
        check(outs[r], everyone[r], f"all_gather {dtype}")
    out = torch.zeros(size * 2, 3, dtype=dtype, device=DEVICE)
    dist.all_gather_into_tensor(out, T(everyone[rank]))
    check(out, np.concatenate(everyone), f"all_gather_into_tensor {dtype}")
    # gather to rank 0, scatter from rank 0
    gl = [torch.zeros(2, 3, dtype=dtype, device=DEVICE) for _ in range(size)] if rank == 0 else None
    dist.gather(T(everyone[rank]), gl, dst=0)
    if rank == 0:
        for r in range(size):
            check(gl[r], everyone[r], f"gather {dtype}")
    t = torch.zeros(2, 3, dtype=dtype, device=DEVICE)
    dist.scatter(t, [T(e * 2) for e in everyone] if rank == 0 else None, src=0)
    check(t, everyone[rank] * 2, f"scatter {dtype}")

# float16 (MPI carries it as float32, NCCL as itself)
t = T(data(rank, np.float16))
dist.all_reduce(t)
check(t, sum(data(r, np.float16) for r in range(size)), "float16")
# bools: SUM and MAX a logical or, MIN and PRODUCT a logical and, as PyTorch (NCCL: as uint8, SUM mapped to MAX;
# MPI: its logical ops, its arithmetic ones refusing bools)
for op, want in ((dist.ReduceOp.SUM, [1, 0, 1, 1]), (dist.ReduceOp.MAX, [1, 0, 1, 1]),
                 (dist.ReduceOp.MIN, [1, 0, 0, 1]), (dist.ReduceOp.PRODUCT, [1, 0, 0, 1])):
    t = T(np.array([True, False, rank == 0, True]))
    dist.all_reduce(t, op=op)
    assert t.cpu().numpy().view(np.uint8).tolist() == want, (op, t)

# a non-contiguous tensor reduces through a copy and lands back in place
base = T(data(rank, np.float32, (3, 4)))
view = base.t()
dist.all_reduce(view)
check(base, sum(data(r, np.float32, (3, 4)) for r in range(size)), "non-contiguous")

# several async all-reduces in flight at once
ts = [torch.full((1000,), float(rank + i), device=DEVICE) for i in range(4)]
works = [dist.all_reduce(t, async_op=True) for t in ts]
for i, (t, w) in enumerate(zip(ts, works)):
    assert w.wait() is True
    assert float(t[0]) == sum(r + i for r in range(size))
assert dist.barrier() is None
dist.barrier(async_op=True).wait()

# objects
objs = [None] * size
dist.all_gather_object(objs, {"rank": rank, "x": [rank] * rank})
assert objs == [{"rank": r, "x": [r] * r} for r in range(size)], objs
lst = ["a", 1, {"k": 2}] if rank == 0 else [None, None, None]
dist.broadcast_object_list(lst, src=0)
assert lst == ["a", 1, {"k": 2}], lst
gathered = [None] * size if rank == 0 else None
dist.gather_object(rank * 10, gathered, dst=0)
if rank == 0:
    assert gathered == [r * 10 for r in range(size)]
got = [None]
dist.scatter_object_list(got, [f"to {r}" for r in range(size)] if rank == 0 else None, src=0)
assert got == [f"to {rank}"], got

# new_group: the odd... first two ranks; group ranks and collectives within it
g = dist.new_group([0, size - 1])
if rank in (0, size - 1):
    assert dist.get_world_size(g) == 2 and dist.get_rank(g) == (0 if rank == 0 else 1)
    t = T([float(rank + 1)])
    dist.all_reduce(t, group=g)
    assert float(t[0]) == 1 + size, float(t[0])
    t = T([float(rank)])
    dist.broadcast(t, src=size - 1, group=g)        # src: a global rank, as PyTorch
    assert float(t[0]) == size - 1
    assert dist.get_process_group_ranks(g) == [0, size - 1]
else:
    assert g is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(g) == -1 and dist.get_world_size(g) == -1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert dist.all_reduce(one(), group=g) is None
    assert "does not belong to the given group" in str(caught[0].message)

# errors, as PyTorch's
NCCL_ERRORS = [
    (lambda: dist.all_reduce(torch.ones(2)), RuntimeError, "No backend type associated with device type cpu"),
    (lambda: dist.all_reduce(one(), op=dist.ReduceOp.BAND), RuntimeError, "Cannot use ReduceOp.BAND with NCCL"),
    (lambda: dist.all_reduce(T([True]), op=dist.ReduceOp.AVG), TypeError,
     "Cannot use ReduceOp.AVG with boolean inputs")] if BACKEND == "nccl" else []
for call, kind, text in [
        (lambda: dist.all_reduce(np.ones(2)), TypeError, "Expected parameter `tensor` of type torch.Tensor"),
        (lambda: dist.broadcast(one()), ValueError, "Must specify global_rank or group_rank"),
        (lambda: dist.reduce(one()), ValueError, "Must specify global_rank or group_rank"),
        (lambda: dist.gather(one(), None if rank == 0 else [one()] * size, dst=0), ValueError,
         "gather_list`` must"),
        (lambda: dist.all_gather([one()], one()) if size > 1 else dist.all_gather(
            [one()] * 2, one()), ValueError, "one per rank"),
        (lambda: dist.init_process_group(BACKEND), ValueError, "trying to initialize the default process group twice!"),
        (lambda: dist.broadcast(one(), src=size + 3), ValueError, "is not part of group"),
        (lambda: dist.all_reduce(one(), op="sum"), ValueError, "Invalid ReduceOp")] + NCCL_ERRORS:
    try:
        call()
    except kind as e:
        assert text in str(e), (text, str(e))
    else:
        raise AssertionError(f"no {kind.__name__}: {text}")

# objects are pickled; tensors never are
assert pickle.dumps  # (the object calls use mpi4py's lowercase, pickling, API)
dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
try:
    dist.get_world_size()
except ValueError as e:
    assert "Default process group has not been initialized" in str(e)
else:
    raise AssertionError("get_world_size after destroy")
print(f"collectives ok {rank} {size}")
sys.stdout.flush()
