"""Tensor methods torch has beyond the ops: Python callables applied in place (apply_, map_, map2_), storage
re-pointing (set_), strided allocation (new_empty_strided), nonzero_static, the unsafe_ splits, module_load,
dim_order, and the flags of pinned / inference tensors."""
import numpy as np

from .. import _api
from .._args import contiguous_strides
from ..autograd.grad_mode import no_grad
from ..creation import empty_strided
from ..tensor import Tensor
from ._util import wrap, xp_of

declare = _api.declare


def _python_inplace(self, fn, name, *others):
    """self[i] = fn(self[i], *(other[i] ...)) on the CPU (torch's apply_ / map_ / map2_), without autograd."""
    if type(self._data) is not np.ndarray:
        raise TypeError(f"{name} is only implemented on CPU tensors")
    self._check_inplace_leaf()
    arrays = [np.broadcast_to(o._host(), self.shape) for o in others]
    values = np.vectorize(fn, otypes=[self._data.dtype])(self._data, *arrays) if self._data.size else self._data
    self._data[...] = values
    self._version[0] += 1
    return self


@declare(top=False)
def apply_(self, callable):
    """``x[i] = callable(x[i])`` for every element, in place, on a CPU tensor (slow: a Python call each).

    Example: ``autograd_lite.tensor([1., 2.]).apply_(lambda v: v * 10)`` is ``[10., 20.]``"""
    return _python_inplace(self, callable, "apply_")


@declare(top=False)
def map_(self, tensor, callable):
    """``x[i] = callable(x[i], tensor[i])`` (tensor broadcast to x), in place, on CPU tensors.

    Example: ``x.map_(y, lambda a, b: max(a, b))``"""
    return _python_inplace(self, callable, "map_", tensor)


@declare(top=False)
def map2_(self, x, y, callable):
    """``self[i] = callable(self[i], x[i], y[i])``, in place, on CPU tensors. Example: ``t.map2_(a, b, f)``"""
    return _python_inplace(self, callable, "map2_", x, y)


@declare(top=False)
def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False, layout=None,
                      pin_memory=False):
    """An uninitialised tensor of `size` and `stride`, this tensor's dtype and device by default.

    Example: ``x.new_empty_strided((2, 3), (1, 2)).stride()`` is ``(1, 2)``"""
    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)


@declare
def nonzero_static(input, *, size, fill_value=-1):
    """The indices of the nonzero elements, a (size, input.ndim) int64 tensor: truncated to `size` rows, or padded
    with `fill_value`.

    Example: ``autograd_lite.nonzero_static(autograd_lite.tensor([0, 3, 0, 5]), size=3)`` is ``[[1], [3], [-1]]``"""
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got size: {size}")
    found = np.argwhere(input._host())[:size]
    out = np.full((size, input.ndim), fill_value, np.int64)
    out[:len(found)] = found
    return wrap(xp_of(input._data).asarray(out), input._data)


@declare(top=False)
def set_(self, source=None, storage_offset=0, size=None, stride=None):
    """Points this tensor at `source`'s storage (all of it, or the (size, stride) view from storage_offset, as
    ``as_strided``); with no source, an empty tensor. Example: ``x.set_(y)`` then ``x`` and ``y`` share memory."""
    if source is None:
        data = xp_of(self._data).zeros(0, self._data.dtype)
    elif not isinstance(source, Tensor):
        raise TypeError(f"set_(): argument 'source' must be Tensor, not {type(source).__name__}")
    elif size is None:
        data = source._data
    else:
        with no_grad():
            data = source.as_strided(size, stride if stride is not None else contiguous_strides(size),
                                     storage_offset)._data
    if self._rg and self.grad_fn is None:
        raise RuntimeError("set_: a leaf Variable that requires grad is being used in an in-place operation.")
    self._data = data
    self._version[0] += 1
    return self


@declare(top=False)
def is_pinned(self, device=None):
    """False: host tensors here are never page-locked. Example: ``x.is_pinned()``"""
    return False


@declare(top=False)
def pin_memory(self, device=None):
    """This tensor (host memory is not page-locked here; copies to the GPU work all the same).

    Example: ``batch = batch.pin_memory()``"""
    return self


@declare
def is_inference(self):
    """False: tensors made under inference_mode here are ordinary tensors without a graph. Example:
    ``x.is_inference()``"""
    return False


@declare
def is_distributed(self):
    """False (no tensor here is split over processes). Example: ``x.is_distributed()``, ``torch.is_distributed(x)``"""
    if not isinstance(self, Tensor):
        raise TypeError(f"is_distributed(): argument 'input' (position 1) must be Tensor, not {type(self).__name__}")
    return False


@declare(top=False)
def is_set_to(self, tensor):
    """Whether both tensors view the same memory with the same sizes and strides: ``x.is_set_to(x.view(x.shape))``
    is True."""
    return self.data_ptr() == tensor.data_ptr() and self.shape == tensor.shape and self.stride() == tensor.stride() \
        and self.dtype == tensor.dtype


_api.attach_property("output_nr", lambda self: 0, "Which output of its grad_fn this tensor is: 0 (every op here has "
                     "one differentiable output per node).")


def _unsafe(name):
    def fn(*args, **kwargs):
        return getattr(Tensor, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = "unsafe_" + name
    fn.__doc__ = f"``{name}`` (torch's unsafe_ variant skips a view check that does not exist here).\n\n" \
                 f"Example: ``autograd_lite.unsafe_{name}(x, 2)``"
    declare(fn)


for _name in ("chunk", "split", "split_with_sizes"):
    _unsafe(_name)


@declare(top=False)
def module_load(self, other, assign=False):
    """What ``Module.load_state_dict`` stores for this parameter or buffer: ``other.detach()`` with `assign`, else
    this tensor with other's values copied in, detached. Example: ``p.module_load(state['weight'])``"""
    if assign:
        return other.detach()
    with no_grad():
        return self.copy_(other).detach()


@declare(top=False)
def dim_order(self, *, ambiguity_check=False):
    """The dims from the outermost in memory to the innermost (by decreasing stride): ``(0, 2, 3, 1)`` for a
    channels_last tensor. Example: ``x.dim_order()``"""
    stride, shape = self.stride(), self.shape
    if ambiguity_check is True and (len(set(stride)) < len(stride) or 1 in shape):
        raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact one of the given "
                           "memory formats.")
    return tuple(sorted(range(self.ndim), key=lambda d: -stride[d]))


def __array_wrap__(self, array, context=None, return_scalar=False):
    """A NumPy ufunc's result on a tensor comes back as a tensor, as torch's (``numpy.exp(t)`` is a Tensor; a bool
    result becomes uint8). Example: ``numpy.sin(autograd_lite.zeros(2))`` is ``tensor([0., 0.])``"""
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)      # torch's own workaround, kept for parity
    return Tensor._make(array)             # shares the result's memory, as torch.from_numpy


Tensor.__array_wrap__ = __array_wrap__
