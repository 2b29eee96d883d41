"""Saving a network (``save``) and a training checkpoint (``save_checkpoint``)."""

from __future__ import annotations

import numpy as np
import safetensors.numpy

from ..errors import NeuronalError
from ..network import Network
from .atomic import atomic_write
from .format import CHECKPOINT, FORMAT, FORMAT_VERSION, MODEL, OPT, dumps, seal

__all__ = ["save", "save_checkpoint"]


def save(network: Network, path) -> None:
    """Save a network to one ``.safetensors`` file: architecture, settings, weights, history.

    The file is written atomically (a crash mid-save leaves any previous file intact), the
    parent directories are created if missing, an existing file keeps its permission bits and
    a symbolic link is written through to its target. See ``docs/model-file-format.md``.

    Parameters
    ----------
    network : Network
    path : str or os.PathLike
        Conventionally ending in ``.safetensors``.

    Raises
    ------
    NeuronalError
        ``network`` is not a Network, or ``path`` cannot be written (a folder, read-only, below
        a regular file, disk full); the message names ``path``.

    See Also
    --------
    load : read it back.
    save_checkpoint : also store optimiser and random-generator state, to resume training.

    Examples
    --------
    ::

        net = nl.Network.from_shape("4x3x2", seed=0)
        nl.save(net, "models/net.safetensors")    # creates models/ if needed
    """
    _check_network(network, "save")
    _write(path, _layer_tensors(network), _metadata(network, MODEL))


def save_checkpoint(network: Network, path) -> None:
    """Save everything needed to resume training exactly, atomically, to one file.

    On top of what :func:`save` stores: the optimiser state (``network.optimizer.state_dict()``
    as ``optimizer.*`` tensors, one per slot in ``optimizer.slots`` and parameter) and the state
    of the network's random generator (which drives shuffling and dropout).
    ``fit(..., checkpoint=path)`` calls this after every epoch.

    Parameters
    ----------
    network : Network
    path : str or os.PathLike

    See Also
    --------
    load_checkpoint : restore it into a network with the same architecture.
    """
    _check_network(network, "save_checkpoint")
    tensors = _layer_tensors(network)
    opt = network.optimizer
    params = [p for p, _ in network.parameters()]
    state = opt.state_dict()
    slots = list(opt.slots)
    for slot in slots:
        for j, p in enumerate(params):
            # An optimiser that has not stepped yet holds no state: store its zeros explicitly.
            arr = state.get(f"{slot}.{j}")
            tensors[f"{OPT}{slot}.{j}"] = _storable(arr if arr is not None else np.zeros_like(p))
    tensors[f"{OPT}iterations"] = np.array(int(opt.iterations), dtype=np.int64)
    metadata = _metadata(network, CHECKPOINT)
    metadata["optimizer"] = dumps({"name": opt.name, "slots": slots, "n_params": len(params)})
    metadata["rng_state"] = dumps(network.rng.bit_generator.state)
    _write(path, tensors, metadata)


def _check_network(network, what: str) -> None:
    if not isinstance(network, Network):
        raise NeuronalError(f"{what}() takes a neuronal Network, got {type(network).__name__}")


def _storable(arr: np.ndarray) -> np.ndarray:
    """A C-contiguous, little-endian array: what safetensors writes correctly."""
    arr = np.asarray(arr)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    # safetensors' NumPy writer saves the memory of a non-contiguous array as if it were
    # contiguous (scrambled values): always hand it a C-contiguous array.
    return np.ascontiguousarray(arr)


def _layer_tensors(network: Network) -> dict[str, np.ndarray]:
    return {
        f"{i}.{name}": _storable(arr)
        for i, layer in enumerate(network.layers)
        for name, arr in layer.state().items()
    }


def _metadata(network: Network, kind: str) -> dict[str, str]:
    from .. import __version__

    history = network.history
    return {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "kind": kind,
        "neuronal_version": __version__,
        "config": dumps(network.get_config()),
        "epochs_trained": str(int(network.epochs_trained)),
        "history": dumps({"epoch": list(history.epoch), "history": history.history}),
    }


def _write(path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    data = safetensors.numpy.save(tensors, metadata=seal(tensors, metadata))
    atomic_write(path, data)
