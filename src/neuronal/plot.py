"""Pictures of what a network does: training curves, confusion matrix, weights, activations.

Every function draws one figure, saves it to ``path`` (PNG; parent folders are created), closes
it and returns the path as a :class:`pathlib.Path`. Nothing is shown on screen, so the functions
work on servers and in tests.

matplotlib is optional (``pip install "neuronal[plot]"``) and is imported only when a function
here is called: ``import neuronal`` and ``import neuronal.plot`` stay fast and work without it.
The figures are built with matplotlib's object API (``matplotlib.figure.Figure``) and rendered by
the headless Agg canvas, not through ``pyplot``: that needs no display, leaves no open figure
behind, and does not change the backend of a user's own pyplot session (``matplotlib.use`` is
global state that would, for example, silence a notebook's inline plots).

Examples
--------
>>> import neuronal as nl
>>> from neuronal import plot
>>> net = nl.Network.from_shape("4x3x1", hidden="sigmoid", output="sigmoid", seed=0)
>>> plot.plot_network(net, "net.png")  # doctest: +SKIP
PosixPath('net.png')
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import activations as _activations
from .errors import DataError, NeuronalError, ShapeError

__all__ = [
    "plot_history",
    "plot_confusion_matrix",
    "plot_hidden_weights",
    "plot_activations",
    "plot_decision_boundary",
    "plot_network",
    "DEFAULT_ACTIVATIONS",
]

#: The activations :func:`plot_activations` draws by default (softmax is not elementwise).
DEFAULT_ACTIVATIONS = (
    "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "linear",
)

_NEGATIVE, _POSITIVE = "#d62728", "#1f77b4"  # red for negative weights, blue for positive
_WEIGHT_CMAP = "RdBu"  # diverging: red (negative) - white (0) - blue (positive)
_DPI = 120


# --------------------------------------------------------------------------- matplotlib plumbing


def _mpl() -> Any:
    """Import matplotlib lazily, with an install hint when it is missing."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ModuleNotFoundError(
            'neuronal.plot needs matplotlib, which is not installed: pip install "neuronal[plot]"',
            name="matplotlib",
        ) from exc
    return matplotlib


def _figure(figsize: tuple[float, float]) -> Any:
    """A new Figure attached to the headless Agg canvas (no pyplot, no display)."""
    _mpl()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: str | os.PathLike) -> Path:
    """Save ``fig`` to ``path`` (creating parent folders), release it and return the path."""
    path = Path(path)
    if path.parent != Path(""):
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(path, dpi=_DPI, bbox_inches="tight", facecolor="white")
    finally:
        fig.clear()  # frees the artists; with no pyplot there is no figure registry to close
    return path


def _check_path(path: Any) -> None:
    if not isinstance(path, (str, os.PathLike)):
        raise NeuronalError(f"path must be a file name such as 'out.png', got {path!r}")


# --------------------------------------------------------------------------- training history


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


def plot_history(history: Any, path: str | os.PathLike, title: str | None = None) -> Path:
    """Plot the loss and accuracy curves of a training run, train and validation.

    Parameters
    ----------
    history : History or dict
        What :meth:`Network.fit` returns, or its ``.history`` dict (keys ``loss``,
        ``accuracy``, ``val_loss``, ``val_accuracy``, ``learning_rate``; one value per epoch).
    path : str or path-like
        Where to write the PNG.
    title : str, optional
        Figure title.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    Two panels: loss (left) and accuracy (right), each with the training curve (solid) and the
    validation curve (dashed) when there is one. Without accuracy values (a regression loss) only
    the loss panel is drawn. When the learning rate changed during training (a schedule), a
    third panel shows it. The legend gives each curve's last value.

    Raises
    ------
    DataError
        No ``loss`` values, or lists of different lengths.
    """
    _check_path(path)
    logs, x = _history_dict(history)
    panels = [("loss", "loss")]
    if "accuracy" in logs or "val_accuracy" in logs:
        panels.append(("accuracy", "accuracy"))
    lr = logs.get("learning_rate")
    if lr is not None and len(set(lr)) > 1:
        panels.append(("learning_rate", "learning rate"))
    fig = _figure((5.0 * len(panels), 3.8))
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
            from matplotlib.ticker import PercentFormatter

            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        if key != "learning_rate":
            ax.legend(loc="best", fontsize=9, title="last value", title_fontsize=8)
        ax.set_title(label)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


