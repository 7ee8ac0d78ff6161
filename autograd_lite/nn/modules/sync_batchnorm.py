"""SyncBatchNorm: batch normalization whose training statistics span every rank of a process group."""
from ... import creation, distributed as dist
from ...ops.shape import cat
from ...autograd.op_function import Function
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import functional as F
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


class _AllReduce(Function):
    """The sum over the group's ranks; its gradient is the sum of every rank's gradient (each rank's loss depends on
    every rank's input through it)."""
    op_name = "all_reduce"

    @staticmethod
    def forward(ctx, a, group):
        ctx.group = group
        t = Tensor._make(a.copy())
        dist.all_reduce(t, group=group)
        return t._data

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return _AllReduce.apply(g, ctx.group), None
        return _AllReduce.forward(ctx, g, ctx.group), None


def _sync_batch_norm(x, weight, bias, running_mean, running_var, eps, momentum, group):
    """Batch norm of x (N, C, ...) with the mean and biased variance of every rank's batch: one all-reduce of the
    per-channel sum, sum of squares and count; the backward all-reduces their two gradients."""
    c = x.shape[1]
    dims = (0,) + tuple(range(2, x.ndim))
    count = creation.full((1,), x.numel() // c, dtype=x.dtype, device=x.device)
    stats = _AllReduce.apply(cat([x.sum(dims), (x * x).sum(dims), count]), group)
    n = float(stats[2 * c].item())
    if n <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(x.shape)}")
    mean = stats[:c] / n
    var = stats[c:2 * c] / n - mean * mean
    shape = (1, c) + (1,) * (x.ndim - 2)
    y = (x - mean.reshape(shape)) * (var + eps).rsqrt().reshape(shape)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    if running_mean is not None:
        with no_grad():      # PyTorch's update: the unbiased variance of all ranks' batch
            running_mean.mul_(1 - momentum).add_(mean.detach() * momentum)
            running_var.mul_(1 - momentum).add_(var.detach() * (momentum * n / (n - 1)))
    return y


class SyncBatchNorm(_BatchNorm):
    """Batch normalization of (N, C, ...) input whose training statistics are those of the whole process group's
    batch (``torch.nn.SyncBatchNorm``): N ranks with batch B each normalize as one process with batch N * B. Outside
    a process group, in eval mode or in a group of one, it is BatchNorm. Unlike PyTorch's, it synchronizes CPU
    tensors too (the MPI backend).

    Args: num_features, eps, momentum, affine, track_running_stats (as BatchNorm2d), process_group (default: the
    whole world), device, dtype, bias.
    Example::

        >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(model)   # every BatchNorm*d, before DDP wraps it
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def forward(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:       # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        running_mean, running_var = (self.running_mean, self.running_var) if keep else (None, None)
        group = None
        if use_batch and self.training and dist.is_initialized():
            group = self.process_group or dist.group.WORLD
            if dist.get_world_size(group) <= 1:
                group = None
        if group is None:
            return F.batch_norm(input, running_mean, running_var, self.weight, self.bias, use_batch, factor,
                                self.eps)
        return _sync_batch_norm(input, self.weight, self.bias, running_mean, running_var, self.eps, factor, group)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """`module` with every BatchNorm*d layer replaced by a SyncBatchNorm sharing its parameters and buffers (a
        new SyncBatchNorm when module is itself one).

        Example: ``model = nn.SyncBatchNorm.convert_sync_batchnorm(model, process_group)``."""
        out = module
        if isinstance(module, _BatchNorm):
            out = SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                module.track_running_stats, process_group, bias=module.bias is not None)
            if module.affine:
                with no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return out
