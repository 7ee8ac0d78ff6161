"""PyTorch's checkpoint formats without PyTorch: reading ``torch.save`` files (the zip format and the
legacy pickle stream) through an allow-list unpickler, and writing the zip format.

The unpickler interprets the pickle opcodes itself, like ``torch.load(weights_only=True)``: GLOBAL
resolves only the names in ``_ALLOWED`` (tensor rebuilds, storage types, dtypes, devices,
OrderedDict, set; for sparse and quantized tensors ``_rebuild_sparse_tensor`` with
``serialization._get_layout`` of sparse_coo / sparse_csr / sparse_csc, ``_rebuild_qtensor`` with the
qschemes and the QInt8 / QUInt8 / QInt32 storages, which no other rebuild accepts), REDUCE calls
only those, BUILD only sets attributes on an OrderedDict; anything else raises
``pickle.UnpicklingError`` naming it. Tensors come out of the pickle as ``_Pending``
records, checked against the sizes of their storages before any storage is read; ``load_zip`` /
``load_legacy`` then read the storages and replace each record with a Tensor.
"""
import collections
import io
import math
import pickle
import struct
import sys
import warnings
import zipfile

import numpy as np

from . import _dtype
from ._args import contiguous_strides
from ._memory_format import LAYOUTS as _LAYOUT_NAMES
from .backend import device as _device
from .tensor import Tensor, Size

__all__ = ["load_zip", "load_legacy", "write_zip", "MAGIC_NUMBER", "is_torch_zip"]

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
UnpicklingError = pickle.UnpicklingError

# storage type name -> NumPy dtype of its bytes (bfloat16's are read as uint16, then viewed as ml_dtypes' bfloat16).
# torch has no typed storage of uint16/32/64 (it saves them as untyped storages with a dtype): the UInt* names are
# ours, for _rebuild_tensor_v3.
_STORAGES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
             "BFloat16Storage": "bfloat16", "LongStorage": "<i8", "IntStorage": "<i4",
             "ShortStorage": "<i2", "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
             "UntypedStorage": "u1", "UInt16Storage": "<u2", "UInt32Storage": "<u4", "UInt64Storage": "<u8"}
_UNSUPPORTED_STORAGES = ("ComplexFloatStorage", "ComplexDoubleStorage", "QUInt4x2Storage", "QUInt2x4Storage")
# a quantized tensor's integers: storage name -> (NumPy dtype, quantized dtype); read only through _rebuild_qtensor
_QSTORAGES = {"QInt8Storage": ("i1", "qint8"), "QUInt8Storage": ("u1", "quint8"), "QInt32Storage": ("<i4", "qint32")}
_STORAGES.update({name: np_dtype for name, (np_dtype, _) in _QSTORAGES.items()})
_QSCHEMES = ("per_tensor_affine", "per_channel_affine", "per_tensor_symmetric", "per_channel_symmetric",
             "per_channel_affine_float_qparams")
_SPARSE_LAYOUTS = ("sparse_coo", "sparse_csr", "sparse_csc")
_STORAGE_OF = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
               "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
               "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage", "bfloat16": "BFloat16Storage",
               "uint16": "UInt16Storage", "uint32": "UInt32Storage", "uint64": "UInt64Storage"}
_FLOAT8 = tuple(d.name for d in _dtype.FLOAT8)      # as uint16: untyped storages in torch's files; read as bytes
_STORAGES.update({f"F{n[1:]}Storage": n for n in _FLOAT8})
_STORAGE_OF.update({n: f"F{n[1:]}Storage" for n in _FLOAT8})
_UNTYPED = ("uint16", "uint32", "uint64") + _FLOAT8   # written as torch does: an UntypedStorage and _rebuild_tensor_v3
_BYTES_OF = {"bfloat16": 2, **dict.fromkeys(_FLOAT8, 1)}


class _StorageType:
    def __init__(self, name):
        self.name = name
        if name in _UNSUPPORTED_STORAGES:
            self.dtype = None
        else:
            self.dtype = _STORAGES[name]

    @property
    def itemsize(self):
        return _BYTES_OF.get(self.dtype) or np.dtype(self.dtype).itemsize

    def check(self):
        if self.dtype is None:
            raise UnpicklingError(f"torch.{self.name} tensors are not supported by autograd_lite "
                                  "(it has no complex dtypes, nor quint4x2 / quint2x4)")


class _Storage:
    """A storage declared in the pickle: its bytes are read once every declaration is known."""

    def __init__(self, key, stype, location, numel):
        self.key, self.stype, self.location, self.numel = key, stype, location, numel
        self.array = None           # 1-D, filled by the format's reader


class _StorageView:
    """The legacy format's view of a root storage (offset and size in elements)."""

    def __init__(self, root, offset, numel):
        self.root, self.offset, self.numel, self.stype = root, offset, numel, root.stype


class _Pending:
    """A tensor to build once its storage is read."""

    def __init__(self, storage, offset, size, stride, requires_grad, parameter=False):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad, self.parameter = requires_grad, parameter


class _Marker:
    def __init__(self, name):
        self.name = name


class _PendingQuantized:
    """A quantized tensor to build once its integers' storage is read: `ints` a _Pending, the qparams checked."""

    def __init__(self, ints, qdtype, scheme, scale, zero_point, axis):
        self.ints, self.qdtype, self.scheme = ints, qdtype, scheme
        self.scale, self.zero_point, self.axis = scale, zero_point, axis


class _PendingSparse:
    """A sparse tensor to build once its component tensors (_Pending) are read."""

    def __init__(self, layout, parts, size, coalesced):
        self.layout, self.parts, self.size, self.coalesced = layout, parts, size, coalesced


_TENSOR_TYPE, _PARAMETER_TYPE = _Marker("torch.Tensor"), _Marker("torch.nn.parameter.Parameter")


def _ints(value, what):
    if not isinstance(value, (tuple, list)) or not all(type(v) is int and v >= 0 for v in value):
        raise UnpicklingError(f"a tensor's {what} must be a tuple of non-negative ints, got {value!r}")
    return tuple(value)


