"""NeuronalRegressor: a neuronal network as a scikit-learn regressor."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from ..errors import DataError
from ._base import PARAMETERS_DOC, NeuronalEstimator

__all__ = ["NeuronalRegressor"]


class NeuronalRegressor(RegressorMixin, NeuronalEstimator):
    __doc__ = f"""A neural network regressor trained by neuronal, with MLPRegressor's API.

    Linear output neurons (one per target column) and the mean squared error; y may have
    several columns (multi-output regression).
    {PARAMETERS_DOC}
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from neuronal.sklearn import NeuronalRegressor
    >>> X, y = make_regression(n_samples=200, n_features=4, noise=0.1, random_state=0)
    >>> reg = NeuronalRegressor((32,), max_iter=500, learning_rate_init=0.01,
    ...                         random_state=0).fit(X, y / 100)
    >>> reg.score(X, y / 100) > 0.9
    True
    """

    _output_activation = "linear"
    _loss = "mse"
    _y_numeric = True

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y), continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _encode(self, y, first: bool, incremental: bool, classes):
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if first:
            self.n_outputs_, self.out_activation_ = Y.shape[1], "identity"
        elif Y.shape[1] != self.n_outputs_:
            raise DataError(f"y has {Y.shape[1]} target column(s) but the model was fitted "
                            f"on {self.n_outputs_}")
        return Y.astype(np.float64, copy=False)

    def _loss_scale(self, Y) -> float:
        # our mean squared error is twice scikit-learn's "half squared error"
        return 2.0

    def predict(self, X):
        """Predicted target values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            1-D when the model was fitted on a 1-D y.
        """
        out = self._forward(X)
        return out[:, 0] if self.n_outputs_ == 1 else out

    def _validation_score(self, X, y, weights) -> float:
        out = self.network_.predict_proba(X)
        return r2_score(y, out[:, 0] if self.n_outputs_ == 1 else out, sample_weight=weights)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
