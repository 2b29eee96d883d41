"""Shapes: a network named by its layer sizes, and one sample's shape from layer to layer."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .errors import NeuronalError, ShapeError
from .layers.base import shape_matches

__all__ = ["parse_shape", "propagate_shapes", "check_chain"]


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
            if any(isinstance(s, bool) or s != int(s) for s in shape):
                sizes = []  # 4.5 neurons, or True
        except (TypeError, ValueError, OverflowError):
            sizes = []
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise NeuronalError(
            f"a network shape lists the layer sizes from inputs to outputs, like '784x16x10' "
            f"or [4, 3, 1] (at least two positive sizes); got {shape!r}"
        )
    return sizes


def propagate_shapes(layers, shape: tuple | None):
    """Yield (index, layer, input shape, output shape) of one sample; None where unknown.

    Starts from ``shape``, or from the first layer that declares an input shape when
    nothing is known yet (e.g. behind a leading Dropout).
    """
    for i, layer in enumerate(layers):
        if shape is None:
            shape = layer.input_shape
        try:
            out = layer.output_shape(shape) if shape is not None else None
        except Exception:  # a layer that cannot tell without a real input
            out = None
        yield i, layer, shape, out
        shape = out

def check_chain(layers) -> None:
    """Raise ShapeError where a layer expects samples of another shape than the one before
    it outputs."""
    for i, layer, shape, _ in propagate_shapes(layers, layers[0].input_shape):
        expected = layer.input_shape
        if i > 0 and shape is not None and expected is not None:
            if not shape_matches(tuple(expected), tuple(shape)):
                prev = layers[i - 1]
                raise ShapeError(
                    f"layer {i} {layer.describe()} expects samples of shape {expected} but "
                    f"layer {i - 1} {prev.describe()} outputs {shape}: make the sizes match"
                )