def _rebuild_tensor(storage, storage_offset, size, stride, _quantized=False):
    if not isinstance(storage, (_Storage, _StorageView)):
        raise UnpicklingError(f"a tensor rebuild got {type(storage).__name__} instead of a storage")
    if (storage.stype.name in _QSTORAGES) != _quantized:     # quantized integers come only with their qparams
        raise UnpicklingError(f"a torch.{storage.stype.name} is accepted only in _rebuild_qtensor" if not _quantized
                              else f"_rebuild_qtensor got a torch.{storage.stype.name}, not a quantized storage")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if type(storage_offset) is not int or storage_offset < 0 or len(size) != len(stride):
        raise UnpicklingError(f"bad tensor layout: offset {storage_offset!r}, size {size}, "
                              f"stride {stride}")
    numel = math.prod(size)
    last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) if numel else \
        storage_offset - 1
    if last >= storage.numel:      # checked before any storage is read or allocated
        raise UnpicklingError(f"a tensor of size {list(size)}, stride {list(stride)} at offset "
                              f"{storage_offset} reaches past its storage of {storage.numel} "
                              "elements")
    return _Pending(storage, storage_offset, size, stride, False)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    t.requires_grad = requires_grad is True
    return t


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                       metadata=None):
    if not isinstance(dtype, _dtype.dtype):
        raise UnpicklingError(f"a tensor of dtype {dtype!r} is not supported by autograd_lite")
    if not isinstance(storage, _Storage) or storage.stype.name != "UntypedStorage" or \
            storage.numel % dtype.itemsize:
        raise UnpicklingError("_rebuild_tensor_v3 expects an untyped storage of whole elements")
    typed = _Storage(storage.key, _StorageType(_STORAGE_OF[dtype.name]), storage.location,
                     storage.numel // dtype.itemsize)
    typed.untyped = storage
    return _rebuild_tensor_v2(typed, storage_offset, size, stride, requires_grad, backward_hooks)


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    if not isinstance(data, _Pending):
        raise UnpicklingError(f"a Parameter rebuild got {type(data).__name__} instead of a tensor")
    return _Pending(data.storage, data.offset, data.size, data.stride, requires_grad is True, True)


def _rebuild_from_type(func, new_type, args, state):
    if func not in (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter) \
            or new_type not in (_TENSOR_TYPE, _PARAMETER_TYPE) or not isinstance(args, tuple):
        raise UnpicklingError("_rebuild_from_type_v2 is accepted only for plain tensors and "
                              "Parameters")
    t = func(*args)
    if new_type is _PARAMETER_TYPE:
        t.parameter = True
    return t


def _rebuild_qtensor(storage, storage_offset, size, stride, quantizer_params, requires_grad, backward_hooks):
    """torch._utils._rebuild_qtensor: the integers' layout checked as any tensor's, the qparams' types and sizes here
    (their values once the storages are read, in rebuild_quantized)."""
    ints = _rebuild_tensor(storage, storage_offset, size, stride, _quantized=True)
    params = quantizer_params
    if type(params) is not tuple or not params or not isinstance(params[0], _QScheme) or requires_grad is not False:
        raise UnpicklingError(f"_rebuild_qtensor: malformed quantizer params {params!r:.80} or requires_grad "
                              f"{requires_grad!r}")
    scheme, qdtype = params[0].name, _QSTORAGES[storage.stype.name][1]
    if scheme == "per_tensor_affine" and len(params) == 3:
        return _PendingQuantized(ints, qdtype, scheme, params[1], params[2], None)
    if scheme in ("per_channel_affine", "per_channel_affine_float_qparams") and len(params) == 4:
        _, scales, zero_points, axis = params
        if type(axis) is not int or not 0 <= axis < len(ints.size):
            raise UnpicklingError(f"_rebuild_qtensor: per_channel axis {axis!r} out of range for size {ints.size}")
        for what, v in (("scales", scales), ("zero_points", zero_points)):
            if not isinstance(v, _Pending) or v.size != (ints.size[axis],):
                raise UnpicklingError(f"_rebuild_qtensor: per_channel {what} must be a tensor of size[axis]="
                                      f"{ints.size[axis]} values")
        return _PendingQuantized(ints, qdtype, scheme, scales, zero_points, axis)
    raise UnpicklingError(f"Can't deserialize quantized tensor with qscheme torch.{scheme} ({len(params)} params)")


def _rebuild_sparse_tensor(layout, data):
    """torch._utils._rebuild_sparse_tensor for COO (indices, values, size[, is_coalesced]) and CSR / CSC
    (compressed indices, plain indices, values, size); the invariants are checked once the storages are read."""
    if not isinstance(layout, _Layout) or layout.name not in _SPARSE_LAYOUTS:
        raise UnpicklingError(f"rebuilding sparse tensor for layout {_describe(layout)} is not supported by "
                              "autograd_lite (only torch.sparse_coo, sparse_csr and sparse_csc)")
    coo = layout.name == "sparse_coo"
    if type(data) is not tuple or len(data) not in ((3, 4) if coo else (4,)):
        raise UnpicklingError(f"_rebuild_sparse_tensor: malformed {layout.name} data")
    parts, size = data[:2 if coo else 3], data[2 if coo else 3]
    coalesced = data[3] if coo and len(data) == 4 else None
    if not all(isinstance(p, _Pending) and not p.parameter for p in parts) or coalesced not in (None, True, False):
        raise UnpicklingError(f"_rebuild_sparse_tensor: {layout.name} data must hold plain tensors")
    return _PendingSparse(layout.name, parts, _ints(size, "size"), coalesced)


class _QScheme(_Marker):
    """torch.per_tensor_affine etc. in a pickle (autograd_lite's qscheme once loaded)."""


class _Layout(_Marker):
    """torch.sparse_coo etc. in a pickle, from torch.serialization._get_layout."""


def _get_layout(name):
    if type(name) is not str or not name.startswith("torch.") or name[6:] not in _LAYOUT_NAMES:
        raise UnpicklingError(f"unknown layout {name!r:.40}")
    return _Layout(name[6:])


def _make_device(*args):
    if not 1 <= len(args) <= 2 or not all(type(a) in (str, int) for a in args):
        raise UnpicklingError(f"bad torch.device arguments {args!r}")
    return _device(*args)


def _make_size(items=()):
    return Size(_ints(items, "size"))


def _encode(text, encoding="latin1"):
    if type(text) is not str or encoding not in ("latin1", "latin-1"):
        raise UnpicklingError("_codecs.encode is accepted only for bytes (a str and 'latin1')")
    return text.encode("latin1")


def _bytearray(data=b""):
    if type(data) is not bytes:                  # bytearray(n) would allocate n bytes
        raise UnpicklingError("bytearray is accepted only from bytes")
    return bytearray(data)


def _allowed():
    table = {"collections.OrderedDict": collections.OrderedDict, "builtins.set": set,
             "builtins.frozenset": frozenset, "builtins.bytearray": _bytearray,
             "builtins.complex": complex, "_codecs.encode": _encode,
             "torch._utils._rebuild_tensor": _rebuild_tensor,
             "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
             "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
             "torch._utils._rebuild_parameter": _rebuild_parameter,
             "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
             "torch._tensor._rebuild_from_type_v2": _rebuild_from_type,
             "torch.Tensor": _TENSOR_TYPE, "torch.nn.parameter.Parameter": _PARAMETER_TYPE,
             "torch.device": _make_device, "torch.Size": _make_size,
             "torch._utils._rebuild_qtensor": _rebuild_qtensor,
             "torch._utils._rebuild_sparse_tensor": _rebuild_sparse_tensor,
             "torch.serialization._get_layout": _get_layout}
    for name in _QSCHEMES:
        table[f"torch.{name}"] = _QScheme(name)
    for name in list(_STORAGES) + list(_UNSUPPORTED_STORAGES):
        table[f"torch.{name}"] = _StorageType(name)
    table["torch.storage.UntypedStorage"] = table["torch.UntypedStorage"]     # torch's uint16/32/64 tensors name it so
    for d in _dtype._ALL + (_dtype.quint8, _dtype.qint8, _dtype.qint32):
        table[f"torch.{d.name}"] = d
    return table


_ALLOWED = _allowed()
_CALLABLE = {v for v in _ALLOWED.values() if callable(v) and not isinstance(v, _dtype.dtype)}


# ---- the unpickler -------------------------------------------------------------------------------
class _Unpickler:
    """Interprets a pickle's opcodes with the allow-list; `persistent_load(pid)` handles BINPERSID.
    `read(n)` must refuse to read past the data (it is given the bytes left to read)."""

    def __init__(self, read, readline, persistent_load=None):
        self.read, self.readline, self.persistent_load = read, readline, persistent_load

    def _global(self, module, name):
        module = "builtins" if module == "__builtin__" else module      # protocol 2's name for it
        path = f"{module}.{name}"
        if path not in _ALLOWED:
            raise UnpicklingError(f"Unsupported global: GLOBAL {path} is not allowed: "
                                  "autograd_lite loads only tensors, storages, OrderedDict and "
                                  "plain containers from a PyTorch checkpoint and never runs code "
                                  "from a file")
        return _ALLOWED[path]

    def _pop_mark(self):
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def load(self):
        try:
            return self._load()
        except (IndexError, TypeError, KeyError, AttributeError) as e:     # e.g. an empty stack
            raise UnpicklingError(f"malformed pickle ({type(e).__name__}: {e})") from None

    def _load(self):
        self.stack, self.metastack, memo = [], [], {}
        read, stack = self.read, None
        while True:
            stack = self.stack
            op = read(1)
            if not op:
                raise UnpicklingError("the pickle ends before its STOP opcode (truncated)")
            c = op[0]
            if c == 0x80:                                   # PROTO
                read(1)
            elif c == 0x95:                                 # FRAME
                read(8)
            elif c == 0x2E:                                 # STOP
                if len(stack) != 1 or self.metastack:
                    raise UnpicklingError("malformed pickle: unbalanced stack at STOP")
                return stack[0]
            elif c == 0x28:                                 # MARK
                self.metastack.append(stack)
                self.stack = []
            elif c == 0x30:                                 # POP
                stack.pop()
            elif c == 0x31:                                 # POP_MARK
                self._pop_mark()
            elif c == 0x32:                                 # DUP
                stack.append(stack[-1])
            elif c == 0x4E:                                 # NONE
                stack.append(None)
            elif c in (0x88, 0x89):                         # NEWTRUE, NEWFALSE
                stack.append(c == 0x88)
            elif c == 0x4A:                                 # BININT
                stack.append(struct.unpack("<i", read(4))[0])
            elif c == 0x4B:                                 # BININT1
                stack.append(read(1)[0])
            elif c == 0x4D:                                 # BININT2
                stack.append(struct.unpack("<H", read(2))[0])
            elif c in (0x8A, 0x8B):                         # LONG1, LONG4
                n = read(1)[0] if c == 0x8A else struct.unpack("<i", read(4))[0]
                if n < 0 or n > 64:
                    raise UnpicklingError(f"an integer of {n} bytes is refused")
                stack.append(int.from_bytes(read(n), "little", signed=True))
            elif c == 0x47:                                 # BINFLOAT
                stack.append(struct.unpack(">d", read(8))[0])
            elif c in (0x58, 0x8C, 0x8D):                   # BINUNICODE, SHORT_, BINUNICODE8
                n = struct.unpack({0x58: "<I", 0x8C: "<B", 0x8D: "<Q"}[c],
                                  read({0x58: 4, 0x8C: 1, 0x8D: 8}[c]))[0]
                stack.append(str(read(n), "utf-8", "surrogatepass"))
            elif c in (0x42, 0x43, 0x8E):                   # BINBYTES, SHORT_BINBYTES, BINBYTES8
                n = struct.unpack({0x42: "<I", 0x43: "<B", 0x8E: "<Q"}[c],
                                  read({0x42: 4, 0x43: 1, 0x8E: 8}[c]))[0]
                stack.append(read(n))
            elif c == 0x29:                                 # EMPTY_TUPLE
                stack.append(())
            elif c in (0x85, 0x86, 0x87):                   # TUPLE1, TUPLE2, TUPLE3
                n = c - 0x84
                if len(stack) < n:
                    raise UnpicklingError("malformed pickle: stack underflow")
                stack[-n:] = [tuple(stack[-n:])]
            elif c == 0x74:                                 # TUPLE
                items = tuple(self._pop_mark())
                self.stack.append(items)
            elif c == 0x5D:                                 # EMPTY_LIST
                stack.append([])
            elif c == 0x6C:                                 # LIST
                items = self._pop_mark()
                self.stack.append(items)
            elif c == 0x7D:                                 # EMPTY_DICT
                stack.append({})
            elif c == 0x64:                                 # DICT
                items = self._pop_mark()
                self.stack.append(dict(zip(items[::2], items[1::2])))
            elif c == 0x8F:                                 # EMPTY_SET
                stack.append(set())
            elif c == 0x91:                                 # FROZENSET
                items = self._pop_mark()
                self.stack.append(frozenset(items))
            elif c in (0x61, 0x65):                         # APPEND, APPENDS
                items = [stack.pop()] if c == 0x61 else self._pop_mark()
                target = self.stack[-1]
                if type(target) is not list:
                    raise UnpicklingError(f"can only append to lists, not {type(target).__name__}")
                target.extend(items)
            elif c in (0x73, 0x75):                         # SETITEM, SETITEMS
                items = stack[-2:] if c == 0x73 else self._pop_mark()
                if c == 0x73:
                    del stack[-2:]
                target = self.stack[-1]
                if not isinstance(target, dict) or len(items) % 2:
                    raise UnpicklingError(f"can only set items of dicts, not {type(target).__name__}")
                for k, v in zip(items[::2], items[1::2]):
                    target[k] = v
            elif c == 0x90:                                 # ADDITEMS
                items = self._pop_mark()
                target = self.stack[-1]
                if type(target) is not set:
                    raise UnpicklingError(f"can only add items to sets, not {type(target).__name__}")
                target.update(items)
            elif c in (0x71, 0x72, 0x94):                   # BINPUT, LONG_BINPUT, MEMOIZE
                key = read(1)[0] if c == 0x71 else struct.unpack("<I", read(4))[0] \
                    if c == 0x72 else len(memo)
                memo[key] = stack[-1]
            elif c in (0x68, 0x6A):                         # BINGET, LONG_BINGET
                key = read(1)[0] if c == 0x68 else struct.unpack("<I", read(4))[0]
                if key not in memo:
                    raise UnpicklingError(f"malformed pickle: memo key {key} is not defined")
                stack.append(memo[key])
            elif c == 0x63:                                 # GLOBAL
                module = self.readline()[:-1].decode("utf-8")
                name = self.readline()[:-1].decode("utf-8")
                stack.append(self._global(module, name))
            elif c == 0x93:                                 # STACK_GLOBAL
                name, module = stack.pop(), stack.pop()
                if type(name) is not str or type(module) is not str:
                    raise UnpicklingError("malformed pickle: STACK_GLOBAL needs two strings")
                stack.append(self._global(module, name))
            elif c == 0x52:                                 # REDUCE
                args, func = stack.pop(), stack[-1]
                if not any(func is f for f in _CALLABLE) or type(args) is not tuple:
                    raise UnpicklingError(f"Trying to call reduce for unrecognized function "
                                          f"{_describe(func)}: refused")
                try:
                    stack[-1] = func(*args)
                except (TypeError, ValueError, OverflowError, RuntimeError) as e:
                    raise UnpicklingError(f"{_describe(func)}{args!r:.80} failed: {e}") from None
            elif c == 0x62:                                 # BUILD
                state, inst = stack.pop(), stack[-1]
                if type(inst) is not collections.OrderedDict or type(state) is not dict or \
                        not all(type(k) is str for k in state):
                    raise UnpicklingError(f"BUILD is accepted only to set an OrderedDict's "
                                          f"attributes (such as _metadata), not on "
                                          f"{_describe(inst)}")
                inst.__dict__.update(state)
            elif c == 0x51:                                 # BINPERSID
                pid = stack.pop()
                if self.persistent_load is None:
                    raise UnpicklingError("a persistent id (storage) where none is expected")
                stack.append(self.persistent_load(pid))
            else:
                raise UnpicklingError(f"unsupported pickle opcode {op!r}: refused (only the "
                                      "opcodes of data, never those that build arbitrary objects)")


def _describe(obj):
    if isinstance(obj, _Marker):
        return obj.name
    return getattr(obj, "__name__", None) or type(obj).__name__


class _Bounded:
    """A file's bytes from its position to `end`: reads past `end` fail before allocating."""

    def __init__(self, f, end):
        self.f, self.end = f, end

    def read(self, n):
        if n > self.end - self.f.tell():
            raise UnpicklingError(f"malformed pickle: it asks for {n} bytes past the end of the "
                                  "data (truncated or corrupted)")
        return self.f.read(n)

    def readline(self):
        line = self.f.readline(min(256, self.end - self.f.tell()))
        if not line.endswith(b"\n"):
            raise UnpicklingError("malformed pickle: a GLOBAL name is not terminated")
        return line


def _persistent_loader(storages, legacy):
    """persistent_load for storage ids: ('storage', type, key, location, numel[, view])."""

    def persistent_load(pid):
        if type(pid) is not tuple or len(pid) != (6 if legacy else 5) or pid[0] != "storage":
            raise UnpicklingError(f"unsupported persistent id {pid!r}")
        stype, key, location, numel = pid[1:5]
        if not isinstance(stype, _StorageType) or type(key) is not str or \
                type(location) is not str or type(numel) is not int or numel < 0:
            raise UnpicklingError(f"malformed storage id {pid!r}")
        stype.check()
        storage = storages.get(key)
        if storage is None:
            storage = storages[key] = _Storage(key, stype, location, numel)
        elif storage.stype.dtype != stype.dtype or storage.numel != numel:
            raise UnpicklingError(f"storage {key!r} is declared twice with different types or "
                                  "sizes")
        if legacy and pid[5] is not None:
            view = pid[5]
            if type(view) is not tuple or len(view) != 3 or \
                    not all(type(v) is int and v >= 0 for v in view[1:]) or \
                    view[1] + view[2] > numel:
                raise UnpicklingError(f"malformed storage view {view!r}")
            return _StorageView(storage, view[1], view[2])
        return storage

    return persistent_load


# ---- from storages to Tensors -----------------------------------------------------------------------
def _fill(storage, data, byteorder="little"):
    """Sets the storage's 1-D array from its raw bytes (a bytearray, so the array is writable)."""
    stype = storage.stype
    if stype.dtype == "bfloat16":
        bits = np.frombuffer(data, "<u2" if byteorder == "little" else ">u2")
        storage.array = bfloat16_from_bits(bits if bits.dtype.isnative else bits.astype(np.uint16))
        storage.widened = storage.array.dtype == np.float32
        return
    if stype.dtype in _FLOAT8:      # bytes viewed as ml_dtypes' float8 (loaded here)
        storage.array = np.frombuffer(data, np.uint8).view(_dtype.to_dtype(stype.dtype).np)
        return
    dt = np.dtype(stype.dtype)
    array = np.frombuffer(data, dt.newbyteorder("<" if byteorder == "little" else ">"))
    storage.array = array if array.dtype.isnative else array.astype(dt.newbyteorder("="))


def _overlaps(size, stride):
    extent = 1
    for n, s in sorted((p for p in zip(size, stride) if p[0] > 1), key=lambda p: p[1]):
        if s < extent:
            return True
        extent = s * (n - 1) + extent
    return False


def _build(p, map_location, name, place):
    root = p.storage.root if isinstance(p.storage, _StorageView) else p.storage
    entry = {"device": root.location, "requires_grad": p.requires_grad, "parameter": p.parameter}
    return place(Tensor._make(_view(p)), entry, map_location, name)


def _view(p):
    """The array of a _Pending: its storage's elements at its offset and strides (a copy where they overlap)."""
    storage = p.storage
    base, offset = (storage.root.array[storage.offset:], p.offset) \
        if isinstance(storage, _StorageView) else (storage.array, p.offset)
    root = storage.root if isinstance(storage, _StorageView) else storage
    if getattr(root, "untyped", None) is not None and root.array is None:
        raw = root.untyped.array                         # v3: the untyped bytes, viewed typed
        st = root.stype.dtype
        root.array = raw.view(_dtype.to_dtype(st).np if st in _FLOAT8 else np.dtype(st))
        base = root.array
    if base is None:
        raise UnpicklingError(f"storage {root.key!r} was never read")
    itemsize = base.dtype.itemsize
    f8 = base.dtype.name in _FLOAT8         # as_strided can't read ml_dtypes' float8 typestr: strided as bytes
    view = np.lib.stride_tricks.as_strided(base[offset:].view(np.uint8) if f8 else base[offset:], p.size,
                                           [s * itemsize for s in p.stride], writeable=True)
    view = view.view(base.dtype) if f8 else view
    if _overlaps(p.size, p.stride):                      # an expanded tensor: its own copy
        view = view.copy()
    return view


def _build_quantized(p):
    """The quantized tensor of a _PendingQuantized (always on the CPU, as PyTorch's QuantizedCPU)."""
    per_channel = p.axis is not None
    scale, zero_point = (_view(p.scale), _view(p.zero_point)) if per_channel else (p.scale, p.zero_point)
    scheme = p.scheme
    if per_channel and zero_point.dtype.kind == "f":       # torch pickles float qparams as per_channel_affine
        scheme = "per_channel_affine_float_qparams"
    try:
        return rebuild_quantized(_view(p.ints), p.qdtype, scheme, scale, zero_point, p.axis)
    except ValueError as e:
        raise UnpicklingError(str(e)) from None


def _build_sparse(p, build):
    """The sparse tensor of a _PendingSparse, its parts placed as any tensor (`build`), its invariants checked."""
    try:
        return rebuild_sparse(p.layout, [build(part) for part in p.parts], p.size, p.coalesced)
    except (ValueError, RuntimeError) as e:
        raise UnpicklingError(str(e)) from None


def rebuild_quantized(ints, qdtype, scheme, scale, zero_point, axis):
    """A quantized tensor from its parts as read from a file (raw arrays and numbers), each checked: the integers'
    dtype is the quantized dtype's, the qparams finite, of the scheme's types, one per channel. ValueError if not."""
    from . import _quantized as q
    qdtype = _dtype.to_dtype(qdtype) if type(qdtype) is str else qdtype
    if qdtype not in (_dtype.quint8, _dtype.qint8, _dtype.qint32):
        raise ValueError(f"{qdtype!r:.40} is not a quantized dtype autograd_lite supports (quint8, qint8, qint32)")
    if type(ints) is not np.ndarray or ints.dtype != qdtype.np:
        raise ValueError(f"a quantized tensor's integers must be {qdtype.np} for dtype {qdtype.name}, got "
                         f"{getattr(ints, 'dtype', type(ints).__name__)}")
    if scheme == "per_tensor_affine" and axis is None:
        if type(scale) not in (float, int) or not math.isfinite(scale) or scale <= 0 or type(zero_point) is not int \
                or not qdtype.qmin <= zero_point <= qdtype.qmax:
            raise ValueError(f"bad per_tensor_affine qparams for {qdtype.name}: scale {scale!r:.40}, "
                             f"zero_point {zero_point!r:.40}")
        return q.make_quantized(q.QArray(ints, qdtype, q.per_tensor_affine, float(scale), zero_point))
    if scheme not in ("per_channel_affine", "per_channel_affine_float_qparams") or type(axis) is not int or \
            not 0 <= axis < ints.ndim:
        raise ValueError(f"unsupported quantization scheme {scheme!r:.40} with axis {axis!r:.20} for a tensor of "
                         f"{ints.ndim} dims (supported: per_tensor_affine, per_channel_affine, "
                         "per_channel_affine_float_qparams)")
    floats = scheme == "per_channel_affine_float_qparams"
    n = ints.shape[axis]
    for what, v, kinds in (("scales", scale, "f"), ("zero_points", zero_point, "f" if floats else "iu")):
        if type(v) is not np.ndarray or v.shape != (n,) or v.dtype.kind not in kinds or \
                (v.dtype.kind == "f" and not np.isfinite(v).all()):
            raise ValueError(f"{scheme}: {what} must be {n} finite {'floats' if kinds == 'f' else 'integers'} "
                             f"(size[axis={axis}]), got {getattr(v, 'dtype', type(v).__name__)} of shape "
                             f"{getattr(v, 'shape', None)}")
    if floats:
        scale, zero_point = scale.astype(np.float32), zero_point.astype(np.float32)
    else:
        scale, zero_point = scale.astype(np.float64), zero_point.astype(np.int64)
    return q.make_quantized(q.QArray(ints, qdtype, getattr(q, scheme), scale, zero_point, axis))


def rebuild_sparse(layout, parts, size, coalesced=None):
    """A sparse tensor of `layout` ('sparse_coo': parts (indices, values), 'sparse_csr' / 'sparse_csc': (compressed,
    plain, values)) from Tensors read from a file, through the creation functions' invariant checks (indices within
    `size`, sorted and distinct compressed rows); a COO said coalesced must be (sorted, no repeated index)."""
    from . import sparse as sp
    size = list(size)
    if layout == "sparse_coo":
        indices, values = parts
        if indices.dtype is not _dtype.int64 or indices.ndim != 2:
            raise ValueError(f"a sparse COO tensor's indices must be a 2-D int64 tensor, got {indices.dtype} of "
                             f"shape {list(indices.shape)}")
        out = sp.sparse_coo_tensor(indices, values, size, is_coalesced=bool(coalesced))
        if coalesced and indices.shape[1] > 1:
            step = np.diff(indices.cpu()._data, axis=1)         # each column after the previous, in order
            moved = step != 0
            first = moved.argmax(axis=0)
            if not (moved.any(axis=0) & (step[first, np.arange(step.shape[1])] > 0)).all():
                raise ValueError("a sparse COO tensor is marked coalesced, but its indices are not sorted and "
                                 "distinct")
        return out
    if layout not in ("sparse_csr", "sparse_csc"):
        raise ValueError(f"unsupported sparse layout {layout!r:.40}")
    make = sp.sparse_csr_tensor if layout == "sparse_csr" else sp.sparse_csc_tensor
    return make(*parts, size)


def _finish(obj, map_location, name, place):
    """`obj` with every _Pending replaced by its Tensor; shared objects stay shared."""
    done = {}

    def walk(x):
        key = id(x)
        if key in done:
            return done[key]
        t = type(x)
        if t is _Pending:
            done[key] = result = _build(x, map_location, name, place)
            return result
        if t is list:
            done[key] = x
            x[:] = [walk(v) for v in x]
            return x
        if t in (dict, collections.OrderedDict):
            done[key] = x
            items = [(walk(k), walk(v)) for k, v in x.items()]
            x.clear()
            x.update(items)
            for attr, value in list(vars(x).items()) if t is collections.OrderedDict else ():
                setattr(x, attr, walk(value))
            return x
        if t in (tuple, set, frozenset, Size):
            done[key] = result = t(walk(v) for v in x)
            return result
        if t is _PendingQuantized:
            done[key] = result = _build_quantized(x)
            return result
        if t is _PendingSparse:
            done[key] = result = _build_sparse(x, lambda p: walk(p))
            return result
        if t is _QScheme:
            from . import _quantized
            return getattr(_quantized, x.name)
        if t is _Layout:
            from . import _memory_format
            return getattr(_memory_format, x.name)
        if isinstance(x, (_Storage, _StorageView, _StorageType, _Marker)):
            raise UnpicklingError(f"a bare {type(x).__name__.strip('_')} outside a tensor is not "
                                  "supported")
        return x

    try:
        return walk(obj)
    except RecursionError:
        raise UnpicklingError("the pickle nests containers too deeply") from None


def bfloat16_from_bits(bits):
    """bfloat16 values from their bit patterns (a writable uint16 array): ml_dtypes' bfloat16, or float32 (exact)
    where ml_dtypes is not installed."""
    try:
        return bits.view(_dtype.load_bfloat16())
    except ModuleNotFoundError:
        return (bits.astype(np.uint32) << 16).view(np.float32)


def for_device(t, device):
    """A loaded tensor ready to go to `device`: bfloat16 bound for a GPU becomes float32 (exactly), with a warning,
    since CuPy has no bfloat16; anything else as it is."""
    if device.type == "cpu" or not _dtype.is_bfloat16(t._data.dtype):
        return t
    warnings.warn(f"bfloat16 tensors cannot be on device '{device}' (CuPy has no bfloat16): loaded as float32, "
                  "exactly", UserWarning, stacklevel=5)
    return Tensor._make(t._data.astype(np.float32))


def warn_widened(stacklevel=4):
    warnings.warn("autograd_lite.load: bfloat16 tensors were loaded as float32, exactly: " + _dtype.BFLOAT16_HINT,
                  UserWarning, stacklevel=stacklevel)


def _warn_widened(storages):
    if any(getattr(s, "widened", False) for s in storages):
        warn_widened()


# ---- the zip format ----------------------------------------------------------------------------------
def is_torch_zip(names):
    """The archive's folder ('archive/') when the zip members are a torch.save file's: a
    data.pkl in one top folder holding every member, as PyTorch's reader requires; else None."""
    tops = {n.split("/", 1)[0] + "/" for n in names}
    if len(tops) != 1:
        return None
    prefix = tops.pop()
    return prefix if prefix + "data.pkl" in names else None


def load_zip(zf, prefix, map_location, name, place):
    """The object of a torch.save zip archive (members checked by the caller: stored, sizes
    within the file)."""
    names = set(zf.namelist())
    byteorder = zf.read(prefix + "byteorder").decode("ascii", "replace") \
        if prefix + "byteorder" in names else "little"
    if byteorder not in ("little", "big"):
        raise UnpicklingError(f"unknown byte order {byteorder!r}")
    storages = {}
    data = zf.read(prefix + "data.pkl")
    f = io.BytesIO(data)
    obj = _Unpickler(_Bounded(f, len(data)).read, _Bounded(f, len(data)).readline,
                     _persistent_loader(storages, legacy=False)).load()
    for key, storage in storages.items():
        member = f"{prefix}data/{key}"
        nbytes = storage.numel * storage.stype.itemsize
        if member not in names:
            raise UnpicklingError(f"storage {key!r} is missing (no member {member!r})")
        if zf.getinfo(member).file_size < nbytes:
            raise UnpicklingError(f"storage {key!r} declares {nbytes} bytes, its member "
                                  f"{member!r} holds {zf.getinfo(member).file_size}")
        buf = bytearray(nbytes)
        with zf.open(member) as fp:
            if fp.readinto(buf) != nbytes:
                raise UnpicklingError(f"member {member!r} is truncated")
        _fill(storage, buf, byteorder)
    result = _finish(obj, map_location, name, place)
    _warn_widened(storages.values())
    return result


# ---- the legacy format -------------------------------------------------------------------------------
def load_legacy(f, size, map_location, name, place):
    """The object of a legacy torch.save stream: magic number, protocol, sys info, the pickle,
    the storage keys, then each storage as an 8-byte element count and its raw bytes."""
    bounded = _Bounded(f, f.tell() + size)

    def unpickle(loader=None):
        return _Unpickler(bounded.read, bounded.readline, loader).load()

    if unpickle() != MAGIC_NUMBER:
        raise UnpicklingError("it is a pickle, not a PyTorch checkpoint (invalid magic number)")
    if unpickle() != PROTOCOL_VERSION:
        raise UnpicklingError("invalid protocol version")
    info = unpickle()
    if not isinstance(info, dict) or info.get("little_endian") is not True:
        raise UnpicklingError("only little-endian legacy checkpoints are supported")
    storages = {}
    obj = unpickle(_persistent_loader(storages, legacy=True))
    keys = unpickle()
    if not isinstance(keys, list) or sorted(keys) != sorted(storages) or len(set(keys)) != len(keys):
        raise UnpicklingError("the storage keys don't match the storages the pickle declares")
    for key in keys:
        storage = storages[key]
        count = struct.unpack("<q", bounded.read(8))[0]
        if count != storage.numel:
            raise UnpicklingError(f"storage {key!r} holds {count} elements, the pickle declares "
                                  f"{storage.numel}")
        nbytes = count * storage.stype.itemsize
        if nbytes > bounded.end - f.tell():
            raise UnpicklingError(f"storage {key!r} declares {nbytes} bytes, more than the file "
                                  "holds")
        buf = bytearray(nbytes)
        if f.readinto(buf) != nbytes:
            raise UnpicklingError(f"storage {key!r} is truncated")
        _fill(storage, buf)
    result = _finish(obj, map_location, name, place)
    _warn_widened(storages.values())
    return result


# ---- writing PyTorch's zip format --------------------------------------------------------------------
class _Pickler:
    """Writes protocol 2 with exactly the globals torch.save writes for tensors and containers."""

    def __init__(self, parameter_class):
        self.out, self.memo, self.globals = bytearray(b"\x80\x02"), {}, {}
        self.storages, self._keep, self._parameter = [], [], parameter_class

    def dump(self, obj):
        self.save(obj, "obj")
        self.out += b"."
        return bytes(self.out)

    def put(self, obj):
        n = self.memo[id(obj)] = len(self.memo)
        self._keep.append(obj)
        self.out += b"q" + bytes([n]) if n < 256 else b"r" + struct.pack("<I", n)

    def get(self, n):
        self.out += b"h" + bytes([n]) if n < 256 else b"j" + struct.pack("<I", n)

    def glob(self, module, name):
        key = (module, name)
        if key in self.globals:
            return self.get(self.globals[key])
        self.out += f"c{module}\n{name}\n".encode()
        n = self.globals[key] = len(self.memo)
        self.memo[("global", key)] = n
        self.out += b"q" + bytes([n]) if n < 256 else b"r" + struct.pack("<I", n)

    def save(self, obj, path):
        t, out = type(obj), self.out
        if id(obj) in self.memo and t not in (int, float, str, bool, type(None)):
            return self.get(self.memo[id(obj)])
        if obj is None:
            out += b"N"
        elif t is bool:
            out += b"\x88" if obj else b"\x89"
        elif t is int:
            if 0 <= obj < 256:
                out += b"K" + bytes([obj])
            elif 0 <= obj < 65536:
                out += b"M" + struct.pack("<H", obj)
            elif -2**31 <= obj < 2**31:
                out += b"J" + struct.pack("<i", obj)
            else:
                data = obj.to_bytes((obj.bit_length() + 8) // 8, "little", signed=True)
                out += b"\x8a" + bytes([len(data)]) + data
        elif t is float:
            out += b"G" + struct.pack(">d", obj)
        elif t is str:
            data = obj.encode("utf-8", "surrogatepass")
            out += b"X" + struct.pack("<I", len(data)) + data
        elif t is bytes:
            self.glob("_codecs", "encode")
            self.save_tuple((obj.decode("latin1"), "latin1"), path)
            out += b"R"
        elif isinstance(obj, Tensor):
            self.save_tensor(obj, path)
        elif isinstance(obj, _dtype.dtype):     # (bfloat16's is a subclass)
            self.glob("torch", obj.name)
        elif t is _device:
            self.glob("torch", "device")
            self.save_tuple((str(obj),), path)
            out += b"R"
        elif t is Size:
            self.glob("torch", "Size")
            self.save_tuple((tuple(obj),), path)
            out += b"R"
        elif t is tuple:
            self.save_tuple(obj, path)
        elif t is list:
            out += b"]"
            self.put(obj)
            if obj:
                out += b"("
                for i, v in enumerate(obj):
                    self.save(v, f"{path}[{i}]")
                out += b"e"
        elif t in (dict, collections.OrderedDict):
            if t is dict:
                out += b"}"
            else:
                self.glob("collections", "OrderedDict")
                out += b")R"
            self.put(obj)
            if obj:
                out += b"("
                for k, v in obj.items():
                    self.save(k, f"{path} key {k!r}")
                    self.save(v, f"{path}[{k!r}]")
                out += b"u"
            attrs = vars(obj) if t is collections.OrderedDict else None
            if attrs:                                       # a state_dict's _metadata
                self.save(dict(attrs), path)
                out += b"b"
        elif t is set:
            self.glob("builtins", "set")
            self.save_tuple((sorted(obj, key=repr),), path)
            out += b"R"
        else:
            hint = " (wrap NumPy arrays with autograd_lite.from_numpy)" \
                if isinstance(obj, (np.ndarray, np.generic)) else ""
            raise TypeError(f"autograd_lite.save(format='torch'): can't save an object of type "
                            f"'{t.__module__}.{t.__qualname__}' at {path}: PyTorch's "
                            "weights_only loader reads tensors, dicts, OrderedDicts, lists, "
                            f"tuples, sets, str, bytes, int, float, bool, None, dtypes, devices{hint}")

    def save_tuple(self, items, path):
        if not items:
            self.out += b")"
            return
        if len(items) > 3:
            self.out += b"("
        for i, v in enumerate(items):
            self.save(v, f"{path}[{i}]")
        self.out += b"t" if len(items) > 3 else bytes([0x84 + len(items)])

    def save_tensor(self, t, path):
        kind = type(t._data).__name__
        if kind in ("COO", "CSR"):
            return self.save_sparse(t, path)
        if kind == "QArray":
            return self.save_quantized(t, path)
        parameter = self._parameter is not None and isinstance(t, self._parameter)
        if parameter:
            self.glob("torch._utils", "_rebuild_parameter")
        host = np.ascontiguousarray(t._host())
        kind = _STORAGE_OF.get(host.dtype.name)
        if kind is None:
            raise TypeError(f"autograd_lite.save(format='torch'): the tensor at {path} has dtype "
                            f"{host.dtype}, which PyTorch's format can't hold")
        key = str(len(self.storages))
        untyped = host.dtype.name in _UNTYPED
        self.storages.append((key, host.view(np.uint16) if kind == "BFloat16Storage" else
                              host.view(np.uint8) if host.dtype.name in _FLOAT8 else host))
        self.glob("torch._utils", "_rebuild_tensor_v3" if untyped else "_rebuild_tensor_v2")
        self.out += b"("
        self.out += b"("
        self.save("storage", path)
        self.glob("torch.storage" if untyped else "torch", "UntypedStorage" if untyped else kind)
        self.save(key, path)
        self.save(_location(t), path)
        self.save(int(host.nbytes if untyped else host.size), path)
        self.out += b"tQ"
        self.save(0, path)
        self.save_tuple(tuple(host.shape), path)
        self.save_tuple(tuple(s // host.itemsize for s in host.strides) if host.size else
                        contiguous_strides(host.shape), path)
        self.save(bool(t.requires_grad) and not parameter, path)
        self.glob("collections", "OrderedDict")
        self.out += b")R"
        if untyped:
            self.save(t.dtype, path)
        self.out += b"tR"
        if parameter:
            self.save(bool(t.requires_grad), path)
            self.glob("collections", "OrderedDict")
            self.out += b")R"
            self.out += b"\x87R"
        self.put(t)


    def save_sparse(self, t, path):
        """As torch: _rebuild_sparse_tensor(_get_layout('torch.sparse_coo'), (indices, values, size, coalesced)), or
        (compressed indices, plain indices, values, size) for CSR / CSC."""
        d = t._data
        coo = type(d).__name__ == "COO"
        layout = "torch.sparse_coo" if coo else "torch.sparse_csc" if d.csc else "torch.sparse_csr"
        parts = (d.indices, d.values) if coo else (d.compressed, d.plain, d.values)
        self.glob("torch._utils", "_rebuild_sparse_tensor")
        self.glob("torch.serialization", "_get_layout")
        self.save_tuple((layout,), path)
        self.out += b"R"
        self.save_tuple(tuple(Tensor._make(a) for a in parts) + (Size(d.shape),) +
                        ((bool(d.coalesced),) if coo else ()), path)
        self.out += b"\x86R"
        self.put(t)

    def save_quantized(self, t, path):
        """As torch: _rebuild_qtensor(typed storage of the integers, offset, size, stride, quantizer params,
        False, OrderedDict()); per channel the scales (float64, or float32 for float qparams) and zero points
        (int64, or float32) are tensors and the scheme is written as per_channel_affine, as torch writes it."""
        d = t._data
        scheme = d.qscheme.name
        if scheme not in ("per_tensor_affine", "per_channel_affine", "per_channel_affine_float_qparams"):
            raise TypeError(f"autograd_lite.save(format='torch'): Serialization is not supported for tensors of "
                            f"type torch.{scheme} (at {path})")
        ints = np.ascontiguousarray(d.ints)
        key = str(len(self.storages))
        self.storages.append((key, ints))
        self.glob("torch._utils", "_rebuild_qtensor")
        self.out += b"(("
        self.save("storage", path)
        self.glob("torch", {"qint8": "QInt8Storage", "quint8": "QUInt8Storage", "qint32": "QInt32Storage"}[
            d.qdtype.name])
        self.save(key, path)
        self.save("cpu", path)
        self.save(int(ints.size), path)
        self.out += b"tQ"
        self.save(0, path)
        self.save_tuple(tuple(ints.shape), path)
        self.save_tuple(contiguous_strides(ints.shape), path)
        if d.axis is None:
            self.glob("torch", "per_tensor_affine")
            self.save(float(d.scale), path)
            self.save(int(d.zero_point), path)
            self.out += b"\x87"
        else:
            self.out += b"("
            self.glob("torch", "per_channel_affine")
            self.save(Tensor._make(np.ascontiguousarray(d.scale)), path)
            self.save(Tensor._make(np.ascontiguousarray(d.zero_point)), path)
            self.save(int(d.axis), path)
            self.out += b"t"
        self.save(False, path)
        self.glob("collections", "OrderedDict")
        self.out += b")RtR"
        self.put(t)


def _location(t):
    d = t.device
    return "cpu" if d.type == "cpu" else f"{d.type}:{d.index or 0}"


_ALIGN = 64


def write_zip(fp, obj, parameter_class):
    """Writes `obj` as torch.save's zip format to the binary file `fp`: data.pkl (protocol 2),
    storages as raw little-endian bytes aligned to 64 bytes, byteorder, version."""
    pickler = _Pickler(parameter_class)
    data = pickler.dump(obj)
    with zipfile.ZipFile(fp, "w", zipfile.ZIP_STORED) as zf:
        _member(zf, fp, "archive/data.pkl", data)
        _member(zf, fp, "archive/.format_version", b"1")
        _member(zf, fp, "archive/.storage_alignment", b"64")
        _member(zf, fp, "archive/byteorder", b"little")
        for key, host in pickler.storages:
            little = host.astype(host.dtype.newbyteorder("<"), copy=False)
            _member(zf, fp, f"archive/data/{key}", memoryview(little.reshape(-1)).cast("B"))
        _member(zf, fp, "archive/version", b"3\n")


def _member(zf, fp, name, data):
    """One stored member whose data starts at a multiple of 64 bytes (PyTorch mmaps them)."""
    info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
    big = len(data) + 65536 >= zipfile.ZIP64_LIMIT
    start = zf.fp.tell()
    header = 30 + len(name.encode()) + 4 + (20 if big else 0)
    pad = -(start + header) % _ALIGN
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    with zf.open(info, "w", force_zip64=big) as member:
        member.write(data)


if sys.byteorder != "little":           # pragma: no cover  (the formats are little-endian)
    warnings.warn("autograd_lite's PyTorch checkpoint support is tested on little-endian hosts only")
