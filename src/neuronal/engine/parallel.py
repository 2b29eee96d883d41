"""Data-parallel training: each process takes a share of every mini-batch.

Written once against a communicator (``comm.py``): at the start of each epoch rank 0 sends
every rank the weights, the optimiser state and the order of the samples (so they start
equal whatever callbacks did in between); then, for each mini-batch of B rows, rank r takes
its share of the rows, computes the gradient of its share's loss scaled by its share of the
batch, the ranks add their gradients (one ``allreduce`` of all gradients, packed in one
array, with the share's loss in the last element), and every rank takes the same optimiser
step. The sum of the shares' gradients is the whole batch's gradient up to rounding, so N
processes with batch size B follow the trajectory of one process with batch size B.

Only networks whose layers treat each sample on its own can be split this way
(``Layer.independent_samples``: not BatchNorm, whose statistics span the batch). Dropout
takes part: rank 0's random generator reaches every rank with the epoch, and each rank draws
the whole batch's mask and keeps its own rows (``Dropout.batch_rows``), as one process would.

:class:`PairRunner` is the runner of ``fit(workers=2)``: rank 0 of a :class:`~.pair.LocalPair`.
It watches how long it waits for the worker; when the worker is slower than rank 0 working
alone would be (it is waiting for a core: another job runs on the machine), rank 0 takes
the rest of the epoch alone, computing the worker's share itself with the same arithmetic
(both processes run their products on one BLAS thread), so the numbers are the same either
way, and tries again at the next epoch.
"""

from __future__ import annotations

import contextlib
import json
import time

import numpy as np

from .. import _inputs
from ..errors import NeuronalError
from . import flat, malloc, threads
from .comm import Communicator
from .pair import LocalPair
from .runner import gather

__all__ = ["DataParallelRunner", "PairRunner", "check_splittable"]

#: Steps over which PairRunner compares its waits with its own work.
WINDOW = 8
#: ... and backs off when it waited more than this share of its own work: the pair's step
#: (own work + wait) then approaches what rank 0 alone takes (twice its own work).
SLOW = 0.6
#: Room for the random generator's state (JSON) when rank 0 sends it.
RNG_BYTES = 1024


def check_splittable(network) -> None:
    """Raise a clear error unless ``network`` can be trained data-parallel."""
    bad = [f"layer {i} {layer.describe()}" for i, layer in enumerate(network.layers)
           if not getattr(layer, "independent_samples", False)]
    if bad:
        raise NeuronalError(
            f"data-parallel training needs layers that treat each sample on its own; "
            f"{', '.join(bad)} do(es) not (BatchNorm mixes the batch, Dropout draws from one "
            f"random stream): train in one process (workers=None)")
    if not flat.pack(network):
        raise NeuronalError("data-parallel training needs the network's parameters in one "
                            "array (float32 or float64 throughout)")


