"""``nn.DataParallel`` as scripts use it: without a GPU it calls the module as it is; with one, the module lives on
the GPU and the inputs are moved there. Splitting a batch over several GPUs in one process is not done here: it
runs on device_ids[0] (a warning says so), and DistributedDataParallel is the way to use several."""
import warnings

from ..modules.module import Module

__all__ = ["DataParallel"]


def _to(value, device):
    """Tensors in value (nested in lists, tuples and dicts) moved to device."""
    if hasattr(value, "to") and hasattr(value, "device"):
        return value.to(device)
    if isinstance(value, (list, tuple)):
        return type(value)(_to(v, device) for v in value)
    if isinstance(value, dict):
        return {k: _to(v, device) for k, v in value.items()}
    return value


class DataParallel(Module):
    """Wraps `module` as ``torch.nn.DataParallel``: ``model = nn.DataParallel(model)``; its state_dict keys carry
    the ``module.`` prefix, as PyTorch's.

    Example::

        model = nn.DataParallel(model).to(device)
        out = model(x)                  # x moved to the GPU when there is one
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        from ... import cuda
        from ...backend import device
        self.module = module
        self.dim = dim
        if not cuda.is_available():
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(cuda.device_count()))
        if not device_ids:
            raise RuntimeError("no available devices were found")
        ids = [d.index if hasattr(d, "index") else int(d) for d in device_ids]
        ids = [0 if i is None else i for i in ids]
        if len(ids) > 1:
            warnings.warn(f"DataParallel: splitting a batch over the GPUs {ids} is not implemented; running on "
                          f"cuda:{ids[0]} only (use DistributedDataParallel for several GPUs)", stacklevel=2)
        self.device_ids = ids[:1]
        out = ids[0] if output_device is None else output_device
        self.output_device = out.index if hasattr(out, "index") else int(out)
        self.src_device_obj = device("cuda", ids[0])
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(f"module must have its parameters and buffers on device {self.src_device_obj} "
                                   f"(device_ids[0]) but found one of them on device: {t.device}")
        out = self.module(*_to(inputs, self.src_device_obj), **_to(kwargs, self.src_device_obj))
        if self.output_device != self.device_ids[0]:
            from ...backend import device
            out = _to(out, device("cuda", self.output_device))
        return out
