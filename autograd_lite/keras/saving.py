"""Saving Keras models, in the format the path's suffix names (loading tells them apart by content):

- .h5 / .hdf5: HDF5 written by h5py (the optional `keras` extra) in Keras' layout: attributes model_config and
  training_config as JSON, a group model_weights/<layer>/ of datasets (Dense kernels (in, units)); plus this
  library's format_version attribute and optimizer_weights/<parameter index>/<state key> datasets;
- .keras: Keras 3's zip of config.json, metadata.json and model.weights.h5 (keras3.py);
- any other suffix: autograd_lite.save, which never pickles.

Each holds the architecture, the weights, the compile settings and the optimizer's state, and loads back exactly.
Loading treats the file as hostile (DESIGN rule 9): HDF5 links and datasets that read other files, datasets that
declare more bytes than they store, wrong JSON types, duplicate names, unknown versions and configs whose weights
differ from the file's arrays are refused before any layer is built, with a ValueError naming the file."""
import contextlib
import inspect
import json
import pathlib
import reprlib
import warnings
import zipfile

import numpy as np

from .. import serialization
from . import optimizers as _optimizers
from .layers.core import LAYERS, Layer

FORMAT = "autograd_lite.keras"
VERSION = 1
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_NUMERIC = "biuf"


class _BadFile(Exception):
    """What is wrong with a file; load_model / load_weights raise it as a ValueError naming the file."""


@contextlib.contextmanager
def _reading(op, path):
    try:
        yield
    except _BadFile as e:
        raise ValueError(f"{op}: {path}: {e}") from None


def _suffix(path):
    return pathlib.Path(path).suffix.lower()


def _kind(path):
    """'h5', 'keras' (Keras 3's zip) or 'own', from the file's content."""
    with open(path, "rb") as f:
        head = f.read(8)
        if head == _HDF5_MAGIC:
            return "h5"
        if head[:2] == b"PK":
            try:
                with zipfile.ZipFile(f) as z:
                    if "config.json" in z.namelist():
                        return "keras"
            except zipfile.BadZipFile:              # autograd_lite.load says what is wrong with it
                pass
    return "own"


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("saving or loading a Keras model as HDF5 (.h5, .keras) needs h5py: pip install "
                          "'autograd_lite[keras]' (or use another file name: the library's own format)") from None
    return h5py


# ---- checks of what a file holds ---------------------------------------------------------------------
_SHORT = reprlib.Repr()
_SHORT.maxlevel = 1                                 # a value quoted in a message: nested containers as [...] / {...}
_KINDS = {str: "a string", bool: "true or false", int: "an integer", float: "a number", list: "a list",
          dict: "an object", type(None): "null"}


