"""Loss functions: how far the network's output is from the annotated answer.

Every loss is a *mean* by default, PyTorch's default reduction, so the same learning rate
takes the same step here and there (``reduction="sum"`` sums over the batch instead, so that
learning rates printed for summed costs apply as printed; reported losses stay means):

* ``mse``  mean over all elements of (a - y)^2;
* ``mae``  mean over all elements of |a - y|;
* ``binary_cross_entropy``  mean over all elements of -[y log a + (1 - y) log(1 - a)];
* ``cross_entropy``  mean over the batch of -sum_k y_k log a_k.

Each loss has ``value(a, y)`` and ``gradient(a, y)`` = dLoss/da, and ``rows(a, y)``: the loss of
each sample, whose mean is ``value`` (``Network`` weighs them for ``fit(sample_weight=...)``).
The two cross-entropies are *fused* with their output activation (``fused_with``): from the
logits z they compute the value with log-softmax / log-sigmoid (finite for any z, even when a
rounds to exactly 0 or 1) and the gradient with respect to z directly, which collapses to the
famous ``delta = a - y``.
"""

from __future__ import annotations

import numpy as np

from ._registry import Registry
from .activations import log_sigmoid, log_softmax

__all__ = ["Loss", "MSE", "MAE", "BinaryCrossEntropy", "CrossEntropy", "get"]


