"""Activation functions f(z) and their derivatives f'(z), one small panel each."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import activations as _activations
from ..errors import NeuronalError
from ._base import NEGATIVE, POSITIVE, check_path, figure, finish

__all__ = ["plot_activations", "DEFAULT_ACTIVATIONS"]

#: The activations :func:`plot_activations` draws by default (softmax is not elementwise).
DEFAULT_ACTIVATIONS = (
    "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "linear",
)


def _breaks(y: np.ndarray, jump: float = 0.25) -> np.ndarray:
    """``y`` with NaN just before each jump larger than ``jump``, so no riser line is drawn."""
    y = np.array(y, dtype=np.float64)
    d = np.abs(np.diff(y))
    jumps = np.flatnonzero(d > jump)
    y[jumps] = np.nan  # the last point before the jump: leaves a small gap, draws no riser
    return y


def plot_activations(path: str | os.PathLike | None = None, names: Sequence[Any] | None = None,
                     z_range: tuple[float, float] = (-4.0, 4.0)) -> Any:
    """Plot activation functions f(z) (solid) and their derivatives f'(z) (dashed).

    Parameters
    ----------
    path : str or path-like, optional
        Also write the picture there, atomically.
    names : sequence of str or Activation, optional
        Default :data:`DEFAULT_ACTIVATIONS`: step, sigmoid, tanh, relu, leaky_relu, elu,
        softplus, gelu, linear.
    z_range : (float, float), default (-4, 4)
        The z interval drawn.

    Returns
    -------
    matplotlib.figure.Figure

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
    check_path(path)
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
    fig = figure((3.4 * cols, 2.7 * rows + 0.6))
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
        ax.plot(z, _breaks(value), color=POSITIVE, lw=2.6, label="f(z)")
        ax.plot(z, _breaks(deriv), "--", color=NEGATIVE, lw=1.4, label="f'(z)")
        if act.name == "step":
            # f(0) = 1 (filled), the lower branch ends open; f'(0) does not exist (open circle).
            ax.plot([0], [1], "o", color=POSITIVE, ms=5)
            ax.plot([0], [0], "o", mfc="white", mec=POSITIVE, ms=5)
            ax.plot([0], [0], "o", mfc="none", mec=NEGATIVE, ms=9, mew=1.5)
            ax.annotate("f'(0) undefined", xy=(0, 0), xytext=(0.35 * hi, 0.45),
                        fontsize=8, color=NEGATIVE,
                        arrowprops={"arrowstyle": "->", "color": NEGATIVE, "lw": 0.8})
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
    return finish(fig, path)
