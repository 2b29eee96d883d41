"""Weight initialisers: where training starts.

Weights start random and near zero so that neurons differ from one another (identical neurons
would receive identical gradients and stay identical). Each initialiser is called as
``init(shape, fan_in, fan_out, rng, dtype)`` with an explicit ``numpy.random.Generator``, so
one seed reproduces a network bit for bit.

==========  ================================================  ===========================
name        distribution                                       good for
==========  ================================================  ===========================
normal      N(0, std^2), std = 0.01 by default                 teaching, tiny networks
uniform     U(low, high), (-0.05, 0.05) by default             teaching
glorot      U(-l, l), l = sqrt(6 / (fan_in + fan_out))         sigmoid, tanh, softmax, linear
he          N(0, 2 / fan_in)                                   relu and its relatives
zeros       all 0                                              biases
==========  ================================================  ===========================
"""

from __future__ import annotations

import math

import numpy as np

from ._registry import Registry

__all__ = ["Initializer", "normal", "uniform", "glorot", "he", "zeros", "get", "default_for"]


class Initializer:
    """Base class: ``init(shape, fan_in, fan_out, rng, dtype) -> ndarray``."""

    name = "initializer"

    def __call__(self, shape, fan_in: int, fan_out: int, rng: np.random.Generator, dtype):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items() if k != "name")
        return f"{self.name}({args})"


class normal(Initializer):  # noqa: N801  (lower-case: used like a function, normal(std=0.1))
    """Normal distribution N(mean, std^2)."""

    name = "normal"

    def __init__(self, std: float = 0.01, mean: float = 0.0) -> None:
        self.std, self.mean = float(std), float(mean)

    def __call__(self, shape, fan_in, fan_out, rng, dtype):
        return rng.normal(self.mean, self.std, size=shape).astype(dtype)

    def get_config(self):
        return {"name": self.name, "std": self.std, "mean": self.mean}


class uniform(Initializer):  # noqa: N801
    """Uniform distribution U(low, high)."""

    name = "uniform"

    def __init__(self, low: float = -0.05, high: float = 0.05) -> None:
        self.low, self.high = float(low), float(high)

    def __call__(self, shape, fan_in, fan_out, rng, dtype):
        return rng.uniform(self.low, self.high, size=shape).astype(dtype)

    def get_config(self):
        return {"name": self.name, "low": self.low, "high": self.high}


class glorot(Initializer):  # noqa: N801
    """Glorot/Xavier uniform: U(-l, l) with l = gain * sqrt(6 / (fan_in + fan_out))."""

    name = "glorot"

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def __call__(self, shape, fan_in, fan_out, rng, dtype):
        limit = self.gain * math.sqrt(6.0 / max(1, fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape).astype(dtype)

    def get_config(self):
        return {"name": self.name, "gain": self.gain}


class he(Initializer):  # noqa: N801
    """He/Kaiming normal: N(0, 2 / fan_in), keeps the variance of ReLU activations stable."""

    name = "he"

    def __call__(self, shape, fan_in, fan_out, rng, dtype):
        return rng.normal(0.0, math.sqrt(2.0 / max(1, fan_in)), size=shape).astype(dtype)


class zeros(Initializer):  # noqa: N801
    """All zeros (the default for biases)."""

    name = "zeros"

    def __call__(self, shape, fan_in, fan_out, rng, dtype):
        return np.zeros(shape, dtype=dtype)


_REGISTRY: Registry[Initializer] = Registry("initializer", Initializer)
_REGISTRY.register("normal", normal, "gaussian", "randn")
_REGISTRY.register("uniform", uniform)
_REGISTRY.register("glorot", glorot, "xavier", "glorot_uniform", "xavier_uniform")
_REGISTRY.register("he", he, "kaiming", "he_normal", "kaiming_normal")
_REGISTRY.register("zeros", zeros, "zero")


def get(spec: str | Initializer | dict) -> Initializer:
    """Return an initialiser from a name (``"he"``), a config dict or an instance."""
    return _REGISTRY.get(spec)


_RELU_LIKE = {"relu", "leaky_relu", "elu", "gelu", "softplus"}


def default_for(activation_name: str) -> Initializer:
    """The default for weights feeding ``activation_name``: He for ReLU-like, else Glorot."""
    return he() if activation_name in _RELU_LIKE else glorot()
