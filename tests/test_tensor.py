"""Tensor creation, dtypes, attributes, conversions, repr, Python protocols and in-place ops.

PyTorch is the oracle: every expectation here was checked against torch on the CPU, and the
repr / type() tests compare with torch directly (skipped where torch is not installed).
"""
import numpy as np
import pytest

import autograd_lite as al

LIB = al.__name__


def arr(t):
    """The tensor's values as a NumPy array (a copy, safe to compare)."""
    return np.array(t.detach().numpy())


def assert_values(t, expected, dtype):
    assert t.dtype == dtype, f"dtype {t.dtype}, expected {dtype}"
    got = arr(t)
    if got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, np.asarray(expected))
    else:
        np.testing.assert_allclose(got, np.asarray(expected, dtype=np.float64), rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------------------------
# The seed's section 4.1 and 4.5 snippets, nearly verbatim
# --------------------------------------------------------------------------------------------

def test_seed_4_1_create_methods_reshape():
    import autograd_lite as torch

    x = torch.rand(3, 2)  # 3x2 matrix
    y = torch.ones(x.size())
    z = x + y
    assert z.shape == (3, 2) and z.dtype == torch.float32
    np.testing.assert_allclose(arr(z), arr(x) + 1, rtol=1e-6)

    before = arr(z)
    # Return a new tensor z + 1, z tensor is unchanged
    out = z.add(1)
    np.testing.assert_allclose(arr(out), before + 1, rtol=1e-6)
    np.testing.assert_array_equal(arr(z), before)
    # Add 1 and update z tensor in-place
    ret = z.add_(1)
    assert ret is z
    np.testing.assert_allclose(arr(z), before + 1, rtol=1e-6)

    assert z.size() == (3, 2)
    z.resize_(2, 3)
    assert z.size() == (2, 3) and z.shape == (2, 3)
    np.testing.assert_allclose(arr(z), (before + 1).reshape(2, 3), rtol=1e-6)


def test_seed_4_1_numpy_bridge_shares_memory_both_ways():
    import autograd_lite as torch

    a = np.random.rand(4, 3)
    orig = a.copy()
    b = torch.from_numpy(a)
    assert b.dtype == torch.float64 and b.shape == (4, 3)
    n = b.numpy()
    assert np.shares_memory(n, a)

    # Multiply PyTorch Tensor by 2, in place
    b.mul_(2)
    # Numpy array matches new values from Tensor
    np.testing.assert_array_equal(a, orig * 2)

    # ... and the other way round
    a[0, 0] = 100.0
    assert b[0, 0].item() == 100.0
    a += 1
    np.testing.assert_array_equal(arr(b), a)


def test_seed_4_5_custom_initialization_through_data():
    import autograd_lite as torch

    bias = torch.rand(128, requires_grad=True)
    weight = torch.rand(128, 784, requires_grad=True)
    # Set biases to all zeros
    bias.data.fill_(0)
    # sample from random normal with standard dev = 0.01
    weight.data.normal_(std=0.01)

    assert np.all(arr(bias) == 0)
    assert bias.requires_grad and bias.is_leaf and bias.dtype == torch.float32
    w = arr(weight)
    assert weight.requires_grad and weight.is_leaf and weight.dtype == torch.float32
    assert abs(w.std() - 0.01) < 0.001
    assert abs(w.mean()) < 0.001


def test_seed_4_5_resize_images():
    import autograd_lite as torch

    images = torch.rand(64, 1, 28, 28)
    flat = arr(images).reshape(-1)
    images.resize_(64, 1, 784)
    assert images.shape == (64, 1, 784)
    images.resize_(images.shape[0], 1, 784)
    assert images.shape == (64, 1, 784)
    images.resize_(images.size()[0], 784)
    assert images.shape == (64, 784)
    images.resize_(images.shape[0], 784)
    assert images.shape == (64, 784)
    np.testing.assert_array_equal(arr(images).reshape(-1), flat)
    assert images[0, :].shape == (784,)
    assert images[0].view(1, 28, 28).shape == (1, 28, 28)


def test_seed_4_5_requires_grad_():
    import autograd_lite as torch

    x = torch.rand(3)
    assert x.requires_grad is False
    ret = x.requires_grad_(True)
    assert ret is x and x.requires_grad is True
    x.requires_grad_(False)
    assert x.requires_grad is False
    x.requires_grad_()
    assert x.requires_grad is True


# --------------------------------------------------------------------------------------------
# tensor(...)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "data, dtype, shape",
    [
        (1.5, "float32", ()),
        (3, "int64", ()),
        (True, "bool", ()),
        ([1.0, 2.0], "float32", (2,)),
        ([1, 2, 3], "int64", (3,)),
        ([True, False], "bool", (2,)),
        ([1, 2.5], "float32", (2,)),
        ([[1, 2], [3, 4], [5, 6]], "int64", (3, 2)),
        ([[[1.0], [2.0]]], "float32", (1, 2, 1)),
        ([], "float32", (0,)),
    ],
)
def test_tensor_from_python_data(data, dtype, shape):
    t = al.tensor(data)
    assert t.dtype == getattr(al, dtype)
    assert t.shape == shape
    np.testing.assert_array_equal(arr(t), np.array(data, dtype=dtype))
    assert t.requires_grad is False and t.is_leaf and t.grad is None and t.grad_fn is None


