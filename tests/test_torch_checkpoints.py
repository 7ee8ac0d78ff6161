"""PyTorch checkpoints without PyTorch: torch.save files (zip and legacy) read by autograd_lite.load through the
allow-list unpickler, save(..., format='torch') read by torch.load(weights_only=True), hostile files refused, and
safetensors files (autograd_lite.utils.safetensors) against safetensors.torch."""
import collections
import io
import os
import pickle
import struct
import warnings
import zipfile

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import nn

torch = pytest.importorskip("torch")

FORMATS = pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
DTYPES = ["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def torch_save(obj, path, zip_format=True):
    torch.save(obj, path, _use_new_zipfile_serialization=zip_format)
    return path


def values(t):
    return t.detach().numpy()


def assert_equal(ours, theirs):
    assert isinstance(ours, al.Tensor)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).split(".")[1]
    if theirs.dtype == torch.bfloat16:          # NumPy has no bfloat16 of its own: compared as float32, exactly
        ours, theirs = ours.float(), theirs.float()
    np.testing.assert_array_equal(values(ours), theirs.detach().numpy())


# ---- torch -> autograd_lite ----------------------------------------------------------------------
@FORMATS
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype(tmp_path, zip_format, dtype):
    t = (torch.randn(3, 4) * 50).to(getattr(torch, dtype))
    loaded = al.load(torch_save({"t": t}, tmp_path / "d.pth", zip_format))
    assert_equal(loaded["t"], t)


