"""CPU kernels against their plain NumPy formulas (computed in float64), on every dispatch path."""
import importlib
import os
import subprocess
import sys
import warnings

import numba
import numpy as np
import pytest

from autograd_lite.kernels import cpu
from autograd_lite.kernels.cpu import activations
from autograd_lite.kernels.cpu._fastmath import exp as fm_exp, exp_nonpos, from_key, order_key
from autograd_lite.kernels.cpu._jit import Twins, forced

F32, F64 = np.float32, np.float64
TOL = {F32: (1e-5, 1e-6), F64: (1e-12, 1e-14)}  # rtol, atol
# Parallel paths run on float32 only: one compile fewer per kernel, and their source is the serial one.
PATHS = ["dispatch", "numpy", "numba", "numba-parallel"]
DTYPE_PATHS = [(F64, p) for p in PATHS[:3]] + [(F32, p) for p in PATHS]


def run(path, op, *args):
    """op(*args) through one path: the public dispatcher, or one of cpu.PATHS[op] forced serial or parallel."""
    if path == "dispatch":
        return getattr(cpu, op)(*args)
    fn = cpu.PATHS[op].get(path.split("-")[0]) or pytest.skip(f"{op} has no {path} path")
    with forced(path == "numba-parallel"):
        return fn(*args)


def randn(shape, dtype, layout="C", seed=0, scale=3.0):
    """Random array of this shape in a layout: C-contiguous, "T" (transpose of a C array), or "strided"."""
    rng = np.random.default_rng(seed)
    if layout == "T":
        return (rng.standard_normal(shape[::-1]) * scale).astype(dtype).T
    if layout == "strided":
        return (rng.standard_normal(shape[:-1] + (2 * shape[-1],)) * scale).astype(dtype)[..., ::2]
    return (rng.standard_normal(shape) * scale).astype(dtype)


