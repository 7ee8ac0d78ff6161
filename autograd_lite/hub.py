"""``autograd_lite.hub``: torch.hub's download part, for pretrained weights.

Files go to ``<hub dir>/checkpoints/``; the hub directory is ``set_dir``'s, else
``$AUTOGRAD_LITE_HOME/hub``, else ``$XDG_CACHE_HOME/autograd_lite/hub``, else
``~/.cache/autograd_lite/hub``. ``$TORCH_HOME`` is not read (PyTorch's cache stays PyTorch's); to
share its downloads, set ``AUTOGRAD_LITE_HOME`` to the same folder: the layout is the same.

Downloads stream into ``<file>.partial`` (never the whole file in memory), resume it with an HTTP
Range request when the server still has the same file (its ETag or Last-Modified, remembered in
``<file>.partial.json``), restart when it ignores the range, are cut off past the announced size or
``MAX_DOWNLOAD_SIZE``, are checked against the SHA-256 prefix, and only then renamed into place.

Example::

    >>> from autograd_lite import hub
    >>> state_dict = hub.load_state_dict_from_url(
    ...     'https://download.pytorch.org/models/resnet18-f37072fd.pth', check_hash=True)
"""
import contextlib
import hashlib
import http.client
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

from .serialization import load

__all__ = ["get_dir", "set_dir", "download_url_to_file", "load_state_dict_from_url",
           "MAX_DOWNLOAD_SIZE"]

ENV_HOME = "AUTOGRAD_LITE_HOME"
MAX_DOWNLOAD_SIZE = 8 << 30        # bytes: larger downloads are refused (the largest weights: ~2.5 GB)
HASH_REGEX = re.compile(r"-([a-f0-9]{8,})\.")     # torchvision's names: densenet121-a639ec97.pth
USER_AGENT = "autograd_lite.hub"
_CHUNK = 1 << 20
_hub_dir = None


def get_dir():
    """The hub directory (see the module's docstring for how it is chosen).

    Example::

        >>> hub.get_dir()
        '/home/me/.cache/autograd_lite/hub'
    """
    if _hub_dir is not None:
        return _hub_dir
    home = os.environ.get(ENV_HOME)
    if home:
        return os.path.join(os.path.expanduser(home), "hub")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return os.path.join(os.path.expanduser(cache), "autograd_lite", "hub")


def set_dir(d):
    """Sets the hub directory for this process.

    Example::

        >>> hub.set_dir('/data/weights')
    """
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


