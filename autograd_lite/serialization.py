"""``save`` / ``load``: checkpoints as a zip of a JSON manifest plus ``.npy`` arrays; other objects
(a whole model) are pickled beside them and load only with ``weights_only=False``; ``load`` also
reads ``torch.save`` files through an allow-list unpickler (``_torch_format``), and
``save(..., format='torch')`` writes them.

Layout of the zip (members stored uncompressed, fixed timestamps, so equal objects give equal
bytes)::

    manifest.json   {"format": "autograd_lite.save", "version": 1,
                     "arrays":  [{"file": "arrays/0.npy", "dtype": "<f4", "shape": [128, 784]}],
                     "tensors": [{"array": 0, "requires_grad": false, "device": "cpu",
                                  "parameter": false}],
                     "pickles": [{"file": "objects/0.pkl", "class": "model.Net"}],
                     "object":  <node>}
    arrays/0.npy    written by numpy.lib.format with allow_pickle=False
    objects/0.pkl   a pickle whose Tensors are persistent ids: indices into "tensors"

A node is a JSON string, finite number, true/false or null (that Python value), a JSON array (a
list), or an object tagged by "type": tensor / ndarray / numpy_scalar (an index into the tables),
tuple / set / frozenset ("items"), dict / OrderedDict ("items": [key node, value node] pairs, so
int, float, bool, None and tuple keys keep their type and order), float ("nan", "inf", "-inf"),
bytes ("base64"), dtype and device ("name"), or "pickle" (an index into "pickles") for anything
else, as ``torch.save`` pickles a whole model. Loading builds only the types above, so no code runs,
unless the file holds pickles and ``weights_only=False`` says that its source is trusted.

Sparse and quantized tensors are nodes of their component tensors (indices into "tensors"), rebuilt
through the creation functions' invariant checks::

    {"type": "sparse_coo", "indices": i, "values": j, "size": [2, 3], "coalesced": false,
     "requires_grad": false}
    {"type": "sparse_csr" or "sparse_csc", "compressed_indices": i, "plain_indices": j, "values": k,
     "size": [2, 3], "requires_grad": false}
    {"type": "quantized", "int_repr": i, "dtype": "qint8", "qscheme": "per_tensor_affine",
     "scale": 0.1, "zero_point": 0}          (per channel: "scales": j, "zero_points": k, "axis": 0)
"""
import base64
import collections
import contextlib
import hashlib
import io
import json
import math
import os
import pickle
import re
import struct
import time
import zipfile

import numpy as np

from . import _dtype, _torch_format
from .backend import device as _device, get_backend
from .tensor import Tensor

__all__ = ["save", "load"]

FORMAT, VERSION, MANIFEST = "autograd_lite.save", 1, "manifest.json"
_SCALARS = (str, int, float, bool, type(None))
_TYPES = {"dict": dict, "OrderedDict": collections.OrderedDict, "tuple": tuple, "set": set,
          "frozenset": frozenset}
_NAMES = {t: name for name, t in _TYPES.items()}
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_STRUCTURED = ("COO", "CSR", "QArray")          # raw arrays of sparse and quantized tensors: saved by their parts
# the fields of their nodes (besides "type"): a node with any other is refused
_FIELDS = {"sparse_coo": {"indices", "values", "size", "coalesced", "requires_grad"},
           "sparse_csr": {"compressed_indices", "plain_indices", "values", "size", "requires_grad"},
           "quantized": {"int_repr", "dtype", "qscheme", "scale", "zero_point"},
           "quantized per channel": {"int_repr", "dtype", "qscheme", "scales", "zero_points", "axis"}}
_FIELDS["sparse_csc"] = _FIELDS["sparse_csr"]


