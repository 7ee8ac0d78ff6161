"""Attention and Transformer layers against PyTorch: F.scaled_dot_product_attention, F.multi_head_attention_forward,
nn.MultiheadAttention and the Transformer modules, with torch's weights loaded into ours (load_state_dict): outputs,
attention weights, gradients of the inputs and of every parameter, second order and gradcheck in float64, masks of
every kind, errors, reprs and state_dict keys."""
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import nn
import autograd_lite.nn.functional as F

from op_helpers import check_op

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def _al(array, device="cpu", requires_grad=False):
    return al.tensor(np.asarray(array), device=device, requires_grad=requires_grad)


def _pair(tmod, amod_cls, *args, device="cpu", **kwargs):
    """torch's module and ours built with the same arguments, ours holding torch's weights."""
    amod = amod_cls(*args, **kwargs)
    missing = amod.load_state_dict({k: _al(_np(v)) for k, v in tmod.state_dict().items()})
    assert not getattr(missing, "missing_keys", None)
    return amod.to(device)


def _close(ours, ref, what, atol=1e-5, rtol=1e-4):
    assert tuple(ours.shape) == tuple(ref.shape), (what, tuple(ours.shape), tuple(ref.shape))
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], (what, ours.dtype, ref.dtype)
    np.testing.assert_allclose(_np(ours), _np(ref), atol=atol, rtol=rtol, err_msg=what)


def compare(tmod, amod, inputs, call, *, device="cpu", grads=True, atol=1e-5, rtol=1e-4, dtype="float32"):
    """Runs call(module, tensors) on both (tensors: name -> tensor, from `inputs`, name -> array; float arrays
    require grad); compares every output, then the gradients of sum(out0 * w) for every float input and every
    parameter."""
    t_in = {k: torch.tensor(v, requires_grad=v.dtype.kind == "f") for k, v in inputs.items()}
    a_in = {k: _al(v, device, requires_grad=v.dtype.kind == "f") for k, v in inputs.items()}
    t_out, a_out = call(tmod, t_in), call(amod, a_in)
    t_out = t_out if isinstance(t_out, tuple) else (t_out,)
    a_out = a_out if isinstance(a_out, tuple) else (a_out,)
    assert len(t_out) == len(a_out)
    for i, (a, t) in enumerate(zip(a_out, t_out)):
        if t is None:
            assert a is None, f"output {i} should be None"
            continue
        assert a.device == al.device(device)
        _close(a, t, f"output {i}", atol, rtol)
    if not grads:
        return
    w = RNG.standard_normal(tuple(t_out[0].shape)).astype(dtype)
    (t_out[0] * torch.tensor(w)).sum().backward()
    (a_out[0] * _al(w, device)).sum().backward()
    for k in inputs:
        if t_in[k].grad is not None:
            _close(a_in[k].grad, t_in[k].grad, f"grad of {k}", atol, rtol)
    t_params, a_params = dict(tmod.named_parameters()), dict(amod.named_parameters())
    assert list(t_params) == list(a_params)
    for name, p in t_params.items():
        if p.grad is None:
            assert a_params[name].grad is None or not np.any(_np(a_params[name].grad)), name
        else:
            _close(a_params[name].grad, p.grad, f"grad of {name}", atol, rtol)


