"""nn.RNN, nn.LSTM, nn.GRU and their cells against PyTorch, the weights copied from torch's modules: outputs, final
states, the gradients of the input, the initial states and every parameter, for every option (layers, bias,
batch_first, bidirectional, proj_size, dropout, packed and unbatched inputs); second order and gradcheck in float64;
errors, reprs, parameter names, init; the `device` fixture on a small case."""
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import nn

torch = pytest.importorskip("torch")

# the variants: (class name, extra constructor arguments)
MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]
OPTIONS = [{}, {"num_layers": 2}, {"bias": False}, {"batch_first": True}, {"bidirectional": True},
           {"num_layers": 2, "bidirectional": True, "batch_first": True}]
LSTM_PROJ = [{"proj_size": 3}, {"proj_size": 2, "num_layers": 2, "bidirectional": True}]


def _np(t):
    return None if t is None else t.detach().cpu().numpy()


def pair(cls, *args, dtype="float64", device="cpu", **kwargs):
    """(torch module, ours) of one class and arguments, ours holding torch's weights."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # torch's notes on oneDNN and projections
        ref = getattr(torch.nn, cls)(*args, **kwargs).to(getattr(torch, dtype))
    ours = getattr(nn, cls)(*args, dtype=getattr(al, dtype), **kwargs)
    ours.load_state_dict({k: al.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    return ref, ours.to(device)


def leaf(lib, array, device="cpu"):
    return lib.tensor(array, requires_grad=True) if lib is torch else al.tensor(array, requires_grad=True,
                                                                                device=device)


def close(ours, ref, what, tol=1e-9):
    assert ours is not None and ref is not None, f"{what}: {ours is None} {ref is None}"
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], f"{what}: dtype {ours.dtype}"
    assert tuple(ours.shape) == tuple(ref.shape), f"{what}: shape {tuple(ours.shape)}, expected {tuple(ref.shape)}"
    np.testing.assert_allclose(_np(ours), _np(ref), rtol=tol, atol=tol, err_msg=what)


def states(h):
    return list(h) if isinstance(h, tuple) else [h]


def run_and_compare(ref, ours, x, hx=None, device="cpu", tol=1e-9, packed=None):
    """Forward and backward of both modules on x (and hx: an array or a tuple of arrays); a weighted sum of the
    output and final states as the loss. Compares outputs, states, and the gradients of x, hx and every
    parameter. packed: (lengths, enforce_sorted) to pack x (padded, (T, B, *)) first."""
    results = {}
    rng = np.random.default_rng(1)
    weights = None
    for lib, mod in ((torch, ref), (al, ours)):
        xl = leaf(lib, x, device)
        hl = None if hx is None else (tuple(leaf(lib, h, device) for h in hx) if isinstance(hx, tuple)
                                      else leaf(lib, hx, device))
        inp = xl
        if packed is not None:
            inp = lib.nn.utils.rnn.pack_padded_sequence(xl, packed[0], enforce_sorted=packed[1])
        out, h = mod(inp) if hl is None else mod(inp, hl)
        out_t = out.data if packed is not None else out
        if weights is None:
            weights = [rng.standard_normal(tuple(t.shape)) for t in [out_t] + states(h)]
        loss = sum(((t * lib.tensor(w, dtype=t.dtype, device=t.device)).sum()
                    for t, w in zip([out_t] + states(h), weights)))
        loss.backward()
        if packed is not None:
            assert type(out).__name__ == "PackedSequence"
            for k in ("batch_sizes", "sorted_indices", "unsorted_indices"):
                v = getattr(out, k)
                results.setdefault(k, []).append(None if v is None else _np(v))
        results.setdefault("out", []).append(out_t)
        results.setdefault("states", []).append(states(h))
        results.setdefault("gx", []).append(xl.grad)
        results.setdefault("gh", []).append([] if hl is None else [t.grad for t in states(hl)])
        results.setdefault("params", []).append(dict(mod.named_parameters()))
    (t_out, a_out), (t_h, a_h) = results["out"], results["states"]
    close(a_out, t_out, "output", tol)
    assert len(a_h) == len(t_h)
    for i, (a, t) in enumerate(zip(a_h, t_h)):
        close(a, t, f"final state {i}", tol)
    close(results["gx"][1], results["gx"][0], "grad of input", tol)
    for i, (a, t) in enumerate(zip(results["gh"][1], results["gh"][0])):
        close(a, t, f"grad of initial state {i}", tol)
    t_p, a_p = results["params"]
    assert list(a_p) == list(t_p)
    for name in t_p:
        close(a_p[name].grad, t_p[name].grad, f"grad of {name}", tol)
    if packed is not None:
        for k in ("batch_sizes", "sorted_indices", "unsorted_indices"):
            a, t = results[k][1], results[k][0]
            assert (a is None) == (t is None) and (a is None or np.array_equal(a, t)), k


def _sizes(cls, kwargs, hidden=5):
    dirs = 2 if kwargs.get("bidirectional") else 1
    layers = kwargs.get("num_layers", 1)
    out = kwargs.get("proj_size") or hidden
    return dirs * layers, out


def _hx(cls, kwargs, batch, rng, hidden=5, unbatched=False):
    n, out = _sizes(cls, kwargs, hidden)
    shape = (n, out) if unbatched else (n, batch, out)
    h = rng.standard_normal(shape)
    if cls != "LSTM":
        return h
    return h, rng.standard_normal(shape[:-1] + (hidden,))


# ---- every option against torch -----------------------------------------------------------------------------------

@pytest.mark.parametrize("cls,extra", MODES, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("with_hx", [False, True], ids=["zeros", "hx"])
def test_layer_matches_torch(cls, extra, options, with_hx):
    ref, ours = pair(cls, 4, 5, **extra, **options)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 4) if options.get("batch_first") else (6, 3, 4))
    run_and_compare(ref, ours, x, _hx(cls, options, 3, rng) if with_hx else None)


@pytest.mark.parametrize("options", LSTM_PROJ + [dict(LSTM_PROJ[0], bias=False, batch_first=True)])
def test_lstm_projection(options):
    ref, ours = pair("LSTM", 4, 5, **options)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 4) if options.get("batch_first") else (6, 3, 4))
    run_and_compare(ref, ours, x, _hx("LSTM", options, 3, rng))
    assert ours.weight_hr_l0.shape == (options["proj_size"], 5)


@pytest.mark.parametrize("cls,extra", MODES, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True}, {"batch_first": True}])
def test_unbatched_input(cls, extra, options):
    ref, ours = pair(cls, 4, 5, **extra, **options)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4))
    run_and_compare(ref, ours, x)
    run_and_compare(ref, ours, x, _hx(cls, options, None, rng, unbatched=True))


@pytest.mark.parametrize("cls,extra", MODES, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True}],
                         ids=["one_layer", "two_layers_bidirectional"])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_packed_input(cls, extra, options, enforce_sorted):
    ref, ours = pair(cls, 4, 5, **extra, **options)
    rng = np.random.default_rng(0)
    lengths = [6, 5, 5, 2, 1] if enforce_sorted else [3, 6, 1, 6, 2]
    x = rng.standard_normal((6, 5, 4))
    run_and_compare(ref, ours, x, packed=(lengths, enforce_sorted))
    run_and_compare(ref, ours, x, _hx(cls, options, 5, rng), packed=(lengths, enforce_sorted))


def test_packed_lstm_projection_and_padding_roundtrip():
    ref, ours = pair("LSTM", 4, 5, proj_size=3, bidirectional=True)
    x = np.random.default_rng(0).standard_normal((5, 3, 4))
    run_and_compare(ref, ours, x, packed=([2, 5, 4], False))
    packed = al.nn.utils.rnn.pack_padded_sequence(al.tensor(x), [2, 5, 4], enforce_sorted=False)
    out, _ = ours(packed)
    padded, lengths = al.nn.utils.rnn.pad_packed_sequence(out)
    assert tuple(padded.shape) == (5, 3, 6) and lengths.tolist() == [2, 5, 4]
    assert float(padded[2:, 0].abs().sum()) == 0


def test_float32_default_and_dtype():
    ref, ours = pair("LSTM", 4, 5, 2, dtype="float32")
    assert all(p.dtype is al.float32 for p in ours.parameters())
    x = np.random.default_rng(0).standard_normal((6, 3, 4)).astype(np.float32)
    run_and_compare(ref, ours, x, tol=2e-5)
    out, (h, c) = ours(al.tensor(x))
    assert out.dtype is al.float32 and h.dtype is al.float32 and c.dtype is al.float32


# ---- dropout ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_dropout(cls):
    x = al.tensor(np.random.default_rng(0).standard_normal((6, 3, 4)), dtype=al.float32)
    zero = getattr(nn, cls)(4, 5, num_layers=2, dropout=0.0)
    train_out = zero(x)[0]
    np.testing.assert_array_equal(_np(train_out), _np(zero.eval()(x)[0]))        # p = 0: training is eval
    ref, ours = pair(cls, 4, 5, num_layers=3, dropout=0.5, dtype="float32")
    ref.eval(), ours.eval()
    run_and_compare(ref, ours, _np(x).astype(np.float32), tol=2e-5)            # eval: no dropout, as torch
    ours.train()
    a, b = ours(x)[0], ours(x)[0]
    assert not np.allclose(_np(a), _np(ours.eval()(x)[0]))                     # training draws masks
    assert not np.allclose(_np(a), _np(b))
    al.manual_seed(3)
    c = ours.train()(x)[0]
    al.manual_seed(3)
    np.testing.assert_array_equal(_np(c), _np(ours(x)[0]))                     # reproducible from the seed
    (c.sum()).backward()
    assert all(p.grad is not None for p in ours.parameters())


def test_dropout_warning_and_bad_value():
    for lib in (torch, al):
        with pytest.warns(UserWarning, match="dropout option adds dropout after all but last recurrent layer, so "
                                             "non-zero dropout expects num_layers greater than 1, but got "
                                             "dropout=0.5 and num_layers=1"):
            lib.nn.LSTM(3, 4, dropout=0.5)
        for bad in (1.5, -0.1, True, "0.1"):
            with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\] representing the "
                                                 "probability of an element being zeroed"):
                lib.nn.GRU(3, 4, 2, dropout=bad)


# ---- higher order and gradcheck -----------------------------------------------------------------------------------

@pytest.mark.parametrize("cls,extra", MODES + [("LSTM", {"proj_size": 2})],
                         ids=["rnn_tanh", "rnn_relu", "lstm", "gru", "lstm_proj"])
@pytest.mark.parametrize("packed", [False, True])
def test_second_order(cls, extra, packed):
    """Gradients of a gradient penalty (sum of squared first gradients, taken with create_graph) against torch."""
    ref, ours = pair(cls, 3, 4, bidirectional=True, **extra)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 3))
    grads = []
    for lib, mod in ((torch, ref), (al, ours)):
        xl = leaf(lib, x)
        inp = lib.nn.utils.rnn.pack_padded_sequence(xl, [2, 4, 3], enforce_sorted=False) if packed else xl
        out, h = mod(inp)
        out = out.data if packed else out
        loss = (out * out).sum() + sum((s * s * 0.5).sum() for s in states(h))
        params = list(mod.parameters())
        first = lib.autograd.grad(loss, [xl] + params, create_graph=True)
        penalty = sum((g * g).sum() for g in first)
        penalty.backward()
        grads.append([xl.grad] + [p.grad for p in params])
    for i, (a, t) in enumerate(zip(grads[1], grads[0])):
        close(a, t, f"second-order grad {i}", 1e-8)


@pytest.mark.parametrize("cls,extra", MODES + [("LSTM", {"proj_size": 2})],
                         ids=["rnn_tanh", "rnn_relu", "lstm", "gru", "lstm_proj"])
def test_gradcheck_and_gradgradcheck(cls, extra):
    """Finite differences in float64 through a packed, bidirectional layer: the input, the initial states and the
    module's own parameters (perturbed in place by gradcheck) as inputs."""
    mod = getattr(nn, cls)(2, 3, bidirectional=True, dtype=al.float64, **extra)
    rng = np.random.default_rng(0)
    n, out = _sizes(cls, {"bidirectional": True, **extra}, 3)
    x = al.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = al.tensor(rng.standard_normal((n, 2, out)), requires_grad=True)
    c0 = al.tensor(rng.standard_normal((n, 2, 3)), requires_grad=True)

    def fn(x, h0, c0, *params):
        packed = al.nn.utils.rnn.pack_padded_sequence(x, [3, 2], enforce_sorted=True)
        o, h = mod(packed, (h0, c0) if cls == "LSTM" else h0)
        return (o.data,) + tuple(states(h))

    inputs = (x, h0, c0) + tuple(mod.parameters())
    assert al.autograd.gradcheck(fn, inputs)
    small = (x, h0, c0, mod.weight_hh_l0_reverse)       # second order: fewer inputs, it is slow
    assert al.autograd.gradgradcheck(lambda *a: fn(*a)[0], small)


