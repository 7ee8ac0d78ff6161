"""ShapeProp: runs a GraphModule on example inputs and records each node's output shape and dtype in
``node.meta['tensor_meta']``."""
from typing import NamedTuple

from ...tensor import Tensor
from ..interpreter import Interpreter
from ..node import map_aggregate

__all__ = ["ShapeProp", "TensorMetadata"]


class TensorMetadata(NamedTuple):
    shape: tuple
    dtype: object
    requires_grad: bool
    stride: tuple
    memory_format: object
    is_quantized: bool
    qparams: dict


def _extract_tensor_metadata(result):
    from ... import contiguous_format
    try:
        stride = tuple(result.stride())
    except (AttributeError, RuntimeError, TypeError):
        stride = None
    memory_format = contiguous_format if result.is_contiguous() else None
    return TensorMetadata(result.shape, result.dtype, result.requires_grad, stride, memory_format, False, {})


class ShapeProp(Interpreter):
    """Example::

        gm = fx.symbolic_trace(model)
        ShapeProp(gm).propagate(x)
        for node in gm.graph.nodes:
            print(node.name, node.meta["tensor_meta"].shape, node.meta["tensor_meta"].dtype)
    """

    def __init__(self, gm, fake_mode=None):
        super().__init__(gm)
        self.fake_mode = fake_mode

    def run_node(self, n):
        result = super().run_node(n)
        found = []

        def extract(obj):
            if isinstance(obj, Tensor):
                found.append(True)
                return _extract_tensor_metadata(obj)
            return obj
        meta = map_aggregate(result, extract)
        if found:
            n.meta["tensor_meta"] = meta
        n.meta["type"] = type(result)
        return result

    def propagate(self, *args):
        """Runs the module on args, recording each node's metadata; returns the output."""
        return super().run(*args)
