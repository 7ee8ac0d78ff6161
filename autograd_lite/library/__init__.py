"""``torch.library``: user-defined operators, reachable as ``autograd_lite.ops.<namespace>.<name>`` (torch.ops).

The recommended API (PyTorch 2.4+) is `custom_op` with `register_autograd`, `register_fake` and `register_kernel`;
the older one is `Library` (``define``, ``impl`` by dispatch key) with the module-level `define` and `impl`.

Example (the PyTorch docs' numpy_sin)::

    import autograd_lite as torch
    from autograd_lite import Tensor

    @torch.library.custom_op("mylib::numpy_sin", mutates_args=())
    def numpy_sin(x: Tensor) -> Tensor:
        return torch.from_numpy(np.sin(x.numpy()))

    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * x.cos()

    numpy_sin.register_autograd(backward, setup_context=setup_context)
    y = torch.ops.mylib.numpy_sin(x)         # the same op

What differs from PyTorch: the dispatch keys are CPU, CUDA, Meta (the fake impl), Autograd[CPU|CUDA],
CompositeExplicitAutograd and CompositeImplicitAutograd (others are refused by name); an Autograd kernel that calls
its own op again reaches the backend kernel by itself (no ``_AutoDispatchBelowAutograd``); there are no fake tensors,
``__torch_dispatch__`` or keysets, so `register_torch_dispatch`, ``with_keyset=True``, `Library.fallback` and
`get_ctx` are refused; a namespace that is an internal name of ``autograd_lite.ops`` (``math``, ``exp``) is refused.
"""
import re
import sys
import warnings
import weakref

from . import _dispatch, _schema
from ._custom_ops import CustomOpDef, OPDEFS, Info, make_autograd_impl
from ._dispatch import KERNELS, InternalKernel, fallthrough_kernel, OpOverload, OpOverloadPacket
from ._opcheck import opcheck, OpCheckError
from ._schema import infer_schema

__all__ = ["Library", "impl", "define", "fallthrough_kernel", "impl_abstract", "register_autocast", "register_fake",
           "register_torch_dispatch", "register_vmap", "register_autograd", "register_kernel", "get_ctx",
           "custom_op", "infer_schema", "opcheck", "CustomOpDef", "OpCheckError"]

_reserved_namespaces = ["prim"]
_DEFS = {}          # "ns::name[.overload]" -> where it was defined
_DEF_LIBS = {}      # namespace -> where its one "DEF" Library was made
_impls = set()      # "ns/name/key" registered from Python (allow_override=False checks it)
_keep_alive = []    # the Libraries of define/impl calls made without one
_warned_override = []
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class _Records:
    """What one Library registered, kept apart from it so that its finalizer can undo it."""

    def __init__(self, ns, kind, where):
        self.ns, self.kind, self.where, self.defs, self.impls, self.alive = ns, kind, where, [], [], True


def _release(records):
    if not records.alive:
        return
    records.alive = False
    for owner_key, key in records.impls:
        stack = KERNELS.get(owner_key, {}).get(key)
        if stack:
            stack[:] = [entry for entry in stack if entry[0] is not records]
        name = owner_key.split("::", 1)[1]
        _impls.discard(f"{records.ns}/{name}/{key}")
    for qualname in records.defs:
        _DEFS.pop(qualname, None)
        op = _dispatch.lookup(qualname)
        if op is not None:
            packet = op.overloadpacket
            packet._overloads.pop(op._overloadname, None)
            if not packet._overloads:
                _dispatch.namespace(records.ns)._packets.pop(packet._opname, None)
        KERNELS.pop(qualname, None)
    if records.kind == "DEF" and _DEF_LIBS.get(records.ns) is records.where:
        del _DEF_LIBS[records.ns]


def _where(depth=2):
    f = sys._getframe(depth)
    return f"{f.f_code.co_filename}:{f.f_lineno}"