# ---- cells --------------------------------------------------------------------------------------------------------

CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("RNNCell", {"bias": False}), ("LSTMCell", {}),
         ("LSTMCell", {"bias": False}), ("GRUCell", {}), ("GRUCell", {"bias": False})]


def _cell_compare(cls, extra, batched, with_hx, device="cpu"):
    ref, ours = pair(cls, 4, 5, device=device, **extra)
    rng = np.random.default_rng(0)
    shape = (3,) if batched else ()
    x = rng.standard_normal(shape + (4,))
    hx = None
    if with_hx:
        hx = rng.standard_normal(shape + (5,))
        if cls == "LSTMCell":
            hx = (hx, rng.standard_normal(shape + (5,)))
    res = []
    for lib, mod in ((torch, ref), (al, ours)):
        xl = leaf(lib, x, device)
        hl = None if hx is None else (tuple(leaf(lib, h, device) for h in hx) if isinstance(hx, tuple)
                                      else leaf(lib, hx, device))
        out = mod(xl) if hl is None else mod(xl, hl)
        loss = sum((s * (i + 1.5)).sum() for i, s in enumerate(states(out)))
        loss.backward()
        res.append((states(out), xl.grad, [] if hl is None else [h.grad for h in states(hl)],
                    dict(mod.named_parameters())))
    for i, (a, t) in enumerate(zip(res[1][0], res[0][0])):
        close(a, t, f"{cls} state {i}")
    close(res[1][1], res[0][1], "grad of input")
    for i, (a, t) in enumerate(zip(res[1][2], res[0][2])):
        close(a, t, f"grad of hx {i}")
    assert list(res[1][3]) == list(res[0][3])
    for name, p in res[0][3].items():
        close(res[1][3][name].grad, p.grad, f"grad of {name}")


