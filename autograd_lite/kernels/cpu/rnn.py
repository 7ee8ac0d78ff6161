"""The LSTM and GRU cells' pointwise math, one time step, forward and backward: a few loops of few arrays each; and
a whole direction of a layer, every step in one call (lstm/gru_sequence_forward and _backward), the per-step product
by NumPy's own BLAS gemm called from numba (matmul.blas_gemm).

The NumPy formula (ops/rnn.py, which keeps it for other devices and for create_graph) makes a pass and a temporary
per operator on (batch, hidden) blocks: at word_language_model's sizes (20 x 200) a step's time is those calls,
not arithmetic. Gates in PyTorch's order: LSTM i, f, g, o; GRU r, z, n. float32: sigmoid and tanh on _fastmath's
vectorised exp (tanh as Cephes' tanhf: a polynomial below 0.625, from exp beyond, ~2 ulp); float64: libm's.
"""
import math

import numpy as np
from numba import types
from numba.extending import overload

from ._fastmath import exp_nonpos
from ._jit import check, jit
from ._threads import blas_for
from .matmul import blas_gemm

__all__ = ["lstm_cell_forward", "lstm_cell_backward", "gru_cell_forward", "gru_cell_backward",
           "lstm_sequence_forward", "gru_sequence_forward", "lstm_sequence_backward", "gru_sequence_backward"]


def _sig(x):
    """sigmoid(x) inside a kernel (typed by the overload below)."""


def _th(x):
    """tanh(x) inside a kernel."""


@overload(_sig)
def _sig_impl(x):
    one = np.float32(1) if x == types.float32 else np.float64(1)

    def impl(x):
        e = exp_nonpos(-abs(x))         # in (0, 1]: never overflows; NaN stays NaN
        return (one if x >= 0 else e) / (one + e)
    return impl


_TANH_P = (-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1)


@overload(_th)
def _th_impl(x):
    if x != types.float32:
        return lambda x: math.tanh(x)
    one, two, small = np.float32(1), np.float32(2), np.float32(0.625)
    p0, p1, p2, p3, p4 = (np.float32(p) for p in _TANH_P)

    def impl(x):
        a = abs(x)
        z = x * x
        poly = x + x * z * ((((p0 * z + p1) * z + p2) * z + p3) * z + p4)
        e = exp_nonpos(-two * a)
        big = (one - e) / (one + e)
        big = big if x >= 0 else -big
        return poly if a < small else big     # both computed: the loop stays branch-free (vectorised)
    return impl


# Loops of few arrays each, over row slices that start at 0: with many arrays LLVM's run-time overlap checks give up,
# and on offset 2-D indices (gates[r, n + j]) it did not vectorise at all (the gates' pass 5-7x slower, session 15).
@jit
def _act_slice(a, b, o, tanh):
    """o = tanh(a + b) or sigmoid(a + b), 1-D slices of one length."""
    if tanh:
        for j in range(o.shape[0]):
            o[j] = _th(a[j] + b[j])
    else:
        for j in range(o.shape[0]):
            o[j] = _sig(a[j] + b[j])


@jit
def _gates_act(gi, gh, gates, lo, hi, tanh_from, tanh_to):
    """gates[:, lo:hi] = act(gi + gh) there: tanh on columns [tanh_from, tanh_to), sigmoid elsewhere."""
    for r in range(gates.shape[0]):
        a, b, o = gi[r], gh[r], gates[r]
        _act_slice(a[lo:tanh_from], b[lo:tanh_from], o[lo:tanh_from], False)
        _act_slice(a[tanh_from:tanh_to], b[tanh_from:tanh_to], o[tanh_from:tanh_to], True)
        _act_slice(a[tanh_to:hi], b[tanh_to:hi], o[tanh_to:hi], False)


@jit
def _lstm_state(gates, c, c2, tc, h):
    b, n = c.shape
    for r in range(b):
        g = gates[r]
        i, f, gg, o, cr, c2r, tcr, hr = g[:n], g[n:2 * n], g[2 * n:3 * n], g[3 * n:], c[r], c2[r], tc[r], h[r]
        for j in range(n):
            c2r[j] = f[j] * cr[j] + i[j] * gg[j]
        for j in range(n):
            tcr[j] = _th(c2r[j])
        for j in range(n):
            hr[j] = o[j] * tcr[j]


