"""autograd_lite.hub against a local HTTP server (127.0.0.1) serving a torch-saved checkpoint: download, the cache,
hash prefixes, resumed and restarted transfers, size caps, and the one-line offline message."""
import hashlib
import http.server
import io
import os
import pickle
import re
import socket
import threading

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import hub

torch = pytest.importorskip("torch")


class Server:
    """Serves `content` at /<name>; `ignore_range`, `cut_after` (close after so many bytes of the body on the
    first request), and `no_length` (no Content-Length: the body ends when the connection closes) change its
    behaviour."""

    def __init__(self, content):
        self.content, self.requests, self.ignore_range, self.cut_after, self.no_length = content, [], False, None, False
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(dict(self.headers))
                body, status, start = server.content, 200, 0
                match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
                if match and not server.ignore_range and self.headers.get("If-Range") == '"v1"':
                    start, status = int(match.group(1)), 206
                self.send_response(status)
                self.send_header("ETag", '"v1"')
                length = len(body) - start
                if not server.no_length:
                    self.send_header("Content-Length", str(length))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.end_headers()
                part = body[start:]
                if server.cut_after is not None:
                    part, server.cut_after = part[:server.cut_after], None
                self.wfile.write(part)
                self.wfile.flush()
                self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def checkpoint():
    model = torch.nn.Linear(64, 32)
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    data = buf.getvalue()
    return data, hashlib.sha256(data).hexdigest(), model.state_dict()


@pytest.fixture
def server(checkpoint):
    s = Server(checkpoint[0])
    yield s
    s.close()