def randn(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


# ---- scaled_dot_product_attention ---------------------------------------------------------------------------------

_BOOL_MASK = np.random.default_rng(1).random((3, 5)) > 0.3
_BOOL_MASK[:, 0] = True                     # every query sees a key
_FLOAT_MASK = np.random.default_rng(2).standard_normal((3, 5))
_EMPTY_ROW = _BOOL_MASK.copy()
_EMPTY_ROW[1] = False                       # query 1 sees no key: zeros, no gradient


def _mask(lib, m, x):
    return lib.tensor(m) if m.dtype == bool else lib.tensor(m, dtype=x.dtype)


@pytest.mark.parametrize("kwargs", [
    {}, {"mask": _BOOL_MASK}, {"mask": _FLOAT_MASK}, {"mask": _EMPTY_ROW}, {"is_causal": True}, {"scale": 0.3},
    {"mask": _BOOL_MASK[None]},            # broadcast over the batch
], ids=["plain", "bool", "float", "empty-row", "causal", "scale", "3d-mask"])
def test_sdpa_against_torch(kwargs, device):
    kw = dict(kwargs)
    mask = kw.pop("mask", None)

    def fn(lib, q, k, v):
        m = None if mask is None else _mask(lib, mask, q)
        return functional(lib).scaled_dot_product_attention(q, k, v, attn_mask=m, **kw)
    check_op(fn, [(2, 3, 4), (2, 5, 4), (2, 5, 6)], device=device)


def functional(lib):
    return F if lib is al or getattr(lib, "__name__", "") == "autograd_lite" else torch.nn.functional


def test_sdpa_causal_longer_query_4d_and_gqa():
    check_op(lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(q, k, v, is_causal=True),
             [(2, 6, 3), (2, 4, 3), (2, 4, 3)])
    check_op(lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(q, k, v, enable_gqa=True),
             [(2, 4, 3, 2), (2, 2, 5, 2), (2, 2, 5, 2)], second=False)
    check_op(lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(q, k, v), [(3, 4), (5, 4), (5, 2)])


def test_sdpa_gradcheck_and_gradgradcheck_float64():
    q, k, v = (al.tensor(randn(1, 2, 3, dtype="float64"), requires_grad=True) for _ in range(3))
    mask = al.tensor(np.array([[True, False], [False, True]]))

    def fn(q, k, v):
        return F.scaled_dot_product_attention(q, k[:, :2], v[:, :2], attn_mask=mask)
    assert al.autograd.gradcheck(fn, (q, k, v))
    assert al.autograd.gradgradcheck(fn, (q, k, v))


def test_sdpa_dropout_scales_and_drops():
    q, k = al.zeros(1, 400, 4), al.zeros(1, 5, 4)         # uniform weights 1/5
    v = al.ones(1, 5, 1)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    vals = _np(out).ravel()                                 # sums of 5 weights each 0 or 0.4
    assert out.dtype is al.float32
    assert np.allclose(vals / 0.4, np.round(vals / 0.4)) and 0.8 < vals.mean() < 1.2


@pytest.mark.parametrize("args, kwargs, message", [
    (((2, 3, 4), (2, 5, 4), (2, 5, 6)), {"attn_mask": np.ones((3, 5), bool), "is_causal": True},
     "Explicit attn_mask should not be set when is_causal=True"),
    (((3,), (2, 5, 4), (2, 5, 6)), {}, "at least 2 dimensional"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 6)), {"attn_mask": np.ones((3, 5), np.int64)},
     "Expected attn_mask dtype to be bool or float"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 6)), {"dropout_p": 1.5}, "dropout probability has to be between 0 and 1"),
    (((2, 4, 3, 4), (2, 3, 5, 4), (2, 3, 5, 4)), {"enable_gqa": True}, "Number of heads in key and value"),
])
def test_sdpa_errors_as_torch(args, kwargs, message):
    for lib in (torch, al):
        qkv = [lib.tensor(randn(*s)) for s in args]
        kw = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        with pytest.raises(RuntimeError, match=message):
            functional(lib).scaled_dot_product_attention(*qkv, **kw)


def test_sdpa_dtype_mismatch_and_our_shape_errors():
    q, k, v = randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 6)
    message = "Expected query, key, and value to have the same dtype, but got query.dtype: float key.dtype: double"
    for lib in (torch, al):
        with pytest.raises(RuntimeError, match=message):
            functional(lib).scaled_dot_product_attention(lib.tensor(q), lib.tensor(k.astype("float64")),
                                                         lib.tensor(v))
    with pytest.raises(RuntimeError, match="query's embedding size"):
        F.scaled_dot_product_attention(al.tensor(q), al.tensor(randn(2, 5, 3)), al.tensor(v))
    with pytest.raises(RuntimeError, match="same sequence length"):
        F.scaled_dot_product_attention(al.tensor(q), al.tensor(k), al.tensor(randn(2, 4, 6)))


