"""Communicators: what data-parallel training needs from the processes that share it.

Data parallelism is written once (``parallel.py``) against four operations: every process
(rank ``0 .. size-1``) computes the gradient of its share of each mini-batch, the gradients
are summed over the processes (:meth:`Communicator.allreduce`), and every process takes the
same optimiser step; the initial weights, optimiser state and the order of the samples come
from rank 0 (:meth:`Communicator.broadcast`). One process, a local worker pair
(``pair.py``) and MPI ranks (``neuronal.distributed``) are three communicators.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Communicator", "SingleProcess"]


class Communicator:
    """The interface: ``rank``, ``size``, ``allreduce(buffer)``, ``broadcast(buffer)``.

    ``allreduce`` replaces ``buffer`` on every rank by the sum over the ranks, added in rank
    order, so every rank holds exactly the same numbers. ``broadcast`` copies rank
    ``root``'s ``buffer`` into every other rank's. Both are collective: every rank calls
    them in the same order, with buffers of the same shape and dtype.
    """

    rank: int = 0
    size: int = 1

    def allreduce(self, buffer: np.ndarray) -> None:
        raise NotImplementedError

    def broadcast(self, buffer: np.ndarray, root: int = 0) -> None:
        raise NotImplementedError

    def fail(self, message: str) -> None:
        """Tell the other ranks that this one failed with ``message`` (best effort)."""

    def close(self) -> None:
        """Release what the communicator holds (processes, memory); idempotent."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SingleProcess(Communicator):
    """The communicator of one process: nothing to add up, nothing to copy."""

    def allreduce(self, buffer: np.ndarray) -> None:
        pass

    def broadcast(self, buffer: np.ndarray, root: int = 0) -> None:
        pass
