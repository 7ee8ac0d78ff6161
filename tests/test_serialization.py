"""save / load: round trips, shared tensors, atomic writes, bad files, and never any pickle."""
import collections
import errno
import io
import json
import math
import os
import pathlib
import pickle
import stat
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import serialization


def assert_same(a, b, path="obj"):
    """Deep equality that also checks types, dtypes, shapes, requires_grad, key types and order."""
    assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
    if isinstance(a, al.Tensor):
        describe = lambda t: (t.dtype, t.shape, t.requires_grad, t.device)
        assert describe(a) == describe(b), path
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=path)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b), path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, dict):
        assert [(type(k), k) for k in a] == [(type(k), k) for k in b], path
        for k in a:
            assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    elif isinstance(a, float):
        assert a == b and math.copysign(1, a) == math.copysign(1, b), path
    else:
        assert a == b, path


def round_trip(obj, tmp_path, **load_kwargs):
    path = tmp_path / "obj.pth"
    al.save(obj, path)
    return al.load(path, **load_kwargs)


VALUES = {
    "tensor_f32": lambda: al.randn(3, 4),
    "tensor_requires_grad": lambda: al.randn(2, 2, requires_grad=True),
    "tensor_non_leaf": lambda: al.randn(2, requires_grad=True) * 2,
    "tensor_dtypes": lambda: [al.ones(2, dtype=d) for d in (al.float16, al.float64, al.int8, al.int16,
                                                            al.int32, al.int64, al.uint8, al.bool)],
    "tensor_0d_and_empty": lambda: [al.tensor(3.5), al.zeros(0, 5), al.ones(1, 1, 1)],
    "tensor_view": lambda: al.arange(12.0).reshape(3, 4).t()[1:],
    "numbers": lambda: [0, -7, 2 ** 70, 1.5, -0.0, 1e-310, True, False, None],
    "special_floats": lambda: [math.nan, math.inf, -math.inf],
    "strings_bytes": lambda: ["", "ünïcødé", "a\"b\\c\n", b"\x00\xffbytes"],
    "tuple_set": lambda: ((1, (2, "x")), {3, 1, 2}, frozenset({"a"}), ()),
    "dict_keys": lambda: {"s": 1, 0: "int", 2.5: "float", True: "bool", None: "none",
                          (1, "a"): "tuple", -3: [], "": {}},
    "ordered_dict": lambda: collections.OrderedDict([("z", 1), ("a", 2), ("m", al.ones(1))]),
    "numpy": lambda: [np.arange(6).reshape(2, 3), np.ones((2, 2), np.float32).T, np.array(["ab", "c"]),
                      np.float32(1.25), np.int64(-3), np.bool_(True), np.zeros(0)],
    "dtypes_devices": lambda: [al.float32, al.int64, al.bool, al.device("cpu"), al.device("cuda:1")],
    "nested": lambda: {"a": [{"b": (al.ones(2), {"c": [1, 2.0]})}], "d": collections.OrderedDict()},
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_round_trip(tmp_path, name):
    obj = VALUES[name]()
    loaded = round_trip(obj, tmp_path)
    if name == "tensor_non_leaf":                    # like torch: loads as a leaf requiring grad
        assert loaded.is_leaf and loaded.requires_grad
    if name == "tuple_set":
        assert loaded[1] == obj[1] and type(loaded[2]) is frozenset and loaded[2] == obj[2]
        obj, loaded = (obj[0], obj[3]), (loaded[0], loaded[3])
    assert_same(obj, loaded)


def test_seed_checkpoint_and_state_dict(tmp_path):
    sd = collections.OrderedDict((f"hidden_layers.{i}.{p}", al.randn(8, 8)) for i in range(3)
                                 for p in ("weight", "bias"))
    checkpoint = {"input_size": 784, "output_size": 10, "hidden_layers": [512, 256, 128],
                  "state_dict": sd}
    al.save(checkpoint, str(tmp_path / "checkpoint.pth"))
    loaded = al.load(str(tmp_path / "checkpoint.pth"))
    assert_same(checkpoint, loaded)
    assert list(loaded["state_dict"]) == list(sd)


def test_module_state_dict_round_trip(tmp_path):
    nn = al.nn
    if not all(hasattr(nn, n) for n in ("Sequential", "Linear", "ReLU")):
        pytest.skip("nn modules not available")
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    al.save({"state_dict": model.state_dict()}, tmp_path / "m.pth")
    other = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    other.load_state_dict(al.load(tmp_path / "m.pth")["state_dict"])
    x = al.randn(5, 4)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())
    assert_same(model.state_dict(), other.state_dict())


