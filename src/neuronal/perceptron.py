"""Rosenblatt's perceptron: a step neuron trained by the perceptron learning rule.

The binary step has no useful derivative, so gradient descent cannot train it. The perceptron
rule needs none: for each sample, predict y_hat = step(w . x + b) and, if it is wrong, move the
weights towards the sample (w <- w + lr (y - y_hat) x, b <- b + lr (y - y_hat)). On linearly
separable data this converges in finitely many steps (the perceptron convergence theorem); on
data that are not separable, such as XOR, it never settles, so ``fit`` stops after
``max_epochs`` and reports that instead of looping forever.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._data import as_inputs
from .errors import DataError, ShapeError
from .neuron import Neuron

__all__ = ["Perceptron", "ConvergenceWarning"]


class ConvergenceWarning(UserWarning):
    """The perceptron rule did not converge: the data are probably not linearly separable."""


class Perceptron:
    """A single step neuron trained by the perceptron learning rule.

    Parameters
    ----------
    n_inputs : int
    learning_rate : float, default 1.0
    max_epochs : int, default 100
        Passes over the data before giving up on non-separable data.
    seed : int, optional
        Seeds the small random initial weights and the sample order.

    Attributes
    ----------
    weights : ndarray (n_inputs,), bias : float
    converged : bool
        True when an epoch made no mistakes.
    epochs_ : int
        Epochs run by the last ``fit``.
    errors_ : list of int
        Mistakes per epoch.

    Examples
    --------
    >>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    >>> p = Perceptron(n_inputs=2, seed=0).fit(X, [0, 0, 0, 1])   # AND
    >>> p.predict(X).tolist(), p.converged
    ([0, 0, 0, 1], True)
    """

    def __init__(self, n_inputs: int, learning_rate: float = 1.0, max_epochs: int = 100,
                 seed: int | None = None) -> None:
        if int(n_inputs) < 1:
            raise ShapeError(f"Perceptron n_inputs must be >= 1, got {n_inputs!r}")
        if int(max_epochs) < 1:  # fit needs at least one epoch to report on
            raise DataError(f"Perceptron max_epochs must be >= 1, got {max_epochs!r}")
        self.n_inputs, self.learning_rate = int(n_inputs), float(learning_rate)
        self.max_epochs = int(max_epochs)
        self.rng = np.random.default_rng(seed)
        self.weights = self.rng.normal(0, 0.01, self.n_inputs)
        self.bias = 0.0
        self.converged = False
        self.epochs_ = 0
        self.errors_: list[int] = []

    @property
    def neuron(self) -> Neuron:
        """The trained neuron (binary step activation), for ``explain``."""
        return Neuron(self.weights, self.bias, activation="step")

    def _check(self, X) -> np.ndarray:
        X = as_inputs(X, np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ShapeError(
                f"Perceptron with {self.n_inputs} inputs expects X of shape (n, {self.n_inputs}), "
                f"got {X.shape}"
            )
        return X

    def fit(self, X, y) -> Perceptron:
        """Apply the perceptron rule until an epoch makes no mistake or ``max_epochs`` pass."""
        X = self._check(X)
        y = np.asarray(y).reshape(-1)
        if len(y) != len(X) or not np.isin(y, (0, 1)).all():
            raise DataError(
                f"Perceptron labels must be 0 or 1, one per sample ({len(X)}); got {y[:10]!r}"
                f"{f' (length {len(y)})' if len(y) != len(X) else ''}"
            )
        self.errors_, self.converged = [], False
        for _ in range(self.max_epochs):
            mistakes = 0
            for i in self.rng.permutation(len(X)):  # the rule is online: one sample at a time
                error = y[i] - (X[i] @ self.weights + self.bias >= 0)
                if error:
                    self.weights += self.learning_rate * error * X[i]
                    self.bias += self.learning_rate * error
                    mistakes += 1
            self.errors_.append(mistakes)
            if mistakes == 0:
                self.converged = True
                break
        self.epochs_ = len(self.errors_)
        if not self.converged:
            warnings.warn(
                f"the perceptron rule did not converge in {self.max_epochs} epochs "
                f"({self.errors_[-1]} mistakes in the last): the data are probably not linearly "
                f"separable (XOR is not); use a network with a hidden layer",
                ConvergenceWarning, stacklevel=2,
            )
        return self

    def predict(self, X) -> np.ndarray:
        """0/1 predictions: step(X w + b)."""
        X = self._check(X)
        return (X @ self.weights + self.bias >= 0).astype(np.int64)

    def score(self, X, y) -> float:
        """Accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == np.asarray(y).reshape(-1)))

    def __repr__(self) -> str:
        w = np.round(self.weights, 4).tolist()
        return f"Perceptron(n_inputs={self.n_inputs}, weights={w}, bias={self.bias:.4g})"
