"""Storages (untyped_storage, storage, UntypedStorage, TypedStorage), nn.attention's sdpa_kernel and the sdp switches
of backends.cuda, the whole-sequence recurrent functions (torch.lstm / gru / rnn_tanh / rnn_relu), the legacy
size_average / reduce arguments of the losses, in-place arithmetic on overlapping views, and NumPy ufuncs on tensors
(__array_wrap__): each against torch."""
import inspect
import warnings

import numpy as np
import pytest

import autograd_lite as al
import autograd_lite.nn.functional as AF
from autograd_lite import storage as al_storage

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _pair(shape, seed, dtype=np.float32, rg=False):
    a = (np.random.default_rng(seed).standard_normal(shape) * 0.5).astype(dtype)
    return al.tensor(a, requires_grad=rg), torch.tensor(a, requires_grad=rg)


# ---- 1. storages ------------------------------------------------------------------------------------------------
def _views(lib):
    x = lib.arange(12.0).reshape(3, 4)
    return x, [x[1], x[1:, 2:], x.t(), x.view(12), x[:, 1], x.expand(2, 3, 4), x.reshape(4, 3)]


def test_views_share_the_storage_of_their_base_as_torch_s():
    (x, ours), (tx, refs) = _views(al), _views(torch)
    base = x.untyped_storage().data_ptr()
    assert base == x.data_ptr() != 0
    for v, tv in zip(ours, refs):
        u, tu = v.untyped_storage(), tv.untyped_storage()
        assert (u.data_ptr() == base) == (tu.data_ptr() == tx.untyped_storage().data_ptr()) is True
        assert u.nbytes() == tu.nbytes() == len(u) == u.size() == 48
        assert v.storage_offset() == tv.storage_offset()
        assert v.data_ptr() - base == tv.data_ptr() - tx.data_ptr()
    assert x.clone().untyped_storage().data_ptr() != base     # a copy has its own


def test_shared_tensor_detection_as_safetensors_writes_it():
    w = al.randn(4, 4)
    params = {"a": w, "b": w.t(), "c": w[0], "d": w.clone()}
    key = {n: (t.device, t.untyped_storage().data_ptr(), t.untyped_storage().nbytes()) for n, t in params.items()}
    assert key["a"] == key["b"] == key["c"] != key["d"]


def test_untyped_storage_bytes_match_torch():
    a = np.array([[1.5, -2.0], [3.25, 4.0]], np.float32)
    u, tu = al.tensor(a)[1].untyped_storage(), torch.tensor(a)[1].untyped_storage()
    assert u.tolist() == tu.tolist()
    assert [u[i] for i in (0, 3, 15, -1)] == [tu[i] for i in (0, 3, 15, -1)]
    assert list(u) == list(tu)
    assert u.element_size() == 1 and str(u.device) == "cpu" and u.type() == "autograd_lite.storage.UntypedStorage"
    assert repr(u) == "[autograd_lite.storage.UntypedStorage(device=cpu) of size 16]"
    with pytest.raises(IndexError, match="index 16 out of range for storage of size 16"):
        u[16]
    with pytest.raises(IndexError, match="index 16 out of range for storage of size 16"):
        tu[16]
    assert al.UntypedStorage([1, 2, 255]).tolist() == torch.UntypedStorage([1, 2, 255]).tolist()
    assert al.UntypedStorage(5).nbytes() == 5 and al.UntypedStorage(5).tolist() == [0] * 5
    assert al.empty(0).untyped_storage().data_ptr() == torch.empty(0).untyped_storage().data_ptr() == 0
    with pytest.raises(RuntimeError, match=r"torch.UntypedStorage\(\): tried to construct a storage from a sequence "
                                           r"\(list\), but one of the items was of type str instead of int"):
        al.UntypedStorage([1, "a"])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool", "float16"])
