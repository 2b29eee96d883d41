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

import logging
import os
import tempfile
import time
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


def _stream(url: str, fh: BinaryIO, timeout: float) -> int:
    """Copy ``url`` into ``fh``; raise on HTTP errors, short bodies, oversize or overtime."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    deadline = time.monotonic() + MAX_SECONDS
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length_header = response.headers.get("Content-Length")
        expected = int(length_header) if length_header and length_header.isdigit() else None
        if expected is not None and expected > MAX_BYTES:
            raise DataError(f"file too large ({expected} bytes > {MAX_BYTES})")
        received = 0
        while True:
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            received += len(chunk)
            if received > MAX_BYTES:
                raise DataError(f"file too large (more than {MAX_BYTES} bytes)")
            if time.monotonic() > deadline:
                raise TimeoutError(f"download took longer than {MAX_SECONDS:g} s")
            fh.write(chunk)
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
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"cannot create the download folder {str(dest.parent)!r} ({exc.strerror or exc}): "
            f"expected a writable cache; set XDG_CACHE_HOME or {ENV_VAR} to a writable folder"
        ) from None
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
                _stream(url, fh, timeout)
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
