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
Softmax never evaluates ``exp`` of a large positive number; sigmoid lets ``exp(-z)`` overflow
to inf only where its result rounds to 0 anyway, with that warning silenced.
"""

from __future__ import annotations

import math

import numpy as np

from ._registry import Registry
from .errors import NotDifferentiableError

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


# --------------------------------------------------------------------------- stable primitives


def _constants(value: float) -> dict:
    """``value`` as a read-only 0-d array for each float dtype, for in-place ufuncs.

    NumPy 2 converts a Python scalar operand on every call; a 0-d array of the array's own
    dtype gives the same result ~0.5 us sooner (``e += 1.0``: 1.0 against 0.5 us on a
    16-element array), which counts in a one-sample prediction of ~15 us.
    """
    out = {}
    for t in (np.float16, np.float32, np.float64):
        c = np.array(value, dtype=t)
        c.flags.writeable = False
        out[c.dtype] = c
    return out


_ONE, _ZERO = _constants(1.0), _constants(0.0)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), finite for any z and without warnings.

    For very negative z (below -88.7 in float32, -709.8 in float64) exp(-z) overflows to inf
    and 1 / (1 + inf) is exactly 0, where the true value is below 3e-39 in float32 (a subnormal
    number, and below z = -104 less than the smallest one) and 6e-309 in float64; that
    overflow is expected, so its warning is silenced. Four in-place array operations, as this
    runs in every forward pass of a sigmoid layer.
    """
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    e = np.negative(z) if z.ndim else np.negative(z, out=np.empty((), z.dtype))  # an array
    with np.errstate(over="ignore"):
        np.exp(e, out=e)
    e += _ONE.get(e.dtype, 1.0)
    return np.reciprocal(e, out=e)


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """log(sigmoid(z)) = -log(1 + exp(-z)), stable for any z (``logaddexp(0, -z)``)."""
    return -np.logaddexp(0.0, -np.asarray(z))


def _shifted(z, axis: int) -> np.ndarray:
    """z minus its maximum along ``axis``, as a new float array (safe to overwrite)."""
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    if _one_row(z, axis):  # one prediction: a whole-array maximum is cheaper
        # ... and for a short row, Python's max of its values cheaper still (0.6 against 1.9
        # us for 10 logits), with the same result: the maximum is exact either way, and a NaN
        # turns the whole softmax into NaN either way. A Python float also subtracts faster
        # than a NumPy scalar, and converts back to z's dtype exactly.
        return z - (max(z[0].tolist()) if z.shape[1] <= 64 else float(z.max()))
    if z.ndim == 2 and axis in (1, -1) and z.shape[1] <= 32 and z.shape[0] >= 16:
        # NumPy reduces a short last axis row by row; the same maximum taken down the columns
        # of a transposed copy is one vectorised pass: 3x faster for 128 rows of 10 logits.
        return z - np.ascontiguousarray(z.T).max(axis=0)[:, None]
    return z - z.max(axis=axis, keepdims=True)


def _one_row(z: np.ndarray, axis: int) -> bool:
    """Whether ``z`` is a single (1, k) row reduced along its last axis."""
    return z.ndim == 2 and z.shape[0] == 1 and axis in (1, -1)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(z_i) / sum_j exp(z_j), computed after subtracting the row maximum (no overflow)."""
    e = _shifted(z, axis)
    np.exp(e, out=e)
    if _one_row(e, axis):  # the same sum, as a Python float (an exact copy): divides faster
        e /= float(np.add.reduce(e, axis=None))
    else:
        e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(softmax(z)) = z - max - log(sum(exp(z - max))): finite for any finite z."""
    shifted = _shifted(z, axis)
    lse = np.exp(shifted).sum(axis=axis, keepdims=True)
    shifted -= np.log(lse, out=lse)
    return shifted


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
