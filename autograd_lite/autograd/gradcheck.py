"""Finite-difference checks in float64 (independent of any reference library): gradcheck compares the backward pass
with central differences of the function; gradgradcheck does the same for the first derivatives themselves (taken
with create_graph=True), so it checks the backward formulas' own derivatives (double backward).

Complex inputs and outputs count as pairs of real numbers (real part, imaginary part), as PyTorch's gradcheck: an
input is perturbed along both, and PyTorch's conjugate Wirtinger gradient ``dL/da + i dL/db`` gives the two rows."""
import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "numerical_jacobian", "analytical_jacobian"]


def _outputs(fn, inputs):
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _float_outputs(fn, inputs):
    return [o for o in _outputs(fn, inputs) if o._data.dtype.kind in "fc"]


def _real_size(t):
    """How many real numbers t holds (a complex element is two)."""
    return t.numel() * (2 if t._data.dtype.kind == "c" else 1)


def _as_reals(a):
    """A host array as float64 reals, a complex element as (real, imaginary)."""
    a = np.asarray(a)
    return (np.stack([a.real, a.imag], -1) if a.dtype.kind == "c" else a).astype(np.float64).reshape(-1)


def numerical_jacobian(fn, inputs, eps=1e-6):
    """J[i][j]: d(flattened output j) / d(flattened input i), by central differences (None for an input that does
    not require grad). Each element is perturbed in place, through its index: any layout, any device."""
    from ..autograd import no_grad
    jac = []
    with no_grad():
        n_out = sum(_real_size(o) for o in _float_outputs(fn, inputs))
        for x in inputs:
            if not getattr(x, "requires_grad", False):
                jac.append(None)
                continue
            data = x._data
            steps = (eps, eps * 1j) if data.dtype.kind == "c" else (eps,)     # a complex element: both parts
            J = np.zeros((data.size * len(steps), n_out))
            for k in range(data.size):
                idx = np.unravel_index(k, data.shape)
                orig = data[idx].copy()
                for s, step in enumerate(steps):
                    data[idx] = orig + step
                    plus = _flat_outputs(fn, inputs)
                    data[idx] = orig - step
                    minus = _flat_outputs(fn, inputs)
                    data[idx] = orig
                    J[k * len(steps) + s] = (plus - minus) / (2 * eps)
            jac.append(J)
    return jac


def _flat_outputs(fn, inputs):
    outs = _float_outputs(fn, inputs)
    if not outs:
        return np.zeros(0)
    return np.concatenate([_as_reals(o._host()) for o in outs])


def analytical_jacobian(fn, inputs):
    """The same Jacobian from the backward pass, one output element at a time."""
    from . import grad
    outs = _float_outputs(fn, inputs)
    diff_inputs = [x for x in inputs if getattr(x, "requires_grad", False)]
    n_out = sum(_real_size(o) for o in outs)
    jac = [np.zeros((_real_size(x), n_out)) if getattr(x, "requires_grad", False) else None
           for x in inputs]
    col = 0
    for o in outs:
        if not o.requires_grad:
            col += _real_size(o)
            continue
        xp = _xp(o)
        seeds = (1, 1j) if o._data.dtype.kind == "c" else (1,)     # the real part's column, then the imaginary's
        for j in range(o.numel()):
            for seed in seeds:
                go = xp.zeros(o.shape, dtype=o._data.dtype)
                go.reshape(-1)[j] = seed
                gs = grad([o], diff_inputs, [go], retain_graph=True, allow_unused=True)
                it = iter(gs)
                for i, x in enumerate(inputs):
                    if jac[i] is not None:
                        g = next(it)
                        if g is not None:
                            jac[i][:, col] = _as_reals(g._host())
                col += 1
    return jac


def _xp(t):
    from .. import backend
    return backend.backend_of(t._data).xp


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _compare(fn, inputs, eps, atol, rtol, raise_exception, describe):
    """Numerical against analytical Jacobian, block by block (output k, input i); the first mismatch raises (or
    returns False) with the message `describe(k, i)` names."""
    numerical = numerical_jacobian(fn, inputs, eps)
    analytical = analytical_jacobian(fn, inputs)
    sizes = [_real_size(o) for o in _float_outputs(fn, inputs)]
    bounds = np.cumsum([0] + sizes)
    for i, (n, a) in enumerate(zip(numerical, analytical)):
        if n is None:
            continue
        for k in range(len(sizes)):
            nb, ab = n[:, bounds[k]:bounds[k + 1]], a[:, bounds[k]:bounds[k + 1]]
            if np.allclose(ab, nb, rtol=rtol, atol=atol):
                continue
            diff = np.max(np.abs(ab - nb))
            msg = (f"{describe(k, i)}: max difference {diff:.3g} (atol={atol}, rtol={rtol}).\n"
                   f"numerical:\n{nb}\nanalytical:\n{ab}")
            if raise_exception:
                raise RuntimeError(msg)
            return False
    return True


