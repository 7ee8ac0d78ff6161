"""torch's ``X_copy`` functions: the view op X, then a copy with storage of its own (gradients flow through both).
One table, each entry the view it copies; a view that returns several tensors (split, unbind) copies each."""
from .. import _api
from ..tensor import Tensor


def _slice(input, dim=0, start=None, end=None, step=1):
    """input[..., start:end:step, ...] along dim (torch.slice_copy's view)."""
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    dim = dim % max(input.ndim, 1)
    return input[(slice(None),) * dim + (slice(start, end, step),)]


def _expand(input, size, *, implicit=False):
    return input.expand(size)


def _alias(input):
    return input.view(input.shape)


# name -> the view it copies: a Tensor method's name, or a function
VIEWS = {
    "alias_copy": _alias, "as_strided_copy": "as_strided", "detach_copy": "detach", "diagonal_copy": "diagonal",
    "expand_copy": _expand, "permute_copy": "permute", "select_copy": "select", "slice_copy": _slice,
    "split_copy": "split", "split_with_sizes_copy": "split_with_sizes", "squeeze_copy": "squeeze", "t_copy": "t",
    "transpose_copy": "transpose", "unbind_copy": "unbind", "unfold_copy": "unfold", "unsqueeze_copy": "unsqueeze",
    "view_copy": "view", "narrow_copy": "narrow",
}
METHODS = ("narrow_copy",)          # the ones torch also has as Tensor methods


def _copy_of(name, view):
    def fn(input, *args, **kwargs):
        out = (getattr(Tensor, view) if isinstance(view, str) else view)(input, *args, **kwargs)
        return out.clone() if isinstance(out, Tensor) else type(out)(o.clone() for o in out)
    label = view if isinstance(view, str) else view.__name__.strip("_")
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``{label}`` as a copy with its own storage (not a view); differentiable.\n\n"
                  f"Example: ``autograd_lite.{name}(x, ...)`` equals ``x.{label}(...).clone()``")
    return _api.declare(fn, method=name in METHODS)


for _name, _view in VIEWS.items():
    _copy_of(_name, _view)
