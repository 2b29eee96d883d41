"""Trained networks out of neuronal: an ONNX model file, or a ready PyTorch module.

* :func:`export_onnx` (also ``net.to_onnx(path)`` and ``neuronal export MODEL OUT.onnx``)
  writes an ONNX model for ONNX Runtime or any other ONNX runtime; needs the ``onnx`` package
  (``pip install "neuronal[onnx]"``).
* :func:`to_torch` builds an ``nn.Sequential`` of standard ``torch.nn`` modules with the
  weights loaded; needs torch.

Every layer type and activation of neuronal converts; a layer type without a converter stops
the export with a :class:`~neuronal.NeuronalError` naming it. New layer types register theirs
with :func:`onnx_converter` and :func:`torch_converter` (see ``registry.py``).

Importing this package imports neither onnx nor torch: each is imported by the function that
needs it.
"""

from .onnx import DEFAULT_OPSET, export_onnx
from .registry import onnx_converter, torch_converter
from .torch import to_torch

__all__ = ["export_onnx", "to_torch", "onnx_converter", "torch_converter", "DEFAULT_OPSET"]
