"""Training on more than one machine: data-parallel ``fit`` over MPI (mpi4py).

Run the same script as every process (a *rank*) of an MPI job::

    mpiexec -n 4 python train.py                      # 4 processes on this machine
    mpiexec -f hosts -n 8 python train.py             # 8 processes on the machines in hosts

and in it train with ``net.fit(X, y, ..., comm="mpi")``. Each rank computes its share of every
mini-batch, the ranks add their gradients with one exchange of the flat gradient array, and
every rank takes the same optimiser step, so N ranks with batch size B follow the trajectory of
one process with batch size B (the recipe of Horovod: rank 0's initial weights and shuffling
reach every rank, gradients are summed, rank 0 writes). The data can reach the ranks two ways:

* **the same arrays on every rank** (``comm="mpi"``, or ``MPIComm()``): every rank loads the
  whole data set and takes its rows of each batch (checked: ranks holding different data stop
  with an error);
* **a shard per rank** (``comm=MPIComm(sharded=True)``): each rank passes its own part of the
  data, of any size; the samples are numbered rank 0's first, then rank 1's, ..., and the run
  follows one process training on all of them in that order.

Loss, accuracy and validation metrics are added up over the ranks (every rank gets the same
``History``); rank 0 alone prints and writes checkpoints (``resume=True`` reads rank 0's file).
An error on one rank reaches the others at their next exchange: they stop with a
:class:`~neuronal.errors.RankFailedError` naming the rank that failed, instead of waiting for it
forever; a rank that is killed is ended with the whole job by ``mpiexec``.

mpi4py is imported only when an :class:`MPIComm` is made (``pip install "neuronal[mpi]"``
installs it with the MPICH library and its ``mpiexec``).
"""

from __future__ import annotations

import os

import numpy as np

from .errors import NeuronalError, RankFailedError

__all__ = ["MPIComm", "world", "launched_with_mpi", "RankFailedError"]

#: Tag of the failure notices a rank sends the others (on the communicator it was given).
NOTICE_TAG = 32123
#: Longest failure notice, in bytes (longer messages are cut).
NOTICE_BYTES = 2048
#: Longest wait for the other ranks to take this rank's failure notice, in seconds.
NOTICE_SECONDS = 5.0
#: Buffers whose copies from all ranks take at most this many bytes are added up after one
#: gather; larger ones in segments (see MPIComm.allreduce).
GATHER_BYTES = 1 << 16

#: Environment variables in which MPI launchers give the number of processes.
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_SIZE")


def launched_with_mpi() -> bool:
    """Whether this process is one of several started by an MPI launcher (``mpiexec -n 2``,
    ``srun``), as its environment says; mpi4py is not imported."""
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 1:
            return True
    return False


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise NeuronalError(
            f"training over MPI needs mpi4py and an MPI library ({exc}): "
            f"pip install 'neuronal[mpi]' (mpi4py and MPICH, with its mpiexec)") from None
    return MPI


