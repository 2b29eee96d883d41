"""Saving and loading networks and training checkpoints: one ``.safetensors`` file, never a pickle.

::

    import neuronal as nl
    net = nl.Network.from_shape("784x16x10", seed=0)
    nl.save(net, "mnist.safetensors")        # or net.save("mnist.safetensors")
    twin = nl.load("mnist.safetensors")      # same architecture, settings, weights, history
    net.fit(X, y, epochs=10, checkpoint="run.ckpt", resume=True)   # survives being killed

Public functions
----------------
:func:`save` / :func:`load`
    A trained model: architecture, settings, weights, history.
:func:`save_checkpoint` / :func:`load_checkpoint`
    Everything needed to resume training exactly: additionally the optimiser state and the
    random-generator state. ``fit(..., checkpoint=path, resume=True)`` uses them. :func:`load`
    also reads a checkpoint and returns its network with the optimiser and generator state
    restored, so ``nl.load(ckpt).fit(X, y, epochs=k)`` continues that run exactly.
:func:`to_torch_state_dict`
    The weights renamed for a PyTorch ``nn.Sequential`` in which every activation is a module.

The file format (a safetensors file with a JSON ``__metadata__`` map and two SHA-256 digests),
the order in which :func:`load` checks a file, and how saves stay atomic are described in
``docs/model-file-format.md``. The modules: ``format`` (constants, digests), ``writing``
(save), ``atomic`` (atomic replacement), ``header`` (the header against the file's size),
``shapes`` and ``checks`` (the architecture against the header), ``reading`` (load),
``pytorch`` (tensor names for PyTorch).
"""

from .format import seal as _seal  # noqa: F401  (tests re-seal edited files with it)
from .pytorch import to_torch_state_dict
from .reading import load, load_checkpoint
from .writing import save, save_checkpoint

__all__ = ["save", "load", "save_checkpoint", "load_checkpoint", "to_torch_state_dict"]
