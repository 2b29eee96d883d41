"""Training: the fit loop, its history and its progress display.

The lesson, in code (:func:`run_epoch`): shuffle the samples, cut them into mini-batches, and
for each one take a step (forward propagation, the loss against the annotated answer,
backpropagation, one optimiser update), keeping count of the loss and of the right answers.
:func:`fit` repeats epochs, evaluates validation data, prints a line per epoch and calls the
callbacks (early stopping, checkpoints: ``callbacks.py``).

*How* an epoch's batches are drawn and its steps executed is the job of an epoch runner:
:class:`PlainRunner` below does it the plain way; the engine's runner
(``neuronal.engine``), which ``fit`` uses by default, does the same faster (``seams.py``).
"""

from __future__ import annotations

import math
import os
import time
import warnings
from typing import TYPE_CHECKING

import numpy as np

from . import _inputs, seams
from ._data import as_sample_weights, check_batch_size
from ._inputs import count_correct
from .callbacks import Callback, Checkpoint, EarlyStopping, as_callbacks
from .errors import (
    DataError,
    NeuronalError,
    NotDifferentiableError,
    TrainingDivergedError,
    UnscaledInputWarning,
    user_stacklevel,
)
from .history import History, Progress, format_logs

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

__all__ = ["fit", "run_epoch", "PlainRunner", "History", "Callback", "EarlyStopping",
           "Checkpoint"]

#: A step whose loss exceeds the first step's by this factor stops training (divergence).
DIVERGENCE_FACTOR = 1e6


def fit(network: Network, X, y, epochs: int = 1, batch_size: int = 32, validation_data=None,
        shuffle: bool = True, verbose: int = 1, callbacks=None, checkpoint=None,
        resume: bool = False, workers: int | None = None, validation_split: float = 0.0,
        sample_weight=None, comm=None) -> History:
    """Train by mini-batch gradient descent; a second call continues from the current weights.

    Parameters
    ----------
    X : array_like (n_samples, ...)
    y : array_like
        Integer class labels or one-hot rows (classification), or target values.
    epochs : int
        Passes over the training data.
    batch_size : int
        Samples per gradient step (the last batch may be smaller).
    validation_data : (X_val, y_val), optional
        Evaluated after every epoch (``val_loss``, ``val_accuracy``).
    shuffle : bool
        Draw a new random order of the samples each epoch.
    verbose : int
        0 silent; 1 one line per epoch, and a progress bar in a terminal or a notebook.
    callbacks : list of Callback
        E.g. ``[EarlyStopping(patience=3)]``.
    checkpoint : str or Path, optional
        After every epoch, save weights, optimiser state, random-generator state and the
        epoch count to this file (atomically).
    resume : bool
        With ``checkpoint``: if the file exists, restore it first and run only the epochs
        still missing to reach ``epochs`` in total, so an interrupted and resumed run ends
        with the same weights as an uninterrupted one.
    workers : int, optional
        ``2`` shares every mini-batch with a worker process on a second core (networks
        whose layers treat samples independently: not BatchNorm or Dropout); the worker
        takes no part while it would slow training down. Default: one process.
    validation_split : float, optional
        Hold out this fraction of the samples (the last ones, before shuffling) as
        validation data.
    sample_weight : array_like (n_samples,), optional
        How much each sample counts: each mini-batch's loss is the weighted mean of its
        samples' losses (a weight of 2 counts a sample as if it were there twice).
    comm : "mpi" or a communicator, optional
        Train data-parallel with the ranks of an MPI job (``mpiexec -n 4 python train.py``),
        each computing its share of every mini-batch, as one process would: ``"mpi"`` (the
        same arrays on every rank) or ``neuronal.distributed.MPIComm(sharded=True)`` (a shard
        per rank). Rank 0 prints, checkpoints and resumes (see ``neuronal.distributed``).

    Returns
    -------
    History
        ``history.history["loss"]`` etc., one value per epoch (this call's epochs).

    Notes
    -----
    On error (Ctrl-C, divergence, a failed worker) the network is put back as it was after
    its last completed epoch (weights, optimiser state, random generator), the state a
    checkpoint holds, and the error is raised. How each epoch runs is the engine's choice
    (``neuronal.seams``); ``NEURONAL_ENGINE=plain`` runs the plain loop of
    ``training.py``, with the same results up to rounding.
    """
    with seams.processes(comm) as comm:  # None: this process alone
        return _fit(network, X, y, epochs, batch_size, validation_data, shuffle, verbose,
                    callbacks, checkpoint, resume, workers, validation_split, sample_weight,
                    comm)


