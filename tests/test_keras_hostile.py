"""Keras model files from outside are hostile until checked: load_model / load_weights never read another file
(HDF5 external storage, external and soft links, virtual datasets), never allocate more than the file stores, and
refuse missing groups, wrong JSON types, duplicate names and unknown versions with a ValueError naming the file.
Also the .keras suffix: Keras 3's zip (config.json, metadata.json, model.weights.h5), written and read back."""
import io
import json
import zipfile

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.keras import optimizers, saving
from autograd_lite.keras.layers import Dense, Dropout
from autograd_lite.keras.models import Sequential, load_model

h5py = pytest.importorskip("h5py")

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
SECRET = np.arange(8, dtype="<f4") + 1000          # stands for any local file's bytes


def _model(optimizer="adam"):
    model = Sequential([Dense(4, input_dim=2, activation="relu", name="dense"), Dropout(0.5, name="dropout"),
                        Dense(1, name="dense_1")], name="victim")
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(X, Y, epochs=1, verbose=0)
    return model


@pytest.fixture
def h5_path(tmp_path):
    path = tmp_path / "m.h5"
    _model().save(path)
    return path


def _refused(path, match, load=load_model):
    """load raises a ValueError whose message names the file and matches `match`, and no internal name."""
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    message = str(info.value)
    assert str(path) in message
    assert "__init__" not in message and "_read" not in message and "_build" not in message
    return message


def _edit_json_attr(path, key, edit, group="/"):
    with h5py.File(path, "r+") as f:
        value = json.loads(f[group].attrs[key])
        value = edit(value) or value
        f[group].attrs[key] = json.dumps(value)


# ---- reading outside the file ----------------------------------------------------------------------
def test_h5_dataset_with_external_storage_is_refused(h5_path, tmp_path):
    (tmp_path / "secret.bin").write_bytes(SECRET.tobytes())
    with h5py.File(h5_path, "r+") as f:
        g = f["model_weights/dense"]
        del g["kernel:0"]
        g.create_dataset("kernel:0", shape=(2, 4), dtype="<f4", external=[(str(tmp_path / "secret.bin"), 0, 32)])
    _refused(h5_path, "external")


@pytest.mark.parametrize("where, target", [("model_weights/dense", "/"), ("model_weights/dense/kernel:0", "/kernel:0"),
                                           ("optimizer_weights", "/")])
def test_h5_external_link_is_refused(h5_path, tmp_path, where, target):
    with h5py.File(tmp_path / "secret.h5", "w") as f:
        f.create_dataset("kernel:0", data=SECRET.reshape(2, 4))
        f.create_dataset("bias:0", data=SECRET[:4])
    with h5py.File(h5_path, "r+") as f:
        del f[where]
        f[where] = h5py.ExternalLink(str(tmp_path / "secret.h5"), target)
    _refused(h5_path, "ExternalLink")


def test_h5_soft_link_is_refused(h5_path):
    with h5py.File(h5_path, "r+") as f:
        f.create_group("elsewhere")
        f["elsewhere/kernel:0"] = np.ones((2, 4), np.float32)
        f["elsewhere/bias:0"] = np.ones(4, np.float32)
        del f["model_weights/dense"]
        f["model_weights/dense"] = h5py.SoftLink("/elsewhere")
    _refused(h5_path, "SoftLink")


def test_h5_virtual_dataset_is_refused(h5_path, tmp_path):
    with h5py.File(tmp_path / "secret.h5", "w") as f:
        f["data"] = SECRET.reshape(2, 4)
    with h5py.File(h5_path, "r+") as f:
        layout = h5py.VirtualLayout(shape=(2, 4), dtype="<f4")
        layout[:] = h5py.VirtualSource(str(tmp_path / "secret.h5"), "data", shape=(2, 4))
        del f["model_weights/dense/kernel:0"]
        f["model_weights/dense"].create_virtual_dataset("kernel:0", layout)
    _refused(h5_path, "virtual")


def test_load_weights_refuses_links_too(tmp_path):
    model = _model()
    path = tmp_path / "w.h5"
    model.save_weights(path)
    with h5py.File(tmp_path / "secret.h5", "w") as f:
        f["kernel:0"], f["bias:0"] = SECRET.reshape(2, 4), SECRET[:4]
    with h5py.File(path, "r+") as f:
        del f["dense"]
        f["dense"] = h5py.ExternalLink(str(tmp_path / "secret.h5"), "/")
    _refused(path, "ExternalLink", model.load_weights)