@pytest.mark.parametrize("np_dtype", ["float64", "float32", "int64", "int32", "uint8", "bool"])
def test_tensor_from_numpy_array_keeps_dtype_and_copies(np_dtype):
    a = np.arange(6).reshape(2, 3).astype(np_dtype)
    t = al.tensor(a)
    assert t.dtype == getattr(al, np_dtype)
    assert t.shape == (2, 3)
    np.testing.assert_array_equal(arr(t), a)
    a[0, 0] = 1 if np_dtype != "bool" else True
    a[0, 1] = 0
    assert arr(t)[0, 1] == 1  # tensor() copies: changing the array leaves the tensor alone
    assert not np.shares_memory(t.numpy(), a)


def test_tensor_dtype_and_requires_grad_arguments():
    t = al.tensor([1, 2], dtype=al.float32)
    assert_values(t, [1.0, 2.0], al.float32)
    t = al.tensor([1.5, -1.5], dtype=al.int64)  # truncation toward zero, like torch
    assert_values(t, [1, -1], al.int64)
    t = al.tensor([1.0, 2.0], dtype=al.float64)
    assert t.dtype == al.float64
    t = al.tensor(np.arange(3.0), dtype=al.float32)
    assert t.dtype == al.float32
    t = al.tensor([[1.0, 2.0]], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None


def test_dtype_aliases():
    assert al.float == al.float32
    assert al.double == al.float64
    assert al.long == al.int64
    assert al.int == al.int32
    assert al.half == al.float16
    for name in ["float16", "int16", "int8", "uint8", "bool"]:
        assert al.zeros(2, dtype=getattr(al, name)).dtype == getattr(al, name)


# --------------------------------------------------------------------------------------------
# from_numpy
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("np_dtype", ["float64", "float32", "int64", "int32"])
def test_from_numpy_shares_memory_and_keeps_dtype(np_dtype):
    a = np.arange(6).reshape(3, 2).astype(np_dtype)
    t = al.from_numpy(a)
    assert t.dtype == getattr(al, np_dtype)
    assert t.shape == (3, 2)
    assert t.requires_grad is False
    assert np.shares_memory(t.numpy(), a)
    a[1, 1] = 42
    assert t[1, 1].item() == 42
    t.add_(1)
    assert a[1, 1] == 43 and a[0, 0] == 1


# --------------------------------------------------------------------------------------------
# creation functions
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", ["zeros", "ones", "empty", "rand", "randn"])
def test_sized_creation_varargs_tuple_list(fn):
    f = getattr(al, fn)
    for t in (f(2, 3), f((2, 3)), f([2, 3])):
        assert t.shape == (2, 3)
        assert t.dtype == al.float32
        assert t.requires_grad is False
    assert f(4).shape == (4,)
    assert f(2, 3, 4).shape == (2, 3, 4)
    assert f(2, 3, dtype=al.float64).dtype == al.float64
    t = f(2, 3, requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    size = al.zeros(5, 2).size()
    assert f(size).shape == (5, 2)


def test_zeros_ones_full_eye_values():
    assert_values(al.zeros(2, 3), np.zeros((2, 3)), al.float32)
    assert_values(al.ones(2, 3), np.ones((2, 3)), al.float32)
    assert_values(al.zeros(2, dtype=al.int64), [0, 0], al.int64)
    assert_values(al.full((2, 3), 7.0), np.full((2, 3), 7.0), al.float32)
    assert_values(al.full((2,), 7), [7, 7], al.int64)  # torch: an int fill value gives int64
    assert_values(al.full((2,), 1.5, dtype=al.float64), [1.5, 1.5], al.float64)
    assert_values(al.eye(3), np.eye(3), al.float32)
    assert_values(al.eye(2, 3), np.eye(2, 3), al.float32)


def test_rand_randn_ranges():
    al.manual_seed(0)
    r = arr(al.rand(10000))
    assert r.dtype == np.float32
    assert r.min() >= 0.0 and r.max() < 1.0
    assert abs(r.mean() - 0.5) < 0.02
    n = arr(al.randn(10000))
    assert n.dtype == np.float32
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05


def test_randint():
    al.manual_seed(0)
    t = al.randint(0, 10, (1000,))
    assert t.dtype == al.int64 and t.shape == (1000,)
    v = arr(t)
    assert v.min() >= 0 and v.max() <= 9 and len(np.unique(v)) == 10
    t = al.randint(10, (5,))
    assert t.dtype == al.int64 and t.shape == (5,)
    assert arr(t).min() >= 0 and arr(t).max() < 10
    t = al.randint(3, 5, (2, 2))
    assert t.shape == (2, 2) and set(np.unique(arr(t))) <= {3, 4}


def test_arange_linspace():
    assert_values(al.arange(5), [0, 1, 2, 3, 4], al.int64)
    assert_values(al.arange(1, 4), [1, 2, 3], al.int64)
    assert_values(al.arange(5.0), [0, 1, 2, 3, 4], al.float32)
    assert_values(al.arange(0, 1, 0.25), [0, 0.25, 0.5, 0.75], al.float32)
    assert_values(al.arange(5, dtype=al.float32), [0, 1, 2, 3, 4], al.float32)
    assert_values(al.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1.0], al.float32)
    assert_values(al.linspace(-1, 1, steps=3), [-1.0, 0.0, 1.0], al.float32)


def test_like_functions():
    x = al.ones(2, 3, dtype=al.float64)
    i = al.tensor([[1, 2], [3, 4]])
    assert_values(al.zeros_like(x), np.zeros((2, 3)), al.float64)
    assert_values(al.ones_like(x), np.ones((2, 3)), al.float64)
    assert_values(al.zeros_like(i), np.zeros((2, 2)), al.int64)
    assert_values(al.ones_like(i), np.ones((2, 2)), al.int64)
    assert al.zeros_like(i, dtype=al.float32).dtype == al.float32
    f = al.ones(4, 5)
    for fn in (al.rand_like, al.randn_like):
        t = fn(f)
        assert t.shape == (4, 5) and t.dtype == al.float32 and t.requires_grad is False
    r = arr(al.rand_like(f))
    assert r.min() >= 0 and r.max() < 1
    g = al.ones(2, requires_grad=True)
    assert al.zeros_like(g).requires_grad is False


# --------------------------------------------------------------------------------------------
# manual_seed
# --------------------------------------------------------------------------------------------

def _draw():
    out = [arr(al.rand(5)), arr(al.randn(2, 3)), arr(al.randint(0, 100, (6,)))]
    out.append(arr(al.empty(7).normal_()))
    out.append(arr(al.empty(7).normal_(mean=3.0, std=0.5)))
    out.append(arr(al.zeros(7).uniform_(-2, 2)))
    out.append(arr(al.rand_like(al.zeros(3))))
    out.append(arr(al.randn_like(al.zeros(3))))
    return out


def test_manual_seed_reproducible():
    al.manual_seed(1234)
    first = _draw()
    al.manual_seed(1234)
    second = _draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_manual_seed_different_seeds_differ():
    al.manual_seed(1)
    first = _draw()
    al.manual_seed(2)
    second = _draw()
    for a, b in zip(first, second):
        assert not np.array_equal(a, b)


def test_normal_uniform_distribution():
    al.manual_seed(0)
    t = al.empty(20000)
    assert t.normal_(mean=3.0, std=0.5) is t
    v = arr(t)
    assert t.dtype == al.float32
    assert abs(v.mean() - 3.0) < 0.02 and abs(v.std() - 0.5) < 0.02
    assert t.uniform_(-2, -1) is t
    v = arr(t)
    assert v.min() >= -2 and v.max() <= -1 and abs(v.mean() + 1.5) < 0.02
    t.uniform_()
    v = arr(t)
    assert v.min() >= 0 and v.max() <= 1


# --------------------------------------------------------------------------------------------
# default dtypes and promotion
# --------------------------------------------------------------------------------------------

def test_no_float64_creep():
    f = al.tensor([1.0, 2.0])
    cases = {
        "tensor * 2.5": f * 2.5,
        "2.5 * tensor": 2.5 * f,
        "tensor / 3": f / 3,
        "1 - tensor": 1 - f,
        "1 / tensor": 1 / f,
        "2 ** tensor": 2**f,
        "tensor ** 2": f**2,
        "tensor ** 0.5": f**0.5,
        "tensor * np.float64": f * np.float64(2.5),
        "tensor + np.float32": f + np.float32(2.5),
        "rand(3).mean()": al.rand(3).mean(),
        "rand(3).sum()": al.rand(3).sum(),
        "rand(3, 4).mean(dim=1)": al.rand(3, 4).mean(dim=1),
        "rand(3).var()": al.rand(3).var(),
        "rand(3).std()": al.rand(3).std(),
        "arange(5.)": al.arange(5.0),
        "linspace(0, 1, 5)": al.linspace(0, 1, 5),
        "full((2,), 1.5)": al.full((2,), 1.5),
        "eye(2)": al.eye(2),
        "tensor(2.5)": al.tensor(2.5),
        "zeros(2).exp()": al.zeros(2).exp(),
        "randn(2).sigmoid()": al.randn(2).sigmoid(),
        "float tensor + int tensor": f + al.tensor([1, 2]),
    }
    for name, t in cases.items():
        assert t.dtype == al.float32, f"{name}: {t.dtype}"
        assert arr(t).dtype == np.float32, f"{name}: storage {arr(t).dtype}"
    assert al.arange(5).dtype == al.int64


def test_numpy_scalar_on_the_left_gives_a_float32_tensor():
    f = al.tensor([1.0, 2.0])
    out = np.float64(2.5) * f
    assert isinstance(out, al.Tensor)
    assert_values(out, [2.5, 5.0], al.float32)
    out = np.float32(1.0) + f
    assert isinstance(out, al.Tensor)
    assert_values(out, [2.0, 3.0], al.float32)


def test_promotion_rules():
    i = al.tensor([1, 2])
    f = al.tensor([1.0, 2.0])
    assert_values(i * 2.5, [2.5, 5.0], al.float32)
    assert_values(i + 1, [2, 3], al.int64)
    assert_values(1 - i, [0, -1], al.int64)
    assert_values(i / al.tensor([2, 2]), [0.5, 1.0], al.float32)
    assert_values(i / 2, [0.5, 1.0], al.float32)
    assert_values(i**2, [1, 4], al.int64)
    assert_values(i**0.5, np.sqrt([1.0, 2.0]), al.float32)
    assert_values(i + f, [2.0, 4.0], al.float32)
    assert_values(f + al.tensor([1.0, 2.0], dtype=al.float64), [2.0, 4.0], al.float64)
    assert_values(al.tensor([True, False]) + 1, [2, 1], al.int64)
    assert al.tensor([1, 2], dtype=al.int32).add(1).dtype == al.int32
    assert al.tensor(np.arange(3.0)).mul(2.5).dtype == al.float64
    assert al.from_numpy(np.arange(3.0)).mul(2.5).dtype == al.float64


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid"])
def test_unary_float_ops_of_int_tensor_give_float32(name):
    i = al.tensor([1, 2, 3])
    expected = {
        "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
        "tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
    }[name](np.array([1.0, 2.0, 3.0]))
    for out in (getattr(i, name)(), getattr(al, name)(i)):
        assert out.dtype == al.float32
        np.testing.assert_allclose(arr(out), expected, rtol=1e-6)


def test_comparisons_give_bool_and_int_sums_give_int64():
    f = al.tensor([1.0, 2.0, 3.0])
    i = al.tensor([1, 5, 3])
    for t, exp in [
        (f == 2, [False, True, False]),
        (f != 2, [True, False, True]),
        (f < 2, [True, False, False]),
        (f <= 2, [True, True, False]),
        (f > 2, [False, False, True]),
        (f >= 2, [False, True, True]),
        (f == i, [True, False, True]),
        (f < i, [False, True, False]),
        (al.eq(f, i), [True, False, True]),
        (al.gt(i, f), [False, True, False]),
    ]:
        assert_values(t, exp, al.bool)
    assert_values(i.sum(), 9, al.int64)
    assert_values(al.tensor([1, 2], dtype=al.int32).sum(), 3, al.int64)
    assert_values((f > 1).sum(), 2, al.int64)
    assert_values(al.tensor([True, True, False]).sum(), 2, al.int64)


# --------------------------------------------------------------------------------------------
# dtype conversions and type()
# --------------------------------------------------------------------------------------------

def test_dtype_conversion_methods():
    x = al.tensor([2.7, -2.7, 0.0])
    assert_values(x.long(), [2, -2, 0], al.int64)
    assert_values(x.int(), [2, -2, 0], al.int32)
    assert_values(x.double(), [2.7, -2.7, 0.0], al.float64)
    assert_values(x.half(), np.array([2.7, -2.7, 0.0], dtype=np.float16), al.float16)
    assert_values(x.bool(), [True, True, False], al.bool)
    i = al.tensor([1, 2])
    assert_values(i.float(), [1.0, 2.0], al.float32)
    assert_values(i.to(al.float64), [1.0, 2.0], al.float64)
    assert_values(x.to(al.int64), [2, -2, 0], al.int64)
    assert_values(x.to(dtype=al.float64), [2.7, -2.7, 0.0], al.float64)
    assert x.dtype == al.float32  # conversions are out of place


def test_type_with_a_tensor_type_or_dtype_converts():
    x = al.tensor([1.5, 2.5])
    assert_values(x.type(al.FloatTensor), [1.5, 2.5], al.float32)
    assert_values(x.type(al.DoubleTensor), [1.5, 2.5], al.float64)
    assert_values(x.type(al.LongTensor), [1, 2], al.int64)
    assert_values(x.type(al.IntTensor), [1, 2], al.int32)
    assert_values(x.type(al.BoolTensor), [True, True], al.bool)
    assert_values(al.tensor([1, 2]).type(al.FloatTensor), [1.0, 2.0], al.float32)
    assert_values(x.type(al.float64), [1.5, 2.5], al.float64)


def test_type_without_argument_returns_a_string():
    assert al.tensor([1.0]).type() == f"{LIB}.FloatTensor"
    assert al.tensor([1.0], dtype=al.float64).type() == f"{LIB}.DoubleTensor"
    assert al.tensor([1]).type() == f"{LIB}.LongTensor"
    assert al.tensor([1], dtype=al.int32).type() == f"{LIB}.IntTensor"
    assert al.tensor([True]).type() == f"{LIB}.BoolTensor"


def test_type_string_matches_torch():
    torch = pytest.importorskip("torch")
    for conv in ["float", "double", "long", "int", "bool", "half"]:
        ours = getattr(al.tensor([1.0, 2.0]), conv)().type()
        theirs = getattr(torch.tensor([1.0, 2.0]), conv)().type()
        assert ours == theirs.replace("torch.", f"{LIB}."), conv


# --------------------------------------------------------------------------------------------
# attributes
# --------------------------------------------------------------------------------------------

def test_attributes():
    x = al.zeros(3, 4)
    assert x.shape == (3, 4)
    assert isinstance(x.shape, tuple)
    assert x.shape[0] == 3 and x.shape[-1] == 4
    assert x.size() == (3, 4)
    assert x.size(0) == 3 and x.size(1) == 4 and x.size(-1) == 4
    assert x.size()[0] == 3
    assert x.dim() == 2 and x.ndim == 2
    assert x.numel() == 12
    assert x.dtype == al.float32
    assert str(x.device) == "cpu"
    assert x.requires_grad is False
    assert x.is_leaf is True
    assert x.grad is None and x.grad_fn is None
    s = al.tensor(3.0)
    assert s.shape == () and s.dim() == 0 and s.ndim == 0 and s.numel() == 1 and s.size() == ()
    e = al.tensor([])
    assert e.shape == (0,) and e.numel() == 0


def test_T():
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    x = al.tensor(a)
    assert x.T.shape == (3, 2)
    assert_values(x.T, a.T, al.float32)


# --------------------------------------------------------------------------------------------
# item / tolist / numpy
# --------------------------------------------------------------------------------------------

def test_item():
    v = al.tensor(2.5).item()
    assert type(v) is float and v == 2.5
    v = al.tensor([3]).item()
    assert type(v) is int and v == 3
    v = al.tensor([[True]]).item()
    assert type(v) is bool and v is True
    v = al.tensor([1.0, 2.0, 3.0]).sum().item()
    assert type(v) is float and v == 6.0
    with pytest.raises(RuntimeError):
        al.tensor([1.0, 2.0]).item()


def test_tolist():
    assert al.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    lst = al.tensor([[1.5, 2.0]]).tolist()
    assert lst == [[1.5, 2.0]] and type(lst[0][0]) is float
    assert type(al.tensor([1]).tolist()[0]) is int
    assert al.tensor([True, False]).tolist() == [True, False]
    assert al.tensor(2.5).tolist() == 2.5
    assert al.tensor([]).tolist() == []


def test_numpy_shares_memory_without_grad():
    t = al.zeros(3)
    n = t.numpy()
    assert isinstance(n, np.ndarray) and n.dtype == np.float32 and n.shape == (3,)
    n[0] = 5.0
    assert t[0].item() == 5.0
    t.add_(1)
    np.testing.assert_array_equal(n, [6.0, 1.0, 1.0])
    assert al.tensor([1, 2]).numpy().dtype == np.int64
    assert al.tensor([1.0], dtype=al.float64).numpy().dtype == np.float64
    w = al.ones(2, requires_grad=True)
    d = w.detach().numpy()
    d[0] = 3.0
    assert w[0].item() == 3.0


# --------------------------------------------------------------------------------------------
# __repr__ against torch
# --------------------------------------------------------------------------------------------

_REPR_CASES = [
    ("ints", lambda m: m.tensor([1, 2, 3])),
    ("floats with decimals", lambda m: m.tensor([1.5, 2.25])),
    ("small decimals", lambda m: m.tensor([0.1, 0.25])),
    ("negative", lambda m: m.tensor([-1.5, 2.0])),
    ("whole floats", lambda m: m.tensor([1.0, 2.0])),
    ("2-d", lambda m: m.zeros(2, 3)),
    ("2-d ints", lambda m: m.tensor([[1, 2], [3, 4]])),
    ("requires_grad", lambda m: m.tensor([[1.0, 2.0]], requires_grad=True)),
    ("grad_fn", lambda m: m.tensor([[1.0, 2.0]], requires_grad=True) * 2),
    ("sum grad_fn", lambda m: m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True).sum()),
    ("0-d float", lambda m: m.tensor(3.5)),
    ("0-d int", lambda m: m.tensor(2)),
    ("0-d requires_grad", lambda m: m.tensor(3.5, requires_grad=True)),
    ("empty", lambda m: m.tensor([])),
    ("empty int64", lambda m: m.tensor([], dtype=m.int64)),
    ("float64", lambda m: m.tensor([1.0, 2.0], dtype=m.float64)),
    ("float64 requires_grad", lambda m: m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True)),
    ("int32", lambda m: m.tensor([1, 2], dtype=m.int32)),
    ("bool", lambda m: m.tensor([True, False])),
]


