"""examples/keras_and.py (the notes' Keras script) and examples/overfitting.py (section 2.1), run in-process."""
import pathlib

import numpy as np
import pytest
from script_loader import load_script

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def load(name):
    return load_script(EXAMPLES / f"{name}.py")


def test_keras_and_runs_the_notes_script(tmp_path, capsys):
    pytest.importorskip("h5py")
    model, history = load("keras_and").main(["--epochs", "30", "--save", str(tmp_path / "voice.h5")])
    out = capsys.readouterr().out
    assert "Total params: 129" in out and "Predictions:" in out and "Accuracy:" in out
    assert "loaded back: the same predictions" in out and (tmp_path / "voice.h5").exists()
    assert len(history.history["val_acc"]) == 30


def test_keras_and_learns_and_with_a_fitting_loss(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "and.png"
    model, _ = load("keras_and").main(["--loss", "binary_crossentropy", "--validation-split", "0",
                                       "--hidden-activation", "relu", "--save", str(tmp_path / "m.alk"),
                                       "--plot", str(png)])
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    np.testing.assert_array_equal(model.predict_classes(x).ravel(), [0, 0, 0, 1])
    assert png.stat().st_size > 5_000 and "accuracy curves saved" in capsys.readouterr().out


def test_overfitting_shows_the_gap_and_the_remedies(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "of.png"
    runs = load("overfitting").main(["--epochs", "120", "--patience", "10", "--plot", str(png)])
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["run", "epochs", "train", "loss", "val", "loss", "train", "acc", "val", "acc"]
    by = {r["name"].split()[0]: r for r in runs}
    plain = by["no"]
    assert plain["epochs"] == 120 and plain["val_loss"] - plain["train_loss"] > 0.1       # it overfits
    for remedy in ("L2", "dropout", "early"):
        r = by[remedy]
        assert r["val_loss"] - r["train_loss"] < plain["val_loss"] - plain["train_loss"], remedy
    assert by["early"]["epochs"] < 120 and png.exists()
