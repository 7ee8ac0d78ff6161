"""torch.func's function transforms on reverse-mode autograd: grad, grad_and_value, vjp, jacrev, jacfwd (computed
in reverse mode: the same values) and hessian. They nest (grad(grad(f))): inside another transform, or when an
input already requires grad, the gradients are built with create_graph, so the outer level differentiates them."""
import functools
import threading

from ..autograd import grad as _autograd_grad
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from ._pytree import tree_flatten, tree_unflatten

_state = threading.local()


def _depth():
    return getattr(_state, "depth", 0)


class _Level:
    def __enter__(self):
        _state.depth = _depth() + 1

    def __exit__(self, *exc):
        _state.depth -= 1


# ---- pytrees of Tensors (a Tensor, tuples / lists / dicts / namedtuples of them) ------------------------------------
def _flatten(tree):
    leaves, spec = tree_flatten(tree)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(leaf)}")
    return leaves, spec


_unflatten = tree_unflatten


def _differentiable(t):
    """t as this level's variable: a view of it when it already requires grad (an outer level sees through; a
    tensor passed twice gives two variables), else a detached copy that requires grad."""
    if not t.is_floating_point():
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    return t.view_as(t) if t.requires_grad else t.detach().requires_grad_()


def _prepare(args, argnums):
    """(args with the argnums entries made differentiable, their leaves, the spec to rebuild them)."""
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for n in nums:
        if not -len(args) <= n < len(args):
            raise RuntimeError(f"Got argnum={n}, but only {len(args)} positional inputs")
    args = list(args)
    chosen = []
    for n in nums:
        leaves, spec = _flatten(args[n])
        leaves = [_differentiable(t) for t in leaves]
        args[n] = _unflatten(leaves, spec)
        chosen.append(args[n])
    tree = chosen[0] if single else tuple(chosen)
    leaves, spec = _flatten(tree)
    return tuple(args), leaves, spec


def _grads(outputs, leaves, grad_outputs, create_graph):
    gs = _autograd_grad(outputs, leaves, grad_outputs, retain_graph=True, create_graph=create_graph,
                        allow_unused=True)
    out = []
    for g, x in zip(gs, leaves):
        if g is None:
            from ..creation import zeros_like
            g = zeros_like(x)
        out.append(g if create_graph else g.detach())
    return out


def grad_and_value(func, argnums=0, has_aux=False):
    """Like ``grad``, returning ``(gradient, value)`` (``(gradient, (value, aux))`` with has_aux)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _Level(), enable_grad():
            outer = _depth() > 1 or any(isinstance(t, Tensor) and t.requires_grad for t in _flatten_quiet(args))
            args, leaves, spec = _prepare(args, argnums)
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be a tuple: (output, "
                                       "aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}")
            if out.ndim != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
                                   f"with {out.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
            g = _unflatten(_grads([out], leaves, None, outer), spec)
            value = out if outer else out.detach()
            return (g, (value, aux)) if has_aux else (g, value)
    return wrapper


def _flatten_quiet(args):
    leaves = []
    for a in args:
        try:
            leaves += _flatten(a)[0]
        except ValueError:
            pass
    return leaves


def grad(func, argnums=0, has_aux=False):
    """The function that returns the gradient of scalar-valued `func` with respect to its `argnums` argument(s).

    Example::

        >>> from autograd_lite.func import grad
        >>> grad(lambda x: (x ** 3).sum())(autograd_lite.tensor([1., 2.]))
        tensor([ 3., 12.])
        >>> grad(grad(lambda x: x.sin()))(autograd_lite.tensor(0.))      # nested: -sin(0)
        tensor(-0.)
    """
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, rest = inner(*args, **kwargs)
        return (g, rest[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` returns the vector-Jacobian products, one per primal
    (``(output, vjp_fn, aux)`` with has_aux).

    Example::

        >>> out, vjp_fn = vjp(lambda x: x * 2, autograd_lite.ones(2))
        >>> vjp_fn(autograd_lite.ones(2))
        (tensor([2., 2.]),)
    """
    _state.depth = _depth() + 1
    try:
        with enable_grad():
            outer = _depth() > 1 or any(t.requires_grad for t in _flatten_quiet(primals))
            args, leaves, spec = _prepare(primals, tuple(range(len(primals))))
            out = func(*args)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: (output, aux) if "
                                       "has_aux is True")
                out, aux = out
            out_leaves, out_spec = _flatten(out)
    finally:
        _state.depth -= 1

    def vjp_fn(cotangents):
        cot_leaves, _ = _flatten(cotangents)
        if len(cot_leaves) != len(out_leaves):
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function: {len(cot_leaves)} leaves against {len(out_leaves)}")
        with enable_grad():
            return tuple(_unflatten(_grads(out_leaves, leaves, cot_leaves, outer or _depth() > 0), spec))

    value = out if outer else _unflatten([t.detach() for t in out_leaves], out_spec)
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The function that returns the Jacobian of `func` with respect to its `argnums` argument(s): shape
    ``output.shape + input.shape`` (one reverse pass per output element).

    Example::

        >>> jacrev(lambda x: x.sin())(autograd_lite.zeros(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from ..ops.shape import stack
        with _Level(), enable_grad():
            outer = _depth() > 1 or any(t.requires_grad for t in _flatten_quiet(args))
            args, leaves, spec = _prepare(args, argnums)
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("jacrev(f, ...)(*args): output of function f should be a tuple: (output, aux) "
                                       "if has_aux is True")
                out, aux = out
            out_leaves, out_spec = _flatten(out)
            jacobians = []
            for o in out_leaves:
                flat = o.reshape(-1)
                rows = [_grads([flat[i]], leaves, None, outer) for i in range(flat.shape[0])]
                per_input = []
                for j, x in enumerate(leaves):
                    if rows:
                        jac = stack([r[j] for r in rows]).reshape(*o.shape, *x.shape)
                    else:
                        from ..creation import zeros
                        jac = zeros(*o.shape, *x.shape, dtype=x.dtype, device=x.device)
                    per_input.append(jac)
                jacobians.append(_unflatten(per_input, spec))
            result = _unflatten(jacobians, out_spec)
            return (result, aux) if has_aux else result
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of `func` as torch.func.jacfwd returns it (computed here in reverse mode: the same values)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The Hessian of scalar-valued `func` with respect to its `argnums` argument(s): ``jacfwd(jacrev(func))``.

    Example::

        >>> hessian(lambda x: (x ** 3).sum())(autograd_lite.tensor([1., 2.]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


def functionalize(func, *, remove="mutations"):
    """torch.func.functionalize: `func` with its mutations replaced by out-of-place ops, for graph capture. Eager
    execution has nothing to capture, and the observable results (outputs, mutated inputs) are func's own, so the
    returned function runs func as it is.

    Example: ``functionalize(f)(x)`` equals ``f(x)``."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}. "
                           "Valid options are:\n     remove='mutations': all inplace and out= operators will be "
                           "removed from the program, and replaced with their out-of-place equivalents.\n     "
                           "remove='mutations_and_views': In addition to the above, all aliasing operators {view} "
                           "will be replaced with their non-aliasing counterparts, {view}_copy.\n")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)
    return wrapper