@jit
def _lstm_bwd(dh, dc, gates, c, tc, da, dc_prev):
    b, n = c.shape
    one = c.dtype.type(1)
    for r in range(b):
        g, d = gates[r], da[r]
        i, f, gg, o = g[:n], g[n:2 * n], g[2 * n:3 * n], g[3 * n:]
        di, df, dg, do = d[:n], d[n:2 * n], d[2 * n:3 * n], d[3 * n:]
        dhr, dcr, cr, tcr, dcp = dh[r], dc[r], c[r], tc[r], dc_prev[r]
        for j in range(n):      # d c first (kept in dc_prev's row), then the gates from it
            t = tcr[j]
            dcp[j] = dcr[j] + dhr[j] * o[j] * (one - t * t)
        for j in range(n):
            do[j] = dhr[j] * tcr[j] * o[j] * (one - o[j])
        for j in range(n):
            di[j] = dcp[j] * gg[j] * i[j] * (one - i[j])
        for j in range(n):
            df[j] = dcp[j] * cr[j] * f[j] * (one - f[j])
        for j in range(n):
            dg[j] = dcp[j] * i[j] * (one - gg[j] * gg[j])
        for j in range(n):
            dcp[j] = dcp[j] * f[j]


@jit
def _gru_state(gi, gh, gates, h, h2):
    b, n = h.shape
    for r in range(b):
        g, a, e = gates[r], gi[r], gh[r]
        rr, z, nn, ai, eh, hr, h2r = g[:n], g[n:2 * n], g[2 * n:], a[2 * n:], e[2 * n:], h[r], h2[r]
        for j in range(n):
            nn[j] = _th(ai[j] + rr[j] * eh[j])
        for j in range(n):
            h2r[j] = nn[j] + z[j] * (hr[j] - nn[j])


@jit
def _gru_bwd(dh, gates, gh, h, dgi, dgh, dh_prev):
    b, n = h.shape
    one = h.dtype.type(1)
    for r in range(b):
        g, e, di, dg = gates[r], gh[r], dgi[r], dgh[r]
        rr, z, nn, ghn, dhr, hr, dhp = g[:n], g[n:2 * n], g[2 * n:], e[2 * n:], dh[r], h[r], dh_prev[r]
        dar, daz, dan, dar2, daz2, dan2 = di[:n], di[n:2 * n], di[2 * n:], dg[:n], dg[n:2 * n], dg[2 * n:]
        for j in range(n):
            dan[j] = dhr[j] * (one - z[j]) * (one - nn[j] * nn[j])
        for j in range(n):
            dar[j] = dan[j] * ghn[j] * rr[j] * (one - rr[j])
        for j in range(n):
            daz[j] = dhr[j] * (hr[j] - nn[j]) * z[j] * (one - z[j])
        for j in range(n):
            dar2[j], daz2[j], dan2[j] = dar[j], daz[j], dan[j] * rr[j]
        for j in range(n):
            dhp[j] = dhr[j] * z[j]


def _blocks(op, gates_per_unit, gi, gh, state, *more):
    """The step's arrays C-contiguous (views as they come, copies otherwise), one float dtype, gate blocks
    (batch, k * hidden) beside the (batch, hidden) state; ValueError otherwise."""
    xs = [np.ascontiguousarray(x) for x in check(op, gi, gh, state, *more)]
    b, n = xs[2].shape if xs[2].ndim == 2 else (None, None)
    if n is None or xs[0].shape != (b, gates_per_unit * n) or xs[1].shape != xs[0].shape:
        raise ValueError(f"{op}: expected gates ({b}, {gates_per_unit} * hidden) beside a (batch, hidden) state, "
                         f"got {', '.join(str(x.shape) for x in xs[:3])}")
    for x in xs[3:]:
        if x.shape[0] != b:
            raise ValueError(f"{op}: batch sizes differ: {', '.join(str(x.shape) for x in xs)}")
    return xs


