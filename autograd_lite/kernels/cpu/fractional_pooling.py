"""Fractional max pooling's window scan: the max of each window and its flat index, windows given by the flat index
of their first element and the offsets of their taps (so one loop serves 2-d and 3-d)."""
import numpy as np

from ._jit import check, jit

__all__ = ["fractional_max_pool_forward"]


@jit
def _scan(x, base, offsets, best, idx):
    for p in range(base.shape[0]):
        row = x[p]
        for o in range(base.shape[1]):
            b = base[p, o]
            m, at = -np.inf, b
            for t in range(offsets.shape[0]):
                v = row[b + offsets[t]]
                if v > m or np.isnan(v):        # a NaN wins: the window's last one, as PyTorch's scan
                    m, at = v, b + offsets[t]
            best[p, o] = m
            idx[p, o] = at


def fractional_max_pool_forward(x, base, offsets):
    """(max, flat argmax) over each window of the planes x (P, I): window (p, o) reads x[p, base[p, o] +
    offsets[t]] for each tap t in scan order; base (P, O) and offsets (T,) int64, already inside each plane."""
    (x,) = check("fractional_max_pool_forward", x)
    x = np.ascontiguousarray(x)
    base = np.ascontiguousarray(base, dtype=np.int64)
    best = np.empty(base.shape, x.dtype)
    idx = np.empty(base.shape, np.int64)
    if best.size:
        _scan(x, base, np.ascontiguousarray(offsets, dtype=np.int64), best, idx)
    return best, idx
