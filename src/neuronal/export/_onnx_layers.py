"""ONNX converters of the layers that are not recurrent (those are in ``_onnx_recurrent.py``).

Each converter receives the graph ``g``, the layer, the name ``x`` of its input tensor and the
shape of one input sample (no batch axis), and returns the name of its output tensor. Weights
keep neuronal's layouts, which are ONNX's: ``Dense.weight`` (n_neurons, n_inputs) is the B of
``Gemm`` with transB=1 and ``Conv2D.weight`` (out, in, kh, kw) is Conv's W.
"""

from __future__ import annotations

import onnx

from ..errors import ShapeError
from ..layers import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    MaxPool2D,
    Normalize,
    Reshape,
)
from ._onnx_graph import Graph
from ._shapes import conv_pads
from .registry import onnx_converter

_BIG = 2**62  # "to the end" in Slice


@onnx_converter(Dense)
def dense(g: Graph, layer: Dense, x: str, shape: tuple) -> str:
    """(N, F) rows: Gemm(x, W, b, transB=1) = x W^T + b. (N, ..., F): MatMul by W^T, then Add."""
    p = layer.params()
    if len(shape) == 1:
        inputs = [x, g.weight("weight", p["weight"])]
        if layer.use_bias:
            inputs.append(g.weight("bias", p["bias"]))
        z = g.node("Gemm", inputs, transB=1)
    else:  # Gemm takes matrices only: x @ W^T over the leading axes
        z = g.node("MatMul", [x, g.weight("weight_t", p["weight"].T)])
        if layer.use_bias:
            z = g.node("Add", [z, g.weight("bias", p["bias"])])
    return g.activation(layer.activation, z)


@onnx_converter(Activation)
def activation(g: Graph, layer: Activation, x: str, shape: tuple) -> str:
    return g.activation(layer.activation, x)


@onnx_converter(Dropout)
def dropout(g: Graph, layer: Dropout, x: str, shape: tuple) -> str:
    """The identity: inverted dropout scales in training, so prediction passes x unchanged."""
    return x


def _images(g: Graph, layer, x: str, shape: tuple, convert) -> str:
    """Run ``convert`` on (N, C, H, W) images; (N, ..., C, H, W) is folded to that and back."""
    if len(shape) < 3:
        raise ShapeError(f"{layer.describe()} needs channels-first images (N, C, H, W), but "
                         f"gets samples of shape {shape}: pass the right input_shape=")
    if len(shape) == 3:
        return convert(x)
    # leading axes (time) join the batch: (N*T, C, H, W), and split off again afterwards
    dims = g.node("Shape", [x])
    lead = g.node("Slice", [dims, g.ints([0]), g.ints([-3])])
    chw = g.node("Slice", [dims, g.ints([-3]), g.ints([_BIG])])
    folded = g.node("Reshape", [x, g.node("Concat", [g.ints([-1]), chw], axis=0)])
    y = convert(folded)
    tail = g.node("Slice", [g.node("Shape", [y]), g.ints([1]), g.ints([_BIG])])
    return g.node("Reshape", [y, g.node("Concat", [lead, tail], axis=0)])


@onnx_converter(Conv2D)
def conv2d(g: Graph, layer: Conv2D, x: str, shape: tuple) -> str:
    p = layer.params()
    top, bottom, left, right = conv_pads(layer)
    inputs = [g.weight("weight", p["weight"])]
    if layer.use_bias:
        inputs.append(g.weight("bias", p["bias"]))

    def convert(images: str) -> str:
        # ONNX pads: [top, left, bottom, right] (all begins, then all ends)
        return g.node("Conv", [images, *inputs], kernel_shape=list(layer.kernel_size),
                      strides=list(layer.stride), pads=[top, left, bottom, right])

    return g.activation(layer.activation, _images(g, layer, x, shape, convert))


def _pool(op: str, **extra):
    def convert_layer(g: Graph, layer, x: str, shape: tuple) -> str:
        ph, pw = layer.padding

        def convert(images: str) -> str:
            return g.node(op, [images], kernel_shape=list(layer.kernel_size),
                          strides=list(layer.stride), pads=[ph, pw, ph, pw], **extra)

        return _images(g, layer, x, shape, convert)
    return convert_layer


# MaxPool's padding never wins the maximum (neuronal pads with -inf); AvgPool2D counts its
# zero padding in the mean, as PyTorch's default count_include_pad=True
onnx_converter(MaxPool2D)(_pool("MaxPool"))
onnx_converter(AvgPool2D)(_pool("AveragePool", count_include_pad=1))


@onnx_converter(Flatten)
def flatten(g: Graph, layer: Flatten, x: str, shape: tuple) -> str:
    if layer.start_dim == 1:
        return g.node("Flatten", [x], axis=1)
    # keep the batch and the next start_dim - 1 axes (Reshape's 0 copies a size), flatten the rest
    return g.node("Reshape", [x, g.ints([0] * layer.start_dim + [-1])])


@onnx_converter(Reshape)
def reshape(g: Graph, layer: Reshape, x: str, shape: tuple) -> str:
    return g.node("Reshape", [x, g.ints([0, *layer.shape])])  # 0: keep the batch size


@onnx_converter(BatchNorm)
def batch_norm(g: Graph, layer: BatchNorm, x: str, shape: tuple) -> str:
    """Prediction with the running statistics: (x - mean) / sqrt(var + eps) * weight + bias."""
    if not 1 <= len(shape) <= 3:
        raise ShapeError(f"{layer.describe()} takes (N, F), (N, C, L) or (N, C, H, W), but gets "
                         f"samples of shape {shape}: pass the right input_shape=")
    p, b = layer.params(), layer.buffers()
    inputs = [g.weight(k, d[k]) for d, k in ((p, "weight"), (p, "bias"),
                                             (b, "running_mean"), (b, "running_var"))]
    return g.node("BatchNormalization", [x, *inputs], epsilon=layer.eps)


@onnx_converter(Normalize)
def normalize(g: Graph, layer: Normalize, x: str, shape: tuple) -> str:
    """(x - mean) / scale over the last axis: Sub then Div, broadcasting like NumPy."""
    b = layer.buffers()
    return g.node("Div", [g.node("Sub", [x, g.weight("mean", b["mean"])]),
                          g.weight("scale", b["scale"])])


@onnx_converter(Embedding)
def embedding(g: Graph, layer: Embedding, x: str, shape: tuple) -> str:
    """Row lookup: Gather(weight, ids). A float input holding token ids is cast to int64."""
    if x not in g.int_tensors:
        x = g.node("Cast", [x], to=onnx.TensorProto.INT64)
    return g.node("Gather", [g.weight("weight", layer.params()["weight"]), x], axis=0)
