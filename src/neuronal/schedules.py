"""Learning-rate schedules: the learning rate as a function of the epoch (0-based).

Pass one as an optimiser's ``learning_rate``: ``SGD(learning_rate=StepDecay(0.5, step=5))``.
The optimiser evaluates it at the start of each epoch.

=============  =====================================================
StepDecay      lr0 * factor ** (epoch // step)
ExponentialDecay  lr0 * rate ** epoch
CosineDecay    min + (lr0 - min) * (1 + cos(pi * epoch / epochs)) / 2
=============  =====================================================
"""

from __future__ import annotations

import math

from ._registry import Registry
from .errors import NeuronalError

__all__ = ["Schedule", "StepDecay", "ExponentialDecay", "CosineDecay", "get"]


class Schedule:
    """Base class: ``schedule(epoch) -> learning rate``."""

    name = "schedule"

    def __init__(self, initial: float) -> None:
        if not (isinstance(initial, (int, float)) and math.isfinite(initial) and initial > 0):
            raise NeuronalError(f"a schedule's initial learning rate must be > 0, got {initial!r}")
        self.initial = float(initial)

    def __call__(self, epoch: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name, **{k: v for k, v in vars(self).items()}}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class StepDecay(Schedule):
    """Multiply the rate by ``factor`` every ``step`` epochs."""

    name = "step"

    def __init__(self, initial: float, step: int = 10, factor: float = 0.5) -> None:
        super().__init__(initial)
        if int(step) < 1:
            raise NeuronalError(f"StepDecay step must be >= 1 epoch, got {step!r}")
        self.step, self.factor = int(step), float(factor)

    def __call__(self, epoch):
        return self.initial * self.factor ** (epoch // self.step)


class ExponentialDecay(Schedule):
    """Multiply the rate by ``rate`` every epoch."""

    name = "exponential"

    def __init__(self, initial: float, rate: float = 0.9) -> None:
        super().__init__(initial)
        self.rate = float(rate)

    def __call__(self, epoch):
        return self.initial * self.rate**epoch


class CosineDecay(Schedule):
    """Half a cosine from ``initial`` down to ``minimum`` over ``epochs`` epochs, then flat."""

    name = "cosine"

    def __init__(self, initial: float, epochs: int = 10, minimum: float = 0.0) -> None:
        super().__init__(initial)
        if int(epochs) < 1:
            raise NeuronalError(f"CosineDecay epochs must be >= 1, got {epochs!r}")
        self.epochs, self.minimum = int(epochs), float(minimum)

    def __call__(self, epoch):
        t = min(epoch, self.epochs) / self.epochs
        return self.minimum + (self.initial - self.minimum) * (1 + math.cos(math.pi * t)) / 2


_REGISTRY: Registry[Schedule] = Registry("schedule", Schedule)
_REGISTRY.register("step", StepDecay)
_REGISTRY.register("exponential", ExponentialDecay)
_REGISTRY.register("cosine", CosineDecay)


def get(spec: Schedule | dict) -> Schedule:
    """Return a schedule from an instance or a config dict (``{"name": "cosine", ...}``)."""
    return _REGISTRY.get(spec)
