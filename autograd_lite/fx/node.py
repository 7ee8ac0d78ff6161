"""Node: one operation of an fx Graph (placeholder, get_attr, call_function, call_method, call_module, output).

Nodes form a doubly linked list owned by their Graph; each keeps the nodes it reads (``all_input_nodes``) and the
nodes reading it (``users``), updated whenever its ``args`` / ``kwargs`` are set."""
import builtins
import operator

__all__ = ["Node", "map_arg", "map_aggregate"]

_OPS = ("placeholder", "get_attr", "call_function", "call_method", "call_module", "output", "root")


def map_aggregate(a, fn):
    """Applies fn to each leaf of the (nested tuple / list / dict / slice) argument a."""
    if isinstance(a, tuple):
        t = tuple(map_aggregate(e, fn) for e in a)
        return t if not hasattr(a, "_fields") else type(a)(*t)     # namedtuples keep their type
    if isinstance(a, list):
        return [map_aggregate(e, fn) for e in a]
    if isinstance(a, dict):
        return {k: map_aggregate(v, fn) for k, v in a.items()}
    if isinstance(a, slice):
        return slice(map_aggregate(a.start, fn), map_aggregate(a.stop, fn), map_aggregate(a.step, fn))
    return fn(a)


def map_arg(a, fn):
    """Applies fn to each Node in the (nested) argument a. Example: ``map_arg(node.args, lambda n: env[n])``"""
    return map_aggregate(a, lambda x: fn(x) if isinstance(x, Node) else x)


def _qualified_name(func):
    """'operator.add', 'torch.relu', 'builtins.getattr': how a node's target is printed."""
    from .graph import _library_name
    lib = _library_name(func)
    if lib is not None:
        return lib
    if getattr(builtins, getattr(func, "__name__", ""), None) is func:
        return f"builtins.{func.__name__}"
    module = getattr(func, "__module__", None) or ""
    if module == "_operator":
        module = "operator"
    return f"{module}.{getattr(func, '__qualname__', getattr(func, '__name__', repr(func)))}"


