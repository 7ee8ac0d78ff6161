"""vision.datasets: the IDX reader, MD5 checks, MNIST/FashionMNIST over small files in both layouts,
the batch path, downloads from a local HTTP server, ImageFolder, and the real data sets."""
import functools
import gzip
import hashlib
import http.server
import os
import sys
import threading

import numpy as np
import pytest
from PIL import Image

import autograd_lite as al
from autograd_lite.utils.data import DataLoader, default_collate
from autograd_lite.vision import datasets, transforms
from autograd_lite.vision.datasets import FashionMNIST, ImageFolder, MNIST, read_idx
from autograd_lite.vision.datasets import utils as dutils
from autograd_lite.vision.datasets.idx import check_idx

NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]
_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
          np.float64: 0x0E}


def idx_bytes(array):
    array = np.asarray(array)
    header = bytes([0, 0, _CODES[array.dtype.type], array.ndim])
    return header + np.array(array.shape, ">i4").tobytes() + \
        array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, content, gz=False, mtime=0, level=9):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(content, compresslevel=level, mtime=mtime) if gz else content)
    return path


def md5(content):
    return hashlib.md5(content).hexdigest()


# ---- the IDX reader -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", list(_CODES))
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_roundtrip(tmp_path, dtype, gz):
    a = (np.arange(2 * 3 * 4) - 7).astype(dtype).reshape(2, 3, 4)
    out = read_idx(write(tmp_path / "a.idx", idx_bytes(a), gz))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative and out.flags.writeable
    np.testing.assert_array_equal(out, a)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "l", idx_bytes(a[0, 0]), gz)), a[0, 0])


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n....", b"\x00\x00\x07\x01\x00\x00\x00\x00",
                                     b"\x00\x01\x08\x01\x00\x00\x00\x00"])
def test_read_idx_wrong_magic(tmp_path, content):
    path = write(tmp_path / "bad-idx", content)
    with pytest.raises(ValueError, match=r"bad-idx: not an IDX file: wrong magic number"):
        read_idx(path)


def test_read_idx_truncated(tmp_path):
    full = idx_bytes(np.zeros((3, 28, 28), np.uint8))
    for n, what in [(2, "4-byte IDX magic"), (10, "header"), (len(full) - 1, "2352 bytes")]:
        with pytest.raises(ValueError, match=rf"cut\.gz: truncated: .*{what}"):
            read_idx(write(tmp_path / "cut.gz", full[:n], gz=True))
    cut_gzip = gzip.compress(full)[:-20]
    with pytest.raises(ValueError, match=r"cut-stream: truncated gzip data"):
        read_idx(write(tmp_path / "cut-stream", cut_gzip))


def test_read_idx_wrong_count(tmp_path):
    content = bytearray(idx_bytes(np.zeros((3, 28, 28), np.uint8)))
    content[7] = 2                                  # the header now says 2 images, 3 follow
    for gz in (False, True):                        # gzip is inflated no further than 1568 + 1
        with pytest.raises(ValueError, match=r"three: wrong count: .*shape \(2, 28, 28\) .*1568 "
                                             r"bytes.* holds more than 1568 bytes"):
            read_idx(write(tmp_path / "three", bytes(content), gz))


