"""Parameter: a leaf Tensor that a Module registers as one of its learnable weights."""
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning one to a Module attribute registers it.

    Example::

        >>> w = nn.Parameter(autograd_lite.zeros(3, 2))
        >>> w.requires_grad
        True
    """
    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            from ..creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: data must be a Tensor, got {type(data).__name__}")
        self._init(data._data, False)
        if requires_grad:
            self.requires_grad = True

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._host(), self._rg))


def _rebuild_parameter(array, requires_grad):
    from ..tensor import Tensor as _T
    return Parameter(_T._make(array), requires_grad)