def lstm_cell_forward(gi, gh, c):
    """One LSTM step from its gate pre-activations gi + gh (batch, 4 * hidden) and cell state c (batch, hidden):
    (gates (i, f, g, o activated, (batch, 4 * hidden)), new c, tanh(new c), h)."""
    gi, gh, c = _blocks("lstm_cell_forward", 4, gi, gh, c)
    gates, c2, tc, h = np.empty_like(gi), np.empty_like(c), np.empty_like(c), np.empty_like(c)
    n = c.shape[1]
    _gates_act(gi, gh, gates, 0, 4 * n, 2 * n, 3 * n)
    _lstm_state(gates, c, c2, tc, h)
    return gates, c2, tc, h


def lstm_cell_backward(dh, dc, gates, c, tc):
    """lstm_cell_forward's backward from the gradients of h and of the new c: (d pre-activations (batch,
    4 * hidden), d of the previous c)."""
    gates, _, c, dh, dc, tc = _blocks("lstm_cell_backward", 4, gates, gates, c, dh, dc, tc)
    if not dh.shape == dc.shape == tc.shape == c.shape:
        raise ValueError(f"lstm_cell_backward: shapes must match, got {dh.shape}, {dc.shape}, {tc.shape}, {c.shape}")
    da, dc_prev = np.empty_like(gates), np.empty_like(c)
    _lstm_bwd(dh, dc, gates, c, tc, da, dc_prev)
    return da, dc_prev


def gru_cell_forward(gi, gh, h):
    """One GRU step from the input and hidden products gi, gh (batch, 3 * hidden; gh with b_hh) and state h:
    (gates (r, z, n activated, (batch, 3 * hidden)), new h)."""
    gi, gh, h = _blocks("gru_cell_forward", 3, gi, gh, h)
    gates, h2 = np.empty_like(gi), np.empty_like(h)
    n = h.shape[1]
    _gates_act(gi, gh, gates, 0, 2 * n, 2 * n, 2 * n)
    _gru_state(gi, gh, gates, h, h2)
    return gates, h2


def gru_cell_backward(dh, gates, gh, h):
    """gru_cell_forward's backward from the new h's gradient: (d gi, d gh, d of the previous h through the
    pointwise part)."""
    gates, gh, h, dh = _blocks("gru_cell_backward", 3, gates, gh, h, dh)
    if dh.shape != h.shape:
        raise ValueError(f"gru_cell_backward: shapes must match, got {dh.shape}, {h.shape}")
    dgi, dgh, dh_prev = np.empty_like(gates), np.empty_like(gates), np.empty_like(h)
    _gru_bwd(dh, gates, gh, h, dgi, dgh, dh_prev)
    return dgi, dgh, dh_prev


# ---- a whole direction of a layer, all steps in one call: per step gh = h @ w_hh.T (+ b_hh) by NumPy's BLAS gemm
# called from numba (blas_gemm), then the fused pointwise kernels above. A Python loop of np.dot and kernel calls
# spent ~40% beside BLAS's own time at word_language_model's sizes (RESULTS.md, RNN forward (session 15)).
@jit
def _hidden_product(gemm, h, w_t, b_hh, has_b, gh):
    """gh = h @ w_t (+ b_hh), w_t = w_hh.T contiguous (OpenBLAS: ~8% faster than w_hh with its transpose flag at
    (20, 200) @ (200, 800)): b_hh's rows first, then gemm adds the product into them (beta 1)."""
    b, g = gh.shape
    beta = gh.dtype.type(0)
    if has_b:
        for r in range(b):
            gh[r] = b_hh
        beta = gh.dtype.type(1)
    gemm(101, 111, 111, b, g, h.shape[1], gh.dtype.type(1), h.ctypes.data, h.shape[1], w_t.ctypes.data, g, beta,
         gh.ctypes.data, g)


