"""What each neuron looks for: incoming weights as images (Dense rows, Conv2D filters)."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ..errors import NeuronalError, ShapeError
from ._base import WEIGHT_CMAP, check_path, figure, finish

__all__ = ["plot_weights", "plot_hidden_weights"]


def _drawable(layer: Any) -> bool:
    from ..layers.conv import Conv2D
    from ..layers.dense import Dense

    return isinstance(layer, (Dense, Conv2D))


def _pick_layer(network_or_layer: Any, layer: int | None) -> tuple[Any, int | None]:
    """(the Dense or Conv2D layer to draw, its index in net.layers or None for a lone layer)."""
    if _drawable(network_or_layer):
        return network_or_layer, None
    layers = getattr(network_or_layer, "layers", None)
    if layers is None:
        raise NeuronalError(
            f"expected a neuronal Network, Dense or Conv2D layer, got "
            f"{type(network_or_layer).__name__}"
        )
    with_weights = [i for i, lay in enumerate(layers) if _drawable(lay)]
    if not with_weights:
        raise NeuronalError(
            "the network has no Dense or Conv2D layer whose weights could be drawn (layers: "
            + ", ".join(type(lay).__name__ for lay in layers) + ")"
        )
    if layer is None:
        return layers[with_weights[0]], with_weights[0]
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not (
        -len(layers) <= layer < len(layers)
    ):
        raise NeuronalError(
            f"layer={layer!r} is out of range: the network has {len(layers)} layers "
            f"(net.layers[0..{len(layers) - 1}]); layers with weights to draw: {with_weights}"
        )
    index = int(layer) % len(layers)
    if index not in with_weights:
        raise NeuronalError(
            f"net.layers[{index}] is {layers[index].describe()}, which has no weights to draw as "
            f"images: pick one of the Dense or Conv2D layers {with_weights}"
        )
    return layers[index], index


def _image_shape(dense: Any, network: Any, index: int | None, image_shape: Any) -> tuple[int, int]:
    n = dense.n_inputs
    if image_shape is None:
        sample = getattr(network, "sample_shape", None)
        if index == 0 and sample and len(sample) >= 2 and math.prod(sample[-2:]) == n:
            return int(sample[-2]), int(sample[-1])
        side = math.isqrt(n)
        if side * side != n:
            raise ShapeError(
                f"{dense.describe()} has n_inputs={n}, not a square image: pass "
                f"image_shape=(height, width) with height * width = {n}"
            )
        return side, side
    try:
        h, w = (int(s) for s in image_shape)
    except (TypeError, ValueError):
        raise ShapeError(f"image_shape must be (height, width), got {image_shape!r}") from None
    if h * w != n:
        side = math.isqrt(n)
        hint = f"image_shape=({side}, {side})" if side * side == n else (
            "an image_shape whose product is n_inputs")
        raise ShapeError(
            f"{dense.describe()} has n_inputs={n}, which does not match image_shape={(h, w)} "
            f"({h} x {w} = {h * w} pixels): pass {hint}, or the layer that reads the image"
        )
    return h, w


def plot_weights(network_or_layer: Any, path: str | os.PathLike | None = None, *,
                 layer: int | None = None, image_shape: tuple[int, int] | None = None,
                 max_neurons: int = 64, max_channels: int = 8, title: str | None = None) -> Any:
    """Show each neuron's incoming weights as an image: what it looks for.

    Neuron j of a Dense layer computes w_j . x + b_j, so reshaping its weight row ``W[j]`` to
    the image shape shows which pixels push it up (blue) or down (red). A Conv2D filter is
    already a small image per input channel: filter j (``layer.weight[j]``) is drawn as one
    row of panels, one per input channel.

    Parameters
    ----------
    network_or_layer : Network, Dense or Conv2D
        For a network, ``net.layers[layer]`` is drawn (default: the first Dense or Conv2D).
    path : str or path-like, optional
        Also write the picture there, atomically.
    layer : int, optional
        Index in ``net.layers`` (0-based, as everywhere in neuronal).
    image_shape : (int, int), optional
        Height and width of one Dense input image; default the network's sample shape for the
        first layer, else a square (784 -> 28 x 28). Ignored for Conv2D.
    max_neurons : int, default 64
        Draw at most this many neurons (filters), the first ones; the title says so.
    max_channels : int, default 8
        Conv2D: at most this many input channels per filter.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    All panels share one diverging colour scale, symmetric around 0 (white = weight 0), so
    their strengths compare. Panels are labelled ``neuron j`` (Dense) or ``filter j`` and
    ``channel c`` (Conv2D), j and c counted from 0.

    Raises
    ------
    ShapeError
        A Dense layer's ``n_inputs`` is not ``image_shape[0] * image_shape[1]``.
    NeuronalError
        No such layer, or it has no weights to draw.
    """
    from ..layers.conv import Conv2D

    check_path(path)
    if int(max_neurons) < 1 or int(max_channels) < 1:
        raise NeuronalError(f"max_neurons and max_channels must be >= 1, got {max_neurons!r} "
                            f"and {max_channels!r}")
    chosen, index = _pick_layer(network_or_layer, layer)
    where = "" if index is None else f"layer {index} "
    if isinstance(chosen, Conv2D):
        W = np.asarray(chosen.weight, dtype=np.float64)  # (out, in, kh, kw)
        n_total, c_total = W.shape[0], W.shape[1]
        n, c = min(n_total, int(max_neurons)), min(c_total, int(max_channels))
        if c == 1:  # one channel: the filters in a near-square grid
            cols = math.ceil(math.sqrt(n))
            panels = [(j, 0, divmod(j, cols)) for j in range(n)]
            rows = math.ceil(n / cols)
        else:  # a row per filter, a column per input channel
            rows, cols = n, c
            panels = [(j, ch, (j, ch)) for j in range(n) for ch in range(c)]
        images = {(j, ch): W[j, ch] for j, ch, _ in panels}
        labels = {(j, ch): f"filter {j}" if c == 1 else
                  (f"filter {j}\nchannel {ch}" if j == 0 else f"filter {j}" if ch == 0 else "")
                  for j, ch, _ in panels}
        shown = f"first {n} of {n_total}" if n < n_total else f"{n_total}"
        extra = f", first {c} of {c_total} input channels" if c < c_total else ""
        head = (f"The {shown} filters of {where}{chosen.describe()}{extra}\n"
                f"blue: pushes the filter's output up, red: down")
        vmax = float(np.abs(W[:n, :c]).max()) or 1.0
    else:
        h, w = _image_shape(chosen, network_or_layer, index, image_shape)
        W = np.asarray(chosen.weights, dtype=np.float64)
        n_total = len(W)
        n = min(n_total, int(max_neurons))
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        panels = [(j, 0, divmod(j, cols)) for j in range(n)]
        images = {(j, 0): W[j].reshape(h, w) for j in range(n)}
        labels = {(j, 0): f"neuron {j}" for j in range(n)}
        shown = f"first {n} of {n_total}" if n < n_total else f"{n_total}"
        head = (f"Incoming weights of the {shown} neurons of {where}{chosen.describe()}\n"
                f"blue: input pushes the neuron up, red: pushes it down")
        vmax = float(np.abs(W[:n]).max()) or 1.0
    cell = 1.6 if cols <= 8 else 1.1
    top = 0.8  # inches kept free above the grid for the two-line title
    fig_h = rows * cell + top
    fig = figure((cols * cell + 1.0, fig_h))
    axes = fig.subplots(rows, cols, squeeze=False,
                        gridspec_kw={"top": 1 - top / fig_h, "bottom": 0.05 / fig_h,
                                     "left": 0.02, "right": 0.98, "hspace": 0.45,
                                     "wspace": 0.12})
    for ax in axes.ravel():
        ax.set_axis_off()
    im = None
    for j, ch, (r, col) in panels:
        ax = axes[r, col]
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        im = ax.imshow(images[(j, ch)], cmap=WEIGHT_CMAP, vmin=-vmax, vmax=vmax,
                       interpolation="nearest")
        if labels[(j, ch)]:
            ax.set_title(labels[(j, ch)], fontsize=7, pad=2)
    fig.suptitle(title or head, fontsize=10, y=1 - 0.1 / fig_h, va="top")
    cbar = fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, pad=0.02)
    cbar.set_label("weight")
    return finish(fig, path)


def plot_hidden_weights(network_or_layer: Any, path: str | os.PathLike | None = None,
                        image_shape: tuple[int, int] = (28, 28), layer: int = 0,
                        max_neurons: int = 64, title: str | None = None) -> Any:
    """The earlier name of :func:`plot_weights` for Dense layers, kept for existing code.

    Here ``layer`` counts Dense layers only (``layer=1`` is the second Dense layer) and
    ``image_shape`` defaults to 28 x 28. New code: ``plot_weights(net, layer=i)`` with ``i``
    the index in ``net.layers``.
    """
    from ..layers.dense import Dense

    check_path(path)
    if isinstance(network_or_layer, Dense):
        return plot_weights(network_or_layer, path, image_shape=image_shape,
                            max_neurons=max_neurons, title=title)
    layers = getattr(network_or_layer, "layers", None)
    if layers is None:
        raise NeuronalError(f"expected a neuronal Network or Dense layer, got "
                            f"{type(network_or_layer).__name__}")
    dense = [i for i, lay in enumerate(layers) if isinstance(lay, Dense)]
    if not dense:
        raise NeuronalError("the network has no Dense layer to draw")
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not (
        -len(dense) <= layer < len(dense)
    ):
        raise NeuronalError(
            f"layer={layer!r} is out of range: the network has {len(dense)} Dense layers "
            f"(0..{len(dense) - 1})"
        )
    return plot_weights(network_or_layer, path, layer=dense[layer], image_shape=image_shape,
                        max_neurons=max_neurons, title=title)