@pytest.mark.parametrize("make", [c[1] for c in _REPR_CASES], ids=[c[0] for c in _REPR_CASES])
def test_repr_matches_torch(make):
    torch = pytest.importorskip("torch")
    expected = repr(make(torch)).replace("torch.", f"{LIB}.")
    ours = make(al)
    assert repr(ours) == expected
    assert str(ours) == expected


def test_repr_literal():
    assert repr(al.tensor([[1.0, 2.0]], requires_grad=True)) == "tensor([[1., 2.]], requires_grad=True)"
    assert repr(al.tensor([1.0, 2.0], dtype=al.float64)) == f"tensor([1., 2.], dtype={LIB}.float64)"
    assert repr(al.tensor([1.5, 2.25])) == "tensor([1.5000, 2.2500])"


# --------------------------------------------------------------------------------------------
# Python protocols
# --------------------------------------------------------------------------------------------

def test_format_of_0d():
    t = al.tensor(3.14159)
    assert f"{t:.3f}" == "3.142"
    assert "{:.4f}".format(al.tensor([1.0, 2.0]).sum() / 4) == "0.7500"
    assert f"{al.tensor(7):d}" == "7"


def test_len():
    assert len(al.zeros(3, 4)) == 3
    assert len(al.tensor([1, 2])) == 2
    with pytest.raises(TypeError):
        len(al.tensor(1.0))


