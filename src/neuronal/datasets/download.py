"""Where data sets live on disk, and verified, atomic downloads into the cache.

Data directories are looked up in this order:

1. the ``data_dir`` argument of a loader,
2. the environment variable ``NEURONAL_DATA``,
3. the user cache, ``$XDG_CACHE_HOME/neuronal`` or ``~/.cache/neuronal``.

Each data directory holds one folder per data set (``mnist/``, ``fashion-mnist/``). Downloads go
into the user cache: the file is streamed to a hidden temporary file in the destination folder,
verified, and only then moved into place with :func:`os.replace`, so an interrupted or rejected
download never leaves a partial file behind.
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from http.client import HTTPException
from pathlib import Path
from typing import BinaryIO, Union

from ..errors import DataError

__all__ = [
    "DatasetNotFoundError",
    "ENV_VAR",
    "get_data_dir",
    "cache_dir",
    "data_dirs",
    "download_file",
    "DownloadError",
]

logger = logging.getLogger(__name__)

PathLike = Union[str, "os.PathLike[str]"]

#: Environment variable naming a data directory.
ENV_VAR = "NEURONAL_DATA"
#: Seconds a single network operation (connect, one read) may take before a mirror is given up.
TIMEOUT: float = 30.0
#: Seconds a whole file download may take before a mirror is given up.
MAX_SECONDS: float = 900.0
#: Largest file accepted from a mirror, in bytes (MNIST's largest file is under 10 MB).
MAX_BYTES: int = 200 * 1024 * 1024
_CHUNK = 1 << 16
_USER_AGENT = "neuronal-datasets/1 (+python urllib)"


class DatasetNotFoundError(DataError):
    """A data set is in none of the data directories and could not be downloaded."""


class DownloadError(DataError):
    """Every mirror failed for one file; ``reasons`` holds one ``"url: why"`` entry per mirror."""

    def __init__(self, message: str, reasons: Sequence[str]) -> None:
        super().__init__(message)
        self.reasons = list(reasons)


def cache_dir() -> Path:
    """Return the user cache folder of neuronal (it may not exist yet).

    Returns
    -------
    pathlib.Path
        ``$XDG_CACHE_HOME/neuronal`` when ``XDG_CACHE_HOME`` is set to an absolute path, else
        ``~/.cache/neuronal``.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "neuronal"


def get_data_dir(data_dir: PathLike | None = None) -> Path:
    """Return the data directory that takes precedence.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        An explicit directory; returned (with ``~`` expanded) when given.

    Returns
    -------
    pathlib.Path
        ``data_dir`` if given, else ``$NEURONAL_DATA`` if set and not empty, else the user cache
        (see :func:`cache_dir`). The folder is not created.
    """
    if data_dir is not None:
        if isinstance(data_dir, str) and not data_dir.strip():
            raise DataError(
                "data_dir is an empty string: expected a folder path or None; pass None to use "
                f"${ENV_VAR} or the user cache"
            )
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return cache_dir()


def data_dirs(data_dir: PathLike | None = None) -> list[Path]:
    """Return every data directory to search, in order, without duplicates.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        An explicit directory searched first.

    Returns
    -------
    list of pathlib.Path
        ``data_dir`` (if given), ``$NEURONAL_DATA`` (if set), then the user cache.
    """
    candidates: list[Path] = []
    if data_dir is not None:
        candidates.append(get_data_dir(data_dir))
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        candidates.append(Path(env).expanduser())
    candidates.append(cache_dir())
    unique: list[Path] = []
    for path in candidates:
        if path not in unique:
            unique.append(path)
    return unique


