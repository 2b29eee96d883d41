"""Loading a network (``load``) or restoring a checkpoint into one (``load_checkpoint``).

Everything about a file is checked before anything of its size is allocated: the header
against the file's size (``header.py``), then the architecture against the header
(``checks.py``, ``shapes.py``). Only then is the network built, without random
initialisation, and the tensors are read in chunks straight into it while their digest is
computed; non-finite weights are refused unless asked for. See ``docs/model-file-format.md``.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..network import Network
from . import checks
from .format import CHECKPOINT, OPT, tensor_preamble
from .header import Entry, ModelFile, open_model_file

__all__ = ["load", "load_checkpoint"]

#: Bytes read (and hashed, and checked) at a time.
CHUNK_BYTES = 16 * 1024 * 1024


def load(path, *, allow_nonfinite: bool = False) -> Network:
    """Load a network saved with :func:`save` (or a checkpoint from :func:`save_checkpoint`).

    The network is rebuilt from its saved architecture (only layer types registered in
    ``Layer.types``) with its loss, optimiser, dtype, weights, ``history`` and
    ``epochs_trained``; its predictions are bit-identical to the saved network's. For a
    checkpoint the optimiser state and random-generator state are restored too, so training
    continues exactly where the checkpoint was taken. For a model file, the network's random
    generator starts from the saved seed.

    The file is checked before the network is built: a small file that declares a large
    architecture is refused without allocating it. Memory used: the network, plus chunks of
    16 MB while reading.

    Parameters
    ----------
    path : str or os.PathLike
    allow_nonfinite : bool, default False
        Load weights that are NaN or infinite (e.g. to inspect a diverged run) instead of
        refusing the file.

    Returns
    -------
    Network

    Raises
    ------
    ModelFileError
        The file is missing, truncated, corrupted or edited (digest mismatch, tensors that do
        not fit the architecture, an unknown layer type), holds NaN or infinite weights
        (unless ``allow_nonfinite``), or is not a neuronal file (another safetensors file, a
        pickle, random bytes).
    """
    with open_model_file(path) as f:
        cfg = checks.config(f)
        checks.check_layer_entries(f, checks.declared_layers(f, cfg), cfg.get("dtype", "float32"))
        progress = checks.progress(f)
        network = checks.rebuild(f, cfg)
        checks.check_layer_entries(f, network.layers, network.dtype)  # now built: exact
        targets = _layer_targets(network)
        opt_state = rng = None
        if f.kind != CHECKPOINT and f.optimizer_entries:
            raise f.fail(f"a model file holds optimiser tensors "
                         f"{sorted(OPT + k for k in f.optimizer_entries)[:4]}")
        if f.kind == CHECKPOINT:
            opt_entries = checks.optimizer_entries(f, network)
            rng = checks.rng_state(f, network)
            opt_state = {k: np.empty(e.shape, e.dtype) for k, e in opt_entries.items()}
            targets.update({OPT + k: v for k, v in opt_state.items()})
        _read_tensors(f, targets, allow_nonfinite)
        _check_iterations(f, opt_state)
    _restore_progress(network, progress)
    if opt_state is not None:
        network.optimizer.load_state_dict(opt_state, network.parameters())
        network.rng.bit_generator.state = rng
    return network


def load_checkpoint(network: Network, path, *, allow_nonfinite: bool = False) -> None:
    """Restore a checkpoint into ``network`` in place, to resume training exactly.

    Restores the weights, the optimiser state, the random-generator state, ``epochs_trained``
    and ``history``. The network keeps its own optimiser hyper-parameters (learning rate, ...).
    Everything is checked before anything is changed: on error the network is untouched.

    Parameters
    ----------
    network : Network
        Must have the architecture (layers), dtype and optimiser type the checkpoint was
        written with.
    path : str or os.PathLike
        A file written by :func:`save_checkpoint` or ``fit(checkpoint=...)``.
    allow_nonfinite : bool, default False
        Accept NaN or infinite values in the saved weights or optimiser state.

    Raises
    ------
    ModelFileError
        As for :func:`load`; also when the file is a plain model (no training state), or the
        architecture, dtype or optimiser type differs from ``network``'s.
    """
    from .writing import _check_network

    _check_network(network, "load_checkpoint")
    with open_model_file(path, what="checkpoint") as f:
        if f.kind != CHECKPOINT:
            raise f.fail(
                "this is a saved model (nl.save), not a training checkpoint: it holds no "
                "optimiser or random-generator state",
                todo="load it with nl.load(path), or pass a file written by fit(checkpoint=...) "
                     "or save_checkpoint",
            )
        cfg = checks.config(f)
        if not checks.same_layers(cfg, network):
            raise f.fail(
                f"the checkpoint was written by a network with different layers: the file has "
                f"{checks.describe_layers(cfg['layers'])}, this network has "
                f"{checks.describe_layers(network.get_config()['layers'])}",
                todo="resume with the same architecture, or use a new checkpoint path to start "
                     "over",
            )
        if cfg.get("dtype", "float32") != network.dtype.name:
            raise f.fail(
                f"the checkpoint holds {cfg.get('dtype')} weights but the network is "
                f"{network.dtype.name}",
                todo=f"build the network with dtype={cfg.get('dtype')!r} to resume",
            )
        checks.check_layer_entries(f, network.layers, network.dtype)
        progress = checks.progress(f)
        opt_entries = checks.optimizer_entries(f, network)
        rng = checks.rng_state(f, network)
        # Scratch arrays, so that a file that fails half-way leaves the network untouched.
        scratch = {name: np.empty(e.shape, e.dtype) for name, e in f.entries.items()}
        _read_tensors(f, scratch, allow_nonfinite)
        opt_state = {k: scratch.pop(OPT + k) for k in opt_entries}
        _check_iterations(f, opt_state)
    for i, layer in enumerate(network.layers):
        layer.load_state({k: scratch[f"{i}.{k}"] for k in layer.state()})
    _restore_progress(network, progress)
    network.optimizer.load_state_dict(opt_state, network.parameters())
    network.rng.bit_generator.state = rng


def _layer_targets(network: Network) -> dict[str, np.ndarray]:
    """The network's own arrays, by tensor name: ``load`` reads straight into them."""
    return {f"{i}.{k}": arr for i, layer in enumerate(network.layers)
            for k, arr in layer.state().items()}