@pytest.mark.parametrize("cls,extra", CELLS)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["zeros", "hx"])
def test_cell_matches_torch(cls, extra, batched, with_hx):
    _cell_compare(cls, extra, batched, with_hx)


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_second_order(cls):
    ref, ours = pair(cls, 3, 4)
    x = np.random.default_rng(0).standard_normal((2, 3))
    grads = []
    for lib, mod in ((torch, ref), (al, ours)):
        xl = leaf(lib, x)
        out = states(mod(xl))
        params = list(mod.parameters())
        first = lib.autograd.grad(sum((s * s).sum() for s in out), [xl] + params, create_graph=True)
        sum((g * g).sum() for g in first).backward()
        grads.append([xl.grad] + [p.grad for p in params])
    for i, (a, t) in enumerate(zip(grads[1], grads[0])):
        close(a, t, f"second-order grad {i}", 1e-8)


def test_cell_loop_equals_layer():
    """An LSTMCell stepped by hand gives the LSTM layer's outputs (the same weights)."""
    layer = nn.LSTM(4, 5)
    cell = nn.LSTMCell(4, 5)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = al.randn(6, 3, 4)
    out, (h, c) = layer(x)
    state = None
    for t in range(6):
        state = cell(x[t], state)
        np.testing.assert_allclose(_np(state[0]), _np(out[t]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(state[1]), _np(c[0]), rtol=1e-5, atol=1e-6)


# ---- devices ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_layer_on_device(device, cls):
    ref, ours = pair(cls, 3, 4, num_layers=2, bidirectional=True, device=device)
    assert all(p.device.type == al.device(device).type for p in ours.parameters())
    rng = np.random.default_rng(0)
    run_and_compare(ref, ours, rng.standard_normal((4, 2, 3)), device=device)
    run_and_compare(ref, ours, rng.standard_normal((4, 3, 3)), device=device, packed=([2, 4, 1], False))


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_on_device(device, cls):
    _cell_compare(cls, {}, True, True, device=device)


def test_created_on_device(device):
    lstm = nn.LSTM(3, 4, device=device)
    assert lstm.weight_ih_l0.device.type == al.device(device).type
    out, (h, c) = lstm(al.randn(2, 1, 3, device=device))
    assert out.device.type == h.device.type == c.device.type == al.device(device).type


# ---- parameters, init, reprs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls,kwargs", [("RNN", {}), ("RNN", {"num_layers": 2, "bidirectional": True,
                                                               "bias": False}),
                                        ("LSTM", {"num_layers": 2, "proj_size": 2, "bidirectional": True}),
                                        ("LSTM", {"proj_size": 2, "bias": False}), ("GRU", {"num_layers": 3}),
                                        ("RNNCell", {}), ("LSTMCell", {"bias": False}), ("GRUCell", {})])
