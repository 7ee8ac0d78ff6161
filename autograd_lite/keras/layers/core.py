"""Keras' core layers (`keras.layers.core` in Keras 2): Dense, Activation, Dropout, Flatten. Each builds the
autograd_lite.nn modules it runs (Dense: nn.Linear, then its activation), so a Keras Sequential is an
nn.Sequential underneath and gets its fused Linear + activation kernels."""
import collections
import math
import re

import numpy as np

from ... import nn
from ...autograd import no_grad
from ...creation import from_numpy
from .. import regularizers as _regularizers

__all__ = ["Layer", "Dense", "Activation", "Dropout", "Flatten"]

_NAMES = collections.Counter()          # per base name: dense, dense_1, dense_2, ...


def _unique_name(base):
    n = _NAMES[base]
    _NAMES[base] += 1
    return base if n == 0 else f"{base}_{n}"


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "elu": nn.ELU,
                "softmax": lambda: nn.Softmax(dim=-1), "linear": None}


def activation_module(activation):
    """The nn module of a Keras activation: a name, a callable on tensors, or None / 'linear' (none)."""
    if activation is None or callable(activation) and not isinstance(activation, str):
        return None if activation is None else _Lambda(activation)
    if activation not in _ACTIVATIONS:
        raise ValueError(f"Unknown activation function: {activation!r}. Known: {', '.join(sorted(_ACTIVATIONS))}")
    make = _ACTIVATIONS[activation]
    return None if make is None else make()


_INITIALIZERS = {"glorot_uniform": nn.init.xavier_uniform_, "glorot_normal": nn.init.xavier_normal_,
                 "he_uniform": lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"),
                 "he_normal": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
                 "zeros": nn.init.zeros_, "ones": nn.init.ones_,
                 "random_normal": lambda w: nn.init.normal_(w, 0.0, 0.05),
                 "random_uniform": lambda w: nn.init.uniform_(w, -0.05, 0.05)}


def _initializer(name):
    if name not in _INITIALIZERS:
        raise ValueError(f"Unknown initializer: {name!r}. Known: {', '.join(sorted(_INITIALIZERS))}")
    return _INITIALIZERS[name]