class Library:
    """A set of operator registrations in namespace `ns`, undone when it is destroyed (garbage-collected or
    ``_destroy()``): kind "DEF" defines the namespace (one per namespace), "FRAGMENT" adds to it, "IMPL" only
    registers kernels.

    Example::

        lib = torch.library.Library("mylib", "DEF")
        lib.define("mysin(Tensor x) -> Tensor")
        lib.impl("mysin", lambda x: x.sin(), "CompositeImplicitAutograd")
        torch.ops.mylib.mysin(x)
    """

    def __init__(self, ns, kind, dispatch_key=""):
        if kind not in ("IMPL", "DEF", "FRAGMENT"):
            raise ValueError(f"Unsupported kind: {kind}")
        if ns in _reserved_namespaces and kind in ("DEF", "FRAGMENT"):
            raise ValueError(f"{ns} is a reserved namespace. Please try creating a library with another name.")
        if not isinstance(ns, str) or not _IDENT.match(ns):
            raise ValueError(f"Invalid namespace: {ns!r} (expected an identifier, e.g. \"mylib\")")
        if dispatch_key:
            _dispatch.check_key(dispatch_key)
        where = _where()
        if kind == "DEF" and ns in _DEF_LIBS:
            raise RuntimeError(f"Only a single TORCH_LIBRARY can be used to register the namespace {ns}; please put "
                               "all of your definitions in a single TORCH_LIBRARY block.  If you were trying to "
                               "specify implementations, consider using TORCH_LIBRARY_IMPL (which can be duplicated). "
                               " If you really intended to define operators for a single namespace in a distributed "
                               "way, you can use TORCH_LIBRARY_FRAGMENT to explicitly indicate this.  Previous "
                               f"registration of TORCH_LIBRARY was registered at {_DEF_LIBS[ns]}; latest registration "
                               f"was registered at {where}")
        _dispatch.namespace(ns)
        self.ns, self.kind, self.dispatch_key = ns, kind, dispatch_key
        self._records = _Records(ns, kind, where)
        if kind == "DEF":
            _DEF_LIBS[ns] = where
        self.m = weakref.finalize(self, _release, self._records)

    def __repr__(self):
        return f"Library(kind={self.kind}, ns={self.ns}, dispatch_key={self.dispatch_key})>"

    def _check_alive(self):
        if not self._records.alive:
            raise AssertionError("Library object has been destroyed")

    def define(self, schema, alias_analysis="", *, tags=()):
        """Defines operator ``schema`` (``"name[.overload](args) -> returns"``) in this namespace; returns its
        name. Example: ``lib.define("mysin(Tensor x) -> Tensor")``"""
        if alias_analysis not in ("", "FROM_SCHEMA", "CONSERVATIVE"):
            raise RuntimeError(f"Invalid alias_analysis type {alias_analysis}")
        self._check_alive()
        parsed = _schema.parse_schema(schema)
        if self.kind == "IMPL":
            raise RuntimeError(f'def("{parsed.name}"): Cannot define an operator inside of a TORCH_LIBRARY_IMPL '
                               "block.  All def()s should be placed in the (unique) TORCH_LIBRARY block for their "
                               "namespace.  (Error occurred while processing TORCH_LIBRARY_IMPL block at "
                               f"{self._records.where})")
        opname = parsed.name
        parsed.name = f"{self.ns}::{opname}"      # as PyTorch's FunctionSchema.name
        qualname = parsed.name + (f".{parsed.overload_name}" if parsed.overload_name else "")
        where = _where()
        if qualname in _DEFS:
            raise RuntimeError(f"Tried to register an operator ({parsed}) with the same name and overload "
                               "name multiple times. Each overload's schema should only be registered with a single "
                               f"call to def(). Duplicate registration: registered at {where}. Original "
                               f"registration: registered at {_DEFS[qualname]}")
        space = _dispatch.namespace(self.ns)
        packet = space._packets.get(opname)
        if packet is None:
            packet = space._packets[opname] = OpOverloadPacket(self.ns, opname)
        op = OpOverload(packet, parsed)
        packet._overloads[op._overloadname] = op
        _DEFS[qualname] = where
        self._records.defs.append(qualname)
        return opname

    def impl(self, op_name, fn, dispatch_key="", *, with_keyset=False, allow_override=True):
        """Registers `fn` as the kernel of `op_name` (``"name[.overload]"`` or an OpOverload) for `dispatch_key`
        (default: the Library's, else CompositeImplicitAutograd). Example: ``lib.impl("mysin", f, "CPU")``"""
        if not callable(fn) and type(fn) is not InternalKernel:
            raise TypeError(f"Input function is required to be a callable but found type {type(fn)}")
        if with_keyset:
            raise NotImplementedError("Library.impl(..., with_keyset=True): autograd_lite has no dispatch keysets to "
                                      "pass; register the kernel without with_keyset")
        key = _dispatch.check_key(dispatch_key or self.dispatch_key or "CompositeImplicitAutograd")
        if isinstance(op_name, OpOverload):
            name = op_name.name().split("::", 1)[1]
        elif isinstance(op_name, str):
            name = op_name.split("::", 1)[-1]
        else:
            raise RuntimeError("impl should be passed either a name or an OpOverload object as the first argument, "
                               f"got {type(op_name)}")
        if name.endswith(".default"):
            name = name[:-len(".default")]
        impl_key = f"{self.ns}/{name}/{key}"
        if not allow_override and impl_key in _impls:
            raise RuntimeError(f"This is not allowed since there's already a kernel registered from python "
                               f"overriding {name}'s behavior for {key} dispatch key and {self.ns} namespace.")
        self._check_alive()
        owner_key = f"{self.ns}::{name}"
        stack = KERNELS.setdefault(owner_key, {}).setdefault(key, [])
        # a fake impl is replaced silently, as PyTorch's register_fake does
        if stack and key != "Meta" and type(fn) is not InternalKernel and not _warned_override:
            _warned_override.append(True)
            warnings.warn("Warning only once for all operators,  other operators may also be overridden.\n  "
                          "Overriding a previously registered kernel for the same operator and the same dispatch "
                          f"key\n  operator: {owner_key}\n  dispatch key: {key}", UserWarning, stacklevel=2)
        stack.append((self._records, fn))
        _impls.add(impl_key)
        self._records.impls.append((owner_key, key))

    def fallback(self, fn, dispatch_key="", *, with_keyset=False):
        """Refused: backend fallbacks need PyTorch's dispatcher for every operator, which this library lacks."""
        raise NotImplementedError("Library.fallback: autograd_lite's built-in ops do not go through this "
                                  "dispatcher, so a fallback kernel would never run")

    def _destroy(self):
        _release(self._records)
        self.m.detach()


