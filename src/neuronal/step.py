"""One training step made visible: what backpropagation does to every connection.

``net.explain_step(x, y)`` runs one sample (or a small batch) forward, measures the loss,
sends the error backward layer by layer and works out the plain gradient-descent update
dW = -learning_rate * dLoss/dW, without changing the network unless asked. The lesson it
shows: a connection whose input was active and whose neuron's error points one way is
strengthened or weakened in proportion to both (dLoss/dW[j, i] = delta_j * a_i).

Numbering is 0-based everywhere: layer i is ``net.layers[i]``, neuron j is row j of its
weights (``layer.neurons[j]``), input i is column i.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import seams
from .errors import NotDifferentiableError, ShapeError
from .layers.base import shape_matches
from .layers.dense import Dense

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

__all__ = ["StepExplanation", "LayerStep", "Connection", "explain_step"]

#: How many connections ``strengthened`` and ``weakened`` list.
TOP = 5


@dataclass
class Connection:
    """One weight: row ``neuron`` (j), column ``input`` (i) of layer ``layer``'s W."""

    layer: int
    neuron: int
    input: int
    weight: float  # before the step
    change: float  # the update: -learning_rate * dLoss/dW[j, i]

    def __str__(self) -> str:
        return (f"layer {self.layer}, neuron {self.neuron} <- input {self.input}: "
                f"w = {self.weight:.4g} {'+' if self.change >= 0 else '-'} "
                f"{abs(self.change):.4g}")


@dataclass
class LayerStep:
    """What one layer computed forward and received backward in the step."""

    index: int
    layer: Any
    description: str
    input: np.ndarray
    z: np.ndarray | None  # pre-activation (None for layers without one)
    a: np.ndarray  # output
    delta: np.ndarray | None = None  # dLoss/dz (dLoss/doutput for layers without z)
    gradients: dict[str, np.ndarray] = field(default_factory=dict)
    updates: dict[str, np.ndarray] = field(default_factory=dict)
    weights_before: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class StepExplanation:
    """One step of training, in numbers (see ``Network.explain_step``); ``str()`` tells it."""

    x: np.ndarray
    y: np.ndarray
    output: np.ndarray
    loss: float
    predicted: np.ndarray | None
    target: np.ndarray | None
    correct: np.ndarray | None
    learning_rate: float
    applied: bool
    layers: list[LayerStep]
    strengthened: list[Connection]
    weakened: list[Connection]
    loss_name: str = ""

    def __str__(self) -> str:
        return _story(self)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows the story
        printer.text(str(self))


def explain_step(network: Network, x, y, learning_rate: float | None = None,
                 apply: bool = False) -> StepExplanation:
    """See ``Network.explain_step``."""
    from .training import check_trainable

    check_trainable(network)
    x = np.asarray(x, dtype=network.dtype) if not isinstance(x, np.ndarray) else x
    expected = network.layers[0].input_shape
    if x.ndim and (expected is None or shape_matches(tuple(expected), x.shape)):
        x = x[None]  # one sample: add the batch axis
        # one sample's target: a label, or a row (one-hot, 0/1 answers, regression values)
        if np.ndim(y) == 0 or (np.ndim(y) == 1 and (network._target_kind() == "regression"
                                                    or np.size(y) > 1)):
            y = np.asarray(y)[None]
    X, Y, _ = network._prepare(x, y)
    if len(X) > 256:
        raise ShapeError(f"explain_step shows one sample or a small batch (up to 256), got "
                         f"{len(X)} samples: pass a few rows, e.g. X[:8]")
    lr = network.optimizer.learning_rate if learning_rate is None else float(learning_rate)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        steps = _forward(network, X)
        out = steps[-1].a
        loss, grad, pre = network.loss_and_delta(out, Y)
        _backward(network, steps, grad, pre, lr)
    connections = [c for s in steps for c in _connections(s)]
    strengthened = sorted((c for c in connections if c.change > 0), key=lambda c: -c.change)
    weakened = sorted((c for c in connections if c.change < 0), key=lambda c: c.change)
    predicted = target = correct = None
    kind = network._target_kind()
    if kind == "categorical" or (kind == "binary" and network.labelled and out.shape[1] > 1):
        predicted, target = out.argmax(axis=1), Y.argmax(axis=1)  # classes (count_correct's rule)
    elif kind == "binary":
        predicted, target = (out >= 0.5).astype(np.int64), (Y >= 0.5).astype(np.int64)
        if out.shape[1] == 1:
            predicted, target = predicted[:, 0], target[:, 0]
    if predicted is not None:
        correct = predicted == target if predicted.ndim == 1 else (predicted == target).all(1)
    if apply:
        for s in steps:
            for name, change in s.updates.items():
                s.layer.params()[name][...] += change
    return StepExplanation(X, Y, out.copy(), float(loss), predicted, target, correct, lr,
                           bool(apply), steps, strengthened[:TOP], weakened[:TOP],
                           network.loss.name)


