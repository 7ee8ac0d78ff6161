"""The global random generator: ``manual_seed(n)`` makes every random op reproducible."""
import numpy as np

_generator = np.random.Generator(np.random.PCG64())
_seed = None


def manual_seed(seed):
    """Seeds the global generator (rand, randn, randint, normal_, uniform_, dropout, shuffling)."""
    global _generator, _seed
    _seed = int(seed)
    _generator = np.random.Generator(np.random.PCG64(_seed))
    return _generator


seed = manual_seed


def initial_seed():
    return _seed


def generator():
    return _generator


def get_rng_state():
    return _generator.bit_generator.state


def set_rng_state(state):
    _generator.bit_generator.state = state


def _float_dtype(dtype):
    dtype = np.dtype(dtype)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def uniform(shape, low=0.0, high=1.0, dtype=np.float32):
    out = _generator.random(shape, dtype=_float_dtype(dtype))
    if low != 0.0 or high != 1.0:
        out *= high - low
        out += low
    return out.astype(dtype, copy=False)


def bits16(shape, kernels=None):
    """Uniform uint16 draws of `shape` (dropout's masks): a counter-based stream (SplitMix64, a vectorised numba
    kernel) keyed by one 64-bit draw of the global generator, ~10x cheaper than NumPy's random bytes. `kernels`:
    the kernel table whose random_words makes them (the CPU's by default; the CUDA table draws them on the GPU,
    the same words for the same seed)."""
    if kernels is None:
        from .kernels.cpu.bits import random_words        # numba compiles on first use, not at import
    else:
        random_words = kernels.random_words
    n = int(np.prod(shape))
    key = int(_generator.integers(0, 1 << 64, dtype=np.uint64))
    return random_words(key, (n + 3) // 4).view(np.uint16)[:n].reshape(shape)


def normal(shape, mean=0.0, std=1.0, dtype=np.float32):
    out = _generator.standard_normal(shape, dtype=_float_dtype(dtype))
    if std != 1.0:
        out *= std
    if mean != 0.0:
        out += mean
    return out.astype(dtype, copy=False)


def integers(low, high, shape, dtype=np.int64):
    return _generator.integers(low, high, size=shape, dtype=dtype)


def permutation(n):
    return _generator.permutation(n)