def test_iter_yields_rows():
    t = al.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    rows = list(t)
    assert len(rows) == 3
    for r, exp in zip(rows, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]):
        assert isinstance(r, al.Tensor)
        assert_values(r, exp, al.float32)
    items = [v.item() for v in al.tensor([1, 2, 3])]
    assert items == [1, 2, 3]
    assert all(v.shape == () for v in al.tensor([1, 2]))
    a, b = al.tensor([[1, 2], [3, 4]])
    assert a.tolist() == [1, 2] and b.tolist() == [3, 4]
    with pytest.raises(TypeError):
        iter(al.tensor(1.0))


def test_bool():
    assert bool(al.tensor([1.0])) is True
    assert bool(al.tensor(0)) is False
    assert bool(al.tensor([[True]])) is True
    assert not al.tensor([0.0])
    if al.tensor(2.0) > 1:
        pass
    else:
        pytest.fail("if on a one-element comparison")
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(al.tensor([1, 2]))


def test_float_int_index():
    assert float(al.tensor([2.5])) == 2.5 and type(float(al.tensor(2))) is float
    assert int(al.tensor(3.7)) == 3 and int(al.tensor(-3.7)) == -3
    assert type(int(al.tensor([4]))) is int
    assert list(range(al.tensor(3))) == [0, 1, 2]
    assert [10, 20, 30][al.tensor(1)] == 20
    assert "abcd"[al.tensor(1) : al.tensor(3)] == "bc"