def test_optimizer_like_state_dict_keeps_int_keys(tmp_path):
    state = {"state": {0: {"step": al.tensor(3.0), "exp_avg": al.randn(3), "exp_avg_sq": al.rand(3)},
                       1: {"step": 3, "momentum_buffer": None}},
             "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                               "amsgrad": False, "maximize": False, "params": [0, 1]}]}
    loaded = round_trip(state, tmp_path)
    assert_same(state, loaded)
    assert list(loaded["state"]) == [0, 1]


def test_optimizer_state_dict_resumes(tmp_path):
    optim = pytest.importorskip("autograd_lite.optim")
    if not hasattr(optim, "Adam"):
        pytest.skip("optim.Adam not available")
    w = al.randn(4, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    al.save({"w": w, "opt": opt.state_dict()}, tmp_path / "o.pth")
    ck = al.load(tmp_path / "o.pth")
    w2 = ck["w"]
    opt2 = optim.Adam([w2], lr=0.1)
    opt2.load_state_dict(ck["opt"])
    for o, p in ((opt, w), (opt2, w2)):
        o.zero_grad()
        (p * p).sum().backward()
        o.step()
    np.testing.assert_array_equal(w.detach().numpy(), w2.detach().numpy())


def test_parameter_keeps_its_class(tmp_path):
    Parameter = getattr(al.nn, "Parameter", None)
    if Parameter is None:
        pytest.skip("nn.Parameter not available")
    p = Parameter(al.ones(2))
    loaded = round_trip([p, Parameter(al.zeros(1), requires_grad=False)], tmp_path)
    assert type(loaded[0]) is Parameter and loaded[0].requires_grad
    assert type(loaded[1]) is Parameter and not loaded[1].requires_grad


def test_shared_tensor_loads_as_one_object(tmp_path):
    w = al.randn(3)
    loaded = round_trip({"a": w, "b": [w, (w,)], "c": w.data}, tmp_path)
    assert loaded["a"] is loaded["b"][0] is loaded["b"][1][0]
    assert loaded["c"] is not loaded["a"]
    loaded["c"].add_(1)                              # w.data shares w's storage; so do they
    np.testing.assert_array_equal(loaded["a"].numpy(), loaded["c"].numpy())
    with zipfile.ZipFile(tmp_path / "obj.pth") as zf:
        assert sum(n.endswith(".npy") for n in zf.namelist()) == 1


def test_file_objects_and_pathlike(tmp_path):
    obj = {"x": al.arange(5), "y": [1.5]}
    buf = io.BytesIO()
    al.save(obj, buf)
    buf.seek(0)
    assert_same(obj, al.load(buf))

    class Stream(io.RawIOBase):                      # a non-seekable pipe-like reader
        def __init__(self, data):
            self._buf = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._buf.readinto(b)

    assert_same(obj, al.load(Stream(buf.getvalue())))
    with open(tmp_path / "f.pth", "wb") as f:
        al.save(obj, f)
    with open(tmp_path / "f.pth", "rb") as f:
        assert_same(obj, al.load(f))
    assert_same(obj, al.load(os.fsencode(tmp_path / "f.pth")))


def test_deterministic_bytes(tmp_path):
    obj = {"w": al.ones(2, 2), "n": 3}
    al.save(obj, tmp_path / "a")
    al.save(obj, tmp_path / "b")
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def test_map_location_and_weights_only(tmp_path):
    obj = {"w": al.randn(2, requires_grad=True)}
    al.save(obj, tmp_path / "c.pth")
    for loc in ("cpu", al.device("cpu"), {"cuda:0": "cpu"}, lambda t, loc: None, None):
        assert_same(obj, al.load(tmp_path / "c.pth", map_location=loc, weights_only=True))
    seen = []
    loaded = al.load(tmp_path / "c.pth", map_location=lambda t, loc: seen.append(loc) or t * 2)
    assert seen == ["cpu"] and loaded["w"].requires_grad
    np.testing.assert_allclose(loaded["w"].detach().numpy(), obj["w"].detach().numpy() * 2)
    if "cuda" not in {str(b) for b in getattr(al.backend, "_BY_NAME", {})}:
        with pytest.raises(RuntimeError, match="c.pth.*saved on 'cpu' on 'cuda'"):
            al.load(tmp_path / "c.pth", map_location="cuda")


def test_cuda_tensors_without_cuda_suggest_map_location(tmp_path, monkeypatch):
    if "cuda" in getattr(al.backend, "_BY_NAME", {}):
        pytest.skip("CUDA is available here")
    al.save({"w": al.ones(2)}, tmp_path / "g.pth")
    real = serialization._read

    def as_if_saved_on_cuda(f):
        manifest, arrays, pickles = real(f)
        manifest["tensors"][0]["device"] = "cuda:0"
        return manifest, arrays, pickles

    monkeypatch.setattr(serialization, "_read", as_if_saved_on_cuda)
    with pytest.raises(RuntimeError, match="saved on 'cuda:0'.*map_location='cpu'"):
        al.load(tmp_path / "g.pth")
    loaded = al.load(tmp_path / "g.pth", map_location="cpu")
    assert loaded["w"].device == "cpu"
    assert al.load(tmp_path / "g.pth", map_location={"cuda:0": "cpu"})["w"].device == "cpu"


# ---- atomic writes -------------------------------------------------------------------------------
def checkpoint_dir_state(directory):
    return sorted(p.name for p in pathlib.Path(directory).iterdir())


def test_failed_save_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.pth"
    al.save({"version": 1, "w": al.zeros(3)}, path)
    old = path.read_bytes()
    real, calls = serialization._write_array, []

    def failing(zf, name, array):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        real(zf, name, array)

    monkeypatch.setattr(serialization, "_write_array", failing)
    with pytest.raises(OSError, match="disk full"):
        al.save({"version": 2, "a": al.ones(1000), "b": al.ones(1000)}, path)
    assert len(calls) == 2
    assert path.read_bytes() == old and al.load(path)["version"] == 1
    assert checkpoint_dir_state(tmp_path) == ["ck.pth"]          # the temporary file is gone


def test_unsupported_object_fails_before_writing(tmp_path):
    path = tmp_path / "ck.pth"
    al.save([1], path)
    with pytest.raises(TypeError):
        al.save({"ok": al.ones(2), "bad": lambda: 0}, path)
    assert al.load(path) == [1] and checkpoint_dir_state(tmp_path) == ["ck.pth"]


CRASH_SCRIPT = """
import os, sys
import autograd_lite as al
from autograd_lite import serialization
real = serialization._write_array
def crash(zf, name, array):
    if name.endswith("1.npy"):
        zf.fp.flush()
        os._exit(17)                      # the process dies mid-save: no cleanup runs
    real(zf, name, array)
serialization._write_array = crash
al.save({"version": 2, "a": al.ones(100000), "b": al.ones(100000)}, sys.argv[1])
"""


def test_crash_mid_save_leaves_old_file(tmp_path):
    path = tmp_path / "ck.pth"
    al.save({"version": 1}, path)
    old = path.read_bytes()
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(path)], capture_output=True)
    assert proc.returncode == 17, proc.stderr.decode()
    assert path.read_bytes() == old and al.load(path) == {"version": 1}
    leftovers = [n for n in checkpoint_dir_state(tmp_path) if n != "ck.pth"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".ck.pth.") and leftovers[0].endswith(".tmp")
    assert (tmp_path / leftovers[0]).stat().st_size > 400000   # it died half-way through