# ---- allocating more than the file stores ----------------------------------------------------------
@pytest.mark.parametrize("suffix", [".h5", ".alk"])
def test_huge_declared_layer_fails_before_allocating(tmp_path, monkeypatch, suffix):
    path = tmp_path / f"m{suffix}"
    _model().save(path)
    if suffix == ".h5":
        _edit_json_attr(path, "model_config", _set("config", "layers", 2, "config", "units", 10 ** 9))
    else:
        payload = al.load(path)
        payload["model_config"]["layers"][2]["config"]["units"] = 10 ** 9
        al.save(payload, path)
    assert path.stat().st_size < 100_000

    def no_build(self, input_shape):
        raise AssertionError("a layer was built (its weights allocated) before the file was checked")
    monkeypatch.setattr(Dense, "build", no_build)
    message = _refused(path, "dense_1")
    assert "1000000000" in message


@pytest.mark.parametrize("how", ["unallocated", "compressed"])
def test_dataset_declaring_more_than_it_stores_is_refused(h5_path, how):
    """A dataset of fill values (or gzip of zeros) declares megabytes in a file of kilobytes."""
    with h5py.File(h5_path, "r+") as f:
        del f["model_weights/dense/kernel:0"]
        if how == "unallocated":
            f["model_weights/dense"].create_dataset("kernel:0", shape=(2, 4_000_000), dtype="<f4")
        else:
            f["model_weights/dense"].create_dataset("kernel:0", data=np.zeros((2, 4_000_000), np.float32),
                                                    compression="gzip")
    _refused(h5_path, "stored")


# ---- missing groups and wrong JSON types --------------------------------------------------------------
@pytest.mark.parametrize("missing, match", [
    ("model_weights", "model_weights"),
    ("model_weights/dense", "dense"),
    ("model_weights/dense/kernel:0", "kernel:0"),
    ("attr:model_config", "No model config found"),
    ("attr:layer_names", "layer_names"),
])
def test_missing_parts_give_clear_errors(h5_path, missing, match):
    with h5py.File(h5_path, "r+") as f:
        if missing == "attr:model_config":
            del f.attrs["model_config"]
        elif missing == "attr:layer_names":
            del f["model_weights"].attrs["layer_names"]
        else:
            del f[missing]
    _refused(h5_path, match)


def _set(*path_and_value):
    *path, value = path_and_value

    def edit(config):
        node = config
        for key in path[:-1]:
            node = node[key]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return edit


LAYER = ("config", "layers", 0, "config")

WRONG_MODEL_CONFIGS = {
    "model config is a list": lambda c: [c],
    "layers is a string": _set("config", "layers", "dense"),
    "class_name is a list": _set("config", "layers", 0, "class_name", ["Dense"]),
    "layer config is a list": _set("config", "layers", 0, "config", [1]),
    "units is a list": _set(*LAYER, "units", [4]),
    "units is a string": _set(*LAYER, "units", "4"),
    "units is a bool": _set(*LAYER, "units", True),
    "name is a list": _set(*LAYER, "name", ["dense"]),
    "activation is a number": _set(*LAYER, "activation", 3),
    "use_bias is a string": _set(*LAYER, "use_bias", "yes"),
    "batch_input_shape is a string": _set(*LAYER, "batch_input_shape", "2"),
    "batch_input_shape holds a string": _set(*LAYER, "batch_input_shape", [None, "2"]),
    "regularizer config is a list": _set(*LAYER, "kernel_regularizer", {"class_name": "L1L2", "config": [1]}),
    "regularizer l1 is a string": _set(*LAYER, "kernel_regularizer", {"class_name": "L1L2", "config": {"l1": "x"}}),
    "unknown setting": _set(*LAYER, "bogus", 1),
    "units missing": _set(*LAYER, "units", KeyError),
    "rate is a string": _set("config", "layers", 1, "config", "rate", "0.5"),
    "unknown layer class": _set("config", "layers", 1, "class_name", "Lambda"),
}


@pytest.mark.parametrize("case", WRONG_MODEL_CONFIGS)
def test_wrong_json_types_in_the_model_config(h5_path, case):
    _edit_json_attr(h5_path, "model_config", WRONG_MODEL_CONFIGS[case])
    _refused(h5_path, None)


WRONG_TRAINING_CONFIGS = {
    "loss is a list": _set("loss", ["mse"]),
    "metrics is a string": _set("metrics", "accuracy"),
    "optimizer_config is a list": _set("optimizer_config", ["adam"]),
    "learning_rate is a string": _set("optimizer_config", "config", "learning_rate", "0.1"),
    "amsgrad is a number": _set("optimizer_config", "config", "amsgrad", 2),
    "unknown optimizer argument": _set("optimizer_config", "config", "bogus", 1),
    "iterations is a string": _set("optimizer_iterations", "3"),
}


