"""save / load of sparse (COO, CSR, CSC) and quantized tensors in both checkpoint formats, both ways with torch
2.13, quantized models' state_dicts through a parent's load_state_dict, and hostile entries refused."""
import collections
import io
import json
import pickle
import warnings
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import autograd_lite as al  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:.*(deprecated|invariant checks|reduce_range):UserWarning",
                                        "ignore::DeprecationWarning")


def ours_rt(obj):
    buf = io.BytesIO()
    al.save(obj, buf)
    buf.seek(0)
    return al.load(buf)


def ours_torch_rt(obj):
    buf = io.BytesIO()
    al.save(obj, buf, format="torch")
    buf.seek(0)
    return al.load(buf)


def torch_to_ours(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return al.load(buf)


def ours_to_torch(obj):
    buf = io.BytesIO()
    al.save(obj, buf, format="torch")
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def np_of(t):
    return t.numpy() if isinstance(t, torch.Tensor) else t.numpy()


def assert_sparse_same(a, b):
    """a, b: sparse tensors of either library: layout, size, dtype, indices and values equal."""
    assert str(a.layout).split(".")[-1] == str(b.layout).split(".")[-1]
    assert tuple(a.shape) == tuple(b.shape) and str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    if str(a.layout).endswith("sparse_coo"):
        assert a.is_coalesced() == b.is_coalesced()
        parts = [(x._indices(), x._values()) for x in (a, b)]
    elif str(a.layout).endswith("sparse_csr"):
        parts = [(x.crow_indices(), x.col_indices(), x.values()) for x in (a, b)]
    else:
        parts = [(x.ccol_indices(), x.row_indices(), x.values()) for x in (a, b)]
    for pa, pb in zip(*parts):
        np.testing.assert_array_equal(np_of(pa), np_of(pb))
        assert np_of(pa).dtype == np_of(pb).dtype


def assert_q_same(a, b):
    """a, b: quantized tensors of either library: dtype, qscheme, integers and qparams equal."""
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert str(a.qscheme()).split(".")[-1] == str(b.qscheme()).split(".")[-1]
    np.testing.assert_array_equal(np_of(a.int_repr()), np_of(b.int_repr()))
    if str(a.qscheme()).endswith("per_tensor_affine"):
        assert a.q_scale() == b.q_scale() and a.q_zero_point() == b.q_zero_point()
    else:
        assert a.q_per_channel_axis() == b.q_per_channel_axis()
        for fa, fb in ((a.q_per_channel_scales(), b.q_per_channel_scales()),
                       (a.q_per_channel_zero_points(), b.q_per_channel_zero_points())):
            np.testing.assert_array_equal(np_of(fa), np_of(fb))
            assert np_of(fa).dtype == np_of(fb).dtype


# ---- the tensors, made in torch; ours made from the same parts -------------------------------------------------
def sparse_cases():
    coo = torch.sparse_coo_tensor([[1, 0, 1], [2, 0, 0]], [3., 4., 5.], (2, 3))
    coo3 = torch.sparse_coo_tensor([[0, 2], [1, 0]], torch.arange(8, dtype=torch.float64).reshape(2, 4), (3, 2, 4))
    csr = torch.sparse_csr_tensor([0, 1, 3], [1, 0, 2], torch.tensor([3., 4., 5.]), (2, 3))
    return {"coo": coo, "coo_coalesced": coo.coalesce(), "coo_hybrid_f64": coo3.coalesce(),
            "coo_empty": torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0), (4, 5)),
            "coo_int": torch.sparse_coo_tensor([[0, 1]], torch.tensor([7, 8], dtype=torch.int32), (3,)),
            "csr": csr, "csc": csr.to_sparse_csc()}


