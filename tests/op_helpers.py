"""One helper to test an op against PyTorch, forward and backward.

``fn(lib, *tensors)`` is written once and run with ``lib=torch`` and ``lib=autograd_lite``::

    check_op(lambda lib, x, y: lib.maximum(x, y), [(3, 4), (4,)])
    check_op(lambda lib, x: x.sum(dim=1, keepdim=True), [(3, 4)])

Inputs are drawn from a seeded NumPy generator. Float inputs are pairwise distinct across all inputs
and at least ``min_abs`` away from zero, so ops with kinks (abs, relu, clamp, max, maximum, topk)
are never evaluated at a kink or a tie. torch is imported lazily: ``random_inputs`` and
``dtype_name`` also serve tests that do not need torch.
"""

import importlib

import numpy as np

FLOAT_DTYPES = ("float16", "float32", "float64")

_TOLERANCE = {  # dtype -> (rtol, atol)
    "float32": (1e-4, 1e-5),
    "float64": (1e-9, 1e-10),
}


def dtype_name(dtype):
    """'torch.float32', 'autograd_lite.float32', np.float32 -> 'float32'."""
    if isinstance(dtype, np.dtype) or (isinstance(dtype, type) and issubclass(dtype, np.generic)):
        return np.dtype(dtype).name
    return str(dtype).split(".")[-1]


def functional(lib):
    """lib.nn.functional for torch or autograd_lite (whether or not lib imported its nn)."""
    return importlib.import_module(lib.__name__ + ".nn.functional")


def random_inputs(shapes, dtypes="float32", *, low=-2.0, high=2.0, positive=False, min_abs=0.1,
                  seed=0):
    """NumPy arrays of the given shapes and dtypes (a name, or one name per shape).

    Floats: uniform on a grid in [low, high] (or [max(low, 0.5), high] when positive), pairwise
    distinct over all float inputs together, |x| >= min_abs, never on a multiple of 0.05 (so never
    exactly on a clamp bound or a kink). Ints: uniform in [low, high], zero replaced by 1 (safe
    divisors). Bools: fair coin.
    """
    shapes = [tuple(s) for s in shapes]
    dtypes = [dtypes] * len(shapes) if isinstance(dtypes, str) else list(dtypes)
    assert len(dtypes) == len(shapes), (shapes, dtypes)
    rng = np.random.default_rng(seed)
    if positive:
        low = max(low, 0.5)
    n_float = sum(int(np.prod(s)) for s, d in zip(shapes, dtypes) if d in FLOAT_DTYPES)
    m = max(2000, 20 * n_float)
    step = (high - low) / m
    grid = low + (np.arange(m) + 0.37) * step
    grid = grid[np.abs(grid) >= min_abs]
    assert grid.size >= n_float, "value range too small for distinct inputs"
    pool = iter(rng.choice(grid, size=n_float, replace=False))
    arrays = []
    for shape, dt in zip(shapes, dtypes):
        size = int(np.prod(shape))
        if dt in FLOAT_DTYPES:
            a = np.array([next(pool) for _ in range(size)], dtype=np.float64)
        elif dt == "bool":
            a = rng.random(size) < 0.5
        else:
            a = rng.integers(int(np.floor(low)), int(np.ceil(high)) + 1, size=size)
            a[a == 0] = 1
        arrays.append(a.reshape(shape).astype(dt))
    return arrays


def _np(t):
    return t.detach().cpu().numpy(force=True)      # force: torch's ZeroTensor (an undefined second derivative)


