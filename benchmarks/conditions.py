"""The machine conditions the benchmarks measure under, besides an idle machine.

* :func:`busy_core`: another process spins on a core for as long as the block runs (what a
  second training, a notebook kernel or a CI job next door does to ours).
* :func:`two_jobs`: the same two trainings run one after the other in this process, then
  side by side in two joblib (loky) workers; returns both wall times.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

SPIN = "import time\nend = time.time() + 7200\nwhile time.time() < end:\n    pass\n"


@contextlib.contextmanager
def busy_core(processes: int = 1):
    """Run ``processes`` spinning Python processes during the block (each wants a core)."""
    procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(processes)]
    time.sleep(0.5)  # let them take their core
    try:
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def two_jobs(job, args_a: tuple, args_b: tuple) -> dict:
    """``job(*args)`` twice: sequentially here, then side by side in 2 joblib workers.

    The workers are started (and have imported neuronal) before the side-by-side timing
    begins. Returns {"sequential": s, "side_by_side": s, "jobs": [per-job seconds...]}.
    """
    from joblib import Parallel, delayed

    t0 = time.perf_counter()
    seq = [job(*args_a), job(*args_b)]
    sequential = time.perf_counter() - t0
    with Parallel(n_jobs=2) as parallel:
        parallel(delayed(_warm)() for _ in range(2))
        t0 = time.perf_counter()
        par = parallel(delayed(job)(*a) for a in (args_a, args_b))
        side_by_side = time.perf_counter() - t0
    return {"sequential": sequential, "side_by_side": side_by_side, "seq_jobs": seq,
            "par_jobs": par}


def _warm():
    import neuronal  # noqa: F401

    return os.getpid()
