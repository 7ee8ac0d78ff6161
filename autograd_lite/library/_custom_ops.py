"""``torch.library.custom_op``'s CustomOpDef, and the autograd kernel it (and ``register_autograd``) install: an
``autograd.Function`` per operator whose forward runs the backend kernel and the user's ``setup_context`` and whose
backward is the user's ``backward`` (Tensor lists flattened in and out, as PyTorch's ``supports_tensorlist``)."""
import contextlib
import inspect
import logging
import weakref

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import state as _grad_state
from ..autograd.op_function import TensorBase
from . import _dispatch, _schema
from ._dispatch import InternalKernel, device_key

log = logging.getLogger(__name__)
OPDEFS = weakref.WeakValueDictionary()      # "ns::name" -> its CustomOpDef, while its kernels are registered
OPDEF_TO_LIB = {}        # "ns::name" -> the Library that holds its definition (re-definition destroys it)


class Info:
    """The backward and setup_context of an operator defined without custom_op (``register_autograd("ns::op")``)."""

    def __init__(self, backward, setup_context):
        self._backward_fn, self._setup_context_fn = backward, setup_context


class _Meta:
    """The trailing non-Tensor argument of the generated Function's apply: what it needs besides the Tensors."""
    __slots__ = ("spec", "tail", "kw", "backend", "out_list")

    def __init__(self, spec, tail, kw, backend):
        self.spec, self.tail, self.kw, self.backend, self.out_list = spec, tail, kw, backend, False


def _flatten(pos, list_args):
    flat, spec = [], []
    for i, v in enumerate(pos):
        if i in list_args and isinstance(v, (list, tuple)):
            flat.extend(v)
            spec.append(len(v))
        else:
            flat.append(v)
            spec.append(None)
    return flat, spec


def _unflatten(flat, spec):
    out, k = [], 0
    for n in spec:
        if n is None:
            out.append(flat[k])
            k += 1
        else:
            out.append(list(flat[k:k + n]))
            k += n
    return out


def _structure(values):
    return "(" + ", ".join(f"[{', '.join('*' * len(v))}]" if isinstance(v, (list, tuple)) else "*"
                           for v in values) + ")"


def backend_for(op, pos, kw):
    dev = _dispatch._device_type(pos, kw)
    kernel = (op.kernel(device_key(dev)) if dev is not None else None) or op.kernel("CompositeExplicitAutograd")
    if kernel is None:
        raise NotImplementedError(op._no_kernel(dev))
    return kernel


def make_autograd_impl(op, info):
    """The Autograd kernel of `op`: through the generated Function when grad mode is on and an input requires grad
    (its backward raises PyTorch's error while no backward is registered), else straight to the backend."""
    schema = op._schema
    positional = [a for a in schema.arguments if not a.kwarg_only]
    has_kwarg_only = len(positional) < len(schema.arguments)
    list_args = {i for i, a in enumerate(positional) if a.base == "Tensor" and a.list_size is not None}

    def forward(ctx, *flat):
        meta = flat[-1]
        pos = _unflatten(flat[:-1], meta.spec) + meta.tail
        out = op.call_backend(meta.backend, pos, meta.kw)
        if info._setup_context_fn is not None:
            if has_kwarg_only:
                info._setup_context_fn(ctx=ctx, inputs=tuple(pos), keyword_only_inputs=dict(meta.kw), output=out)
            else:
                info._setup_context_fn(ctx=ctx, inputs=tuple(pos), output=out)
        ctx._pt_metadata = meta
        if isinstance(out, list):
            meta.out_list = True
            return tuple(out)
        return out

    def backward(ctx, *grads):
        if info._backward_fn is None:
            raise RuntimeError(f"Trying to backward through {op} but no autograd formula was registered. Please use "
                               "register_autograd to add one.")
        meta = ctx._pt_metadata
        if meta.out_list:
            grads = (list(grads),)
        needs = ctx._needs
        ctx._needs = tuple(_unflatten(needs[:-1], meta.spec))
        try:
            result = info._backward_fn(ctx, *grads)
        finally:
            ctx._needs = needs
        if not isinstance(result, tuple):
            result = (result,)
        if not list_args:
            return (*result, None)
        ok = len(result) == len(meta.spec) and all(
            (n is None and not isinstance(r, (list, tuple))) or (n is not None and isinstance(r, (list, tuple))
                                                                  and len(r) == n) for r, n in zip(result, meta.spec))
        if not ok:
            raise RuntimeError("Expected the return from backward to be of the same structure as the inputs. Got: "
                               f"{_structure(result)} (return from backward), "
                               f"{_structure(_unflatten([None] * sum(n or 1 for n in meta.spec), meta.spec))} (inputs)")
        flat, _ = _flatten(result, list_args)
        return (*flat, None)

    generated = type(f"GeneratedBackwardFor_{op._namespace}_{op._opname}_{op._overloadname}", (Function,),
                     {"forward": staticmethod(forward), "backward": staticmethod(backward)})

    def autograd_impl(pos, kw):
        autocast = getattr(info, "_autocast_dtype", None)
        if autocast:
            done, out = _autocast_call(op, autocast, pos, kw)
            if done:
                return out
        backend = backend_for(op, pos, kw)
        if _grad_state.enabled and any(t._rg for t in _dispatch._tensors(pos)):
            # as PyTorch's dispatcher, trailing arguments equal to their defaults are no inputs of the Function
            given = len(_schema.kernel_args(schema, pos, {})[0])
            flat, spec = _flatten(pos[:given], list_args)
            out = generated.apply(*flat, _Meta(spec, pos[given:], kw, backend))
            return list(out) if schema.returns and schema.returns[0].list_size is not None else out
        return op.call_backend(backend, pos, kw)

    autograd_impl.generated = generated
    return InternalKernel(autograd_impl)