@FORMATS
def test_bfloat16_loads_as_bfloat16(tmp_path, zip_format):
    t = torch.randn(5).to(torch.bfloat16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = al.load(torch_save(t, tmp_path / "b.pth", zip_format))
    assert_equal(loaded, t)


@FORMATS
def test_views_strides_offsets_and_sharing(tmp_path, zip_format):
    base = torch.arange(24.).reshape(4, 6)
    obj = {"base": base, "row": base[1], "cols": base[:, 2:5:2], "t": base.t(), "flat": base.view(-1)[7:],
           "expanded": torch.arange(3.).expand(2, 3), "empty": base[4:], "scalar": torch.tensor(2.5)}
    loaded = al.load(torch_save(obj, tmp_path / "v.pth", zip_format))
    for k, v in obj.items():
        assert_equal(loaded[k], v)
    loaded["base"]._data[1, 3] = -1.0                   # views of one storage share its memory, as in torch
    assert values(loaded["row"])[3] == -1.0 and values(loaded["t"])[3, 1] == -1.0
    assert values(loaded["flat"])[2] == -1.0


@FORMATS
def test_state_dict_containers_and_scalars(tmp_path, zip_format):
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.Flatten(),
                                torch.nn.Linear(3 * 4 * 4, 5))
    obj = {"sd": model.state_dict(), "epoch": 7, "lr": 0.125, "name": "run", "none": None, "flag": True,
           "nested": [1, (2, "x", [3.5]), {"k": torch.ones(2)}], "raw": b"\x00\xffab", "ints": {1, 2},
           "big": 2 ** 70, "neg": -(2 ** 40), "nan": float("nan"), "dev": torch.device("cpu"),
           "dtype": torch.int64, "size": torch.Size([2, 3])}
    loaded = al.load(torch_save(obj, tmp_path / "s.pth", zip_format))
    assert type(loaded["sd"]) is collections.OrderedDict and list(loaded["sd"]) == list(obj["sd"])
    assert loaded["sd"]._metadata == obj["sd"]._metadata            # BUILD on the OrderedDict
    for k, v in obj["sd"].items():
        assert_equal(loaded["sd"][k], v)
    for k in ("epoch", "lr", "name", "none", "flag", "raw", "ints", "big", "neg"):
        assert loaded[k] == obj[k] and type(loaded[k]) is type(obj[k])
    assert np.isnan(loaded["nan"])
    assert loaded["nested"][0] == 1 and loaded["nested"][1][:2] == (2, "x") and loaded["nested"][1][2] == [3.5]
    assert_equal(loaded["nested"][2]["k"], torch.ones(2))
    assert loaded["dev"] == al.device("cpu") and loaded["dtype"] is al.int64 and loaded["size"] == (2, 3)

    ours = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(3 * 4 * 4, 5))
    ours.load_state_dict(loaded["sd"])
    model.eval(), ours.eval()
    x = np.random.randn(2, 2, 6, 6).astype(np.float32)
    np.testing.assert_allclose(values(ours(al.tensor(x))), model(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


@FORMATS
def test_parameters_and_requires_grad(tmp_path, zip_format):
    obj = {"p": torch.nn.Parameter(torch.randn(2, 2)), "frozen": torch.nn.Parameter(torch.randn(2), False),
           "rg": torch.randn(3, requires_grad=True), "plain": torch.randn(3)}
    obj["again"] = obj["p"]
    loaded = al.load(torch_save(obj, tmp_path / "p.pth", zip_format))
    assert isinstance(loaded["p"], nn.Parameter) and loaded["p"].requires_grad
    assert isinstance(loaded["frozen"], nn.Parameter) and not loaded["frozen"].requires_grad
    assert not isinstance(loaded["rg"], nn.Parameter) and loaded["rg"].requires_grad
    assert not loaded["plain"].requires_grad
    assert loaded["again"] is loaded["p"]
    for k in obj:
        assert_equal(loaded[k], obj[k])


def test_map_location(tmp_path, device):
    path = torch_save({"w": torch.randn(3)}, tmp_path / "m.pth")
    for loc in (device, al.device(device), {"cpu": device}):
        assert al.load(path, map_location=loc)["w"].device == al.device(device)
    seen = []
    moved = al.load(path, map_location=lambda t, saved: seen.append(saved) or t.to(device))
    assert seen == ["cpu"] and moved["w"].device == al.device(device)


def test_file_objects_and_bytes_io(tmp_path):
    buf = io.BytesIO()
    torch.save({"w": torch.arange(4)}, buf)
    buf.seek(0)
    assert_equal(al.load(buf)["w"], torch.arange(4))
    with open(torch_save(torch.ones(2), tmp_path / "f.pth", False), "rb") as f:
        assert_equal(al.load(f), torch.ones(2))


# ---- autograd_lite -> torch ----------------------------------------------------------------------
def test_state_dict_trained_here_loads_in_pytorch(tmp_path):
    ours = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    ours(al.randn(5, 4))                                     # updates the running stats
    al.save(ours.state_dict(), tmp_path / "o.pth", format="torch")
    sd = torch.load(tmp_path / "o.pth", weights_only=True)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 3))
    theirs.load_state_dict(sd)
    ours.eval(), theirs.eval()
    x = np.random.randn(2, 4).astype(np.float32)
    np.testing.assert_allclose(theirs(torch.tensor(x)).detach().numpy(), values(ours(al.tensor(x))),
                               rtol=1e-5, atol=1e-6)
    torch.load(tmp_path / "o.pth", weights_only=True, mmap=True)       # storages aligned as torch writes them


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_to_torch(tmp_path, dtype):
    t = al.tensor(np.random.randn(2, 3) * 50).to(getattr(al, dtype))
    al.save({"t": t, "view": t.t()}, tmp_path / "d.pth", format="torch")
    loaded = torch.load(tmp_path / "d.pth", weights_only=True)
    for k in ("t", "view"):
        assert_equal(al.load(tmp_path / "d.pth")[k], loaded[k])
        assert str(loaded[k].dtype) == f"torch.{dtype}"
    assert_equal(t.t(), loaded["view"])


