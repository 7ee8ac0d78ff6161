"""The op layer's contract: every acceleration agrees with the formula it accelerates. A node's `backward_raw` (a
fused kernel) and its `backward` (the formula, which also runs on Tensors for higher-order gradients) give the same
gradient on the same arrays; a pointwise row's kernel forward gives its array-module formula's values."""
import numpy as np
import pytest

import autograd_lite as al
import autograd_lite.nn.functional as F
from autograd_lite.autograd.op_function import Function
from autograd_lite.ops import _formula
from autograd_lite.ops._pointwise import _KERNEL_DTYPES
from autograd_lite.sparse._tensor import _SparseFunction


def _x(*shape, seed=0, dtype=np.float32):
    return al.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype), requires_grad=True)


T = al.tensor([0, 2, 1, 2, 0])

# nodes whose class has a backward_raw: each built by one call
ACCELERATED = {
    "linear": lambda: F.linear(_x(5, 3), _x(4, 3, seed=1), _x(4, seed=2)),
    "linear+relu": lambda: F.linear(_x(5, 3), _x(4, 3, seed=1), _x(4, seed=2), activation="relu"),
    "linear+log_softmax": lambda: F.linear(_x(5, 3), _x(4, 3, seed=1), _x(4, seed=2), activation="log_softmax"),
    "linear_chain": lambda: al.nn.Sequential(al.nn.Linear(3, 4), al.nn.Tanh(), al.nn.Linear(4, 3),
                                             al.nn.Sigmoid())(_x(5, 3)),
    "matmul": lambda: _x(4, 3) @ _x(3, 5, seed=1),
    "matmul-batched": lambda: _x(2, 4, 3) @ _x(3, 5, seed=1),
    "softmax": lambda: F.softmax(_x(4, 5), 1),
    "log_softmax": lambda: F.log_softmax(_x(4, 5), 0),
    "cross_entropy": lambda: F.cross_entropy(_x(5, 3), T, label_smoothing=0.1, reduction="none"),
    "cross_entropy-3d": lambda: F.cross_entropy(_x(5, 3, 2), al.tensor([[0, 1]] * 5), reduction="sum"),
    "nll_loss": lambda: F.nll_loss(_x(5, 3), T, weight=al.tensor([0.5, 1.0, 2.0])),
    "dropout": lambda: (al.manual_seed(0), F.dropout(_x(4, 5), 0.3))[1],
    "relu": lambda: F.relu(_x(4, 5)),
    "sigmoid": lambda: F.sigmoid(_x(4, 5)),
    "tanh": lambda: F.tanh(_x(4, 5, dtype=np.float64)),
    "sum": lambda: _x(4, 5).sum(),
    "cumprod": lambda: _x(4, 5).cumprod(1),
    "cumprod-zeros": lambda: (_x(4, 5) * al.tensor([1.0, 0.0, 1.0, 1.0, 0.0])).cumprod(1),
    "batch_norm-train": lambda: F.batch_norm(_x(4, 3, 5), None, None, _x(3, seed=1), _x(3, seed=2), True),
    "batch_norm-eval": lambda: F.batch_norm(_x(4, 3, 5), al.tensor([0.1, 0.2, -0.3]), al.tensor([1.0, 2.0, 0.5]),
                                            _x(3, seed=1), _x(3, seed=2), False),
    "group_norm": lambda: F.group_norm(_x(2, 4, 3, 3), 2, _x(4, seed=1), _x(4, seed=2)),
    "layer_norm": lambda: F.layer_norm(_x(3, 2, 5), (2, 5), _x(2, 5, seed=1), _x(2, 5, seed=2)),
    "pad-replicate": lambda: F.pad(_x(2, 3, 4, 5), (1, 2, 2, 1), mode="replicate"),
    "pad-circular-3d": lambda: F.pad(_x(2, 2, 3, 4, 5), (1, 2, 0, 1, 2, 1), mode="circular"),
    "conv2d": lambda: F.conv2d(_x(2, 3, 6, 5), _x(4, 3, 3, 3, seed=1), _x(4, seed=2), padding=1),
    "conv3d-winograd": lambda: F.conv3d(_x(1, 8, 3, 5, 4, dtype=np.float64), _x(8, 8, 3, 3, 3, seed=1, dtype=np.float64),
                                        _x(8, seed=2, dtype=np.float64), padding=1),     # (float32: Winograd rounding)
    "conv2d+relu": lambda: al.nn.Sequential(al.nn.Conv2d(3, 4, 3), al.nn.ReLU())(_x(2, 3, 6, 5)),
    "conv2d+relu+max_pool2d": lambda: al.nn.Sequential(al.nn.Conv2d(1, 4, 3), al.nn.ReLU(),
                                                       al.nn.MaxPool2d(2))(_x(2, 1, 7, 8)),
}


def test_every_accelerated_node_is_listed():
    """A new backward_raw gets a case here (its formula must be checked against it)."""
    listed = set()
    for build in ACCELERATED.values():
        listed.add(type(build().grad_fn))
    accelerated = {c for c in _subclasses(Function) if c.backward_raw is not None and "Test" not in c.__name__
                   and {"backward", "backward_raw"} & set(vars(c))    # a subclass with only a new forward: not new
                   and not issubclass(c, _SparseFunction)}     # sparse ops: backward_raw is their one backward
    assert not {c.__name__ for c in accelerated - listed}, "accelerations without a case"


def _subclasses(cls):
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub} | _subclasses(sub)
    return out


@pytest.mark.parametrize("name", ACCELERATED)
def test_backward_raw_equals_the_formula(name):
    out = ACCELERATED[name]()
    node = out.grad_fn
    g = np.random.default_rng(7).standard_normal(out.shape).astype(out._data.dtype)
    fast, formula = node._raw(node, g), type(node).backward(node, g)
    fast = fast if isinstance(fast, tuple) else (fast,)
    formula = formula if isinstance(formula, tuple) else (formula,)
    assert len(fast) == len(formula)
    tol = 1e-5 if out._data.dtype == np.float32 else 1e-12
    for i, (a, b) in enumerate(zip(fast, formula)):
        assert (a is None) == (b is None), f"gradient {i}"
        if a is not None:
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol, err_msg=f"gradient {i}")


KERNEL_ROWS = [name for name, op in vars(al.ops).items()
               if callable(op) and getattr(getattr(op, "function", None), "backward_raw", None) is not None]


@pytest.mark.parametrize("dtype", _KERNEL_DTYPES)
@pytest.mark.parametrize("name", KERNEL_ROWS)
def test_pointwise_kernel_equals_the_formula(name, dtype):
    x = np.random.default_rng(3).uniform(-0.9, 0.9, (64, 33)).astype(dtype)
    via_op = getattr(al, name)(al.tensor(x))._data
    formula = _formula.RAW[name](x)
    np.testing.assert_allclose(via_op, formula, rtol=1e-6 if dtype == "float32" else 1e-13, atol=1e-7)


def test_kernel_rows_exist():
    assert {"relu", "sigmoid", "tanh"} <= set(KERNEL_ROWS)