# ---- save ----------------------------------------------------------------------------------------
class _Encoder:
    """Turns an object into a manifest node, collecting the arrays it holds. Tensors and arrays
    are memoised by identity: the same object saved twice is stored once and loads as one."""

    def __init__(self):
        self.arrays, self.tensors = [], []
        self._array_ids, self._tensor_ids, self._bits, self._structured_nodes = {}, {}, {}, {}
        self._keep = []                  # keeps memoised objects alive so their ids stay unique
        self._active = set()             # containers being encoded (a cycle would recurse forever)
        self.pickles = []                # [(bytes, class name)] of the objects only pickle can store

    def node(self, obj, path):
        t = type(obj)
        if t in (str, bool, type(None)) or t is int:
            return obj
        if t is float:
            return obj if math.isfinite(obj) else {"type": "float", "value": repr(obj)}
        if isinstance(obj, Tensor):
            if type(obj._data).__name__ in _STRUCTURED:
                return self._structured(obj, path)
            return {"type": "tensor", "index": self._tensor(obj, path)}
        if isinstance(obj, np.ndarray):                 # subclasses (memmap) load as ndarray
            array = obj if t is np.ndarray else obj.view(np.ndarray)
            return {"type": "ndarray", "index": self._array(array, path)}
        if isinstance(obj, np.generic):
            return {"type": "numpy_scalar", "index": self._array(np.asarray(obj), path)}
        if t is bytes:
            return {"type": "bytes", "base64": base64.b64encode(obj).decode("ascii")}
        if isinstance(obj, _dtype.dtype):       # (bfloat16's is a subclass)
            return {"type": "dtype", "name": obj.name}
        if t is _device:
            return {"type": "device", "name": str(obj)}
        if t is list or t in _NAMES:
            return self._container(obj, path)
        return {"type": "pickle", "index": self._pickle(obj, path)}

    def _pickle(self, obj, path):
        """Pickles `obj` (a model, say), its Tensors stored as the checkpoint's own tensors."""
        encoder = self

        class TensorsAside(pickle.Pickler):
            def persistent_id(self, value):     # sparse and quantized tensors pickle themselves
                return encoder._tensor(value, path) if isinstance(value, Tensor) and \
                    type(value._data).__name__ not in _STRUCTURED else None

        buffer = io.BytesIO()
        try:
            TensorsAside(buffer, protocol=4).dump(obj)
        except (pickle.PicklingError, TypeError, AttributeError) as e:
            raise TypeError(_unsupported(obj, path, e)) from None
        self.pickles.append((buffer.getvalue(), _class_name(obj)))
        return len(self.pickles) - 1

    def _structured(self, t, path):
        """The node of a sparse or quantized tensor: its component arrays as tensors of the table."""
        if id(t) not in self._structured_nodes:     # the same node again: load rebuilds it once
            self._keep.append(t)
            self._structured_nodes[id(t)] = self._structured_node(t, path)
        return self._structured_nodes[id(t)]

    def _structured_node(self, t, path):
        d, part = t._data, lambda a: self._tensor(Tensor._make(a), path)      # noqa: E731
        kind = type(d).__name__
        if kind == "COO":
            return {"type": "sparse_coo", "indices": part(d.indices), "values": part(d.values),
                    "size": list(d.shape), "coalesced": bool(d.coalesced), "requires_grad": bool(t.requires_grad)}
        if kind == "CSR":
            return {"type": "sparse_csc" if d.csc else "sparse_csr", "compressed_indices": part(d.compressed),
                    "plain_indices": part(d.plain), "values": part(d.values), "size": list(d.shape),
                    "requires_grad": bool(t.requires_grad)}
        node = {"type": "quantized", "int_repr": part(d.ints), "dtype": d.qdtype.name, "qscheme": d.qscheme.name}
        if d.axis is None:
            node.update(scale=float(d.scale), zero_point=int(d.zero_point))
        else:
            node.update(scales=part(d.scale), zero_points=part(d.zero_point), axis=int(d.axis))
        return node

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
        if t in _SCALARS or t in (tuple, _device) or isinstance(key, (np.generic, _dtype.dtype)):
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
            if _dtype.is_bfloat16(host.dtype):      # .npy has no bfloat16: its bits, as uint16 (one view per array)
                host = self._bits.setdefault(id(host), (host, host.view(np.uint16)))[1]
            elif host.dtype.itemsize == 1 and host.dtype.kind in "Vf":    # nor float8: its bits, as uint8
                host = self._bits.setdefault(id(host), (host, host.view(np.uint8)))[1]
            entry = {"array": self._array(host, path), "dtype": t.dtype.name,
                     "shape": list(host.shape), "requires_grad": bool(t.requires_grad),
                     "device": str(t.device), "parameter": _is_parameter(t)}
            index = self._tensor_ids[id(t)] = len(self.tensors)
            self._keep.append(t)
            self.tensors.append(entry)
        return index