@pytest.mark.parametrize("case", WRONG_TRAINING_CONFIGS)
def test_wrong_json_types_in_the_training_config(h5_path, case):
    _edit_json_attr(h5_path, "training_config", WRONG_TRAINING_CONFIGS[case])
    _refused(h5_path, None)


def test_not_json_and_wrong_attribute_types(h5_path):
    with h5py.File(h5_path, "r+") as f:
        f.attrs["model_config"] = "{not json"
    _refused(h5_path, "model_config")
    _model().save(h5_path)
    with h5py.File(h5_path, "r+") as f:
        f["model_weights"].attrs["layer_names"] = 7
    _refused(h5_path, "layer_names")


def test_optimizer_state_of_the_wrong_shape_is_refused(h5_path):
    with h5py.File(h5_path, "r+") as f:
        del f["optimizer_weights/0/exp_avg"]
        f["optimizer_weights/0"].create_dataset("exp_avg", data=np.zeros((3, 3), np.float32))
    _refused(h5_path, "exp_avg")


# ---- duplicate names ----------------------------------------------------------------------------------
def test_duplicate_layer_names_in_the_config(h5_path):
    _edit_json_attr(h5_path, "model_config", _set("config", "layers", 2, "config", "name", "dense"))
    _refused(h5_path, "unique names")


def test_duplicate_layer_names_in_the_weights(h5_path):
    with h5py.File(h5_path, "r+") as f:
        f["model_weights"].attrs["layer_names"] = ["dense", "dropout", "dense"]
    _refused(h5_path, "dense")


def test_sequential_refuses_duplicate_names_like_keras():
    model = Sequential([Dense(2, input_dim=2, name="a")])
    with pytest.raises(ValueError, match="unique names"):
        model.add(Dense(1, name="a"))


# ---- versions -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_h5_format_version_is_checked(h5_path, version):
    with h5py.File(h5_path, "r+") as f:
        if version is None:
            del f.attrs["format_version"]
        else:
            f.attrs["format_version"] = version
    _refused(h5_path, "version")


def test_own_format_version_is_checked(tmp_path):
    path = tmp_path / "m.alk"
    _model().save(path)
    payload = al.load(path)
    payload["version"] = saving.VERSION + 1
    al.save(payload, path)
    _refused(path, "version")


@pytest.mark.parametrize("edit, match", [
    (lambda p: p.update(weights="x"), "weights"),
    (lambda p: p.update(model_config=[]), "config"),
    (lambda p: p.update(training_config={"loss": 1}), "loss"),
])
def test_own_format_wrong_types(tmp_path, edit, match):
    path = tmp_path / "m.alk"
    _model().save(path)
    payload = al.load(path)
    edit(payload)
    al.save(payload, path)
    _refused(path, match)


