"""Activation functions: what a neuron does with its weighted sum z.

Each activation is a small object with

* ``value(z)``       the activation a = f(z), elementwise (softmax: along the last axis);
* ``derivative(z)``  f'(z), elementwise, for teaching and plotting (softmax: the diagonal
  of its Jacobian, a * (1 - a));
* ``backward(z, a, grad)`` dLoss/dz given dLoss/da. For elementwise activations this is
  ``grad * f'(z)``, computed from whichever of z or a is cheaper; softmax is not elementwise
  and multiplies by its full Jacobian instead.

Look activations up by name with :func:`get` (``get("relu")``) or pass an instance.

All functions are numerically stable: logits of +-1000 give finite results without warnings.
The stable primitives (sigmoid, softmax and their logarithms) live in ``numerics.py``.
"""

from __future__ import annotations

import math

import numpy as np

from ._registry import Registry
from .errors import NotDifferentiableError
from .numerics import _ZERO, log_sigmoid, log_softmax, sigmoid, softmax

__all__ = [
    "Activation",
    "Step",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "Linear",
    "Softmax",
    "ELU",
    "Softplus",
    "GELU",
    "get",
    "sigmoid",
    "softmax",
    "log_softmax",
    "log_sigmoid",
]


# --------------------------------------------------------------------------- the objects


class Activation:
    """Base class. Subclasses set ``name`` and implement ``value`` and ``derivative``.

    ``backward`` defaults to ``grad * derivative(z)``; subclasses override it when the
    derivative is cheaper from the output ``a`` (sigmoid, tanh, relu) or not elementwise
    (softmax).
    """

    name = "activation"
    #: The formula in words, used by explain().
    formula = "f(z)"
    #: True when f'(z) exists and is useful for gradient descent.
    differentiable = True

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.value(z)

    def value(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """dLoss/dz from dLoss/da (``grad``), the input ``z`` and output ``a`` of forward."""
        return grad * self.derivative(z)

    def get_config(self) -> dict:
        """The JSON-able description from which :func:`get` rebuilds this activation."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(sorted(self.get_config().items()))))


class Step(Activation):
    """Binary step (Heaviside): f(z) = 1 if z >= 0 else 0.

    Its derivative is 0 everywhere except at z = 0, where it does not exist (returned as NaN).
    Gradient descent therefore cannot train a step neuron; the perceptron learning rule
    (:class:`neuronal.Perceptron`) can.
    """

    name = "step"
    formula = "1 if z >= 0 else 0"
    differentiable = False

    def value(self, z):
        return (np.asarray(z) >= 0).astype(np.result_type(z, np.float32))

    def derivative(self, z):
        z = np.asarray(z, dtype=np.result_type(z, np.float32))
        return np.where(z == 0, np.nan, 0.0).astype(z.dtype)

    def backward(self, z, a, grad):
        raise NotDifferentiableError(
            "the binary step activation has derivative 0 everywhere except at 0, where it has "
            "none, so gradient descent cannot train it: use nl.Perceptron (the perceptron "
            "learning rule) for a step neuron, or activation='sigmoid' for gradient training"
        )


class Sigmoid(Activation):
    """Logistic sigmoid: f(z) = 1 / (1 + exp(-z)), f'(z) = f(z) (1 - f(z)). Range (0, 1)."""

    name = "sigmoid"
    formula = "1 / (1 + exp(-z))"

    def value(self, z):
        return sigmoid(z)

    def derivative(self, z):
        s = sigmoid(z)
        return s * (1 - s)

    def backward(self, z, a, grad):
        return grad * a * (1 - a)


class Tanh(Activation):
    """Hyperbolic tangent: f(z) = tanh(z), f'(z) = 1 - tanh(z)^2. Range (-1, 1)."""

    name = "tanh"
    formula = "tanh(z)"

    def value(self, z):
        return np.tanh(z)

    def derivative(self, z):
        t = np.tanh(z)
        return 1 - t * t

    def backward(self, z, a, grad):
        return grad * (1 - a * a)


class ReLU(Activation):
    """Rectified linear unit: f(z) = max(0, z), f'(z) = 1 if z > 0 else 0 (0 taken at z = 0)."""

    name = "relu"
    formula = "max(0, z)"

    def value(self, z):
        return np.maximum(z, _ZERO.get(getattr(z, "dtype", None), 0))

    def derivative(self, z):
        return (np.asarray(z) > 0).astype(np.result_type(z, np.float32))

    def backward(self, z, a, grad):
        # a > 0 exactly where z > 0; multiplying by the boolean mask avoids a float copy.
        return grad * (a > 0)


class LeakyReLU(Activation):
    """Leaky ReLU: f(z) = z if z > 0 else alpha z, f'(z) = 1 if z > 0 else alpha."""

    name = "leaky_relu"
    formula = "z if z > 0 else alpha*z"

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = float(alpha)

    def value(self, z):
        return np.where(z > 0, z, self.alpha * z)

    def derivative(self, z):
        z = np.asarray(z)
        return np.where(z > 0, 1.0, self.alpha).astype(np.result_type(z, np.float32))

    def backward(self, z, a, grad):
        return grad * np.where(z > 0, 1.0, self.alpha).astype(grad.dtype)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


class Linear(Activation):
    """Identity: f(z) = z, f'(z) = 1. Used for regression outputs and raw logits."""

    name = "linear"
    formula = "z"

    def value(self, z):
        return z

    def derivative(self, z):
        return np.ones_like(z)

    def backward(self, z, a, grad):
        return grad


class Softmax(Activation):
    """Softmax over the last axis: a_i = exp(z_i) / sum_j exp(z_j). Outputs sum to 1.

    Not elementwise: da_i/dz_j = a_i (delta_ij - a_j). ``derivative`` returns the diagonal
    a (1 - a); ``backward`` applies the full Jacobian: dz = a * (grad - sum(grad * a)).
    Paired with cross-entropy the two fuse into the simple delta a - y (see ``losses``).
    """

    name = "softmax"
    formula = "exp(z_i) / sum_j exp(z_j)"

    def value(self, z):
        return softmax(z)

    def derivative(self, z):
        s = softmax(z)
        return s * (1 - s)

    def backward(self, z, a, grad):
        return a * (grad - np.sum(grad * a, axis=-1, keepdims=True))


class ELU(Activation):
    """Exponential linear unit: f(z) = z if z > 0 else alpha (exp(z) - 1)."""

    name = "elu"
    formula = "z if z > 0 else alpha*(exp(z) - 1)"

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def value(self, z):
        # expm1 of min(z, 0) so exp never sees a large positive number.
        return np.where(z > 0, z, self.alpha * np.expm1(np.minimum(z, 0)))

    def derivative(self, z):
        z = np.asarray(z)
        return np.where(z > 0, 1.0, self.alpha * np.exp(np.minimum(z, 0))).astype(
            np.result_type(z, np.float32)
        )

    def backward(self, z, a, grad):
        return grad * np.where(z > 0, 1, a + self.alpha).astype(grad.dtype)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}

    def __repr__(self):
        return f"ELU(alpha={self.alpha})"


