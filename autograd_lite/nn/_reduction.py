"""``torch.nn._reduction``, which losses written for PyTorch import: the enum of a reduction and the mapping of the
deprecated ``size_average`` / ``reduce`` pair.

Example: ``from autograd_lite.nn import _reduction as _Reduction; _Reduction.legacy_get_string(None, False)`` is
``'none'`` (and warns, as torch's)."""
import warnings

from ..ops.loss import legacy_get_string

__all__ = ["get_enum", "legacy_get_string", "legacy_get_enum"]


def get_enum(reduction):
    """ATen's number for a reduction: 'none' 0, 'mean' 1, 'sum' 2 ('elementwise_mean', deprecated, is 1)."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=2)
        return 1
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return ("none", "mean", "sum").index(reduction)


def legacy_get_enum(size_average, reduce, emit_warning=True):
    """get_enum of legacy_get_string: ``legacy_get_enum(False, True)`` is 2 (sum)."""
    return get_enum(legacy_get_string(size_average, reduce, emit_warning, _stacklevel=3))