class MPIComm:
    """The processes of an MPI job, as a communicator for data-parallel ``fit``.

    Parameters
    ----------
    comm : mpi4py.MPI.Intracomm, optional
        The MPI processes that share the training (default ``MPI.COMM_WORLD``: all of them).
    sharded : bool, default False
        False: every rank passes ``fit`` the same arrays and takes its rows of each batch.
        True: each rank passes its own shard of the data (sizes may differ).

    Attributes
    ----------
    rank, size : int
        This process's number and the number of processes.
    failure : (int, str) or None
        After a failure, the rank that failed and its message; the communicator is then
        unusable (MPI cannot take back the exchanges in flight): start the job again.

    Notes
    -----
    :meth:`allreduce` adds the ranks' buffers element by element in rank order,
    ``((b0 + b1) + b2) + ...``, whatever the number of ranks and however the buffer is cut up,
    so every rank gets exactly the same numbers, the same on every run (MPI's own reductions
    may add in other orders). Small buffers are gathered whole to every rank and added there;
    large ones are cut into one segment per rank, rank r adds up segment r
    (``Alltoallv``) and every rank gathers the sums (``Allgatherv``): each rank sends and
    receives 2 (N-1)/N of the buffer, as in a ring allreduce. Every wait also listens for a
    failure notice from another rank (:meth:`fail`).

    Examples
    --------
    ::

        # mpiexec -n 2 python train.py
        from neuronal.distributed import MPIComm
        comm = MPIComm()
        net.fit(X, y, epochs=5, batch_size=128, comm=comm)
        if comm.rank == 0:
            net.save("model.safetensors")
    """

    def __init__(self, comm=None, sharded: bool = False) -> None:
        MPI = self._MPI = _mpi()
        base = MPI.COMM_WORLD if comm is None else comm
        if not isinstance(base, MPI.Intracomm):
            raise NeuronalError(f"MPIComm needs an mpi4py intra-communicator such as "
                                f"MPI.COMM_WORLD, got {type(comm).__name__}")
        self._base = base
        self.rank, self.size = base.Get_rank(), base.Get_size()
        self.sharded = bool(sharded)
        self.failure: tuple[int, str] | None = None
        self._notice: object | None = None  # the posted receive of a failure notice
        self._notice_buf = np.zeros(NOTICE_BYTES, np.uint8)
        self._sends: list = []
        self._scratch: dict = {}
        self._comm = None
        comm, request = base.Idup()  # the exchanges get a context of their own
        self._wait(request)
        self._comm = comm
        self._stop_listening()

    def __repr__(self) -> str:
        mode = "a shard per rank" if self.sharded else "the same arrays on every rank"
        return f"MPIComm(rank {self.rank} of {self.size}; {mode})"

    def describe(self) -> str:
        """One line naming every rank's process and machine (to match ``mpiexec``'s
        messages, which name processes by pid)."""
        import socket

        mine = f"{os.getpid()}@{socket.gethostname()}"
        everyone = self._base.allgather(mine)
        return ", ".join(f"rank {r}: pid {who}" for r, who in enumerate(everyone))

    # ------------------------------------------------------------------ collectives

    def allreduce(self, buffer: np.ndarray) -> None:
        """Replace ``buffer`` on every rank by the sum over the ranks, added in rank order."""
        self._check(buffer)
        n, size = buffer.size, self.size
        if size == 1 or n == 0:
            return
        flat = buffer.reshape(-1)
        if size == 2:  # one addition per number, and a + b == b + a: MPI's own sum will do
            self._wait(self._comm.Iallreduce(self._MPI.IN_PLACE, flat, op=self._MPI.SUM))
            return
        if n * size * buffer.itemsize <= GATHER_BYTES:
            every = self._scratch_for("gather", (size, n), buffer.dtype)
            self._wait(self._comm.Iallgather(flat, every))
            _add_in_rank_order(every, flat)
            return
        bounds = [r * n // size for r in range(size + 1)]
        counts = [bounds[r + 1] - bounds[r] for r in range(size)]
        mine = counts[self.rank]
        parts = self._scratch_for("parts", (size, mine), buffer.dtype)
        self._wait(self._comm.Ialltoallv(
            [flat, (counts, bounds[:-1])],
            [parts, ([mine] * size, [r * mine for r in range(size)])]))
        _add_in_rank_order(parts, flat[bounds[self.rank] : bounds[self.rank + 1]])
        self._wait(self._comm.Iallgatherv(self._MPI.IN_PLACE, [flat, (counts, bounds[:-1])]))

    def broadcast(self, buffer: np.ndarray, root: int = 0) -> None:
        """Copy rank ``root``'s ``buffer`` into every other rank's."""
        self._check(buffer)
        if self.size > 1:
            self._wait(self._comm.Ibcast(buffer, root=root))

    def _check(self, buffer) -> None:
        if self.failure is not None:
            rank, message = self.failure
            raise RankFailedError(
                f"this MPI communicator is unusable since rank {rank} failed ({message}): "
                f"MPI cannot take back exchanges in flight; start the job again")
        if not (isinstance(buffer, np.ndarray) and buffer.flags.c_contiguous
                and buffer.flags.writeable):
            raise NeuronalError("MPIComm exchanges writable C-contiguous NumPy arrays, got "
                                f"{type(buffer).__name__}")

    def _scratch_for(self, name: str, shape: tuple, dtype) -> np.ndarray:
        key = (name, shape, np.dtype(dtype).str)
        arr = self._scratch.get(key)
        if arr is None:
            self._scratch = {k: v for k, v in self._scratch.items() if k[0] != name}
            arr = self._scratch[key] = np.empty(shape, dtype)
        return arr

    # ------------------------------------------------------------------ failures

    def _wait(self, request) -> None:
        """Wait for ``request``, or for another rank's failure notice (then raise)."""
        MPI = self._MPI
        status = MPI.Status()
        if MPI.Request.Waitany([request, self._listen()], status) == 0:
            return
        self._notice = None
        self._received(status)
        rank, text = self.failure
        raise RankFailedError(f"rank {rank} failed: {text} (rank {self.rank} stopped too)")

    def _listen(self):
        """The posted receive of the next failure notice (posted now if it is not)."""
        if self._notice is None:
            MPI = self._MPI
            self._notice = self._base.Irecv([self._notice_buf, MPI.BYTE],
                                            source=MPI.ANY_SOURCE, tag=NOTICE_TAG)
        return self._notice

    def _received(self, status) -> None:
        """Note a failure notice just received (the first one names the failure)."""
        count = status.Get_count(self._MPI.BYTE)
        text = bytes(self._notice_buf[:count]).decode(errors="replace")
        if self.failure is None:
            self.failure = (status.Get_source(), text)

    def fail(self, message: str) -> None:
        """Tell the other ranks that this one failed with ``message`` (one line); they stop
        at their next exchange. Afterwards the communicator is unusable."""
        if self.failure is not None:
            return  # already failed here, or stopped by another rank's failure
        text = " ".join(str(message).split()) or "an error"
        self.failure = (self.rank, text)
        data = np.frombuffer(text.encode(errors="replace")[:NOTICE_BYTES], np.uint8)
        for r in range(self.size):
            if r != self.rank:  # synchronous sends: complete once the other rank has it
                self._sends.append(self._base.Issend([data, self._MPI.BYTE], dest=r,
                                                     tag=NOTICE_TAG))

    def close(self) -> None:
        """Stop listening for failure notices (``fit`` does this when it ends; the next
        exchange listens again). After :meth:`fail`, first wait (up to NOTICE_SECONDS) until
        every other rank has the notice, taking theirs meanwhile (when all ranks failed
        together, each sends one to every other)."""
        import time

        MPI = self._MPI
        deadline = time.monotonic() + NOTICE_SECONDS
        while self._sends and time.monotonic() < deadline:
            if MPI.Request.Testall(self._sends):
                self._sends = []
            self._take_notices()
            time.sleep(0.0005)
        self._sends = []
        self._take_notices()
        self._stop_listening()

    def _stop_listening(self) -> None:
        if self._notice is not None:
            self._notice.Cancel()
            self._notice.Wait()
            self._notice = None

    def _take_notices(self) -> None:
        """Receive the failure notices that have arrived (nothing is raised)."""
        status = self._MPI.Status()
        while self._listen().Test(status):
            self._notice = None
            self._received(status)

    def __enter__(self) -> MPIComm:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _add_in_rank_order(parts: np.ndarray, out: np.ndarray) -> None:
    """``out[...] = ((parts[0] + parts[1]) + parts[2]) + ...`` (each step rounded)."""
    if len(parts) == 1:
        out[...] = parts[0]
        return
    np.add(parts[0], parts[1], out=out)
    for part in parts[2:]:
        np.add(out, part, out=out)


_world: MPIComm | None = None


def world() -> MPIComm:
    """The communicator of all the job's processes, every rank with the same arrays (what
    ``fit(comm="mpi")`` uses; made on first use)."""
    global _world
    if _world is None:
        _world = MPIComm()
    return _world