class Softplus(Activation):
    """Softplus: f(z) = log(1 + exp(z)), a smooth ReLU; f'(z) = sigmoid(z)."""

    name = "softplus"
    formula = "log(1 + exp(z))"

    def value(self, z):
        return np.logaddexp(0, z).astype(np.result_type(z, np.float32))

    def derivative(self, z):
        return sigmoid(z)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class GELU(Activation):
    """Gaussian error linear unit, tanh approximation (as PyTorch's ``approximate='tanh'``).

    f(z) = 0.5 z (1 + tanh(u)), u = sqrt(2/pi) (z + 0.044715 z^3)
    f'(z) = 0.5 (1 + tanh(u)) + 0.5 z (1 - tanh(u)^2) sqrt(2/pi) (1 + 3 * 0.044715 z^2)
    """

    name = "gelu"
    formula = "0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))"

    def value(self, z):
        return 0.5 * z * (1 + np.tanh(_SQRT_2_OVER_PI * (z + 0.044715 * z**3)))

    def derivative(self, z):
        t = np.tanh(_SQRT_2_OVER_PI * (z + 0.044715 * z**3))
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 0.134145 * z * z)


_REGISTRY: Registry[Activation] = Registry("activation", Activation)
_REGISTRY.register("step", Step, "binary_step", "heaviside")
_REGISTRY.register("sigmoid", Sigmoid, "logistic")
_REGISTRY.register("tanh", Tanh)
_REGISTRY.register("relu", ReLU)
_REGISTRY.register("leaky_relu", LeakyReLU)
_REGISTRY.register("linear", Linear, "identity", "none")
_REGISTRY.register("softmax", Softmax)
_REGISTRY.register("elu", ELU)
_REGISTRY.register("softplus", Softplus)
_REGISTRY.register("gelu", GELU)


def get(spec: str | Activation | dict | None, **kwargs) -> Activation:
    """Return an :class:`Activation` from a name, a config dict, an instance, or None (linear).

    >>> get("relu")
    ReLU()
    >>> get({"name": "leaky_relu", "alpha": 0.2})
    LeakyReLU(alpha=0.2)
    """
    if spec is None:
        return Linear()
    return _REGISTRY.get(spec, **kwargs)


def names() -> list[str]:
    """All registered activation names (aliases included)."""
    return _REGISTRY.names()
