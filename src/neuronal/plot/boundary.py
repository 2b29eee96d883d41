"""Pictures over the plane of 2-D inputs: the decision regions, and every neuron's output.

``plot_neuron_maps`` is the picture TensorFlow Playground draws in each node: for every point
(x0, x1) of the plane, the output of one hidden neuron, so one can watch the first layer cut
the plane with straight lines and later layers combine those cuts into curves.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import DataError, NeuronalError, ShapeError
from ._base import (
    check_network,
    check_path,
    class_colors,
    figure,
    figure_and_axes,
    finish,
    layer_outputs,
)

__all__ = ["plot_decision_boundary", "plot_neuron_maps"]


def _plane(network: Any, X: Any, what: str) -> np.ndarray:
    check_network(network)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ShapeError(
            f"{what} draws 2-D inputs: X must have shape (n_samples, 2), got {X.shape}"
        )
    if len(X) == 0:
        raise DataError(f"{what} needs at least one point in X, got none")
    expected = network.layers[0].input_shape
    if expected is not None and tuple(expected) not in ((2,), (None,)):
        n = expected[-1] if len(expected) == 1 else expected
        raise ShapeError(f"the network takes {n} inputs; {what} needs a network with 2 inputs")
    return X


def _grid(X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    res = int(resolution)
    if res < 2:
        raise NeuronalError(f"resolution must be >= 2 grid points, got {resolution!r}")
    lo, hi = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * np.maximum(hi - lo, 1e-9)
    gx = np.linspace(lo[0] - margin[0], hi[0] + margin[0], res)
    gy = np.linspace(lo[1] - margin[1], hi[1] + margin[1], res)
    xx, yy = np.meshgrid(gx, gy)
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def plot_decision_boundary(network: Any, X: Any, y: Any, path: str | os.PathLike | None = None,
                           resolution: int = 250, title: str | None = None, *,
                           ax: Any = None) -> Any:
    """Colour the plane of 2-D inputs by the network's answer, with the data points on top.

    Parameters
    ----------
    network : Network
        A trained network with 2 inputs.
    X : array_like of shape (n_samples, 2)
        The points to draw (and from which the plotted area is chosen, with a 10% margin).
    y : array_like of shape (n_samples,)
        Their class labels (one-hot rows are argmaxed), used to colour the points.
    path : str or path-like, optional
        Also write the picture there, atomically.
    resolution : int, default 250
        Grid points along each axis.
    title : str, optional
        Default: the network's shape and its accuracy on ``(X, y)``.
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    With one output (sigmoid) or two (softmax), the background is the probability of class 1
    on a red-white-blue scale, with the 0.5 contour, the decision boundary, drawn in black.
    With more classes it is the predicted class, one colour each, with the boundaries drawn.
    Misclassified points are ringed in black. The axes are the inputs x[0] and x[1].

    Raises
    ------
    ShapeError
        ``X`` does not have two columns or the network does not take two inputs.
    DataError
        ``y`` does not have one label per row of ``X``.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    from ..metrics import _as_labels

    check_path(path)
    X = _plane(network, X, "plot_decision_boundary")
    labels = _as_labels(y, "y")
    if len(labels) != len(X):
        raise DataError(f"X has {len(X)} samples but y has {len(labels)} labels")
    xx, yy, grid = _grid(X, resolution)
    res = xx.shape[0]
    out = np.asarray(network.predict_proba(grid), dtype=np.float64).reshape(len(grid), -1)
    pred_pts = np.asarray(network.predict_proba(X), dtype=np.float64).reshape(len(X), -1)
    if pred_pts.shape[1] == 1:
        predicted = (pred_pts[:, 0] >= 0.5).astype(np.int64)
    else:
        predicted = pred_pts.argmax(axis=1)
    n_colors = max(int(labels.max()) + 1, out.shape[1])
    colors = np.array(class_colors(n_colors))

    fig, ax = figure_and_axes(ax, (6.4, 5.0))
    if out.shape[1] <= 2:
        p = out[:, -1].reshape(res, res)  # P(class 1): the single output, or column 1
        lo_p, hi_p = min(0.0, float(p.min())), max(1.0, float(p.max()))
        cs = ax.contourf(xx, yy, p, levels=np.linspace(lo_p, hi_p, 21), cmap="RdBu", alpha=0.6)
        if p.min() < 0.5 < p.max():
            ax.contour(xx, yy, p, levels=[0.5], colors="black", linewidths=1.5)
        cbar = fig.colorbar(cs, ax=ax)
        cbar.set_label("network output: P(class 1)" if lo_p == 0.0 and hi_p == 1.0
                       else "network output")
    else:
        k = out.shape[1]
        cls = out.argmax(axis=1).reshape(res, res)
        ax.imshow(cls, origin="lower", extent=(xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0]),
                  cmap=ListedColormap(list(colors[:k])), vmin=-0.5, vmax=k - 0.5, alpha=0.35,
                  aspect="auto", interpolation="nearest")
        ax.contour(xx, yy, cls, levels=np.arange(k - 1) + 0.5, colors="black", linewidths=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=colors[labels], edgecolors="white", linewidths=0.6, s=28,
               zorder=3)
    handles = [Line2D([], [], ls="", marker="o", mfc=colors[c], mec="white", ms=7,
                      label=f"class {c}") for c in np.unique(labels)]
    wrong = predicted != labels
    if wrong.any():
        handles.append(ax.scatter(X[wrong, 0], X[wrong, 1], facecolors="none",
                                  edgecolors="black", s=80, linewidths=1.2, zorder=4,
                                  label=f"misclassified ({int(wrong.sum())})"))
    ax.legend(handles=handles, loc="best", fontsize=8, framealpha=0.85)
    acc = float(np.mean(~wrong))
    shape = getattr(network, "shape", "")
    ax.set_title(title or f"Decision regions of network {shape} (accuracy {100 * acc:.1f}%)",
                 fontsize=10)
    ax.set_xlabel("x[0]")
    ax.set_ylabel("x[1]")
    ax.set_xlim(xx[0, 0], xx[0, -1])
    ax.set_ylim(yy[0, 0], yy[-1, 0])
    if ax.figure is fig and len(fig.axes) <= 2:
        fig.tight_layout()
    return finish(fig, path)


