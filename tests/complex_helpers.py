"""One helper to test an op with complex inputs against PyTorch: values, dtypes, first and second derivatives.

``check_complex(fn, shapes, kinds)`` runs ``fn(lib, *inputs)`` with lib = torch and lib = autograd_lite; kinds per
input: "c" (complex, built with ``lib.complex`` from random real and imaginary parts) or "r" (real). The loss is
real: ``sum(w * view_as_real(out))`` for a complex output, ``sum(w * out)`` for a real one, so the gradients
compared are PyTorch's conjugate Wirtinger ones. Second order: in double precision, the gradients taken with
create_graph=True, then the gradient of a random real combination of them.
"""
import numpy as np

from op_helpers import dtype_name, random_inputs


def _np(t):
    return t.detach().cpu().numpy(force=True)


def _inputs(lib, arrays, kinds, dtype, device):
    out = []
    for a, k in zip(arrays, kinds):
        kw = {} if lib.__name__ == "torch" else {"device": device}
        if k == "c":
            re, im = (lib.tensor(part, dtype=getattr(lib, dtype), **kw) for part in a)
            x = lib.complex(re, im).detach().requires_grad_()
        else:
            x = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True, **kw)
        out.append(x)
    return out


def _loss(lib, out, w, device):
    if out.is_complex():
        out = lib.view_as_real(out.resolve_conj())       # torch's view_as_real refuses a lazy conj
    kw = {} if lib.__name__ == "torch" else {"device": device}
    return (out * lib.tensor(w, dtype=out.dtype, **kw)).sum()


def _weights(shape, is_complex, seed):
    return random_inputs([tuple(shape) + ((2,) if is_complex else ())], "float64", seed=seed)[0]


def _draw(shapes, kinds, seed, low, high, min_abs):
    arrays = []
    for i, (s, k) in enumerate(zip(shapes, kinds)):
        if k == "c":
            re, im = random_inputs([s, s], "float64", seed=seed + 10 * i, low=low, high=high, min_abs=min_abs)
            arrays.append((re, im))
        else:
            arrays.append(random_inputs([s], "float64", seed=seed + 10 * i, low=low, high=high, min_abs=min_abs)[0])
    return arrays


def check_complex(fn, shapes, kinds=None, *, dtype="float32", device="cpu", second=True, grad=True, low=-2.0,
                  high=2.0, min_abs=0.1, rtol=None, atol=None, seed=0):
    import torch
    import autograd_lite as al

    kinds = kinds or "c" * len(shapes)
    arrays = _draw(shapes, kinds, seed, low, high, min_abs)
    tol = {"float32": (1e-4, 1e-4), "float64": (1e-9, 1e-9)}[dtype]
    rtol, atol = rtol or tol[0], atol or tol[1]
    t_in = _inputs(torch, arrays, kinds, dtype, device)
    a_in = _inputs(al, arrays, kinds, dtype, device)
    t_out, a_out = fn(torch, *t_in), fn(al, *a_in)
    assert dtype_name(a_out.dtype) == dtype_name(t_out.dtype), (a_out.dtype, t_out.dtype)
    assert tuple(a_out.shape) == tuple(t_out.shape), (a_out.shape, t_out.shape)
    assert a_out.device == al.device(device)
    np.testing.assert_allclose(_np(a_out), _np(t_out), rtol=rtol, atol=atol, err_msg="output")
    if not grad:
        return
    w = _weights(t_out.shape, t_out.is_complex(), seed + 1)
    _loss(torch, t_out, w, device).backward()
    _loss(al, a_out, w, device).backward()
    for i, (a, t) in enumerate(zip(a_in, t_in)):
        if t.grad is None:
            assert a.grad is None or not np.any(_np(a.grad)), f"input {i}: unexpected grad"
            continue
        assert a.grad is not None, f"input {i}: no grad"
        assert dtype_name(a.grad.dtype) == dtype_name(t.grad.dtype), f"grad {i}: {a.grad.dtype} vs {t.grad.dtype}"
        np.testing.assert_allclose(_np(a.grad), _np(t.grad), rtol=rtol, atol=atol, err_msg=f"grad of input {i}")
    if second:
        check_complex_second(fn, shapes, kinds, device=device, seed=seed, low=low, high=high, min_abs=min_abs)


def check_complex_second(fn, shapes, kinds, *, device="cpu", seed=0, low=-2.0, high=2.0, min_abs=0.1, tol=1e-8):
    """Double precision: first derivatives with create_graph, then the derivatives of a random real combination
    of them, against torch's."""
    import torch
    import autograd_lite as al

    arrays = _draw(shapes, kinds, seed, low, high, min_abs)
    results = []
    for lib in (torch, al):
        xs = _inputs(lib, arrays, kinds, "float64", device)
        out = fn(lib, *xs)
        w = _weights(out.shape, out.is_complex(), seed + 1)
        firsts = lib.autograd.grad(_loss(lib, out, w, device), xs, create_graph=True, allow_unused=True)
        terms = [_loss(lib, g, _weights(g.shape, g.is_complex(), seed + 2 + i), device)
                 for i, g in enumerate(firsts) if g is not None and g.requires_grad]
        seconds = [None] * len(xs)
        if terms:
            seconds = lib.autograd.grad(sum(terms[1:], terms[0]), xs, allow_unused=True)
        results.append(([None if g is None else _np(g) for g in firsts],
                        [None if g is None else _np(g) for g in seconds]))
    (t_first, t_second), (a_first, a_second) = results
    for order, ours, ref in (("first", a_first, t_first), ("second", a_second, t_second)):
        for i, pair in enumerate(zip(ours, ref)):
            like = next((x for x in pair if x is not None), None)      # no path in either: nothing to compare
            if like is not None:
                a, t = (np.zeros_like(like) if x is None else x for x in pair)
                np.testing.assert_allclose(a, t, rtol=tol, atol=tol, err_msg=f"{order} derivative of input {i}")
