"""The operator registry behind ``torch.ops.<namespace>.<name>``: namespaces, overload packets, overloads, and
each overload's kernels by dispatch key, with a small dispatcher that picks one as PyTorch's does for the keys this
library has (CPU, CUDA, Meta, Autograd[CPU|CUDA], CompositeExplicitAutograd, CompositeImplicitAutograd).

Dispatch of one call, after its arguments are bound to the schema:
1. an Autograd kernel (AutogradCPU / AutogradCUDA for the device, else Autograd), unless this op's Autograd kernel is
   already running in this thread (PyTorch's kernels call ``_AutoDispatchBelowAutograd`` to re-invoke the op below
   autograd; here a nested call of the same op goes below autograd by itself);
2. the device's backend kernel (CPU / CUDA), else CompositeExplicitAutograd; mutated arguments get their version
   bumped; without an Autograd kernel, a floating output of inputs that require grad gets PyTorch's
   ``WarnNotImplemented`` node (backward through it warns and gives those inputs no gradient);
3. else CompositeImplicitAutograd, called as it is (its ops record their own graph);
4. else PyTorch's "Could not run ..." NotImplementedError.
"""
import threading
import warnings

from ..autograd import op_function as _function
from ..autograd.grad_mode import state as _grad_state
from ..autograd.op_function import TensorBase
from ..backend import device as _device
from .. import ops as _ops_package
from . import _schema

_new = object.__new__
SUPPORTED_KEYS = ("CPU", "CUDA", "Meta", "Autograd", "AutogradCPU", "AutogradCUDA", "CompositeExplicitAutograd",
                  "CompositeImplicitAutograd")
_TORCH_ONLY_KEYS = ("XLA", "MPS", "XPU", "HPU", "Lazy", "PrivateUse1", "AutogradXLA", "AutogradMPS", "AutogradXPU",
                    "AutogradOther", "AutogradPrivateUse1", "AutocastCPU", "AutocastCUDA", "Python", "Functionalize",
                    "ADInplaceOrView", "BackendSelect", "FuncTorchBatched", "Conjugate", "Negative", "ZeroTensor",
                    "SparseCPU", "SparseCUDA", "QuantizedCPU", "QuantizedCUDA", "Tracer")
_local = threading.local()
KERNELS = {}      # "ns::name.overload" -> {dispatch key: [(owner id, kernel), ...]}: the last one is in force


def fallthrough_kernel():
    """A dummy function to pass to ``Library.impl`` in order to register a fallthrough (at Autograd: the op is not
    differentiable, its outputs never require grad)."""
    raise NotImplementedError("fallthrough_kernel() should never be called.")


class InternalKernel:
    """An Autograd kernel made by this package (custom_op, register_autograd): called with the full bound values."""
    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


def check_key(key):
    if key in SUPPORTED_KEYS:
        return key
    if key in _TORCH_ONLY_KEYS:
        raise NotImplementedError(f"dispatch key {key}: autograd_lite dispatches only on {', '.join(SUPPORTED_KEYS)}")
    raise RuntimeError(f"could not parse dispatch key: {key}")


def device_key(device_type):
    """PyTorch's dispatch key of a device type ('cpu' -> 'CPU'; 'default' -> 'CompositeExplicitAutograd')."""
    if device_type == "default":
        return "CompositeExplicitAutograd"
    if device_type in ("cpu", "cuda", "meta"):
        return {"cpu": "CPU", "cuda": "CUDA", "meta": "Meta"}[device_type]
    _device(device_type)        # PyTorch's wording for a device type that is not one
    raise RuntimeError(f"device type {device_type}: unreachable")


# ------------------------------------------------------------------------------------------------ namespaces

class OpNamespace:
    """``torch.ops.<ns>``: its operators as attributes (OpOverloadPacket)."""

    def __init__(self, name):
        self._name, self._packets = name, {}

    def __getattr__(self, opname):
        if opname.startswith("__"):
            raise AttributeError(opname)
        try:
            return self._packets[opname]
        except KeyError:
            raise AttributeError(f"'_OpNamespace' '{self._name}' object has no attribute '{opname}'") from None

    def __dir__(self):
        return sorted(self._packets)

    def __repr__(self):
        return f"<module 'torch.ops.{self._name}' from 'torch.ops'>"


def namespace(ns):
    """The namespace object of `ns`, made and reachable as ``autograd_lite.ops.<ns>`` on first use. A name the
    internal op package already holds (``ops.math``, ``ops.exp``, ...) cannot be one: that is refused."""
    space = _ops_package._NAMESPACES.get(ns)
    if space is None:
        if ns in vars(_ops_package):
            raise ValueError(f"namespace '{ns}': autograd_lite.ops.{ns} is an internal name of autograd_lite.ops "
                             f"(torch.ops.{ns} could not reach your operators); please use another namespace")
        space = _ops_package._NAMESPACES[ns] = OpNamespace(ns)
    return space