def _host(array):
    return array if type(array) is np.ndarray else array.get()


def _parameter_class():
    from . import nn
    return getattr(nn, "Parameter", None)


def _is_parameter(t):
    cls = _parameter_class()
    return cls is not None and isinstance(t, cls)


def _class_name(obj):
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _unsupported(obj, path, error):
    hint = " (or save model.state_dict(), which needs no pickle)" if hasattr(obj, "state_dict") else ""
    return (f"autograd_lite.save: can't save an object of type '{_class_name(obj)}' at {path}: it is "
            f"not a Tensor, array, container or scalar, and pickling it failed ({error}){hint}")


def save(obj, f, *, format="autograd_lite", _use_new_zipfile_serialization=None):
    """Saves `obj` (a state_dict, an optimizer state, or dicts/lists of Tensors, numbers and
    strings) to `f`, a path or a writable binary file object.

    To a path the write is atomic: the checkpoint goes to a temporary file in the same directory
    (``.<name>.<hash>.<random>.tmp``), is flushed to disk, then renamed over `f`, so a crash
    mid-save leaves the old file intact; the next save to `f` removes such a leftover once it is an
    hour old.
    Unsupported objects raise TypeError naming the type and where in `obj` it was found.

    Args:
        format: ``'autograd_lite'`` (the default: a zip of JSON and ``.npy`` arrays, described
            above) or ``'torch'``: PyTorch's own zip format (pickle protocol 2 with the globals
            ``torch.save`` writes, storages as raw little-endian bytes), which
            ``torch.load(f, weights_only=True)`` reads; it holds Tensors (Parameters stay
            Parameters; sparse COO / CSR / CSC and quantized ones as torch pickles them), dicts, OrderedDicts, lists, tuples, sets, str, bytes, int, float, bool,
            None, dtypes and devices.
        _use_new_zipfile_serialization: PyTorch's name for its zip format: True is
            ``format='torch'``; False (PyTorch's legacy format) is refused: it is read, not written.

    Example::

        >>> autograd_lite.save({'epoch': 3, 'state_dict': model.state_dict()}, 'checkpoint.pth')
        >>> autograd_lite.save(model.state_dict(), 'for_pytorch.pth', format='torch')
        >>> # in PyTorch: model.load_state_dict(torch.load('for_pytorch.pth', weights_only=True))
    """
    if _use_new_zipfile_serialization is not None:
        if _use_new_zipfile_serialization is not True:
            raise ValueError("autograd_lite.save: _use_new_zipfile_serialization=False (PyTorch's "
                             "legacy format) is not written; autograd_lite.load reads it")
        format = "torch"
    if format == "torch":
        write = lambda fp: _torch_format.write_zip(fp, obj, _parameter_class())  # noqa: E731
        if isinstance(f, (str, bytes, os.PathLike)):
            _atomic_write(os.fsdecode(f), write)
        else:
            write(f)
        return
    if format != "autograd_lite":
        raise ValueError(f"autograd_lite.save: format must be 'autograd_lite' or 'torch', "
                         f"got {format!r}")
    enc = _Encoder()
    root = enc.node(obj, "obj")
    manifest = {"format": FORMAT, "version": VERSION,
                "arrays": [{"file": f"arrays/{i}.npy", "dtype": a.dtype.str, "shape": list(a.shape)}
                           for i, a in enumerate(enc.arrays)],
                "tensors": enc.tensors, "object": root}
    if enc.pickles:
        manifest["pickles"] = [{"file": f"objects/{i}.pkl", "class": cls}
                               for i, (_, cls) in enumerate(enc.pickles)]
    payload = json.dumps(manifest, allow_nan=False, separators=(",", ":")).encode("utf-8")
    pickles = [data for data, _ in enc.pickles]
    if isinstance(f, (str, bytes, os.PathLike)):
        _atomic_write(os.fsdecode(f), lambda fp: _write_zip(fp, payload, enc.arrays, pickles))
    else:
        _write_zip(f, payload, enc.arrays, pickles)


