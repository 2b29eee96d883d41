"""The network: layers run in order (forward propagation) and in reverse (backpropagation).

A network is named by its shape: ``784x16x10`` has 784 inputs (inputs are not neurons), 16
hidden neurons and 10 output neurons, so 26 neurons and 784*16 + 16*10 = 12,704 weights.

Training repeats, for every mini-batch: forward pass, loss against the annotated answer,
backward pass (each layer turns dLoss/doutput into dLoss/dparameters and dLoss/dinput), and one
optimiser step that nudges every parameter against its gradient.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import time
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import _columns, _feeder, _malloc, _split, _threads
from . import losses as _losses
from . import optimizers as _optimizers
from ._data import as_inputs, as_targets, check_batch_size, check_finite
from ._flat import flat_span, is_dense, offsets, view_like
from .errors import (
    DataError,
    NeuronalError,
    NotDifferentiableError,
    ShapeError,
    TrainingDivergedError,
)
from .layers.activation import Activation
from .layers.base import Layer, backward_through, forward_through, shape_matches
from .layers.dense import Dense
from .layers.dropout import Dropout
from .training import Callback, History, Progress, format_logs

__all__ = ["Network"]

# Layers that neither add neurons nor change the width, so a Dense chain keeps its "AxBxC" name.
_SHAPELESS = (Dropout, Activation)
_PREDICT_CHUNK = 4096  # at most this many rows per forward pass in predict/evaluate
_CHUNK_NUMBERS = 1 << 18  # and about this many numbers per row-sized array (see _chunk_rows)


def _np_dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise NeuronalError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return dt


class Network:
    """A sequential neural network.

    Parameters
    ----------
    layers : sequence of Layer
        Applied in order. Consecutive sizes must match (checked here).
    loss : str or Loss, optional
        ``"cross_entropy"`` (softmax output), ``"binary_cross_entropy"`` (sigmoid output),
        ``"mse"`` or ``"mae"``. Default: cross-entropy after a softmax output, else mse.
    optimizer : str or Optimizer, default SGD(learning_rate=0.01)
    seed : int, optional
        Seeds the one ``numpy.random.Generator`` behind initial weights, shuffling and dropout:
        the same seed gives bit-identical weights and loss history.
    dtype : "float32" (default) or "float64"

    Attributes
    ----------
    layers : list of Layer
    n_neurons, n_weights, n_params : int
        Neurons (inputs are not neurons), connection weights, all trainable numbers.
    shape : str
        ``"784x16x10"`` for a chain of Dense layers.

    Examples
    --------
    >>> net = Network.from_shape("4x3x1", hidden="sigmoid", output="sigmoid", seed=0)
    >>> net.n_neurons, net.n_weights, net.n_params
    (4, 15, 19)
    """

    #: During fit, the BatchSplitter that runs each step on two cores (None: one core).
    _splitter: _split.BatchSplitter | None = None

    def __init__(self, layers: Sequence[Layer], loss=None, optimizer=None, seed: int | None = None,
                 dtype="float32", name: str | None = None) -> None:
        layers = list(layers)
        if not layers:
            raise NeuronalError("a Network needs at least one layer, got an empty list")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise NeuronalError(
                    f"layer {i} must be a neuronal Layer (Dense, Dropout, ...), "
                    f"got {type(layer).__name__}"
                )
        self.layers = layers
        self.name = name
        self.seed = seed
        self.dtype = _np_dtype(dtype)
        self.rng = np.random.default_rng(seed)
        for layer in layers:
            layer.build(self.rng, self.dtype)
            layer.rng = self.rng  # one generator for init, shuffling and dropout
            layer.needs_input_grad = True
        layers[0].needs_input_grad = False  # nobody needs dLoss/dX: skip that product
        self._check_chain()
        last = self._output_activation()
        if loss is None:
            loss = "cross_entropy" if last is not None and last.name == "softmax" else "mse"
        self.loss = _losses.get(loss)
        self.optimizer = _optimizers.get(optimizer if optimizer is not None else "sgd")
        fused = self.loss.fused_with
        if fused is not None and (last is None or last.name != fused):
            raise NeuronalError(
                f"loss {self.loss.name!r} needs a {fused} output layer, but the last layer's "
                f"activation is {last.name if last else 'none'!r}: use activation={fused!r} on the "
                f"last layer, or loss='mse' for regression"
            )
        self.stop_training = False
        self.history = History()
        self.epochs_trained = 0
        #: Shape of one training sample (no batch axis), remembered by ``fit`` for ``summary``.
        self.sample_shape: tuple | None = None
        self._pack_parameters()
        self._pairs = self.parameters()

    # ------------------------------------------------------------------ construction helpers

    @classmethod
    def from_shape(cls, shape: str | Sequence[int], hidden="sigmoid", output="softmax",
                   loss=None, optimizer=None, seed: int | None = None, dtype="float32",
                   weight_init=None, name: str | None = None) -> Network:
        """Build a fully connected network from its shape, e.g. ``"784x16x10"`` or [4, 3, 1].

        ``hidden`` is the activation of every hidden layer, ``output`` that of the last one.
        """
        sizes = parse_shape(shape)
        layers = [
            Dense(n_in, n_out, activation=hidden if i < len(sizes) - 2 else output,
                  weight_init=weight_init, name=None)
            for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))
        ]
        return cls(layers, loss=loss, optimizer=optimizer, seed=seed, dtype=dtype, name=name)

    def _propagate_shapes(self, shape: tuple | None):
        """Yield (index, layer, input shape, output shape) of one sample; None where unknown.

        Starts from ``shape``, or from the first layer that declares an input shape when
        nothing is known yet (e.g. behind a leading Dropout).
        """
        for i, layer in enumerate(self.layers):
            if shape is None:
                shape = layer.input_shape
            try:
                out = layer.output_shape(shape) if shape is not None else None
            except Exception:  # a layer that cannot tell without a real input
                out = None
            yield i, layer, shape, out
            shape = out

    def _check_chain(self) -> None:
        for i, layer, shape, _ in self._propagate_shapes(self.layers[0].input_shape):
            expected = layer.input_shape
            if i > 0 and shape is not None and expected is not None:
                if not shape_matches(tuple(expected), tuple(shape)):
                    prev = self.layers[i - 1]
                    raise ShapeError(
                        f"layer {i} {layer.describe()} expects samples of shape {expected} but "
                        f"layer {i - 1} {prev.describe()} outputs {shape}: make the sizes match"
                    )

    def _output_activation(self):
        return getattr(self.layers[-1], "activation", None)

    # ------------------------------------------------------------------ counts and names

    @property
    def n_neurons(self) -> int:
        return sum(layer.n_neurons for layer in self.layers)

    @property
    def n_weights(self) -> int:
        return sum(layer.n_weights for layer in self.layers)

    @property
    def n_params(self) -> int:
        return sum(layer.n_params for layer in self.layers)

    @property
    def shape(self) -> str:
        """``"784x16x10"`` for a chain of Dense layers (Dropout/Activation between them allowed);
        otherwise the layer types in order, e.g. ``"Conv2D > MaxPool2D > ... > Dense"``."""
        dense = [layer for layer in self.layers if isinstance(layer, Dense)]
        others = [layer for layer in self.layers if not isinstance(layer, (Dense, *_SHAPELESS))]
        if dense and not others:
            return "x".join(str(s) for s in [dense[0].n_inputs] + [d.n_neurons for d in dense])
        return " > ".join(type(layer).__name__ for layer in self.layers)

    @property
    def is_classifier(self) -> bool:
        return self.loss.classification

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """All (parameter, gradient) pairs, in layer order."""
        return [pair for layer in self.layers for pair in layer.parameters()]

    def _pack_parameters(self) -> None:
        """Lay all parameters back to back in one flat array, and all gradients in another.

        Each layer's arrays are replaced by views of the same shapes, memory layouts and values
        (layers look their arrays up by name on every call, and edit them in place), so an
        optimiser updates the whole network in one go (see ``_flat.py``). Layers already packed
        by another network keep their arrays (that network's optimiser holds them).
        """
        pairs = self.parameters()
        params = [p for p, _ in pairs]
        if not pairs or flat_span(params) is not None:
            return  # nothing to pack, or packed already
        if (len({p.dtype for p in params}) != 1
                or not all(is_dense(p) and p.strides == g.strides for p, g in pairs)
                or any(_packed_by_other(layer, self) for layer in self.layers)):
            return
        flat_p = np.empty(sum(p.size for p in params), dtype=params[0].dtype)
        flat_g = np.zeros_like(flat_p)
        starts = iter(offsets(params))
        for layer in self.layers:
            ps, gs = layer.params(), layer.grads()
            for key in ps:
                start = next(starts)
                p, g = view_like(flat_p, start, ps[key]), view_like(flat_g, start, gs[key])
                p[...], g[...] = ps[key], gs[key]
                ps[key], gs[key] = p, g
            layer._packed_by = weakref.ref(self)

    def get_weights(self) -> list[dict[str, np.ndarray]]:
        """A copy of every layer's parameters and buffers (see :meth:`set_weights`)."""
        return [{k: v.copy() for k, v in layer.state().items()} for layer in self.layers]

    def set_weights(self, weights: list[dict[str, np.ndarray]]) -> None:
        """Copy weights (as from :meth:`get_weights`) into the layers, in place."""
        if len(weights) != len(self.layers):
            raise ShapeError(f"expected weights for {len(self.layers)} layers, got {len(weights)}")
        for layer, w in zip(self.layers, weights):
            layer.load_state(w)

    # ------------------------------------------------------------------ propagation

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """Forward propagation of a prepared batch through every layer."""
        return forward_through(self.layers, X, training)

    def backward(self, grad: np.ndarray, preactivation: bool = False) -> None:
        """Backpropagation: from dLoss/doutput (or dLoss/dz of the last layer) to every layer."""
        backward_through(self.layers, grad, preactivation)

    def _gradients(self, X: np.ndarray, Y: np.ndarray,
                   share: float = 1.0) -> tuple[float, np.ndarray]:
        """Forward and backward of a prepared batch; returns (loss, output).

        Leaves dLoss/dparameter in the layers' gradient arrays. ``share``: this batch's
        fraction of the mini-batch whose mean loss is being minimised (``_split.py`` runs the
        two halves of a batch with shares that add up to 1).
        """
        out = forward_through(self.layers, X, True)
        value, delta, pre = self._loss_and_delta(out, Y)
        backward_through(self.layers, delta if share == 1.0 else delta * share, pre)
        return value, out

    def _loss_and_delta(self, out: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray, bool]:
        loss = self.loss
        if loss.fused_with is not None:
            # Fused softmax/sigmoid + cross-entropy: loss from the logits (stable even when the
            # output rounds to exactly 0 or 1), or from the output where that is as exact; the
            # output delta is simply a - y.
            z = self.layers[-1].z
            return loss.fused_value(out, z, Y), loss.delta(out, Y), True
        return loss.value(out, Y), loss.gradient(out, Y), False

    def _step_macs(self, batch_size: int) -> int | None:
        """Multiply-adds of the forward matrix products of one step, or None if unknown."""
        total = 0
        for _, layer, shape, _ in self._propagate_shapes(self.sample_shape):
            macs = layer.matmul_macs(shape) if shape is not None else None
            if macs is None:
                return None
            total += macs
        return total * batch_size

    def train_step(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        """One gradient step on a prepared mini-batch; returns (loss, output).

        Inside ``fit``, a convolutional or recurrent network on a machine with a spare core
        runs the second half of the batch in a worker process (see ``_split.py``); the step
        is the same.
        """
        splitter = self._splitter
        if splitter is not None and len(X) >= 2 * _split.MIN_HALF:
            value, out = splitter.step(X, Y)
        else:
            value, out = self._gradients(X, Y)
        self.optimizer.step(self._pairs)
        return value, out

    # ------------------------------------------------------------------ data preparation

    def _prepare_X(self, X, what: str = "X") -> np.ndarray:
        X = as_inputs(X, self.dtype, what)
        self._probe(X)
        return X

    def _probe(self, X: np.ndarray) -> np.ndarray:
        """Run one sample of X through every layer, each checking its input; return the output.

        Catches a wrong input shape with the layer's own message even behind shape-agnostic
        layers (Dropout, Activation), once per call of fit/predict/evaluate, not per batch.
        Layers check a zero-copy view with X's batch size, so messages show the user's shape.
        """
        one = len(X) == 1  # then x already has X's batch size (and broadcast_to costs ~3 us)
        x = X if one else X[:1]
        for layer in self.layers:
            layer.check_input(x if one else np.broadcast_to(x, (len(X), *x.shape[1:])))
            x = layer.forward(x, training=False)
        return x

    def _target_kind(self) -> str:
        if isinstance(self.loss, _losses.CrossEntropy):
            return "categorical"
        if isinstance(self.loss, _losses.BinaryCrossEntropy):
            return "binary"
        return "regression"

    def _prepare(self, X, y, what: str = "", check_values: bool = True,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        X = as_inputs(X, self.dtype, f"{what}X", check_values)
        with contextlib.nullcontext() if check_values else np.errstate(all="ignore"):
            out_width = self._probe(X).shape[-1]  # (unchecked X may hold NaN: fit reports it)
        Y, labels = as_targets(y, len(X), out_width, self._target_kind(), self.dtype,
                               self.loss.name)
        return X, Y, labels

    def _check_trainable(self) -> None:
        for i, layer in enumerate(self.layers):
            act = getattr(layer, "activation", None)
            if act is not None and not act.differentiable:
                raise NotDifferentiableError(
                    f"layer {i} {layer.describe()} uses the binary step, whose derivative is 0 "
                    f"everywhere except at 0 (where it has none), so backpropagation cannot "
                    f"train it: use nl.Perceptron for the perceptron learning rule, or "
                    f"activation='sigmoid' to train by gradient descent"
                )

    # ------------------------------------------------------------------ training

    def fit(self, X, y, epochs: int = 1, batch_size: int = 32, validation_data=None,
            shuffle: bool = True, verbose: int = 1,
            callbacks: Iterable[Callback] | None = None, checkpoint=None,
            resume: bool = False) -> History:
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
            0 silent; 1 one line per epoch and a progress bar on a terminal.
        callbacks : list of Callback
            E.g. ``[EarlyStopping(patience=3)]``.
        checkpoint : str or Path, optional
            After every epoch, save weights, optimiser state, random-generator state and the
            epoch count to this file (atomically).
        resume : bool
            With ``checkpoint``: if the file exists, restore it first and run only the epochs
            still missing to reach ``epochs`` in total, so an interrupted and resumed run ends
            with the same weights as an uninterrupted one.

        Returns
        -------
        History
            ``history.history["loss"]`` etc., one value per epoch (this call's epochs).

        Notes
        -----
        On Linux, with two or more BLAS threads allowed, ``fit`` uses the second core through a
        worker process forked for each epoch: a convolutional or recurrent network computes
        half of every batch there (``_split.py``); a fully connected network (on x86-64) has
        part of its first layer's input columns computed and updated there (``_columns.py``),
        or, where steps are too short for that, its next batch gathered there
        (``_feeder.py``). Gathering ahead changes no number; the two splits add up two parts
        (of the gradient, or of the first layer's product), equal to the unsplit step's up to
        rounding and the same on every run. ``NEURONAL_THREADS=1`` keeps all the work in the
        calling process.
        """
        batch_size = check_batch_size(batch_size)
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise NeuronalError(f"epochs must be an integer >= 0, got {epochs!r}")
        self._check_trainable()
        _malloc.keep_freed_memory()  # no page faults for each step's temporaries: see _malloc
        # NaN/inf in X: with a Dense first layer, every input value enters that layer's weight
        # gradient (inf * 0 is NaN), so a bad value makes the weights non-finite within the
        # epoch that reads it (every optimiser here passes a NaN gradient on to the weights;
        # one that skipped such steps would hide it), and the divergence checks then look in X
        # and report it as a DataError. That saves a pass over all of X (~8 ms for MNIST, 5%
        # of a 784x16x10 epoch) on every call of fit; other first layers are checked here.
        x_checked = not (epochs > 0 and isinstance(self.layers[0], Dense))
        X, Y, labels = self._prepare(X, y, check_values=x_checked)
        self.sample_shape = tuple(int(s) for s in X.shape[1:])
        val = None
        if validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise NeuronalError("validation_data must be a pair (X_val, y_val)")
            val = self._prepare(*validation_data, what="validation ")
        callbacks = list(callbacks or [])
        history = History()
        self._pack_parameters()  # again, in case a layer's arrays were replaced (astype)
        self._pairs = self.parameters()
        if resume and checkpoint is None:
            raise NeuronalError("resume=True needs checkpoint='path/to/run.ckpt'")
        if resume and os.path.exists(checkpoint):
            from .io import load_checkpoint

            load_checkpoint(self, checkpoint)
            epochs = max(0, epochs - self.epochs_trained)
        if not x_checked and epochs == 0:  # nothing left to train: no epoch will check X
            check_finite(X)
        self.stop_training = False
        for cb in callbacks:
            cb.on_train_begin(self)
        start_epoch = self.epochs_trained
        for e in range(epochs):
            epoch = start_epoch + e
            t0 = time.perf_counter()
            self.optimizer.set_epoch(epoch)
            logs = self._train_epoch(X, Y, labels, batch_size, shuffle, verbose, epoch,
                                      start_epoch + epochs, x_checked)
            if val is not None:
                logs.update({f"val_{k}": v for k, v in self._evaluate_prepared(*val).items()})
            logs["learning_rate"] = self.optimizer.learning_rate
            self.epochs_trained += 1
            history.append(epoch, logs)
            self.history.append(epoch, logs)
            if verbose >= 1:
                print(format_logs(epoch, start_epoch + epochs, time.perf_counter() - t0, logs),
                      flush=True)
            if checkpoint is not None:
                from .io import save_checkpoint

                save_checkpoint(self, checkpoint)
            for cb in callbacks:
                cb.on_epoch_end(self, epoch, logs)
            if self.stop_training:
                break
        for cb in callbacks:
            cb.on_train_end(self)
        return history

    def _train_epoch(self, X, Y, labels, batch_size, shuffle, verbose, e, epochs,
                     x_checked: bool = True) -> dict:
        n = len(X)
        # Restored if the loss blows up during this epoch: weights and optimiser state (momentum
        # or Adam moments would otherwise carry the inf/NaN into the next fit), and the random
        # generator too when the cause is a NaN/inf in X (see fit).
        rng_state = self.rng.bit_generator.state
        order = self.rng.permutation(n) if shuffle else np.arange(n)
        snapshot = self.get_weights()
        opt_snapshot = {k: v.copy() for k, v in self.optimizer.state_dict().items()}

        def diverged(value: float, batch: int):
            self._restore(snapshot, opt_snapshot)
            if not x_checked:
                try:
                    check_finite(X)
                except DataError:
                    self.rng.bit_generator.state = rng_state
                    raise
            return TrainingDivergedError(self._divergence_message(value, e, batch, X))

        categorical = labels is not None and labels.ndim == 1
        binary = labels is not None and labels.ndim == 2
        total_loss, correct = 0.0, 0
        bar = Progress(verbose, e, epochs, n)
        train_step = self.train_step
        self._splitter = splitter = _split.BatchSplitter.for_network(self)  # see train_step
        # Small products run faster on one BLAS thread than on two (_threads.small_step); the
        # other core then takes part of the first layer (_columns.py) or, failing that,
        # gathers each next mini-batch ahead (_feeder.py).
        macs = self._step_macs(min(batch_size, n))
        spare = splitter is None and _threads.spare_core()
        share = spare and _columns.usable(self, X, batch_size, macs)
        one_thread = share or (splitter is None and _threads.small_step(macs))
        columns = batches = None
        # No floating-point warnings: a NaN or infinity that reaches the loss or the weights is
        # reported by one clear error below instead (divergence, or NaN/inf in X).
        quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")
        try:
            with quiet, _threads.single_threaded_blas() if one_thread else contextlib.nullcontext():
                if share:
                    columns = _columns.ColumnSplit(self, X, Y, order, batch_size)
                    batches, train_step = columns.batches(), columns.step
                else:
                    ahead = spare and one_thread and _feeder.worth_it(X, batch_size)
                    batches = _feeder.batches(X, Y, order, batch_size, ahead)
                for start, idx, X_batch, Y_batch in batches:
                    value, out = train_step(X_batch, Y_batch)
                    if not math.isfinite(value):
                        raise diverged(value, start // batch_size)
                    m = len(idx)
                    total_loss += value * m
                    if categorical:
                        correct += int(np.count_nonzero(out.argmax(axis=1) == labels[idx]))
                    elif binary:
                        correct += (int(np.count_nonzero((out >= 0.5) == labels[idx]))
                                    / labels.shape[1])
                    bar.update(m, value)
                if columns is not None:
                    columns.finish()
        except BaseException:
            if columns is not None and not columns.finished:
                # the worker's part of the first layer is lost with it: go back to the
                # epoch's start rather than keep weights that are half from this epoch
                self._restore(snapshot, opt_snapshot)
            raise
        finally:
            if batches is not None:
                batches.close()
            if columns is not None:
                columns.close()
            self._splitter = None
            if splitter is not None:
                splitter.close()
            bar.close()
        if not all(np.isfinite(p).all() for p, _ in self._pairs):
            # The epoch's last step overflowed the weights while its loss was still finite: stop
            # now, or the next epoch would snapshot (and "restore") non-finite weights.
            raise diverged(math.nan, (n - 1) // batch_size)
        logs = {"loss": total_loss / n}
        if labels is not None:
            logs["accuracy"] = correct / n
        return logs

    def _restore(self, weights, optimizer_state) -> None:
        self.set_weights(weights)
        self.optimizer.load_state_dict(optimizer_state, self._pairs)

    def _divergence_message(self, value: float, epoch: int, batch: int, X: np.ndarray) -> str:
        scale = float(np.max(np.abs(X)))
        lr = self.optimizer.learning_rate
        causes = [f"the learning rate ({lr:g}) is too high: try 10x smaller"]
        if scale > 10:
            causes.append(f"inputs are unscaled (max |X| = {scale:g}): scale them to about [0, 1]")
        return (
            f"training stopped: the loss became {value} at epoch {epoch + 1}, batch {batch + 1}. "
            f"Likely cause: {'; or '.join(causes)}. The weights and optimiser state from the "
            f"start of that epoch were restored."
        )

    # ------------------------------------------------------------------ inference

    def _forward_chunks(self, X: np.ndarray):
        rows = self._chunk_rows(X.shape[1:])
        for start in range(0, len(X), rows):
            yield start, self.forward(X[start : start + rows], training=False)

    def _chunk_rows(self, sample_shape: tuple) -> int:
        """Rows per forward pass when predicting: up to _PREDICT_CHUNK, fewer for wide layers.

        Big chunks mean few NumPy calls, which is what matters for an MLP; but a convolution's
        arrays grow with the chunk past the caches: evaluating LeNet on 10,000 images took
        3-5 s in chunks of 4,096 and 0.5-0.7 s in chunks of 64. A chunk holds about
        _CHUNK_NUMBERS numbers of the widest sample-sized array (input or layer output): 55
        images for LeNet (6x28x28 after the first convolution), 334 for a 784-input MLP.
        """
        widest = math.prod(sample_shape)
        for _, _, _, out in self._propagate_shapes(tuple(sample_shape)):
            if out is not None and all(isinstance(d, (int, np.integer)) for d in out):
                widest = max(widest, math.prod(out))
        return max(1, min(_PREDICT_CHUNK, _CHUNK_NUMBERS // max(1, widest)))

    def predict_proba(self, X) -> np.ndarray:
        """The network's output for each sample (class probabilities for a classifier)."""
        X = as_inputs(X, self.dtype, "X")  # _prepare_X, keeping what the probe computes:
        first = self._probe(X)
        if len(X) == 1:  # a batch of one: the probe's forward pass was the whole prediction
            # (a fresh output, the usual case, owns its memory: no overlap test needed)
            shares = first is X or (first.base is not None and np.may_share_memory(first, X))
            return first.copy() if shares else first
        return np.concatenate([out for _, out in self._forward_chunks(X)])

    def predict(self, X) -> np.ndarray:
        """Class labels for a classifier (argmax, or output >= 0.5 for sigmoid); else outputs."""
        out = self.predict_proba(X)
        kind = self._target_kind()
        if kind == "categorical":
            return out.argmax(axis=-1)
        if kind == "binary":
            labels = (out >= 0.5).astype(np.int64)
            return labels[:, 0] if labels.shape[-1] == 1 else labels
        return out

    def evaluate(self, X, y) -> dict[str, float]:
        """Mean loss (and accuracy for a classifier): ``{"loss": .., "accuracy": ..}``."""
        return self._evaluate_prepared(*self._prepare(X, y))

    def _evaluate_prepared(self, X, Y, labels) -> dict[str, float]:
        total, correct = 0.0, 0.0
        for start, out in self._forward_chunks(X):
            y = Y[start : start + len(out)]
            if self.loss.fused_with is not None:
                value = self.loss.value_from_logits(self.layers[-1].z, y)
            else:
                value = self.loss.value(out, y)
            total += value * len(out)
            if labels is not None:
                lab = labels[start : start + len(out)]
                if lab.ndim == 1:
                    correct += np.count_nonzero(out.argmax(axis=1) == lab)
                else:
                    correct += np.count_nonzero((out >= 0.5) == lab) / lab.shape[1]
        result = {"loss": total / len(X)}
        if labels is not None:
            result["accuracy"] = float(correct / len(X))
        return result

    # ------------------------------------------------------------------ description

    def summary(self, print_fn=print) -> str:
        """Print (and return) a table: layer, output shape, neurons, weights, parameters."""
        rows = [("#", "layer", "output", "neurons", "weights", "params")]
        start = self.sample_shape or self.layers[0].input_shape
        for i, layer, _, shape in self._propagate_shapes(start):
            out = "x".join("?" if s is None else str(s) for s in shape) if shape else "?"
            rows.append((str(i), layer.describe(), out, f"{layer.n_neurons:,}",
                         f"{layer.n_weights:,}", f"{layer.n_params:,}"))
        rows.append(("", "total", "", f"{self.n_neurons:,}", f"{self.n_weights:,}",
                     f"{self.n_params:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(6)]
        line = "  ".join("-" * w for w in widths)
        fmt = [lambda s, w: s.ljust(w)] * 3 + [lambda s, w: s.rjust(w)] * 3
        text = [f"Network {self.shape}" + (f" {self.name!r}" if self.name else "")
                + f"; loss {self.loss.name}; optimizer {self.optimizer!r}"]
        for j, r in enumerate(rows):
            if j in (1, len(rows) - 1):
                text.append(line)
            text.append("  ".join(f(s, w) for f, s, w in zip(fmt, r, widths)).rstrip())
        table = "\n".join(text)
        if print_fn is not None:
            print_fn(table)
        return table

    def explain(self, x, max_values: int = 10) -> str:
        """Forward propagation of one sample, layer by layer: z, a, and the winning class."""
        x = np.asarray(x, dtype=self.dtype)
        expected = self.layers[0].input_shape
        if expected is None or shape_matches(tuple(expected), x.shape):
            x = x[None]  # one sample: add the batch axis
        X = self._prepare_X(x)
        if len(X) != 1:
            raise ShapeError(f"explain() takes one sample, got a batch of {len(X)}")
        opts = {"precision": 4, "threshold": max_values, "edgeitems": max_values // 2,
                "max_line_width": 100, "suppress_small": True}
        lines = [f"Network {self.shape}: forward propagation of one sample",
                 f"input   x  = {np.array2string(X[0], **opts)}"]
        out = X
        for i, layer in enumerate(self.layers):
            out = layer.forward(out, training=False)
            lines.append(f"layer {i} {layer.describe()}")
            z = getattr(layer, "z", None)
            if z is not None and getattr(layer, "activation", None) is not None:
                lines.append(f"   z = W a_prev + b = {np.array2string(np.asarray(z)[0], **opts)}")
                a = np.array2string(out[0], **opts)
                lines.append(f"   a = {layer.activation.name}(z) = {a}")
            else:
                lines.append(f"   out = {np.array2string(out[0], **opts)}")
        kind = self._target_kind()
        if kind == "categorical":
            k = int(out[0].argmax())
            lines.append(f"winning class: {k} (probability {float(out[0][k]):.4f})")
        elif kind == "binary" and out.shape[-1] == 1:
            p = float(out[0, 0])
            lines.append(f"predicted class: {int(p >= 0.5)} (P(class 1) = {p:.4f})")
        else:
            lines.append(f"output: {np.array2string(out[0], **opts)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # the notebook view, rendered in neuronal/notebook.py
        from .notebook import html
        return html(self)

    def __repr__(self) -> str:
        return (
            f"Network {self.shape} ({self.n_neurons} neurons, {self.n_params:,} parameters; "
            f"loss {self.loss.name}, optimizer {self.optimizer!r})"
        )

    # ------------------------------------------------------------------ configuration

    def get_config(self) -> dict[str, Any]:
        """The architecture and training settings as JSON-able data (no weights)."""
        return {
            "name": self.name,
            "dtype": self.dtype.name,
            "seed": self.seed,
            "sample_shape": list(self.sample_shape) if self.sample_shape else None,
            "layers": [{"type": type(l).__name__, "config": l.get_config()} for l in self.layers],
            "loss": self.loss.get_config(),
            "optimizer": self.optimizer.get_config(),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Network:
        """Rebuild a network from :meth:`get_config`, using only registered layer types."""
        layers = []
        for i, spec in enumerate(config["layers"]):
            kind = spec.get("type")
            if kind not in Layer.types:
                raise NeuronalError(
                    f"layer {i} has unknown type {kind!r}; known layer types: "
                    f"{', '.join(sorted(Layer.types))}"
                )
            layers.append(Layer.types[kind].from_config(spec.get("config", {})))
        net = cls(layers, loss=config.get("loss"), optimizer=config.get("optimizer"),
                  seed=config.get("seed"), dtype=config.get("dtype", "float32"),
                  name=config.get("name"))
        if config.get("sample_shape"):
            net.sample_shape = tuple(int(s) for s in config["sample_shape"])
        return net

    def save(self, path) -> None:
        """Save architecture, settings and weights to one ``.safetensors`` file (atomically)."""
        from .io import save

        save(self, path)

    def copy(self, dtype=None) -> Network:
        """An independent copy (weights included), optionally cast to another dtype."""
        config = self.get_config()
        if dtype is not None:
            config["dtype"] = _np_dtype(dtype).name
        twin = type(self).from_config(config)
        twin.set_weights(self.get_weights())
        return twin


def _packed_by_other(layer: Layer, network: Network) -> bool:
    """Whether ``layer``'s arrays were packed by another network that still exists."""
    ref = getattr(layer, "_packed_by", None)
    owner = ref() if ref is not None else None
    return owner is not None and owner is not network


def parse_shape(shape: str | Sequence[int]) -> list[int]:
    """``"784x16x10"`` (or ``[784, 16, 10]``) -> [784, 16, 10], with a clear error otherwise."""
    if isinstance(shape, str):
        parts = re.split(r"\s*[x×,*]\s*", shape.strip().lower())
        try:
            sizes = [int(p) for p in parts]
        except ValueError:
            sizes = []
    else:
        try:
            sizes = [int(s) for s in shape]
        except (TypeError, ValueError):
            sizes = []
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise NeuronalError(
            f"a network shape lists the layer sizes from inputs to outputs, like '784x16x10' "
            f"or [4, 3, 1] (at least two positive sizes); got {shape!r}"
        )
    return sizes

