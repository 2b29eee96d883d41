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
Every 32 steps or so, state entries too small to move any parameter are set to 0 before they
become subnormal numbers, which are ~100x slower to compute with (``_flush_subnormal_state``).
"""

from __future__ import annotations

import inspect
import math
import operator

import numpy as np

from ._flat import flat_span, offsets, view_like
from ._registry import Registry
from .errors import NeuronalError
from .schedules import Schedule
from .schedules import get as get_schedule

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "get"]

# State entries below tiny * _FLUSH_MARGIN in magnitude (about 2e-31 in float32, 4e-301 in
# float64) are set to 0 every _FLUSH_EVERY steps, or a multiple of it (up to _FLUSH_MAX) for
# slots that decay slowly; see Optimizer._flush_subnormal_state.
_FLUSH_MARGIN = 2.0**24
_FLUSH_EVERY = 32
_FLUSH_MAX = 1024


def _check_positive(name: str, value: float, allow_zero: bool = False) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        req = ">= 0" if allow_zero else "> 0"
        raise NeuronalError(f"{name} must be a finite number {req}, got {value!r}")
    return v


def _spanned(state: dict, span: slice) -> dict:
    """The elements ``span`` of every array in an optimiser state dict (views)."""
    return {k: v[span] for k, v in state.items()}


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
    #: Slots used as sqrt(slot) + epsilon (second moments): flushed only where that is exact.
    _root_slots: tuple[str, ...] = ()

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
        self._state_pairs: list | None = None  # the pairs _state was last checked against
        # When the parameters lie back to back in one array (see _flat.py): that array, the
        # gradients' array and the state as flat arrays (self._state then holds views of them)
        self._flat: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]] | None = None
        self._flat_state: dict[str, np.ndarray] | None = None

    # ------------------------------------------------------------------ schedule

    def set_epoch(self, epoch: int) -> None:
        """Update the learning rate from the schedule at the start of ``epoch`` (0-based)."""
        if self.schedule is not None:
            self.learning_rate = float(self.schedule(epoch))

    # ------------------------------------------------------------------ state

    def _ensure_state(self, pairs) -> None:
        seen = self._state_pairs
        if (seen is not None and len(seen) == len(pairs) == len(self._state)
                and all(map(operator.is_, seen, pairs))):
            return  # the very (parameter, gradient) pairs of the last step: nothing to check
        params = [p for p, _ in pairs]
        flat_p, flat_g = flat_span(params), flat_span([g for _, g in pairs])
        flat = (flat_p is not None and flat_g is not None and flat_g.size == flat_p.size
                and all(p.strides == g.strides for p, g in pairs))
        if len(self._state) != len(pairs) or any(
            s and next(iter(s.values())).shape != p.shape for s, (p, _) in zip(self._state, pairs)
        ):
            if flat:  # one flat array per slot; each parameter's state is a view of it
                store = {slot: np.zeros_like(flat_p) for slot in self.slots}
                store["_tmp"] = np.empty_like(flat_p)
                self._state = [{k: view_like(v, off, p) for k, v in store.items()}
                               for p, off in zip(params, offsets(params))]
                self._flat_state = store
            else:
                self._state = [
                    {slot: np.zeros_like(p) for slot in self.slots} | {"_tmp": np.empty_like(p)}
                    for p in params
                ]
                self._flat_state = None
        store = self._flat_state
        self._flat = ((flat_p, flat_g, store)
                      if flat and store is not None and store["_tmp"].size == flat_p.size
                      else None)
        self._state_pairs = list(pairs)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Per-parameter state as named arrays (``m_sum.0``, ``v_sum.0``, ...), ``iterations``."""
        out = {f"{slot}.{i}": s[slot] for i, s in enumerate(self._state) for slot in self.slots}
        out["iterations"] = np.array(self.iterations, dtype=np.int64)
        return out

    def reset(self) -> None:
        """Forget all per-parameter state (momentum, moments) and the step count."""
        self._state, self._state_pairs, self.iterations = [], None, 0
        self._flat = self._flat_state = None

    def load_state_dict(self, state: dict[str, np.ndarray], pairs) -> None:
        """Restore what :meth:`state_dict` returned, for the same (parameter, gradient) pairs."""
        if len(state) == 1 and self.slots:  # saved before the first step: no slots yet
            self.reset()
            self.iterations = int(state["iterations"])
            return
        self._ensure_state(pairs)
        for i, s in enumerate(self._state):
            for slot in self.slots:
                s[slot][...] = state[f"{slot}.{i}"]
        self.iterations = int(state["iterations"])

    # ------------------------------------------------------------------ update

    def step(self, pairs, span: slice | None = None) -> None:
        """Update every parameter in ``pairs`` [(p, g), ...] in place.

        ``span``: update only these elements of the packed parameters (``_flat.py``; an
        error if they are not packed), leaving the rest and its state alone. Two processes
        that share a step (``_columns.py``) each update their own span.
        """
        self._ensure_state(pairs)
        self.iterations += 1
        wd = self.weight_decay
        update = self._update
        if self._flat is not None:  # all parameters in one array: one update for the network
            p, g, s = self._flat
            if span is not None:  # (every rule here is elementwise: any span updates alike)
                p, g, s = p[span], g[span], _spanned(s, span)
            update(p, g + wd * p if wd else g, s)
        elif span is not None:
            raise NeuronalError("Optimizer.step(span=...) needs the parameters packed in one "
                                "array (see _flat.py)")
        else:
            for (p, g), s in zip(pairs, self._state):
                update(p, g + wd * p if wd else g, s)
        if self.slots and self.iterations % _FLUSH_EVERY == 0:
            self._flush_subnormal_state(span)

    def _flush_subnormal_state(self, span: slice | None = None) -> None:
        """Set state entries below tiny * 2^24 in magnitude (about 2e-31 in float32) to 0.

        A state entry whose gradient stays 0 (the weight of a pixel that is blank in every
        sample for a while) shrinks geometrically, m <- 0.9 m, and would spend ~150 steps as a
        subnormal number (below ~1.2e-38 in float32), on which x86 arithmetic is ~100x slower: a
        few percent of Adam's m in that range made its steps 5x slower on MNIST. Flushing every
        32 steps keeps entries out of that range for any decay factor >= 0.6 (slowly decaying
        slots, like Adam's v, are flushed less often, see below). What is removed
        cannot move a parameter (an update changes by less than lr * 2e-31 / epsilon). Slots
        used as sqrt(s) + epsilon are flushed only when sqrt(2e-31) < epsilon * 2^-24, that is
        when the change to the denominator is below the state's precision.
        """
        due = []
        for slot in self.slots:
            # A slot shrinking by `decay` per step takes log(2^24) / -log(decay) steps to fall
            # from the threshold to the subnormals (157 for 0.9, 16,600 for 0.999): flushing
            # it every multiple of 32 steps below that is as good as every 32.
            decay = self._slot_decay(slot)
            steps = math.log(_FLUSH_MARGIN) / -math.log(decay) if 0 < decay < 1 else 0
            every = min(_FLUSH_MAX, max(_FLUSH_EVERY, int(steps) // _FLUSH_EVERY * _FLUSH_EVERY))
            if self.iterations % every == 0:
                due.append(slot)
        for s in [self._flat[2]] if self._flat is not None else self._state:
            if span is not None:
                s = _spanned(s, span)
            tmp = s["_tmp"]
            threshold = float(np.finfo(tmp.dtype).tiny) * _FLUSH_MARGIN
            for slot in due:
                if slot in self._root_slots and (
                        math.sqrt(threshold) > self.epsilon / _FLUSH_MARGIN):
                    continue
                a = s[slot]
                np.abs(a, out=tmp)
                np.putmask(a, tmp < threshold, 0)

    def _slot_decay(self, slot: str) -> float:
        """The factor by which state ``slot`` shrinks per step while its gradient is 0."""
        return 0.0

    def _update(self, p: np.ndarray, g: np.ndarray, s: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def get_config(self) -> dict:
        cfg = {"name": self.name, "weight_decay": self.weight_decay}
        cfg["learning_rate"] = (
            self.schedule.get_config() if self.schedule is not None else self.learning_rate
        )
        return cfg

    def _repr_html_(self) -> str:  # the notebook view, rendered in neuronal/notebook.py
        from .notebook import html
        return html(self)

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
            raise NeuronalError(
                "Nesterov momentum needs momentum > 0, e.g. SGD(momentum=0.9, nesterov=True)"
            )
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

    def _slot_decay(self, slot):
        return self.momentum

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

    Notes
    -----
    The state is kept (and checkpointed) as ``m_sum = m / (1 - beta1)`` and
    ``v_sum = v / (1 - beta2)``, PyTorch's ``exp_avg`` and ``exp_avg_sq`` divided by those
    constants, which saves two passes per step (see ``_update``). Flushing tiny ``v_sum``
    entries stays exact: the denominator is sqrt(v_sum) + epsilon / c with c <= 1, so its
    epsilon is at least ``epsilon``.
    """

    name = "adam"
    slots = ("m_sum", "v_sum")
    _root_slots = ("v_sum",)

    def __init__(self, learning_rate=0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay)
        for label, b in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= float(b) < 1.0:
                raise NeuronalError(f"Adam {label} must be in [0, 1), got {b!r}")
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.epsilon = _check_positive("epsilon", epsilon)

    def _update(self, p, g, s):
        # m and v are kept as m_sum = m / (1 - b1) and v_sum = v / (1 - b2), the plain decayed
        # sums m_sum <- b1 m_sum + g and v_sum <- b2 v_sum + g^2: the (1 - b) factors and both
        # bias corrections bc = 1 - b^t then fold into two numbers,
        #   p <- p - lr/bc1 * m / (sqrt(v/bc2) + eps)
        #     =  p - [lr (1 - b1) / (bc1 c)] * m_sum / (sqrt(v_sum) + eps / c),
        # with c = sqrt((1 - b2) / bc2): ten passes over the parameter's memory instead of
        # twelve (and np.square(g) is ~2x faster than np.multiply(g, g)).
        b1, b2, t = self.beta1, self.beta2, self.iterations
        m_sum, v_sum, tmp = s["m_sum"], s["v_sum"], s["_tmp"]
        m_sum *= b1
        m_sum += g
        np.square(g, out=tmp)
        v_sum *= b2
        v_sum += tmp
        c = math.sqrt((1 - b2) / (1 - b2**t))
        np.sqrt(v_sum, out=tmp)
        tmp += self.epsilon / c
        np.divide(m_sum, tmp, out=tmp)
        tmp *= self.learning_rate * (1 - b1) / ((1 - b1**t) * c)
        p -= tmp

    def _slot_decay(self, slot):
        return self.beta1 if slot == "m_sum" else self.beta2

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
    _root_slots = ("square_avg",)

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
        np.square(g, out=tmp)
        tmp *= 1 - self.rho
        sq += tmp
        np.sqrt(sq, out=tmp)
        tmp += self.epsilon
        np.divide(g, tmp, out=tmp)
        tmp *= self.learning_rate
        p -= tmp

    def _slot_decay(self, slot):
        return self.rho

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


_REGISTRY: Registry[Optimizer] = Registry("optimizer", Optimizer)
_REGISTRY.register("sgd", SGD)
_REGISTRY.register("adam", Adam)
_REGISTRY.register("rmsprop", RMSprop)


def get(spec: str | Optimizer | dict, **kwargs) -> Optimizer:
    """Return an optimiser from a name (``"adam"``), a config dict or an instance."""
    return _REGISTRY.get(spec, **kwargs)
