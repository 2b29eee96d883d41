"""The engine's epoch runner: the plain runner's epochs, with less work per step.

Same batches, same steps, same numbers up to rounding as ``training.PlainRunner``, but:

* each mini-batch is gathered into a buffer reused for the whole fit (``np.take(out=)``)
  instead of a fresh array per step;
* the optimiser updates all parameters at once, laid end to end in one array
  (:mod:`.flat`);
* the matrix products of a small network run on one BLAS thread (:mod:`.threads`), and freed
  step temporaries stay with the process for the next step (:mod:`.malloc`);
* with ``workers=2``, every batch is shared with a worker process (:mod:`.parallel`); with
  ``comm=``, with the other ranks of an MPI job (:mod:`.ranks`).
"""

from __future__ import annotations

import contextlib

import numpy as np

from .. import _inputs
from ..errors import NeuronalError
from . import flat, malloc, threads

__all__ = ["runner", "FastRunner", "step_macs"]


def runner(network, X, Y, batch_size: int, shuffle: bool, watch, workers=None, weights=None,
           comm=None):
    """The runner for ``fit`` (the seam ``seams.epoch_runner`` calls this)."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise NeuronalError(f"workers must be a positive integer (1 or 2), got {workers!r}")
    if comm is not None:  # the ranks of an MPI job (or any communicator)
        if workers not in (None, 1):
            raise NeuronalError(f"give fit workers={workers} or comm=..., not both (with comm "
                                f"each process is one rank; start more ranks instead)")
        from .ranks import RankRunner, ShardRunner

        kind = ShardRunner if getattr(comm, "sharded", False) else RankRunner
        return kind(network, X, Y, batch_size, shuffle, watch, comm, weights)
    if workers is not None and workers > 1:
        from .parallel import PairRunner

        return PairRunner(network, X, Y, batch_size, shuffle, watch, workers, weights)
    return FastRunner(network, X, Y, batch_size, shuffle, watch, weights)


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
    """One process: reused batch buffers, one fused optimiser step, BLAS threads by size."""

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
        if threads.small_step(step_macs(self.network, min(self.batch_size, self.n_samples))):
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
            self._fused = fused = flat.FusedStep(self.network.optimizer, pairs) if packed \
                else None
            if fused is None:
                self.network.optimizer.step(pairs)
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
