"""The recurrent layers' math: the cells (rnn_tanh, rnn_relu, lstm, gru) and their loop over the time steps of a
packed sequence as one graph node (Recurrence), then over directions and layers (rnn_layers); a cell module's step
(cell) is a one-step Recurrence. The input-to-hidden products of all time steps are one matmul before the loop, as
PyTorch computes them; the loop itself runs on raw arrays, its backward back through time on raw arrays too, and
both run again on Tensors under create_graph (gradients of every order). On the CPU an LSTM or GRU step's pointwise
part, forward and backward, is one kernel (kernels/cpu/rnn.py) instead of the formula's dozen array passes; and a
whole LSTM or GRU direction over equal-length sequences (no projection) is one kernel call each way, every step's
h @ w_hh.T by BLAS called from numba (_run_whole, _run_backward_whole)."""
from .._api import declare
from ..autograd.op_function import Function
from . import _formula as m
from ._util import kernels_of, xp_of
from .activation import dropout, relu, sigmoid, tanh
from .linalg import _mm
from .nn import linear
from .shape import cat, stack


# ---- the cells: (forward, backward) each, in the formula namespace, so the same code runs on raw arrays (the fast
# path) and on Tensors (under create_graph, recomputed from the node's inputs: gradients of every order).
# forward(gi, gh, state, w_hr) -> (new state, cache); gh = h @ w_hh.T (+ b_hh). backward(d_state, cache, w_hr) ->
# (d gi, d gh, d state through the pointwise part, d of the projection's output or None).

def _sigmoid(x):
    if m.is_graph(x):
        return sigmoid(x)
    return kernels_of(x).sigmoid_forward(x) if x.dtype.itemsize >= 4 else m.sigmoid(x)   # float16: no kernel


def _tanh(x):
    if m.is_graph(x):
        return tanh(x)
    return kernels_of(x).tanh_forward(x) if x.dtype.itemsize >= 4 else m.tanh(x)


def _matmul(a, b):
    """a @ b: the recorded op on Tensors, the kernel table's (it sizes BLAS's threads) on arrays."""
    return a @ b if m.is_graph(a, b) else _mm(a, b)


def _cell_kernel(x, name):
    """The kernel table's fused step `name` for raw float32/float64 arrays where the device has one (the CPU), else
    None: the formula below runs (Tensors under create_graph, float16, CuPy)."""
    if m.is_graph(x) or x.dtype.itemsize < 4:
        return None
    return getattr(kernels_of(x), name, None)


def _lstm_forward(gi, gh, state, w_hr):
    c = state[1]
    fused = _cell_kernel(c, "lstm_cell_forward")
    if fused is not None:       # one pass over the gates; cache (gates, c, tanh(c2), h)
        gates, c2, tc, h = fused(gi, gh, c)
        return ((h if w_hr is None else _matmul(h, m.mT(w_hr))), c2), (gates, c, tc, h)
    n = c.shape[1]
    a = gi + gh
    s = _sigmoid(a[:, :2 * n])
    i, f, g, o = s[:, :n], s[:, n:], _tanh(a[:, 2 * n:3 * n]), _sigmoid(a[:, 3 * n:])
    c2 = f * c + i * g
    tc = _tanh(c2)
    h = o * tc
    return ((h if w_hr is None else _matmul(h, m.mT(w_hr))), c2), (i, f, g, o, c, tc, h)


def _lstm_backward(d_state, cache, w_hr):
    dh, dc = d_state
    dp = None
    if w_hr is not None:
        dp, dh = dh, _matmul(dh, w_hr)
    if len(cache) == 4:         # the fused forward's cache: its backward kernel
        gates, c, tc, _ = cache
        da, dc_prev = kernels_of(gates).lstm_cell_backward(dh, dc, gates, c, tc)
        return da, da, (None, dc_prev), dp
    i, f, g, o, c, tc, h = cache
    dc = dc + dh * o * (1 - tc * tc)
    da = m.cat([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g), dh * tc * o * (1 - o)], 1)
    return da, da, (None, dc * f), dp


