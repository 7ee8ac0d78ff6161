"""GraphModule: a Module whose forward is Python code generated from a Graph."""
import itertools
import linecache

from ..nn import Module
from ..tensor import Tensor
from ..nn.parameter import Parameter
from .graph import Graph

__all__ = ["GraphModule"]

_counter = itertools.count()


def _exec_with_source(src, globals_):
    key = f"<eval_with_key>.{next(_counter)}"
    linecache.cache[key] = (len(src), None, src.splitlines(True), key)    # tracebacks and inspect show the code
    exec(compile(src, key, "exec"), globals_)


def _copy_attr(from_module, to_module, target):
    *prefix, field = target.split(".")
    for item in prefix:
        f = getattr(from_module, item)
        t = getattr(to_module, item, None)
        if f is t:
            return                              # (already copied whole)
        if t is None:
            t = Module()
            t.training = getattr(f, "training", True)
            setattr(to_module, item, t)
        from_module, to_module = f, t
    orig = getattr(from_module, field)
    if isinstance(orig, Tensor) and not isinstance(orig, Parameter):
        to_module.register_buffer(field, orig)
    else:
        setattr(to_module, field, orig)


def _assign_attr(from_obj, to_module, target):
    *prefix, field = target.split(".")
    for item in prefix:
        t = getattr(to_module, item, None)
        if t is None:
            t = Module()
            setattr(to_module, item, t)
        to_module = t
    if isinstance(from_obj, Tensor) and not isinstance(from_obj, Parameter):
        to_module.register_buffer(field, from_obj)
    else:
        setattr(to_module, field, from_obj)


class GraphModule(Module):
    """A Module built from a Graph: it holds the submodules, parameters and buffers the graph's get_attr and
    call_module nodes name (copied from `root`, a Module or a dict), and its ``forward`` is the graph's generated
    ``code``. Edit ``graph`` then call ``recompile()``.

    Example::

        gm = fx.GraphModule(model, graph)
        print(gm.code)
        gm.print_readable()
    """

    def __new__(cls, *args, **kwargs):
        # each instance gets its own class, so that recompile() can set its forward
        for t in cls.__mro__:
            if t.__qualname__.split(".")[-1] != "GraphModuleImpl":
                cls = t
                break

        class GraphModuleImpl(cls):
            pass
        return super().__new__(GraphModuleImpl)

    def __init__(self, root, graph, class_name="GraphModule"):
        super().__init__()
        type(self).__name__ = class_name
        if isinstance(root, Module):
            self.training = getattr(root, "training", True)
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    _copy_attr(root, self, node.target)
        elif isinstance(root, dict):
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    if node.target not in root:
                        raise RuntimeError(f"Node {node} referenced target {node.target} but that target was not "
                                           "provided in ``root``!")
                    _assign_attr(root[node.target], self, node.target)
        else:
            raise RuntimeError("Unsupported type " + str(root) + " passed for root!")
        self.graph = graph
        self._tracer_cls = graph._tracer_cls
        self.meta = {}

    @property
    def graph(self):
        """The Graph behind this module; setting it recompiles."""
        return self._graph

    @graph.setter
    def graph(self, g):
        if not isinstance(g, Graph):
            raise AssertionError(f"Expected a Graph instance, but got {type(g)}")
        self.__dict__["_graph"] = g
        g.owning_module = self
        self.recompile()

    @property
    def code(self):
        """The Python source of forward, generated from the graph."""
        if "_code" not in self.__dict__:
            raise RuntimeError("Code has not been generated! Please report a bug to PyTorch")
        return self._code

    def recompile(self):
        """Regenerates forward from the graph (call after editing it); returns the PythonCode."""
        python_code = self._graph.python_code(root_module="self")
        self.__dict__["_code"] = python_code.src
        globals_ = dict(python_code.globals)
        _exec_with_source(python_code.src, globals_)
        type(self).forward = globals_["forward"]
        return python_code

    def add_submodule(self, target, m):
        """Installs module m at the dotted path target (creating empty parents); returns True."""
        *prefix, field = target.split(".")
        mod = self
        for item in prefix:
            sub = getattr(mod, item, None)
            if sub is None:
                sub = Module()
                setattr(mod, item, sub)
            if not isinstance(sub, Module):
                return False
            mod = sub
        mod.add_module(field, m)
        return True

    def delete_submodule(self, target):
        """Removes the submodule at the dotted path target; returns whether it was there."""
        *prefix, field = target.split(".")
        mod = self
        for item in prefix:
            mod = getattr(mod, item, None)
            if not isinstance(mod, Module):
                return False
        if not isinstance(mod._modules.get(field), Module):
            return False
        delattr(mod, field)
        return True

    def delete_all_unused_submodules(self):
        """Removes the submodules no call_module / get_attr node of the graph uses."""
        used = set()
        for node in self.graph.nodes:
            if node.op in ("call_module", "get_attr"):
                parts = node.target.split(".")
                used.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
                if node.op == "call_module":      # a called module uses all of its children
                    used.update(f"{node.target}.{name}" for name, _ in
                                self.get_submodule(node.target).named_modules() if name)
        for name, _ in list(self.named_modules()):
            if name and name not in used:
                self.delete_submodule(name)

    def print_readable(self, print_output=True, include_stride=False, include_device=False, colored=False):
        """The module as a readable class definition (printed unless print_output=False), returned as a string."""
        body = "\n".join("    " + line if line.strip() else "" for line in self.code.strip("\n").splitlines())
        out = f"class {type(self).__name__}(torch.nn.Module):\n{body.rstrip()}\n"
        if print_output:
            print(out)
        return out

    def __str__(self):
        return super().__str__() + "\n\n\n" + self.code

    def __deepcopy__(self, memo):
        import copy
        res = type(self).__new__(type(self))
        memo[id(self)] = res
        fake = Module()
        fake.__dict__.update({k: copy.deepcopy(v, memo) for k, v in self.__dict__.items()
                              if k not in ("_graph", "_code")})
        GraphModule.__init__(res, fake, copy.deepcopy(self._graph, memo), type(self).__name__)
        return res

    def __copy__(self):
        res = GraphModule(self, self.graph, type(self).__name__)
        res.meta = getattr(self, "meta", {})
        return res
