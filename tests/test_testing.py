"""autograd_lite.testing against torch.testing: assert_close passes and fails where torch's does, with torch's
messages (the library's name for dtypes and devices aside), and make_tensor's ranges, dtypes and options."""
import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.testing import assert_close, make_tensor

torch = pytest.importorskip("torch")


def _both(make):
    """make(lib) -> (actual, expected, kwargs): the outcome of assert_close in each library."""
    out = []
    for L in (torch, al):
        actual, expected, kwargs = make(L)
        try:
            L.testing.assert_close(actual, expected, **kwargs)
            out.append(None)
        except Exception as e:      # noqa: BLE001  (comparing what each raises)
            out.append((type(e), str(e).replace("torch.", "autograd_lite.").replace("autograd_lite.tensor.Tensor",
                                                                                    "autograd_lite.Tensor")))
    return out


def T(L, values, dtype=None):
    return L.tensor(values, dtype=None if dtype is None else getattr(L, dtype))


CASES = {
    "equal": lambda L: (T(L, [1.0, 2.0]), T(L, [1.0, 2.0]), {}),
    "within default rtol": lambda L: (T(L, [1.0, 2.0]), T(L, [1.0, 2.0000005]), {}),
    "one far": lambda L: (T(L, [1.0, 2.0, 3.0]), T(L, [1.0, 2.5, 3.0]), {}),
    "2-d": lambda L: (T(L, [[1.0, 2.0], [3.0, 4.0]]), T(L, [[1.0, 2.0], [3.0, 5.0]]), {}),
    "shape": lambda L: (T(L, [1.0, 2.0]), T(L, [1.0, 2.0, 3.0]), {}),
    "scalars": lambda L: (1.0, 1.5, {}),
    "int vs float": lambda L: (1, 1.0, {}),
    "ints": lambda L: (T(L, [1, 2]), T(L, [1, 3]), {}),
    "bools": lambda L: (T(L, [True]), T(L, [False]), {}),
    "list": lambda L: ([T(L, 1.0)], [T(L, 2.0)], {}),
    "dict": lambda L: ({"a": T(L, 1.0)}, {"a": T(L, 2.0)}, {}),
    "nan": lambda L: (T(L, [float("nan")]), T(L, [float("nan")]), {}),
    "nan equal": lambda L: (T(L, [float("nan")]), T(L, [float("nan")]), {"equal_nan": True}),
    "rtol only": lambda L: (T(L, [1.0]), T(L, [1.0]), {"rtol": 0}),
    "msg": lambda L: (T(L, [1.0, 2.0]), T(L, [1.0, 2.1]), {"msg": "custom"}),
    "msg callable": lambda L: (T(L, [1.0, 2.0]), T(L, [1.0, 2.1]), {"msg": lambda m: "X" + m[:10]}),
    "lengths": lambda L: ([1, 2], [1, 2, 3], {}),
    "0-d": lambda L: (T(L, 2.0), T(L, 3.0), {}),
    "float16": lambda L: (T(L, [1.0, 2.0], "float16"), T(L, [1.0, 2.1], "float16"), {}),
    "explicit tolerances": lambda L: (T(L, [1.0, 2.0]), T(L, [1.0, 2.1]), {"rtol": 0.1, "atol": 0.0}),
    "tensor vs list": lambda L: (T(L, [1.0]), [1.0], {}),
    "tuple vs list": lambda L: ((1, 2), [1, 2], {}),
    "requires grad": lambda L: (L.ones(2, requires_grad=True), L.ones(2), {}),
    "mixed dtypes unchecked": lambda L: (T(L, [1.0, 2.0]), T(L, [1.0, 2.1], "float64"), {"check_dtype": False}),
    "numpy arrays": lambda L: (np.array([1.0, 2.0], np.float32), np.array([1.0, 2.1], np.float32), {}),
    "stride": lambda L: (L.zeros(2, 3), L.zeros(3, 2).t(), {"check_stride": True}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_assert_close_as_torch(name):
    ref, ours = _both(CASES[name])
    assert ours == ref


def test_dtype_mismatch_names_our_dtypes():
    with pytest.raises(AssertionError, match=r"'dtype' do not match: autograd_lite.float32 != autograd_lite.float64"):
        assert_close(al.ones(2), al.ones(2, dtype=al.float64))


@pytest.mark.parametrize("dtype, low, high", [("float32", None, None), ("float64", -1, 1), ("int64", None, None),
                                              ("uint8", None, None), ("int32", 3, 7), ("bool", None, None)])
def test_make_tensor(dtype, low, high):
    dt = getattr(al, dtype if dtype != "bool" else "bool")
    t = make_tensor(4, 50, dtype=dt, device="cpu", low=low, high=high)
    assert t.shape == (4, 50) and t.dtype is dt
    ref = torch.testing.make_tensor(4, 50, dtype=getattr(torch, dtype), device="cpu", low=low, high=high)
    if dtype != "bool":
        v, r = t.numpy().astype(np.float64), ref.numpy().astype(np.float64)
        assert r.min() >= (low if low is not None else r.min()) and v.min() >= r.min() - 2 and v.max() <= r.max() + 2
    t = make_tensor((3, 4), dtype=al.float32, device="cpu", requires_grad=True, noncontiguous=True, exclude_zero=True)
    assert t.requires_grad and not t.is_contiguous() and t.shape == (3, 4) and bool((t != 0).all())
    with pytest.raises(ValueError, match="`low` must be less than or equal to `high`"):
        make_tensor(2, dtype=al.float32, device="cpu", low=2, high=1)