def _write_zip(fp, manifest, arrays, pickles):
    with zipfile.ZipFile(fp, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(zipfile.ZipInfo(MANIFEST, _ZIP_DATE), manifest)
        for i, array in enumerate(arrays):
            _write_array(zf, f"arrays/{i}.npy", array)
        for i, data in enumerate(pickles):
            zf.writestr(zipfile.ZipInfo(f"objects/{i}.pkl", _ZIP_DATE), data)


def _write_array(zf, name, array):
    big = array.nbytes + 65536 >= zipfile.ZIP64_LIMIT
    with zf.open(zipfile.ZipInfo(name, _ZIP_DATE), "w", force_zip64=big) as member:
        np.lib.format.write_array(member, array, allow_pickle=False)


def _atomic_write(path, write):
    directory, base = os.path.split(os.path.realpath(path))     # through a symlink, as open() would
    if not os.path.isdir(directory):
        raise RuntimeError(f"autograd_lite.save: parent directory {directory} does not exist")
    target, prefix = os.path.join(directory, base), _temp_prefix(base)
    _remove_stale_temps(directory, prefix)
    tmp, fd = os.path.join(directory, f"{prefix}{os.urandom(8).hex()}.tmp"), None
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)   # the OS applies the umask
        with os.fdopen(fd, "wb") as fp:
            with contextlib.suppress(FileNotFoundError):        # an existing file keeps its mode
                os.fchmod(fp.fileno(), os.stat(target).st_mode & 0o7777)
            write(fp)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(e, OSError) and e.filename == tmp:      # name the file the user asked for
            raise OSError(e.errno, e.strerror, path) from None
        raise
    with contextlib.suppress(OSError):              # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _temp_prefix(base):
    """``.<start of the name>.<hash of the name>.``: short whatever the name's length (NAME_MAX),
    and shared only by temporary files of this same target."""
    return f".{base[:32]}.{hashlib.sha256(os.fsencode(base)).hexdigest()[:16]}."


def _remove_stale_temps(directory, prefix):
    """Removes the temporary files that killed saves to this target left behind."""
    pattern = re.compile(re.escape(prefix) + r"[0-9a-f]{16}\.tmp")
    # a live save keeps writing (pids mean nothing across hosts): an hour untouched, its save died
    cutoff = time.time() - 3600
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):      # gone meanwhile, or another save's to remove
                if pattern.fullmatch(entry.name) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)


# ---- load ----------------------------------------------------------------------------------------
class _BadFile(Exception):
    """What is wrong with the file; `load` reports it as a RuntimeError naming the file."""


