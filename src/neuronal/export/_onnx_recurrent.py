"""ONNX converters of SimpleRNN, LSTM and GRU: the RNN, LSTM and GRU operators.

neuronal's recurrent layers are batch-first, (N, T, F), and keep PyTorch's weights: gate
blocks stacked along the rows of ``weight_ih_l0`` and ``weight_hh_l0``, in PyTorch's order.
The ONNX operators read time-first input (T, N, F) (``layout=1``, batch-first, is in the
standard, but ONNX Runtime's CPU kernels reject it, so the converter transposes instead), and
their gate blocks come in another order:

=========  ======================  ===================  =======================
layer      PyTorch / neuronal      ONNX                 block indices taken
=========  ======================  ===================  =======================
SimpleRNN  one block               one block            [0]
LSTM       i, f, g, o              i, o, f, c           [0, 3, 1, 2]
GRU        r, z, n                 z, r, h              [1, 0, 2]
=========  ======================  ===================  =======================

ONNX's W, R and B get a leading num_directions axis of 1; B is [b_ih; b_hh]. The GRU sets
``linear_before_reset=1``: PyTorch (and neuronal) compute n = tanh(W_in x + b_in + r * (W_hn h
+ b_hn)), with the reset gate applied after the recurrent product.
"""

from __future__ import annotations

import numpy as np

from ..layers import GRU, LSTM, SimpleRNN
from ._onnx_graph import Graph
from .registry import onnx_converter

#: ONNX's gate order as indices of PyTorch's gate blocks.
_ORDER = {SimpleRNN: [0], LSTM: [0, 3, 1, 2], GRU: [1, 0, 2]}


def _blocks(array: np.ndarray, order: list[int]) -> np.ndarray:
    """Rows of ``array`` regrouped from PyTorch's gate order to ONNX's (same block size)."""
    blocks = np.split(array, len(order))
    return np.concatenate([blocks[i] for i in order])


def _recurrent(op: str, **attrs):
    def convert(g: Graph, layer, x: str, shape: tuple) -> str:
        p, order = layer.params(), _ORDER[type(layer)]
        w = g.weight("W", _blocks(p["weight_ih_l0"], order)[None])
        r = g.weight("R", _blocks(p["weight_hh_l0"], order)[None])
        b = g.weight("B", np.concatenate([_blocks(p["bias_ih_l0"], order),
                                          _blocks(p["bias_hh_l0"], order)])[None])
        extra = dict(attrs)
        if type(layer) is SimpleRNN:
            extra["activations"] = ["Tanh" if layer.nonlinearity == "tanh" else "Relu"]
        steps_first = g.node("Transpose", [x], perm=[1, 0, 2])  # (T, N, F)
        y, y_h = g.output_name(f"{op}_Y"), g.output_name(f"{op}_Y_h")
        # Y: every h_t, (T, 1, N, H); Y_h: the last one, (1, N, H)
        outputs = [y, ""] if layer.return_sequences else ["", y_h]
        g.node_outputs(op, [steps_first, w, r, b], outputs, hidden_size=layer.n_hidden, **extra)
        if layer.return_sequences:  # (T, 1, N, H) -> (N, T, H)
            batch_first = g.node("Transpose", [y], perm=[2, 0, 1, 3])
            return g.node("Squeeze", [batch_first, g.ints([2])])
        return g.node("Squeeze", [y_h, g.ints([0])])  # (1, N, H) -> (N, H)
    return convert


onnx_converter(SimpleRNN)(_recurrent("RNN"))
onnx_converter(LSTM)(_recurrent("LSTM"))
onnx_converter(GRU)(_recurrent("GRU", linear_before_reset=1))