# ---- MultiheadAttention -------------------------------------------------------------------------------------------

L, S, N, E = 4, 5, 3, 8


def _mha_inputs(batch_first=False, batched=True, kdim=E, vdim=E):
    def shape(length, dim):
        if not batched:
            return (length, dim)
        return (N, length, dim) if batch_first else (length, N, dim)
    return {"q": randn(*shape(L, E)), "k": randn(*shape(S, kdim)), "v": randn(*shape(S, vdim)),
            "x": randn(*shape(L, E))}


def _bool(*shape, p=0.3, seed=3):
    m = np.random.default_rng(seed).random(shape) < p       # True: masked out
    m[..., 0] = False
    return m


@pytest.mark.parametrize("ctor, call_kwargs", [
    ({}, {}),
    ({"batch_first": True}, {}),
    ({"bias": False}, {}),
    ({"kdim": 6, "vdim": 7}, {}),
    ({"add_bias_kv": True}, {"attn_mask": "bool2"}),
    ({"add_zero_attn": True}, {"key_padding_mask": "kpm_bool", "attn_mask": "float2"}),
    ({"add_bias_kv": True, "add_zero_attn": True}, {"key_padding_mask": "kpm_bool"}),
    ({}, {"attn_mask": "bool2"}),
    ({}, {"attn_mask": "float2"}),
    ({}, {"attn_mask": "bool3"}),
    ({}, {"attn_mask": "float3"}),
    ({}, {"key_padding_mask": "kpm_bool"}),
    ({}, {"key_padding_mask": "kpm_float", "attn_mask": "float2"}),
    ({}, {"key_padding_mask": "kpm_bool", "attn_mask": "bool3"}),
    ({}, {"average_attn_weights": False, "attn_mask": "bool2"}),
    ({}, {"need_weights": False, "attn_mask": "bool2"}),
    ({}, {"need_weights": False, "key_padding_mask": "kpm_bool", "attn_mask": "float3"}),
    ({"batch_first": True, "kdim": 6, "vdim": 7}, {"need_weights": False, "key_padding_mask": "kpm_bool"}),
])
def test_mha_cross_attention_against_torch(ctor, call_kwargs):
    kd, vd = ctor.get("kdim", E), ctor.get("vdim", E)
    inputs = _mha_inputs(ctor.get("batch_first", False), kdim=kd, vdim=vd)
    heads = 2
    masks = {"bool2": _bool(L, S), "float2": randn(L, S), "bool3": _bool(N * heads, L, S),
             "float3": randn(N * heads, L, S), "kpm_bool": _bool(N, S, seed=4), "kpm_float": randn(N, S)}
    inputs.update({name: masks[name] for name in call_kwargs.values() if isinstance(name, str)})
    tm = torch.nn.MultiheadAttention(E, heads, **ctor)
    am = _pair(tm, nn.MultiheadAttention, E, heads, **ctor)

    def call(mod, t):
        kw = {k: t[v] if isinstance(v, str) else v for k, v in call_kwargs.items()}
        return mod(t["q"], t["k"], t["v"], **kw)
    compare(tm, am, inputs, call)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mode", ["plain", "causal", "kpm", "no-weights-causal"])
def test_mha_self_attention_against_torch(batch_first, mode):
    inputs = _mha_inputs(batch_first)
    inputs["causal"] = _np(torch.nn.Transformer.generate_square_subsequent_mask(L))
    inputs["kpm"] = _bool(N, L, seed=5)
    tm = torch.nn.MultiheadAttention(E, 4, batch_first=batch_first)
    am = _pair(tm, nn.MultiheadAttention, E, 4, batch_first=batch_first)

    def call(mod, t):
        x = t["x"]
        if mode == "plain":
            return mod(x, x, x)
        if mode == "causal":
            return mod(x, x, x, attn_mask=t["causal"], is_causal=True)
        if mode == "kpm":
            return mod(x, x, x, key_padding_mask=t["kpm"])
        return mod(x, x, x, attn_mask=t["causal"], is_causal=True, need_weights=False)
    compare(tm, am, inputs, call)


