"""How neuronal's objects show themselves in a Jupyter notebook.

IPython asks an object for rich views through ``_repr_html_`` / ``_repr_png_``; the classes
(Neuron, every Layer, Network, History, the optimisers) each have a one-line method that calls
:func:`html` (or, for History, :func:`history_png`) here, so all the rendering lives in this
module. A notebook still gets the plain ``repr`` as the text fallback (what a terminal or a
text-only front end shows).

* **Neuron**: its formula with the activation, the weights (w0, w1, ... as ``weights[i]``) and
  the bias.
* **Layer**: what it is, its counts, and each parameter array's shape and range.
* **Network**: the ``summary()`` table, the loss and optimiser, and a small diagram (with
  matplotlib installed).
* **History**: the loss and accuracy curves as a PNG (``_repr_png_``).
* **Optimizer**: its update rule and settings.

Nothing here runs unless a notebook asks: ``import neuronal`` does not import it.
"""

from __future__ import annotations

import base64
import html as _html
from typing import Any

import numpy as np

__all__ = ["html", "history_png"]

_STYLE = ("font-family: var(--jp-content-font-family, sans-serif); font-size: 13px; "
          "line-height: 1.4;")
_TABLE = "border-collapse: collapse; margin: 4px 0;"
_CELL = "padding: 1px 8px; border-bottom: 1px solid #ddd;"
_HEAD = _CELL + " font-weight: bold; background: #f4f4f4;"
_MAX_WEIGHTS = 12  # a neuron shows at most this many weights (the first ones) in its table

_RULES = {
    "sgd": "p &larr; p &minus; lr &middot; g",
    "sgd+momentum": "v &larr; &mu; v + g; &nbsp; p &larr; p &minus; lr &middot; v",
    "adam": "m &larr; &beta;1 m + (1 &minus; &beta;1) g; &nbsp; v &larr; &beta;2 v + "
            "(1 &minus; &beta;2) g&sup2;; &nbsp; p &larr; p &minus; lr &middot; m&#770; / "
            "(&radic;v&#770; + &epsilon;)",
    "rmsprop": "s &larr; &rho; s + (1 &minus; &rho;) g&sup2;; &nbsp; p &larr; p &minus; lr "
               "&middot; g / (&radic;s + &epsilon;)",
}


def _e(value: Any) -> str:
    return _html.escape(str(value))


def _num(v: float) -> str:
    return f"{float(v):.4g}"


