"""examples/mnist.py (the README's main command) and vision.utils' plots.

The example runs once as a subprocess on a 2,000-image subset of the real MNIST (skipped when
../shared/data is absent), with --save and --plot; the other cases call its main() in-process."""
import io
import pathlib
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.vision import datasets
from script_loader import load_script

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "mnist.py"
EPOCH_LINE = re.compile(r"^epoch (\d+)/(\d+)  train loss \d+\.\d{3}  test loss \d+\.\d{3}  "
                        r"test accuracy (\d\.\d{4})$")


@pytest.fixture(scope="module")
def example():
    return load_script(EXAMPLE, "mnist_example")


def closed_port_url():
    """http:// URL of a local port nothing listens on: a connection is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_example_trains_saves_and_plots(data_dir, tmp_path):
    pytest.importorskip("matplotlib")
    checkpoint, png = tmp_path / "checkpoint.pth", tmp_path / "mnist.png"
    out = subprocess.run([sys.executable, str(EXAMPLE), "--data-dir", str(data_dir), "--limit",
                          "2000", "--epochs", "1", "--save", str(checkpoint), "--plot", str(png)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("mnist: 2000 training images, 10000 test images; 784-128-64-10")
    epochs = [m for m in map(EPOCH_LINE.match, lines) if m]
    assert [(m[1], m[2]) for m in epochs] == [("1", "1")]
    assert re.fullmatch(r"test accuracy: \d\.\d{4}", lines[-1])
    assert lines[-1] == f"test accuracy: {epochs[0][3]}"
    assert float(epochs[0][3]) > 0.5                  # 32 Adam steps: ~0.70
    assert f"checkpoint saved to {checkpoint}, reloaded into a new model: same predictions on " \
           "64 test images" in lines
    assert f"plots saved to {png}" in lines
    assert png.stat().st_size > 10_000
    saved = al.load(checkpoint)
    assert saved["hidden_layers"] == [128, 64] and saved["arch"] == "sequential"
    assert saved["state_dict"]["0.weight"].shape == (128, 784)


def test_example_arbitrary_network(data_dir, tmp_path, example, capsys):
    """--hidden/--dropout: the seed's Network (ModuleList, Dropout, log_softmax + NLLLoss)."""
    checkpoint = tmp_path / "net.pth"
    example.main(["--data-dir", str(data_dir), "--dataset", "fashion-mnist", "--limit", "640",
                  "--epochs", "2", "--hidden", "64,32", "--dropout", "0.2", "--batch-size", "128",
                  "--save", str(checkpoint)])
    lines = capsys.readouterr().out.splitlines()
    assert "784-64-32-10 Network (dropout 0.2)" in lines[0]
    assert [m[1] for m in map(EPOCH_LINE.match, lines) if m] == ["1", "2"]
    assert any(line.startswith("checkpoint saved to") for line in lines)
    model = example.load_checkpoint(checkpoint)
    assert isinstance(model, example.Network)
    assert [layer.out_features for layer in model.hidden_layers] == [64, 32]
    assert model.dropout.p == 0.2


def test_example_cnn_learns_and_reloads(data_dir, tmp_path, example, capsys):
    """--model cnn: the convolutional network trains on (B, 1, 28, 28) batches, saves and reloads."""
    checkpoint = tmp_path / "cnn.pth"
    example.main(["--data-dir", str(data_dir), "--model", "cnn", "--limit", "1280", "--epochs", "1",
                  "--save", str(checkpoint)])
    lines = capsys.readouterr().out.splitlines()
    assert "CNN conv32-conv64-1600-128-10 (dropout 0.5)" in lines[0]
    accuracy = [float(m[3]) for m in map(EPOCH_LINE.match, lines) if m]
    assert len(accuracy) == 1 and accuracy[0] > 0.8, lines
    assert any(line.startswith("checkpoint saved to") for line in lines)
    model = example.load_checkpoint(checkpoint)
    assert [type(layer).__name__ for layer in model][:3] == ["Conv2d", "ReLU", "MaxPool2d"]
    assert model[0].weight.shape == (32, 1, 3, 3) and model[7].weight.shape == (128, 1600)


