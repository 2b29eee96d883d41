"""Describing a network in words: the summary table and the forward pass of one sample."""

from __future__ import annotations

import numpy as np

from .errors import ShapeError
from .layers.base import shape_matches

__all__ = ["summary", "explain"]


def summary(network, print_fn=print) -> str:
    """Print (and return) a table: layer, output shape, neurons, weights, parameters."""
    rows = [("#", "layer", "output", "neurons", "weights", "params")]
    start = network.sample_shape or network.layers[0].input_shape
    for i, layer, _, shape in network._propagate_shapes(start):
        out = "x".join("?" if s is None else str(s) for s in shape) if shape else "?"
        rows.append((str(i), layer.describe(), out, f"{layer.n_neurons:,}",
                     f"{layer.n_weights:,}", f"{layer.n_params:,}"))
    rows.append(("", "total", "", f"{network.n_neurons:,}", f"{network.n_weights:,}",
                 f"{network.n_params:,}"))
    widths = [max(len(r[c]) for r in rows) for c in range(6)]
    line = "  ".join("-" * w for w in widths)
    fmt = [lambda s, w: s.ljust(w)] * 3 + [lambda s, w: s.rjust(w)] * 3
    text = [f"Network {network.shape}" + (f" {network.name!r}" if network.name else "")
            + f"; loss {network.loss.name}; optimizer {network.optimizer!r}"]
    for j, r in enumerate(rows):
        if j in (1, len(rows) - 1):
            text.append(line)
        text.append("  ".join(f(s, w) for f, s, w in zip(fmt, r, widths)).rstrip())
    table = "\n".join(text)
    if print_fn is not None:
        print_fn(table)
    return table


def explain(network, x, max_values: int = 10) -> str:
    """Forward propagation of one sample, layer by layer: z, a, and the winning class."""
    x = np.asarray(x, dtype=network.dtype)
    expected = network.layers[0].input_shape
    if expected is None or shape_matches(tuple(expected), x.shape):
        x = x[None]  # one sample: add the batch axis
    X = network._prepare_X(x)
    if len(X) != 1:
        raise ShapeError(f"explain() takes one sample, got a batch of {len(X)}")
    opts = {"precision": 4, "threshold": max_values, "edgeitems": max_values // 2,
            "max_line_width": 100, "suppress_small": True}
    lines = [f"Network {network.shape}: forward propagation of one sample",
             f"input   x  = {np.array2string(X[0], **opts)}"]
    out = X
    for i, layer in enumerate(network.layers):
        out = layer.forward(out, training=False)
        lines.append(f"layer {i} {layer.describe()}")
        z = getattr(layer, "z", None)
        if z is not None and getattr(layer, "activation", None) is not None:
            lines.append(f"   z = W a_prev + b = {np.array2string(np.asarray(z)[0], **opts)}")
            a = np.array2string(out[0], **opts)
            lines.append(f"   a = {layer.activation.name}(z) = {a}")
        else:
            lines.append(f"   out = {np.array2string(out[0], **opts)}")
    kind = network._target_kind()
    if kind == "categorical":
        k = int(out[0].argmax())
        lines.append(f"winning class: {k} (probability {float(out[0][k]):.4f})")
    elif kind == "binary" and out.shape[-1] == 1:
        p = float(out[0, 0])
        lines.append(f"predicted class: {int(p >= 0.5)} (P(class 1) = {p:.4f})")
    else:
        lines.append(f"output: {np.array2string(out[0], **opts)}")
    return "\n".join(lines)
