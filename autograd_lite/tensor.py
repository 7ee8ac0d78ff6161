"""Tensor: an array plus what autograd needs (requires_grad, grad, grad_fn, a version counter): its state,
conversion, printing and autograd glue. Its ops (methods, operators, in-place methods) are attached by their
declarations in autograd_lite.ops (see _api.declare); this module imports none of them."""
import numbers
import warnings
import weakref

import numpy as np

from . import _dtype, _float8, _format
from ._args import canon_dim, contiguous_strides, shape_arg
from .autograd import engine as _engine
from .autograd import grad_mode as _grad_mode
from .autograd.op_function import TensorBase
from .autograd.views import CopySlices, replay_view
from . import backend as _backend
from . import _shm
from . import _subclass
from ._subclass import SubclassProtocol
from .backend import backend_of

_grad_state = _grad_mode.state
_new = object.__new__

LEAF_INPLACE_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_LEAF_INPLACE_MESSAGE = ("a view of a leaf Variable that requires grad is being used in an "
                             "in-place operation.")
NON_LEAF_GRAD_MESSAGE = ("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated for a "
    "non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make "
    "sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.")


class Tensor(SubclassProtocol, TensorBase):
    """An n-dimensional array that can record the operations applied to it.

    Example::

        >>> x = autograd_lite.tensor([[1., 2.]], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([[2., 4.]])
    """
    __slots__ = ()
    __array_priority__ = 1000        # numpy_array * tensor defers to Tensor.__rmul__
    share_memory_, is_shared = _shm.share_memory_, _shm.is_shared     # torch's, written in _shm (shared memory)

    def _construct(self, *args, dtype=None, device=None, requires_grad=False):
        """Legacy constructor (``Tensor.__new__``): ``Tensor(2, 3)`` (uninitialised float32) or ``Tensor([1, 2])``."""
        np_dtype = _dtype.to_dtype(dtype or _dtype.float32).np
        if args and all(isinstance(a, numbers.Integral) for a in args):
            data = np.empty(shape_arg(args, "Tensor"), np_dtype)
        elif len(args) == 1:
            data = np.array(args[0], dtype=np_dtype)
        else:
            data = np.empty(0, np_dtype)
        if device is not None:
            dev = _backend.device(device)
            data = _backend.get_backend(dev).from_host(data, dev.index)
        self._init(data, requires_grad)

    def _init(self, data, requires_grad=False):
        self._data = data
        self._rg = requires_grad
        self._grad = self.grad_fn = self._hooks = self._base = None
        self._version = [0]

    @staticmethod
    def _make(data, requires_grad=False):
        t = _new(Tensor)
        t._data = data
        t._rg = requires_grad
        t._grad = t.grad_fn = t._hooks = t._base = None
        t._version = [0]
        return t

    @property
    def grad(self):
        """The accumulated gradient (a Tensor) once backward has reached this leaf, else None (a non-leaf warns)."""
        if self._grad is None and self.grad_fn is not None and self.grad_fn._retained is None:
            warnings.warn(NON_LEAF_GRAD_MESSAGE, UserWarning, stacklevel=2)      # as PyTorch, unless retain_grad()
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' "
                                   f"to a tensor of size '{list(self.shape)}'. Please ensure that "
                                   "the gradient and the tensor are the same size")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype "
                                   f"'{value.dtype.name}' to a tensor with dtype '{self.dtype.name}'")
        self._grad = value

    # ---- attributes ---------------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None and not value:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        if value and self._data.dtype.kind not in "fcV":          # "V": bfloat16 (ml_dtypes)
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients "
                               f"(got {self.dtype.name})")
        self._rg = bool(value)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def data(self):
        """A detached Tensor sharing this one's storage: ``w.data.fill_(0)`` changes ``w``."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        if isinstance(value, Tensor):
            if self._rg and value._data.dtype.kind not in "fcV":
                raise RuntimeError("data set to a tensor that requires gradients must be floating point or complex "
                                   "dtype")
            self._data = value._data
        elif _backend.is_device_array(value):             # a CuPy array stays on its GPU
            self._data = value
        else:
            self._data = np.asarray(value)

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[canon_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        d = self._data
        return backend_of(d).device_of(d)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def is_floating_point(self):
        return self._data.dtype.kind in "fV"      # "V": bfloat16 (ml_dtypes), the one such tensor dtype

    def element_size(self):
        return self._data.itemsize

    def stride(self, dim=None):
        d = self._data       # an empty array's strides: PyTorch's contiguous ones (NumPy may give zeros)
        s = tuple(x // d.itemsize for x in d.strides) if d.size else contiguous_strides(d.shape)
        return s if dim is None else s[dim]

    # ---- conversion ---------------------------------------------------------------------------
    def numpy(self, force=False):
        if self._data.dtype.kind == "V" or self._data.dtype.itemsize == 1 and self._data.dtype.kind == "f":
            # bfloat16, float8 (ml_dtypes'; float8_e5m2's kind is 'f'): as PyTorch, NumPy has none of its own
            raise TypeError(f"Got unsupported ScalarType {self.dtype.scalar_type}")
        if self._rg and not force and _grad_state.enabled:     # as PyTorch: allowed under no_grad
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if type(self._data) is not np.ndarray:
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                                "Tensor.cpu() to copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def _host(self):
        return self._data if type(self._data) is np.ndarray else self._data.get()

    def __float__(self):
        return float(self._python_scalar("double"))

    def __int__(self):
        return int(self._python_scalar("int64_t"))

    def __complex__(self):
        return complex(self._python_scalar())

    def _python_scalar(self, real=None):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        v = self.item()
        if real and isinstance(v, complex):
            if v.imag:
                raise RuntimeError(f"value cannot be converted to type {real} without overflow")
            v = v.real
        return v

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'more than one value' if self._data.size else 'no values'}"
                               " is ambiguous")
        return bool(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "biu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __repr__(self):
        return _format.tensor_repr(self)

    __hash__ = object.__hash__          # identity (== is elementwise); C-level for the engine's dicts

    def __array__(self, dtype=None, copy=None):
        a = self._host()
        return a if dtype is None else a.astype(dtype)

    def __reduce_ex__(self, protocol):
        if type(self) is not Tensor and type(self)._ctor_in_new:        # a user's subclass: its type and attributes
            return _subclass.reduce(self, _rebuild)
        return (_rebuild, (self._host(), self._rg))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        out = type(self).__new__(type(self))
        out._init(self._data.copy(), self._rg)
        if self._grad is not None:
            out._grad = Tensor._make(self._grad._data.copy())
        _subclass.copy_attributes(self, out, memo)
        memo[id(self)] = out
        return out

    # ---- autograd -----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulates d(self)/d(leaf) into each leaf's ``.grad``."""
        if gradient is None and inputs is None and not create_graph and self._data.size == 1 \
                and self.grad_fn is not None and self._data.dtype.kind != "c":      # the common case: a real loss
            _engine.run_backward([(self, _engine.ones_like(self._data))], bool(retain_graph))
            return
        from .autograd import backward
        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph,
                 inputs=inputs)

    def detach(self):
        t = Tensor._make(self._data)
        t._version = self._version           # shares storage and version counter
        return t

    def detach_(self):
        self.grad_fn, self._rg = None, False
        return self

    def register_hook(self, hook):
        """Calls ``hook(grad)`` with this tensor's gradient; a returned Tensor replaces it."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self.grad_fn
        if node is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if node._hooks is None:
                node._hooks = []
            hooks = node._hooks
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def retain_grad(self):
        if self.grad_fn is not None:
            self.grad_fn._retained = weakref.ref(self)
        elif not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")

    @property
    def retains_grad(self):
        return self.grad_fn is not None and self.grad_fn._retained is not None

    # ---- in-place -----------------------------------------------------------------------------
    def _inplace(self, op, *args, **kwargs):
        """Runs `op(self, *args, **kwargs)` and writes the result into this tensor's storage.

        With autograd recording, the op runs on a copy (so its own saved arrays stay intact), the
        result is copied in, and the version bump lets nodes that saved the old values detect it."""
        view = self._base          # PyTorch's rule: a view that requires grad (or whose base does) of a leaf raises
        tracking = _grad_state.enabled and (self._rg or view is not None and view[0]._rg or any(
            isinstance(a, Tensor) and a._rg for a in args))
        if not tracking:
            out = op(Tensor._make(self._data), *args, **kwargs)
            self._write(out._data, out.shape, op)
            return self
        if view is not None and view[0].grad_fn is None and (view[0]._rg or self._rg):
            raise RuntimeError(VIEW_LEAF_INPLACE_MESSAGE)
        if view is None and self.grad_fn is None and self._rg:
            raise RuntimeError(LEAF_INPLACE_MESSAGE)
        src = Tensor._make(self._data.copy(), self._rg)
        src.grad_fn = self.grad_fn
        out = op(src, *args, **kwargs)
        self._write(out._data, out.shape, op)
        if view is None:
            self.grad_fn, self._rg = out.grad_fn, out._rg
        else:
            self._rebase_view(view, out)
        return self

    def _rebase_view(self, view, values):
        """After an in-place op on a view: the base's new history is "the old base with this
        region replaced by `values`", and this view is re-derived from the new base."""
        base, steps = view
        new_base = CopySlices.apply(base, values, steps)
        base.grad_fn, base._rg = new_base.grad_fn, new_base._rg
        v = replay_view(base, steps)
        self.grad_fn, self._rg = v.grad_fn, v._rg

    def _write(self, values, shape, op):
        if tuple(shape) != self._data.shape:
            raise RuntimeError(f"{getattr(op, '__name__', 'in-place op')}_: output with shape "
                               f"{tuple(self._data.shape)} doesn't match the broadcast shape "
                               f"{tuple(shape)}")
        if values.dtype != self._data.dtype and values.dtype.kind != self._data.dtype.kind and \
                _dtype.category_of(self._data.dtype) < _dtype.category_of(values.dtype):
            raise RuntimeError(f"result type {_dtype.from_numpy_dtype(values.dtype).name} can't be "
                               f"cast to the desired output type {self.dtype.name}")
        self._check_writable()
        self._data[...] = values
        self._version[0] += 1

    def _check_writable(self):
        if not getattr(self._data.flags, "writeable", True):     # a view whose elements overlap (unfold, expand)
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                               "single memory location. Please clone() the tensor before performing the operation.")

    def _check_inplace_leaf(self):
        self._check_writable()
        if _grad_state.enabled:
            view = self._base
            if view is not None and (view[0]._rg or self._rg) and view[0].grad_fn is None:
                raise RuntimeError(VIEW_LEAF_INPLACE_MESSAGE)
            if self._rg and self.grad_fn is None:
                raise RuntimeError(LEAF_INPLACE_MESSAGE)

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        self._check_inplace_leaf()
        value = value.item() if isinstance(value, Tensor) else value
        dt = self._data.dtype
        self._data[...] = _float8.coerce(value, dt) if dt.itemsize == 1 and dt.kind in "Vf" else value
        self._version[0] += 1
        return self

    def _fill_random(self, values):
        """Writes `values` (a host array of this shape: the random fills of ops/sampling.py) into this tensor."""
        self._check_inplace_leaf()
        self._data[...] = values if type(self._data) is np.ndarray else \
            backend_of(self._data).xp.asarray(values)
        self._version[0] += 1
        return self

    def resize_(self, *sizes):
        """Reshapes in place; a different element count reallocates, keeping the leading values."""
        if self._rg:
            raise RuntimeError("cannot resize variables that require grad")
        shape = shape_arg(sizes, "resize_")
        n = int(np.prod(shape))
        if n == self._data.size and self._data.flags.c_contiguous:
            self._data = self._data.reshape(shape)
        else:
            xp = backend_of(self._data).xp
            new = xp.zeros(n, dtype=self._data.dtype)
            flat = self._data.reshape(-1)[:n]
            new[:flat.size] = flat
            self._data = new.reshape(shape)
        self._version[0] += 1
        return self

    def resize_as_(self, other):
        return self.resize_(other.shape)


class Size(tuple):
    """``x.shape``/``x.size()``: a tuple that prints like PyTorch's ``torch.Size([2, 3])``."""

    def __repr__(self):
        return f"autograd_lite.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def _rebuild(array, requires_grad):
    return Tensor._make(array, requires_grad)


def parse_to_args(args, device=None, dtype=None):
    """(device, dtype) from the positional arguments of ``to``: a device, a dtype, or a Tensor."""
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif _is_device_spec(a):
            device = a
        else:
            dtype = a
    return device, None if dtype is None else _dtype.to_dtype(dtype)


def _is_device_spec(a):
    if isinstance(a, str):                  # 'mps', 'cuda:x': a device, which then says what is wrong with it
        return not _dtype.is_dtype_name(a)
    return type(a).__name__ == "device" or isinstance(a, numbers.Integral) and not isinstance(a, bool)


Tensor._result_class = Tensor
