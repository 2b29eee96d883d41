"""Optimisers: how each weight is nudged against its gradient.

An optimiser receives (parameter, gradient) pairs and updates the parameters in place; it never
reaches into layers. The update rules follow PyTorch's (``torch.optim``), so the same
hyper-parameters give the same trajectory. With g the gradient, p the parameter, lr the learning
rate, t the step count and wd the L2 weight decay (added to the gradient: g <- g + wd * p, for
connection weights only unless ``decay_biases=True``, as Nielsen's L2 and Keras's kernel
regularizer do; PyTorch decays every parameter, ``decay_biases=True``):

SGD           p <- p - lr * g
  momentum    v <- mu * v + g;            p <- p - lr * v
  Nesterov    v <- mu * v + g;            p <- p - lr * (g + mu * v)
RMSprop       s <- rho * s + (1 - rho) g^2;  p <- p - lr * g / (sqrt(s) + eps)
Adam          m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
              p <- p - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t),
              v_hat = v / (1 - b2^t)

Each rule is written once, in ``update(p, g, state)``, for one parameter and its state (``m``
and ``v`` for Adam, ``velocity`` for momentum, ``square_avg`` for RMSprop). The learning rate
may be a number or a schedule (``schedules``), evaluated once per epoch. During ``fit`` the
engine applies the same ``update`` once to all parameters laid end to end in one array
(``neuronal.engine.flat``), which gives the same numbers.
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
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        req = ">= 0" if allow_zero else "> 0"
        raise NeuronalError(f"{name} must be a finite number {req}, got {value!r}")
    return v


class Optimizer:
    """Base class: the learning rate, weight decay, step count and per-parameter state.

    Parameters
    ----------
    learning_rate : float or Schedule
    weight_decay : float, default 0
        L2 penalty coefficient, added to the gradient as ``wd * p`` (the gradient of
        (wd / 2) * p^2). For Nielsen's C = C0 + (lambda / 2n) sum w^2 over n training samples,
        weight_decay = lambda / n.
    decay_biases : bool, default False
        Decay every parameter (biases, normalisation scales), as PyTorch does, instead of the
        connection weights only.

    Attributes
    ----------
    state : list of dict
        One dict per parameter, in the order of the pairs given to :meth:`step`, holding the
        arrays named in :attr:`slots` (e.g. ``state[0]["m"]`` for Adam).
    iterations : int
        Steps taken so far (Adam's t).
    """

    name = "optimizer"
    #: Names of the per-parameter state arrays (saved in checkpoints).
    slots: tuple[str, ...] = ()
    #: State names written by earlier versions, {old name: new name} (see load_state_dict).
    legacy_slots: dict[str, str] = {}

    def __init__(self, learning_rate=0.01, weight_decay: float = 0.0,
                 decay_biases: bool = False) -> None:
        if isinstance(learning_rate, (Schedule, dict)):
            self.schedule: Schedule | None = get_schedule(learning_rate)
            self.learning_rate = self.schedule(0)
        else:
            self.schedule = None
            self.learning_rate = _check_positive("learning_rate", learning_rate)
        self.weight_decay = _check_positive("weight_decay", weight_decay, allow_zero=True)
        self.decay_biases = bool(decay_biases)
        self.iterations = 0
        self.state: list[dict[str, np.ndarray]] = []

    def set_epoch(self, epoch: int) -> None:
        """Update the learning rate from the schedule at the start of ``epoch`` (0-based)."""
        if self.schedule is not None:
            self.learning_rate = float(self.schedule(epoch))

    # ------------------------------------------------------------------ the step

    def step(self, pairs, decay=None) -> None:
        """Update every parameter in ``pairs`` [(p, g), ...] in place, one rule per parameter.

        ``decay``: for each pair, whether weight decay applies to it (a network passes its
        ``decay_flags()``: the connection weights); None: every pair.
        """
        self.ensure_state([p for p, _ in pairs])
        self.iterations += 1
        decay = self.decayed(decay, len(pairs))
        for (p, g), s, d in zip(pairs, self.state, decay):
            if self.weight_decay and d:
                g = g + self.weight_decay * p  # L2: the gradient of (wd / 2) * p^2
            self.update(p, g, s)

    def decayed(self, decay, n: int) -> list[bool]:
        """Which of ``n`` parameters weight decay applies to, given the network's flags."""
        if decay is None or self.decay_biases:
            return [True] * n
        return [bool(d) for d in decay]

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        """The update rule for one parameter ``p`` with gradient ``g`` (subclasses)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ state

    def ensure_state(self, params) -> None:
        """Create zero state for ``params`` unless the state already has their shapes."""
        if len(self.state) != len(params) or any(
                s[slot].shape != p.shape for s, p in zip(self.state, params) for slot in s):
            self.state = [{slot: np.zeros_like(p) for slot in self.slots} for p in params]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Per-parameter state as named arrays (``m.0``, ``v.0``, ...) and ``iterations``."""
        out = {f"{slot}.{i}": s[slot] for i, s in enumerate(self.state) for slot in self.slots}
        out["iterations"] = np.array(self.iterations, dtype=np.int64)
        return out

    def load_state_dict(self, state: dict[str, np.ndarray], pairs) -> None:
        """Restore what :meth:`state_dict` returned, for the same (parameter, gradient) pairs.

        State saved under an earlier version's names (:attr:`legacy_slots`) is converted.
        """
        state = self._from_legacy(state)
        params = [p for p, _ in pairs]
        if len(state) == 1 and self.slots:  # saved before the first step: no slots yet
            self.state = []
        else:
            self.ensure_state(params)
            for i, s in enumerate(self.state):
                for slot in self.slots:
                    s[slot][...] = state[f"{slot}.{i}"]
        self.iterations = int(state["iterations"])

    def _from_legacy(self, state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return state

    def reset(self) -> None:
        """Forget all per-parameter state (momentum, moments) and the step count."""
        self.state, self.iterations = [], 0

    # ------------------------------------------------------------------ description

    def get_config(self) -> dict:
        cfg = {"name": self.name, "weight_decay": self.weight_decay}
        if self.decay_biases:
            cfg["decay_biases"] = True
        cfg["learning_rate"] = (
            self.schedule.get_config() if self.schedule is not None else self.learning_rate
        )
        return cfg

    from .notebook import html as _repr_html_  # the notebook view (neuronal/notebook.py)

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

    p <- p - lr * g; with momentum mu: v <- mu * v + g, p <- p - lr * v (Nesterov:
    p <- p - lr * (g + mu * v)). v starts at 0, so the first step is a plain one.

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
                 weight_decay: float = 0.0, decay_biases: bool = False) -> None:
        super().__init__(learning_rate, weight_decay, decay_biases)
        self.momentum = _check_positive("momentum", momentum, allow_zero=True)
        if self.momentum >= 1:
            raise NeuronalError(f"momentum must be in [0, 1) (a velocity that never decays "
                                f"diverges), got {momentum!r}; 0.9 is usual")
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise NeuronalError(
                "Nesterov momentum needs momentum > 0, e.g. SGD(momentum=0.9, nesterov=True)"
            )
        self.slots = ("velocity",) if self.momentum else ()

    def update(self, p, g, state):
        lr, mu = self.learning_rate, self.momentum
        if not mu:
            p -= lr * g
            return
        v = state["velocity"]
        v *= mu
        v += g  # v <- mu v + g
        if self.nesterov:
            p -= lr * (g + mu * v)
        else:
            p -= lr * v

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam: a running mean of the gradient (m) and of its square (v), with bias correction.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  p <- p - lr * m_hat / (sqrt(v_hat) + eps)
    with m_hat = m / (1 - b1^t) and v_hat = v / (1 - b2^t) (both start at 0, which the
    corrections undo).

    Parameters
    ----------
    learning_rate : float or Schedule, default 0.001
    beta1, beta2 : float, default 0.9, 0.999
    epsilon : float, default 1e-8
    weight_decay : float, default 0

    Notes
    -----
    ``m`` and ``v`` are PyTorch's ``exp_avg`` and ``exp_avg_sq``. Checkpoints written by
    neuronal 0.1 kept ``m_sum = m / (1 - b1)`` and ``v_sum = v / (1 - b2)``; they still load.
    """

    name = "adam"
    slots = ("m", "v")
    legacy_slots = {"m_sum": "m", "v_sum": "v"}

    def __init__(self, learning_rate=0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, weight_decay: float = 0.0,
                 decay_biases: bool = False) -> None:
        super().__init__(learning_rate, weight_decay, decay_biases)
        for label, b in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= _check_positive(label, b, allow_zero=True) < 1.0:
                raise NeuronalError(f"Adam {label} must be in [0, 1), got {b!r}")
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.epsilon = _check_positive("epsilon", epsilon)

    def update(self, p, g, state):
        b1, b2, t = self.beta1, self.beta2, self.iterations
        m, v = state["m"], state["v"]
        m *= b1
        m += (1 - b1) * g  # m <- b1 m + (1 - b1) g
        v *= b2
        v += (1 - b2) * np.square(g)  # v <- b2 v + (1 - b2) g^2
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)

    def _from_legacy(self, state):
        if not any(k.split(".")[0] in self.legacy_slots for k in state):
            return state
        factor = {"m_sum": 1 - self.beta1, "v_sum": 1 - self.beta2}
        out = {}
        for key, value in state.items():
            slot, _, index = key.partition(".")
            if slot in factor:
                out[f"{self.legacy_slots[slot]}.{index}"] = value * value.dtype.type(factor[slot])
            else:
                out[key] = value
        return out

    def get_config(self):
        return {**super().get_config(), "beta1": self.beta1, "beta2": self.beta2,
                "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    s <- rho s + (1 - rho) g^2;  p <- p - lr * g / (sqrt(s) + eps)

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
                 weight_decay: float = 0.0, decay_biases: bool = False) -> None:
        super().__init__(learning_rate, weight_decay, decay_biases)
        if not 0.0 <= _check_positive("rho", rho, allow_zero=True) < 1.0:
            raise NeuronalError(f"RMSprop rho must be in [0, 1), got {rho!r}")
        self.rho = float(rho)
        self.epsilon = _check_positive("epsilon", epsilon)

    def update(self, p, g, state):
        s = state["square_avg"]
        s *= self.rho
        s += (1 - self.rho) * np.square(g)  # s <- rho s + (1 - rho) g^2
        p -= self.learning_rate * g / (np.sqrt(s) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


_REGISTRY: Registry[Optimizer] = Registry("optimizer", Optimizer)
_REGISTRY.register("sgd", SGD)
_REGISTRY.register("adam", Adam)
_REGISTRY.register("rmsprop", RMSprop)


def get(spec: str | Optimizer | dict, **kwargs) -> Optimizer:
    """Return an optimiser from a name (``"adam"``), a config dict or an instance."""
    return _REGISTRY.get(spec, **kwargs)