class Node:
    """One operation of a Graph. ``op`` is one of placeholder, get_attr, call_function, call_method, call_module,
    output; ``target`` is what it runs (a callable for call_function, a name or dotted path otherwise).

    Example::

        for node in symbolic_trace(model).graph.nodes:
            print(node.op, node.name, node.target, node.args, [u.name for u in node.users])
    """

    def __init__(self, graph, name, op, target, args, kwargs, return_type=None):
        if op not in _OPS:
            raise ValueError(f"Node op must be one of {_OPS[:-1]}, got {op!r}")
        if op == "call_function" and not callable(target):
            raise ValueError(f"Node [graph = {graph}, name = '{name}'] target {target} has type "
                             f"{type(target)} but a Callable is expected")
        if op in ("placeholder", "get_attr", "call_method", "call_module") and not isinstance(target, str):
            raise ValueError(f"Node [graph = {graph}, name = '{name}'] target {target} has type "
                             f"{type(target)} but a str is expected")
        self.graph, self.name, self.op, self.target, self.type = graph, name, op, target, return_type
        self._input_nodes = {}
        self.users = {}
        self._args, self._kwargs = (), {}
        self._update_args_kwargs(args, kwargs)
        self._prev = self._next = self
        self._erased = False
        self.meta = {}

    # ---- arguments and uses -------------------------------------------------------------------------
    @property
    def args(self):
        return self._args

    @args.setter
    def args(self, a):
        self._update_args_kwargs(a, self._kwargs)

    @property
    def kwargs(self):
        return self._kwargs

    @kwargs.setter
    def kwargs(self, k):
        self._update_args_kwargs(self._args, k)

    @property
    def all_input_nodes(self):
        """The Nodes this one reads, in order of first appearance in args then kwargs."""
        return list(self._input_nodes)

    def _update_args_kwargs(self, args, kwargs):
        for old in self._input_nodes:
            old.users.pop(self, None)
        self._input_nodes = {}
        collect = lambda n: self._input_nodes.setdefault(n, None) or n      # noqa: E731
        self._args = tuple(map_arg(tuple(args), collect))
        self._kwargs = dict(map_arg(dict(kwargs), collect))
        for n in self._input_nodes:
            n.users.setdefault(self, None)

    def update_arg(self, idx, arg):
        args = list(self._args)
        args[idx] = arg
        self.args = tuple(args)

    def update_kwarg(self, key, arg):
        self.kwargs = {**self._kwargs, key: arg}

    def replace_all_uses_with(self, replace_with, delete_user_cb=lambda user: True, *, propagate_meta=False):
        """Makes every user of this node read `replace_with` instead; returns the users changed."""
        if propagate_meta:
            for k, v in self.meta.items():
                replace_with.meta.setdefault(k, v)
        changed = [u for u in list(self.users) if delete_user_cb(u)]
        for user in changed:
            user.replace_input_with(self, replace_with)
        return changed

    def replace_input_with(self, old_input, new_input):
        """Replaces one input node of this node by another."""
        swap = lambda n: new_input if n is old_input else n        # noqa: E731
        self._update_args_kwargs(map_arg(self._args, swap), map_arg(self._kwargs, swap))

    # ---- place in the list --------------------------------------------------------------------------
    @property
    def next(self):
        return self._next

    @property
    def prev(self):
        return self._prev

    def prepend(self, x):
        """Inserts node x just before this one."""
        if x is self:
            return
        x._remove_from_list()
        p = self._prev
        p._next, x._prev = x, p
        x._next, self._prev = self, x

    def append(self, x):
        """Inserts node x just after this one."""
        self._next.prepend(x)

    def _remove_from_list(self):
        p, n = self._prev, self._next
        p._next, n._prev = n, p        # (its own links stay: iterating past an erased node goes on)

    # ---- properties -------------------------------------------------------------------------------
    def is_impure(self):
        """Placeholders, outputs, side-effecting functions and modules marked ``_is_impure`` are kept by
        eliminate_dead_code."""
        if self.op in ("placeholder", "output"):
            return True
        if self.op == "call_module" and self.graph.owning_module is not None:
            return getattr(self.graph.owning_module.get_submodule(self.target), "_is_impure", False)
        if self.op == "call_function":
            import autograd_lite
            return self.target in _side_effectful_functions or self.target is autograd_lite._assert
        if self.op == "call_method":
            return self.target.endswith("_") and not self.target.endswith("__")     # in-place Tensor methods
        return False

    def __repr__(self):
        return self.name

    def _pretty_print_target(self, target):
        if isinstance(target, str):
            return target
        return _qualified_name(target)

    def format_node(self, placeholder_names=None, maybe_return_typename=None):
        """The node as one line of ``print(graph)`` (torch's format)."""
        if self.op == "placeholder":
            if placeholder_names is not None:
                placeholder_names.append(self.target)
                return None
            default = f"(default={self.args[0]})" if self.args else ""
            return f"%{self.name} : [num_users={len(self.users)}] = {self.op}[target={self.target}]{default}"
        if self.op == "get_attr":
            return f"%{self.name} : [num_users={len(self.users)}] = {self.op}[target={self.target}]"
        if self.op == "output":
            return f"return {self.args[0]}"
        return (f"%{self.name} : [num_users={len(self.users)}] = "
                f"{self.op}[target={self._pretty_print_target(self.target)}]"
                f"(args = {_format_arg(self.args)}, kwargs = {_format_arg(self.kwargs)})")


def _format_arg(arg, max_list_len=float("inf")):
    if isinstance(arg, tuple):
        items = ", ".join(_format_arg(a) for a in arg)
        return f"({items}{',' if len(arg) == 1 else ''})"
    if isinstance(arg, list):
        return f"[{', '.join(_format_arg(a) for a in arg)}]"
    if isinstance(arg, dict):
        return "{" + ", ".join(f"{k}: {_format_arg(v)}" for k, v in arg.items()) + "}"
    if isinstance(arg, Node):
        return "%" + str(arg)
    return str(arg)


_side_effectful_functions = {operator.setitem, print}   # (and torch._assert, checked in is_impure)