def test_file_mode(tmp_path):
    path = tmp_path / "ck.pth"
    umask = os.umask(0o022)
    try:
        al.save(1, path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        path.chmod(0o600)
        al.save(2, path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(umask)


def test_save_never_touches_the_umask(tmp_path, monkeypatch):
    """os.umask(0), even briefly, makes files other threads create meanwhile world-writable."""
    set_umask = os.umask

    def forbidden(mask):
        raise AssertionError("save changed the process-wide umask")

    old = set_umask(0o022)
    try:
        for umask in (0o022, 0o077, 0o002, 0o027):
            set_umask(umask)
            monkeypatch.setattr(os, "umask", forbidden)
            path = tmp_path / f"u{umask:o}.pth"
            al.save({"w": al.ones(2)}, path)
            monkeypatch.undo()
            assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, oct(umask)
    finally:
        set_umask(old)


@pytest.mark.parametrize("name", ["a" * 236 + ".pth", "b" * 250 + ".pth", "c" * 255, "é" * 127])
def test_long_file_names(tmp_path, name):
    """Any name the file system takes (NAME_MAX 255 bytes) saves, as with torch.save."""
    al.save({"w": al.arange(3)}, tmp_path / name)
    assert_same(al.load(tmp_path / name), {"w": al.arange(3)})
    assert checkpoint_dir_state(tmp_path) == [name]


def test_read_only_directory_names_the_target(tmp_path, monkeypatch):
    path = tmp_path / "ck.pth"
    if os.geteuid() == 0:              # root ignores directory permissions: refuse as the OS would
        real_open, directory = os.open, os.path.realpath(tmp_path)

        def refuse(file, flags, *args, **kwargs):
            if flags & os.O_CREAT and os.path.dirname(os.fsdecode(file)) == directory:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), file)
            return real_open(file, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse)
    else:
        tmp_path.chmod(0o555)
    try:
        with pytest.raises(PermissionError) as err:
            al.save({"w": al.ones(2)}, path)
    finally:
        tmp_path.chmod(0o755)
    assert err.value.filename == str(path) and err.value.errno == errno.EACCES
    assert ".tmp" not in str(err.value) and str(path) in str(err.value)
    assert checkpoint_dir_state(tmp_path) == []


