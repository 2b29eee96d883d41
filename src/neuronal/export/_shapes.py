"""What both exporters need to know before converting: a network, and its input's shape.

A layer converts differently depending on the *rank* of what it receives (a Dense layer on
(N, F) rows is one Gemm; on (N, T, F) sequences a MatMul), and the ONNX graph declares the
shape of its input. Both come from the shape of one input sample, taken (in this order) from
the ``input_shape`` argument, from ``network.sample_shape`` (set by ``fit`` and saved with the
model), or from the input size the first layers declare (``Dense(784, ...)`` takes (784,),
``Conv2D(1, ...)`` (1, H, W) with H and W left open, ``LSTM(28, ...)`` (T, 28)).
"""

from __future__ import annotations

import numpy as np

from ..errors import NeuronalError, ShapeError
from ..layers import GRU, LSTM, Activation, BatchNorm, Dropout, Embedding, SimpleRNN
from ..layers.base import shape_matches
from ..network import Network

__all__ = ["check_network", "resolve_input_shape", "layer_shapes", "format_shape", "conv_pads"]

#: Layers whose output has the shape of their input and that declare no input size.
_SAME_SHAPE = (Dropout, Activation, BatchNorm)
#: Layers that take (T, F) sequences only, no extra leading axes.
_RECURRENT = (SimpleRNN, LSTM, GRU)


def check_network(network, what: str) -> Network:
    """``network`` if it is a Network whose layers all have their parameters, else an error."""
    if not isinstance(network, Network):
        raise NeuronalError(
            f"{what}() takes a neuronal Network, got {type(network).__name__}: build one with "
            f"nl.Network([...]) or nl.Network.from_shape('784x16x10'), or load one with nl.load"
        )
    for i, layer in enumerate(network.layers):
        if not getattr(layer, "built", False):
            raise NeuronalError(
                f"{what}(): layer {i} {layer.describe()} has no parameters yet (it was never "
                f"built): put it in a Network, which builds every layer, before exporting"
            )
    return network


def format_shape(shape) -> str:
    """``(None, 28)`` -> ``"(batch, ?, 28)"``: one sample's shape with the batch axis."""
    return "(" + ", ".join(["batch", *("?" if s is None else str(s) for s in shape)]) + ")"


def _declared(layers) -> tuple | None:
    """The input sample shape the first layers declare, or None when they declare none.

    Walks back from the first layer with an ``input_shape`` through layers that keep the
    shape (Dropout, Activation, BatchNorm) and Embedding, which adds a last axis.
    """
    for k, layer in enumerate(layers):
        if layer.input_shape is None:
            continue
        shape = tuple(layer.input_shape)
        for prev in reversed(layers[:k]):
            if type(prev) is Embedding and len(shape) > 1:
                shape = shape[:-1]
            elif type(prev) not in _SAME_SHAPE:
                return None
        return shape
    return None


def resolve_input_shape(network: Network, input_shape, what: str) -> tuple:
    """The shape of one input sample for the export (see the module docstring)."""
    if input_shape is not None:
        try:
            sizes = list(input_shape) if not isinstance(input_shape, str) else None
        except TypeError:
            sizes = None
        if sizes is None or not all(
                s is None or (isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                              and s >= 1) for s in sizes):
            raise ShapeError(
                f"{what}(): input_shape must be the shape of one sample without the batch axis, "
                f"a tuple of positive integers (None for a size left open), e.g. (1, 28, 28); "
                f"got {input_shape!r}"
            )
        return tuple(None if s is None else int(s) for s in sizes)
    if network.sample_shape:
        return tuple(int(s) for s in network.sample_shape)
    shape = _declared(network.layers)
    if shape is None:
        raise NeuronalError(
            f"{what}(): the network does not know the shape of its input yet (it was not "
            f"trained, and its first layer, {network.layers[0].describe()}, declares no input "
            f"size): pass input_shape=, the shape of one sample without the batch axis, e.g. "
            f"input_shape=(784,)"
        )
    return shape


def _accepts(layer, shape: tuple) -> bool:
    """Whether ``layer`` takes samples of ``shape``: its declared input shape, with extra
    leading axes for the layers that treat them as more batch (Dense, Conv2D, the pools)."""
    expected = layer.input_shape
    if expected is None:
        return True
    expected = tuple(expected)
    if len(shape) > len(expected) and not isinstance(layer, _RECURRENT):
        shape = shape[len(shape) - len(expected):]
    return shape_matches(expected, shape)


def layer_shapes(network: Network, shape: tuple, what: str) -> list[tuple]:
    """The input sample shape of every layer, then the network's output sample shape.

    Raises :class:`ShapeError` where a layer cannot take what the previous one gives it.
    """
    shapes = [shape]
    for i, layer in enumerate(network.layers):
        if not _accepts(layer, shape):
            expected = layer.input_shape
            raise ShapeError(
                f"{what}(): layer {i} {layer.describe()} expects samples of shape "
                f"{format_shape(expected)} but gets {format_shape(shape)} when the network's "
                f"input is {format_shape(shapes[0])}: pass the right input_shape= (the shape "
                f"of one sample the network was trained on)"
            )
        try:
            shape = tuple(layer.output_shape(shape))
        except Exception as exc:  # a layer that cannot take this rank
            raise ShapeError(
                f"{what}(): layer {i} {layer.describe()} cannot take samples of shape "
                f"{format_shape(shape)} ({type(exc).__name__}: {exc}); pass the right "
                f"input_shape="
            ) from None
        shapes.append(shape)
    return shapes


def conv_pads(layer) -> tuple[int, int, int, int]:
    """(top, bottom, left, right): the zeros Conv2D.forward puts around each image."""
    kh, kw = layer.kernel_size
    if layer.padding == "same":  # an even kernel gets its extra pixel at the bottom/right
        return ((kh - 1) // 2, kh - 1 - (kh - 1) // 2, (kw - 1) // 2, kw - 1 - (kw - 1) // 2)
    if layer.padding == "valid":
        return (0, 0, 0, 0)
    ph, pw = layer.padding
    return (ph, ph, pw, pw)
