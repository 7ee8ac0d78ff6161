"""File helpers for the datasets: uncompressed streams whose inflation the reader caps, MD5
checks (remembered per file), atomic writes, and downloads from HTTPS mirrors streamed to disk."""
import contextlib
import gzip
import hashlib
import http.client
import io
import json
import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib

__all__ = ["UncompressedReader", "check_integrity", "mark_verified", "atomic_write", "fetch",
           "DownloadError", "ALLOW_HTTP"]

_STAMP = ".verified"    # in a dataset's own folder: {file name: [size, mtime_ns, md5]} verified
_verified = set()       # (path, size, mtime_ns, md5) verified in this process
USER_AGENT = "autograd_lite"
ALLOW_HTTP = "AUTOGRAD_LITE_ALLOW_HTTP"     # the environment variable that, at 1, allows http://


class UncompressedReader:
    """The uncompressed bytes of the buffered binary stream `f` (a file or a download), gunzipped
    when they are gzip (told by the content, not the name). ``read(n)`` returns at most `n` bytes
    and inflates no more, so a reader that knows how much to expect caps the inflation (a gzip
    bomb costs nothing). Every byte read goes into ``md5`` and, when given, to the file `copy`.
    Bad gzip data, or more than `limit` bytes when given, raise ValueError naming `source`."""

    def __init__(self, f, source, copy=None, limit=None):
        self.source, self.copy, self.limit, self.count = source, copy, limit, 0
        self.md5 = hashlib.md5(usedforsecurity=False)
        self._f = gzip.GzipFile(fileobj=f, mode="rb") if f.peek(2)[:2] == b"\x1f\x8b" else f

    def read(self, n):
        try:
            data = self._f.read(n)
        except EOFError as e:
            raise ValueError(f"{self.source}: truncated gzip data ({e})") from None
        except (gzip.BadGzipFile, zlib.error) as e:
            raise ValueError(f"{self.source}: not valid gzip data ({e})") from None
        self.count += len(data)
        if self.limit is not None and self.count > self.limit:
            raise ValueError(f"{self.source}: its uncompressed content is larger than {self.limit} bytes, the "
                             "size of the published file; cut off")
        self.md5.update(data)
        if self.copy is not None:
            self.copy.write(data)
        return data


def _key(path, md5):
    st = os.stat(path)
    return os.path.abspath(path), st.st_size, st.st_mtime_ns, md5


def _read_stamp(folder):
    try:
        with open(os.path.join(folder, _STAMP)) as f:
            stamp = json.load(f)
        return stamp if isinstance(stamp, dict) else {}
    except (OSError, ValueError):
        return {}


def _is_verified(key):
    if key in _verified:
        return True
    path, size, mtime_ns, md5 = key
    if _read_stamp(os.path.dirname(path)).get(os.path.basename(path)) == [size, mtime_ns, md5]:
        _verified.add(key)
        return True
    return False


def mark_verified(path, md5):
    """Records that `path` (just written from checked content) has the MD5 `md5`."""
    _remember(_key(path, md5), stamp=True)


def _remember(key, stamp):
    """Remembers a verified file for this process and, with `stamp`, for later ones: a stamp file
    in its folder keyed by size and mtime (a changed file is checked again). Only a dataset's own
    folder gets a stamp; the folders users point at are never written to."""
    _verified.add(key)
    if not stamp:
        return
    path, size, mtime_ns, md5 = key
    folder = os.path.dirname(path)
    entries = _read_stamp(folder)
    entries[os.path.basename(path)] = [size, mtime_ns, md5]
    try:
        with atomic_write(os.path.join(folder, _STAMP)) as f:
            f.write(json.dumps(entries, indent=1).encode())
    except OSError:
        pass                    # a read-only data folder: verified once per process instead


