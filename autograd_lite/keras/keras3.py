"""The .keras format, as Keras 3 writes and reads it: a zip of metadata.json ({"keras_version", "date_saved"}),
config.json (the model serialized as Keras 3 does: {"module", "class_name", "config", "registered_name"} objects,
an InputLayer first, the compile settings in "compile_config") and model.weights.h5 (each layer's weights at
layers/<class name in snake case, numbered>/vars/<i> in Keras' layout, the optimizer's variables at
optimizer/vars/<i>: iterations, learning_rate, then its slots). Keras 3 loads what `save` writes, and `load` reads
files Keras 3 wrote with the layers and optimizers this library has; anything else is refused, naming what."""
import collections
import datetime
import io
import json
import zipfile

import numpy as np

from .layers.core import _snake
from .saving import (_BadFile, _compile, _dataset, _expect, _h5py, _json, _layers, _load_state, _member, _model,
                     _open_h5)

KERAS_VERSION = "3.15.1"          # the release whose layout this writes (its load_model reads these files)
_MEMBERS = ("metadata.json", "config.json", "model.weights.h5")

# settings Keras 3 writes that change nothing here at these values: dropped when reading, refused at any other
_NEUTRAL = {"kernel_constraint": None, "bias_constraint": None, "quantization_config": None, "lora_rank": None,
            "lora_alpha": None, "activity_regularizer": None, "seed": None, "noise_shape": None,
            "data_format": "channels_last"}
_WRITTEN = {"Dense": ("kernel_constraint", "bias_constraint"), "Dropout": ("seed", "noise_shape"),
            "Flatten": ("data_format",)}
_OPTIMIZER_NEUTRAL = {"weight_decay": None, "global_clipnorm": None, "use_ema": False, "ema_overwrite_frequency": None,
                      "loss_scale_factor": None, "gradient_accumulation_steps": None}

# Keras 3's optimizer slots after iterations and learning_rate: blocks over the trainable variables in order, each
# variable's slots in a block as (our state key, scale: Keras' value = scale * ours, in Keras' layout)
_SLOTS = {
    "SGD": lambda c: [[("momentum_buffer", -c["learning_rate"])]] if c["momentum"] else [],
    "Adam": lambda c: [[("exp_avg", 1.0), ("exp_avg_sq", 1.0)]] + ([[("max_exp_avg_sq", 1.0)]] if c["amsgrad"] else []),
    "RMSprop": lambda c: [[("square_avg", 1.0)]]
    + ([[("momentum_buffer", c["learning_rate"])]] if c["momentum"] else [])
    + ([[("grad_avg", 1.0)]] if c["centered"] else []),
    "Adagrad": lambda c: [[("sum", 1.0)]],
}
_COUNTS_STEPS = ("Adam", "RMSprop", "Adagrad")     # ours keep a per-parameter 'step': Keras' iterations


def _obj(module, class_name, config):
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def _camel(name):
    return "".join(word.title() for word in name.split("_"))


def _paths(class_names):
    """Where Keras 3 keeps each layer's weights: the class name in snake case, numbered from the second on."""
    seen = collections.Counter()
    for class_name in class_names:
        base = _snake(class_name)
        seen[base] += 1
        yield base if seen[base] == 1 else f"{base}_{seen[base] - 1}"


# ---- save ------------------------------------------------------------------------------------------------------
def _layer_config(entry, layer):
    config = {k: v for k, v in entry["config"].items() if k != "batch_input_shape"}
    config["dtype"] = "float32"
    if entry["class_name"] == "Dense":
        config["activation"] = config["activation"] or "linear"
        for key in ("kernel_initializer", "bias_initializer"):
            config[key] = _obj("keras.initializers", _camel(config[key]),
                               {} if config[key] in ("zeros", "ones") else {"seed": None})
        for key in ("kernel_regularizer", "bias_regularizer"):
            if config[key] is not None:
                config[key] = _obj("keras.regularizers", config[key]["class_name"], config[key]["config"])
    config.update((key, _NEUTRAL[key]) for key in _WRITTEN.get(entry["class_name"], ()))
    built = {"input_shape": list(layer.input_shape)}
    return {**_obj("keras.layers", entry["class_name"], config), "build_config": built}


def _config_json(model, config, training):
    shape = list(model.input_shape)
    layers = [_obj("keras.layers", "InputLayer", {"batch_shape": shape, "dtype": "float32", "sparse": False,
                                                 "name": "input_layer"})]
    layers += [_layer_config(entry, layer) for entry, layer in zip(config["layers"], model.layers)]
    out = {**_obj("keras", "Sequential", {"name": model.name, "trainable": True, "dtype": "float32",
                                          "layers": layers, "build_input_shape": shape}),
           "build_config": {"input_shape": shape}}
    if training is not None:
        optimizer = training["optimizer_config"]
        settings = {"name": optimizer["class_name"].lower(), **optimizer["config"]}
        if not settings["decay"]:                   # Keras 3 has no decay (it warns that it ignores one)
            del settings["decay"]
        out["compile_config"] = {"optimizer": _obj("keras.optimizers", optimizer["class_name"], settings),
                                 "loss": training["loss"], "loss_weights": None, "metrics": training["metrics"],
                                 "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1,
                                 "jit_compile": "auto"}
    return json.dumps(out)


