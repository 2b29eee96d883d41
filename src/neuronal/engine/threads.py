"""How many threads NumPy's BLAS uses while training: one, for small networks.

NumPy runs its elementwise and copy operations on one core; only the BLAS matrix products
use more threads, and only when they are big. For the products of a small network one thread
is faster than two: two threads compute each product sooner, but each then holds half of
the result and of the weights in its own core's cache, and the single-threaded work that
follows (activations, loss, the optimiser's pass over every weight) has to fetch that half
from the other core first (measured figures: ``benchmarks/RESULTS.md``). So the engine's
runner asks the BLAS library that NumPy uses for one thread while it trains a network whose
step is small (:func:`small_step`), and puts the setting back when ``fit`` ends.

The thread count is a setting of the BLAS library, which may apply it to the whole process
(OpenBLAS's own builds differ: NumPy's recent OpenBLAS applies a count set by one thread of
Python to that thread only, once the main thread has set one): while a ``fit`` runs, products
computed by other threads can then run on one thread too, and their results can differ in the
last bits from two-thread products. Each ``fit`` sets the count in the thread that runs it and
puts back, in that thread, what it found. The library is found and set through threadpoolctl
(OpenBLAS, MKL, BLIS and OpenMP alike).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

__all__ = ["blas_threads", "small_step", "one_blas_thread", "SMALL_STEP_MACS"]

#: Training steps whose forward matrix products add up to fewer multiply-adds than this run
#: them on one BLAS thread.
SMALL_STEP_MACS = 8_000_000

_blas = None


def _numpy_blas():
    """threadpoolctl's controller of the BLAS library NumPy is linked with (others left alone)."""
    global _blas
    if _blas is None:
        import numpy
        from threadpoolctl import ThreadpoolController

        blas = ThreadpoolController().select(user_api="blas")
        here = os.path.dirname(os.path.dirname(os.path.abspath(numpy.__file__)))
        own = [lib for lib in blas.lib_controllers if lib.filepath.startswith(here)
               and "numpy" in lib.filepath]
        _blas = blas if not own else blas.select(filepath=[lib.filepath for lib in own])
    return _blas


def blas_threads() -> int:
    """How many threads NumPy's matrix products may use now (1 if no BLAS was found)."""
    libs = _numpy_blas().lib_controllers
    return max((lib.num_threads for lib in libs), default=1)


def small_step(macs: int | None) -> bool:
    """Whether a training step with ``macs`` forward multiply-adds runs best on one BLAS
    thread (False when unknown, or when only one thread is allowed anyway)."""
    return macs is not None and macs < SMALL_STEP_MACS and blas_threads() >= 2


@contextmanager
def one_blas_thread():
    """Run NumPy's matrix products on one thread inside the block, then restore the count."""
    limit = _numpy_blas().limit(limits=1)
    try:
        yield
    finally:
        limit.restore_original_limits()