def _fit(network, X, y, epochs, batch_size, validation_data, shuffle, verbose, callbacks,
         checkpoint, resume, workers, validation_split, sample_weight, comm) -> History:
    lead = comm is None or comm.rank == 0  # the rank that prints, checkpoints and resumes
    batch_size = check_batch_size(batch_size)
    if isinstance(verbose, bool) or not isinstance(verbose, (int, np.integer)):
        raise NeuronalError(f"verbose must be 0 (silent) or 1 (a line per epoch), got "
                            f"{verbose!r}")
    verbose = verbose if lead else 0
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise NeuronalError(f"epochs must be an integer >= 0, got {epochs!r}")
    callbacks = as_callbacks(callbacks)
    if resume and checkpoint is None:
        raise NeuronalError("resume=True needs checkpoint='path/to/run.ckpt'")
    check_trainable(network)
    X, Y = network._prepare(X, y)[:2]
    weights = as_sample_weights(sample_weight, len(X), X.dtype)
    validation = _validation(network, X, Y, validation_data, validation_split)
    if validation_split:
        n = len(X) - len(validation[0])
        X, Y, weights = X[:n], Y[:n], None if weights is None else weights[:n]
    network.sample_shape = tuple(int(s) for s in X.shape[1:])
    if lead:  # (one warning per MPI job)
        _warn_if_unscaled(network, X)
    if checkpoint is not None and lead:
        callbacks.insert(0, Checkpoint(checkpoint))  # saved before other callbacks run
        if resume and os.path.exists(checkpoint):
            from .io import load_checkpoint

            load_checkpoint(network, checkpoint)
            epochs = max(0, epochs - network.epochs_trained)
    epochs = seams.epochs_from_rank_0(comm, network, epochs, validation is not None)
    check_finite_weights(network, "before training")
    first, last = network.epochs_trained, network.epochs_trained + int(epochs)
    history = History()
    watch = _DivergenceWatch(network, X, Y)
    network.stop_training = False
    # No floating-point warnings: a NaN or infinity that reaches the loss or the weights is
    # reported by one clear error instead (TrainingDivergedError).
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), \
            seams.epoch_runner(network, X, Y, batch_size, shuffle, watch, workers,
                               weights, comm) as runner:
        for cb in callbacks:
            cb.on_train_begin(network)
        for epoch in range(first, last):
            logs = _epoch(network, runner, epoch, last, validation, verbose, watch)
            history.append(epoch, logs)
            network.history.append(epoch, logs)
            for cb in callbacks:
                cb.on_epoch_end(network, epoch, logs)
            if network.stop_training:
                break
    for cb in callbacks:
        cb.on_train_end(network)
    return history


def run_epoch(network: Network, runner, progress) -> dict[str, float]:
    """One pass over the training data, mini-batch by mini-batch: the loop of the lesson."""
    total_loss, correct, seen = 0.0, 0.0, 0
    for X_batch, Y_batch in runner.batches():  # shuffled mini-batches
        loss, out = runner.step(X_batch, Y_batch)  # forward, loss, backward, update
        total_loss += loss * len(X_batch)
        correct += count_correct(network, out, Y_batch)
        seen += len(X_batch)
        progress.update(len(X_batch), loss)
    total_loss, correct, seen = runner.totals(total_loss, correct, seen)  # (over processes)
    logs = {"loss": total_loss / seen}
    if network.is_classifier:
        logs["accuracy"] = correct / seen
    return logs