@pytest.mark.parametrize("allow_http", [True, False], ids=["refused", "plain-http"])
def test_example_offline_message(example, tmp_path, monkeypatch, allow_http):
    """An empty --data-dir and a mirror that cannot be used: a short paragraph, no traceback, nothing left behind
    but the (empty) raw folder. Its first line says why each mirror failed; the command is this run's, with
    --data-dir DIR in place of the one given."""
    port = closed_port_url()
    monkeypatch.setattr(datasets.MNIST, "mirrors", [port])
    monkeypatch.setenv("no_proxy", "*")
    if allow_http:
        monkeypatch.setenv("AUTOGRAD_LITE_ALLOW_HTTP", "1")
    else:
        monkeypatch.delenv("AUTOGRAD_LITE_ALLOW_HTTP", raising=False)
    with pytest.raises(SystemExit) as exc:
        example.main(["--data-dir", str(tmp_path), "--epochs", "1", "--limit", "100"])
    lines = str(exc.value.code).splitlines()
    host = port.split("/")[2]
    reason = ("no mirror could be reached (no network?): " + host + ": connection refused" if allow_http
              else host + ": plain HTTP, used only with AUTOGRAD_LITE_ALLOW_HTTP=1")
    assert lines[0] == f"mnist.py: could not download MNIST: {reason}."
    assert lines[1] == (f"Get the files {', '.join(n + '.gz' for n in NAMES)} (from {port}; gzipped or not) "
                        "into a folder DIR, then run:")
    assert re.fullmatch(r"    python \S*examples/mnist\.py --epochs 1 --limit 100 --data-dir DIR", lines[2])
    folder = tmp_path / "MNIST" / "raw"
    assert lines[3] == f"(or put them in {folder}, where this run looked first, and run it again)."
    assert len(lines) == 4
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def test_download_advice_keeps_the_runs_flags(example):
    """--data-dir X and --data-dir=X are replaced by --data-dir DIR; the other flags stay, quoted for a shell."""
    error = datasets.utils.DownloadError("", "FashionMNIST", NAMES, ["http://a/", "https://b/"], {}, set(), "/f")
    for argv in (["--dataset", "fashion-mnist", "--data-dir", "x y", "--plot", "a b.png"],
                 ["--dataset", "fashion-mnist", "--data-dir=x", "--plot", "a b.png"]):
        command = example.download_advice(error, argv).splitlines()[2]
        assert command.endswith("mnist.py --dataset fashion-mnist --plot 'a b.png' --data-dir DIR"), command
    assert "(from https://b/; gzipped or not)" in example.download_advice(error, [])


def test_example_bad_arguments(example, capsys):
    with pytest.raises(SystemExit):
        example.main(["--hidden", "128,x"])
    assert "--hidden: expected sizes separated by commas" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        example.main(["--model", "cnn", "--hidden", "128"])
    assert "--hidden sets the MLP's layers: it does not go with --model cnn" in capsys.readouterr().err
    try:
        al.zeros(1).to("cuda")
    except RuntimeError:
        with pytest.raises(SystemExit) as exc:
            example.main(["--device", "cuda"])
        assert str(exc.value.code).startswith("mnist.py: --device cuda: device 'cuda' is not available")