def test_typed_storage_matches_torch(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s, ts = al.tensor(a)[1, 1:].storage(), torch.tensor(a)[1, 1:].storage()
    assert s.tolist() == ts.tolist() and len(s) == len(ts) == s.size() == 6
    assert s.nbytes() == ts.nbytes() and s.element_size() == ts.element_size()
    assert s[4] == ts[4] and type(s[4]) is type(ts[4])
    assert s.dtype == getattr(al, dtype) and s.data_ptr() == s.untyped().data_ptr()
    assert s.type() == ts.type().replace("torch.", "autograd_lite.")
    with pytest.raises(IndexError, match="index 6 out of range for storage of size 6"):
        s[6]


def test_storage_warns_once_as_torch():
    al_storage._warned[0] = False
    with pytest.warns(UserWarning, match=r"TypedStorage is deprecated\. It will be removed in the future and "
                                         r"UntypedStorage will be the only storage class"):
        al.ones(2).storage()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        al.ones(2).storage()             # once per process, as torch's
        al.ones(2).untyped_storage()


def test_typed_storage_constructors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for args, kw in [((3,), {}), (([1.0, 2.5],), {}), (([1, 2],), {"dtype": "int64"}), ((), {})]:
            tkw = {k: getattr(torch, v) for k, v in kw.items()}
            ours, ref = al.TypedStorage(*args, **{k: getattr(al, v) for k, v in kw.items()}), \
                torch.TypedStorage(*args, **tkw)
            assert ours.size() == ref.size() and str(ours.dtype).split(".")[1] == str(ref.dtype).split(".")[1]
            if args and not isinstance(args[0], int):
                assert ours.tolist() == ref.tolist()
        u = al.UntypedStorage([0, 0, 128, 63])
        assert al.TypedStorage(wrap_storage=u, dtype=al.float32).tolist() == [1.0]


def test_is_shared_and_share_memory():
    y = al.ones(3)
    u = y.untyped_storage()
    assert not u.is_shared() and not y.is_shared()
    assert u.share_memory_() is u
    assert u.is_shared() and y.is_shared() and u.data_ptr() == y.data_ptr() and u.nbytes() == 12
    assert y[1:].untyped_storage().data_ptr() == y.data_ptr() and y[1:].storage_offset() == 1
    assert u.tolist() == torch.ones(3).untyped_storage().tolist()
    with pytest.raises(RuntimeError, match="storage of a view cannot be moved into shared memory"):
        al.ones(4)[1:].untyped_storage().share_memory_()


def test_storage_on_each_device(device):
    x = al.arange(6.0, device=device).reshape(2, 3)
    u = x[1].untyped_storage()
    assert u.data_ptr() == x.untyped_storage().data_ptr() == x.data_ptr()
    assert u.nbytes() == 24 and u.device == x.device and x[1].storage_offset() == 3
    assert u.tolist() == torch.arange(6.0).untyped_storage().tolist()


# ---- 2. nn.attention, backends.cuda ------------------------------------------------------------------------------
_SWITCHES = ("flash", "mem_efficient", "math", "cudnn")


def _flags(lib):
    return tuple(getattr(lib.backends.cuda, f"{n}_sdp_enabled")() for n in _SWITCHES)


def test_sdp_backend_enum_as_torch_s():
    from autograd_lite.nn.attention import SDPBackend
    from torch.nn.attention import SDPBackend as TB
    assert [(m.name, int(m)) for m in SDPBackend] == [(n, int(v)) for n, v in TB.__members__.items()]
    assert str(SDPBackend.MATH) == str(TB.MATH)


def test_sdpa_kernel_records_and_restores_like_torch():
    from autograd_lite.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention import SDPBackend as TB, sdpa_kernel as tsdpa
    q, tq = _pair((2, 3, 4), 0)
    ref = AF.scaled_dot_product_attention(q, q, q)
    assert _flags(al) == _flags(torch)
    for names in (["MATH"], ["FLASH_ATTENTION", "EFFICIENT_ATTENTION"], ["CUDNN_ATTENTION"]):
        with sdpa_kernel([getattr(SDPBackend, n) for n in names]), tsdpa([getattr(TB, n) for n in names]):
            assert _flags(al) == _flags(torch)
            np.testing.assert_array_equal(AF.scaled_dot_product_attention(q, q, q).numpy(), ref.numpy())
        assert _flags(al) == _flags(torch)
    with sdpa_kernel(SDPBackend.MATH), tsdpa(TB.MATH):
        assert _flags(al) == _flags(torch) == (False, False, True, False)

    @sdpa_kernel(SDPBackend.FLASH_ATTENTION)
    def run():
        return _flags(al)
    assert run() == (True, False, False, False) and _flags(al) == _flags(torch)
    with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend or a list of SDPBackend "
                                             "instances, got str"):
        sdpa_kernel("math")