def check_integrity(path, md5, drain, stamp=False):
    """Checks that the uncompressed content of `path` has the MD5 `md5` (a .gz file passes when its
    content does, whatever its gzip header): `drain(reader)` reads it to its end through an
    UncompressedReader, with the caps of its format (``idx.check_idx``), keeping nothing. Raises
    ValueError naming the file when the content is wrong. A success is remembered for the process
    (and, with `stamp`, in a stamp file beside it), so the file is not read again."""
    key = _key(path, md5)
    if _is_verified(key):
        return
    with open(path, "rb") as f:
        reader = UncompressedReader(f, path)
        drain(reader)
    found = reader.md5.hexdigest()
    if found != md5:
        raise ValueError(f"{path}: the MD5 of its uncompressed content is {found}, expected {md5}; "
                         "the file is corrupt or not the published one")
    _remember(key, stamp)


@contextlib.contextmanager
def atomic_write(path):
    """A file open for writing that appears at `path` only when the block succeeds: a temporary
    file beside it, renamed onto it (os.replace) at the end and removed on failure, so `path` is
    never seen half-written."""
    tmp = f"{path}.{uuid.uuid4().hex[:12]}.part"
    try:
        with open(tmp, "xb") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class _Capped(io.RawIOBase):
    """The response `f`, cut off with a ValueError naming `source` past `limit` bytes; `progress(n)`,
    when given, is told of every `n` bytes read."""

    def __init__(self, f, limit, source, progress=None):
        self._f, self._left, self.limit, self.source = f, limit, limit, source
        self._progress = progress

    def readable(self):
        return True

    def readinto(self, b):
        n = self._f.readinto(memoryview(b)[:self._left + 1])    # one byte more tells it is larger
        self._left -= n
        if self._left < 0:
            raise ValueError(f"{self.source}: larger than {self.limit} bytes, the size of the "
                             "published file; cut off")
        if self._progress is not None:
            self._progress(n)
        return n


def _progress_bar(response, size, filename):
    """A tqdm bar for a download on a terminal (tqdm installed), else None: then the
    "Downloading" line alone tells what is going on."""
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    try:
        total = int(response.headers.get("Content-Length") or size)
    except (AttributeError, ValueError):
        total = size
    return tqdm(total=min(total, size), unit="B", unit_scale=True, unit_divisor=1024,
                desc=filename, file=sys.stderr)


class DownloadError(RuntimeError):
    """Files of a data set that no mirror could provide. ``str(error)`` names every file and
    mirror with its full error; the attributes let a script word its own advice:

    - ``dataset``: the data set's name; ``files``: the names of the files that failed;
    - ``mirrors``: the mirrors, in order; ``reasons``: {mirror: a few words on its failure};
    - ``unreachable``: the mirrors that could not be reached at all;
    - ``folder``: where downloads go, the folder where the files can be put by hand;
    - ``offline``: no mirror could be reached (no network, or a proxy that refuses);
    - ``summary``: one line, each mirror's host and reason."""

    def __init__(self, message, dataset, files, mirrors, reasons, unreachable, folder):
        super().__init__(message)
        self.dataset, self.files, self.mirrors = dataset, list(files), list(mirrors)
        self.reasons, self.unreachable, self.folder = dict(reasons), set(unreachable), folder

    @property
    def offline(self):
        # plain-HTTP mirrors were not tried: they say nothing about the network
        return bool(self.unreachable) and all(m in self.unreachable or _refused(m)
                                              for m in self.mirrors)

    @property
    def summary(self):
        hosts = "; ".join(f"{urllib.parse.urlsplit(m).netloc}: {self.reasons[m]}"
                          for m in self.mirrors if m in self.reasons)
        return ("no mirror could be reached (no network?): " if self.offline else "") + hosts


def _reason(error, url):
    """A few words on why downloading `url` failed, for one-line summaries."""
    if isinstance(error, ValueError):               # the content was refused: its own message
        text = str(error)
        return text[len(url) + 2:] if text.startswith(url + ": ") else text
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    cause = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(cause, socket.gaierror):
        return "host not found"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, TimeoutError):
        return "timed out"
    if isinstance(cause, OSError) and cause.strerror:           # TLS errors too: "[SSL: ...] ..."
        return cause.strerror
    return str(cause)


