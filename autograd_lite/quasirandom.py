"""torch.quasirandom: SobolEngine, Sobol' sequences with torch's direction numbers (Joe and Kuo's D(6) set, up to
21201 dimensions) and torch's scramble, so draws (unscrambled, or scrambled with a seed) equal torch's bit for bit."""
import functools
import os

import numpy as np

from . import _dtype
from . import random as _random
from .tensor import Tensor

_TABLE = os.path.join(os.path.dirname(__file__), "_sobol_directions.npz")


@functools.lru_cache(maxsize=1)
def _table():
    """(poly, offsets into minit, minit): each dimension's primitive polynomial and initial direction numbers."""
    with np.load(_TABLE, allow_pickle=False) as f:
        poly, minit = f["poly"].astype(np.int64), f["minit"].astype(np.int64)
    degree = np.array([int(p).bit_length() - 1 for p in poly])
    return poly, np.concatenate([[0], np.cumsum(degree)]), minit


def _direction_numbers(dimension, maxbit):
    """The (dimension, maxbit) int64 direction numbers, as torch's _sobol_engine_initialize_state_ (the recurrence
    of Bratley and Fox, run for all the dimensions of one polynomial degree at once)."""
    poly, starts, minit = _table()
    poly = poly[:dimension - 1]
    degree = np.array([int(p).bit_length() - 1 for p in poly], np.int64)
    v = np.zeros((dimension, maxbit), np.int64)
    v[0] = 1
    for m in np.unique(degree):
        rows = np.flatnonzero(degree == m)
        p = poly[rows]
        v[rows + 1, :m] = minit[starts[rows][:, None] + np.arange(m)]
        for j in range(m, maxbit):
            new = v[rows + 1, j - m].copy()
            for k in range(m):
                new ^= ((p >> (m - 1 - k)) & 1) * (v[rows + 1, j - k - 1] << (k + 1))
            v[rows + 1, j] = new
    return v << (maxbit - 1 - np.arange(maxbit))


def _trailing_ones(i):
    """Per index: the position of its lowest zero bit (the Gray-code column a draw flips)."""
    i = np.asarray(i, np.int64)
    c = np.zeros(i.shape, np.int64)
    ones = (i & 1) == 1
    while ones.any():
        c += ones
        i = np.where(ones, i >> 1, 0)
        ones = (i & 1) == 1
    return c


class SobolEngine:
    """Draws (scrambled) Sobol' points in [0, 1)^dimension, as ``torch.quasirandom.SobolEngine``.

    Points equal torch's bit for bit: unscrambled, and scrambled with a seed (torch's linear matrix scramble and
    digital shift, drawn from the same MT19937 stream as torch's seeded Generator). Without a seed the scramble's
    seed comes from autograd_lite's generator (``manual_seed`` reproduces it).

    Example::

        >>> eng = autograd_lite.quasirandom.SobolEngine(dimension=2)
        >>> eng.draw(3)
        tensor([[0.0000, 0.0000],
                [0.5000, 0.5000],
                [0.7500, 0.2500]])
    """
    MAXBIT = 30
    MAXDIM = 21201

    def __init__(self, dimension, scramble=False, seed=None):
        if dimension > self.MAXDIM or dimension < 1:
            raise ValueError(f"Supported range of dimensionality for SobolEngine is [1, {self.MAXDIM}]")
        self.seed, self.scramble, self.dimension = seed, scramble, dimension
        self.sobolstate = _direction_numbers(dimension, self.MAXBIT)
        self.shift = np.zeros(dimension, np.int64)
        if scramble:
            self._scramble()
        self.quasi = self.shift.copy()
        self.num_generated = 0

    def _scramble(self):
        """torch's scramble: a random digital shift and a random lower-triangular binary matrix per dimension
        (diagonal ones) applied to each direction number's bits, drawn as torch's ``randint(2, ...)`` draws them:
        one MT19937 output each, modulo 2, from a generator seeded with `seed` (so seeded results equal torch's)."""
        bits = self.MAXBIT
        seed = int(_random.generator().integers(2 ** 32)) if self.seed is None else int(self.seed)
        mt = np.random.MT19937()
        mt._legacy_seeding(seed & 0xFFFFFFFF)                 # torch's mt19937 seeding of a CPU Generator
        shift_bits = (mt.random_raw(self.dimension * bits) % 2).astype(np.int64).reshape(self.dimension, bits)
        self.shift = shift_bits @ (np.int64(1) << np.arange(bits))
        powers = np.int64(1) << np.arange(bits - 1, -1, -1)
        for lo in range(0, self.dimension, 1024):         # 1024 dimensions at a time: bounded memory
            d = min(1024, self.dimension - lo)
            ltm = np.tril((mt.random_raw(d * bits * bits) % 2).astype(np.int64).reshape(d, bits, bits))
            ltm[:, np.arange(bits), np.arange(bits)] = 1
            rows = ltm @ powers                                                  # (d, p): row p as an integer
            # bit (bits - 1 - p) of a scrambled number: the parity of (row p AND the number)
            anded = rows[:, :, None] & self.sobolstate[lo:lo + d, None, :]      # (d, p, j)
            parity = np.zeros(anded.shape, np.int64)
            for k in range(bits):
                parity ^= (anded >> k) & 1
            self.sobolstate[lo:lo + d] = (parity << (bits - 1 - np.arange(bits))[None, :, None]).sum(axis=1)

    def _advance(self, n, start):
        """The next n states from index `start` (Gray-code order): an (n, dimension) int64 array."""
        cols = self.sobolstate[:, _trailing_ones(np.arange(start, start + n))].T      # (n, dimension)
        states = np.bitwise_xor.accumulate(cols, axis=0) ^ self.quasi if n else cols
        if n:
            self.quasi = states[-1].copy()
        return states

    def draw(self, n=1, out=None, dtype=None):
        """The next n points, an (n, dimension) tensor (default dtype: the default float dtype)."""
        dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
        if self.num_generated == 0:
            states = np.concatenate([self.quasi[None], self._advance(n - 1, 0)]) if n >= 1 else \
                np.zeros((0, self.dimension), np.int64)
        else:
            states = self._advance(n, self.num_generated - 1)
        self.num_generated += n
        result = Tensor._make((states.astype(np.float64) / 2.0 ** self.MAXBIT).astype(dt.np))
        if out is not None:
            out.resize_as_(result).copy_(result)
            return out
        return result

    def draw_base2(self, m, out=None, dtype=None):
        """The next 2**m points; the total drawn must stay a power of 2 (the nets' balance)."""
        n = 2 ** m
        total_n = self.num_generated + n
        if total_n & (total_n - 1) != 0:
            raise ValueError("The balance properties of Sobol' points require n to be a power of 2. "
                             f"{self.num_generated} points have been previously generated, then: "
                             f"n={self.num_generated}+2**{m}={total_n}. If you still want to do this, please use "
                             "'SobolEngine.draw()' instead.")
        return self.draw(n=n, out=out, dtype=dtype)

    def reset(self):
        """Back to the first point."""
        self.quasi = self.shift.copy()
        self.num_generated = 0
        return self

    def fast_forward(self, n):
        """Skips n points, as if drawn."""
        if self.num_generated == 0:
            self._advance(n - 1, 0)
        else:
            self._advance(n, self.num_generated - 1)
        self.num_generated += n
        return self

    def __repr__(self):
        parts = [f"dimension={self.dimension}"] + (["scramble=True"] if self.scramble else []) + \
            ([f"seed={self.seed}"] if self.seed is not None else [])
        return f"SobolEngine({', '.join(parts)})"