def test_next_save_removes_stale_temporary_files(tmp_path):
    """A killed save leaves its temporary file; the next save to the same path removes it once it is
    clearly dead (untouched for hours), and never anything it didn't write for that path."""
    target, sibling = "x" * 40 + "-a.pth", "x" * 40 + "-b.pth"    # same long prefix, other file

    def crash_mid_save(name):
        before = set(checkpoint_dir_state(tmp_path))
        proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(tmp_path / name)],
                              capture_output=True)
        assert proc.returncode == 17, proc.stderr.decode()
        return set(checkpoint_dir_state(tmp_path)) - before

    siblings, stale = crash_mid_save(sibling), crash_mid_save(target)
    users = {f".{target}.notes.tmp", f".{target}.0123456789abcdef.tmp"}
    for name in users:
        (tmp_path / name).write_text("the user's own file")
    hours_ago = time.time() - 3 * 3600
    for name in checkpoint_dir_state(tmp_path):
        os.utime(tmp_path / name, (hours_ago, hours_ago))
    fresh = crash_mid_save(target)                               # maybe a save still running
    assert len(siblings) == len(stale) == len(fresh) == 1

    al.save({"v": 3}, tmp_path / target)
    assert al.load(tmp_path / target) == {"v": 3}
    assert set(checkpoint_dir_state(tmp_path)) == siblings | users | fresh | {target}


