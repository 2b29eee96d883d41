"""Training curves: loss and accuracy per epoch, train and validation."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import DataError, NeuronalError
from ._base import check_path, figure, finish

__all__ = ["plot_history"]


def _history_dict(history: Any) -> tuple[dict[str, list[float]], np.ndarray]:
    """The metric lists and the 1-based epoch numbers of a History or a plain dict."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise NeuronalError(
            f"history must be the History returned by fit (or its .history dict), got "
            f"{type(history).__name__}"
        )
    logs = {k: [float(v) for v in vals] for k, vals in logs.items() if len(vals)}
    if "loss" not in logs:
        raise DataError(
            "history has no 'loss' values to plot: train for at least one epoch "
            "(history = network.fit(X, y, epochs=5))"
        )
    n = len(logs["loss"])
    for k, vals in logs.items():
        if len(vals) != n:
            raise DataError(f"history[{k!r}] has {len(vals)} values but 'loss' has {n}")
    epochs = getattr(history, "epoch", None)
    if epochs is not None and len(epochs) == n:
        x = np.asarray(epochs, dtype=float) + 1
    else:
        x = np.arange(1, n + 1, dtype=float)
    return logs, x


def plot_history(history: Any, path: str | os.PathLike | None = None,
                 title: str | None = None, *, size: float = 1.0) -> Any:
    """Plot the loss and accuracy curves of a training run, train and validation.

    Parameters
    ----------
    history : History or dict
        What :meth:`Network.fit` returns, or its ``.history`` dict (keys ``loss``,
        ``accuracy``, ``val_loss``, ``val_accuracy``, ``learning_rate``; one value per epoch).
    path : str or path-like, optional
        Also write the picture there (PNG, or the format of the suffix), atomically.
    title : str, optional
        Figure title.
    size : float, default 1.0
        Scale of the figure (a notebook's inline view uses a smaller one).

    Returns
    -------
    matplotlib.figure.Figure
        The picture; in a notebook it shows itself.

    Notes
    -----
    Two panels: loss (left) and accuracy (right), each with the training curve (solid) and the
    validation curve (dashed) when there is one. Without accuracy values (a regression loss) only
    the loss panel is drawn. When the learning rate changed during training (a schedule), a
    third panel shows it. The legend gives each curve's last value. Epochs are counted from 1,
    as the training log prints them.

    Raises
    ------
    DataError
        No ``loss`` values, or lists of different lengths.
    """
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    check_path(path)
    logs, x = _history_dict(history)
    panels = [("loss", "loss")]
    if "accuracy" in logs or "val_accuracy" in logs:
        panels.append(("accuracy", "accuracy"))
    lr = logs.get("learning_rate")
    if lr is not None and len(set(lr)) > 1:
        panels.append(("learning_rate", "learning rate"))
    fig = figure((5.0 * len(panels) * size, 3.8 * size))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    marker = "o" if len(x) <= 30 else None
    for ax, (key, label) in zip(axes, panels):
        if key == "learning_rate":
            ax.plot(x, lr, color="tab:gray", marker=marker, ms=3)
            ax.set_yscale("log")
        for name, style, color in ((key, "-", "tab:blue"), (f"val_{key}", "--", "tab:orange")):
            if key == "learning_rate" or name not in logs:
                continue
            vals = logs[name]
            fmt = f"{100 * vals[-1]:.1f}%" if key == "accuracy" else f"{vals[-1]:.4g}"
            who = "validation" if name.startswith("val_") else "train"
            ax.plot(x, vals, style, color=color, marker=marker, ms=3, label=f"{who} ({fmt})")
        if key == "accuracy":
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        if key != "learning_rate":
            ax.legend(loc="best", fontsize=9, title="last value", title_fontsize=8)
        ax.set_title(label)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return finish(fig, path)
