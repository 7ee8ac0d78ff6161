"""Weight penalties added to a model's loss: ``Dense(32, kernel_regularizer=regularizers.l2(0.01))`` adds
0.01 * sum(kernel ** 2) (section 2.1 of the notes: L1 sends small weights to 0, L2 keeps all weights small)."""

import abc

__all__ = ["Regularizer", "L1L2", "l1", "l2", "l1_l2", "get"]


class Regularizer(abc.ABC):
    """A callable: weights tensor -> scalar penalty tensor."""

    @abc.abstractmethod
    def __call__(self, weights):
        """The penalty this regularizer adds to the loss for `weights`."""

    def get_config(self):
        return {}


class L1L2(Regularizer):
    """l1 * sum(|w|) + l2 * sum(w ** 2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, weights):
        penalty = 0.0
        if self.l1:
            penalty = penalty + self.l1 * weights.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * (weights * weights).sum()
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self):
        return f"L1L2(l1={self.l1:g}, l2={self.l2:g})"


def l1(l=0.01):  # noqa: E741  (Keras' argument name)
    return L1L2(l1=l)


def l2(l=0.01):  # noqa: E741
    return L1L2(l2=l)


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1=l1, l2=l2)


def get(identifier):
    """None, a Regularizer, a config dict {'class_name': 'L1L2' (or Keras 3's 'L1' / 'L2'), 'config': {...}}, or
    'l1' / 'l2' / 'l1_l2'."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict) and identifier.get("class_name") in ("L1L2", "L1", "L2"):
        return L1L2(**identifier.get("config", {}))
    if identifier in ("l1", "l2", "l1_l2"):
        return {"l1": l1, "l2": l2, "l1_l2": l1_l2}[identifier]()
    raise ValueError(f"Unknown regularizer: {identifier!r}")


def config_of(regularizer):
    return None if regularizer is None else {"class_name": type(regularizer).__name__,
                                             "config": regularizer.get_config()}
