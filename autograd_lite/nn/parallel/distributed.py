"""DistributedDataParallel: one model replica per process; gradients averaged over the process group while
backward is still running (bucketed, non-blocking all-reduces started by post-accumulate-grad hooks)."""
import contextlib
import time

import numpy as np

from ... import backend as _backend, distributed as dist
from ...autograd import engine as _engine
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...tensor import Tensor
from ..modules.module import Module
from ._buckets import make_buckets

__all__ = ["DistributedDataParallel"]

UNFINISHED_REDUCTION = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error indicates "
    "that your module has parameters that were not used in producing loss. You can enable unused parameter "
    "detection by passing the keyword argument `find_unused_parameters=True` to "
    "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs participate "
    "in calculating loss.")


class DistributedDataParallel(Module):
    """Data-parallel training: wrap the model in every process (``mpiexec -n N``); each trains on its share of
    the batch and backward leaves every rank the gradients averaged over all of them.

    Parameters and buffers are broadcast from rank 0 at construction (and buffers before each forward when
    ``broadcast_buffers``). Gradients are packed into buckets of ``bucket_cap_mb`` (parameters in reverse
    registration order); a bucket's all-reduce starts, non-blocking, as soon as its last gradient is accumulated,
    and backward waits for them all at its end. ``state_dict`` keys carry the ``module.`` prefix, as PyTorch's.

    Example::

        dist.init_process_group("mpi")
        model = nn.parallel.DistributedDataParallel(Net())
        loss_fn(model(x), y).backward()        # grads: the average over the ranks
        optimizer.step()
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects an nn.Module, got {type(module).__name__}")
        self.module = module
        self.process_group = process_group if process_group is not None else dist.GroupMember.WORLD
        if self.process_group is None:
            raise ValueError(dist.distributed_c10d.NOT_INITIALIZED)
        self._params = [p for p in module.parameters() if p.requires_grad]
        if not self._params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.broadcast_buffers, self.find_unused_parameters = broadcast_buffers, find_unused_parameters
        self.gradient_as_bucket_view, self.static_graph = gradient_as_bucket_view, static_graph
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.require_backward_grad_sync = True
        if init_sync:
            self._broadcast(list(module.parameters()) + list(module.buffers()))
        self._buckets = make_buckets(self._params, self.bucket_bytes_cap)
        self._scale = 1.0 / dist.get_world_size(self.process_group)
        self._slot = {}             # id(param) -> (bucket, its view)
        for bucket in self._buckets:
            for p, view in zip(bucket.params, bucket.views):
                self._slot[id(p)] = (bucket, view)
        self._armed = self._queued = self._unfinished = False
        self._next, self._used, self._comm_wait_s = 0, set(), 0.0
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in self._params]

    # ---- forward -------------------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._unfinished:
            raise RuntimeError(UNFINISHED_REDUCTION)
        if self.broadcast_buffers:
            self._broadcast(list(self.module.buffers()))
        out = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare(out)
        return out

    def _broadcast(self, tensors):
        if dist.get_world_size(self.process_group) == 1 or not tensors:
            return
        root = dist.get_global_rank(self.process_group, 0)
        with no_grad():
            works = [dist.broadcast(t, root, group=self.process_group, async_op=True) for t in tensors]
            for w in works:
                w.wait()

    def _prepare(self, out):
        """Arms the hooks for this forward's backward; with find_unused_parameters, marks the parameters the
        output does not depend on as ready (zeros), so that their buckets still go out."""
        self._armed, self._queued, self._next, self._used = True, False, 0, set()
        for bucket in self._buckets:
            bucket.pending, bucket.work = len(bucket.params), None
        if self.find_unused_parameters:
            reached = _leaves_of(out)
            for p in self._params:
                if id(p) not in reached:
                    bucket, view = self._slot[id(p)]
                    view[...] = 0
                    self._mark(bucket)

    # ---- backward ------------------------------------------------------------------------------------------
    def _grad_ready(self, p):
        if not self._armed:
            return
        if not self._queued:
            self._queued = True
            _engine.queue_callback(self._finalize)
        bucket, view = self._slot[id(p)]
        self._used.add(id(p))
        # divided by the world size as it is packed (PyTorch's predivide): the all-reduce is then a plain SUM, with
        # no pass over the bucket to average it
        if p._grad._data is view:
            view *= self._scale
        else:
            _backend.backend_of(view).xp.multiply(p._grad._data, self._scale, out=view)
        self._mark(bucket)

    def _mark(self, bucket):
        bucket.pending -= 1
        # launched strictly in bucket order: every rank must issue the same collectives in the same order
        while self._next < len(self._buckets) and self._buckets[self._next].pending == 0:
            b = self._buckets[self._next]
            b.work = dist.all_reduce(Tensor._make(b.buffer), op=dist.ReduceOp.SUM, group=self.process_group,
                                     async_op=True)
            self._next += 1

    def _finalize(self):
        """At the end of backward: waits for the buckets' all-reduces and writes the averages into the .grads."""
        self._armed = False
        if self._next < len(self._buckets):
            self._unfinished = True     # a parameter got no gradient: PyTorch's error at the next forward
            return
        start = time.perf_counter()
        for b in self._buckets:
            b.work.wait()
        self._comm_wait_s += time.perf_counter() - start     # how long backward waited on all-reduce (benchmarks)
        unused_everywhere = self._unused_everywhere() if self.find_unused_parameters else ()
        for b in self._buckets:
            for p, view in zip(b.params, b.views):
                if id(p) in unused_everywhere:
                    continue                # as PyTorch: a parameter no rank used keeps its .grad
                if self.gradient_as_bucket_view:
                    if p._grad is None or p._grad._data is not view:
                        p._grad = Tensor._make(view)
                elif p._grad is None:
                    p._grad = Tensor._make(view.copy())
                else:
                    p._grad._data[...] = view

    def _unused_everywhere(self):
        # on the parameters' device: NCCL takes device tensors only
        used = Tensor._make(np.array([id(p) in self._used for p in self._params], "int32")).to(self._params[0].device)
        dist.all_reduce(used, op=dist.ReduceOp.MAX, group=self.process_group)
        return {id(p) for p, u in zip(self._params, used._data) if not u}

    @contextlib.contextmanager
    def no_sync(self):
        """Backward inside (of a forward run inside) accumulates gradients locally, without communication; the
        first backward after it averages the accumulated gradients.

        Example::

            with ddp.no_sync():
                loss_fn(ddp(x1), y1).backward()
            loss_fn(ddp(x2), y2).backward()      # synchronises the sum of both
        """
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self):
        return ""


def _leaves_of(out):
    """ids of the leaf Tensors the Tensors of `out` (a Tensor, or lists/tuples/dicts of them) depend on."""
    stack, seen, leaves = [], set(), set()

    def collect(o):
        if isinstance(o, Tensor):
            if o.grad_fn is not None:
                stack.append(o.grad_fn)
            elif o.requires_grad:
                leaves.add(id(o))
        elif isinstance(o, (list, tuple)):
            for x in o:
                collect(x)
        elif isinstance(o, dict):
            for x in o.values():
                collect(x)
    collect(out)
    while stack:
        node = stack.pop()
        for entry in node._inputs:
            if entry is None:
                continue
            target = entry[0]
            if isinstance(target, Tensor):
                leaves.add(id(target))
            elif id(target) not in seen:
                seen.add(id(target))
                stack.append(target)
    return leaves
