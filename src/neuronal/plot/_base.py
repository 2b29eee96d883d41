"""What every picture shares: the lazy matplotlib import, new figures, saving, colours.

Figures are built with matplotlib's object API (:class:`matplotlib.figure.Figure`) on the
headless Agg canvas, never through ``pyplot``: that needs no display, leaves no figure in a
global registry, and does not change the backend of a user's own pyplot session
(``matplotlib.use`` is global state that would, for example, silence a notebook's inline plots).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import NeuronalError

#: How every picture, ``explain`` and the code number things (see the README, "Numbering").
NUMBERING = (
    "0-based everywhere: layer i is net.layers[i], neuron j of a layer is layer.neurons[j] "
    "(row j of its weight matrix), input i is x[i] (column i)"
)

NEGATIVE, POSITIVE = "#d62728", "#1f77b4"  # red for negative weights, blue for positive
STRENGTHENED, WEAKENED = "#2ca02c", "#9467bd"  # a training step: weight grew / shrank
WEIGHT_CMAP = "RdBu"  # diverging: red (negative) - white (0) - blue (positive)
DPI = 120


def mpl() -> Any:
    """Import matplotlib lazily, with an install hint when it is missing."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ModuleNotFoundError(
            'neuronal.plot needs matplotlib, which is not installed: pip install "neuronal[plot]"',
            name="matplotlib",
        ) from exc
    return matplotlib


class _NotebookFigure:
    """Mixin: a figure that shows itself as a PNG in a notebook even without pyplot.

    IPython displays a matplotlib Figure only once pyplot's inline backend has registered a
    formatter for it; our figures are made without pyplot, so they say how to draw themselves.
    """

    def _repr_png_(self) -> bytes:
        import io

        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=80, bbox_inches="tight", facecolor="white")
        return buffer.getvalue()


_figure_class = None


def figure(figsize: tuple[float, float]) -> Any:
    """A new Figure attached to the headless Agg canvas (no pyplot, no display)."""
    global _figure_class
    mpl()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if _figure_class is None:
        _figure_class = type("Figure", (_NotebookFigure, Figure), {
            "__module__": __name__, "__qualname__": "Figure",
            "__doc__": "A matplotlib Figure that also displays itself in notebooks.",
        })
    fig = _figure_class(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def figure_and_axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    """``(fig, ax)``: a new figure with one axes, or ``ax`` and the figure it belongs to."""
    if ax is None:
        fig = figure(figsize)
        return fig, fig.subplots()
    mpl()
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise NeuronalError(f"ax must be a matplotlib Axes (or None for a new figure), got "
                            f"{type(ax).__name__}")
    return ax.get_figure(root=True) if _has_root(ax) else ax.figure, ax


def _has_root(ax: Any) -> bool:
    try:
        ax.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10
        return False
    return True


def check_path(path: Any) -> None:
    """``path`` must be None (no file) or a file name."""
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise NeuronalError(f"path must be a file name such as 'out.png' (or None), got {path!r}")


def finish(fig: Any, path: str | os.PathLike | None) -> Any:
    """Save ``fig`` to ``path`` when one is given; return the figure."""
    if path is not None:
        save(fig, path)
    return fig


def save(fig: Any, path: str | os.PathLike) -> Path:
    """Write ``fig`` to ``path`` atomically, with the model files' writer (``io.py``): a
    temporary file in the same folder, then a rename, so a reader never sees half a picture
    and a failed save leaves the old file. The format follows the suffix (PNG without one);
    parent folders are created.
    """
    import io

    from ..io.atomic import atomic_write as _atomic_write

    path = Path(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=path.suffix[1:].lower() or "png", dpi=DPI, bbox_inches="tight",
                facecolor="white")
    _atomic_write(path, buffer.getvalue(), what="the picture")  # NeuronalError if it cannot
    return path


def as_images(X: Any, image_shape: tuple[int, int] | None, what: str = "X") -> np.ndarray:
    """``X`` as an array of 2-D grey images ``(n, h, w)``; flat rows need a square size or
    ``image_shape``; one channel of ``(n, 1, h, w)`` is dropped."""
    from ..errors import ShapeError

    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 4 and X.shape[1] == 1:
        X = X[:, 0]
    if X.ndim == 3:
        return X
    if X.ndim != 2:
        raise ShapeError(f"{what} must hold images: (n, h, w), (n, 1, h, w) or flat rows "
                         f"(n, h*w); got shape {X.shape}")
    n = X.shape[1]
    if image_shape is None:
        side = int(round(n ** 0.5))
        if side * side != n:
            raise ShapeError(f"{what} has {n} values per row, not a square image: pass "
                             f"image_shape=(height, width)")
        image_shape = (side, side)
    try:
        h, w = (int(s) for s in image_shape)
    except (TypeError, ValueError):
        raise ShapeError(f"image_shape must be (height, width), got {image_shape!r}") from None
    if h * w != n:
        raise ShapeError(f"image_shape={(h, w)} holds {h * w} pixels but {what} has {n} values "
                         f"per row")
    return X.reshape(len(X), h, w)


def grid(n: int, max_cols: int | None = None) -> tuple[int, int]:
    """(rows, cols) of a near-square grid for ``n`` panels."""
    cols = max(1, int(np.ceil(np.sqrt(n))))
    if max_cols is not None:
        cols = min(cols, max_cols)
    return int(np.ceil(n / cols)), cols


def class_colors(k: int) -> list[str]:
    base = [NEGATIVE, POSITIVE, "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf"]
    return [base[i % len(base)] for i in range(max(k, 2))]


def layer_outputs(network: Any, X: np.ndarray) -> list[np.ndarray]:
    """Every layer's output for the batch ``X`` (prediction mode), in layer order."""
    X = np.asarray(X, dtype=network.dtype)
    network.predict_proba(X[:1])  # checks the input shape, with the network's own message
    outs = []
    for layer in network.layers:
        X = layer.forward(X, training=False)
        outs.append(X)
    return outs


def check_network(network: Any) -> None:
    if not hasattr(network, "layers") or not hasattr(network, "predict_proba"):
        raise NeuronalError(f"expected a neuronal Network, got {type(network).__name__}")