def _rnn_forward(act):
    def forward(gi, gh, state, w_hr):
        h = act(gi + gh)
        return (h,), h
    return forward


def _tanh_backward(d_state, h, w_hr):
    da = d_state[0] * (1 - h * h)
    return da, da, (None,), None


def _relu_backward(d_state, h, w_hr):
    da = m.where(m.data(h) > 0, d_state[0], m.zeros_like(d_state[0]))
    return da, da, (None,), None


def _gru_forward(gi, gh, state, w_hr):
    h = state[0]
    fused = _cell_kernel(h, "gru_cell_forward")
    if fused is not None:       # one pass over the gates; cache (gates, gh, h)
        gates, h2 = fused(gi, gh, h)
        return (h2,), (gates, gh, h)
    n_ = h.shape[1]
    rz = _sigmoid(gi[:, :2 * n_] + gh[:, :2 * n_])
    r, z, ghn = rz[:, :n_], rz[:, n_:], gh[:, 2 * n_:]
    n = _tanh(gi[:, 2 * n_:] + r * ghn)
    return (n + z * (h - n),), (r, z, n, ghn, h)


def _gru_backward(d_state, cache, w_hr):
    dh, = d_state
    if len(cache) == 3:         # the fused forward's cache: its backward kernel
        gates, gh, h = cache
        dgi, dgh, dh_prev = kernels_of(gates).gru_cell_backward(dh, gates, gh, h)
        return dgi, dgh, (dh_prev,), None
    r, z, n, ghn, h = cache
    dan = dh * (1 - z) * (1 - n * n)
    dar = dan * ghn * r * (1 - r)
    daz = dh * (h - n) * z * (1 - z)
    return m.cat([dar, daz, dan], 1), m.cat([dar, daz, dan * r], 1), (dh * z,), None


CELLS = {"RNN_TANH": (_rnn_forward(_tanh), _tanh_backward),
         "RNN_RELU": (_rnn_forward(lambda x: relu(x) if m.is_graph(x) else xp_of(x).maximum(x, 0)), _relu_backward),
         "LSTM": (_lstm_forward, _lstm_backward), "GRU": (_gru_forward, _gru_backward)}


def _starts(batch_sizes):
    out, total = [], 0
    for b in batch_sizes:
        out.append(total)
        total += b
    return out


_SEQUENCE_KERNELS = {"LSTM": "lstm_sequence_forward", "GRU": "gru_sequence_forward"}


class _Whole:
    """_run's record from a whole-direction kernel: its per-step arrays (LSTM gates, c, tanh(c), h; GRU gates, gh,
    h), each (steps, batch, *), then the initial states, for the backward kernel."""
    def __init__(self, *arrays):
        self.arrays = arrays


def _run_whole(mode, gi, w_hh, b_hh, h0s, steps, reverse):
    """_run by the kernel table's whole-direction kernel (all steps in one call: the per-step product straight into
    BLAS), for raw float32/float64 LSTM or GRU arrays on equal-length sequences, without projection; None where
    there is no such kernel."""
    fused = _cell_kernel(gi, _SEQUENCE_KERNELS.get(mode, ""))
    if fused is None or m.is_graph(w_hh, b_hh, *h0s):
        return None
    batch = h0s[0].shape[0]
    gi3 = gi.reshape(steps, batch, gi.shape[1])
    last = 0 if reverse else steps - 1
    if mode == "LSTM":
        gates, cs, tcs, hs = fused(gi3, w_hh, b_hh, h0s[0], h0s[1], reverse)
        return hs.reshape(steps * batch, hs.shape[2]), (hs[last], cs[last]), _Whole(gates, cs, tcs, hs, *h0s)
    gates, ghs, hs = fused(gi3, w_hh, b_hh, h0s[0], reverse)
    return hs.reshape(steps * batch, hs.shape[2]), (hs[last],), _Whole(gates, ghs, hs, *h0s)


