"""Describing a network in words: the summary table and the forward pass of one sample."""

from __future__ import annotations

import numpy as np

from .errors import ShapeError
from .layers.base import shape_matches

__all__ = ["summary", "explain", "Summary"]

#: Grey levels of the text picture of an input image, from dark to bright.
_SHADES = " .:-=+*#%@"


class Summary(str):
    """The table ``summary()`` printed. In a notebook it is not shown a second time as the
    cell's value (it was printed already); elsewhere it is the table as a string."""

    def _ipython_display_(self) -> None:
        pass


def summary(network, print_fn=print) -> Summary:
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
    table = Summary("\n".join(text))
    if print_fn is not None:
        print_fn(table)
    return table


def explain(network, x, max_values: int = 10, y=None) -> str:
    """Forward propagation of one sample, layer by layer: z, a, and the winning class.

    Images (and other samples of more than one axis) are drawn as a small text picture, and
    layers whose output is a stack of feature maps are summarised (shape, min, max, mean,
    the most active channel) rather than printed in full. With the sample's label ``y``, the
    last line says whether the network's answer is right.
    """
    x = np.asarray(x, dtype=network.dtype)
    expected = network.layers[0].input_shape
    if expected is None or shape_matches(tuple(expected), x.shape):
        x = x[None]  # one sample: add the batch axis
    X = network._prepare_X(x)
    if len(X) != 1:
        raise ShapeError(f"explain() takes one sample, got a batch of {len(X)}")
    opts = {"precision": 4, "threshold": max_values, "edgeitems": max_values // 2,
            "max_line_width": 100, "suppress_small": True}
    lines = [f"Network {network.shape}: forward propagation of one sample"]
    if X.ndim >= 3:
        lines += [f"input x: {'x'.join(map(str, X.shape[1:]))} values in "
                  f"[{X.min():.3g}, {X.max():.3g}], seen as:"] + _picture(X[0])
    else:
        lines.append(f"input   x  = {np.array2string(X[0], **opts)}")
    out = X
    for i, layer in enumerate(network.layers):
        out = layer.forward(out, training=False)
        lines.append(f"layer {i} {layer.describe()}")
        z = getattr(layer, "z", None)
        if out.ndim >= 4 or (out.ndim == 3 and z is not None and np.ndim(z) == 4):
            lines.append(_maps(out[0]))
        elif z is not None and getattr(layer, "activation", None) is not None:
            lines.append(f"   z = W a_prev + b = {np.array2string(np.asarray(z)[0], **opts)}")
            a = np.array2string(out[0], **opts)
            lines.append(f"   a = {layer.activation.name}(z) = {a}")
        else:
            lines.append(f"   out = {np.array2string(out[0], **opts)}")
    lines.append(_answer(network, out[0], y, opts))
    return "\n".join(lines)


def _picture(sample: np.ndarray, width: int = 28) -> list[str]:
    """An image (C, H, W) or (H, W) as lines of text, brighter characters for larger values."""
    img = sample.mean(axis=0) if sample.ndim == 3 else sample
    if img.ndim != 2:
        return [f"   ({sample.ndim}-axis sample: not drawn)"]
    h, w = img.shape
    step = max(1, -(-w // width))  # shrink wide images by whole blocks
    img = img[: h - h % step or h, : w - w % step or w]
    if step > 1:
        img = img.reshape(img.shape[0] // step, step, img.shape[1] // step, step).mean((1, 3))
    lo, hi = float(img.min()), float(img.max())
    levels = np.zeros_like(img, dtype=int) if hi == lo else np.round(
        (img - lo) / (hi - lo) * (len(_SHADES) - 1)).astype(int)
    return ["   |" + "".join(_SHADES[v] * 2 for v in row) + "|" for row in levels]


def _maps(maps: np.ndarray) -> str:
    """One line about a stack of feature maps (C, H, W): shape, range, the most active map."""
    flat = maps.reshape(maps.shape[0], -1)
    strongest = int(flat.mean(axis=1).argmax())
    return (f"   out: {'x'.join(map(str, maps.shape))} feature maps, min {maps.min():.4g}, "
            f"max {maps.max():.4g}, mean {maps.mean():.4g}; most active channel {strongest} "
            f"(mean {flat[strongest].mean():.4g})")


def _answer(network, out: np.ndarray, y, opts) -> str:
    """The last line: the winning class (and whether it is right, given the label)."""
    kind = network._target_kind()
    if kind == "categorical":
        k = int(out.argmax())
        name = f" ({network.classes[k]})" if getattr(network, "classes", None) else ""
        text = f"winning class: {k}{name} (probability {float(out[k]):.4f})"
    elif kind == "binary" and out.shape[-1] == 1:
        p = float(out[0])
        k = int(p >= 0.5)
        text = f"predicted class: {k} (P(class 1) = {p:.4f})"
    else:
        return f"output: {np.array2string(out, **opts)}"
    if y is not None:
        label = np.asarray(y)
        target = int(label.argmax()) if label.ndim == 1 and label.size > 1 else int(label)
        text += f"; label {target}: {'right' if target == k else 'wrong'}"
    return text