def test_parameters_as_torch(cls, kwargs):
    ref, ours = getattr(torch.nn, cls)(3, 4, **kwargs), getattr(nn, cls)(3, 4, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    if not cls.endswith("Cell"):
        assert ours._flat_weights_names == ref._flat_weights_names
        assert ours._all_weights == ref._all_weights
        assert [[tuple(w.shape) for w in ws] for ws in ours.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in ref.all_weights]
        assert all(a is b for a, b in zip(ours._flat_weights, ours.parameters()))
        ours.flatten_parameters()
    else:
        assert (ours.bias_ih is None) == (ref.bias_ih is None)


def test_init_uniform_bound():
    for mod in (nn.LSTM(30, 100, 2), nn.GRUCell(10, 25)):
        bound = 1 / np.sqrt(mod.hidden_size)
        for p in mod.parameters():
            v = _np(p)
            assert v.dtype == np.float32
            assert v.min() >= -bound and v.max() <= bound
            assert v.max() - v.min() > 1.6 * bound             # spread over the whole interval
    al.manual_seed(5)
    a = nn.GRU(3, 4)
    al.manual_seed(5)
    np.testing.assert_array_equal(_np(a.weight_hh_l0), _np(nn.GRU(3, 4).weight_hh_l0))


@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.RNN(10, 20),
    lambda lib: lib.nn.RNN(10, 20, 2, nonlinearity="relu", bias=False, batch_first=True, dropout=0.5,
                           bidirectional=True),
    lambda lib: lib.nn.RNN(10, 20, 2, "relu"),
    lambda lib: lib.nn.LSTM(10, 20, proj_size=5, num_layers=2),
    lambda lib: lib.nn.GRU(10, 20, 3, dropout=0.25),
    lambda lib: lib.nn.RNNCell(3, 4),
    lambda lib: lib.nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
    lambda lib: lib.nn.LSTMCell(3, 4, bias=False),
    lambda lib: lib.nn.GRUCell(3, 4),
    lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.LSTM(3, 4)),
])
def test_repr(build):
    assert repr(build(al)) == repr(build(torch))