# --------------------------------------------------------------------------------------------
# in-place ops
# --------------------------------------------------------------------------------------------

def test_inplace_arithmetic_returns_self():
    t = al.tensor([1.0, 2.0, 3.0])
    assert t.add_(1) is t
    assert_values(t, [2.0, 3.0, 4.0], al.float32)
    assert t.sub_(0.5) is t
    assert_values(t, [1.5, 2.5, 3.5], al.float32)
    assert t.mul_(2) is t
    assert_values(t, [3.0, 5.0, 7.0], al.float32)
    assert t.div_(2) is t
    assert_values(t, [1.5, 2.5, 3.5], al.float32)
    assert t.add_(al.tensor([1.0, 1.0, 1.0])) is t
    assert_values(t, [2.5, 3.5, 4.5], al.float32)
    assert t.mul_(al.tensor([2.0, 0.0, 1.0])) is t
    assert_values(t, [5.0, 0.0, 4.5], al.float32)
    m = al.ones(2, 3)
    m.add_(al.tensor([1.0, 2.0, 3.0]))  # broadcasting in place
    assert_values(m, [[2.0, 3.0, 4.0]] * 2, al.float32)
    i = al.tensor([1, 2])
    i.add_(1)
    assert_values(i, [2, 3], al.int64)


def test_inplace_operators():
    t = al.tensor([1.0, 2.0])
    t0 = t
    t += 1
    t *= 3
    t -= 1
    t /= 2
    assert t is t0
    assert_values(t, [2.5, 4.0], al.float32)


