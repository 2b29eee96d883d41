"""Images: a gallery of digits (with true and predicted labels), and a CNN's feature maps."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DataError, NeuronalError, ShapeError
from ._base import NEGATIVE, as_images, check_network, check_path, figure, finish, layer_outputs

__all__ = ["plot_digits", "plot_feature_maps"]


def _labels(values: Any, n: int, what: str) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values)
    if arr.ndim == 2:  # one-hot rows or probabilities
        arr = arr.argmax(axis=1)
    if arr.ndim != 1 or len(arr) != n:
        raise DataError(f"{what} must hold one label per image ({n}), got shape {arr.shape}")
    return arr


def plot_digits(X: Any, y: Any = None, pred: Any = None, path: str | os.PathLike | None = None,
                *, image_shape: tuple[int, int] | None = None, max_images: int = 60,
                cols: int = 10, class_names: Sequence[str] | None = None,
                title: str | None = None) -> Any:
    """A gallery of images with their labels, e.g. the test digits a network got wrong.

    Parameters
    ----------
    X : array_like
        Images: ``(n, h, w)``, ``(n, 1, h, w)`` or flat rows ``(n, h*w)`` (square, or give
        ``image_shape``).
    y : array_like of shape (n,), optional
        True labels (one-hot rows are argmaxed).
    pred : array_like of shape (n,), optional
        Predicted labels; a panel whose prediction differs from ``y`` is titled in red.
    path : str or path-like, optional
        Also write the picture there, atomically.
    image_shape : (int, int), optional
    max_images : int, default 60
        Draw the first ``max_images`` (the title says how many there were).
    cols : int, default 10
        Panels per row.
    class_names : sequence of str, optional
        Names for the labels (default the numbers).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> wrong = net.predict(X_test) != y_test                    # doctest: +SKIP
    >>> plot_digits(X_test[wrong], y_test[wrong], net.predict(X_test)[wrong])  # doctest: +SKIP
    """
    check_path(path)
    images = as_images(X, image_shape)
    n_total = len(images)
    if n_total == 0:
        raise DataError("plot_digits got no images (X is empty): nothing to draw")
    if int(max_images) < 1 or int(cols) < 1:
        raise NeuronalError(f"max_images and cols must be >= 1, got {max_images!r}, {cols!r}")
    y = _labels(y, n_total, "y")
    pred = _labels(pred, n_total, "pred")

    def name(v: Any) -> str:
        if class_names is not None:
            try:
                return str(class_names[int(v)])
            except (IndexError, ValueError, TypeError):
                return str(v)
        return str(v)

    n = min(n_total, int(max_images))
    cols = min(int(cols), n)
    rows = math.ceil(n / cols)
    cell = 1.0 if (y is None or pred is None) else 1.15
    fig = figure((cols * cell + 0.4, rows * (cell + 0.15) + 0.7))
    axes = fig.subplots(rows, cols, squeeze=False)
    wrong_total = 0
    for k, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if k >= n:
            continue
        ax.imshow(images[k], cmap="gray_r", interpolation="nearest")
        parts, color = [], "black"
        if y is not None:
            parts.append(f"true {name(y[k])}" if pred is not None else name(y[k]))
        if pred is not None:
            parts.append(f"pred {name(pred[k])}")
            if y is not None and pred[k] != y[k]:
                color = NEGATIVE
        if parts:
            ax.set_title("\n".join(parts), fontsize=7, color=color, pad=2)
    if y is not None and pred is not None:
        wrong_total = int(np.count_nonzero(y != pred))
    shown = f"first {n} of {n_total} images" if n < n_total else f"{n_total} images"
    head = title or (f"{shown}; {wrong_total} of {n_total} predicted wrong (red)"
                     if y is not None and pred is not None else shown)
    fig.suptitle(head, fontsize=9)
    fig.tight_layout()
    return finish(fig, path)


def _one_sample(network: Any, x: Any) -> np.ndarray:
    """``x`` as a batch of one in the shape the network's first layer reads."""
    x = np.asarray(x, dtype=network.dtype)
    expected = network.layers[0].input_shape
    if expected is None:
        return x[None]
    expected = tuple(expected)
    if len(x.shape) == len(expected) + 1 and len(x) == 1:
        return x
    if len(x.shape) == len(expected):
        return x[None]
    if len(expected) == 3 and expected[0] is not None:  # (C, H, W) from a flat or 2-D image
        c = int(expected[0])
        side = math.isqrt(x.size // c) if x.size % c == 0 else 0
        if side and c * side * side == x.size:
            return x.reshape(1, c, side, side)
    raise ShapeError(
        f"x must be one sample of shape {expected} (any size where None), got {x.shape}"
    )


def plot_feature_maps(network: Any, x: Any, path: str | os.PathLike | None = None, *,
                      max_channels: int = 16, title: str | None = None) -> Any:
    """What a convolutional network sees: the input, each layer's feature maps, the output.

    Parameters
    ----------
    network : Network
        A network whose layers output images ``(channels, height, width)`` somewhere (Conv2D,
        pooling); the other layers are listed by name.
    x : array_like
        One sample: ``(1, 28, 28)``, ``(28, 28)`` or 784 flat pixels for a one-channel CNN.
    path : str or path-like, optional
        Also write the picture there, atomically.
    max_channels : int, default 16
        Feature maps shown per layer (the first ones; the row says when there are more).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One row per layer with image outputs (labelled ``layer i``, as ``net.layers[i]``; maps
        labelled ``channel c``), and a last row with the output values and the winner.

    Raises
    ------
    NeuronalError
        The network has no layer whose output is an image.
    ShapeError
        ``x`` is not one sample for this network.
    """
    check_path(path)
    check_network(network)
    if int(max_channels) < 1:
        raise NeuronalError(f"max_channels must be >= 1, got {max_channels!r}")
    X = _one_sample(network, x)
    outs = layer_outputs(network, X)
    rows = [(i, layer, out[0]) for i, (layer, out) in enumerate(zip(network.layers, outs))
            if out.ndim == 4]
    if not rows:
        raise NeuronalError(
            "the network has no layer whose output is an image (channels, height, width): "
            "plot_feature_maps is for convolutional networks; use plot_weights or explain()"
        )
    cols = min(int(max_channels), max(out.shape[0] for _, _, out in rows))
    cell = 1.05
    n_rows = len(rows) + 2
    fig = figure((cols * cell + 1.8, n_rows * cell + 0.8))
    spec = fig.add_gridspec(n_rows, cols)
    image = X[0]
    ax = fig.add_subplot(spec[0, 0])
    ax.imshow(image.reshape(-1, image.shape[-1]) if image.ndim == 3 else image,
              cmap="gray_r", interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_ylabel("input", fontsize=8)
    for r, (i, layer, maps) in enumerate(rows, start=1):
        for c in range(min(cols, maps.shape[0])):
            ax = fig.add_subplot(spec[r, c])
            ax.imshow(maps[c], cmap="magma", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 1 or c == 0:
                ax.set_title(f"channel {c}", fontsize=6, pad=1)
            if c == 0:
                more = f"\n{cols} of {maps.shape[0]}" if maps.shape[0] > cols else ""
                ax.set_ylabel(f"layer {i}\n{type(layer).__name__}\n"
                              f"{'x'.join(map(str, maps.shape))}{more}", fontsize=6)
    out = np.asarray(outs[-1][0], dtype=np.float64).ravel()
    ax = fig.add_subplot(spec[n_rows - 1, :])
    winner = int(out.argmax())
    ax.bar(range(len(out)), out, color=["#2ca02c" if k == winner else "0.6"
                                        for k in range(len(out))])
    ax.set_xticks(range(len(out)))
    ax.tick_params(labelsize=7)
    ax.set_ylabel(f"output\nlayer {len(outs) - 1}", fontsize=7)
    ax.set_title(f"output: class {winner} wins ({out[winner]:.3f})", fontsize=8, pad=2)
    fig.suptitle(title or "Feature maps, layer by layer (bright: strong response)", fontsize=9)
    fig.tight_layout()
    return finish(fig, path)
