"""The worker process of ``fit(workers=2)``: rank 1 of a local pair (``pair.py``).

Started by ``python -m neuronal.engine.worker DATA_FD AREA_FD RECV_FD SEND_FD`` from the
calling process, never by hand. It rebuilds the network from its configuration, says it is
ready, then runs (parts of) epochs as rank 0 announces them
(``DataParallelRunner.begin_epoch``), taking its share of every mini-batch, until rank 0 says
training is over or goes away. Ctrl-C is rank 0's to
handle; the worker reports its own errors to rank 0 and exits.
"""

from __future__ import annotations

import signal
import sys
import traceback


def serve(comm, setup: dict, data: dict) -> None:
    """Rank 1's side of the epochs (the same runner as rank 0, without the bookkeeping)."""
    from .._inputs import count_correct
    from ..network import Network
    from .pair import EpochAborted
    from .parallel import DataParallelRunner

    network = Network.from_config(setup["config"])
    runner = DataParallelRunner(network, data["X"], data["Y"], setup["batch_size"],
                                setup["shuffle"], lambda loss: None, comm, data.get("W"))
    comm.hello()  # rank 0 trains alone until it hears this
    with runner:
        while (start := runner.begin_epoch()) is not None:
            total, correct, seen = 0.0, 0.0, 0
            try:
                for X_part, Y_part in runner.epoch_batches(start):
                    loss, out = runner.step(X_part, Y_part)
                    total += loss * len(X_part)
                    correct += count_correct(network, out, Y_part)
                    seen += len(X_part)
            except EpochAborted:  # rank 0 takes the rest of the epoch alone
                pass
            runner.totals(total, correct, seen)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is rank 0's to handle
    data_fd, area_fd, recv_fd, send_fd = (int(a) for a in (argv or sys.argv[1:]))
    from .pair import LocalPair

    comm = None
    try:
        comm, setup, data = LocalPair.attach(data_fd, area_fd, recv_fd, send_fd)
        serve(comm, setup, data)
        return 0
    except Exception:
        if comm is not None:
            comm.fail(traceback.format_exc())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
