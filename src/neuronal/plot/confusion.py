"""The confusion matrix as a heat map: which classes the network mistakes for which."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._base import check_path, figure_and_axes, finish

__all__ = ["plot_confusion_matrix"]


def plot_confusion_matrix(cm: Any, path: str | os.PathLike | None = None,
                          labels: Sequence[str] | None = None, title: str | None = None, *,
                          ax: Any = None) -> Any:
    """Draw a confusion matrix as a heat map with the count written in every cell.

    Parameters
    ----------
    cm : array_like of shape (k, k)
        Counts, rows = true class, columns = predicted class
        (:func:`neuronal.metrics.confusion_matrix`).
    path : str or path-like, optional
        Also write the picture there, atomically.
    labels : sequence of str, optional
        Class names (default 0, 1, ...: class k is output neuron k).
    title : str, optional
        Default: "Confusion matrix (accuracy xx.x%)".
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The colour of a cell is its count divided by the size of its true class (its row), on a
    square-root scale, so a class's errors stand out however many samples it has; the number
    written is the raw count. The recall (accuracy) of each true class is written to the right
    of its row.

    Raises
    ------
    DataError
        ``cm`` is not a square array of counts, or ``labels`` has the wrong length.
    """
    from matplotlib.colors import PowerNorm

    from ..metrics import _check_cm, _check_labels, _recall

    check_path(path)
    cm = _check_cm(cm)
    k = len(cm)
    names = _check_labels(labels, k)
    rows = cm.sum(axis=1, keepdims=True)
    frac = cm / np.maximum(rows, 1)
    side = min(max(4.0, 0.55 * k + 2.0), 16.0)
    fig, ax = figure_and_axes(ax, (side + 1.2, side))
    # gamma 0.5 stretches the small fractions, so a 3% confusion is visibly tinted
    im = ax.imshow(frac, cmap="Blues", norm=PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0))
    cbar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.16)
    cbar.set_label("fraction of the true class (row)")
    if k <= 30:
        size = 10 if k <= 12 else 7
        for (i, j), v in np.ndenumerate(cm):
            color = "white" if frac[i, j] > 0.4 else ("0.6" if v == 0 else "black")
            ax.text(j, i, str(v), ha="center", va="center", color=color, fontsize=size)
        for i, r in enumerate(_recall(cm)):
            ax.text(k - 0.5 + 0.15, i, "-" if np.isnan(r) else f"{100 * r:.0f}%",
                    ha="left", va="center", fontsize=size - 1, color="0.3")
        ax.text(k - 0.5 + 0.15, -0.75, "recall", ha="left", va="center", fontsize=size - 1,
                color="0.3")
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    total = int(cm.sum())
    acc = np.trace(cm) / total if total else float("nan")
    ax.set_title(title or f"Confusion matrix (accuracy {100 * acc:.1f}%)", pad=18)
    return finish(fig, path)