def test_attributes():
    lstm = nn.LSTM(3, 4, 2, batch_first=True, proj_size=2)
    assert (lstm.mode, lstm.input_size, lstm.hidden_size, lstm.num_layers, lstm.bias, lstm.batch_first,
            lstm.dropout, lstm.bidirectional, lstm.proj_size) == ("LSTM", 3, 4, 2, True, True, 0.0, False, 2)
    assert nn.RNN(3, 4, nonlinearity="relu").mode == "RNN_RELU" and nn.RNN(3, 4).nonlinearity == "tanh"
    assert isinstance(nn.GRU(3, 4), nn.RNNBase) and isinstance(nn.GRUCell(3, 4), nn.RNNCellBase)


# ---- errors, as torch's -------------------------------------------------------------------------------------------

def _same_error(make, call=None):
    """make(lib) (and call(lib, module)) raise the same exception type and message in both libraries."""
    caught = []
    for lib in (torch, al):
        with pytest.raises(Exception) as info:
            mod = make(lib)
            if call is not None:
                call(lib, mod)
        caught.append(info.value)
    t, a = caught
    assert type(a) is type(t), (a, t)
    assert str(a).replace("autograd_lite.", "torch.") == str(t)


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.RNN(3, 4, nonlinearity="gelu"),
    lambda lib: lib.nn.RNN(3, 4, 1, "sigmoid"),
    lambda lib: lib.nn.GRU(3, 4, proj_size=2),
    lambda lib: lib.nn.RNN(3, 4, proj_size=2),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=4),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=-1),
    lambda lib: lib.nn.LSTM(3, 0),
    lambda lib: lib.nn.LSTM(0, 3),
    lambda lib: lib.nn.LSTM(3, 4, 0),
    lambda lib: lib.nn.LSTM(3, 4.0),
    lambda lib: lib.nn.LSTM(3.0, 4),
    lambda lib: lib.nn.LSTM(3, 4, bias=1),
    lambda lib: lib.nn.LSTM(3, 4, batch_first=None),
    lambda lib: lib.nn.RNNBase("FOO", 3, 4),
])
def test_constructor_errors(make):
    _same_error(make)


