"""Run by tests/test_distributed.py under ``mpiexec -n N``: DistributedDataParallel on each rank's share of the
batch against single-process training on the whole batch (computed on every rank), with buckets small enough
to have several; no_sync, unused parameters, buffers, gradient_as_bucket_view, state_dict. Prints "ddp ok"..
Argument: the backend, 'mpi' (default; the model on the CPU) or 'nccl' (on 'cuda': the stand-in NCCL and device of
fake_nccl.py)."""
import copy
import sys

import numpy as np

import autograd_lite as torch
import autograd_lite.distributed as dist
from autograd_lite import nn, optim
import autograd_lite.nn.functional as F
from autograd_lite.nn.parallel import DistributedDataParallel as DDP

BACKEND = sys.argv[1] if len(sys.argv) > 1 else "mpi"
DEVICE = "cuda" if BACKEND == "nccl" else "cpu"
if BACKEND == "nccl":             # NCCL's code (distributed/_nccl.py) on the stand-in device and NCCL, GPU or not
    import fake_nccl
    fake_nccl.install()
dist.init_process_group(BACKEND)
rank, size = dist.get_rank(), dist.get_world_size()
BATCH = 12                      # divisible by 2 and 3: equal shares, so the mean of means is the global mean


class Net(nn.Module):
    def __init__(self, unused=False):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(6, 16), nn.Linear(16, 16), nn.Linear(16, 3)
        if unused:
            self.extra = nn.Linear(16, 3)

    def forward(self, x, use_extra=False):
        h = F.relu(self.fc2(F.relu(self.fc1(x))))
        out = self.fc3(h)
        return out + self.extra(h) if use_extra else out


def batch(step):
    rng = np.random.default_rng(100 + step)
    return (torch.tensor(rng.standard_normal((BATCH, 6)).astype(np.float32), device=DEVICE),
            torch.tensor(rng.integers(0, 3, BATCH), device=DEVICE))


def shard(x):
    n = BATCH // size
    return x[rank * n:(rank + 1) * n]


def assert_same(a, b, what, tol=1e-5):
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert p.device.type == DEVICE, (what, name, p.device)
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().cpu().numpy(), rtol=tol, atol=tol,
                                   err_msg=f"{what}: {name} rank {rank}")


def train(opt_class, steps=3, **ddp_kwargs):
    torch.manual_seed(0)
    ref = Net().to(DEVICE)
    model = copy.deepcopy(ref)
    if rank == 1:                   # construction broadcasts rank 0's parameters
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)
    ddp = DDP(model, bucket_cap_mb=0.001, **ddp_kwargs)
    assert len(ddp._buckets) >= 3, len(ddp._buckets)
    assert_same(ddp.module, ref, "after construction", 0)
    opt_ref, opt = opt_class(ref.parameters(), lr=0.05), opt_class(ddp.parameters(), lr=0.05)
    for step in range(steps):
        x, y = batch(step)
        opt_ref.zero_grad()
        F.cross_entropy(ref(x), y).backward()
        opt_ref.step()
        opt.zero_grad()
        F.cross_entropy(ddp(shard(x)), shard(y)).backward()
        opt.step()
        assert_same(ddp.module, ref, f"{opt_class.__name__} step {step} {ddp_kwargs}")
    return ddp


train(optim.SGD)
train(optim.Adam)
ddp = train(optim.SGD, gradient_as_bucket_view=True)
for p in ddp.module.parameters():       # grads are views of the buckets
    assert any(p.grad._data.base is b.buffer for b in ddp._buckets)

# overlap: when the first layer's gradient (the last one backward makes) is accumulated, the first bucket's
# all-reduce is already in flight
torch.manual_seed(0)
ddp = DDP(Net().to(DEVICE), bucket_cap_mb=0.001)
seen = []
ddp.module.fc1.weight.register_post_accumulate_grad_hook(lambda p: seen.append(ddp._buckets[0].work is not None))
x, y = batch(0)
F.cross_entropy(ddp(shard(x)), shard(y)).backward()
assert seen == [True], seen

# no_sync: the first backward stays local, the next one averages the accumulated gradients
torch.manual_seed(0)
ref = Net().to(DEVICE)
ddp = DDP(copy.deepcopy(ref), bucket_cap_mb=0.001)
(x1, y1), (x2, y2) = batch(1), batch(2)
F.cross_entropy(ref(x1), y1).backward()
F.cross_entropy(ref(x2), y2).backward()
with ddp.no_sync():
    F.cross_entropy(ddp(shard(x1)), shard(y1)).backward()
local = ddp.module.fc3.bias.grad.cpu().numpy().copy()
everyone = [None] * size
dist.all_gather_object(everyone, local)
assert not np.allclose(everyone[0], everyone[-1]), "no_sync communicated"
F.cross_entropy(ddp(shard(x2)), shard(y2)).backward()
for p, q in zip(ddp.module.parameters(), ref.parameters()):
    np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.cpu().numpy(), rtol=1e-5, atol=1e-6)

# find_unused_parameters: a layer no rank uses keeps grad None; one only rank 0 uses gets the average
torch.manual_seed(0)
ref = Net(unused=True).to(DEVICE)
ddp = DDP(copy.deepcopy(ref), bucket_cap_mb=0.001, find_unused_parameters=True)
opt = optim.SGD(ddp.parameters(), lr=0.1)
for step in range(2):
    x, y = batch(step)
    opt.zero_grad()
    F.cross_entropy(ddp(shard(x)), shard(y)).backward()
    opt.step()
assert ddp.module.extra.weight.grad is None
np.testing.assert_array_equal(ddp.module.extra.weight.detach().cpu().numpy(),
                              ref.extra.weight.detach().cpu().numpy())
opt.zero_grad()
x, y = batch(5)
F.cross_entropy(ddp(shard(x), use_extra=rank == 0), shard(y)).backward()
g = ddp.module.extra.bias.grad
assert g is not None
gs = [None] * size
dist.all_gather_object(gs, g.cpu().numpy())
for other in gs:
    np.testing.assert_allclose(other, gs[0], rtol=1e-6)
# ... and without find_unused_parameters, PyTorch's error at the next forward
ddp = DDP(Net(unused=True).to(DEVICE), bucket_cap_mb=0.001)
F.cross_entropy(ddp(shard(x)), shard(y)).backward()
try:
    ddp(shard(x))
except RuntimeError as e:
    assert "Expected to have finished reduction in the prior iteration" in str(e)
else:
    raise AssertionError("no error for unused parameters")

# buffers: broadcast from rank 0 at construction and before each forward
model = nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4)).to(DEVICE)
with torch.no_grad():
    model[1].running_mean.fill_(float(rank))
ddp = DDP(model)
assert float(model[1].running_mean[0]) == 0.0
with torch.no_grad():
    model[1].running_mean.fill_(float(rank + 5))
ddp.eval()
ddp(shard(batch(0)[0]))
assert float(model[1].running_mean[0]) == 5.0

# state_dict: the module's keys under "module."
sd = ddp.state_dict()
assert list(sd) == ["module." + k for k in model.state_dict()], list(sd)
ddp.load_state_dict(sd)
ddp.module.load_state_dict(model.state_dict())

try:
    DDP(nn.ReLU())
except RuntimeError as e:
    assert "doesn't have any parameter that requires a gradient" in str(e)
else:
    raise AssertionError("DDP of a module without parameters")
dist.destroy_process_group()
print(f"ddp ok {rank} {size}", flush=True)
