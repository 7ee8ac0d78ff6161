"""load on hostile files: zip bombs, members listed twice, lying sizes and headers, duplicate
names, random bytes and random manifests. Every outcome is a correct load or a RuntimeError naming
the file, and load never allocates more than the file's size justifies."""
import collections
import io
import json
import math
import pickle
import struct
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import autograd_lite as al
from test_serialization import assert_same, npy

SMALL = 2 ** 20                 # what load may allocate whatever the file: read buffers, zip index, JSON
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANIFEST = {"format": "autograd_lite.save", "version": 1}


@pytest.fixture(autouse=True, scope="module")
def _probe_cuda_once():
    """The first look for a GPU imports modules: not something a load should be charged for."""
    try:
        al.backend.get_backend("cuda")
    except RuntimeError:
        pass


def write_zip(path, members, compressed=()):
    """`members`: (name, bytes) pairs, a name possibly repeated; those in `compressed` are deflated."""
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zf:
        warnings.simplefilter("ignore", UserWarning)                  # "Duplicate name"
        for name, data in members:
            method = zipfile.ZIP_DEFLATED if name in compressed else zipfile.ZIP_STORED
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)


def load_measured(path):
    """What `load` returned, or the RuntimeError it raised, and the peak bytes it allocated."""
    tracemalloc.start()
    try:
        try:
            result = al.load(path)
        except (RuntimeError, pickle.UnpicklingError) as e:     # UnpicklingError: a refused PyTorch pickle
            assert type(e) in (RuntimeError, pickle.UnpicklingError)
            assert str(e).startswith(f"autograd_lite.load: {str(path)!r}")
            result = e
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def assert_refused(path, message):
    result, peak = load_measured(path)
    assert isinstance(result, RuntimeError), "loaded a hostile file"
    assert message in str(result), str(result)
    assert peak < SMALL, f"allocated {peak} bytes before refusing a {path.stat().st_size}-byte file"


def checkpoint_members(obj):
    buf = io.BytesIO()
    al.save(obj, buf)
    with zipfile.ZipFile(buf) as zf:
        return [(n, zf.read(n)) for n in zf.namelist()]


def one_array_manifest(n, count=1):
    """A manifest whose `count` arrays are all float32 of `n` in member 'a.npy'."""
    return json.dumps({**MANIFEST, "arrays": [{"file": "a.npy", "dtype": "<f4", "shape": [n]}] * count,
                       "tensors": [], "object": [{"type": "ndarray", "index": i} for i in range(count)]})


def test_load_allocates_about_the_file_size(tmp_path):
    path = tmp_path / "sd.pth"
    al.save({f"layer{i}.weight": al.randn(512, 512) for i in range(8)}, path)
    result, peak = load_measured(path)
    assert isinstance(result, dict) and peak < path.stat().st_size + SMALL


# ---- what used to take memory far beyond the file's size, or escape as another error --------
def test_deflated_member_is_refused_before_inflating(tmp_path):
    n = 16 * 2 ** 20                                             # 64 MiB of zeros, deflated to 64 KiB
    path = tmp_path / "bomb.pth"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("manifest.json"), one_array_manifest(n), zipfile.ZIP_STORED)
        with zf.open("a.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False,
                                                          "shape": (n,)})
            for _ in range(64):
                member.write(bytes(2 ** 20))
    assert path.stat().st_size < 2 ** 20
    assert_refused(path, "compressed")


def test_deflated_manifest_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.pth"
    text = json.dumps({**MANIFEST, "arrays": [], "tensors": [], "object": 1}) + " " * 2 ** 25
    write_zip(path, [("manifest.json", text.encode())], compressed={"manifest.json"})
    assert_refused(path, "compressed")


