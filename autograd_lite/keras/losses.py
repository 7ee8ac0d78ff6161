"""Keras' losses on autograd_lite tensors: per-sample losses (the last axis reduced), as Keras computes them from
probabilities (not logits), with predictions clipped to [EPSILON, 1 - EPSILON]; a model averages them over the batch.

Example: ``losses.get("binary_crossentropy")(y_true, y_pred)`` is a tensor of shape (batch,).
"""
from .. import ops as _ops

EPSILON = 1e-7      # Keras' backend.epsilon()

__all__ = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
           "mean_squared_error", "mean_absolute_error", "mse", "mae", "get", "name_of"]


def _clip(p):
    return p.clamp(EPSILON, 1 - EPSILON)


def binary_crossentropy(y_true, y_pred):
    """-(y log p + (1 - y) log(1 - p)), averaged over the last axis."""
    p = _clip(y_pred)
    return -(y_true * p.log() + (1 - y_true) * (1 - p).log()).mean(dim=-1)


def categorical_crossentropy(y_true, y_pred):
    """-sum(y log p) over the last axis, p normalised to sum to 1 first (as Keras does)."""
    p = _clip(y_pred / y_pred.sum(dim=-1, keepdim=True))
    return -(y_true * p.log()).sum(dim=-1)


def sparse_categorical_crossentropy(y_true, y_pred):
    """categorical_crossentropy with y_true given as class indices, shape (batch,) or (batch, 1)."""
    p = _clip(y_pred / y_pred.sum(dim=-1, keepdim=True))
    t = y_true.reshape(-1).long()
    return -_ops.gather(p.log().reshape(t.shape[0], -1), 1, t.reshape(-1, 1)).reshape(-1)


def mean_squared_error(y_true, y_pred):
    return ((y_pred - y_true) ** 2).mean(dim=-1)


def mean_absolute_error(y_true, y_pred):
    return (y_pred - y_true).abs().mean(dim=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_BY_NAME = {"binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
            "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
            "mean_squared_error": mean_squared_error, "mse": mean_squared_error, "MSE": mean_squared_error,
            "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error, "MAE": mean_absolute_error}


def get(identifier):
    """A loss function from its name, or a callable ``loss(y_true, y_pred)`` as it is."""
    if callable(identifier):
        return identifier
    fn = _BY_NAME.get(identifier) if isinstance(identifier, str) else None
    if fn is None:
        raise ValueError(f"Unknown loss function: {identifier!r}. Known: {', '.join(sorted(_BY_NAME))}, or a "
                         "callable loss(y_true, y_pred)")
    return fn


def name_of(fn):
    """The canonical name of a built-in loss function (None for a custom one)."""
    return next((name for name, f in _BY_NAME.items() if f is fn and name == f.__name__), None)
