"""Symbolic tracing: run forward on Proxies and record what it does.

Nothing here costs the ordinary op path anything: the library's public callables, the Tensor operators and
methods, Module.__call__ / __getattr__ and the traced code's globals are patched only for the duration of
``Tracer.trace`` (restored even on error), as torch.fx's autowrap does."""
import builtins
import functools
import inspect
import math
import operator
import sys
import sysconfig
import threading
import types
import warnings

from .graph import Graph, _init_library_names, _is_patchable, _public_namespaces
from .graph_module import GraphModule
from .proxy import Proxy, TracerBase

__all__ = ["Tracer", "symbolic_trace", "wrap", "PH"]

_WRAPPED = {}       # (id(globals dict), name) -> globals dict, registered by wrap() (once: a reload repeats it)
_TRACE_LOCK = threading.RLock()


class _PH:
    def __repr__(self):
        return "PH"


PH = _PH()          # concrete_args value meaning "a placeholder, traced"


def _assert_is_none(value, msg):
    """The guard of a concrete argument specialized to None."""
    assert value is None, msg


def _library_assert():
    import autograd_lite
    return autograd_lite._assert


def _guarded_types():
    import autograd_lite
    return (str, int, float, bool, complex, autograd_lite.dtype, autograd_lite.device, autograd_lite.memory_format,
            autograd_lite.layout)


def _find_proxy(a):
    if isinstance(a, Proxy):
        return a
    if isinstance(a, (tuple, list)):
        for e in a:
            p = _find_proxy(e)
            if p is not None:
                return p
    elif isinstance(a, dict):
        for e in a.values():
            p = _find_proxy(e)
            if p is not None:
                return p
    elif isinstance(a, slice):
        return _find_proxy((a.start, a.stop, a.step))
    return None


def _function_wrapper(orig):
    """orig, recording a call_function node when any argument holds a Proxy."""
    @functools.wraps(orig)
    def wrapped(*args, **kwargs):
        proxy = _find_proxy((args, kwargs))
        if proxy is not None:
            return proxy.tracer.create_proxy("call_function", orig, args, kwargs)
        return orig(*args, **kwargs)
    wrapped.__fx_original__ = orig
    return wrapped


def _tensor_method_wrapper(name, orig):
    """A Tensor method or operator that records a node when a real tensor meets a Proxy (``const * p``)."""
    def operator_fn(base):                     # "and" -> operator.and_
        return getattr(operator, base, None) or getattr(operator, base + "_", None)
    op = operator_fn(name[2:-2]) if name.startswith("__") else None
    reflected = op is None and name.startswith("__r") and operator_fn(name[3:-2]) is not None
    if reflected:
        op = operator_fn(name[3:-2])

    @functools.wraps(orig)
    def method(self, *args, **kwargs):
        proxy = _find_proxy((self, args, kwargs))      # (self too: Tensor.relu(proxy))
        if proxy is None:
            return orig(self, *args, **kwargs)
        if reflected:
            return proxy.tracer.create_proxy("call_function", op, (args[0], self), {})
        if op is not None:
            return proxy.tracer.create_proxy("call_function", op, (self,) + args, kwargs)
        return proxy.tracer.create_proxy("call_method", name, (self,) + args, kwargs)
    return method


_TENSOR_DUNDERS = {f"__{n}__" for n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and",
                                         "or", "xor", "lshift", "rshift", "eq", "ne", "lt", "le", "gt", "ge",
                                         "getitem", "setitem")}
_TENSOR_DUNDERS |= {f"__r{n}__" for n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
                                          "and", "or", "xor", "lshift", "rshift")}


_INSTALLED = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")})


def _user_module_globals():
    """The globals of the loaded modules a user wrote: neither the library's nor installed ones (stdlib,
    site-packages), which would only cost time to scan."""
    for m in list(sys.modules.values()):
        g = getattr(m, "__dict__", None)
        if not isinstance(g, dict):
            continue
        name, file = str(g.get("__name__", "")), g.get("__file__")
        if name.startswith("autograd_lite") or (file is None and name != "__main__") or \
                (isinstance(file, str) and file.startswith(_INSTALLED)):
            continue
        yield g


