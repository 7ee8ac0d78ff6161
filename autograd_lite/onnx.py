"""``torch.onnx`` as scripts import it: autograd_lite does not export to ONNX, so ``export`` says so and how to
get there (through PyTorch), and ``is_in_onnx_export`` is False; scripts that ``import torch.onnx`` and export
only on request (PyTorch's word_language_model example) run unchanged.

Example::

    >>> import autograd_lite.onnx
    >>> autograd_lite.onnx.is_in_onnx_export()
    False
"""

__all__ = ["export", "is_in_onnx_export"]


def is_in_onnx_export():
    """False: autograd_lite never runs a model under an ONNX export."""
    return False


def export(model, args=(), f=None, *unused_args, **unused_kwargs):
    """Refuses: autograd_lite has no ONNX exporter. Save the weights in PyTorch's format
    (``autograd_lite.save(model.state_dict(), path, format='torch')``), load them into the same
    architecture in PyTorch, and export there with ``torch.onnx.export``."""
    raise RuntimeError("autograd_lite.onnx.export: exporting to ONNX is not supported; save the weights with "
                       "autograd_lite.save(model.state_dict(), 'model.pth', format='torch'), load them into the "
                       "same model in PyTorch and call torch.onnx.export there")
