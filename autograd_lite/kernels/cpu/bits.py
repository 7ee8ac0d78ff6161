"""Random bits from a counter-based generator: word i of a draw is SplitMix64's output function applied to
key + (i + 1) * golden gamma (the SplitMix64 sequence seeded with key). One pass, no state but the key, and
vectorisable: AVX-512 does the 64-bit multiplies 8 lanes wide. autograd_lite.random draws each key from the
global generator, so manual_seed reproduces every draw.

It replaces NumPy's PCG64 bytes for dropout masks: one vectorised pass, no generator state to step
(benchmarks/RESULTS.md, Kernel design notes: bits).
"""
import numpy as np

from ._jit import PAR_MIN, prange, twins

_GAMMA, _M1, _M2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _ONE = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(1)


@twins(PAR_MIN // 4, loop=lambda key, out: out.size)
def _splitmix64(key, out):  # out[i] = mix(key + (i + 1) * gamma), all in uint64 (wrapping)
    for i in prange(out.size):
        z = key + (np.uint64(i) + _ONE) * _GAMMA
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        out[i] = z ^ (z >> _S31)


def random_words(key, n):
    """n uint64 words of the counter-based stream keyed by `key` (an int in [0, 2**64))."""
    out = np.empty(int(n), np.uint64)
    _splitmix64(np.uint64(key), out)
    return out
