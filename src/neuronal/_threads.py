"""How many cores numerical work may use, and BLAS on one thread where two processes share them.

NumPy runs its elementwise and copy operations on one core; only the BLAS matrix products
use more, and only when they are big. A convolutional or recurrent network spends most of a
training step in work of the first kind, so ``Network.fit`` can hand half of each mini-batch
to a worker process (see ``_split.py``). That is done only when the process was given more
than one thread for numerical work: :func:`spare_core` follows the BLAS library's own thread
count (``OPENBLAS_NUM_THREADS`` or ``OMP_NUM_THREADS``), so a run limited to one thread stays
on one core. ``NEURONAL_THREADS`` overrides it: ``NEURONAL_THREADS=1`` switches the split off,
``2`` on.

While both processes compute, :func:`single_threaded_blas` asks OpenBLAS to run each product
on one thread (its thread count is process-wide, so it is restored afterwards): otherwise each
side's products would also try to use both cores. Every product then runs on one BLAS thread
whatever the timing, so results stay reproducible from run to run.

A small network trains faster on one BLAS thread too (:func:`small_step`). Two threads
compute each product faster on their own, but each thread then holds half of the product's
output and of the weights in its core's cache, and the single-threaded work that follows
(activations, loss, the optimiser's update of every weight) has to fetch that half from the
other core first. Whole epochs on MNIST with 2 threads against 1 (5 alternating runs each,
fastest epochs): 784x16x10 SGD batch 32 0.245 s vs 0.192 s, batch 128 0.162 s vs 0.160 s;
784x128x10 Adam batch 32 1.24 s vs 0.91 s, batch 64 0.71 s vs 0.61 s, batch 128 0.48 s vs
0.50 s; 784x256x10 Adam batch 32 1.96 s vs 1.89 s, batch 64 1.15 s vs 1.14 s; 784x512x10 Adam
batch 32 3.65 s vs 4.16 s. One thread won up to 6.4 million multiply-adds of forward products
per step (batch x weights, for an MLP) and two won from 12.8 million.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from contextlib import contextmanager

__all__ = ["spare_core", "single_threaded_blas", "blas_threads", "small_step"]

#: Training steps whose forward matrix products add up to fewer multiply-adds than this run
#: them on one BLAS thread (see the module docstring for the measurements behind it).
SMALL_STEP_MACS = 8_000_000

_lock = threading.Lock()
_capped = 0  # how many single_threaded_blas blocks are open (in any thread)
_saved_threads = 0  # the BLAS thread count to restore when the last one closes
_blas: tuple | None = None  # (get_num_threads, set_num_threads) of OpenBLAS, or ()


def _library_paths() -> list[str]:
    """Candidate OpenBLAS shared libraries: NumPy's bundled one, then any already loaded."""
    import numpy

    base = os.path.dirname(numpy.__file__)
    paths = []
    for pattern in ("../numpy.libs/*openblas*", ".dylibs/*openblas*"):
        paths += sorted(glob.glob(os.path.join(base, pattern)))
    try:  # Linux: a system NumPy linked against the distribution's OpenBLAS
        with open("/proc/self/maps") as fh:
            paths += sorted({line.split()[-1] for line in fh if "openblas" in line.lower()
                             and line.split()[-1].startswith("/")})
    except OSError:
        pass
    return paths


def _openblas() -> tuple:
    """(get_num_threads, set_num_threads) from NumPy's OpenBLAS, or () if there is none."""
    global _blas
    if _blas is not None:
        return _blas
    found: tuple = ()
    for path in _library_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", "", "_64_"):
                get = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype, get.argtypes = ctypes.c_int, []
                    put.restype, put.argtypes = None, [ctypes.c_int]
                    found = (get, put)
                    break
            if found:
                break
        if found:
            break
    _blas = found
    return found


def blas_threads() -> int:
    """How many threads numerical work may use: ``NEURONAL_THREADS``, else the BLAS setting."""
    value = os.environ.get("NEURONAL_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    blas = _openblas()
    if blas:
        return max(1, int(blas[0]()))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def spare_core() -> bool:
    """Whether a second process (or thread) has a core of its own to run on."""
    return blas_threads() >= 2 and (os.cpu_count() or 1) >= 2


def small_step(macs: int | None) -> bool:
    """Whether a training step with ``macs`` forward multiply-adds runs best on one BLAS thread.

    False when ``macs`` is None (unknown), or when only one thread was allowed anyway.
    """
    return macs is not None and macs < SMALL_STEP_MACS and blas_threads() >= 2


@contextmanager
def single_threaded_blas():
    """Run BLAS products on one thread each inside the block (OpenBLAS only; else a no-op).

    Blocks may overlap (two networks training in two threads): the first to open saves the
    thread count, the last to close restores it.
    """
    global _capped, _saved_threads
    blas = _openblas()
    if not blas:
        yield
        return
    get, put = blas
    with _lock:
        if _capped == 0:
            _saved_threads = get()
            put(1)
        _capped += 1
    try:
        yield
    finally:
        with _lock:
            _capped -= 1
            if _capped == 0:
                put(_saved_threads)