# --------------------------------------------------------------------------- confusion matrix


def plot_confusion_matrix(cm: Any, path: str | os.PathLike, labels: Sequence[str] | None = None,
                          title: str | None = None) -> Path:
    """Draw a confusion matrix as a heat map with the count written in every cell.

    Parameters
    ----------
    cm : array_like of shape (k, k)
        Counts, rows = true class, columns = predicted class
        (:func:`neuronal.metrics.confusion_matrix`).
    path : str or path-like
        Where to write the PNG.
    labels : sequence of str, optional
        Class names (default 0, 1, ...).
    title : str, optional
        Default: "Confusion matrix (accuracy xx.x%)".

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    The colour of a cell is its count divided by the size of its true class (its row), on a
    square-root scale, so a class's errors stand out however many samples it has; the number
    written is the raw count.
    The recall (accuracy) of each true class is written to the right of its row.

    Raises
    ------
    DataError
        ``cm`` is not a square array of counts, or ``labels`` has the wrong length.
    """
    from .metrics import _check_cm, _check_labels, _recall

    _check_path(path)
    cm = _check_cm(cm)
    k = len(cm)
    names = _check_labels(labels, k)
    rows = cm.sum(axis=1, keepdims=True)
    frac = cm / np.maximum(rows, 1)
    side = min(max(4.0, 0.55 * k + 2.0), 16.0)
    fig = _figure((side + 1.2, side))
    ax = fig.subplots()
    from matplotlib.colors import PowerNorm

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
    return _save(fig, path)


# --------------------------------------------------------------------------- hidden weights


def _dense_layers(network: Any) -> list[Any]:
    from .layers.dense import Dense

    if isinstance(network, Dense):
        return [network]
    layers = getattr(network, "layers", None)
    if layers is None:
        raise NeuronalError(
            f"expected a neuronal Network or Dense layer, got {type(network).__name__}"
        )
    dense = [layer for layer in layers if isinstance(layer, Dense)]
    if not dense:
        raise NeuronalError("the network has no Dense layer to draw")
    return dense


