"""CPU kernels: the gather of a non-constant pad (reflect, replicate, circular) over the last three dims, and its
backward (the scatter-add of g onto the sources).

out[..., a, b, c] = x[..., di[a], hi[b], wi[c]]: one pass over the output, row by row. Along the last dim the
longest run of consecutive sources (a pad's middle) is a plain copy of a row slice, which vectorises; only the few
edge elements are gathered one by one. The backward adds each g row onto its source row the same way.
"""
import numpy as np

from ._jit import PAR_MIN, check, jit, prange, twins

__all__ = ["gather3d_forward", "gather3d_backward"]


@twins(PAR_MIN, loop=lambda x, di, hi, wi, out: out.shape[0])
def _gather_fwd(x, di, hi, wi, out):
    """x (P, D, H, W) -> out (P, len(di), len(hi), len(wi)); out[..., lo:lo + n] is x[..., s0:s0 + n]."""
    w2 = wi.size
    lo, n = _run(wi)
    s0 = wi[lo]
    for p in prange(out.shape[0]):
        for a in range(di.size):
            for b in range(hi.size):
                src = x[p, di[a], hi[b]]
                row = out[p, a, b]
                dst, mid = row[lo:lo + n], src[s0:s0 + n]     # views of their own: the copy vectorises
                for j in range(n):
                    dst[j] = mid[j]
                for j in range(lo):
                    row[j] = src[wi[j]]
                for j in range(lo + n, w2):
                    row[j] = src[wi[j]]


@twins(PAR_MIN, loop=lambda g, di, hi, wi, dx: dx.shape[0])
def _gather_bwd(g, di, hi, wi, dx):
    """dx (P, D, H, W), zeroed: every g[p, a, b, c] added onto dx[p, di[a], hi[b], wi[c]]."""
    w2 = wi.size
    lo, n = _run(wi)
    s0 = wi[lo]
    for p in prange(dx.shape[0]):
        for a in range(di.size):
            for b in range(hi.size):
                row = g[p, a, b]
                dst = dx[p, di[a], hi[b]]
                acc, mid = dst[s0:s0 + n], row[lo:lo + n]
                for j in range(n):
                    acc[j] += mid[j]
                for j in range(lo):
                    dst[wi[j]] += row[j]
                for j in range(lo + n, w2):
                    dst[wi[j]] += row[j]


@jit
def _run(wi):
    """(start, length) of the longest run of consecutive sources in wi (size >= 1), by output position."""
    best, best_n, start = 0, 1, 0
    for j in range(1, wi.size + 1):
        if j == wi.size or wi[j] != wi[j - 1] + 1:
            if j - start > best_n:
                best, best_n = start, j - start
            start = j
    return best, best_n


@jit
def _outside(ix, n):
    """Whether an index of ix lies outside [0, n)."""
    for v in ix:
        if v < 0 or v >= n:
            return True
    return False


def _indices(op, idx, size):
    out = []
    for name, ix, n in zip(("d", "h", "w"), idx, size):
        ix = np.ascontiguousarray(ix, np.int64).reshape(-1)
        if _outside(ix, n):
            raise IndexError(f"{op}: {name} indices must lie in [0, {n}), got [{ix.min()}, {ix.max()}]")
        out.append(ix)
    return out


def _as4(x, op):
    if x.ndim < 3:
        raise ValueError(f"{op}: expected an array (..., D, H, W), got shape {list(x.shape)}")
    return np.ascontiguousarray(x).reshape((-1,) + x.shape[-3:])


def gather3d_forward(x, di, hi, wi):
    """x (..., D, H, W) gathered along its last three dims: out[..., a, b, c] = x[..., di[a], hi[b], wi[c]]
    (di, hi, wi: host integer arrays), a new C-contiguous array."""
    (x,) = check("gather3d_forward", x)
    x4 = _as4(x, "gather3d_forward")
    di, hi, wi = _indices("gather3d_forward", (di, hi, wi), x4.shape[1:])
    out = np.empty((x4.shape[0], di.size, hi.size, wi.size), x.dtype)
    if out.size:
        _gather_fwd.pick(out.size)(x4, di, hi, wi, out)
    return out.reshape(x.shape[:-3] + out.shape[1:])


def gather3d_backward(g, di, hi, wi, in_size):
    """dL/dx (..., *in_size) of gather3d_forward from g = dL/dout: each g element added onto its source."""
    (g,) = check("gather3d_backward", g)
    g4 = _as4(g, "gather3d_backward")
    in_size = tuple(int(s) for s in in_size)
    di, hi, wi = _indices("gather3d_backward", (di, hi, wi), in_size)
    if g4.shape[1:] != (di.size, hi.size, wi.size):
        raise ValueError(f"gather3d_backward: g of shape {list(g.shape)} does not match indices of sizes "
                         f"{[di.size, hi.size, wi.size]}")
    dx = np.zeros((g4.shape[0],) + in_size, g.dtype)
    if g4.size:
        _gather_bwd.pick(g4.size)(g4, di, hi, wi, dx)
    return dx.reshape(g.shape[:-3] + in_size)


# ---- the NumPy formulas, for tests -----------------------------------------------------------------------------

def _np_gather_forward(x, di, hi, wi):
    return x[..., np.asarray(di)[:, None, None], np.asarray(hi)[:, None], np.asarray(wi)]


def _np_gather_backward(g, di, hi, wi, in_size):
    dx = np.zeros(g.shape[:-3] + tuple(in_size), g.dtype)
    np.add.at(dx, (Ellipsis, np.asarray(di)[:, None, None], np.asarray(hi)[:, None], np.asarray(wi)), g)
    return dx


PATHS = {
    "gather3d_forward": {"numba": gather3d_forward, "numpy": _np_gather_forward},
    "gather3d_backward": {"numba": gather3d_backward, "numpy": _np_gather_backward},
}
