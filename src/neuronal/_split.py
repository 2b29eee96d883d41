"""Data parallelism on two cores: the second half of each mini-batch in a worker process.

A convolutional or recurrent network spends most of a training step in NumPy work that runs
on one core: im2col copies, one small matrix product per image or per time step (too small for
BLAS to use threads well), pooling, the gates' elementwise arithmetic. With a second core free
(``_threads.spare_core``), ``Network.fit`` splits each mini-batch in two. The calling process
takes the first half forward and backward through the network; a *worker process*, forked at
the first step of the epoch, takes the second half through its copy of the network. The two
share memory (anonymous shared ``mmap``) for what crosses between them each step: the current
weights (copied in before the step), the worker's half of the batch, and its gradients, loss
and output. One byte through a pipe starts the worker's half and one byte reports it done;
both sides poll their pipe for a few milliseconds before they block, since waking a sleeping
process costs about 90 us on our machines and polling about 10.

The loss is a mean over rows, so each half's output gradient is scaled by its share of the
batch: the sum of the two halves' gradients is the whole batch's gradient, up to
floating-point rounding (about 1e-7 relative in float32), and the weights follow the same
path as without the split. Each half's products run on one BLAS thread, so a given setting
gives the same numbers on every run.

Why a process and not a thread: two threads of one process take turns at Python's global
interpreter lock for every NumPy call, and a step makes hundreds of them. Measured on our
2-core machine, ms per training step: LeNet at batch 64, 8.0-8.5 on one core, 7.0-8.1 with a
helper thread (the previous version of this module), 5.1-5.6 with the worker process; the MNIST
LSTM at batch 128, 8.2-8.7 -> 6.6-6.8 (with a thread it got slower). Fully connected networks
are not split: their steps are short (under 1 ms), and 784x128x10 at batch 128 went
0.92-0.97 -> 1.44-1.54.

Only networks whose every layer treats the samples of a batch independently can be split
(``Layer.independent_samples``: not BatchNorm, whose statistics span the batch, and not
Dropout, whose masks come from one random stream), only networks with a layer that gains from
it (``Layer.splits_well``: Conv2D and the recurrent layers), only with parameters and
gradients packed into one array each (``Network._pack_parameters``), and only where ``fork``
exists (Linux).
"""

from __future__ import annotations

import mmap
import os
import select
import signal
import struct
import sys
import time
import traceback
import warnings
import weakref
from typing import TYPE_CHECKING

import numpy as np

from . import _threads
from ._flat import flat_span, view_like
from .errors import NeuronalError

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

#: A batch is split only if each half gets at least this many samples.
MIN_HALF = 8
#: How long either side polls its pipe before it blocks, in seconds.
POLL_SECONDS = 0.005

_CMD = struct.Struct("<qd")  # rows of the worker's half, its share of the batch
_LEN = struct.Struct("<q")
_OK, _FAILED = b"\0", b"\1"


def can_fork() -> bool:
    """Whether worker processes are available: ``fork`` on Linux (not macOS, not Windows)."""
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def _shared(shape: tuple, dtype) -> np.ndarray:
    """A zeroed array in anonymous shared memory, visible to processes forked after this."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    buf = mmap.mmap(-1, max(1, count * dtype.itemsize))  # MAP_SHARED | MAP_ANONYMOUS
    return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)


def _read(fd: int, n: int) -> bytes:
    """Read up to ``n`` bytes from the non-blocking pipe ``fd``: poll a while, then block.

    Returns b"" when the other end has closed the pipe.
    """
    end = time.perf_counter() + POLL_SECONDS
    while True:
        try:
            return os.read(fd, n)
        except BlockingIOError:
            if time.perf_counter() > end:
                select.select([fd], [], [])


def _read_exactly(fd: int, n: int) -> bytes:
    data = b""
    while len(data) < n:
        part = _read(fd, n - len(data))
        if not part:
            break
        data += part
    return data


def _report_failure(fd: int) -> None:
    """In a worker: send the current exception's traceback to the parent through ``fd``."""
    text = traceback.format_exc().encode()
    os.write(fd, _FAILED + _LEN.pack(len(text)) + text)