def _run_backward_whole(mode, g_out, g_finals, w_hh, reverse, record, need_b_hh):
    """_run_backward on a _Whole record: back through time by the backward sequence kernel."""
    kernels = kernels_of(g_out)
    hs = record.arrays[-2 if mode == "GRU" else -3]
    steps, batch, n = hs.shape
    g3 = g_out.reshape(steps, batch, n)
    if mode == "LSTM":
        gates, cs, tcs, hs, h0, c0 = record.arrays
        dgh, dh0, dc0 = kernels.lstm_sequence_backward(g3, g_finals[0], g_finals[1], gates, cs, tcs, c0, w_hh,
                                                       reverse)
        dgi, d_state = dgh, (dh0, dc0)
    else:
        gates, ghs, hs, h0 = record.arrays
        dgi, dgh, dh0 = kernels.gru_sequence_backward(g3, g_finals[0], gates, ghs, hs, h0, w_hh, reverse)
        d_state = (dh0,)
    # d w_hh: the sum over steps of dgh[t].T @ (h before step t): h0 before the first step, the step's before it after
    first, later_g, later_h = (steps - 1, dgh[:-1], hs[1:]) if reverse else (0, dgh[1:], hs[:-1])
    g = dgh.shape[2]
    d_w_hh = _matmul(m.mT(dgh[first]), h0)
    if steps > 1:
        d_w_hh = d_w_hh + _matmul(m.mT(later_g.reshape(-1, g)), later_h.reshape(-1, n))
    d_b_hh = m.sum(dgh.reshape(-1, g), (0,)) if need_b_hh else None
    return dgi.reshape(steps * batch, g), d_w_hh, d_b_hh, None, d_state


def _run(mode, gi, w_hh, b_hh, w_hr, h0s, batch_sizes, reverse):
    """One direction over a packed sequence: gi (sum(batch_sizes), G) the input products in packed order, h0s the
    initial states (batch_sizes[0], *). Returns (outputs (sum(batch_sizes), out_size), final states, per step
    (cache, h before the step)). A sequence that ends before the others keeps the state of its last valid step."""
    if w_hr is None and len(set(batch_sizes)) == 1:
        whole = _run_whole(mode, gi, w_hh, b_hh, h0s, len(batch_sizes), reverse)
        if whole is not None:
            return whole
    forward = CELLS[mode][0]
    starts, steps = _starts(batch_sizes), len(batch_sizes)
    outs, record = [None] * steps, [None] * steps
    # h @ w_hh.T against a contiguous copy of w_hh.T: BLAS runs the step's product ~1.7x faster than on the view
    w_t = m.mT(w_hh) if m.is_graph(w_hh) else xp_of(w_hh).ascontiguousarray(w_hh.T)
    cur = batch_sizes[-1] if reverse else batch_sizes[0]
    state = h0s if cur == batch_sizes[0] else tuple(s[:cur] for s in h0s)
    done = []
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        b = batch_sizes[t]
        if b < cur:             # forward: sequences b..cur-1 ended at the step before
            done.append(tuple(s[b:cur] for s in state))
            state = tuple(s[:b] for s in state)
        elif b > cur:           # reverse: sequences cur..b-1 start here, from their initial state
            state = tuple(m.cat([s, s0[cur:b]], 0) for s, s0 in zip(state, h0s))
        cur = b
        h = state[0]
        gh = _matmul(h, w_t) if b_hh is None else _matmul(h, w_t) + b_hh
        state, cache = forward(gi[starts[t]:starts[t] + b], gh, state, w_hr)
        outs[t], record[t] = state[0], (cache, h)
    if done:
        state = tuple(m.cat([s] + [d[k] for d in reversed(done)], 0) for k, s in enumerate(state))
    return m.cat(outs, 0) if steps > 1 else outs[0], state, record


