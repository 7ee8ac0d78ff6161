"""FX, as ``torch.fx``: symbolic tracing of a Module's forward into a Graph of Nodes, a GraphModule running the
Python code generated from it, graph editing, Interpreter / Transformer, subgraph replacement and shape
propagation.

Example::

    from autograd_lite import fx
    gm = fx.symbolic_trace(model)
    print(gm.code)                          # the recorded forward as Python
    for node in gm.graph.nodes:
        print(node.op, node.name, node.target)
    gm(x)                                   # same as model(x)
"""
from .node import Node, map_arg, map_aggregate
from .graph import Graph, PythonCode
from .graph_module import GraphModule
from .proxy import Proxy, Attribute, TraceError, GraphAppendingTracer
from ._symbolic_trace import Tracer, symbolic_trace, wrap, PH
from .interpreter import Interpreter, Transformer
from . import subgraph_rewriter, passes
from .subgraph_rewriter import replace_pattern
from . import proxy, graph, node, graph_module, interpreter     # (torch.fx.proxy.TraceError, ...)

__all__ = ["symbolic_trace", "Tracer", "Graph", "GraphModule", "Node", "Proxy", "Attribute", "Interpreter",
           "Transformer", "wrap", "replace_pattern", "subgraph_rewriter", "passes", "map_arg", "map_aggregate",
           "PythonCode", "TraceError", "GraphAppendingTracer", "PH", "proxy", "graph", "node", "graph_module",
           "interpreter"]