@pytest.mark.parametrize("ctor, masks", [({}, {}), ({}, {"attn_mask": "bool3u", "key_padding_mask": "kpm1"}),
                                          ({"kdim": 6, "vdim": 7, "batch_first": True}, {"attn_mask": "float2"})])
def test_mha_unbatched_against_torch(ctor, masks):
    inputs = _mha_inputs(batched=False, kdim=ctor.get("kdim", E), vdim=ctor.get("vdim", E))
    inputs.update({"bool3u": _bool(2, L, S), "kpm1": _bool(S, seed=6), "float2": randn(L, S)})
    tm = torch.nn.MultiheadAttention(E, 2, **ctor)
    am = _pair(tm, nn.MultiheadAttention, E, 2, **ctor)
    compare(tm, am, inputs, lambda mod, t: mod(t["q"], t["k"], t["v"], **{k: t[v] for k, v in masks.items()}))


def test_mha_eval_mode_and_on_every_device(device):
    inputs = _mha_inputs(batch_first=True)
    tm = torch.nn.MultiheadAttention(E, 2, dropout=0.3, batch_first=True).eval()
    am = _pair(tm, nn.MultiheadAttention, E, 2, dropout=0.3, batch_first=True, device=device).eval()
    compare(tm, am, inputs, lambda mod, t: mod(t["q"], t["k"], t["v"]), device=device)
    with torch.no_grad(), al.no_grad():       # torch's fused fast path: the same numbers within 1e-5
        x = inputs["x"]
        t_out = tm(torch.tensor(x), torch.tensor(x), torch.tensor(x))
        a_x = _al(x, device)
        a_out = am(a_x, a_x, a_x)
    _close(a_out[0], t_out[0], "fast-path output")
    _close(a_out[1], t_out[1], "fast-path weights")


def test_mha_dropout_in_training_only():
    mha = nn.MultiheadAttention(E, 2, dropout=0.9)
    x = _al(randn(L, N, E))
    out_train, w_train = mha(x, x, x, average_attn_weights=False)
    assert (w_train == 0).float().mean().item() > 0.5          # weights after dropout, as torch returns them
    mha.eval()
    out_eval, w_eval = mha(x, x, x)
    np.testing.assert_allclose(_np(w_eval).sum(-1), 1.0, rtol=1e-5)


def test_mha_second_order_against_torch():
    """d/d(inputs, weights) of sum(grad * v) with create_graph, float64, through masks and kdim/vdim."""
    results = {}
    data = _mha_inputs(kdim=6, vdim=7)
    data = {k: v.astype("float64") for k, v in data.items()}
    tm = torch.nn.MultiheadAttention(E, 2, kdim=6, vdim=7, add_bias_kv=True, dtype=torch.float64)
    am = _pair(tm, nn.MultiheadAttention, E, 2, kdim=6, vdim=7, add_bias_kv=True, dtype=al.float64)
    mask = _bool(L, S)
    for lib, mod in ((torch, tm), (al, am)):
        t = {k: lib.tensor(v, requires_grad=True) for k, v in data.items()}
        out, w = mod(t["q"], t["k"], t["v"], attn_mask=lib.tensor(mask))
        loss = (out * lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))).sum() + (w * w).sum()
        leaves = [t["q"], t["k"], t["v"]] + list(mod.parameters())
        firsts = lib.autograd.grad(loss, leaves, create_graph=True)
        second = sum((g * g).sum() for g in firsts)
        seconds = lib.autograd.grad(second, leaves, allow_unused=True)     # out_proj.bias: no second derivative
        results[lib.__name__] = [_np(g) if g is not None else np.zeros(tuple(x.shape))
                                 for g, x in zip(firsts + tuple(seconds), leaves + leaves)]
    for i, (a, t) in enumerate(zip(results["autograd_lite"], results["torch"])):
        np.testing.assert_allclose(a, t, rtol=1e-8, atol=1e-10, err_msg=f"derivative {i}")


