"""Dropout: randomly silence neurons during training so the network cannot rely on any one."""

from __future__ import annotations

import numbers

from ..errors import NeuronalError
from .base import Layer

__all__ = ["Dropout"]


class Dropout(Layer):
    """Inverted dropout with drop probability ``rate``.

    In training each input is zeroed with probability ``rate`` and the survivors are scaled by
    1 / (1 - rate), so the expected value is unchanged and prediction needs no rescaling: in
    ``predict`` (``training=False``) the layer is the identity. Works on inputs of any shape.

    Parameters
    ----------
    rate : float in [0, 1)
        Probability of dropping each input.

    Shape
    -----
    input: any, output: same as input.

    When processes share a batch (data-parallel training), each is told which rows of the
    batch it holds (``batch_rows = (first, batch size)``) and draws the whole batch's mask from
    the same random stream, keeping its own rows: every sample is dropped as in one process.
    """

    independent_samples = True  # each row's mask depends on the row's place in the batch only
    batch_rows: tuple[int, int] | None = None

    def __init__(self, rate: float = 0.5, *, name: str | None = None, seed: int | None = None,
                 dtype=None) -> None:
        super().__init__(name=name, seed=seed, dtype=dtype)
        number = isinstance(rate, numbers.Real) and not isinstance(rate, bool)
        if not number or not 0.0 <= float(rate) < 1.0:
            raise NeuronalError(f"Dropout rate must be in [0, 1) (a number: the probability "
                                f"of dropping each input, e.g. 0.5), got {rate!r}")
        self.rate = float(rate)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self.mask = None
            return x
        keep = 1.0 - self.rate
        # mask = 1/keep where kept, 0 where dropped (one random draw per element).
        if self.batch_rows is None:
            draws = self.rng.random(x.shape, dtype=x.dtype)
        else:  # a share of a batch: the whole batch's draws, this share's rows
            first, total = self.batch_rows
            draws = self.rng.random((total, *x.shape[1:]), dtype=x.dtype)[first:first + len(x)]
        self.mask = (draws < keep) * x.dtype.type(1.0 / keep)
        return x * self.mask

    def backward(self, grad, preactivation=False):
        return grad if self.mask is None else grad * self.mask

    def get_config(self):
        return {"rate": self.rate, **super().get_config()}
