"""The fully connected layer: many neurons reading the same inputs, a = f(x W^T + b)."""

from __future__ import annotations

import math

import numpy as np

from .. import activations, initializers
from ..errors import ShapeError
from ..neuron import Neuron
from .base import Layer, positive_ints

__all__ = ["Dense"]


class _Neurons:
    """``layer.neurons``: a list-like of :class:`Neuron` views, one per row of W."""

    def __init__(self, layer: Dense) -> None:
        self._layer = layer

    def __len__(self) -> int:
        return self._layer.n_neurons

    def __getitem__(self, j: int) -> Neuron:
        layer = self._layer
        n = layer.n_neurons
        if not -n <= j < n:
            raise IndexError(f"{layer.describe()} has {n} neurons (0..{n - 1}); got index {j}")
        j %= n
        b = layer.bias
        return Neuron._view(layer.weights[j], b[j : j + 1], layer.activation, layer, j)

    def __iter__(self):
        return (self[j] for j in range(len(self)))

    def __repr__(self) -> str:
        return f"<{len(self)} neurons of {self._layer.describe()}>"


class Dense(Layer):
    """A layer of ``n_neurons`` neurons, each connected to all ``n_inputs`` inputs.

    For one sample x the layer computes a = f(W x + b); for a batch X of shape
    (batch, n_inputs) it computes ``A = f(X @ W.T + b)`` in one matrix product.

    Parameters
    ----------
    n_inputs : int
        Number of inputs each neuron reads (the previous layer's width).
    n_neurons : int
        Number of neurons (outputs).
    activation : str or Activation, default "linear"
    weight_init : str or Initializer, optional
        Default: He for ReLU-like activations, Glorot (Xavier uniform) otherwise.
    bias_init : str or Initializer, default "zeros"
    use_bias : bool, default True
    name, seed, dtype
        Optional label; seed used only when the layer builds itself outside a network; dtype.

    Shape
    -----
    input (batch, n_inputs), or (batch, ..., n_inputs): leading axes are kept;
    output (batch, n_neurons), or (batch, ..., n_neurons).

    Attributes
    ----------
    weights : ndarray of shape (n_neurons, n_inputs)
        Row j holds neuron j's weights (PyTorch ``nn.Linear.weight`` layout).
    bias : ndarray of shape (n_neurons,)
    neurons : list-like of Neuron
        ``layer.neurons[j]`` is a view of row j: editing it edits the layer.

    Examples
    --------
    >>> layer = Dense(4, 3, activation="sigmoid", seed=0)
    >>> layer.weights.shape, layer.bias.shape
    ((3, 4), (3,))
    >>> layer(np.ones((2, 4))).shape
    (2, 3)
    """

    independent_samples = True

    def __init__(
        self,
        n_inputs: int,
        n_neurons: int,
        activation="linear",
        *,
        weight_init=None,
        bias_init="zeros",
        use_bias: bool = True,
        name: str | None = None,
        seed: int | None = None,
        dtype=None,
    ) -> None:
        super().__init__(name=name, seed=seed, dtype=dtype)
        self.n_inputs, self._n_neurons = positive_ints(
            "Dense", n_inputs=n_inputs, n_neurons=n_neurons)
        self.activation = activations.get(activation)
        if weight_init is None:
            weight_init = initializers.default_for(self.activation.name)
        self.weight_init = initializers.get(weight_init)
        self.bias_init = initializers.get(bias_init)
        self.use_bias = bool(use_bias)
        self.input_shape = (self.n_inputs,)

    def _init_params(self, rng):
        shape = (self._n_neurons, self.n_inputs)
        fan_in, fan_out = self.n_inputs, self._n_neurons
        # Stored column-major: W has PyTorch's shape (n_neurons, n_inputs) and W.T is then a
        # C-contiguous (n_inputs, n_neurons) matrix, so x @ W.T and the weight gradient are plain
        # products of contiguous matrices, which OpenBLAS computes faster at MNIST
        # sizes than the same products with a transposed operand.
        self._params["weight"] = np.asfortranarray(
            self.weight_init(shape, fan_in, fan_out, rng, self.dtype))
        if self.use_bias:
            self._params["bias"] = self.bias_init((self._n_neurons,), fan_in, fan_out, rng,
                                                  self.dtype)

    # ------------------------------------------------------------------ the numbers

    @property
    def weights(self) -> np.ndarray:
        return self.params()["weight"]

    @weights.setter
    def weights(self, value) -> None:
        self._set_param("weight", value)

    @property
    def bias(self) -> np.ndarray:
        if not self.use_bias:
            zeros = np.zeros(self._n_neurons, dtype=self.dtype)
            zeros.flags.writeable = False  # no bias to edit: a write must fail, not vanish
            return zeros
        return self.params()["bias"]

    @bias.setter
    def bias(self, value) -> None:
        self._set_param("bias", value)

    @property
    def neurons(self) -> _Neurons:
        return _Neurons(self)

    @property
    def n_neurons(self) -> int:
        return self._n_neurons

    # ------------------------------------------------------------------ forward / backward

    def forward(self, x, training=False):
        self.x = x
        W = self._params["weight"]
        # z = x W^T + b: column j of z is neuron j's weighted sum (row j of W) plus its bias
        if x.ndim == 2:
            z = np.dot(x, W.T)
        else:  # (batch, ..., n_inputs): one product over all leading positions
            z = (x.reshape(-1, self.n_inputs) @ W.T).reshape(*x.shape[:-1], self._n_neurons)
        if self.use_bias:
            z += self._params["bias"]
        self.z = z
        self.a = a = self.activation.value(z)
        return a

    def backward(self, grad, preactivation=False):
        # delta = dLoss/dz: the error signal of this layer's neurons (Nielsen's "delta").
        delta = grad if preactivation else self.activation.backward(self.z, self.a, grad)
        x = self.x
        if x.ndim != 2:
            x = x.reshape(-1, self.n_inputs)
            delta = delta.reshape(-1, self._n_neurons)
        grads = self._grads
        # dW = delta^T x (n_neurons, n_inputs), computed as its transpose x^T delta straight into
        # the column-major gradient buffer (same layout as W)
        np.matmul(x.T, delta, out=grads["weight"].T)
        if self.use_bias:
            delta.sum(axis=0, out=grads["bias"])  # db = sum of delta over the batch
        if not self.needs_input_grad:
            return None
        dx = delta @ self._params["weight"]  # dx = delta W   (batch, n_inputs)
        return dx if x is self.x else dx.reshape(self.x.shape)

    def output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self._n_neurons)

    def matmul_macs(self, input_shape):
        # one product x W^T per leading position: n_inputs * n_neurons multiply-adds each
        return math.prod(tuple(input_shape)[:-1]) * self.n_inputs * self._n_neurons

    def check_input(self, x):
        if x.ndim < 2 or x.shape[-1] != self.n_inputs:
            raise ShapeError(
                f"{self.describe()} expects input of shape (batch, {self.n_inputs}), got "
                f"{x.shape}: {self._shape_hint(x)}"
            )

    def _shape_hint(self, x):
        if x.ndim == 1 and x.shape[0] == self.n_inputs:
            return "one sample must be passed as a batch of one, x.reshape(1, -1)"
        if x.ndim > 2 and int(np.prod(x.shape[1:])) == self.n_inputs:
            return "flatten each sample first, x.reshape(len(x), -1) (or add a Flatten layer)"
        return f"each sample needs {self.n_inputs} features (the layer's n_inputs)"

    def get_config(self):
        cfg = {
            "n_inputs": self.n_inputs,
            "n_neurons": self._n_neurons,
            "activation": self.activation.get_config(),
            "weight_init": self.weight_init.get_config(),
            "bias_init": self.bias_init.get_config(),
            "use_bias": self.use_bias,
        }
        return {**cfg, **super().get_config()}

    def describe(self):
        base = super().describe()
        return f"{base}({self.n_inputs} -> {self._n_neurons}, {self.activation.name})"

    def __repr__(self):
        return (
            f"Dense({self.n_inputs}, {self._n_neurons}, activation={self.activation.name!r})"
            + (f" named {self.name!r}" if self.name else "")
        )
