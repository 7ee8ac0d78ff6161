"""Recurrent layers: RNN, LSTM, GRU (stacked, bidirectional, packed sequences) and their cells RNNCell, LSTMCell,
GRUCell, with PyTorch's signatures, parameter names and order, init, errors and reprs. The math is in ops/rnn.py."""
import math
import numbers
import warnings

from ... import creation
from ...ops import rnn as _rnn
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _packed_sequence():
    from ..utils.rnn import PackedSequence     # nn.utils.rnn builds on the modules' package, not the reverse
    return PackedSequence


def _check_type(name, value, kind):
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters of every layer and direction (weight_ih_l{k}, weight_hh_l{k},
    bias_ih_l{k}, bias_hh_l{k}, weight_hr_l{k} with proj_size; '_reverse' for the backward direction), all
    ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), the input checks and the repr. `mode`: 'LSTM', 'GRU',
    'RNN_TANH' or 'RNN_RELU'."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        _check_type("bias", bias, bool)
        _check_type("batch_first", batch_first, bool)
        _check_type("input_size", input_size, int)
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        _check_type("hidden_size", hidden_size, int)
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        out_size = proj_size or hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for direction in range(dirs):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                layer_in = input_size if layer == 0 else out_size * dirs
                shapes = {"weight_ih": (gate_size, layer_in), "weight_hh": (gate_size, out_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for name, shape in shapes.items():
                    setattr(self, name + suffix, Parameter(creation.empty(*shape, device=device, dtype=dtype)))
                    names.append(name + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters, one list per layer and direction."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op: the weights need no packing into one buffer here (cuDNN's layout, in PyTorch)."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _layer_weights(self):
        """Per layer and direction, (w_ih, w_hh, b_ih, b_hh, w_hr) with None where absent."""
        out = []
        for names in self._all_weights:
            found = {n.split("_l")[0]: getattr(self, n) for n in names}
            out.append(tuple(found.get(k) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")))
        return out

    # ---- checks, as PyTorch's -------------------------------------------------------------------------------------
    def check_input(self, input, batch_sizes):
        wdt = self._flat_weights[0].dtype
        if input.dtype != wdt:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({wdt}). Convert input: "
                             f"input.to({wdt}), or convert model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        return (self.num_layers * (2 if self.bidirectional else 1), mini_batch, self.proj_size or self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(tuple(expected_hidden_size), list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        return hx if permutation is None else hx.index_select(1, permutation)

    # ---- forward ----------------------------------------------------------------------------------------------------
    def _zeros(self, input, batch, size):
        return creation.zeros(self.num_layers * (2 if self.bidirectional else 1), batch, size, dtype=input.dtype,
                              device=input.device)

    def _initial_state(self, input, batch):
        """The zero states when hx is not given (a tuple, one tensor per state: (h,) or (h, c))."""
        return (self._zeros(input, batch, self.hidden_size),)

    def _unbatched_hx(self, hx, batched):
        """hx as a tuple of 3-d states, after PyTorch's checks of its dims against the input's."""
        if batched and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        if not batched and hx.dim() != 2:
            raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
        return (hx if batched else hx.unsqueeze(1),)

    def _check_states(self, input, states, batch_sizes):
        self.check_forward_args(input, states[0], batch_sizes)

    def _states(self, hx):
        return (hx,)

    def _result(self, states):
        return states[0]

    def forward(self, input, hx=None):
        packed = not hasattr(input, "dim") and isinstance(input, _packed_sequence())
        name = "RNN" if self.mode.startswith("RNN") else self.mode
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            sizes = [int(b) for b in batch_sizes.tolist()]
            states = self._initial_state(data, sizes[0]) if hx is None else \
                self._states(self.permute_hidden(hx, sorted_indices))
            self._check_states(data, states, batch_sizes)
            x = data
        else:
            if input.dim() not in (2, 3):
                suffix = " tensor" if name == "RNN" else ""
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{suffix} instead")
            batched = input.dim() == 3
            if not batched:
                input = input.unsqueeze(0 if self.batch_first else 1)
            batch = input.size(0) if self.batch_first else input.size(1)
            states = self._initial_state(input, batch) if hx is None else self._unbatched_hx(hx, batched)
            self._check_states(input, states, None)
            seq = input.transpose(0, 1) if self.batch_first else input
            steps = seq.size(0)
            sizes = [batch] * steps
            x = seq.reshape(steps * batch, seq.size(2))
        out, finals = _rnn.rnn_layers(self.mode, x, sizes, states, self._layer_weights(), self.num_layers,
                                      self.bidirectional, self.dropout, self.training)
        if packed:
            return (type(input)(out, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(self._result(finals), unsorted_indices))
        out = out.reshape(steps, batch, out.size(1))
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            finals = tuple(s.squeeze(1) for s in finals)
        return out, self._result(finals)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh) (nonlinearity 'tanh' or 'relu'),
    stacked num_layers deep.

    Args: input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0
    (between layers, in training), bidirectional=False, device=None, dtype=None.
    Shape: input (L, N, H_in) (or (N, L, H_in) with batch_first, or unbatched (L, H_in)) or a PackedSequence;
    h_0 (D * num_layers, N, H_out). Returns (output (L, N, D * H_out), h_n (D * num_layers, N, H_out)).

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, hn = rnn(autograd_lite.randn(5, 3, 10), autograd_lite.randn(2, 3, 20))
        >>> output.shape
        autograd_lite.Size([5, 3, 20])
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory: i, f, g, o = gates of x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh;
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g); h_t = sigmoid(o) * tanh(c_t) (then @ W_hr.T with proj_size).

    Args: input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False,
    proj_size=0, device=None, dtype=None.
    Shape: input as RNN's; (h_0, c_0) of (D * num_layers, N, H_out) and (D * num_layers, N, H_cell). Returns
    (output, (h_n, c_n)).

    Example::

        >>> lstm = nn.LSTM(10, 20, 2)
        >>> output, (hn, cn) = lstm(autograd_lite.randn(5, 3, 10))
        >>> hn.shape
        autograd_lite.Size([2, 3, 20])
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        return (self.num_layers * (2 if self.bidirectional else 1), mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        return hx if permutation is None else tuple(s.index_select(1, permutation) for s in hx)

    def _initial_state(self, input, batch):
        return self._zeros(input, batch, self.proj_size or self.hidden_size), self._zeros(input, batch,
                                                                                          self.hidden_size)

    def _unbatched_hx(self, hx, batched):
        h, c = hx
        if batched and (h.dim() != 3 or c.dim() != 3):
            raise RuntimeError(f"For batched 3-D input, hx and cx should also be 3-D but got ({h.dim()}-D, "
                               f"{c.dim()}-D) tensors")
        if not batched and (h.dim() != 2 or c.dim() != 2):
            raise RuntimeError(f"For unbatched 2-D input, hx and cx should also be 2-D but got ({h.dim()}-D, "
                               f"{c.dim()}-D) tensors")
        return (h, c) if batched else (h.unsqueeze(1), c.unsqueeze(1))

    def _check_states(self, input, states, batch_sizes):
        self.check_forward_args(input, states, batch_sizes)

    def _states(self, hx):
        return tuple(hx)

    def _result(self, states):
        return states


class GRU(RNNBase):
    """Gated recurrent unit: r, z, n gates; n = tanh(x W_in.T + b_in + r * (h W_hn.T + b_hn));
    h_t = (1 - z) * n + z * h_{t-1}.

    Args: input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False,
    device=None, dtype=None. Shape: as RNN's.

    Example::

        >>> gru = nn.GRU(10, 20, 2)
        >>> output, hn = gru(autograd_lite.randn(5, 3, 10))
        >>> output.shape
        autograd_lite.Size([5, 3, 20])
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---- cells --------------------------------------------------------------------------------------------------------

class RNNCellBase(Module):
    """What the cells share: weight_ih (num_chunks * hidden_size, input_size), weight_hh (num_chunks * hidden_size,
    hidden_size), bias_ih and bias_hh (or None), all ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        size = num_chunks * hidden_size
        self.weight_ih = Parameter(creation.empty(size, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(size, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(size, device=device, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, mode, input, states):
        """The checks of PyTorch's cell ops (sizes against the layer's), then one step on the batched states."""
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}")
        for k, s in enumerate(states):
            if s.size(0) != input.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{k} batch size "
                                   f"{s.size(0)}")
            if s.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {s.size(1)}, expected "
                                   f"{self.hidden_size}")
        return _rnn.cell(mode, input, states, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)

    def _input(self, input, name):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        return input.dim() == 2, (input if input.dim() == 2 else input.unsqueeze(0))

    def _zeros(self, input):
        return creation.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh) (or relu).

    Args: input_size, hidden_size, bias=True, nonlinearity='tanh', device=None, dtype=None.
    Shape: input (N, H_in) or (H_in), hidden (N, H_out) or (H_out) (zeros if not given) -> h' as hidden.

    Example::

        >>> cell = nn.RNNCell(10, 20)
        >>> hx = cell(autograd_lite.randn(3, 10))
        >>> hx.shape
        autograd_lite.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        batched, x = self._input(input, "RNNCell")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        hx = self._zeros(x) if hx is None else (hx if batched else hx.unsqueeze(0))
        h, = self._step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", x, (hx,))
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: (h, c) -> (h', c'), the gates as LSTM's.

    Args: input_size, hidden_size, bias=True, device=None, dtype=None.
    Shape: input (N, H_in) or (H_in); (h_0, c_0) each (N, H) or (H) (zeros if not given) -> (h_1, c_1).

    Example::

        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(autograd_lite.randn(3, 10))
        >>> c.shape
        autograd_lite.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        batched, x = self._input(input, "LSTMCell")
        if hx is not None:
            for k, s in enumerate(hx):
                if s.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{k}] to be 1D or 2D, got {s.dim()}D instead")
        if hx is None:
            zeros = self._zeros(x)
            hx = (zeros, zeros)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = self._step("LSTM", x, tuple(hx))
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: h -> h', the gates as GRU's.

    Args: input_size, hidden_size, bias=True, device=None, dtype=None.
    Shape: input (N, H_in) or (H_in), hidden (N, H) or (H) (zeros if not given) -> h'.

    Example::

        >>> cell = nn.GRUCell(10, 20)
        >>> hx = cell(autograd_lite.randn(3, 10))
        >>> hx.shape
        autograd_lite.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        batched, x = self._input(input, "GRUCell")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        hx = self._zeros(x) if hx is None else (hx if batched else hx.unsqueeze(0))
        h, = self._step("GRU", x, (hx,))
        return h if batched else h.squeeze(0)
