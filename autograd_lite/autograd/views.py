"""In-place ops on views: the base's graph is rewritten as "the old base with the view's region replaced"."""
from .. import backend as _backend
from .op_function import Function, TensorBase


def replay_view(x, steps):
    """Re-applies a chain of view ops (recorded as (Function class, extra args)) to an array, or to a Tensor as
    graph ops."""
    for cls, extra in steps:
        x = cls.apply(x, *extra) if isinstance(x, TensorBase) else cls.forward(object.__new__(cls), x, *extra)
    return x


class CopySlices(Function):
    """The new history of a base tensor after an in-place op on one of its views: the old base with the view's
    region replaced by `values` (already written into the base's storage)."""
    op_name = "copy_slices"

    @staticmethod
    def forward(ctx, base, values, steps):
        ctx.steps = steps
        return base

    @staticmethod
    def backward(ctx, g):
        data = g._data if isinstance(g, TensorBase) else g
        if data.dtype.kind == "c":      # a real / imag view holds a part of each element: mask the parts apart
            mask = _backend.backend_of(data).xp.full(data.shape, 1 + 1j, data.dtype)
            replay_view(mask, ctx.steps)[...] = 0
            return g.real * mask.real + g.imag * (mask.imag * 1j), replay_view(g, ctx.steps), None
        outside = _backend.backend_of(data).xp.ones(data.shape, bool)
        replay_view(outside, ctx.steps)[...] = False
        return g * outside, replay_view(g, ctx.steps), None
