"""A fully connected network's first layer shared with a worker process, by input columns.

Most of an MLP's training step on MNIST is its first layer: the product X W^T of the batch
with the 784 x n weights, the weight gradient X^T delta, and the optimiser's update of those
weights. With one BLAS thread (``_threads.small_step``) the second core would be idle, so
``Network.fit`` forks a worker at the start of each epoch and splits the first layer by its
*input columns* (features): the worker owns features [0, S), the calling process the rest.

Each step, in the worker: gather columns [0, S) of the batch's rows, compute the partial
product P = X[:, :S] W[:, :S]^T, hand it over, gather the next batch's columns, and once the
first layer's delta arrives compute its rows of the weight gradient, X[:, :S]^T delta, and
the optimiser's update of those weights (``Optimizer.step(span=...)``). In the calling
process: gather columns [S, n), z = X[:, S:] W[:, S:]^T + P + b, then the rest of the network
forward and backward as usual, hand over the first layer's delta, then its own rows of the
weight gradient and the update of every other parameter. Each process reads and writes only
its own part of the first layer's weights, gradient and optimiser state; the worker's part is
copied back at the end of the epoch. Only P and delta cross between the cores each step (64
KB each for 784x128x10 at batch 128): when each core reads the weights the other just updated,
the forward product took 200 us instead of 120.

The two hand-overs go through counters in anonymous shared memory that the waiting side spins
on: a round trip takes about 1 us, against 20-30 us through a pipe (``_split``). The spinning
side yields the core every few hundred polls, and checks every few thousand that the other
process is still there. Spinning on plain shared memory relies on the processor making stores
visible in program order: it is used on x86-64 only.

The sum X W^T is taken in two parts, so the numbers equal the unsplit step's up to rounding
(the same on every run). Measured for 128 x 784 @ 784 x 128 in float32: the two-part sum
equals OpenBLAS's product on two threads exactly, and differs from its product on one thread
by up to 2e-5 (magnitudes up to 70). If the worker fails or is killed, ``fit`` raises a clear
error and puts the weights and optimiser state back to the start of the epoch.

Measured on our 2-core machine with ``fit`` on MNIST, the split switched on and off in one
process (alternating epochs, fastest / median s per epoch): 784x128x10 Adam batch 128 0.419 /
0.453 -> 0.256 / 0.274 (5 each), batch 32 0.945 / 0.982 -> 0.595 / 0.629 (3 each); 784x16x10
SGD batch 128 0.121 / 0.146 -> 0.108 / 0.126; at batch 32, where it is not used
(:data:`MIN_STEP_MACS`), it measured 0.162 / 0.172 -> 0.177 / 0.179.
"""

from __future__ import annotations

import os
import platform
import signal
import time
from typing import TYPE_CHECKING

import numpy as np

from ._split import _report_failure, _shared, _stop, can_fork, fork_worker, worker_error
from .errors import NeuronalError
from .layers import Dense
from .layers.base import backward_through, forward_through

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

#: The worker's share of the first layer's input columns.
WORKER_SHARE = 0.5
#: Used only for steps of at least this many forward multiply-adds: 784x16x10 at batch 32
#: (0.4 M) lost 9 % to the two hand-overs per step, at batch 128 (1.6 M) it gained 11 % ...
MIN_STEP_MACS = 1_000_000
#: ... and at most this many (each process then runs its products on one BLAS thread; far
#: bigger products are better on two threads each) ...
MAX_STEP_MACS = 64_000_000
#: ... and epochs of at least this many batches (forking costs a few milliseconds).
MIN_BATCHES = 16

# Counters in shared memory, one per event; each holds the number of the last step it reached.
_PART, _DELTA, _RETURNED, _STOP = _EVENTS = range(4)
_TASK = "computing the first layer's share"


