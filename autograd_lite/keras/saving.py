"""Saving Keras models: an .h5 / .hdf5 path is an HDF5 file written by h5py (the optional `keras` extra), in
Keras' layout (attributes model_config and training_config as JSON, a group model_weights/<layer>/ of datasets,
Dense kernels (in, units)); any other path uses autograd_lite.save, which never pickles. Both hold the
architecture, the weights, the compile settings and the optimizer's state, and load back exactly."""
import json
import pathlib
import warnings

import numpy as np

from .. import serialization
from . import optimizers as _optimizers
from .layers.core import LAYERS

FORMAT = "autograd_lite.keras"
VERSION = 1
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _is_hdf5(path):
    path = pathlib.Path(path)
    if path.suffix.lower() in (".h5", ".hdf5", ".keras"):
        return True
    try:
        with open(path, "rb") as f:
            return f.read(8) == _HDF5_MAGIC
    except OSError:
        return False


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("saving or loading a Keras model as HDF5 (.h5) needs h5py: pip install "
                          "'autograd_lite[keras]' (or use another file name: the library's own format)") from None
    return h5py


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
    """The optimizer's state_dict with NumPy arrays: {'state': {i: {key: array}}, 'param_groups': [...]}."""
    sd = model._torch_opt.state_dict()
    state = {int(i): {k: v.detach().cpu().numpy() if hasattr(v, "detach") else v for k, v in s.items()}
             for i, s in sd["state"].items()}
    return {"state": state, "param_groups": sd["param_groups"]}


def _load_optimizer_state(model, saved):
    from ..creation import tensor
    state = {int(i): {k: tensor(v) if isinstance(v, np.ndarray) else v for k, v in s.items()}
             for i, s in saved["state"].items()}
    groups = [dict(g, betas=tuple(g["betas"])) if "betas" in g else g for g in saved["param_groups"]]
    model._torch_opt.load_state_dict({"state": state, "param_groups": groups})


def save_model(model, filepath):
    config, training = model.get_config(), _training_config(model)
    weights = model.get_weights()
    opt_state = _optimizer_state(model) if training is not None else None
    if _is_hdf5(filepath):
        _save_h5(model, filepath, config, training, opt_state)
        return
    serialization.save({"format": FORMAT, "version": VERSION, "model_config": config, "training_config": training,
                        "weights": weights, "optimizer_state": opt_state}, filepath)


def _weight_names(layer):
    names = ["kernel:0", "bias:0"] if type(layer).__name__ == "Dense" else []
    return names[:len(layer.weights)]


def _save_h5(model, filepath, config, training, opt_state):
    h5py = _h5py()
    with h5py.File(filepath, "w") as f:
        f.attrs["backend"] = "autograd_lite"
        f.attrs["format_version"] = VERSION
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": config})
        _write_weights(f.create_group("model_weights"), model)
        if training is not None:
            f.attrs["training_config"] = json.dumps(training)
            group = f.create_group("optimizer_weights")
            group.attrs["param_groups"] = json.dumps(opt_state["param_groups"])
            for i, state in opt_state["state"].items():
                sub = group.create_group(str(i))
                for key, value in state.items():
                    sub.create_dataset(key, data=np.asarray(value))


def _write_weights(group, model):
    group.attrs["layer_names"] = [layer.name for layer in model.layers]
    for layer in model.layers:
        g = group.create_group(layer.name)
        names = _weight_names(layer)
        g.attrs["weight_names"] = names
        for name, array in zip(names, layer.get_weights()):
            g.create_dataset(name, data=array)


def _read_weights(group, model):
    """The saved arrays, layer by layer in order (by topology, as Keras loads HDF5 weights)."""
    names = [_decode(n) for n in group.attrs["layer_names"]]
    if len(names) != len(model.layers):
        raise ValueError(f"load_weights: the file holds {len(names)} layers, the model has {len(model.layers)}")
    arrays = []
    for name in names:
        g = group[name]
        arrays += [np.asarray(g[_decode(w)]) for w in g.attrs["weight_names"]]
    return arrays


def _decode(value):
    return value.decode() if isinstance(value, bytes) else value


def _build(config):
    from .models import Sequential
    model = Sequential(name=config.get("name"))
    for entry in config["layers"]:
        cls = LAYERS.get(entry["class_name"])
        if cls is None:
            raise ValueError(f"load_model: unknown layer class {entry['class_name']!r}")
        model.add(cls(**entry["config"]))
    model._build()
    return model


def _compile(model, training, opt_state, compile):
    if training is None or not compile:
        return model
    model.compile(optimizer=_optimizers.get(training["optimizer_config"]), loss=training["loss"],
                  metrics=training["metrics"])
    model.optimizer.iterations = int(training.get("optimizer_iterations", 0))
    if opt_state is not None:
        _load_optimizer_state(model, opt_state)
    return model


def load_model(filepath, compile=True):
    if _is_hdf5(filepath):
        h5py = _h5py()
        with h5py.File(filepath, "r") as f:
            config = json.loads(_decode(f.attrs["model_config"]))["config"]
            model = _build(config)
            model.set_weights(_read_weights(f["model_weights"], model))
            training = json.loads(_decode(f.attrs["training_config"])) if "training_config" in f.attrs else None
            opt_state = None
            if "optimizer_weights" in f:
                group = f["optimizer_weights"]
                opt_state = {"param_groups": json.loads(_decode(group.attrs["param_groups"])),
                             "state": {int(i): {k: np.asarray(v) for k, v in group[i].items()} for i in group}}
            return _compile(model, training, opt_state, compile)
    payload = serialization.load(filepath)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"load_model: {filepath} is not a Keras model saved by autograd_lite")
    model = _build(payload["model_config"])
    model.set_weights(payload["weights"])
    return _compile(model, payload["training_config"], payload["optimizer_state"], compile)


def save_weights(model, filepath):
    model._build()
    if _is_hdf5(filepath):
        with _h5py().File(filepath, "w") as f:
            _write_weights(f, model)
        return
    serialization.save({"format": FORMAT + ".weights", "weights": model.get_weights()}, filepath)


def load_weights(model, filepath):
    model._build()
    if _is_hdf5(filepath):
        with _h5py().File(filepath, "r") as f:
            model.set_weights(_read_weights(f, model))
        return
    model.set_weights(serialization.load(filepath)["weights"])


__all__ = ["save_model", "load_model", "save_weights", "load_weights"]