def call(path, op, *args):
    """run(), asserting that it returns a new ndarray and leaves its inputs alone."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    out = run(path, op, *args)
    assert type(out) is np.ndarray
    for a, c in zip(args, copies):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, c)
            assert not np.shares_memory(out, a)
    return out


def close(out, ref, dtype, shape, scale=0.0):
    """out has this dtype and shape and matches ref within rtol of |ref| + scale (cancelled terms) + atol."""
    assert out.dtype == dtype and out.shape == shape
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol + rtol * np.max(scale, initial=0))


def sigmoid64(x):
    return 1 / (1 + np.exp(-x.astype(F64)))


UNARY = {"relu_forward": lambda x: np.maximum(x, 0), "sigmoid_forward": sigmoid64, "tanh_forward": np.tanh}
BINARY = {  # op: (formula of (g, y), forward producing y)
    "relu_backward": (lambda g, y: g * (y > 0), lambda x: np.maximum(x, 0)),
    "sigmoid_backward": (lambda g, y: g * y * (1 - y), sigmoid64),
    "tanh_backward": (lambda g, y: g * (1 - y * y), np.tanh),
}
EW_SHAPES = [((), "C"), ((0,), "C"), ((1,), "C"), ((7,), "strided"), ((1025,), "C"),
             ((7, 1025), "C"), ((1025, 7), "T"), ((0, 5), "C"), ((3, 4, 5), "strided")]


@pytest.mark.parametrize("dtype,path", DTYPE_PATHS)
@pytest.mark.parametrize("shape,layout", EW_SHAPES)
@pytest.mark.parametrize("op", list(UNARY) + list(BINARY))
def test_elementwise(op, shape, layout, dtype, path):
    x = randn(shape, dtype, layout)
    if op in UNARY:
        close(call(path, op, x), UNARY[op](x.astype(F64)), dtype, shape)
    else:
        formula, fwd = BINARY[op]
        g, y = randn(shape, dtype, layout, seed=1), fwd(x).astype(dtype)
        close(call(path, op, g, y), formula(g.astype(F64), y.astype(F64)), dtype, shape)


def softmax64(x, d):
    e = np.exp(x - x.max(d, keepdims=True))
    return e / e.sum(d, keepdims=True)


def log_softmax64(x, d):
    s = x - x.max(d, keepdims=True)
    return s - np.log(np.exp(s).sum(d, keepdims=True))


ROWWISE = {  # op: (formula of (x,) or (g, y) and dim, forward producing y or None, size of what the formula cancels)
    "softmax_forward": (softmax64, None, None),
    "log_softmax_forward": (log_softmax64, None, None),
    "softmax_backward": (lambda g, y, d: y * (g - (g * y).sum(d, keepdims=True)), softmax64,
                         lambda g, y, d: np.abs(y) * (np.abs(g) + np.abs(g * y).sum(d, keepdims=True))),
    "log_softmax_backward": (lambda g, y, d: g - np.exp(y) * g.sum(d, keepdims=True), log_softmax64,
                             lambda g, y, d: np.abs(g) + np.exp(y) * np.abs(g).sum(d, keepdims=True)),
}
ROW_CASES = [((7,), 0, "C"), ((1025,), -1, "strided"), ((7, 1025), -1, "C"), ((1025, 7), 0, "T"),
             ((1025, 7), -1, "T"), ((0, 5), -1, "C"), ((5, 0), 0, "C"), ((3, 4, 5), 0, "C"),
             ((3, 4, 5), 1, "strided"), ((3, 4, 5), -1, "C"), ((3, 4, 5), -2, "T")]


@pytest.mark.parametrize("dtype,path", DTYPE_PATHS)
@pytest.mark.parametrize("shape,dim,layout", ROW_CASES)
@pytest.mark.parametrize("op", list(ROWWISE))
def test_rowwise(op, shape, dim, layout, dtype, path):
    formula, fwd, cancelled = ROWWISE[op]
    x = randn(shape, dtype, layout)
    if fwd is None:
        args, ref, scale = (x,), formula(x.astype(F64), dim), 0.0
    else:
        g, y = randn(shape, dtype, layout, seed=1), fwd(x.astype(F64), dim).astype(dtype)
        args64 = (g.astype(F64), y.astype(F64), dim)
        args, ref, scale = (g, y), formula(*args64), cancelled(*args64)
    close(call(path, op, *args, dim), ref, dtype, shape, scale)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_rowwise_0d(dtype):
    x = np.array(2.5, dtype)
    for op, want in [("softmax_forward", 1), ("log_softmax_forward", 0), ("softmax_backward", 0),
                     ("log_softmax_backward", 0)]:
        args = (x,) if op.endswith("forward") else (x, np.array(want, dtype))
        for dim in (0, -1):
            out = call("dispatch", op, *args, dim)
            assert out.shape == () and out.dtype == dtype and out == want, op
    with pytest.raises(IndexError, match="softmax_forward: dim 1"):
        cpu.softmax_forward(x, 1)


def test_stability():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / invalid-value warnings
        for dtype in (F32, F64):
            x = np.array([-np.inf, -1e4, -800, -100, 0, 100, 800, 1e4, np.inf, np.nan], dtype)
            for path in PATHS[:3]:
                s = call(path, "sigmoid_forward", x)
                np.testing.assert_array_equal(s[[0, 1, 2, 6, 7, 8]], [0, 0, 0, 1, 1, 1])
                assert np.isnan(s[-1]) and 0 <= s[3] < 1e-40  # sigmoid(-100) = 3.7e-44, subnormal in float32
            big = 3e38 if dtype == F32 else 1e300
            logits = np.array([[1e4, -1e4, 0], [big, 0, 1], [-np.inf, 0, 0], [0, np.nan, 1]], dtype)
            for path in PATHS[:3]:
                p = call(path, "softmax_forward", logits, -1)
                np.testing.assert_array_equal(p[:2], [[1, 0, 0], [1, 0, 0]])
                np.testing.assert_array_equal(p[2], [0, 0.5, 0.5])
                ls = call(path, "log_softmax_forward", logits, -1)
                assert np.all(np.isfinite(ls[:2, 0])) and ls[0, 1] == -2e4 and ls[2, 0] == -np.inf
                np.testing.assert_allclose(ls[2, 1:], [-np.log(2)] * 2, rtol=1e-6)
                assert np.isnan(p[3]).all() and np.isnan(ls[3]).all()  # as NumPy and PyTorch
            for op in ("softmax_forward", "log_softmax_forward"):  # an all -inf row: NaN, as PyTorch, and no warning
                assert np.isnan(call("dispatch", op, np.full((2, 3), -np.inf, dtype), 0)).all()


MM_SHAPES = [(1, 1, 1), (0, 5, 3), (5, 0, 3), (7, 1025, 7), (70, 300, 530), (1025, 7, 9)]


def mm_close(out, a, b, dtype, bias=None, act=lambda z: z):
    """out == act(a @ b + bias) within rtol of |a| @ |b| + |bias| (the scale of the rounding), in float64."""
    a, b, c = a.astype(F64), b.astype(F64), 0 if bias is None else bias.astype(F64)
    close(out, act(a @ b + c), dtype, (a @ b).shape, np.abs(a) @ np.abs(b) + np.abs(c))


@pytest.mark.parametrize("dtype,path", [(F64, "numba"), (F32, "numba"), (F32, "numba-parallel")])
@pytest.mark.parametrize("m,k,n", MM_SHAPES)
def test_matmul_blocked(m, k, n, dtype, path):
    a, b = randn((m, k), dtype, "T"), randn((k, n), dtype, "strided", seed=1)
    mm_close(call(path, "matmul", a, b), a, b, dtype)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("sa,sb", [((8, 8), (8, 8)), ((7, 1025), (1025, 7)), ((0, 5), (5, 3)), ((2, 3, 4), (4, 5)),
                                   ((3, 4), (2, 4, 5)), ((6,), (6, 2)), ((2, 6), (6,)), ((6,), (6,))])
def test_matmul(sa, sb, dtype):
    a, b = randn(sa, dtype, "T" if len(sa) == 2 else "C"), randn(sb, dtype, seed=1)
    mm_close(call("dispatch", "matmul", a, b), a, b, dtype)


@pytest.mark.parametrize("dtype,path", DTYPE_PATHS)
@pytest.mark.parametrize("shape,layout", [((1,), "C"), ((7,), "C"), ((0, 5), "C"), ((1025, 7), "T"),
                                          ((7, 1025), "strided"), ((5, 0), "C"), ((2, 3, 4), "T")])
def test_bias(shape, layout, dtype, path):
    x, b = randn(shape, dtype, layout), randn(shape[-1:], dtype, seed=1)
    close(call(path, "bias_add", x, b), x.astype(F64) + b, dtype, shape)
    lead = tuple(range(x.ndim - 1))
    close(call(path, "bias_grad", x), x.astype(F64).sum(lead), dtype, shape[-1:], np.abs(x.astype(F64)).sum(lead))


def log_softmax64(y):
    s = y - y.max(-1, keepdims=True)
    return s - np.log(np.exp(s).sum(-1, keepdims=True))


ACTS = {None: lambda y: y, "relu": lambda y: np.maximum(y, 0), "sigmoid": sigmoid64, "tanh": np.tanh,
        "log_softmax": log_softmax64}


@pytest.mark.parametrize("dtype,path", DTYPE_PATHS)
@pytest.mark.parametrize("act", list(ACTS))
@pytest.mark.parametrize("sx,out_f,bias", [((7,), 3, True), ((0, 5), 3, True), ((64, 784), 128, True),
                                           ((2, 3, 7), 1025, False), ((1025, 7), 9, True)])
def test_linear_forward(sx, out_f, bias, act, dtype, path):
    x, w = randn(sx, dtype, "T" if len(sx) == 2 else "C", scale=0.3), randn((out_f, sx[-1]), dtype, seed=1, scale=0.3)
    b = randn((out_f,), dtype, seed=2) if bias else None
    mm_close(call(path, "linear_forward", x, w, b, act), x, w.T, dtype, b, ACTS[act])


@pytest.mark.parametrize("dtype,path", [(F64, "dispatch"), (F64, "numpy"), (F32, "dispatch"), (F32, "numba"),
                                        (F32, "separate"), (F32, "numpy")])
@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh", "log_softmax"])
@pytest.mark.parametrize("shape,layout", [((1,), "C"), ((0, 5), "C"), ((64, 128), "C"), ((1025, 7), "T"),
                                          ((2, 3, 9), "strided")])
def test_activation_bias_backward(shape, layout, act, dtype, path):
    """(g * act'(y), its sums over the leading axes) in one pass: the activation's backward and bias_grad."""
    g, y = randn(shape, dtype, layout), ACTS[act](randn(shape, dtype, seed=1)).astype(dtype)
    copies = g.copy(), y.copy()
    fn = cpu.activation_bias_backward if path == "dispatch" else cpu.PATHS["activation_bias_backward"][path]
    dz, db = fn(g, y, act)
    np.testing.assert_array_equal(g, copies[0])
    np.testing.assert_array_equal(y, copies[1])
    g64, y64 = g.astype(F64), y.astype(F64)
    ref = g64 - np.exp(y64) * g64.sum(-1, keepdims=True) if act == "log_softmax" else \
        g64 * {"relu": y64 > 0, "sigmoid": y64 * (1 - y64), "tanh": 1 - y64 * y64}[act]
    close(dz, ref, dtype, shape)
    lead = tuple(range(len(shape) - 1))
    close(db, ref.sum(lead), dtype, shape[-1:], np.abs(ref).sum(lead))
    if path in ("dispatch", "numba") and dtype is F32 and act != "log_softmax":   # bias_grad's sums, in its order
        np.testing.assert_array_equal(db, cpu.bias_grad(cpu.PATHS[act + "_backward"]["numba"](g, y)))
    with pytest.raises(ValueError, match="activation_bias_backward: activation"):
        cpu.activation_bias_backward(g, y, "gelu")


def test_random_words_are_splitmix64():
    """The counter-based stream is SplitMix64 (Vigna's reference outputs for seeds 0 and 1234567), the same
    serial and parallel; bits16 draws are reproducible under manual_seed and uniform."""
    from autograd_lite.kernels.cpu.bits import _splitmix64, random_words
    import autograd_lite as al
    assert [int(w) for w in random_words(0, 3)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    assert [int(w) for w in random_words(1234567, 2)] == [0x599ED017FB08FC85, 0x2C73F08458540FA5]
    serial, parallel = np.empty(1001, np.uint64), np.empty(1001, np.uint64)
    _splitmix64.serial(np.uint64(2 ** 64 - 5), serial)                  # the key wraps around
    _splitmix64.parallel(np.uint64(2 ** 64 - 5), parallel)
    np.testing.assert_array_equal(serial, parallel)
    al.manual_seed(11)
    u = al.random.bits16((64, 1000))
    al.manual_seed(11)
    np.testing.assert_array_equal(u, al.random.bits16((64, 1000)))
    assert u.dtype == np.uint16 and u.shape == (64, 1000)
    counts = np.bincount((u >> 8).ravel(), minlength=256)                # 64000 draws, 250 per bin expected
    assert ((counts - 250) ** 2 / 250).sum() < 330                         # chi-square, 255 df (p ~ 0.001)
    assert abs((u >= 32768).mean() - 0.5) < 0.01


def test_errors():
    x32, x64 = np.ones((2, 3), F32), np.ones((2, 3), F64)
    with pytest.raises(TypeError, match=r"relu_backward: .*float32\[2, 3\], float64\[2, 3\]"):
        cpu.relu_backward(x32, x64)
    with pytest.raises(TypeError, match="tanh_forward: expected float32 or float64"):
        cpu.tanh_forward(np.ones(3, np.int64))
    with pytest.raises(ValueError, match="sigmoid_backward: shapes must match"):
        cpu.sigmoid_backward(x32, x32[:1])
    with pytest.raises(ValueError, match=r"matmul: cannot multiply shapes \(2, 3\) @ \(2, 3\)"):
        cpu.matmul(x32, x32)
    with pytest.raises(ValueError, match="matmul: cannot multiply"):
        cpu.matmul(np.ones((2, 2, 3), F32), np.ones((3, 3, 4), F32))
    with pytest.raises(ValueError, match="matmul_blocked: expected 2-D"):
        cpu.matmul_blocked(np.ones(3, F32), np.ones((3, 2), F32))
    with pytest.raises(ValueError, match=r"bias_add: expected x \(\.\.\., F\) and b \(F,\), got x \(2, 3\), b \(2,\)"):
        cpu.bias_add(x32, np.ones(2, F32))
    with pytest.raises(ValueError, match="bias_grad: expected g"):
        cpu.bias_grad(np.float32(1))
    with pytest.raises(ValueError, match="linear_forward: activation"):
        cpu.linear_forward(x32, x32, None, "gelu")
    with pytest.raises(ValueError, match=r"linear_forward: expected .*got x \(2, 3\), w \(4, 2\), b None"):
        cpu.linear_forward(x32, np.ones((4, 2), F32))
    with pytest.raises(ValueError, match=r"linear_forward: expected .*b \(3,\)"):
        cpu.linear_forward(x32, np.ones((4, 3), F32), np.ones(3, F32))


def test_twins_have_their_own_cache_entries():
    for t in Twins.all:
        assert t.serial.py_func is not t.parallel.py_func
        assert t.parallel.py_func.__qualname__ == t.serial.py_func.__qualname__ + "_par"
        assert t.parallel.targetoptions.get("parallel") and not t.serial.targetoptions.get("parallel")


def test_cache_dir_and_lazy_compile(tmp_path):
    """Without NUMBA_CACHE_DIR, kernels cache under $XDG_CACHE_HOME/autograd_lite/numba; importing compiles none."""
    code = (
        "import numba, numpy as np\n"
        "from autograd_lite.kernels import cpu\n"
        "from autograd_lite.kernels.cpu._jit import Twins\n"
        "assert not any(t.serial.signatures or t.parallel.signatures for t in Twins.all)\n"
        "print(numba.config.CACHE_DIR)\n"
        "cpu.relu_backward(np.ones(3), np.ones(3))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(XDG_CACHE_HOME=str(tmp_path), PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    from autograd_lite.kernels.cpu._jit import _sources_digest
    cache = tmp_path / "autograd_lite" / "numba" / _sources_digest()
    assert r.stdout.strip() == str(cache)
    assert any(p.name.startswith("activations._relu_bwd-") for p in cache.rglob("*.nbi")), list(cache.rglob("*"))


def test_cache_folder_follows_the_kernel_sources(tmp_path):
    """An edit to any kernel source (an inlined helper included) gets a fresh cache folder: no stale kernel."""
    from autograd_lite.kernels.cpu import _jit
    src = tmp_path / "cpu"
    src.mkdir()
    for name in ("_jit.py", "_fastmath.py", "softmax.py"):
        (src / name).write_text(f"# {name}\n")
    digest = lambda: _jit._sources_digest(str(src))     # noqa: E731
    before = digest()
    (src / "_fastmath.py").write_text("# _fastmath.py, edited\n")
    assert digest() != before and len(before) == 16


def test_kernel_table_names():
    mm = importlib.import_module("autograd_lite.kernels.cpu.matmul")  # cpu.matmul is the function, not the module
    assert cpu.matmul is mm.matmul and cpu.PATHS["matmul"]["numba"] is mm.matmul_blocked
    assert all(callable(getattr(cpu, name)) for name in cpu.__all__)


# ---- _fastmath: the vectorised float32 exp and the float order keys -----------------------------------------

@numba.njit
def _exp_loop(x, out, nonpos):
    if nonpos:
        for i in range(x.size):
            out[i] = exp_nonpos(x[i])
    else:
        for i in range(x.size):
            out[i] = fm_exp(x[i])


@numba.njit
def _keys(x, out):
    for i in range(x.size):
        out[i] = order_key(x[i])


@numba.njit
def _unkeys(k, like, out):
    for i in range(k.size):
        out[i] = from_key(k[i], like)


TINY32 = np.finfo(F32).tiny


def _exp_sweep():
    """float32 x: every 509th bit pattern, every one within 2^15 patterns of the edges (overflow, the
    denormal and underflow ranges, 0), and the special values."""
    edges = np.array([88.72283935546875, 88.3762626647949, -87.33654475, -87.68, -88.0, -103.972084, -110.0,
                      90.0, 0.0, -0.0, 1e-30, -1e-30], F32).view(np.uint32).astype(np.int64)
    near = (edges[:, None] + np.arange(-(1 << 15), 1 << 15)).ravel() % (1 << 32)
    bits = np.concatenate([np.arange(0, 1 << 32, 509), near]).astype(np.uint32)
    specials = np.array([np.inf, -np.inf, np.nan, -np.nan, np.finfo(F32).max, -np.finfo(F32).max], F32)
    return np.concatenate([bits.view(F32), specials])


def _ulps(a, b):
    return np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32))


def test_fast_exp_float32():
    """Within 1 ulp of the correctly rounded exp, denormals included; inf/0 beyond the range; NaN stays NaN.
    exp_nonpos (x <= 0): the same, but for results below 2^-126.5, which may be 0 (np.exp's are denormal)."""
    x = _exp_sweep()
    nan = np.isnan(x)
    with np.errstate(over="ignore", invalid="ignore"):
        ref = np.exp(x.astype(F64))
        cr = ref.astype(F32)  # correctly rounded (float64 exp's error is far below float32's half ulp)
    out = np.empty_like(x)
    _exp_loop(x, out, False)
    assert np.isnan(out[nan]).all()
    assert _ulps(out[~nan], cr[~nan]).max() <= 1
    fin = ~nan & (ref >= TINY32) & (ref <= np.finfo(F32).max)
    assert np.max(np.abs(out[fin] / ref[fin] - 1)) < 1e-7  # measured over all of float32: 8.5e-8
    assert np.isposinf(out[x > 88.72283935546875]).all() and (out[x < -103.973] == 0).all()
    neg = ~nan & (x <= 0)
    _exp_loop(x, out, True)
    assert np.isnan(out[nan]).all()
    flushed = neg & (out == 0) & (cr != 0)
    assert (cr[flushed] < 2 ** -126.5).all() and np.all(x[flushed] < -87.68)
    assert _ulps(out[neg & ~flushed], cr[neg & ~flushed]).max() <= 1
    assert out[x == -np.inf] == 0


def test_fast_exp_float64_is_libm():
    x = np.concatenate([np.linspace(-750, 710, 100001), [np.inf, -np.inf, np.nan, 0.0]])
    for nonpos in (False, True):
        out = np.empty_like(x)
        _exp_loop(x, out, nonpos)
        with np.errstate(over="ignore"):
            np.testing.assert_allclose(out, np.exp(x), rtol=1e-15, atol=0)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_order_key(dtype):
    fi = np.finfo(dtype)
    x = np.concatenate([randn((5000,), dtype, scale=1e3), randn((5000,), dtype, scale=1e-30, seed=1),
                        np.array([0.0, -0.0, np.inf, -np.inf, fi.max, -fi.max, fi.tiny, -fi.tiny,
                                  fi.smallest_subnormal, -fi.smallest_subnormal], dtype)])
    keys = np.empty(x.size, np.int32 if dtype == F32 else np.int64)
    _keys(x, keys)
    order = np.argsort(keys, kind="stable")
    assert np.all(np.diff(x[order]) >= 0)
    assert keys[x.size - 9] < keys[x.size - 10]  # -0 < +0
    nans = np.array([np.nan, -np.nan], dtype)
    everything = np.concatenate([x, nans])
    k2 = np.empty(everything.size, keys.dtype)
    _keys(everything, k2)
    assert k2[-2] > k2.max(initial=0, where=~np.isnan(everything)) and k2[-1] < k2.min(where=~np.isnan(everything),
                                                                                    initial=0)
    back = np.empty_like(everything)
    _unkeys(k2, dtype(0), back)
    np.testing.assert_array_equal(back.view(keys.dtype), everything.view(keys.dtype))  # bit for bit


# ---- special values through every path of the exp-based kernels --------------------------------------------

def _specials(dtype):
    big = np.finfo(dtype).max
    return np.array([-np.inf, np.inf, np.nan, 0.0, -0.0, 1e-30, -1e-30, 20, -20, 88.5, -88.5, 100, -100, 104, -104,
                     1e4, -1e4, big, -big], dtype)


@pytest.mark.parametrize("dtype,path", DTYPE_PATHS)
@pytest.mark.parametrize("n", [19, 1000])
def test_sigmoid_special_values(n, dtype, path):
    """Specials spread through a random array: the vector loop and its remainder both see them."""
    x = randn((n,), dtype)
    sp = _specials(dtype)
    x[np.arange(sp.size) * (n // sp.size)] = sp
    with np.errstate(over="ignore"):
        ref = sigmoid64(x)
    out = call(path, "sigmoid_forward", x)
    close(out, ref, dtype, x.shape)
    assert np.all(out[np.isposinf(x)] == 1) and np.all(out[np.isneginf(x)] == 0) and np.isnan(out[np.isnan(x)]).all()
    assert np.all((out >= 0) | np.isnan(x)) and np.all((out <= 1) | np.isnan(x))
    if path == "numba":  # in place, as linear_forward's fused sigmoid runs it
        y = x.copy()
        assert activations.sigmoid_into(y, y) is y
        np.testing.assert_array_equal(y, out)


def _special_rows(n, dtype):
    """(rows, n): random logits, then rows of huge, tiny and large-spread logits, -inf entries, an all -inf row,
    a NaN, a +inf."""
    rng = np.random.default_rng(n)
    big = np.finfo(dtype).max
    x = (rng.standard_normal((12, n)) * 3).astype(dtype)
    x[1] = rng.choice(np.array([big, -big, 0], dtype), n)
    x[2] *= 1e-30
    x[3] *= 100                                   # exp(x - max) spans far below the denormals
    x[4, ::2] = -np.inf
    x[5] = -np.inf
    x[6, n // 2] = np.nan
    x[7, n // 3] = np.inf
    x[8] = x[8] + 1e4
    x[9, -1] = 1e4                                # one dominant logit
    return x


def _formula_rows(op, args, dtype):
    """ROWWISE's formula in float64, cast to dtype (a float64 result beyond float32's range overflows alike)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return ROWWISE[op][0](*[a.astype(F64) for a in args], -1).astype(dtype)


@pytest.mark.parametrize("dtype,path", DTYPE_PATHS)
@pytest.mark.parametrize("n", [1, 5, 40, 1025])  # 40, 1025: the fused float32 kernels (1025: two blocks)
def test_rowwise_special_values(n, dtype, path):
    x = _special_rows(n, dtype)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        for op in ("softmax_forward", "log_softmax_forward"):
            out = call(path, op, x, -1)
            ref = _formula_rows(op, (x,), dtype)
            close(out, ref, dtype, x.shape)  # NaN where the formula gives NaN, and only there
            if op == "softmax_forward":
                assert np.all((out >= 0) | np.isnan(ref)) and np.all(out[np.isneginf(x) & ~np.isnan(ref)] == 0)
            else:
                assert np.all(out[np.isneginf(x) & ~np.isnan(ref)] == -np.inf)
        y = call(path, "log_softmax_forward", x, -1)  # -inf entries, NaN rows
        g = randn(x.shape, dtype, seed=1)
        out = call(path, "log_softmax_backward", g, y, -1)
        scale = np.abs(g.astype(F64)) + np.exp(y.astype(F64)) * np.abs(g.astype(F64)).sum(1, keepdims=True)
        close(out, _formula_rows("log_softmax_backward", (g, y), dtype), dtype, x.shape, np.nan_to_num(scale))
    if n == 1:
        finite = np.isfinite(x[:, 0])
        np.testing.assert_array_equal(call(path, "softmax_forward", x, -1)[finite], 1)
        np.testing.assert_array_equal(call(path, "log_softmax_forward", x, -1)[finite], 0)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("path,parallel", [("dispatch", False), ("numba", False), ("numba", True),
                                           ("numba_scalar_exp", False)])
@pytest.mark.parametrize("n", [5, 40, 1025])
def test_cross_entropy_special_values(n, path, parallel, dtype):
    """Against the NumPy formula in float64: huge and tiny logits, -inf entries, an all -inf row (NaN), a NaN."""
    x = _special_rows(n, dtype)[[0, 1, 2, 3, 4, 5, 6, 8, 9]]
    t = np.arange(x.shape[0]) * 7 % n
    t[4] = t[4] // 2 * 2 + 1 if n > 1 else 0     # row 4: its target's logit finite (odd columns)
    w = np.empty(0, dtype)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        ref_l, ref_p, ref_t = cpu.PATHS["cross_entropy_forward"]["numpy"](x.astype(F64), t, w.astype(F64), -100, 0.0)
        with forced(parallel):
            fn = cpu.cross_entropy_forward if path == "dispatch" else cpu.PATHS["cross_entropy_forward"][path]
            losses, p, total = fn(x, t) if path == "dispatch" else fn(x, t, w, -100, 0.0)
    close(losses, ref_l.astype(dtype), dtype, (x.shape[0],))
    close(p, ref_p.astype(dtype), dtype, x.shape)
    assert total == ref_t


def test_exp_kernels_cache(tmp_path):
    """The kernels on _fastmath's intrinsics compile into an empty cache, and a second process loads them."""
    code = (
        "import numpy as np\n"
        "from autograd_lite.kernels import cpu\n"
        "from autograd_lite.kernels.cpu import activations as a, softmax as s, loss as l\n"
        "x = np.random.default_rng(0).standard_normal((64, 100)).astype(np.float32)\n"
        "r = [cpu.sigmoid_forward(x), cpu.softmax_forward(x, -1), cpu.log_softmax_forward(x, -1),\n"
        "     cpu.log_softmax_backward(x, x, -1), cpu.cross_entropy_forward(x, np.zeros(64, np.int64))[1]]\n"
        "ks = [a._sigmoid32, s._softmax32, s._log_softmax32, s._log_softmax_bwd32, l._ce_one_pass]\n"
        "print(sum(sum(k.serial.stats.cache_hits.values()) for k in ks),\n"
        "      sum(sum(k.serial.stats.cache_misses.values()) for k in ks), float(sum(v.sum() for v in r)))\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path),
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    runs = []
    for _ in range(2):
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        runs.append(r.stdout.split())
    assert runs[0][:2] == ["0", "5"] and runs[1][:2] == ["5", "0"], runs
    assert runs[0][2] == runs[1][2]


@pytest.mark.parametrize("timeout,par_min", [(None, 1 << 24), ("4", 1 << 18), ("28", 1 << 24), ("x", 1 << 24)])
def test_parallel_threshold_follows_openblas_thread_timeout(timeout, par_min):
    """Parallel loops from 256K elements only when OpenBLAS's workers sleep right after a call (they spin for
    2**OPENBLAS_THREAD_TIMEOUT cycles otherwise, and a parallel region waits for the core they hold)."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if timeout is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = timeout
    out = subprocess.run([sys.executable, "-c", "from autograd_lite.kernels.cpu import _jit; print(_jit.PAR_MIN)"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert int(out) == par_min
