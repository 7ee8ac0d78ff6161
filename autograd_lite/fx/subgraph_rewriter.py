"""replace_pattern: find a pattern (a function or GraphModule) in a GraphModule's graph and replace each
non-overlapping match by a replacement of the same signature."""
import collections

from .graph_module import GraphModule, _copy_attr
from .node import Node
from ._symbolic_trace import symbolic_trace

__all__ = ["Match", "replace_pattern"]

Match = collections.namedtuple("Match", ["anchor", "nodes_map"])


def _match(pn, gn, m):
    """Whether the pattern node pn matches the graph node gn (with its inputs), extending the map m."""
    if pn in m:
        return m[pn] is gn
    if pn.op == "placeholder":
        m[pn] = gn
        return True
    if not isinstance(gn, Node) or pn.op != gn.op or pn.target != gn.target:
        return False
    if len(pn.args) != len(gn.args) or set(pn.kwargs) != set(gn.kwargs):
        return False
    snapshot = dict(m)
    m[pn] = gn
    pairs = list(zip(pn.args, gn.args)) + [(pn.kwargs[k], gn.kwargs[k]) for k in pn.kwargs]
    if all(_match_arg(pa, ga, m) for pa, ga in pairs):
        return True
    m.clear()
    m.update(snapshot)
    return False


def _match_arg(pa, ga, m):
    if isinstance(pa, Node):
        return isinstance(ga, Node) and _match(pa, ga, m)
    if isinstance(pa, (list, tuple)):
        return (isinstance(ga, (list, tuple)) and len(pa) == len(ga)
                and all(_match_arg(a, b, m) for a, b in zip(pa, ga)))
    return not isinstance(ga, Node) and type(pa) is type(ga) and pa == ga


def replace_pattern(gm, pattern, replacement):
    """Replaces each match of `pattern` in gm's graph by `replacement` (functions or GraphModules taking the same
    arguments); recompiles gm and returns the matches (``Match(anchor, nodes_map)``, pattern node -> gm node).

    Example::

        def pattern(x):
            return torch.relu(torch.neg(x))
        def replacement(x):
            return torch.nn.functional.gelu(x)
        fx.replace_pattern(gm, pattern, replacement)
    """
    pattern_graph = pattern.graph if isinstance(pattern, GraphModule) else symbolic_trace(pattern).graph
    replacement_gm = replacement if isinstance(replacement, GraphModule) else symbolic_trace(replacement)
    graph = gm.graph
    p_out = next(n for n in pattern_graph.nodes if n.op == "output")
    anchor = p_out.args[0]
    if not isinstance(anchor, Node):
        raise NotImplementedError("replace_pattern supports patterns returning one value (a Node)")
    p_inputs = [n for n in pattern_graph.nodes if n.op == "placeholder"]
    r_inputs = [n for n in replacement_gm.graph.nodes if n.op == "placeholder"]
    if len(p_inputs) != len(r_inputs):
        raise ValueError(f"the pattern takes {len(p_inputs)} arguments but the replacement {len(r_inputs)}")

    matches, taken = [], set()
    for gn in graph.nodes:
        m = {}
        if gn.op in ("placeholder", "output") or not _match(anchor, gn, m):
            continue
        inner = [p for p in m if p.op != "placeholder"]
        matched = {m[p] for p in inner}
        # nodes inside the match may feed only the match (the anchor's value is what gets replaced)
        if any(u not in matched for p in inner if p is not anchor for u in m[p].users):
            continue
        if matched & taken:
            continue
        taken |= matched
        matches.append(Match(anchor, m))

    for match in matches:
        m = match.nodes_map
        g_anchor = m[anchor]
        val_map = {r: m[p] for p, r in zip(p_inputs, r_inputs)}
        for node in replacement_gm.graph.nodes:
            if node.op in ("get_attr", "call_module") and not hasattr(gm, node.target.split(".")[0]):
                _copy_attr(replacement_gm, gm, node.target)
        order = {n: i for i, n in enumerate(graph.nodes)}
        first_user = min(g_anchor.users, key=order.__getitem__, default=None)    # there, as torch's
        with graph.inserting_before(first_user) if first_user is not None else graph.inserting_after(g_anchor):
            out = graph.graph_copy(replacement_gm.graph, val_map)
        g_anchor.replace_all_uses_with(out)
        for p in reversed(list(pattern_graph.nodes)):
            if p in m and p.op != "placeholder" and not m[p].users:
                graph.erase_node(m[p])
    gm.recompile()
    return matches
