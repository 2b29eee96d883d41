"""Scaling the inputs inside the model: y = (x - mean) / scale, learnt from data by ``adapt``.

Networks learn badly from features on very different scales (a height in metres next to a
weight in kilograms, pixels 0..255): a sigmoid saturates, one weight must be a thousand times
another. Scaling each feature to about mean 0 and spread 1 fixes that. Putting the scaling in
a layer, rather than in a script, keeps it with the model: the numbers are saved in the model
file (as buffers, like BatchNorm's running statistics) and every prediction from that file is
scaled the same way, whoever makes it.

Unlike BatchNorm the numbers are not trained and do not depend on the batch: ``adapt(X)``
computes them once from the training data, like scikit-learn's ``StandardScaler.fit`` or
Keras's ``Normalization.adapt``.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, NeuronalError, ShapeError
from .base import Layer, positive_ints

__all__ = ["Normalize"]

_METHODS = ("standard", "minmax")


class Normalize(Layer):
    """Scale every feature (the last axis) with a mean and a scale learnt by :meth:`adapt`.

    ``y = (x - mean) / scale``, per feature. With ``method="standard"`` the mean is the
    feature's mean and the scale its standard deviation (the result has mean 0 and standard
    deviation 1 on the data adapted to); with ``"minmax"`` the mean is the minimum and the
    scale the range (the result lies in [0, 1]). A constant feature gets scale 1.

    Parameters
    ----------
    n_features : int, optional
        Features per sample; set by :meth:`adapt` when not given.
    method : {"standard", "minmax"}, default "standard"
    name, dtype
        Optional label; dtype.

    Shape
    -----
    input (N, n_features) or (N, ..., n_features); output: the same.

    Attributes
    ----------
    mean, scale : ndarray of shape (n_features,)
        Buffers (saved with the model, never trained); 0 and 1 until :meth:`adapt`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.70, 60.0], [1.80, 90.0]])
    >>> norm = Normalize().adapt(X)
    >>> norm(X).round(3).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """

    independent_samples = True

    def __init__(self, n_features: int | None = None, method: str = "standard", *,
                 name: str | None = None, dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        if method not in _METHODS:
            raise NeuronalError(f"Normalize method must be one of {', '.join(_METHODS)}, got "
                                f"{method!r}")
        self.method = method
        self.n_features = None
        if n_features is not None:
            (self.n_features,) = positive_ints("Normalize", n_features=n_features)
            self.input_shape = (self.n_features,)

    def _init_params(self, rng):
        if self.n_features is None:
            raise NeuronalError(
                "Normalize does not know its number of features yet: call adapt(X_train) "
                "before using it (or pass n_features)"
            )
        self._buffers["mean"] = np.zeros(self.n_features, dtype=self.dtype)
        self._buffers["scale"] = np.ones(self.n_features, dtype=self.dtype)

    @property
    def mean(self) -> np.ndarray:
        return self.buffers()["mean"]

    @property
    def scale(self) -> np.ndarray:
        return self.buffers()["scale"]

    def adapt(self, X) -> Normalize:
        """Learn the mean and scale of every feature from ``X`` (over all other axes).

        Returns the layer, so ``Normalize().adapt(X_train)`` reads as one step.

        Raises
        ------
        DataError
            ``X`` is empty, not numeric, or holds NaN or infinite values.
        ShapeError
            ``X`` has another number of features than the layer was built for.
        """
        try:
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError("Normalize.adapt needs numbers: X could not be read as a numeric "
                            "array") from None
        if X.ndim < 2 or X.shape[0] == 0 or X.shape[-1] == 0:
            raise DataError(f"Normalize.adapt needs a batch of samples (n, features) with n >= 1,"
                            f" got shape {X.shape}")
        if not np.isfinite(X).all():
            raise DataError("Normalize.adapt: X holds NaN or infinite values; clean the data "
                            "first")
        n = X.shape[-1]
        if self.n_features is None:
            self.n_features, self.input_shape = n, (n,)
        elif n != self.n_features:
            raise ShapeError(f"{self.describe()} was built for {self.n_features} features, but X "
                             f"has {n}: adapt to data of the same width")
        self._ensure_built()
        flat = X.reshape(-1, n)
        if self.method == "standard":
            mean, scale = flat.mean(axis=0), flat.std(axis=0)
        else:
            mean, scale = flat.min(axis=0), flat.max(axis=0) - flat.min(axis=0)
        scale = np.where(scale > 1e-12 * np.maximum(1.0, np.abs(mean)), scale, 1.0)
        self._buffers["mean"][...] = mean
        self._buffers["scale"][...] = scale
        return self

    def forward(self, x, training=False):
        b = self.buffers()
        return (x - b["mean"]) / b["scale"]

    def backward(self, grad, preactivation=False):
        return grad / self.buffers()["scale"] if self.needs_input_grad else None

    def check_input(self, x):
        if self.n_features is not None and (x.ndim < 2 or x.shape[-1] != self.n_features):
            raise ShapeError(
                f"{self.describe()} expects samples with {self.n_features} features (the last "
                f"axis), got input of shape {x.shape}"
            )

    def matmul_macs(self, input_shape):
        return 0

    def get_config(self):
        cfg = {"n_features": self.n_features, "method": self.method}
        return {**cfg, **super().get_config()}

    def describe(self):
        n = "?" if self.n_features is None else self.n_features
        return f"{super().describe()}({n} features, {self.method})"