def test_mha_gradcheck_float64():
    am = nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_zero_attn=True, dtype=al.float64)
    q = al.tensor(randn(2, 1, 4, dtype="float64"), requires_grad=True)
    k = al.tensor(randn(3, 1, 3, dtype="float64"), requires_grad=True)
    v = al.tensor(randn(3, 1, 5, dtype="float64"), requires_grad=True)
    kpm = al.tensor(np.array([[False, True, False]]))
    fn = lambda q, k, v: am(q, k, v, key_padding_mask=kpm)[0]     # noqa: E731
    assert al.autograd.gradcheck(fn, (q, k, v))
    assert al.autograd.gradgradcheck(fn, (q, k, v))


def test_mha_functional_forward_matches_torch():
    tm = torch.nn.MultiheadAttention(E, 2)
    am = _pair(tm, nn.MultiheadAttention, E, 2)
    inputs = _mha_inputs()
    outs = []
    for lib, mod in ((torch, tm), (al, am)):
        x = [lib.tensor(inputs[k]) for k in "qkv"]
        outs.append(functional(lib).multi_head_attention_forward(
            *x, E, 2, mod.in_proj_weight, mod.in_proj_bias, None, None, False, 0.0, mod.out_proj.weight,
            mod.out_proj.bias, need_weights=True, average_attn_weights=False))
    _close(outs[1][0], outs[0][0], "output")
    _close(outs[1][1], outs[0][1], "weights")


def test_mha_merge_masks_as_torch():
    kpm, mask2, mask3 = randn(N, L), randn(L, L), randn(N * 2, L, L)
    q = randn(N, L, E)
    for attn, pad in ((None, None), (None, kpm), (mask2, None), (mask2, kpm), (mask3, kpm)):
        results = []
        for lib in (torch, al):
            mod = lib.nn.MultiheadAttention(E, 2, batch_first=True)
            wrap = lambda a: None if a is None else lib.tensor(a)     # noqa: E731
            results.append(mod.merge_masks(wrap(attn), wrap(pad), lib.tensor(q)))
        (t_mask, t_type), (a_mask, a_type) = results
        assert a_type == t_type
        assert (a_mask is None) == (t_mask is None) and (a_mask is None or np.allclose(_np(a_mask), _np(t_mask)))


def test_mha_parameters_init_and_state_dict_keys():
    for kwargs in ({}, {"bias": False}, {"kdim": 3, "vdim": 5}, {"add_bias_kv": True}):
        tm, am = torch.nn.MultiheadAttention(16, 4, **kwargs), nn.MultiheadAttention(16, 4, **kwargs)
        assert list(am.state_dict()) == list(tm.state_dict()), kwargs
        assert [tuple(p.shape) for p in am.parameters()] == [tuple(p.shape) for p in tm.parameters()]
        assert repr(am) == repr(tm)
        assert type(am.out_proj).__name__ == "NonDynamicallyQuantizableLinear" and isinstance(am.out_proj, nn.Linear)
    am = nn.MultiheadAttention(64, 4, add_bias_kv=True)
    bound = np.sqrt(6 / (64 + 3 * 64))                        # xavier_uniform_ on the (3E, E) in_proj_weight
    w = _np(am.in_proj_weight)
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not np.any(_np(am.in_proj_bias)) and not np.any(_np(am.out_proj.bias))
    assert 0.05 < _np(am.bias_k).std() < 0.3                 # xavier_normal_ on (1, 1, E): std sqrt(2 / (E + E))
    assert am.head_dim == 16 and am._qkv_same_embed_dim and am.in_proj_weight.requires_grad


