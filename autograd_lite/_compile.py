"""``torch.compile`` for scripts that call it: autograd_lite has no compiler, so it returns the model or function
unchanged (its kernels are already compiled by Numba / CuPy)."""

__all__ = ["compile"]


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    """Returns `model` (a Module or function) unchanged: there is nothing to compile. Without a model, a
    decorator that does the same. PyTorch's arguments are accepted and ignored.

    Example: ``model = torch.compile(model)``; ``@torch.compile`` over a function"""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError("Model must be callable")
    return model
