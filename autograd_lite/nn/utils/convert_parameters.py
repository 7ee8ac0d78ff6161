"""Parameters to one flat vector and back, as ``torch.nn.utils``."""
from ... import cat
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param, device):
    if device is not None and param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return param.device


def parameters_to_vector(parameters):
    """One 1-D Tensor of every parameter's values, flattened and concatenated in order (differentiable).

    Example: ``vec = nn.utils.parameters_to_vector(model.parameters())``"""
    device, flat = None, []
    for p in parameters:
        device = _check_device(p, device)
        flat.append(p.view(-1))
    return cat(flat)


def vector_to_parameters(vec, parameters):
    """Sets each parameter's ``.data`` to its slice of `vec` (reshaped; it shares vec's storage), in order.

    Example: ``nn.utils.vector_to_parameters(vec, model.parameters())``"""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    device, pointer = None, 0
    for p in parameters:
        device = _check_device(p, device)
        n = p.numel()
        p.data = vec[pointer:pointer + n].view_as(p).data
        pointer += n
