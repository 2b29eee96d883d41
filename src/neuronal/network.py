"""The network: layers run in order (forward propagation) and in reverse (backpropagation).

A network is named by its shape: ``784x16x10`` has 784 inputs (inputs are not neurons), 16
hidden neurons and 10 output neurons, so 26 neurons and 784*16 + 16*10 = 12,704 weights.

Training repeats, for every mini-batch: forward pass, loss against the annotated answer,
backward pass (each layer turns dLoss/doutput into dLoss/dparameters and dLoss/dinput), and one
optimiser step that nudges every parameter against its gradient.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import _inputs, config, describe, seams, training
from . import optimizers as _optimizers
from ._data import as_inputs
from .errors import ShapeError, TrainingDivergedError
from .layers import Dense, Dropout, Normalize
from .layers.activation import Activation
from .layers.base import Layer, backward_through, forward_through
from .shapes import check_chain, parse_shape, propagate_shapes
from .step import explain_step
from .training import Callback, History

__all__ = ["Network"]

# Layers that neither add neurons nor change the width, so a Dense chain keeps its "AxBxC" name.
_SHAPELESS = (Dropout, Activation, Normalize)


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
    initialize : bool, default True
        False: parameters allocated, not drawn (``nl.load`` fills them; see ``Layer.build``).

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

    from .notebook import html as _repr_html_  # the notebook view (neuronal/notebook.py)

    def __init__(self, layers: Sequence[Layer], loss=None, optimizer=None, seed: int | None = None,
                 dtype="float32", name: str | None = None, initialize: bool = True) -> None:
        self.layers = layers = config.check_layers(layers)
        self.name = name
        self.seed = config.check_seed(seed)
        self.dtype = config.check_dtype(dtype)
        self.rng = np.random.default_rng(seed)
        for layer in layers:
            layer.build(self.rng, self.dtype, initialize=initialize)  # False: io.load fills
            layer.rng = self.rng  # one generator for init, shuffling and dropout
            layer.needs_input_grad = True
        layers[0].needs_input_grad = False  # nobody needs dLoss/dX: skip that product
        check_chain(layers)
        self.loss = config.choose_loss(layers, loss)
        self.optimizer = _optimizers.get(optimizer if optimizer is not None else "sgd")
        self.stop_training = False
        self.history = History()
        self.epochs_trained = 0
        #: Shape of one training sample (no batch axis), remembered by ``fit`` for ``summary``.
        self.sample_shape: tuple | None = None
        self.classes: list[str] | None = None  #: output k's name (a CSV's labels), or None
        #: True once class labels were given to an mse/mae network or to several sigmoid
        #: outputs: its outputs are then read as class scores (argmax)
        self.labelled = False
        seams.place_parameters(self)

    # ------------------------------------------------------------------ construction helpers

    @classmethod
    def from_shape(cls, shape: str | Sequence[int], hidden="sigmoid", output=None,
                   loss=None, optimizer=None, seed: int | None = None, dtype="float32",
                   weight_init=None, name: str | None = None, bias_init="zeros") -> Network:
        """Build a fully connected network from its shape, e.g. ``"784x16x10"`` or [4, 3, 1].

        ``hidden`` is the activation of every hidden layer, ``output`` that of the last one.
        By default (``output=None``) a last layer of 1 neuron is a sigmoid trained with binary
        cross-entropy (a yes/no answer: P(class 1)), and one of 2 or more neurons a softmax
        trained with cross-entropy (one probability per class). ``weight_init`` and
        ``bias_init`` name initialisers (e.g. ``"lecun_normal"``, ``"normal"``).
        """
        sizes = parse_shape(shape)
        if output is None:
            output = "sigmoid" if sizes[-1] == 1 else "softmax"
            loss = loss if loss is not None or output == "softmax" else "binary_cross_entropy"
        layers = [
            Dense(n_in, n_out, activation=hidden if i < len(sizes) - 2 else output,
                  weight_init=weight_init, bias_init=bias_init)
            for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))
        ]
        return cls(layers, loss=loss, optimizer=optimizer, seed=seed, dtype=dtype, name=name)

    def _propagate_shapes(self, shape: tuple | None):
        """Yield (index, layer, input shape, output shape) of one sample (``shapes.py``)."""
        return propagate_shapes(self.layers, shape)

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
        return self.loss.classification or self.labelled

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """All (parameter, gradient) pairs, in layer order."""
        return [pair for layer in self.layers for pair in layer.parameters()]

    def decay_flags(self) -> list[bool]:
        """For each of :meth:`parameters`, whether weight decay applies (the weights do)."""
        return [layer.decays(k) for layer in self.layers for k in layer.params()]

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

    def loss_and_delta(self, out: np.ndarray, Y: np.ndarray, weights=None
                       ) -> tuple[float, np.ndarray, bool]:
        """The loss of ``out`` against the targets ``Y``, and the gradient backpropagation
        starts from: ``(loss, delta, preactivation)``.

        ``delta`` is dLoss/doutput, or, for a softmax/sigmoid output fused with its
        cross-entropy (``preactivation=True``), dLoss/dz of the last layer: simply a - y.
        ``weights`` (one per row) make the loss the weighted mean of the samples' losses.
        """
        loss = self.loss
        fused = loss.fused_with is not None
        z = self.layers[-1].z if fused else None
        if weights is not None:  # rows count by their weight: sum w_n l_n / sum w_n
            scale = weights * (len(weights) / weights.sum())
            rows = loss.rows_from_logits(z, Y) if fused else loss.rows(out, Y)
            value = float(np.mean(rows * scale))
            delta = loss.delta(out, Y) if fused else loss.gradient(out, Y)
            delta *= scale.reshape(-1, *[1] * (delta.ndim - 1)).astype(delta.dtype)
        elif fused:
            # loss from the logits z (stable even when the output rounds to exactly 0 or 1),
            # or from the output where that is as exact
            value, delta = loss.fused_value(out, z, Y), loss.delta(out, Y)
        else:
            value, delta = loss.value(out, Y), loss.gradient(out, Y)
        if loss.reduction == "sum":  # the batch's summed loss: its gradient is len(out) times
            delta *= delta.dtype.type(len(out))
        return value, delta, fused

    def _gradients(self, X: np.ndarray, Y: np.ndarray, share: float = 1.0, weights=None
                   ) -> tuple[float, np.ndarray]:
        """Forward and backward of a prepared batch; returns (loss, output) and leaves
        dLoss/dparameter in the layers' gradient arrays.

        ``share``: this batch's fraction of a mini-batch whose mean loss is being minimised
        (data-parallel training computes the shares of a batch in several processes).
        """
        out = forward_through(self.layers, X, True)
        value, delta, pre = self.loss_and_delta(out, Y, weights)
        backward_through(self.layers, delta if share == 1.0 else delta * share, pre)
        return value, out

    def gradients(self, X, y) -> list[dict[str, np.ndarray]]:
        """dLoss/dparameter of every layer for the batch (X, y); the weights are not changed.

        ``y`` is given as to :meth:`fit` (class labels, one-hot rows or target values). Returns
        one dict per layer, named like ``layer.params()`` (``"weight"``, ``"bias"``, ...),
        holding copies.
        """
        X, Y, _ = self._prepare(X, y)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._gradients(X, Y)
        return [{k: g.copy() for k, g in layer.grads().items()} for layer in self.layers]

    def train_step(self, X, y) -> tuple[float, np.ndarray]:
        """One gradient step on the mini-batch (X, y); returns (loss, output).

        Takes ``y`` as :meth:`fit` does (checked the same way). Raises
        :class:`TrainingDivergedError` if the loss is not finite (the step is then applied).
        """
        X, Y, _ = self._prepare(X, y)
        training.check_trainable(self)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value, out = self._gradients(X, Y)
            self.optimizer.step(self.parameters(), self.decay_flags())
        if not math.isfinite(value):
            raise TrainingDivergedError(f"the loss became {value} in this step: lower the "
                                        f"learning rate or scale the inputs")
        return value, out

    def explain_step(self, x, y, learning_rate: float | None = None, apply: bool = False):
        """One training step on one sample (or a few), shown in numbers.

        Returns a :class:`~neuronal.step.StepExplanation` whose ``str()`` tells the step:
        forward (z, a per layer), the loss, whether the answer was right, each layer's
        delta, dL/dW and db, the update dW = -learning_rate * dL/dW (plain gradient descent,
        ``learning_rate`` defaulting to the optimiser's), and the connections most
        strengthened and weakened. Its attributes hold the arrays. The network is unchanged
        unless ``apply=True``, which adds the updates to the weights (optimiser untouched).
        """
        return explain_step(self, x, y, learning_rate, apply)

    # ------------------------------------------------------------------ training

    def fit(self, X, y, epochs: int = 1, batch_size: int = 32, validation_data=None,
            shuffle: bool = True, verbose: int = 1,
            callbacks: Iterable[Callback] | None = None, checkpoint=None,
            resume: bool = False, workers: int | None = None,
            validation_split: float = 0.0, sample_weight=None, comm=None) -> History:
        return training.fit(self, X, y, epochs=epochs, batch_size=batch_size,
                            validation_data=validation_data, shuffle=shuffle, verbose=verbose,
                            callbacks=callbacks, checkpoint=checkpoint, resume=resume,
                            workers=workers, validation_split=validation_split,
                            sample_weight=sample_weight, comm=comm)

    fit.__doc__ = training.fit.__doc__

    # ------------------------------------------------------------------ data preparation

    def _prepare_X(self, X, what: str = "X") -> np.ndarray:
        return _inputs.prepare_X(self, X, what)

    def _probe(self, X: np.ndarray) -> np.ndarray:
        return _inputs.probe(self, X)

    def _target_kind(self) -> str:
        """How targets are read: "categorical" (softmax, or an mse/mae network given class
        labels: ``labelled``), "binary" (sigmoid) or "regression"."""
        if self.labelled:  # class labels given for mse/mae or several sigmoid outputs
            return "categorical"
        return {"cross_entropy": "categorical", "binary_cross_entropy": "binary"}.get(
            self.loss.name, "regression")

    def _prepare(self, X, y, what: str = "") -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """X and y checked and converted: (X, Y shaped like the output, integer labels)."""
        return _inputs.prepare(self, X, y, what)

    # ------------------------------------------------------------------ inference

    def predict_proba(self, X) -> np.ndarray:
        """The network's output for each sample (class probabilities for a classifier)."""
        X = as_inputs(X, self.dtype, "X")  # _prepare_X, keeping what the probe computes:
        first = self._probe(X)
        if len(X) == 1:  # a batch of one: the probe's forward pass was the whole prediction
            # (a fresh output, the usual case, owns its memory: no overlap test needed)
            shares = first is X or (first.base is not None and np.may_share_memory(first, X))
            return first.copy() if shares else first
        return np.concatenate([out for _, out in _inputs.forward_chunks(self, X)])

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
        return _inputs.evaluate(self, *self._prepare(X, y)[:2])

    # ------------------------------------------------------------------ description

    def summary(self, print_fn=print) -> str:
        """Print (and return) a table: layer, output shape, neurons, weights, parameters."""
        return describe.summary(self, print_fn)

    def explain(self, x, max_values: int = 10, y=None) -> str:
        """Forward propagation of one sample, layer by layer: z, a, and the winning class
        (right or wrong, given the label ``y``); images drawn small, feature maps summarised."""
        return describe.explain(self, x, max_values, y)

    def __repr__(self) -> str:
        return (
            f"Network {self.shape} ({self.n_neurons} neuron{'s' * (self.n_neurons != 1)}, "
            f"{self.n_params:,} parameter{'s' * (self.n_params != 1)}; "
            f"loss {self.loss.name}, optimizer {self.optimizer!r})"
        )

    # ------------------------------------------------------------------ configuration

    def get_config(self) -> dict[str, Any]:
        """The architecture and training settings as JSON-able data (no weights)."""
        return config.to_config(self)

    @classmethod
    def from_config(cls, config_: dict[str, Any], initialize: bool = True) -> Network:
        """Rebuild a network from :meth:`get_config`, using only registered layer types
        (``initialize=False``: parameters left undrawn, for a loader; see ``Layer.build``)."""
        return config.from_config(cls, config_, initialize)

    def save(self, path) -> None:
        """Save architecture, settings and weights to one ``.safetensors`` file (atomically)."""
        from .io import save

        save(self, path)

    def to_onnx(self, path, **kwargs):
        """Export to an ONNX model file (atomically); see :func:`neuronal.export_onnx`."""
        from .export import export_onnx

        return export_onnx(self, path, **kwargs)

    def copy(self, dtype=None) -> Network:
        """An independent copy (weights included), optionally cast to another dtype."""
        settings = self.get_config()
        if dtype is not None:
            settings["dtype"] = config.check_dtype(dtype).name
        twin = type(self).from_config(settings)
        twin.set_weights(self.get_weights())
        return twin