# ---- MD5 verification ---------------------------------------------------------------------------
def test_md5_of_the_uncompressed_content(tmp_path, monkeypatch):
    content = idx_bytes(np.arange(100, dtype=np.uint8))
    a = write(tmp_path / "a.gz", content, gz=True, mtime=0, level=9)
    b = write(tmp_path / "b.gz", content, gz=True, mtime=123456, level=1)   # recompressed
    assert a.read_bytes() != b.read_bytes()
    for path in (a, b):
        dutils.check_integrity(path, md5(content), check_idx, stamp=True)
    corrupt = bytearray(content)
    corrupt[-1] ^= 1
    c = write(tmp_path / "c.gz", bytes(corrupt), gz=True)
    with pytest.raises(ValueError, match=rf"c\.gz: the MD5 of its uncompressed content is "
                                         rf"{md5(bytes(corrupt))}, expected {md5(content)}"):
        dutils.check_integrity(c, md5(content), check_idx)
    # remembered (in a stamp beside the file too), so not read again until the file changes
    assert "a.gz" in (tmp_path / ".verified").read_text()
    monkeypatch.setattr(dutils, "_verified", set())
    dutils.check_integrity(a, md5(content), lambda reader: pytest.fail("read again"))
    write(tmp_path / "a.gz", bytes(corrupt), gz=True)
    os.utime(a, ns=(10**18, 10**18))
    with pytest.raises(ValueError, match="MD5"):
        dutils.check_integrity(a, md5(content), check_idx)


# ---- MNIST over small files ---------------------------------------------------------------------
@pytest.fixture
def tiny(monkeypatch):
    """Small MNIST files (7 training and 3 test images) and ``resources`` holding their MD5s, the
    sizes of their gzips as `server` serves them and their own sizes."""
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (7, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte": rng.integers(0, 10, 7).astype(np.uint8),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, 3).astype(np.uint8)}
    contents = {name: idx_bytes(a) for name, a in arrays.items()}
    for cls in (MNIST, FashionMNIST):
        monkeypatch.setattr(cls, "resources", [(n, md5(c), len(gzip.compress(c, 9, mtime=0)), len(c))
                                               for n, c in contents.items()])
    return arrays, contents


def put(folder, contents, gz):
    for name, content in contents.items():
        write(folder / (name + ".gz" * gz), content, gz)


def check(ds, arrays, train=True):
    split = "train" if train else "t10k"
    images, labels = arrays[f"{split}-images-idx3-ubyte"], arrays[f"{split}-labels-idx1-ubyte"]
    assert len(ds) == len(images) and ds.train is train
    assert ds.data.dtype == al.uint8 and tuple(ds.data.shape) == images.shape
    assert ds.targets.dtype == al.int64
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    img, target = ds[1]                             # as torchvision: a PIL image of mode L, an int
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(img), images[1])
    assert type(target) is int and target == labels[1]
    np.testing.assert_array_equal(np.asarray(ds[-1][0]), images[-1])


@pytest.mark.parametrize("layout", ["MNIST/raw", ".", "mnist"])
@pytest.mark.parametrize("gz", [False, True])
def test_mnist_layouts(tmp_path, tiny, layout, gz):
    arrays, contents = tiny
    put(tmp_path / layout, contents, gz)
    for train in (True, False):
        check(MNIST(tmp_path, train=train), arrays, train)
    # a stamp remembers the checks in the dataset's own folder; other folders are not written to
    stamps = [p.parent.relative_to(tmp_path).as_posix() for p in tmp_path.rglob(".verified")]
    assert stamps == (["MNIST/raw"] if layout == "MNIST/raw" else [])


def test_fashion_mnist_folders(tmp_path, tiny):
    arrays, contents = tiny
    put(tmp_path / "fashion-mnist", contents, gz=True)
    ds = FashionMNIST(str(tmp_path))
    check(ds, arrays)
    assert ds.raw_folder == os.path.join(str(tmp_path), "FashionMNIST", "raw")
    assert ds.classes[0] == "T-shirt/top" and ds.class_to_idx["Ankle boot"] == 9
    with pytest.raises(RuntimeError, match="not found"):
        MNIST(tmp_path)                 # looks in MNIST/raw, root and mnist/, not fashion-mnist/