def test_backends_cuda_switches_and_deprecated_sdp_kernel():
    for lib in (al, torch):
        lib.backends.cuda.enable_flash_sdp(False)
        lib.backends.cuda.enable_math_sdp(False)
    try:
        assert _flags(al) == _flags(torch)
    finally:
        for lib in (al, torch):
            lib.backends.cuda.enable_flash_sdp(True)
            lib.backends.cuda.enable_math_sdp(True)
    with pytest.warns(FutureWarning, match=r"`torch.backends.cuda.sdp_kernel\(\)` is deprecated"):
        ctx = al.backends.cuda.sdp_kernel(enable_math=False, enable_cudnn=False)
    with ctx:
        assert _flags(al) == (True, True, False, False)
    assert _flags(al) == _flags(torch)
    assert al.backends.cuda.matmul.allow_tf32 is False and al.backends.cuda.is_built() in (True, False)


# ---- 3. torch.lstm / gru / rnn_tanh / rnn_relu ---------------------------------------------------------------------
_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _rnn_case(name, layers, bidirectional, biases, proj=0, seed=0, device="cpu"):
    """(ours, torch): hx and params for input size 3, hidden 4 (proj: LSTM projection size)."""
    dirs, hidden = 2 if bidirectional else 1, 4
    out_size = proj or hidden
    shapes = []
    for layer in range(layers):
        size_in = 3 if layer == 0 else out_size * dirs
        for _ in range(dirs):
            shapes += [(_GATES[name] * hidden, size_in), (_GATES[name] * hidden, out_size)]
            shapes += [(_GATES[name] * hidden,)] * 2 if biases else []
            shapes += [(proj, hidden)] if proj else []
    params = [_pair(s, seed + i, rg=True) for i, s in enumerate(shapes)]
    h = _pair((layers * dirs, 2, out_size), 99, rg=True)
    hx = [h] + ([_pair((layers * dirs, 2, hidden), 98, rg=True)] if name == "lstm" else [])
    ours_p = [p[0].to(device).detach().requires_grad_() for p in params]
    ours_h = [s[0].to(device).detach().requires_grad_() for s in hx]
    return (ours_p, ours_h), ([p[1] for p in params], [s[1] for s in hx])


def _hx(name, states):
    return states if name == "lstm" else states[0]


