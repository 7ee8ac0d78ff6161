"""Hypothesis: elementwise ops over broadcastable shapes, forward and unbroadcast grads vs NumPy."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import autograd_lite as al

try:
    from op_helpers import dtype_name, random_inputs
except ImportError:  # tests/ imported as a package
    from tests.op_helpers import dtype_name, random_inputs

SETTINGS = settings(max_examples=40, deadline=None)
TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-12)}


def unbroadcast(g, shape):
    """Sum g over the axes broadcasting added or stretched, down to shape."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


# name -> (op, numpy forward, numpy partial derivatives d out / d input_i as functions of inputs)
BINARY = {
    "add": (lambda x, y: x + y, np.add, [lambda x, y: np.ones_like(x + y)] * 2),
    "sub": (lambda x, y: x - y, np.subtract,
            [lambda x, y: np.ones_like(x + y), lambda x, y: -np.ones_like(x + y)]),
    "mul": (lambda x, y: x * y, np.multiply,
            [lambda x, y: y + 0 * x, lambda x, y: x + 0 * y]),
    "div": (lambda x, y: x / y, np.divide,
            [lambda x, y: 1 / y + 0 * x, lambda x, y: -x / y ** 2]),
    "maximum": (al.maximum, np.maximum,
                [lambda x, y: (x > y) * 1.0, lambda x, y: (y > x) * 1.0]),
    "minimum": (al.minimum, np.minimum,
                [lambda x, y: (x < y) * 1.0, lambda x, y: (y < x) * 1.0]),
}

UNARY = {  # name -> (op, numpy forward, numpy derivative, positive inputs)
    "neg": (lambda x: -x, np.negative, lambda x: -np.ones_like(x), False),
    "exp": (al.exp, np.exp, np.exp, False),
    "log": (al.log, np.log, lambda x: 1 / x, True),
    "sqrt": (al.sqrt, np.sqrt, lambda x: 0.5 / np.sqrt(x), True),
    "tanh": (al.tanh, np.tanh, lambda x: 1 - np.tanh(x) ** 2, False),
    "sigmoid": (al.sigmoid, lambda x: 1 / (1 + np.exp(-x)),
                lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2, False),
    "relu": (al.relu, lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0, False),
    "abs": (al.abs, np.abs, np.sign, False),
}

dtypes = st.sampled_from(["float32", "float64"])
seeds = st.integers(0, 2 ** 32 - 1)


def run(op, arrays, grad_mask):
    """Forward op on autograd_lite tensors, then (out * w).sum().backward(); returns out, w, ins."""
    ins = [al.tensor(a, requires_grad=g) for a, g in zip(arrays, grad_mask)]
    out = op(*ins)
    w = random_inputs([tuple(out.shape)], dtype_name(out.dtype), seed=7)[0]
    (out * al.tensor(w)).sum().backward()
    return out, w, ins


def check(actual, expected, dtype, what):
    assert dtype_name(actual.dtype) == dtype, f"{what}: dtype {actual.dtype}, expected {dtype}"
    shape = tuple(actual.shape)
    assert shape == expected.shape, f"{what}: shape {shape}, expected {expected.shape}"
    np.testing.assert_allclose(actual.detach().numpy(), expected, err_msg=what, **TOL[dtype])


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       dtype=dtypes, seed=seeds)
def test_binary_broadcast(name, shapes, dtype, seed):
    op, np_fwd, np_partials = BINARY[name]
    arrays = random_inputs(shapes.input_shapes, dtype, seed=seed)
    x, y = (a.astype(np.float64) for a in arrays)
    out, w, ins = run(op, arrays, [True, True])
    check(out, np_fwd(x, y), dtype, f"{name} forward")
    for i, (t, d) in enumerate(zip(ins, np_partials)):
        expected = unbroadcast(w * d(x, y), arrays[i].shape)
        check(t.grad, expected, dtype, f"{name} grad of input {i}")


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3),
       dtype=dtypes, seed=seeds)
def test_where_broadcast(shapes, dtype, seed):
    arrays = random_inputs(shapes.input_shapes, dtype, seed=seed)
    c, x, y = (a.astype(np.float64) for a in arrays)
    out, w, ins = run(lambda c, x, y: al.where(c > 0, x, y), arrays, [False, True, True])
    check(out, np.where(c > 0, x, y), dtype, "where forward")
    assert ins[0].grad is None
    full = np.broadcast_shapes(c.shape, x.shape, y.shape)
    mask = np.broadcast_to(c > 0, full)
    check(ins[1].grad, unbroadcast(w * mask, x.shape), dtype, "where grad of x")
    check(ins[2].grad, unbroadcast(w * ~mask, y.shape), dtype, "where grad of y")


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=4), dtype=dtypes, seed=seeds)
def test_unary(name, shape, dtype, seed):
    op, np_fwd, np_deriv, positive = UNARY[name]
    (a,) = random_inputs([shape], dtype, positive=positive, seed=seed)
    x = a.astype(np.float64)
    out, w, (t,) = run(op, [a], [True])
    check(out, np_fwd(x), dtype, f"{name} forward")
    check(t.grad, w * np_deriv(x), dtype, f"{name} grad")


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       dtype=dtypes, seed=seeds)
def test_shared_input_accumulates(shapes, dtype, seed):
    """x used twice through broadcasting ops: grads from both uses add up."""
    arrays = random_inputs(shapes.input_shapes, dtype, seed=seed)
    x, y = (a.astype(np.float64) for a in arrays)
    out, w, (tx, ty) = run(lambda x, y: x * y + x * x, arrays, [True, True])
    check(out, x * y + x * x, dtype, "forward")
    check(tx.grad, unbroadcast(w * (y + 2 * x), x.shape), dtype, "grad of x")
    check(ty.grad, unbroadcast(w * (x + 0 * y), y.shape), dtype, "grad of y")
