"""The engine's epoch runner: the plain runner's epochs, with less work per step.

Same batches, same steps, same numbers up to rounding as ``training.PlainRunner``, but:

* each mini-batch is gathered into a buffer reused for the whole fit (``np.take(out=)``)
  instead of a fresh array per step;
* the optimiser updates all parameters at once, laid end to end in one array
  (:mod:`.flat`);
* the matrix products run on one BLAS thread (:mod:`.threads`), and freed step temporaries
  stay with the process for the next step (:mod:`.malloc`);
* for a convolutional or recurrent network with enough work, or with ``workers=2``, every
  batch is shared with a worker process on the second core (:mod:`.parallel`), which backs
  off while the worker waits for a core; with ``comm=``, with the other ranks of an MPI job
  (:mod:`.ranks`).

Why one BLAS thread: on a machine whose other core is busy (a second training, a notebook
kernel, CI), a product split over two threads waits for the thread that has no core, and a
step of many products takes several times longer than on one thread (measured:
``benchmarks/RESULTS.md``). The second core is put to work by the worker process instead,
which notices when it has none.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time

import numpy as np

from .. import _inputs
from ..errors import NeuronalError
from . import flat, malloc, threads

__all__ = ["epoch_runner", "FastRunner", "step_macs", "auto_workers"]

#: The worker pair starts by itself only for epochs of at least this many batches (starting
#: the worker process costs a fraction of a second) ...
AUTO_MIN_BATCHES = 100
#: ... and training data that take at most this share of the memory available (the worker
#: reads a shared copy).
AUTO_MAX_MEMORY_SHARE = 0.25
#: how long the engine watches the machine before it starts a worker (``_two_cores``).
IDLE_PROBE_SECONDS = 0.1


def epoch_runner(network, X, Y, batch_size: int, shuffle: bool, watch, workers=None,
                 weights=None, comm=None):
    """The runner for ``fit`` (the seam ``seams.epoch_runner`` calls this)."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or not 1 <= workers <= 2):
        raise NeuronalError(f"workers must be 1 (one process), 2 (a worker process shares each "
                            f"batch) or None (the engine decides), got {workers!r}")
    if comm is not None:  # the ranks of an MPI job (or any communicator)
        if workers not in (None, 1):
            raise NeuronalError(f"give fit workers={workers} or comm=..., not both (with comm "
                                f"each process is one rank; start more ranks instead)")
        from .ranks import RankRunner, ShardRunner

        kind = ShardRunner if getattr(comm, "sharded", False) else RankRunner
        return kind(network, X, Y, batch_size, shuffle, watch, comm, weights)
    asked = workers is not None
    if workers is None:
        workers = auto_workers(network, X, Y, batch_size)
    if workers == 2:
        from .parallel import PairRunner

        return PairRunner(network, X, Y, batch_size, shuffle, watch, workers, weights,
                          wait=asked)
    return FastRunner(network, X, Y, batch_size, shuffle, watch, weights)