def test_mnist_attributes_and_repr(tmp_path, tiny):
    put(tmp_path / "MNIST" / "raw", tiny[1], gz=False)
    ds = MNIST(tmp_path, train=False)
    assert ds.classes == [f"{i} - {w}" for i, w in enumerate(
        "zero one two three four five six seven eight nine".split())]
    assert ds.class_to_idx["3 - three"] == 3 and ds.root == str(tmp_path)
    assert repr(ds) == ("Dataset MNIST\n    Number of datapoints: 3\n"
                        f"    Root location: {tmp_path}\n    Split: Test")

    class Two:
        def __repr__(self):
            return "Two(\n    a\n)"
    ds = MNIST(tmp_path, transform=Two(), target_transform=str)
    assert repr(ds).endswith("    Split: Train\n    StandardTransform\nTransform: Two(\n"
                             "               a\n           )\nTarget transform: <class 'str'>")


def test_mnist_missing_corrupt_and_wrong_count(tmp_path, tiny, monkeypatch):
    arrays, contents = tiny
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte not found.*t10k-labels-idx1-"
                                           r"ubyte.*download=True"):
        MNIST(tmp_path)
    put(tmp_path, contents, gz=True)
    corrupt = bytearray(contents["t10k-images-idx3-ubyte"])
    corrupt[100] ^= 1
    write(tmp_path / "t10k-images-idx3-ubyte.gz", bytes(corrupt), gz=True)
    MNIST(tmp_path, train=True)         # only the split's files are read
    with pytest.raises(RuntimeError, match=r"t10k-images-idx3-ubyte\.gz: the MD5 .* download=True"):
        MNIST(tmp_path, train=False)
    # 6 labels for 7 images (MD5s updated, so the count check is what fails)
    six = idx_bytes(arrays["train-labels-idx1-ubyte"][:6])
    write(tmp_path / "train-labels-idx1-ubyte.gz", six, gz=True)
    monkeypatch.setattr(MNIST, "resources", [(n, md5(six) if n == NAMES[1] else m, size, len(six) if
                                              n == NAMES[1] else content_size)
                                             for n, m, size, content_size in MNIST.resources])
    with pytest.raises(ValueError, match=r"wrong count: .*train-images-idx3-ubyte.gz holds 7 "
                                         r"images but .*train-labels-idx1-ubyte.gz holds 6 labels"):
        MNIST(tmp_path)


# ---- the batch path (DataLoader contract) -------------------------------------------------------
class FakeToTensor:
    """A stand-in transform with the apply_batch contract: (28, 28) uint8 -> (1, 28, 28) float."""

    def __call__(self, img):
        return al.from_numpy(img[None].astype(np.float32) / 255)

    def apply_batch(self, x):
        return al.from_numpy(x[:, None].astype(np.float32) / 255)


def assert_same_batch(got, want):
    assert isinstance(got, list) and len(got) == len(want) == 2
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and tuple(g.shape) == tuple(w.shape)
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-7)


def real_transforms():
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])


@pytest.mark.parametrize("make", [lambda: None, FakeToTensor, real_transforms],
                         ids=["none", "fake", "ToTensor+Normalize"])
def test_collated_batch_equals_default_collate(tmp_path, tiny, make):
    put(tmp_path, tiny[1], gz=False)
    ds = MNIST(tmp_path, transform=make())
    indices = np.array([5, 0, 6, 0, 2], dtype=np.int64)
    items = [ds[i] for i in indices]
    if ds.transform is None:                        # PIL images: collated as their uint8 arrays
        items = [(np.asarray(img), target) for img, target in items]
    want = default_collate(items)
    assert_same_batch(ds._collated_batch(indices), want)
    assert_same_batch(next(iter(DataLoader(ds, batch_size=5, sampler=indices))), want)


def test_collated_batch_declines(tmp_path, tiny):
    put(tmp_path, tiny[1], gz=False)
    assert MNIST(tmp_path, transform=lambda x: x)._collated_batch(np.arange(3)) is None
    assert MNIST(tmp_path, target_transform=int)._collated_batch(np.arange(3)) is None


