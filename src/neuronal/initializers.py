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

from ._memory import check_fits
from ._registry import Registry

__all__ = ["Initializer", "normal", "uniform", "glorot", "he", "zeros", "get", "default_for"]


#: Numbers drawn per call of the generator when filling a large array.
_DRAW_CHUNK = 1 << 20


def _draw(rng: np.random.Generator, method: str, args: tuple, shape, dtype) -> np.ndarray:
    """``getattr(rng, method)(*args, size=shape).astype(dtype)``, without the float64 temporary.

    The generator fills the result a chunk at a time (the numbers are those of one big draw:
    the stream is consumed in the same order), so a float32 array of N numbers needs 4N bytes,
    not 12N. An array that cannot fit in memory (with its gradient) is refused with a clear
    error instead of a ``MemoryError``.
    """
    out = _allocate(shape, dtype)
    flat = out.reshape(-1)
    draw = getattr(rng, method)
    for start in range(0, flat.size, _DRAW_CHUNK):
        stop = min(flat.size, start + _DRAW_CHUNK)
        flat[start:stop] = draw(*args, size=stop - start)
    return out


def _allocate(shape, dtype, zeros: bool = False) -> np.ndarray:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    check_fits(nbytes, f"weights of shape {shape} in {dtype.name}",
               "use smaller layers (fewer neurons or inputs), or a machine with more memory",
               factor=2, along="their gradients")
    try:
        return np.zeros(shape, dtype) if zeros else np.empty(shape, dtype)
    except (MemoryError, ValueError) as exc:  # ValueError: "array is too big"
        from .errors import NeuronalError

        raise NeuronalError(
            f"cannot allocate weights of shape {shape} in {dtype.name} ({nbytes:,} bytes): "
            f"{exc or 'out of memory'}; use smaller layers (fewer neurons or inputs)"
        ) from None


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
        return _draw(rng, "normal", (self.mean, self.std), shape, dtype)

    def get_config(self):
        return {"name": self.name, "std": self.std, "mean": self.mean}


class uniform(Initializer):  # noqa: N801
    """Uniform distribution U(low, high)."""

    name = "uniform"

    def __init__(self, low: float = -0.05, high: float = 0.05) -> None:
        self.low, self.high = float(low), float(high)

    def __call__(self, shape, fan_in, fan_out, rng, dtype):
        return _draw(rng, "uniform", (self.low, self.high), shape, dtype)

    def get_config(self):
        return {"name": self.name, "low": self.low, "high": self.high}


class glorot(Initializer):  # noqa: N801
    """Glorot/Xavier uniform: U(-l, l) with l = gain * sqrt(6 / (fan_in + fan_out))."""

    name = "glorot"

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def __call__(self, shape, fan_in, fan_out, rng, dtype):
        limit = self.gain * math.sqrt(6.0 / max(1, fan_in + fan_out))
        return _draw(rng, "uniform", (-limit, limit), shape, dtype)

    def get_config(self):
        return {"name": self.name, "gain": self.gain}


class he(Initializer):  # noqa: N801
    """He/Kaiming normal: N(0, 2 / fan_in), keeps the variance of ReLU activations stable."""

    name = "he"

    def __call__(self, shape, fan_in, fan_out, rng, dtype):
        return _draw(rng, "normal", (0.0, math.sqrt(2.0 / max(1, fan_in))), shape, dtype)


class lecun_normal(Initializer):  # noqa: N801
    """LeCun normal: N(0, 1 / fan_in); Nielsen's "improved" initialisation (chapter 3), which
    keeps a neuron's weighted sum z of order 1 however many inputs it reads."""

    name = "lecun_normal"

    def __call__(self, shape, fan_in, fan_out, rng, dtype):
        return _draw(rng, "normal", (0.0, math.sqrt(1.0 / max(1, fan_in))), shape, dtype)


class zeros(Initializer):  # noqa: N801
    """All zeros (the default for biases)."""

    name = "zeros"

    def __call__(self, shape, fan_in, fan_out, rng, dtype):
        return _allocate(shape, dtype, zeros=True)


_REGISTRY: Registry[Initializer] = Registry("initializer", Initializer)
_REGISTRY.register("normal", normal, "gaussian", "randn")
_REGISTRY.register("uniform", uniform)
_REGISTRY.register("glorot", glorot, "xavier", "glorot_uniform", "xavier_uniform")
_REGISTRY.register("he", he, "kaiming", "he_normal", "kaiming_normal")
_REGISTRY.register("lecun_normal", lecun_normal, "lecun")
_REGISTRY.register("zeros", zeros, "zero")


def get(spec: str | Initializer | dict) -> Initializer:
    """Return an initialiser from a name (``"he"``), a config dict or an instance."""
    return _REGISTRY.get(spec)


_RELU_LIKE = {"relu", "leaky_relu", "elu", "gelu", "softplus"}


def default_for(activation_name: str) -> Initializer:
    """The default for weights feeding ``activation_name``: He for ReLU-like, else Glorot."""
    return he() if activation_name in _RELU_LIKE else glorot()