def plot_neuron_maps(network: Any, X: Any, y: Any = None, path: str | os.PathLike | None = None,
                     resolution: int = 80, max_neurons: int = 8, title: str | None = None) -> Any:
    """The output of every neuron over the input plane, layer by layer (2-D data).

    Parameters
    ----------
    network : Network
        A network with 2 inputs.
    X : array_like of shape (n_samples, 2)
        Points that fix the plotted area (with a 10% margin) and are drawn on top.
    y : array_like of shape (n_samples,), optional
        Class labels, to colour the points.
    path : str or path-like, optional
        Also write the picture there, atomically.
    resolution : int, default 80
        Grid points along each axis.
    max_neurons : int, default 8
        Neurons drawn per layer (the first ones; the row says when more exist).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One row per layer with neurons (``net.layers[i]``), one panel per neuron j
        (``layer.neurons[j]``): the colour at (x[0], x[1]) is that neuron's output a for that
        input, on the blue (high) - red (low) scale, each panel scaled to its own range.

    Raises
    ------
    ShapeError
        ``X`` does not have two columns or the network does not take two inputs.
    """
    from ..metrics import _as_labels

    check_path(path)
    X = _plane(network, X, "plot_neuron_maps")
    labels = None if y is None else _as_labels(y, "y")
    if labels is not None and len(labels) != len(X):
        raise DataError(f"X has {len(X)} samples but y has {len(labels)} labels")
    if int(max_neurons) < 1:
        raise NeuronalError(f"max_neurons must be >= 1, got {max_neurons!r}")
    xx, yy, grid = _grid(X, resolution)
    outs = layer_outputs(network, grid)
    rows = [(i, layer, out.reshape(len(grid), -1)) for i, (layer, out)
            in enumerate(zip(network.layers, outs)) if layer.n_neurons > 0]
    if not rows:
        raise NeuronalError("the network has no layer with neurons to draw")
    cols = min(int(max_neurons), max(out.shape[1] for _, _, out in rows))
    cell = 1.7
    fig = figure((cols * cell + 1.6, len(rows) * cell + 0.9))
    axes = fig.subplots(len(rows), cols, squeeze=False)
    colors = np.array(class_colors(int(labels.max()) + 1 if labels is not None else 2))
    for r, (i, layer, out) in enumerate(rows):
        n = out.shape[1]
        for j in range(cols):
            ax = axes[r, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= n:
                ax.set_axis_off()
                continue
            a = out[:, j].reshape(xx.shape)
            lo, hi = float(a.min()), float(a.max())
            ax.imshow(a, origin="lower", cmap="RdBu", aspect="auto", interpolation="bilinear",
                      extent=(xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0]),
                      vmin=lo, vmax=hi if hi > lo else lo + 1e-9)
            ax.scatter(X[:, 0], X[:, 1], s=9, linewidths=0.3, edgecolors="white",
                       c="black" if labels is None else colors[labels], alpha=0.8)
            ax.set_title(f"neuron {j}", fontsize=8, pad=2)
            if j == 0:
                act = getattr(getattr(layer, "activation", None), "name", "")
                more = f"\n{cols} of {n} shown" if n > cols else ""
                ax.set_ylabel(f"layer {i}\n{type(layer).__name__} {act}{more}", fontsize=8)
    fig.suptitle(title or "What each neuron computes over the input plane (x[0] across, x[1] "
                 "up)\nblue: high output, red: low output; each panel scaled to its own range",
                 fontsize=9)
    fig.tight_layout()
    return finish(fig, path)
