"""Freed memory kept for the next training step instead of handed back to the system.

Every training step allocates the same large temporaries again (im2col columns, the LSTM's
per-step activations, their gradients), from a few hundred KiB to a few MiB each. With glibc's
malloc, memory blocks that large come straight from the kernel (``mmap``) and go straight back
to it when freed, and the top of the heap is handed back (trimmed) whenever enough of it is
free. The next step then touches fresh pages, and every fresh 4 KiB page costs a page fault: a
noticeable share of a convolutional step's time (figures in ``benchmarks/RESULTS_cnn_lstm.md``).

glibc adapts on its own: each time a program frees an mmap'ed block, glibc raises its
threshold for using mmap to that block's size (at most 32 MiB on 64-bit systems) and its trim
threshold to twice that. A long-running process that once freed a 32 MiB array has therefore
already reached exactly the state that :func:`keep_freed_memory` sets: blocks up to 32 MiB
come from the heap, and up to 64 MiB of free heap is kept for reuse. The engine's runner calls
it, so training does not depend on what the process happened to free before. Nothing is
leaked: freed memory is reused by the next allocation, and arrays larger than 32 MiB (a
dataset) are still returned to the system when freed.

Only glibc (Linux) has these settings; elsewhere this does nothing. ``NEURONAL_MALLOC=0``
leaves the allocator alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["keep_freed_memory", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

# glibc's mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: glibc's DEFAULT_MMAP_THRESHOLD_MAX: the highest value its own adaptation reaches.
MMAP_THRESHOLD = 32 * 2**20 if ctypes.sizeof(ctypes.c_long) == 8 else 512 * 2**10
#: glibc raises the trim threshold to twice the mmap threshold when it adapts.
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD

_state: bool | None = None  # None: not tried yet; then whether the settings are in place


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds to the values its adaptation converges to.

    Idempotent and cheap after the first call. Returns True if the settings are in place,
    False where there is no glibc, or ``NEURONAL_MALLOC=0`` is set.
    """
    global _state
    if _state is not None:
        return _state
    _state = False
    if os.environ.get("NEURONAL_MALLOC", "").strip() == "0" or not sys.platform.startswith(
            "linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 -- glibc only (musl's mallopt does nothing)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mallopt returns 1 on success; the mmap threshold first (glibc caps it at the maximum)
    _state = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _state