def quantized_cases():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, generator=g)
    return {"per_tensor_qint8": torch.quantize_per_tensor(x, 0.05, -3, torch.qint8),
            "per_tensor_quint8": torch.quantize_per_tensor(x, 0.1, 128, torch.quint8),
            "per_tensor_qint32": torch.quantize_per_tensor(x, 0.001, 7, torch.qint32),
            "per_channel": torch.quantize_per_channel(x, torch.tensor([0.1, 0.02, 0.3], dtype=torch.float64),
                                                      torch.tensor([0, 5, -2]), 0, torch.qint8),
            "per_channel_axis1": torch.quantize_per_channel(x, torch.tensor([0.1, 0.2, 0.3, 0.4]),
                                                            torch.tensor([1, 2, 3, 4]), 1, torch.quint8),
            "float_qparams": torch.quantize_per_channel(x, torch.tensor([0.1, 0.2, 0.3]),
                                                        torch.tensor([0.5, 1.0, -1.5]), 0, torch.quint8)}


def ours_sparse(t):
    """Our tensor with torch tensor t's parts (made through our own creation functions)."""
    if t.layout == torch.sparse_coo:
        s = al.sparse_coo_tensor(al.tensor(t._indices().numpy()), al.tensor(t._values().numpy()), tuple(t.shape))
        return s.coalesce() if t.is_coalesced() else s
    if t.layout == torch.sparse_csr:
        return al.sparse_csr_tensor(al.tensor(t.crow_indices().numpy()), al.tensor(t.col_indices().numpy()),
                                    al.tensor(t.values().numpy()), tuple(t.shape))
    return al.sparse_csc_tensor(al.tensor(t.ccol_indices().numpy()), al.tensor(t.row_indices().numpy()),
                                al.tensor(t.values().numpy()), tuple(t.shape))


def ours_quantized(t):
    x = al.tensor(t.dequantize().numpy())
    dtype = getattr(al, str(t.dtype).split(".")[-1])
    if t.qscheme() == torch.per_tensor_affine:
        return al.quantize_per_tensor(x, t.q_scale(), t.q_zero_point(), dtype)
    return al.quantize_per_channel(x, al.tensor(t.q_per_channel_scales().numpy()),
                                   al.tensor(t.q_per_channel_zero_points().numpy()), t.q_per_channel_axis(), dtype)


with warnings.catch_warnings():             # torch's beta / deprecation notes, once at collection
    warnings.simplefilter("ignore")
    SPARSE, QUANTIZED = sparse_cases(), quantized_cases()


@pytest.mark.parametrize("name", sorted(SPARSE))
def test_sparse_both_ways_with_torch(name):
    t = SPARSE[name]
    loaded = torch_to_ours(t)
    assert isinstance(loaded, al.Tensor)
    assert_sparse_same(loaded, t)
    np.testing.assert_array_equal(loaded.to_dense().numpy(), t.to_dense().numpy())
    mine = ours_sparse(t)
    assert_sparse_same(mine, t)
    back = ours_to_torch(mine)
    assert_sparse_same(back, t)
    assert_sparse_same(ours_to_torch(loaded), t)


@pytest.mark.parametrize("fmt", ["autograd_lite", "torch"])
@pytest.mark.parametrize("name", sorted(SPARSE))
def test_sparse_round_trips(name, fmt):
    s = ours_sparse(SPARSE[name])
    loaded = (ours_rt if fmt == "autograd_lite" else ours_torch_rt)({"s": s, "again": s, "n": 3})
    assert_sparse_same(loaded["s"], SPARSE[name])
    assert loaded["again"] is loaded["s"] and loaded["n"] == 3
    assert not loaded["s"].requires_grad


def test_sparse_requires_grad_kept_in_our_format():
    s = al.sparse_coo_tensor([[0, 1]], [1., 2.], (3,), requires_grad=True)
    loaded = ours_rt(s)
    assert loaded.requires_grad and loaded.is_leaf
    loaded.to_dense().sum().backward()
    np.testing.assert_array_equal(loaded.grad.to_dense().numpy(), [1, 1, 0])