def _epoch(network: Network, runner, epoch: int, last: int, validation, verbose: int,
           watch) -> dict[str, float]:
    """One epoch with its bookkeeping; on any error the network is put back as it was at
    the start of the epoch (weights, optimiser state and random generator) and the error
    re-raised: after Ctrl-C, a failed worker or divergence, the network is exactly as after
    its last completed epoch, the state a checkpoint holds."""
    start = snapshot(network)
    t0 = time.perf_counter()
    network.optimizer.set_epoch(epoch)
    progress = Progress(verbose, epoch, last, runner.n_samples)
    try:
        logs = run_epoch(network, runner, progress)
        check_finite_weights(network, f"after epoch {epoch + 1}")
    except BaseException as exc:
        restore(network, start)
        if isinstance(exc, _Diverged):
            raise TrainingDivergedError(watch.message(exc, epoch)) from None
        raise
    finally:
        progress.close()
    if validation is not None:
        logs.update({f"val_{k}": v for k, v in runner.evaluate(*validation).items()})
    logs["learning_rate"] = network.optimizer.learning_rate
    network.epochs_trained += 1
    if verbose >= 1:
        print(format_logs(epoch, last, time.perf_counter() - t0, logs), flush=True)
    return logs


#: fit warns when the inputs exceed this in magnitude before a sigmoid or tanh layer.
UNSCALED = 10.0
#: ... looking at about this many rows spread over the data (a whole pass costs every fit).
UNSCALED_ROWS = 1024


