"""Renaming a network's tensors for a PyTorch ``nn.Sequential`` (see the format docs)."""

from __future__ import annotations

import numpy as np

from ..layers.activation import Activation
from ..layers.base import Layer
from ..network import Network
from .reading import load

__all__ = ["to_torch_state_dict"]


def _separate_activation(layer: Layer) -> bool:
    """True when ``layer`` carries a non-linear activation that PyTorch makes a module of."""
    act = getattr(layer, "activation", None)
    return not isinstance(layer, Activation) and act is not None and act.name != "linear"


def to_torch_state_dict(source) -> dict[str, np.ndarray]:
    """The layer tensors renamed for a PyTorch ``nn.Sequential`` with activation modules.

    Each layer with a non-linear activation of its own (``Dense(..., activation="sigmoid")``)
    takes two indices in the ``nn.Sequential`` (``nn.Linear`` and ``nn.Sigmoid``); every other
    layer takes one. So ``Network.from_shape("784x16x10")`` (layer tensors ``0.*`` and ``1.*``)
    maps onto ``nn.Sequential(nn.Linear(784, 16), nn.Sigmoid(), nn.Linear(16, 10),
    nn.Softmax(dim=1))`` as ``0.*`` and ``2.*``.

    Parameters
    ----------
    source : Network, str or os.PathLike
        A network, or a file that :func:`load` reads.

    Batch normalisation layers also get PyTorch's ``num_batches_tracked`` buffer (0), which
    neuronal does not keep, so ``load_state_dict`` works in strict mode.

    Returns
    -------
    dict of str to numpy.ndarray
        Copies; load with ``model.load_state_dict({k: torch.from_numpy(v) for k, v in
        state.items()})``.
    """
    network = source if isinstance(source, Network) else load(source)
    out: dict[str, np.ndarray] = {}
    index = 0
    for layer in network.layers:
        state = layer.state()
        for name, arr in state.items():
            out[f"{index}.{name}"] = np.array(arr, copy=True)
        if "running_mean" in state and "num_batches_tracked" not in state:
            # PyTorch's batch norm has this extra buffer (used only with momentum=None).
            out[f"{index}.num_batches_tracked"] = np.array(0, dtype=np.int64)
        index += 2 if _separate_activation(layer) else 1
    return out

