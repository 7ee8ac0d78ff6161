"""Weights entries and the model registry, as ``torchvision.models._api``: ``Weights``, ``WeightsEnum``,
``register_model``, ``list_models``, ``get_model``, ``get_model_builder``, ``get_model_weights``, ``get_weight``."""
import fnmatch
import sys
from dataclasses import dataclass
from enum import Enum
from functools import partial
from inspect import signature
from typing import Any, Callable, Dict

__all__ = ["WeightsEnum", "Weights", "get_model", "get_model_builder", "get_model_weights", "get_weight",
           "list_models"]


@dataclass
class Weights:
    """One set of pretrained weights: where it is (`url`), the preset that prepares inputs for it (`transforms`, a
    constructor: call it to get the transform) and `meta` (categories, num_params, min_size, metrics...)."""
    url: str
    transforms: Callable
    meta: Dict[str, Any]

    def __eq__(self, other):
        # partial objects never compare equal to their copies: compare what they wrap (as torchvision does)
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        a, b = self.transforms, other.transforms
        if isinstance(a, partial) and isinstance(b, partial):
            return a.func == b.func and a.args == b.args and a.keywords == b.keywords
        return a == b


class WeightsEnum(Enum):
    """Base of every ``*_Weights`` enum: members are ``Weights``; ``url``, ``transforms`` and ``meta`` read through.

    Example::

        >>> w = ResNet50_Weights.DEFAULT
        >>> w, w.url.rsplit("/", 1)[1], len(w.meta["categories"])
        (ResNet50_Weights.IMAGENET1K_V2, 'resnet50-11ad3fa6.pth', 1000)
        >>> preprocess = w.transforms()
    """

    @classmethod
    def verify(cls, obj):
        """obj as a member of this enum: None stays None, a name ("IMAGENET1K_V1", "ResNet50_Weights.DEFAULT") is
        looked up (KeyError if unknown), a member of another enum is a TypeError."""
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                                f"{obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args, **kwargs):
        """The weights' state dict, downloaded once into the hub cache: ``load_state_dict_from_url(self.url, ...)``
        (arguments as that function's: progress, check_hash, model_dir, map_location...)."""
        from ... import hub         # lazily: only pretrained weights need the download machinery
        return hub.load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


BUILTIN_MODELS = {}


def register_model(name=None):
    """Registers a model builder under `name` (default: its function name) for get_model / list_models."""
    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def list_models(module=None, include=None, exclude=None):
    """The registered model names, sorted; `include` / `exclude`: fnmatch patterns (one or several) kept / removed;
    `module`: only the builders of that module (e.g. ``models``).

    Example: ``list_models(include="resnet*")`` -> ['resnet101', 'resnet152', 'resnet18', 'resnet34', 'resnet50']."""
    all_models = {k for k, v in BUILTIN_MODELS.items()
                  if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__}
    if include:
        models = set()
        for pattern in [include] if isinstance(include, str) else include:
            models |= set(fnmatch.filter(all_models, pattern))
    else:
        models = all_models
    if exclude:
        for pattern in [exclude] if isinstance(exclude, str) else exclude:
            models -= set(fnmatch.filter(all_models, pattern))
    return sorted(models)


def get_model_builder(name):
    """The builder function registered under `name` (case-insensitive); ValueError if none."""
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name, **config):
    """Builds the model registered under `name` with `config` (weights=, num_classes=, ...).

    Example: ``get_model("resnet18", weights=None, num_classes=10)``."""
    return get_model_builder(name)(**config)


def get_model_weights(name):
    """The weights enum class of a model builder or of the model registered under `name`.

    Example: ``get_model_weights("densenet121")`` -> DenseNet121_Weights."""
    fn = get_model_builder(name) if isinstance(name, str) else name
    parameters = signature(fn).parameters
    if "weights" not in parameters:
        raise ValueError("The method is missing the 'weights' argument.")
    ann = parameters["weights"].annotation
    candidates = [ann] + list(getattr(ann, "__args__", ()))     # WeightsEnum or Optional[WeightsEnum]
    for t in candidates:
        if isinstance(t, type) and issubclass(t, WeightsEnum):
            return t
    raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. Make sure the typing "
                     "info is correct.")


def get_weight(name):
    """The weights entry of a full name: ``get_weight("ResNet50_Weights.IMAGENET1K_V1")``."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    package = sys.modules[__name__.rsplit(".", 1)[0]]
    weights_enum = getattr(package, enum_name, None)
    if not (isinstance(weights_enum, type) and issubclass(weights_enum, WeightsEnum)):
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be retrieved.")
    return weights_enum[value_name]
