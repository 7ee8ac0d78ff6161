"""Keras' metrics as per-sample values (NumPy, computed on the host from a batch's predictions), and the
resolution of 'accuracy' from the loss and the output size, as Keras does it.

Example: ``metrics.get("accuracy", loss="binary_crossentropy", output_dim=1)`` -> ("accuracy", binary_accuracy).
"""
import numpy as np

__all__ = ["binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "get"]


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """mean over the last axis of (y_pred > threshold) == y_true."""
    return np.mean(np.equal(y_true, (y_pred > threshold).astype(y_pred.dtype)), axis=-1)


def categorical_accuracy(y_true, y_pred):
    return np.equal(np.argmax(y_true, axis=-1), np.argmax(y_pred, axis=-1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    return np.equal(np.asarray(y_true).reshape(-1), np.argmax(y_pred, axis=-1)).astype(np.float32)


def _mse(y_true, y_pred):
    return np.mean((y_pred - y_true) ** 2, axis=-1)


def _mae(y_true, y_pred):
    return np.mean(np.abs(y_pred - y_true), axis=-1)


_BY_NAME = {"binary_accuracy": binary_accuracy, "categorical_accuracy": categorical_accuracy,
            "sparse_categorical_accuracy": sparse_categorical_accuracy, "mse": _mse, "mean_squared_error": _mse,
            "mae": _mae, "mean_absolute_error": _mae}


def get(name, loss=None, output_dim=None):
    """(history key, fn(y_true, y_pred) -> per-sample values) for a metric name. 'accuracy' / 'acc' is binary
    accuracy for binary_crossentropy or a single output unit, sparse for sparse_categorical_crossentropy, else
    categorical (Keras' rule)."""
    if name in ("accuracy", "acc"):
        if loss == "binary_crossentropy" or output_dim == 1:
            return name, binary_accuracy
        if loss == "sparse_categorical_crossentropy":
            return name, sparse_categorical_accuracy
        return name, categorical_accuracy
    if callable(name):
        return name.__name__, name
    fn = _BY_NAME.get(name)
    if fn is None:
        raise ValueError(f"Unknown metric function: {name!r}. Known: accuracy, acc, {', '.join(sorted(_BY_NAME))}")
    return name, fn
