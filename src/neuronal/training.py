"""Training bookkeeping: the history of a run, callbacks (early stopping), progress display."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import NeuronalError

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

__all__ = ["History", "Callback", "EarlyStopping"]


class History:
    """What ``fit`` returns: ``history.history["loss"]`` etc., one value per epoch.

    Keys: ``loss`` and ``accuracy`` (mean over the epoch's mini-batches, weighted by batch
    size), ``val_loss`` and ``val_accuracy`` (with validation data), ``learning_rate``.
    Accuracy appears only for classification losses. Calling ``fit`` again appends.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(float(v))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def _repr_png_(self) -> bytes | None:  # the notebook view: neuronal/notebook.py
        from .notebook import history_png
        return history_png(self)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History({len(self.epoch)} epochs; last: {last})"


class Callback:
    """Base class: override any of the hooks. Set ``network.stop_training = True`` to stop."""

    def on_train_begin(self, network: Network) -> None:
        pass

    def on_epoch_end(self, network: Network, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self, network: Network) -> None:
        pass


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
        if int(patience) < 0:
            raise NeuronalError(f"patience must be >= 0 epochs, got {patience!r}")
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


class Progress:
    """A tqdm bar over one epoch's samples when stderr is a terminal; silent otherwise."""

    def __init__(self, verbose: int, epoch: int, epochs: int, n_samples: int) -> None:
        self.bar = None
        if verbose >= 1 and sys.stderr.isatty():
            try:
                from tqdm.auto import tqdm
            except ImportError:  # tqdm is optional: no bar, the epoch lines still print
                return
            self.bar = tqdm(total=n_samples, desc=f"epoch {epoch + 1}/{epochs}", unit="sample",
                            leave=False, file=sys.stderr, mininterval=0.2)

    def update(self, n: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(n)
            if self.bar.n == n or self.bar.n % (n * 50) < n:
                self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def format_logs(epoch: int, epochs: int, seconds: float, logs: dict[str, Any]) -> str:
    parts = [f"epoch {epoch + 1}/{epochs}", f"{seconds:.2f}s"]
    parts += [f"{k} {v:.4f}" for k, v in logs.items() if k != "learning_rate"]
    return " - ".join(parts)
