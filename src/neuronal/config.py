"""A network's settings checked when it is built, and its architecture as JSON-able data.

``Network`` calls these: the layers, dtype, seed and loss are checked with a clear error each
(what was expected, what arrived, the fix), and :func:`to_config` / :func:`from_config` turn a
network's architecture and training settings into plain data and back (``nl.save`` stores
that data; only registered layer types can be rebuilt from it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import losses as _losses
from .errors import NeuronalError
from .layers.base import Layer

__all__ = ["check_layers", "check_dtype", "check_seed", "choose_loss", "to_config",
           "from_config"]


def check_layers(layers) -> list[Layer]:
    """``layers`` as a list of Layer objects (at least one)."""
    if isinstance(layers, Layer):
        raise NeuronalError(f"a Network takes a list of layers, got a single "
                            f"{type(layers).__name__}: write Network([layer])")
    try:
        layers = list(layers)
    except TypeError:
        raise NeuronalError(f"a Network takes a list of layers, got "
                            f"{type(layers).__name__}") from None
    if not layers:
        raise NeuronalError("a Network needs at least one layer, got an empty list")
    for i, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise NeuronalError(f"layer {i} must be a neuronal Layer (Dense, Dropout, ...), "
                                f"got {type(layer).__name__}")
    return layers


def check_dtype(dtype) -> np.dtype:
    """float32 or float64, from a name, a NumPy dtype or a type."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.float32, np.float64):
        raise NeuronalError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return dt


def check_seed(seed) -> int | None:
    """None (a fresh random start) or an integer >= 0."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise NeuronalError(f"seed must be an integer >= 0 (or None for a random start), got "
                            f"{seed!r}")
    return int(seed)


def choose_loss(layers: list[Layer], loss) -> _losses.Loss:
    """The loss asked for, or cross-entropy after a softmax output and mse otherwise; checked
    against the output layer."""
    last = getattr(layers[-1], "activation", None)
    name = last.name if last is not None else None
    if name == "softmax" and getattr(layers[-1], "n_neurons", 2) == 1:
        raise NeuronalError(
            f"the last layer {layers[-1].describe()} is a softmax of 1 neuron, whose output is "
            f"always 1.0: for a yes/no answer use 1 neuron with activation='sigmoid' (and "
            f"loss='binary_cross_entropy'), or give the softmax 2 or more neurons")
    if loss is None:
        loss = "cross_entropy" if name == "softmax" else "mse"
    loss = _losses.get(loss)
    fused = loss.fused_with
    if fused is not None and name != fused:
        raise NeuronalError(
            f"loss {loss.name!r} needs a {fused} output layer, but the last layer's activation "
            f"is {name or 'none'!r}: use activation={fused!r} on the last layer, or loss='mse' "
            f"for regression")
    return loss


def to_config(network) -> dict[str, Any]:
    """The architecture and training settings of ``network`` as JSON-able data (no weights)."""
    config = {
        "name": network.name,
        "dtype": network.dtype.name,
        "seed": network.seed,
        "sample_shape": list(network.sample_shape) if network.sample_shape else None,
        "layers": [{"type": type(layer).__name__, "config": layer.get_config()}
                   for layer in network.layers],
        "loss": network.loss.get_config(),
        "optimizer": network.optimizer.get_config(),
    }
    if network.classes is not None:
        config["classes"] = list(network.classes)
    if network.labelled:
        config["labelled"] = True
    return config


def from_config(cls, config: dict[str, Any], initialize: bool = True):
    """A network of class ``cls`` rebuilt from :func:`to_config`'s data."""
    layers = []
    for i, spec in enumerate(config["layers"]):
        kind = spec.get("type")
        if kind not in Layer.types:
            raise NeuronalError(f"layer {i} has unknown type {kind!r}; known layer types: "
                                f"{', '.join(sorted(Layer.types))}")
        layers.append(Layer.types[kind].from_config(spec.get("config", {})))
    net = cls(layers, loss=config.get("loss"), optimizer=config.get("optimizer"),
              seed=config.get("seed"), dtype=config.get("dtype", "float32"),
              name=config.get("name"), initialize=initialize)
    if config.get("sample_shape"):
        net.sample_shape = tuple(int(s) for s in config["sample_shape"])
    if (classes := config.get("classes")) is not None:  # the outputs' names
        net.classes = [str(c) for c in classes]
    net.labelled = bool(config.get("labelled", False))
    return net