def _optimizer_variables(model):
    """Keras 3's optimizer variables; only iterations and learning_rate before the first step, as Keras writes an
    optimizer not built yet."""
    optimizer, torch_opt = model.optimizer, model._torch_opt
    config = optimizer.get_config()
    out = [np.asarray(optimizer.iterations, np.int64), np.asarray(config["learning_rate"], np.float32)]
    if optimizer.iterations:
        params = [p for group in torch_opt.param_groups for p in group["params"]]
        for block in _SLOTS[type(optimizer).__name__](config):
            for p in params:
                for key, scale in block:
                    value = torch_opt.state[p].get(key)
                    ours = value.detach().cpu().numpy() if value is not None else np.zeros(tuple(p.shape), np.float32)
                    out.append((ours * scale).T.astype(np.float32))
    return out


def save(model, path, config, training):
    weights = io.BytesIO()
    with _h5py().File(weights, "w") as f:
        f.create_group("vars").attrs["name"] = model.name
        for layer, where in zip(model.layers, _paths(type(layer).__name__ for layer in model.layers)):
            group = f.create_group(f"layers/{where}/vars")
            group.attrs["name"] = layer.name
            for i, array in enumerate(layer.get_weights()):
                group.create_dataset(str(i), data=array)
        if training is not None:
            group = f.create_group("optimizer/vars")
            group.attrs["name"] = type(model.optimizer).__name__.lower()
            for i, array in enumerate(_optimizer_variables(model)):
                group.create_dataset(str(i), data=array)
    metadata = {"keras_version": KERAS_VERSION, "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps(metadata))
        z.writestr("config.json", _config_json(model, config, training))
        z.writestr("model.weights.h5", weights.getvalue())


# ---- load ------------------------------------------------------------------------------------------------------
def _read_members(path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        for name in _MEMBERS:
            if name not in names:
                raise _BadFile(f"Expected a {name} file." if name == "model.weights.h5" else f"has no {name}")
            info = z.getinfo(name)
            if info.file_size > info.compress_size:     # Keras stores its members uncompressed
                raise _BadFile(f"Not allowed: ZIP member '{name}' declares {info.file_size} bytes but only "
                               f"{info.compress_size} are stored; refusing to load a potential decompression bomb")
        try:
            return {name: z.read(name) for name in _MEMBERS}
        except Exception as e:                      # noqa: BLE001  (any failure: a bad file)
            raise _BadFile(f"is a corrupted zip archive ({type(e).__name__}: {e})") from None


def _text(data, name):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _BadFile(f"{name} is not UTF-8 text") from None


def _float32(dtype, where):
    """Keras 3 writes a dtype as 'float32' or as a DTypePolicy {'config': {'name': 'float32'}, ...}."""
    if isinstance(dtype, dict) and isinstance(dtype.get("config"), dict):
        dtype = dtype["config"].get("name")
    if dtype != "float32":
        raise _BadFile(f"{where} computes in {dtype!r}; autograd_lite's Keras layers compute in float32")


def _layer_entry(i, entry):
    """A Keras 3 layer entry as this library's {'class_name', 'config'}: Keras-only settings at their neutral values
    dropped, initializers and regularizers as names and {'class_name', 'config'}."""
    entry = _expect(entry, dict, f"layer #{i}")
    config = dict(_expect(entry.get("config"), dict, f"layer #{i}'s config"))
    where = f"layer #{i} ({entry.get('class_name')} {config.get('name')!r})"
    _float32(config.pop("dtype", "float32"), where)
    for key in set(config) & set(_NEUTRAL):
        if config[key] != _NEUTRAL[key]:
            raise _BadFile(f"{where} sets {key}={config[key]!r}, which autograd_lite's Keras layers don't have")
        del config[key]
    for key in ("kernel_initializer", "bias_initializer"):
        if isinstance(config.get(key), dict):      # only fresh weights use it: a loaded model's come from the file
            config[key] = _snake(_expect(config[key].get("class_name"), str, f"{where}'s {key}"))
    for key in ("kernel_regularizer", "bias_regularizer"):
        if isinstance(config.get(key), dict):
            config[key] = {"class_name": config[key].get("class_name"), "config": config[key].get("config", {})}
    return {"class_name": entry.get("class_name"), "config": config}


def _model_config(top):
    """(this library's model config, Keras' compile_config) of config.json."""
    top = _expect(top, dict, "config.json")
    if top.get("class_name") != "Sequential":
        raise _BadFile(f"holds a {top.get('class_name')!r} model; autograd_lite reads Sequential models")
    config = _expect(top.get("config"), dict, "the model config")
    _float32(config.get("dtype", "float32"), "the model")
    entries = list(_expect(config.get("layers"), list, "the model config's 'layers'"))
    shape = None
    if entries and isinstance(entries[0], dict) and entries[0].get("class_name") == "InputLayer":
        shape = _expect(entries.pop(0).get("config"), dict, "the InputLayer's config").get("batch_shape")
    layers = [_layer_entry(i, entry) for i, entry in enumerate(entries)]
    if layers and shape is not None:
        layers[0]["config"]["batch_input_shape"] = shape
    return {"name": config.get("name"), "layers": layers}, top.get("compile_config")


def _training_config(compile_config, iterations):
    compile_config = _expect(compile_config, dict, "the compile_config")
    for key in ("loss_weights", "weighted_metrics"):          # the others set how Keras runs, not what it computes
        if compile_config.get(key) is not None:
            raise _BadFile(f"the compile_config sets {key}, which autograd_lite's compile doesn't have")
    optimizer = _expect(compile_config.get("optimizer"), (dict, str), "the compile_config's optimizer")
    if isinstance(optimizer, str):
        optimizer = {"class_name": optimizer}
    settings = dict(_expect(optimizer.get("config", {}), dict, "the optimizer's config"))
    settings.pop("name", None)
    settings.pop("ema_momentum", None)
    for key in set(settings) & set(_OPTIMIZER_NEUTRAL):
        if settings[key] != _OPTIMIZER_NEUTRAL[key]:
            raise _BadFile(f"the optimizer sets {key}={settings[key]!r}, which autograd_lite's optimizers don't have")
        del settings[key]
    return {"loss": compile_config.get("loss"), "metrics": compile_config.get("metrics") or [],
            "optimizer_iterations": iterations,
            "optimizer_config": {"class_name": optimizer.get("class_name"), "config": settings}}


def _numbered(group):
    """The datasets 0, 1, ... of a Keras 3 vars group, in order."""
    keys = set(group)
    if keys != {str(i) for i in range(len(keys))}:
        raise _BadFile(f"{group.name} should hold datasets named 0, 1, ..., it holds {sorted(keys)[:10]}")
    return [_dataset(group, str(i)) for i in range(len(keys))]


def _state(model, variables):
    """Our optimizer's per-parameter state from Keras 3's slot variables (none before the first step)."""
    optimizer = model.optimizer
    name = type(optimizer).__name__
    blocks = _SLOTS[name](optimizer.get_config())
    n = len([p for group in model._torch_opt.param_groups for p in group["params"]])
    expected = sum(len(block) for block in blocks) * n
    if len(variables) != expected:
        raise _BadFile(f"the optimizer has {len(variables)} slot variables; Keras 3's {name} over this model's {n} "
                       f"trainable weights has {expected}")
    slots, state = iter(variables), {i: {} for i in range(n)}
    for block in blocks:
        for i in range(n):
            for key, scale in block:
                value = np.asarray(next(slots), np.float32)
                state[i][key] = (value / scale if scale else np.zeros_like(value)).T
    if name in _COUNTS_STEPS:
        for entry in state.values():
            entry["step"] = np.asarray(optimizer.iterations, np.float32)
    return state


def load(path, compile):
    members = _read_members(path)
    metadata = _expect(_json(_text(members["metadata.json"], "metadata.json"), "metadata.json"), dict,
                       "metadata.json")
    version = _expect(metadata.get("keras_version"), str, "metadata.json's keras_version")
    if version.split(".")[0] != "3":
        raise _BadFile(f"was saved by Keras {version}; the .keras files autograd_lite reads are Keras 3's")
    config, compile_config = _model_config(_json(_text(members["config.json"], "config.json"), "config.json"))
    name, layers = _layers(config)
    Group = _h5py().Group
    with _open_h5(io.BytesIO(members["model.weights.h5"])) as f:
        weights = [_numbered(_member(f, f"layers/{where}/vars", Group))
                   for where in _paths(type(layer).__name__ for layer in layers)]
        variables = _numbered(_member(f, "optimizer/vars", Group)) if "optimizer" in f else []
    model = _model(name, layers, weights)
    if compile and compile_config is not None:
        iterations = variables[0] if variables else np.int64(0)
        if np.shape(iterations) != () or np.asarray(iterations).dtype.kind not in "iu":
            raise _BadFile("the optimizer's iterations (optimizer/vars/0) should be an integer")
        _compile(model, _training_config(compile_config, int(iterations)))
        if len(variables) > 2:
            _load_state(model, _state(model, variables[2:]))
    return model
