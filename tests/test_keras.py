"""autograd_lite.keras: the seed's Keras script (section 3.2) verbatim, and the API it stands on."""
import io
import json
import re

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import keras
from autograd_lite.keras import callbacks, losses, metrics, optimizers, regularizers
from autograd_lite.keras.layers import Activation, Dense, Dropout, Flatten
from autograd_lite.keras.models import Sequential, load_model

X_AND = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y_AND = np.array([[0], [0], [0], [1]], dtype=np.float32)
Y_XOR = np.array([[0], [1], [1], [0]], dtype=np.float32)


def test_the_seeds_keras_script_verbatim(tmp_path, monkeypatch):
    """Section 3.2 as written, imports swapped (keras -> autograd_lite.keras), epochs as written."""
    pytest.importorskip("h5py")
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    import numpy as np
    from autograd_lite.keras.models import Sequential
    from autograd_lite.keras.layers.core import Dense, Dropout, Activation
    from autograd_lite.keras import regularizers
    import matplotlib.pyplot as plt

    # X has shape (num_rows, num_cols), where the training data are stored
    # as row vectors
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)

    # y must have an output vector for each input vector
    y = np.array([[0], [0], [0], [1]], dtype=np.float32)

    # Create the Sequential model
    model = Sequential()

    # 1st Layer - Add an input layer of 32 nodes with the same input shape as the training samples in X; add a L2 regularization on weights
    model.add(Dense(32, input_dim=X.shape[1], kernel_regularizer=regularizers.l2(0.01)))

    # Add a softmax activation layer
    model.add(Activation('softmax'))
    model.add(Dropout(.1))

    # 2nd Layer - Add a fully connected output layer
    model.add(Dense(1, kernel_regularizer=regularizers.l2(0.01)))

    # Add a sigmoid activation layer
    model.add(Activation('sigmoid'))

    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics = ["accuracy"])

    model.summary()

    history = model.fit(X, y, epochs=1000, batch_size=100, shuffle=True, verbose=0, validation_split=0.2)

    plt.plot(history.history['val_acc'], label="validation")
    plt.plot(history.history['acc'], label="training")
    plt.ylim(bottom=0)
    plt.legend()

    # Checking the predictions
    print("\nPredictions:")
    print(model.predict_proba(X))

    # Save the model
    model.save("voice_model_trained.h5")

    # Load the model
    from autograd_lite.keras.models import load_model
    voice_model = load_model("voice_model_trained.h5")

    plt.close("all")
    printed = out.getvalue()
    assert "Total params: 129" in printed and "Predictions:" in printed
    assert len(history.history["loss"]) == 1000 and len(history.history["val_acc"]) == 1000
    # one output unit: 'accuracy' is binary accuracy, as in Keras (categorical accuracy would always be 1)
    assert set(history.history["acc"]) <= {0.0, 1 / 3, 2 / 3, 1.0}
    np.testing.assert_array_equal(voice_model.predict_proba(X), model.predict_proba(X))
    assert model.predict_proba(X).shape == (4, 1)


