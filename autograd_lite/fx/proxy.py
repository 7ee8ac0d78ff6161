"""Proxy: the stand-in value a trace passes through forward; each operation on it records a Node."""
import dis
import inspect
import operator
from bisect import bisect_left

from .graph import Graph, magic_methods, reflectable_magic_methods
from .node import Node

__all__ = ["Proxy", "Attribute", "TraceError", "TracerBase", "GraphAppendingTracer"]


class TraceError(ValueError):
    """A forward that symbolic tracing cannot record (a Proxy in control flow, iterated, ...); see concrete_args."""


class TracerBase:
    """What a Proxy needs from its tracer: create nodes and proxies, turn Python values into node arguments."""
    graph: Graph

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        return self.graph.create_node(kind, target, args, kwargs, name, type_expr)

    def proxy(self, node):
        return Proxy(node, self)

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, proxy_factory_fn=None):
        """Records a node of `kind` calling `target` on args/kwargs (Proxies become their nodes)."""
        args_ = self.create_arg(args)
        kwargs_ = self.create_arg(kwargs)
        node = self.create_node(kind, target, args_, kwargs_, name, type_expr)
        return self.proxy(node) if proxy_factory_fn is None else proxy_factory_fn(node)

    def create_arg(self, a):
        if isinstance(a, Proxy):
            return a.node
        if isinstance(a, Node):
            return a
        if isinstance(a, tuple) and hasattr(a, "_fields"):
            return type(a)(*(self.create_arg(e) for e in a))
        if isinstance(a, (tuple, list)):
            return type(a)(self.create_arg(e) for e in a)
        if isinstance(a, dict):
            out = {}
            for k, v in a.items():
                if not isinstance(k, (str, int, float, bool)) and k is not None:
                    raise RuntimeError(f"Keys for dictionaries used as an argument cannot contain a Node. Got key: {k}")
                out[k] = self.create_arg(v)
            return out
        if isinstance(a, slice):
            return slice(self.create_arg(a.start), self.create_arg(a.stop), self.create_arg(a.step))
        if isinstance(a, range):
            return range(self.create_arg(a.start), self.create_arg(a.stop), self.create_arg(a.step))
        if a is None or a is ... or isinstance(a, (str, int, float, bool, complex, type)) or callable(a) \
                or _is_library_constant(a):
            return a
        raise NotImplementedError(f"argument of type: {type(a)}")

    def to_bool(self, obj):
        raise TraceError("symbolically traced variables cannot be used as inputs to control flow")

    def iter(self, obj):
        raise TraceError("Proxy object cannot be iterated. This can be attempted when the Proxy is used in a loop or"
                         " as a *args or **kwargs function argument. See the torch.fx docs on pytorch.org for a more "
                         "detailed explanation of what types of control flow can be traced, and check out the Proxy "
                         "docstring for help troubleshooting Proxy iteration errors")

    def keys(self, obj):
        return Attribute(obj, "keys")()


def _is_library_constant(a):
    import autograd_lite
    return isinstance(a, (autograd_lite.dtype, autograd_lite.device, autograd_lite.memory_format,
                          autograd_lite.layout))


class GraphAppendingTracer(TracerBase):
    """A tracer that appends to an existing graph (for Proxies built on a graph's nodes)."""

    def __init__(self, graph):
        self.graph = graph


class Proxy:
    """The value a symbolic trace runs forward on. Operators, Tensor methods (``p.view(...)``), attribute reads
    (``p.shape``) and calls of the library's functions on it record Nodes; using it in control flow raises
    TraceError.

    Example::

        graph = fx.Graph()
        x = fx.Proxy(graph.placeholder("x"))
        graph.output((x.relu() + 1).node)
    """

    def __init__(self, node, tracer=None):
        self.tracer = tracer if tracer is not None else GraphAppendingTracer(node.graph)
        self.node = node

    def __repr__(self):
        return f"Proxy({self.node.name})"

    def __getattr__(self, k):
        if k.startswith("__") and k.endswith("__"):     # protocols (copy, numpy, pickling) are not tensor methods
            raise AttributeError(k)
        return Attribute(self, k)

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", "__call__", (self,) + args, kwargs)

    def __iter__(self):
        frame = inspect.currentframe().f_back
        insts = list(dis.get_instructions(frame.f_code))
        inst = insts[bisect_left(insts, frame.f_lasti, key=lambda i: i.offset)]
        if inst.opname == "UNPACK_SEQUENCE":         # a, b = proxy: unpack by index
            return (self[i] for i in range(inst.argval))
        return self.tracer.iter(self)

    def __bool__(self):
        return self.tracer.to_bool(self)

    def keys(self):
        return self.tracer.keys(self)

    def __len__(self):
        raise RuntimeError("'len' is not supported in symbolic tracing by default. If you want this call to be "
                           "recorded, please call torch.fx.wrap('len') at module scope")

    def __abs__(self):
        return self.tracer.create_proxy("call_function", operator.abs, (self,), {})

    def __deepcopy__(self, memo):
        return self                                 # (a proxy stands for a value; copying it changes nothing)


class Attribute(Proxy):
    """``proxy.name``: a method call when called (call_method), else a getattr node, created on first use."""

    def __init__(self, root, attr):
        self.root, self.attr, self.tracer = root, attr, root.tracer
        self._node = None

    @property
    def node(self):
        if self._node is None:
            self._node = self.tracer.create_proxy("call_function", getattr, (self.root, self.attr), {}).node
        return self._node

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", self.attr, (self.root,) + args, kwargs)


def _magic(name):
    target = getattr(operator, name)

    def impl(*args):
        return args[0].tracer.create_proxy("call_function", target, args, {})
    impl.__name__ = f"__{name.strip('_')}__"
    return impl


def _reflected(name):
    target = getattr(operator, name)

    def impl(self, rhs):
        return self.tracer.create_proxy("call_function", target, (rhs, self), {})
    impl.__name__ = f"__r{name.strip('_')}__"
    return impl


for _name in magic_methods:
    setattr(Proxy, f"__{_name.strip('_')}__", _magic(_name))
for _name in reflectable_magic_methods:
    setattr(Proxy, f"__r{_name.strip('_')}__", _reflected(_name))
setattr(Proxy, "__hash__", object.__hash__)         # __eq__ records a node; proxies stay hashable by identity
