"""Higher-level autograd, as ``torch.autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp of a function of
Tensors. Built on ``autograd.grad``; the forward-mode products (jvp, hvp) use the double-vjp trick, as PyTorch does:
a vjp is linear in its grad_outputs u, so differentiating it with respect to u gives the Jacobian-vector product.

Structure rules (PyTorch's): `inputs` is a Tensor or a tuple of Tensors; each result mirrors it (a Tensor for a
Tensor, a tuple for a tuple), and a Jacobian is nested as ``[output][input]``.

Example::

    >>> jacobian(lambda x: x ** 2, tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    >>> vjp(lambda x, y: (x * y).sum(), (tensor([1., 2.]), tensor([3., 4.])))
    (tensor(11.), (tensor([3., 4.]), tensor([1., 2.])))
"""
from .. import backend as _backend
from .op_function import TensorBase as _Tensor
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ---- structure helpers (PyTorch's, with its messages) -----------------------------------------------------------

def _as_tuple(inp, arg_name, fn_name):
    """(whether `inp` was a tuple, `inp` as a tuple), every element checked to be a Tensor."""
    is_tuple = isinstance(inp, tuple)
    inp = inp if is_tuple else (inp,)
    for i, el in enumerate(inp):
        if not isinstance(el, _Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"the {where} has type {type(el)}.")
    return is_tuple, inp


def _tuple_postprocess(res, to_unpack):
    """Unwraps the tuples the caller did not pass: `to_unpack` is one flag, or (outputs' flag, inputs' flag) for a
    nested result."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph, need_graph):
    """Fresh leaves (detached, requiring grad when `need_graph`), or with `create_graph` views of the inputs that
    require grad already (so the results stay differentiable with respect to the caller's own tensors)."""
    return tuple(inp.view_as(inp) if create_graph and inp.requires_grad else
                 inp.detach().requires_grad_(need_graph) for inp in inputs)


def _grad_postprocess(inputs, create_graph):
    if isinstance(inputs[0], _Tensor):
        return inputs if create_graph else tuple(inp.detach() for inp in inputs)
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {i} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but got {el_v.size()}.")


def _check_requires_grad(inputs, input_type, strict):
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode.")
        if inp.requires_grad:
            continue
        if input_type == "hessian":
            raise RuntimeError(f"The hessian of the user-provided function with respect to input {i} is independent "
                               "of the input. This is not allowed in strict mode. You should ensure that your "
                               "function is thrice differentiable and that the hessian depends on the inputs.")
        if input_type == "jacobian":
            raise RuntimeError("While computing the hessian, found that the jacobian of the user-provided function "
                               f"with respect to input {i} is independent of the input. This is not allowed in "
                               "strict mode. You should ensure that your function is twice differentiable and that "
                               "the jacobian depends on the inputs (this would be violated by a linear function for "
                               "example).")
        if input_type == "grad_inputs":
            raise RuntimeError(f"The gradient with respect to input {i} is independent of the inputs of the "
                               "user-provided function. This is not allowed in strict mode.")
        raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The outputs must "
                           "be computed in a differentiable manner from the input when running in strict mode.")


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad (all None when none does), unused inputs giving None."""
    from . import grad
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, gos = zip(*pairs)
    return grad(list(outs), list(inputs), list(gos), retain_graph=retain_graph, create_graph=create_graph,
                allow_unused=True)


_STRICT_NONE = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict "
            "mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in strict "
                  "mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
                   "strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_STRICT_NONE[stage].format(i=i))
            g = _zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode when create_graph=True.")
        res.append(g)
    return tuple(res)


def _zeros_like(t, requires_grad=False):
    return t._make(_backend.backend_of(t._data).xp.zeros_like(t._data), requires_grad)


def _zeros(shape, like):
    return like._make(_backend.backend_of(like._data).xp.zeros(shape, like._data.dtype))


def _v_or_none(v, others, is_others_tuple, create_graph, fn_name, what):
    """The vector of a product, checked against `others`; None only where `others` is one single-element Tensor."""
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, others, is_others_tuple)
        return v
    if len(others) != 1 or others[0].nelement() != 1:
        raise RuntimeError(f"The vector v can only be None if the {what} a single Tensor with a single element.")
    return None


def _single_output(outputs, is_outputs_tuple, fn_name):
    if is_outputs_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


# ---- the products ---------------------------------------------------------------------------------------------

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at `inputs` (v: the outputs' shapes; optional when
    func returns one single-element Tensor). With `create_graph`, both are differentiable; with `strict`, an input
    the outputs do not depend on raises instead of giving zeros.

    Example: ``out, (gx, gy) = vjp(lambda x, y: 2 * x + 3 * y, (x, y), ones(2))``"""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        v = _v_or_none(v, outputs, is_outputs_tuple, create_graph, "vjp", "user-provided function returns")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), is_outputs_tuple),
            _tuple_postprocess(_grad_postprocess(result, create_graph), is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product at `inputs` (v: the inputs' shapes; optional for one
    single-element input), by the double-vjp trick: the vjp ``u -> u^T J`` is linear in u, so its own vjp with v
    is ``J v``.

    Example: ``out, jv = jvp(lambda x: x ** 2, x, ones(3))``"""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _v_or_none(v, inputs, is_inputs_tuple, create_graph, "jvp",
                       "input to the user-provided function is")
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        # the vjp is linear in these: their value never reaches the result (zeros: no inf or nan)
        grad_outputs = tuple(_zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, outputs, strict, create_graph, "back_trick")
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), is_outputs_tuple),
            _tuple_postprocess(_grad_postprocess(result, create_graph), is_outputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of `func` at `inputs`: for output i and input j, a Tensor of shape
    ``output_i.shape + input_j.shape`` (a Tensor for a Tensor, nested tuples ``[i][j]`` for tuples). One backward
    per output element (`vectorize` gives the same result); reverse mode only.

    Example: ``jacobian(lambda x: x.exp().sum(1), rand(2, 3)).shape == (2, 2, 3)``"""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        raise NotImplementedError('jacobian: strategy="forward-mode" is not supported (autograd_lite has reverse '
                                  'mode only); use strategy="reverse-mode"')
    from .. import stack
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize:
            if strict:
                raise RuntimeError("autograd_lite.autograd.functional.jacobian: `strict=True` and `vectorized=True` "
                                   "are not supported together. Please either set `strict=False` or "
                                   "`vectorize=False`.")
            result = _jacobian_all_outputs(outputs, inputs, create_graph)
            return _tuple_postprocess(_grad_postprocess(result, create_graph), (is_outputs_tuple, is_inputs_tuple))
        result = []
        for i, out in enumerate(outputs):
            rows = tuple([] for _ in inputs)
            for j in range(out.nelement()):
                # row j: the backward of output element j, seeded with a one-hot grad_output
                onehot = _backend.backend_of(out._data).xp.zeros(out._data.shape, out._data.dtype)
                onehot.reshape(-1)[j] = 1
                vj = _autograd_grad((out,), inputs, (onehot,), retain_graph=True, create_graph=create_graph)
                for k, (row, g, inp) in enumerate(zip(rows, vj, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                               f"{k}. This is not allowed in strict mode.")
                        g = _zeros_like(inp)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                           "This is not allowed in strict mode when create_graph=True.")
                    row.append(g)
            result.append(tuple(
                stack(row, 0).reshape(tuple(out.shape) + tuple(inp.shape)) if row else
                _zeros(tuple(out.shape) + tuple(inp.shape), inp) for row, inp in zip(rows, inputs)))
        result = _grad_postprocess(tuple(result), create_graph)
        return _tuple_postprocess(result, (is_outputs_tuple, is_inputs_tuple))


def _jacobian_all_outputs(outputs, inputs, create_graph):
    """jacobian's `vectorize` path, as PyTorch's batched one: each row is one backward through all the outputs at
    once (one-hot grad_outputs), so a block is part of the graph where its input's gradient is."""
    from .. import stack
    numels = [o.nelement() for o in outputs]
    rows = tuple([] for _ in inputs)
    for i, out in enumerate(outputs):
        for j in range(numels[i]):
            gos = []
            for k, o in enumerate(outputs):
                seed = _backend.backend_of(o._data).xp.zeros(o._data.shape, o._data.dtype)
                if k == i:
                    seed.reshape(-1)[j] = 1
                gos.append(seed)
            vj = _autograd_grad(outputs, inputs, tuple(gos), retain_graph=True, create_graph=create_graph)
            for row, g in zip(rows, vj):
                row.append(g)
    per_input = []
    for row, inp in zip(rows, inputs):
        if not row or all(g is None for g in row):      # no output depends on it: zeros, outside the graph
            per_input.append([_zeros(tuple(o.shape) + tuple(inp.shape), inp) for o in outputs])
            continue
        full = stack([g if g is not None else _zeros_like(inp) for g in row], 0)
        blocks, start = [], 0
        for o, n in zip(outputs, numels):
            blocks.append(full[start:start + n].reshape(tuple(o.shape) + tuple(inp.shape)))
            start += n
        per_input.append(blocks)
    return tuple(zip(*per_input))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a function with one single-element output: ``inputs[i].shape + inputs[j].shape`` per pair
    (a Tensor for a Tensor input, nested tuples ``[i][j]`` for a tuple); the Jacobian of the gradient.

    Example: ``hessian(lambda x: (x ** 3).sum(), tensor([1., 2.]))`` is ``diag(6 * x)``"""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        _single_output(t_out, is_out_tuple, "hessian")
        return out.squeeze()

    def jac_func(*inp):
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _gradient_of(func, inputs, v, create_graph, strict, op):
    """vhp's and hvp's start: the inputs and v checked, func's single-element output, and its gradient with a graph:
    (is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, gradient)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", op)
    inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
    v = _v_or_none(v, inputs, is_inputs_tuple, create_graph, op, "input to the user-provided function is")
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", op)
    _check_requires_grad(outputs, "outputs", strict=strict)
    _single_output(outputs, is_outputs_tuple, op)
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict=strict)
    return is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)``: the vector-Hessian product of a function with one single-element output (the
    gradient of ``grad . v``; equal to hvp for a twice continuously differentiable function).

    Example: ``out, vh = vhp(lambda x: (x ** 3).sum(), x, ones(3))``"""
    with enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _gradient_of(func, inputs, v, create_graph,
                                                                                  strict, "vhp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), is_outputs_tuple),
            _tuple_postprocess(_grad_postprocess(result, create_graph), is_inputs_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)``: the Hessian-vector product of a function with one single-element output, by the
    double-vjp trick on the gradient (as PyTorch's; vhp is cheaper and equal for smooth functions).

    Example: ``out, hv = hvp(lambda x: (x ** 3).sum(), x, ones(3))``"""
    with enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _gradient_of(func, inputs, v, create_graph,
                                                                                  strict, "hvp")
        grad_jac = tuple(_zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), is_outputs_tuple),
            _tuple_postprocess(_grad_postprocess(result, create_graph), is_inputs_tuple))