def _failure_text(fd: int) -> str:
    """In the parent, after reading _FAILED from ``fd``: the worker's traceback."""
    size = _LEN.unpack(_read_exactly(fd, _LEN.size))[0]
    return _read_exactly(fd, size).decode(errors="replace")


def worker_error(task: str, reply: bytes, fd: int) -> NeuronalError:
    """The error for a worker ``task`` (e.g. "gathering mini-batches") whose pipe ``fd`` gave
    ``reply`` instead of the expected answer: its traceback if it reported a failure
    (:func:`_report_failure`), otherwise that it ended (b"" is end-of-file)."""
    if reply == _FAILED:
        return NeuronalError(f"the worker process {task} failed:\n{_failure_text(fd)}")
    return NeuronalError(
        f"the worker process {task} ended unexpectedly (killed, or out of memory?); set "
        f"NEURONAL_THREADS=1 to train in one process")


def fork_worker(serve) -> tuple[int, int, int]:
    """Fork a worker process that runs ``serve(requests_fd, replies_fd)`` and never returns.

    Returns ``(pid, requests_fd, replies_fd)`` for the parent: it writes requests to the first
    pipe and reads replies (non-blocking, see :func:`_read`) from the second.
    """
    reap_exited()
    cmd_r, cmd_w = os.pipe()
    done_r, done_w = os.pipe()
    with warnings.catch_warnings():  # Python >= 3.12 warns about fork with threads
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the worker
        os.close(cmd_w)
        os.close(done_r)
        serve(cmd_r, done_w)
        os._exit(1)  # serve must not return; if it does, leave without running the parent's code
    os.close(cmd_r)
    os.close(done_w)
    os.set_blocking(done_r, False)
    return pid, cmd_w, done_r


#: Workers told to stop whose exit was not waited for (see _stop); reaped by reap_exited.
_exiting: list[int] = []


def _stop(pid: int, fds: tuple[int, ...], wait: bool = True) -> None:
    """Close the pipes (the worker sees end-of-file and exits) and reap the worker.

    ``wait=False`` does not wait for the exit: tearing down a forked copy of a process that
    has PyTorch and MNIST loaded takes 4-6 ms here. The worker is then reaped by a later
    :func:`reap_exited` (every fork_worker calls it first).
    """
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
    if wait:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    else:
        _exiting.append(pid)
    reap_exited()


def reap_exited() -> None:
    """Reap the stopped workers that have exited by now; never blocks."""
    for pid in list(_exiting):
        try:
            done = os.waitpid(pid, os.WNOHANG)[0]
        except ChildProcessError:  # reaped elsewhere
            done = pid
        if done:
            _exiting.remove(pid)


