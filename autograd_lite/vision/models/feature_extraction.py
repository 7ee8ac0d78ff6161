"""Feature extraction through fx, as ``torchvision.models.feature_extraction``: ``get_graph_node_names(model)``
lists the nodes a model's forward is made of ("layer1.0.relu_1", "flatten", ...), and
``create_feature_extractor(model, return_nodes)`` builds a GraphModule returning those nodes' values in a dict."""
import copy
import re
import warnings
from collections import OrderedDict
from itertools import chain

from ... import fx, nn
from ...fx.graph_module import _copy_attr

__all__ = ["create_feature_extractor", "get_graph_node_names"]


class LeafModuleAwareTracer(fx.Tracer):
    """A Tracer whose ``leaf_modules`` (classes) are not traced through."""

    def __init__(self, *args, **kwargs):
        self.leaf_modules = kwargs.pop("leaf_modules", {})
        super().__init__(*args, **kwargs)

    def is_leaf_module(self, m, module_qualname):
        if isinstance(m, tuple(self.leaf_modules)):
            return True
        return super().is_leaf_module(m, module_qualname)


class NodePathTracer(LeafModuleAwareTracer):
    """Records, for each node, its path through the module hierarchy ("layer1.0.add"), repeated names numbered
    from _1 within their parent module (torchvision's naming)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_module_qualname = ""
        self.node_to_qualname = OrderedDict()

    def call_module(self, m, forward, args, kwargs):
        old_qualname = self.current_module_qualname
        try:
            module_qualname = self.path_of_module(m)
            self.current_module_qualname = module_qualname
            if not self.is_leaf_module(m, module_qualname):
                return forward(*args, **kwargs)
            return self.create_proxy("call_module", module_qualname, args, kwargs)
        finally:
            self.current_module_qualname = old_qualname

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, *_):
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr)
        self.node_to_qualname[proxy.node] = self._get_node_qualname(self.current_module_qualname, proxy.node)
        return proxy

    def _get_node_qualname(self, module_qualname, node):
        node_qualname = module_qualname
        if node.op != "call_module":
            if node_qualname:
                node_qualname += "."
            node_qualname += str(node)
        # fx numbers repeated names graph-wide; number them within their parent module instead
        if re.match(r".+_[0-9]+$", node_qualname) is not None:
            node_qualname = node_qualname.rsplit("_", 1)[0]
        for existing in reversed(self.node_to_qualname.values()):
            if re.match(rf"{re.escape(node_qualname)}(_[0-9]+)?$", existing) is not None:
                postfix = existing.replace(node_qualname, "")
                node_qualname += f"_{int(postfix[1:]) + 1 if postfix else 1}"
                break
        return node_qualname


def _is_subseq(x, y):
    iter_x = iter(x)
    return all(any(x_item == y_item for x_item in iter_x) for y_item in y)


def _warn_graph_differences(train_tracer, eval_tracer):
    train_nodes = list(train_tracer.node_to_qualname.values())
    eval_nodes = list(eval_tracer.node_to_qualname.values())
    if train_nodes == eval_nodes:
        return
    suggestion = ("When choosing nodes for feature extraction, you may need to specify output nodes for train and "
                  "eval mode separately.")
    if _is_subseq(train_nodes, eval_nodes):
        msg = ("NOTE: The nodes obtained by tracing the model in eval mode are a subsequence of those obtained in "
               "train mode. ")
    elif _is_subseq(eval_nodes, train_nodes):
        msg = ("NOTE: The nodes obtained by tracing the model in train mode are a subsequence of those obtained in "
               "eval mode. ")
    else:
        msg = "The nodes obtained by tracing the model in train mode are different to those obtained in eval mode. "
    warnings.warn(msg + suggestion)


def get_graph_node_names(model, tracer_kwargs=None, suppress_diff_warning=False):
    """The node names of `model`'s forward in execution order, traced in train mode and in eval mode.

    Example::

        train_nodes, eval_nodes = get_graph_node_names(models.resnet18())
        # ['x', 'conv1', 'bn1', 'relu', 'maxpool', 'layer1.0.conv1', ..., 'layer1.0.add', 'layer1.0.relu_1', ...]
    """
    tracer_kwargs = tracer_kwargs or {}
    is_training = model.training
    train_tracer = NodePathTracer(**tracer_kwargs)
    train_tracer.trace(model.train())
    eval_tracer = NodePathTracer(**tracer_kwargs)
    eval_tracer.trace(model.eval())
    train_nodes = list(train_tracer.node_to_qualname.values())
    eval_nodes = list(eval_tracer.node_to_qualname.values())
    if not suppress_diff_warning:
        _warn_graph_differences(train_tracer, eval_tracer)
    model.train(is_training)
    return train_nodes, eval_nodes


class DualGraphModule(fx.GraphModule):
    """A GraphModule holding a train graph and an eval graph; ``train(mode)`` switches between them."""

    def __init__(self, root, train_graph, eval_graph, class_name="GraphModule"):
        nn.Module.__init__(self)
        type(self).__name__ = class_name
        self.train_graph = train_graph
        self.eval_graph = eval_graph
        for node in chain(iter(train_graph.nodes), iter(eval_graph.nodes)):
            if node.op in ("get_attr", "call_module"):
                _copy_attr(root, self, node.target)
        self.train()
        self.graph = train_graph
        self._tracer_cls = train_graph._tracer_cls
        self.meta = {}

    def train(self, mode=True):
        if mode and not self.training:
            self.graph = self.train_graph
        elif not mode and self.training:
            self.graph = self.eval_graph
        return super().train(mode=mode)


def create_feature_extractor(model, return_nodes=None, train_return_nodes=None, eval_return_nodes=None,
                             tracer_kwargs=None, suppress_diff_warning=False):
    """A GraphModule computing `model`'s forward up to the requested nodes and returning their values as a dict.

    Args:
        model: the module; return_nodes: a list of node names (see get_graph_node_names; a module's name selects
        its last node) or a dict {node name: output key}; train_return_nodes / eval_return_nodes: the same per
        mode (both or neither); tracer_kwargs: for the NodePathTracer (``leaf_modules``, ``autowrap_functions``).

    Example::

        extractor = create_feature_extractor(models.resnet18(), {"layer1": "feat1", "layer3": "feat2"})
        out = extractor(torch.rand(1, 3, 224, 224))     # {'feat1': (1, 64, 56, 56), 'feat2': (1, 256, 14, 14)}
    """
    tracer_kwargs = tracer_kwargs or {}
    is_training = model.training
    if all(arg is None for arg in (return_nodes, train_return_nodes, eval_return_nodes)):
        raise ValueError("Either `return_nodes` or `train_return_nodes` and `eval_return_nodes` together, should "
                         "be specified")
    if (train_return_nodes is None) ^ (eval_return_nodes is None):
        raise ValueError("If any of `train_return_nodes` and `eval_return_nodes` are specified, then both should "
                         "be specified")
    if not ((return_nodes is None) ^ (train_return_nodes is None)):
        raise ValueError("If `train_return_nodes` and `eval_return_nodes` are specified, then both should be "
                         "specified")

    def to_strdict(n):
        if isinstance(n, list):
            return {str(i): str(i) for i in n}
        return {str(k): str(v) for k, v in n.items()}

    if train_return_nodes is None:
        return_nodes = to_strdict(return_nodes)
        train_return_nodes, eval_return_nodes = copy.deepcopy(return_nodes), copy.deepcopy(return_nodes)
    else:
        train_return_nodes, eval_return_nodes = to_strdict(train_return_nodes), to_strdict(eval_return_nodes)

    tracers, graphs = {}, {}
    mode_return_nodes = {"train": train_return_nodes, "eval": eval_return_nodes}
    name = type(model).__name__
    for mode in ("train", "eval"):
        model.train(mode == "train")
        tracer = NodePathTracer(**tracer_kwargs)
        graph = tracer.trace(model)
        graph_module = fx.GraphModule(tracer.root, graph, name)
        available_nodes = list(tracer.node_to_qualname.values())
        for query in mode_return_nodes[mode]:
            if not any(re.match(rf"^{re.escape(query)}(\.|$)", n) is not None for n in available_nodes):
                raise ValueError(f"node: '{query}' is not present in model. Hint: use `get_graph_node_names` to make "
                                 "sure the `return_nodes` you specified are present. It may even be that you need "
                                 "to specify `train_return_nodes` and `eval_return_nodes` separately.")
        for n in reversed(list(graph_module.graph.nodes)):
            if n.op == "output":
                graph_module.graph.erase_node(n)
        nodes = list(graph_module.graph.nodes)
        output_nodes = OrderedDict()
        pending = dict(mode_return_nodes[mode])
        for n in reversed(nodes):           # the last node under a module's name is that module's output
            module_qualname = tracer.node_to_qualname.get(n)
            if module_qualname is None:
                continue
            for query in list(pending):
                depth = query.count(".")
                if ".".join(module_qualname.split(".")[:depth + 1]) == query:
                    output_nodes[pending.pop(query)] = n
                    break
        output_nodes = OrderedDict(reversed(list(output_nodes.items())))
        with graph_module.graph.inserting_after(nodes[-1]):
            graph_module.graph.output(output_nodes)
        graph_module.graph.eliminate_dead_code()
        graph_module.recompile()
        tracers[mode], graphs[mode] = tracer, graph

    if not suppress_diff_warning:
        _warn_graph_differences(tracers["train"], tracers["eval"])
    graph_module = DualGraphModule(model, graphs["train"], graphs["eval"], class_name=name)
    model.train(is_training)
    graph_module.train(is_training)
    return graph_module
