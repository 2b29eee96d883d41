"""What training leaves behind and shows while it runs: the History of a run, the progress bar
and the line printed after each epoch."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["History", "Progress", "format_logs"]


class History:
    """What ``fit`` returns: ``history.history["loss"]`` etc., one value per epoch.

    Keys: ``loss`` and ``accuracy`` (means over the epoch's samples), ``val_loss`` and
    ``val_accuracy`` (with validation data), ``learning_rate``. Accuracy appears only for
    classification losses. Calling ``fit`` again appends.
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

    from .notebook import history_png as _repr_png_  # the notebook view (neuronal/notebook.py)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History({len(self.epoch)} epochs; last: {last})"


def _in_notebook() -> bool:
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


class Progress:
    """A progress bar over one epoch's samples, in a terminal or a notebook (tqdm.auto);
    nothing when the output goes to a file or a pipe (the epoch lines still print)."""

    def __init__(self, verbose: int, epoch: int, epochs: int, n_samples: int) -> None:
        self.bar = None
        if verbose >= 1 and (sys.stderr.isatty() or _in_notebook()):
            from tqdm.auto import tqdm

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