class _Worker:
    """A forked copy of the network that computes half-batches on request."""

    def __init__(self, network: Network, X: np.ndarray, Y: np.ndarray, rows: int) -> None:
        params = [p for p, _ in network.parameters()]
        self.own_p = flat_span(params)
        self.rows = rows
        dtype = network.dtype
        self.p = _shared(self.own_p.shape, self.own_p.dtype)  # weights, parent -> worker
        self.g = _shared(self.own_p.shape, self.own_p.dtype)  # gradients, worker -> parent
        self.X = _shared((rows, *X.shape[1:]), X.dtype)
        self.Y = _shared((rows, *Y.shape[1:]), Y.dtype)
        self.out = _shared((rows, *Y.shape[1:]), dtype)
        self.loss = _shared((1,), np.float64)
        pid, cmd_w, done_r = fork_worker(
            lambda cmd_r, done_w: self._serve(network, cmd_r, done_w))
        self.pid, self.cmd_w, self.done_r = pid, cmd_w, done_r
        self._finalizer = weakref.finalize(self, _stop, pid, (cmd_w, done_r))

    def fits(self, X: np.ndarray, Y: np.ndarray, k: int) -> bool:
        return (k <= self.rows and X.shape[1:] == self.X.shape[1:] and X.dtype == self.X.dtype
                and Y.shape[1:] == self.Y.shape[1:] and Y.dtype == self.Y.dtype)

    # ------------------------------------------------------------------ the worker's side

    def _serve(self, network: Network, cmd_r: int, done_w: int) -> None:
        status = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
            blas = _threads._openblas()
            if blas:
                blas[1](1)  # one core each: the parent runs its half on the other
            # this process's copy of the network reads the shared weights and writes the
            # shared gradients (views with the same shapes and memory layouts)
            start = 0
            for layer in network.layers:
                ps, gs = layer.params(), layer.grads()
                for key in ps:
                    ps[key] = view_like(self.p, start, ps[key])
                    gs[key] = view_like(self.g, start, gs[key])
                    start += ps[key].size
            os.set_blocking(cmd_r, False)
            while True:
                msg = _read_exactly(cmd_r, _CMD.size)
                if len(msg) < _CMD.size:
                    break  # the parent closed the pipe (or is gone): done
                k, share = _CMD.unpack(msg)
                try:
                    value, out = network._gradients(self.X[:k], self.Y[:k], share=share)
                    if out.shape[1:] != self.out.shape[1:]:
                        raise NeuronalError(
                            f"the network's output rows have shape {out.shape[1:]} but the "
                            f"targets' have {self.out.shape[1:]}")
                    self.out[:k] = out
                    self.loss[0] = value
                    os.write(done_w, _OK)
                except Exception:
                    _report_failure(done_w)
        except BaseException:
            status = 1
        finally:
            os._exit(status)

    # ------------------------------------------------------------------ the parent's side

    def start(self, X: np.ndarray, Y: np.ndarray, share: float) -> None:
        k = len(X)
        self.p[...] = self.own_p  # this step's weights
        self.X[:k] = X
        self.Y[:k] = Y
        try:
            os.write(self.cmd_w, _CMD.pack(k, share))
        except BrokenPipeError:
            self._ended()

    def _ended(self, reply: bytes = b""):
        """Raise the worker's error; a worker that has ended (not one that reported a failed
        half and waits for the next) is closed first."""
        error = worker_error("computing the second half of each batch", reply, self.done_r)
        if reply != _FAILED:
            self.close()
        raise error

    def result(self) -> tuple[float, np.ndarray, np.ndarray]:
        """Wait for the half started last: (loss, output rows, flat gradients)."""
        reply = _read(self.done_r, 1)
        if reply == _OK:
            return float(self.loss[0]), self.out, self.g
        self._ended(reply)

    def close(self) -> None:
        self._finalizer()


class BatchSplitter:
    """Runs each training step as two half-batches on two cores (see the module docstring).

    Created by ``Network.fit`` for one epoch; the worker process is forked at the first step
    and ends with :meth:`close`.
    """

    def __init__(self, network: Network) -> None:
        self.network = network
        self._own_g = flat_span([g for _, g in network.parameters()])
        self._worker: _Worker | None = None

    @classmethod
    def for_network(cls, network: Network) -> BatchSplitter | None:
        """A splitter if splitting pays for ``network`` on this machine, else None."""
        layers = network.layers
        pairs = network.parameters() if layers else []
        if not (layers and all(getattr(layer, "independent_samples", False) for layer in layers)
                and any(getattr(layer, "splits_well", False) for layer in layers)
                and pairs and flat_span([p for p, _ in pairs]) is not None
                and flat_span([g for _, g in pairs]) is not None
                and can_fork() and _threads.spare_core()):
            return None
        return cls(network)

    def step(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward and backward of the batch (X, Y) in two halves; returns (loss, output).

        Leaves the whole batch's gradient in the network's gradient arrays, as
        ``Network.forward`` + ``Network.backward`` would.
        """
        m = len(X)
        h = (m + 1) // 2
        k = m - h
        worker = self._worker
        if worker is None or not worker.fits(X, Y, k):
            self.close()
            self._worker = worker = _Worker(self.network, X, Y, max(k, h))
        with _threads.single_threaded_blas():
            worker.start(X[h:], Y[h:], k / m)
            try:
                value_a, out_a = self.network._gradients(X[:h], Y[:h], share=h / m)
            except BaseException:  # wait for the worker all the same (its buffers are reused)
                try:
                    worker.result()
                except NeuronalError:
                    pass  # the first half's error is the one to report
                raise
            value_b, out_b, grads_b = worker.result()
        self._own_g += grads_b
        value = value_a * (h / m) + value_b * (k / m)
        return value, np.concatenate([out_a, out_b[:k]])

    def close(self) -> None:
        """End the worker process (if any); the splitter starts a new one if used again."""
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def __enter__(self) -> BatchSplitter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
