"""vmap, as torch.func.vmap / torch.vmap, by PyTorch's own fallback for ops without a batching rule: func runs
once per batch element (the slices along in_dims) and the results are stacked along out_dims. No per-op batching
rules, so any function vmaps, data-dependent Python control flow and ``.item()`` included."""
import functools

from .. import random as _random
from ..autograd.grad_mode import is_grad_enabled
from ..backend import backend_of
from ..ops.shape import stack
from ..tensor import Tensor
from ._pytree import broadcast_to_and_flatten, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either use the 'same' or "
                 "'different' randomness flags on vmap or perform the randomness operation out of vmap")


class _NoRandomness:
    """Stands in for the global generator while func runs under randomness='error': any draw raises."""

    def __getattr__(self, name):
        raise RuntimeError(_RANDOM_ERROR)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """The function that maps `func` over a dimension of its inputs: ``vmap(f)(x)[i] == f(x[i])``.

    in_dims: where each input's mapped dimension is (an int for all, None for an input passed whole to every call,
    or a (nested) tuple matching the positional arguments; keyword arguments are never mapped). out_dims: where the
    mapped dimension goes in each output (None: an output that does not depend on the element). randomness:
    'error' (a random op inside raises), 'different' (each element draws its own numbers) or 'same' (every element
    draws the same numbers). chunk_size: accepted as PyTorch's (it bounds memory there; here func already runs one
    element at a time).

    Implementation: func runs once per element and the outputs are stacked (PyTorch's fallback for ops without a
    batching rule), so a vmapped function costs about as much as a Python loop over the batch, with no per-element
    overhead beyond the call. Gradients flow through (slices and stack are differentiable), so vmap nests with
    itself and with grad, jvp, jacrev (per-sample gradients: ``vmap(grad(loss), in_dims=(None, 0, 0))``).
    What follows from running per element: Python control flow on values and ``.item()`` work (PyTorch refuses
    them); an out_dims=None output is refused when it differs between elements (PyTorch also refuses one that is
    computed from the mapped inputs but happens to be equal); randomness='error' swaps the global generator for
    one that raises while func runs, so another thread drawing from it at that moment raises too.

    Example::

        >>> from autograd_lite.func import vmap
        >>> vmap(autograd_lite.dot)(autograd_lite.ones(4, 3), autograd_lite.ones(4, 3))
        tensor([3., 3., 3., 3.])
        >>> vmap(lambda x, w: x @ w, in_dims=(0, None))(autograd_lite.ones(4, 3), autograd_lite.ones(3, 2)).shape
        autograd_lite.Size([4, 2])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        name = _name(func)
        _check_out_dims(out_dims, name)
        size, flat_dims, flat_args, spec = _batched_inputs(in_dims, args, name)
        # no element to run: one call on zeros of an element's shape gives the outputs' form
        take = _slices if size else _zeros_element
        columns = [None if d is None else take(a, d, size) for a, d in zip(flat_args, flat_dims)]
        outputs = _run(func, columns, flat_args, spec, kwargs, max(size, 1), randomness)
        return _stack_outputs(outputs, out_dims, name, size)
    return wrapped


def _name(func):
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def _check_out_dims(out_dims, name):
    if isinstance(out_dims, int):
        return
    for d in tree_flatten(out_dims)[0]:
        if d is not None and not isinstance(d, int):
            raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a python "
                             "collection of ints representing where in the outputs the vmapped dimension should "
                             "appear.")


def _batched_inputs(in_dims, args, name):
    """(batch size, in_dim per leaf of args (non-negative or None), the leaves, args' spec), checked as PyTorch."""
    where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying "
                         "to vmap over a function with no inputs. The latter is unsupported.")
    flat_args, spec = tree_flatten(args)
    flat_dims = broadcast_to_and_flatten(in_dims, spec)
    if flat_dims is None:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {spec}.")
    sizes = []
    for i, (arg, d) in enumerate(zip(flat_args, flat_dims)):
        if d is None:
            continue
        if not isinstance(d, int):
            raise ValueError(f"{where}: Got in_dim={d} for an input but in_dim must be either an integer dimension "
                             "or None.")
        if not isinstance(arg, Tensor):
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type {type(arg)}. We cannot "
                             "vmap over non-Tensor arguments, please use None as the respective in_dim")
        n = arg.dim()
        if not -n <= d < n:
            raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                             f"{n} so expected in_dim to satisfy -{n} <= in_dim < {n}.")
        flat_dims[i] = d % n
        sizes.append(arg.shape[flat_dims[i]])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    return sizes[0], flat_dims, flat_args, spec


