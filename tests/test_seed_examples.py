"""examples/perceptron.py, gradient_descent.py and backprop.py: the seed's sections 1.3-1.8
(shared/seed/deep-learning-notes.md) as runnable examples. Each main() runs in-process with small,
seeded settings; the perceptron trick's update is also checked on hand-made points."""
import pathlib
import re
import sys

import numpy as np
import pytest

import autograd_lite as al
from script_loader import load_script

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def load(name):
    return load_script(EXAMPLES / f"{name}.py", f"{name}_example")


@pytest.fixture(scope="module")
def perceptron():
    return load("perceptron")


@pytest.fixture(scope="module")
def gradient_descent():
    return load("gradient_descent")


@pytest.fixture(scope="module")
def backprop():
    return load("backprop")


def scalar(v):
    return al.tensor(v, dtype=al.float64)


# ---- perceptron.py (1.3) -------------------------------------------------------------------------
def test_perceptron_trick_when_prediction_is_1(perceptron):
    """A point labelled 0 on the positive side: w1 -= alpha*x_p, w2 -= alpha*x_q, b -= alpha."""
    w1, w2, b, alpha = scalar(0.5), scalar(-0.25), scalar(0.1), 0.1
    x_p, x_q = scalar(2.0), scalar(3.0)
    assert int(perceptron.prediction(w1, w2, b, x_p, x_q)) == 1       # 1 - 0.75 + 0.1 >= 0, label 0
    new = perceptron.perceptron_trick(w1, w2, b, x_p, x_q, 1, alpha)
    np.testing.assert_allclose([t.item() for t in new], [0.5 - 0.2, -0.25 - 0.3, 0.1 - 0.1], atol=1e-15)
    # the line moved toward the point: its score fell by alpha * (x_p^2 + x_q^2 + 1)
    before = (w1 * x_p + w2 * x_q + b).item()
    after = (new[0] * x_p + new[1] * x_q + new[2]).item()
    assert after == pytest.approx(before - alpha * (4 + 9 + 1))


def test_perceptron_trick_when_prediction_is_0(perceptron):
    """A point labelled 1 on the negative side: w1 += alpha*x_p, w2 += alpha*x_q, b += alpha."""
    w1, w2, b, alpha = scalar(0.5), scalar(-0.25), scalar(0.1), 0.1
    x_p, x_q = scalar(-1.0), scalar(2.0)
    assert int(perceptron.prediction(w1, w2, b, x_p, x_q)) == 0       # -0.5 - 0.5 + 0.1 < 0, label 1
    new = perceptron.perceptron_trick(w1, w2, b, x_p, x_q, 0, alpha)
    np.testing.assert_allclose([t.item() for t in new], [0.5 - 0.1, -0.25 + 0.2, 0.1 + 0.1], atol=1e-15)


def test_perceptron_epoch_updates_only_misclassified_points(perceptron):
    """step(w1*x1 + w2*x2 + b >= 0); one pass applies the trick to each misclassified point in order."""
    w1, w2, b = scalar(1.0), scalar(1.0), scalar(-1.5)                 # the AND line
    X, y = perceptron.logic_gate("AND")
    assert perceptron.prediction(w1, w2, b, X[:, 0], X[:, 1]).tolist() == [0, 0, 0, 1]
    assert perceptron.prediction(w1, w2, b, scalar(0.5), scalar(1.0)).item() == 1  # on the line: 1
    *same, updates = perceptron.epoch(w1, w2, b, X, y, 0.1)
    assert updates == 0 and [t.item() for t in same] == [1.0, 1.0, -1.5]
    X, y = perceptron.logic_gate("OR")                                 # (0,1) and (1,0) are wrong
    *new, updates = perceptron.epoch(w1, w2, b, X, y, 0.1)
    assert updates == 2
    np.testing.assert_allclose([t.item() for t in new], [1.1, 1.1, -1.3], atol=1e-15)


