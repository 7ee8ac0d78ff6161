"""Uniform and normal fills in one pass, in place, from the counter-based stream of bits.py (word c of key `key` is
SplitMix64's mix of key + (c + 1) * golden gamma). Value i depends only on the key and i, never on how the loop was
split: the same key gives the same values at any thread count.

- uniform, float32: word j makes values 2j and 2j + 1 from its two 32-bit halves, 24 random bits each; float64: one
  word, 53 bits. x = bits * 2^-bits in [0, 1), low + x * (high - low) computed in float64 (PyTorch's formula), then
  capped at `cap` (the largest value below high in the output dtype) so a rounding never gives `high`.
- normal: Marsaglia and Tsang's ziggurat with 256 layers, laid out as NumPy's (8 bits layer, 1 bit sign, then the
  magnitude): float64 one word a value, 52-bit magnitudes; float32 two values a word, one per 32-bit half, 23-bit
  magnitudes (NumPy's float32 draw). The ~1% of draws that miss their layer's rectangle take further words from a
  second stream (key2), counters (i << 16) + k. The sign is arithmetic, not a branch (a 50% branch mispredicts:
  it cost 3x the whole draw).
"""
import math

import numpy as np

from ._jit import PAR_MIN, jit, prange, twins
from .bits import _GAMMA, _M1, _M2, _ONE, _S27, _S30, _S31     # the stream's constants: the same words as bits.py

_S8, _S9, _S11, _S16, _S32, _S40 = (np.uint64(s) for s in (8, 9, 11, 16, 32, 40))
_LOW8, _LOW24, _LOW52 = np.uint64(0xFF), np.uint64(0xFFFFFF), np.uint64((1 << 52) - 1)
_TWO_M24, _TWO_M53 = 2.0 ** -24, 2.0 ** -53
PAR_MIN_FILL = PAR_MIN // 8         # elements: a draw costs a few ns, ~10x a memory-bound pass's element


def _ziggurat_tables(bits, layers=256, r=3.6541528853610088, v=0.00492867323399):
    """NumPy's ziggurat (Marsaglia and Tsang, 2000) for a `bits`-bit magnitude: ki (the fast test's bounds on the
    magnitude), wi (magnitude -> x), fi (the density at each layer's edge)."""
    m = float(1 << bits)
    ki, wi, fi = np.zeros(layers, np.uint64), np.zeros(layers), np.zeros(layers)
    f = lambda x: math.exp(-0.5 * x * x)  # noqa: E731
    q = v / f(r)
    ki[0], wi[0], wi[-1], fi[0], fi[-1] = int(r / q * m), q / m, r / m, 1.0, f(r)
    dn = tn = r
    for i in range(layers - 2, 0, -1):
        dn = math.sqrt(-2.0 * math.log(v / dn + f(dn)))
        ki[i + 1] = int(dn / tn * m)
        tn = dn
        fi[i], wi[i] = f(dn), dn / m
    return ki, wi, fi, r


(_KI52, _WI52, _FI, _R), (_KI23, _WI23) = _ziggurat_tables(52), _ziggurat_tables(23)[:2]
_INV_R = 1.0 / _R
_LOW23, _LOW32 = np.uint64((1 << 23) - 1), np.uint64(0xFFFFFFFF)


@jit
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit
def _unit(key, c):
    """A float64 uniform in [0, 1) from word c of the stream `key`: 53 bits."""
    return np.float64(np.int64(_mix(key + (c + _ONE) * _GAMMA) >> _S11)) * _TWO_M53


@jit
def _candidate(w, mask, ki, wi):
    """Word w's ziggurat draw: (its layer, x, whether x falls in the layer's rectangle). Bits 0-7 the layer, 8 the
    sign (as arithmetic: a 50% branch costs more than the rest of the draw), 9 on the magnitude."""
    idx = np.int64(w & _LOW8)
    rabs = (w >> _S9) & mask
    x = np.float64(np.int64(rabs)) * wi[idx] * (1.0 - 2.0 * np.float64(np.int64((w >> _S8) & _ONE)))
    return idx, x, rabs < ki[idx]


