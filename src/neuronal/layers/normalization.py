"""Batch normalisation: standardise each feature (channel) over the batch, then rescale.

During training each feature is centred and scaled with the mean and variance of the current
mini-batch, x_hat = (x - mean) / sqrt(var + eps), and the layer outputs gamma * x_hat + beta
with learnable gamma (``weight``) and beta (``bias``). It also keeps exponential running
averages of the batch statistics; prediction (``training=False``) uses those instead, so a
sample's output does not depend on the rest of its batch.
"""

from __future__ import annotations

import numpy as np

from ..errors import NeuronalError, ShapeError
from .base import Layer

__all__ = ["BatchNorm"]


class BatchNorm(Layer):
    """Batch normalisation for dense and convolutional inputs (``nn.BatchNorm1d/2d``).

    The feature axis is axis 1, as in PyTorch: features of (N, F) rows, channels of
    (N, C, L) sequences or (N, C, H, W) images. Statistics are taken over every other axis.

    Forward (training): mean and biased variance over the batch (and positions), then
    y = weight * (x - mean) / sqrt(var + eps) + bias, and
    ``running_mean <- (1 - momentum) running_mean + momentum mean``,
    ``running_var <- (1 - momentum) running_var + momentum var * m / (m - 1)`` (unbiased, m
    values per feature), exactly as PyTorch. Forward (prediction) uses the running statistics.

    Backward (training), with x_hat the normalised input, g = dLoss/dy and means taken per
    feature: dx = weight / sqrt(var + eps) * (g - mean(g) - x_hat mean(g x_hat)); the mean and
    variance depend on every sample, hence the two correction terms.

    Parameters
    ----------
    num_features : int
        Size of axis 1 (features or channels).
    momentum : float, default 0.1
        Weight of the current batch in the running averages.
    eps : float, default 1e-5
        Added to the variance before the square root.

    Shape
    -----
    input (N, F), (N, C, L) or (N, C, H, W); output: same as input.

    Attributes
    ----------
    weight : ndarray of shape (num_features,)
        Scale gamma, initialised to 1.
    bias : ndarray of shape (num_features,)
        Shift beta, initialised to 0.
    running_mean, running_var : ndarray of shape (num_features,)
        Buffers (saved with the model, not trained), initialised to 0 and 1.

    Examples
    --------
    >>> bn = BatchNorm(3)
    >>> y = bn(np.random.default_rng(0).normal(5, 2, size=(100, 3)), training=True)
    >>> bool(np.allclose(y.mean(axis=0), 0, atol=1e-5))
    True
    """

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5, *,
                 name: str | None = None, dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features < 1:
            raise ShapeError(f"BatchNorm num_features must be a positive integer, got "
                             f"{num_features!r}")
        if not 0.0 <= float(momentum) <= 1.0:
            raise NeuronalError(f"BatchNorm momentum must be in [0, 1], got {momentum!r}")
        if not float(eps) > 0:
            raise NeuronalError(f"BatchNorm eps must be positive, got {eps!r}")
        self.num_features = int(num_features)
        self.momentum, self.eps = float(momentum), float(eps)

    def _init_params(self, rng):
        f = self.num_features
        self._params["weight"] = np.ones(f, dtype=self.dtype)
        self._params["bias"] = np.zeros(f, dtype=self.dtype)
        self._buffers["running_mean"] = np.zeros(f, dtype=self.dtype)
        self._buffers["running_var"] = np.ones(f, dtype=self.dtype)

    @property
    def running_mean(self) -> np.ndarray:
        return self.buffers()["running_mean"]

    @property
    def running_var(self) -> np.ndarray:
        return self.buffers()["running_var"]

    # ------------------------------------------------------------------ forward / backward

    def forward(self, x, training=False):
        axes = (0, *range(2, x.ndim))  # every axis but the features
        bshape = (1, -1) + (1,) * (x.ndim - 2)  # broadcast a (F,) vector against x
        self._axes, self._training = axes, training
        if training:
            m = x.size // self.num_features
            if m < 2:
                raise ShapeError(
                    f"{self.describe()} needs more than one value per feature to compute batch "
                    f"statistics in training, got input of shape {x.shape}: use a batch size "
                    f"of at least 2"
                )
            mean = x.mean(axis=axes)
            xc = x - mean.reshape(bshape)
            var = np.mean(xc * xc, axis=axes)
            mom = self.momentum
            rm, rv = self._buffers["running_mean"], self._buffers["running_var"]
            rm *= 1 - mom
            rm += mom * mean
            rv *= 1 - mom
            rv += (mom * m / max(m - 1, 1)) * var  # running variance is the unbiased one
            self.inv_std = inv_std = 1.0 / np.sqrt(var + self.eps)
            self.x_hat = x_hat = xc * inv_std.reshape(bshape)
        else:
            self.inv_std = inv_std = 1.0 / np.sqrt(self._buffers["running_var"] + self.eps)
            shift = self._buffers["running_mean"].reshape(bshape)
            self.x_hat = x_hat = (x - shift) * inv_std.reshape(bshape)
        return x_hat * self._params["weight"].reshape(bshape) + self._params["bias"].reshape(bshape)

    def backward(self, grad, preactivation=False):
        axes, x_hat = self._axes, self.x_hat
        bshape = (1, -1) + (1,) * (grad.ndim - 2)
        np.sum(grad * x_hat, axis=axes, out=self._grads["weight"])  # dgamma = sum dy x_hat
        np.sum(grad, axis=axes, out=self._grads["bias"])  # dbeta = sum dy
        if not self.needs_input_grad:
            return None
        scale = (self._params["weight"] * self.inv_std).reshape(bshape)
        if not self._training:  # fixed statistics: a plain affine map
            return grad * scale
        m = grad.size // self.num_features
        # mean(g) and mean(g x_hat) per feature, from the two sums just computed
        mean_g = (self._grads["bias"] / m).reshape(bshape)
        mean_gx = (self._grads["weight"] / m).reshape(bshape)
        return (grad - mean_g - x_hat * mean_gx) * scale

    @property
    def n_weights(self) -> int:
        """0: the scales gamma are not connection weights."""
        return 0

    # ------------------------------------------------------------------ shapes

    def check_input(self, x):
        if x.ndim not in (2, 3, 4) or x.shape[1] != self.num_features:
            raise ShapeError(
                f"{self.describe()} expects input of shape (batch, {self.num_features}), "
                f"(batch, {self.num_features}, length) or (batch, {self.num_features}, height, "
                f"width), got {x.shape}: features/channels must be on axis 1; set "
                f"num_features to the previous layer's width or channel count"
            )

    def decays(self, name):
        return False  # gamma and beta are scales and shifts, not connection weights

    def get_config(self):
        cfg = {"num_features": self.num_features, "momentum": self.momentum, "eps": self.eps}
        return {**cfg, **super().get_config()}

    def describe(self):
        return f"{super().describe()}({self.num_features})"