def test_perceptron_learns_and_or_and_blobs(perceptron, capsys):
    results = perceptron.main(["--points", "30", "--seed", "0"])
    out = capsys.readouterr().out
    assert set(results) == {"AND", "OR", "blobs"}
    for name, r in results.items():
        assert r["converged"] and r["accuracy"] == 1.0 and r["epochs"] >= 1, name
        assert len(r["lines"]) == r["epochs"] + 1
        assert re.search(rf"^{name} +\d+ points: converged in {r['epochs']} epochs? \(\d+ updates?\); "
                         rf"epoch {r['epochs'] + 1} made no mistake$", out, re.M), out
    assert out.count("accuracy 100% (4/4)") == 2
    # each final line separates its set, checked with NumPy (the blobs drawn again from the seed)
    al.manual_seed(0)
    for name in ("AND", "OR", "blobs"):
        X, y = perceptron.logic_gate(name) if name != "blobs" else perceptron.blobs(30)
        r = results[name]
        score = r["w1"] * X.numpy()[:, 0] + r["w2"] * X.numpy()[:, 1] + r["b"]
        np.testing.assert_array_equal(score >= 0, y.numpy() == 1)
    assert f"accuracy 100% ({len(y)}/{len(y)})" in out and len(y) > 30
    assert re.search(r"w1 = -?\d\.\d{4}  w2 = -?\d\.\d{4}  b = -?\d\.\d{4}   line ", out)


def test_perceptron_blobs_are_separable(perceptron):
    al.manual_seed(3)
    X, y = perceptron.blobs(100, margin=0.2)
    assert 150 < len(y) <= 200 and set(y.tolist()) == {0, 1}
    midpoint, u = np.array([2.0, 1.75]), np.array([2.0, 1.5]) / 2.5
    side = (X.numpy() - midpoint) @ u * (2 * y.numpy() - 1)
    assert side.min() >= 0.2


