"""Graph: the list of Nodes a trace records, its editing API, and the Python code it generates."""
import builtins
import collections
import copy
import inspect
import keyword
import math
import operator
import re

from .node import Node, _qualified_name, map_arg

__all__ = ["Graph", "PythonCode"]

PythonCode = collections.namedtuple("PythonCode", ["src", "globals"])

_snake_case_sub = re.compile(r"(?<=[a-z])([A-Z])").sub
_illegal_char = re.compile("[^0-9a-zA-Z_]+")
_name_regex = re.compile(r"^([a-zA-Z_][0-9a-zA-Z_]*?)(?:_(\d+))?$")
_illegal_names = {k: object() for k in keyword.kwlist}
_illegal_names.update(builtins.__dict__)
_illegal_names.update({"self": object(), "torch": object(), "autograd_lite": object(), "inf": object(),
                       "nan": object(), "device": object()})

# operator functions printed as Python operators in the generated code (torch.fx's table)
_reflectable = {"add": "{} + {}", "sub": "{} - {}", "mul": "{} * {}", "floordiv": "{} // {}",
                "truediv": "{} / {}", "mod": "{} % {}", "pow": "{} ** {}", "lshift": "{} << {}",
                "rshift": "{} >> {}", "and_": "{} & {}", "or_": "{} | {}", "xor": "{} ^ {}", "getitem": "{}[{}]",
                "matmul": "{} @ {}"}
magic_methods = {"eq": "{} == {}", "ne": "{} != {}", "lt": "{} < {}", "gt": "{} > {}", "le": "{} <= {}",
                 "ge": "{} >= {}", "pos": "+{}", "neg": "-{}", "invert": "~{}", **_reflectable}
reflectable_magic_methods = _reflectable
_OPERATOR_TEMPLATES = {getattr(operator, name): t for name, t in magic_methods.items()}

_LIBRARY_NAMES = None


def _library_name(obj):
    """'torch.relu', 'torch.nn.functional.relu', ... for a public callable of the library (its first public
    name), else None. Generated code reads them through the global ``torch`` (the library)."""
    if _LIBRARY_NAMES is None:
        _init_library_names()
    try:
        entry = _LIBRARY_NAMES.get(id(obj))
    except TypeError:
        return None
    return entry[0] if entry is not None and entry[1] is obj else None


def _init_library_names():
    """Built once, outside any trace (a trace replaces these callables by recording wrappers)."""
    global _LIBRARY_NAMES
    if _LIBRARY_NAMES is None:
        import autograd_lite
        names = {}
        for prefix, namespace in _public_namespaces():
            for name, value in vars(namespace).items():
                if not name.startswith("_") and _is_patchable(value) and not hasattr(value, "__fx_original__"):
                    names.setdefault(id(value), (f"{prefix}.{name}", value))
        names[id(autograd_lite._assert)] = ("torch._assert", autograd_lite._assert)    # the guard of concrete_args
        _LIBRARY_NAMES = names


def _public_namespaces():
    """The library's public namespaces whose callables tracing intercepts: (name printed in code, module)."""
    import autograd_lite
    from autograd_lite import fft, linalg, special
    from autograd_lite.nn import functional
    return (("torch", autograd_lite), ("torch.nn.functional", functional), ("torch.linalg", linalg),
            ("torch.special", special), ("torch.fft", fft))


def _is_patchable(value):
    return (callable(value) and not isinstance(value, type) and not inspect.ismodule(value)
            and (inspect.isfunction(value) or inspect.isbuiltin(value)))


def _snake_case(s):
    return _snake_case_sub(r"_\1", s).lower()


class _Namespace:
    """Unique Python names: each object gets one name, no name shadows a builtin or keyword."""

    def __init__(self):
        self._obj_to_name = {}
        self._used_names = set()
        self._base_count = {}

    def create_name(self, candidate, obj):
        if obj is not None and id(obj) in self._obj_to_name:
            return self._obj_to_name[id(obj)][0]
        match = _name_regex.match(candidate)
        if match is None:
            candidate = _illegal_char.sub("_", candidate) or "_unnamed"
            if candidate[0].isdigit():
                candidate = f"_{candidate}"
            match = _name_regex.match(candidate)
        base, num = match.group(1, 2)
        if num is None or candidate in self._used_names:
            num = self._base_count.get(base, 0)
            if _illegal_names.get(candidate, obj) is not obj:
                num += 1
                candidate = f"{base}_{num}"
        else:
            num = int(num)
        while candidate in self._used_names:
            num += 1
            candidate = f"{base}_{num}"
        self._used_names.add(candidate)
        self._base_count[base] = num
        if obj is not None:
            self._obj_to_name[id(obj)] = (candidate, obj)
        return candidate

    def copy(self):
        ns = _Namespace()
        ns._obj_to_name, ns._used_names, ns._base_count = dict(self._obj_to_name), set(self._used_names), \
            dict(self._base_count)
        return ns