@jit
def _ziggurat_slow(key2, i, idx, x, mask, ki, wi):
    """Value i's draw x missed its layer's rectangle: the tail (layer 0) or the wedge test, then fresh words of
    the stream key2 (counters (i << 16) + k) until one is accepted."""
    c = np.uint64(i) << _S16
    while True:
        if idx == 0:                # the tail beyond r: Marsaglia's exponential method
            while True:
                xx = -math.log1p(-_unit(key2, c)) * _INV_R
                yy = -math.log1p(-_unit(key2, c + _ONE))
                c += np.uint64(2)
                if yy + yy > xx * xx:
                    return -(_R + xx) if x < 0 else _R + xx
        if _FI[idx] + (_FI[idx - 1] - _FI[idx]) * _unit(key2, c) < math.exp(-0.5 * x * x):
            return x
        idx, x, inside = _candidate(_mix(key2 + (c + np.uint64(2)) * _GAMMA), mask, ki, wi)
        c += np.uint64(2)
        if inside:
            return x


@twins(PAR_MIN_FILL, loop=lambda key, key2, mean, std, out: out.size)
def _normal52(key, key2, mean, std, out):  # out[i] = mean + std * N(0, 1) from word i (float64)
    for i in prange(out.size):
        idx, x, inside = _candidate(_mix(key + (np.uint64(i) + _ONE) * _GAMMA), _LOW52, _KI52, _WI52)
        if not inside:
            x = _ziggurat_slow(key2, i, idx, x, _LOW52, _KI52, _WI52)
        out[i] = mean + std * x


@twins(PAR_MIN_FILL // 2, loop=lambda key, key2, mean, std, out: (out.size + 1) // 2)
def _normal23(key, key2, mean, std, out):  # values 2j and 2j + 1 from the halves of word j, 23-bit magnitudes
    n = out.size
    for j in prange((n + 1) // 2):
        w = _mix(key + (np.uint64(j) + _ONE) * _GAMMA)
        idx, x, inside = _candidate(w & _LOW32, _LOW23, _KI23, _WI23)
        if not inside:
            x = _ziggurat_slow(key2, 2 * j, idx, x, _LOW23, _KI23, _WI23)
        out[2 * j] = mean + std * x
        if 2 * j + 1 < n:
            idx, x, inside = _candidate(w >> _S32, _LOW23, _KI23, _WI23)
            if not inside:
                x = _ziggurat_slow(key2, 2 * j + 1, idx, x, _LOW23, _KI23, _WI23)
            out[2 * j + 1] = mean + std * x


@twins(PAR_MIN_FILL // 2, loop=lambda key, low, span, cap, out: (out.size + 1) // 2)
def _uniform24(key, low, span, cap, out):  # two values a word, 24 bits each (float32)
    n = out.size
    for j in prange((n + 1) // 2):
        w = _mix(key + (np.uint64(j) + _ONE) * _GAMMA)
        a = low + span * (np.float64(np.int32(w >> _S40)) * _TWO_M24)
        out[2 * j] = a if a < cap else cap
        if 2 * j + 1 < n:
            b = low + span * (np.float64(np.int32((w >> _S8) & _LOW24)) * _TWO_M24)
            out[2 * j + 1] = b if b < cap else cap


@twins(PAR_MIN_FILL, loop=lambda key, low, span, cap, out: out.size)
def _uniform53(key, low, span, cap, out):  # one value a word, 53 bits (float64)
    for i in prange(out.size):
        a = low + span * _unit(key, np.uint64(i))
        out[i] = a if a < cap else cap


def normal_fill(key, out, mean=0.0, std=1.0):
    """Fills `out` (a contiguous 1-D float32/float64 array) with N(mean, std²) draws of the stream `key`."""
    key = np.uint64(key)
    kernel = _normal23 if out.dtype == np.float32 else _normal52
    kernel(key, np.uint64(_mix(key ^ np.uint64(0x6A09E667F3BCC909))), float(mean), float(std), out)
    return out


def uniform_fill(key, out, low=0.0, high=1.0):
    """Fills `out` (a contiguous 1-D float32/float64 array) with U[low, high) draws of the stream `key`: low and
    high are first rounded to out's dtype, as PyTorch; never `high` (unless low == high)."""
    t = out.dtype.type
    lo, hi = t(low), t(high)
    cap = np.nextafter(hi, t(-np.inf)) if lo < hi else lo
    kernel = _uniform24 if out.dtype == np.float32 else _uniform53
    kernel(np.uint64(key), float(lo), float(hi) - float(lo), float(cap), out)
    return out