def _slices(arg, dim, size):
    """The elements of `arg` along `dim`: views of its array, or slices in the graph when it requires grad."""
    if arg.requires_grad and is_grad_enabled():
        return arg.unbind(dim)
    data = arg._data if dim == 0 else backend_of(arg._data).xp.moveaxis(arg._data, dim, 0)
    return [arg._make(data[i, ...]) for i in range(size)]         # [i, ...]: a 0-d array, never a scalar


def _zeros_element(arg, dim, size):
    shape = tuple(arg.shape[:dim]) + tuple(arg.shape[dim + 1:])
    return [arg._make(backend_of(arg._data).xp.zeros(shape, arg._data.dtype))]


def _run(func, columns, flat_args, spec, kwargs, size, randomness):
    """func's output per element, under the randomness asked for (the global generator is what random ops draw
    from: 'error' puts a stand-in that raises in its place, 'same' rewinds it before each element)."""
    state = _random.get_rng_state() if randomness == "same" else None
    saved = _random._generator
    if randomness == "error":
        _random._generator = _NoRandomness()
    outputs = []
    try:
        for i in range(size):
            if state is not None:
                _random.set_rng_state(state)
            element = [a if col is None else col[i] for a, col in zip(flat_args, columns)]
            outputs.append(func(*tree_unflatten(element, spec), **kwargs))
    finally:
        if isinstance(_random._generator, _NoRandomness):
            _random._generator = saved
    return outputs


def _stack_outputs(outputs, out_dims, name, size):
    """The per-element outputs joined: each output leaf stacked along its out_dim (or, for None, the one value)."""
    flat, spec = tree_flatten(outputs[0])
    columns = [[o] for o in flat]
    for out in outputs[1:]:
        leaves, other = tree_flatten(out)
        if other != spec:
            raise RuntimeError(f"vmap({name}, ...): `{name}` returned outputs of different structures for different "
                               f"elements of the batch: {spec} and {other}")
        for col, leaf in zip(columns, leaves):
            col.append(leaf)
    if isinstance(outputs[0], Tensor):
        flat_dims = [out_dims] if isinstance(out_dims, int) or out_dims is None else \
            list(out_dims) if isinstance(out_dims, tuple) and len(out_dims) == 1 else None
    else:
        flat_dims = broadcast_to_and_flatten(out_dims, spec)
    if flat_dims is None:
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
                         f"structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs has "
                         f"structure {spec}.")
    return tree_unflatten([_join(col, d, name, size) for col, d in zip(columns, flat_dims)], spec)


def _join(column, dim, name, size):
    first = column[0]
    if dim is None:
        if any(not _same(first, v) for v in column[1:]):
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
        return first
    if not isinstance(first, Tensor):
        raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(first)}. Did you "
                         "mean to set out_dims= to None for output?")
    n = first.dim() + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    xp = backend_of(first._data).xp
    if size == 0:
        shape = list(first.shape)
        shape.insert(dim % n, 0)
        return first._make(xp.zeros(tuple(shape), first._data.dtype))
    if any(v.requires_grad for v in column) or len({(tuple(v.shape), v.dtype) for v in column}) > 1:
        return stack(column, dim)           # in the graph; its own error for unequal shapes, dtypes promoted
    return first._make(xp.stack([v._data for v in column], axis=dim))


def _same(a, b):
    """Whether two per-element values of an out_dims=None output are one value (the same object, or equal)."""
    if a is b:
        return True
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and bool((a == b).all())
    return not isinstance(a, Tensor) and not isinstance(b, Tensor) and a == b