def plot_hidden_weights(network_or_layer: Any, path: str | os.PathLike,
                        image_shape: tuple[int, int] = (28, 28), layer: int = 0,
                        max_neurons: int = 64, title: str | None = None) -> Path:
    """Show the incoming weights of each neuron of a Dense layer as an image: what it looks for.

    Neuron j of the first layer computes w_j . x + b_j over the pixels of x, so reshaping its
    weight row ``W[j]`` to the image shape shows which pixels push it up (blue) or down (red).

    Parameters
    ----------
    network_or_layer : Network or Dense
        For a network, the ``layer``-th Dense layer is drawn (default the first).
    path : str or path-like
        Where to write the PNG.
    image_shape : (int, int), default (28, 28)
        Height and width of an input image; their product must equal the layer's ``n_inputs``.
    layer : int, default 0
        Which Dense layer of the network (counting Dense layers only).
    max_neurons : int, default 64
        Draw at most this many neurons (the first ones).
    title : str, optional
        Figure title.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    The neurons are laid out in a near-square grid (16 neurons -> 4 x 4). All panels share one
    diverging colour scale, symmetric around 0 (white = weight 0), so their strengths compare.

    Raises
    ------
    ShapeError
        The layer's ``n_inputs`` is not ``image_shape[0] * image_shape[1]``.
    NeuronalError
        No such Dense layer.
    """
    _check_path(path)
    dense = _dense_layers(network_or_layer)
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not (
        -len(dense) <= layer < len(dense)
    ):
        raise NeuronalError(
            f"layer={layer!r} is out of range: the network has {len(dense)} Dense layers "
            f"(0..{len(dense) - 1})"
        )
    d = dense[layer]
    try:
        h, w = (int(s) for s in image_shape)
    except (TypeError, ValueError):
        raise ShapeError(f"image_shape must be (height, width), got {image_shape!r}") from None
    if h * w != d.n_inputs:
        side = math.isqrt(d.n_inputs)
        hint = f"image_shape=({side}, {side})" if side * side == d.n_inputs else (
            "an image_shape whose product is n_inputs"
        )
        raise ShapeError(
            f"{d.describe()} has n_inputs={d.n_inputs}, which does not match image_shape="
            f"{(h, w)} ({h} x {w} = {h * w} pixels): pass {hint}, or the layer that reads the "
            f"image (layer=0)"
        )
    W = np.asarray(d.weights, dtype=np.float64)
    n_total = len(W)
    n = min(n_total, int(max_neurons))
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    vmax = float(np.abs(W[:n]).max()) or 1.0
    cell = 1.6 if cols <= 8 else 1.1
    head = 0.8  # inches kept free above the grid for the two-line title
    fig_h = rows * cell + head
    fig = _figure((cols * cell + 1.0, fig_h))
    axes = fig.subplots(rows, cols, squeeze=False,
                        gridspec_kw={"top": 1 - head / fig_h, "bottom": 0.05 / fig_h,
                                     "left": 0.02, "right": 0.98, "hspace": 0.3,
                                     "wspace": 0.12})
    im = None
    for j, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if j >= n:
            ax.set_axis_off()
            continue
        im = ax.imshow(W[j].reshape(h, w), cmap=_WEIGHT_CMAP, vmin=-vmax, vmax=vmax,
                       interpolation="nearest")
        ax.set_title(f"neuron {j}", fontsize=8, pad=2)
    shown = f"first {n} of {n_total}" if n < n_total else f"{n_total}"
    fig.suptitle(title or f"Incoming weights of the {shown} neurons of {d.describe()}\n"
                 f"blue: pixel pushes the neuron up, red: pushes it down",
                 fontsize=10, y=1 - 0.1 / fig_h, va="top")
    cbar = fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, pad=0.02)
    cbar.set_label("weight")
    return _save(fig, path)


# --------------------------------------------------------------------------- activations


def _breaks(y: np.ndarray, jump: float = 0.25) -> np.ndarray:
    """``y`` with NaN just before each jump larger than ``jump``, so no riser line is drawn."""
    y = np.array(y, dtype=np.float64)
    d = np.abs(np.diff(y))
    jumps = np.flatnonzero(d > jump)
    y[jumps] = np.nan  # the last point before the jump: leaves a small gap, draws no riser
    return y