class DataParallelRunner:
    """The epochs of ``fit`` shared by the ranks of ``comm`` (see the module docstring)."""

    def __init__(self, network, X, Y, batch_size: int, shuffle: bool, watch,
                 comm: Communicator, weights=None) -> None:
        check_splittable(network)
        self.network, self.X, self.Y, self.comm = network, X, Y, comm
        self.weights = weights
        self.batch_size, self.shuffle, self.watch = batch_size, shuffle, watch
        self.n_samples = len(X)
        pairs = network.parameters()
        self.fused = flat.FusedStep(network.optimizer, pairs, network.decay_flags())
        p = self.fused.p
        self.buffer = np.empty(p.size + 1, dtype=p.dtype)  # gradients and the share's loss
        self.order = np.arange(len(X))
        m = min(batch_size, len(X))
        self._X_buf = np.empty((m, *X.shape[1:]), X.dtype)
        self._Y_buf = np.empty((m, *Y.shape[1:]), Y.dtype)
        self._rows = self.order[:0]
        self._stack = contextlib.ExitStack()
        # layers that draw random numbers per sample (Dropout): told their rows of each batch
        self._drawing = [layer for layer in network.layers if hasattr(layer, "batch_rows")]

    def __enter__(self):
        malloc.keep_freed_memory()
        # each process's products on one BLAS thread: the machine's cores are shared out by
        # processes, and every rank then rounds a product the same way
        self._stack.enter_context(threads.one_blas_thread())
        return self

    def __exit__(self, *exc) -> None:
        for layer in self._drawing:
            layer.batch_rows = None
        self._stack.close()

    # ------------------------------------------------------------------ epochs

    def begin_epoch(self, go: bool = True, start_step: int = 0, draw: bool = True
                    ) -> int | None:
        """Collective: rank 0's weights, optimiser state, step count, learning rate, order of
        the samples and random-generator state reach every rank, for an epoch that the ranks
        share from mini-batch ``start_step`` on (rank 0 draws the epoch's order first unless
        ``draw`` is False). Returns the step to start from, or None when rank 0 says training
        is over."""
        net, opt, comm = self.network, self.network.optimizer, self.comm
        if comm.rank == 0 and go and draw:
            self.order = self.draw_order()
        header = np.array([float(go), opt.learning_rate, opt.iterations, start_step],
                          dtype=np.float64)
        comm.broadcast(header)
        if not header[0]:
            return None
        opt.learning_rate, opt.iterations = float(header[1]), int(header[2])
        comm.broadcast(self.fused.p)
        for slot in opt.slots:
            comm.broadcast(self.fused.state[slot])
        comm.broadcast(self.order)
        state = np.frombuffer(json.dumps(net.rng.bit_generator.state).encode().ljust(
            RNG_BYTES), dtype=np.uint8).copy()
        comm.broadcast(state)  # the same random stream (Dropout masks) on every rank
        net.rng.bit_generator.state = json.loads(state.tobytes().decode().rstrip())
        return int(header[3])

    def draw_order(self) -> np.ndarray:
        """The order of the samples for an epoch (rank 0's random generator)."""
        n = self.n_samples
        return self.network.rng.permutation(n) if self.shuffle else np.arange(n)

    def batches(self):
        """This rank's share of every mini-batch of the epoch, as ``(X_part, Y_part)``."""
        self.begin_epoch()
        yield from self.epoch_batches()

    def epoch_batches(self, start_step: int = 0):
        n, bs = self.n_samples, self.batch_size
        for start in range(start_step * bs, n, bs):
            self._rows = self.order[start : start + bs]
            yield gather(self.X, self.Y, self.share(self._rows, self.comm.rank),
                         self._X_buf, self._Y_buf)

    def share(self, rows: np.ndarray, rank: int) -> np.ndarray:
        """The rows of a batch that ``rank`` takes (contiguous, sizes differing by <= 1)."""
        size = self.comm.size
        return rows[rank * len(rows) // size : (rank + 1) * len(rows) // size]

    def step(self, X_part, Y_part):
        loss, out, share = self.gradients(X_part, Y_part, self.comm.rank)
        self.reduce(loss * share)
        self.fused.step()
        self.watch(self.loss)
        return self.loss, out

    def gradients(self, X_part, Y_part, rank: int):
        """The gradient of ``rank``'s part of the batch, scaled by the part's share of the
        batch (of its rows, or of its sample weight); returns (loss, output, share)."""
        part_rows = self.share(self._rows, rank)
        first = rank * len(self._rows) // self.comm.size
        for layer in self._drawing:
            layer.batch_rows = (first, len(self._rows))
        weights = None
        if self.weights is None:
            share = len(part_rows) / len(self._rows)
        else:
            weights = self.weights[part_rows]
            share = float(weights.sum() / self.batch_weight())
        if len(X_part) == 0 or share == 0:
            self.fused.g[...] = 0
            return 0.0, np.empty((0, *self.Y.shape[1:]), self.Y.dtype)[: len(X_part)], 0.0
        loss, out = self.network._gradients(X_part, Y_part, share=share, weights=weights)
        return loss, out, share

    def batch_weight(self) -> float:
        """The sum of the sample weights of the whole current batch (all ranks' rows)."""
        return self.weights[self._rows].sum()

    def reduce(self, weighted_loss: float) -> None:
        """Add up the ranks' gradients (and weighted losses) in place."""
        buf, g = self.buffer, self.fused.g
        buf[:-1] = g
        buf[-1] = weighted_loss
        self.comm.allreduce(buf)
        g[...] = buf[:-1]
        self.loss = float(buf[-1])

    def totals(self, loss, correct, seen):
        sums = np.array([loss, correct, seen], dtype=np.float64)
        self.comm.allreduce(sums)
        return float(sums[0]), float(sums[1]), int(sums[2])

    def evaluate(self, X, Y) -> dict[str, float]:
        """Validation metrics of prepared (X, Y), computed here (rank 0 of the pair)."""
        return _inputs.evaluate(self.network, X, Y)


class PairRunner(DataParallelRunner):
    """``fit(workers=2)``: rank 0 of a worker pair (see the module docstring).

    Asked for explicitly (``wait=True``: ``fit(workers=2)``), rank 0 waits for the worker to
    start before the first batch. Chosen by the engine, rank 0 never waits: it trains alone
    until the worker says it is ready, then hands it its share from the next mini-batch on.
    It goes on alone for the rest of an epoch when the worker waits for a core. Either way
    the numbers are those of the pair.
    """

    def __init__(self, network, X, Y, batch_size, shuffle, watch, workers: int,
                 weights=None, wait: bool = True) -> None:
        if workers != 2:
            raise NeuronalError(f"workers must be 1 or 2 (this machine's processes share "
                                f"each batch in pairs), got {workers}")
        check_splittable(network)
        self._args = (network, X, Y, batch_size, shuffle, watch, weights)
        self.wait = wait
        self.alone = True  # rank 0 takes the current batch by itself
        self.joined = False  # the worker has started and taken part
        self.shared_epoch = False  # the worker took part in the current epoch
        self.back_offs = 0  # how many epochs rank 0 finished alone (for the curious)
        self._own: list[float] = []
        self._waits: list[float] = []

    def __enter__(self):
        network, X, Y, batch_size, shuffle, watch, weights = self._args
        params = flat.flat_span([p for p, _ in network.parameters()])
        area = max(X.shape[0] * 8, (params.size + 1) * params.itemsize, RNG_BYTES)
        setup = {"config": network.get_config(), "batch_size": batch_size,
                 "shuffle": bool(shuffle)}
        data = {"X": X, "Y": Y} if weights is None else {"X": X, "Y": Y, "W": weights}
        comm, shared = LocalPair.start(data, area, setup)
        try:
            super().__init__(network, shared["X"], shared["Y"], batch_size, shuffle, watch,
                             comm, shared.get("W"))
            return super().__enter__()
        except BaseException:
            comm.close(kill=True)
            raise

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None and self.joined:
                self.begin_epoch(go=False)  # tells the worker to finish
        finally:
            self.comm.close(kill=not self.joined)
            super().__exit__(*exc)

    def batches(self):
        if self.wait and not self.joined:
            self.comm.wait_hello()
            self.joined = True
        self.shared_epoch = self._worker_ready()
        if self.shared_epoch:
            self.begin_epoch()
        else:
            self.order = self.draw_order()  # the draw begin_epoch makes
        yield from self.epoch_batches()

    def epoch_batches(self, start_step: int = 0):
        self.alone, self._own, self._waits = not self.shared_epoch, [], []
        backed_off = False
        n, bs = self.n_samples, self.batch_size
        for step, start in enumerate(range(0, n, bs)):
            self._rows = rows = self.order[start : start + bs]
            if not self.alone and self._worker_is_slow():
                self.comm.abort_epoch()
                self.alone = backed_off = True
                self.back_offs += 1
            elif self.alone and not backed_off and not self.joined and self._worker_ready():
                self.begin_epoch(start_step=step, draw=False)  # the worker joins from here on
                self.alone, self.shared_epoch = False, True
            mine = rows if self.alone else self.share(rows, 0)
            yield gather(self.X, self.Y, mine, self._X_buf, self._Y_buf)

    def _worker_ready(self) -> bool:
        """Whether the worker has started (it says so once; this never waits for it)."""
        if not self.joined and self.comm.ready():
            self.joined = True
        return self.joined

    def totals(self, loss, correct, seen):
        if self.shared_epoch:
            return super().totals(loss, correct, seen)
        return loss, correct, seen

    def step(self, X_part, Y_part):
        if not self.alone:
            t0 = time.perf_counter()
            loss, out, share = self.gradients(X_part, Y_part, 0)
            self._own.append(time.perf_counter() - t0)
            self.reduce(loss * share)
            self._waits.append(self.comm.wait_seconds)
        else:  # both shares here, added in rank order: the numbers of the pair
            h = len(self.share(self._rows, 0))
            second = self.buffer[:-1]
            rng = self.network.rng.bit_generator
            before = rng.state  # both parts draw the batch's masks from the same point
            loss1, out1, share1 = self.gradients(X_part[h:], Y_part[h:], 1)
            second[...] = self.fused.g
            rng.state = before
            loss0, out0, share0 = self.gradients(X_part[:h], Y_part[:h], 0)
            g = self.fused.g
            np.add(g, second, out=g)
            weighted = np.array([loss0 * share0, loss1 * share1], dtype=g.dtype)
            self.loss = float(weighted[0] + weighted[1])  # as the allreduce adds them
            out = np.concatenate([out0, out1])
        self.fused.step()
        self.watch(self.loss)
        return self.loss, out

    def _worker_is_slow(self) -> bool:
        """Whether over the last WINDOW steps rank 0 waited for the worker more than SLOW
        times its own work: then the pair's steps come close to what rank 0 doing both
        shares would take, and the worker is waiting for a core."""
        if len(self._own) < WINDOW:
            return False
        own, waits = sum(self._own[-WINDOW:]), sum(self._waits[-WINDOW:])
        return waits > SLOW * own