@jit
def _lstm_seq(gemm, gi, w_t, b_hh, has_b, h0, c0, reverse, gh, gates, cs, tcs, hs):
    steps, n = gi.shape[0], h0.shape[1]
    h, c = h0, c0
    for s in range(steps):
        t = steps - 1 - s if reverse else s
        _hidden_product(gemm, h, w_t, b_hh, has_b, gh)
        _gates_act(gi[t], gh, gates[t], 0, 4 * n, 2 * n, 3 * n)
        _lstm_state(gates[t], c, cs[t], tcs[t], hs[t])
        h, c = hs[t], cs[t]


@jit
def _gru_seq(gemm, gi, w_t, b_hh, has_b, h0, reverse, ghs, gates, hs):
    steps, n = gi.shape[0], h0.shape[1]
    h = h0
    for s in range(steps):
        t = steps - 1 - s if reverse else s
        _hidden_product(gemm, h, w_t, b_hh, has_b, ghs[t])
        _gates_act(gi[t], ghs[t], gates[t], 0, 2 * n, 2 * n, 2 * n)
        _gru_state(gi[t], ghs[t], gates[t], h, hs[t])
        h = hs[t]


def _sequence_args(op, gates_per_unit, gi, w_hh, b_hh, states):
    """The sequence kernels' arrays C-contiguous, one float dtype, gi (steps, batch, k * hidden) beside w_hh
    (k * hidden, hidden), b_hh (k * hidden,) or None and states (batch, hidden); ValueError otherwise."""
    has_b = b_hh is not None
    xs = [np.ascontiguousarray(x) for x in check(op, gi, w_hh, *states, *((b_hh,) if has_b else ()))]
    gi, w_hh, states = xs[0], xs[1], xs[2:2 + len(states)]
    b_hh = xs[-1] if has_b else np.empty(0, gi.dtype)      # (1-D either way: one compiled kernel per dtype)
    b, n = states[0].shape if states[0].ndim == 2 else (None, None)
    g = gates_per_unit * (n or 0)
    if (gi.ndim != 3 or gi.shape[1:] != (b, g) or w_hh.shape != (g, n) or any(s.shape != (b, n) for s in states)
            or has_b and b_hh.shape != (g,)):
        raise ValueError(f"{op}: expected gi (steps, batch, {gates_per_unit} * hidden), w_hh ({gates_per_unit} * "
                         f"hidden, hidden), b_hh ({gates_per_unit} * hidden,) and (batch, hidden) states, got "
                         f"{', '.join(str(x.shape) for x in xs)}")
    blas_for(g * n * b)                 # the per-step product's threads, by the library's policy (one, at these sizes)
    return gi, w_hh, b_hh, has_b, states


def _product_py(h, w_hh, b_hh, has_b, gh):
    """_hidden_product where NumPy's BLAS is not callable from numba: NumPy's matmul into gh."""
    np.matmul(h, w_hh.T, out=gh)
    if has_b:
        gh += b_hh


def lstm_sequence_forward(gi, w_hh, b_hh, h0, c0, reverse=False):
    """A whole LSTM direction over equal-length sequences from the input products gi (steps, batch, 4 * hidden)
    (b_ih in them), w_hh (4 * hidden, hidden), b_hh (4 * hidden,) or None and the initial h0, c0 (batch, hidden),
    steps in reverse order with reverse: (gates, c, tanh(c), h), each per step (steps, batch, *), as
    lstm_cell_forward returns them for step t from h[t - 1], c[t - 1] (t + 1 with reverse; h0, c0 first).

    Example: ``gates, c, tc, h = lstm_sequence_forward(gi, w_hh, None, h0, c0)``; h[-1], c[-1] the final states."""
    gi, w_hh, b_hh, has_b, (h0, c0) = _sequence_args("lstm_sequence_forward", 4, gi, w_hh, b_hh, (h0, c0))
    gemm, (steps, b), n = blas_gemm(gi.dtype), gi.shape[:2], h0.shape[1]
    gates, gh = np.empty_like(gi), np.empty_like(gi[0])
    cs, tcs, hs = (np.empty((steps, b, n), gi.dtype) for _ in range(3))
    if gemm is not None:
        _lstm_seq(gemm, gi, np.ascontiguousarray(w_hh.T), b_hh, has_b, h0, c0, bool(reverse), gh, gates, cs, tcs, hs)
        return gates, cs, tcs, hs
    h, c = h0, c0
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        _product_py(h, w_hh, b_hh, has_b, gh)
        _gates_act(gi[t], gh, gates[t], 0, 4 * n, 2 * n, 3 * n)
        _lstm_state(gates[t], c, cs[t], tcs[t], hs[t])
        h, c = hs[t], cs[t]
    return gates, cs, tcs, hs


