"""Optimisers: how each weight is nudged against its gradient.

An optimiser receives (parameter, gradient) pairs and updates the parameters in place; it never
reaches into layers. The update rules follow PyTorch's (``torch.optim``) exactly, so the same
hyper-parameters give the same trajectory. With g the gradient, p the parameter, lr the learning
rate and wd the L2 weight decay (added to the gradient: g <- g + wd * p):

SGD           p <- p - lr * g
  momentum    v <- mu * v + g;            p <- p - lr * v
  Nesterov    v <- mu * v + g;            p <- p - lr * (g + mu * v)
RMSprop       s <- rho * s + (1 - rho) g^2;  p <- p - lr * g / (sqrt(s) + eps)
Adam          m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2;   t <- t + 1
              p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

The learning rate may be a number or a schedule (``schedules``), evaluated once per epoch.
Each step is a handful of in-place array operations per parameter with preallocated buffers.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from ._registry import Registry
from .errors import NeuronalError
from .schedules import Schedule
from .schedules import get as get_schedule

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "get"]


def _check_positive(name: str, value: float, allow_zero: bool = False) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        req = ">= 0" if allow_zero else "> 0"
        raise NeuronalError(f"{name} must be a finite number {req}, got {value!r}")
    return v


class Optimizer:
    """Base class.

    Parameters
    ----------
    learning_rate : float or Schedule
    weight_decay : float, default 0
        L2 penalty coefficient, added to every gradient as ``wd * p`` (PyTorch's convention).
    """

    name = "optimizer"
    #: Names of the per-parameter state arrays (saved in checkpoints).
    slots: tuple[str, ...] = ()

    def __init__(self, learning_rate=0.01, weight_decay: float = 0.0) -> None:
        if isinstance(learning_rate, (Schedule, dict)):
            self.schedule: Schedule | None = get_schedule(learning_rate)
            self.learning_rate = self.schedule(0)
        else:
            self.schedule = None
            self.learning_rate = _check_positive("learning_rate", learning_rate)
        self.weight_decay = _check_positive("weight_decay", weight_decay, allow_zero=True)
        self.iterations = 0
        self._state: list[dict[str, np.ndarray]] = []

    # ------------------------------------------------------------------ schedule

    def set_epoch(self, epoch: int) -> None:
        """Update the learning rate from the schedule at the start of ``epoch`` (0-based)."""
        if self.schedule is not None:
            self.learning_rate = float(self.schedule(epoch))

    # ------------------------------------------------------------------ state

    def _ensure_state(self, pairs) -> None:
        if len(self._state) != len(pairs) or any(
            s and next(iter(s.values())).shape != p.shape for s, (p, _) in zip(self._state, pairs)
        ):
            self._state = [
                {slot: np.zeros_like(p) for slot in self.slots} | {"_tmp": np.empty_like(p)}
                for p, _ in pairs
            ]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Per-parameter state as flat named arrays (``m.0``, ``v.0``, ...) plus ``iterations``."""
        out = {f"{slot}.{i}": s[slot] for i, s in enumerate(self._state) for slot in self.slots}
        out["iterations"] = np.array(self.iterations, dtype=np.int64)
        return out

    def load_state_dict(self, state: dict[str, np.ndarray], pairs) -> None:
        self._ensure_state(pairs)
        for i, s in enumerate(self._state):
            for slot in self.slots:
                s[slot][...] = state[f"{slot}.{i}"]
        self.iterations = int(state["iterations"])

    # ------------------------------------------------------------------ update

    def step(self, pairs) -> None:
        """Update every parameter in ``pairs`` [(p, g), ...] in place."""
        self._ensure_state(pairs)
        self.iterations += 1
        wd = self.weight_decay
        for (p, g), s in zip(pairs, self._state):
            if wd:
                g = g + wd * p
            self._update(p, g, s)

    def _update(self, p: np.ndarray, g: np.ndarray, s: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def get_config(self) -> dict:
        cfg = {"name": self.name, "weight_decay": self.weight_decay}
        cfg["learning_rate"] = (
            self.schedule.get_config() if self.schedule is not None else self.learning_rate
        )
        return cfg

    def __repr__(self) -> str:
        """Only the settings that differ from the defaults: ``SGD(learning_rate=0.5)``."""
        defaults = {
            k: p.default for k, p in inspect.signature(type(self).__init__).parameters.items()
        }
        cfg = self.get_config()
        lr = cfg.pop("learning_rate")
        args = [f"learning_rate={self.schedule if self.schedule is not None else lr!r}"]
        args += [f"{k}={v!r}" for k, v in cfg.items() if k != "name" and defaults.get(k) != v]
        return f"{type(self).__name__}({', '.join(args)})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Parameters
    ----------
    learning_rate : float or Schedule, default 0.01
    momentum : float, default 0
    nesterov : bool, default False
    weight_decay : float, default 0

    Examples
    --------
    >>> import numpy as np
    >>> p, g = np.array([1.0]), np.array([0.5])
    >>> SGD(learning_rate=0.1).step([(p, g)]); p
    array([0.95])
    """

    name = "sgd"

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay)
        self.momentum = _check_positive("momentum", momentum, allow_zero=True)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise NeuronalError("Nesterov momentum needs momentum > 0, e.g. SGD(momentum=0.9, nesterov=True)")
        self.slots = ("velocity",) if self.momentum else ()

    def _update(self, p, g, s):
        lr, mu = self.learning_rate, self.momentum
        tmp = s["_tmp"]
        if not mu:
            np.multiply(g, lr, out=tmp)
            p -= tmp
            return
        v = s["velocity"]  # starts at 0, so the first step sets v = g, as PyTorch does
        v *= mu
        v += g
        if self.nesterov:
            np.multiply(v, mu, out=tmp)
            tmp += g
            tmp *= lr
        else:
            np.multiply(v, lr, out=tmp)
        p -= tmp

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam: momentum on the gradient (m) and on its square (v), with bias correction.

    Parameters
    ----------
    learning_rate : float or Schedule, default 0.001
    beta1, beta2 : float, default 0.9, 0.999
    epsilon : float, default 1e-8
    weight_decay : float, default 0
    """

    name = "adam"
    slots = ("m", "v")

    def __init__(self, learning_rate=0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay)
        for label, b in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= float(b) < 1.0:
                raise NeuronalError(f"Adam {label} must be in [0, 1), got {b!r}")
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.epsilon = _check_positive("epsilon", epsilon)

    def _update(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.iterations
        m, v, tmp = s["m"], s["v"], s["_tmp"]
        m *= b1
        np.multiply(g, 1 - b1, out=tmp)
        m += tmp                                # m <- b1 m + (1 - b1) g
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp                                # v <- b2 v + (1 - b2) g^2
        bc1 = 1 - b1**t
        step = self.learning_rate / bc1
        # denominator sqrt(v / (1 - b2^t)) + eps, written into tmp
        np.sqrt(v, out=tmp)
        tmp *= 1.0 / math.sqrt(1 - b2**t)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= step
        p -= tmp

    def get_config(self):
        return {**super().get_config(), "beta1": self.beta1, "beta2": self.beta2,
                "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    Parameters
    ----------
    learning_rate : float or Schedule, default 0.01
    rho : float, default 0.99
        Decay of the running average of g^2 (PyTorch's ``alpha``).
    epsilon : float, default 1e-8
    weight_decay : float, default 0
    """

    name = "rmsprop"
    slots = ("square_avg",)

    def __init__(self, learning_rate=0.01, rho: float = 0.99, epsilon: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay)
        if not 0.0 <= float(rho) < 1.0:
            raise NeuronalError(f"RMSprop rho must be in [0, 1), got {rho!r}")
        self.rho = float(rho)
        self.epsilon = _check_positive("epsilon", epsilon)

    def _update(self, p, g, s):
        sq, tmp = s["square_avg"], s["_tmp"]
        sq *= self.rho
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.rho
        sq += tmp
        np.sqrt(sq, out=tmp)
        tmp += self.epsilon
        np.divide(g, tmp, out=tmp)
        tmp *= self.learning_rate
        p -= tmp

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


_REGISTRY: Registry[Optimizer] = Registry("optimizer", Optimizer)
_REGISTRY.register("sgd", SGD)
_REGISTRY.register("adam", Adam)
_REGISTRY.register("rmsprop", RMSprop)


def get(spec: str | Optimizer | dict, **kwargs) -> Optimizer:
    """Return an optimiser from a name (``"adam"``), a config dict or an instance."""
    return _REGISTRY.get(spec, **kwargs)
