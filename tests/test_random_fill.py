"""The one-pass random fills (kernels/cpu/random_fill.py, random.fill_uniform / fill_normal, Tensor.uniform_ /
normal_, rand / randn): the kernels against a NumPy rewrite of their formulas, the same values at any thread count,
the distributions (KS and binned chi-square against the exact CDF, the ziggurat's tail), seeds and generators,
in-place semantics on views and other dtypes, and PyTorch's errors."""
import math

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import random as alr
from autograd_lite.kernels.cpu import _jit, random_fill
from autograd_lite.kernels.cpu.bits import random_words

torch = pytest.importorskip("torch")


def _ndtr(x):
    return torch.special.ndtr(torch.from_numpy(np.asarray(x, np.float64))).numpy()


def _ks(sample, cdf):
    """Kolmogorov-Smirnov statistic of `sample` against `cdf`."""
    x = np.sort(np.asarray(sample, np.float64))
    n = x.size
    f = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


KS_CRIT = 1.95      # sqrt(n) * D above this: p < 0.001


# ---- the kernels against their formulas ---------------------------------------------------------------------

def test_uniform_kernel_is_its_formula():
    key, n = 12345, 1001
    w = random_words(key, n)
    halves = np.stack([w >> np.uint64(40), (w >> np.uint64(8)) & np.uint64(0xFFFFFF)], 1).ravel()[:n]
    x32 = -2.0 + 5.0 * (halves.astype(np.float64) * 2.0 ** -24)
    out = random_fill.uniform_fill(key, np.empty(n, np.float32), -2.0, 3.0)
    np.testing.assert_array_equal(out, x32.astype(np.float32))
    x64 = -2.0 + 5.0 * ((w >> np.uint64(11)).astype(np.float64) * 2.0 ** -53)
    # float64: low + span * x may be one fused multiply-add (a rounding less)
    np.testing.assert_allclose(random_fill.uniform_fill(key, np.empty(n), -2.0, 3.0), x64, rtol=0, atol=5e-16)


def test_normal_kernel_fast_path_is_the_ziggurat():
    """Each value whose word falls in its layer's rectangle is that word's x, exactly; the others are draws of the
    slow path (checked by the distribution tests)."""
    key, n = 777, 4001
    w = random_words(key, n)
    for out, words, mask, ki, wi in (
            (np.empty(n), w, (1 << 52) - 1, random_fill._KI52, random_fill._WI52),
            (np.empty(n, np.float32), np.stack([w & np.uint64(0xFFFFFFFF), w >> np.uint64(32)], 1).ravel()[:n],
             (1 << 23) - 1, random_fill._KI23, random_fill._WI23)):
        random_fill.normal_fill(key, out, 0.5, 2.0)
        idx = (words & np.uint64(0xFF)).astype(np.int64)
        rabs = (words >> np.uint64(9)) & np.uint64(mask)
        x = rabs.astype(np.float64) * wi[idx] * np.where((words >> np.uint64(8)) & np.uint64(1), -1.0, 1.0)
        fast = rabs < ki[idx]
        assert 0.98 < fast.mean() < 1.0
        np.testing.assert_array_equal(out[fast], (0.5 + 2.0 * x[fast]).astype(out.dtype))


@pytest.mark.parametrize("fill", ["normal_fill", "uniform_fill"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 100_003])
def test_fills_are_the_same_at_any_thread_count(fill, dtype, n):
    with _jit.forced(False):
        serial = getattr(random_fill, fill)(99, np.empty(n, dtype))
    with _jit.forced(True):
        parallel = getattr(random_fill, fill)(99, np.empty(n, dtype))
    np.testing.assert_array_equal(serial, parallel)


# ---- distributions ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [al.float32, al.float64])
def test_normal_distribution(dtype):
    n = 1 << 21
    x = al.empty(n, dtype=dtype).normal_().numpy().astype(np.float64)
    assert math.sqrt(n) * _ks(x, _ndtr) < KS_CRIT
    assert abs(x.mean()) < 5 / math.sqrt(n) and abs(x.var() - 1) < 5 * math.sqrt(2 / n)
    # binned counts over the ziggurat's layers (a wrong layer or wedge shows here) and the tails
    edges = np.concatenate([[-np.inf], np.linspace(-4, 4, 161), [np.inf]])
    counts = np.histogram(x, edges)[0]
    expected = n * np.diff(_ndtr(edges))
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 162 + 5 * math.sqrt(2 * 162)       # 162 bins: mean 161, sd 18
    r = random_fill._R                                  # beyond r: the tail path's draws
    tail = np.abs(x[np.abs(x) > r])
    p_tail = 2 * (1 - _ndtr(r))
    assert abs(tail.size - n * p_tail) < 5 * math.sqrt(n * p_tail)
    conditional = lambda t: (_ndtr(t) - _ndtr(r)) / (1 - _ndtr(r))  # noqa: E731
    assert math.sqrt(tail.size) * _ks(tail, conditional) < KS_CRIT