def test_containers_to_torch_and_back(tmp_path):
    w = nn.Parameter(al.randn(2, 3))
    obj = {"sd": collections.OrderedDict(w=w, b=al.zeros(3)), "list": [1, -7, 2 ** 40, 0.5, "s", None, True, b"ab",
                                                                         (1, 2, 3, 4, 5), ()],
           "set": {3, 4}, "dtype": al.float16, "device": al.device("cpu"), "rg": al.randn(2, requires_grad=True),
           "same": w, "cyclic": []}
    obj["cyclic"].append(obj["cyclic"])
    for path in (tmp_path / "a.pth", io.BytesIO()):
        al.save(obj, path, format="torch")
        if isinstance(path, io.BytesIO):
            path.seek(0)
        theirs = torch.load(path, weights_only=True)
        if isinstance(path, io.BytesIO):
            path.seek(0)
        ours = al.load(path)
        assert isinstance(theirs["sd"]["w"], torch.nn.Parameter) and isinstance(ours["sd"]["w"], nn.Parameter)
        assert theirs["same"] is theirs["sd"]["w"] and ours["same"] is ours["sd"]["w"]
        assert theirs["rg"].requires_grad and ours["rg"].requires_grad
        assert theirs["cyclic"][0] is theirs["cyclic"] and ours["cyclic"][0] is ours["cyclic"]
        for got in (theirs, ours):
            assert got["list"][:8] == obj["list"][:8] and got["list"][8:] == [(1, 2, 3, 4, 5), ()]
            assert got["set"] == {3, 4} and str(got["device"]) == "cpu"
        assert theirs["dtype"] is torch.float16 and ours["dtype"] is al.float16
        np.testing.assert_array_equal(theirs["sd"]["w"].detach().numpy(), values(w))


def test_torch_name_for_the_option_and_bad_options(tmp_path):
    al.save({"w": al.ones(2)}, tmp_path / "a.pth", _use_new_zipfile_serialization=True)
    assert torch.equal(torch.load(tmp_path / "a.pth", weights_only=True)["w"], torch.ones(2))
    with pytest.raises(ValueError, match="legacy format.*not written"):
        al.save({"w": al.ones(2)}, tmp_path / "b.pth", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="format must be 'autograd_lite' or 'torch'"):
        al.save({}, tmp_path / "b.pth", format="pickle")
    with pytest.raises(TypeError, match=r"numpy.ndarray' at obj\['a'\].*from_numpy"):
        al.save({"a": np.ones(2)}, tmp_path / "b.pth", format="torch")
    with pytest.raises(TypeError, match="builtins.function"):
        al.save([lambda: 0], tmp_path / "b.pth", format="torch")
    assert not (tmp_path / "b.pth").exists()


# ---- hostile files -------------------------------------------------------------------------------
class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def with_pickle(tmp_path, data, legacy=False):
    """A torch.save file of {'w': ones(2)} whose pickle is replaced by `data`."""
    path = tmp_path / "evil.pth"
    if legacy:
        head = b"".join(pickle.dumps(x, protocol=2) for x in
                        (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}))
        path.write_bytes(head + data + pickle.dumps([], protocol=2))
        return path
    torch_save({"w": torch.ones(2)}, path)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    prefix = next(n for n in members if n.endswith("/data.pkl"))      # torch names it after the file
    members[prefix] = data
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    return path


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("make, message", [
    (lambda m: pickle.dumps(Evil(m), protocol=2), r"GLOBAL posix.system is not allowed"),
    (lambda m: pickle.dumps({"x": Evil(m)}, protocol=4), r"GLOBAL posix.system is not allowed"),
    (lambda m: b"\x80\x02cbuiltins\neval\nX\x06\x00\x00\x00print(1)\x85R.", r"GLOBAL builtins.eval"),
    (lambda m: pickle.dumps(torch.nn.Linear(2, 2), protocol=2), r"torch.nn.modules.linear.Linear"),
    (lambda m: b"\x80\x02ccollections\nOrderedDict\nK\x05\x85R.",              # REDUCE with a bad argument
     r"OrderedDict.*failed"),
    (lambda m: b"\x80\x02}}b.", r"BUILD is accepted only to set an OrderedDict's attributes"),
    (lambda m: b"\x80\x02ctorch\nfloat32\n)R.", r"unrecognized function"),
    (lambda m: b"\x80\x02(c__main__\nEvil\no.", r"GLOBAL __main__.Evil is not allowed"),
    (lambda m: b"\x80\x02(i__main__\nEvil\n.", r"unsupported pickle opcode b'i'"),
    (lambda m: b"\x80\x02cbuiltins\nbytearray\nJ\x00\x00\x00\x7f\x85R.", "bytearray is accepted only"),
    (lambda m: b"\x80\x02X\xff\xff\xff\x7f", "past the end of the data"),
    (lambda m: b"\x80\x02]", "past the end of the data|unbalanced stack"),
])
def test_hostile_pickles_are_refused(tmp_path, legacy, make, message):
    marker = tmp_path / "pwned"
    path = with_pickle(tmp_path, make(marker), legacy)
    with pytest.raises(pickle.UnpicklingError, match=message) as err:
        al.load(path)
    assert str(err.value).startswith(f"autograd_lite.load: {str(path)!r}: weights-only load failed")
    assert not marker.exists()


