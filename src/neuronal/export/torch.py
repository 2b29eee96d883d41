"""A network as a ready PyTorch module: ``nl.to_torch(net)``.

The module is an ``nn.Sequential`` of standard ``torch.nn`` modules (see
``_torch_modules.py``) with the weights loaded, numbered as
:func:`neuronal.io.to_torch_state_dict` numbers the tensors: every layer takes one index and
a layer with a non-linear activation of its own (``Dense(784, 16, activation="sigmoid")``)
takes a second one for the activation's module (``nn.Linear`` then ``nn.Sigmoid``). So
``to_torch(net).state_dict()`` has the keys of ``to_torch_state_dict(net)``, and a model file's
weights load into the module with ``load_state_dict``.
"""

from __future__ import annotations

from ..errors import NeuronalError
from ._shapes import check_network, layer_shapes, resolve_input_shape
from .registry import TORCH_CONVERTERS, converter_for

__all__ = ["to_torch"]


def to_torch(network, *, input_shape=None):
    """The network as a ``torch.nn.Sequential`` of standard modules, weights loaded.

    Parameters
    ----------
    network : Network
        Any network of neuronal's layers and activations; another layer type raises
        :class:`~neuronal.NeuronalError` naming it (``neuronal.export.torch_converter``
        registers a converter for a new type).
    input_shape : tuple of int, optional
        Shape of one input sample without the batch axis. Only its rank matters here (it
        decides between ``nn.BatchNorm1d`` and ``nn.BatchNorm2d``, and whether convolutions
        read sequences of images); default as in :func:`~neuronal.export_onnx`.

    Returns
    -------
    torch.nn.Sequential
        In evaluation mode, in the network's float type (float32 or float64), holding copies
        of the weights: ``module(torch.from_numpy(X))`` equals ``network.predict_proba(X)``
        (Dropout off, BatchNorm on its running statistics). Call ``.train()`` before training
        it. A classifier's last module is its ``nn.Softmax``: train on ``module[:-1]``'s
        logits with ``nn.CrossEntropyLoss``, which applies the softmax itself. An Embedding
        takes int64 token ids, as ``nn.Embedding`` does.

    Raises
    ------
    NeuronalError
        For a layer or activation without a converter, a network whose input shape is
        unknown (pass ``input_shape``), or when torch is not installed.

    Examples
    --------
    ::

        model = nl.to_torch(nl.load("mnist.safetensors"))
        model
        # Sequential((0): Linear(784 -> 16), (1): Sigmoid(), (2): Linear(16 -> 10),
        #            (3): Softmax(dim=-1))
        proba = model(torch.from_numpy(X_test[:5]))   # = net.predict_proba(X_test[:5])
    """
    network = check_network(network, "to_torch")
    shapes = layer_shapes(network, resolve_input_shape(network, input_shape, "to_torch"),
                          "to_torch")
    try:
        from torch import nn

        from . import _torch_modules  # noqa: F401  (fills TORCH_CONVERTERS)
    except ImportError:
        raise NeuronalError("to_torch needs PyTorch, which is not installed: pip install torch"
                            ) from None
    converters = [converter_for(TORCH_CONVERTERS, layer, i, "PyTorch")
                  for i, layer in enumerate(network.layers)]  # every unknown layer first
    modules = []
    for layer, convert, shape in zip(network.layers, converters, shapes):
        modules.extend(convert(layer, shape))
    return nn.Sequential(*modules).eval()