def _table(header: list[str], rows: list[list[str]], left: int = 1) -> str:
    """An HTML table; the first ``left`` columns are aligned left (text), the others right."""
    def cells(row: list[str], style: str) -> str:
        return "".join(
            f"<td style='{style} text-align: {'left' if k < left else 'right'};'>{c}</td>"
            for k, c in enumerate(row))

    body = "".join(f"<tr>{cells(r, _CELL)}</tr>" for r in rows)
    return (f"<table style='{_TABLE}'><thead><tr>{cells(header, _HEAD)}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _box(title: str, body: str) -> str:
    return (f"<div style='{_STYLE}'><div style='font-weight: bold; margin-bottom: 2px;'>"
            f"{title}</div>{body}</div>")


def _png_tag(fig: Any, dpi: int = 70, width: str = "") -> str:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    style = f" style='max-width: 100%; {width}'"
    return f"<img src='data:image/png;base64,{data}'{style}/>"


# --------------------------------------------------------------------------- the objects


def _neuron(neuron: Any) -> str:
    w = np.asarray(neuron.weights, dtype=np.float64)
    n = len(w)
    f = neuron.activation
    alpha = getattr(f, "alpha", None)
    act = f"{_e(f.name)}" + (f" (alpha = {_num(alpha)})" if alpha is not None else "")
    terms = " + ".join(f"w{i} x{i}" for i in range(min(n, 3))) + (" + &hellip;" if n > 3 else "")
    shown = min(n, _MAX_WEIGHTS)
    rows = [[f"w{i}", _num(w[i])] for i in range(shown)]
    if n > shown:
        rows.append([f"&hellip; {n - shown} more", f"|w| &le; {_num(np.abs(w[shown:]).max())}"])
    rows.append(["b (bias)", _num(neuron.bias)])
    where = ""
    if getattr(neuron, "_layer", None) is not None:
        where = f" &mdash; neuron {neuron._index} of {_e(neuron._layer.describe())} (a view)"
    body = (f"<div>a = {act}(z), &nbsp; z = {terms} + b &nbsp; "
            f"(formula: {_e(f.formula)})</div>" + _table(["", "value"], rows))
    return _box(f"Neuron with {n} input{'s' if n != 1 else ''}{where}", body)


def _layer(layer: Any) -> str:
    rows = []
    for name, value in {**layer.params(), **layer.buffers()}.items():
        v = np.asarray(value, dtype=np.float64)
        rng = [_num(v.min()), _num(v.mean()), _num(v.max())] if v.size else ["", "", ""]
        rows.append([_e(name), "&times;".join(map(str, v.shape)) or "scalar", *rng])
    counts = (f"{layer.n_neurons:,} neurons, {layer.n_weights:,} weights, "
              f"{layer.n_params:,} parameters")
    act = getattr(layer, "activation", None)
    extra = f"; activation {_e(act.name)}: {_e(act.formula)}" if act is not None else ""
    body = f"<div>{counts}{extra}</div>"
    if rows:
        body += _table(["array", "shape", "min", "mean", "max"], rows, left=2)
    if hasattr(layer, "neurons"):
        body += "<div style='color: #666;'>layer.neurons[j] is neuron j (row j of weight)</div>"
    return _box(_e(layer.describe()), body)


def _network(net: Any) -> str:
    start = getattr(net, "sample_shape", None) or net.layers[0].input_shape
    shape = None if start is None else tuple(start)
    rows = []
    for i, layer in enumerate(net.layers):
        try:
            shape = layer.output_shape(shape) if shape is not None else None
        except Exception:  # a layer that cannot tell without a real input
            shape = None
        out = "&times;".join("?" if s is None else str(s) for s in shape) if shape else "?"
        rows.append([str(i), _e(layer.describe()), out, f"{layer.n_neurons:,}",
                     f"{layer.n_weights:,}", f"{layer.n_params:,}"])
    rows.append(["", "<b>total</b>", "", f"<b>{net.n_neurons:,}</b>", f"<b>{net.n_weights:,}</b>",
                 f"<b>{net.n_params:,}</b>"])
    table = _table(["#", "layer", "output", "neurons", "weights", "params"], rows, left=3)
    about = (f"<div>loss {_e(net.loss.name)}; optimizer {_e(repr(net.optimizer))}; "
             f"{net.epochs_trained} epoch{'s' if net.epochs_trained != 1 else ''} trained</div>")
    diagram = ""
    try:
        from .plot import plot_network

        fig = plot_network(net, max_nodes=8)
        diagram = f"<div>{_png_tag(fig, dpi=80)}</div>"
    except ImportError:
        diagram = "<div style='color: #666;'>(install matplotlib for a diagram)</div>"
    name = f" {_e(repr(net.name))}" if net.name else ""
    return _box(f"Network {_e(net.shape)}{name}", about + table + diagram)


def _optimizer(opt: Any) -> str:
    cfg = opt.get_config()
    name = cfg.pop("name", type(opt).__name__)
    key = "sgd+momentum" if name == "sgd" and cfg.get("momentum") else name
    rule = _RULES.get(key, "")
    rows = [[_e(k), _e(v if not isinstance(v, dict) else repr(opt.schedule))]
            for k, v in cfg.items()]
    rows.append(["current learning rate", _num(opt.learning_rate)])
    body = (f"<div>update: {rule} &nbsp; (g: gradient, p: parameter)</div>" if rule else "")
    body += _table(["setting", "value"], rows)
    return _box(_e(type(opt).__name__), body)


def html(obj: Any) -> str:
    """The notebook view (HTML) of a neuronal Neuron, Layer, Network or Optimizer."""
    from .layers.base import Layer
    from .network import Network
    from .neuron import Neuron
    from .optimizers import Optimizer

    for kind, render in ((Network, _network), (Layer, _layer), (Neuron, _neuron),
                         (Optimizer, _optimizer)):
        if isinstance(obj, kind):
            return render(obj)
    return f"<pre>{_e(repr(obj))}</pre>"


def history_png(history: Any) -> bytes | None:
    """The loss/accuracy curves of a History as PNG bytes (None: no epochs, or no
    matplotlib)."""
    import io

    if not history.history.get("loss"):
        return None
    try:
        from .plot import plot_history
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    try:
        fig = plot_history(history, size=0.8)
    except ImportError:
        return None
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()
