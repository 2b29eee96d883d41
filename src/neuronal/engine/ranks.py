"""Data-parallel epochs over independent processes (the ranks of an MPI job).

``fit(comm=...)`` with a communicator whose ranks are separate programs, each of which called
``fit`` itself (``neuronal.distributed.MPIComm``): unlike the local worker pair, no rank
serves another, so every rank runs the fit loop, and what the pair gets for free from shared
memory has to be agreed on:

* :class:`RankRunner`: every rank passed the same arrays and takes its rows of each batch
  (``DataParallelRunner``). On entering, the ranks check that they hold the same data (its
  size and a hash of 64 of its rows); at the end, that they all stopped after the same epoch
  (a callback that stops training on some ranks only would leave the others waiting: they
  all stop with an error instead).
  Validation data are shared out the same way and the metrics added up.
* :class:`ShardRunner`: each rank passed its own shard, of any size. The samples are
  numbered rank 0's first, then rank 1's, ..., rank 0 draws the epoch's order of all of them,
  and each rank takes the rows of every batch that it holds, so the run follows one process
  training on the shards put end to end. With sample weights, the total weight of every
  batch of the epoch is added up over the ranks when the epoch starts.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .. import _inputs
from ..errors import DataError, NeuronalError
from .parallel import DataParallelRunner
from .runner import gather

__all__ = ["RankRunner", "ShardRunner", "fingerprint"]

#: Rows of the data hashed to check that every rank holds the same arrays.
HASHED_ROWS = 64


def fingerprint(*arrays) -> np.ndarray:
    """Three float64 numbers that differ, almost surely, when the arrays do: the length of the
    first and a 64-bit hash of every array's shape, dtype and HASHED_ROWS rows."""
    h = hashlib.blake2b(digest_size=8)
    for a in arrays:
        if a is None:
            h.update(b"none;")
            continue
        h.update(f"{a.shape}{a.dtype.str};".encode())
        if len(a):
            rows = np.unique(np.linspace(0, len(a) - 1, HASHED_ROWS).astype(np.int64))
            h.update(np.ascontiguousarray(a[rows]).tobytes())
    digest = int.from_bytes(h.digest(), "little")
    n = len(arrays[0]) if arrays and arrays[0] is not None else 0
    return np.array([n, digest >> 32, digest & 0xFFFFFFFF], dtype=np.float64)