def test_zero_fill_copy_clamp():
    t = al.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert t.clamp_(-1.0, 3.5) is t
    assert_values(t, [[1.0, -1.0], [3.0, 3.5]], al.float32)
    assert t.clamp_(min=0) is t
    assert_values(t, [[1.0, 0.0], [3.0, 3.5]], al.float32)
    assert t.clamp_(max=2) is t
    assert_values(t, [[1.0, 0.0], [2.0, 2.0]], al.float32)
    assert t.fill_(7) is t
    assert_values(t, np.full((2, 2), 7.0), al.float32)
    assert t.zero_() is t
    assert_values(t, np.zeros((2, 2)), al.float32)
    src = al.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=al.float64)
    assert t.copy_(src) is t
    assert_values(t, [[1.0, 2.0], [3.0, 4.0]], al.float32)  # keeps its own dtype
    t.copy_(al.tensor([5.0, 6.0]))  # broadcast source
    assert_values(t, [[5.0, 6.0], [5.0, 6.0]], al.float32)
    src.fill_(0)
    assert_values(t, [[5.0, 6.0], [5.0, 6.0]], al.float32)  # copy, not alias


def test_normal_uniform_return_self_and_change_values():
    t = al.zeros(100)
    assert t.normal_() is t
    assert arr(t).std() > 0.5
    assert t.uniform_(2, 3) is t
    assert arr(t).min() >= 2
    assert t.dtype == al.float32