def _x(lib, *shape, dtype="float32"):
    return lib.zeros(*shape, dtype=getattr(lib, dtype))


@pytest.mark.parametrize("cls,call", [
    ("LSTM", lambda lib, m: m(_x(lib, 5, 2, 4))),
    ("GRU", lambda lib, m: m(_x(lib, 5, 2, 4))),
    ("RNN", lambda lib, m: m(_x(lib, 5, 2, 3, dtype="float64"))),
    ("LSTM", lambda lib, m: m(_x(lib, 2, 5, 2, 3))),
    ("RNN", lambda lib, m: m(_x(lib, 3))),
    ("GRU", lambda lib, m: m(_x(lib, 2, 5, 2, 3))),
    ("RNN", lambda lib, m: m(_x(lib, 5, 2, 3), _x(lib, 1, 3, 4))),
    ("GRU", lambda lib, m: m(_x(lib, 5, 2, 3), _x(lib, 2, 2, 4))),
    ("GRU", lambda lib, m: m(_x(lib, 5, 2, 3), _x(lib, 1, 2, 5))),
    ("RNN", lambda lib, m: m(_x(lib, 5, 2, 3), _x(lib, 2, 4))),
    ("RNN", lambda lib, m: m(_x(lib, 5, 3), _x(lib, 1, 1, 4))),
    ("LSTM", lambda lib, m: m(_x(lib, 5, 2, 3), (_x(lib, 1, 3, 4), _x(lib, 1, 2, 4)))),
    ("LSTM", lambda lib, m: m(_x(lib, 5, 2, 3), (_x(lib, 1, 2, 4), _x(lib, 1, 2, 5)))),
    ("LSTM", lambda lib, m: m(_x(lib, 5, 2, 3), (_x(lib, 2, 4), _x(lib, 1, 2, 4)))),
    ("LSTM", lambda lib, m: m(_x(lib, 5, 3), (_x(lib, 1, 4), _x(lib, 1, 1, 4)))),
    ("GRU", lambda lib, m: m(lib.nn.utils.rnn.pack_sequence([_x(lib, 3, 5), _x(lib, 2, 5)]))),
    ("GRU", lambda lib, m: m(lib.nn.utils.rnn.pack_sequence([_x(lib, 3, 3), _x(lib, 2, 3)]), _x(lib, 1, 3, 4))),
])
def test_forward_errors(cls, call):
    _same_error(lambda lib: getattr(lib.nn, cls)(3, 4), call)


