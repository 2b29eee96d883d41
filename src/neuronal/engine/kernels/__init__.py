"""Tuned forward/backward kernels by layer type (see ``neuronal.seams``, seam 2).

A kernel is an object with ``forward(layer, x, training)`` and ``backward(layer, grad,
preactivation)`` computing what the layer's own methods compute, faster; it keeps what its
backward needs on the layer (private attributes), and sets the layer's public ``z``/``a``
where the layer's own code does.
"""

from __future__ import annotations

from ...layers.conv import Conv2D
from ...layers.pooling import AvgPool2D, MaxPool2D
from ...layers.recurrent import GRU, LSTM, SimpleRNN
from .conv import ConvKernel
from .pooling import AvgPoolKernel, MaxPoolKernel
from .recurrent import GRUKernel, LSTMKernel, SimpleRNNKernel

#: The kernel of each layer type that has one (other layers run their own code).
KERNELS: dict = {Conv2D: ConvKernel(), MaxPool2D: MaxPoolKernel(), AvgPool2D: AvgPoolKernel(),
                 SimpleRNN: SimpleRNNKernel(), LSTM: LSTMKernel(), GRU: GRUKernel()}

__all__ = ["KERNELS"]
