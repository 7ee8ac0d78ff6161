"""Argument helpers every layer above the tensor needs: sizes given as varargs or a sequence, and dims that may be
negative, checked with PyTorch's errors."""
import numpy as np


def canon_dim(dim, ndim, op):
    """A dim in [0, ndim), from a possibly negative one; PyTorch's IndexError otherwise."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def canon_dims(dim, ndim, op):
    """None -> None (all dims); an int or a sequence -> a sorted tuple of non-negative dims."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = tuple(sorted({canon_dim(int(d), ndim, op) for d in dims}))
    if len(out) != len(dims):
        raise RuntimeError(f"{op}: dim {tuple(dims)} appears multiple times in the list of dims")
    return out if ndim else None


def shape_arg(args, op="shape"):
    """Sizes given as varargs or as one sequence: f(2, 3) or f((2, 3))."""
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        args = tuple(args[0])
    try:
        return tuple(int(s) for s in args)
    except TypeError:
        raise TypeError(f"{op}: sizes must be integers, got {args!r}") from None


def contiguous_strides(shape):
    """The strides (in elements) of a C-contiguous tensor of `shape`, size-0 dims counted as 1, as PyTorch's.

    Example: ``contiguous_strides((2, 0, 3))`` is (3, 3, 1)."""
    strides, step = [], 1
    for n in reversed(tuple(shape)):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))