def test_member_listed_many_times_is_refused(tmp_path):
    path = tmp_path / "repeat.pth"                               # 1 MiB, listed 64 times
    write_zip(path, [("manifest.json", one_array_manifest(2 ** 18, 64).encode()),
                     ("a.npy", npy(np.zeros(2 ** 18, np.float32)))])
    result, peak = load_measured(path)
    assert isinstance(result, RuntimeError) and "lists members ['a.npy'] more than once" in str(result)
    assert peak < 2 * path.stat().st_size


def test_npy_header_bigger_than_the_manifest_is_refused(tmp_path):
    """The array is allocated from its .npy header: that must match the manifest first."""
    path = tmp_path / "header.pth"
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (2 ** 28,)})
    write_zip(path, [("manifest.json", one_array_manifest(2).encode()),
                     ("a.npy", member.getvalue() + bytes(8))])
    assert_refused(path, "holds a <f4 array of shape [268435456], the manifest says <f4 of shape [2]")


def patch_central(path, name, offset, fmt, *values):
    """Packs `values` at `offset` into member `name`'s entry in the zip's central directory."""
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")
    while data[at + 46:at + 46 + len(name)] != name.encode():
        at = data.index(b"PK\x01\x02", at + 4)
    struct.pack_into(fmt, data, at + offset, *values)
    path.write_bytes(bytes(data))


def test_sizes_beyond_the_file_are_refused(tmp_path):
    path = tmp_path / "sizes.pth"
    write_zip(path, checkpoint_members({"w": al.ones(2)}))
    patch_central(path, "manifest.json", 20, "<II", 2 ** 30, 2 ** 30)   # compressed, uncompressed size
    assert_refused(path, "more than the file's")


@pytest.mark.parametrize("offset,value,message", [(6, 99, "zip file version 9.9"), (8, 1, "encrypted"),
                                                  (10, 99, "compressed"), (10, 12, "compressed")],
                         ids=["zip version 9.9", "encrypted", "unknown method", "bzip2"])
def test_zip_features_save_never_uses_are_clear_errors(tmp_path, offset, value, message):
    path = tmp_path / "feature.pth"
    write_zip(path, checkpoint_members({"w": al.ones(2)}))
    patch_central(path, "manifest.json", offset, "<H", value)
    assert_refused(path, message)


@pytest.mark.parametrize("duplicate", ["manifest.json", "arrays/0.npy"])
def test_duplicate_member_names_are_refused(tmp_path, duplicate):
    members = checkpoint_members({"w": al.ones(2)})
    later = checkpoint_members({"w": al.zeros(2), "x": 1})      # what a "last one wins" reader loads
    path = tmp_path / "dup.pth"
    write_zip(path, members + [m for m in later if m[0] == duplicate])
    assert_refused(path, f"several members named ['{duplicate}']")


# ---- fuzz: random and damaged files ----------------------------------------------------------
ALLOWED = (str, int, float, bool, type(None), bytes, np.ndarray, np.generic, al.Tensor, al.dtype,
           al.device)


def assert_well_formed(obj):
    """Only the types a checkpoint holds, and every tensor backed by a valid array."""
    if isinstance(obj, (dict, collections.OrderedDict)):
        for k, v in obj.items():
            assert_well_formed(k)
            assert_well_formed(v)
    elif type(obj) in (list, tuple, set, frozenset):
        for x in obj:
            assert_well_formed(x)
    else:
        assert isinstance(obj, ALLOWED), type(obj)
        if isinstance(obj, al.Tensor):
            assert obj.detach().numpy().shape == tuple(obj.shape)


def check_load(path, expected=None):
    """A correct load (equal to `expected` when given) or a clear error, within bounded memory."""
    result, peak = load_measured(path)
    size = path.stat().st_size
    assert peak <= max(SMALL, 2 * size), f"allocated {peak} bytes loading a {size}-byte file"
    if expected is not None:
        assert not isinstance(result, RuntimeError), str(result)
        assert_same(expected, result)
    elif not isinstance(result, (RuntimeError, pickle.UnpicklingError)):
        assert_well_formed(result)