# ---- bad files -----------------------------------------------------------------------------------
def test_truncated_file_gives_clear_error(tmp_path):
    good = tmp_path / "good.pth"
    al.save({"w": al.randn(50), "n": [1, 2, 3]}, good)
    data = good.read_bytes()
    bad = tmp_path / "bad.pth"
    for cut in sorted({1, 2, 10, 30, 100, len(data) // 2, len(data) - 23, len(data) - 1}
                      | set(range(0, len(data), 37))):
        bad.write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match=r"autograd_lite.load: '.*bad.pth' ") as err:
            al.load(bad)
        assert "truncated" in str(err.value) or "empty" in str(err.value) or \
            "not a zip" in str(err.value), (cut, err.value)


def test_corrupted_member_gives_clear_error(tmp_path):
    path = tmp_path / "c.pth"
    al.save({"w": al.zeros(100)}, path)
    data = bytearray(path.read_bytes())
    start = data.index(b"\x93NUMPY")
    data[start + 200] ^= 0xFF                          # flip a byte inside the array data
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match=r"c.pth' is corrupted: member 'arrays/0.npy'.*CRC"):
        al.load(path)


@pytest.mark.parametrize("content,message", [
    (b"", "is empty"),
    (b"hello, this is text\n", "not a zip archive"),
    (pickle.dumps({"a": 1}, protocol=2), "looks like a pickle"),
])
def test_foreign_files(tmp_path, content, message):
    path = tmp_path / "foreign.bin"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match=message):
        al.load(path)


def manifest(**fields):
    """A manifest.json holding one float32 array of 2 in 'a.npy', with `fields` replaced."""
    return json.dumps({"format": "autograd_lite.save", "version": 1,
                       "arrays": [{"file": "a.npy", "dtype": "<f4", "shape": [2]}],
                       "tensors": [], "object": 1, **fields})


TENSOR = {"array": 0, "dtype": "float32", "requires_grad": False, "device": "cpu", "parameter": False}


def npy(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


NPY_F4_2 = npy(np.zeros(2, np.float32))


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("members,message", [
    ({"readme.txt": "hi"}, r"without an autograd_lite manifest.*readme.txt"),
    ({"archive/data.pkl": b"\x80\x02}q\x00.", "other/data.pkl": b""},
     "without an autograd_lite manifest.*nor a PyTorch data.pkl"),
    ({"manifest.json": "{not json"}, "manifest can't be read"),
    ({"manifest.json": '{"format": "something else"}'}, "not an autograd_lite manifest"),
    ({"manifest.json": '{"format": "autograd_lite.save", "version": 99}'}, "version 99"),
    ({"manifest.json": '{"format": "autograd_lite.save", "version": 1, "arrays": 5}'},
     "'arrays' is not a list"),
    ({"manifest.json": '{"format": "autograd_lite.save", "version": 1, "arrays": '
                       '[{"file": "arrays/0.npy", "dtype": "<f4", "shape": [2]}], "tensors": [], '
                       '"object": 1}'},
     "'arrays/0.npy' is missing"),
    ({"manifest.json": '{"format": "autograd_lite.save", "version": 1, "arrays": [], '
                       '"tensors": [], "object": {"type": "pickle", "data": "..."}}'},
     "malformed manifest.*a pickle node, but the manifest lists no pickles"),
    ({"manifest.json": '{"format": "autograd_lite.save", "version": 1, "arrays": [], '
                       '"tensors": [], "object": {"type": "tensor", "index": 3}}'},
     "malformed manifest"),
    ({"manifest.json": '{"format": "autograd_lite.save", "version": 1, "arrays": '
                       '[{"file": "a.npy", "dtype": "<f4", "shape": [2]}], "tensors": [], "object": 1}',
      "a.npy": b"\x93NUMPY garbage, long enough"}, "member 'a.npy' is not a valid array"),
    ({"manifest.json": '{"format": "autograd_lite.save", "version": 1, "arrays": '
                       '[{"file": "a.npy", "dtype": "<f8", "shape": [100000, 100000]}], '
                       '"tensors": [], "object": 1}',
      "a.npy": b"\x93NUMPY tiny"}, "smaller than the 80000000000 bytes"),
    ({"manifest.json": manifest(version=7, arrays=[])},
     r"was saved by a newer autograd_lite \(format version 7\); this one reads version 1"),
    ({"manifest.json": manifest(version=-5, arrays=[])},
     "unknown format version -5; this autograd_lite reads version 1"),
    ({"manifest.json": manifest(version=True, arrays=[])}, "format version True; this autograd_lite"),
    ({"manifest.json": manifest(version="1", arrays=[])}, "format version '1'; this autograd_lite"),
    ({"manifest.json": manifest(arrays=[{"file": ["a.npy"], "dtype": "<f4", "shape": [2]}]),
      "a.npy": NPY_F4_2}, r"malformed manifest: array entry .*'file': \['a.npy'\]"),
    ({"manifest.json": manifest(arrays=[{"file": "a.npy", "dtype": "<f4", "shape": {"2": 2}}]),
      "a.npy": NPY_F4_2}, "malformed manifest: array entry"),
    ({"manifest.json": manifest(arrays=[{"file": "a.npy", "dtype": "float32", "shape": [2]}]),
      "a.npy": NPY_F4_2}, "malformed manifest: array entry"),
    ({"manifest.json": manifest(tensors=[dict(TENSOR, device="tpu")]), "a.npy": NPY_F4_2},
     "malformed manifest.*device string: tpu"),
    ({"manifest.json": manifest(tensors=[dict(TENSOR, device="cuda:x")]), "a.npy": NPY_F4_2},
     "malformed manifest.*cuda:x"),
    ({"manifest.json": manifest(arrays=[], object={"type": "device", "name": "tpu"})},
     "malformed manifest.*device string: tpu"),
])
def test_foreign_zips(tmp_path, members, message):
    path = tmp_path / "z.pth"
    write_zip(path, members)
    with pytest.raises(RuntimeError, match=message) as err:
        al.load(path)
    assert str(err.value).startswith(f"autograd_lite.load: {str(path)!r} ")


def test_pytorch_checkpoint_loads(tmp_path):
    """torch.save files load through the allow-list unpickler (tests/test_torch_checkpoints.py)."""
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "t.pth")
    assert al.load(tmp_path / "t.pth")["w"].tolist() == [1.0, 1.0]