def load(f, map_location=None, weights_only=None):
    """Loads an object saved by `save`, or by PyTorch's ``torch.save``, from `f`, a path or a
    readable binary file object.

    Args:
        map_location: where tensors go: None (the device they were saved from), a device or
            device string, a dict mapping saved device strings to devices (``{'cuda:0': 'cpu'}``),
            or a callable ``fn(tensor, saved_device_str)`` returning a Tensor or None (default).
        weights_only: True or None (the default, as PyTorch's since 2.6): only Tensors, arrays,
            containers and scalars load, so loading never runs code; a checkpoint that holds
            pickled objects (``save(model)``) raises ``pickle.UnpicklingError`` before anything of
            it is unpickled. False: those objects are unpickled too, which can run any code the
            file holds: only for files from a source you trust. ``torch.save`` files always go
            through the allow-list below.

    ``torch.save`` files (the zip format and the legacy ``_use_new_zipfile_serialization=False``
    stream) go through an allow-list unpickler: tensors (Parameters load as ``nn.Parameter``),
    their storages, OrderedDict, dicts, lists, tuples, sets, strings, bytes, numbers, dtypes and
    devices; any other global, call or object build raises ``pickle.UnpicklingError`` naming it,
    before anything from the file is run. Declared sizes are checked against the bytes present
    before anything is allocated; tensors viewing one storage share its memory. bfloat16 tensors
    load as bfloat16 (with ml_dtypes installed; without it as float32, exactly, with a warning); sparse COO /
    CSR / CSC tensors and quantized ones (per tensor or per channel affine) load through their invariant checks;
    complex ones are refused.

    A truncated, corrupted or foreign file raises RuntimeError naming it and saying what is
    wrong; so does one with compressed or repeated members, or members claiming more bytes than
    the file holds, before anything is allocated for them.

    Example::

        >>> checkpoint = autograd_lite.load('checkpoint.pth', map_location='cpu')
        >>> model.load_state_dict(checkpoint['state_dict'])
        >>> model.load_state_dict(autograd_lite.load('resnet18-f37072fd.pth'))  # from torch.save
        >>> model = autograd_lite.load('model.pth', weights_only=False)  # save(model); trusted file
    """
    if weights_only not in (None, True, False):
        raise TypeError(f"autograd_lite.load: weights_only must be a bool or None, got {weights_only!r}")
    name = os.fsdecode(f) if isinstance(f, (str, bytes, os.PathLike)) else \
        str(getattr(f, "name", type(f).__name__))
    with contextlib.ExitStack() as stack:
        if isinstance(f, (str, bytes, os.PathLike)):
            f = stack.enter_context(open(f, "rb"))
        elif not (hasattr(f, "seekable") and f.seekable()):
            f = io.BytesIO(f.read())

        try:
            start = f.tell()
            found = _read(f)
            if found[0] is _TORCH:
                f.seek(start)
                return _load_torch(f, found[1], map_location, name)
            manifest, arrays, pickles = found
            tensors = [_tensor(entry, arrays) for entry in _list(manifest, "tensors")]
        except _BadFile as e:
            raise RuntimeError(f"autograd_lite.load: {name!r} {e}") from None
        if pickles and weights_only is not False:
            classes = sorted({entry["class"] for entry in manifest["pickles"]})
            raise pickle.UnpicklingError(
                f"autograd_lite.load: {name!r}: weights-only load failed: it holds pickled objects "
                f"of types {classes}, saved whole (save(model) rather than save(model.state_dict())). "
                "Re-running load with weights_only=False will likely succeed, but it can result in "
                "arbitrary code execution. Do it only if you got the file from a trusted source.")
        tensors = [_place(t, entry, map_location, name)
                   for t, entry in zip(tensors, manifest["tensors"])]
        try:
            return _Decoder(arrays, tensors, pickles).node(manifest["object"])
        except _UnpicklingFailed as e:
            raise e.__cause__ from None
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError) as e:
            raise RuntimeError(f"autograd_lite.load: {name!r} has a malformed manifest "
                               f"({type(e).__name__}: {e})") from None


_TORCH = object()       # _read's tag for a torch.save file: (_TORCH, its archive prefix or None)


def _load_torch(f, prefix, map_location, name):
    """The object of a torch.save file: the zip format (`prefix`, its archive folder) or the
    legacy pickle stream (`prefix` None)."""
    try:
        if prefix is None:
            start = f.tell()
            size = f.seek(0, io.SEEK_END) - start
            f.seek(start)
            return _torch_format.load_legacy(f, size, map_location, name, _place)
        with zipfile.ZipFile(f) as zf:
            return _torch_format.load_zip(zf, prefix, map_location, name, _place)
    except pickle.UnpicklingError as e:
        if prefix is None and "magic number" in str(e):
            raise _BadFile("is not a zip archive: it looks like a pickle, but not a PyTorch "
                           "checkpoint (no torch.save magic number); autograd_lite never "
                           "unpickles arbitrary objects") from None
        raise pickle.UnpicklingError(f"autograd_lite.load: {name!r}: weights-only load failed: "
                                     f"{e}") from None
    except (zipfile.BadZipFile, EOFError, UnicodeDecodeError, struct.error) as e:
        raise _BadFile(f"is corrupted ({type(e).__name__}: {e})") from None


