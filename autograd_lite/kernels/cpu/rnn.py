"""The LSTM and GRU cells' pointwise math, one time step, forward and backward: a few loops of few arrays each.

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

__all__ = ["lstm_cell_forward", "lstm_cell_backward", "gru_cell_forward", "gru_cell_backward"]


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


# Loops of few arrays each: with many, LLVM's run-time overlap checks give up and the loop stays scalar.
@jit
def _gates_act(gi, gh, gates, lo, hi, tanh_from, tanh_to):
    """gates[:, lo:hi] = act(gi + gh) there: tanh on columns [tanh_from, tanh_to), sigmoid elsewhere."""
    for r in range(gates.shape[0]):
        for j in range(lo, tanh_from):
            gates[r, j] = _sig(gi[r, j] + gh[r, j])
        for j in range(tanh_from, tanh_to):
            gates[r, j] = _th(gi[r, j] + gh[r, j])
        for j in range(tanh_to, hi):
            gates[r, j] = _sig(gi[r, j] + gh[r, j])


@jit
def _lstm_state(gates, c, c2, tc, h):
    b, n = c.shape
    for r in range(b):
        for j in range(n):
            c2[r, j] = gates[r, n + j] * c[r, j] + gates[r, j] * gates[r, 2 * n + j]
        for j in range(n):
            tc[r, j] = _th(c2[r, j])
        for j in range(n):
            h[r, j] = gates[r, 3 * n + j] * tc[r, j]


@jit
def _lstm_bwd(dh, dc, gates, c, tc, da, dc_prev):
    b, n = c.shape
    one = c.dtype.type(1)
    for r in range(b):
        for j in range(n):
            i, f, g, o = gates[r, j], gates[r, n + j], gates[r, 2 * n + j], gates[r, 3 * n + j]
            t, d_h = tc[r, j], dh[r, j]
            d_c = dc[r, j] + d_h * o * (one - t * t)
            da[r, j] = d_c * g * i * (one - i)
            da[r, n + j] = d_c * c[r, j] * f * (one - f)
            da[r, 2 * n + j] = d_c * i * (one - g * g)
            da[r, 3 * n + j] = d_h * t * o * (one - o)
            dc_prev[r, j] = d_c * f


@jit
def _gru_state(gi, gh, gates, h, h2):
    b, n = h.shape
    for r in range(b):
        for j in range(n):
            gates[r, 2 * n + j] = _th(gi[r, 2 * n + j] + gates[r, j] * gh[r, 2 * n + j])
        for j in range(n):
            h2[r, j] = gates[r, 2 * n + j] + gates[r, n + j] * (h[r, j] - gates[r, 2 * n + j])


@jit
def _gru_bwd(dh, gates, gh, h, dgi, dgh, dh_prev):
    b, n = h.shape
    one = h.dtype.type(1)
    for r in range(b):
        for j in range(n):
            rr, z, nn, d = gates[r, j], gates[r, n + j], gates[r, 2 * n + j], dh[r, j]
            dan = d * (one - z) * (one - nn * nn)
            dar = dan * gh[r, 2 * n + j] * rr * (one - rr)
            daz = d * (h[r, j] - nn) * z * (one - z)
            dgi[r, j], dgi[r, n + j], dgi[r, 2 * n + j] = dar, daz, dan
            dgh[r, j], dgh[r, n + j], dgh[r, 2 * n + j] = dar, daz, dan * rr
            dh_prev[r, j] = d * z


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