class RankRunner(DataParallelRunner):
    """Every rank holds the same arrays and takes its rows of every batch."""

    def __enter__(self):
        super().__enter__()
        try:
            self.agree()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:  # the ranks agree that training is over
                if self.begin_epoch(go=False) is not None:  # rank 0 started another epoch
                    raise NeuronalError(  # (and hears of this at its first exchange)
                        f"rank {self.comm.rank} ended training while rank 0 went on: "
                        f"{_SAME_DECISION}")
                self._stopped(True)
        finally:
            super().__exit__(*exc)

    def _stopped(self, here: bool) -> None:
        """Collective, when rank 0 ends training: raise on every rank unless all ended it."""
        went_on = np.zeros(self.comm.size, dtype=np.float64)
        went_on[self.comm.rank] = float(not here)
        self.comm.allreduce(went_on)
        if went_on.any():
            ranks = ", ".join(str(r) for r in np.flatnonzero(went_on))
            raise NeuronalError(f"rank 0 ended training while rank(s) {ranks} went on: "
                                f"{_SAME_DECISION}")

    def agree(self) -> None:
        """Check, together with the other ranks, that every rank holds rank 0's data."""
        self._compare(self._settings(fingerprint(self.X, self.Y, self.weights)),
                      "every rank must pass fit the same arrays (and sample weights) and "
                      "batch size, or "
                      "make the communicator with MPIComm(sharded=True) when each rank "
                      "passes its own part of the data")

    def _settings(self, data: np.ndarray) -> np.ndarray:
        """What the ranks must agree on: the data's fingerprint and the batch size."""
        return np.append(data, self.batch_size)

    def _compare(self, mine: np.ndarray, fix: str) -> None:
        """Raise the same error on every rank unless ``mine`` is equal on all of them."""
        comm = self.comm
        theirs = mine.copy()
        comm.broadcast(theirs)
        differ = np.zeros(comm.size, dtype=np.float64)
        differ[comm.rank] = float(not np.array_equal(mine, theirs))
        comm.allreduce(differ)
        if differ.any():
            ranks = ", ".join(str(r) for r in np.flatnonzero(differ))
            count = f" ({int(theirs[0]):,} samples)" if theirs[0] else ""
            raise DataError(f"rank(s) {ranks} passed different data or batch size from rank "
                            f"0's{count}: {fix}")

    def batches(self):
        start = self.begin_epoch()
        if start is None:  # rank 0 ended training
            self._stopped(False)
        yield from self.epoch_batches(start)

    def evaluate(self, X, Y) -> dict[str, float]:
        """Validation metrics of (X, Y), each rank computing its rows' share."""
        n, size, rank = len(X), self.comm.size, self.comm.rank
        part = slice(rank * n // size, (rank + 1) * n // size)
        return self._add_up(X[part], Y[part])

    def _add_up(self, X, Y) -> dict[str, float]:
        """Metrics of this rank's rows, added up over the ranks (weighted by rows)."""
        sums = np.zeros(3, dtype=np.float64)
        if len(X):
            mine = _inputs.evaluate(self.network, X, Y)
            sums[:] = mine["loss"] * len(X), mine.get("accuracy", 0.0) * len(X), len(X)
        self.comm.allreduce(sums)
        if not sums[2]:
            raise DataError("the validation data have no samples on any rank")
        result = {"loss": float(sums[0] / sums[2])}
        if self.network.is_classifier:
            result["accuracy"] = float(sums[1] / sums[2])
        return result


_SAME_DECISION = ("callbacks stopped training on some ranks only; they must decide the same "
                  "on every rank (EarlyStopping does: every rank sees the same logs)")


class ShardRunner(RankRunner):
    """Each rank holds its own shard of the data (see the module docstring)."""

    def __init__(self, network, X, Y, batch_size, shuffle, watch, comm, weights=None) -> None:
        super().__init__(network, X, Y, batch_size, shuffle, watch, comm, weights)
        if self._drawing:  # a rank's rows are scattered through each batch
            raise NeuronalError(
                f"{', '.join(type(layer).__name__ for layer in self._drawing)} draws from the "
                f"whole batch's random numbers, which a rank holding a shard cannot place: "
                f"pass every rank the same arrays (comm='mpi') to train it over MPI")

    def agree(self) -> None:
        comm = self.comm
        X, Y, w = self.X, self.Y, self.weights
        layout = (X[:0], Y[:0], None if w is None else w[:0])  # shapes and dtypes, no rows
        self._compare(self._settings(fingerprint(*layout)),
                      "the shards must have the same sample shape, targets and dtype, "
                      "sample weights on every rank or on none, and the same batch size")
        counts = np.zeros(comm.size, dtype=np.float64)
        counts[comm.rank] = len(X)
        comm.allreduce(counts)
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.n_local, self.first = len(X), int(starts[comm.rank])
        self.n_samples = int(starts[-1])
        self.order = np.arange(self.n_samples)
        self.shard_sizes = counts.astype(np.int64)

    def share(self, rows: np.ndarray, rank: int) -> np.ndarray:
        """This rank's rows of a batch of sample numbers, as rows of its shard."""
        if rank != self.comm.rank:
            raise ValueError("a shard runner knows only its own rank's rows")
        local = rows - self.first
        return local[(local >= 0) & (local < self.n_local)]

    def epoch_batches(self, start_step: int = 0):
        n, bs = self.n_samples, self.batch_size
        if self.weights is not None:
            self._totals = self._batch_weights()
        for batch in range(start_step, -(-n // bs)):
            self._batch = batch
            self._rows = self.order[batch * bs : (batch + 1) * bs]
            yield gather(self.X, self.Y, self.share(self._rows, self.comm.rank),
                         self._X_buf, self._Y_buf)

    def _batch_weights(self) -> np.ndarray:
        """The total sample weight of every batch of this epoch, over all the ranks."""
        n, bs = self.n_samples, self.batch_size
        local = self.order - self.first
        mine = (local >= 0) & (local < self.n_local)
        batch_of = np.arange(n) // bs
        totals = np.bincount(batch_of[mine], weights=self.weights[local[mine]],
                             minlength=-(-n // bs)).astype(np.float64)
        self.comm.allreduce(totals)
        return totals

    def batch_weight(self) -> float:
        return float(self._totals[self._batch])

    def evaluate(self, X, Y) -> dict[str, float]:
        """Validation metrics of every rank's own validation data, added up."""
        return self._add_up(X, Y)

