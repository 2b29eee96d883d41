"""Replacing a file atomically: the target is always either the old file or the new one.

The data go to a temporary file in the target's folder, which is flushed and fsync'ed and then
renamed over the target with :func:`os.replace`. On top of that:

* saving over an existing file keeps its permission bits (a ``0600`` model stays ``0600``);
* saving through a symbolic link writes the file it points to, and the link stays a link;
* a save that cannot happen (read-only folder, a path below a regular file, a full disk) raises
  :class:`~neuronal.NeuronalError` naming the path the user gave, never the temporary file.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from pathlib import Path

from ..errors import NeuronalError

__all__ = ["atomic_write"]


def atomic_write(path, data: bytes, *, what: str | None = None) -> None:
    """Write ``data`` to ``path`` so that ``path`` is always either the old or the new file.

    Parent folders are created if missing. ``what`` names the thing saved in error messages
    (``what="the ONNX model"`` gives "cannot save the ONNX model to 'out.onnx': ...").

    Raises
    ------
    NeuronalError
        ``path`` is a folder, a symbolic-link loop, or cannot be written (the message names
        ``path`` and the reason: permission, read-only file system, a parent that is a file,
        no space left, ...).
    """
    try:
        shown = os.fspath(path)
    except TypeError:
        raise NeuronalError(
            f"expected a file path (str or pathlib.Path) to save {what or 'the file'} to, got "
            f"{type(path).__name__}"
        ) from None
    if isinstance(shown, bytes):
        shown = os.fsdecode(shown)
    save = f"cannot save {what} to" if what else "cannot save to"
    if "\0" in shown or not shown:
        raise NeuronalError(f"{save} {shown!r}: expected a file name "
                            f"{'without NUL characters' if shown else '(got an empty path)'}")
    target = _resolve_links(shown, save)
    if target.is_dir():
        raise NeuronalError(f"{save} {shown!r}: it is a directory; give a file name")
    directory = target.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _save_error(save, shown, exc, directory) from None
    mode = _existing_mode(target)
    tmp = directory / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        # O_EXCL: never follow or reuse an existing file; mode 0o666 & ~umask like open().
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as exc:
        raise _save_error(save, shown, exc, directory) from None
    try:
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _save_error(save, shown, exc, directory) from None
        raise
    _fsync_directory(directory)
    _remove_stale_temporaries(target)


def _resolve_links(shown: str, save: str) -> Path:
    """The file a save of ``shown`` must replace: the final target when it is a symlink."""
    path = Path(shown)
    if not path.is_symlink():
        return path
    target = Path(os.path.realpath(shown))
    if target.is_symlink():  # realpath gives up on a loop and returns a link
        raise NeuronalError(
            f"{save} {shown!r}: it is a symbolic link that leads to itself (a loop); "
            f"remove the link or point it at a file"
        )
    return target


def _existing_mode(target: Path) -> int | None:
    """Permission bits of the file being replaced, or None when there is none."""
    try:
        st = os.stat(target)
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else None


_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device",
    getattr(errno, "EDQUOT", -1): "the disk quota is exceeded",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a part of the path is a file, not a folder",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ELOOP: "too many symbolic links",
}


def _save_error(save: str, shown: str, exc: OSError, directory: Path) -> NeuronalError:
    """A clear error for a failed save of ``shown`` (never mentioning the temporary file)."""
    reason = _REASONS.get(exc.errno or 0) or exc.strerror or type(exc).__name__
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        blocker = next((p for p in [directory, *directory.parents] if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            reason = f"{str(blocker)!r} is a file, not a folder"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason += f" in the folder {str(directory)!r}"
    elif exc.errno is None and str(exc):
        reason = str(exc)
    return NeuronalError(
        f"{save} {shown!r}: {reason}; choose a writable folder with free space "
        f"(or fix the path)"
    )


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files that killed saves of ``path`` left behind (POSIX only).

    Only files named like ours (``.NAME.PID.XXXXXXXX.tmp``) whose writing process no longer
    exists are removed, so a save in progress in another live process is never disturbed.
    """
    if os.name != "posix":  # os.kill(pid, 0) only probes on POSIX
        return
    pattern = re.compile(re.escape(f".{path.name}.") + r"(\d+)\.[0-9a-f]{8}\.tmp")
    try:
        candidates = [(e.path, m) for e in os.scandir(path.parent)
                      if (m := pattern.fullmatch(e.name)) is not None]
    except OSError:
        return
    for name, m in candidates:
        pid = int(m.group(1))
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:  # its writer is gone: the file can never be completed
            try:
                os.unlink(name)
            except OSError:
                pass
        except (PermissionError, OverflowError, OSError):
            pass  # alive (another user's process) or unknowable: leave it


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
