"""Export a network to an ONNX model file, for ONNX Runtime and every other ONNX runtime.

The graph is written with the ``onnx`` package's helper API (the optional ``onnx`` extra:
``pip install "neuronal[onnx]"``), layer by layer (see ``_onnx_layers.py`` and
``_onnx_recurrent.py``), without going through PyTorch. What the file holds:

* one input, ``"input"``, of shape (batch, *one sample's shape*), the batch axis dynamic
  (``"batch"``) and sizes the network leaves open (an LSTM's number of steps, a CNN's image
  size when it was not trained yet) dynamic too; float, or int64 token ids when the first
  layer is an Embedding;
* one output, ``"output"``: what ``net.predict_proba`` returns (class probabilities for a
  classifier). Layers run as in prediction: Dropout is the identity and BatchNorm uses its
  running statistics;
* the weights as initialisers named after the layers (``"0.weight"``, ``"0.bias"``, ...);
* operator set ``opset`` of the default domain (17 unless asked otherwise) and the oldest IR
  version that carries it (8 for opset 17), so that ONNX Runtime releases since 1.13 (2022)
  load the file, not only the newest ones.
"""

from __future__ import annotations

import numpy as np

from ..errors import NeuronalError
from ..layers import Embedding
from ._shapes import check_network, layer_shapes, resolve_input_shape
from .registry import ONNX_CONVERTERS, converter_for

__all__ = ["export_onnx", "DEFAULT_OPSET", "MIN_OPSET"]

#: The opset written by default: loaded by ONNX Runtime 1.13 and later (IR version 8).
DEFAULT_OPSET = 17
#: The oldest opset the converters are written for (Softmax on one axis, Squeeze's axes input).
MIN_OPSET = 13


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise NeuronalError(
            "export_onnx needs the onnx package, which is not installed: "
            "pip install 'neuronal[onnx]' (or pip install onnx)"
        ) from None
    return onnx


def _check_opset(onnx, opset) -> int:
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) \
            or not MIN_OPSET <= opset <= newest:
        raise NeuronalError(
            f"opset must be an integer from {MIN_OPSET} to {newest} (the newest this onnx "
            f"package knows), got {opset!r}; the default, {DEFAULT_OPSET}, loads in ONNX "
            f"Runtime 1.13 and later"
        )
    return int(opset)


def _check_dtype(network, dtype) -> np.dtype:
    if dtype is None:
        return network.dtype
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.float32, np.float64):
        raise NeuronalError(f"dtype must be None (the network's), 'float32' or 'float64', got "
                            f"{dtype!r}")
    return dt


def export_onnx(network, path, opset: int = DEFAULT_OPSET, *, input_shape=None, dtype=None):
    """Write ``network`` as an ONNX model that computes what ``network.predict_proba`` does.

    Parameters
    ----------
    network : Network
        Any network of neuronal's layers (Dense, Activation, Dropout, Conv2D, MaxPool2D,
        AvgPool2D, Flatten, Reshape, BatchNorm, SimpleRNN, LSTM, GRU, Embedding) and
        activations. Another layer type raises :class:`~neuronal.NeuronalError` naming it
        (``neuronal.export.onnx_converter`` registers a converter for a new type).
    path : str or os.PathLike or None
        Where to write the ``.onnx`` file, atomically (a temporary file renamed over the
        target, as model files are saved); parent directories are created. None writes
        nothing and only returns the model.
    opset : int, default 17
        Operator set of the default ONNX domain, from 13 to the newest the installed onnx
        package knows. The file's IR version is the oldest that carries this opset (8 for 17),
        so older runtimes load it: opset 17 loads in ONNX Runtime 1.13 (2022) and later.
    input_shape : tuple of int, optional
        Shape of one input sample without the batch axis, e.g. ``(1, 28, 28)``; None in it
        leaves a size open (dynamic). Default: ``network.sample_shape`` (remembered by
        ``fit`` and saved with the model), else what the first layer declares (a CNN's image
        height and width and an RNN's number of steps then stay dynamic).
    dtype : "float32", "float64" or None
        Float type of the weights, the input and the output; default the network's own.
        ONNX Runtime's CPU kernels of Conv, AveragePool, RNN, LSTM and GRU exist in float32
        only: export a float64 network with such layers as ``dtype="float32"`` to run it there
        (the weights are rounded to float32; other runtimes, e.g. ``onnx.reference``, run the
        float64 model).

    Returns
    -------
    onnx.ModelProto
        The model written, checked with ``onnx.checker.check_model(full_check=True)``.

    Raises
    ------
    NeuronalError
        For a layer or activation that cannot be converted, a network whose input shape is
        unknown (pass ``input_shape``), an opset or dtype out of range, an unwritable path,
        or a missing onnx package.

    Examples
    --------
    ::

        net = nl.load("mnist.safetensors")
        nl.export_onnx(net, "mnist.onnx")            # or net.to_onnx("mnist.onnx")

        import onnxruntime as ort
        session = ort.InferenceSession("mnist.onnx")
        proba = session.run(None, {"input": X_test[:5]})[0]   # = net.predict_proba(X_test[:5])
    """
    network = check_network(network, "export_onnx")
    onnx = _import_onnx()
    opset = _check_opset(onnx, opset)
    dtype = _check_dtype(network, dtype)
    shapes = layer_shapes(network, resolve_input_shape(network, input_shape, "export_onnx"),
                          "export_onnx")
    model = _build_model(onnx, network, shapes, opset, dtype)
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        _write(path, model.SerializeToString())
    return model