def _compare(ours, ref, ours_leaves, ref_leaves):
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        assert a.shape == tuple(b.shape) and a.dtype == al.float32
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)
    sum((o * (k + 1)).sum() for k, o in enumerate(ours)).backward()
    sum((o * (k + 1)).sum() for k, o in enumerate(ref)).backward()
    for a, b in zip(ours_leaves, ref_leaves):
        np.testing.assert_allclose(a.grad.cpu().numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("layers, bidirectional, biases, batch_first", [(1, False, True, False), (2, True, True, True),
                                                                       (2, False, False, False)])
def test_whole_sequence_rnn_matches_torch(name, layers, bidirectional, biases, batch_first, device):
    (p, h), (tp, th) = _rnn_case(name, layers, bidirectional, biases, device=device)
    x, tx = _pair((2, 5, 3) if batch_first else (5, 2, 3), 7, rg=True)
    x = x.to(device).detach().requires_grad_()
    args = (biases, layers, 0.0, False, bidirectional, batch_first)
    ours = getattr(al, name)(x, _hx(name, h), p, *args)
    ref = getattr(torch, name)(tx, _hx(name, th), tp, *args)
    assert isinstance(ours, tuple) and len(ours) == (3 if name == "lstm" else 2)
    _compare(ours, ref, [x] + p + h, [tx] + tp + th)


@pytest.mark.filterwarnings("ignore:LSTM with projections")       # torch's note about its oneDNN path
def test_lstm_with_projection_and_keywords():
    (p, h), (tp, th) = _rnn_case("lstm", 2, True, True, proj=3)
    x, tx = _pair((4, 2, 3), 5, rg=True)
    kw = dict(has_biases=True, num_layers=2, dropout=0.0, train=True, bidirectional=True, batch_first=False)
    _compare(al.lstm(x, h, p, **kw), torch.lstm(tx, th, tp, **kw), [x] + p + h, [tx] + tp + th)


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_packed_overload_matches_torch(name):
    (p, h), (tp, th) = _rnn_case(name, 1, True, True)
    data, tdata = _pair((7, 3), 3, rg=True)          # lengths 4 and 3: batch_sizes 2, 2, 2, 1
    sizes, tsizes = al.tensor([2, 2, 2, 1]), torch.tensor([2, 2, 2, 1])
    ours = getattr(al, name)(data, sizes, _hx(name, h), p, True, 1, 0.0, False, True)
    ref = getattr(torch, name)(tdata, tsizes, _hx(name, th), tp, True, 1, 0.0, False, True)
    _compare(ours, ref, [data] + p + h, [tdata] + tp + th)


def test_whole_sequence_rnn_matches_the_module():
    rnn = al.nn.GRU(3, 4, num_layers=2)
    x = al.randn(5, 2, 3)
    out, h = rnn(x)
    out2, h2 = al.gru(x, al.zeros(2, 2, 4), list(rnn.parameters()), True, 2, 0.0, False, False, False)
    np.testing.assert_allclose(out2.detach().numpy(), out.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(h2.detach().numpy(), h.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_whole_sequence_rnn_gradcheck():
    rng = np.random.default_rng(0)
    ps = [al.tensor(rng.standard_normal(s) * 0.5, requires_grad=True) for s in [(3, 2), (3, 3), (3,), (3,)]]
    x = al.tensor(rng.standard_normal((3, 1, 2)), requires_grad=True)
    h = al.tensor(rng.standard_normal((1, 1, 3)), requires_grad=True)

    def f(x, h, *p):
        return al.rnn_tanh(x, h, list(p), True, 1, 0.0, False, False, False)[0]
    assert al.autograd.gradcheck(f, (x, h, *ps))


@pytest.mark.parametrize("call, message", [
    (lambda lib, x, h, p: lib.gru(x, h, p[:1], True, 1, 0.0, False, False, False),
     "got an incorrect number of RNN parameters"),
    (lambda lib, x, h, p: lib.gru(x, h, p, True, 2, 0.0, False, False, False),
     "Expected more hidden states in stacked_rnn"),
    (lambda lib, x, h, p: lib.gru(x, h.expand(2, 2, 4), p, True, 2, 0.0, False, False, False),
     "Expected more weights in stacked_rnn"),
    (lambda lib, x, h, p: lib.lstm(x, [h], p, True, 1, 0.0, False, False, False), "lstm expects two hidden states"),
])
def test_whole_sequence_rnn_errors_in_torch_words(call, message):
    for lib in (al, torch):
        x, h = lib.zeros(5, 2, 3), lib.zeros(1, 2, 4)
        p = [lib.zeros(12, 3), lib.zeros(12, 4), lib.zeros(12), lib.zeros(12)]
        if "lstm" in message:
            p = [lib.zeros(16, 3), lib.zeros(16, 4), lib.zeros(16), lib.zeros(16)]
        with pytest.raises(RuntimeError, match=message):
            call(lib, x, h, p)


# ---- 4. legacy size_average / reduce ------------------------------------------------------------------------------
def _legacy_modules():
    return sorted(n for n in dir(torch.nn) if isinstance(getattr(torch.nn, n), type)
                  and "size_average" in inspect.signature(getattr(torch.nn, n).__init__).parameters)


@pytest.mark.parametrize("name", _legacy_modules())
def test_loss_modules_take_torch_s_signature(name):
    assert list(inspect.signature(getattr(al.nn, name).__init__).parameters) == \
        list(inspect.signature(getattr(torch.nn, name).__init__).parameters)


_LEGACY = [(False, None, "sum"), (None, False, "none"), (True, True, "mean"), (0, 1, "sum"), (True, False, "none")]


@pytest.mark.parametrize("size_average, reduce, expected", _LEGACY)
def test_loss_modules_map_the_legacy_pair_as_torch(size_average, reduce, expected):
    x, tx = _pair((4, 3), 1)
    t = np.array([0, 2, 1, 1])
    y, ty = _pair((4, 3), 2)
    for name, target, ttarget in [("NLLLoss", al.tensor(t), torch.tensor(t)), ("CrossEntropyLoss", al.tensor(t),
                                                                               torch.tensor(t)),
                                  ("MSELoss", y, ty), ("L1Loss", y, ty), ("SmoothL1Loss", y, ty),
                                  ("BCEWithLogitsLoss", y.sigmoid(), ty.sigmoid())]:
        with pytest.warns(UserWarning, match=f"size_average and reduce args will be deprecated, please use "
                                             f"reduction='{expected}' instead."):
            ours = getattr(al.nn, name)(size_average=size_average, reduce=reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = getattr(torch.nn, name)(size_average=size_average, reduce=reduce)
        assert ours.reduction == ref.reduction == expected
        out, tout = ours(x, target), ref(tx, ttarget)
        assert out.shape == tuple(tout.shape) and out.dtype == al.float32
        np.testing.assert_allclose(out.numpy(), tout.numpy(), rtol=1e-5, atol=1e-6)


def test_positional_legacy_arguments_and_subclasses_as_torch_s():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert al.nn.NLLLoss(None, False, -1).reduction == torch.nn.NLLLoss(None, False, -1).reduction == "sum"
        assert al.nn.NLLLoss(None, None, 3).ignore_index == 3
        assert al.nn.NLLLoss2d(reduce=False).reduction == "none"

    class MyLoss(al.nn.modules.loss._Loss):            # written for torch: super().__init__(size_average, ...)
        def __init__(self, size_average=None, reduce=None, reduction="mean"):
            super().__init__(size_average, reduce, reduction)
    assert MyLoss(reduction="sum").reduction == "sum"


@pytest.mark.parametrize("size_average, reduce, expected", _LEGACY)
def test_functional_losses_map_the_legacy_pair_as_torch(size_average, reduce, expected):
    x, tx = _pair((4, 3), 3)
    y, ty = _pair((4, 3), 4)
    t = np.array([0, 2, 1, 1])
    for name, a, b in [("nll_loss", t, t), ("mse_loss", y, ty), ("l1_loss", y, ty), ("kl_div", y, ty)]:
        a, b = (al.tensor(a), torch.tensor(b)) if name == "nll_loss" else (a, b)
        with pytest.warns(UserWarning, match=f"reduction='{expected}'"):
            out = getattr(AF, name)(x, a, size_average=size_average, reduce=reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = getattr(TF, name)(tx, b, size_average=size_average, reduce=reduce)
        assert out.shape == tuple(ref.shape)
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)


def test_reduction_module_as_torch_s():
    from torch.nn import _reduction as T
    from autograd_lite.nn import _reduction as R
    for sa in (None, True, False):
        for rd in (None, True, False):
            assert R.legacy_get_string(sa, rd, emit_warning=False) == T.legacy_get_string(sa, rd, False)
            assert R.legacy_get_enum(sa, rd, emit_warning=False) == T.legacy_get_enum(sa, rd, False)
    assert [R.get_enum(r) for r in ("none", "mean", "sum")] == [T.get_enum(r) for r in ("none", "mean", "sum")]
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        R.get_enum("bad")


# ---- 5. in-place arithmetic on an overlapping view -----------------------------------------------------------------
_OVERLAP = "unsupported operation: more than one element of the written-to tensor refers to a single memory " \
           "location. Please clone\\(\\) the tensor before performing the operation."


@pytest.mark.parametrize("op", [lambda v: v.add_(1), lambda v: v.sub_(1), lambda v: v.mul_(2), lambda v: v.div_(2),
                                lambda v: v.add_(v.clone(), alpha=2), lambda v: v.__iadd__(1),
                                lambda v: v.__imul__(2), lambda v: v.relu_(), lambda v: v.exp_()])
def test_inplace_on_overlapping_view_raises_torch_s_error(op):
    for lib in (al, torch):
        with pytest.raises(RuntimeError, match=_OVERLAP):
            op(lib.ones(3).expand(3, 3))


def test_inplace_arithmetic_still_writes_through_views():
    x = al.zeros(3, 3)
    x[1].add_(2)
    x.t()[0].mul_(3)
    x.diagonal().sub_(1)
    t = torch.zeros(3, 3)
    t[1].add_(2)
    t.t()[0].mul_(3)
    t.diagonal().sub_(1)
    np.testing.assert_array_equal(x.numpy(), t.numpy())


# ---- 6. NumPy ufuncs on tensors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [np.exp, np.sin, lambda t: np.greater(t, 0), lambda t: np.add(t, 1),
                                lambda t: np.maximum(t, 0.5), np.negative, np.isnan])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_numpy_ufuncs_return_tensors_as_torch(fn, dtype):
    a = np.array([[-1.0, 0.5], [2.0, 3.0]]).astype(dtype)
    for arr in (a, a[0, 0]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            out, ref = fn(al.tensor(arr)), fn(torch.tensor(arr))
        assert isinstance(out, al.Tensor) and isinstance(ref, torch.Tensor)
        assert out.shape == tuple(ref.shape) and str(out.dtype).split(".")[1] == str(ref.dtype).split(".")[1]
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)


def test_array_wrap_takes_numpy_2_arguments_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(np.exp(al.ones(2)), al.Tensor)
        assert isinstance(np.asarray(al.ones(2)), np.ndarray)     # conversion itself stays an array