class _Patcher:
    """Patches made during one trace, undone in reverse order."""

    def __init__(self):
        self._undo = []
        self._visited = set()

    def set_global(self, d, name, value):
        missing = name not in d
        orig = d.get(name)
        d[name] = value
        self._undo.append((d, name, orig, missing))

    def set_class_attr(self, cls, name, value):
        orig = cls.__dict__.get(name)
        setattr(cls, name, value)
        self._undo.append((cls, name, orig, orig is None))

    def visit_once(self, obj):
        if id(obj) in self._visited:
            return False
        self._visited.add(id(obj))
        return True

    def restore(self):
        while self._undo:
            owner, name, orig, missing = self._undo.pop()
            if isinstance(owner, dict):
                if missing:
                    owner.pop(name, None)
                else:
                    owner[name] = orig
            elif missing:
                delattr(owner, name)
            else:
                setattr(owner, name, orig)


class Tracer(TracerBase):
    """Records a Module's forward (or a function) as a Graph by running it on Proxies.

    Override ``is_leaf_module`` (which modules stay one call_module node: those of autograd_lite.nn but
    Sequential, by default), ``call_module``, ``create_proxy`` or ``create_arg`` to customize.

    Example::

        class MyTracer(fx.Tracer):
            def is_leaf_module(self, m, qualname):
                return isinstance(m, MyBlock) or super().is_leaf_module(m, qualname)
        graph = MyTracer().trace(model)
    """

    def __init__(self, autowrap_modules=(math,), autowrap_functions=(), param_shapes_constant=False):
        super().__init__()
        self._autowrap_ids, self._autowrap_modules = {}, tuple(autowrap_modules)
        for m in autowrap_modules:
            for name, value in vars(m).items():
                if not name.startswith("_") and callable(value):
                    self._autowrap_ids[id(value)] = value
        for f in autowrap_functions:
            self._autowrap_ids[id(f)] = f
        self.param_shapes_constant = param_shapes_constant
        self.submodule_paths = None
        self.root = None

    # ---- overridable hooks --------------------------------------------------------------------------
    def is_leaf_module(self, m, module_qualified_name):
        from ..nn import Sequential
        return type(m).__module__.startswith("autograd_lite.nn.") and not isinstance(m, Sequential)

    def path_of_module(self, mod):
        path = self.submodule_paths.get(id(mod)) if self.submodule_paths is not None else None
        if path is None:
            raise NameError("module is not installed as a submodule")
        return path

    def call_module(self, m, forward, args, kwargs):
        """A leaf module becomes one call_module node; any other is traced through."""
        module_qualified_name = self.path_of_module(m)
        if not self.is_leaf_module(m, module_qualified_name):
            return forward(*args, **kwargs)
        return self.create_proxy("call_module", module_qualified_name, args, kwargs)

    def getattr(self, attr, attr_val, parameter_proxy_cache):
        """A parameter or buffer read in forward becomes a get_attr node (once per trace)."""
        from ..tensor import Tensor
        if isinstance(attr_val, Tensor):
            qualname = self._tensor_paths.get(id(attr_val))
            if qualname is not None:
                if qualname not in parameter_proxy_cache:
                    parameter_proxy_cache[qualname] = self.create_proxy("get_attr", qualname, (), {})
                return parameter_proxy_cache[qualname]
        return attr_val

    def create_arg(self, a):
        from ..nn import Module
        from ..tensor import Tensor
        if isinstance(a, Tensor):
            qualname = self._tensor_paths.get(id(a))
            if qualname is None:            # a constant made during tracing: stored on the root
                i = 0
                while hasattr(self.root, f"_tensor_constant{i}"):
                    i += 1
                qualname = f"_tensor_constant{i}"
                object.__setattr__(self.root, qualname, a)
                self._tensor_paths[id(a)] = qualname
                self._constants.append(a)   # (kept alive: the id stays this tensor's)
            if qualname not in self._attr_proxy_cache:
                self._attr_proxy_cache[qualname] = self.create_proxy("get_attr", qualname, (), {})
            return self._attr_proxy_cache[qualname].node
        if isinstance(a, Module):
            return self.create_node("get_attr", self.path_of_module(a), (), {})
        return super().create_arg(a)

    # ---- the trace ----------------------------------------------------------------------------------
    def trace(self, root, concrete_args=None):
        """Traces `root` (a Module or a function) and returns the Graph."""
        from ..nn import Module
        from ..tensor import Tensor
        if isinstance(root, Module):
            self.root = root
            fn = type(root).forward
        else:
            self.root = Module()
            fn = root
        self.graph = Graph(tracer_cls=getattr(self, "__class__", None))
        self.submodule_paths = {id(m): name for name, m in self.root.named_modules()}
        self._tensor_paths = {}
        for prefix, mod in self.root.named_modules():     # plain tensor attributes are get_attr too, as torch's
            for k, v in vars(mod).items():
                if isinstance(v, Tensor):
                    self._tensor_paths.setdefault(id(v), f"{prefix}.{k}" if prefix else k)
        for name, b in self.root.named_buffers():
            self._tensor_paths.setdefault(id(b), name)
        for name, p in self.root.named_parameters():
            self._tensor_paths.setdefault(id(p), name)
        self._attr_proxy_cache, self._constants = {}, []
        patcher = _Patcher()
        with _TRACE_LOCK:       # the patches are process-wide: traces in two threads would restore each other's
            try:
                fn_traced, args = self._placeholders(fn, isinstance(root, Module), concrete_args)
                self._patch(patcher, fn)
                result = fn_traced(*args)
                self.create_node("output", "output", (self.create_arg(result),), {},
                                 type_expr=getattr(fn, "__annotations__", {}).get("return"))
            finally:
                patcher.restore()
                self.submodule_paths = None
        return self.graph

    def _placeholders(self, fn, is_module, concrete_args):
        """The forward's arguments for the trace, one placeholder each (a concrete argument: its value, guarded);
        and fn itself, rewritten as torch's _patch_function does when it takes ``*args``/``**kwargs`` or keyword-only
        arguments: those become plain parameters, so the code sees the Proxy of the whole tuple / dict."""
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())[1 if is_module else 0:]
        concrete_args = dict(concrete_args or {})
        names = {p.name for p in params}
        for k in concrete_args:
            if k not in names:
                raise RuntimeError(f"Tracing expected {len(params)} arguments but got {len(concrete_args)} "
                                   f"concrete arguments ({k!r} is not a parameter of {fn.__qualname__})")
        values = {}                 # placeholders in the signature's order: the generated forward's signature
        for p in params:
            if p.name in concrete_args:
                values[p.name] = self._concrete(p, concrete_args[p.name], [0])
                continue
            star = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
            default = () if p.default is inspect.Parameter.empty else (p.default,)
            values[p.name] = self.create_proxy("placeholder", star + p.name, default, {},
                                               type_expr=fn.__annotations__.get(p.name))
        args = [self.root] if is_module else []
        if not any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY) for p in params):
            return fn, args + list(values.values())
        # the code object's order: positional, keyword-only, *args, **kwargs, all positional once rewritten
        order = (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.VAR_POSITIONAL, p.VAR_KEYWORD)
        args += [values[p.name] for p in sorted(params, key=lambda p: order.index(p.kind))]
        code = fn.__code__
        code = code.replace(co_argcount=len(args), co_kwonlyargcount=0, co_posonlyargcount=0,
                            co_flags=code.co_flags & ~(inspect.CO_VARARGS | inspect.CO_VARKEYWORDS))
        return types.FunctionType(code, fn.__globals__, fn.__name__, None, fn.__closure__), args

    def _concrete(self, p, value, count):
        """A concrete argument as torch's: a placeholder ``<name>_<n>`` for each leaf of the value (the argument stays
        in the forward's signature); a PH leaf is traced, any other leaf is used as it is, with a guard node that
        fails when a call passes another value."""
        if isinstance(value, (tuple, list)):
            return type(value)(self._concrete(p, v, count) for v in value)
        if isinstance(value, dict):
            return {k: self._concrete(p, v, count) for k, v in value.items()}
        from ..tensor import Tensor
        count[0] += 1
        default = () if p.default is inspect.Parameter.empty else (p.default,)
        out = self.create_proxy("placeholder", f"{p.name}_{count[0]}", default, {})
        if isinstance(value, _PH):
            return out
        message = f"{p.name} has been specialized to have value {value} but got another value"
        if type(value) is bool or (isinstance(value, _guarded_types()) and not isinstance(value, Tensor)):
            self.create_proxy("call_function", _library_assert(), (out == value, message), {})
        elif value is None:
            self.create_proxy("call_function", _assert_is_none, (out, message), {})
        else:
            warnings.warn(f"Was not able to add assertion to guarantee correct input {p.name} to specialized "
                          "function. It is up to the user to make sure that your inputs match the inputs you "
                          "specialized the function with.")
        return value

    def _patch(self, patcher, fn):
        from ..nn import Module
        from ..tensor import Tensor
        _init_library_names()
        wrappers = {}

        def wrapper_for(value):
            w = wrappers.get(id(value))
            if w is None:
                w = wrappers[id(value)] = _function_wrapper(value)
            return w

        # {id: (callable, the public callable a call records)}: the public callables, and what they wrap
        # (__wrapped__: autocast's and quantized tensors' dispatch wrappers), which the library's own modules import
        wrappable = {i: (f, f) for i, f in self._autowrap_ids.items()}
        for _, namespace in _public_namespaces():
            d = vars(namespace)
            for name, value in list(d.items()):
                if not name.startswith("_") and _is_patchable(value):
                    inner = value
                    while inner is not None:
                        wrappable.setdefault(id(inner), (inner, value))
                        inner = getattr(inner, "__wrapped__", None)
                    patcher.set_global(d, name, wrapper_for(value))
        import autograd_lite     # torch._assert(proxy_condition, msg) is recorded, as torch's (concrete_args' guard)
        wrappable.setdefault(id(autograd_lite._assert), (autograd_lite._assert, autograd_lite._assert))
        patcher.set_global(vars(autograd_lite), "_assert", wrapper_for(autograd_lite._assert))

        def patch_globals(g):
            if patcher.visit_once(g):
                for name, value in list(g.items()):
                    entry = wrappable.get(id(value)) if not name.startswith("__") else None
                    if entry is not None and entry[0] is value:
                        patcher.set_global(g, name, wrapper_for(entry[1]))

        patch_globals(fn.__globals__)
        for m in self._autowrap_modules:     # math.sqrt(...) reads the module's attribute: patch it there
            patch_globals(vars(m))
        # torch records torch.* calls from any helper (``from torch import cat`` in a utils module) through
        # __torch_function__; here: the names user modules imported (the library's own modules are never traced)
        for g in _user_module_globals():
            patch_globals(g)
        for (_, name), g in list(_WRAPPED.items()):
            orig = g.get(name, getattr(builtins, name, None))
            if orig is not None:
                patcher.set_global(g, name, _function_wrapper(orig))

        for name, value in list(vars(Tensor).items()):
            if inspect.isfunction(value) and (name in _TENSOR_DUNDERS or not name.startswith("_")):
                patcher.set_class_attr(Tensor, name, _tensor_method_wrapper(name, value))

        orig_call, orig_getattr = Module.__call__, Module.__getattr__
        tracer, cache = self, {}

        def module_call_wrapper(mod, *args, **kwargs):
            forward = getattr(type(mod), "forward", None)
            if forward is not None and hasattr(forward, "__globals__"):
                patch_globals(forward.__globals__)  # as autowrap: the library functions its code names directly

            def call(*args, **kwargs):
                return orig_call(mod, *args, **kwargs)
            return tracer.call_module(mod, call, args, kwargs)

        def module_getattr_wrapper(mod, attr):
            return tracer.getattr(attr, orig_getattr(mod, attr), cache)

        patcher.set_class_attr(Module, "__call__", module_call_wrapper)
        patcher.set_class_attr(Module, "__getattr__", module_getattr_wrapper)