def _autocast_call(op, autocast, pos, kw):
    """Under autocast for a registered device type: the op again on floating inputs cast to its dtype, with autocast
    off (``register_autocast``): (True, its result), or (False, None) when autocast is off."""
    from .. import amp
    dev = _dispatch.device_of(pos, kw)
    dtype = autocast.get(dev)
    if dtype is None or not amp.autocast_mode.is_autocast_enabled(dev):
        return False, None

    def cast(v):
        if isinstance(v, TensorBase):
            ok = v.is_floating_point() and v.device.type == dev and v.dtype.name != "float64"
            return v.to(dtype) if ok else v
        if isinstance(v, (list, tuple)):
            return type(v)(cast(x) for x in v)
        return v
    with amp.autocast(dev, enabled=False):
        return True, op(*[cast(v) for v in pos], **kw)


def _aliases(a, b):
    if a is b or a._version is b._version:
        return True
    da, db = a._data, b._data
    return type(da) is np.ndarray and type(db) is np.ndarray and da.size > 0 and db.size > 0 and \
        np.may_share_memory(da, db)


def check_aliasing(name, fn, args, kwargs, result):
    """PyTorch's rule for a functional custom op: no output is, or shares memory with, an input or another output."""
    inputs = list(_dispatch._tensors((*args, *kwargs.values())))
    outputs = list(_dispatch._tensors(result if isinstance(result, (tuple, list)) else (result,)))
    for i, o in enumerate(outputs):
        if any(_aliases(o, t) for t in inputs) or any(_aliases(o, p) for p in outputs[:i]):
            raise RuntimeError(f"{name} (with implementation in {inspect.getmodule(fn)}): The output of this custom "
                               "operator (1) must not also be an input to this custom operator and (2) may not alias "
                               "any inputs to this custom operator or other returns. The most common way to trigger "
                               "this error is if we have y = custom_op(x) and y and x are the same Tensor. Please "
                               "instead return a clone of the offending output tensor(s) (e.g. return x.clone()) or "
                               "refactor the custom operator to not return y.")


