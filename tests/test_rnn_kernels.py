"""The fused LSTM and GRU step kernels (kernels/cpu/rnn.py) against the NumPy formulas they replace (in float64),
on float32 and float64, contiguous or not; and the recurrent layers computing the same through them as through the
formula (ops/rnn.py keeps it for other devices and create_graph)."""
import importlib

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.kernels import cpu
from autograd_lite.ops import rnn as rnn_ops

TOL = {np.float32: 2e-6, np.float64: 1e-13}


def sig(x):
    return 1 / (1 + np.exp(-x))


def lstm_ref(gi, gh, c):
    a, n = gi + gh, c.shape[1]
    i, f, g, o = sig(a[:, :n]), sig(a[:, n:2 * n]), np.tanh(a[:, 2 * n:3 * n]), sig(a[:, 3 * n:])
    c2 = f * c + i * g
    return np.concatenate([i, f, g, o], 1), c2, np.tanh(c2), o * np.tanh(c2)


def lstm_bwd_ref(dh, dc, gates, c, tc):
    n = c.shape[1]
    i, f, g, o = (gates[:, k * n:(k + 1) * n] for k in range(4))
    dc = dc + dh * o * (1 - tc * tc)
    return np.concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                           dh * tc * o * (1 - o)], 1), dc * f


def gru_ref(gi, gh, h):
    n = h.shape[1]
    r, z = sig(gi[:, :n] + gh[:, :n]), sig(gi[:, n:2 * n] + gh[:, n:2 * n])
    nn = np.tanh(gi[:, 2 * n:] + r * gh[:, 2 * n:])
    return np.concatenate([r, z, nn], 1), nn + z * (h - nn)


def gru_bwd_ref(dh, gates, gh, h):
    n = h.shape[1]
    r, z, nn = (gates[:, k * n:(k + 1) * n] for k in range(3))
    dan = dh * (1 - z) * (1 - nn * nn)
    dar, daz = dan * gh[:, 2 * n:] * r * (1 - r), dh * (h - nn) * z * (1 - z)
    return np.concatenate([dar, daz, dan], 1), np.concatenate([dar, daz, dan * r], 1), dh * z