def test_xor_is_learned_to_100_percent():
    al.manual_seed(0)
    model = Sequential([Dense(8, input_dim=2, activation="tanh"), Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=optimizers.Adam(learning_rate=0.05), metrics=["accuracy"])
    history = model.fit(X_AND, Y_XOR, epochs=300, batch_size=4, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    loss, accuracy = model.evaluate(X_AND, Y_XOR, verbose=0)
    assert accuracy == 1.0 and loss < 0.1
    np.testing.assert_array_equal(model.predict_classes(X_AND), Y_XOR.astype(np.int32))


def test_summary_parameter_counts_equal_the_layer_sizes():
    model = Sequential()
    model.add(Dense(32, input_dim=784, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(10))
    model.add(Activation("softmax"))
    lines = []
    model.summary(print_fn=lines.append)
    layer_row = re.compile(r"([a-z_0-9]+) \(([A-Z]\w+)\)")
    rows = {layer_row.match(line).group(1): line for line in lines if layer_row.match(line)}
    counts = [int(line.split()[-1]) for line in rows.values()]
    assert counts == [784 * 32 + 32, 0, 32 * 10 + 10, 0]
    assert "(None, 32)" in list(rows.values())[0] and "(None, 10)" in list(rows.values())[2]
    assert f"Total params: {784 * 32 + 32 + 330:,}" in lines
    assert "Trainable params: 25,450" in lines and "Non-trainable params: 0" in lines
    assert lines[0].startswith('Model: "sequential') and lines[2].startswith("Layer (type)")
    assert model.count_params() == 25450


def test_history_keys_and_validation_split():
    al.manual_seed(1)
    x = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model = Sequential([Dense(4, input_shape=(3,), activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "acc", "val_loss", "val_accuracy", "val_acc"}
    assert history.epoch == [0, 1, 2] and history.history["acc"] == history.history["accuracy"]
    assert model.history is history
    # the validation set is the last 20% of the samples, before shuffling, as in Keras
    val_loss, val_acc = model.evaluate(x[40:], y[40:], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(val_acc)
    no_metrics = Sequential([Dense(1, input_dim=3)])
    no_metrics.compile(optimizer="sgd", loss="mse")
    assert set(no_metrics.fit(x, y, epochs=1, verbose=0, validation_data=(x, y)).history) == {"loss", "val_loss"}
    assert isinstance(no_metrics.evaluate(x, y, verbose=0), float)


def test_early_stopping_stops_and_restores_the_best_weights():
    al.manual_seed(2)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 2)).astype(np.float32)
    y = (x[:, :1] + x[:, 1:] > 0).astype(np.float32)
    seen = []

    class Record(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((logs["val_loss"], self.model.get_weights()))
    model = Sequential([Dense(1, input_dim=2, activation="sigmoid")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy")
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    # validation labels flipped: the better the model fits, the worse the validation loss gets
    history = model.fit(x, y, epochs=50, batch_size=16, verbose=0, validation_data=(x, 1 - y),
                        callbacks=[Record(), stop])
    assert len(history.epoch) == 3 == stop.stopped_epoch + 1       # epoch 0 best, then 2 epochs of patience
    best = int(np.argmin([v for v, _ in seen]))
    assert best == 0
    for got, want in zip(model.get_weights(), seen[best][1]):
        np.testing.assert_array_equal(got, want)


def test_early_stopping_waits_for_improvement_by_min_delta_and_mode():
    stop = callbacks.EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.1)

    class Model:
        stop_training = False
    stop.set_model(Model())
    stop.on_train_begin()
    for epoch, acc in enumerate([0.5, 0.55, 0.58]):        # 'accuracy' is maximised; +0.05 is no improvement
        stop.on_epoch_end(epoch, {"val_accuracy": acc})
        if stop.model.stop_training:
            break
    assert stop.model.stop_training and stop.stopped_epoch == 1 and stop.best == 0.5


@pytest.mark.parametrize("suffix", [".h5", ".keras", ".alk"])
def test_save_and_load_round_trip_exactly(tmp_path, suffix):
    if suffix in (".h5", ".keras"):
        pytest.importorskip("h5py")
    al.manual_seed(3)
    model = Sequential([Dense(6, input_dim=2, activation="relu", kernel_regularizer=regularizers.l1_l2(0.01, 0.02)),
                        Dropout(0.25), Dense(3), Activation("softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01, amsgrad=True), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(2).standard_normal((20, 2)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[np.arange(20) % 3]
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    loaded = load_model(path)
    assert [type(l).__name__ for l in loaded.layers] == ["Dense", "Dropout", "Dense", "Activation"]
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.layers[0].kernel_regularizer.get_config() == {"l1": 0.01, "l2": 0.02}
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    # the optimizer's state came along: the same further training, step for step
    al.manual_seed(9)
    h1 = model.fit(x, y, epochs=2, verbose=0, shuffle=False)
    al.manual_seed(9)
    h2 = loaded.fit(x, y, epochs=2, verbose=0, shuffle=False)
    assert h1.history == h2.history
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    uncompiled = load_model(path, compile=False)
    with pytest.raises(RuntimeError, match="You must compile your model"):
        uncompiled.fit(x, y, verbose=0)


def test_h5_file_has_keras_layout(tmp_path):
    h5py = pytest.importorskip("h5py")
    model = Sequential([Dense(4, input_dim=3, activation="relu"), Dense(2)])
    model.compile(optimizer="rmsprop", loss="mse")
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        assert [layer["class_name"] for layer in config["config"]["layers"]] == ["Dense", "Dense"]
        kernel = np.asarray(f["model_weights"]["dense" if "dense" in f["model_weights"] else
                                                 model.layers[0].name]["kernel:0"])
        assert kernel.shape == (3, 4)                     # Keras' layout: (input_dim, units)
        assert json.loads(f.attrs["training_config"])["loss"] == "mse"


def test_weights_only_round_trip(tmp_path):
    model = Sequential([Dense(4, input_dim=3), Dense(2)])
    for name in ("w.h5", "w.bin"):
        if name.endswith(".h5"):
            pytest.importorskip("h5py")
        model.save_weights(tmp_path / name)
        other = Sequential([Dense(4, input_dim=3), Dense(2)])
        other.load_weights(tmp_path / name)
        for a, b in zip(other.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_model_checkpoint_saves_the_best(tmp_path):
    model = Sequential([Dense(1, input_dim=2, activation="sigmoid")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy")
    path = str(tmp_path / "best-{epoch:02d}.bin")
    model.fit(X_AND, Y_AND, epochs=4, verbose=0, validation_data=(X_AND, Y_AND),
              callbacks=[callbacks.ModelCheckpoint(path, save_best_only=True)])
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert saved and saved[0] == "best-01.bin" and all(re.fullmatch(r"best-0\d\.bin", s) for s in saved)
    assert load_model(tmp_path / saved[-1]).predict(X_AND).shape == (4, 1)


STEP = r"\d+(?:s|ms|us)/step"          # Keras' time per step: 2s/step, 15ms/step, 800us/step
LOGS = r"loss: \d\.\d{4} - accuracy: \d\.\d{4}"


def test_verbose_output(capsys):
    """Not a terminal (a pipe, a log file): verbose=1 gives Keras' finished bar once per epoch, verbose=2 one line
    per epoch, evaluate one bar line; nothing is redrawn."""
    model = Sequential([Dense(1, input_dim=2, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X_AND, Y_AND, epochs=2, batch_size=2, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 4 and lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    for line in lines[1::2]:
        assert re.fullmatch(rf"2/2 \[={{30}}\] - \d+s {STEP} - {LOGS}", line), line
    model.fit(X_AND, Y_AND, epochs=1, verbose=2, validation_split=0.25)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(rf"1/1 - \d+s - {STEP} - loss: \S+ - accuracy: \S+ - val_loss: \S+ - val_accuracy: \S+",
                        lines[1])
    model.fit(X_AND, Y_AND, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""
    model.evaluate(X_AND, Y_AND, batch_size=2)
    assert re.fullmatch(rf"2/2 \[={{30}}\] - \d+s {STEP} - {LOGS}\n", capsys.readouterr().out)
    model.evaluate(X_AND, Y_AND, verbose=0)
    assert capsys.readouterr().out == ""


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_verbose_progress_bar_on_a_terminal(monkeypatch):
    """On a terminal, verbose=1 redraws one line in place: the bar with the ETA and the running averages while the
    epoch runs, then the epoch's finished line padded over it."""
    monkeypatch.setattr(callbacks.ProgbarLogger, "interval", 0.0)        # draw at every batch
    term = _Terminal()
    monkeypatch.setattr("sys.stdout", term)
    model = Sequential([Dense(1, input_dim=2, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    x, y = np.tile(X_AND, (10, 1)), np.tile(Y_AND, (10, 1))
    model.fit(x, y, epochs=1, batch_size=4, verbose=1)
    first, rest = term.getvalue().split("\n", 1)
    assert first == "Epoch 1/1"
    frames = rest.rstrip("\n").split("\r")[1:]
    assert len(frames) == 10 and rest.endswith("\n") and rest.count("\n") == 1
    assert re.fullmatch(rf"1/10 \[={{2}}>\.{{27}}\] - ETA: \d+s - {LOGS}", frames[0]), frames[0]
    assert re.fullmatch(rf"5/10 \[={{14}}>\.{{15}}\] - ETA: \d+s - {LOGS}", frames[4]), frames[4]
    assert re.fullmatch(rf"10/10 \[={{30}}\] - \d+s {STEP} - {LOGS} *", frames[-1]), frames[-1]
    assert len(frames[-1]) >= len(frames[-2])                           # it covers the last bar drawn
    assert callbacks._eta(3725) == "1:02:05" and callbacks._eta(125.7) == "2:05" and callbacks._eta(3.9) == "3s"
    assert [callbacks._per_step(t) for t in (2.0, 0.015, 0.0008)] == ["2s/step", "15ms/step", "800us/step"]


def test_losses_match_their_formulas_and_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    p = rng.uniform(0.05, 0.95, (6, 3)).astype(np.float32)
    y = (rng.random((6, 3)) > 0.5).astype(np.float32)
    got = losses.binary_crossentropy(al.tensor(y), al.tensor(p)).numpy()
    want = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(y), reduction="none").mean(-1)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5)
    onehot = np.eye(3, dtype=np.float32)[[0, 2, 1, 1, 0, 2]]
    probs = p / p.sum(-1, keepdims=True)
    np.testing.assert_allclose(losses.categorical_crossentropy(al.tensor(onehot), al.tensor(p)).numpy(),
                               -np.log((onehot * probs).sum(-1)), rtol=1e-5)
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(al.tensor([0, 2, 1, 1, 0, 2]), al.tensor(p)).numpy(),
        losses.categorical_crossentropy(al.tensor(onehot), al.tensor(p)).numpy(), rtol=1e-6)
    np.testing.assert_allclose(losses.get("mse")(al.tensor(y), al.tensor(p)).numpy(), ((p - y) ** 2).mean(-1),
                               rtol=1e-6)
    np.testing.assert_allclose(losses.get("mae")(al.tensor(y), al.tensor(p)).numpy(), np.abs(p - y).mean(-1),
                               rtol=1e-6)
    # probabilities of exactly 0 and 1 are clipped to [1e-7, 1 - 1e-7]: finite losses
    edge = losses.binary_crossentropy(al.tensor([[1.0, 0.0]]), al.tensor([[0.0, 1.0]])).numpy()
    assert np.isfinite(edge).all() and 15.5 < edge[0] < 16.2          # about -log(1e-7) = 16.1


def test_accuracy_is_chosen_from_the_loss_and_output_size():
    assert metrics.get("accuracy", "binary_crossentropy", 3)[1] is metrics.binary_accuracy
    assert metrics.get("acc", "categorical_crossentropy", 1)[1] is metrics.binary_accuracy
    assert metrics.get("accuracy", "categorical_crossentropy", 3)[1] is metrics.categorical_accuracy
    assert metrics.get("accuracy", "sparse_categorical_crossentropy", 3)[1] is metrics.sparse_categorical_accuracy
    al.manual_seed(5)
    x = np.random.default_rng(3).standard_normal((30, 4)).astype(np.float32)
    labels = x[:, :3].argmax(1)
    model = Sequential([Dense(3, input_dim=4, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, labels, epochs=40, batch_size=10, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    assert (model.predict_classes(x) == labels).mean() == pytest.approx(model.evaluate(x, labels, verbose=0)[1])


def test_regularization_is_added_to_the_loss():
    model = Sequential([Dense(2, input_dim=3, kernel_regularizer=regularizers.l2(0.5),
                              bias_regularizer=regularizers.l1(0.25))])
    model.compile(optimizer="sgd", loss="mse")
    model.set_weights([np.arange(6, dtype=np.float32).reshape(3, 2), np.array([1.0, -2.0], np.float32)])
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    pred = x @ np.arange(6).reshape(3, 2) + [1, -2]
    penalty = 0.5 * np.sum(np.arange(6) ** 2) + 0.25 * 3
    assert model.evaluate(x, y, verbose=0) == pytest.approx((pred ** 2).mean() + penalty, rel=1e-6)


def test_optimizers_by_name_and_object():
    assert isinstance(optimizers.get("Adam"), optimizers.Adam)
    assert optimizers.get("sgd").get_config() == {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False,
                                                  "decay": 0.0, "clipnorm": None, "clipvalue": None}
    assert optimizers.RMSprop(lr=0.01).learning_rate == 0.01
    sgd = optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    built = sgd.build([al.zeros(2, requires_grad=True)])
    assert isinstance(built, al.optim.SGD) and built.defaults["nesterov"] and built.defaults["momentum"] == 0.9
    adam = optimizers.Adam().build([al.zeros(2, requires_grad=True)])
    assert adam.defaults["eps"] == 1e-7 and adam.defaults["lr"] == 0.001
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamw2'"):
        optimizers.get("adamw2")
    with pytest.raises(TypeError, match="unexpected argument"):
        optimizers.SGD(learning_rat=0.1)


def test_layers_and_old_import_path():
    from autograd_lite.keras.layers import core
    assert core.Dense is Dense and keras.layers.Flatten is Flatten
    model = Sequential([Flatten(input_shape=(2, 3)), Dense(4, activation="relu"), Dense(1, activation="linear")])
    model.compile(optimizer="adam", loss="mae")
    assert model.output_shape == (None, 1) and model.layers[0].output_shape == (None, 6)
    assert model.predict(np.ones((5, 2, 3))).shape == (5, 1)
    assert model.count_params() == 6 * 4 + 4 + 5
    out = model(al.ones(2, 2, 3))
    assert isinstance(out, al.Tensor) and out.shape == (2, 1)


def test_dense_initialisation_is_glorot_uniform():
    al.manual_seed(6)
    layer = Dense(300, input_dim=200)
    Sequential([layer])._build()
    kernel, bias = layer.get_weights()
    limit = np.sqrt(6 / (200 + 300))
    assert kernel.shape == (200, 300) and np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit
    assert not bias.any()


@pytest.mark.parametrize("build, exc, match", [
    (lambda m: m.fit(X_AND, Y_AND[:3], verbose=0), ValueError,
     r"Data cardinality is ambiguous:\n  x sizes: 4\n  y sizes: 3"),
    (lambda m: m.compile(optimizer="adam", loss="cross_entropy_of_doom"), ValueError,
     "Unknown loss function: 'cross_entropy_of_doom'"),
    (lambda m: m.fit(np.ones((4, 3)), Y_AND, verbose=0), ValueError,
     r"fit: expected input of shape \(batch, 2\), got an array of shape \(4, 3\)"),
    (lambda m: m.compile(optimizer="adam", loss="mse", metrics=["precision@k"]), ValueError,
     "Unknown metric function"),
])
def test_bad_input_raises_clearly(build, exc, match):
    model = Sequential([Dense(1, input_dim=2, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(exc, match=match):
        build(model)


def test_dense_without_an_input_size_as_first_layer():
    model = Sequential()
    model.add(Dense(32))
    model.add(Dense(1))
    with pytest.raises(ValueError, match=r"the first layer \(Dense 'dense\w*'\) needs the input size: pass "
                                         r"input_dim="):
        model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="needs the input size"):
        model.summary()


def test_more_bad_arguments():
    with pytest.raises(ValueError, match="Unknown activation function: 'swishy'"):
        Dense(3, input_dim=2, activation="swishy")
    with pytest.raises(ValueError, match="rate must be in"):
        Dropout(1.5)
    with pytest.raises(TypeError, match="expected a keras layer"):
        Sequential().add(al.nn.Linear(2, 3))
    with pytest.raises(RuntimeError, match="You must compile your model before training/testing"):
        Sequential([Dense(1, input_dim=2)]).fit(X_AND, Y_AND)


def test_trainable_false_freezes_a_layer():
    frozen = Dense(4, input_dim=2, trainable=False)
    model = Sequential([frozen, Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = frozen.get_weights()
    model.fit(X_AND, Y_AND, epochs=3, verbose=0)
    for a, b in zip(frozen.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    lines = []
    model.summary(print_fn=lines.append)
    assert "Non-trainable params: 12" in lines and "Trainable params: 5" in lines


def test_targets_must_fit_the_output_like_keras():
    model = Sequential([Dense(3, input_dim=2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    labels = np.array([[0], [2], [1], [1]])
    with pytest.raises(ValueError, match=r"Shapes \(None, 1\) and \(None, 3\) are incompatible"):
        model.fit(X_AND, labels, verbose=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X_AND, labels, epochs=1, verbose=0)                         # (n, 1) class indices: fine
    with pytest.raises(ValueError, match="expected class indices of shape"):
        model.fit(X_AND, np.eye(3)[[0, 2, 1, 1]], verbose=0)              # one-hot with the sparse loss
    one_input = Sequential([Dense(1, input_dim=1)])
    one_input.compile(optimizer="sgd", loss="mse")
    one_input.fit(np.arange(4.0), np.arange(4.0), epochs=1, verbose=0)   # (n,) x and y for one feature and unit
    assert one_input.predict(np.arange(3.0)).shape == (3, 1)


def test_callbacks_run_before_history_records_the_logs():
    class AddLearningRate(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["lr"] = 0.5 / (epoch + 1)
    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(X_AND, Y_AND, epochs=2, verbose=0, callbacks=[AddLearningRate()])
    assert history.history["lr"] == [0.5, 0.25]


def test_early_stopping_baseline_like_keras():
    class Model:
        stop_training = False
        weights = None

        def get_weights(self):
            return [self.weights]

        def set_weights(self, w):
            self.restored = w[0]
    stop = callbacks.EarlyStopping(monitor="loss", patience=2, baseline=0.5, restore_best_weights=True)
    model = Model()
    stop.set_model(model)
    stop.on_train_begin()
    for epoch, loss in enumerate([0.9, 0.7, 0.8, 0.95]):
        model.weights = epoch
        stop.on_epoch_end(epoch, {"loss": loss})
        if model.stop_training:
            break
    # never below the baseline: stops after `patience` epochs, restoring the best epoch seen (1, loss 0.7)
    assert model.stop_training and stop.stopped_epoch == 2 and model.restored == 1 and stop.best == 0.7


def test_keras2_decay_and_gradient_clipping():
    p = al.tensor([0.0, 0.0], requires_grad=True)
    sgd = optimizers.SGD(learning_rate=1.0, clipnorm=1.0, decay=0.5)
    torch_opt = sgd.build([p])
    p.grad = al.tensor([3.0, 4.0])                                       # norm 5 -> scaled to norm 1
    sgd.apply(torch_opt)
    np.testing.assert_allclose(p.detach().numpy(), [-0.6, -0.8], rtol=1e-6)
    p.grad = al.tensor([3.0, 4.0])
    sgd.apply(torch_opt)                                                 # lr 1 / (1 + 0.5 * 1)
    assert torch_opt.param_groups[0]["lr"] == pytest.approx(1 / 1.5)
    np.testing.assert_allclose(p.detach().numpy(), [-0.6 - 0.4, -0.8 - 0.8 / 1.5], rtol=1e-6)
    clip = optimizers.SGD(learning_rate=1.0, clipvalue=0.5)
    q = al.tensor([0.0, 0.0], requires_grad=True)
    q.grad = al.tensor([3.0, -0.25])
    clip.apply(clip.build([q]))
    np.testing.assert_allclose(q.detach().numpy(), [-0.5, 0.25])
    with pytest.raises(ValueError, match="clipnorm must be > 0"):
        optimizers.Adam(clipnorm=0)
    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer=optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True), loss="mse")
    model.fit(X_AND, Y_AND, epochs=3, batch_size=2, verbose=0)
    assert model.optimizer.iterations == 6