class CustomOpDef:
    """What ``custom_op`` returns: call it as the function it wraps; register kernels, a fake impl and autograd on it.

    Example::

        @torch.library.custom_op("mylib::numpy_sin", mutates_args=())
        def numpy_sin(x: Tensor) -> Tensor:
            return torch.from_numpy(np.sin(x.numpy()))

        numpy_sin.register_autograd(lambda ctx, g: g * ctx.x.cos(),
                                    setup_context=lambda ctx, inputs, output: setattr(ctx, "x", inputs[0]))
    """

    def __init__(self, namespace, name, schema, fn, tags=None):
        from . import Library
        self._namespace, self._name, self._schema, self._init_fn = namespace, name, schema, fn
        self._tags = tuple(tags or ())
        self._backend_fns, self._disabled_kernel = {}, set()
        self._abstract_fn = self._setup_context_fn = self._backward_fn = self._vmap_fn = None
        self._torch_dispatch_fns, self._autocast_dtype = {}, {}
        qualname = self._qualname
        if qualname in OPDEF_TO_LIB:      # as PyTorch: a custom op of the same name replaces the old one
            OPDEF_TO_LIB.pop(qualname)._destroy()
        self._lib = OPDEF_TO_LIB[qualname] = Library(namespace, "FRAGMENT")
        self._lib.define(name + schema)
        self._opoverload = _dispatch.lookup(qualname)
        parsed = self._opoverload._schema
        if any(a.kwarg_only and a.base == "Tensor" for a in parsed.arguments):
            self._lib._destroy()
            raise NotImplementedError(f"custom_op with kwarg-only Tensor args. Please make your tensors not "
                                      f"kwarg-only. Got: {name}{schema}")
        self._lib.impl(name, make_autograd_impl(self._opoverload, self), "Autograd")
        OPDEFS[qualname] = self

    @property
    def _qualname(self):
        return f"{self._namespace}::{self._name}"

    def __repr__(self):
        return f"<CustomOpDef({self._qualname})>"

    def __call__(self, *args, **kwargs):
        return self._opoverload(*args, **kwargs)

    @contextlib.contextmanager
    def set_kernel_enabled(self, device_type, enabled=True):
        """Context: turns the kernel registered for `device_type` off (the default implementation runs) or on."""
        action = "enable" if enabled else "disable"
        originally_disabled = device_type in self._disabled_kernel
        if device_type not in self._backend_fns:
            log.warning("Attempted to %s kernel for %s but no kernel was registered for this device type.", action,
                        device_type)
        if not enabled:
            self._disabled_kernel.add(device_type)
        else:
            self._disabled_kernel.discard(device_type)
        try:
            yield
        finally:
            if originally_disabled:
                self._disabled_kernel.add(device_type)
            else:
                self._disabled_kernel.discard(device_type)

    def register_kernel(self, device_types, fn=None, /):
        """Registers `fn` as the implementation for `device_types` ("cpu", "cuda"; None: all); a decorator too."""
        schema = self._opoverload._schema

        def inner(fn):
            for device_type in ([device_types] if device_types is None or isinstance(device_types, str)
                                else list(device_types)):
                if device_type not in self._backend_fns:
                    key = "CompositeExplicitAutograd" if device_type is None else device_key(device_type)
                    self._lib.impl(self._name, self._backend_impl(device_type), key)

                def wrapped(*args, _fn=fn, _dt=device_type, **kwargs):
                    return (self._init_fn if _dt in self._disabled_kernel else _fn)(*args, **kwargs)
                self._backend_fns[device_type] = wrapped
            return fn

        if device_types is not None and not any(a.base == "Tensor" for a in schema.arguments):
            if not any(a.base == "Device" for a in schema.arguments):
                raise ValueError("Functions without tensor inputs are required to have a `device: torch.device` "
                                 "argument")
        return inner if fn is None else inner(fn)

    def _backend_impl(self, device_type):
        def backend_impl(*args, **kwargs):
            fn = self._backend_fns[device_type]
            result = fn(*args, **kwargs)
            check_aliasing(self._name, self._init_fn, args, kwargs, result)
            return result
        return backend_impl

    def register_fake(self, fn, /):
        """Registers the FakeTensor implementation (output metadata from input metadata). This library has no fake
        tensors: ``opcheck``'s test_faketensor runs it on real inputs and compares shapes and dtypes."""
        self._abstract_fn = fn
        self._lib.impl(self._name, fn, "Meta")
        return fn

    def register_autograd(self, backward, /, *, setup_context=None):
        """Registers ``backward(ctx, *grads)`` and ``setup_context(ctx, inputs, output)`` (with
        ``keyword_only_inputs`` before ``output`` when the op has keyword-only arguments), as
        ``torch.autograd.Function``'s. Double backward works when backward is made of differentiable ops."""
        schema = self._opoverload._schema
        if schema.is_mutable:
            raise RuntimeError(f"Cannot register autograd formula for non-functional operator {self} with schema "
                               f"{schema}. Please create a functional operator and register an "
                               "autograd formula for that.")
        self._backward_fn, self._setup_context_fn = backward, setup_context

    def register_torch_dispatch(self, torch_dispatch_class, fn=None, /):
        """Refused: autograd_lite has no ``__torch_dispatch__`` (Tensor subclasses, TorchDispatchMode)."""
        raise NotImplementedError(f"{self}.register_torch_dispatch: autograd_lite has no __torch_dispatch__ (Tensor "
                                  "subclasses or TorchDispatchMode), so a torch_dispatch rule would never run")

    def register_vmap(self, func=None):
        """Kept, not used: ``autograd_lite.vmap`` runs a function once per sample, so the op works under vmap as it
        is; the rule is stored on ``_vmap_fn``."""
        def register(func):
            self._vmap_fn = func
            return func
        return register if func is None else register(func)

    def register_autocast(self, device_type, cast_inputs):
        """Under ``autocast(device_type)``: floating inputs (not float64) are cast to `cast_inputs` and the op runs
        with autocast off."""
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in ("cpu", "cuda"):
            raise ValueError(f"Device type '{device_type}' does not support autocast.")
        self._autocast_dtype[device_type] = cast_inputs
