"""The legacy ``Variable``: as in modern PyTorch, a Variable is a Tensor. ``Variable(t, requires_grad=True)`` gives
a new leaf Tensor sharing t's storage, and ``isinstance(t, Variable)`` holds for every Tensor."""
import warnings

from .op_function import TensorBase as _Base


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, _Base)

    def __call__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with autograd_lite.no_grad():` "
                          "instead.", UserWarning, stacklevel=2)
        if data is None:            # PyTorch's legacy empty Variable
            from .. import empty
            data = empty(0)
        elif not isinstance(data, _Base):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()         # a leaf on the same storage (and version counter)
        if requires_grad:
            if not out.is_floating_point():
                raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
            out.requires_grad = True
        return out


class Variable(metaclass=_VariableMeta):
    """Legacy wrapper: ``Variable(tensor, requires_grad=False)`` returns a Tensor (a detached leaf on the same
    storage). Kept so that PyTorch 0.3-era code runs unchanged.

    Example: ``x = Variable(autograd_lite.randn(3), requires_grad=True)``"""
