"""``save`` / ``load``: checkpoints as a zip of a JSON manifest plus ``.npy`` arrays, never pickle.

Layout of the zip (members stored uncompressed, fixed timestamps, so equal objects give equal
bytes)::

    manifest.json   {"format": "autograd_lite.save", "version": 1,
                     "arrays":  [{"file": "arrays/0.npy", "dtype": "<f4", "shape": [128, 784]}],
                     "tensors": [{"array": 0, "requires_grad": false, "device": "cpu",
                                  "parameter": false}],
                     "object":  <node>}
    arrays/0.npy    written by numpy.lib.format with allow_pickle=False

A node is a JSON string, finite number, true/false or null (that Python value), a JSON array (a
list), or an object tagged by "type": tensor / ndarray / numpy_scalar (an index into the tables),
tuple / set / frozenset ("items"), dict / OrderedDict ("items": [key node, value node] pairs, so
int, float, bool, None and tuple keys keep their type and order), float ("nan", "inf", "-inf"),
bytes ("base64"), dtype and device ("name"). Loading only ever builds these types: no code runs.
"""
import base64
import collections
import contextlib
import io
import json
import math
import os
import tempfile
import zipfile

import numpy as np

from . import _dtype
from .backend import device as _device, get_backend
from .tensor import Tensor

__all__ = ["save", "load"]

FORMAT, VERSION, MANIFEST = "autograd_lite.save", 1, "manifest.json"
_SCALARS = (str, int, float, bool, type(None))
_TYPES = {"dict": dict, "OrderedDict": collections.OrderedDict, "tuple": tuple, "set": set,
          "frozenset": frozenset}
_NAMES = {t: name for name, t in _TYPES.items()}
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# ---- save ----------------------------------------------------------------------------------------
class _Encoder:
    """Turns an object into a manifest node, collecting the arrays it holds. Tensors and arrays
    are memoised by identity: the same object saved twice is stored once and loads as one."""

    def __init__(self):
        self.arrays, self.tensors = [], []
        self._array_ids, self._tensor_ids = {}, {}
        self._keep = []                  # keeps memoised objects alive so their ids stay unique
        self._active = set()             # containers being encoded (a cycle would recurse forever)

    def node(self, obj, path):
        t = type(obj)
        if t in (str, bool, type(None)) or t is int:
            return obj
        if t is float:
            return obj if math.isfinite(obj) else {"type": "float", "value": repr(obj)}
        if isinstance(obj, Tensor):
            return {"type": "tensor", "index": self._tensor(obj, path)}
        if isinstance(obj, np.ndarray):                 # subclasses (memmap) load as ndarray
            array = obj if t is np.ndarray else obj.view(np.ndarray)
            return {"type": "ndarray", "index": self._array(array, path)}
        if isinstance(obj, np.generic):
            return {"type": "numpy_scalar", "index": self._array(np.asarray(obj), path)}
        if t is bytes:
            return {"type": "bytes", "base64": base64.b64encode(obj).decode("ascii")}
        if t is _dtype.dtype:
            return {"type": "dtype", "name": obj.name}
        if t is _device:
            return {"type": "device", "name": str(obj)}
        if t is list or t in _NAMES:
            return self._container(obj, path)
        raise TypeError(_unsupported(obj, path))

    def _container(self, obj, path):
        if id(obj) in self._active:
            raise ValueError(f"autograd_lite.save: {path} contains itself (a reference cycle), "
                             "which a checkpoint can't hold")
        self._active.add(id(obj))
        try:
            t = type(obj)
            if t is dict or t is collections.OrderedDict:
                items = [[self._key(k, path), self.node(v, f"{path}[{k!r}]")] for k, v in obj.items()]
            else:
                values = sorted(obj, key=repr) if t in (set, frozenset) else obj
                items = [self.node(v, f"{path}[{i}]") for i, v in enumerate(values)]
            return items if t is list else {"type": _NAMES[t], "items": items}
        finally:
            self._active.discard(id(obj))

    def _key(self, key, path):
        t = type(key)
        if t in _SCALARS or t in (tuple, _dtype.dtype, _device) or isinstance(key, np.generic):
            return self.node(key, f"{path} key {key!r}")
        raise TypeError(f"autograd_lite.save: {path} has a key of type '{t.__name__}' ({key!r}); "
                        "dict keys must be str, int, float, bool, None or tuples of those")

    def _array(self, array, path):
        index = self._array_ids.get(id(array))
        if index is None:
            if array.dtype.hasobject:
                raise TypeError(f"autograd_lite.save: the NumPy array at {path} has dtype "
                                f"{array.dtype}, which holds Python objects; only plain "
                                "numeric, bool and string arrays can be saved")
            index = self._array_ids[id(array)] = len(self.arrays)
            self._keep.append(array)
            self.arrays.append(array)
        return index

    def _tensor(self, t, path):
        index = self._tensor_ids.get(id(t))
        if index is None:
            host = t._host()
            entry = {"array": self._array(host, path), "dtype": t.dtype.name,
                     "shape": list(host.shape), "requires_grad": bool(t.requires_grad),
                     "device": str(t.device), "parameter": _is_parameter(t)}
            index = self._tensor_ids[id(t)] = len(self.tensors)
            self._keep.append(t)
            self.tensors.append(entry)
        return index