@pytest.mark.parametrize("cls,call", [
    ("RNNCell", lambda lib, m: m(_x(lib, 2, 5))),
    ("RNNCell", lambda lib, m: m(_x(lib, 2, 2, 3))),
    ("RNNCell", lambda lib, m: m(_x(lib, 2, 3), _x(lib, 1, 2, 4))),
    ("RNNCell", lambda lib, m: m(_x(lib, 2, 3), _x(lib, 3, 4))),
    ("GRUCell", lambda lib, m: m(_x(lib, 2, 3), _x(lib, 2, 5))),
    ("GRUCell", lambda lib, m: m(_x(lib, 2, 2, 3))),
    ("GRUCell", lambda lib, m: m(_x(lib, 2, 3), _x(lib, 1, 2, 4))),
    ("LSTMCell", lambda lib, m: m(_x(lib, 2, 2, 3))),
    ("LSTMCell", lambda lib, m: m(_x(lib, 2, 3), (_x(lib, 2, 4), _x(lib, 1, 2, 4)))),
    ("LSTMCell", lambda lib, m: m(_x(lib, 2, 3), (_x(lib, 3, 4), _x(lib, 2, 4)))),
    ("LSTMCell", lambda lib, m: m(_x(lib, 2, 3), (_x(lib, 2, 4), _x(lib, 2, 5)))),
])
def test_cell_errors(cls, call):
    _same_error(lambda lib: getattr(lib.nn, cls)(3, 4), call)


def test_cell_bad_nonlinearity_fails_at_forward():
    _same_error(lambda lib: lib.nn.RNNCell(3, 4, nonlinearity="gelu"), lambda lib, m: m(_x(lib, 2, 3)))


# ---- in training --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_sgd_steps_match_torch(cls):
    """Three SGD steps of a recurrent layer and a linear head (the mnist_rnn shape: batch_first, last output)."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 5, 3)), rng.integers(0, 2, 4)
    models, losses = [], []
    ref, ours = pair(cls, 3, 6, batch_first=True)
    for lib, rnn in ((torch, ref), (al, ours)):
        head = lib.nn.Linear(6, 2).to(getattr(lib, "float64"))
        models.append((lib, rnn, head))
    models[1][2].load_state_dict({k: al.tensor(v.detach().numpy()) for k, v in models[0][2].state_dict().items()})
    for lib, rnn, head in models:
        opt = lib.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=0.5)
        run = []
        for _ in range(3):
            opt.zero_grad()
            out, _ = rnn(lib.tensor(x))
            loss = lib.nn.functional.cross_entropy(head(out[:, -1, :]), lib.tensor(y))
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses.append(run)
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-9)
    assert losses[1][2] < losses[1][0]
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(_np(getattr(ours, name)), _np(p), rtol=1e-9, atol=1e-12, err_msg=name)


def test_retain_graph_and_inplace_weight_change():
    lstm = nn.LSTM(3, 4)
    out, (h, c) = lstm(al.randn(5, 2, 3))
    loss = out.sum() + c.sum()
    loss.backward(retain_graph=True)
    first = _np(lstm.weight_hh_l0.grad).copy()
    loss.backward()
    np.testing.assert_allclose(_np(lstm.weight_hh_l0.grad), 2 * first, rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()
    out, _ = lstm(al.randn(5, 2, 3))
    with al.no_grad():
        lstm.weight_hh_l0.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("make,x", [(lambda L: L.nn.LSTM(3, 4), (0, 2, 3)),
                                    (lambda L: L.nn.GRU(3, 4, batch_first=True), (2, 0, 3)),
                                    (lambda L: L.nn.RNN(3, 4), (0, 3))])
def test_empty_sequence_is_refused_as_torch(make, x):
    for lib in (torch, al):
        with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
            make(lib)(lib.ones(*x))
