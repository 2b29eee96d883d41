"""A fitted estimator's network inside a pickle: the library's safe file, as bytes.

scikit-learn's convention is that a fitted estimator pickles (``joblib.dump``, ``pickle``,
``copy.deepcopy``, returning estimators from joblib workers). A :class:`~neuronal.Network`
itself holds a random generator, optimiser state and engine bookkeeping that do not belong in
a pickle, so an estimator pickles its network as the bytes of a training checkpoint
(``neuronal.io.save_checkpoint``: architecture, weights, optimiser state, random-generator
state, history, in safetensors form) and rebuilds it with ``neuronal.load``, which checks the
file's digests and builds layers only from the registry of known layer types. The round trip
gives bit-identical predictions, and ``warm_start`` or ``partial_fit`` after unpickling
continue exactly where training stopped.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["network_to_bytes", "network_from_bytes", "TAG"]

#: Marks the pickled form of a network in an estimator's state.
TAG = "neuronal-checkpoint-safetensors"


def network_to_bytes(network) -> bytes:
    """The bytes of ``network``'s training checkpoint (the library's safe file format)."""
    from ..io import save_checkpoint

    with tempfile.TemporaryDirectory(prefix="neuronal-pickle-") as folder:
        path = os.path.join(folder, "network.safetensors")
        save_checkpoint(network, path)
        return Path(path).read_bytes()


def network_from_bytes(data: bytes):
    """The network whose checkpoint :func:`network_to_bytes` returned (checked on loading)."""
    from ..io import load

    with tempfile.TemporaryDirectory(prefix="neuronal-pickle-") as folder:
        path = os.path.join(folder, "network.safetensors")
        Path(path).write_bytes(bytes(data))
        return load(path)
