"""Pytrees as torch.utils._pytree has them, for the function transforms: tuples, lists, dicts and namedtuples are
nodes, anything else (a Tensor, a number, None) a leaf. A TreeSpec prints as PyTorch's, which its error messages
show.

Example::

    >>> leaves, spec = tree_flatten((1, [2, {"a": 3}]))
    >>> leaves
    [1, 2, 3]
    >>> tree_unflatten([4, 5, 6], spec)
    (4, [5, {'a': 6}])
"""
from collections import defaultdict


class TreeSpec:
    """The structure of a pytree: its node type, context (dict keys, namedtuple class) and children's specs."""
    __slots__ = ("type", "context", "children", "num_leaves")

    def __init__(self, type_, context, children):
        self.type, self.context, self.children = type_, context, children
        self.num_leaves = sum(c.num_leaves for c in children)

    def is_leaf(self):
        return False

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and self.type is other.type and self.context == other.context
                and self.children == other.children)

    def __repr__(self, indent=0):
        name = "namedtuple" if _is_namedtuple(self.type) else self.type.__name__
        indent += 2
        inner = (",\n" + " " * indent).join(c.__repr__(indent) for c in self.children)
        return f"TreeSpec({name}, {self.context}, [{inner}])"


class LeafSpec(TreeSpec):
    __slots__ = ()

    def __init__(self):
        self.type, self.context, self.children, self.num_leaves = None, None, [], 1

    def is_leaf(self):
        return True

    def __eq__(self, other):
        return isinstance(other, LeafSpec)

    def __repr__(self, indent=0):
        return "*"


LEAF = LeafSpec()


def _is_namedtuple(cls):
    return isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")


def _children(tree):
    """(node type, context, children) of a node, or None for a leaf."""
    cls = type(tree)
    if _is_namedtuple(cls):
        return cls, cls, list(tree)
    if isinstance(tree, (tuple, list)):
        return cls, None, list(tree)
    if isinstance(tree, dict):
        return cls, list(tree.keys()), list(tree.values())
    return None


def tree_flatten(tree):
    """(the leaves in order, the TreeSpec to rebuild the tree from them)."""
    leaves = []
    return leaves, _walk(tree, leaves)


def _walk(node, leaves):
    # module-level recursion: a nested function calling itself would be a reference cycle holding the leaves
    parts = _children(node)
    if parts is None:
        leaves.append(node)
        return LEAF
    cls, context, kids = parts
    return TreeSpec(cls, context, [_walk(k, leaves) for k in kids])


def tree_unflatten(leaves, spec):
    """The tree of `spec` with `leaves` in its leaves' places."""
    return _build(spec, iter(leaves))


def _build(s, it):
    if s.is_leaf():
        return next(it)
    kids = [_build(c, it) for c in s.children]
    if s.context is s.type:                     # a namedtuple
        return s.type(*kids)
    if s.context is not None:                   # a dict
        items = zip(s.context, kids)
        return s.type(None, items) if issubclass(s.type, defaultdict) else s.type(items)
    return s.type(kids)


def broadcast_to_and_flatten(prefix, spec):
    """`prefix` (a tree whose leaves stand for whole subtrees of `spec`) as one entry per leaf of `spec`, or None
    where its structure is not a prefix of spec's (vmap's in_dims and out_dims)."""
    out = []
    return out if _broadcast(prefix, spec, out) else None


def _broadcast(p, s, out):
    parts = _children(p)
    if parts is None:
        out.extend([p] * s.num_leaves)
        return True
    cls, context, kids = parts
    if s.is_leaf() or cls is not s.type or len(kids) != len(s.children):
        return False
    if context is not None and context is not cls:        # dicts: matched by key
        if set(context) != set(s.context):
            return False
        kids = [p[k] for k in s.context]
    return all(_broadcast(k, c, out) for k, c in zip(kids, s.children))
