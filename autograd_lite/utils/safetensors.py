"""``safetensors`` files, with ``safetensors.torch``'s API: ``save_file`` / ``load_file`` / ``save`` /
``load``, on the optional ``safetensors`` package (pip install safetensors) through its NumPy API.

A safetensors file is a JSON header plus raw little-endian tensors: loading it never runs code.
bfloat16 tensors load as bfloat16 with ml_dtypes installed (NumPy's bfloat16), else as float32 (exactly, with a
warning); float8 tensors (F8_E4M3, F8_E5M2, F8_E8M0, ...) as float8, which needs ml_dtypes.

Example::

    >>> from autograd_lite.utils.safetensors import save_file, load_file
    >>> save_file(model.state_dict(), 'model.safetensors', metadata={'format': 'pt'})
    >>> model.load_state_dict(load_file('model.safetensors'))
"""
import os
import warnings

import numpy as np

from .. import _dtype, _torch_format
from .._dtype import BFLOAT16_HINT
from ..backend import device as _device
from ..tensor import Tensor

__all__ = ["save_file", "load_file", "save", "load"]

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
           "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
           "U16": np.uint16, "U32": np.uint32, "U64": np.uint64}
_FLOAT8 = {"F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2", "F8_E4M3FNUZ": "float8_e4m3fnuz",
           "F8_E5M2FNUZ": "float8_e5m2fnuz", "F8_E8M0": "float8_e8m0fnu"}      # the spec's names: ours (ml_dtypes')


def _package():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError:
        raise ImportError("autograd_lite.utils.safetensors needs the safetensors package: "
                          "pip install safetensors") from None
    return safetensors


def _flatten(tensors):
    """{name: contiguous little-endian host array}, refused as safetensors.torch refuses."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    arrays, seen = {}, {}
    for k, v in tensors.items():
        if not isinstance(k, str):
            raise ValueError(f"Key `{k!r}` is invalid, expected str but received {type(k)}")
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected torch.Tensor but received {type(v)}")
        host = v._host()
        if not host.flags.c_contiguous:
            raise ValueError(f"You are trying to save a non contiguous tensor: `{k}` which is not "
                             "allowed. Call `.contiguous()` on your tensor to pack it before saving.")
        base = host if host.base is None else host.base
        if host.size and id(base) in seen:          # views of one buffer would be saved twice
            raise RuntimeError(f"Some tensors share memory, this will lead to duplicate memory on "
                               f"disk and potential differences when loading them again: "
                               f"[{{{seen[id(base)]!r}, {k!r}}}].")
        seen[id(base)] = k
        arrays[k] = host.astype(host.dtype.newbyteorder("<"), copy=False)
    return arrays


def save(tensors, metadata=None):
    """The safetensors bytes of `tensors` ({name: Tensor}); `metadata` a {str: str} dict."""
    return _package().numpy.save(_flatten(tensors), metadata=metadata)


def save_file(tensors, filename, metadata=None):
    """Writes `tensors` ({name: Tensor}) to `filename` in the safetensors format."""
    _package().numpy.save_file(_flatten(tensors), os.fspath(filename), metadata=metadata)


def _tensor(array, device):
    device = f"cuda:{device}" if type(device) is int else device       # safetensors' GPU index
    t = Tensor._make(array)
    return t if device in ("cpu", None) else _torch_format.for_device(t, _device(device)).to(device)


def _from_raw(name, dtype, shape, raw):
    if dtype == "BF16":         # bfloat16 (float32 without ml_dtypes), from its bits
        return _torch_format.bfloat16_from_bits(np.frombuffer(raw, "<u2").astype(np.uint16)).reshape(shape)
    if dtype in _FLOAT8:        # float8 from its bytes
        return np.frombuffer(raw, np.uint8).view(_dtype.to_dtype(_FLOAT8[dtype]).np).reshape(shape)
    if dtype not in _DTYPES:
        raise TypeError(f"tensor {name!r} has dtype {dtype}, which autograd_lite doesn't support")
    return np.frombuffer(raw, np.dtype(_DTYPES[dtype]).newbyteorder("<")).reshape(shape) \
        .astype(_DTYPES[dtype], copy=False)


def _warn(out, bf16):
    widened = [k for k in bf16 if out[k].dtype == np.float32]
    if widened:
        warnings.warn(f"bfloat16 tensors {widened[:5]} were loaded as float32, exactly: {BFLOAT16_HINT}",
                      UserWarning, stacklevel=3)


def load(data, device="cpu"):
    """The {name: Tensor} of safetensors bytes `data`."""
    flat = _package().deserialize(bytes(data))
    out = {k: _from_raw(k, v["dtype"], v["shape"], v["data"]) for k, v in flat}
    _warn(out, [k for k, v in flat if v["dtype"] == "BF16"])
    return {k: _tensor(a, device) for k, a in out.items()}


def load_file(filename, device="cpu"):
    """The {name: Tensor} of the safetensors file `filename`, on `device`."""
    package = _package()
    out, widened = {}, []
    with package.safe_open(os.fspath(filename), framework="np") as f:
        for k in f.keys():
            dtype = f.get_slice(k).get_dtype()
            if dtype in _DTYPES:
                out[k] = f.get_tensor(k)
            else:
                out[k] = None                       # read below from the raw bytes
                widened.append(k)
    if widened:
        with open(filename, "rb") as fp:
            flat = dict(package.deserialize(fp.read()))
        for k in widened:
            v = flat[k]
            out[k] = _from_raw(k, v["dtype"], v["shape"], v["data"])
    _warn(out, widened)
    return {k: _tensor(a, device) for k, a in out.items()}