def test_example_default_data_dir(example, monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOGRAD_LITE_DATA", str(tmp_path))
    assert example.default_data_dir() == tmp_path
    monkeypatch.delenv("AUTOGRAD_LITE_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert example.default_data_dir() == tmp_path / "autograd_lite" / "data"


# ---- vision.utils ----------------------------------------------------------------------------------
def test_imshow_and_view_classify(tmp_path):
    pytest.importorskip("matplotlib")
    from autograd_lite.vision import utils
    import matplotlib.pyplot as plt

    image = al.rand(1, 28, 28) * 2 - 1                      # as Normalize((0.5,), (0.5,)) leaves it
    ax = utils.imshow(image, title="a digit")
    shown = ax.get_images()[0].get_array()
    assert shown.shape == (28, 28) and ax.get_title() == "a digit"
    np.testing.assert_allclose(shown, image.numpy()[0] * 0.5 + 0.5, rtol=1e-6)
    fig, axes = plt.subplots(ncols=2)
    assert utils.imshow(al.rand(3, 8, 8), ax=axes[0], normalize=False) is axes[0]
    assert axes[0].get_images()[0].get_array().shape == (8, 8, 3)
    plt.close(fig)
    plt.close(ax.figure)

    ps = al.softmax(al.randn(1, 10), dim=1)
    fig = utils.view_classify(image.view(1, 784), ps)
    img_ax, bar_ax = fig.axes
    assert img_ax.get_images()[0].get_array().shape == (28, 28)
    np.testing.assert_allclose([p.get_width() for p in bar_ax.patches], ps.numpy()[0], rtol=1e-6)
    assert [t.get_text() for t in bar_ax.get_yticklabels()] == [str(i) for i in range(10)]
    fig.savefig(tmp_path / "classify.png")
    assert (tmp_path / "classify.png").stat().st_size > 1000
    plt.close(fig)
    fig = utils.view_classify(image, ps[0].numpy(), version="Fashion")
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()][-1] == "Ankle Boot"
    plt.close(fig)

    with pytest.raises(ValueError, match="version must be one of"):
        utils.view_classify(image, ps, version="CIFAR")
    with pytest.raises(ValueError, match=r"expected 10 class probabilities, got shape \(1, 9\)"):
        utils.view_classify(image, al.rand(1, 9))
    with pytest.raises(ValueError, match=r"imshow: expected an image .* got \(2, 1, 28, 28\)"):
        utils.imshow(al.rand(2, 1, 28, 28))


def test_plot_helpers_without_matplotlib(monkeypatch):
    from autograd_lite.vision import utils
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "autograd_lite\[plot\]"'):
        utils.imshow(al.rand(28, 28))


class _FakeTTY(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("tty", [True, False])
def test_builtin_progress_bar(example, monkeypatch, tty):
    """Without tqdm: a one-line bar on stderr when it is a terminal, cleared at the end; nothing
    otherwise. The batches pass through unchanged either way."""
    monkeypatch.setitem(sys.modules, "tqdm", None)
    err = _FakeTTY() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    seen = []
    for batch, show in example.progress(list(range(50)), "epoch 1/3"):
        show(0.25)
        seen.append(batch)
    assert seen == list(range(50))
    if tty:
        assert "\repoch 1/3 [" + "#" * 30 + "] 50/50  loss 0.250" in err.getvalue()
        assert err.getvalue().endswith("\r\033[K")
    else:
        assert err.getvalue() == ""


def test_tqdm_progress_bar(example, monkeypatch):
    """With tqdm installed: its bar over the batches, left behind by no epoch, off when stderr is not a terminal
    (disable=None), with the running loss as its postfix."""
    made = []

    class FakeTqdm:
        def __init__(self, iterable, **kwargs):
            self.iterable, self.kwargs, self.postfix = iterable, kwargs, []
            made.append(self)

        def __iter__(self):
            return iter(self.iterable)

        def set_postfix(self, **kwargs):
            self.postfix.append(kwargs)

    monkeypatch.setitem(sys.modules, "tqdm", type(sys)("tqdm"))
    sys.modules["tqdm"].tqdm = FakeTqdm
    seen = []
    for batch, show in example.progress(list(range(5)), "epoch 2/3"):
        show(0.5)
        seen.append(batch)
    (bar,) = made
    assert seen == list(range(5)) and bar.postfix[-1] == {"loss": "0.500", "refresh": False}
    assert bar.kwargs == {"desc": "epoch 2/3", "leave": False, "disable": None, "unit": "batch",
                          "file": sys.stderr}


@pytest.mark.cuda
def test_example_on_the_gpu_learns_as_on_the_cpu(data_dir, example, capsys):
    """--device cuda: the same training, the same accuracy as on the CPU (to a point: GPU sums round differently).
    (GPU only: on the emulated device of the other device tests its 10,000 test images take half a minute.)"""
    accuracy, gpu = {}, "cuda"
    for device in ("cpu", gpu):
        example.main(["--data-dir", str(data_dir), "--limit", "1280", "--epochs", "2", "--device", device])
        lines = capsys.readouterr().out.splitlines()
        assert device in lines[0]
        accuracy[device] = [float(m[3]) for m in map(EPOCH_LINE.match, lines) if m]
    assert len(accuracy["cpu"]) == 2 and accuracy["cpu"][-1] > 0.8
    np.testing.assert_allclose(accuracy[gpu], accuracy["cpu"], atol=0.01)


@pytest.mark.cuda
def test_cnn_example_on_the_gpu_learns_as_on_the_cpu(data_dir, example, capsys):
    """--model cnn --device cuda: convolutions, pooling and dropout on the GPU learn as on the CPU."""
    accuracy = {}
    for device in ("cpu", "cuda"):
        example.main(["--data-dir", str(data_dir), "--model", "cnn", "--limit", "1280", "--epochs", "1",
                      "--device", device])
        accuracy[device] = [float(m[3]) for m in map(EPOCH_LINE.match, capsys.readouterr().out.splitlines()) if m]
    assert len(accuracy["cpu"]) == 1 and accuracy["cpu"][0] > 0.8
    np.testing.assert_allclose(accuracy["cuda"], accuracy["cpu"], atol=0.02)
