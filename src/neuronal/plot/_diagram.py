"""The classic network diagram, shared by ``plot_network`` (weights) and ``plot_step`` (changes).

Columns from left to right: the inputs, then one column per layer. A Dense layer is a column
of neurons (circles) joined to the column before it by one edge per weight; any other layer
with a shape of its own (Conv2D, pooling, Flatten, recurrent, BatchNorm, ...) is a box naming
it with its output shape and counts; Dropout and Activation layers, which change no size, are
named in the gap where they act. A column too tall to draw whole shows the nodes that matter
most (largest total |weight|, or |change| in a training step), labelled with their true
indices, and says how many it leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import NeuronalError

_DX, _R = 3.0, 0.28


@dataclass
class Column:
    """One column of the diagram: ``nodes`` (inputs, neurons, features) or a ``box``."""

    kind: str
    index: int | None  # the layer's index in net.layers (None: the inputs)
    header: str
    size: int = 0  # nodes in the column (nodes columns)
    neurons: bool = True  # circles (neurons) or squares (inputs, flattened features)
    text: str = ""  # box columns: what the box says
    matrix: np.ndarray | None = None  # incoming (n_dst, n_src) values for a Dense column
    notes: list[str] = field(default_factory=list)  # shapeless layers acting after this column
    shown: list[int] = field(default_factory=list)
    ranked: bool = False  # True when the shown nodes were picked by importance


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    return "x".join("?" if s is None else str(s) for s in shape)


def _consistent(layers: list[Any], shape: tuple) -> bool:
    """Whether one sample of ``shape`` passes every layer's declared input shape."""
    from ..layers.base import shape_matches

    try:
        for layer in layers:
            if layer.input_shape is not None and not shape_matches(tuple(layer.input_shape),
                                                                   tuple(shape)):
                return False
            shape = layer.output_shape(shape)
    except Exception:  # a size the layer cannot take (a kernel larger than the image, ...)
        return False
    return True


def _infer(layers: list[Any], shape: tuple | None) -> tuple | None:
    """Open sizes (None) of an image input filled with the smallest size the later layers
    accept (LeNet: 28), when some sizes are refused; otherwise left open."""
    if shape is None or None not in shape:
        return shape
    fits = [s for s in range(1, 513)
            if _consistent(layers, tuple(s if d is None else d for d in shape))]
    if not fits or len(fits) == 512:
        return shape
    return tuple(fits[0] if d is None else d for d in shape)


def layers_of(network: Any) -> tuple[list[Any], tuple | None]:
    """The layers to draw and the shape of one input sample (None where unknown)."""
    from ..layers.base import Layer

    if isinstance(network, Layer):
        return [network], network.input_shape
    layers = getattr(network, "layers", None)
    if not layers:
        raise NeuronalError(f"expected a neuronal Network or Layer, got {type(network).__name__}")
    shape = getattr(network, "sample_shape", None) or layers[0].input_shape
    return list(layers), _infer(list(layers), None if shape is None else tuple(shape))


def _box_text(layer: Any, out: Any) -> str:
    import textwrap

    lines = textwrap.wrap(layer.describe(), 20)
    lines.append(f"out {_shape_text(out)}")
    if getattr(layer, "n_hidden", None) is not None:
        lines.append("(recurrent)")
    if layer.n_neurons:
        unit = "filters" if hasattr(layer, "kernel_size") and layer.n_params else "neurons"
        lines.append(f"{layer.n_neurons:,} {unit}")
    if layer.n_params:
        lines.append(f"{layer.n_params:,} params")
    return "\n".join(lines)


