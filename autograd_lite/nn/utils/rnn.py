"""``torch.nn.utils.rnn``: batches of sequences of different lengths, padded (one tensor, the short ones filled)
or packed (the time steps' present elements one after the other, as the recurrent layers read them).

Every function is differentiable: packing is one advanced index (backward: a scatter), padding one index_put into
a filled tensor (backward: a gather), so gradients of every order flow through them. Positions are computed on the
host from the lengths, which stay on the CPU (as ``batch_sizes`` does in PyTorch)."""
from collections import namedtuple

import numpy as np

from ... import _dtype as dtypes, creation
from ...ops import cat
from ...ops._util import xp_of
from ...ops.indexing import index_put
from ...tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]

_NOT_MANUAL = ("batch_sizes should always be on CPU. Instances of PackedSequence should never be created manually. "
               "They should be instantiated by functions like pack_sequence and pack_padded_sequences in "
               "nn.utils.rnn. https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")


def _host(t):
    """The values of an integer Tensor as a host int64 array."""
    return np.asarray(t.cpu().numpy() if isinstance(t, Tensor) else t, dtype=np.int64)


def _cpu_long(values):
    return Tensor._make(np.ascontiguousarray(values, dtype=np.int64))


def invert_permutation(permutation):
    """The permutation that undoes `permutation` (None stays None): ``p[invert_permutation(p)] == arange(n)``."""
    if permutation is None:
        return None
    out = creation.empty_like(permutation)
    xp = xp_of(out._data)
    out._data[permutation._data] = xp.arange(permutation.numel(), dtype=out._data.dtype)
    return out


def _on_device(values, like):
    """A host int64 array as a Tensor on the device of Tensor `like`."""
    t = _cpu_long(values)
    return t if like.device.type == "cpu" else t.to(like.device)