@pytest.mark.parametrize("name", sorted(QUANTIZED))
def test_quantized_both_ways_with_torch(name):
    t = QUANTIZED[name]
    loaded = torch_to_ours(t)
    assert type(loaded).__name__ == "QuantizedTensor"
    assert_q_same(loaded, t)
    np.testing.assert_array_equal(loaded.dequantize().numpy(), t.dequantize().numpy())
    mine = ours_quantized(t)
    assert_q_same(mine, t)
    assert_q_same(ours_to_torch(mine), t)
    assert_q_same(ours_to_torch(loaded), t)


@pytest.mark.parametrize("fmt", ["autograd_lite", "torch"])
@pytest.mark.parametrize("name", sorted(QUANTIZED))
def test_quantized_round_trips(name, fmt):
    q = ours_quantized(QUANTIZED[name])
    loaded = (ours_rt if fmt == "autograd_lite" else ours_torch_rt)([q, q])
    assert_q_same(loaded[0], QUANTIZED[name])
    assert loaded[1] is loaded[0]


def test_quantized_view_of_a_larger_storage_from_torch():
    base = torch.quantize_per_tensor(torch.arange(16.).reshape(4, 4), 0.5, 2, torch.qint8)
    view = base[1::2, 1:]                      # offset and strides into the shared storage
    loaded = torch_to_ours({"view": view, "base": base})
    assert_q_same(loaded["view"], view)
    assert_q_same(loaded["base"], base)


@pytest.mark.parametrize("name", ["coo", "per_tensor_qint8", "per_channel"])
def test_torch_legacy_format_loads(name):
    t = {**SPARSE, **QUANTIZED}[name]
    buf = io.BytesIO()
    torch.save({"t": t}, buf, _use_new_zipfile_serialization=False)
    buf.seek(0)
    loaded = al.load(buf)["t"]
    (assert_q_same if t.is_quantized else assert_sparse_same)(loaded, t)


def test_whole_object_pickles_keep_sparse_and_quantized_tensors():
    s, q = ours_sparse(SPARSE["csr"]), ours_quantized(QUANTIZED["per_channel"])
    buf = io.BytesIO()
    al.save({"pair": collections.deque([s, q])}, buf)       # a deque: pickled whole
    buf.seek(0)
    s2, q2 = al.load(buf, weights_only=False)["pair"]
    assert_sparse_same(s2, SPARSE["csr"])
    assert_q_same(q2, QUANTIZED["per_channel"])


# ---- quantized models ---------------------------------------------------------------------------------------------
def _float_models():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    am = al.nn.Sequential(al.nn.Linear(4, 3), al.nn.ReLU(), al.nn.Linear(3, 2))
    return tm, am


def _dynamic_pair():
    tm, am = _float_models()
    tq = torch.ao.quantization.quantize_dynamic(tm, {torch.nn.Linear}, dtype=torch.qint8)
    aq = al.ao.quantization.quantize_dynamic(am, {al.nn.Linear}, dtype=al.qint8)
    return tq, aq


X = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)


def test_dynamic_model_saved_by_torch_loads_into_ours():
    tq, aq = _dynamic_pair()
    sd = torch_to_ours(tq.state_dict())
    assert list(sd) == list(tq.state_dict())
    assert sd["0._packed_params.dtype"] is al.qint8
    result = aq.load_state_dict(sd)          # through the parent Sequential
    assert result.missing_keys == [] and result.unexpected_keys == []
    out = aq(al.tensor(X))
    assert out.dtype is al.float32
    np.testing.assert_array_equal(out.numpy(), tq(torch.tensor(X)).numpy())