def _is(value, kind):
    if kind in (int, float):                        # JSON's numbers: never true / false; a float may be written 1
        return isinstance(value, int if kind is int else (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)


def _expect(value, kinds, what):
    """`value` if it has one of the JSON `kinds`, else _BadFile saying what it should be."""
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if not any(_is(value, kind) for kind in kinds):
        raise _BadFile(f"{what} should be {' or '.join(_KINDS[k] for k in kinds)}, got {_SHORT.repr(value)}")
    return value


def _check_version(version):
    if isinstance(version, np.integer):
        version = int(version)
    if version is None:
        raise _BadFile("has no format version: it is not a Keras model saved by autograd_lite")
    if not _is(version, int) or not 1 <= version <= VERSION:
        raise _BadFile(f"was saved in format version {_SHORT.repr(version)}; this autograd_lite reads versions 1 "
                       f"to {VERSION} (a newer autograd_lite may read it)")


def _weights_array(value, what):
    if not isinstance(value, np.ndarray) or value.dtype.kind not in _NUMERIC:
        raise _BadFile(f"{what} should be an array of numbers, got {_SHORT.repr(value)}")
    return value


# JSON types of the layers' settings that a file may give (the constructors' arguments of those names)
_SETTINGS = {"name": str, "trainable": bool, "batch_input_shape": list, "units": int, "activation": (str, type(None)),
             "use_bias": bool, "kernel_initializer": str, "bias_initializer": str, "rate": float,
             "kernel_regularizer": (dict, type(None)), "bias_regularizer": (dict, type(None))}


def _layer(i, entry):
    """Layer #i of a model config, its settings checked, not built (nothing allocated)."""
    entry = _expect(entry, dict, f"layer #{i}")
    class_name = _expect(entry.get("class_name"), str, f"layer #{i}'s class_name")
    cls = LAYERS.get(class_name)
    if cls is None:
        raise _BadFile(f"Unknown layer: '{class_name}' (layer #{i}); known: {', '.join(LAYERS)}")
    config = _expect(entry.get("config"), dict, f"layer #{i}'s config")
    where = f"layer #{i} ({class_name} {config.get('name')!r})"
    params = {**inspect.signature(Layer).parameters, **inspect.signature(cls).parameters}
    allowed = {name: p for name, p in params.items() if name in _SETTINGS}
    for key, value in config.items():
        if key not in allowed:
            raise _BadFile(f"{where} has an unknown setting {key!r}")
        _expect(value, _SETTINGS[key], f"{where}: {key}")
    missing = [name for name, p in allowed.items() if p.default is p.empty and name not in config]
    if missing:
        raise _BadFile(f"{where} lacks its {missing[0]!r}")
    shape = config.get("batch_input_shape")
    if shape is not None and (len(shape) < 2 or not (shape[0] is None or _is(shape[0], int))
                              or not all(_is(d, int) and d > 0 for d in shape[1:])):
        raise _BadFile(f"{where}: batch_input_shape should be [null, sizes...], got {_SHORT.repr(shape)}")
    for key in ("kernel_regularizer", "bias_regularizer"):
        if config.get(key) is not None:
            _regularizer(config[key], f"{where}: {key}")
    try:
        return cls(**config)
    except ValueError as e:
        raise _BadFile(f"{where}: {e}") from None


def _regularizer(value, what):
    _expect(value.get("class_name"), str, f"{what}'s class_name")
    for key, weight in _expect(value.get("config", {}), dict, f"{what}'s config").items():
        if key not in ("l1", "l2"):
            raise _BadFile(f"{what} has an unknown setting {key!r}")
        _expect(weight, float, f"{what}'s {key}")


def _layers(config):
    """(name, layers) of a model config, each layer's settings checked, none built (nothing allocated)."""
    config = _expect(config, dict, "the model config")
    name = _expect(config.get("name"), (str, type(None)), "the model's name")
    entries = _expect(config.get("layers"), list, "the model config's 'layers'")
    layers = [_layer(i, entry) for i, entry in enumerate(entries)]
    if not layers or layers[0].input_shape is None:
        raise _BadFile("the model config's first layer declares no input shape (batch_input_shape)")
    return name, layers


def _declared_shapes(layers):
    """Each layer's weight shapes as the config declares them, computed without building anything."""
    shape, declared = layers[0].input_shape, []
    for layer in layers:
        declared.append(layer.weight_shapes(shape))
        shape = layer.compute_output_shape(shape)
    return declared


def _model(name, layers, weights):
    """The Sequential of `layers` with the file's weights (one list per layer), checked against the declared shapes
    before any layer is built: a config can't make us allocate more than the file holds."""
    from .models import Sequential
    if len(weights) != len(layers):
        raise _BadFile(f"Layer count mismatch when loading weights from file. Model expected {len(layers)} layers, "
                       f"found {len(weights)} saved layers.")
    for layer, declared, arrays in zip(layers, _declared_shapes(layers), weights):
        if len(arrays) != len(declared):
            raise _BadFile(f"Layer '{layer.name}' expected {len(declared)} weights, but the saved weights have "
                           f"{len(arrays)} elements.")
        for want, array in zip(declared, arrays):
            if _weights_array(array, f"a weight of layer '{layer.name}'").shape != want:
                raise _BadFile(f"Shape mismatch in layer '{layer.name}': its config declares a weight of shape "
                               f"{want}, the file holds one of shape {array.shape}")
    try:
        model = Sequential(layers, name=name)
    except ValueError as e:                         # duplicate layer names
        raise _BadFile(str(e)) from None
    model.set_weights([a for arrays in weights for a in arrays])
    return model


def _optimizer(config):
    config = _expect(config, dict, "the optimizer config")
    name = _expect(config.get("class_name"), str, "the optimizer's class_name")
    cls = _optimizers._BY_NAME.get(name.lower())
    if cls is None:
        raise _BadFile(f"Unknown optimizer: '{name}'; known: {', '.join(sorted(_optimizers._BY_NAME))}")
    settings = _expect(config.get("config", {}), dict, f"the {name} optimizer's config")
    known = {**cls.defaults, **_optimizers._COMMON}
    for key, value in settings.items():
        if key not in known:
            raise _BadFile(f"the {name} optimizer has an unknown argument {key!r}")
        default = known[key]
        _expect(value, bool if isinstance(default, bool) else (float, type(None)) if default is None else float,
                f"the {name} optimizer's {key!r}")
    try:
        return cls(**settings)
    except ValueError as e:
        raise _BadFile(str(e)) from None


def _compile(model, training):
    """Compiles `model` as the training config says: {'loss', 'metrics', 'optimizer_config', 'optimizer_iterations'}."""
    training = _expect(training, dict, "the training config")
    loss = _expect(training.get("loss"), str, "the training config's loss")
    metrics = _expect(training.get("metrics", []), list, "the training config's metrics")
    for metric in metrics:
        _expect(metric, str, "a metric")
    iterations = _expect(training.get("optimizer_iterations", 0), int, "the optimizer's iterations")
    if iterations < 0:
        raise _BadFile(f"the optimizer's iterations should be >= 0, got {iterations}")
    optimizer = _optimizer(training.get("optimizer_config"))
    try:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    except ValueError as e:                         # an unknown loss or metric
        raise _BadFile(str(e)) from None
    model.optimizer.iterations = iterations


def _load_state(model, state):
    """The optimizer's per-parameter state {index: {key: array}}, each array checked against its parameter."""
    from ..creation import tensor
    params = [p for group in model._torch_opt.param_groups for p in group["params"]]
    loaded = {}
    for i, entry in _expect(state, dict, "the optimizer state").items():
        if not _is(i, int) or not 0 <= i < len(params):
            raise _BadFile(f"the optimizer state has an entry for parameter {_SHORT.repr(i)}; the model has "
                           f"{len(params)} trainable parameters")
        loaded[i] = {}
        for key, value in _expect(entry, dict, f"the optimizer state of parameter {i}").items():
            want = () if key == "step" else tuple(params[i].shape)
            if _weights_array(value, f"the optimizer state {key!r} of parameter {i}").shape != want:
                raise _BadFile(f"the optimizer state {key!r} of parameter {i} should have shape {want}, the file "
                               f"holds one of shape {value.shape}")
            loaded[i][key] = tensor(value)
    model._torch_opt.load_state_dict({"state": loaded, "param_groups": model._torch_opt.state_dict()["param_groups"]})


# ---- HDF5 -----------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _open_h5(source):
    """The HDF5 file read-only, once nothing in it reads another file or declares more bytes than it stores."""
    h5py = _h5py()
    try:
        f = h5py.File(source, "r")
    except OSError as e:
        raise _BadFile(f"is not a readable HDF5 file ({e})") from None
    with f:
        def check(name, obj):
            if isinstance(obj, h5py.Group):
                for key in obj:
                    link = obj.get(key, getlink=True)
                    if isinstance(link, h5py.ExternalLink):
                        raise _BadFile(f"Not allowed: H5 file with ExternalLink at {obj.name.rstrip('/')}/{key} "
                                       f"(to {link.path} in {link.filename})")
                    if isinstance(link, h5py.SoftLink):
                        raise _BadFile(f"Not allowed: H5 file with SoftLink at {obj.name.rstrip('/')}/{key} "
                                       f"(to {link.path})")
            elif isinstance(obj, h5py.Dataset):
                if obj.external:
                    raise _BadFile(f"Not allowed: H5 file with external Dataset at {obj.name} (its data lies in "
                                   f"{[e[0] for e in obj.external]})")
                if obj.is_virtual:
                    raise _BadFile(f"Not allowed: H5 file with virtual Dataset at {obj.name}")
                declared, stored = (obj.size or 0) * obj.dtype.itemsize, obj.id.get_storage_size()
                if declared > stored:
                    raise _BadFile(f"Not allowed: H5 dataset {obj.name} declares {declared} bytes but only {stored} "
                                   "are stored in the file; refusing to load a potential decompression/shape bomb")
        check("/", f)
        f.visititems(check)                          # each object once, along hard links only
        yield f


def _member(group, key, kind):
    """group[key], which must be an h5py `kind` (Group or Dataset)."""
    obj = group.get(key)
    if not isinstance(obj, kind):
        raise _BadFile(f"has no {kind.__name__.lower()} {group.name.rstrip('/')}/{key}")
    return obj


def _dataset(group, key):
    ds = _member(group, key, _h5py().Dataset)
    if ds.dtype.kind not in _NUMERIC:
        raise _BadFile(f"dataset {ds.name} holds {ds.dtype}, not numbers")
    return np.asarray(ds[()])                       # a 0-d array for a scalar dataset


def _json_attr(obj, key, missing):
    if key not in obj.attrs:
        raise _BadFile(missing)
    text = obj.attrs[key]
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        raise _BadFile(f"attribute {key!r} should be a JSON string, got {_SHORT.repr(text)}")
    return _json(text, f"attribute {key!r}")


def _json(text, what):
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        raise _BadFile(f"{what} is not valid JSON ({type(e).__name__}: {e})") from None


def _names(obj, key):
    """A list-of-names attribute (layer_names, weight_names), each name once."""
    if key not in obj.attrs:
        raise _BadFile(f"{obj.name} has no attribute {key!r}")
    value = obj.attrs[key]
    names = [n.decode() if isinstance(n, bytes) else n for n in value] if getattr(value, "ndim", 0) == 1 else None
    if names is None or not all(isinstance(n, str) for n in names):
        raise _BadFile(f"attribute {key!r} of {obj.name} should be a list of names, got {_SHORT.repr(value)}")
    twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if twice is not None:
        raise _BadFile(f"attribute {key!r} of {obj.name} names {twice!r} twice")
    return names


def _h5_weights(group):
    """The saved arrays, one list per layer in order (by topology, as Keras loads HDF5 weights)."""
    h5py = _h5py()
    layers = [_member(group, name, h5py.Group) for name in _names(group, "layer_names")]
    return [[_dataset(g, w) for w in _names(g, "weight_names")] for g in layers]


def _h5_state(group):
    h5py = _h5py()
    state = {}
    for key in group:
        if not key.isdigit():
            raise _BadFile(f"{group.name}/{key} is not a parameter index")
        g = _member(group, key, h5py.Group)
        state[int(key)] = {name: _dataset(g, name) for name in g}
    return state


def _load_h5(source, compile):
    with _open_h5(source) as f:
        _check_version(f.attrs.get("format_version"))
        config = _expect(_json_attr(f, "model_config", "No model config found in the file."), dict, "model_config")
        if config.get("class_name") != "Sequential":
            raise _BadFile(f"holds a {_SHORT.repr(config.get('class_name'))} model; autograd_lite reads Sequential "
                           "models")
        model = _model(*_layers(config.get("config")), _h5_weights(_member(f, "model_weights", _h5py().Group)))
        if compile and "training_config" in f.attrs:
            _compile(model, _json_attr(f, "training_config", "No training config found in the file."))
            if "optimizer_weights" in f:
                _load_state(model, _h5_state(_member(f, "optimizer_weights", _h5py().Group)))
    return model


def _save_h5(model, filepath, config, training, opt_state):
    with _h5py().File(filepath, "w") as f:
        f.attrs["backend"] = "autograd_lite"
        f.attrs["format_version"] = VERSION
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": config})
        _write_weights(f.create_group("model_weights"), model)
        if training is not None:
            f.attrs["training_config"] = json.dumps(training)
            group = f.create_group("optimizer_weights")
            for i, state in opt_state.items():
                sub = group.create_group(str(i))
                for key, value in state.items():
                    sub.create_dataset(key, data=value)


def _write_weights(group, model):
    group.attrs["layer_names"] = [layer.name for layer in model.layers]
    for layer in model.layers:
        g = group.create_group(layer.name)
        names = _weight_names(layer)
        g.attrs["weight_names"] = names
        for name, array in zip(names, layer.get_weights()):
            g.create_dataset(name, data=array)


def _weight_names(layer):
    names = ["kernel:0", "bias:0"] if type(layer).__name__ == "Dense" else []
    return names[:len(layer.weights)]


# ---- the library's own format ------------------------------------------------------------------------------
def _own_payload(path, formats):
    payload = serialization.load(path)
    if not isinstance(payload, dict) or payload.get("format") not in formats:
        raise _BadFile("is not a Keras model or weights file saved by autograd_lite")
    weights_only = payload["format"] == FORMAT + ".weights"
    _check_version(payload.get("version", 1 if weights_only else None))     # weights files had none before 1
    return payload


def _load_own(path, compile):
    payload = _own_payload(path, (FORMAT,))
    name, layers = _layers(payload.get("model_config"))
    weights = _expect(payload.get("weights"), list, "the file's 'weights'")
    counts = [len(shapes) for shapes in _declared_shapes(layers)]
    if sum(counts) != len(weights):
        raise _BadFile(f"holds {len(weights)} weight arrays; the model config's layers take {sum(counts)}")
    arrays = iter(weights)
    model = _model(name, layers, [[next(arrays) for _ in range(n)] for n in counts])
    if compile and payload.get("training_config") is not None:
        _compile(model, payload["training_config"])
        if payload.get("optimizer_state") is not None:
            _load_state(model, _expect(payload["optimizer_state"], dict, "the optimizer state").get("state"))
    return model


# ---- the API -----------------------------------------------------------------------------------------------
def _training_config(model):
    c = model._compiled
    if c is None:
        return None
    if c["loss"] is None:
        warnings.warn("save: a custom loss function is not saved; load_model returns the model uncompiled",
                      RuntimeWarning, stacklevel=3)
        return None
    metrics = [m for m in c["metric_names"] if isinstance(m, str)]
    return {"loss": c["loss"], "metrics": metrics, "optimizer_iterations": model.optimizer.iterations,
            "optimizer_config": {"class_name": type(model.optimizer).__name__, "config": model.optimizer.get_config()}}


def _optimizer_state(model):
    """The optimizer's per-parameter state as NumPy arrays: {index: {key: array}}."""
    return {int(i): {k: v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v) for k, v in s.items()}
            for i, s in model._torch_opt.state_dict()["state"].items()}