def test_perceptron_plot(perceptron, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "perceptron.png"
    perceptron.main(["--points", "10", "--plot", str(png)])
    assert f"plot saved to {png}" in capsys.readouterr().out
    assert png.stat().st_size > 10_000


# ---- gradient_descent.py (1.4-1.6) ---------------------------------------------------------------
def test_gradient_descent_hand_equals_autograd(gradient_descent, capsys):
    history = gradient_descent.main(["--epochs", "60", "--print-every", "20", "--points", "50"])
    out = capsys.readouterr().out
    assert len(history["grad_diff"]) == 60
    assert max(history["grad_diff"]) < 1e-6                 # hand direction == -(autograd gradient)
    assert history["param_diff"] < 1e-12                     # so both trainings stay together
    np.testing.assert_allclose(history["loss"], history["autograd_loss"], rtol=1e-12)
    loss = np.array(history["loss"])
    assert (np.diff(loss) < 0).all() and loss[-1] < 0.5 * loss[0]
    assert history["accuracy"] > 0.85
    printed = [int(e) for e in re.findall(r"^epoch +(\d+)  log-loss \d\.\d{4} \(autograd \d\.\d{4}\)",
                                         out, re.M)]
    assert printed == [1, 20, 40, 60]
    assert re.search(r"hand gradient = -\(autograd gradient\) at all 60 steps: max difference "
                     r"\d\.\de-\d\d \(tolerance 1e-06\)", out)
    assert re.search(r"^final: w = \[-?\d\.\d{4}, -?\d\.\d{4}\]  b = -?\d\.\d{4}   accuracy \d+\.\d%",
                     out, re.M)


def test_gradient_descent_direction_is_minus_the_gradient(gradient_descent):
    """At arbitrary weights: 1/m sum (y - y_hat) x and 1/m sum (y - y_hat) are -dJ/dw and -dJ/db."""
    al.manual_seed(1)
    X, y = gradient_descent.blobs(20)
    w = al.randn(2, dtype=al.float64, requires_grad=True)
    b = al.tensor(0.3, dtype=al.float64, requires_grad=True)
    y_hat = gradient_descent.output(w, b, X)
    gradient_descent.log_loss(y, y_hat).backward()
    dw, db = gradient_descent.descent_direction(X, y, y_hat.detach())
    np.testing.assert_allclose(dw.numpy(), -w.grad.numpy(), atol=1e-12)
    assert db.item() == pytest.approx(-b.grad.item(), abs=1e-12)


def test_gradient_descent_stops_on_a_wrong_gradient(gradient_descent, monkeypatch):
    """The per-step check is live: the gradient instead of minus the gradient fails it."""
    right = gradient_descent.descent_direction
    monkeypatch.setattr(gradient_descent, "descent_direction",
                        lambda X, y, y_hat: tuple(-d for d in right(X, y, y_hat)))
    with pytest.raises(SystemExit, match=r"epoch 1: the hand gradient and -\(autograd's\) differ"):
        gradient_descent.main(["--epochs", "3", "--points", "10"])


def test_gradient_descent_plot(gradient_descent, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "gd.png"
    gradient_descent.main(["--epochs", "20", "--points", "30", "--plot", str(png)])
    assert f"plot saved to {png}" in capsys.readouterr().out
    assert png.stat().st_size > 10_000


# ---- backprop.py (1.7-1.8) -----------------------------------------------------------------------
def test_backprop_hand_equals_autograd_and_learns_xor(backprop, capsys):
    history = backprop.main(["--steps", "250", "--print-every", "50"])
    out = capsys.readouterr().out
    assert list(history["initial_diff"]) == ["Theta1 (3x3)", "Theta2 (1x4)"]
    for name in history["initial_diff"]:
        assert history["initial_diff"][name] < 1e-10
        assert history["max_diff"][name] < 1e-10                      # at every one of the steps
        assert re.search(rf"^  {re.escape(name)}  max \|hand - autograd\| = \d\.\de[-+]\d\d$", out, re.M)
    loss = history["loss"]
    assert len(loss) == 251 and loss[-1] < loss[0] / 10
    printed = [float(v) for v in re.findall(r"^step +\d+  E/m (\d\.\d{4})$", out, re.M)]
    assert len(printed) == 6 and printed[-1] < printed[0]
    assert [round(a) for a in history["outputs"]] == [0, 1, 1, 0]      # XOR
    assert "x = (1, 1)  y = 0  a = " in out


def test_backprop_deeper_network_gradients(backprop):
    """Two hidden layers: the same deltas, one more Theta; still equal to autograd to 1e-10."""
    al.manual_seed(2)
    thetas = backprop.init_weights([2, 4, 3, 1])
    assert [tuple(t.shape) for t in thetas] == [(4, 3), (3, 5), (1, 4)]
    X = al.tensor(backprop.XOR_X, dtype=al.float64)
    Y = al.tensor(backprop.XOR_Y, dtype=al.float64)
    diffs, Deltas, E, loss = backprop.compare(thetas, X, Y)
    assert len(diffs) == 3 and max(diffs) < 1e-10
    assert E == pytest.approx(loss, rel=1e-12)
    # and the update theta := theta + alpha/m Delta is a descent step
    stepped = backprop.gradient_descent_step(thetas, Deltas, len(X), 0.5)
    assert backprop.backprop(stepped, X, Y)[1] < backprop.backprop(thetas, X, Y)[1]


def test_backprop_stops_on_a_wrong_gradient(backprop, monkeypatch):
    monkeypatch.setattr(backprop, "hand_gradients", lambda Deltas, m: [D / m for D in Deltas])
    with pytest.raises(SystemExit, match="differ from autograd's by more than 1e-10"):
        backprop.main(["--steps", "1"])


def test_backprop_plot(backprop, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "backprop.png"
    backprop.main(["--steps", "20", "--plot", str(png)])
    assert f"plot saved to {png}" in capsys.readouterr().out
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize("name", ["perceptron", "gradient_descent", "backprop"])
def test_plot_without_matplotlib(name, monkeypatch, tmp_path):
    """--plot without matplotlib: a one-line message naming the extra, before any training."""
    example = load(name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit, match=rf'^{name}\.py: --plot needs matplotlib: pip install '
                                         r'"autograd_lite\[plot\]"$'):
        example.main(["--plot", str(tmp_path / "x.png")])
    assert not (tmp_path / "x.png").exists()