def _build_model(onnx, network, shapes, opset: int, dtype: np.dtype):
    from onnx import helper

    from .. import __version__
    from ..io.format import dumps as _dumps
    from . import _onnx_layers, _onnx_recurrent  # noqa: F401  (they fill ONNX_CONVERTERS)
    from ._onnx_graph import ELEM_TYPE, Graph

    g = Graph(dtype, opset)
    # token ids for an Embedding: int64, as Gather (and nn.Embedding) want them
    first_embeds = type(network.layers[0]) is Embedding
    in_type = ELEM_TYPE[np.dtype(np.int64)] if first_embeds else g.elem_type
    x = inp = g.reserve("input")
    if first_embeds:
        g.int_tensors.add(inp)
    converters = [converter_for(ONNX_CONVERTERS, layer, i, "ONNX")
                  for i, layer in enumerate(network.layers)]  # every unknown layer first
    for i, (layer, convert) in enumerate(zip(network.layers, converters)):
        g.prefix = f"{i}."
        x = convert(g, layer, x, shapes[i])
    g.prefix = ""
    out = g.reserve("output")
    if x == inp:  # nothing but identities (Dropout, linear activations)
        g.node_outputs("Identity", [x], [out])
    else:  # the node that computes x writes the graph's output directly
        for node in g.nodes:
            node.input[:] = [out if name == x else name for name in node.input]
            node.output[:] = [out if name == x else name for name in node.output]
    graph = helper.make_graph(
        g.nodes, network.name or "neuronal",
        [_value_info(helper, inp, in_type, shapes[0], "input_dim")],
        [_value_info(helper, out, g.elem_type, shapes[-1], None)],
        initializer=g.initializers,
        doc_string=f"neuronal Network {network.shape}",
    )
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        graph, opset_imports=opsets, ir_version=helper.find_min_ir_version_for(opsets),
        producer_name="neuronal", producer_version=__version__,
        doc_string=f"{network!r}, exported for prediction (float type {dtype.name})",
    )
    helper.set_model_props(model, {
        "neuronal.shape": network.shape,
        "neuronal.config": _dumps(network.get_config()),
    })
    return model


def _value_info(helper, name: str, elem_type: int, shape: tuple, open_name: str | None):
    """(batch, *shape): the batch axis named "batch"; open sizes named, or left unknown."""
    dims = ["batch"] + [
        s if s is not None else (f"{open_name}{axis}" if open_name else None)
        for axis, s in enumerate(shape, start=1)
    ]
    return helper.make_tensor_value_info(name, elem_type, dims)


def _write(path, data: bytes) -> None:
    from ..io.atomic import atomic_write as _atomic_write  # temporary file + rename

    _atomic_write(path, data, what="the ONNX model")  # a clear NeuronalError if it cannot