def _run_backward(mode, g_out, g_finals, w_hh, w_hr, h0s, batch_sizes, reverse, record, need_b_hh):
    """The gradients of _run's inputs (gi, w_hh, b_hh, w_hr, *h0s) from those of its outputs, back through time."""
    if isinstance(record, _Whole):
        return _run_backward_whole(mode, g_out, g_finals, w_hh, reverse, record, need_b_hh)
    backward = CELLS[mode][1]
    starts, steps = _starts(batch_sizes), len(batch_sizes)
    dgi, dgh, dps = [None] * steps, [None] * steps, [None] * steps
    cur = batch_sizes[-1] if not reverse else batch_sizes[0]
    d_state = g_finals if cur == batch_sizes[0] else tuple(s[:cur] for s in g_finals)
    pieces = []
    for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
        b = batch_sizes[t]
        if b > cur:             # forward: sequences cur..b-1 ended at step t
            d_state = tuple(m.cat([s, g[cur:b]], 0) for s, g in zip(d_state, g_finals))
        elif b < cur:           # reverse: sequences b..cur-1 started at the step before, from h0
            pieces.append(tuple(s[b:cur] for s in d_state))
            d_state = tuple(s[:b] for s in d_state)
        cur = b
        d_state = (d_state[0] + g_out[starts[t]:starts[t] + b],) + d_state[1:]
        cache, h = record[t]
        dgi[t], dgh[t], d_prev, dps[t] = backward(d_state, cache, w_hr)
        dh = _matmul(dgh[t], w_hh)
        d_state = (dh if d_prev[0] is None else d_prev[0] + dh,) + d_prev[1:]
    if pieces:
        d_state = tuple(m.cat([s] + [p[k] for p in reversed(pieces)], 0) for k, s in enumerate(d_state))
    dgi_all = m.cat(dgi, 0) if steps > 1 else dgi[0]
    dgh_all = dgi_all if dgh[0] is dgi[0] else m.cat(dgh, 0) if steps > 1 else dgh[0]    # one array: LSTM, RNN
    h_all = m.cat([r[1] for r in record], 0) if steps > 1 else record[0][1]
    d_w_hh = _matmul(m.mT(dgh_all), h_all)
    d_b_hh = m.sum(dgh_all, (0,)) if need_b_hh else None
    d_w_hr = None
    if w_hr is not None:
        hs = [r[0][-1] for r in record]        # h: the cache's last entry
        d_w_hr = _matmul(m.mT(m.cat(dps, 0)), m.cat(hs, 0))
    return dgi_all, d_w_hh, d_b_hh, d_w_hr, d_state


class Recurrence(Function):
    """One direction of one recurrent layer over a packed sequence, as one graph node:
    ``apply(gi, w_hh, b_hh, w_hr, *h0s, mode=, batch_sizes=, reverse=)`` with gi the input products of all steps
    (sum(batch_sizes), G) in packed order; b_hh and w_hr may be None. Its output is one flat array: the outputs
    (sum(batch_sizes), out_size) then each final state (batch_sizes[0], *), raveled (rnn_layers splits it)."""
    op_name = "rnn"

    @staticmethod
    def forward(ctx, gi, w_hh, b_hh, w_hr, *h0s, mode, batch_sizes, reverse):
        out, finals, record = _run(mode, gi, w_hh, b_hh, w_hr, h0s, batch_sizes, reverse)
        ctx.save_for_backward(gi, w_hh, b_hh, w_hr, *h0s, record)
        ctx.settings = (mode, batch_sizes, reverse, out.shape, tuple(s.shape for s in finals))
        return xp_of(out).concatenate([out.ravel()] + [s.ravel() for s in finals])

    @staticmethod
    def backward(ctx, g):
        mode, batch_sizes, reverse, out_shape, shapes = ctx.settings
        gi, w_hh, b_hh, w_hr, *h0s, record = ctx._saved
        if m.is_graph(g):       # the steps recomputed as Tensor ops: their values are the graph's, not constants
            record = _run(mode, gi, w_hh, b_hh, w_hr, tuple(h0s), batch_sizes, reverse)[2]
        parts, at = [], 0
        for shape in (out_shape,) + shapes:
            size = shape[0] * shape[1]
            parts.append(g[at:at + size].reshape(shape))
            at += size
        dgi, d_w_hh, d_b_hh, d_w_hr, dh0s = _run_backward(mode, parts[0], tuple(parts[1:]), w_hh, w_hr, tuple(h0s),
                                                          batch_sizes, reverse, record, ctx._inputs[2] is not None)
        return (dgi, d_w_hh, d_b_hh, d_w_hr) + tuple(dh0s)

    def name(self):
        return "RnnBackward0"