def build(network: Any, max_nodes: int, matrices: dict[int, np.ndarray] | None = None,
          ) -> list[Column]:
    """The columns of ``network``; ``matrices`` replaces Dense weights (e.g. by one step's
    changes), keyed by layer index."""
    from ..layers.activation import Activation
    from ..layers.dense import Dense
    from ..layers.dropout import Dropout
    from ..layers.normalize import Normalize

    sizeless = (Dropout, Activation, Normalize)  # layers that keep the width: named, not drawn
    layers, shape = layers_of(network)
    first = next((layer for layer in layers if not isinstance(layer, sizeless)), layers[0])
    if isinstance(first, Dense):
        cols = [Column("nodes", None, "inputs", size=first.n_inputs, neurons=False)]
    else:
        cols = [Column("box", None, "inputs", text=f"input\n{_shape_text(shape)}")]
    for i, layer in enumerate(layers):
        try:
            out = layer.output_shape(shape) if shape is not None else None
        except Exception:  # a layer that cannot tell without a real input
            out = None
        if out is None and getattr(layer, "n_hidden", None) and not layer.return_sequences:
            out = (layer.n_hidden,)  # a recurrent layer's last state, whatever came before
        last = i == len(layers) - 1
        nxt = layers[i + 1] if not last else None
        role = " (output)" if last else ""
        kind = type(layer).__name__
        flat = out is not None and len(out) == 1 and out[0] is not None
        if isinstance(layer, Dense):
            values = layer.weights if matrices is None or i not in matrices else matrices[i]
            cols.append(Column("nodes", i, f"layer {i}{role}\nDense {layer.activation.name}",
                               size=layer.n_neurons,
                               matrix=np.asarray(values, dtype=np.float64).reshape(
                                   layer.n_neurons, layer.n_inputs)))
        elif isinstance(layer, sizeless) and cols[-1].kind == "nodes" and not last:
            cols[-1].notes.append(f"layer {i}: {layer.describe()}")
        elif flat and getattr(layer, "n_hidden", None) is not None:  # a recurrent layer's h_T
            cols.append(Column("nodes", i, f"layer {i}{role}\n{kind} (recurrent)",
                               size=int(out[0])))
        elif flat and isinstance(nxt, Dense) and nxt.n_inputs == out[0] and not layer.n_params:
            cols.append(Column("nodes", i, f"layer {i}\n{kind}", size=int(out[0]),
                               neurons=False))  # e.g. Flatten: the features the Dense reads
        else:
            cols.append(Column("box", i, f"layer {i}{role}\n{kind}", text=_box_text(layer, out)))
        shape = out
    _choose_nodes(cols, max_nodes)
    return cols


def _choose_nodes(cols: list[Column], max_nodes: int) -> None:
    """Which nodes each column draws: all, or the ``max_nodes - 1`` that matter most."""
    for k, col in enumerate(cols):
        if col.kind != "nodes":
            continue
        if col.size <= max_nodes:
            col.shown = list(range(col.size))
            continue
        nxt = cols[k + 1] if k + 1 < len(cols) else None
        if nxt is not None and nxt.matrix is not None and nxt.matrix.shape[1] == col.size:
            importance = np.abs(nxt.matrix).sum(axis=0)  # how much each node feeds forward
        elif col.matrix is not None:
            importance = np.abs(col.matrix).sum(axis=1)  # how much each neuron takes in
        else:
            importance = -np.arange(col.size, dtype=np.float64)
        keep = np.argsort(-importance, kind="stable")[: max_nodes - 1]
        col.shown = sorted(int(i) for i in keep)
        col.ranked = True