def _parse_namespace(qualname):
    splits = qualname.split("::")
    if len(splits) != 2:
        raise ValueError(f"Expected `qualname` to be of the form \"namespace::name\", but got {qualname}. The "
                         "qualname passed to the torch.library APIs must consist of a namespace and a name, e.g. "
                         "aten::sin")
    return splits[0], splits[1]


def _library_for(namespace, lib):
    if lib is not None:
        return lib
    lib = Library(namespace, "FRAGMENT")
    _keep_alive.append(lib)
    return lib


_NAMELESS_SCHEMA = re.compile(r"\(.*\) -> .*")


def define(qualname, schema, *, lib=None, tags=()):
    """Defines operator `qualname` ("ns::name") with `schema` ("(Tensor x) -> Tensor"); implement it with `impl`.
    The old form ``define(lib, schema)`` returns a decorator that defines and implements it.

    Example: ``torch.library.define("mylib::sin", "(Tensor x) -> Tensor")``"""
    if isinstance(qualname, Library):
        lib, old_schema = qualname, schema

        def wrap(f):
            name = lib.define(old_schema)
            lib.impl(name, f)
            return f
        return wrap
    if not isinstance(qualname, str):
        raise ValueError(f"define(qualname, schema): expected qualname to be instance of str, got {type(qualname)}")
    namespace, name = _parse_namespace(qualname)
    if not _NAMELESS_SCHEMA.fullmatch(schema):
        raise ValueError(f'define(qualname, schema, ...): expected schema to look like e.g. "(Tensor x) -> Tensor" '
                         f'but got "{schema}"')
    _library_for(namespace, lib).define(name + schema, tags=tags)