class Loss:
    """Base class for losses.

    Attributes
    ----------
    name : str
        Registry name.
    fused_with : str or None
        Name of the output activation this loss fuses with (``value_from_logits`` and
        ``delta`` are then available).
    classification : bool
        True when targets are class labels (``predict`` then returns labels).
    """

    name = "loss"
    fused_with: str | None = None
    classification = False

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in ("mean", "sum"):
            from .errors import NeuronalError

            raise NeuronalError(f"reduction must be 'mean' (the batch's mean loss) or 'sum' "
                                f"(its sum, for learning rates given for summed costs), got "
                                f"{reduction!r}")
        self.reduction = reduction

    def __call__(self, a: np.ndarray, y: np.ndarray) -> float:
        return self.value(a, y)

    def value(self, a: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def rows(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The loss of each sample (row): ``value`` is their mean."""
        raise NotImplementedError

    def rows_from_logits(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``rows`` from the logits of the fused output activation."""
        raise NotImplementedError(f"{self.name} is not fused with an activation")

    def value_from_logits(self, z: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError(f"{self.name} is not fused with an activation")

    def fused_value(self, a: np.ndarray, z: np.ndarray, y: np.ndarray) -> float:
        """The value for the fused output activation, given both its output ``a`` and logits ``z``.

        Equal to ``value_from_logits(z, y)`` (which it calls by default); a loss may take a
        cheaper route from ``a`` where that is as exact. Used on every training step.
        """
        return self.value_from_logits(z, y)

    def delta(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dLoss/dz for the fused output activation (only when ``fused_with`` is set)."""
        raise NotImplementedError(f"{self.name} is not fused with an activation")

    def get_config(self) -> dict:
        return {"name": self.name} | ({"reduction": "sum"} if self.reduction == "sum" else {})

    def __repr__(self) -> str:
        args = "" if self.reduction == "mean" else "reduction='sum'"
        return f"{type(self).__name__}({args})"


class MSE(Loss):
    """Mean squared error: L = mean((a - y)^2); dL/da = 2 (a - y) / (number of elements)."""

    name = "mse"

    def value(self, a, y):
        d = a - y
        return float(np.mean(d * d))

    def gradient(self, a, y):
        return (a - y) * (2.0 / a.size)

    def rows(self, a, y):
        d = (a - y).reshape(len(a), -1)
        return np.mean(d * d, axis=1)


class MAE(Loss):
    """Mean absolute error: L = mean(|a - y|); dL/da = sign(a - y) / (number of elements)."""

    name = "mae"

    def value(self, a, y):
        return float(np.mean(np.abs(a - y)))

    def gradient(self, a, y):
        return np.sign(a - y) * (1.0 / a.size)

    def rows(self, a, y):
        return np.mean(np.abs(a - y).reshape(len(a), -1), axis=1)


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy for sigmoid outputs, one or several independent yes/no outputs.

    L = mean over all elements of -[y log a + (1 - y) log(1 - a)], with a = sigmoid(z).
    From logits: log a = log_sigmoid(z) and log(1 - a) = log_sigmoid(-z), both finite.
    Fused delta: dL/dz = (a - y) / (number of elements).
    """

    name = "binary_cross_entropy"
    fused_with = "sigmoid"
    classification = True

    def value(self, a, y):
        eps = np.finfo(a.dtype).eps if a.dtype.kind == "f" else 1e-12
        a = np.clip(a, eps, 1 - eps)
        return float(-np.mean(y * np.log(a) + (1 - y) * np.log1p(-a)))

    def gradient(self, a, y):
        eps = np.finfo(a.dtype).eps if a.dtype.kind == "f" else 1e-12
        a = np.clip(a, eps, 1 - eps)
        return (a - y) / (a * (1 - a)) / a.size

    def value_from_logits(self, z, y):
        return float(-np.mean(y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z)))

    def rows(self, a, y):
        eps = np.finfo(a.dtype).eps if a.dtype.kind == "f" else 1e-12
        a = np.clip(a, eps, 1 - eps)
        return -np.mean((y * np.log(a) + (1 - y) * np.log1p(-a)).reshape(len(a), -1), axis=1)

    def rows_from_logits(self, z, y):
        per = y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z)
        return -np.mean(per.reshape(len(z), -1), axis=1)

    def delta(self, a, y):
        # Fused sigmoid + BCE: the sigmoid's a(1 - a) cancels the loss's 1 / (a(1 - a)).
        return (a - y) * (1.0 / a.size)


class CrossEntropy(Loss):
    """Categorical cross-entropy for a softmax output; targets are one-hot rows.

    L = -(1/N) sum_n sum_k y_nk log a_nk, with a = softmax(z) and log a = log_softmax(z).
    Fused delta: dL/dz = (a - y) / N.
    """

    name = "cross_entropy"
    fused_with = "softmax"
    classification = True

    def value(self, a, y):
        eps = np.finfo(a.dtype).tiny if a.dtype.kind == "f" else 1e-300
        return float(-np.sum(y * np.log(np.maximum(a, eps))) / a.shape[0])

    def gradient(self, a, y):
        eps = np.finfo(a.dtype).tiny if a.dtype.kind == "f" else 1e-300
        return -y / np.maximum(a, eps) / a.shape[0]

    def value_from_logits(self, z, y):
        return float(-(y * log_softmax(z)).sum() / z.shape[0])

    def rows(self, a, y):
        eps = np.finfo(a.dtype).tiny if a.dtype.kind == "f" else 1e-300
        return -np.sum(y * np.log(np.maximum(a, eps)), axis=-1)

    def rows_from_logits(self, z, y):
        return -np.sum(y * log_softmax(z), axis=-1)

    def fused_value(self, a, z, y):
        # Where every probability is a normal float, log(a) equals log_softmax(z) to rounding and
        # takes 2 array operations instead of 7. A probability that underflowed (a < tiny, logits
        # far apart) would make log(a) inexact or -inf: then the logits are used.
        if a.dtype.kind == "f" and a.min() >= np.finfo(a.dtype).tiny:
            return float(-(y * np.log(a)).sum() / a.shape[0])
        return self.value_from_logits(z, y)

    def delta(self, a, y):
        # Fused softmax + cross-entropy: the softmax Jacobian times -y/a collapses to a - y.
        # This is the classic output delta (Nielsen's network2.py, scikit-learn's _backprop).
        return (a - y) * (1.0 / a.shape[0])


_REGISTRY: Registry[Loss] = Registry("loss", Loss)
_REGISTRY.register("mse", MSE, "mean_squared_error")
_REGISTRY.register("mae", MAE, "mean_absolute_error")
_REGISTRY.register("binary_cross_entropy", BinaryCrossEntropy, "bce", "log_loss")
_REGISTRY.register(
    "cross_entropy", CrossEntropy, "categorical_cross_entropy", "categorical_crossentropy"
)


def get(spec: str | Loss | dict, **kwargs) -> Loss:
    """Return a :class:`Loss` from a name (``"cross_entropy"``), a config dict or an instance
    (``get("mse", reduction="sum")``)."""
    return _REGISTRY.get(spec, **kwargs)


def names() -> list[str]:
    return _REGISTRY.names()
