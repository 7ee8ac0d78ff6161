"""Questions about dtypes and values: result_type, is_floating_point, is_complex, is_nonzero."""
import numbers

from .. import _api, _dtype
from ..tensor import Tensor

declare = _api.declare


@declare(method=False)
def result_type(tensor1, tensor2):
    """The dtype an arithmetic op on the two (tensors or numbers) gives, by PyTorch's promotion rules.

    Example: ``torch.result_type(torch.tensor([1, 2]), 1.0)`` is float32."""
    dims, zero_dims, scalars = [], [], []
    for x in (tensor1, tensor2):
        if isinstance(x, Tensor):
            (dims if x.ndim else zero_dims).append(x.dtype)
        elif isinstance(x, numbers.Number):
            scalars.append(x)
        else:
            raise TypeError(f"result_type(): argument must be Tensor or Number, not {type(x).__name__}")
    return _dtype.result_type(dims, zero_dims, scalars)


@declare
def is_floating_point(input):
    """Whether input's dtype is a floating point one. Example: ``torch.is_floating_point(torch.ones(1))``"""
    return input.dtype.is_floating_point


@declare
def is_complex(input):
    """Whether input's dtype is complex: always False here (no complex dtypes)."""
    return input.dtype.is_complex


@declare
def is_nonzero(input):
    """Whether a one-element tensor is nonzero. Example: ``torch.is_nonzero(torch.tensor([1.]))`` is True."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())