def _parts(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


class _OnDevice:
    """autograd_lite whose tensor() makes tensors on `device` (for the tensors an op case builds itself)."""

    def __init__(self, lib, device):
        self._lib, self._device = lib, device
        self.__name__ = lib.__name__

    def tensor(self, data, **kwargs):
        kwargs.setdefault("device", self._device)
        return self._lib.tensor(data, **kwargs)

    def __getattr__(self, name):
        return getattr(self._lib, name)


def _compare(ours, ref, what, rtol, atol):
    ref_dtype = dtype_name(ref.dtype)
    assert dtype_name(ours.dtype) == ref_dtype, (
        f"{what}: dtype {dtype_name(ours.dtype)}, expected {ref_dtype}")
    assert tuple(ours.shape) == tuple(ref.shape), (
        f"{what}: shape {tuple(ours.shape)}, expected {tuple(ref.shape)}")
    a, b = _np(ours), _np(ref)
    assert a.shape == b.shape, f"{what}: numpy() shape {a.shape}, expected {b.shape}"
    if ref_dtype in _TOLERANCE:
        tol_r, tol_a = _TOLERANCE[ref_dtype]
        np.testing.assert_allclose(a, b, rtol=rtol or tol_r, atol=atol or tol_a, err_msg=what)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


def check_op(fn, shapes, *, low=-2.0, high=2.0, dtype="float32", grad=True, positive=False,
             min_abs=0.1, atol=None, rtol=None, seed=0, device="cpu", second=True):
    """Run fn(lib, *inputs) in torch and autograd_lite; compare outputs and input gradients, first and second.

    dtype: one dtype name for every input, or one per input ('int64', 'bool' inputs never require
    grad). Outputs (each part of a tuple output) are compared in value, shape and dtype; then,
    when grad and torch's (first differentiable) output requires grad, both libraries run
    ``(out * w).sum().backward()`` with the same random w and every input's .grad is compared;
    then, with `second`, check_second_order compares the derivatives of those gradients (float64).
    device: where autograd_lite's inputs live (outputs and gradients must come out there too).
    """
    import torch
    import autograd_lite as al

    arrays = random_inputs(shapes, dtype, low=low, high=high, positive=positive,
                           min_abs=min_abs, seed=seed)
    diff = [dtype_name(a.dtype) in FLOAT_DTYPES for a in arrays]
    t_in = [torch.tensor(a, requires_grad=d) for a, d in zip(arrays, diff)]
    a_in = [al.tensor(a, requires_grad=d, device=device) for a, d in zip(arrays, diff)]

    t_parts = _parts(fn(torch, *t_in))
    a_out = fn(al if device == "cpu" else _OnDevice(al, device), *a_in)
    if len(t_parts) > 1 or isinstance(t_parts[0], (tuple, list)):
        assert isinstance(a_out, (tuple, list)), (
            f"expected a tuple of {len(t_parts)} tensors, got {type(a_out).__name__}")
    a_parts = _parts(a_out)
    assert len(a_parts) == len(t_parts), f"{len(a_parts)} outputs, expected {len(t_parts)}"
    for i, (a, t) in enumerate(zip(a_parts, t_parts)):
        assert a.device == al.device(device), f"output {i} on {a.device}, expected {device}"
        _compare(a, t, f"output {i}", rtol, atol)

    k = next((i for i, t in enumerate(t_parts) if t.requires_grad), None)
    if not grad or k is None:
        return
    assert a_parts[k].requires_grad, f"output {k} should require grad"
    w = random_inputs([tuple(t_parts[k].shape)], dtype_name(t_parts[k].dtype), seed=seed + 1)[0]
    (t_parts[k] * torch.tensor(w)).sum().backward()
    (a_parts[k] * al.tensor(w, device=device)).sum().backward()
    for i, (a, t) in enumerate(zip(a_in, t_in)):
        if t.grad is None:
            assert a.grad is None or not np.any(_np(a.grad)), f"input {i}: unexpected grad"
            continue
        assert a.grad is not None, f"input {i}: grad is None"
        assert a.grad.device == a.device, f"grad of input {i} on {a.grad.device}, expected {a.device}"
        _compare(a.grad, t.grad, f"grad of input {i}", rtol, atol)
    if second:
        check_second_order(fn, shapes, low=low, high=high, dtype=dtype, positive=positive, min_abs=min_abs,
                           seed=seed, device=device)


def check_second_order(fn, shapes, *, low=-2.0, high=2.0, dtype="float32", positive=False, min_abs=0.1, seed=0,
                       device="cpu", tol=1e-8):
    """In float64: the gradients of ``(out * w).sum()`` taken with create_graph=True (the backward formulas run
    as Tensor ops), then the gradients of ``sum(grad_i * v_i)``, against torch's, to `tol`. A gradient torch
    leaves undefined (no path) counts as zeros."""
    import torch
    import autograd_lite as al

    dtypes = [dtype] * len(shapes) if isinstance(dtype, str) else list(dtype)
    dtypes = ["float64" if d in FLOAT_DTYPES else d for d in dtypes]
    arrays = random_inputs(shapes, dtypes, low=low, high=high, positive=positive, min_abs=min_abs, seed=seed)
    diff = [dtype_name(a.dtype) in FLOAT_DTYPES for a in arrays]
    if not any(diff):
        return
    results = {}
    for lib in (torch, al):
        inputs = [lib.tensor(a, requires_grad=d) if lib is torch else al.tensor(a, requires_grad=d, device=device)
                  for a, d in zip(arrays, diff)]
        parts = _parts(fn(lib if lib is torch or device == "cpu" else _OnDevice(al, device), *inputs))
        k = next((i for i, t in enumerate(parts) if t.requires_grad), None)
        if k is None:
            return
        w, = random_inputs([tuple(parts[k].shape)], "float64", seed=seed + 1)
        loss = (parts[k] * _const(lib, w, device)).sum()
        leaves = [x for x, d in zip(inputs, diff) if d]
        firsts = lib.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)
        vs = random_inputs([tuple(x.shape) for x in leaves], "float64", seed=seed + 2)
        terms = [(g * _const(lib, v, device)).sum() for g, v in zip(firsts, vs) if g is not None and g.requires_grad]
        seconds = [None] * len(leaves)
        if terms:
            seconds = lib.autograd.grad(sum(terms[1:], terms[0]), leaves, allow_unused=True)
        results[lib.__name__] = ([None if g is None else _np(g) for g in firsts],
                                 [None if g is None else _np(g) for g in seconds])
    (t_first, t_second), (a_first, a_second) = results["torch"], results["autograd_lite"]
    for order, ours, ref in (("first (create_graph)", a_first, t_first), ("second", a_second, t_second)):
        for i, (a, t) in enumerate(zip(ours, ref)):
            if t is None and a is None:
                continue
            shape = (a if a is not None else t).shape
            np.testing.assert_allclose(np.zeros(shape) if a is None else a, np.zeros(shape) if t is None else t,
                                       rtol=tol, atol=tol, err_msg=f"{order} derivative of input {i}")


def _const(lib, array, device):
    return lib.tensor(array) if lib.__name__ == "torch" else lib.tensor(array, device=device)

