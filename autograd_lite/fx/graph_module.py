"""GraphModule: a Module whose forward is Python code generated from a Graph."""
import itertools
import linecache

from ..nn import Module
from ..tensor import Tensor
from ..nn.parameter import Parameter
from .graph import Graph, _base_globals

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

    def to_folder(self, folder, module_name="FxModule"):
        """Writes the module as a Python package in `folder`, as torch's: ``module.py`` (class `module_name`: the
        submodules by their repr where that rebuilds them, else loaded from ``<name>.pt``; the forward code),
        ``state_dict.pt`` and ``__init__.py``.

        Example::

            gm.to_folder("exported", "MyModel")
            from exported import MyModel         # MyModel()(x) == gm(x)
        """
        import os
        import warnings
        from .. import nn, save
        os.makedirs(folder, exist_ok=True)
        save(self.state_dict(), os.path.join(folder, "state_dict.pt"))
        python_code = self._graph.python_code(root_module="self")
        base = _base_globals()
        imports = [_import_line(name, obj) for name, obj in python_code.globals.items() if name not in base]
        lines = ["from autograd_lite.nn import *", "import autograd_lite", "import autograd_lite as torch",
                 "from autograd_lite import device", "from math import inf, nan", *imports, "",
                 f"class {module_name}(torch.nn.Module):", "    def __init__(self):", "        super().__init__()"]
        safe = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
        blobified = []
        for name, module in self.named_children():
            if type(module) in safe:            # (their reprs are their constructor calls)
                module_str = repr(module)
            else:
                module_file = os.path.join(folder, f"{name}.pt")
                save(module, module_file)
                blobified.append(name)
                module_repr = repr(module).replace("\r", " ").replace("\n", " ")
                module_str = f"torch.load(r'{module_file}', weights_only=False) # {module_repr}"
            lines.append(f"        self.{name} = {module_str}")
        for name, buffer in self._buffers.items():
            if buffer is not None:
                lines.append(f"        self.register_buffer('{name}', torch.empty({list(buffer.shape)}, "
                             f"dtype={buffer.dtype!r}))")
        for name, param in self._parameters.items():
            if param is not None:
                lines.append(f"        self.{name} = torch.nn.Parameter(torch.empty({list(param.shape)}, "
                             f"dtype={param.dtype!r}))")
        lines.append(f"        self.load_state_dict(torch.load(r'{folder}/state_dict.pt'))")
        body = "\n".join("    " + line if line.strip() else line for line in self.code.strip("\n").splitlines())
        with open(os.path.join(folder, "module.py"), "w") as f:
            f.write("\n".join(lines) + "\n\n" + body.rstrip() + "\n")
        with open(os.path.join(folder, "__init__.py"), "w") as f:
            f.write("from .module import *")
        if blobified:
            warnings.warn("Was not able to save the following children modules as reprs -saved as pickled files "
                          f"instead: {blobified}")

    def __deepcopy__(self, memo):
        import copy
        res = type(self).__new__(type(self))
        memo[id(self)] = res
        fake = Module()
        fake.__dict__.update({k: copy.deepcopy(v, memo) for k, v in self.__dict__.items()
                              if k not in ("_graph", "_code")})
        GraphModule.__init__(res, fake, copy.deepcopy(self._graph, memo), type(self).__name__)
        res.meta = copy.deepcopy(getattr(self, "meta", {}), memo)      # (as torch's; hooks are not kept)
        return res

    def __reduce__(self):
        """Pickled as torch's: its attributes and generated code (each instance has its own class, which pickle
        cannot name); unpickling re-traces the code, every called module a leaf."""
        body = {k: v for k, v in self.__dict__.items() if k not in ("_graph", "_code")}
        python_code = self._graph.python_code(root_module="self")
        base = _base_globals()
        extra = {k: v for k, v in python_code.globals.items() if k not in base}
        return _rebuild_graph_module, (body, python_code.src, extra, type(self).__name__)

    def __copy__(self):
        res = GraphModule(self, self.graph, type(self).__name__)
        res.meta = getattr(self, "meta", {})
        return res


def _import_line(name, obj):
    """The line of to_folder's module.py that binds global `name` of the generated code to `obj`."""
    import importlib
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    found = None
    if module and qualname and "<" not in qualname:
        try:
            found = importlib.import_module(module)
            for part in qualname.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError):
            found = None
    if found is not obj:
        raise RuntimeError(f"to_folder: the generated code uses {obj!r} (as {name}), which cannot be imported by "
                           "name; define it at the top level of a module")
    return f"import {module}\n{name} = {module}.{qualname}"


def _rebuild_graph_module(body, src, extra_globals, class_name):
    """Unpickles a GraphModule: its generated forward on a module holding its attributes, traced again (the functions
    the code calls by global name were leaves, so they are autowrapped)."""
    from ._symbolic_trace import Tracer
    globals_ = {**_base_globals(), **extra_globals}
    _exec_with_source(src, globals_)
    code_only = Module.__new__(type("CodeOnlyModule", (Module,), {"forward": globals_["forward"]}))
    code_only.__dict__.update(body)

    class KeepModules(body.get("_tracer_cls") or Tracer):
        def is_leaf_module(self, m, qualname):
            return True
    functions = [v for v in extra_globals.values() if callable(v) and not isinstance(v, type)]
    graph = KeepModules(autowrap_functions=functions).trace(code_only)
    gm = GraphModule(code_only, graph, class_name)
    for k, v in body.items():
        gm.__dict__.setdefault(k, v)
    gm.meta = body.get("meta", {})
    return gm