def _spin(flags: np.ndarray, event: int, k: int, alive) -> bool:
    """Wait until ``flags[event] >= k``, polling; True once it is.

    Yields the core every 256 polls (in case both processes share one), asks ``alive()``
    every 4096 whether to go on (False: give up and return False; it may also raise), and
    after about a million polls (a slow callback between steps?) sleeps 0.1 ms per round.
    """
    n = 0
    while flags[event] < k:
        n += 1
        if n & 255 == 0:
            os.sched_yield()
            if n & 4095 == 0 and not alive():
                return False
            if n > 1 << 20:
                time.sleep(1e-4)
    return True


def usable(network: Network, X: np.ndarray, batch_size: int, macs: int | None) -> bool:
    """Whether ``fit`` can share ``network``'s first layer with a worker (given a free core).

    ``macs``: the step's forward multiply-adds (``Network._step_macs``), None if unknown.
    """
    layer = network.layers[0]
    if not (macs is not None and MIN_STEP_MACS <= macs <= MAX_STEP_MACS
            and can_fork() and platform.machine().lower() in ("x86_64", "amd64")
            and isinstance(layer, Dense) and X.ndim == 2 and layer.n_inputs >= 2
            and -(-len(X) // batch_size) >= MIN_BATCHES):
        return False
    W = layer._params["weight"]
    pairs = network._pairs
    network.optimizer._ensure_state(pairs)  # (creates the state the first step would create)
    # the first layer's weights must open the packed parameters (packed arrays lie back to
    # back in pair order), column-major: W^T's rows, one per input, then lie back to back,
    # and the worker's rows are the span [0, S * n_neurons)
    return network.optimizer._flat is not None and pairs[0][0] is W and W.flags.f_contiguous


class ColumnSplit:
    """One epoch of training with the first layer's input columns shared with a worker.

    ``batches()`` yields ``(start, idx, X_cols, Y_batch)`` like ``_feeder.batches``, where
    ``X_cols`` holds only this process's columns; ``step(X_cols, Y_batch)`` is the training
    step. After the last step, ``finish()`` copies the worker's part of the weights, gradients
    and optimiser state back; ``close()`` (also on error) ends the worker.

    The worker computes batch k's partial product as soon as it has updated its weights from
    batch k - 1, without waiting to be asked: by then the caller has used batch k - 1's.
    """

    def __init__(self, network: Network, X: np.ndarray, Y: np.ndarray, order: np.ndarray,
                 batch_size: int) -> None:
        self.network, self.X, self.Y, self.order = network, X, Y, order
        self.batch_size = batch_size
        layer = network.layers[0]
        n_in, n_out = layer.n_inputs, layer.n_neurons
        self.cols = cols = min(n_in - 1, max(1, round(n_in * WORKER_SHARE)))
        self.span = cols * n_out  # the worker's elements of the packed parameters: [0, span)
        m = min(batch_size, len(X))
        self.partial = _shared((m, n_out), X.dtype)  # X[:, :cols] W[:, :cols]^T, from the worker
        self.delta = _shared((m, n_out), X.dtype)  # dLoss/dz of the first layer, to the worker
        self.flags = _shared((len(_EVENTS),), np.int64)
        p, g, state = network.optimizer._flat
        self._own = [p, g] + [state[k] for k in network.optimizer.slots]
        self.returned = _shared((len(self._own), self.span), X.dtype)
        self.steps = 0
        self.n_steps = -(-len(X) // batch_size)
        self._Y_buf = np.empty((m, *Y.shape[1:]), Y.dtype)
        self.closed = self.finished = False
        self.pid, self._cmd_w, self._done_r = fork_worker(self._serve)

    # ------------------------------------------------------------------ the calling process

    def batches(self):
        X, Y, order, cols = self.X, self.Y, self.order, self.cols
        for start in range(0, len(X), self.batch_size):
            idx = order[start : start + self.batch_size]
            k = len(idx)
            yield (start, idx, X[idx, cols:],
                   np.take(Y, idx, axis=0, out=self._Y_buf[:k], mode="clip"))

    def step(self, X_cols: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        """One training step on this process's columns of a batch; returns (loss, output)."""
        net, flags = self.network, self.flags
        layer, rest = net.layers[0], net.layers[1:]
        self.steps = k = self.steps + 1
        m = len(X_cols)
        W, grads = layer._params["weight"], layer._grads
        cols = self.cols
        z = np.dot(X_cols, W.T[cols:])
        self._wait(_PART, k)
        z += self.partial[:m]
        if layer.use_bias:
            z += layer._params["bias"]
        layer.x, layer.z = None, z  # (the whole input lives in two processes)
        layer.a = a = layer.activation.value(z)
        out = forward_through(rest, a, True)
        value, grad, pre = net._loss_and_delta(out, Y)
        if rest:  # (then grad is dLoss/da of the first layer)
            grad, pre = backward_through(rest, grad, pre), False
        delta = self.delta[:m]
        if pre:
            np.copyto(delta, grad)
        else:
            np.copyto(delta, layer.activation.backward(z, a, grad))
        flags[_DELTA] = k
        np.dot(X_cols.T, delta, out=grads["weight"].T[cols:])
        if layer.use_bias:
            delta.sum(axis=0, out=grads["bias"])
        net.optimizer.step(net._pairs, span=slice(self.span, None))
        return value, out

    def _wait(self, event: int, k: int) -> None:
        """Wait until the worker's counter ``event`` reaches ``k``; raise if the worker ended."""
        _spin(self.flags, event, k, self._worker_alive)

    def _worker_alive(self) -> bool:
        try:
            ended = os.waitpid(self.pid, os.WNOHANG)[0]
        except ChildProcessError:
            ended = self.pid
        if ended:
            self.closed = True
            try:
                reply = os.read(self._done_r, 1)  # a failure report, or nothing
            except BlockingIOError:
                reply = b""
            raise worker_error(_TASK, reply, self._done_r)
        return True

    def finish(self) -> None:
        """After the epoch's last step: take back the worker's part of the numbers."""
        if self.steps != self.n_steps:
            raise NeuronalError(f"finish() after {self.steps} of {self.n_steps} steps")
        self._wait(_RETURNED, 1)  # the worker copies its part out after its last update
        for own, back in zip(self._own, self.returned):
            own[: self.span] = back
        self.finished = True

    def close(self) -> None:
        """End the worker (its part of the numbers is lost unless ``finish`` took it)."""
        if self.closed:
            return
        self.closed = True
        self.flags[_STOP] = 1
        _stop(self.pid, (self._cmd_w, self._done_r), wait=False)

    # ------------------------------------------------------------------ the worker

    def _serve(self, cmd_r: int, done_w: int) -> None:
        status = 0
        parent = os.getppid()
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
            os.close(cmd_r)
            try:
                self._work(parent)
            except Exception:
                _report_failure(done_w)
                status = 1
        except BaseException:
            status = 1
        finally:
            os._exit(status)

    def _work(self, parent: int) -> None:
        net, flags, X, order, bs = self.network, self.flags, self.X, self.order, self.batch_size
        layer = net.layers[0]
        cols, span = self.cols, slice(0, self.span)
        WT, GT = layer._params["weight"].T[:cols], layer._grads["weight"].T[:cols]

        def go_on() -> bool:  # False: the parent said stop, or went away
            return not flags[_STOP] and os.getppid() == parent

        x_next = X[order[:bs], :cols]
        for k in range(1, self.n_steps + 1):
            x = x_next
            m = len(x)
            np.dot(x, WT, out=self.partial[:m])
            flags[_PART] = k
            if k < self.n_steps:
                x_next = X[order[k * bs : (k + 1) * bs], :cols]
            if not _spin(flags, _DELTA, k, go_on):
                return
            np.dot(x.T, self.delta[:m], out=GT)
            net.optimizer.step(net._pairs, span=span)
        for own, back in zip(self._own, self.returned):
            back[...] = own[span]
        flags[_RETURNED] = 1