def gru_sequence_forward(gi, w_hh, b_hh, h0, reverse=False):
    """A whole GRU direction over equal-length sequences from the input products gi (steps, batch, 3 * hidden)
    (b_ih in them), w_hh (3 * hidden, hidden), b_hh (3 * hidden,) or None and the initial h0 (batch, hidden): (gates,
    gh, h), each per step (steps, batch, *), gh = h[t - 1] @ w_hh.T + b_hh, as gru_cell_forward takes and returns
    them (h[t + 1] with reverse; h0 first).

    Example: ``gates, gh, h = gru_sequence_forward(gi, w_hh, b_hh, h0)``; h[-1] is the final state."""
    gi, w_hh, b_hh, has_b, (h0,) = _sequence_args("gru_sequence_forward", 3, gi, w_hh, b_hh, (h0,))
    gemm, (steps, b), n = blas_gemm(gi.dtype), gi.shape[:2], h0.shape[1]
    gates, ghs, hs = np.empty_like(gi), np.empty_like(gi), np.empty((steps, b, n), gi.dtype)
    if gemm is not None:
        _gru_seq(gemm, gi, np.ascontiguousarray(w_hh.T), b_hh, has_b, h0, bool(reverse), ghs, gates, hs)
        return gates, ghs, hs
    h = h0
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        _product_py(h, w_hh, b_hh, has_b, ghs[t])
        _gates_act(gi[t], ghs[t], gates[t], 0, 2 * n, 2 * n, 2 * n)
        _gru_state(gi[t], ghs[t], gates[t], h, hs[t])
        h = hs[t]
    return gates, ghs, hs


@jit
def _add_rows(dst, src):
    for r in range(dst.shape[0]):
        d, e = dst[r], src[r]
        for j in range(d.shape[0]):
            d[j] += e[j]


@jit
def _lstm_seq_bwd(gemm, g_out, gates, cs, tcs, c0, w_hh, reverse, da, dh, dc, dcp):
    steps, b, n = cs.shape
    one, zero = dh.dtype.type(1), dh.dtype.type(0)
    for s in range(steps):
        t = s if reverse else steps - 1 - s
        first = t == steps - 1 if reverse else t == 0
        c = c0 if first else cs[t + 1 if reverse else t - 1]
        _add_rows(dh, g_out[t])
        _lstm_bwd(dh, dc, gates[t], c, tcs[t], da[t], dcp)
        dc[:] = dcp
        gemm(101, 111, 111, b, n, 4 * n, one, da[t].ctypes.data, 4 * n, w_hh.ctypes.data, n, zero, dh.ctypes.data, n)


@jit
def _gru_seq_bwd(gemm, g_out, gates, ghs, hs, h0, w_hh, reverse, dgi, dgh, dh, dhp):
    steps, b, n = hs.shape
    one = dh.dtype.type(1)
    for s in range(steps):
        t = s if reverse else steps - 1 - s
        first = t == steps - 1 if reverse else t == 0
        h = h0 if first else hs[t + 1 if reverse else t - 1]
        _add_rows(dh, g_out[t])
        _gru_bwd(dh, gates[t], ghs[t], h, dgi[t], dgh[t], dhp)
        gemm(101, 111, 111, b, n, 3 * n, one, dgh[t].ctypes.data, 3 * n, w_hh.ctypes.data, n, one, dhp.ctypes.data, n)
        dh[:] = dhp


