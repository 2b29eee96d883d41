"""What a neuronal model file holds: the constants, the digests, the JSON encoding.

Shared by the writer (``writing.py``) and the reader (``header.py``, ``reading.py``); the
format itself is described in ``docs/model-file-format.md``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from ..errors import NeuronalError

FORMAT = "neuronal"
FORMAT_VERSION = 1
MODEL, CHECKPOINT = "model", "checkpoint"
#: Prefix of the optimiser-state tensors in a checkpoint.
OPT = "optimizer."
REQUIRED = ("format_version", "kind", "config", "epochs_trained", "history", "tensors_sha256",
            "metadata_sha256")
CHECKPOINT_REQUIRED = ("optimizer", "rng_state")
RESAVE = ("the file is damaged or was edited: restore it from a backup, or save the network "
          "again (nl.save, or fit(checkpoint=...) for a checkpoint)")


def json_default(obj: Any):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def dumps(obj: Any) -> str:
    """JSON text of ``obj`` (sorted keys); a clear error for what JSON cannot store."""
    try:
        return json.dumps(obj, default=json_default, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise NeuronalError(
            f"cannot save: the network's configuration holds a value JSON cannot store ({exc}); "
            f"a layer's get_config() must return numbers, strings, lists and dicts only"
        ) from None


def tensor_preamble(name: str, dtype: np.dtype, shape) -> bytes:
    """What the tensor digest hashes before a tensor's bytes: its name, dtype and shape."""
    return json.dumps([name, dtype.str, [int(s) for s in shape]]).encode()


def tensors_digest(tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        arr = tensors[name]
        h.update(tensor_preamble(name, arr.dtype, arr.shape))
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def metadata_digest(metadata: dict[str, str]) -> str:
    """SHA-256 over every metadata entry but ``metadata_sha256`` itself."""
    rest = {k: v for k, v in metadata.items() if k != "metadata_sha256"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()


def seal(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> dict[str, str]:
    """``metadata`` with the two digests (re)computed for ``tensors``."""
    metadata = {k: v for k, v in metadata.items() if k not in ("tensors_sha256", "metadata_sha256")}
    metadata["tensors_sha256"] = tensors_digest(tensors)
    metadata["metadata_sha256"] = metadata_digest(metadata)
    return metadata