class OpOverloadPacket:
    """``torch.ops.ns.name``: calls the one overload whose schema the arguments fit; ``.default`` and
    ``.<overload name>`` are the overloads."""

    def __init__(self, ns, name):
        self._namespace, self._opname, self._overloads = ns, name, {}
        self._qualified_op_name = f"{ns}::{name}"

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._overloads[name]
        except KeyError:
            raise AttributeError(f"The underlying op of '{self}' has no overload name '{name}'") from None

    def overloads(self):
        return list(self._overloads)

    def __str__(self):
        return f"{self._namespace}.{self._opname}"

    def __repr__(self):
        return f"<OpOverloadPacket(op='{self}')>"

    def __call__(self, *args, **kwargs):
        overloads = list(self._overloads.values())
        if len(overloads) == 1:
            return overloads[0](*args, **kwargs)
        errors = []
        for op in overloads:
            try:
                bound = _schema.bind(self._qualified_op_name, op._schema, args, kwargs)
            except RuntimeError as e:
                errors.append(str(e))
                continue
            return op._dispatch(*bound)
        raise RuntimeError("Overloaded torch operator invoked from Python failed to match any schema:\n"
                           + "\n\n".join(errors) + "\n\n")


class OpOverload:
    """One overload (``torch.ops.ns.name.default``): its schema, and its kernels in `KERNELS`."""

    def __init__(self, packet, schema):
        self.overloadpacket, self._schema = packet, schema
        self._namespace, self._opname = packet._namespace, packet._opname
        self._overloadname = schema.overload_name or "default"
        self._name = packet._qualified_op_name
        self._key = self.name()
        self.fake = None            # register_fake / a Meta kernel: run by opcheck's test_faketensor

    def name(self):
        """``ns::name`` or ``ns::name.overload``, as PyTorch's OpOverload.name()."""
        return self._name + (f".{self._schema.overload_name}" if self._schema.overload_name else "")

    def __str__(self):
        return f"{self._namespace}.{self._opname}.{self._overloadname}"

    def __repr__(self):
        return f"<OpOverload(op='{self._namespace}.{self._opname}', overload='{self._overloadname}')>"

    def kernel(self, key):
        stack = KERNELS.get(self._key, {}).get(key)
        return stack[-1][1] if stack else None

    def has_kernel_for_dispatch_key(self, key):
        return self.kernel(key) is not None

    def __call__(self, *args, **kwargs):
        return self._dispatch(*_schema.bind(self._name, self._schema, args, kwargs))

    def _dispatch(self, pos, kw):
        dev = _device_type(pos, kw)
        busy = getattr(_local, "busy", None)
        if busy is None:
            busy = _local.busy = set()
        autograd = None if self._key in busy else (self.kernel("Autograd" + (dev or "cpu").upper())
                                                   or self.kernel("Autograd"))
        if autograd is not None and autograd is not fallthrough_kernel:
            busy.add(self._key)
            try:
                if type(autograd) is InternalKernel:
                    return autograd.fn(pos, kw)
                p, k = _schema.kernel_args(self._schema, pos, kw)
                return autograd(*p, **k)
            finally:
                busy.discard(self._key)
        backend = (self.kernel(device_key(dev)) if dev else None) or self.kernel("CompositeExplicitAutograd")
        if backend is None:
            implicit = self.kernel("CompositeImplicitAutograd")
            if implicit is not None:
                p, k = _schema.kernel_args(self._schema, pos, kw)
                return implicit(*p, **k)
            raise NotImplementedError(self._no_kernel(dev))
        out = self.call_backend(backend, pos, kw)
        if autograd is None and _grad_state.enabled and self._key not in busy:
            _warn_not_implemented(self, pos, out)
        return out

    def call_backend(self, backend, pos, kw):
        """The backend kernel on a call, its result checked against the schema, mutated arguments' versions bumped."""
        p, k = _schema.kernel_args(self._schema, pos, kw)
        out = backend(*p, **k)
        for i, arg in enumerate(self._schema.arguments):
            if arg.is_write:
                value = pos[i] if i < len(pos) else kw[arg.name]
                for t in (value if isinstance(value, (list, tuple)) else (value,)):
                    if isinstance(t, TensorBase):
                        t._version[0] += 1
        return self._check_returns(out)

    def _check_returns(self, out):
        returns = self._schema.returns
        if not returns:
            return None
        if len(returns) == 1:
            _check_return(returns[0], out)
            return out
        if not isinstance(out, (tuple, list)):
            raise TypeError(f"Object of type '{type(out).__name__}' is not an instance of 'sequence'")
        if len(out) != len(returns):
            raise RuntimeError(f"{self.name()}: expected {len(returns)} return values but the kernel returned "
                               f"{len(out)}")
        for r, o in zip(returns, out):
            _check_return(r, o)
        return tuple(out)

    def _no_kernel(self, dev):
        keys = sorted(k for k, stack in KERNELS.get(self._key, {}).items() if stack)
        if dev is None:
            return (f"There were no tensor arguments to this function (e.g., you passed an empty list of Tensors), "
                    f"but no fallback function is registered for schema {self._name}.  This usually means that this "
                    "function requires a non-empty list of Tensors, or that you (the operator writer) forgot to "
                    f"register a fallback function.  Available functions are {keys}")
        return (f"Could not run '{self._name}' with arguments from the '{device_key(dev)}' backend. This could be "
                "because the operator doesn't exist for this backend, or was omitted during the selective/custom "
                f"build process (if using custom build). '{self._name}' is only available for these backends: "
                f"{keys}.")


