"""A newcomer's first contact (issue 15): every example's --help describes every option and none speaks of
the project's internals ("the seed", issue numbers); examples/mnist.py offline prints one short paragraph
with the command to run; examples/keras_and.py says why the notes' script learns nothing and which command
learns AND; downloads show their progress (a tqdm bar on a terminal, plain lines otherwise)."""
import argparse
import gzip
import hashlib
import io
import os
import pathlib
import re
import shlex
import socket
import subprocess
import sys
import types

import pytest

from autograd_lite.vision.datasets import MNIST
from autograd_lite.vision.datasets.utils import DownloadError, fetch
from script_loader import load_script

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
MNIST_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte"]


def closed_port():
    """A local port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def example_env(tmp_path, **extra):
    """The environment of a fresh user: empty home and cache, no data folder, no plain-HTTP opt-in."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
           and k not in ("AUTOGRAD_LITE_DATA", "AUTOGRAD_LITE_ALLOW_HTTP")}
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache"), **extra)
    return env


# ---- --help ---------------------------------------------------------------------------------------------------
def options_without_help(text):
    """The option lines of an argparse --help text that have no description (on their line, or on the next
    one, indented further)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line in ("options:", "optional arguments:"))
    missing = []
    for i in range(start + 1, len(lines)):
        m = re.match(r"^  (-\S.*?)(?: {2,}(\S.*))?$", lines[i])
        if m and not m[2]:
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if not re.match(r"^ {3,}\S", following) or following.lstrip().startswith("-"):
                missing.append(m[1])
    return missing


def test_options_without_help_finds_them():
    text = ("usage: x\n\noptions:\n  -h, --help   show this help message and exit\n  --epochs EPOCHS\n"
            "  --dataset {a,b}\n                        which one\n  --seed SEED\n")
    assert options_without_help(text) == ["--epochs EPOCHS", "--seed SEED"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_option_is_described(path):
    out = subprocess.run([sys.executable, str(path), "--help"], capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    text = out.stdout
    assert text.startswith(f"usage: {path.name}") and "\noptions:\n" in text
    assert options_without_help(text) == []
    description = text.split("\n\n")[1]
    assert description.rstrip()[-1] in ".)", description        # a whole sentence, not cut off
    for internal in ("the seed", "seed's", "shared/", "issue "):  # words of the project's own history
        assert internal not in text, internal


# ---- examples/mnist.py offline ---------------------------------------------------------------------------------
def test_mnist_offline_prints_a_short_paragraph_with_the_command(tmp_path):
    """`python examples/mnist.py` as a newcomer runs it, offline (every connection refused, through a proxy on a
    closed port), with no data and an empty home: a few lines that say what failed and the exact command to run
    with --data-dir, no traceback."""
    proxy = f"http://127.0.0.1:{closed_port()}"
    out = subprocess.run([sys.executable, "examples/mnist.py"], capture_output=True, text=True, timeout=120,
                         cwd=ROOT, env=example_env(tmp_path, https_proxy=proxy, http_proxy=proxy))
    assert out.returncode == 1 and out.stdout == ""
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) <= 8, lines
    assert "mnist.py: could not download MNIST: no mirror could be reached (no network?): " \
           "ossci-datasets.s3.amazonaws.com: connection refused; " \
           "yann.lecun.com: plain HTTP, used only with AUTOGRAD_LITE_ALLOW_HTTP=1." in lines
    text = out.stderr
    for name in MNIST_FILES:
        assert name + ".gz" in text
    assert "    python examples/mnist.py --data-dir DIR" in lines
    folder = tmp_path / "cache" / "autograd_lite" / "data" / "MNIST" / "raw"
    assert f"(or put them in {folder}, where this run looked first, and run it again)." in lines
    assert not [p for p in folder.parents[1].rglob("*") if p.is_file()]           # nothing downloaded


@pytest.mark.parametrize("allow_http, summary", [
    ("1", "no mirror could be reached (no network?): 127.0.0.1:{port}: connection refused"),
    (None, "127.0.0.1:{port}: plain HTTP, used only with AUTOGRAD_LITE_ALLOW_HTTP=1"),
], ids=["offline", "http-refused"])
def test_mnist_download_error_carries_what_a_script_needs(tmp_path, monkeypatch, capfd, allow_http, summary):
    """The library's error stays precise (every file and mirror, in full) and carries the parts a script words
    its advice from: the files, the mirrors' short reasons, whether it is offline, where files go."""
    port = closed_port()
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{port}/"])
    if allow_http:
        monkeypatch.setenv("AUTOGRAD_LITE_ALLOW_HTTP", allow_http)
    else:
        monkeypatch.delenv("AUTOGRAD_LITE_ALLOW_HTTP", raising=False)
    monkeypatch.setenv("no_proxy", "*")
    with pytest.raises(DownloadError) as info:
        MNIST(tmp_path, download=True)
    e = info.value
    assert isinstance(e, RuntimeError) and e.dataset == "MNIST" and e.files == MNIST_FILES
    assert e.summary == summary.format(port=port) and e.offline is bool(allow_http)
    assert e.folder == os.path.join(str(tmp_path), "MNIST", "raw")
    for name in MNIST_FILES:
        assert f"http://127.0.0.1:{port}/{name}.gz" in str(e)
    err = capfd.readouterr().err.splitlines()
    if allow_http:                       # one try: the mirror is unreachable, the other files skip it
        assert err == [f"Downloading http://127.0.0.1:{port}/{MNIST_FILES[0]}.gz",
                       f"Failed: http://127.0.0.1:{port}/{MNIST_FILES[0]}.gz: connection refused"]
    else:
        assert err == []