def test_mha_errors_as_torch():
    for lib in (torch, al):
        with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
            lib.nn.MultiheadAttention(10, 3)
        with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
            lib.nn.MultiheadAttention(0, 2)
    inputs = _mha_inputs()
    cases = [({"attn_mask": np.zeros((L, L), bool)}, RuntimeError, r"The shape of the 2D attn_mask is"),
             ({"attn_mask": np.zeros((N, L, S), bool)}, RuntimeError, r"The shape of the 3D attn_mask is"),
             ({"attn_mask": np.zeros((L, S), np.int64)}, AssertionError, "only bool and floating types of attn_mask"),
             ({"key_padding_mask": np.zeros((N, S, 1), bool)}, AssertionError, "expected `key_padding_mask` to be"),
             ({"key_padding_mask": np.zeros((N, S + 1), bool)}, AssertionError,
              r"Expected key_padded_mask.shape\[1\] to be 5, but got 6"),
             ({"is_causal": True}, RuntimeError, "Need attn_mask if specifying the is_causal hint")]
    for kwargs, error, message in cases:
        for lib in (torch, al):
            mod = lib.nn.MultiheadAttention(E, 2)
            kw = {k: lib.tensor(v) for k, v in kwargs.items() if k != "is_causal"}
            kw.update({k: v for k, v in kwargs.items() if k == "is_causal"})
            with pytest.raises(error, match=message):
                mod(*(lib.tensor(inputs[k]) for k in "qkv"), **kw)
    for lib in (torch, al):
        mod = lib.nn.MultiheadAttention(E, 2)
        with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
            mod(lib.tensor(inputs["q"]), lib.tensor(inputs["k"][0]), lib.tensor(inputs["v"][0]))
        with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor"):
            mod(*(lib.tensor(inputs[k][None]) for k in "qkv"))
        with pytest.raises(AssertionError, match="was expecting embedding dimension of 8, but got 6"):
            mod(*(lib.tensor(inputs[k][..., :6]) for k in "qkv"))


def test_mask_of_another_float_dtype_fails_as_torch():
    for lib in (torch, al):
        mod = lib.nn.MultiheadAttention(E, 2)
        x = lib.tensor(randn(L, N, E))
        mask = lib.tensor(np.zeros((L, L)))                    # float64
        with pytest.raises(RuntimeError, match="Input dtypes must be the same, got: input double, batch1: float"):
            mod(x, x, x, attn_mask=mask)
        with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float or to match query dtype, "
                                               "but got attn_mask.dtype: double and  query.dtype: float instead."):
            mod(x, x, x, attn_mask=mask, need_weights=False)


def test_mismatched_mask_types_warn_as_torch():
    for lib in (torch, al):
        mod = lib.nn.MultiheadAttention(E, 2)
        x = lib.tensor(randn(L, N, E))
        with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
            mod(x, x, x, key_padding_mask=lib.tensor(_bool(N, L)), attn_mask=lib.tensor(randn(L, L)))


# ---- Transformer layers -------------------------------------------------------------------------------------------

D, H, FF = 8, 2, 16


def _layer_kwargs(activation, lib):
    return {"relu": "relu", "gelu": "gelu", "F.gelu": functional(lib).gelu, "GELU": lib.nn.GELU(),
            "tanh": lib.tanh}[activation]


@pytest.mark.parametrize("kwargs", [
    {}, {"norm_first": True}, {"batch_first": True}, {"activation": "gelu"}, {"activation": "F.gelu"},
    {"activation": "GELU"}, {"activation": "tanh", "norm_first": True}, {"bias": False}, {"layer_norm_eps": 1e-3},
])
@pytest.mark.parametrize("masks", ["none", "causal", "kpm+float"])
def test_encoder_layer_against_torch(kwargs, masks):
    bf = kwargs.get("batch_first", False)
    tkw, akw = dict(kwargs), dict(kwargs)
    if "activation" in kwargs:
        tkw["activation"], akw["activation"] = _layer_kwargs(kwargs["activation"], torch), \
            _layer_kwargs(kwargs["activation"], al)
    tm = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, **tkw)
    am = _pair(tm, nn.TransformerEncoderLayer, D, H, FF, dropout=0.0, **akw)
    inputs = {"src": randn(N, S, D) if bf else randn(S, N, D),
              "causal": _np(torch.nn.Transformer.generate_square_subsequent_mask(S)), "float": randn(S, S),
              "kpmf": np.where(_bool(N, S, seed=7), -np.inf, 0).astype("float32")}

    def call(mod, t):
        if masks == "none":
            return mod(t["src"])
        if masks == "causal":
            return mod(t["src"], src_mask=t["causal"], is_causal=True)
        return mod(t["src"], src_mask=t["float"], src_key_padding_mask=t["kpmf"])
    compare(tm, am, inputs, call)
    compare(tm.eval(), am.eval(), inputs, call, grads=False)