def _check_return(ret, value):
    if ret.base == "Tensor" and ret.list_size is None and not isinstance(value, TensorBase):
        raise RuntimeError(f"Unable to cast {value!r} to Tensor")
    if not _schema.accepts(ret, value):
        raise RuntimeError(f"Unable to cast {value!r} to {ret.display_type()}")


def _tensors(values):
    for v in values:
        if isinstance(v, TensorBase):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from (t for t in v if isinstance(t, TensorBase))


def _device_type(pos, kw):
    """The device type a call dispatches on: its first Tensor's, else a Device argument's; None without either."""
    values = (*pos, *kw.values())
    for t in _tensors(values):
        return t.device.type
    for v in values:
        if isinstance(v, _device):
            return v.type
    return None


def device_of(pos, kw):
    return _device_type(pos, kw) or "cpu"


class WarnNotImplemented(_function.Function):
    """The grad_fn PyTorch's autograd fallback gives an op with no Autograd kernel: backward warns and stops."""

    def name(self):
        return "torch::autograd::WarnNotImplemented"

    @staticmethod
    def backward(node, grad):
        warnings.warn(f"{node._op_name}: an autograd kernel was not registered to the Autograd key(s) but we are "
                      "trying to backprop through it. This may lead to silently incorrect behavior. This behavior is "
                      "deprecated and will be removed in a future version of PyTorch. If your operator is "
                      "differentiable, please ensure you have registered an autograd kernel to the correct Autograd "
                      "key (e.g. DispatchKey::Autograd, DispatchKey::CompositeImplicitAutograd). If your operator is "
                      "not differentiable, or to squash this warning and use the previous behavior, please register "
                      "torch::CppFunction::makeFallthrough() to DispatchKey::Autograd.", UserWarning, stacklevel=2)
        return ()


def _warn_not_implemented(op, pos, out):
    """As PyTorch's default ("warn") autograd fallback: floating outputs that do not require grad, of inputs that
    do, get a WarnNotImplemented node (`fallback_mode` "nothing" turns this off, as opcheck does)."""
    if getattr(_local, "fallback_nothing", False) or not any(t._rg for t in _tensors(pos)):
        return
    inputs = {id(t) for t in _tensors(pos)}
    for o in (out if isinstance(out, (tuple, list)) else (out,)):
        if isinstance(o, TensorBase) and not o._rg and id(o) not in inputs and o._data.dtype.kind in "fcV":
            node = _new(WarnNotImplemented)
            node._inputs, node._saved, node._versions, node._out_id = (), (), None, None
            node._seq, node._op_name = _function._next_seq(), op._name
            o.grad_fn, o._rg = node, True


class fallback_mode_nothing:
    """Context: no WarnNotImplemented node (PyTorch's ``_set_autograd_fallback_mode("nothing")``)."""

    def __enter__(self):
        self.prev, _local.fallback_nothing = getattr(_local, "fallback_nothing", False), True

    def __exit__(self, *exc):
        _local.fallback_nothing = self.prev


def lookup(qualname):
    """The OpOverload of ``ns::name`` or ``ns::name.overload``, or None."""
    ns, _, rest = qualname.partition("::")
    name, _, overload = rest.partition(".")
    space = _ops_package._NAMESPACES.get(ns)
    packet = space._packets.get(name) if space is not None else None
    return packet._overloads.get(overload or "default") if packet is not None else None
