"""One page's playground: its data, its network (a real neuronal Network) and its training.

A :class:`Session` is driven by the server, one call at a time (the server never runs two
calls of the same session at once). Training goes through the library itself:
``Network.train_step`` on each mini-batch (the step ``fit`` runs), the optimiser's schedule
set per epoch as ``fit`` does; a neuron's arithmetic is ``layer.neurons[j].explain(x)``; one
backpropagation step is ``Network.explain_step``.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .. import Dense, Dropout, Network
from ..errors import TrainingDivergedError
from ..optimizers import SGD, Adam, RMSprop
from ..schedules import CosineDecay, ExponentialDecay, StepDecay
from .config import Setup, parse_setup
from .data import MnistSource, PageData, plane_data
from .limits import Limits, PlaygroundError
from .upload import CsvTable

__all__ = ["Session"]


def _optimizer(setup: Setup):
    lr = setup.lr
    n = setup.schedule_epochs
    if setup.schedule == "step":
        lr = StepDecay(lr, step=n, factor=0.5)
    elif setup.schedule == "exponential":
        lr = ExponentialDecay(lr, rate=0.5 ** (1.0 / n))
    elif setup.schedule == "cosine":
        lr = CosineDecay(lr, epochs=n)
    wd = setup.reg_rate if setup.reg == "l2" else 0.0
    if setup.optimizer == "momentum":
        return SGD(lr, momentum=0.9, weight_decay=wd)
    if setup.optimizer == "adam":
        return Adam(lr, weight_decay=wd)
    if setup.optimizer == "rmsprop":
        return RMSprop(lr, weight_decay=wd)
    return SGD(lr, weight_decay=wd)


def build_network(setup: Setup, data: PageData, limits: Limits) -> Network:
    """The network of ``setup`` for ``data``: Dense layers (with Dropout after each hidden
    one when asked), the output layer and loss chosen by the task."""
    layers, n_in = [], data.n_inputs
    for size, act in zip(setup.layers, setup.activations):
        layers.append(Dense(n_in, size, activation=act))
        if setup.dropout > 0:
            layers.append(Dropout(setup.dropout))
        n_in = size
    mse = setup.loss in ("mse", "mae")
    if data.problem == "regression":
        layers.append(Dense(n_in, 1, activation="linear"))
        loss = setup.loss
    elif data.n_classes == 2:
        layers.append(Dense(n_in, 1, activation="sigmoid"))
        loss = "mse" if mse else "binary_cross_entropy"
    else:
        layers.append(Dense(n_in, data.n_classes, activation="softmax"))
        loss = "mse" if mse else "cross_entropy"
    net = Network(layers, loss=loss, optimizer=_optimizer(setup), seed=setup.seed)
    if net.n_params > limits.max_params:
        raise PlaygroundError(
            f"this network has {net.n_params:,} weights and biases; the limit is "
            f"{limits.max_params:,}: use fewer or smaller hidden layers")
    return net


def targets(net: Network, data: PageData, y: np.ndarray) -> np.ndarray:
    """``y`` as the loss compares it with the output: one-hot rows, a 0/1 column or values."""
    width = net.layers[-1].n_neurons
    if data.problem == "regression":
        return np.asarray(y, np.float32).reshape(-1, 1)
    if width == 1:
        return np.asarray(y, np.float32).reshape(-1, 1)
    Y = np.zeros((len(y), width), np.float32)
    Y[np.arange(len(y)), y] = 1.0
    return Y


class Session:
    """A page's data, network and training state.

    Parameters
    ----------
    limits : Limits
    mnist : MnistSource
        Where MNIST comes from (shared by the sessions of a server).
    """

    def __init__(self, limits: Limits, mnist: MnistSource) -> None:
        self.limits = limits
        self.mnist = mnist
        self.setup: Setup | None = None
        self.data: PageData | None = None
        self.net: Network | None = None
        self.table: CsvTable | None = None
        self.digit: np.ndarray | None = None
        self.epoch = 0
        self.steps = 0
        self._data_key: tuple | None = None

    # ------------------------------------------------------------------ set-up

    def configure(self, raw: dict) -> Setup:
        """Apply a page's set-up: new data if the data controls changed, a new network."""
        setup = parse_setup(raw, self.limits)
        key = (setup.dataset, setup.noise, setup.ratio, setup.points, setup.classes,
               setup.data_seed, tuple(setup.features), setup.problem,
               tuple(setup.csv_features), setup.csv_target, setup.mnist_train)
        data = self.data if key == self._data_key else self._load_data(setup)
        net = build_network(setup, data, self.limits)
        self.setup, self.data, self.net, self._data_key = setup, data, net, key
        self._initial = net.get_weights()
        self._initial_rng = net.rng.bit_generator.state
        self.reset()
        return setup

    def _load_data(self, setup: Setup) -> PageData:
        if setup.plane:
            return plane_data(setup)
        if setup.dataset == "mnist":
            return self.mnist.page_data(setup, self.limits.mnist_test)
        if self.table is None:
            raise PlaygroundError("no CSV file uploaded in this page yet: upload one first")
        return self.table.page_data(setup, self.limits)

    def reset(self) -> None:
        """Back to the initial weights (the seeded ones, or those of a loaded model), epoch 0.

        The optimiser's state, the random generator behind dropout and the shuffling order
        restart too, so training again retraces the same path.
        """
        net = self._require()
        net.set_weights(self._initial)
        net.optimizer.reset()
        net.optimizer.set_epoch(0)
        net.rng.bit_generator.state = self._initial_rng
        self.rng = np.random.default_rng(self.setup.seed)
        self.explain_rng = np.random.default_rng(self.setup.seed + 1)
        data = self.data
        self.Y_train = targets(net, data, data.y_train)
        self.Y_test = targets(net, data, data.y_test)
        self.epoch = self.steps = 0
        self._cursor = 0
        self._order = np.arange(len(data.X_train))

    def _require(self) -> Network:
        if self.net is None:
            raise PlaygroundError("this page has no network yet: send its set-up first")
        return self.net

    @property
    def steps_per_epoch(self) -> int:
        return -(-len(self.data.X_train) // self.setup.batch)

    # ------------------------------------------------------------------ training

    def train(self, budget: float = 0.03, epochs: float = 1.0) -> dict:
        """Train on mini-batches for up to ``epochs`` epochs or ``budget`` seconds.

        At least one step is taken. An epoch started is carried on by the next call, so a
        large data set trains across many calls. If the loss or the weights stop being
        finite, the weights from before this call come back and a PlaygroundError says to
        lower the learning rate.

        Returns
        -------
        dict
            ``{"steps": steps taken, "epoch": epochs completed so far, "loss": last loss}``.
        """
        net, data, batch = self._require(), self.data, self.setup.batch
        n = len(data.X_train)
        wanted = max(1, math.ceil(epochs * self.steps_per_epoch))
        before = net.get_weights()
        end = time.perf_counter() + budget
        taken, loss = 0, math.nan
        with np.errstate(all="ignore"):  # a NaN/inf is reported by the check below instead
            while taken < wanted and (taken == 0 or time.perf_counter() < end):
                if self._cursor == 0:
                    self._order = self.rng.permutation(n)
                    net.optimizer.set_epoch(self.epoch)
                idx = self._order[self._cursor : self._cursor + batch]
                try:
                    loss, _ = net.train_step(data.rows(data.X_train, idx), self.Y_train[idx])
                except TrainingDivergedError:
                    loss = math.nan
                taken += 1
                self._cursor += batch
                if self._cursor >= n:
                    self._cursor = 0
                    self.epoch += 1
                    net.epochs_trained = self.epoch
                if not math.isfinite(loss):
                    break
        self.steps += taken
        if not (math.isfinite(loss) and all(np.isfinite(p).all() for p, _ in net.parameters())):
            net.set_weights(before)
            net.optimizer.reset()
            raise PlaygroundError(
                f"training diverged (the loss became {loss}) with learning rate "
                f"{net.optimizer.learning_rate:g}: the weights from before were restored; "
                f"lower the learning rate")
        return {"steps": taken, "epoch": self.epoch, "loss": float(loss)}

    def step_epoch(self) -> dict:
        """Train to the end of the current epoch (one whole epoch from a fresh start)."""
        self._require()
        left = self.steps_per_epoch - (self._cursor // self.setup.batch)
        return self.train(budget=math.inf, epochs=left / self.steps_per_epoch)

    # ------------------------------------------------------------------ inspecting

    def dense_layers(self) -> list[tuple[int, Dense]]:
        """(index in ``net.layers``, layer) of every Dense layer: the drawn columns."""
        return [(i, layer) for i, layer in enumerate(self._require().layers)
                if isinstance(layer, Dense)]

    def inputs_at(self, point) -> np.ndarray:
        """Network inputs (1, n_inputs) for a point of the plane, or for the drawn digit."""
        data = self.data
        if data.pixels:
            if self.digit is None:
                raise PlaygroundError("draw a digit on the pad first")
            return self.digit.reshape(1, -1)
        try:
            p = np.asarray(point, dtype=np.float64).reshape(1, 2)
        except (TypeError, ValueError):
            raise PlaygroundError(f"a point must be two numbers [x1, x2], got {point!r}") from None
        if not np.isfinite(p).all():
            raise PlaygroundError(f"a point must be two finite numbers, got {point!r}")
        return data.to_inputs(p.astype(np.float32))

    def layer_inputs(self, layer: int, x: np.ndarray) -> np.ndarray:
        """What Dense layer number ``layer`` (0-based among Dense layers) reads for inputs x."""
        dense = self.dense_layers()
        stop = dense[layer][0]
        out = x
        for lay in self._require().layers[:stop]:
            out = lay.forward(out, training=False)
        return out

    def explain_neuron(self, layer: int, neuron: int, point=None) -> dict:
        """A neuron's arithmetic at a point (its ``Neuron.explain``), or an input's formula."""
        self._require()
        x = self.inputs_at(point)
        where = ("the drawn digit" if self.data.pixels
                 else "point (" + ", ".join(f"{v:.3g}" for v in np.ravel(point)) + ")")
        if layer == -1:  # an input feature
            names = self.data.input_names
            if not 0 <= neuron < len(names):
                raise PlaygroundError(f"there is no input {neuron}: inputs are 0..{len(names)-1}")
            text = f"input {names[neuron]} at {where} = {float(x[0, neuron]):.6g}"
            return {"layer": layer, "neuron": neuron, "text": text}
        dense = self.dense_layers()
        if not 0 <= layer < len(dense):
            raise PlaygroundError(f"there is no layer {layer}: layers are 0..{len(dense) - 1}")
        lay = dense[layer][1]
        if not 0 <= neuron < lay.n_neurons:
            raise PlaygroundError(f"layer {layer} has neurons 0..{lay.n_neurons - 1}, not "
                                  f"{neuron}")
        a_prev = self.layer_inputs(layer, x)[0]
        text = lay.neurons[neuron].explain(a_prev)
        if lay.activation.name == "softmax":
            out = lay.forward(a_prev[None].astype(lay.dtype), training=False)[0]
            text += (f"\n  (softmax over the whole layer: this neuron's share is "
                     f"{float(out[neuron]):.6g})")
        head = f"layer {layer}, neuron {neuron} (layer.neurons[{neuron}]) at {where}"
        return {"layer": layer, "neuron": neuron, "text": head + "\n" + text}

    def set_param(self, layer: int, neuron: int, value, source: int | None = None) -> None:
        """Edit one weight (``source`` = the input's index) or, with ``source`` None, a bias."""
        dense = self.dense_layers()
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = math.nan
        if not math.isfinite(v) or abs(v) > 1e6:
            raise PlaygroundError(f"a weight must be a finite number within +-1e6, got {value!r}")
        if not 0 <= layer < len(dense):
            raise PlaygroundError(f"there is no layer {layer}: layers are 0..{len(dense) - 1}")
        lay = dense[layer][1]
        if not 0 <= neuron < lay.n_neurons:
            raise PlaygroundError(f"layer {layer} has neurons 0..{lay.n_neurons - 1}")
        n = lay.neurons[neuron]
        if source is None:
            n.bias = v
        elif 0 <= source < lay.n_inputs:
            n.weights[source] = v
        else:
            raise PlaygroundError(f"neuron {neuron} of layer {layer} has inputs "
                                  f"0..{lay.n_inputs - 1}, not {source}")

    def set_digit(self, pixels) -> None:
        """Keep the pad's digit (784 values in [0, 1], already centred like MNIST)."""
        try:
            x = np.asarray(pixels, dtype=np.float32).reshape(784)
        except (TypeError, ValueError):
            raise PlaygroundError("a drawn digit must be 784 numbers (28 x 28 pixels)") from None
        if not np.isfinite(x).all():
            raise PlaygroundError("a drawn digit's pixels must be finite numbers in [0, 1]")
        self.digit = np.clip(x, 0.0, 1.0)

    def explain_step(self) -> dict:
        """One backpropagation step on a training sample, applied (``Network.explain_step``)."""
        net = self._require()
        if not hasattr(net, "explain_step"):
            raise PlaygroundError("this version of neuronal has no Network.explain_step yet, so "
                                  "the backprop step cannot be shown")
        data = self.data
        i = int(self.explain_rng.integers(len(data.X_train)))
        x = data.rows(data.X_train, slice(i, i + 1))
        y = data.y_train[i : i + 1]
        with np.errstate(all="ignore"):
            step = net.explain_step(x, y, apply=True)
        from .frames import step_payload

        payload = step_payload(self, step)
        if data.points_train is not None:
            payload["point"] = [float(v) for v in data.points_train[i]]
        payload["sample"] = i
        return payload
