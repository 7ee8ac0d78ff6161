"""``autograd_lite.utils.tensorboard``: ``SummaryWriter`` as ``torch.utils.tensorboard``'s, writing TensorBoard
event files through tensorboardX (an optional extra: ``pip install tensorboardX`` or ``autograd_lite[tensorboard]``):
tensors are handed over as NumPy arrays. ``add_graph`` is refused (it traces PyTorch's graph).

Example::

    from autograd_lite.utils.tensorboard import SummaryWriter
    writer = SummaryWriter("runs/mnist")
    writer.add_scalar("loss/train", loss.item(), step)
    writer.add_histogram("fc1.weight", model.fc1.weight, step)
    writer.close()                  # then: tensorboard --logdir runs
"""
import functools

from ...tensor import Tensor

try:
    import tensorboardX as _tensorboardX
except ImportError:
    raise ImportError("autograd_lite.utils.tensorboard needs tensorboardX: pip install tensorboardX "
                      "(or pip install 'autograd_lite[tensorboard]')") from None

__all__ = ["SummaryWriter"]


def _numpy(value):
    """Tensors in value (nested in lists, tuples and dicts) as NumPy arrays, which tensorboardX takes."""
    if isinstance(value, Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_numpy(v) for v in value)
    if isinstance(value, dict):
        return {k: _numpy(v) for k, v in value.items()}
    return value


def _taking_tensors(method):
    @functools.wraps(method)
    def add(self, *args, **kwargs):
        return method(self, *_numpy(args), **_numpy(kwargs))
    return add


class SummaryWriter(_tensorboardX.SummaryWriter):
    """Writes scalars, histograms, images, text, hyperparameters, embeddings, PR curves, audio and video to a
    TensorBoard log directory (default ``runs/<date>_<host><comment>``), as ``torch.utils.tensorboard``'s."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        super().__init__(logdir=log_dir, comment=comment, purge_step=purge_step, max_queue=max_queue,
                         flush_secs=flush_secs, filename_suffix=filename_suffix)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Refuses: the graph TensorBoard shows is PyTorch's JIT trace, which autograd_lite does not make."""
        raise NotImplementedError("SummaryWriter.add_graph: autograd_lite has no JIT trace to draw; log scalars, "
                                  "histograms and images, or print(model) for its structure")


for _name in dir(_tensorboardX.SummaryWriter):
    if _name.startswith("add_") and _name not in ("add_graph", "add_onnx_graph", "add_openvino_graph"):
        setattr(SummaryWriter, _name, _taking_tensors(getattr(_tensorboardX.SummaryWriter, _name)))
del _name