def test_resize_same_numel_and_changed_numel():
    z = al.arange(6.0)
    assert z.resize_(2, 3) is z
    assert_values(z, [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], al.float32)
    z.resize_((3, 2))
    assert z.shape == (3, 2)
    # shrinking keeps the leading elements, like torch
    z.resize_(2, 2)
    assert_values(z, [[0.0, 1.0], [2.0, 3.0]], al.float32)
    # growing keeps the existing elements (the rest is uninitialized in torch)
    g = al.arange(4.0)
    g.resize_(2, 3)
    assert g.shape == (2, 3) and g.numel() == 6 and g.dtype == al.float32
    np.testing.assert_array_equal(arr(g).reshape(-1)[:4], [0.0, 1.0, 2.0, 3.0])


def test_data_shares_storage_and_is_detached():
    w = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = w.data
    assert d.requires_grad is False and d.grad_fn is None and d.is_leaf
    assert d.dtype == al.float32 and d.shape == (3,)
    d.mul_(2)
    assert_values(w.detach(), [2.0, 4.0, 6.0], al.float32)
    w.data.fill_(0)
    assert_values(w.detach(), [0.0, 0.0, 0.0], al.float32)
    assert w.requires_grad and w.is_leaf
    w.data.normal_(std=0.01)
    assert np.any(arr(w) != 0)
    w.data.uniform_(5, 6)
    assert arr(w).min() >= 5
    w.data.zero_()
    w.data.add_(1)
    assert_values(w.detach(), [1.0, 1.0, 1.0], al.float32)


# --------------------------------------------------------------------------------------------
# __setitem__
# --------------------------------------------------------------------------------------------

def test_setitem_ints_slices_masks():
    t = al.zeros(3, 4)
    ref = np.zeros((3, 4), dtype=np.float32)

    t[0] = 1.0
    ref[0] = 1.0
    t[1, 2] = 5
    ref[1, 2] = 5
    t[:, 3] = al.tensor([7.0, 8.0, 9.0])
    ref[:, 3] = [7.0, 8.0, 9.0]
    t[2, :2] = al.tensor([-1.0, -2.0])
    ref[2, :2] = [-1.0, -2.0]
    t[-1, -1] = 11.0
    ref[-1, -1] = 11.0
    assert_values(t, ref, al.float32)

    t[t > 4] = 0.5
    ref[ref > 4] = 0.5
    assert_values(t, ref, al.float32)
    mask = al.tensor([True, False, True])
    t[mask] = 3.0
    ref[[0, 2]] = 3.0
    assert_values(t, ref, al.float32)
    t[al.tensor([1])] = al.tensor([4.0, 4.0, 4.0, 4.0])
    ref[1] = 4.0
    assert_values(t, ref, al.float32)
    t[...] = 2.0
    assert_values(t, np.full((3, 4), 2.0), al.float32)


def test_setitem_keeps_dtype():
    i = al.zeros(3, dtype=al.int64)
    i[0] = 2.7  # truncated like torch
    i[1:] = al.tensor([5.0, 6.0])
    assert_values(i, [2, 5, 6], al.int64)
    f = al.zeros(2)
    f[0] = al.tensor(1.5, dtype=al.float64)
    f[1] = np.float64(2.5)
    assert_values(f, [1.5, 2.5], al.float32)


def test_setitem_through_numpy_and_data_views():
    t = al.zeros(2, 2)
    n = t.numpy()
    t[0, 1] = 3.0
    assert n[0, 1] == 3.0
    w = al.zeros(2, requires_grad=True)
    w.data[0] = 4.0
    assert w[0].item() == 4.0 and w.requires_grad


# --------------------------------------------------------------------------------------------
# views share storage (like torch: basic indexing, view, t, reshape of a contiguous tensor)
# --------------------------------------------------------------------------------------------