def _read(f):
    """(manifest, arrays) of our format, or (_TORCH, prefix) for a torch.save file."""
    start = f.tell()
    head = f.read(8)
    f.seek(0, io.SEEK_END)
    size = f.tell() - start
    f.seek(start + 257)
    if f.read(5) == b"ustar":
        raise _BadFile("is a tar archive: PyTorch's pre-1.0 (tar) checkpoint format is not "
                       "supported; load it with an old torch and save it again")
    f.seek(start)
    try:
        zf = zipfile.ZipFile(f)
    except Exception as e:                          # noqa: BLE001  (any failure: a bad file)
        if head[:1] == b"\x80":
            return _TORCH, None
        raise _BadFile(_not_a_zip(head, size, e)) from None
    with zf:
        _check_members(zf.infolist(), size)
        names = set(zf.namelist())
        if MANIFEST not in names:
            prefix = _torch_format.is_torch_zip(names)
            if prefix is not None:
                return _TORCH, prefix
            shown = sorted(names)[:5] + (["..."] if len(names) > 5 else [])
            raise _BadFile(f"is a zip archive without an autograd_lite manifest ({MANIFEST!r}) "
                           f"nor a PyTorch data.pkl; its members are {shown}")
        try:
            manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
        except Exception as e:                      # noqa: BLE001  (any failure: a bad file)
            raise _BadFile(f"is corrupted: its manifest can't be read ({type(e).__name__}: {e})") \
                from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise _BadFile(f"is a zip archive whose {MANIFEST!r} is not an autograd_lite manifest")
        version = manifest.get("version")
        if type(version) is int and version > VERSION:
            raise _BadFile(f"was saved by a newer autograd_lite (format version {version}); this "
                           f"one reads version {VERSION}: upgrade autograd_lite")
        if type(version) is not int or version != VERSION:
            raise _BadFile(f"has an unknown format version {version!r}; this autograd_lite reads "
                           f"version {VERSION}")
        entries = [_array_entry(zf, i, e, names) for i, e in enumerate(_list(manifest, "arrays"))]
        repeated = _repeated(member for member, _, _ in entries)
        if repeated:        # one member read as several arrays would cost memory the file doesn't hold
            raise _BadFile(f"is corrupted: its manifest lists members {repeated} more than once")
        arrays = [_array(zf, *entry) for entry in entries]
        return manifest, arrays, _pickles(zf, manifest, names)


def _pickles(zf, manifest, names):
    """The bytes of the pickled objects the manifest lists (none in a checkpoint of tensors)."""
    if "pickles" not in manifest:
        return []
    found = []
    for i, entry in enumerate(_list(manifest, "pickles")):
        member = entry.get("file")
        if type(member) is not str or type(entry.get("class")) is not str:
            raise _BadFile(f"has a malformed manifest: pickle entry {entry}")
        if member not in names:
            raise _BadFile(f"is corrupted: pickle {i}'s member {member!r} is missing")
        found.append(zf.read(member))
    return found


def _check_members(infos, size):
    """Refuses, before anything is read, what `save` never writes: `save` stores each member once,
    uncompressed, so no member inflates and the members' sizes add up to at most the file's."""
    repeated = _repeated(info.filename for info in infos)
    if repeated:
        raise _BadFile(f"is corrupted: it holds several members named {repeated}")
    packed = [i.filename for i in infos
              if i.compress_type != zipfile.ZIP_STORED or i.compress_size != i.file_size][:5]
    if packed:
        raise _BadFile(f"holds compressed members {packed}, which autograd_lite.save never writes: "
                       "they are refused rather than inflated to sizes the file doesn't show")
    claimed = sum(i.file_size for i in infos)
    if claimed > size:
        raise _BadFile(f"is corrupted: its members claim {claimed} bytes, more than the file's {size}")