def draw(ax: Any, cols: list[Column], mode: str = "weight",
         output_notes: dict[int, str] | None = None) -> dict[str, Any]:
    """Draw ``cols`` into ``ax``; ``mode`` "weight" colours edges by sign of the weight,
    "change" by the sign of the change. Returns facts for the caption."""
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Circle, FancyBboxPatch, Rectangle

    from ._base import NEGATIVE, POSITIVE, STRENGTHENED, WEAKENED

    plus, minus = (POSITIVE, NEGATIVE) if mode == "weight" else (STRENGTHENED, WEAKENED)
    rows = [len(c.shown) + (1 if c.ranked else 0) if c.kind == "nodes" else 5 for c in cols]
    tallest = max(rows)
    pos: list[list[float]] = []
    for c, n in zip(cols, rows):
        pos.append([(n - 1) / 2 - a for a in range(n)] if c.kind == "nodes" else [])
    box_h, box_w = max(2.2, min(3.0, 0.8 * tallest)), 2.3

    # edges first, so the nodes are drawn on top of them
    drawn = [(k, c) for k, c in enumerate(cols) if k and c.kind == "nodes" and c.matrix is not None
             and cols[k - 1].kind == "nodes"]
    vmax = max([float(np.abs(c.matrix[np.ix_(c.shown, cols[k - 1].shown)]).max())
                for k, c in drawn if c.shown and cols[k - 1].shown] + [0.0]) or 1.0
    n_edges = sum(len(c.shown) * len(cols[k - 1].shown) for k, c in drawn)
    max_lw = 3.5 if n_edges <= 60 else 2.0
    segments, colors, widths = [], [], []
    for k, col in drawn:
        prev = cols[k - 1]
        for b, j in enumerate(col.shown):
            for a, i in enumerate(prev.shown):
                v = col.matrix[j, i]
                segments.append([((k - 1) * _DX, pos[k - 1][a]), (k * _DX, pos[k][b])])
                colors.append("0.8" if v == 0 else plus if v > 0 else minus)
                widths.append(0.3 + max_lw * abs(v) / vmax)
    grey = []
    for k in range(1, len(cols)):
        prev, col = cols[k - 1], cols[k]
        if prev.kind == "box" and col.kind == "nodes":
            grey += [[((k - 1) * _DX + box_w / 2, 0.0), (k * _DX, y)]
                     for y in pos[k][:len(col.shown)]]
        elif prev.kind == "nodes" and col.kind == "box":
            grey += [[((k - 1) * _DX, y), (k * _DX - box_w / 2, 0.0)]
                     for y in pos[k - 1][:len(prev.shown)]]
        elif prev.kind == "box" and col.kind == "box":
            ax.annotate("", xy=(k * _DX - box_w / 2, 0), xytext=((k - 1) * _DX + box_w / 2, 0),
                        arrowprops={"arrowstyle": "->", "color": "0.4", "lw": 1.2})
    ax.add_collection(LineCollection(segments, colors=colors, linewidths=widths, alpha=0.75,
                                     zorder=1, capstyle="round"))
    ax.add_collection(LineCollection(grey, colors="0.7", linewidths=0.6, zorder=1))

    top = (tallest - 1) / 2 + 0.75
    bottom = -(tallest - 1) / 2 - 0.65
    for k, col in enumerate(cols):
        x = k * _DX
        face = "#f2f2f2" if col.index is None else (
            "#fff2cc" if k == len(cols) - 1 else "#dfeaf5")
        if col.kind == "box":
            ax.add_patch(FancyBboxPatch((x - box_w / 2, -box_h / 2), box_w, box_h,
                                        boxstyle="round,pad=0.05", facecolor=face,
                                        edgecolor="0.2", lw=1.0, zorder=2))
            ax.text(x, 0, col.text, ha="center", va="center", fontsize=6.5, zorder=3)
        else:
            for a, idx in enumerate(col.shown):
                y = pos[k][a]
                if not col.neurons:
                    name = f"x{idx}" if col.index is None else str(idx)
                    half = max(_R, 0.09 * len(name) + 0.05)  # wide enough for "x783"
                    ax.add_patch(Rectangle((x - half, y - _R), 2 * half, 2 * _R, facecolor=face,
                                           edgecolor="0.2", lw=1.0, zorder=2))
                else:
                    name = str(idx)
                    ax.add_patch(Circle((x, y), _R, facecolor=face, edgecolor="0.2", lw=1.0,
                                        zorder=2))
                ax.text(x, y, name, ha="center", va="center", zorder=3,
                        fontsize=7 if len(name) > 2 else 8)
                if output_notes and k == len(cols) - 1 and idx in output_notes:
                    ax.text(x + _R + 0.15, y, output_notes[idx], ha="left", va="center",
                            fontsize=7, zorder=3)
            if col.ranked:
                ax.text(x, pos[k][-1], "\u22ee", ha="center", va="center", fontsize=16, zorder=3)
        ax.text(x, top, col.header, ha="center", va="bottom", fontsize=8)
        if col.kind == "nodes":
            count = (f"{len(col.shown)} of {col.size:,}" if col.ranked else f"{col.size:,}")
            ax.text(x, bottom, count, ha="center", va="top", fontsize=8,
                    fontweight="bold" if col.ranked else "normal")
        for m, note in enumerate(col.notes):
            ax.text(x + _DX / 2, top - 0.35 * (m + 1), note, ha="center", va="bottom",
                    fontsize=6.5, color="0.3", style="italic", zorder=4)
    ax.set_xlim(-1.2, (len(cols) - 1) * _DX + (2.2 if output_notes else 1.2))
    ax.set_ylim(bottom - 0.9, top + 1.0)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ranked = [c for c in cols if c.ranked]
    return {"tallest": tallest, "ranked": ranked, "plus": plus, "minus": minus}


def elision_note(ranked: list[Column], what: str) -> str:
    """One line saying which columns show only some of their nodes, and which."""
    if not ranked:
        return ""
    parts = []
    for c in ranked:
        name = "inputs" if c.index is None else f"layer {c.index}"
        parts.append(f"{name}: {len(c.shown)} of {c.size:,}")
    return f"shown: the nodes with the largest total |{what}| ({'; '.join(parts)})"


def figsize(cols: list[Column], extra_width: float = 0.0) -> tuple[float, float]:
    rows = [len(c.shown) + (1 if c.ranked else 0) if c.kind == "nodes" else 5 for c in cols]
    return (max(5.0, 2.1 * len(cols) + 1.0 + extra_width), max(3.4, 0.5 * max(rows) + 2.2))
