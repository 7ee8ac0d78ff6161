"""Anomaly detection, as torch.autograd's: within ``detect_anomaly()`` (or after ``set_detect_anomaly(True)``) the
backward engine checks each node's gradients and raises RuntimeError naming the node whose backward returned NaN.

Example::

    with torch.autograd.detect_anomaly():
        torch.sqrt(torch.tensor(-1., requires_grad=True)).backward()
    # RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.
"""
import functools
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

_state = {"enabled": False, "check_nan": True}


def is_anomaly_enabled():
    """True within detect_anomaly / after set_detect_anomaly(True)."""
    return _state["enabled"]


def is_anomaly_check_nan_enabled():
    """Whether anomaly mode checks gradients for NaN (its check_nan argument)."""
    return _state["check_nan"]


def _set(enabled, check_nan):
    saved = _state["enabled"], _state["check_nan"]
    _state["enabled"], _state["check_nan"] = bool(enabled), bool(check_nan)
    return saved


class set_detect_anomaly:
    """Turns anomaly detection on or off (at once, as a call; until the block ends, as a context manager)."""

    def __init__(self, mode, check_nan=True):
        self._saved = _set(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(*self._saved)
        return False


class detect_anomaly:
    """A context manager (or decorator) within which backward raises at the first node whose gradient has a NaN."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._saved = _set(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        _set(*self._saved)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


def check_gradients(node, grads):
    """The engine's check in anomaly mode: RuntimeError when one of the gradients `node`'s backward returned (arrays,
    or Tensors under create_graph) holds a NaN."""
    if not _state["check_nan"]:
        return
    for i, g in enumerate(grads):
        data = getattr(g, "_data", g)
        if data is not None and getattr(data, "dtype", None) is not None and data.dtype.kind in "fc" \
                and bool((data != data).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