def storage_pickle(numel, size, stride=None, offset=0, kind="FloatStorage"):
    """A torch pickle of one tensor on storage '0' declaring `numel` elements."""
    stride = stride or tuple(int(np.prod(size[i + 1:])) for i in range(len(size)))
    tup = lambda xs: b"(" + b"".join(b"J" + struct.pack("<i", x) for x in xs) + b"t"
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" +
            b"(X\x07\x00\x00\x00storagectorch\n" + kind.encode() + b"\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpu" +
            b"\x8a\x08" + struct.pack("<q", numel) + b"tQ" + b"J" + struct.pack("<i", offset) +
            tup(size) + tup(stride) + b"\x89ccollections\nOrderedDict\n)Rt" + b"R.")


@pytest.mark.parametrize("data, error, message", [
    (storage_pickle(10 ** 15, (10 ** 7, 10 ** 8)), RuntimeError, "declares 4000000000000000 bytes"),
    (storage_pickle(2, (3,)), pickle.UnpicklingError, r"reaches past its storage of 2 elements"),
    (storage_pickle(2, (2,), offset=1), pickle.UnpicklingError, "reaches past its storage"),
    (storage_pickle(4, (2, 2), stride=(-1, 1)), pickle.UnpicklingError, "non-negative ints"),
    (storage_pickle(2, (2,), kind="ComplexFloatStorage"), pickle.UnpicklingError, "no complex"),
])
def test_declared_sizes_are_checked_before_allocating(tmp_path, data, error, message):
    path = with_pickle(tmp_path, data)                 # its storage '0' holds 2 float32s (8 bytes)
    with pytest.raises((error, pickle.UnpicklingError), match=message):
        al.load(path)


def test_legacy_storage_sizes_are_checked(tmp_path):
    path = torch_save({"w": torch.ones(4)}, tmp_path / "l.pth", zip_format=False)
    data = path.read_bytes()
    count = struct.pack("<q", 4)
    at = data.rindex(count)
    path.write_bytes(data[:at] + struct.pack("<q", 10 ** 15) + data[at + 8:])
    with pytest.raises(pickle.UnpicklingError, match="holds 1000000000000000 elements, the pickle declares 4"):
        al.load(path)
    path.write_bytes(data[:-4])
    with pytest.raises(pickle.UnpicklingError, match="more than the file holds"):
        al.load(path)


