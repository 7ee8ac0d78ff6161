"""Hostile files for vision.datasets: gzip bombs on disk and from a mirror, downloads larger than
the published file or with the wrong MD5, plain-HTTP mirrors, bad IDX headers, and a fuzz test of
the IDX reader against a reference decoding, with the memory it uses bounded."""
import contextlib
import io
import math
import re
import struct
import tracemalloc
import urllib.request
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from autograd_lite.vision.datasets import MNIST, read_idx
from test_vision_datasets import NAMES, check, put, raw_files, server, tiny  # noqa: F401

MB = 1 << 20
IMAGES = NAMES[0]                       # the tiny fixture's 7 training images: 5488 bytes of data
ALLOW_HTTP = "AUTOGRAD_LITE_ALLOW_HTTP"


@contextlib.contextmanager
def traced():
    """Yields a list that holds, once the block is left, the peak of traced memory within it."""
    tracemalloc.start()
    peak = []
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def gzip_of(head, zeros):
    """gzip of `head` followed by `zeros` bytes of zeros, without holding those in memory."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    return c.compress(head) + b"".join(c.compress(bytes(min(MB, zeros - start)))
                                       for start in range(0, zeros, MB)) + c.flush()


def idx_header(code, shape):
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


@pytest.fixture(scope="module")
def bombs():
    """Two 100 KB gzips that inflate to 100 MB, in place of the 7 training images: `overrun`
    keeps the images' header and follows their data with zeros, `honest` has a header that
    gives all 100 MB (so only its MD5 is wrong)."""
    n = 100 * MB // 784
    return {"overrun": gzip_of(idx_header(8, (7, 28, 28)) + bytes(5488), 100 * MB),
            "honest": gzip_of(idx_header(8, (n, 28, 28)), n * 784)}


# ---- gzip bombs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, error", [("overrun", r"wrong count: .* more than 5488 bytes"),
                                         ("honest", r"the MD5 of its uncompressed content is")],
                         ids=["overrun", "honest"])
def test_gzip_bomb_on_disk(tmp_path, tiny, bombs, kind, error):
    put(tmp_path, tiny[1], gz=True)
    path = tmp_path / (IMAGES + ".gz")
    path.write_bytes(bombs[kind])
    with traced() as peak, pytest.raises(RuntimeError, match=rf"{IMAGES}\.gz: {error}"):
        MNIST(tmp_path)
    assert peak[0] < 4 * MB
    if kind == "overrun":
        with traced() as peak, pytest.raises(ValueError, match=rf"{IMAGES}\.gz: {error}"):
            read_idx(path)
        assert peak[0] < 4 * MB


@pytest.mark.parametrize("kind", ["overrun", "honest"])
def test_gzip_bomb_from_a_mirror(tmp_path, tiny, server, bombs, monkeypatch, capfd, kind):
    """Neither memory nor disk: whatever its header claims (the honest bomb's: 100 MB), a download stops past the
    5504 bytes the published file holds uncompressed."""
    error = "its uncompressed content is larger than 5504 bytes"
    url, requests = server
    (tmp_path / "served" / "bomb").mkdir()
    (tmp_path / "served" / "bomb" / (IMAGES + ".gz")).write_bytes(bombs[kind])
    monkeypatch.setattr(MNIST, "resources", [(n, m, max(size, len(bombs[kind])), content_size)
                                             for n, m, size, content_size in MNIST.resources])
    monkeypatch.setattr(MNIST, "mirrors", [url + "bomb/", url + "good/"])
    root = tmp_path / "data"
    with traced() as peak:
        ds = MNIST(root, download=True)
    assert peak[0] < 4 * MB
    check(ds, tiny[0])                          # the bomb rejected, the good mirror used
    assert raw_files(root) == sorted(NAMES)     # no temporary file left behind
    assert f"/bomb/{IMAGES}.gz" in requests
    assert re.search(rf"Failed: .*/bomb/{IMAGES}\.gz: {error}", capfd.readouterr().err)


def test_download_larger_than_published_is_cut_off(tmp_path, tiny, server, monkeypatch):
    url, _ = server
    size = len((tmp_path / "served" / "good" / (IMAGES + ".gz")).read_bytes()) - 1
    monkeypatch.setattr(MNIST, "resources", [(n, m, size if n == IMAGES else s, content_size)
                                             for n, m, s, content_size in MNIST.resources])
    monkeypatch.setattr(MNIST, "mirrors", [url + "good/"])
    with pytest.raises(RuntimeError, match=rf"(?s)could not download {IMAGES} .*{IMAGES}\.gz: "
                                           rf"larger than {size} bytes, the size of the published"):
        MNIST(tmp_path, download=True)
    assert raw_files(tmp_path) == sorted(NAMES[1:])


# ---- plain HTTP ---------------------------------------------------------------------------------
def test_plain_http_mirror_needs_opt_in(tmp_path, tiny, server, monkeypatch):
    url, requests = server
    monkeypatch.delenv(ALLOW_HTTP)
    monkeypatch.setattr(MNIST, "mirrors", [url + "good/"])
    with pytest.raises(RuntimeError, match=rf"{IMAGES}\.gz: skipped: plain HTTP.* set the "
                                           rf"environment variable {ALLOW_HTTP}=1"):
        MNIST(tmp_path, download=True)
    assert requests == []
    monkeypatch.setenv(ALLOW_HTTP, "1")
    check(MNIST(tmp_path, download=True), tiny[0])


class FakeOpener:
    """Stands for urllib's opener: serves `files` {URL: bytes}, as if redirected by `redirect`
    (a function of the URL asked for, giving the URL the content came from)."""

    def __init__(self, files, redirect=lambda url: url):
        self.files, self.redirect = files, redirect

    def open(self, request, timeout):
        response = io.BytesIO(self.files[request.full_url])
        response.geturl = lambda: self.redirect(request.full_url)
        return response


def test_https_mirror_and_redirect_to_http(tmp_path, tiny, monkeypatch):
    mirror = "https://mirror.invalid/"
    put(tmp_path / "src", tiny[1], gz=True)
    files = {mirror + n + ".gz": (tmp_path / "src" / (n + ".gz")).read_bytes() for n in NAMES}
    monkeypatch.setattr(MNIST, "mirrors", [mirror])
    monkeypatch.delenv(ALLOW_HTTP, raising=False)
    monkeypatch.setattr(urllib.request, "build_opener", lambda: FakeOpener(files))
    check(MNIST(tmp_path / "a", download=True), tiny[0])               # HTTPS needs no opt-in
    downgrade = FakeOpener(files, lambda url: url.replace("https://", "http://"))
    monkeypatch.setattr(urllib.request, "build_opener", lambda: downgrade)
    with pytest.raises(RuntimeError, match=rf"{IMAGES}\.gz: redirected to http://mirror\.invalid/"
                                           rf"{IMAGES}\.gz: plain HTTP.*{ALLOW_HTTP}=1"):
        MNIST(tmp_path / "b", download=True)
    monkeypatch.setenv(ALLOW_HTTP, "1")
    check(MNIST(tmp_path / "b", download=True), tiny[0])


# ---- bad IDX headers ----------------------------------------------------------------------------
@pytest.mark.parametrize("content, error", [
    (idx_header(8, ()) + b"\x07", "not an IDX file: wrong magic number 0x00000800"),
    (idx_header(8, (1, 1, 1, 1)) + b"\x07", "not an IDX file: wrong magic number 0x00000804"),
    (idx_header(10, (1,)) + b"\x07", "not an IDX file: wrong magic number 0x00000a01"),
    (idx_header(8, (1 << 30, 1 << 30, 16)),         # 2**64 bytes: 0 in 64-bit arithmetic
     r"truncated: its header gives shape \(1073741824, 1073741824, 16\) of uint8 "
     r"\(18446744073709551616 bytes of data\), the file holds 0 bytes after the header"),
    (idx_header(0x0E, (2**32 - 1,) * 3) + bytes(16),
     r"truncated: .*shape \(4294967295, 4294967295, 4294967295\) of float64 .* holds 16 bytes"),
    (idx_header(0x0C, (2, 3)) + bytes(25), r"wrong count: .*\(24 bytes of data\), the file holds "
                                           "more than 24 bytes after the header"),
], ids=["0-d", "4-d", "type 0x0a", "2**64 bytes", "huge dims", "trailing byte"])
@pytest.mark.parametrize("gz", [False, True])
def test_bad_idx_header(tmp_path, content, error, gz):
    path = tmp_path / "bad.idx"
    path.write_bytes(gzip_of(content, 0) if gz else content)
    with traced() as peak, pytest.raises(ValueError, match=rf"^{re.escape(str(path))}: {error}"):
        read_idx(path)
    assert peak[0] < MB


# ---- fuzz: random headers against a reference decoding -----------------------------------------
CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MAX_BODY = 1 << 16


def reference(content):
    """The array an IDX reader must return for `content`, or None where it must refuse it (what
    torchvision's read_sn3_pascalvincent_tensor asserts: 1 to 3 dimensions, known type, exact
    length)."""
    if len(content) < 4 or content[:2] != b"\0\0" or content[2] not in CODES \
            or not 1 <= content[3] <= 3 or len(content) < 4 + 4 * content[3]:
        return None
    dtype, ndim = np.dtype(CODES[content[2]]), content[3]
    shape = struct.unpack(f">{ndim}I", content[4:4 + 4 * ndim])
    if len(content) - 4 - 4 * ndim != math.prod(shape) * dtype.itemsize \
            or math.prod(d for d in shape if d) * dtype.itemsize > np.iinfo(np.intp).max:  # (0, 2**31, 2**31)
        return None
    return np.frombuffer(content, dtype, offset=4 + 4 * ndim).reshape(shape)


@st.composite
def idx_files(draw):
    """Valid-looking IDX bytes: a type code, rank and dimensions mostly valid and small (else
    random, or huge), a body of the exact length, one byte off, or random, the whole possibly
    cut short."""
    def mostly(usual, other):
        return draw(st.sampled_from([usual, usual, usual, other]))
    code = draw(mostly(st.sampled_from(sorted(CODES)), st.integers(0, 255)))
    ndim = draw(mostly(st.integers(1, 3), st.integers(0, 4)))
    small = st.integers(0, 20)                         # at most 64,000 bytes of data in all
    dims = mostly(small, small | st.integers(0, 2**32 - 1) | st.sampled_from([2**31, 2**32 - 1]))
    shape = draw(st.lists(dims, min_size=ndim, max_size=ndim))
    exact = math.prod(shape) * np.dtype(CODES.get(code, "u1")).itemsize
    lengths = [n for n in (exact - 1, exact, exact, exact + 1) if 0 <= n <= MAX_BODY]
    length = draw(st.sampled_from(lengths) if lengths else st.integers(0, MAX_BODY))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    content = idx_header(code, shape) + rng.bytes(length)
    return content[:draw(mostly(st.none(), st.integers(0, len(content))))]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=idx_files(), gz=st.booleans())
@example(content=b"\0\0\x0b\x03" + struct.pack(">3I", 0, 2**31, 2**31), gz=False)   # empty, more than NumPy holds
def test_fuzz_idx_reader(tmp_path, content, gz):
    """A correct load or a ValueError naming the file, using little more memory than the bytes
    (uncompressed; random data, so about the file's size) justify."""
    path = tmp_path / "fuzz.idx"
    path.write_bytes(gzip_of(content, 0) if gz else content)
    want = reference(content)
    with traced() as peak:
        if want is None:
            with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}: "):
                read_idx(path)
        else:
            got = read_idx(path)
    assert peak[0] < 3 * len(content) + MB
    if want is not None:
        assert got.dtype == want.dtype.newbyteorder("=") and got.dtype.isnative
        assert got.shape == want.shape and got.flags.writeable
        np.testing.assert_array_equal(got, want)