GOOD = checkpoint_members({"w": al.arange(6.0).reshape(2, 3), "n": [1, 2.5, None], "b": b"x"})


@FUZZ
@given(data=st.binary(max_size=3000),
       prefix=st.sampled_from([b"", b"PK\x03\x04", b"PK\x05\x06", b"\x80"]))
def test_random_bytes(tmp_path_factory, data, prefix):
    path = tmp_path_factory.mktemp("fuzz") / "random.pth"
    path.write_bytes(prefix + data)
    check_load(path)


@FUZZ
@given(st.data())
def test_damaged_checkpoints(tmp_path_factory, data):
    """A real checkpoint, cut short, with bytes changed, or with bytes cut out."""
    path = tmp_path_factory.mktemp("fuzz") / "damaged.pth"
    write_zip(path, GOOD)
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.one_of(st.integers(0, len(raw) - 1),                 # the zip index: at the end
                                 st.integers(max(0, len(raw) - 200), len(raw) - 1)))
        kind = data.draw(st.sampled_from(["flip", "cut", "splice", "set"]))
        if kind == "flip":
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "cut":
            del raw[at:]
        elif kind == "splice":
            del raw[at:at + data.draw(st.integers(1, 64))]
        else:
            raw[at:at + 4] = data.draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00",
                                                         b"\x00\x00\x00\x40", b"\x08\x00"]))
        if not raw:
            break
    path.write_bytes(bytes(raw))
    check_load(path)


# ---- fuzz: valid-looking manifests -----------------------------------------------------------
def make_array(dtype, shape):
    return np.arange(math.prod(shape)).astype(dtype).reshape(shape)


ARRAYS = st.builds(make_array, st.sampled_from(["<f4", "<f8", "<f2", "<i8", "|i1", "|u1", "|b1"]),
                   st.lists(st.integers(0, 3), max_size=3))
TENSORS = st.builds(lambda a, grad: al.tensor(a.astype(np.float32), requires_grad=grad), ARRAYS,
                    st.booleans())
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(),
                   st.text(max_size=4), st.binary(max_size=4), ARRAYS, TENSORS,
                   ARRAYS.map(lambda a: a[()] if a.ndim == 0 else a),                  # numpy scalars
                   st.sampled_from([al.float32, al.int64, al.device("cpu"), al.device("cuda:1")]))
OBJECTS = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner, inner),
    st.dictionaries(st.one_of(st.text(max_size=3), st.integers(-3, 3)), inner, max_size=3)), max_leaves=8)

# Values a hostile manifest may hold where the checkpoint holds something else.
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.integers(2 ** 31, 2 ** 70),
              st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5),
              st.sampled_from(["<f4", "<f8", "|O", "<U3", "|V8", "float32", "(2,)<f4", "a.npy",
                               "arrays/0.npy", "cpu", "cuda:0", "cuda:x", "tpu", "tensor", "ndarray",
                               "dict", "tuple", "nan"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["type", "index", "items", "name", "value", "base64", "array", "file", "dtype", "shape"]), inner,
        max_size=3)), max_leaves=6)
NODES = st.recursive(
    st.one_of(JSON_VALUES, st.fixed_dictionaries({
        "type": st.sampled_from(["tensor", "ndarray", "numpy_scalar", "dict", "OrderedDict", "tuple",
                                 "set", "frozenset", "float", "bytes", "dtype", "device", "pickle"]),
        "index": st.integers(-2, 3), "name": JSON_VALUES, "value": JSON_VALUES, "base64": JSON_VALUES})),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.fixed_dictionaries({
        "type": st.sampled_from(["dict", "OrderedDict", "tuple", "set", "frozenset"]),
        "items": st.one_of(st.lists(st.lists(inner, min_size=2, max_size=2), max_size=2), inner)})),
    max_leaves=6)