def _impl(qualname, types, func=None, *, lib=None):
    keys = []
    for typ in (types,) if isinstance(types, str) else types:
        keys.append(typ if typ in _dispatch.SUPPORTED_KEYS or typ in _dispatch._TORCH_ONLY_KEYS
                    else _dispatch.device_key(typ))
    keys = [_dispatch.check_key(k) for k in keys]

    def register(func):
        namespace, _ = _parse_namespace(qualname)
        use_lib = _library_for(namespace, lib)
        for key in keys:
            use_lib.impl(qualname, func, key)
    if func is None:
        return register
    register(func)


def impl(qualname, types, func=None, *, lib=None):
    """Registers `func` for operator `qualname` on device type(s) `types` ("cpu", "cuda", "default": all) or on
    dispatch keys ("CPU", "Autograd", "CompositeImplicitAutograd"); a decorator too. The old form
    ``impl(lib, name, dispatch_key)`` returns a decorator.

    Example::

        @torch.library.impl("mylib::sin", "cpu")
        def _(x):
            return torch.from_numpy(np.sin(x.numpy()))
    """
    if isinstance(qualname, Library):
        lib, name, dispatch_key = qualname, types, func or ""

        def wrap(f):
            lib.impl(name, f, dispatch_key)
            return f
        return wrap
    return _impl(qualname, types, func, lib=lib)


def _resolve(op, api):
    if not isinstance(op, (str, OpOverload, CustomOpDef)):
        raise ValueError(f"{api}({op}): got unexpected type for op: {type(op)}")
    if isinstance(op, OpOverload):
        op = op.name()
    opdef = OPDEFS.get(op) if isinstance(op, str) else None
    return op if opdef is None else opdef


def _lookup(qualname):
    op = _dispatch.lookup(qualname)
    if op is None:
        ns, name = _parse_namespace(qualname)
        getattr(_dispatch.namespace(ns), name.split(".")[0])      # PyTorch's AttributeError for a missing op
        raise ValueError(f"{qualname}: no such overload")
    return op


def register_kernel(op, device_types, func=None, /, *, lib=None):
    """Registers `func` as `op`'s implementation for `device_types` ("cpu", "cuda"; None: all); a decorator too.
    Example: ``torch.library.register_kernel("mylib::sin", "cpu", f)``"""
    op = _resolve(op, "register_kernel")
    if isinstance(op, CustomOpDef):
        return op.register_kernel(device_types, func)
    return _impl(op, "CompositeExplicitAutograd" if device_types is None else device_types, func, lib=lib)


def register_fake(op, func=None, /, *, lib=None, _stacklevel=1, allow_override=True):
    """Registers the fake (meta) implementation of `op`: output metadata from inputs. There are no fake tensors
    here; ``opcheck``'s test_faketensor runs it on real inputs and compares with the real kernel's outputs.
    Example: ``torch.library.register_fake("mylib::sin", lambda x: torch.empty_like(x))``"""
    op = _resolve(op, "register_fake")
    if isinstance(op, CustomOpDef):
        return op.register_fake if func is None else op.register_fake(func)

    def register(func):
        namespace, name = _parse_namespace(op)
        if _dispatch.lookup(op) is None:        # (a fake impl for a misspelled name would never run)
            raise RuntimeError(f"operator {op} does not exist")
        use_lib = _library_for(namespace, lib)
        use_lib.impl(name, func, "Meta", allow_override=allow_override)
        return func
    return register if func is None else register(func)


def impl_abstract(qualname, func=None, *, lib=None, _stacklevel=1):
    """The old name of `register_fake` (deprecated in PyTorch 2.4)."""
    warnings.warn("`torch.library.impl_abstract` was renamed to `torch.library.register_fake`. Please use that "
                  "instead; we will remove `torch.library.impl_abstract` in a future version of PyTorch.",
                  FutureWarning, stacklevel=2)
    return register_fake(qualname, func, lib=lib)