def arrays(dtype, shapes, contiguous, scale=3.0, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        x = (rng.standard_normal((s[0], 2 * s[1])) * scale).astype(dtype)
        out.append(np.ascontiguousarray(x[:, ::2]) if contiguous else x[:, ::2])     # a strided view
    return out


def close(ours, ref, dtype):
    assert ours.dtype == dtype and ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("contiguous", [True, False])
@pytest.mark.parametrize("b,n", [(1, 1), (3, 5), (20, 200)])
def test_lstm_step(dtype, contiguous, b, n):
    gi, gh, c, dh, dc = arrays(dtype, [(b, 4 * n), (b, 4 * n), (b, n), (b, n), (b, n)], contiguous)
    ours = cpu.lstm_cell_forward(gi, gh, c)
    ref = lstm_ref(*(x.astype(np.float64) for x in (gi, gh, c)))
    for o, r in zip(ours, ref):
        close(o, r, dtype)
    gates, _, tc, _ = ours
    ours = cpu.lstm_cell_backward(dh, dc, gates, c, tc)
    ref = lstm_bwd_ref(*(x.astype(np.float64) for x in (dh, dc, gates, c, tc)))
    for o, r in zip(ours, ref):
        close(o, r, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("contiguous", [True, False])
@pytest.mark.parametrize("b,n", [(1, 1), (3, 5), (20, 200)])
def test_gru_step(dtype, contiguous, b, n):
    gi, gh, h, dh = arrays(dtype, [(b, 3 * n), (b, 3 * n), (b, n), (b, n)], contiguous)
    ours = cpu.gru_cell_forward(gi, gh, h)
    ref = gru_ref(*(x.astype(np.float64) for x in (gi, gh, h)))
    for o, r in zip(ours, ref):
        close(o, r, dtype)
    gates = ours[0]
    ours = cpu.gru_cell_backward(dh, gates, gh, h)
    ref = gru_bwd_ref(*(x.astype(np.float64) for x in (dh, gates, gh, h)))
    for o, r in zip(ours, ref):
        close(o, r, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_over_their_whole_range(dtype):
    """The kernels' sigmoid and tanh (float32: from the vectorised exp, tanh by Cephes' two branches) near libm's
    everywhere, relatively near 0, exactly saturating at +-inf, NaN kept. Read through the GRU's gates: n = tanh(gi),
    r = z = sigmoid(gi) with gh = 0."""
    x = np.concatenate([np.linspace(-30, 30, 30001), np.geomspace(1e-30, 1, 500), -np.geomspace(1e-30, 1, 500),
                        [0.625, -0.625, 0.6249999, np.inf, -np.inf, np.nan]]).astype(dtype)[None, :]
    gi = np.concatenate([x, x, x], 1)
    gates, _ = cpu.gru_cell_forward(gi, np.zeros_like(gi), np.zeros_like(x))
    n = x.shape[1]
    xd = x.astype(np.float64)
    for got, ref in ((gates[:, :n], sig(xd)), (gates[:, 2 * n:], np.tanh(xd))):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, ref, rtol=4 * np.finfo(dtype).eps, atol=2 * np.finfo(dtype).eps)
    assert np.isnan(gates[0, n - 1]) and np.isnan(gates[0, -1])
    assert gates[0, 2 * n + n - 3] == 1 and gates[0, 2 * n + n - 2] == -1


def test_errors():
    f = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match="lstm_cell_forward: expected float32 or float64"):
        cpu.lstm_cell_forward(np.zeros((2, 12)), np.zeros((2, 12), np.float32), f)
    with pytest.raises(ValueError, match=r"lstm_cell_forward: expected gates \(2, 4 \* hidden\)"):
        cpu.lstm_cell_forward(np.zeros((2, 9), np.float32), np.zeros((2, 9), np.float32), f)
    with pytest.raises(ValueError, match="gru_cell_backward: shapes must match"):
        cpu.gru_cell_backward(np.zeros((2, 4), np.float32), np.zeros((2, 9), np.float32),
                              np.zeros((2, 9), np.float32), f)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layers_compute_the_same_fused_or_not(mode, dtype, monkeypatch):
    """A 2-layer bidirectional layer over a packed batch of uneven lengths (LSTM with a projection): outputs, final
    states and every gradient through the kernels are the formula's."""
    kw = dict(proj_size=3) if mode == "LSTM" else {}
    al.manual_seed(0)
    layer = getattr(al.nn, mode)(4, 5, 2, bidirectional=True, **kw).to(getattr(al, dtype))
    x = al.randn(6, 3, 4, dtype=getattr(al, dtype))
    runs = []
    for fused in (True, False):
        if not fused:
            monkeypatch.setattr(rnn_ops, "_cell_kernel", lambda x, name: None)
        layer.zero_grad()
        xi = x.detach().requires_grad_(True)
        packed = al.nn.utils.rnn.pack_padded_sequence(xi, [6, 4, 2])
        out, hidden = layer(packed)
        hs = hidden if isinstance(hidden, tuple) else (hidden,)
        loss = (out.data ** 2).sum() + sum((h * h).sum() for h in hs)
        loss.backward()
        runs.append([out.data.detach().numpy()] + [h.detach().numpy() for h in hs] + [xi.grad.numpy()]
                    + [p.grad.numpy() for p in layer.parameters()])
    tol = 1e-5 if dtype == "float32" else 1e-12
    for a, b in zip(*runs):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ---- the whole-direction kernels (lstm_sequence_forward, gru_sequence_forward): every step's h @ w_hh.T by BLAS
# called from numba, or by NumPy where that BLAS is not found (blas=False)
@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("blas", [True, False])
def test_sequence_forward_is_its_steps(mode, dtype, reverse, bias, blas, monkeypatch):
    matmul_module = importlib.import_module("autograd_lite.kernels.cpu.matmul")  # (cpu.matmul: the function)
    if blas:
        assert matmul_module.blas_gemm(dtype) is not None      # NumPy's wheels bundle OpenBLAS: found
    else:
        monkeypatch.setattr(matmul_module, "_gemms", {})
    k, (steps, b, n) = (4 if mode == "LSTM" else 3), (6, 3, 5)
    rng = np.random.default_rng(7)
    gi, w, bh = (rng.standard_normal(s).astype(dtype) for s in ((steps, b, k * n), (k * n, n), (k * n,)))
    states = [rng.standard_normal((b, n)).astype(dtype) for _ in range(2 if mode == "LSTM" else 1)]
    bh = bh if bias else None
    if mode == "LSTM":
        ours = cpu.lstm_sequence_forward(gi, w, bh, *states, reverse=reverse)
    else:
        ours = cpu.gru_sequence_forward(gi, w, bh, *states, reverse=reverse)
    state = [s.astype(np.float64) for s in states]
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        gh = state[0] @ w.T.astype(np.float64) + (0 if bh is None else bh)
        if mode == "LSTM":
            gates, c2, tc, h = lstm_ref(gi[t].astype(np.float64), gh, state[1])
            refs, state = (gates, c2, tc, h), [h, c2]
        else:
            gates, h = gru_ref(gi[t].astype(np.float64), gh, state[0])
            refs, state = (gates, gh, h), [h]
        for o, r in zip(ours, refs):
            np.testing.assert_allclose(o[t], r, rtol=20 * TOL[dtype], atol=20 * TOL[dtype])
            assert o.dtype == dtype and o.shape == (steps,) + r.shape


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("blas", [True, False])
def test_sequence_backward_is_its_steps(mode, dtype, reverse, blas, monkeypatch):
    if not blas:
        monkeypatch.setattr(importlib.import_module("autograd_lite.kernels.cpu.matmul"), "_gemms", {})
    k, (steps, b, n) = (4 if mode == "LSTM" else 3), (5, 3, 4)
    rng = np.random.default_rng(8)
    gi, w, bh = (rng.standard_normal(s).astype(dtype) for s in ((steps, b, k * n), (k * n, n), (k * n,)))
    g_out = rng.standard_normal((steps, b, n)).astype(dtype)
    states = [rng.standard_normal((b, n)).astype(dtype) for _ in range(2 if mode == "LSTM" else 1)]
    d_final = [rng.standard_normal((b, n)).astype(dtype) for _ in states]
    order = list(range(steps - 1, -1, -1) if reverse else range(steps))
    f64 = lambda x: x.astype(np.float64)        # noqa: E731
    if mode == "LSTM":
        gates, cs, tcs, hs = cpu.lstm_sequence_forward(gi, w, bh, *states, reverse=reverse)
        ours = cpu.lstm_sequence_backward(g_out, *d_final, gates, cs, tcs, states[1], w, reverse=reverse)
        prev_c = {t: (states[1] if i == 0 else cs[order[i - 1]]) for i, t in enumerate(order)}
        dh, dc, da = f64(d_final[0]), f64(d_final[1]), np.empty(gates.shape)
        for t in reversed(order):
            da[t], dc = lstm_bwd_ref(dh + g_out[t], dc, *(f64(x) for x in (gates[t], prev_c[t], tcs[t])))
            dh = da[t] @ f64(w)
        refs = (da, dh, dc)
    else:
        gates, ghs, hs = cpu.gru_sequence_forward(gi, w, bh, *states, reverse=reverse)
        ours = cpu.gru_sequence_backward(g_out, d_final[0], gates, ghs, hs, states[0], w, reverse=reverse)
        prev_h = {t: (states[0] if i == 0 else hs[order[i - 1]]) for i, t in enumerate(order)}
        dh, dgi, dgh = f64(d_final[0]), np.empty(gates.shape), np.empty(gates.shape)
        for t in reversed(order):
            dgi[t], dgh[t], dh = gru_bwd_ref(dh + g_out[t], *(f64(x) for x in (gates[t], ghs[t], prev_h[t])))
            dh = dh + dgh[t] @ f64(w)
        refs = (dgi, dgh, dh)
    for o, r in zip(ours, refs):
        close(o, r, dtype) if dtype == np.float64 else np.testing.assert_allclose(o, r, rtol=1e-5, atol=1e-5)


def test_sequence_backward_errors():
    f, g = np.zeros((2, 3), np.float32), np.zeros((4, 2, 12), np.float32)
    w, o = np.zeros((12, 3), np.float32), np.zeros((4, 2, 3), np.float32)
    with pytest.raises(ValueError, match=r"lstm_sequence_backward: expected g_out \(steps, batch, hidden\)"):
        cpu.lstm_sequence_backward(o, f, f, g[:, :, :9], o, o, f, w)
    with pytest.raises(ValueError, match="gru_sequence_backward: expected g_out"):
        cpu.gru_sequence_backward(o[0], f, g[:, :, :9], g[:, :, :9], o, f, w[:9])
    with pytest.raises(TypeError, match="gru_sequence_backward: expected float32 or float64"):
        cpu.gru_sequence_backward(o.astype(np.float64), f, g[:, :, :9], g[:, :, :9], o, f, w[:9])


def test_sequence_forward_errors():
    f = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match="lstm_sequence_forward: expected float32 or float64"):
        cpu.lstm_sequence_forward(np.zeros((4, 2, 12)), np.zeros((12, 3), np.float32), None, f, f)
    with pytest.raises(ValueError, match=r"gru_sequence_forward: expected gi \(steps, batch, 3 \* hidden\)"):
        cpu.gru_sequence_forward(np.zeros((4, 2, 12), np.float32), np.zeros((9, 3), np.float32), None, f)
    with pytest.raises(ValueError, match="lstm_sequence_forward: expected"):    # b_hh of the wrong size
        cpu.lstm_sequence_forward(np.zeros((4, 2, 12), np.float32), np.zeros((12, 3), np.float32),
                                  np.zeros(9, np.float32), f, f)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layers_compute_the_same_whole_or_step_by_step(mode, dtype, monkeypatch):
    """A 2-layer bidirectional layer (LSTM: b_hh folded into b_ih; GRU: b_hh kept apart) on equal lengths: outputs,
    final states and every gradient through the whole-direction kernels are the step-by-step path's."""
    al.manual_seed(0)
    layer = getattr(al.nn, mode)(4, 5, 2, bidirectional=True).to(getattr(al, dtype))
    x, h0 = al.randn(6, 3, 4, dtype=getattr(al, dtype)), al.randn(4, 3, 5, dtype=getattr(al, dtype))
    runs = []
    for whole in (True, False):
        if not whole:
            monkeypatch.setattr(rnn_ops, "_SEQUENCE_KERNELS", {})
        layer.zero_grad()
        xi = x.detach().requires_grad_(True)
        out, hidden = layer(xi, (h0, h0 * 0.5) if mode == "LSTM" else h0)
        hs = hidden if isinstance(hidden, tuple) else (hidden,)
        ((out ** 2).sum() + sum((h * h).sum() for h in hs)).backward()
        runs.append([out.detach().numpy()] + [h.detach().numpy() for h in hs] + [xi.grad.numpy()]
                    + [p.grad.numpy() for p in layer.parameters()])
    tol = 1e-5 if dtype == "float32" else 1e-12
    for a, b in zip(*runs):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_fused_path_is_taken(monkeypatch):
    calls = []
    names = ("lstm_cell_forward", "lstm_cell_backward", "lstm_sequence_forward", "lstm_sequence_backward")
    for name in names:
        fn = getattr(cpu, name)
        monkeypatch.setattr(cpu, name, lambda *a, fn=fn, name=name: calls.append(name) or fn(*a))
    lstm = al.nn.LSTM(3, 4)
    lstm(al.randn(5, 2, 3))[0].sum().backward()     # equal lengths: the whole direction in one kernel call each way
    assert [calls.count(n) for n in names] == [0, 0, 1, 1]
    calls.clear()
    packed = al.nn.utils.rnn.pack_padded_sequence(al.randn(5, 2, 3), [5, 3])    # lengths differ: step by step
    lstm(packed)[0].data.sum().backward()
    assert [calls.count(n) for n in names] == [5, 5, 0, 0]


