"""``neuronal train`` as one rank of an MPI job (``mpiexec -n 4 neuronal train mnist ...``).

Every rank loads the same data, builds the same network and calls ``fit(comm=...)``; rank 0
alone prints (the other ranks' standard output goes nowhere), writes the checkpoint, the model
and the plots. An error on one rank is sent to the others, and each rank's one-line error
names its rank.
"""

from __future__ import annotations

import contextlib
import os


def wanted(args) -> bool:
    """Whether to train data-parallel: ``--distributed``, or started by an MPI launcher."""
    from ..distributed import launched_with_mpi

    return bool(getattr(args, "distributed", False)) or launched_with_mpi()


def run(train, args) -> int:
    """``train(args, comm)`` on this rank of the MPI job."""
    from ..distributed import RankFailedError, world
    from ..errors import NeuronalError

    comm = world()
    ranks = comm.describe()  # collective: before anything can fail on one rank only
    with contextlib.ExitStack() as stack:
        if comm.rank != 0:
            args.out = args.plots = None
            stack.enter_context(contextlib.redirect_stdout(
                stack.enter_context(open(os.devnull, "w"))))
        print(f"data-parallel training over {comm.size} MPI rank{'s' * (comm.size > 1)} "
              f"({ranks})", flush=True)
        try:
            return train(args, comm)
        except Exception as exc:
            comm.fail(f"{type(exc).__name__}: {exc}")
            if isinstance(exc, RankFailedError):
                raise
            raise NeuronalError(f"rank {comm.rank}: {exc}") from exc
        except BaseException as exc:  # Ctrl-C
            comm.fail(type(exc).__name__)
            raise
        finally:
            comm.close()
