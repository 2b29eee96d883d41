"""The ONNX graph under construction, and every activation function as ONNX operators.

Imported only by :func:`neuronal.export_onnx` (it imports the ``onnx`` package). Converters
(see ``registry.py``) add nodes and initialisers through :class:`Graph`:

* ``g.initializer("weight", array)`` stores a tensor under the current layer's prefix, e.g.
  ``"0.weight"`` (the names of the model file's tensors where the values are the same);
* ``g.node("Gemm", [x, w, b], transB=1)`` adds a node and returns the name of its output;
* ``g.activation(layer.activation, z)`` applies an activation and returns its output.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .. import activations as A
from ..errors import NeuronalError

__all__ = ["Graph", "ELEM_TYPE"]

#: NumPy dtype -> ONNX element type.
ELEM_TYPE = {np.dtype(np.float32): onnx.TensorProto.FLOAT,
             np.dtype(np.float64): onnx.TensorProto.DOUBLE,
             np.dtype(np.int64): onnx.TensorProto.INT64}


class Graph:
    """Nodes and initialisers of the graph being built, in the float ``dtype`` of the export.

    Attributes
    ----------
    dtype : numpy.dtype
        float32 or float64: every initialiser and every float tensor of the graph.
    elem_type : int
        The ONNX element type of ``dtype``.
    prefix : str
        Prepended to the names of what the current layer adds (``"3."`` for layer 3).
    opset : int
        The opset of the default ONNX domain the graph is written for.
    """

    def __init__(self, dtype, opset: int) -> None:
        self.dtype = np.dtype(dtype)
        self.elem_type = ELEM_TYPE[self.dtype]
        self.opset = opset
        self.prefix = ""
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._names: set[str] = set()
        self._constants: dict[tuple, str] = {}
        #: Tensors of integers (the graph's input when the first layer is an Embedding).
        self.int_tensors: set[str] = set()

    # ------------------------------------------------------------------ names and tensors

    def _unique(self, name: str) -> str:
        candidate, k = name, 1
        while candidate in self._names:
            k += 1
            candidate = f"{name}_{k}"
        self._names.add(candidate)
        return candidate

    def reserve(self, name: str) -> str:
        """Claim a graph-level name (the graph's input) so nothing else takes it."""
        return self._unique(name)

    def initializer(self, name: str, array: np.ndarray) -> str:
        """Store ``array`` (as is: cast it first) as a constant tensor; returns its name."""
        full = self._unique(self.prefix + name)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), full))
        return full

    def weight(self, name: str, array: np.ndarray) -> str:
        """A parameter in the graph's float dtype (``initializer`` after a cast)."""
        return self.initializer(name, np.asarray(array, dtype=self.dtype))

    def scalar(self, value: float) -> str:
        """A float constant of the graph's dtype (shared by every node that uses it)."""
        return self._shared(("f", float(value)), np.array(value, dtype=self.dtype), "const")

    def ints(self, values) -> str:
        """A 1-D int64 constant, e.g. the target shape of a Reshape (shared)."""
        values = tuple(int(v) for v in values)
        return self._shared(("i", values), np.array(values, dtype=np.int64), "shape")

    def _shared(self, key: tuple, array: np.ndarray, what: str) -> str:
        name = self._constants.get(key)
        if name is None:
            name = self._unique(f"{what}{len(self._constants)}")
            self.initializers.append(numpy_helper.from_array(array, name))
            self._constants[key] = name
        return name

    # ------------------------------------------------------------------ nodes

    def node(self, op: str, inputs: list[str], n_outputs: int = 1, **attrs):
        """Add an ``op`` node reading ``inputs``; returns its output name (or names).

        Outputs are named after the layer and the operator (``"0.Gemm"``); an output name ""
        in ``n_outputs`` is not possible here, see :meth:`node_outputs`.
        """
        outputs = [self._unique(f"{self.prefix}{op}") for _ in range(n_outputs)]
        self.node_outputs(op, inputs, outputs, **attrs)
        return outputs[0] if n_outputs == 1 else outputs

    def node_outputs(self, op: str, inputs: list[str], outputs: list[str], **attrs) -> None:
        """Add an ``op`` node with the given output names ("" leaves an output unused)."""
        name = self._unique(f"{self.prefix}{op}_node")
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))

    def output_name(self, op: str) -> str:
        """A fresh tensor name for an output of a node added with :meth:`node_outputs`."""
        return self._unique(f"{self.prefix}{op}")

    # ------------------------------------------------------------------ activations

    def activation(self, act, x: str) -> str:
        """``act`` applied to tensor ``x``; returns the output (``x`` itself for linear)."""
        convert = _ACTIVATIONS.get(type(act))
        if convert is None:
            known = ", ".join(sorted(a.name for a in _ACTIVATIONS))
            raise NeuronalError(
                f"cannot convert the activation {act!r} ({type(act).__name__}) to ONNX: only "
                f"neuronal's own activations convert ({known}); use one of them"
            )
        return convert(self, act, x)


# ---------------------------------------------------------------------- activation functions


def _step(g: Graph, act, x: str) -> str:
    # 1 where z >= 0 else 0: a comparison, cast back to the float type
    return g.node("Cast", [g.node("GreaterOrEqual", [x, g.scalar(0.0)])], to=g.elem_type)


def _softplus(g: Graph, act, x: str) -> str:
    # log(1 + exp(z)) = max(z, 0) + log(1 + exp(-|z|)): exp never sees a large positive number
    # (the Softplus operator overflows to inf in some runtimes for z above ~88 in float32)
    e = g.node("Exp", [g.node("Neg", [g.node("Abs", [x])])])
    log = g.node("Log", [g.node("Add", [e, g.scalar(1.0)])])
    return g.node("Add", [g.node("Relu", [x]), log])


def _elu(g: Graph, act, x: str) -> str:
    if g.dtype == np.float32:
        return g.node("Elu", [x], alpha=act.alpha)
    # ONNX Runtime has no float64 Elu kernel: z if z > 0 else alpha (exp(min(z, 0)) - 1)
    neg = g.node("Sub", [g.node("Exp", [g.node("Min", [x, g.scalar(0.0)])]), g.scalar(1.0)])
    neg = g.node("Mul", [neg, g.scalar(act.alpha)])
    return g.node("Where", [g.node("Greater", [x, g.scalar(0.0)]), x, neg])


def _gelu(g: Graph, act, x: str) -> str:
    # neuronal's GELU, the tanh form: 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))), written
    # out with the same constants (ONNX's Gelu operator needs opset 20)
    cube = g.node("Mul", [g.node("Mul", [x, x]), x])
    inner = g.node("Add", [x, g.node("Mul", [cube, g.scalar(0.044715)])])
    t = g.node("Tanh", [g.node("Mul", [inner, g.scalar(math.sqrt(2.0 / math.pi))])])
    half_x = g.node("Mul", [x, g.scalar(0.5)])
    return g.node("Mul", [half_x, g.node("Add", [t, g.scalar(1.0)])])


_ACTIVATIONS = {
    A.Linear: lambda g, act, x: x,
    A.Step: _step,
    A.Sigmoid: lambda g, act, x: g.node("Sigmoid", [x]),
    A.Tanh: lambda g, act, x: g.node("Tanh", [x]),
    A.ReLU: lambda g, act, x: g.node("Relu", [x]),
    A.LeakyReLU: lambda g, act, x: g.node("LeakyRelu", [x], alpha=act.alpha),
    A.Softmax: lambda g, act, x: g.node("Softmax", [x], axis=-1),
    A.ELU: _elu,
    A.Softplus: _softplus,
    A.GELU: _gelu,
}