def _forward(network: Network, X: np.ndarray) -> list[LayerStep]:
    steps, a = [], X
    for i, layer in enumerate(network.layers):
        x_in = a
        a = seams.forward(layer, x_in, True)
        z = getattr(layer, "z", None) if _has_z(layer) else None
        steps.append(LayerStep(i, layer, layer.describe(), x_in.copy(),
                               None if z is None else np.array(z, copy=True), a.copy()))
    return steps


def _has_z(layer) -> bool:
    """Layers whose output is activation(z) with z kept by forward (Dense, Conv2D, ...)."""
    return getattr(layer, "activation", None) is not None and getattr(layer, "z", None) \
        is not None


def _backward(network, steps: list[LayerStep], grad, pre: bool, lr: float) -> None:
    for s in reversed(steps):
        layer = s.layer
        if s.z is not None:
            if not pre and not layer.activation.differentiable:  # pragma: no cover (checked)
                raise NotDifferentiableError(f"{s.description} cannot be trained by gradients")
            delta = grad if pre else layer.activation.backward(layer.z, layer.a, grad)
            s.delta = np.array(delta, copy=True)
            grad = seams.backward(layer, delta, True)
        else:
            s.delta = np.array(grad, copy=True)
            grad = seams.backward(layer, grad, pre)
        pre = False
        params, grads = layer.params(), layer.grads()
        s.weights_before = {k: v.copy() for k, v in params.items()}
        s.gradients = {k: grads[k].copy() for k in params}
        s.updates = {k: -lr * g for k, g in s.gradients.items()}


def _connections(s: LayerStep) -> list[Connection]:
    if not isinstance(s.layer, Dense) or "weight" not in s.updates:
        return []
    W, dW = s.weights_before["weight"], s.updates["weight"]
    flat = np.argsort(np.abs(dW), axis=None)[::-1][: 4 * TOP]
    out = []
    for k in flat:
        j, i = np.unravel_index(k, dW.shape)
        out.append(Connection(s.index, int(j), int(i), float(W[j, i]), float(dW[j, i])))
    return out


def _fmt(v: np.ndarray, width: int = 8) -> str:
    v = np.asarray(v).ravel()
    text = np.array2string(v[:width], precision=4, suppress_small=True, max_line_width=90)
    return text if v.size <= width else text[:-1] + f" ... ({v.size} values)]"


def _story(e: StepExplanation) -> str:
    n = len(e.x)
    lines = [f"One training step on {n} sample{'s' if n != 1 else ''} "
             f"(learning rate {e.learning_rate:g}){' - applied' if e.applied else ''}",
             "", "Forward propagation:", f"  input x = {_fmt(e.x[0])}"]
    for s in e.layers:
        lines.append(f"  layer {s.index} {s.description}")
        if s.z is not None:
            lines.append(f"    z = {_fmt(s.z[0])}")
            lines.append(f"    a = {s.layer.activation.name}(z) = {_fmt(s.a[0])}")
        else:
            lines.append(f"    out = {_fmt(s.a[0])}")
    lines.append(f"Loss ({e.loss_name}): {e.loss:.6g}")
    if e.correct is not None:
        right = int(np.count_nonzero(e.correct))
        if n == 1:
            verdict = "right" if bool(e.correct[0]) else "wrong"
            lines.append(f"Answer: {_value(e.predicted[0])}, target {_value(e.target[0])}: "
                         f"{verdict}")
        else:
            lines.append(f"Answers: {right} of {n} right")
    lines += ["", "Backpropagation (delta = dLoss/dz; update = -learning rate x gradient):"]
    for s in reversed(e.layers):
        if s.delta is None:
            continue
        lines.append(f"  layer {s.index} {s.description}")
        lines.append(f"    delta = {_fmt(s.delta[0])}")
        for name, g in s.gradients.items():
            label = "dL/dW" if name == "weight" else ("dL/db" if name == "bias" else f"dL/d{name}")
            lines.append(f"    {label} = {_fmt(g)}")
            lines.append(f"    update {name} = {_fmt(s.updates[name])}")
    if e.strengthened or e.weakened:
        lines += ["", "Connections most strengthened (weight goes up):"]
        lines += [f"  {c}" for c in e.strengthened] or ["  none"]
        lines += ["Connections most weakened (weight goes down):"]
        lines += [f"  {c}" for c in e.weakened] or ["  none"]
    if not e.applied:
        lines += ["", "(The network is unchanged: pass apply=True to take this step.)"]
    return "\n".join(lines)


def _value(v) -> str:
    return str(v.tolist() if isinstance(v, np.ndarray) else int(v))