@pytest.fixture(autouse=True)
def hub_home(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRAD_LITE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(hub, "_hub_dir", None)
    return tmp_path / "home" / "hub"


def test_get_dir_and_set_dir(tmp_path, monkeypatch, hub_home):
    assert hub.get_dir() == str(hub_home)
    monkeypatch.delenv("AUTOGRAD_LITE_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "autograd_lite" / "hub")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert hub.get_dir() == os.path.expanduser("~/.cache/autograd_lite/hub")
    hub.set_dir(tmp_path / "mine")
    assert hub.get_dir() == str(tmp_path / "mine")


def test_download_then_cached(server, checkpoint, hub_home, capsys):
    data, digest, state_dict = checkpoint
    name = f"linear-{digest[:8]}.pth"
    sd = hub.load_state_dict_from_url(server.url(name), check_hash=True)
    assert list(sd) == ["weight", "bias"]
    for k, v in state_dict.items():
        np.testing.assert_array_equal(sd[k].numpy(), v.numpy())
    path = hub_home / "checkpoints" / name
    assert path.read_bytes() == data
    assert sorted(os.listdir(path.parent)) == [name]                  # no .partial left behind
    assert f'Downloading: "{server.url(name)}" to {path}' in capsys.readouterr().err
    hub.load_state_dict_from_url(server.url(name), check_hash=True)      # cached: no second request
    assert len(server.requests) == 1
    model = al.nn.Linear(64, 32)
    model.load_state_dict(hub.load_state_dict_from_url(server.url(name), map_location="cpu"))


def test_model_dir_file_name_and_plain_lines(server, checkpoint, tmp_path, capsys):
    data = checkpoint[0]
    hub.load_state_dict_from_url(server.url("x.pth"), model_dir=tmp_path / "m", file_name="y.pth")
    assert (tmp_path / "m" / "y.pth").read_bytes() == data
    err = capsys.readouterr().err                     # no tqdm on a pipe: plain progress lines
    assert re.search(r"y.pth: [\d.]+ MB 100% of [\d.]+ MB", err), err


def test_hash_mismatch_is_refused_and_removed(server, hub_home):
    name = "linear-0123abcd.pth"
    with pytest.raises(RuntimeError, match=r'invalid hash value \(expected "0123abcd", got "[0-9a-f]{64}"\)'):
        hub.load_state_dict_from_url(server.url(name), check_hash=True)
    assert os.listdir(hub_home / "checkpoints") == []
    with pytest.raises(ValueError, match="check_hash=True needs a file name"):
        hub.load_state_dict_from_url(server.url("nohash.pth"), check_hash=True)


def test_interrupted_transfer_is_resumed_with_range(server, checkpoint, tmp_path):
    data, digest, _ = checkpoint
    dst = tmp_path / "w.pth"
    server.cut_after = 1000
    with pytest.raises(RuntimeError, match=r"stopped early \(1000 of \d+ bytes.*call again to resume"):
        hub.download_url_to_file(server.url("w.pth"), dst, hash_prefix=digest[:10])
    assert not dst.exists() and (tmp_path / "w.pth.partial").stat().st_size == 1000
    hub.download_url_to_file(server.url("w.pth"), dst, hash_prefix=digest[:10], progress=False)
    assert server.requests[1]["Range"] == "bytes=1000-" and server.requests[1]["If-Range"] == '"v1"'
    assert dst.read_bytes() == data
    assert sorted(os.listdir(tmp_path)) == ["w.pth"]


def test_server_that_ignores_range_restarts(server, checkpoint, tmp_path):
    data, digest, _ = checkpoint
    dst = tmp_path / "w.pth"
    server.cut_after = 700
    with pytest.raises(RuntimeError, match="stopped early"):
        hub.download_url_to_file(server.url("w.pth"), dst)
    server.ignore_range = True
    hub.download_url_to_file(server.url("w.pth"), dst, hash_prefix=digest[:8])
    assert "Range" in server.requests[1] and dst.read_bytes() == data


def test_partial_file_without_a_record_is_not_trusted(server, checkpoint, tmp_path):
    data, digest, _ = checkpoint
    dst = tmp_path / "w.pth"
    (tmp_path / "w.pth.partial").write_bytes(b"\x00" * 500)             # left by someone else: start over
    hub.download_url_to_file(server.url("w.pth"), dst, hash_prefix=digest[:8])
    assert "Range" not in server.requests[0] and dst.read_bytes() == data


def test_oversize_is_refused(server, checkpoint, tmp_path, monkeypatch):
    dst = tmp_path / "w.pth"
    monkeypatch.setattr(hub, "MAX_DOWNLOAD_SIZE", 1000)
    with pytest.raises(ValueError, match=r"is \d+ bytes, more than hub.MAX_DOWNLOAD_SIZE \(1000\)"):
        hub.download_url_to_file(server.url("w.pth"), dst)
    assert os.listdir(tmp_path) == []
    server.no_length = True                                    # no size announced: cut off at the cap
    with pytest.raises(ValueError, match="sent more than 1000 bytes"):
        hub.download_url_to_file(server.url("w.pth"), dst)
    assert os.listdir(tmp_path) == []


def test_offline_says_where_to_put_the_file(hub_home):
    with socket.socket() as s:                                 # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/densenet121-a639ec97.pth"
    with pytest.raises(RuntimeError) as err:
        hub.load_state_dict_from_url(url, check_hash=True)
    message = str(err.value)
    dst = hub_home / "checkpoints" / "densenet121-a639ec97.pth"
    assert "\n" not in message and url in message and "refused" in message.lower()
    assert message.endswith(f"put it at {dst}")


def test_http_errors(server, tmp_path):
    server.httpd.RequestHandlerClass.do_GET = lambda self: self.send_error(404)
    with pytest.raises(RuntimeError, match=r"could not download .*w.pth \(HTTP 404 Not Found\).*put it at"):
        hub.download_url_to_file(server.url("w.pth"), tmp_path / "w.pth")


def test_tqdm_bar_on_a_terminal(server, checkpoint, tmp_path, monkeypatch):
    bars = []

    class FakeTqdm:
        def __init__(self, **kwargs):
            self.kwargs, self.n, self.closed = kwargs, 0, False
            bars.append(self)

        def update(self, n):
            self.n += n

        def close(self):
            self.closed = True

    import sys
    import types
    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeTqdm))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    hub.download_url_to_file(server.url("w.pth"), tmp_path / "w.pth")
    assert len(bars) == 1 and bars[0].n == len(checkpoint[0]) and bars[0].closed
    assert bars[0].kwargs["total"] == len(checkpoint[0]) and bars[0].kwargs["unit"] == "B"
    hub.download_url_to_file(server.url("w.pth"), tmp_path / "v.pth", progress=False)
    assert len(bars) == 1


def test_a_downloaded_whole_model_loads_weights_only_unless_asked(hub_home, tmp_path):
    buf = io.BytesIO()
    al.save(al.nn.Linear(3, 2), buf)                  # save(model): the module is pickled
    s = Server(buf.getvalue())
    try:
        with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
            hub.load_state_dict_from_url(s.url("whole.pth"), progress=False)
        model = hub.load_state_dict_from_url(s.url("whole.pth"), progress=False, weights_only=False)
        assert type(model) is al.nn.Linear and model.weight.shape == (2, 3)
    finally:
        s.close()
