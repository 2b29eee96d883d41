"""How much memory this process may still use, and a clear error before an allocation that
cannot fit (instead of a ``MemoryError`` from NumPy, or the operating system killing us)."""

from __future__ import annotations

import os

from .errors import NeuronalError

__all__ = ["available_bytes", "check_fits", "format_bytes"]


def _read_int(path: str) -> int | None:
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_bytes() -> int | None:
    """Bytes of memory available to this process now; None when the system does not say.

    Linux: ``MemAvailable`` from ``/proc/meminfo``, lowered by a cgroup (container) limit when
    one is set. Elsewhere: the free physical pages, when ``os.sysconf`` knows them.
    """
    available = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None
    limit = _read_int("/sys/fs/cgroup/memory.max")  # cgroup v2 ("max" when unlimited)
    used = _read_int("/sys/fs/cgroup/memory.current")
    if limit is not None and used is not None:
        available = min(available, max(0, limit - used))
    return available


def format_bytes(n: float) -> str:
    """``1.2 GB`` style; beyond petabytes, ``3e+22 bytes``."""
    if n >= 1e18:
        return f"{n:.3g} bytes"
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"  # pragma: no cover


def check_fits(nbytes: int, what: str, fix: str, factor: float = 1.0, along: str = "") -> None:
    """Raise :class:`NeuronalError` when ``factor * nbytes`` exceeds the available memory.

    Parameters
    ----------
    nbytes : int
        The size of the allocation about to happen.
    what : str
        What it is for, e.g. ``"weights of shape (60000, 60000), float32"``.
    fix : str
        What the user can do instead.
    factor : float
        How many allocations of that size will follow together (2 for a parameter and its
        gradient).
    along : str
        What the other ``factor - 1`` allocations are, for the message ("their gradients").
    """
    needed = nbytes * factor
    if needed < 256 * 2**20:  # small: never worth the system call
        return
    available = available_bytes()
    if available is not None and needed > available:
        extra = "" if factor == 1 else f" ({format_bytes(needed)} with {along or 'the rest'})"
        raise NeuronalError(
            f"{what} need {format_bytes(nbytes)}{extra}, but only {format_bytes(available)} of "
            f"memory is available: {fix}"
        )