def _warn_if_unscaled(network: Network, X) -> None:
    """Warn (once per place in the code) when inputs this large would saturate the first
    sigmoid/tanh layer: z = w.x + b is then huge, its gradient ~0, and training stalls."""
    first = next((layer for layer in network.layers if getattr(layer, "activation", None)
                  is not None), None)
    if first is None or first.activation.name not in ("sigmoid", "tanh"):
        return
    if type(network.layers[0]).__name__ == "Normalize":
        return
    rows = X[:: max(1, len(X) // UNSCALED_ROWS)]  # a spread of rows: enough to see the scale
    biggest = max(float(rows.max()), -float(rows.min())) if rows.size else 0.0
    if biggest > UNSCALED:
        warnings.warn(
            f"the inputs look unscaled (max |X| = {biggest:g}) for a {first.activation.name} "
            f"first layer: its neurons will saturate and learn slowly. Scale the features to "
            f"about [0, 1] or mean 0 and variance 1 (e.g. X / 255 for pixels), or put a "
            f"Normalize layer first (nl.Normalize().adapt(X))", UnscaledInputWarning,
            stacklevel=user_stacklevel())


def _validation(network: Network, X, Y, validation_data, validation_split):
    """Prepared (X_val, Y_val) from ``validation_data`` or the last rows of X (a fraction)."""
    if validation_split:
        if validation_data is not None:
            raise NeuronalError("give validation_data or validation_split, not both")
        if not (isinstance(validation_split, (int, float)) and 0 < validation_split < 1):
            raise NeuronalError(f"validation_split must be a fraction in (0, 1), got "
                                f"{validation_split!r}")
        n_val = int(round(len(X) * validation_split))
        if not 0 < n_val < len(X):
            raise DataError(f"validation_split={validation_split} of {len(X)} samples leaves "
                            f"{n_val} for validation and {len(X) - n_val} for training")
        return X[len(X) - n_val :], Y[len(X) - n_val :]
    if validation_data is None:
        return None
    if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
        raise NeuronalError("validation_data must be a pair (X_val, y_val)")
    return network._prepare(*validation_data, what="validation ")[:2]


def check_trainable(network: Network) -> None:
    """Refuse to train through an activation without a useful derivative (the binary step)."""
    for i, layer in enumerate(network.layers):
        act = getattr(layer, "activation", None)
        if act is not None and not act.differentiable:
            raise NotDifferentiableError(
                f"layer {i} {layer.describe()} uses the binary step, whose derivative is 0 "
                f"everywhere except at 0 (where it has none), so backpropagation cannot "
                f"train it: use nl.Perceptron for the perceptron learning rule, or "
                f"activation='sigmoid' to train by gradient descent"
            )


def snapshot(network: Network) -> tuple:
    """Weights, optimiser state and random-generator state, copied (see :func:`restore`)."""
    opt = network.optimizer
    return (network.get_weights(), {k: v.copy() for k, v in opt.state_dict().items()},
            network.rng.bit_generator.state)

def restore(network: Network, snapshot: tuple) -> None:
    weights, opt_state, rng_state = snapshot
    network.set_weights(weights)
    network.optimizer.load_state_dict(opt_state, network.parameters())
    network.rng.bit_generator.state = rng_state

def check_finite_weights(network: Network, when: str) -> None:
    for i, layer in enumerate(network.layers):
        for name, p in layer.params().items():
            if not np.isfinite(p).all():
                raise TrainingDivergedError(
                    f"the weights are not finite {when}: layer {i} {layer.describe()} "
                    f"holds NaN or infinite values in {name!r}. Re-create or re-load the "
                    f"network (a previous run diverged, or the weights were set by hand)")


class PlainRunner:
    """Runs the epochs of ``fit`` the plain way: the reference for every engine runner.

    The interface every epoch runner has:

    * ``with runner:`` brackets the whole of ``fit``; on leaving, the network's weights and
      optimiser state are consistent and nothing the runner started is left running;
    * ``batches()`` yields one epoch of ``(X_batch, Y_batch)``, shuffled if asked (with
      sample weights, ``batch_weights`` holds the current batch's);
    * ``step(X_batch, Y_batch)`` trains on one mini-batch and returns ``(loss, output)``;
    * ``totals(loss, correct, seen)`` adds up an epoch's counts over all the processes that
      shared it (here, one); ``evaluate(X_val, Y_val)``, the validation metrics likewise;
    * ``n_samples``: the samples of one epoch.
    """

    def __init__(self, network: Network, X, Y, batch_size: int, shuffle: bool, watch,
                 weights=None) -> None:
        self.network, self.X, self.Y, self.weights = network, X, Y, weights
        self.batch_size, self.shuffle, self.watch = batch_size, shuffle, watch
        self.n_samples = len(X)
        self.batch_weights = None  # the current batch's sample weights, if any

    def __enter__(self) -> PlainRunner:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def batches(self):
        n = len(self.X)
        order = self.network.rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            rows = order[start : start + self.batch_size]
            if self.weights is not None:
                self.batch_weights = self.weights[rows]
            yield self.X[rows], self.Y[rows]

    def step(self, X_batch, Y_batch):
        net = self.network
        out = net.forward(X_batch, training=True)  # forward propagation
        loss, delta, pre = net.loss_and_delta(out, Y_batch, self.batch_weights)  # dL/dout
        net.backward(delta, pre)  # backpropagation: every parameter's gradient
        net.optimizer.step(net.parameters(), net.decay_flags())  # nudge every parameter
        self.watch(loss)  # stop if the loss blows up
        return loss, out

    def totals(self, loss, correct, seen):
        return loss, correct, seen

    def evaluate(self, X, Y):
        return _inputs.evaluate(self.network, X, Y)


class _Diverged(Exception):
    """Raised inside an epoch by :class:`_DivergenceWatch`; fit turns it into a clear error."""

    def __init__(self, loss: float, step: int) -> None:
        super().__init__(loss, step)
        self.loss, self.step = loss, step


class _DivergenceWatch:
    """Stops training when a step's loss is NaN, infinite, or DIVERGENCE_FACTOR times the
    first step's loss (an explosion that would otherwise end "ok" with a loss of 1e30)."""

    def __init__(self, network: Network, X, Y) -> None:
        self.network, self.X, self.Y = network, X, Y
        self.first: float | None = None
        self.steps = 0

    def __call__(self, loss: float) -> None:
        self.steps += 1
        if self.first is None and math.isfinite(loss):
            self.first = max(abs(loss), 1e-3)
        if not math.isfinite(loss) or abs(loss) > DIVERGENCE_FACTOR * (self.first or 1.0):
            raise _Diverged(loss, self.steps)

    def message(self, exc: _Diverged, epoch: int) -> str:
        scale = float(np.max(np.abs(self.X)))
        lr = self.network.optimizer.learning_rate
        what = (f"became {exc.loss}" if not math.isfinite(exc.loss) else
                f"became {exc.loss:.4g}, over {DIVERGENCE_FACTOR:g} times the first step's "
                f"{self.first:.4g},")
        causes = [f"the learning rate ({lr:g}) is too high: try 10x smaller"]
        if scale > 10:
            causes.append(f"inputs are unscaled (max |X| = {scale:g}): scale them to about "
                          f"[0, 1] (or put a Normalize layer first)")
        return (f"training stopped: the loss {what} at epoch {epoch + 1}, step {exc.step} of "
                f"this fit. Likely cause: {'; or '.join(causes)}. The weights, optimiser "
                f"state and random generator were restored to the start of epoch {epoch + 1} "
                f"(they were finite).")