def register_autograd(op, backward, /, *, setup_context=None, lib=None):
    """Registers `op`'s backward formula, as `CustomOpDef.register_autograd`; `op` may be an operator defined with
    `Library.define` / `define` ("ns::name").

    Example::

        torch.library.register_autograd("mylib::sin", lambda ctx, g: g * ctx.x.cos(),
                                        setup_context=lambda ctx, inputs, output: setattr(ctx, "x", inputs[0]))
    """
    op = _resolve(op, "register_autograd")
    if isinstance(op, CustomOpDef):
        op.register_autograd(backward, setup_context=setup_context)
        return
    overload = _lookup(op)
    schema = overload._schema
    if schema.is_mutable:
        raise RuntimeError(f"Cannot register autograd formula for non-functional operator {overload} with schema "
                           f"{schema}. Please create a functional operator and register an "
                           "autograd formula for that.")
    if any(a.kwarg_only and a.base == "Tensor" for a in schema.arguments):
        raise NotImplementedError(f"register_autograd with kwarg-only Tensor args. In the original definition of the "
                                  "op, please make your tensors not kwarg-only. Got: "
                                  f"{schema}")
    namespace, name = _parse_namespace(op)
    _library_for(namespace, lib).impl(name, make_autograd_impl(overload, Info(backward, setup_context)), "Autograd")


def register_torch_dispatch(op, torch_dispatch_class, func=None, /, *, lib=None):
    """Refused: autograd_lite has no ``__torch_dispatch__`` (Tensor subclasses, TorchDispatchMode)."""
    raise NotImplementedError(f"register_torch_dispatch({op}): autograd_lite has no __torch_dispatch__ (Tensor "
                              "subclasses or TorchDispatchMode), so a torch_dispatch rule would never run")


def register_vmap(op, func=None, /, *, lib=None):
    """Kept, not used: ``autograd_lite.vmap`` runs a function once per sample, so a custom op works under vmap
    without a rule. The rule is stored on the overload (``_vmap_fn``), so it goes when the operator does."""
    op = _resolve(op, "register_vmap")
    if isinstance(op, CustomOpDef):
        return op.register_vmap(func)
    overload = _lookup(op)

    def register(func):
        overload._vmap_fn = func
        return func
    return register if func is None else register(func)


def register_autocast(op, device_type, cast_inputs, /, *, lib=None):
    """Under ``autocast(device_type)``, `op`'s floating inputs are cast to `cast_inputs` (custom_op operators).
    Example: ``torch.library.register_autocast("mylib::my_mm", "cpu", torch.bfloat16)``"""
    op = _resolve(op, "register_autocast")
    if not isinstance(op, CustomOpDef):
        raise NotImplementedError("register_autocast: supported here for operators made with custom_op")
    return op.register_autocast(device_type, cast_inputs)


def get_ctx():
    """Refused: the fake-impl context makes symbolic sizes, and this library has no fake tensors."""
    raise NotImplementedError("torch.library.get_ctx(): autograd_lite has no fake tensors or symbolic sizes; a fake "
                              "impl with data-dependent output shapes cannot be run here")


def custom_op(name, fn=None, /, *, mutates_args, device_types=None, schema=None, tags=None):
    """Wraps a function into a custom operator ``torch.ops.<ns>.<name>``; its schema is inferred from the type
    annotations (`infer_schema`) unless `schema` is given. `mutates_args` names the arguments it writes in place
    ("unknown": all Tensor arguments); their version counters are bumped after each call.

    Example::

        @torch.library.custom_op("mylib::numpy_sin_inplace", mutates_args={"x"})
        def numpy_sin_inplace(x: Tensor) -> None:
            np.sin(x.numpy(), out=x.numpy())
    """
    def inner(fn):
        if schema is None:
            schema_str = infer_schema(fn, mutates_args=mutates_args)
        else:
            schema_str = schema
        namespace, opname = name.split("::")
        result = CustomOpDef(namespace, opname, schema_str, fn, tags)
        if schema is not None:
            expected = {a.name for a in result._opoverload._schema.arguments if a.is_write}
            if expected != set(mutates_args):
                raise ValueError(f"Attempted to create a custom op with `mutates_args={mutates_args}` and "
                                 f"`schema={schema}. The schema suggests that the op mutates {expected}which is "
                                 "different from what was provided to us in `mutates_args`. Please make these "
                                 "consistent.")
        result.register_kernel(device_types)(fn)
        return result
    return inner if fn is None else inner(fn)
