"""File helpers for the datasets: uncompressed content, MD5 checks (remembered per file),
atomic writes and downloads that try a list of mirrors."""
import gzip
import hashlib
import http.client
import json
import os
import sys
import urllib.error
import urllib.request
import uuid
import zlib

__all__ = ["read_uncompressed", "calculate_md5", "check_integrity", "mark_verified", "write_atomic",
           "fetch"]

_STAMP = ".verified"    # in a dataset's own folder: {file name: [size, mtime_ns, md5]} verified
_verified = set()       # (path, size, mtime_ns, md5) verified in this process
USER_AGENT = "autograd_lite"


def read_uncompressed(path):
    """The bytes of `path`, gunzipped when they are gzip (told by the content, not the name)."""
    with open(path, "rb") as f:
        return gunzip(f.read(), path)


def gunzip(raw, source):
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError as e:
        raise ValueError(f"{source}: truncated gzip data ({e})") from None
    except (OSError, zlib.error) as e:
        raise ValueError(f"{source}: not valid gzip data ({e})") from None


def calculate_md5(content):
    return hashlib.md5(content, usedforsecurity=False).hexdigest()


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
        write_atomic(os.path.join(folder, _STAMP), json.dumps(entries, indent=1).encode())
    except OSError:
        pass                    # a read-only data folder: verified once per process instead


def check_integrity(path, md5, keep=False, stamp=False):
    """Checks that the uncompressed content of `path` has the MD5 `md5` (a .gz file passes when its
    content does, whatever its gzip header). Returns the content when `keep`, else None; raises
    ValueError naming the file when the content does not match. A success is remembered for the
    process (and, with `stamp`, in a stamp file beside it), so the file is not hashed again."""
    key = _key(path, md5)
    if _is_verified(key):
        return read_uncompressed(path) if keep else None
    content = read_uncompressed(path)
    found = calculate_md5(content)
    if found != md5:
        raise ValueError(f"{path}: the MD5 of its uncompressed content is {found}, expected {md5}; "
                         "the file is corrupt or not the published one")
    _remember(key, stamp)
    return content if keep else None


def write_atomic(path, content):
    """Writes `content` to `path` through a temporary file in the same folder and os.replace, so
    `path` is never seen half-written; the temporary file is removed on failure."""
    tmp = f"{path}.{uuid.uuid4().hex[:12]}.part"
    try:
        with open(tmp, "xb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def fetch(mirrors, filename, md5, unreachable=None, timeout=30):
    """Downloads ``mirror + filename`` from the first of `mirrors` whose content (gunzipped) has
    the MD5 `md5`; returns ``(content, errors)``: the uncompressed bytes (None when every mirror
    failed) and one line per failure. Mirrors that could not be reached at all are added to the
    set `unreachable` and skipped, so that offline a whole data set costs one timeout per mirror.
    Nothing is written to disk here."""
    opener = urllib.request.build_opener()          # reads the proxy settings of the moment
    unreachable = set() if unreachable is None else unreachable
    errors = []
    for mirror in mirrors:
        url = mirror + filename
        if mirror in unreachable:
            errors.append(f"{url}: skipped, {mirror} could not be reached")
            continue
        print(f"Downloading {url}", file=sys.stderr)
        try:
            with opener.open(urllib.request.Request(url, headers={"User-Agent": USER_AGENT}),
                             timeout=timeout) as response:
                content = gunzip(response.read(), url)
        except (OSError, http.client.HTTPException, ValueError) as e:
            if not isinstance(e, (urllib.error.HTTPError, ValueError)):
                unreachable.add(mirror)
            errors.append(f"{url}: {e}")
        else:
            found = calculate_md5(content)
            if found == md5:
                return content, errors
            errors.append(f"{url}: the MD5 of its content is {found}, expected {md5}; rejected")
        print(f"Failed: {errors[-1]}", file=sys.stderr)
    return None, errors