def test_weights_files_check_their_format_and_version(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r+") as f:
        f.attrs["format_version"] = saving.VERSION + 1
    _refused(tmp_path / "w.h5", "version", model.load_weights)
    al.save({"something": "else"}, tmp_path / "w.bin")
    _refused(tmp_path / "w.bin", "weights", model.load_weights)


# ---- .keras: Keras 3's zip ---------------------------------------------------------------------------
def _members(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_keras_suffix_writes_keras3_layout(tmp_path):
    model = _model(optimizers.Adam(learning_rate=0.01))
    path = tmp_path / "m.keras"
    model.save(path)
    members = _members(path)
    assert set(members) == {"metadata.json", "config.json", "model.weights.h5"}
    assert json.loads(members["metadata.json"])["keras_version"].startswith("3.")
    config = json.loads(members["config.json"])
    assert (config["module"], config["class_name"]) == ("keras", "Sequential")
    layers = config["config"]["layers"]
    assert [l["class_name"] for l in layers] == ["InputLayer", "Dense", "Dropout", "Dense"]
    assert layers[0]["config"]["batch_shape"] == [None, 2]
    assert layers[1]["module"] == "keras.layers" and layers[1]["config"]["units"] == 4
    assert layers[1]["config"]["kernel_initializer"]["class_name"] == "GlorotUniform"
    compile_config = config["compile_config"]
    assert compile_config["loss"] == "mse" and compile_config["optimizer"]["class_name"] == "Adam"
    with h5py.File(io.BytesIO(members["model.weights.h5"]), "r") as f:
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.layers[0].get_weights()[0])
        np.testing.assert_array_equal(f["layers/dense_1/vars/1"][()], model.layers[2].get_weights()[1])
        assert f["layers/dense/vars"].attrs["name"] == "dense" and len(f["layers/dropout/vars"]) == 0
        opt = f["optimizer/vars"]
        assert len(opt) == 2 + 2 * 4                      # iterations, learning_rate, (m, v) per variable
        assert opt["0"][()] == model.optimizer.iterations
        np.testing.assert_allclose(opt["1"][()], 0.01)
        state = model._torch_opt.state_dict()["state"]
        np.testing.assert_array_equal(opt["2"][()], state[0]["exp_avg"].numpy().T)   # kernel's momentum
        np.testing.assert_array_equal(opt["3"][()], state[0]["exp_avg_sq"].numpy().T)


@pytest.mark.parametrize("optimizer", [optimizers.SGD(learning_rate=0.1, momentum=0.9),
                                       optimizers.RMSprop(momentum=0.5, centered=True), optimizers.Adagrad()],
                         ids=["sgd", "rmsprop", "adagrad"])
def test_keras_round_trip_of_each_optimizer_state(tmp_path, optimizer):
    model = _model(optimizer)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.iterations == model.optimizer.iterations
    saved, back = model._torch_opt.state_dict()["state"], loaded._torch_opt.state_dict()["state"]
    for i in saved:
        for key in saved[i]:
            np.testing.assert_allclose(back[i][key].numpy(), saved[i][key].numpy(), rtol=1e-6)


def test_compiled_but_untrained_keras_file_has_no_optimizer_slots(tmp_path):
    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    with h5py.File(io.BytesIO(_members(tmp_path / "m.keras")["model.weights.h5"]), "r") as f:
        assert len(f["optimizer/vars"]) == 2              # as Keras 3 writes an optimizer not built yet
    np.testing.assert_array_equal(load_model(tmp_path / "m.keras").predict(X), model.predict(X))


# config.json exactly as Keras 3.15.1 wrote it for this model (SGD with momentum, compiled)
KERAS3_CONFIG = """{"module": "keras", "class_name": "Sequential", "config": {"name": "keras_written", "trainable": \
true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": \
null, "shared_object_id": 139687704057936}, "layers": [{"module": "keras.layers", "class_name": "InputLayer", \
"config": {"batch_shape": [null, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", \
"optional": false}, "registered_name": null}, {"module": "keras.layers", "class_name": "Dense", "config": {"name": \
"dense", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, \
"registered_name": null}, "units": 2, "activation": "tanh", "use_bias": true, "kernel_initializer": {"module": \
"keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": \
null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", \
"config": {}, "registered_name": null}, "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2", \
"config": {"l2": 0.01}, "registered_name": null}, "bias_regularizer": null, "kernel_constraint": null, \
"bias_constraint": null, "quantization_config": null}, "registered_name": null, "build_config": {"input_shape": \
[null, 3]}}, {"module": "keras.layers", "class_name": "Dropout", "config": {"name": "dropout", "trainable": true, \
"dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null, \
"shared_object_id": 139687704057936}, "rate": 0.1, "seed": null, "noise_shape": null}, "registered_name": null}, \
{"module": "keras.layers", "class_name": "Dense", "config": {"name": "out", "trainable": true, "dtype": {"module": \
"keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null, "shared_object_id": \
139687704057936}, "units": 1, "activation": "sigmoid", "use_bias": true, "kernel_initializer": {"module": \
"keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": \
null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", \
"config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": \
null, "bias_constraint": null, "quantization_config": null}, "registered_name": null, "build_config": \
{"input_shape": [null, 2]}}], "build_input_shape": [null, 3]}, "registered_name": null, "build_config": \
{"input_shape": [null, 3]}, "compile_config": {"optimizer": {"module": "keras.optimizers", "class_name": "SGD", \
"config": {"name": "sgd", "learning_rate": 0.10000000149011612, "weight_decay": null, "clipnorm": null, \
"global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, \
"loss_scale_factor": null, "gradient_accumulation_steps": null, "momentum": 0.9, "nesterov": false}, \
"registered_name": null}, "loss": "binary_crossentropy", "loss_weights": null, "metrics": ["accuracy"], \
"weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": true}}"""


def _keras3_file(path, config=KERAS3_CONFIG, metadata='{"keras_version": "3.15.1", "date_saved": "x"}',
                 weights=None, compress=zipfile.ZIP_STORED):
    """A .keras zip in Keras 3's layout; `weights(f)` may edit the model.weights.h5 before it is stored."""
    rng = np.random.default_rng(0)
    arrays = {"dense": [rng.standard_normal((3, 2)), rng.standard_normal(2)], "dropout": [],
              "dense_1": [rng.standard_normal((2, 1)), rng.standard_normal(1)]}
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_group("vars").attrs["name"] = "keras_written"
        for group, values in arrays.items():
            g = f.create_group(f"layers/{group}/vars")
            for i, value in enumerate(values):
                g[str(i)] = value.astype(np.float32)
        opt = f.create_group("optimizer/vars")
        opt["0"], opt["1"] = np.int64(5), np.float32(0.1)
        for i, value in enumerate(arrays["dense"] + arrays["dense_1"]):
            opt[str(2 + i)] = np.full(value.shape, -0.1 * (i + 1), np.float32)   # Keras' m = -lr * torch's buffer
        if weights is not None:
            weights(f)
    with zipfile.ZipFile(path, "w", compress) as z:
        z.writestr("metadata.json", metadata)
        z.writestr("config.json", config)
        z.writestr("model.weights.h5", buffer.getvalue())
    return arrays


def test_reads_a_keras_file_written_by_keras3(tmp_path):
    arrays = _keras3_file(tmp_path / "k.keras")
    model = load_model(tmp_path / "k.keras")
    assert model.name == "keras_written" and [l.name for l in model.layers] == ["dense", "dropout", "out"]
    assert model.input_shape == (None, 3) and model.layers[0].kernel_regularizer.get_config() == {"l1": 0.0,
                                                                                                 "l2": 0.01}
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    (k1, b1), _, (k2, b2) = arrays.values()
    want = 1 / (1 + np.exp(-(np.tanh(x @ k1 + b1) @ k2 + b2)))
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-6)
    assert model.optimizer.get_config()["momentum"] == 0.9 and model.optimizer.iterations == 5
    state = model._torch_opt.state_dict()["state"]
    np.testing.assert_allclose(state[1]["momentum_buffer"].numpy(), np.full(2, 2.0), rtol=1e-6)
    model.fit(x, np.ones((5, 1)), epochs=1, verbose=0)