@pytest.mark.parametrize("kwargs", [{}, {"norm_first": True}, {"batch_first": True, "activation": "gelu"}])
def test_decoder_layer_against_torch(kwargs):
    bf = kwargs.get("batch_first", False)
    tm = torch.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, **kwargs)
    am = _pair(tm, nn.TransformerDecoderLayer, D, H, FF, dropout=0.0, **kwargs)
    inputs = {"tgt": randn(N, L, D) if bf else randn(L, N, D), "mem": randn(N, S, D) if bf else randn(S, N, D),
              "causal": _np(torch.nn.Transformer.generate_square_subsequent_mask(L)),
              "tkpm": _bool(N, L, seed=8), "mkpm": _bool(N, S, seed=9), "mmask": _bool(L, S, seed=10)}
    compare(tm, am, inputs, lambda mod, t: mod(t["tgt"], t["mem"]))
    compare(tm, am, inputs, lambda mod, t: mod(t["tgt"], t["mem"], tgt_mask=t["causal"], tgt_is_causal=True,
                                               memory_mask=t["mmask"], tgt_key_padding_mask=t["tkpm"],
                                               memory_key_padding_mask=t["mkpm"]))


def test_layers_unbatched_against_torch():
    tm = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0)
    am = _pair(tm, nn.TransformerEncoderLayer, D, H, FF, dropout=0.0)
    compare(tm, am, {"src": randn(S, D), "kpm": _bool(S, seed=11)},
            lambda mod, t: mod(t["src"], src_key_padding_mask=t["kpm"]))
    tm = torch.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, norm_first=True)
    am = _pair(tm, nn.TransformerDecoderLayer, D, H, FF, dropout=0.0, norm_first=True)
    compare(tm, am, {"tgt": randn(L, D), "mem": randn(S, D)}, lambda mod, t: mod(t["tgt"], t["mem"]))


def test_encoder_and_decoder_stacks_against_torch():
    layer = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True)
    tm = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(D))
    am = _pair(tm, nn.TransformerEncoder, nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True), 2,
               norm=nn.LayerNorm(D))
    assert list(am.state_dict()) == list(tm.state_dict())
    kpm = np.zeros((N, S), bool)
    kpm[0, 3:], kpm[2, 4:] = True, True                          # left-aligned padding
    inputs = {"src": randn(N, S, D), "kpm": kpm, "causal": _np(torch.nn.Transformer.generate_square_subsequent_mask(S))}
    compare(tm, am, inputs, lambda mod, t: mod(t["src"], src_key_padding_mask=t["kpm"]))
    compare(tm, am, inputs, lambda mod, t: mod(t["src"], mask=t["causal"]))     # is_causal detected
    # inference: torch runs nested tensors and returns zeros (before the norm) at padded positions; so do we
    tm.eval(), am.eval()
    with torch.no_grad(), al.no_grad():
        t_out = tm(torch.tensor(inputs["src"]), src_key_padding_mask=torch.tensor(kpm))
        a_out = am(al.tensor(inputs["src"]), src_key_padding_mask=al.tensor(kpm))
    _close(a_out, t_out, "inference with padding")
    dl = torch.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0)
    tm = torch.nn.TransformerDecoder(dl, 2)
    am = _pair(tm, nn.TransformerDecoder, nn.TransformerDecoderLayer(D, H, FF, dropout=0.0), 2)
    compare(tm, am, {"tgt": randn(L, N, D), "mem": randn(S, N, D)}, lambda mod, t: mod(t["tgt"], t["mem"]))


