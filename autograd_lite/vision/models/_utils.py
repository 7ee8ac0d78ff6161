"""What the model builders share, as ``torchvision.models._utils``: the legacy ``pretrained=`` interface with
torchvision's deprecation warnings, the num_classes check against the weights, MobileNet's channel rounding."""
import functools
import inspect
import warnings

from ._api import WeightsEnum


def _sequence_to_str(seq, separate_last=""):
    """"'a'", "'a' and 'b'", "'a', 'b', and 'c'": torchvision's listing of names in messages."""
    if not seq:
        return ""
    if len(seq) == 1:
        return f"'{seq[0]}'"
    head = "'" + "', '".join(str(item) for item in seq[:-1]) + "'"
    return head + f"{'' if separate_last and len(seq) == 2 else ','} {separate_last}'{seq[-1]}'"


def _kwonly_to_pos_or_kw(fn):
    """Lets fn's keyword-only parameters be passed by position too, with torchvision's deprecation warning."""
    params = tuple(inspect.signature(fn).parameters.values())
    start = next(i for i, p in enumerate(params) if p.kind == p.KEYWORD_ONLY)
    names = tuple(p.name for p in params[start:])

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args, extra = args[:start], args[start:]
        if extra:
            extra = dict(zip(names, extra))
            warnings.warn(f"Using {_sequence_to_str(tuple(extra), separate_last='and ')} as positional parameter(s) "
                          "is deprecated since 0.13 and may be removed in the future. Please use keyword "
                          "parameter(s) instead.")
            kwargs.update(extra)
        return fn(*args, **kwargs)
    return wrapper


def handle_legacy_interface(**weights):
    """Decorates a builder so that the old ``pretrained=True/False`` (by keyword or position) still works: it maps
    to weights=<the given default> / None with torchvision's two UserWarnings. `weights`: {"weights": ("pretrained",
    default WeightsEnum member)}."""
    def outer_wrapper(builder):
        @_kwonly_to_pos_or_kw
        @functools.wraps(builder)
        def inner_wrapper(*args, **kwargs):
            for weights_param, (pretrained_param, default) in weights.items():
                sentinel = object()
                weights_arg = kwargs.get(weights_param, sentinel)
                if ((weights_param not in kwargs and pretrained_param not in kwargs)
                        or isinstance(weights_arg, WeightsEnum)
                        or (isinstance(weights_arg, str) and weights_arg != "legacy") or weights_arg is None):
                    continue
                # pretrained given by position arrives as the weights argument (the signature has no 'pretrained')
                positional = weights_arg is not sentinel
                if positional:
                    kwargs[pretrained_param] = pretrained_arg = kwargs.pop(weights_param)
                else:
                    pretrained_arg = kwargs[pretrained_param]
                if pretrained_arg:
                    default_weights = default(kwargs) if callable(default) else default
                    if not isinstance(default_weights, WeightsEnum):
                        raise ValueError(f"No weights available for model {builder.__name__}")
                else:
                    default_weights = None
                if not positional:
                    warnings.warn(f"The parameter '{pretrained_param}' is deprecated since 0.13 and may be removed "
                                  f"in the future, please use '{weights_param}' instead.")
                msg = (f"Arguments other than a weight enum or `None` for '{weights_param}' are deprecated since 0.13 "
                       f"and may be removed in the future. The current behavior is equivalent to passing "
                       f"`{weights_param}={default_weights}`.")
                if pretrained_arg:
                    msg = (f"{msg} You can also use `{weights_param}={type(default_weights).__name__}.DEFAULT` to "
                           "get the most up-to-date weights.")
                warnings.warn(msg)
                del kwargs[pretrained_param]
                kwargs[weights_param] = default_weights
            return builder(*args, **kwargs)
        return inner_wrapper
    return outer_wrapper


def _ovewrite_named_param(kwargs, param, new_value):
    """Sets kwargs[param] to what the weights need, or checks that the caller's value agrees (torchvision's
    ValueError otherwise: e.g. num_classes=10 with 1000-category weights)."""
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _make_divisible(v, divisor, min_value=None):
    """v rounded to a multiple of divisor, never below min_value nor more than 10% below v (MobileNet's rule)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _load_weights(model, weights, progress):
    """Loads the weights' published state dict into model (hash prefix checked, as torchvision does)."""
    model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