# ---- downloads from a local HTTP server ---------------------------------------------------------
class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-"):
        self.server.requests.append(self.path)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def server(tmp_path, tiny, monkeypatch):
    """Serves good/ (the tiny files, gzipped), bad/ (a corrupt copy of each) and empty/ (404s);
    yields (base URL, list of requested paths)."""
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("AUTOGRAD_LITE_ALLOW_HTTP", "1")         # the local server is plain HTTP
    served = tmp_path / "served"
    put(served / "good", tiny[1], gz=True)
    put(served / "bad", {n: c[:-1] + bytes([c[-1] ^ 1]) for n, c in tiny[1].items()}, gz=True)
    (served / "empty").mkdir()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(served)))
    httpd.requests = []
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", httpd.requests
    httpd.shutdown()
    httpd.server_close()


def raw_files(root):
    folder = root / "MNIST" / "raw"
    return sorted(p.name for p in folder.iterdir() if p.name != ".verified") \
        if folder.exists() else []


def test_download(tmp_path, tiny, server, monkeypatch):
    url, requests = server
    root = tmp_path / "data"
    monkeypatch.setattr(MNIST, "mirrors", [url + "good/"])
    check(MNIST(root, download=True), tiny[0])
    assert raw_files(root) == sorted(NAMES)                     # all four, no temporary file
    assert sorted(requests) == sorted(f"/good/{n}.gz" for n in NAMES)
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:1/"])
    check(MNIST(root, train=False, download=True), tiny[0], train=False)   # nothing fetched


def test_download_falls_back_and_rejects_corrupt_files(tmp_path, tiny, server, monkeypatch,
                                                       capfd):
    url, requests = server
    root = tmp_path / "data"
    monkeypatch.setattr(MNIST, "mirrors", [url + "bad/"])
    with pytest.raises(RuntimeError, match="could not download"):
        MNIST(root, download=True)
    assert raw_files(root) == []                                 # nothing corrupt kept
    monkeypatch.setattr(MNIST, "mirrors", [url + "empty/", url + "bad/", url + "good/"])
    check(MNIST(root, download=True), tiny[0])
    assert raw_files(root) == sorted(NAMES)
    assert f"/empty/{NAMES[0]}.gz" in requests and f"/bad/{NAMES[0]}.gz" in requests
    err = capfd.readouterr().err
    assert "404" in err and "rejected" in err


def test_download_replaces_a_corrupt_file(tmp_path, tiny, server, monkeypatch):
    url, _ = server
    put(tmp_path / "MNIST" / "raw", tiny[1], gz=False)
    (tmp_path / "MNIST" / "raw" / NAMES[0]).write_bytes(b"\0\0\x08\x03garbage")
    monkeypatch.setattr(MNIST, "mirrors", [url + "good/"])
    check(MNIST(tmp_path, download=True), tiny[0])


def test_download_offline(tmp_path, tiny, server, monkeypatch):
    url, requests = server
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:1/", url + "empty/"])
    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path, download=True)
    message = str(info.value)
    for text in NAMES + [os.path.join(str(tmp_path), "MNIST", "raw"), "AUTOGRAD_LITE_DATA",
                         "--data-dir", f"127.0.0.1:1/{NAMES[0]}.gz: <urlopen error",
                         f"127.0.0.1:1/{NAMES[3]}.gz: skipped, http://127.0.0.1:1/ could not be "
                         "reached"]:
        assert text in message
    assert len(requests) == 4                   # a 404 does not mark a mirror unreachable
    assert raw_files(tmp_path) == []
    # the split's files are there, only the other split's are missing: a warning, not an error
    put(tmp_path, {n: c for n, c in tiny[1].items() if n.startswith("t10k")}, gz=True)
    with pytest.warns(UserWarning, match="could not download train-images"):
        check(MNIST(tmp_path, train=False, download=True), tiny[0], train=False)


# ---- ImageFolder --------------------------------------------------------------------------------
@pytest.fixture
def image_root(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    files = {"cat/b.png": 10, "cat/a.png": 20, "dog/c.png": 30, "dog/deep/d.PNG": 40}
    for name, value in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((5, 6), value, np.uint8), mode="L").save(tmp_path / name)
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    return tmp_path