class Layer:
    """A Keras layer: a name (unique per base name), an optional input shape, the nn modules it runs once built."""

    def __init__(self, name=None, input_shape=None, input_dim=None, batch_input_shape=None, trainable=True):
        self.name = name or _unique_name(_snake(type(self).__name__))
        self._declared_input = any(v is not None for v in (input_shape, input_dim, batch_input_shape))
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        self.input_shape = None if input_shape is None else (None,) + tuple(int(s) for s in input_shape)
        self.output_shape = None
        self.trainable = trainable
        self.modules = []
        self.built = False

    def build(self, input_shape):
        """Creates this layer's modules for inputs of `input_shape` (batch axis None); returns the output shape."""
        self.input_shape, self.built = tuple(input_shape), True
        self.output_shape = self.compute_output_shape(self.input_shape)
        return self.output_shape

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def weight_shapes(self, input_shape):
        """The shapes of the weights `build(input_shape)` creates, in get_weights' layout, without creating them."""
        return []

    @property
    def weights(self):
        """The layer's parameters, as autograd_lite tensors (Dense: its nn.Linear's weight and bias)."""
        return [p for m in self.modules for p in m.parameters()]

    def count_params(self):
        return sum(p.numel() for p in self.weights)

    def get_weights(self):
        return [p.detach().cpu().numpy().copy() for p in self.weights]

    def set_weights(self, arrays):
        weights = self.weights
        if len(arrays) != len(weights):
            raise ValueError(f"Layer {self.name!r} expects {len(weights)} weight arrays, got {len(arrays)}")
        with no_grad():
            for p, a in zip(weights, arrays):
                a = np.asarray(a, dtype=p.dtype.np)
                if a.shape != tuple(p.shape):
                    raise ValueError(f"Layer {self.name!r}: weight of shape {tuple(p.shape)} given an array of shape "
                                     f"{a.shape}")
                p.copy_(from_numpy(np.ascontiguousarray(a)))

    def regularization_loss(self):
        """The sum of this layer's weight penalties, or None."""
        return None

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        if self.input_shape is not None and self._declared_input:
            config["batch_input_shape"] = list(self.input_shape)
        return config

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Dense(Layer):
    """A fully connected layer: ``activation(x @ kernel + bias)``, kernel (input_dim, units) in Keras' layout
    (get_weights / set_weights); underneath an nn.Linear whose weight is the kernel transposed.

    Example: ``model.add(Dense(32, input_dim=2, activation='relu', kernel_regularizer=regularizers.l2(0.01)))``
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, input_dim=None,
                 input_shape=None, **kwargs):
        if int(units) != units or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        super().__init__(input_dim=input_dim, input_shape=input_shape, **kwargs)
        self.units, self.activation, self.use_bias = int(units), activation, bool(use_bias)
        activation_module(activation)                       # unknown names fail here, at once
        _initializer(kernel_initializer), _initializer(bias_initializer)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)

    def build(self, input_shape):
        super().build(input_shape)
        linear = nn.Linear(self.input_shape[-1], self.units, bias=self.use_bias)
        with no_grad():
            _initializer(self.kernel_initializer)(linear.weight)
            if self.use_bias:
                _initializer(self.bias_initializer)(linear.bias)
        act = activation_module(self.activation)
        self.linear, self.modules = linear, [linear] + ([act] if act is not None else [])
        return self.output_shape

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def weight_shapes(self, input_shape):
        return [(input_shape[-1], self.units)] + ([(self.units,)] if self.use_bias else [])

    def get_weights(self):
        if not self.built:
            return []
        out = [self.linear.weight.detach().cpu().numpy().T.copy()]
        return out + ([self.linear.bias.detach().cpu().numpy().copy()] if self.use_bias else [])

    def set_weights(self, arrays):
        arrays = list(arrays)
        if arrays:
            arrays[0] = np.asarray(arrays[0]).T
        super().set_weights(arrays)

    def regularization_loss(self):
        terms = []
        if self.kernel_regularizer is not None:
            terms.append(self.kernel_regularizer(self.linear.weight))
        if self.bias_regularizer is not None and self.use_bias:
            terms.append(self.bias_regularizer(self.linear.bias))
        return sum(terms[1:], terms[0]) if terms else None

    def get_config(self):
        if self.activation is not None and not isinstance(self.activation, str):
            raise ValueError(f"Dense {self.name!r}: a custom activation function can't be saved; use a named one")
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "use_bias": self.use_bias, "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer,
                "kernel_regularizer": _regularizers.config_of(self.kernel_regularizer),
                "bias_regularizer": _regularizers.config_of(self.bias_regularizer)}


class Activation(Layer):
    """An activation as its own layer: ``Activation('relu' | 'sigmoid' | 'softmax' | 'tanh' | 'linear' | 'elu')``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        activation_module(activation)
        self.activation = activation

    def build(self, input_shape):
        out = super().build(input_shape)
        act = activation_module(self.activation)
        self.modules = [act] if act is not None else []
        return out

    def get_config(self):
        if not isinstance(self.activation, str):
            raise ValueError(f"Activation {self.name!r}: a custom activation function can't be saved")
        return {**super().get_config(), "activation": self.activation}


class Dropout(Layer):
    """Zeroes a fraction `rate` of its inputs while training (scaling the rest by 1 / (1 - rate))."""

    def __init__(self, rate, **kwargs):
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        super().__init__(**kwargs)
        self.rate = float(rate)

    def build(self, input_shape):
        out = super().build(input_shape)
        self.modules = [nn.Dropout(self.rate)]
        return out

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class Flatten(Layer):
    """Flattens every axis but the batch axis."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        out = super().build(input_shape)
        self.modules = [nn.Flatten()]
        return out

    def compute_output_shape(self, input_shape):
        return (None, math.prod(input_shape[1:]))


LAYERS = {cls.__name__: cls for cls in (Dense, Activation, Dropout, Flatten)}