def plot_activations(path: str | os.PathLike, names: Sequence[Any] | None = None,
                     z_range: tuple[float, float] = (-4.0, 4.0)) -> Path:
    """Plot activation functions f(z) (solid) and their derivatives f'(z) (dashed).

    Parameters
    ----------
    path : str or path-like
        Where to write the PNG.
    names : sequence of str or Activation, optional
        Default :data:`DEFAULT_ACTIVATIONS`: step, sigmoid, tanh, relu, leaky_relu, elu,
        softplus, gelu, linear.
    z_range : (float, float), default (-4, 4)
        The z interval drawn.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    One small panel per function. Jumps are drawn as gaps, not vertical lines. The binary
    step's derivative is drawn as 0, with an open circle at z = 0 where it does not exist (this
    is why gradient descent cannot train a step neuron).

    Softmax is left out of the default set: it is not elementwise (each output depends on the
    whole vector z), so it has no single curve f(z). Asked for by name, it is drawn for the
    2-vector sweep z = (t, 0): softmax(z)_1 = 1 / (1 + exp(-t)), which is exactly the sigmoid;
    its dashed curve is the diagonal Jacobian entry da_1/dz_1 = a_1 (1 - a_1).

    Raises
    ------
    NeuronalError
        An unknown activation name.
    """
    _check_path(path)
    specs = list(DEFAULT_ACTIVATIONS if names is None else names)
    if not specs:
        raise NeuronalError("names is empty: pass at least one activation name, e.g. ['relu']")
    acts = [_activations.get(s) for s in specs]
    lo, hi = (float(v) for v in z_range)
    if not lo < 0 < hi:
        raise NeuronalError(f"z_range must contain 0, e.g. (-4, 4); got {z_range!r}")
    z = np.concatenate([np.linspace(lo, 0, 401), np.linspace(0, hi, 401)[1:]])  # includes 0
    cols = min(3, len(acts))
    rows = math.ceil(len(acts) / cols)
    fig = _figure((3.4 * cols, 2.7 * rows + 0.6))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.ravel()[len(acts):]:
        ax.set_axis_off()
    for ax, act in zip(axes.ravel(), acts):
        if act.name == "softmax":
            zz = np.stack([z, np.zeros_like(z)], axis=1)
            value, deriv = act.value(zz)[:, 0], act.derivative(zz)[:, 0]
            label = "softmax([z, 0])[0]\n(= sigmoid)"
        else:
            with np.errstate(invalid="ignore"):
                value = act.value(z.copy())
                deriv = act.derivative(z.copy())
            label = act.name
        value = np.asarray(value, dtype=np.float64)
        deriv = np.asarray(deriv, dtype=np.float64)
        ax.axhline(0, color="0.75", lw=0.8)
        ax.axvline(0, color="0.75", lw=0.8)
        ax.plot(z, _breaks(value), color=_POSITIVE, lw=2.6, label="f(z)")
        ax.plot(z, _breaks(deriv), "--", color=_NEGATIVE, lw=1.4, label="f'(z)")
        if act.name == "step":
            # f(0) = 1 (filled), the lower branch ends open; f'(0) does not exist (open circle).
            ax.plot([0], [1], "o", color=_POSITIVE, ms=5)
            ax.plot([0], [0], "o", mfc="white", mec=_POSITIVE, ms=5)
            ax.plot([0], [0], "o", mfc="none", mec=_NEGATIVE, ms=9, mew=1.5)
            ax.annotate("f'(0) undefined", xy=(0, 0), xytext=(0.35 * hi, 0.45),
                        fontsize=8, color=_NEGATIVE,
                        arrowprops={"arrowstyle": "->", "color": _NEGATIVE, "lw": 0.8})
        finite = np.concatenate([value[np.isfinite(value)], deriv[np.isfinite(deriv)]])
        ymin, ymax = float(finite.min()), float(finite.max())
        pad = 0.1 * max(ymax - ymin, 1.0)
        ax.set_ylim(ymin - pad, ymax + pad)
        ax.set_xlim(lo, hi)
        ax.set_title(label, fontsize=10)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.25)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, ["f(z)", "f'(z), the derivative"], loc="upper center", ncol=2,
               frameon=False, bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (2.7 * rows + 0.6)))
    return _save(fig, path)


# --------------------------------------------------------------------------- decision boundary