def symbolic_trace(root, concrete_args=None):
    """Traces a Module or function into a GraphModule whose ``code`` is the recorded forward.

    Args:
        root: the module or function; concrete_args: {argument name: value} to specialize (``fx.PH`` keeps one
        symbolic).

    Example::

        gm = fx.symbolic_trace(model)
        print(gm.code)
        gm(x)           # same as model(x)
    """
    from ..nn import Module
    tracer = Tracer()
    graph = tracer.trace(root, concrete_args)
    name = type(root).__name__ if isinstance(root, Module) else root.__name__
    return GraphModule(tracer.root, graph, name)


def wrap(fn_or_name):
    """Called at module scope: calls of this function (by its global name in that module) are recorded as one
    call_function node instead of being traced through.

    Example::

        @fx.wrap
        def my_len(x):
            return len(x)
    """
    if callable(fn_or_name):
        name = fn_or_name.__name__
    elif isinstance(fn_or_name, str):
        name = fn_or_name
    else:
        raise AssertionError("Unsupported type for global function! Must be either a callable or string name")
    frame = sys._getframe(1)
    if frame.f_code.co_name != "<module>":
        raise NotImplementedError("wrap must be called at the top level of a module")
    _WRAPPED[(id(frame.f_globals), name)] = frame.f_globals
    return fn_or_name