MUTATIONS = st.one_of(
    st.tuples(st.just("version"), JSON_VALUES),
    st.tuples(st.just("version"), st.integers(-10, 10)),
    st.tuples(st.just("format"), JSON_VALUES),
    st.tuples(st.just("field"), st.sampled_from(["arrays", "tensors"]), st.integers(0, 7),
              st.sampled_from(["file", "dtype", "shape", "array", "device", "requires_grad",
                               "parameter"]),
              JSON_VALUES),
    st.tuples(st.just("shape"), st.integers(0, 7), st.lists(st.integers(-1, 2 ** 40), max_size=3)),
    st.tuples(st.just("device"), st.integers(0, 7),
              st.sampled_from(["cuda:0", "cuda", "cpu:0", "cuda:-1", "tpu", "cuda:x", "", "cpu:"])),
    st.tuples(st.just("entry as list"), st.sampled_from(["arrays", "tensors"]), st.integers(0, 7)),
    st.tuples(st.just("repeat array"), st.integers(0, 7)),
    st.tuples(st.just("object"), NODES),
    st.tuples(st.just("duplicate"), st.integers(0, 7), st.booleans()),
    st.tuples(st.just("compress"), st.integers(0, 7)),
    st.tuples(st.just("drop"), st.integers(0, 7)),
    st.tuples(st.just("bytes"), st.integers(0, 7), st.binary(max_size=200)),
    st.tuples(st.just("header"), st.integers(0, 7), ARRAYS),
)


def mutate(manifest, members, compressed, mutation):
    """Applies one mutation; indices wrap around the table they pick from. A member's data None
    stands for the manifest, written once all mutations are done."""
    kind, *args = mutation

    def entry(table, i):
        entries = [e for e in manifest[table] if isinstance(e, dict)]
        return entries[i % len(entries)] if entries else {}

    if kind in ("version", "format"):
        manifest[kind] = args[0]
    elif kind == "field":
        entry(args[0], args[1])[args[2]] = args[3]
    elif kind == "shape":
        entry("arrays", args[0])["shape"] = args[1]
    elif kind == "device":
        entry("tensors", args[0])["device"] = args[1]
    elif kind == "repeat array":
        manifest["arrays"].append(dict(entry("arrays", args[0])))
    elif kind == "entry as list" and manifest[args[0]]:
        table = manifest[args[0]]
        i = args[1] % len(table)
        if isinstance(table[i], dict):
            table[i] = list(table[i].values())
    elif kind == "object":
        manifest["object"] = args[0]
    elif kind == "duplicate":
        name, data = members[args[0] % len(members)]
        members.append((name, data if args[1] else b"{}"))
    elif kind == "compress":
        compressed.add(members[args[0] % len(members)][0])
    elif kind == "drop" and len(members) > 1:
        del members[args[0] % len(members)]
    elif kind in ("bytes", "header"):
        i = args[0] % len(members)
        members[i] = (members[i][0], args[1] if kind == "bytes" else npy(args[1]))


CHECKPOINTS = st.one_of(st.lists(TENSORS, min_size=1, max_size=3), OBJECTS)


@FUZZ
@given(obj=CHECKPOINTS)
def test_saved_objects_load_back(tmp_path_factory, obj):
    path = tmp_path_factory.mktemp("fuzz") / "saved.pth"
    al.save(obj, path)
    check_load(path, expected=obj)


@settings(FUZZ, max_examples=300)
@given(obj=CHECKPOINTS, mutations=st.lists(MUTATIONS, min_size=1, max_size=3))
def test_random_manifests(tmp_path_factory, obj, mutations):
    members = checkpoint_members(obj)
    manifest, members[0] = json.loads(members[0][1]), ("manifest.json", None)
    compressed = set()
    for mutation in mutations:
        mutate(manifest, members, compressed, mutation)
    text = json.dumps(manifest).encode()
    path = tmp_path_factory.mktemp("fuzz") / "manifest.pth"
    write_zip(path, [(name, text if data is None else data) for name, data in members], compressed)
    check_load(path)
