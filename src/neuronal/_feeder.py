"""Mini-batches gathered one step ahead, by a worker process on the second core.

Each training step starts by gathering its mini-batch: the rows of the epoch's permutation,
copied out of the training data. For MNIST that is 128 random rows of 3 KB from a 188 MB
array, bound by memory latency: 70-90 us of a 784x16x10 step of 250-350 us. NumPy's gather
runs on one core, and a small network trains on one BLAS thread (``_threads.small_step``), so
the second core has nothing to do. ``Network.fit`` then forks a worker at the start of the
epoch that gathers batch k + 1 into shared memory while the network trains on batch k. The
worker reads the data through ``fork``'s copy-on-write view (nothing is copied), and two
batch buffers alternate: one byte through a pipe says "batch ready", one byte back says
"buffer free again". Both sides poll their pipe briefly before blocking (see ``_split``).

The batches are the very same rows in the same order, so training gives the same numbers with
and without the worker. Measured with ``fit`` on MNIST, the feeder switched on and off in one
process (6 alternating epochs each, fastest / median, two runs where given): 784x16x10 SGD
batch 128 0.120 / 0.152 s -> 0.111 / 0.139 s and 0.115 / 0.149 -> 0.096 / 0.150; batch 64
0.124 / 0.177 -> 0.113 / 0.162; batch 32 within the noise (0.181 / 0.244 -> 0.207 / 0.245 and
0.187 / 0.243 -> 0.176 / 0.215); 784x128x10 Adam batch 32 0.834 / 1.149 -> 0.827 / 1.124.
It is not used when the products run on two BLAS threads: the worker's polling
takes the core that OpenBLAS's second thread needs (784x128x10 Adam at batch 128: 0.51 ->
2.03 s per epoch; on one BLAS thread that network did not gain either, 0.40 / 0.45 s -> 0.43 /
0.47 s). Nor when batches are too small for the hand-over to pay (:data:`MIN_BATCH_BYTES`),
nor when the worker has better to do: sharing the first layer (``_columns.py``).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import numpy as np

from ._split import _read, _report_failure, _shared, _stop, can_fork, fork_worker, worker_error

#: Batches are gathered ahead only if one batch of inputs holds at least this many bytes
#: (32 MNIST images are 100 KB) ...
MIN_BATCH_BYTES = 64 * 1024
#: ... and the epoch has at least this many batches (forking costs about a millisecond).
MIN_BATCHES = 16

_READY = b"\0"  # a batch is ready (anything else: see _split.worker_error)
_TASK = "gathering mini-batches"


def worth_it(X: np.ndarray, batch_size: int) -> bool:
    """Whether gathering ahead pays for ``X`` in batches of ``batch_size`` (given a free core)."""
    m = min(batch_size, len(X))
    return (can_fork() and m * X[:1].nbytes >= MIN_BATCH_BYTES
            and -(-len(X) // batch_size) >= MIN_BATCHES)


def batches(X: np.ndarray, Y: np.ndarray, order: np.ndarray, batch_size: int,
            ahead: bool = False) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """Yield ``(start, idx, X_batch, Y_batch)`` for the rows ``order`` in batches.

    ``idx = order[start : start + batch_size]``; the batch arrays are reused buffers, valid
    until the next batch is requested. ``ahead=True`` gathers each next batch in a worker
    process while the caller works on the current one (see the module docstring); close the
    generator (or run it to the end) to end the worker.
    """
    if ahead:
        yield from _gathered_ahead(X, Y, order, batch_size)
        return
    m = min(batch_size, len(X))
    X_buf = np.empty((m, *X.shape[1:]), X.dtype)
    Y_buf = np.empty((m, *Y.shape[1:]), Y.dtype)
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        yield (start, idx, *_gather(X, Y, idx, X_buf, Y_buf))


def _gather(X, Y, idx, X_buf, Y_buf) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``idx`` of X and Y copied into the start of the buffers; returns those parts.

    np.take with mode="clip" writes straight into the buffers (the indices are valid by
    construction): ~30% less time than X[idx] for 128 rows of MNIST.
    """
    k = len(idx)
    return (np.take(X, idx, axis=0, out=X_buf[:k], mode="clip"),
            np.take(Y, idx, axis=0, out=Y_buf[:k], mode="clip"))


def _gathered_ahead(X, Y, order, batch_size):
    m = min(batch_size, len(X))
    buffers = [(_shared((m, *X.shape[1:]), X.dtype), _shared((m, *Y.shape[1:]), Y.dtype))
               for _ in range(2)]
    starts = range(0, len(X), batch_size)
    pid, free_w, ready_r = fork_worker(
        lambda free_r, ready_w: _serve(X, Y, order, batch_size, buffers, free_r, ready_w))
    try:
        for i, start in enumerate(starts):
            if i >= 1 and i + 1 < len(starts):
                # the caller is done with batch i - 1: its buffer can take batch i + 1
                try:
                    os.write(free_w, b"\0")
                except BrokenPipeError:
                    raise worker_error(_TASK, b"", ready_r) from None
            reply = _read(ready_r, 1)
            if reply != _READY:
                raise worker_error(_TASK, reply, ready_r)
            idx = order[start : start + batch_size]
            k = len(idx)
            X_buf, Y_buf = buffers[i % 2]
            yield start, idx, X_buf[:k], Y_buf[:k]
    finally:
        _stop(pid, (free_w, ready_r), wait=False)  # its exit is not worth waiting for


def _serve(X, Y, order, batch_size, buffers, free_r: int, ready_w: int) -> None:
    """The worker: gather every batch of the epoch into the two buffers in turn, then exit."""
    status = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        os.set_blocking(free_r, False)
        for i, start in enumerate(range(0, len(X), batch_size)):
            if i >= 2 and not _read(free_r, 1):
                break  # the parent stopped early (closed its end): done
            try:
                _gather(X, Y, order[start : start + batch_size], *buffers[i % 2])
            except Exception:
                _report_failure(ready_w)
                break
            os.write(ready_w, _READY)
    except BaseException:  # the parent went away (broken pipe) or a signal: just leave
        status = 1
    finally:
        os._exit(status)

