"""The conv networks' kernels (kernels/cpu/{conv,pooling,normalization}.py) at 2 threads: the parallel kernels give
exactly what the serial ones give (pooling indices too) at and around their thresholds, and at 1 thread the
parallel path is never taken (issue 16; the thresholds measured in benchmarks/bench_conv_threads.py)."""
import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.kernels.cpu import conv as kc, normalization as kn, pooling as kp
from autograd_lite.kernels.cpu import _threads
from autograd_lite.kernels.cpu._jit import Twins, forced


@pytest.fixture
def two_threads(monkeypatch):
    """2 threads, the machine read as free (the parallel kernels run whatever the test machine's load)."""
    saved = al.get_num_threads()
    monkeypatch.setattr(_threads, "_free_cores", lambda: None)
    monkeypatch.setattr(_threads, "_until", 0.0)
    monkeypatch.setattr(_threads, "_free", None)
    al.set_num_threads(2)
    yield
    al.set_num_threads(saved)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _ties(shape, seed=0, dtype=np.float32):
    """Values with many ties (small integers) and a few NaN: the argmax's rules are exercised."""
    x = _rng(seed).integers(-3, 4, shape).astype(dtype)
    x.ravel()[::97] = np.nan
    return x


def _agree(run, sums=()):
    """run() under forced parallel, forced serial and the default thresholds: bitwise equal outputs, but for the
    outputs at the indices `sums` (sums over a loop that numba vectorises differently in the two kernels, under
    fastmath's reassociation): equal to rounding."""
    with forced(True):
        par = run()
    with forced(False):
        ser = run()
    default = run()
    for i, (a, b, c) in enumerate(zip(par, ser, default)):
        if a is None:
            assert b is None and c is None
            continue
        assert a.dtype == b.dtype == c.dtype and a.shape == b.shape == c.shape
        if i in sums:
            tol = 1e-5 if a.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol * np.abs(b).max())
            np.testing.assert_allclose(c, b, rtol=tol, atol=tol * np.abs(b).max())
        else:
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(c, b)
    return ser


def _sized(t, per, at_least=1):
    """How many of `per` elements reach kernel t's threshold (capped: the test stays small)."""
    return max(at_least, min(int(np.ceil(t.par_min / per)), 64))


# ---- conv kernels --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geo", [((3, 3), (1, 1), (1, 1), (1, 1)), ((3, 3), (2, 2), (0, 1), (1, 2)),
                                 ((7, 7), (2, 2), (3, 3), (1, 1))])