def _parameter_class():
    from . import nn
    return getattr(nn, "Parameter", None)


def _is_parameter(t):
    cls = _parameter_class()
    return cls is not None and isinstance(t, cls)


def _unsupported(obj, path):
    hint = " (to save a model, save model.state_dict())" if hasattr(obj, "state_dict") else ""
    return (f"autograd_lite.save: can't save an object of type '{type(obj).__module__}."
            f"{type(obj).__qualname__}' at {path}{hint}. A checkpoint holds Tensors, NumPy arrays "
            "and scalars, dicts, OrderedDicts, lists, tuples, sets, str, bytes, int, float, bool, "
            "None, dtypes and devices: it never pickles, so loading it can't run code")


def save(obj, f):
    """Saves `obj` (a state_dict, an optimizer state, or dicts/lists of Tensors, numbers and
    strings) to `f`, a path or a writable binary file object.

    To a path the write is atomic: the checkpoint goes to a temporary file in the same directory,
    is flushed to disk, then renamed over `f`, so a crash mid-save leaves the old file intact.
    Unsupported objects raise TypeError naming the type and where in `obj` it was found.

    Example::

        >>> autograd_lite.save({'epoch': 3, 'state_dict': model.state_dict()}, 'checkpoint.pth')
    """
    enc = _Encoder()
    root = enc.node(obj, "obj")
    manifest = {"format": FORMAT, "version": VERSION,
                "arrays": [{"file": f"arrays/{i}.npy", "dtype": a.dtype.str, "shape": list(a.shape)}
                           for i, a in enumerate(enc.arrays)],
                "tensors": enc.tensors, "object": root}
    payload = json.dumps(manifest, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if isinstance(f, (str, bytes, os.PathLike)):
        _atomic_write(os.fsdecode(f), lambda fp: _write_zip(fp, payload, enc.arrays))
    else:
        _write_zip(f, payload, enc.arrays)


def _write_zip(fp, manifest, arrays):
    with zipfile.ZipFile(fp, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(zipfile.ZipInfo(MANIFEST, _ZIP_DATE), manifest)
        for i, array in enumerate(arrays):
            _write_array(zf, f"arrays/{i}.npy", array)


def _write_array(zf, name, array):
    big = array.nbytes + 65536 >= zipfile.ZIP64_LIMIT
    with zf.open(zipfile.ZipInfo(name, _ZIP_DATE), "w", force_zip64=big) as member:
        np.lib.format.write_array(member, array, allow_pickle=False)


def _atomic_write(path, write):
    directory, base = os.path.split(os.path.realpath(path))     # through a symlink, as open() would
    if not os.path.isdir(directory):
        raise RuntimeError(f"autograd_lite.save: parent directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fp:
            write(fp)
            fp.flush()
            os.fsync(fp.fileno())
        os.chmod(tmp, _new_file_mode(os.path.join(directory, base)))
        os.replace(tmp, os.path.join(directory, base))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):              # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _new_file_mode(path):
    """The old file's mode, else what ``open(path, 'w')`` would give (mkstemp makes 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# ---- load ----------------------------------------------------------------------------------------
class _BadFile(Exception):
    """What is wrong with the file; `load` reports it as a RuntimeError naming the file."""


def load(f, map_location=None, weights_only=None):
    """Loads an object saved by `save` from `f`, a path or a readable binary file object.

    Args:
        map_location: where tensors go: None (the device they were saved from), a device or
            device string, a dict mapping saved device strings to devices (``{'cuda:0': 'cpu'}``),
            or a callable ``fn(tensor, saved_device_str)`` returning a Tensor or None (default).
        weights_only: accepted for PyTorch compatibility and ignored: loading never unpickles and
            never runs code, whatever the file holds.

    A truncated, corrupted or foreign file raises RuntimeError saying so.

    Example::

        >>> checkpoint = autograd_lite.load('checkpoint.pth', map_location='cpu')
        >>> model.load_state_dict(checkpoint['state_dict'])
    """
    name = os.fsdecode(f) if isinstance(f, (str, bytes, os.PathLike)) else \
        str(getattr(f, "name", type(f).__name__))
    with contextlib.ExitStack() as stack:
        if isinstance(f, (str, bytes, os.PathLike)):
            f = stack.enter_context(open(f, "rb"))
        elif not (hasattr(f, "seekable") and f.seekable()):
            f = io.BytesIO(f.read())
        try:
            manifest, arrays = _read(f)
            tensors = [_tensor(entry, arrays) for entry in _list(manifest, "tensors")]
        except _BadFile as e:
            raise RuntimeError(f"autograd_lite.load: {name!r} {e}") from None
        tensors = [_place(t, entry, map_location, name)
                   for t, entry in zip(tensors, manifest["tensors"])]
        try:
            return _Decoder(arrays, tensors).node(manifest["object"])
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as e:
            raise RuntimeError(f"autograd_lite.load: {name!r} has a malformed manifest "
                               f"({type(e).__name__}: {e})") from None


def _read(f):
    start = f.tell()
    head = f.read(8)
    f.seek(start)
    try:
        zf = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise _BadFile(_not_a_zip(head, f, start, e)) from None
    with zf:
        names = set(zf.namelist())
        if MANIFEST not in names:
            hint = (": it looks like a PyTorch checkpoint, which holds pickled code and can't be "
                    "loaded by autograd_lite (load it with torch, save its state_dict's tensors "
                    "with autograd_lite.save)") if any(n.endswith("data.pkl") for n in names) else ""
            shown = sorted(names)[:5] + (["..."] if len(names) > 5 else [])
            raise _BadFile(f"is a zip archive without an autograd_lite manifest ({MANIFEST!r}); "
                           f"its members are {shown}{hint}")
        try:
            manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
        except Exception as e:                      # noqa: BLE001  (any failure: a bad file)
            raise _BadFile(f"is corrupted: its manifest can't be read ({type(e).__name__}: {e})") \
                from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise _BadFile(f"is a zip archive whose {MANIFEST!r} is not an autograd_lite manifest")
        version = manifest.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise _BadFile(f"was written in checkpoint format version {version!r}; this "
                           f"autograd_lite reads versions up to {VERSION}: upgrade autograd_lite")
        return manifest, [_array(zf, i, entry, names) for i, entry in
                          enumerate(_list(manifest, "arrays"))]


def _not_a_zip(head, f, start, error):
    f.seek(0, io.SEEK_END)
    size = f.tell() - start
    if size == 0:
        return "is empty (0 bytes): not an autograd_lite checkpoint"
    if head.startswith(b"PK"):
        return (f"is truncated or corrupted: it starts like a zip archive but its end (the zip "
                f"central directory) is missing or damaged ({size} bytes; {error})")
    if head[:1] == b"\x80":
        return ("is not a zip archive: it looks like a pickle (such as a legacy torch.save file), "
                "which autograd_lite never loads because unpickling can run code")
    return f"is not an autograd_lite checkpoint: not a zip archive ({size} bytes, starting {head!r})"


def _list(manifest, key):
    value = manifest.get(key)
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise _BadFile(f"has a malformed manifest: {key!r} is not a list of entries")
    return value


def _array(zf, i, entry, names):
    member = entry.get("file")
    if member not in names:
        raise _BadFile(f"is corrupted: array {i}'s member {member!r} is missing")
    try:
        needed = math.prod(entry["shape"]) * np.dtype(entry["dtype"]).itemsize
    except Exception as e:                          # noqa: BLE001  (any failure: a bad file)
        raise _BadFile(f"has a malformed manifest: array entry {entry} ({type(e).__name__}: {e})") \
            from None
    if zf.getinfo(member).file_size < needed:       # before read_array allocates the array
        raise _BadFile(f"is corrupted: member {member!r} is smaller than the {needed} bytes "
                       "its manifest entry needs")
    try:
        with zf.open(member) as fp:
            array = np.lib.format.read_array(fp, allow_pickle=False)
            if fp.read(1):
                raise ValueError("trailing bytes after the array")
    except Exception as e:                          # noqa: BLE001  (any failure: a bad file)
        raise _BadFile(f"is corrupted: member {member!r} is not a valid array "
                       f"({type(e).__name__}: {e})") from None
    if array.dtype.str != entry.get("dtype") or list(array.shape) != entry.get("shape"):
        raise _BadFile(f"is corrupted: member {member!r} holds a {array.dtype.str} array of shape "
                       f"{list(array.shape)}, the manifest says {entry.get('dtype')} of shape "
                       f"{entry.get('shape')}")
    return array


def _tensor(entry, arrays):
    try:
        array = arrays[entry["array"]]
        dt = _dtype.from_numpy_dtype(array.dtype)
        if entry["dtype"] != dt.name or not isinstance(entry["device"], str) or \
                entry["requires_grad"] not in (True, False) or entry["parameter"] not in (True, False) \
                or entry["requires_grad"] and not dt.is_floating_point:
            raise ValueError(f"tensor entry {entry} doesn't match its {array.dtype} array")
        return Tensor._make(array)
    except (KeyError, TypeError, IndexError, ValueError) as e:
        raise _BadFile(f"has a malformed manifest: bad tensor entry ({type(e).__name__}: {e})") \
            from None


def _place(t, entry, map_location, name):
    """The tensor on its device (map_location applied), with requires_grad and its class."""
    saved = entry["device"]
    if callable(map_location):
        moved = map_location(t, saved)
        if moved is not None and not isinstance(moved, Tensor):
            raise TypeError(f"autograd_lite.load: map_location returned {type(moved).__name__}, "
                            "expected a Tensor or None")
        t, target = (moved, None) if moved is not None else (t, saved)
    elif isinstance(map_location, dict):
        target = map_location.get(saved, saved)
    else:
        target = saved if map_location is None else map_location
    if target is not None and _device(target) != t.device:
        try:
            get_backend(target)
        except RuntimeError as e:
            hint = "; pass map_location='cpu' to load them on the CPU" if map_location is None else ""
            raise RuntimeError(f"autograd_lite.load: {name!r}: can't place tensors saved on "
                               f"'{saved}' on '{target}': {e}{hint}") from None
        t = t.to(target)
    if entry["parameter"] and _parameter_class() is not None:
        return _parameter_class()(t, requires_grad=entry["requires_grad"])
    if entry["requires_grad"]:
        t.requires_grad = True
    return t


class _Decoder:
    def __init__(self, arrays, tensors):
        self.arrays, self.tensors = arrays, tensors

    def node(self, n):
        if type(n) in _SCALARS:
            return n
        if type(n) is list:
            return [self.node(x) for x in n]
        kind = n["type"]
        if kind == "tensor":
            return self.tensors[n["index"]]
        if kind == "ndarray":
            return self.arrays[n["index"]]
        if kind == "numpy_scalar":
            return self.arrays[n["index"]][()]
        if kind in ("dict", "OrderedDict"):
            return _TYPES[kind]((self.node(k), self.node(v)) for k, v in n["items"])
        if kind in ("tuple", "set", "frozenset"):
            return _TYPES[kind](self.node(x) for x in n["items"])
        if kind == "float":
            return float({"nan": "nan", "inf": "inf", "-inf": "-inf"}[n["value"]])
        if kind == "bytes":
            return base64.b64decode(n["base64"], validate=True)
        if kind == "dtype":
            return _dtype.to_dtype(n["name"])
        if kind == "device":
            return _device(n["name"])
        raise ValueError(f"unknown node type {kind!r}")