def test_views_share_storage_with_their_base():
    t = al.zeros(2, 3)
    ref = np.zeros((2, 3), dtype=np.float32)
    t[0].fill_(1.0)
    ref[0] = 1.0
    assert_values(t, ref, al.float32)
    t[:, 2].add_(5)
    ref[:, 2] += 5
    assert_values(t, ref, al.float32)
    t[1, 1:].mul_(0)
    ref[1, 1:] *= 0
    assert_values(t, ref, al.float32)
    t.view(6).sub_(1)
    ref -= 1
    assert_values(t, ref, al.float32)
    t.t().mul_(2)
    ref *= 2
    assert_values(t, ref, al.float32)
    t.reshape(3, 2).zero_()
    assert_values(t, np.zeros((2, 3)), al.float32)
    w = al.zeros(2, 3, requires_grad=True)
    w.data[0].fill_(3.0)  # e.g. re-initialising one row of a weight
    assert_values(w.detach(), [[3.0, 3.0, 3.0], [0.0, 0.0, 0.0]], al.float32)


# --------------------------------------------------------------------------------------------
# operators on 0-d tensors give proper 0-d tensors
# --------------------------------------------------------------------------------------------

_ZERO_D_OPS = {
    "a+b": lambda a, b: a + b,
    "a-b": lambda a, b: a - b,
    "a*b": lambda a, b: a * b,
    "a/b": lambda a, b: a / b,
    "a**b": lambda a, b: a**b,
    "a//b": lambda a, b: a // b,
    "a%b": lambda a, b: a % b,
    "a//2": lambda a, b: a // 2,
    "5//a": lambda a, b: 5 // a,
    "a%2": lambda a, b: a % 2,
    "-a": lambda a, b: -a,
    "abs(a)": lambda a, b: abs(a),
    "a>b": lambda a, b: a > b,
    "a.exp()": lambda a, b: a.exp(),
    "a.sum()": lambda a, b: a.sum(),
    "a.max()": lambda a, b: a.max(),
}


@pytest.mark.parametrize("fn", list(_ZERO_D_OPS.values()), ids=list(_ZERO_D_OPS))
@pytest.mark.parametrize("kind", ["float", "int"])
def test_zero_d_results_are_proper_tensors(fn, kind):
    torch = pytest.importorskip("torch")
    va, vb = (5.0, 2.0) if kind == "float" else (5, 2)
    ours = fn(al.tensor(va), al.tensor(vb))
    theirs = fn(torch.tensor(va), torch.tensor(vb))
    assert isinstance(ours, al.Tensor) and ours.shape == ()
    assert isinstance(ours.numpy(), np.ndarray)
    assert repr(ours) == repr(theirs).replace("torch.", f"{LIB}.")
    assert ours.item() == theirs.item()


@pytest.mark.parametrize("op", ["relu", "sigmoid", "tanh", "softmax", "log_softmax"])
def test_float16_activations_compute_in_float32_and_keep_dtype(op):
    x = al.tensor([[-1.5, 0.25, 2.0]], dtype=al.float16, requires_grad=True)
    fn = (lambda t: getattr(t, op)(dim=1)) if "softmax" in op else (lambda t: getattr(t, op)())
    y = fn(x)
    (y * al.tensor([[1., 2., 3.]], dtype=al.float16)).sum().backward()
    ref = x.detach().float().requires_grad_()
    (fn(ref) * al.tensor([[1., 2., 3.]])).sum().backward()
    assert y.dtype == al.float16 and x.grad.dtype == al.float16
    np.testing.assert_allclose(y.detach().numpy(), fn(ref).detach().numpy(), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=2e-3, atol=2e-3)


def test_repeat_outer_meshgrid_errors_like_torch():
    import autograd_lite as al
    x = al.ones(2, 3)
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be smaller"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="outer: expected 1-D vectors"):
        al.outer(x, al.ones(3))
    with pytest.raises(RuntimeError, match="mv: expected a matrix and a vector"):
        al.mv(x, x)
    with pytest.raises(ValueError, match="indexing must be 'ij' or 'xy'"):
        al.meshgrid(al.ones(2), indexing="yx")
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor"):
        al.meshgrid(x)
    assert al.equal(x, al.ones(2, 3)) and not al.equal(x, al.ones(3, 2)) and not al.equal(x, al.zeros(2, 3))


def test_tensor_of_an_ndarray_subclass_is_a_plain_copy(tmp_path):
    import autograd_lite as al
    mm = np.lib.format.open_memmap(tmp_path / "a.npy", mode="w+", dtype=np.float32, shape=(3,))
    mm[:] = [1, 2, 3]
    t = al.tensor(mm)
    assert type(t._data) is np.ndarray and t.tolist() == [1, 2, 3]
    w = al.zeros(3)
    w.data = mm
    assert type(w._data) is np.ndarray and w.tolist() == [1, 2, 3]