class _NodeList:
    def __init__(self, graph, direction="_next"):
        self.graph, self.direction = graph, direction

    def __len__(self):
        return self.graph._len

    def __iter__(self):
        root = self.graph._root
        cur = getattr(root, self.direction)
        while cur is not root:
            if not cur._erased:
                yield cur
            cur = getattr(cur, self.direction)

    def __reversed__(self):
        return iter(_NodeList(self.graph, "_prev" if self.direction == "_next" else "_next"))

    def __repr__(self):
        return repr(list(self))


class _InsertPoint:
    def __init__(self, graph, new_insert):
        self.graph = graph
        self.orig_insert, graph._insert = graph._insert, new_insert

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        self.graph._insert = self.orig_insert


class Graph:
    """The recorded program: Nodes in execution order, created and edited through this API.

    Example::

        gm = fx.symbolic_trace(model)
        for node in gm.graph.nodes:
            if node.op == "call_function" and node.target is torch.relu:
                with gm.graph.inserting_after(node):
                    new = gm.graph.call_function(torch.nn.functional.gelu, node.args)
                node.replace_all_uses_with(new)
                gm.graph.erase_node(node)
        gm.recompile()
    """

    def __init__(self, owning_module=None, tracer_cls=None, tracer_extras=None):
        self._root = Node(self, "", "root", "", (), {})
        self._insert = self._root.prepend
        self._len = 0
        self._graph_namespace = _Namespace()
        self.owning_module = owning_module
        self._tracer_cls = tracer_cls
        self._tracer_extras = tracer_extras

    @property
    def nodes(self):
        """The nodes in order (iterate, ``reversed``, ``len``); erasing the current node while iterating is safe."""
        return _NodeList(self)

    def find_nodes(self, *, op, target=None):
        return [n for n in self.nodes if n.op == op and (target is None or n.target == target)]

    # ---- creating nodes ---------------------------------------------------------------------------
    def create_node(self, op, target, args=None, kwargs=None, name=None, type_expr=None):
        """Creates a Node at the current insert point (end of graph, or set by inserting_before/after)."""
        candidate = name if name is not None else self._target_to_str(target)
        name = self._graph_namespace.create_name(candidate, None)
        n = Node(self, name, op, target, args or (), kwargs or {}, type_expr)
        self._insert(n)
        self._len += 1
        return n

    def placeholder(self, name, type_expr=None, default_value=inspect.Signature.empty):
        args = () if default_value is inspect.Signature.empty else (default_value,)
        return self.create_node("placeholder", name, args=args, type_expr=type_expr)

    def get_attr(self, qualified_name, type_expr=None):
        return self.create_node("get_attr", qualified_name, type_expr=type_expr)

    def call_module(self, module_name, args=None, kwargs=None, type_expr=None):
        return self.create_node("call_module", module_name, args, kwargs, type_expr=type_expr)

    def call_method(self, method_name, args=None, kwargs=None, type_expr=None):
        return self.create_node("call_method", method_name, args, kwargs, type_expr=type_expr)

    def call_function(self, the_function, args=None, kwargs=None, type_expr=None):
        return self.create_node("call_function", the_function, args, kwargs, type_expr=type_expr)

    def output(self, result, type_expr=None):
        return self.create_node("output", "output", (result,), name="output", type_expr=type_expr)

    def node_copy(self, node, arg_transform=lambda x: x):
        """Copies `node` (from any graph) into this one, its input nodes mapped through arg_transform."""
        args = map_arg(node.args, arg_transform)
        kwargs = map_arg(node.kwargs, arg_transform)
        result = self.create_node(node.op, node.target, args, kwargs, node.name, node.type)
        result.meta = copy.copy(node.meta)
        return result

    def graph_copy(self, g, val_map, return_output_node=False):
        """Copies g's nodes (but its output) into this graph; val_map maps g's nodes to the copies. Returns the
        value g outputs, mapped."""
        for node in g.nodes:
            if node in val_map:
                continue
            if node.op == "output":
                rv = map_arg(node.args[0], lambda n: val_map[n])
                return (rv, node) if return_output_node else rv
            val_map[node] = self.node_copy(node, lambda n: val_map[n])
        return None

    def __deepcopy__(self, memo=None):
        g = Graph(tracer_cls=self._tracer_cls)
        out = g.graph_copy(self, {}, return_output_node=True)
        if out is not None:
            rv, old = out
            g.output(rv, type_expr=old.type)
        return g

    def erase_node(self, to_erase):
        """Removes a node that has no users."""
        if to_erase.users:
            raise RuntimeError(f"Tried to erase Node {to_erase} but it still had {len(to_erase.users)} users in "
                               f"the graph: {to_erase.users}!")
        if to_erase.graph is not self:
            raise RuntimeError(f"Attempting to remove {to_erase} from wrong graph!")
        if to_erase._erased:
            return
        to_erase._remove_from_list()
        to_erase._erased = True
        self._len -= 1
        to_erase._update_args_kwargs((), {})     # its inputs lose it as a user

    def inserting_before(self, n=None):
        """Context manager: nodes created inside go just before n (default: the start of the graph)."""
        if n is None:
            return self.inserting_after(self._root)
        return _InsertPoint(self, n.prepend)

    def inserting_after(self, n=None):
        """Context manager: nodes created inside go just after n (default: the end of the graph); as torch's, each
        new node is inserted right after n."""
        if n is None:
            return self.inserting_before(self._root)
        return _InsertPoint(self, n.append)

    # ---- passes -------------------------------------------------------------------------------------
    def eliminate_dead_code(self, is_impure_node=None):
        """Erases the nodes whose value nobody uses and that have no side effect; returns whether it changed."""
        changed = False
        for node in reversed(self.nodes):
            impure = is_impure_node(node) if is_impure_node is not None else node.is_impure()
            if not impure and not node.users:
                self.erase_node(node)
                changed = True
        return changed

    def lint(self):
        """Checks the graph: nodes belong to it, names are unique, every input is defined before use, and the
        owning module has every get_attr / call_module target."""
        seen, names = set(), set()
        for node in self.nodes:
            if node.graph is not self:
                raise RuntimeError(f"Node '{node}' does not belong to this Graph!")
            if node.op not in ("placeholder", "get_attr", "call_function", "call_method", "call_module", "output"):
                raise RuntimeError(f"Node {node} had unknown opcode {node.op}!")
            for arg in node._input_nodes:
                if arg.graph is not self:
                    raise RuntimeError(f"Argument '{arg}' of Node '{node}' does not belong to this Graph, but was "
                                       "used as an argument! If you are copying nodes from another graph, make "
                                       f"sure to use ``arg_transform`` on node_copy() to remap values\n{self}")
                if arg not in seen:
                    raise RuntimeError(f"Argument '{arg}' of Node '{node}' was used before it has been defined! "
                                       f"Please check that Nodes in the graph are topologically ordered\n{self}")
            if node.name in names:
                raise RuntimeError(f"Node redefined name {node.name}!")
            seen.add(node)
            names.add(node.name)
        if self.owning_module is not None:
            for node in self.nodes:
                if node.op in ("get_attr", "call_module"):
                    obj = self.owning_module
                    for i, atom in enumerate(node.target.split(".")):
                        if not hasattr(obj, atom):
                            seen_qualname = ".".join(node.target.split(".")[:i])
                            raise RuntimeError(f"Node {node} target {node.target} references nonexistent "
                                               f"attribute {atom} of {seen_qualname}")
                        obj = getattr(obj, atom)
                    if node.op == "call_module" and not callable(obj):
                        raise RuntimeError(f"Node {node} target {node.target} {atom} of {seen_qualname} does not "
                                           "reference an nn.Module")

    def print_tabular(self):
        """Prints the nodes as a table (needs the ``tabulate`` package, as torch's)."""
        try:
            from tabulate import tabulate
        except ImportError:
            print("`print_tabular` relies on the library `tabulate`, which could not be found on this machine. "
                  "Run `pip install tabulate` to install the library.")
            raise
        rows = [[n.op, n.name, n._pretty_print_target(n.target), n.args, n.kwargs] for n in self.nodes]
        print(tabulate(rows, headers=["opcode", "name", "target", "args", "kwargs"]))

    def _target_to_str(self, target):
        if callable(target):
            lib = _library_name(target)         # the public name (F.relu's function is _functional_relu)
            op = lib.rsplit(".", 1)[1] if lib is not None else target.__name__
            if lib is not None and lib.split(".")[1] in ("linalg", "fft", "special"):
                op = f"{lib.split('.')[1]}_{op}"     # torch's names: linalg_vector_norm, fft_rfft
        else:
            op = target
            if op.startswith("__") and op.endswith("__"):
                op = op[2:-2]
        return _snake_case(op)

    def __str__(self):
        body = "\n".join("    " + n.format_node() for n in self.nodes)
        return f"graph():\n{body}"

    # ---- code generation ----------------------------------------------------------------------------
    def python_code(self, root_module="self"):
        """The graph as the source of ``def forward(self, ...)`` and the globals it needs."""
        import autograd_lite
        namespace = self._graph_namespace.copy()
        globals_ = _base_globals()

        def add_global(hint, obj):
            lib = _library_name(obj)
            if lib is not None:
                return lib
            if obj is getattr(builtins, getattr(obj, "__name__", ""), None):
                return obj.__name__
            name = namespace.create_name(hint, obj)
            globals_[name] = obj
            return name

        def fmt(a):
            if isinstance(a, Node):
                return a.name
            if isinstance(a, tuple) and hasattr(a, "_fields"):
                return f"{add_global(type(a).__name__, type(a))}({', '.join(fmt(e) for e in a)})"
            if isinstance(a, tuple):
                return "(" + ", ".join(fmt(e) for e in a) + ("," if len(a) == 1 else "") + ")"
            if isinstance(a, list):
                return "[" + ", ".join(fmt(e) for e in a) + "]"
            if isinstance(a, dict):
                return "{" + ", ".join(f"{k!r}: {fmt(v)}" for k, v in a.items()) + "}"
            if isinstance(a, slice):
                return f"slice({fmt(a.start)}, {fmt(a.stop)}, {fmt(a.step)})"
            if isinstance(a, (type, inspect.types.FunctionType, inspect.types.BuiltinFunctionType)):
                return add_global(getattr(a, "__name__", "fn"), a)
            if isinstance(a, (autograd_lite.dtype, autograd_lite.device)):
                return repr(a)
            if isinstance(a, (int, float, complex, str, bool, bytes, type(None), type(Ellipsis))):
                return repr(a)
            return add_global(type(a).__name__.lower(), a)       # an object without a literal: by reference

        def call_args(args, kwargs):
            return ", ".join([fmt(a) for a in args] + [f"{k} = {fmt(v)}" for k, v in kwargs.items()])

        # free each value after its last use (as torch's generated code), so memory follows the graph
        nodes = list(self.nodes)
        last_user, to_free = {}, collections.defaultdict(list)
        for node in reversed(nodes):
            for inp in node._input_nodes:
                if inp not in last_user:
                    last_user[inp] = node
                    to_free[node].append(inp)

        signature, body = [], []
        for node in nodes:
            if node.op == "placeholder":
                entry = node.target if not node.args else f"{node.target} = {fmt(node.args[0])}"
                signature.append(entry)
                line = None
                if node.name != node.target.lstrip("*"):
                    line = f"{node.name} = {node.target.lstrip('*')}"
            elif node.op == "get_attr":
                line = f"{node.name} = {_format_target(root_module, node.target)}"
            elif node.op == "call_module":
                line = f"{node.name} = {_format_target(root_module, node.target)}" \
                       f"({call_args(node.args, node.kwargs)})"
            elif node.op == "call_method":
                line = f"{node.name} = {fmt(node.args[0])}.{node.target}" \
                       f"({call_args(node.args[1:], node.kwargs)})"
            elif node.op == "call_function":
                template = _OPERATOR_TEMPLATES.get(node.target) if not node.kwargs else None
                if template is not None and template.count("{}") == len(node.args):
                    line = f"{node.name} = " + template.format(*(fmt(a) for a in node.args))
                elif (node.target is getattr and len(node.args) == 2 and not node.kwargs
                      and isinstance(node.args[1], str) and node.args[1].isidentifier()):
                    line = f"{node.name} = {fmt(node.args[0])}.{node.args[1]}"
                else:       # (torch's global names: math_sqrt, _operator_abs, never a node's name)
                    fn = add_global(_qualified_name(node.target), node.target)
                    line = f"{node.name} = {fn}({call_args(node.args, node.kwargs)})"
            else:                                   # output
                body.append(f"return {fmt(node.args[0])}")
                continue
            free = [n.name for n in to_free.get(node, ())]
            if node.op != "placeholder" and not node.users:
                free.append(node.name)
            if line is None:
                continue
            if free:
                line += ";  " + " = ".join(free) + " = None"
            body.append(line)
        if not body or not body[-1].startswith("return"):
            body.append("return None")
        sig = ", ".join(["self"] + signature) if root_module == "self" else ", ".join(signature)
        src = f"\n\n\ndef forward({sig}):\n" + "".join(f"    {line}\n" for line in body) + "    "
        return PythonCode(src, globals_)


def _base_globals():
    """The globals every generated forward gets (the rest are the objects its code names)."""
    import autograd_lite
    return {"torch": autograd_lite, "autograd_lite": autograd_lite, "inf": math.inf, "nan": math.nan,
            "device": autograd_lite.device}


def _format_target(base, target):
    out = base
    for elem in target.split("."):
        out = f"{out}.{elem}" if elem.isidentifier() and not keyword.iskeyword(elem) else f'getattr({out}, "{elem}")'
    return out

