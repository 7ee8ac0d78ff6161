"""``default_collate`` (a list of samples -> one batch) and ``default_convert`` (NumPy -> Tensor),
with ``torch.utils.data``'s rules: Tensors and NumPy arrays are stacked, Python ints become int64
(bools bool), Python floats float64 and NumPy scalars keep their dtype; strings stay lists;
dicts, tuples (which come back as lists), named tuples and lists are collated field by field."""
import collections.abc
import copy
import re

import numpy as np

from ...creation import as_tensor, from_numpy, tensor
from ...ops import stack
from ... import _dtype
from ...backend import backend_of
from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_STR_OBJ_DTYPE = re.compile(r"[SaUO]")
_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def stack_tensors(batch):
    """``stack(batch)``; one ``xp.stack`` when no tensor needs grad and all dtypes and shapes
    agree (the common case), skipping the autograd op's per-tensor unsqueeze."""
    first = batch[0]._data
    if all(not t._rg and type(t._data) is type(first) and t._data.dtype == first.dtype
           and t._data.shape == first.shape for t in batch):
        return Tensor._make(backend_of(first).xp.stack([t._data for t in batch]))
    return stack(batch, 0)


def _map(elem, values):
    """Rebuilds container `elem` (mapping or sequence) with `values`, keeping its type when the
    type can be rebuilt, as torch does."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        if isinstance(elem, collections.abc.Mapping):
            return type(elem)(values)
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(elem)(values)
    except TypeError:
        return dict(values) if isinstance(elem, collections.abc.Mapping) else list(values)


def default_collate(batch):
    """Collates a list of samples into a batch.

    Example: ``default_collate([(x0, 0), (x1, 1)])`` is ``[stack([x0, x1]), tensor([0, 1])]``."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        if _STR_OBJ_DTYPE.search(elem.dtype.str):
            raise TypeError(_ERROR.format(elem.dtype))
        return stack_tensors([from_numpy(np.asarray(b)) for b in batch])
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=_dtype.float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _map(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):                 # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(list(s)) for s in zip(*batch)]
        return columns if isinstance(elem, tuple) else _map(elem, columns)
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data):
    """Turns the NumPy arrays and scalars inside one sample into Tensors (what a DataLoader with
    ``batch_size=None`` applies to each sample); tuples come back as lists, as in torch."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _STR_OBJ_DTYPE.search(data.dtype.str) else as_tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _map(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _map(data, [default_convert(d) for d in data])
    return data
