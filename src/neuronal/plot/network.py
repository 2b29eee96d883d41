"""The network diagram: inputs, layers of neurons, and the weights between them."""

from __future__ import annotations

import os
from typing import Any

from ..errors import NeuronalError
from . import _diagram
from ._base import check_path, figure_and_axes, finish

__all__ = ["plot_network"]


def _title(network: Any) -> str:
    from ..layers.base import Layer

    layers, _ = _diagram.layers_of(network)
    if isinstance(network, Layer):
        name = network.describe()
    else:
        shape = str(network.shape)
        name = f"Network {shape}" if ">" not in shape else f"Network of {len(layers)} layers"
    n_neurons, n_params = network.n_neurons, network.n_params
    return f"{name}: {n_neurons:,} neuron{'s' if n_neurons != 1 else ''}, {n_params:,} parameters"


def plot_network(network: Any, path: str | os.PathLike | None = None, max_nodes: int = 12,
                 title: str | None = None, *, ax: Any = None) -> Any:
    """Draw a network as the classic diagram: columns of nodes joined by weighted edges.

    Parameters
    ----------
    network : Network or Layer
        Every layer is drawn: Dense layers as columns of neurons, Conv2D, pooling, Flatten,
        recurrent and other layers as named boxes with their output shape and counts, Dropout
        and Activation named where they act.
    path : str or path-like, optional
        Also write the picture there, atomically.
    max_nodes : int, default 12
        Most nodes drawn per column. A wider column shows the ``max_nodes - 1`` nodes with
        the largest total |weight| (to the next layer for inputs and hidden neurons), labelled
        with their real indices, a vertical ellipsis, and "11 of 784" below; the caption says
        so.
    title : str, optional
        Default: the shape and the neuron and parameter counts (``net.n_neurons``,
        ``net.n_params``).
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The first column holds the inputs (squares ``x0``, ``x1``, ...: inputs are not neurons),
    the others the neurons of each layer (circles numbered ``0, 1, ...`` as
    ``layer.neurons[j]``), headed ``layer i`` as ``net.layers[i]``. An edge from input i to
    neuron j is weight ``W[j, i]``: blue if positive, red if negative, its width proportional
    to |weight| (relative to the largest weight drawn). A network with class names
    (``net.classes``) shows each output neuron's class beside it.

    Raises
    ------
    NeuronalError
        Not a network, or ``max_nodes`` < 3.
    """
    check_path(path)
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 3:
        raise NeuronalError(f"max_nodes must be an integer >= 3, got {max_nodes!r}")
    cols = _diagram.build(network, max_nodes)
    fig, ax = figure_and_axes(ax, _diagram.figsize(cols))
    classes = getattr(network, "classes", None)
    notes = {k: str(name) for k, name in enumerate(classes)} if classes else None
    facts = _diagram.draw(ax, cols, mode="weight", output_notes=notes)
    _caption(ax, facts, "weight")
    own = len(fig.axes) == 1
    heading = title or f"{_title(network)}\nline width = |weight|"
    if own:
        fig.suptitle(heading, fontsize=10)
    else:
        ax.set_title(heading, fontsize=9)
    return finish(fig, path)


def _caption(ax: Any, facts: dict, what: str) -> None:
    from matplotlib.lines import Line2D

    if what == "weight":
        labels = ("positive weight", "negative weight")
    else:
        labels = ("strengthened (weight grew)", "weakened (weight shrank)")
    legend = [Line2D([0], [0], color=facts["plus"], lw=2.5, label=labels[0]),
              Line2D([0], [0], color=facts["minus"], lw=2.5, label=labels[1])]
    note = _diagram.elision_note(facts["ranked"], what)
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=2,
              fontsize=8, frameon=False, handlelength=1.8,
              title=note or None, title_fontsize=7)