@pytest.mark.parametrize("fmt", ["autograd_lite", "torch"])
def test_dynamic_model_state_dict_round_trips(fmt):
    _, aq = _dynamic_pair()
    _, fresh = _dynamic_pair()
    with al.no_grad():
        for p in fresh.parameters():
            p.zero_()
    fresh[0].set_weight_bias(al.quantize_per_tensor(al.zeros(3, 4), 1.0, 0, al.qint8), al.zeros(3))
    loaded = (ours_rt if fmt == "autograd_lite" else ours_torch_rt)(aq.state_dict())
    fresh.load_state_dict(loaded)
    np.testing.assert_array_equal(fresh(al.tensor(X)).numpy(), aq(al.tensor(X)).numpy())
    assert_q_same(fresh[0].weight(), aq[0].weight())


def test_dynamic_model_saved_by_ours_loads_into_torch():
    tq, aq = _dynamic_pair()
    sd = ours_to_torch(aq.state_dict())
    tq2 = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(),
                                                                     torch.nn.Linear(3, 2)),
                                                 {torch.nn.Linear}, dtype=torch.qint8)
    tq2.load_state_dict(sd)
    np.testing.assert_array_equal(tq2(torch.tensor(X)).numpy(), aq(al.tensor(X)).numpy())


class _TorchStatic(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.quant, self.dequant = torch.ao.quantization.QuantStub(), torch.ao.quantization.DeQuantStub()
        self.conv, self.fc = torch.nn.Conv2d(2, 3, 3), torch.nn.Linear(12, 2)

    def forward(self, x):
        return self.dequant(self.fc(self.conv(self.quant(x)).flatten(1)))


class _OursStatic(al.nn.Module):
    def __init__(self):
        super().__init__()
        self.quant, self.dequant = al.ao.quantization.QuantStub(), al.ao.quantization.DeQuantStub()
        self.conv, self.fc = al.nn.Conv2d(2, 3, 3), al.nn.Linear(12, 2)

    def forward(self, x):
        return self.dequant(self.fc(self.conv(self.quant(x)).flatten(1)))


def _static(lib, model, calib):
    model.eval()
    model.qconfig = lib.ao.quantization.get_default_qconfig("x86")
    prepared = lib.ao.quantization.prepare(model)
    prepared(calib)
    return lib.ao.quantization.convert(prepared)


IMG = np.random.default_rng(1).standard_normal((4, 2, 4, 4)).astype(np.float32)


def test_converted_model_both_ways_with_torch():
    torch.manual_seed(0)
    tq = _static(torch, _TorchStatic(), torch.tensor(IMG))
    aq = _static(al, _OursStatic(), al.tensor(IMG * 0.5))        # other qparams: the load must replace them
    sd = torch_to_ours(tq.state_dict())
    assert aq.load_state_dict(sd).missing_keys == []
    assert aq.quant.scale == tq.quant.scale.item() and aq.conv.zero_point == tq.conv.zero_point
    assert_q_same(aq.conv.weight(), tq.conv.weight())
    np.testing.assert_array_equal(aq(al.tensor(IMG)).numpy(), tq(torch.tensor(IMG)).numpy())
    tq2 = _static(torch, _TorchStatic(), torch.tensor(IMG * 2))
    tq2.load_state_dict(ours_to_torch(aq.state_dict()))
    np.testing.assert_array_equal(tq2(torch.tensor(IMG)).numpy(), tq(torch.tensor(IMG)).numpy())
    aq2 = _static(al, _OursStatic(), al.tensor(IMG * 3))
    aq2.load_state_dict(ours_rt(aq.state_dict()))
    np.testing.assert_array_equal(aq2(al.tensor(IMG)).numpy(), aq(al.tensor(IMG)).numpy())


def test_quantized_load_state_dict_errors():
    _, aq = _dynamic_pair()
    sd = aq.state_dict()
    bad = collections.OrderedDict(sd)
    bad["0._packed_params._packed_params"] = (al.quantize_per_tensor(al.zeros(2, 4), 1.0, 0, al.qint8), None)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\._packed_params\._packed_params: copying a param "
                                           r"with shape autograd_lite.Size\(\[2, 4\]\) from checkpoint, the shape in "
                                           r"current model is autograd_lite.Size\(\[3, 4\]\)"):
        aq.load_state_dict(bad)
    bad = collections.OrderedDict(sd)
    bad["2.scale"] = "0.1"
    with pytest.raises(RuntimeError, match='While copying the parameter named "2.scale"'):
        aq.load_state_dict(bad)
    del bad["2.scale"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "2.scale"'):
        aq.load_state_dict(bad)
    assert aq.load_state_dict(bad, strict=False).missing_keys == ["2.scale"]


# ---- refusals -----------------------------------------------------------------------------------------------------
def _manifest_file(mutate, obj):
    """obj saved in our format, its manifest edited by mutate(manifest)."""
    buf = io.BytesIO()
    al.save(obj, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    manifest = json.loads(src.read("manifest.json"))
    mutate(manifest)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for info in src.infolist():
            data = json.dumps(manifest).encode() if info.filename == "manifest.json" else src.read(info.filename)
            zf.writestr(info.filename, data)
    out.seek(0)
    return out


def _set(key, value):
    return lambda m: m["object"].__setitem__(key, value)


COO = al.sparse_coo_tensor([[0, 1], [2, 0]], [3., 4.], (2, 3)).coalesce()
CSR = al.sparse_csr_tensor([0, 1, 2], [1, 0], [3., 4.], (2, 3))
Q = al.quantize_per_tensor(al.tensor([1., 2.]), 0.1, 3, al.qint8)
QC = al.quantize_per_channel(al.tensor([[1., 2.], [3., 4.]]), al.tensor([0.1, 0.2]), al.tensor([1, 2]), 0,
                             al.qint8)


@pytest.mark.parametrize("obj, mutate, message", [
    (COO, _set("size", [2, 2]), "size is inconsistent with indices: for dim 1, size is 2 but found index 2"),
    (COO, _set("size", [2, -3]), "size must be a list of sizes"),
    (COO, _set("extra", 1), "a sparse_coo node must have the fields"),
    (COO, lambda m: m["object"].pop("coalesced"), "a sparse_coo node must have the fields"),
    (COO, _set("indices", 1), "indices must be a 2-D int64 tensor"),            # the values as indices
    (COO, _set("indices", -1), "must be the index of a plain tensor"),
    (COO, _set("values", 7), "IndexError"),
    (al.sparse_coo_tensor([[1, 0]], [3., 4.], (2,)), _set("coalesced", True), "marked coalesced, but its indices"),
    (CSR, _set("size", [3, 3]), "crow_indices.shape[-1] must be equal to the number of rows + 1"),
    (CSR, _set("size", [2, 1]), "`0 <= col_indices < ncols` is not satisfied."),
    (CSR, _set("type", "sparse_coo"), "a sparse_coo node must have the fields"),
    (Q, _set("scale", -1.0), "bad per_tensor_affine qparams"),
    (Q, _set("zero_point", 300), "bad per_tensor_affine qparams"),
    (Q, _set("dtype", "quint8"), "a quantized tensor's integers must be uint8"),
    (Q, _set("dtype", "float32"), "autograd_lite.float32 is not a quantized dtype autograd_lite supports"),
    (Q, _set("dtype", "no_such_dtype"), "malformed manifest"),
    (Q, _set("qscheme", "per_tensor_symmetric"), "unsupported quantization scheme"),
    (Q, _set("scale", "0.1"), "bad per_tensor_affine qparams"),
    (Q, _set("axis", 0), "a quantized node must have the fields"),
    (QC, _set("axis", 2), "unsupported quantization scheme 'per_channel_affine' with axis 2"),
    (QC, _set("scales", 0), "scales must be 2 finite floats"),               # the integers as scales
    (QC, _set("zero_points", 1), "zero_points must be 2 finite integers"),   # the scales as zero points
])
def test_hostile_manifest_entries_are_refused(obj, mutate, message):
    f = _manifest_file(mutate, obj)
    with pytest.raises(RuntimeError, match="malformed manifest") as info:
        al.load(f)
    assert message in str(info.value)


def _torch_file(obj, replace=()):
    """torch.save(obj) with data.pkl's bytes edited by `replace` ((old, new) pairs)."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("data.pkl"):
                for old, new in replace:
                    assert old in data
                    data = data.replace(old, new)
            zf.writestr(info.filename, data)
    out.seek(0)
    return out


@pytest.mark.parametrize("obj, replace, message", [
    (lambda: torch.sparse_coo_tensor([[0, 1], [2, 0]], [3., 4.], (2, 3)), [(b"K\x02K\x03\x86", b"K\x02K\x02\x86")],
     "size is inconsistent with indices"),
    (lambda: torch.sparse_coo_tensor([[0, 1], [2, 0]], [3., 4.], (2, 3)), [(b"torch.sparse_coo", b"torch.sparse_bsr")],
     "rebuilding sparse tensor for layout sparse_bsr is not supported"),
    (lambda: torch.sparse_coo_tensor([[0, 1], [2, 0]], [3., 4.], (2, 3)), [(b"torch.sparse_coo", b"torch.sparse_xyz")],
     "unknown layout 'torch.sparse_xyz'"),
    (lambda: torch.sparse_csr_tensor([0, 1, 2], [1, 0], [3., 4.], (2, 3)), [(b"K\x02K\x03\x86", b"K\x02K\x01\x86")],
     "`0 <= col_indices < ncols` is not satisfied."),
    (lambda: torch.quantize_per_tensor(torch.tensor([1., 2.]), 0.1, 3, torch.qint8),
     [(b"per_tensor_affine", b"per_tensor_symmetric")], "Can't deserialize quantized tensor with qscheme"),
    (lambda: torch.quantize_per_tensor(torch.tensor([1., 2.]), 0.1, 3, torch.qint8), [(b"K\x03\x87", b"M\x00\x01\x87")],
     "bad per_tensor_affine qparams for qint8"),
    (lambda: torch.quantize_per_tensor(torch.tensor([1., 2.]), 0.1, 3, torch.qint8),
     [(b"_rebuild_qtensor", b"_rebuild_tensor_v2")], "torch.QInt8Storage is accepted only in _rebuild_qtensor"),
    (lambda: torch.quantize_per_channel(torch.ones(2, 3), torch.tensor([0.1, 0.2], dtype=torch.float64),
                                torch.tensor([1, 2]), 0, torch.qint8), [(b"K\x00\x74", b"K\x01\x74")],
     "_rebuild_qtensor: per_channel scales must be a tensor of size[axis]=3 values"),
    (lambda: torch.tensor([1, 2], dtype=torch.int8), [(b"CharStorage", b"QInt8Storage")],
     "torch.QInt8Storage is accepted only in _rebuild_qtensor"),
])
def test_hostile_torch_pickles_are_refused(obj, replace, message):
    f = _torch_file(obj(), replace)
    with pytest.raises(pickle.UnpicklingError) as info:
        al.load(f)
    assert message in str(info.value)


def test_quint4x2_is_refused_by_name():
    q = torch.quantize_per_tensor(torch.tensor([1., 2.]), 0.5, 0, torch.quint4x2)
    with pytest.raises(pickle.UnpicklingError, match="torch.QUInt4x2Storage tensors are not supported"):
        torch_to_ours(q)


def test_symmetric_qscheme_is_refused_when_saving_in_torch_format():
    q = al.quantize_per_tensor(al.tensor([1., 2.]), 0.1, 3, al.qint8)
    q._data.qscheme = al.per_tensor_symmetric
    with pytest.raises(TypeError, match="Serialization is not supported for tensors of type "
                                        "torch.per_tensor_symmetric"):
        al.save(q, io.BytesIO(), format="torch")