def test_image_folder(image_root):
    ds = ImageFolder(image_root, transform=np.asarray, target_transform=lambda t: -t)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    expected = [("cat/a.png", 0), ("cat/b.png", 0), ("dog/c.png", 1), ("dog/deep/d.PNG", 1)]
    assert ds.samples == [(os.path.join(str(image_root), p), t) for p, t in expected]
    assert ds.imgs == ds.samples and ds.targets == [0, 0, 1, 1] and len(ds) == 4
    img, target = ds[3]
    assert img.shape == (5, 6, 3) and img.dtype == np.uint8 and (img == 40).all() and target == -1
    raw, _ = ImageFolder(image_root)[0]
    assert raw.mode == "RGB" and raw.size == (6, 5)
    only_b = ImageFolder(image_root, is_valid_file=lambda p: p.endswith("b.png"), allow_empty=True)
    assert [t for _, t in only_b.samples] == [0]
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes dog"):
        ImageFolder(image_root, is_valid_file=lambda p: p.endswith("b.png"))
    seen = ImageFolder(image_root, loader=lambda p: os.path.basename(p))
    assert seen[2] == ("c.png", 1)
    assert repr(seen).startswith("Dataset ImageFolder\n    Number of datapoints: 4")


def test_image_folder_errors(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(tmp_path, loader=open)
    (tmp_path / "a").mkdir()
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "autograd_lite\[vision\]"'):
        ImageFolder(tmp_path)


# ---- the real data (../shared/data) -------------------------------------------------------------
MNIST_COUNTS = {True: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
                False: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]}


@pytest.mark.parametrize("train", [True, False])
def test_real_mnist(data_dir, train):
    ds = MNIST(data_dir, train=train)
    assert len(ds) == (60000 if train else 10000) and tuple(ds.data.shape[1:]) == (28, 28)
    assert np.bincount(ds.targets.numpy()).tolist() == MNIST_COUNTS[train]
    if train:
        assert abs(ds.data.numpy().mean(dtype=np.float64) / 255 - 0.1307) < 5e-5


@pytest.mark.parametrize("train", [True, False])
def test_real_fashion_mnist(data_dir, train):
    ds = FashionMNIST(data_dir, train=train)
    n = 60000 if train else 10000
    assert len(ds) == n and np.bincount(ds.targets.numpy()).tolist() == [n // 10] * 10
    if train:
        assert abs(ds.data.numpy().mean(dtype=np.float64) / 255 - 0.2860) < 5e-5


def test_seed_section_4_2(data_dir, tmp_path, monkeypatch):
    """The seed's 4.2 code, its imports changed, with download=True over a folder that already
    holds the files (links to the real ones, in torchvision's layout): nothing is downloaded and
    nothing is written beside the real files."""
    raw = tmp_path / "MNIST_data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in NAMES:
        (raw / (name + ".gz")).symlink_to(data_dir / "mnist" / (name + ".gz"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:1/"])

    import autograd_lite as torch
    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    trainset = datasets.MNIST('MNIST_data/', download=True, train=True, transform=transform)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=64, shuffle=True)
    testset = datasets.MNIST('MNIST_data/', download=True, train=False, transform=transform)
    testloader = torch.utils.data.DataLoader(testset, batch_size=64, shuffle=True)
    dataiter = iter(trainloader)
    images, labels = dataiter.next()
    assert images[0].numpy().squeeze().shape == (28, 28)

    assert tuple(images.shape) == (64, 1, 28, 28) and images.dtype == torch.float32
    assert tuple(labels.shape) == (64,) and labels.dtype == torch.int64
    assert -1 <= images.min().item() and images.max().item() <= 1
    assert len(trainloader) == 938 and len(testloader) == 157
    assert (raw / ".verified").exists() and not (data_dir / "mnist" / ".verified").exists()