def test_im2col_col2im_parallel_equals_serial(two_threads, dtype, geo):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geo
    c, h, w = 5, 19, 17
    ho, wo = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    n = _sized(kc._im2col, c * kh * kw * ho * wo, 3)
    x = _rng().standard_normal((n, c, h, w)).astype(dtype)
    cols = _agree(lambda: (kc.im2col(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo)),
                           kc.im2col(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo), transposed=True)))
    g = _rng(1).standard_normal(cols[0].shape).astype(dtype)
    _agree(lambda: (kc.col2im(g, x.shape, (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo)),
                    kc.col2im(np.ascontiguousarray(g.transpose(1, 0, 2)), x.shape, (kh, kw), (sh, sw), (ph, pw),
                              (dh, dw), (ho, wo), transposed=True)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("flat", [True, False])
def test_conv_direct_parallel_equals_serial(two_threads, dtype, flat):
    stride, padding = ((1, 1), (0, 0)) if flat else ((2, 1), (1, 2))
    h = w = 28
    ho, wo = (h + 2 * padding[0] - 3) // stride[0] + 1, (w + 2 * padding[1] - 3) // stride[1] + 1
    n = _sized(kc._conv_direct, 32 * ho * wo, 3)
    x, wt = _rng().standard_normal((n, 1, h, w)).astype(dtype), _rng(1).standard_normal((32, 1, 3, 3)).astype(dtype)
    b = _rng(2).standard_normal(32).astype(dtype)
    _agree(lambda: [kc.conv_direct(x, wt, b, stride, padding, (1, 1), (ho, wo), relu=r) for r in (False, True)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_relu_and_its_backward_parallel_equal_serial(two_threads, dtype):
    o, hw = 33, 121
    n = _sized(kc._bias_relu, o * hw, 3)
    y, b = _rng().standard_normal((n, o, 11, 11)).astype(dtype), _rng(1).standard_normal(o).astype(dtype)
    _agree(lambda: [kc.conv_bias_relu_(y.copy(), b, r) for r in (False, True)])
    g = _rng(2).standard_normal(y.shape).astype(dtype)
    _agree(lambda: kc.conv_relu_backward(g, np.maximum(y, 0)), sums=(1,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tap_sum_parallel_equals_serial(two_threads, dtype):
    o, h, w = 32, 14, 14
    n = _sized(kc._tap_sum, o * h * w, 3)
    z = _rng().standard_normal((n, 9 * o, h * w)).astype(dtype)
    b = _rng(1).standard_normal(o).astype(dtype)
    _agree(lambda: (kc.tap_sum(z, (h, w), b, (3, 3), (1, 1), (1, 1), (1, 1), (h, w)),))


# ---- pooling --------------------------------------------------------------------------------------------------
POOLS = [((2, 2), (2, 2), (0, 0), (1, 1), 26), ((2, 2), (2, 2), (0, 0), (1, 1), 11),
         ((3, 3), (2, 2), (1, 1), (1, 1), 28), ((3, 3), (2, 1), (1, 0), (2, 1), 15)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel,stride,padding,dilation,size", POOLS)
def test_max_pool_parallel_equals_serial_indices_too(two_threads, dtype, kernel, stride, padding, dilation, size):
    out = tuple((size + 2 * p - d * (k - 1) - 1) // s + 1 for k, s, p, d in zip(kernel, stride, padding, dilation))
    planes = max(_sized(t, out[0] * out[1], 5) for t in (kp._max_fwd22, kp._max_rows_idx, kp._max_fwd))
    x = _ties((planes, size, size), dtype=dtype)
    y, idx = _agree(lambda: kp.max_pool2d_forward(x, kernel, stride, padding, dilation, out))
    _agree(lambda: kp.max_pool2d_forward(x, kernel, stride, padding, dilation, out, indices=False)[:1])
    g = _rng(1).standard_normal(y.shape).astype(dtype)
    _agree(lambda: (kp.max_pool2d_backward(g, idx, (size, size), kernel, stride, padding, dilation),))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_and_adaptive_pools_parallel_equal_serial(two_threads, dtype):
    planes = _sized(kp._avg_fwd22, 14 * 14, 5)
    x = _rng().standard_normal((planes, 28, 28)).astype(dtype)
    _agree(lambda: (kp.avg_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (14, 14), True, None),
                    kp.avg_pool2d_forward(x, (3, 3), (2, 2), (1, 1), (14, 14), False, None),
                    kp.avg_pool2d_backward(x[:, :14, :14].copy(), (28, 28), (2, 2), (2, 2), (0, 0), True, None),
                    kp.adaptive_avg_pool2d_forward(x, (1, 1)), kp.adaptive_avg_pool2d_forward(x, (5, 3)),
                    kp.adaptive_avg_pool2d_backward(x[:, :1, :1].copy(), (28, 28))))
    _agree(lambda: kp.adaptive_max_pool2d_forward(_ties(x.shape, dtype=dtype), (5, 3)))


# ---- normalization -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("relu", [False, True])
def test_batch_norm_parallel_equals_serial(two_threads, dtype, relu):
    c, s = 37, 14 * 14
    n = _sized(kn._bn_train_fwd, c * s, 3)
    x = (_rng().standard_normal((n, c, 14, 14)) * 3 + 1).astype(dtype)
    w, b = _rng(1).standard_normal(c).astype(dtype), _rng(2).standard_normal(c).astype(dtype)
    sums = (0, 1, 2)            # float64: the statistics' sums round differently in the two kernels
    y, mean, var = _agree(lambda: kn.batch_norm_forward(x, w, b, relu=relu), sums)
    _agree(lambda: kn.batch_norm_forward(x, w, b, mean, var, relu=relu))
    g = _rng(3).standard_normal(x.shape).astype(dtype)
    invstd = (1 / np.sqrt(var + 1e-5)).astype(dtype)
    for training in (True, False):
        _agree(lambda: kn.batch_norm_backward(g, x, mean, invstd, w, training, y if relu else None), sums)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_group_norm_parallel_equals_serial(two_threads, dtype):
    c, groups = 64, 8
    n = _sized(kn._gn_fwd, c * 7 * 7, 3)
    x = _rng().standard_normal((n, c, 7, 7)).astype(dtype)
    w, b = _rng(1).standard_normal(c).astype(dtype), _rng(2).standard_normal(c).astype(dtype)
    y, mean, rstd = _agree(lambda: kn.group_norm_forward(x, groups, w, b), (0, 1, 2))
    g = _rng(3).standard_normal(x.shape).astype(dtype)
    _agree(lambda: kn.group_norm_backward(g, x, mean, rstd, w, groups), (0, 1, 2))


# ---- the thresholds ----------------------------------------------------------------------------------------------
KERNELS = [t for t in Twins.all if t.serial.py_func.__module__.rsplit(".", 1)[-1] in ("conv", "pooling",
                                                                                          "normalization")]


@pytest.mark.parametrize("t", KERNELS, ids=lambda t: t.serial.py_func.__name__)
def test_thresholds_switch_where_set(t):
    """Below its threshold a kernel runs serially, from it in parallel (as the threading layer allows)."""
    if t.par_min == 0 or t.par_min > 1 << 40:
        pytest.fail(f"{t.serial.py_func.__name__}: threshold {t.par_min} is not a size")
    assert t.pick(t.par_min - 1) is t.serial and t.pick(t.par_min) is t.parallel


def test_one_thread_never_takes_the_parallel_kernels(two_threads, monkeypatch):
    """At 1 thread the parallel kernel is not run, whatever the size (the thresholds cost nothing there)."""
    if _threads._mode == "serial":
        pytest.skip("parallel kernels run serially in this process (a child forked from an OpenMP process)")

    def refuse(*args):
        raise AssertionError("a parallel kernel ran")
    x = _rng().standard_normal((2, 4, 9, 9)).astype(np.float32)

    def run():
        kc.im2col(x, (3, 3), (1, 1), (1, 1), (1, 1), (9, 9))
        kp.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), (4, 4))
        kn.batch_norm_forward(x, None, None)
    for t in KERNELS:
        monkeypatch.setattr(t.parallel, "kernel", refuse)
        monkeypatch.setattr(t, "par_min", 0)        # every size over its threshold
    al.set_num_threads(1)
    run()
    al.set_num_threads(2)
    with pytest.raises(AssertionError, match="a parallel kernel ran"):     # the probe works: at 2 threads it runs
        run()
