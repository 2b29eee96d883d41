"""Layers that only rearrange numbers: Flatten (images to vectors) and Reshape.

They have no parameters; backward reshapes the gradient back to the input's shape.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import NeuronalError, ShapeError
from .base import Layer

__all__ = ["Flatten", "Reshape"]


class Flatten(Layer):
    """Flatten each sample from axis ``start_dim`` on into one axis, like ``nn.Flatten``.

    The usual bridge from convolution/pooling layers, (N, C, H, W), to Dense layers,
    (N, C*H*W). The order is C, H, W (row-major), as in PyTorch, so the weights of the Dense
    layer that follows load into ``nn.Linear`` unchanged.

    Parameters
    ----------
    start_dim : int, default 1
        First axis to flatten, counting the batch axis as 0. ``start_dim=2`` turns a sequence
        of feature maps (N, T, C, H, W) into a sequence of vectors (N, T, C*H*W), the input of
        a recurrent layer.

    Shape
    -----
    input (N, d1, ..., dk); output (N, d1, ..., d_{start_dim-1}, d_start_dim * ... * dk).

    Examples
    --------
    >>> Flatten()(np.zeros((2, 16, 5, 5))).shape
    (2, 400)
    """

    independent_samples = True

    def __init__(self, start_dim: int = 1, *, name: str | None = None, dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        if isinstance(start_dim, bool) or not isinstance(start_dim, (int, np.integer)) \
                or start_dim < 1:
            raise NeuronalError(
                f"Flatten start_dim must be an integer >= 1 (axis 0 is the batch), got "
                f"{start_dim!r}"
            )
        self.start_dim = int(start_dim)

    def forward(self, x, training=False):
        self._in_shape = x.shape
        return x.reshape(*x.shape[: self.start_dim], -1)

    def backward(self, grad, preactivation=False):
        return grad.reshape(self._in_shape)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        keep, rest = shape[: self.start_dim - 1], shape[self.start_dim - 1 :]
        size = None if any(s is None for s in rest) else math.prod(rest)
        return (*keep, size)

    def check_input(self, x):
        if x.ndim <= self.start_dim:
            raise ShapeError(
                f"{self.describe()} flattens axes {self.start_dim}.. but got input of shape "
                f"{x.shape} with only {x.ndim} axes: pass a batch (N, ...) with at least "
                f"{self.start_dim + 1} axes, or lower start_dim"
            )

    def get_config(self):
        cfg = {} if self.start_dim == 1 else {"start_dim": self.start_dim}
        return {**cfg, **super().get_config()}


class Reshape(Layer):
    """Give each sample a new shape with the same number of entries, like ``x.view(N, *shape)``.

    Parameters
    ----------
    shape : tuple of int
        Target shape of one sample (without the batch axis); one entry may be -1 (inferred).
        ``Reshape((1, 28, 28))`` turns flat MNIST rows (N, 784) into images (N, 1, 28, 28).

    Shape
    -----
    input (N, ...) with prod(...) = prod(shape); output (N, *shape).

    Examples
    --------
    >>> Reshape((1, 28, 28))(np.zeros((3, 784))).shape
    (3, 1, 28, 28)
    """

    independent_samples = True

    def __init__(self, shape, *, name: str | None = None, dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        try:
            target = tuple(int(s) for s in shape)
        except (TypeError, ValueError):
            target = ()
        if not target or any(s == 0 or s < -1 for s in target) or target.count(-1) > 1:
            raise NeuronalError(
                f"Reshape needs the shape of one sample as a tuple of positive sizes (at most "
                f"one -1), got {shape!r}"
            )
        self.shape = target

    def forward(self, x, training=False):
        self._in_shape = x.shape
        return x.reshape(x.shape[0], *self.shape)

    def backward(self, grad, preactivation=False):
        return grad.reshape(self._in_shape)

    def output_shape(self, input_shape):
        if -1 not in self.shape:
            return self.shape
        if any(s is None for s in input_shape):
            return tuple(None if s == -1 else s for s in self.shape)
        known = math.prod(s for s in self.shape if s != -1)
        return tuple(math.prod(input_shape) // known if s == -1 else s for s in self.shape)

    def check_input(self, x):
        size = math.prod(x.shape[1:]) if x.ndim >= 1 else 0
        known = math.prod(s for s in self.shape if s != -1)
        ok = size % known == 0 if -1 in self.shape else size == known
        if x.ndim < 2 or not ok:
            want = "a multiple of " if -1 in self.shape else ""
            raise ShapeError(
                f"{self.describe()} cannot reshape input of shape {x.shape} to "
                f"(batch, {', '.join(map(str, self.shape))}): each sample has {size} entries, "
                f"the target needs {want}{known}; check the previous layer's output size"
            )

    def get_config(self):
        return {"shape": list(self.shape), **super().get_config()}

    def describe(self):
        return f"{super().describe()}({', '.join(map(str, self.shape))})"