def test_array_header_must_match_manifest(tmp_path):
    path = tmp_path / "m.pth"
    al.save(al.zeros(3), path)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["manifest.json"] = members["manifest.json"].replace(b'"shape":[3]', b'"shape":[4]', 1)
    write_zip(path, members)
    with pytest.raises(RuntimeError, match="manifest says <f4 of shape \\[4\\]"):
        al.load(path)


# ---- what save refuses ---------------------------------------------------------------------------
def test_unsupported_objects_name_type_and_path(tmp_path):
    path = tmp_path / "x.pth"
    with pytest.raises(TypeError, match=r"type 'builtins.function' at obj\['model'\]\[2\]"):
        al.save({"model": [1, 2, lambda x: x]}, path)

    class Net:                       # a local class: pickle can't find it again
        def state_dict(self):
            return {}

    with pytest.raises(TypeError, match=r"Net' at obj\[0\]\['net'\]: .*pickling it failed.*or save "
                                        r"model.state_dict"):
        al.save([{"net": Net()}], path)
    with pytest.raises(TypeError, match=r"obj\['a'\] has dtype object"):
        al.save({"a": np.array([None, 1])}, path)
    with pytest.raises(TypeError, match=r"obj has a key of type 'Tensor'"):
        al.save({al.ones(1): 1}, path)
    cyclic = [1]
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="reference cycle"):
        al.save(cyclic, path)
    assert not path.exists()