def test_encoder_clones_are_deep_copies_and_warns_as_torch():
    layer = nn.TransformerEncoderLayer(D, H, FF)
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False because "
                                         "encoder_layer.self_attn.batch_first was not True"):
        enc = nn.TransformerEncoder(layer, 3)
    assert enc.use_nested_tensor is False and enc.enable_nested_tensor is True and enc.mask_check is True
    ws = [p for p in enc.parameters()]
    assert len(ws) == 3 * len(list(layer.parameters()))
    assert len({id(p) for p in ws}) == len(ws) and all(p is not q for p, q in zip(ws, layer.parameters()))
    np.testing.assert_array_equal(_np(enc.layers[2].linear1.weight), _np(layer.linear1.weight))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF, batch_first=True), 2)
    assert enc.use_nested_tensor is True


def test_transformer_against_torch_train_and_eval():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.Transformer(D, H, 2, 2, FF, dropout=0.0)
        am = _pair(tm, nn.Transformer, D, H, 2, 2, FF, dropout=0.0)
    assert list(am.state_dict()) == list(tm.state_dict())
    assert repr(am) == repr(tm)
    inputs = {"src": randn(S, N, D), "tgt": randn(L, N, D),
              "tmask": _np(torch.nn.Transformer.generate_square_subsequent_mask(L)), "skpm": _bool(N, S, seed=12)}

    def call(mod, t):
        return mod(t["src"], t["tgt"], tgt_mask=t["tmask"], src_key_padding_mask=t["skpm"],
                   memory_key_padding_mask=t["skpm"])
    compare(tm, am, inputs, call)
    compare(tm.eval(), am.eval(), inputs, call, grads=False)


def test_transformer_mask_custom_parts_and_errors():
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(_np(mask), _np(torch.nn.Transformer.generate_square_subsequent_mask(4)))
    assert mask.dtype is al.float32
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=al.float64).dtype is al.float64
    enc, dec = nn.Identity(), nn.Identity()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = nn.Transformer(D, H, custom_encoder=enc, custom_decoder=nn.TransformerDecoder(
            nn.TransformerDecoderLayer(D, H, FF), 1))
    assert model.encoder is enc and dec is not model.decoder
    for lib in (torch, al):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = lib.nn.Transformer(D, H, 1, 1, FF)
        with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
            model(lib.tensor(randn(S, N, D)), lib.tensor(randn(L, N + 1, D)))
        with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
            model(lib.tensor(randn(S, N, D + 1)), lib.tensor(randn(L, N, D + 1)))
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not swish"):
            lib.nn.TransformerEncoderLayer(D, H, activation="swish")


def test_word_language_model_transformer_trains():
    """PyTorch's word_language_model example's TransformerModel (subclass of nn.Transformer), one step down."""
    import math

    class TransformerModel(nn.Transformer):
        def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
            super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers)
            self.src_mask = None
            self.input_emb = nn.Linear(ntoken, ninp)         # (nn.Embedding is the other helper's)
            self.ninp = ninp
            self.decoder = nn.Linear(ninp, ntoken)

        def _generate_square_subsequent_mask(self, sz):
            return al.log(al.tril(al.ones(sz, sz)))

        def forward(self, src):
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                self.src_mask = self._generate_square_subsequent_mask(len(src))
            src = self.input_emb(src) * math.sqrt(self.ninp)
            output = self.encoder(src, mask=self.src_mask)
            return F.log_softmax(self.decoder(output), dim=-1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = TransformerModel(ntoken=10, ninp=8, nhead=2, nhid=16, nlayers=2)
    src = al.tensor(np.eye(10, dtype=np.float32)[np.arange(12).reshape(6, 2) % 10])     # one-hot tokens
    target = al.tensor((np.arange(12).reshape(6, 2) + 1) % 10)
    opt = al.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = F.nll_loss(model(src).reshape(-1, 10), target.reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