def _recurrence(mode, gi, w_hh, b_hh, w_hr, h0s, batch_sizes, reverse):
    """Recurrence's flat output split: (outputs (sum(batch_sizes), out_size), final states shaped as h0s)."""
    flat = Recurrence.apply(gi, w_hh, b_hh, w_hr, *h0s, mode=mode, batch_sizes=batch_sizes, reverse=reverse)
    n, size = gi.shape[0], (w_hh if w_hr is None else w_hr).shape[1 if w_hr is None else 0]
    out, at, finals = flat[:n * size].reshape(n, size), n * size, []
    for s in h0s:
        finals.append(flat[at:at + s.numel()].reshape(s.shape))
        at += s.numel()
    return out, finals


def rnn_layers(mode, x, batch_sizes, hx, weights, num_layers, bidirectional, p, training):
    """The stacked recurrent layers over x (sum(batch_sizes), input_size), a sequence in packed order (a padded
    (T, B, I) input is the packed one with batch_sizes [B] * T). hx: the initial states, each
    (num_layers * num_directions, batch_sizes[0], *); weights: per layer and direction (w_ih, w_hh, b_ih, b_hh,
    w_hr), biases and w_hr None where absent. Dropout p on every layer's output but the last, in training.
    Returns (output (sum(batch_sizes), num_directions * out_size), final states stacked as hx)."""
    dirs = 2 if bidirectional else 1
    finals = [[] for _ in hx]
    batch_sizes = tuple(batch_sizes)
    if not batch_sizes:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[layer * dirs + d]
            if mode != "GRU" and b_hh is not None:     # both biases into the one product of all steps
                b_ih, b_hh = (b_hh if b_ih is None else b_ih + b_hh), None
            h0s = tuple(s[layer * dirs + d] for s in hx)
            out, states = _recurrence(mode, linear(x, w_ih, b_ih), w_hh, b_hh, w_hr, h0s, batch_sizes, d == 1)
            outs.append(out)
            for k, s in enumerate(states):
                finals[k].append(s)
        x = outs[0] if dirs == 1 else cat(outs, 1)
        if p and training and layer < num_layers - 1:
            x = dropout(x, p, True)
    return x, tuple(stack(f, 0) for f in finals)


def cell(mode, x, states, w_ih, w_hh, b_ih, b_hh):
    """One step of a cell module (RNNCell, LSTMCell, GRUCell) on a batch x (B, input_size): the new states."""
    return tuple(_recurrence(mode, linear(x, w_ih, b_ih), w_hh, b_hh, None, states, (x.shape[0],), False)[1])


# ---- torch.lstm / gru / rnn_tanh / rnn_relu: the whole-sequence ATen functions, with their positional signatures --
_PADDED_ARGS = ("input", "hx", "params", "has_biases", "num_layers", "dropout", "train", "bidirectional",
                "batch_first")
_PACKED_ARGS = ("data", "batch_sizes", "hx", "params", "has_biases", "num_layers", "dropout", "train",
                "bidirectional")