def test_truncated_and_compressed_torch_zips(tmp_path):
    path = torch_save({"w": torch.ones(64)}, tmp_path / "t.pth")
    data = path.read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[:len(data) // 2])
    with pytest.raises(RuntimeError, match="truncated or corrupted"):
        al.load(tmp_path / "cut.pth")
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(tmp_path / "z.pth", "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    with pytest.raises(RuntimeError, match="compressed members"):
        al.load(tmp_path / "z.pth")


def test_plain_pickles_and_tar_files_are_refused(tmp_path):
    (tmp_path / "p.pkl").write_bytes(pickle.dumps({"a": 1}, protocol=2))
    with pytest.raises(RuntimeError, match="looks like a pickle, but not a PyTorch checkpoint"):
        al.load(tmp_path / "p.pkl")
    import tarfile
    with tarfile.open(tmp_path / "t.tar", "w") as tf:
        tf.add(torch_save(torch.ones(1), tmp_path / "x.pth"), "pickle")
    with pytest.raises(RuntimeError, match="tar archive"):
        al.load(tmp_path / "t.tar")


# ---- safetensors ---------------------------------------------------------------------------------
st_torch = pytest.importorskip("safetensors.torch")
from autograd_lite.utils import safetensors as st  # noqa: E402


def test_safetensors_written_by_torch(tmp_path):
    tensors = {name: (torch.randn(2, 3) * 40).to(getattr(torch, name)) for name in DTYPES}
    st_torch.save_file(tensors, tmp_path / "t.safetensors", metadata={"format": "pt"})
    loaded = st.load_file(tmp_path / "t.safetensors")
    assert set(loaded) == set(tensors)
    for k, v in tensors.items():
        assert_equal(loaded[k], v)
    from_bytes = st.load(st_torch.save(tensors))
    for k, v in tensors.items():
        assert_equal(from_bytes[k], v)
    from_bytes["float32"]._data[0, 0] = 1.0                    # writable arrays


def test_safetensors_bfloat16_and_devices(tmp_path, device):
    """bfloat16 loads as bfloat16 on the CPU; bound for a GPU (CuPy has no bfloat16), as float32 with a warning."""
    t = torch.randn(4).to(torch.bfloat16)
    st_torch.save_file({"b": t, "f": torch.ones(2)}, tmp_path / "b.safetensors")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = st.load_file(tmp_path / "b.safetensors", device=device)
    assert loaded["f"].device == al.device(device)
    if device == "cpu":
        assert not caught
        assert_equal(loaded["b"], t)
    else:
        assert any("cannot be on device 'cuda" in str(w.message) for w in caught)
        assert loaded["b"].dtype == al.float32
        np.testing.assert_array_equal(values(loaded["b"].cpu()), t.float().numpy())


def test_safetensors_written_here_load_in_torch(tmp_path):
    ours = {"w": al.randn(3, 4), "i": al.arange(5), "m": al.tensor([True, False])}
    st.save_file(ours, tmp_path / "o.safetensors", metadata={"epoch": "3"})
    theirs = st_torch.load_file(tmp_path / "o.safetensors")
    for k in ours:
        assert_equal(ours[k], theirs[k])
    for k, v in st_torch.load(st.save(ours)).items():
        assert_equal(ours[k], v)
    from safetensors import safe_open
    with safe_open(tmp_path / "o.safetensors", "pt") as f:
        assert f.metadata() == {"epoch": "3"}


def test_safetensors_errors_as_safetensors_torch(tmp_path):
    w = al.randn(3, 2)
    with pytest.raises(ValueError, match=r"Expected a dict of \[str, torch.Tensor\]"):
        st.save_file([w], tmp_path / "x")
    with pytest.raises(ValueError, match="Key `a` is invalid, expected torch.Tensor"):
        st.save({"a": 1})
    with pytest.raises(ValueError, match="non contiguous tensor: `t`"):
        st.save({"t": w.t()})
    with pytest.raises(RuntimeError, match="Some tensors share memory"):
        st.save({"a": w, "b": w})


def test_safetensors_missing_package(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "safetensors", None)
    with pytest.raises(ImportError, match="pip install safetensors"):
        st.save({"a": al.ones(1)})