def test_checkpoints_of_tensors_never_pickle(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("pickle was used")

    for name in ("dumps", "loads", "dump", "load", "Pickler", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    obj = {"sd": collections.OrderedDict(w=al.randn(3, requires_grad=True)), "arr": np.ones(2),
           "opt": {"state": {0: {"step": 1}}}, "scalar": np.float64(2.5), "dt": al.float16}
    al.save(obj, tmp_path / "p.pth")
    assert_same(obj, al.load(tmp_path / "p.pth"))
    with zipfile.ZipFile(tmp_path / "p.pth") as zf:
        for name in zf.namelist():
            assert not name.endswith(".pkl")
            if name.endswith(".npy"):
                with zf.open(name) as f:
                    np.lib.format.read_array(f, allow_pickle=False)


def test_exports():
    assert al.save is serialization.save and al.load is serialization.load


def test_missing_parent_directory(tmp_path):
    with pytest.raises(RuntimeError, match="parent directory .*nowhere does not exist"):
        al.save(1, tmp_path / "nowhere" / "x.pth")


def test_save_through_symlink_keeps_link(tmp_path):
    (tmp_path / "real.pth").write_bytes(b"")
    (tmp_path / "link.pth").symlink_to(tmp_path / "real.pth")
    al.save({"a": 1}, tmp_path / "link.pth")
    assert (tmp_path / "link.pth").is_symlink() and al.load(tmp_path / "real.pth") == {"a": 1}


# ---- whole objects (save(model)), pickled beside the tensors, loaded only with weights_only=False ------------------
def test_whole_model_saved_loads_only_with_weights_only_false(tmp_path):
    path = tmp_path / "model.pth"
    model = al.nn.Sequential(al.nn.Conv2d(1, 2, 3), al.nn.BatchNorm2d(2), al.nn.ReLU())
    model[1].running_mean.add_(0.5)
    al.save({"model": model, "first": model[0].weight, "epoch": 3, "z": 1j}, path)
    for weights_only in (None, True):            # PyTorch's default since 2.6: weights only
        with pytest.raises(pickle.UnpicklingError, match=r"model.pth'.*weights-only load failed.*"
                           r"'autograd_lite.nn.modules.container.Sequential', 'builtins.complex'.*"
                           r"weights_only=False.*trusted source"):
            al.load(path, weights_only=weights_only)
    loaded = al.load(path, weights_only=False)
    assert loaded["epoch"] == 3 and loaded["z"] == 1j and type(loaded["model"]) is al.nn.Sequential
    assert repr(loaded["model"]) == repr(model)
    assert loaded["first"] is loaded["model"][0].weight          # one tensor, stored once
    assert type(loaded["first"]) is al.nn.Parameter and loaded["first"].requires_grad
    assert_same(model.state_dict(), loaded["model"].state_dict())
    x = al.randn(2, 1, 5, 5)
    model.eval(), loaded["model"].eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), loaded["model"](x).detach().numpy())
    with zipfile.ZipFile(path) as zf:
        assert sorted(n for n in zf.namelist() if n.endswith(".pkl")) == ["objects/0.pkl", "objects/1.pkl"]


def test_pickled_objects_keep_their_tensors_out_of_the_pickle(tmp_path):
    path = tmp_path / "big.pth"
    model = al.nn.Linear(256, 256)
    al.save(model, path)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("objects/0.pkl").file_size < 10_000          # the weights are .npy members
        assert zf.getinfo("arrays/0.npy").file_size >= 256 * 256 * 4
    loaded = al.load(path, weights_only=False, map_location="cpu")
    assert_same(model.state_dict(), loaded.state_dict())


def test_a_pickled_class_that_no_longer_imports_raises_its_own_error(tmp_path):
    import types
    import sys
    module = types.ModuleType("gone_module")
    exec("class Box:\n    def __init__(self, t):\n        self.t = t\n", module.__dict__)
    sys.modules["gone_module"] = module
    try:
        al.save(module.Box(al.ones(2)), tmp_path / "box.pth")
        box = al.load(tmp_path / "box.pth", weights_only=False)
        assert type(box).__name__ == "Box" and box.t.tolist() == [1.0, 1.0]
    finally:
        del sys.modules["gone_module"]
    with pytest.raises(ModuleNotFoundError, match="gone_module"):
        al.load(tmp_path / "box.pth", weights_only=False)
    with pytest.raises(TypeError, match="weights_only must be a bool or None"):
        al.load(tmp_path / "box.pth", weights_only="no")