def _backward_args(op, k, g_out, *xs):
    """The backward sequence kernels' arrays C-contiguous, of one dtype: g_out (steps, batch, hidden), then w_hh
    (k * hidden, hidden), then as `op`'s signature lists them, each (batch, hidden), (steps, batch, k * hidden) for
    gates and gh, or (steps, batch, hidden) for c, tanh(c) and h; ValueError otherwise."""
    xs = [np.ascontiguousarray(x) for x in check(op, g_out, *xs)]
    steps, b, n = xs[0].shape if xs[0].ndim == 3 else (0, 0, -1)
    names = {"lstm_sequence_backward": ("g_out", "w_hh", "dh", "dc", "gates", "c", "tc", "c0"),
             "gru_sequence_backward": ("g_out", "w_hh", "dh", "gates", "gh", "h", "h0")}[op]
    want = {"g_out": (steps, b, n), "w_hh": (k * n, n), "gates": (steps, b, k * n), "gh": (steps, b, k * n),
            "c": (steps, b, n), "tc": (steps, b, n), "h": (steps, b, n)}
    if n < 0 or any(x.shape != want.get(name, (b, n)) for name, x in zip(names, xs)):
        raise ValueError(f"{op}: expected g_out (steps, batch, hidden) and matching " + ", ".join(names[1:])
                         + f", got {', '.join(str(x.shape) for x in xs)}")
    blas_for(k * n * n * b)
    return xs


def lstm_sequence_backward(g_out, dh, dc, gates, cs, tcs, c0, w_hh, reverse=False):
    """lstm_sequence_forward's backward through time from the outputs' gradients g_out (steps, batch, hidden) and
    the final states' dh, dc (batch, hidden), given its gates, c, tanh(c), the initial c0 and w_hh: (d pre-activations
    (steps, batch, 4 * hidden) (those of gi and of gh alike), d h0, d c0).

    Example: ``da, dh0, dc0 = lstm_sequence_backward(g_out, dh, dc, gates, c, tc, c0, w_hh)``."""
    g_out, w_hh, dh, dc, gates, cs, tcs, c0 = _backward_args("lstm_sequence_backward", 4, g_out, w_hh, dh, dc,
                                                             gates, cs, tcs, c0)
    dh, dc, da, dcp = dh.copy(), dc.copy(), np.empty_like(gates), np.empty_like(dh)
    gemm, steps = blas_gemm(dh.dtype), gates.shape[0]
    if gemm is not None:
        _lstm_seq_bwd(gemm, g_out, gates, cs, tcs, c0, w_hh, bool(reverse), da, dh, dc, dcp)
        return da, dh, dc
    for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
        first = t == (steps - 1 if reverse else 0)
        dh += g_out[t]
        _lstm_bwd(dh, dc, gates[t], c0 if first else cs[t + 1 if reverse else t - 1], tcs[t], da[t], dcp)
        dc[:] = dcp
        np.matmul(da[t], w_hh, out=dh)
    return da, dh, dc


def gru_sequence_backward(g_out, dh, gates, ghs, hs, h0, w_hh, reverse=False):
    """gru_sequence_forward's backward through time from the outputs' gradients g_out (steps, batch, hidden) and
    the final state's dh (batch, hidden), given its gates, gh, h, the initial h0 and w_hh: (d gi, d gh, each (steps,
    batch, 3 * hidden), d h0).

    Example: ``dgi, dgh, dh0 = gru_sequence_backward(g_out, dh, gates, gh, h, h0, w_hh)``."""
    g_out, w_hh, dh, gates, ghs, hs, h0 = _backward_args("gru_sequence_backward", 3, g_out, w_hh, dh, gates, ghs,
                                                         hs, h0)
    dh, dgi, dgh, dhp = dh.copy(), np.empty_like(gates), np.empty_like(gates), np.empty_like(dh)
    gemm, steps = blas_gemm(dh.dtype), gates.shape[0]
    if gemm is not None:
        _gru_seq_bwd(gemm, g_out, gates, ghs, hs, h0, w_hh, bool(reverse), dgi, dgh, dh, dhp)
        return dgi, dgh, dh
    for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
        first = t == (steps - 1 if reverse else 0)
        dh += g_out[t]
        _gru_bwd(dh, gates[t], ghs[t], h0 if first else hs[t + 1 if reverse else t - 1], dgi[t], dgh[t], dhp)
        dh = dhp + dgh[t] @ w_hh
    return dgi, dgh, dh
