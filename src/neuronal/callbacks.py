"""Callbacks: code that ``fit`` runs at the start, after every epoch and at the end.

``fit(..., callbacks=[EarlyStopping(patience=3)])``; ``fit(..., checkpoint=path)`` adds a
:class:`Checkpoint`. A callback may stop training by setting ``network.stop_training = True``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .errors import NeuronalError

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

__all__ = ["Callback", "EarlyStopping", "Checkpoint", "as_callbacks"]


class Callback:
    """Base class: override any of the hooks. Set ``network.stop_training = True`` to stop."""

    def on_train_begin(self, network: Network) -> None:
        pass

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self, network: Network) -> None:
        pass


def as_callbacks(callbacks) -> list[Callback]:
    """``callbacks`` as a new list, checking that every entry is a Callback."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        raise NeuronalError(
            f"callbacks must be a list of callbacks, got a single {type(callbacks).__name__}: "
            f"write callbacks=[{type(callbacks).__name__}(...)]")
    try:
        out = list(callbacks)
    except TypeError:
        raise NeuronalError(f"callbacks must be a list of Callback objects, got "
                            f"{type(callbacks).__name__}") from None
    for i, cb in enumerate(out):
        if not isinstance(cb, Callback):
            raise NeuronalError(
                f"callbacks[{i}] must be a neuronal Callback (EarlyStopping, Checkpoint, or a "
                f"subclass of nl.Callback), got {type(cb).__name__}")
    return out


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default "val_loss"
        A history key; ``*loss`` keys are minimised, others (accuracy) maximised.
    patience : int, default 5
    min_delta : float, default 0
        Smallest change that counts as an improvement.
    restore_best_weights : bool, default True
        At the end, put back the weights of the best epoch.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 restore_best_weights: bool = True) -> None:
        if not isinstance(monitor, str):
            raise NeuronalError(f"monitor must be a history key such as 'val_loss', got "
                                f"{monitor!r}")
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) \
                or patience < 0:
            raise NeuronalError(f"patience must be an integer >= 0 epochs, got {patience!r}")
        self.monitor, self.patience = monitor, int(patience)
        self.min_delta, self.restore_best_weights = abs(float(min_delta)), restore_best_weights
        self.mode = "min" if monitor.endswith("loss") else "max"

    def on_train_begin(self, network):
        self.best = np.inf if self.mode == "min" else -np.inf
        self.best_epoch, self.wait, self.best_state = -1, 0, None
        self.stopped_epoch = None

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, network, epoch, logs):
        if self.monitor not in logs:
            raise NeuronalError(
                f"EarlyStopping monitors {self.monitor!r} but training logs only "
                f"{sorted(logs)}: pass validation_data to fit, or monitor='loss'"
            )
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_state = network.get_weights()
        else:
            self.wait += 1
            if self.wait > self.patience:
                self.stopped_epoch = epoch
                network.stop_training = True

    def on_train_end(self, network):
        if self.restore_best_weights and self.best_state is not None:
            network.set_weights(self.best_state)


class Checkpoint(Callback):
    """After every epoch, save everything needed to resume training exactly to ``path``
    (weights, optimiser state, random-generator state, epoch count; atomically).

    ``fit(..., checkpoint=path)`` adds one; ``fit(..., checkpoint=path, resume=True)`` first
    restores the file if it exists.
    """

    def __init__(self, path) -> None:
        self.path = path

    def on_epoch_end(self, network, epoch, logs):
        from .io import save_checkpoint

        save_checkpoint(network, self.path)
