"""The random engine: NumPy generators (PCG64) and the draws every random op makes. The global generator is
reseeded by ``manual_seed(n)``; a draw given ``gen`` (a NumPy Generator, see `resolve`) uses that one instead.
The public ``autograd_lite.Generator`` wraps one of these (autograd_lite/_generator.py). Uniform and normal draws
(rand, randn, uniform_, normal_) come from a counter-based stream keyed by one 64-bit draw of that generator
(fill_uniform, fill_normal: kernels/cpu/random_fill.py)."""
import numpy as np

DEFAULT_SEED = 67280421310721      # PyTorch's seed of a new torch.Generator()

_seed = int(np.random.SeedSequence().entropy) % (1 << 63)
_generator = np.random.Generator(np.random.PCG64(_seed))


def manual_seed(seed):
    """Seeds the global generator (rand, randn, randint, normal_, uniform_, dropout, shuffling)."""
    global _generator, _seed
    _seed = int(seed)
    _generator = np.random.Generator(np.random.PCG64(_seed & ((1 << 128) - 1)))
    return _generator


def seed():
    """Seeds the global generator from fresh entropy; returns the seed."""
    manual_seed(int(np.random.SeedSequence().entropy) % (1 << 63))
    return _seed


def initial_seed():
    return _seed


def generator():
    return _generator


def resolve(gen):
    """The NumPy Generator a draw uses: the global one for None, an autograd_lite.Generator's own, or `gen`."""
    if gen is None:
        return _generator
    own = getattr(gen, "numpy_generator", None)
    if own is not None:
        return own()
    if isinstance(gen, np.random.Generator):
        return gen
    raise TypeError(f"generator must be an autograd_lite.Generator, got {type(gen).__name__}")


def get_rng_state():
    return _generator.bit_generator.state


def set_rng_state(state):
    _generator.bit_generator.state = state


def state_bytes(gen):
    """A PCG64 generator's state as 37 bytes (state, increment, the buffered 32-bit word)."""
    s = gen.bit_generator.state
    return (s["state"]["state"].to_bytes(16, "little") + s["state"]["inc"].to_bytes(16, "little")
            + bytes([s["has_uint32"]]) + int(s["uinteger"]).to_bytes(4, "little"))


def set_state_bytes(gen, data):
    data = bytes(data)
    if len(data) != 37:
        raise RuntimeError(f"RNG state is wrong size: expected 37 bytes, got {len(data)}")
    gen.bit_generator.state = {"bit_generator": "PCG64",
                               "state": {"state": int.from_bytes(data[:16], "little"),
                                         "inc": int.from_bytes(data[16:32], "little")},
                               "has_uint32": data[32], "uinteger": int.from_bytes(data[33:], "little")}


def draw_dtype(dtype):
    """The dtype a fill draws in for `dtype`: float32 and float64 themselves, a complex type its real part's, the
    2-byte floats (float16, bfloat16) float32, then rounded; anything else float64."""
    dtype = np.dtype(dtype)
    if dtype in (np.float32, np.float64):
        return dtype
    if dtype.kind == "c":
        return np.dtype(np.float32 if dtype.itemsize == 8 else np.float64)
    return np.dtype(np.float32 if dtype.itemsize <= 2 else np.float64)


def key(gen=None):
    """One 64-bit draw of the generator (see `resolve`): the key of a counter-based stream (bits16, fill_*)."""
    return int(resolve(gen).integers(0, 1 << 64, dtype=np.uint64))


def fill_uniform(out, low=0.0, high=1.0, gen=None):
    """Fills `out`, a C-contiguous float32/float64 host array, in place with U[low, high) draws (low and high
    rounded to its dtype first, as PyTorch; never high unless low == high): one pass, parallel for large arrays,
    the same values at any thread count (kernels/cpu/random_fill.py).

    Example: ``fill_uniform(np.empty(5, np.float32), -1, 1)``"""
    from .kernels.cpu.random_fill import uniform_fill     # numba compiles on first use, not at import
    uniform_fill(key(gen), _flat(out), low, high)
    return out


def fill_normal(out, mean=0.0, std=1.0, gen=None):
    """Fills `out`, a C-contiguous float32/float64 host array, in place with N(mean, std²) draws (a ziggurat on the
    counter-based stream: one pass, the same values at any thread count).

    Example: ``fill_normal(np.empty((3, 4)), 0.0, 0.02)``"""
    from .kernels.cpu.random_fill import normal_fill
    normal_fill(key(gen), _flat(out), mean, std)
    return out


def _flat(out):
    if type(out) is not np.ndarray or not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("a fill needs a writeable C-contiguous NumPy array")
    return out.reshape(-1)


def uniform(shape, low=0.0, high=1.0, dtype=np.float32, gen=None):
    dtype = np.dtype(dtype)
    if dtype.kind not in "fV" or dtype.itemsize != 2:
        return fill_uniform(np.empty(shape, draw_dtype(dtype)), low, high, gen).astype(dtype, copy=False)
    # float16 / bfloat16: bounds rounded to the dtype as PyTorch, float32 draws rounded, and those that round up to
    # high moved just below it (PyTorch draws only the dtype's digits: never high)
    t = dtype.type
    lo, hi = t(low), t(high)
    out = fill_uniform(np.empty(shape, np.float32), float(lo), float(hi), gen).astype(dtype)
    if lo < hi:
        out[out >= hi] = np.nextafter(hi, t(-np.inf))
    return out


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
    return random_words(key(), (n + 3) // 4).view(np.uint16)[:n].reshape(shape)


def normal(shape, mean=0.0, std=1.0, dtype=np.float32, gen=None):
    return fill_normal(np.empty(shape, draw_dtype(dtype)), mean, std, gen).astype(dtype, copy=False)


def integers(low, high, shape, dtype=np.int64, gen=None):
    if np.dtype(dtype).kind not in "biu":       # a floating dtype (bfloat16 too): integers drawn, then cast
        return resolve(gen).integers(low, high, size=shape).astype(dtype)
    return resolve(gen).integers(low, high, size=shape, dtype=dtype)


def permutation(n, gen=None):
    return resolve(gen).permutation(n)