class _Progress:
    """tqdm's bar on a terminal when tqdm is installed, else a plain line each 10% (or 64 MiB)."""

    def __init__(self, total, done, enabled, name):
        self.total, self.done, self.bar, self.enabled = total, done, None, enabled
        self.name, self._next = name, 0
        if not enabled:
            return
        if sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, initial=done, unit="B", unit_scale=True,
                                unit_divisor=1024, desc=name, file=sys.stderr)
        self._step = max(total // 10, 1) if total else 64 << 20
        self._next = done + self._step

    def update(self, n):
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled and self.done >= self._next:
            share = f"{100 * self.done // self.total}% of {_mb(self.total)}" if self.total else ""
            print(f"{self.name}: {_mb(self.done)} {share}".rstrip(), file=sys.stderr)
            self._next = self.done + self._step

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _mb(n):
    return f"{n / (1 << 20):.1f} MB"


class _Interrupted(Exception):
    """The transfer stopped early: the .partial file is kept for the next call to resume."""


def _failure(url, dst, error):
    """The one-line error for a download that failed."""
    if isinstance(error, urllib.error.HTTPError):
        reason = f"HTTP {error.code} {error.reason}"
    elif isinstance(error, urllib.error.URLError):
        reason = str(error.reason)
    else:
        reason = str(error)
    return RuntimeError(f"autograd_lite.hub: could not download {url} ({reason}); to use the file "
                        f"without a network, download it by other means and put it at {dst}")


@contextlib.contextmanager
def _locked(path):
    """The .partial file open for appending, locked against another process downloading it."""
    with open(path, "ab+") as f:
        try:
            import fcntl
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        except ImportError:                       # pragma: no cover  (Windows: no lock)
            pass
        try:
            same = os.path.samestat(os.fstat(f.fileno()), os.stat(path))
        except OSError:
            same = False
        yield f if same else None       # None: another process finished (and renamed) it meanwhile


def _read_meta(path):
    try:
        with open(path) as f:
            meta = json.load(f)
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Downloads the object at `url` to the local path `dst`.

    Args:
        url: the URL to download.
        dst: where to put it (its folder must exist).
        hash_prefix: when given, the SHA-256 of the file must start with it; otherwise the
            download is removed and RuntimeError raised.
        progress: show a progress bar on stderr (tqdm's on a terminal when installed, else a
            plain line every 10%).

    A transfer that stops early keeps ``dst + '.partial'`` and raises RuntimeError; the next call
    resumes it. A server that can't reach gives one line naming the URL and the path `dst` at
    which to put the file by hand.

    Example::

        >>> hub.download_url_to_file('https://download.pytorch.org/models/resnet18-f37072fd.pth',
        ...                          '/tmp/resnet18.pth')
    """
    dst = os.path.expanduser(os.fspath(dst))
    partial, meta_path = dst + ".partial", dst + ".partial.json"
    with _locked(partial) as f:
        if f is None:
            return
        try:
            _download(url, f, meta_path, hash_prefix, progress, os.path.basename(dst))
        except _Interrupted as e:
            raise RuntimeError(f"autograd_lite.hub: the download of {url} stopped early ({e}); "
                               f"call again to resume it (the partial file is {partial})") from None
        except (OSError, http.client.HTTPException) as e:
            if not isinstance(e, (urllib.error.URLError, http.client.HTTPException)) and \
                    getattr(e, "filename", None):
                raise                               # a local file error: as it is
            raise _failure(url, dst, e) from None
        except BaseException:
            _discard(f, meta_path)
            raise
        f.flush()
        os.fsync(f.fileno())
        os.replace(partial, dst)
    with contextlib.suppress(OSError):
        os.unlink(meta_path)


def _discard(f, meta_path):
    """Forgets the partial download: it is never trusted again."""
    f.truncate(0)
    with contextlib.suppress(OSError):
        os.unlink(meta_path)
    with contextlib.suppress(OSError):
        os.unlink(f.name)


def _download(url, f, meta_path, hash_prefix, progress, name):
    meta = _read_meta(meta_path)
    start = f.seek(0, os.SEEK_END)
    validator = meta.get("etag") or meta.get("last_modified")
    if start and (meta.get("url") != url or not validator):
        f.truncate(0)                               # nothing tells it is the same file: restart
        start = 0
    headers = {"User-Agent": USER_AGENT}
    if start:
        headers.update({"Range": f"bytes={start}-", "If-Range": validator})
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30)
    except urllib.error.HTTPError as e:
        if e.code != 416 or not start:
            raise
        f.truncate(0)                               # the range is not there: the file changed
        return _download(url, f, meta_path, hash_prefix, progress, name)
    with response:
        total = _expected_total(response, start)
        if response.status != 206:
            start = 0                               # the server sent the whole file: restart
            f.truncate(0)
        if total is not None and total > MAX_DOWNLOAD_SIZE:
            raise ValueError(f"autograd_lite.hub: {url} is {total} bytes, more than "
                             f"hub.MAX_DOWNLOAD_SIZE ({MAX_DOWNLOAD_SIZE}); refused")
        with open(meta_path, "w") as m:
            json.dump({"url": url, "etag": response.headers.get("ETag"),
                       "last_modified": response.headers.get("Last-Modified"), "total": total}, m)
        sha256 = hashlib.sha256()
        f.seek(0)
        for block in iter(lambda: f.read(_CHUNK), b""):         # the kept part counts too
            sha256.update(block)
        f.seek(start)
        limit = min(total, MAX_DOWNLOAD_SIZE) if total is not None else MAX_DOWNLOAD_SIZE
        bar = _Progress(total, start, progress, name)
        done = start
        try:
            while True:
                try:
                    block = response.read(min(_CHUNK, limit - done + 1))
                except (OSError, http.client.HTTPException) as e:
                    raise _Interrupted(f"{done} of {total or '?'} bytes received: {e}") from None
                if not block:
                    break
                done += len(block)
                if done > limit:
                    raise ValueError(f"autograd_lite.hub: {url} sent more than "
                                     f"{limit} bytes (the announced size or "
                                     f"hub.MAX_DOWNLOAD_SIZE); cut off")
                f.write(block)
                sha256.update(block)
                bar.update(len(block))
        finally:
            bar.close()
    if total is not None and done < total:
        raise _Interrupted(f"{done} of {total} bytes received")
    if hash_prefix is not None:
        digest = sha256.hexdigest()
        if digest[:len(hash_prefix)] != hash_prefix:
            raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')


def _expected_total(response, start):
    """The full file's size: Content-Range's total on a 206, else Content-Length (None: unknown)."""
    if response.status == 206:
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)",
                             response.headers.get("Content-Range", "").strip())
        if not match or int(match.group(1)) != start:
            raise ValueError(f"autograd_lite.hub: {response.geturl()} answered the range request "
                             f"with Content-Range {response.headers.get('Content-Range')!r}")
        return None if match.group(3) == "*" else int(match.group(3))
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=None):
    """Loads the checkpoint at `url` (a ``torch.save`` or ``autograd_lite.save`` file), downloading
    it first into `model_dir` (``<hub dir>/checkpoints``) unless it is already there.

    Args:
        url: the URL of the checkpoint.
        model_dir: the folder to keep it in.
        map_location: as in ``autograd_lite.load``.
        progress: show a progress bar on stderr.
        check_hash: the file name's ``-<hex>.`` part (torchvision's ``densenet121-a639ec97.pth``)
            must be the start of the downloaded file's SHA-256.
        file_name: the name to keep it under (default: the URL's).
        weights_only: as in ``autograd_lite.load``; None (the default) loads weights only, so
            that a file from the network never runs code (PyTorch's default here is False).

    Example::

        >>> sd = hub.load_state_dict_from_url(
        ...     'https://download.pytorch.org/models/densenet121-a639ec97.pth', check_hash=True)
    """
    model_dir = os.path.join(get_dir(), "checkpoints") if model_dir is None else \
        os.path.expanduser(os.fspath(model_dir))
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(filename)
            if match is None:
                raise ValueError(f"check_hash=True needs a file name holding the start of the "
                                 f"file's SHA-256 (such as 'resnet18-f37072fd.pth'), got "
                                 f"{filename!r}")
            hash_prefix = match.group(1)
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    return load(cached_file, map_location=map_location, weights_only=weights_only)