def _repeated(names):
    """The first few names that occur more than once."""
    return sorted(name for name, count in collections.Counter(names).items() if count > 1)[:5]


def _not_a_zip(head, size, error):
    if size == 0:
        return "is empty (0 bytes): not an autograd_lite checkpoint"
    if head.startswith(b"PK"):
        return (f"is truncated or corrupted: it starts like a zip archive but its end (the zip "
                f"central directory) is missing or damaged ({size} bytes; {error})")
    return f"is not an autograd_lite checkpoint: not a zip archive ({size} bytes, starting {head!r})"


def _list(manifest, key):
    value = manifest.get(key)
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise _BadFile(f"has a malformed manifest: {key!r} is not a list of entries")
    return value


def _array_entry(zf, i, entry, names):
    """An array entry's member, dtype and shape, checked against the member's size."""
    try:
        member, dtype, shape = entry["file"], np.dtype(entry["dtype"]), entry["shape"]
        if type(member) is not str or dtype.str != entry["dtype"] or type(shape) is not list or \
                not all(type(n) is int and n >= 0 for n in shape):
            raise ValueError("expected a member name, a NumPy dtype string such as '<f4' and a list "
                             "of sizes")
    except Exception as e:                          # noqa: BLE001  (any failure: a bad file)
        raise _BadFile(f"has a malformed manifest: array entry {entry} ({type(e).__name__}: {e})") \
            from None
    if member not in names:
        raise _BadFile(f"is corrupted: array {i}'s member {member!r} is missing")
    needed = math.prod(shape) * dtype.itemsize
    if zf.getinfo(member).file_size < needed:
        raise _BadFile(f"is corrupted: member {member!r} is smaller than the {needed} bytes "
                       "its manifest entry needs")
    return member, dtype, shape


def _array(zf, member, dtype, shape):
    """The member's array, once its .npy header matches the manifest entry: read_array allocates
    what the header says, while the manifest's sizes are the ones checked against the file's."""
    try:
        with zf.open(member) as fp:
            version = np.lib.format.read_magic(fp)
            # read_array_header_2_0 reads version 3 too: it differs only in field names' encoding
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            found, _, found_dtype = read_header(fp)
            matches = found_dtype.str == dtype.str and list(found) == shape
            if matches:
                fp.seek(0)
                array = np.lib.format.read_array(fp, allow_pickle=False)
                if fp.read(1):
                    raise ValueError("trailing bytes after the array")
    except Exception as e:                          # noqa: BLE001  (any failure: a bad file)
        raise _BadFile(f"is corrupted: member {member!r} is not a valid array "
                       f"({type(e).__name__}: {e})") from None
    if not matches:
        raise _BadFile(f"is corrupted: member {member!r} holds a {found_dtype.str} array of shape "
                       f"{list(found)}, the manifest says {dtype.str} of shape {shape}")
    return array


def _tensor(entry, arrays):
    try:
        array = arrays[entry["array"]]
        if entry.get("dtype") == "bfloat16" and array.dtype == np.uint16:       # saved as its bits
            array = _torch_format.bfloat16_from_bits(array)
            if array.dtype == np.float32:
                _torch_format.warn_widened()
        if str(entry.get("dtype")).startswith("float8_") and array.dtype == np.uint8:      # saved as its bits
            array = array.view(_dtype.to_dtype(entry["dtype"]).np)
        dt = _dtype.from_numpy_dtype(array.dtype)
        _device(entry["device"])                    # raises on anything but a device string
        if entry["dtype"] not in (dt.name, "bfloat16" if dt is _dtype.float32 else None) or \
                entry["requires_grad"] not in (True, False) or \
                entry["parameter"] not in (True, False) or \
                entry["requires_grad"] and not dt.is_floating_point:
            raise ValueError(f"tensor entry {entry} doesn't match its {array.dtype} array")
        return Tensor._make(array)
    except (KeyError, TypeError, IndexError, ValueError, RuntimeError) as e:
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
        t = _torch_format.for_device(t, _device(target)).to(target)
    if entry["parameter"] and _parameter_class() is not None:
        return _parameter_class()(t, requires_grad=entry["requires_grad"])
    if entry["requires_grad"]:
        t.requires_grad = True
    return t


