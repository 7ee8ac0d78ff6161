"""torch.func's forward-mode transforms, jvp and linearize, on reverse mode: the double-vjp trick of
autograd.forward_ad (``J t`` is the gradient of ``<u^T J, t>`` with respect to a dummy cotangent u). They nest with
the reverse-mode transforms: ``jvp(grad(f), (x,), (v,))`` is a Hessian-vector product."""
from ..autograd.forward_ad import jvp_from, vjp_graph
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from ._pytree import tree_flatten, tree_unflatten
from ._transforms import _Level, _depth, _differentiable

__all__ = ["jvp", "linearize"]

_JVP = "jvp(f, primals, tangents)"


def _check_tensors(leaves, what):
    if not leaves:
        raise RuntimeError(f"{_JVP}: Expected {what} to contain at least one Tensor.")
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"{_JVP}: Expected {what} to only contain Tensors, got {type(leaf)}")
        if not (leaf.is_floating_point() or leaf.is_complex()):
            raise ValueError(f"Expected {what[:-1]} to be floating point or complex, but got: {leaf.dtype}")


def _check_outputs(leaves):
    if len(leaves) < 1 or len(leaves) == 1 and leaves[0] is None:
        raise RuntimeError(f"{_JVP}: Expected f to be a function that has non-empty output (got output = {leaves})")
    for o in leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{_JVP}: expected f(*primals) to return only tensors, got unsupported type {type(o)}")


def _trace(func, flat_primals, spec, outer_inputs, has_aux=False):
    """func at the primals made this level's variables: (variables, flat outputs, output spec, aux, outer) where
    outer says whether an enclosing transform or the caller differentiates the results."""
    outer = _depth() > 1 or any(t.requires_grad for t in outer_inputs)
    variables = [_differentiable(p) for p in flat_primals]
    out = func(*tree_unflatten(variables, spec))
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise RuntimeError(f"{_JVP}: output of function f should be a tuple: (output, aux) if has_aux is True")
        out, aux = out
    flat_out, out_spec = tree_flatten(out)
    return variables, flat_out, out_spec, aux, outer


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)``: the output and the Jacobian-vector product along `tangents` (a pytree of
    the primals' structure). Computed in reverse mode by the double-vjp trick (two backward passes).

    Example::

        >>> from autograd_lite.func import jvp
        >>> x = autograd_lite.tensor([0., 1.])
        >>> jvp(autograd_lite.sin, (x,), (autograd_lite.ones(2),))
        (tensor([0.0000, 0.8415]), tensor([1.0000, 0.5403]))
    """
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    flat_primals, spec = tree_flatten(primals)
    flat_tangents, tangents_spec = tree_flatten(tangents)
    if spec != tangents_spec:
        raise RuntimeError(f"{_JVP}: Expected primals and tangents to have the same python structure. For example, "
                           f"if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
                           f"{spec} and tangents with structure {tangents_spec}")
    _check_tensors(flat_primals, "primals")
    _check_tensors(flat_tangents, "tangents")
    _check_shapes(flat_primals, flat_tangents)
    with _Level(), enable_grad():
        variables, flat_out, out_spec, aux, outer = _trace(func, flat_primals, spec, flat_primals + flat_tangents,
                                                           has_aux)
        _check_outputs(flat_out)
        us, vs = vjp_graph(flat_out, variables)
        jts = jvp_from(flat_out, us, vs, flat_tangents, create_graph=outer, retain_graph=outer)
    result = []
    for o, jt in zip(flat_out, jts):
        if jt is None:
            if strict:
                raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is independent of the "
                                   "inputs. This is not allowed with strict=True.")
            jt = o.detach().new_zeros(o.shape)
        result.append(jt)
    if not outer:
        flat_out = [o.detach() for o in flat_out]
    out = (tree_unflatten(flat_out, out_spec), tree_unflatten(result, out_spec))
    return out + (aux,) if has_aux else out


def _check_shapes(flat_primals, flat_tangents):
    for p, t in zip(flat_primals, flat_tangents):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                               f"Tensor, this is not supported. Tensor is of size {list(p.shape)} while the given "
                               f"forward gradient is of size {list(t.shape)}.")


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the Jacobian-vector product at `primals`; func runs
    once, each jvp_fn call is one backward pass (the graph of ``u -> u^T J`` is kept for it).

    Example::

        >>> from autograd_lite.func import linearize
        >>> output, jvp_fn = linearize(lambda x: x.sin(), autograd_lite.zeros(3))
        >>> jvp_fn(autograd_lite.ones(3))
        tensor([1., 1., 1.])
    """
    flat_primals, spec = tree_flatten(primals)
    _check_tensors(flat_primals, "primals")
    with _Level(), enable_grad():
        variables, flat_out, out_spec, _, outer = _trace(func, flat_primals, spec, flat_primals)
        _check_outputs(flat_out)
        us, vs = vjp_graph(flat_out, variables)
    shapes = [(p.shape, p.device, p.dtype) for p in flat_primals]

    def jvp_fn(*tangents):
        flat_tangents, tangents_spec = tree_flatten(tangents)
        if tangents_spec != spec:
            raise RuntimeError(f"Expected the tangents {tangents_spec} to have the same argspec as the primals {spec}")
        for i, (t, ref) in enumerate(zip(flat_tangents, shapes)):
            for what, got, want in zip(("shape", "device", "dtype"), (t.shape, t.device, t.dtype), ref):
                if got != want:
                    raise RuntimeError(f"tangent:{i} with {what} {got} in flattened pytree doesn't match the {what} "
                                       f"{want} of the corresponding primal.")
        create = outer or _depth() > 0 or any(t.requires_grad for t in flat_tangents)
        with enable_grad():
            jts = jvp_from(flat_out, us, vs, flat_tangents, create_graph=create, retain_graph=True)
        return tree_unflatten([o.detach().new_zeros(o.shape) if jt is None else jt for o, jt in zip(flat_out, jts)],
                              out_spec)

    output = tree_unflatten(flat_out if outer else [o.detach() for o in flat_out], out_spec)
    return output, jvp_fn
