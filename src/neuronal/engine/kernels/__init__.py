"""Tuned forward/backward kernels by layer type (see ``neuronal.seams``, seam 2).

A kernel is an object with ``forward(layer, x, training)`` and ``backward(layer, grad,
preactivation)`` computing what the layer's own methods compute, faster; it keeps what its
backward needs on the layer (private attributes), and sets the layer's public ``z``/``a``
where the layer's own code does.
"""

from __future__ import annotations

KERNELS: dict = {}

__all__ = ["KERNELS"]