@pytest.mark.parametrize("edit, match", [
    (lambda f: f.__setitem__("layers/dense/vars/2", np.ones(2, np.float32)), "expected 2 weights"),
    (lambda f: f.__delitem__("layers/dense_1"), "layers/dense_1"),
    (lambda f: (f.__delitem__("layers/dense/vars/0"), f.__setitem__("layers/dense/vars/0", h5py.ExternalLink(
        "secret.h5", "/x"))), "ExternalLink"),
    (lambda f: (f.__delitem__("layers/dense/vars/0"), f["layers/dense/vars"].create_dataset(
        "0", shape=(3, 10 ** 7), dtype="f4")), "stored"),
])
def test_hostile_keras_weights_are_refused(tmp_path, edit, match):
    _keras3_file(tmp_path / "k.keras", weights=edit)
    _refused(tmp_path / "k.keras", match)


def test_keras_file_checks(tmp_path):
    path = tmp_path / "k.keras"
    _keras3_file(path, metadata='{"keras_version": "2.15.0"}')
    _refused(path, "2.15.0")
    _keras3_file(path, metadata='{"keras_version": ["3"]}')
    _refused(path, "keras_version")
    _keras3_file(path, config=KERAS3_CONFIG.replace('"units": 2', '"units": 1000000000'))
    _refused(path, "1000000000")
    _keras3_file(path, config=KERAS3_CONFIG.replace('"kernel_constraint": null', '"kernel_constraint": "x"', 1))
    _refused(path, "kernel_constraint")
    _keras3_file(path, config=KERAS3_CONFIG.replace('"tanh"', '["tanh"]'))
    _refused(path, "activation")
    _keras3_file(path, compress=zipfile.ZIP_DEFLATED, config=KERAS3_CONFIG + " " * 10 ** 7)
    _refused(path, "decompression bomb")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", '{"keras_version": "3.15.1"}')
        z.writestr("config.json", KERAS3_CONFIG)
    _refused(path, "Expected a model.weights.h5 file")


def test_keras3_loads_our_keras_file(tmp_path):
    """Where Keras 3 is installed, it reads what model.save('x.keras') writes, to the same predictions."""
    keras = pytest.importorskip("keras")
    if not keras.__version__.startswith("3."):
        pytest.skip(f"Keras {keras.__version__} is not Keras 3")
    model = _model()
    model.save(tmp_path / "m.keras")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(X, verbose=0)), model.predict(X), rtol=1e-5, atol=1e-6)



def test_save_weights_refuses_the_keras_suffix(tmp_path):
    """Keras 3 keeps .keras for whole models; weights alone went into an HDF5 file misnamed .keras."""
    with pytest.raises(ValueError, match=r"\.h5"):
        _model().save_weights(tmp_path / "w.keras")
