"""Tensor: an array plus what autograd needs (requires_grad, grad, grad_fn, a version counter).

Ops live in `autograd_lite.ops`; the methods here are thin calls into them."""
import numbers

import numpy as np

from . import _dtype, _format
from .autograd import function as _function
from .autograd import engine as _engine
from .autograd import grad_mode as _grad_mode
from . import backend as _backend
from .backend import backend_of

_grad_state = _grad_mode.state
_new = object.__new__

LEAF_INPLACE_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_LEAF_INPLACE_MESSAGE = ("a view of a leaf Variable that requires grad is being used in an "
                             "in-place operation.")


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Example::

        >>> x = autograd_lite.tensor([[1., 2.]], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([[2., 4.]])
    """
    __slots__ = ("_data", "_rg", "_grad", "grad_fn", "_version", "_hooks", "_base", "__weakref__")
    __array_priority__ = 1000        # numpy_array * tensor defers to Tensor.__rmul__

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        """Legacy constructor: ``Tensor(2, 3)`` (uninitialised float32) or ``Tensor([1, 2])``."""
        from .creation import empty, tensor
        if args and all(isinstance(a, numbers.Integral) for a in args):
            src = empty(*args, dtype=dtype, device=device)
        elif len(args) == 1:
            src = tensor(args[0], dtype=dtype or _dtype.float32, device=device)
        else:
            src = empty(0, dtype=dtype, device=device)
        self._init(src._data, requires_grad)

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
        """The accumulated gradient (a Tensor) once backward has reached this leaf, else None."""
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
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients "
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
        from .ops._util import canon_dim
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
        return self._data.dtype.kind == "f"

    def element_size(self):
        return self._data.itemsize

    def stride(self, dim=None):
        s = tuple(x // self._data.itemsize for x in self._data.strides)
        return s if dim is None else s[dim]

    def is_contiguous(self):
        return bool(self._data.flags.c_contiguous)

    @property
    def T(self):
        return _ops.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return _ops.transpose(self, -2, -1)

    # ---- conversion ---------------------------------------------------------------------------
    def numpy(self, force=False):
        if self._rg and not force:
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
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to "
                               "Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def _host(self):
        return self._data if type(self._data) is np.ndarray else self._data.get()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is ambiguous")
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
        return (_rebuild, (self._host(), self._rg))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        out = type(self).__new__(type(self))
        out._init(self._data.copy(), self._rg)
        if self._grad is not None:
            out._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = out
        return out

    # ---- dtype and device ---------------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        device, dtype = parse_to_args(args, device, dtype)
        out = self
        if device is not None:
            out = _ops.to_device(out, device)
        if dtype is not None:
            out = _ops.cast(out, dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def type(self, dtype=None, non_blocking=False):
        """The legacy type name ('autograd_lite.FloatTensor', 'autograd_lite.cuda.FloatTensor'), or a conversion:
        ``x.type(FloatTensor)`` is a float32 CPU tensor, as in PyTorch (FloatTensor and friends are CPU types)."""
        if dtype is None:
            name = _TYPE_NAMES.get(self.dtype.name, "autograd_lite.Tensor")
            return name.replace("autograd_lite.", "autograd_lite.cuda.", 1) if self.is_cuda else name
        if isinstance(dtype, _TensorType):
            return self.to("cpu", dtype._tensor_type_dtype)
        return self.to(_dtype.to_dtype(dtype))

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def byte(self):
        return self.to(_dtype.uint8)

    def bool(self):
        return self.to(_dtype.bool_)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to("cuda" if device is None else f"cuda:{int(device)}" if not isinstance(device, str) else device)

    # ---- autograd -----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulates d(self)/d(leaf) into each leaf's ``.grad``."""
        if gradient is None and inputs is None and not create_graph and self._data.size == 1 \
                and self.grad_fn is not None:        # the common case: a scalar loss
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
            import weakref
            self.grad_fn._retained = weakref.ref(self)
        elif not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")

    @property
    def retains_grad(self):
        return self.grad_fn is not None and self.grad_fn._retained is not None

    # ---- in-place -----------------------------------------------------------------------------
    def _inplace(self, op, *args):
        """Runs `op(self, *args)` and writes the result into this tensor's storage.

        With autograd recording, the op runs on a copy (so its own saved arrays stay intact), the
        result is copied in, and the version bump lets nodes that saved the old values detect it."""
        tracking = _grad_state.enabled and (self._rg or any(
            isinstance(a, Tensor) and a._rg for a in args))
        if not tracking:
            out = op(Tensor._make(self._data), *args)
            self._write(out._data, out.shape, op)
            return self
        view = self._base
        if view is not None and view[0].grad_fn is None and view[0]._rg:
            raise RuntimeError(VIEW_LEAF_INPLACE_MESSAGE)
        if view is None and self.grad_fn is None and self._rg:
            raise RuntimeError(LEAF_INPLACE_MESSAGE)
        src = Tensor._make(self._data.copy(), self._rg)
        src.grad_fn = self.grad_fn
        out = op(src, *args)
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
        new_base = _ops.copy_slices(base, values, steps)
        base.grad_fn, base._rg = new_base.grad_fn, new_base._rg
        v = base
        for cls, extra in steps:
            v = cls.apply(v, *extra)
        self.grad_fn, self._rg = v.grad_fn, v._rg

    def _write(self, values, shape, op):
        if tuple(shape) != self._data.shape:
            raise RuntimeError(f"{getattr(op, '__name__', 'in-place op')}_: output with shape "
                               f"{tuple(self._data.shape)} doesn't match the broadcast shape "
                               f"{tuple(shape)}")
        if values.dtype != self._data.dtype and values.dtype.kind != self._data.dtype.kind and \
                self._data.dtype.kind != "f":
            raise RuntimeError(f"result type {_dtype.from_numpy_dtype(values.dtype).name} can't be "
                               f"cast to the desired output type {self.dtype.name}")
        self._data[...] = values
        self._version[0] += 1

    def _check_inplace_leaf(self):
        if _grad_state.enabled:
            if self._rg and self.grad_fn is None:
                raise RuntimeError(LEAF_INPLACE_MESSAGE)
            view = self._base
            if view is not None and view[0]._rg and view[0].grad_fn is None:
                raise RuntimeError(VIEW_LEAF_INPLACE_MESSAGE)

    def _ufunc_(self, name, other):
        """In-place arithmetic straight into the storage when autograd is not recording (the
        optimizer path); otherwise through `_inplace`."""
        if _grad_state.enabled and (self._rg or isinstance(other, Tensor) and other._rg):
            return self._inplace(getattr(_ops, _UFUNC_OPS[name]), other)
        data = self._data
        try:
            getattr(backend_of(data).xp, name)(data, other._data if isinstance(other, Tensor)
                                               else other, out=data)
        except (TypeError, ValueError) as e:       # NumPy's casting and broadcasting errors
            raise RuntimeError(f"{_UFUNC_OPS[name]}_: {e} (tensor of shape "
                               f"{tuple(data.shape)}, {self.dtype.name})") from None
        self._version[0] += 1
        return self

    def add_(self, other, alpha=1):
        return self._ufunc_("add", other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        return self._ufunc_("subtract", other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return self._ufunc_("multiply", other)

    def div_(self, other):
        return self._ufunc_("true_divide", other)

    def pow_(self, other):
        return self._inplace(_ops.pow, other)

    def clamp_(self, min=None, max=None):
        return self._inplace(_ops.clamp, min, max)

    def neg_(self):
        return self._inplace(_ops.neg)

    def exp_(self):
        return self._inplace(_ops.exp)

    def relu_(self):
        return self._inplace(_ops.relu)

    def masked_fill_(self, mask, value):
        return self._inplace(_ops.masked_fill, mask, value)

    def copy_(self, src, non_blocking=False):
        src = src if isinstance(src, Tensor) else _ops.as_tensor(src, self)
        return self._inplace(_copy_op, src)

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        self._check_inplace_leaf()
        self._data[...] = value.item() if isinstance(value, Tensor) else value
        self._version[0] += 1
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from . import random
        return self._fill_random(random.normal(self._data.shape, mean, std, self._data.dtype))

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        from . import random
        return self._fill_random(random.uniform(self._data.shape, a, b, self._data.dtype))

    def _fill_random(self, values):
        self._check_inplace_leaf()
        self._data[...] = values if type(self._data) is np.ndarray else \
            backend_of(self._data).xp.asarray(values)
        self._version[0] += 1
        return self

    def resize_(self, *sizes):
        """Reshapes in place; a different element count reallocates, keeping the leading values."""
        from .ops._util import shape_arg
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

    def __setitem__(self, key, value):
        if isinstance(value, Tensor) and value._rg or self._rg and _grad_state.enabled:
            self._inplace(_setitem_op, key, value)
            return
        from .ops.indexing import normalize_key
        k, _ = normalize_key(key, self._data)
        self._data[k] = value._data if isinstance(value, Tensor) else value
        self._version[0] += 1

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # ---- operators ----------------------------------------------------------------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(self, other)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(self, other)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __floordiv__(self, other):
        return _ops.div(self, other, rounding_mode="floor")

    def __rfloordiv__(self, other):
        return _ops.div(other, self, rounding_mode="floor")

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(_ops.as_tensor(other, self), self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.logical_not(self)

    def __and__(self, other):
        return _ops.logical_and(self, other)

    def __or__(self, other):
        return _ops.logical_or(self, other)

    def __xor__(self, other):
        return _ops.logical_xor(self, other)

    def __eq__(self, other):
        return _ops.eq(self, other)

    def __ne__(self, other):
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    def __getitem__(self, key):
        return _ops.index(self, key)

    # ---- methods (see autograd_lite.ops for the ops themselves) ---------------------------------
    def add(self, other, alpha=1):
        return _ops.add(self, other, alpha)

    def sub(self, other, alpha=1):
        return _ops.sub(self, other, alpha)

    def mul(self, other):
        return _ops.mul(self, other)

    def div(self, other, rounding_mode=None):
        return _ops.div(self, other, rounding_mode)

    def pow(self, exponent):
        return _ops.pow(self, exponent)

    def neg(self):
        return _ops.neg(self)

    def abs(self):
        return _ops.abs(self)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def sin(self):
        return _ops.sin(self)

    def cos(self):
        return _ops.cos(self)

    def tanh(self):
        return _ops.tanh(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def relu(self):
        return _ops.relu(self)

    def clamp(self, min=None, max=None):
        return _ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return _ops.maximum(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def mm(self, other):
        return _ops.mm(self, other)

    def bmm(self, other):
        return _ops.bmm(self, other)

    def dot(self, other):
        return _ops.dot(self, other)

    def sum(self, dim=None, keepdim=False, dtype=None):
        return _ops.sum(self, dim, keepdim, dtype)

    def mean(self, dim=None, keepdim=False, dtype=None):
        return _ops.mean(self, dim, keepdim, dtype)

    def prod(self, dim=None, keepdim=False):
        return _ops.prod(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return _ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _ops.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _ops.argmin(self, dim, keepdim)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _ops.topk(self, k, dim, largest, sorted)

    def logsumexp(self, dim, keepdim=False):
        return _ops.logsumexp(self, dim, keepdim)

    def softmax(self, dim=None, dtype=None):
        return _ops.softmax(self, dim, dtype)

    def log_softmax(self, dim=None, dtype=None):
        return _ops.log_softmax(self, dim, dtype)

    def all(self, dim=None, keepdim=False):
        return _ops.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _ops.any(self, dim, keepdim)

    def eq(self, other):
        return _ops.eq(self, other)

    def ne(self, other):
        return _ops.ne(self, other)

    def lt(self, other):
        return _ops.lt(self, other)

    def le(self, other):
        return _ops.le(self, other)

    def gt(self, other):
        return _ops.gt(self, other)

    def ge(self, other):
        return _ops.ge(self, other)

    def equal(self, other):
        return self.shape == other.shape and bool((self == other).all())

    def repeat(self, *sizes):
        return _ops.repeat(self, *sizes)

    def tile(self, dims):
        return _ops.tile(self, dims)

    def repeat_interleave(self, repeats, dim=None):
        return _ops.repeat_interleave(self, repeats, dim)

    def outer(self, other):
        return _ops.outer(self, other)

    ger = outer

    def mv(self, vec):
        return _ops.mv(self, vec)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ops.allclose(self, other, rtol, atol, equal_nan)

    def view(self, *shape):
        return _ops.view(self, *shape)

    def view_as(self, other):
        return _ops.view(self, other.shape)

    def reshape(self, *shape):
        return _ops.reshape(self, *shape)

    def reshape_as(self, other):
        return _ops.reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def squeeze(self, dim=None):
        return _ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _ops.unsqueeze(self, dim)

    def transpose(self, dim0, dim1):
        return _ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return _ops.permute(self, *dims)

    def t(self):
        return _ops.t(self)

    def expand(self, *sizes):
        return _ops.expand(self, *sizes)

    def expand_as(self, other):
        return _ops.expand(self, other.shape)

    def contiguous(self):
        return _ops.contiguous(self)

    def clone(self):
        return _ops.clone(self)

    def masked_fill(self, mask, value):
        return _ops.masked_fill(self, mask, value)

    def gather(self, dim, index):
        return _ops.gather(self, dim, index)

    def where(self, condition, other):
        return _ops.where(condition, self, other)

    def split(self, split_size, dim=0):
        return _ops.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _ops.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return _ops.unbind(self, dim)

    def nonzero(self):
        return _ops.nonzero(self)

    def new_zeros(self, *size, dtype=None):
        from .creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=self.device)

    def new_ones(self, *size, dtype=None):
        from .creation import ones
        return ones(*size, dtype=dtype or self.dtype, device=self.device)

    def new_tensor(self, data, dtype=None):
        from .creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=self.device)


_UFUNC_OPS = {"add": "add", "subtract": "sub", "multiply": "mul", "true_divide": "div"}


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


def _copy_op(dst, src):
    return _ops.copy_into(dst, _ops.cast(_ops.to_device(src, dst.device), dst.dtype))


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


def _setitem_op(x, key, value):
    return _ops.index_put(x, key, value)


class _TensorType(type):
    """``FloatTensor`` and friends: callables that build tensors of one dtype, usable with
    ``x.type(FloatTensor)`` and ``isinstance(x, FloatTensor)``."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls._tensor_type_dtype

    def __call__(cls, *args):
        from .creation import empty, tensor
        if args and all(isinstance(a, numbers.Integral) for a in args):
            return empty(*args, dtype=cls._tensor_type_dtype)
        return tensor(args[0] if args else [], dtype=cls._tensor_type_dtype)

    def __repr__(cls):
        return f"<class 'autograd_lite.{cls.__name__}'>"


def _tensor_type(name, dt):
    return _TensorType(name, (), {"_tensor_type_dtype": dt})


FloatTensor = _tensor_type("FloatTensor", _dtype.float32)
DoubleTensor = _tensor_type("DoubleTensor", _dtype.float64)
HalfTensor = _tensor_type("HalfTensor", _dtype.float16)
LongTensor = _tensor_type("LongTensor", _dtype.int64)
IntTensor = _tensor_type("IntTensor", _dtype.int32)
ShortTensor = _tensor_type("ShortTensor", _dtype.int16)
ByteTensor = _tensor_type("ByteTensor", _dtype.uint8)
CharTensor = _tensor_type("CharTensor", _dtype.int8)
BoolTensor = _tensor_type("BoolTensor", _dtype.bool_)
_TYPE_NAMES = {t._tensor_type_dtype.name: f"autograd_lite.{t.__name__}" for t in (
    FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, ByteTensor,
    CharTensor, BoolTensor)}

_function.Tensor = Tensor
from . import ops as _ops  # noqa: E402  (the ops import Tensor from this module)