def test_normal_matches_torchs_distribution_with_mean_and_std():
    n = 1 << 19
    ours = al.empty(n).normal_(3.0, 0.5).numpy()
    theirs = torch.empty(n).normal_(3.0, 0.5).numpy()
    assert ours.dtype == theirs.dtype == np.float32
    for a in (ours, theirs):
        assert math.sqrt(n) * _ks(a, lambda t: _ndtr((t - 3.0) / 0.5)) < KS_CRIT
    both = np.sort(np.concatenate([ours, theirs]))                  # two-sample KS between the two
    d = np.max(np.abs(np.searchsorted(np.sort(ours), both, "right") - np.searchsorted(np.sort(theirs), both,
                                                                                      "right"))) / n
    assert d * math.sqrt(n / 2) < KS_CRIT


@pytest.mark.parametrize("dtype", [al.float32, al.float64])
def test_uniform_distribution(dtype):
    n = 1 << 20
    x = al.empty(n, dtype=dtype).uniform_(-2, 3).numpy()
    assert x.dtype == dtype.np and x.min() >= -2 and x.max() < 3
    assert math.sqrt(n) * _ks(x, lambda t: (t + 2) / 5) < KS_CRIT
    ref = torch.empty(n, dtype=getattr(torch, dtype.name)).uniform_(-2, 3).numpy()
    assert abs(x.mean() - ref.mean()) < 6 * 5 / math.sqrt(12 * n)


def test_uniform_never_gives_to():
    top = float(np.nextafter(np.float32(1), np.float32(2)))   # every draw rounds to 1 or to `to`: capped below
    assert np.all(al.empty(10_000).uniform_(1.0, top).numpy() == 1.0)
    assert np.all(al.empty(10_000, dtype=al.float64).uniform_(1.0, float(np.nextafter(1.0, 2.0))).numpy() == 1.0)
    assert np.all(al.empty(100).uniform_(2.5, 2.5).numpy() == 2.5)      # from == to: from, as torch
    assert np.all(torch.empty(100).uniform_(2.5, 2.5).numpy() == 2.5)


# ---- seeds, generators, creation ------------------------------------------------------------------------------

def test_manual_seed_and_generators_reproduce():
    al.manual_seed(5)
    a = al.empty(3, 1000).normal_()
    b = al.empty(777).uniform_()
    al.manual_seed(5)
    assert al.equal(al.empty(3, 1000).normal_(), a) and al.equal(al.empty(777).uniform_(), b)
    assert not al.equal(al.empty(3, 1000).normal_(), a)
    g = al.Generator().manual_seed(11)
    c = al.empty(500).normal_(generator=g)
    state = alr.get_rng_state()
    g.manual_seed(11)
    assert al.equal(al.empty(500).normal_(generator=g), c)
    assert alr.get_rng_state() == state                  # a generator's draw leaves the global one alone
    al.manual_seed(5)
    assert al.equal(al.randn(3, 1000), a) and al.equal(al.rand(777), b)     # rand / randn: the same stream


def test_creation_dtypes():
    assert al.randn(2, 3).dtype == al.float32 and al.rand(4, dtype=al.float64).dtype == al.float64
    z = al.randn(100_000, dtype=al.complex64)
    assert z.dtype == al.complex64 and abs(z.real.numpy().var() - 0.5) < 0.02
    assert abs(z.imag.numpy().var() - 0.5) < 0.02


# ---- Tensor semantics -----------------------------------------------------------------------------------------

def test_fills_write_in_place_and_return_self():
    t = al.zeros(64, 33)
    buf = t.numpy()
    assert t.normal_() is t and np.shares_memory(t.numpy(), buf) and buf.std() > 0.5
    assert t.uniform_(5, 6) is t and buf.min() >= 5