def _restore_progress(network: Network, progress) -> None:
    network.epochs_trained, history = progress
    network.history.history, network.history.epoch = history.history, history.epoch


def _check_iterations(f: ModelFile, opt_state) -> None:
    if opt_state is not None and int(opt_state["iterations"]) < 0:
        raise f.fail(
            f"tensor 'optimizer.iterations' should be an integer scalar >= 0, found "
            f"{int(opt_state['iterations'])}"
        )


def _read_tensors(f: ModelFile, targets: dict[str, np.ndarray], allow_nonfinite: bool) -> None:
    """Fill ``targets[name]`` from every tensor of ``f``, verifying the tensors' digest.

    Reads in chunks of at most :data:`CHUNK_BYTES` (or one row of a tensor, if larger), in
    name order (the order of the digest). Non-finite values are reported only after the digest
    matched, so that a damaged file is reported as damaged.
    """
    h = hashlib.sha256()
    nonfinite = None
    for name in sorted(f.entries):
        entry = f.entries[name]
        h.update(tensor_preamble(name, entry.dtype, entry.shape))
        where = _copy(f, entry, targets[name], h, check=nonfinite is None and not allow_nonfinite
                      and entry.dtype.kind == "f")
        nonfinite = nonfinite or where
    if h.hexdigest() != f.metadata["tensors_sha256"]:
        raise f.fail(
            "the tensor data were altered or corrupted (their SHA-256 does not match the "
            "tensors_sha256 recorded when the file was written)"
        )
    if nonfinite is not None:
        name, index = nonfinite
        raise f.fail(
            f"tensor {name!r} holds NaN or infinite values (first at index {index}): the "
            f"network had diverged when it was saved",
            todo="retrain it (a smaller learning rate, scaled inputs), or pass "
                 "allow_nonfinite=True to load it anyway and inspect it",
        )


def _copy(f: ModelFile, entry: Entry, dest: np.ndarray, h, check: bool):
    """Read one tensor into ``dest`` chunk by chunk; the first non-finite index if ``check``."""
    shape, dtype = entry.shape, entry.dtype
    rows = shape[0] if shape else 1
    nbytes = entry.end - entry.start
    row_bytes = nbytes // rows if rows else 0
    per = max(1, CHUNK_BYTES // row_bytes) if row_bytes else rows
    view = memoryview(bytearray(min(nbytes, per * row_bytes)))
    found = None
    f.fh.seek(entry.start)
    for r0 in range(0, rows, max(per, 1)):
        r1 = min(rows, r0 + per)
        part = view[: (r1 - r0) * row_bytes]
        got = f.fh.readinto(part)
        while got < len(part):  # a short read: keep going until EOF
            more = f.fh.readinto(part[got:])
            if not more:
                raise f.fail("the file is truncated: it changed or shrank while being read")
            got += more
        h.update(part)
        chunk = np.frombuffer(part, dtype=dtype)
        if check and found is None and not np.isfinite(chunk).all():
            flat = r0 * (row_bytes // dtype.itemsize) + int(np.argmin(np.isfinite(chunk)))
            found = (entry.name, tuple(int(i) for i in np.unravel_index(flat, shape)))
        if shape:
            dest[r0:r1] = chunk.reshape((r1 - r0, *shape[1:]))
        else:
            dest[...] = chunk.reshape(())
    return found