def auto_workers(network, X, Y, batch_size: int) -> int:
    """2 when sharing batches with a worker process pays and is safe, else 1.

    It pays for networks whose steps are long loops of NumPy work on one core (convolutions,
    recurrent layers) over epochs of many batches; it is safe when every layer treats samples
    on their own, two cores are ours to use (not a process limited to one core or one BLAS
    thread, not a multiprocessing or joblib worker, whose parent already shares out the
    cores, not a machine whose other core was busy over the last tenth of a second), and the data's
    shared copy fits in memory. The pair then also backs off by itself while the worker
    waits for a core.
    """
    layers = network.layers
    if not all(getattr(layer, "independent_samples", False) for layer in layers):
        return 1
    if not any(type(layer).__name__ in ("Conv2D", "SimpleRNN", "LSTM", "GRU")
               for layer in layers):
        return 1
    if -(-len(X) // batch_size) < AUTO_MIN_BATCHES or not _two_cores():
        return 1
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1
    return 2 if X.nbytes + Y.nbytes <= AUTO_MAX_MEMORY_SHARE * available else 1


def _two_cores() -> bool:
    """Whether this process may put a second core to work: it may use two, BLAS may use two
    threads, it is no multiprocessing/joblib worker, and the rest of the machine leaves a
    core free (another training next door would make the worker wait)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    in_worker = multiprocessing.parent_process() is not None or any(
        key.startswith("LOKY_") for key in os.environ)
    if (cores or 1) < 2 or threads.blas_threads() < 2 or in_worker \
            or not hasattr(os, "memfd_create"):
        return False
    others = busy_cores_elsewhere()
    return others < (cores or 1) - 1.5


def busy_cores_elsewhere(interval: float | None = None) -> float:
    """How many cores the rest of the machine keeps busy, measured over ``interval`` seconds
    from the kernel's CPU counters (``/proc/stat``) while this process sleeps (less what
    this process's own threads used meanwhile). Where there
    are none, the 1-minute load average, which also counts this process's own recent work
    (so a second ``fit`` soon after a first would see its own past as load)."""
    try:
        before, own = _cpu_times(), time.process_time()
        time.sleep(IDLE_PROBE_SECONDS if interval is None else interval)
        after, own = _cpu_times(), time.process_time() - own
        total, idle = after[0] - before[0], after[1] - before[1]
        if total > 0:
            cores = os.cpu_count() or 1
            seconds = total / cores / os.sysconf("SC_CLK_TCK")  # the interval, in ticks' time
            # (minus this process's own threads, e.g. BLAS threads still spinning after a call)
            return max(0.0, (1.0 - idle / total) * cores - own / seconds)
    except (OSError, ValueError, IndexError):
        pass
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


def _cpu_times() -> tuple[int, int]:
    """(all, idle) clock ticks of every CPU since boot: user nice system idle iowait irq
    softirq steal (time the hypervisor gave away counts as busy)."""
    with open("/proc/stat") as fh:
        ticks = [int(t) for t in fh.readline().split()[1:9]]
    return sum(ticks), ticks[3] + ticks[4]


def step_macs(network, batch_size: int) -> int | None:
    """Multiply-adds of the forward matrix products of one step, or None if unknown."""
    total = 0
    for _, layer, shape, _ in network._propagate_shapes(network.sample_shape):
        macs = layer.matmul_macs(shape) if shape is not None else None
        if macs is None:
            return None
        total += macs
    return total * batch_size


class FastRunner:
    """One process: reused batch buffers, one fused optimiser step, one BLAS thread."""

    def __init__(self, network, X, Y, batch_size: int, shuffle: bool, watch,
                 weights=None) -> None:
        self.network, self.X, self.Y, self.weights = network, X, Y, weights
        self.batch_weights = None
        self.batch_size, self.shuffle, self.watch = batch_size, shuffle, watch
        self.n_samples = len(X)
        m = min(batch_size, len(X))
        self._X_buf = np.empty((m, *X.shape[1:]), X.dtype)
        self._Y_buf = np.empty((m, *Y.shape[1:]), Y.dtype)
        self._fused: flat.FusedStep | None = None
        self._blas = contextlib.ExitStack()

    def __enter__(self) -> FastRunner:
        malloc.keep_freed_memory()
        self._blas.enter_context(threads.one_blas_thread())
        return self

    def __exit__(self, *exc) -> None:
        self._blas.close()

    def batches(self):
        n, bs = self.n_samples, self.batch_size
        order = self.network.rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, bs):
            rows = order[start : start + bs]
            if self.weights is not None:
                self.batch_weights = self.weights[rows]
            yield gather(self.X, self.Y, rows, self._X_buf, self._Y_buf)

    def step(self, X_batch, Y_batch):
        loss, out = self.network._gradients(X_batch, Y_batch, weights=self.batch_weights)
        self.update()
        self.watch(loss)
        return loss, out

    def update(self) -> None:
        """The optimiser's step: fused when the parameters are packed, else per parameter."""
        fused = self._fused
        if fused is None or not fused.valid():
            pairs = self.network.parameters()
            packed = flat.flat_span([p for p, _ in pairs]) is not None
            flags = self.network.decay_flags()
            self._fused = fused = flat.FusedStep(self.network.optimizer, pairs, flags) \
                if packed else None
            if fused is None:
                self.network.optimizer.step(pairs, flags)
                return
        fused.step()

    def totals(self, loss, correct, seen):
        return loss, correct, seen

    def evaluate(self, X, Y) -> dict[str, float]:
        return _inputs.evaluate(self.network, X, Y)


def gather(X, Y, rows, X_buf, Y_buf):
    """Rows ``rows`` of X and Y copied into the start of the buffers; returns those parts.

    ``np.take`` with mode="clip" writes straight into the buffers (the row numbers are valid
    by construction), with less work than the fresh array ``X[rows]`` makes.
    """
    k = len(rows)
    return (np.take(X, rows, axis=0, out=X_buf[:k], mode="clip"),
            np.take(Y, rows, axis=0, out=Y_buf[:k], mode="clip"))