# ---- rows_add: Embedding's backward (kernels/cpu/scatter.py) -------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,num,width", [(0, 3, 4), (1, 1, 1), (700, 50, 200), (37, 1000, 7)])
def test_rows_add_equals_numpy_add_at(dtype, n, num, width):
    from autograd_lite.kernels.cpu import rows_add
    rng = np.random.default_rng(n + num)
    index = rng.integers(0, num, n)                       # repeats add up
    rows = rng.standard_normal((n, width)).astype(dtype)
    out = rng.standard_normal((num, width)).astype(dtype)
    expected = out.copy()
    np.add.at(expected, index, rows)
    assert rows_add(out, index, rows) is out
    np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == np.float32 else 1e-14, atol=1e-6)
    strided = rng.standard_normal((n, 2 * width)).astype(dtype)[:, ::2]   # rows need not be contiguous
    expected = out.copy()
    np.add.at(expected, index.astype(np.int32), strided)
    np.testing.assert_allclose(rows_add(out, index.astype(np.int32), strided), expected, rtol=1e-6, atol=1e-6)


def test_rows_add_errors_name_the_kernel():
    from autograd_lite.kernels.cpu import rows_add
    with pytest.raises(TypeError, match="rows_add: out must be a C-contiguous 2-D float32/float64"):
        rows_add(np.zeros((4, 3), np.float16), np.zeros(1, np.int64), np.zeros((1, 3), np.float16))
    with pytest.raises(TypeError, match="rows_add: index must be a 1-D integer array"):
        rows_add(np.zeros((4, 3)), np.zeros(1), np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"rows_add: rows must be \(1, 3\) float64"):
        rows_add(np.zeros((4, 3)), np.zeros(1, np.int64), np.zeros((1, 4)))


def test_embedding_backward_takes_the_kernel(monkeypatch):
    from autograd_lite.kernels import cpu
    calls = []
    real = cpu.rows_add
    monkeypatch.setattr(cpu, "rows_add", lambda *a: calls.append(1) or real(*a))
    w = al.randn(10, 4, requires_grad=True)
    al.nn.functional.embedding(al.tensor([[1, 1, 3]]), w).sum().backward()
    assert calls == [1]
    np.testing.assert_array_equal(w.grad.numpy()[[1, 3, 0]], [[2.0] * 4, [1.0] * 4, [0.0] * 4])
