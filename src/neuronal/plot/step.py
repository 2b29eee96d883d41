"""One training step on the network diagram: which connections it strengthens and weakens.

The lessons' picture of backpropagation: after one sample, every weight moves by
dW = -learning_rate * dLoss/dW. Connections that led towards the right answer grow
(strengthened), those that led away from it shrink (weakened).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import NeuronalError
from . import _diagram
from ._base import check_network, check_path, figure_and_axes, finish
from .network import _caption

__all__ = ["plot_step"]


def plot_step(network: Any, x: Any, y: Any, path: str | os.PathLike | None = None, *,
              learning_rate: float | None = None, max_nodes: int = 12, title: str | None = None,
              ax: Any = None) -> Any:
    """The network diagram with each edge coloured by its change in one training step.

    Calls ``network.explain_step(x, y, learning_rate)``, which computes the step without
    changing the network, and draws every Dense weight's update dW = -learning_rate * dL/dW:
    green where the weight grows (strengthened), purple where it shrinks (weakened), the width
    proportional to |dW|.

    Parameters
    ----------
    network : Network
    x : array_like
        One sample (or a small batch), as ``explain_step`` takes it.
    y : array_like
        Its label(s), as ``fit`` takes them.
    path : str or path-like, optional
        Also write the picture there, atomically.
    learning_rate : float, optional
        Default: the optimiser's current rate.
    max_nodes : int, default 12
        Most nodes per column; wider columns show the nodes whose connections changed most.
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Next to each output neuron k: its output and, for the true class, "target". The
        caption names the most strengthened and most weakened connection as
        ``layer i, neuron j, input k`` (0-based, as ``net.layers[i].neurons[j].weights[k]``).
    """
    from ..layers.dense import Dense

    check_path(path)
    check_network(network)
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 3:
        raise NeuronalError(f"max_nodes must be an integer >= 3, got {max_nodes!r}")
    step = network.explain_step(x, y, learning_rate=learning_rate)
    matrices = {ls.index: np.asarray(ls.updates["weight"])
                for ls in step.layers if isinstance(ls.layer, Dense) and "weight" in ls.updates}
    cols = _diagram.build(network, max_nodes, matrices)
    notes = _output_notes(step)
    fig, ax = figure_and_axes(ax, _diagram.figsize(cols, extra_width=1.0))
    facts = _diagram.draw(ax, cols, mode="change", output_notes=notes)
    _caption(ax, facts, "change")
    heading = title or _heading(step)
    if len(fig.axes) == 1:
        fig.suptitle(heading, fontsize=9)
    else:
        ax.set_title(heading, fontsize=8)
    return finish(fig, path)


def _output_notes(step: Any) -> dict[int, str]:
    out = np.asarray(step.output, dtype=np.float64)
    if out.ndim != 2 or len(out) != 1:
        return {}
    notes = {k: f"a = {v:.3f}" for k, v in enumerate(out[0])}
    target = getattr(step, "target", None)
    if target is not None:
        t = int(np.asarray(target).ravel()[0])
        if out.shape[1] == 1:  # one sigmoid output: the target is 0 or 1
            notes[0] += f" (target {t})"
        elif t in notes:
            notes[t] += " (target)"
    return notes


def _connection(c: Any) -> str:
    return (f"layer {c.layer}, neuron {c.neuron}, input {c.input}: "
            f"{c.weight:+.4f} -> {c.weight + c.change:+.4f}")


def _heading(step: Any) -> str:
    parts = [f"One training step (learning rate {step.learning_rate:g}): "
             f"loss {step.loss:.4g}"]
    if step.correct is not None and len(step.correct) == 1:
        verdict = "right" if bool(step.correct[0]) else "wrong"
        parts.append(f", predicted {int(step.predicted[0])}, true {int(step.target[0])}: "
                     f"{verdict}")
    elif step.correct is not None:
        parts.append(f", {int(np.sum(step.correct))} of {len(step.correct)} right")
    lines = ["".join(parts)]
    if step.strengthened:
        lines.append("most strengthened: " + _connection(step.strengthened[0]))
    if step.weakened:
        lines.append("most weakened: " + _connection(step.weakened[0]))
    lines.append("edge width = |change of the weight|")
    return "\n".join(lines)