# ---- download progress ---------------------------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self):
        return True


class _FakeTqdm:
    """Stands for tqdm.tqdm: records its arguments, updates and closing."""
    made = []

    def __init__(self, **kwargs):
        self.kwargs, self.updates, self.closed = kwargs, [], False
        _FakeTqdm.made.append(self)

    def update(self, n):
        self.updates.append(n)

    def close(self):
        self.closed = True


@pytest.fixture
def mirrors(tmp_path):
    """Two file:// mirrors: `empty` holds nothing, `good` a gzipped 100 KB file; and fetch's arguments for it."""
    content = os.urandom(100_000)
    (tmp_path / "empty").mkdir()
    (tmp_path / "good").mkdir()
    packed = gzip.compress(content, mtime=0)
    (tmp_path / "good" / "data.gz").write_bytes(packed)

    def drain(reader):
        while reader.read(1 << 14):
            pass
    args = dict(filename="data.gz", md5=hashlib.md5(content).hexdigest(), size=len(packed),
                content_size=len(content), path=str(tmp_path / "data"), drain=drain)
    return (tmp_path / "empty").as_uri() + "/", (tmp_path / "good").as_uri() + "/", args


@pytest.mark.parametrize("terminal, tqdm", [(False, True), (True, False), (True, True)],
                         ids=["pipe", "terminal-without-tqdm", "terminal-with-tqdm"])
def test_download_progress(mirrors, monkeypatch, terminal, tqdm):
    """A plain "Downloading URL" line per try and "Failed: URL: reason" when it fails (not a terminal, or no
    tqdm); on a terminal with tqdm, a byte-counting bar as well."""
    empty, good, args = mirrors
    err = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    _FakeTqdm.made = []
    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=_FakeTqdm) if tqdm else None)
    reasons = {}
    path, errors = fetch([empty, good], **args, reasons=reasons)
    assert path == args["path"] and len(errors) == 1
    assert err.getvalue().splitlines() == [f"Downloading {empty}data.gz",
                                           f"Failed: {empty}data.gz: No such file or directory",
                                           f"Downloading {good}data.gz"]
    assert reasons == {empty: "No such file or directory"}
    if terminal and tqdm:
        (bar,) = _FakeTqdm.made
        assert bar.kwargs["total"] == args["size"] and bar.kwargs["desc"] == "data.gz"
        assert bar.kwargs["unit"] == "B" and bar.kwargs["file"] is err
        assert sum(bar.updates) == args["size"] and bar.closed
    else:
        assert _FakeTqdm.made == []


# ---- examples/keras_and.py -------------------------------------------------------------------------------------
def test_keras_and_says_why_and_which_command_learns_and(tmp_path, capsys):
    """The notes' settings: accuracy 0.25, then each setting that keeps the network from learning AND, and the
    command that learns it; that command learns it."""
    example = load_script(ROOT / "examples" / "keras_and.py", "keras_and_first_contact")
    example.main(["--save", str(tmp_path / "a.alk")])
    out = capsys.readouterr().out
    verdict = out[out.index("Accuracy 0.25: "):].splitlines()
    assert verdict[0] == "Accuracy 0.25: the network did not learn AND, and with these settings it cannot:"
    assert verdict[1].startswith("  - loss='categorical_crossentropy' divides the outputs by their sum")
    assert "loss and its gradient are 0" in verdict[1] and "'binary_crossentropy'" in verdict[1]
    assert verdict[2].startswith("  - validation_split=0.2 holds out the last rows, and the last row, [1, 1] -> 1,")
    assert verdict[3].startswith("  - Activation('softmax') makes the 32 hidden units sum to 1")
    assert verdict[4] == "It learns AND with:" and len(verdict) == 6
    command = shlex.split(verdict[5])
    assert command[0] == "python" and pathlib.Path(command[1]).resolve() == ROOT / "examples" / "keras_and.py"
    assert command[2:] == ["--save", str(tmp_path / "a.alk"), "--loss", "binary_crossentropy",
                           "--validation-split", "0", "--hidden-activation", "relu"]
    example.main(command[2:])
    out = capsys.readouterr().out
    assert "Accuracy:  1.0" in out and out.rstrip().endswith("AND learned: all four rows right.")


def test_keras_and_verdict_names_only_the_settings_left():
    example = load_script(ROOT / "examples" / "keras_and.py", "keras_and_first_contact")
    args = argparse.Namespace(loss="binary_crossentropy", validation_split=0.0, hidden_activation="softmax")
    text = example.verdict(args, 0.75, ["--epochs", "300"]).splitlines()
    assert len(text) == 4 and text[1].startswith("  - Activation('softmax')")
    assert text[3].endswith("keras_and.py --epochs 300 --hidden-activation relu")
    args.hidden_activation = "relu"
    assert example.verdict(args, 0.75, []) == "Accuracy 0.75: AND not learned yet; try more epochs (--epochs)."
    assert example.verdict(args, 1.0, []) == "AND learned: all four rows right."
