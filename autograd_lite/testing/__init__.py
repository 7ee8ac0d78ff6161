"""``autograd_lite.testing``: ``assert_close`` and ``make_tensor`` as ``torch.testing``, for users' own tests.

Example::

    from autograd_lite.testing import assert_close
    assert_close(model(x), expected)             # float32: rtol 1.3e-6, atol 1e-5
    assert_close(a, b, rtol=1e-3, atol=1e-3)
"""
import collections.abc
import math

import numpy as np

from .. import _dtype
from ..creation import from_numpy, rand
from ..tensor import Tensor

__all__ = ["assert_close", "make_tensor"]

_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7)}


def _default_tolerances(*dtypes):
    pairs = [_TOLERANCES.get(np.dtype(d), (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


class _Mismatch(AssertionError):
    pass


def _fail(message, where, msg):
    if where:
        message += f"\n\nThe failure occurred for item {''.join(f'[{w!r}]' for w in where)}"
    if msg is not None:
        message = msg(message) if callable(msg) else msg
    raise _Mismatch(message)


def _format_index(flat, shape):
    return str(tuple(int(i) for i in np.unravel_index(flat, shape))) if shape else "()"


def _compare_arrays(actual, expected, rtol, atol, equal_nan, where, msg):
    """PyTorch's closeness check and report for two arrays of one shape (NumPy's, in their common dtype)."""
    common = np.result_type(actual, expected)
    a, e = actual.astype(common), expected.astype(common)
    if common.kind == "b":
        a, e, common = a.astype(np.int64), e.astype(np.int64), np.dtype(np.int64)
    if common.kind == "f":
        with np.errstate(invalid="ignore"):
            close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    else:
        close = a == e if rtol == atol == 0 else np.abs(a.astype(np.float64) - e) <= atol + rtol * np.abs(e)
    if close.all():
        return
    with np.errstate(all="ignore"):
        abs_diff = np.abs(a - e) if common.kind == "f" else np.abs(a - e)
        rel_base = np.abs(e)
        rel_diff = (abs_diff / rel_base).astype(common if common.kind == "f" else np.float32)
    exact = rtol == 0 and atol == 0
    if actual.ndim == 0:        # Python numbers, as PyTorch reports scalars
        x, y = a.item(), e.item()
        abs_diff, rel_diff = np.asarray(abs(x - y)), np.asarray(abs(x - y) / abs(y) if y else math.inf)
        _fail(f"Scalars are not {'equal' if exact else 'close'}!\n\nExpected {e.item()} but got {a.item()}.\n"
              f"Absolute difference: {abs_diff.item()}" + ("" if exact else f" (up to {atol} allowed)") +
              f"\nRelative difference: {rel_diff.item()}" + ("" if exact else f" (up to {rtol} allowed)"), where, msg)
    n_bad, n = int((~close).sum()), close.size
    masked_abs = np.where(close, 0, np.nan_to_num(abs_diff, nan=np.inf) if common.kind == "f" else abs_diff)
    masked_rel = np.where(close, 0, np.nan_to_num(rel_diff, nan=np.inf))
    i_abs, i_rel = int(np.argmax(masked_abs)), int(np.argmax(masked_rel))
    abs_value, rel_value = abs_diff.reshape(-1)[i_abs].item(), rel_diff.reshape(-1)[i_rel].item()
    _fail(f"Tensor-likes are not {'equal' if exact else 'close'}!\n\n"
          f"Mismatched elements: {n_bad} / {n} ({100 * n_bad / n:.1f}%)\n"
          f"Greatest absolute difference: {abs_value} at index {_format_index(i_abs, actual.shape)}"
          + ("" if exact else f" (up to {atol} allowed)") +
          f"\nGreatest relative difference: {rel_value} at index {_format_index(i_rel, actual.shape)}"
          + ("" if exact else f" (up to {rtol} allowed)"), where, msg)


def _tensor_like(x):
    return isinstance(x, (Tensor, np.ndarray))


def _compare(actual, expected, opts, where):
    rtol, atol, equal_nan, check_device, check_dtype, check_stride, msg = opts
    if _tensor_like(actual) and _tensor_like(expected):
        if type(actual) is not type(expected) and not (isinstance(actual, Tensor) and isinstance(expected, Tensor)):
            raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                            f"{type(expected)}.")
        ta = actual if isinstance(actual, Tensor) else from_numpy(np.asarray(actual))
        te = expected if isinstance(expected, Tensor) else from_numpy(np.asarray(expected))
        for attr, va, ve in (("shape", ta.shape, te.shape),
                             ("device", ta.device, te.device) if check_device else (None, 0, 0),
                             ("dtype", ta.dtype, te.dtype) if check_dtype else (None, 0, 0),
                             ("stride()", ta.stride(), te.stride()) if check_stride else (None, 0, 0)):
            if attr and va != ve:
                _fail(f"The values for attribute '{attr}' do not match: {va} != {ve}.", where, msg)
        a, e = ta.detach().cpu().numpy(), te.detach().cpu().numpy()
        r, t = (rtol, atol) if rtol is not None else _default_tolerances(a.dtype, e.dtype)
        _compare_arrays(a, e, r, t, equal_nan, where, msg)
        return
    scalars = (bool, int, float)
    if isinstance(actual, scalars) and isinstance(expected, scalars):
        if check_dtype and type(actual) is not type(expected):
            _fail(f"The (d)types do not match: {type(actual)} != {type(expected)}.", where, msg)
        a, e = np.asarray(actual), np.asarray(expected)
        if isinstance(actual, float) or isinstance(expected, float):
            a, e = a.astype(np.float64), e.astype(np.float64)
        r, t = (rtol, atol) if rtol is not None else _default_tolerances(a.dtype, e.dtype)
        _compare_arrays(a, e, r, t, equal_nan, where, msg)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        if set(actual) != set(expected):
            _fail(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: "
                  f"{sorted(set(expected) - set(actual), key=str)}\nExtra keys in the actual mapping: "
                  f"{sorted(set(actual) - set(expected), key=str)}", where, msg)
        for key in expected:
            _compare(actual[key], expected[key], opts, where + (key,))
        return
    sequence = (list, tuple)
    if isinstance(actual, sequence) and isinstance(expected, sequence):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", where, msg)
        for i, (x, y) in enumerate(zip(actual, expected)):
            _compare(x, y, opts, where + (i,))
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raises AssertionError unless `actual` and `expected` (tensors, NumPy arrays, Python scalars, or sequences
    and mappings of them) are close: ``|actual - expected| <= atol + rtol * |expected|`` element by element, with
    shape, device and dtype equal; rtol/atol default by dtype (float32: 1.3e-6 / 1e-5), exact for integers.

    Example: ``assert_close(al.tensor([1.0, 2.0]), al.tensor([1.0, 2.0 + 1e-7]))`` passes."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'atol' if atol is None else 'rtol'}.")
    try:
        _compare(actual, expected, (rtol, atol, equal_nan, check_device, check_dtype, check_stride, msg), ())
    except _Mismatch as e:
        raise AssertionError(str(e)) from None


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of `shape` with values drawn uniformly from [low, high) (defaults by dtype: [-9, 9) for floats and
    signed integers, [0, 10) for uint8, {False, True} for bool), as ``torch.testing.make_tensor``.

    Example: ``make_tensor(2, 3, dtype=al.float32, device="cpu", low=-1, high=1)``"""
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    dt = _dtype.to_dtype(dtype)
    if low is not None and high is not None and low > high:
        raise ValueError(f"`low` must be less than or equal to `high`, but got {low} > {high}")
    for name, value in (("low", low), ("high", high)):
        if value is not None and isinstance(value, float) and math.isnan(value):
            raise ValueError(f"`{name}` cannot be NaN, but got {name}=nan")
    u = rand(*shape, dtype=_dtype.float64).numpy()
    if dt is _dtype.bool_:
        values = u < 0.5
    else:
        lo = (0 if dt is _dtype.uint8 else -9) if low is None else low
        hi = 10 if high is None and dt is _dtype.uint8 else (9 if high is None else high)
        values = lo + (hi - lo) * u
        if not dt.is_floating_point:
            values = np.floor(values)
        if exclude_zero:
            tiny = np.finfo(dt.np).tiny if dt.is_floating_point else 1
            values[values == 0] = tiny
    out = from_numpy(np.ascontiguousarray(values.astype(dt.np)))
    if noncontiguous and out.numel() > 1:
        out = out.repeat_interleave(2, dim=-1)[..., ::2]
    out = out.to(device)
    if requires_grad:
        out.requires_grad_(True)
    return out
