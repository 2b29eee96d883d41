"""Which function converts which layer type: one table for ONNX, one for PyTorch.

The exporters look a layer's *exact* type up here (a subclass of ``Dense`` may compute
something else, so it is not taken for a ``Dense``); a type without an entry stops the export
with a :class:`~neuronal.NeuronalError` that names the layer. Adding a layer type to the
exporters is one decorated function per table, which may live next to the layer itself::

    from neuronal.export import onnx_converter, torch_converter

    @onnx_converter(MyScale)
    def _(g, layer, x, shape):          # g: the graph being built (neuronal.export._onnx_graph)
        factor = g.weight("factor", layer.params()["factor"])   # stored as "3.factor"
        return g.node("Mul", [x, factor])                      # the layer's output tensor

    @torch_converter(MyScale)
    def _(layer, shape):                # -> the torch modules, weights loaded
        return [MyTorchScale(torch.from_numpy(layer.params()["factor"].copy()))]

``shape`` is the shape of one input sample (no batch axis; ``None`` for a size only known at
run time). This module imports neither onnx nor torch.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import NeuronalError

__all__ = ["onnx_converter", "torch_converter", "ONNX_CONVERTERS", "TORCH_CONVERTERS",
           "converter_for"]

#: Layer type -> function(graph, layer, input name, input sample shape) -> output name.
ONNX_CONVERTERS: dict[type, Callable] = {}
#: Layer type -> function(layer, input sample shape) -> list of torch modules.
TORCH_CONVERTERS: dict[type, Callable] = {}


def onnx_converter(layer_type: type) -> Callable:
    """Decorator: register ``fn(g, layer, x, shape) -> str`` as ``layer_type``'s ONNX converter."""
    def register(fn: Callable) -> Callable:
        ONNX_CONVERTERS[layer_type] = fn
        return fn
    return register


def torch_converter(layer_type: type) -> Callable:
    """Decorator: register ``fn(layer, shape) -> list[nn.Module]`` as the PyTorch converter."""
    def register(fn: Callable) -> Callable:
        TORCH_CONVERTERS[layer_type] = fn
        return fn
    return register


def converter_for(table: dict[type, Callable], layer, index: int, target: str) -> Callable:
    """The converter of ``layer``'s exact type, or a NeuronalError naming the layer."""
    fn = table.get(type(layer))
    if fn is not None:
        return fn
    known = ", ".join(sorted(t.__name__ for t in table))
    kind = type(layer).__name__
    bases = [b.__name__ for b in type(layer).__mro__[1:] if b in table]
    note = (f" ({kind} is a subclass of {bases[0]}, but may compute something else, so it is "
            f"not exported as one)" if bases else "")
    raise NeuronalError(
        f"cannot convert layer {index} {layer.describe()} to {target}: there is no converter "
        f"for layer type {kind}{note}; known types: {known}. Register one with "
        f"neuronal.export.{'onnx' if target == 'ONNX' else 'torch'}_converter({kind}), or "
        f"build the network from the known layers"
    )