def _refused(url):
    """Why `url` may not be downloaded from, or None: plain HTTP needs the user's opt-in."""
    if urllib.parse.urlsplit(url).scheme == "http" and os.environ.get(ALLOW_HTTP) != "1":
        return (f"plain HTTP is refused unless you opt in: set the environment variable "
                f"{ALLOW_HTTP}=1 (the MD5 check still applies)")
    return None


def fetch(mirrors, filename, md5, size, content_size, path, drain, unreachable=None, timeout=30,
          reasons=None):
    """Downloads ``mirror + filename`` from the first of `mirrors` that serves at most `size` bytes
    whose uncompressed content (`content_size` bytes) has the MD5 `md5`, into `path`, uncompressed
    and marked verified. Returns ``(path, errors)``: path None when every mirror failed, one line
    per failure.

    The download streams into a temporary file beside `path`: cut off past `size` bytes (the
    size of the published file), inflated only as far as `drain(reader)` reads it (the caps of its
    format, as in check_integrity) and never past `content_size` bytes (so a bomb whose header
    claims more costs no disk either), hashed on the way, and renamed onto `path` only when the MD5
    matches; with ``idx.check_idx`` as `drain`, memory use is constant. Mirrors (and redirects) over
    plain HTTP are skipped unless the environment variable AUTOGRAD_LITE_ALLOW_HTTP is 1. Mirrors
    that could not be reached at all are added to the set `unreachable` and skipped, so that offline
    a whole data set costs one timeout per mirror. The dict `reasons`, when given, receives a few
    words on each mirror's failure ({mirror: reason}).

    On stderr: "Downloading URL" for each try, then a tqdm bar when stderr is a terminal and tqdm is
    installed, and "Failed: URL: reason" when the try fails."""
    opener = urllib.request.build_opener()          # reads the proxy settings of the moment
    unreachable = set() if unreachable is None else unreachable
    reasons = {} if reasons is None else reasons
    errors = []
    for mirror in mirrors:
        url = mirror + filename
        if mirror in unreachable:
            errors.append(f"{url}: skipped, {mirror} could not be reached")
            continue
        refused = _refused(url)
        if refused:
            errors.append(f"{url}: skipped: {refused}")
            reasons[mirror] = f"plain HTTP, used only with {ALLOW_HTTP}=1"
            continue
        print(f"Downloading {url}", file=sys.stderr)
        bar = None
        try:
            with opener.open(urllib.request.Request(url, headers={"User-Agent": USER_AGENT}),
                             timeout=timeout) as response:
                refused = _refused(response.geturl())
                if refused:
                    raise ValueError(f"{url}: redirected to {response.geturl()}: {refused}")
                bar = _progress_bar(response, size, filename)
                with atomic_write(path) as out:
                    capped = _Capped(response, size, url, None if bar is None else bar.update)
                    reader = UncompressedReader(io.BufferedReader(capped), url, copy=out,
                                                limit=content_size)
                    drain(reader)
                    found = reader.md5.hexdigest()
                    if found != md5:
                        raise ValueError(f"{url}: the MD5 of its content is {found}, expected "
                                         f"{md5}; rejected")
        except (OSError, http.client.HTTPException, ValueError) as e:
            if not isinstance(e, (urllib.error.HTTPError, ValueError)):
                unreachable.add(mirror)
            errors.append(str(e) if isinstance(e, ValueError) else f"{url}: {e}")
            reasons[mirror] = _reason(e, url)
        else:
            mark_verified(path, md5)
            return path, errors
        finally:
            if bar is not None:
                bar.close()
        print(f"Failed: {url}: {reasons[mirror]}", file=sys.stderr)
    return None, errors