class _Deadline:
    """The time limit of one download, enforced on every read of every socket it opens.

    A socket timeout bounds each read, not their sum: a server that sends one byte just before
    each timeout would never be cut off. So every connection of the download registers its
    socket here, and a timer shuts them all down when the time is up; the read that was
    waiting then returns, and the download fails with :class:`TimeoutError`.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)

    def cancel(self) -> None:
        self._timer.cancel()

    def check(self) -> None:
        if self.expired:
            raise TimeoutError(f"download took longer than {self.seconds:g} s")


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    """A urllib opener whose HTTP and HTTPS connections register their sockets with ``deadline``."""

    def watched(base):
        class Connection(base):
            def connect(self):
                super().connect()
                deadline.watch(self.sock)

        return Connection

    http_conn = watched(http.client.HTTPConnection)
    https_conn = watched(http.client.HTTPSConnection)

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(http_conn, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(https_conn, req, context=self._context)

    return urllib.request.build_opener(HTTPHandler(), HTTPSHandler())


def _stream(url: str, fh: BinaryIO, timeout: float, max_bytes: int | None = None) -> int:
    """Copy ``url`` into ``fh``; raise on HTTP errors, short bodies, oversize or overtime.

    ``timeout`` bounds each network operation, ``MAX_SECONDS`` the whole transfer (checked
    after every read, and enforced by closing the connection when a read hangs), and
    ``max_bytes`` (default ``MAX_BYTES``) the body's size.
    """
    limit = MAX_BYTES if max_bytes is None else min(MAX_BYTES, max_bytes)
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    deadline = _Deadline(MAX_SECONDS)
    try:
        try:
            response = _opener(deadline).open(request, timeout=timeout)
        except (OSError, HTTPException):
            deadline.check()  # a connection cut by the deadline reads as a network error
            raise
        with response:
            length_header = response.headers.get("Content-Length")
            expected = int(length_header) if length_header and length_header.isdigit() else None
            if expected is not None and expected > limit:
                raise DataError(f"file too large ({expected} bytes > {limit})")
            received = 0
            while True:
                try:
                    # read1: return what has arrived, so the deadline is checked between reads
                    chunk = response.read1(_CHUNK)
                except (OSError, HTTPException):
                    deadline.check()
                    raise
                deadline.check()
                if not chunk:
                    break
                received += len(chunk)
                if received > limit:
                    raise DataError(f"file too large (more than {limit} bytes)")
                fh.write(chunk)
    finally:
        deadline.cancel()
    # http.client returns b"" instead of raising when the server closes early: check ourselves.
    if expected is not None and received != expected:
        raise DataError(f"connection closed after {received} of {expected} bytes")
    return received


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"unreachable ({exc.reason})"
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, DataError) else f"{type(exc).__name__}: {text}"


def download_file(
    urls: Sequence[str],
    dest: Path,
    verify: Callable[[Path], None],
    *,
    timeout: float | None = None,
    skip: set[str] | None = None,
    max_bytes: int | None = None,
) -> Path:
    """Download a file from the first mirror that delivers a verified copy.

    Parameters
    ----------
    urls : sequence of str
        Full URLs of the same file, tried in turn (each at most once).
    dest : pathlib.Path
        Final location; its folder is created if needed.
    verify : callable
        Called with the path of the complete temporary file; raises :class:`DataError` when the
        content is wrong (the mirror is then skipped).
    timeout : float, optional
        Socket timeout in seconds for each mirror; defaults to the module's ``TIMEOUT``.
    skip : set of str, optional
        Mirrors (URLs without their last path segment) known to be unreachable or too slow; they
        are skipped, and mirrors that fail that way here are added, so that callers fetching
        several files do not wait on a dead mirror repeatedly.
    max_bytes : int, optional
        Largest file accepted (default ``MAX_BYTES``); a larger body is cut off and refused.

    Returns
    -------
    pathlib.Path
        ``dest``, now holding the verified file.

    Raises
    ------
    DownloadError
        If every mirror failed; ``reasons`` says why each one did.
    DataError
        If the destination folder cannot be created or written.
    """
    timeout = TIMEOUT if timeout is None else timeout
    created = [p for p in (dest.parent, *dest.parent.parents) if not p.exists()]
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(created)
        raise DataError(
            f"cannot create the download folder {str(dest.parent)!r} ({exc.strerror or exc}): "
            f"expected a writable cache; set XDG_CACHE_HOME or {ENV_VAR} to a writable folder"
        ) from None
    try:
        return _download(urls, dest, verify, timeout, skip, max_bytes)
    except BaseException:
        _remove_empty(created)  # a failed download leaves no empty folders behind
        raise


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders this download created (deepest first), where they are still empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _download(urls, dest: Path, verify, timeout: float, skip, max_bytes) -> Path:
    reasons: list[str] = []
    for url in urls:
        mirror = url.rsplit("/", 1)[0]
        if skip is not None and mirror in skip:
            reasons.append(f"{url}: skipped (unreachable or too slow earlier)")
            continue
        try:
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{dest.name}.", suffix=".part", dir=dest.parent
            )
        except OSError as exc:
            raise DataError(
                f"cannot write into {str(dest.parent)!r} ({exc.strerror or exc}): expected a "
                f"writable cache; set XDG_CACHE_HOME or {ENV_VAR} to a writable folder"
            ) from None
        done = False
        try:
            logger.info("downloading %s", url)
            with os.fdopen(fd, "wb") as fh:
                _stream(url, fh, timeout, max_bytes)
            verify(Path(tmp_name))
            os.replace(tmp_name, dest)
            done = True
            return dest
        except urllib.error.HTTPError as exc:
            reasons.append(f"{url}: {_describe(exc)}")
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reasons.append(f"{url}: {_describe(exc)}")
            if skip is not None and not isinstance(exc, ConnectionResetError):
                skip.add(mirror)
        except (OSError, HTTPException, ValueError) as exc:
            # DataError is a ValueError: failed verifications and short bodies land here.
            reasons.append(f"{url}: {_describe(exc)}")
        finally:
            # Also runs on KeyboardInterrupt: never leave a partial file in the cache.
            if not done:
                try:
                    os.unlink(tmp_name)
                except OSError:
                    pass
    raise DownloadError(
        f"could not download {dest.name}: " + ("; ".join(reasons) or "no mirrors configured"),
        reasons,
    )
