"""One artificial neuron: a weighted sum of the inputs plus a bias, through an activation.

    z = w1 x1 + w2 x2 + ... + wn xn + b        (the weighted sum, ``Neuron.z``)
    a = f(z)                                   (the activation, ``Neuron.__call__``)

A weight of 0 makes the neuron ignore that input; a large weight amplifies it; the bias shifts
the threshold. A :class:`Neuron` either owns its numbers or is a *view* of one row of a
:class:`~neuronal.Dense` layer (``layer.neurons[j]``): then reading or editing its weights reads
or edits the layer itself.

>>> n = Neuron(weights=[0.2, 0.00001], bias=1.0, activation="sigmoid")
>>> round(n.z([4, 80]), 4)
1.8008
>>> round(n([4, 80]), 4)
0.8582
"""

from __future__ import annotations

import numpy as np

from . import activations
from .errors import ShapeError

__all__ = ["Neuron"]

_SHOW_TERMS = 6  # explain() spells out at most this many products w_i * x_i


def _fmt(v: float) -> str:
    return f"{float(v):.6g}"


class Neuron:
    """A single neuron a = f(w . x + b).

    Parameters
    ----------
    weights : array_like of shape (n_inputs,)
        One weight per input.
    bias : float, default 0.0
    activation : str or Activation, default "sigmoid"

    Attributes
    ----------
    weights : ndarray of shape (n_inputs,)
        Editable in place; for a layer's neuron this is a view of the layer's row.
    bias : float
    activation : Activation
    """

    def __init__(self, weights, bias: float = 0.0, activation="sigmoid") -> None:
        w = np.array(weights, dtype=np.float64)
        if w.ndim != 1 or w.size == 0:
            raise ShapeError(
                f"Neuron weights must be a non-empty 1-D list, one per input; got shape {w.shape}"
            )
        self._weights = w
        self._bias = np.array([bias], dtype=np.float64)
        self.activation = activations.get(activation)

    @classmethod
    def _view(cls, weights_row: np.ndarray, bias_slot: np.ndarray, activation) -> Neuron:
        """A neuron sharing memory with a layer: ``weights_row`` and the 1-element ``bias_slot``."""
        n = cls.__new__(cls)
        n._weights, n._bias, n.activation = weights_row, bias_slot, activation
        return n

    # ------------------------------------------------------------------ numbers

    @property
    def weights(self) -> np.ndarray:
        return self._weights

    @weights.setter
    def weights(self, value) -> None:
        value = np.asarray(value, dtype=self._weights.dtype)
        if value.shape != self._weights.shape:
            raise ShapeError(
                f"a neuron with {self.n_inputs} inputs needs {self.n_inputs} weights, "
                f"got shape {value.shape}"
            )
        self._weights[...] = value

    @property
    def bias(self) -> float:
        return float(self._bias[0])

    @bias.setter
    def bias(self, value: float) -> None:
        self._bias[0] = value

    @property
    def n_inputs(self) -> int:
        return int(self._weights.shape[0])

    # ------------------------------------------------------------------ computation

    def _inputs(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.result_type(self._weights.dtype, np.float32))
        if x.shape[-1:] != (self.n_inputs,) or x.ndim > 2:
            raise ShapeError(
                f"this neuron has {self.n_inputs} inputs, so x must have shape "
                f"({self.n_inputs},) or (batch, {self.n_inputs}); got {x.shape}"
            )
        return x

    def z(self, x):
        """The weighted sum w . x + b (a float for one sample, an array for a batch)."""
        x = self._inputs(x)
        z = x @ self._weights + self._bias[0]
        return float(z) if np.ndim(z) == 0 else z

    def __call__(self, x):
        """The activation f(z)."""
        a = self.activation.value(np.asarray(self.z(x), dtype=np.float64))
        return float(a) if np.ndim(a) == 0 else a

    def explain(self, x) -> str:
        """The computation for one sample, step by step, with the numbers."""
        x = self._inputs(x)
        if x.ndim != 1:
            raise ShapeError(
                f"explain() takes one sample of shape ({self.n_inputs},), got {x.shape}"
            )
        w, b = self._weights, self.bias
        n = self.n_inputs
        shown = range(min(n, _SHOW_TERMS))
        more = f" + ... ({n - _SHOW_TERMS} more terms)" if n > _SHOW_TERMS else ""
        symbols = " + ".join(f"w{i + 1}*x{i + 1}" for i in shown) + more + " + b"
        numbers = " + ".join(f"{_fmt(w[i])}*{_fmt(x[i])}" for i in shown) + more + f" + {_fmt(b)}"
        products = " + ".join(_fmt(w[i] * x[i]) for i in shown)
        if n > _SHOW_TERMS:
            products += f" + {_fmt(float(w[_SHOW_TERMS:] @ x[_SHOW_TERMS:]))} (the other terms)"
        z = self.z(x)
        a = self(x)
        f = self.activation
        formula = f.formula if f.name == "softmax" else f.formula.replace("z", _fmt(z))
        return "\n".join(
            [
                f"Neuron with {n} input{'s' if n != 1 else ''}, activation {f.name}",
                f"  z = {symbols}",
                f"    = {numbers}",
                f"    = {products} + {_fmt(b)}",
                f"    = {_fmt(z)}",
                f"  a = {f.name}(z) = {formula} = {_fmt(a)}",
            ]
        )

    def __repr__(self) -> str:
        w = np.array2string(self._weights, precision=4, threshold=8, separator=", ")
        return f"Neuron(weights={w}, bias={self.bias:.4g}, activation={self.activation.name!r})"