def save_model(model, filepath):
    config, training = model.get_config(), _training_config(model)
    suffix = _suffix(filepath)
    if suffix == ".keras":
        from . import keras3                         # it builds on this module's checks
        keras3.save(model, filepath, config, training)
        return
    opt_state = _optimizer_state(model) if training is not None else None
    if suffix in (".h5", ".hdf5"):
        _save_h5(model, filepath, config, training, opt_state)
        return
    serialization.save({"format": FORMAT, "version": VERSION, "model_config": config, "training_config": training,
                        "weights": model.get_weights(), "optimizer_state": {"state": opt_state}}, filepath)


def load_model(filepath, compile=True):
    with _reading("load_model", filepath):
        kind = _kind(filepath)
        if kind == "keras":
            from . import keras3
            return keras3.load(filepath, compile)
        return (_load_h5 if kind == "h5" else _load_own)(filepath, compile)


def save_weights(model, filepath):
    model._build()
    suffix = _suffix(filepath)
    if suffix == ".keras":
        raise ValueError(f"save_weights: {filepath}: a .keras file holds a whole model (model.save); save the weights "
                         "to a .h5 / .hdf5 file (Keras' layout) or any other name (the library's own format)")
    if suffix in (".h5", ".hdf5"):
        with _h5py().File(filepath, "w") as f:
            f.attrs["format_version"] = VERSION
            _write_weights(f, model)
        return
    serialization.save({"format": FORMAT + ".weights", "version": VERSION, "weights": model.get_weights()}, filepath)


def load_weights(model, filepath):
    model._build()
    with _reading("load_weights", filepath):
        if _kind(filepath) == "h5":
            with _open_h5(filepath) as f:
                _check_version(f.attrs.get("format_version", 1))     # weights files had none before version 1
                arrays = [a for layer in _h5_weights(f) for a in layer]
        else:
            arrays = _expect(_own_payload(filepath, (FORMAT, FORMAT + ".weights")).get("weights"), list,
                             "the file's 'weights'")
        shapes = [_weights_array(a, "a weight").shape for a in arrays]
        wanted = [w.shape for w in model.get_weights()]
        if shapes != wanted:
            raise _BadFile(f"holds weights of shapes {_SHORT.repr(shapes)}; the model's are {_SHORT.repr(wanted)}")
        model.set_weights(arrays)


__all__ = ["save_model", "load_model", "save_weights", "load_weights"]