class _UnpicklingFailed(Exception):
    """Carries a pickled object's own error (a class that no longer imports, say) past the
    manifest's error handling, so that `load` raises it unchanged."""


class _Decoder:
    def __init__(self, arrays, tensors, pickles=()):
        self.arrays, self.tensors, self.pickles = arrays, tensors, pickles
        self._unpickled, self._structured = {}, {}

    def _rebuild(self, kind, n):
        """A sparse or quantized tensor from its node: exactly its fields, each of its type, the tensor
        rebuilt through the invariant checks of _torch_format.rebuild_sparse / rebuild_quantized."""
        fields = _FIELDS["quantized per channel" if kind == "quantized" and "axis" in n else kind]
        if set(n) - {"type"} != fields:
            raise ValueError(f"a {kind} node must have the fields {sorted(fields)}, got {sorted(set(n) - {'type'})}")
        tensor = self._part
        if kind == "quantized":
            per_channel = "axis" in n
            scale, zp = (tensor(n["scales"])._data, tensor(n["zero_points"])._data) if per_channel else \
                (n["scale"], n["zero_point"])
            if type(n["dtype"]) is not str or type(n["qscheme"]) is not str:
                raise ValueError("a quantized node's dtype and qscheme must be names")
            return _torch_format.rebuild_quantized(tensor(n["int_repr"]).cpu()._data, _dtype.to_dtype(n["dtype"]),
                                                   n["qscheme"], scale if not per_channel else _host(scale),
                                                   zp if not per_channel else _host(zp), n.get("axis"))
        size = n["size"]
        if type(size) is not list or not all(type(v) is int and v >= 0 for v in size) or \
                n["requires_grad"] not in (True, False) or n.get("coalesced", False) not in (True, False):
            raise ValueError(f"a {kind} node's size must be a list of sizes, requires_grad (and coalesced) a bool")
        parts = ("indices", "values") if kind == "sparse_coo" else ("compressed_indices", "plain_indices", "values")
        out = _torch_format.rebuild_sparse(kind, [tensor(n[p]) for p in parts], size, n.get("coalesced"))
        return out.requires_grad_(True) if n["requires_grad"] else out

    def _part(self, index):
        t = self.tensors[index] if type(index) is int and index >= 0 else None
        if t is None or t.requires_grad or type(t) is not Tensor:
            raise ValueError(f"a sparse or quantized node's part must be the index of a plain tensor, got {index!r}")
        return t

    def _unpickle(self, index):
        """Pickle `index` unpickled once (objects saved twice load as one), its Tensors the
        checkpoint's own; `load` lets this run only with weights_only=False."""
        if index not in self._unpickled:
            tensors = self.tensors

            class TensorsAside(pickle.Unpickler):
                def persistent_load(self, pid):
                    return tensors[pid]

            try:
                self._unpickled[index] = TensorsAside(io.BytesIO(self.pickles[index])).load()
            except Exception as e:                  # noqa: BLE001  (the object's own error, raised as is)
                raise _UnpicklingFailed() from e
        return self._unpickled[index]

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
        if kind in ("sparse_coo", "sparse_csr", "sparse_csc", "quantized"):
            key = json.dumps(n, sort_keys=True)         # the same tensor saved twice loads as one
            if key not in self._structured:
                self._structured[key] = self._rebuild(kind, n)
            return self._structured[key]
        if kind == "pickle":
            if not self.pickles:
                raise ValueError("a pickle node, but the manifest lists no pickles")
            return self._unpickle(n["index"])
        raise ValueError(f"unknown node type {kind!r}")
