"""Finite-difference gradient check in float64 (independent of any reference library)."""
import numpy as np

__all__ = ["gradcheck", "numerical_jacobian", "analytical_jacobian"]


def _outputs(fn, inputs):
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def numerical_jacobian(fn, inputs, eps=1e-6):
    """J[i][j]: d(flattened output j) / d(flattened input i), by central differences."""
    from ..autograd import no_grad
    jac = []
    with no_grad():
        outs = _outputs(fn, inputs)
        n_out = sum(o.numel() for o in outs if o.is_floating_point())
        for x in inputs:
            if not getattr(x, "requires_grad", False):
                jac.append(None)
                continue
            flat = x._data.reshape(-1)           # a view: writes change x in place
            J = np.zeros((flat.size, n_out))
            for k in range(flat.size):
                orig = flat[k]
                flat[k] = orig + eps
                plus = _flat_outputs(fn, inputs)
                flat[k] = orig - eps
                minus = _flat_outputs(fn, inputs)
                flat[k] = orig
                J[k] = (plus - minus) / (2 * eps)
            jac.append(J)
    return jac


def _flat_outputs(fn, inputs):
    outs = [o for o in _outputs(fn, inputs) if o.is_floating_point()]
    if not outs:
        return np.zeros(0)
    return np.concatenate([np.asarray(o._host(), dtype=np.float64).reshape(-1) for o in outs])


def analytical_jacobian(fn, inputs):
    """The same Jacobian from the backward pass, one output element at a time."""
    from . import grad
    outs = [o for o in _outputs(fn, inputs) if o.is_floating_point()]
    diff_inputs = [x for x in inputs if getattr(x, "requires_grad", False)]
    n_out = sum(o.numel() for o in outs)
    jac = [np.zeros((x.numel(), n_out)) if getattr(x, "requires_grad", False) else None
           for x in inputs]
    col = 0
    for o in outs:
        if not o.requires_grad:
            col += o.numel()
            continue
        for j in range(o.numel()):
            go = np.zeros(o.shape, dtype=o._data.dtype)
            go.reshape(-1)[j] = 1
            gs = grad([o], diff_inputs, [go], retain_graph=True, allow_unused=True)
            it = iter(gs)
            for i, x in enumerate(inputs):
                if jac[i] is not None:
                    g = next(it)
                    if g is not None:
                        jac[i][:, col] = np.asarray(g._host(), dtype=np.float64).reshape(-1)
            col += 1
    return jac


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compares the backward pass of `fn` with central finite differences.

    `inputs`: a Tensor or a tuple of Tensors; those that require grad are checked and should be
    float64. Returns True, or raises (or returns False with ``raise_exception=False``).

    Example: ``gradcheck(lambda x: (x * x).sum(), (randn(3, dtype=float64, requires_grad=True),))``
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    for i, x in enumerate(inputs):
        if getattr(x, "requires_grad", False) and x.dtype.name != "float64":
            import warnings
            warnings.warn(f"gradcheck: input {i} is {x.dtype.name}, not float64: the finite "
                          "differences will be imprecise")
    numerical = numerical_jacobian(fn, inputs, eps)
    analytical = analytical_jacobian(fn, inputs)
    for i, (n, a) in enumerate(zip(numerical, analytical)):
        if n is None:
            continue
        if not np.allclose(a, n, rtol=rtol, atol=atol):
            diff = np.max(np.abs(a - n))
            msg = (f"gradcheck: Jacobian mismatch for output 0 with respect to input {i}: max "
                   f"difference {diff:.3g} (atol={atol}, rtol={rtol}).\nnumerical:\n{n}\n"
                   f"analytical:\n{a}")
            if raise_exception:
                raise RuntimeError(msg)
            return False
    return True