def _warn_not_double(name, inputs, what="input"):
    for i, x in enumerate(inputs):
        if getattr(x, "requires_grad", False) and x.dtype.name not in ("float64", "complex128"):
            import warnings
            warnings.warn(f"{name}: {what} {i} is {x.dtype.name}, not float64: the finite differences will be "
                          "imprecise")


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compares the backward pass of `fn` with central finite differences.

    `inputs`: a Tensor or a tuple of Tensors; those that require grad are checked and should be
    float64 (or complex128: its real and imaginary parts are checked). Returns True, or raises (or returns False
    with ``raise_exception=False``).

    Example: ``gradcheck(lambda x: (x * x).sum(), (randn(3, dtype=float64, requires_grad=True),))``
    """
    inputs = _as_tuple(inputs)
    _warn_not_double("gradcheck", inputs)
    return _compare(fn, inputs, eps, atol, rtol, raise_exception,
                    lambda k, i: f"gradcheck: Jacobian mismatch for output {k} with respect to input {i}")


def gradgradcheck(fn, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True):
    """Checks the second derivatives of `fn`: the first derivatives ``autograd.grad(fn(*inputs), inputs,
    grad_outputs, create_graph=True)``, as functions of the inputs and of `grad_outputs`, are compared with central
    finite differences of themselves (as PyTorch's gradgradcheck). `grad_outputs`: one Tensor per output that
    requires grad, random in [-1, 1) when None. Returns True, or raises a RuntimeError naming the first derivative
    and the input (or grad_output) whose derivative is wrong (or returns False with ``raise_exception=False``).

    Example: ``gradgradcheck(lambda x: x.sin() * x, (randn(3, dtype=float64, requires_grad=True),))``
    """
    from . import grad
    from .grad_mode import enable_grad
    inputs = _as_tuple(inputs)
    _warn_not_double("gradgradcheck", inputs)
    if grad_outputs is None:
        with enable_grad():
            outs = [o for o in _outputs(fn, inputs) if o.requires_grad]
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_random_like(o, rng, gen_non_contig_grad_outputs) for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
        _warn_not_double("gradgradcheck", grad_outputs, "grad_output")
    n_in, n_go = len(inputs), len(grad_outputs)
    diff = [i for i, x in enumerate(inputs) if getattr(x, "requires_grad", False)]
    if not diff:
        raise ValueError("gradgradcheck expects at least one input tensor to require gradient, but none of the "
                         "them have requires_grad=True.")

    def first_derivatives(*args):
        xs, gos = args[:n_in], args[n_in:]
        with enable_grad():
            outs = [o for o in _outputs(fn, xs) if o.requires_grad]
            if len(outs) != n_go:
                raise RuntimeError(f"gradgradcheck: {n_go} grad_outputs given for {len(outs)} outputs that require "
                                   "grad")
            gs = grad(outs, [xs[i] for i in diff], list(gos), create_graph=True, allow_unused=True)
        # an unused input's derivative is zeros (the outputs keep one place each)
        return tuple(g if g is not None else xs[i]._make(_xp(xs[i]).zeros_like(xs[i]._data))
                     for g, i in zip(gs, diff))

    def name(i):
        return f"input {i}" if i < n_in else f"grad_outputs[{i - n_in}]"

    return _compare(first_derivatives, inputs + grad_outputs, eps, atol, rtol, raise_exception,
                    lambda k, i: f"gradgradcheck: second derivative mismatch: the gradient with respect to input "
                                 f"{diff[k]}, differentiated with respect to {name(i)}")


def _random_like(t, rng, noncontiguous):
    """A leaf of t's shape, dtype (float64 for an integer output) and device, uniform in [-1, 1), requiring grad;
    with `noncontiguous`, every other element of a wider array."""
    dtype = t._data.dtype if t._data.dtype.kind in "fc" else np.dtype(np.float64)
    shape, xp = tuple(t.shape), _xp(t)
    values = rng.uniform(-1, 1, shape) + (1j * rng.uniform(-1, 1, shape) if dtype.kind == "c" else 0)
    data = xp.asarray(values.astype(dtype))
    if noncontiguous and shape:
        wide = xp.zeros(shape[:-1] + (2 * shape[-1],), dtype)
        wide[..., ::2] = data
        data = wide[..., ::2]
    return t._make(data, True)