_Fields = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_Fields):
    """A packed batch of sequences: `data` (sum of lengths, *) holds the time steps one after the other, each with
    the batch's sequences still running at it; `batch_sizes` (CPU int64) how many run at each step;
    `sorted_indices` / `unsorted_indices` the permutation to the order by decreasing length and back (None when the
    batch came sorted). Made by pack_padded_sequence / pack_sequence, never by hand.

    Example::

        >>> p = nn.utils.rnn.pack_sequence([torch.ones(3, 2), torch.ones(1, 2)])
        >>> p.batch_sizes
        tensor([2, 1, 1])
    """
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError(_NOT_MANUAL)
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if not (isinstance(data, (list, tuple)) and len(data) == 2):
            raise AssertionError("Expected data to be a list or tuple of length 2")
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same sequences with `data` converted as ``Tensor.to``; the indices follow data's device, batch_sizes
        stays on the CPU."""
        return self._with(self.data.to(*args, **kwargs), kwargs)

    def _with(self, data, kwargs=None):
        """These sequences with `data` in place of self.data: self when it is the same tensor; else the indices
        moved to its device (with the copy / non_blocking arguments of `kwargs`)."""
        if data is self.data:
            return self
        kwargs = {k: v for k, v in (kwargs or {}).items() if k not in ("device", "dtype")}

        def move(t):
            return None if t is None else t.to(data.device, **kwargs)
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cuda(self, *args, **kwargs):
        return self._with(self.data.cuda(*args, **kwargs), kwargs)

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=_dtype("float64"))

    def float(self):
        return self.to(dtype=_dtype("float32"))

    def half(self):
        return self.to(dtype=_dtype("float16"))

    def long(self):
        return self.to(dtype=_dtype("int64"))

    def int(self):
        return self.to(dtype=_dtype("int32"))

    def short(self):
        return self.to(dtype=_dtype("int16"))

    def char(self):
        return self.to(dtype=_dtype("int8"))

    def byte(self):
        return self.to(dtype=_dtype("uint8"))

    def pin_memory(self):
        return self         # host memory is not pinned here: the data is already where a copy would start from

    def is_pinned(self):
        return False

    @property
    def is_cuda(self):
        """Whether the data is on a CUDA device."""
        return self.data.is_cuda


def _dtype(name):
    return getattr(dtypes, name)


def _lengths_tensor(lengths):
    if isinstance(lengths, Tensor):
        return lengths.to(_dtype("int64"))
    return _cpu_long(np.asarray(lengths).astype(np.int64))


def _check_lengths(lengths, batch, steps):
    """PyTorch's checks of pack_padded_sequence's lengths (host int64 array) against a batch of `batch` sequences of
    `steps` time steps."""
    if lengths.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.ndim}D cpu Long "
                           "tensor")
    if lengths.shape[0] != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.shape[0]} "
                           f"(batch_size={batch})")
    if lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if (np.diff(lengths) > 0).any():
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                           "sidestep this requirement if you do not need ONNX exportability.")
    if lengths[0] > steps:      # PyTorch reads past the input here; we refuse
        raise RuntimeError(f"pack_padded_sequence: a length of {lengths[0]} exceeds the input's {steps} time steps")


def _packed_positions(batch_sizes):
    """(time step, batch position) of each row of packed data, in packed order."""
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    starts = np.cumsum(batch_sizes) - batch_sizes
    return steps, np.arange(steps.size) - np.repeat(starts, batch_sizes)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch `input` (T, B, *) (or (B, T, *) with batch_first) of sequences of `lengths` (a list or a
    CPU int64 tensor). With enforce_sorted=True the lengths must decrease; otherwise the batch is sorted here and
    the permutation kept in the result.

    Example::

        >>> x = torch.randn(5, 2, 8)                        # 5 steps, 2 sequences
        >>> p = nn.utils.rnn.pack_padded_sequence(x, [5, 3])
        >>> p.data.shape, p.batch_sizes
        (autograd_lite.Size([8, 8]), tensor([2, 2, 2, 1, 1]))
    """
    lengths = _lengths_tensor(lengths)
    if lengths.device.type != "cpu":
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.ndim}D "
                           f"{lengths.device} Long tensor")
    host = _host(lengths)
    batch_dim = 0 if batch_first else 1
    sorted_indices = None
    if not enforce_sorted and host.ndim == 1:
        order = np.argsort(-host, kind="stable")
        host = host[order]
        sorted_indices = _on_device(order, input)
        if input.ndim > batch_dim and input.shape[batch_dim] == order.size:
            input = input.index_select(batch_dim, sorted_indices)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if input.ndim < 2:
        raise RuntimeError(f"pack_padded_sequence: expected an input of at least 2 dimensions (time, batch, *), "
                           f"got {input.ndim}")
    _check_lengths(host, input.shape[batch_dim], input.shape[1 - batch_dim])
    batch_sizes = (host[None, :] > np.arange(host[0])[:, None]).sum(1)
    steps, rows = _packed_positions(batch_sizes)
    key = (_cpu_long(rows), _cpu_long(steps)) if batch_first else (_cpu_long(steps), _cpu_long(rows))
    return PackedSequence(input[key], _cpu_long(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undoes pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths (CPU int64)), in the batch's original
    order; T is the longest length, or `total_length` when given.

    Example::

        >>> p = nn.utils.rnn.pack_sequence([torch.ones(3, 2), torch.ones(1, 2)])
        >>> padded, lengths = nn.utils.rnn.pad_packed_sequence(p, batch_first=True)
        >>> padded.shape, lengths
        (autograd_lite.Size([2, 3, 2]), tensor([3, 1]))
    """
    batch_sizes = _host(sequence.batch_sizes)
    steps = batch_sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    data = sequence.data
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    t, b = _packed_positions(batch_sizes)
    shape = ((batch, steps) if batch_first else (steps, batch)) + tuple(data.shape[1:])
    out = creation.full(shape, padding_value, dtype=data.dtype, device=data.device)
    key = (_cpu_long(b), _cpu_long(t)) if batch_first else (_cpu_long(t), _cpu_long(b))
    padded = index_put(out, key, data)
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    if sequence.unsorted_indices is not None:
        order = sequence.unsorted_indices
        return padded.index_select(0 if batch_first else 1, order), _cpu_long(lengths[_host(order)])
    return padded, _cpu_long(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks sequences (L_i, *) into one tensor (max L, B, *) (or (B, max L, *) with batch_first), the shorter ones
    filled with `padding_value` on `padding_side` ('right' or 'left').

    Example::

        >>> nn.utils.rnn.pad_sequence([torch.ones(3), torch.ones(1)], batch_first=True)
        tensor([[1., 1., 1.],
                [1., 0., 0.]])
    """
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    else:
        try:
            sequences = tuple(sequences)
        except TypeError:
            raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                               f"{type(sequences)}") from None
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    for s in sequences:
        if s.ndim == 0:
            raise RuntimeError("pad_sequence: expected each sequence to have at least 1 dimension (its length), "
                               "got a 0-d tensor")
        if tuple(s.shape[1:]) != tuple(first.shape[1:]):
            _shape_error(tuple(first.shape[1:]), tuple(s.shape[1:]))
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    longest = int(lengths.max())
    rows = np.repeat(np.arange(len(sequences)), lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    steps = np.arange(rows.size) - starts
    if padding_side == "left":
        steps = steps + np.repeat(longest - lengths, lengths)
    shape = ((len(sequences), longest) if batch_first else (longest, len(sequences))) + tuple(first.shape[1:])
    out = creation.full(shape, padding_value, dtype=first.dtype, device=first.device)
    if not rows.size:
        return out
    data = cat([s if s.dtype is first.dtype else s.to(first.dtype) for s in sequences], 0)
    key = (_cpu_long(rows), _cpu_long(steps)) if batch_first else (_cpu_long(steps), _cpu_long(rows))
    return index_put(out, key, data)


def _shape_error(want, got):
    """PyTorch's wording for a sequence whose trailing dims differ from the first one's."""
    if len(want) == len(got):
        d = next(i for i, (a, b) in enumerate(zip(want, got)) if a != b)
        raise RuntimeError(f"The size of tensor a ({want[d]}) must match the size of tensor b ({got[d]}) at "
                           f"non-singleton dimension {d + 1}")
    raise RuntimeError(f"pad_sequence: every sequence must have the trailing dims of the first, {list(want)}, got "
                       f"{list(got)}")


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences that pad_sequence padded: sequence i is the first lengths[i] steps of its column.

    Example::

        >>> padded = nn.utils.rnn.pad_sequence([torch.ones(3), torch.ones(1)])
        >>> [s.shape[0] for s in nn.utils.rnn.unpad_sequence(padded, torch.tensor([3, 1]))]
        [3, 1]
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(_host(lengths).reshape(-1))]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of sequences (L_i, *): ``pack_padded_sequence(pad_sequence(sequences), lengths)``.

    Example::

        >>> nn.utils.rnn.pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4])]).data
        tensor([1, 4, 2, 3])
    """
    lengths = _cpu_long([s.shape[0] if s.ndim else 0 for s in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds, in their original order.

    Example::

        >>> p = nn.utils.rnn.pack_sequence([torch.ones(3), torch.ones(1)])
        >>> [s.shape[0] for s in nn.utils.rnn.unpack_sequence(p)]
        [3, 1]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