def test_fills_of_views_touch_only_the_view():
    base = al.zeros(6, 8)
    base[:, 1:7:2].normal_()
    b = base.numpy()
    assert np.all(b[:, [0, 2, 4, 6, 7]] == 0) and np.all(b[:, 1:7:2] != 0)
    t = al.zeros(5, 4).t()
    t.uniform_(1, 2)
    assert np.all(t.numpy() >= 1) and np.all(t.numpy() < 2)


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_half_precision(name):
    t = al.empty(100_000, dtype=getattr(al, name)).normal_(1.0, 2.0)
    assert t.dtype == getattr(al, name)
    x = t.float().numpy()
    assert abs(x.mean() - 1) < 0.03 and abs(x.std() - 2) < 0.03
    u = al.empty(1000, dtype=getattr(al, name)).uniform_(-1, 1).float().numpy()
    assert u.min() >= -1 and u.max() < 1
    # rounding float32 draws to 11 (8) bits would give `to` now and then: PyTorch never does, nor do these
    top = float(torch.rand(1 << 20, dtype=getattr(torch, name)).max())
    assert al.rand(1 << 20, dtype=getattr(al, name)).max().item() == top < 1
    assert al.empty(1 << 20, dtype=getattr(al, name)).uniform_(0, 1).max().item() == top


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_fills_both_parts_as_torch(dtype):
    n = 200_000
    z = al.empty(n, dtype=getattr(al, dtype)).normal_(0, 2).numpy()
    ref = torch.empty(n, dtype=getattr(torch, dtype)).normal_(0, 2).numpy()
    for part in (np.real, np.imag):
        assert abs(part(z).var() - part(ref).var()) < 0.1        # both 2 (std / sqrt(2) each part)
    u = al.empty(n, dtype=getattr(al, dtype)).uniform_(2, 3).numpy()
    assert u.imag.min() >= 2 and u.imag.max() < 3 and u.real.min() >= 2


def test_init_functions_use_the_fills():
    w = al.empty(512, 1024)
    al.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = 1 / math.sqrt(1024)
    x = w.numpy()
    assert x.min() >= -bound and x.max() < bound and abs(x.std() - bound / math.sqrt(3)) < 0.01 * bound
    al.nn.init.normal_(w, 0, 0.01)
    assert abs(w.numpy().std() - 0.01) < 2e-4
    al.nn.init.trunc_normal_(w, std=0.02)
    assert w.numpy().min() >= -2 and abs(w.numpy().std() - 0.02) < 1e-3


# ---- errors, in PyTorch's words -------------------------------------------------------------------------------

def _error(fn):
    try:
        fn()
    except Exception as e:      # noqa: BLE001: the type and text are what is compared
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("dtype", ["int64", "bool", "float8_e4m3fn"])
def test_non_float_dtypes_refused(dtype):
    for fill in ("normal_", "uniform_"):
        ours = _error(lambda: getattr(al.empty(3, dtype=getattr(al, dtype)), fill)())
        assert ours is not None and ours == _error(lambda: getattr(torch.empty(3, dtype=getattr(torch, dtype)),
                                                                   fill)())


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("bounds", [(-3e38, 3e38), (-7e4, 0.0), (0.0, 1e39), (2.0, 1.0), (-1.7e308, 1.7e308),
                                    (float("nan"), 1.0)])
def test_uniform_bounds_errors(dtype, bounds):
    assert _error(lambda: al.empty(3, dtype=getattr(al, dtype)).uniform_(*bounds)) == \
        _error(lambda: torch.empty(3, dtype=getattr(torch, dtype)).uniform_(*bounds))


def test_normal_std_and_leaf_errors():
    assert _error(lambda: al.empty(3).normal_(0, -1)) == _error(lambda: torch.empty(3).normal_(0, -1))
    ours = _error(lambda: al.empty(3, requires_grad=True).normal_())
    assert ours == _error(lambda: torch.empty(3, requires_grad=True).normal_())
    with al.no_grad():
        al.empty(3, requires_grad=True).normal_()


def test_fill_needs_a_contiguous_array():
    with pytest.raises(ValueError, match="C-contiguous"):
        alr.fill_normal(np.empty((4, 4)).T)


def test_other_devices_get_the_cpus_values(device):
    """A tensor on another device is filled on the host and copied over: the CPU's values for the same seed."""
    al.manual_seed(3)
    cpu = al.empty(2, 500).normal_(1, 2), al.empty(300).uniform_(-1, 1)
    al.manual_seed(3)
    dev = al.empty(2, 500, device=device).normal_(1, 2), al.empty(300, device=device).uniform_(-1, 1)
    for c, d in zip(cpu, dev):
        assert d.device.type == al.device(device).type
        np.testing.assert_array_equal(d.cpu().numpy(), c.numpy())
