"""Keras' optimizers, by name (``compile(optimizer='adam')``) or as objects with Keras' arguments and defaults
(``optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)``); each runs the autograd_lite.optim rule of
the same name. ``lr=`` is accepted for learning_rate, as in Keras 2.

Section 3.1 of the notes: SGD (learning rate, momentum, Nesterov), Adam (first and second moments), RMSprop
(learning rate divided by a decaying average of squared gradients).

Keras 2's common arguments work on every optimizer: ``decay`` (learning rate / (1 + decay * iterations)),
``clipnorm`` (each gradient scaled down to that L2 norm at most) and ``clipvalue`` (each element clipped to
[-clipvalue, clipvalue]).
"""
import abc

from .. import optim
from ..autograd import no_grad

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "Adagrad", "get"]


_COMMON = {"decay": 0.0, "clipnorm": None, "clipvalue": None}


class Optimizer(abc.ABC):
    """Keras-style optimizer settings; `build(params)` makes the autograd_lite optimizer a model trains with, and
    `apply(optimizer)` takes one step with it (Keras 2's decay and gradient clipping first)."""
    defaults = {}

    def __init__(self, **kwargs):
        if "lr" in kwargs:
            kwargs["learning_rate"] = kwargs.pop("lr")
        known = {**self.defaults, **_COMMON}
        unknown = set(kwargs) - set(known)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected argument(s) {sorted(unknown)}; "
                            f"expected {sorted(known)}")
        self.config = {**known, **kwargs}
        self.iterations = 0
        if self.config["learning_rate"] < 0:
            raise ValueError(f"{type(self).__name__}: learning_rate must be >= 0, got {self.config['learning_rate']}")
        for key in ("clipnorm", "clipvalue"):
            if self.config[key] is not None and self.config[key] <= 0:
                raise ValueError(f"{type(self).__name__}: {key} must be > 0, got {self.config[key]}")

    def apply(self, optimizer):
        """One step of `optimizer` (built by `build`): gradients clipped, the learning rate decayed, as Keras 2."""
        c = self.config
        params = [p for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
        with no_grad():
            if c["clipnorm"] is not None:
                for p in params:
                    norm = float((p.grad * p.grad).sum().item()) ** 0.5
                    if norm > c["clipnorm"]:
                        p.grad.mul_(c["clipnorm"] / norm)
            if c["clipvalue"] is not None:
                for p in params:
                    p.grad.clamp_(-c["clipvalue"], c["clipvalue"])
        if c["decay"]:
            for group in optimizer.param_groups:
                group["lr"] = c["learning_rate"] / (1.0 + c["decay"] * self.iterations)
        optimizer.step()
        self.iterations += 1

    @property
    def learning_rate(self):
        return self.config["learning_rate"]

    def get_config(self):
        return dict(self.config)

    @abc.abstractmethod
    def build(self, params):
        """The autograd_lite.optim optimizer of these settings over `params`."""

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.config.items())})"


class SGD(Optimizer):
    defaults = {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}

    def build(self, params):
        c = self.config
        return optim.SGD(params, lr=c["learning_rate"], momentum=c["momentum"], nesterov=c["nesterov"])


class Adam(Optimizer):
    defaults = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}

    def build(self, params):
        c = self.config
        return optim.Adam(params, lr=c["learning_rate"], betas=(c["beta_1"], c["beta_2"]), eps=c["epsilon"],
                          amsgrad=c["amsgrad"])


class RMSprop(Optimizer):
    defaults = {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False}

    def build(self, params):
        c = self.config
        return optim.RMSprop(params, lr=c["learning_rate"], alpha=c["rho"], eps=c["epsilon"],
                             momentum=c["momentum"], centered=c["centered"])


class Adagrad(Optimizer):
    defaults = {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7}

    def build(self, params):
        c = self.config
        return optim.Adagrad(params, lr=c["learning_rate"], initial_accumulator_value=c["initial_accumulator_value"],
                             eps=c["epsilon"])


_BY_NAME = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(identifier):
    """An Optimizer from a name ('sgd', 'adam', 'rmsprop', 'adagrad', any case), a config dict
    {'class_name': 'Adam', 'config': {...}}, or an Optimizer as it is."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        cls = _BY_NAME.get(str(identifier.get("class_name", "")).lower())
        if cls is not None:
            return cls(**identifier.get("config", {}))
    elif isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"Unknown optimizer: {identifier!r}. Known: {', '.join(sorted(_BY_NAME))}, or an "
                     "autograd_lite.keras.optimizers.Optimizer")