def plot_decision_boundary(network: Any, X: Any, y: Any, path: str | os.PathLike,
                           resolution: int = 250, title: str | None = None) -> Path:
    """Colour the plane of 2-D inputs by the network's answer, with the data points on top.

    Parameters
    ----------
    network : Network
        A trained network with 2 inputs.
    X : array_like of shape (n_samples, 2)
        The points to draw (and from which the plotted area is chosen, with a 10% margin).
    y : array_like of shape (n_samples,)
        Their class labels (one-hot rows are argmaxed), used to colour the points.
    path : str or path-like
        Where to write the PNG.
    resolution : int, default 250
        Grid points along each axis.
    title : str, optional
        Default: the network's shape and its accuracy on ``(X, y)``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    With one output (sigmoid) or two (softmax), the background is the probability of class 1
    on a red-white-blue scale, with the 0.5 contour, the decision boundary, drawn in black.
    With more classes it is the predicted class, one colour each, with the boundaries drawn.
    Misclassified points are ringed in black.

    Raises
    ------
    ShapeError
        ``X`` does not have two columns or the network does not take two inputs.
    DataError
        ``y`` does not have one label per row of ``X``.
    """
    from .metrics import _as_labels

    _check_path(path)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ShapeError(
            f"plot_decision_boundary draws 2-D inputs: X must have shape (n_samples, 2), got "
            f"{X.shape}"
        )
    labels = _as_labels(y, "y")
    if len(labels) != len(X):
        raise DataError(f"X has {len(X)} samples but y has {len(labels)} labels")
    first = _dense_layers(network)[0]
    if first.n_inputs != 2:
        raise ShapeError(
            f"the network takes {first.n_inputs} inputs; plot_decision_boundary needs a "
            f"network with 2 inputs"
        )
    res = int(resolution)
    lo, hi = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * np.maximum(hi - lo, 1e-9)
    gx = np.linspace(lo[0] - margin[0], hi[0] + margin[0], res)
    gy = np.linspace(lo[1] - margin[1], hi[1] + margin[1], res)
    xx, yy = np.meshgrid(gx, gy)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    out = np.asarray(network.predict_proba(grid), dtype=np.float64)
    out = out.reshape(len(grid), -1)
    pred_pts = np.asarray(network.predict_proba(X), dtype=np.float64).reshape(len(X), -1)
    if pred_pts.shape[1] == 1:
        predicted = (pred_pts[:, 0] >= 0.5).astype(np.int64)
    else:
        predicted = pred_pts.argmax(axis=1)
    n_colors = max(int(labels.max()) + 1, out.shape[1])
    colors = np.array(_class_colors(n_colors))

    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    fig = _figure((6.4, 5.0))
    ax = fig.subplots()
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
        ax.imshow(cls, origin="lower", extent=(gx[0], gx[-1], gy[0], gy[-1]),
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
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_xlim(gx[0], gx[-1])
    ax.set_ylim(gy[0], gy[-1])
    fig.tight_layout()
    return _save(fig, path)


def _class_colors(k: int) -> list[str]:
    base = [_NEGATIVE, _POSITIVE, "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf"]
    return [base[i % len(base)] for i in range(max(k, 2))]


# --------------------------------------------------------------------------- network diagram


def _shown(n: int, max_nodes: int) -> list[int | None]:
    """Indices of the nodes drawn in a column of ``n``; None marks the ellipsis."""
    if n <= max_nodes:
        return list(range(n))
    head = (max_nodes - 1) // 2
    tail = max_nodes - 1 - head
    return list(range(head)) + [None] + list(range(n - tail, n))


def plot_network(network: Any, path: str | os.PathLike, max_nodes: int = 12,
                 title: str | None = None) -> Path:
    """Draw a dense network as the classic diagram: columns of nodes joined by weighted edges.

    Parameters
    ----------
    network : Network or Dense
        Its Dense layers are drawn (other layers, such as Dropout, are skipped).
    path : str or path-like
        Where to write the PNG.
    max_nodes : int, default 12
        Most nodes drawn per column. A wider layer shows its first and last nodes with a
        vertical ellipsis between them and its true size, e.g. "(784)", below.
    title : str, optional
        Default: the shape and the neuron and parameter counts.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    The first column holds the inputs (squares: inputs are not neurons), the others the
    neurons of each layer (circles), labelled with the activation. An edge from input i to
    neuron j is weight ``W[j, i]``: blue if positive, red if negative, its width proportional
    to abs(weight) (relative to the largest weight in the drawing).

    Raises
    ------
    NeuronalError
        No Dense layer, or ``max_nodes`` < 3.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Rectangle

    _check_path(path)
    dense = _dense_layers(network)
    if int(max_nodes) < 3:
        raise NeuronalError(f"max_nodes must be >= 3, got {max_nodes!r}")
    sizes = [dense[0].n_inputs] + [d.n_neurons for d in dense]
    columns = [_shown(n, int(max_nodes)) for n in sizes]
    tallest = max(len(c) for c in columns)
    dx, r = 3.0, 0.28

    def ys(col: list[int | None]) -> list[float]:
        return [(len(col) - 1) / 2 - i for i in range(len(col))]

    pos = [ys(c) for c in columns]
    weights = [np.asarray(d.weights, dtype=np.float64) for d in dense]
    drawn = [w[np.ix_([j for j in columns[li + 1] if j is not None],
                      [i for i in columns[li] if i is not None])]
             for li, w in enumerate(weights)]
    wmax = max(float(np.abs(w).max()) for w in drawn) or 1.0
    n_edges = sum(w.size for w in drawn)
    max_lw = 3.5 if n_edges <= 60 else 2.0
    fig_w = max(5.0, 2.0 * len(columns) + 1.0)
    fig_h = max(3.2, 0.5 * tallest + 1.6)
    fig = _figure((fig_w, fig_h))
    ax = fig.subplots()

    # edges first (one LineCollection), so the nodes are drawn on top of them
    segments, colors, widths = [], [], []
    for li, W in enumerate(weights):
        src, dst = columns[li], columns[li + 1]
        for b, j in enumerate(dst):
            for a, i in enumerate(src):
                if i is None or j is None:
                    continue
                w = W[j, i]
                segments.append([(li * dx, pos[li][a]), ((li + 1) * dx, pos[li + 1][b])])
                colors.append(_POSITIVE if w >= 0 else _NEGATIVE)
                widths.append(0.3 + max_lw * abs(w) / wmax)
    ax.add_collection(LineCollection(segments, colors=colors, linewidths=widths, alpha=0.75,
                                     zorder=1, capstyle="round"))

    for li, col in enumerate(columns):
        x = li * dx
        is_input = li == 0
        is_output = li == len(columns) - 1
        face = "#f2f2f2" if is_input else ("#fff2cc" if is_output else "#dfeaf5")
        for a, idx in enumerate(col):
            y = pos[li][a]
            if idx is None:
                ax.text(x, y, "\u22ee", ha="center", va="center", fontsize=16, zorder=3)
                continue
            if is_input:
                name = f"x{idx + 1}"
                half = max(r, 0.09 * len(name) + 0.05)  # wide enough for "x784"
                ax.add_patch(Rectangle((x - half, y - r), 2 * half, 2 * r, facecolor=face,
                                       edgecolor="0.2", lw=1.0, zorder=2))
            else:
                ax.add_patch(Circle((x, y), r, facecolor=face, edgecolor="0.2", lw=1.0,
                                    zorder=2))
                name = f"y{idx + 1}" if is_output else f"h{idx + 1}"
            font = 7 if len(name) > 3 and not is_input else 8
            ax.text(x, y, name, ha="center", va="center", fontsize=font, zorder=3)
        top = (tallest - 1) / 2 + 0.75
        if is_input:
            head = "inputs"
        elif is_output:
            head = f"output layer\n{dense[li - 1].activation.name}"
        else:
            head = f"hidden layer {li}\n{dense[li - 1].activation.name}"
        ax.text(x, top, head, ha="center", va="bottom", fontsize=9)
        bottom = -(tallest - 1) / 2 - 0.65
        count = f"({sizes[li]})" if len(col) < sizes[li] else f"{sizes[li]}"
        ax.text(x, bottom, count, ha="center", va="top", fontsize=9,
                fontweight="bold" if len(col) < sizes[li] else "normal")

    legend = [Line2D([0], [0], color=_POSITIVE, lw=2.5, label="positive weight"),
              Line2D([0], [0], color=_NEGATIVE, lw=2.5, label="negative weight")]
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2,
              fontsize=8, frameon=False, handlelength=1.8)
    shape = "x".join(str(s) for s in sizes)
    n_neurons = sum(sizes[1:])
    n_params = sum(d.n_params for d in dense)
    fig.suptitle(title or f"Network {shape}: {n_neurons} neurons, {n_params:,} parameters\n"
                 f"line width = |weight|", fontsize=10)
    ax.set_xlim(-0.8, (len(columns) - 1) * dx + 0.8)
    ax.set_ylim(-(tallest - 1) / 2 - 1.2, (tallest - 1) / 2 + 1.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return _save(fig, path)