def _whole_sequence(mode, name, args, kwargs):
    """Parses either overload (padded: input, hx, params, ...; packed: data, batch_sizes, hx, params, ...) and
    runs rnn_layers: (output, *final states)."""
    packed = "batch_sizes" in kwargs or "data" in kwargs or len(args) > 3 and isinstance(args[3], (list, tuple))
    names = _PACKED_ARGS if packed else _PADDED_ARGS
    if len(args) > len(names):
        raise TypeError(f"{name}() takes {len(names)} positional arguments but {len(args)} were given")
    bound = dict(zip(names, args))
    for k, v in kwargs.items():
        if k not in names:
            raise TypeError(f"{name}() got an unexpected keyword argument '{k}'")
        if k in bound:
            raise TypeError(f"{name}() got multiple values for argument '{k}'")
        bound[k] = v
    missing = [n for n in names if n not in bound]
    if missing:
        raise TypeError(f"{name}() missing required argument '{missing[0]}'")
    hx, params, dirs = bound["hx"], list(bound["params"]), 2 if bound["bidirectional"] else 1
    num_layers, has_biases = int(bound["num_layers"]), bool(bound["has_biases"])
    if mode == "LSTM":
        hx = tuple(hx)
        if len(hx) != 2:
            raise RuntimeError("lstm expects two hidden states")
    else:
        hx = (hx,)
    proj = mode == "LSTM" and hx[0].shape[2] != hx[1].shape[2]
    per = 2 + 2 * has_biases + proj
    if len(params) % per:
        raise RuntimeError("got an incorrect number of RNN parameters")
    if any(s.dim() != 3 or s.shape[0] != num_layers * dirs for s in hx):    # torch's checks, in its order
        raise RuntimeError("Expected more hidden states in stacked_rnn")
    if len(params) != per * num_layers * dirs:
        raise RuntimeError("Expected more weights in stacked_rnn")
    weights = []
    for i in range(num_layers * dirs):
        p = params[i * per:(i + 1) * per]
        w_ih, w_hh = p[0], p[1]
        b_ih, b_hh = (p[2], p[3]) if has_biases else (None, None)
        weights.append((w_ih, w_hh, b_ih, b_hh, p[-1] if proj else None))
    if packed:
        x, sizes = bound["data"], [int(b) for b in bound["batch_sizes"].tolist()]
    else:
        x = bound["input"]
        if x.dim() != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {x.dim()}")
        seq = x.transpose(0, 1) if bound["batch_first"] else x
        steps, batch = seq.shape[0], seq.shape[1]
        x, sizes = seq.reshape(steps * batch, seq.shape[2]), [batch] * steps
    out, finals = rnn_layers(mode, x, sizes, hx, weights, num_layers, dirs == 2, float(bound["dropout"]),
                             bool(bound["train"]))
    if not packed:
        out = out.reshape(steps, batch, out.shape[1])
        if bound["batch_first"]:
            out = out.transpose(0, 1)
    return (out,) + tuple(finals)


def _declare_whole_sequence(mode, name, states):
    def fn(*args, **kwargs):
        return _whole_sequence(mode, name, args, kwargs)
    fn.__name__ = fn.__qualname__ = name
    proj = ", then w_hr when h and c differ in size" if mode == "LSTM" else ""
    finals = "h_n, c_n" if mode == "LSTM" else "h_n"
    fn.__doc__ = f"""The whole-sequence {mode} of ATen, as ``torch.{name}``: ``{name}(input, hx, params, has_biases,
    num_layers, dropout, train, bidirectional, batch_first)`` on a (T, B, I) input ((B, T, I) with batch_first), or
    ``{name}(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional)`` on a packed
    sequence. hx: {states}; params: per layer and direction w_ih, w_hh (then b_ih, b_hh with has_biases{proj}).
    Returns (output, {finals}).

    Example: ``out, h = autograd_lite.{name}(x, h0, [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, False)``"""
    declare(fn, method=False)


for _mode, _name, _states in (("LSTM", "lstm", "[h0, c0], each (num_layers * num_directions, B, size)"),
                              ("GRU", "gru", "h0 (num_layers * num_directions, B, hidden_size)"),
                              ("RNN_TANH", "rnn_tanh", "h0 (num_layers * num_directions, B, hidden_size)"),
                              ("RNN_RELU", "rnn_relu", "h0 (num_layers * num_directions, B, hidden_size)")):
    _declare_whole_sequence(_mode, _name, _states)
