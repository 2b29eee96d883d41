"""An activation function as a layer of its own, to put between any two layers."""

from __future__ import annotations

from .. import activations
from .base import Layer

__all__ = ["Activation"]


class Activation(Layer):
    """Applies ``activation`` elementwise (softmax: along the last axis); no parameters.

    ``Dense(4, 3, activation="relu")`` and ``[Dense(4, 3), Activation("relu")]`` compute the
    same thing; the standalone form is handy after convolution or normalisation layers.

    Shape
    -----
    input: any, output: same as input.
    """

    independent_samples = True

    def __init__(self, activation="relu", *, name: str | None = None, dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.activation = activations.get(activation)

    def forward(self, x, training=False):
        self.z = x
        self.a = a = self.activation.value(x)
        return a

    def backward(self, grad, preactivation=False):
        if preactivation:
            return grad
        return self.activation.backward(self.z, self.a, grad)

    def get_config(self):
        return {"activation": self.activation.get_config(), **super().get_config()}

    def describe(self):
        return f"{super().describe()}({self.activation.name})"
