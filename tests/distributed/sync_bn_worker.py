"""Run by tests/test_nn_optim_more.py under ``mpiexec -n N``: SyncBatchNorm on each rank's share of a batch against
BatchNorm on the whole batch (ours in this process, and PyTorch's when it is installed): outputs, input gradients,
weight/bias gradients summed over the ranks, running statistics, over a few training steps of 2-D and 3-D input
with uneven shares; then eval mode and a group of one. Prints "sync_bn ok <rank> <size>" at the end."""
import numpy as np

import autograd_lite as torch
import autograd_lite.distributed as dist
from autograd_lite import nn

try:
    import torch as pt
except ImportError:
    pt = None

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()


def close(a, b, what, tol=2e-5):
    a, b = np.asarray(a.detach().numpy() if hasattr(a, "detach") else a), np.asarray(
        b.detach().numpy() if hasattr(b, "detach") else b)
    assert a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol), (what, rank, np.abs(a - b).max())


def shares(n):
    """Uneven shares of a batch of n over the ranks: rank r gets r + 2 rows."""
    counts = [r + 2 for r in range(size)]
    starts = np.cumsum([0] + counts)
    return counts, starts[rank], starts[rank + 1], starts[-1]


for shape_tail, momentum in [((4, 5, 3), 0.1), ((3,), None)]:
    counts, lo, hi, total = shares(0)
    rng = np.random.default_rng(0)      # every rank draws the same whole batches
    c = shape_tail[0]
    sync = nn.SyncBatchNorm(c, momentum=momentum)
    full = nn.BatchNorm2d(c, momentum=momentum) if len(shape_tail) == 3 else nn.BatchNorm1d(c, momentum=momentum)
    ref = None
    if pt is not None:
        ref = (pt.nn.BatchNorm2d if len(shape_tail) == 3 else pt.nn.BatchNorm1d)(c, momentum=momentum).double()
    w = rng.standard_normal(c).astype(np.float32)
    for m in (sync, full):
        m.weight.data.copy_(torch.tensor(w))
    if ref is not None:
        ref.weight.data.copy_(pt.tensor(w))
    for step in range(3):
        x = (rng.standard_normal((total,) + shape_tail) * 2 + 3).astype(np.float32)
        g = rng.standard_normal(x.shape).astype(np.float32)
        xs = torch.tensor(x[lo:hi], requires_grad=True)
        xf = torch.tensor(x, requires_grad=True)
        ys, yf = sync(xs), full(xf)
        close(ys, yf.detach().numpy()[lo:hi], "output")
        (ys * torch.tensor(g[lo:hi])).sum().backward()
        (yf * torch.tensor(g)).sum().backward()
        close(xs.grad, xf.grad.numpy()[lo:hi], "input grad")
        for p in (sync.weight.grad, sync.bias.grad):
            dist.all_reduce(p)          # local sums, as PyTorch's: DDP adds them up
        close(sync.weight.grad, full.weight.grad, "weight grad")
        close(sync.bias.grad, full.bias.grad, "bias grad")
        close(sync.running_mean, full.running_mean, "running_mean")
        close(sync.running_var, full.running_var, "running_var")
        if ref is not None:
            xt = pt.tensor(x, dtype=pt.float64, requires_grad=True)
            yt = ref(xt)
            (yt * pt.tensor(g, dtype=pt.float64)).sum().backward()
            close(ys, yt.detach().numpy()[lo:hi], "output vs torch", 1e-4)
            close(xs.grad, xt.grad.numpy()[lo:hi], "input grad vs torch", 1e-4)
            close(sync.weight.grad, ref.weight.grad.numpy(), "weight grad vs torch", 1e-3)
            close(sync.running_var, ref.running_var.numpy(), "running_var vs torch", 1e-4)
            ref.zero_grad()
        sync.zero_grad()
        full.zero_grad()
    assert int(sync.num_batches_tracked) == 3

    sync.eval()
    full.eval()                       # eval: each rank its own rows, the running statistics
    x = rng.standard_normal((hi - lo,) + shape_tail).astype(np.float32)
    close(sync(torch.tensor(x)), full(torch.tensor(x)), "eval")

solo = [dist.new_group([r]) for r in range(size)][rank]     # a group of one: plain BatchNorm, no collective
m, b = nn.SyncBatchNorm(3, process_group=solo), nn.BatchNorm1d(3)
x = torch.randn(4, 3)
close(m(x), b(x), "group of one")
print(f"sync_bn ok {rank} {size}", flush=True)
