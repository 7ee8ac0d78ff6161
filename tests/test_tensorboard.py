"""utils.tensorboard.SummaryWriter: what it writes (scalars, histograms, images, text, hparams) read back from the
event files, tensors given as autograd_lite Tensors; add_graph refuses."""
import struct

import pytest

import autograd_lite as al

pytest.importorskip("tensorboardX")
from autograd_lite.utils.tensorboard import SummaryWriter  # noqa: E402
from tensorboardX.proto import event_pb2  # noqa: E402


def _events(log_dir):
    """Every Event of the event files under log_dir (TFRecord framing: length, its CRC, the record, its CRC)."""
    out = []
    for path in sorted(log_dir.rglob("events.out.tfevents.*")):
        data = path.read_bytes()
        i = 0
        while i < len(data):
            (n,) = struct.unpack("<Q", data[i:i + 8])
            event = event_pb2.Event()
            event.ParseFromString(data[i + 12:i + 12 + n])
            out.append(event)
            i += 12 + n + 4
    return out


def _values(events):
    return [(e.step, v.tag, v) for e in events for v in e.summary.value]


def test_scalars_histograms_images_text(tmp_path):
    with SummaryWriter(str(tmp_path)) as writer:
        for step in range(3):
            writer.add_scalar("loss/train", al.tensor(1.0 / (step + 1)), step)
        writer.add_scalars("acc", {"train": al.tensor(0.5), "test": 0.25}, 2)
        writer.add_histogram("w", al.arange(100, dtype=al.float32), 1)
        writer.add_image("img", al.rand(3, 8, 8), 0)
        writer.add_images("batch", al.rand(2, 3, 4, 4), 0)
        writer.add_text("note", "hello", 0)
    values = _values(_events(tmp_path))
    scalars = [(s, v.simple_value) for s, tag, v in values if tag == "loss/train"]
    assert scalars == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    hist = next(v.histo for s, tag, v in values if tag == "w")
    assert hist.num == 100 and hist.min == 0 and hist.max == 99 and hist.sum == pytest.approx(4950)
    image = next(v.image for s, tag, v in values if tag == "img")
    assert (image.height, image.width, image.colorspace) == (8, 8, 3) and image.encoded_image_string[:4] == b"\x89PNG"
    assert any(tag == "note/text_summary" for _, tag, _ in values)
    for run, expected in (("train", 0.5), ("test", 0.25)):      # one run per curve, under the main tag
        assert [(s, v.simple_value) for s, tag, v in _values(_events(tmp_path / "acc" / run))] == [(2, expected)]


def test_hparams_and_graph(tmp_path):
    writer = SummaryWriter(str(tmp_path))
    writer.add_hparams({"lr": 0.1, "bs": 64}, {"hparam/accuracy": al.tensor(0.9)})
    with pytest.raises(NotImplementedError, match="add_graph: autograd_lite has no JIT trace"):
        writer.add_graph(al.nn.Linear(2, 2), al.ones(1, 2))
    writer.close()
    assert _events(tmp_path)


def test_default_log_dir_is_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    writer = SummaryWriter(comment="_exp")
    writer.add_scalar("x", 1.0, 0)
    writer.close()
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.endswith("_exp") and _events(run)
