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

File format
-----------
A `safetensors <https://github.com/huggingface/safetensors>`_ file: an 8-byte little-endian
header length, a JSON header (each tensor's name, dtype, shape and byte offsets, plus a
string-to-string ``__metadata__`` map), then the raw little-endian tensor bytes. Loading reads
numbers and JSON only: nothing is unpickled or evaluated, and layers are built only from the
registry of known layer classes (``Layer.types``).

Tensors (in the network's dtype, float32 or float64)
    ``"{i}.{name}"`` for every entry ``name`` of ``network.layers[i].state()``, where ``i`` is
    the layer's index in *our* network: ``0.weight`` (shape (n_neurons, n_inputs), the layout
    of PyTorch's ``nn.Linear.weight``), ``0.bias``, ``1.weight``, ...; buffers such as
    ``3.running_mean`` likewise. These are the names of a PyTorch ``nn.Sequential`` state_dict.
    Checkpoints add the optimiser state: ``optimizer.{slot}.{j}`` for the ``j``-th parameter in
    ``network.parameters()`` order (``optimizer.m_sum.0`` and ``optimizer.v_sum.0`` for Adam,
    ``optimizer.velocity.0`` for SGD with momentum, ``optimizer.square_avg.0`` for RMSprop) and
    ``optimizer.iterations`` (an int64 scalar, the step count).

Metadata (every value is a string; JSON where noted)
    ``format``
        ``"neuronal"``: the marker that tells our files from other safetensors files.
    ``format_version``
        ``"1"``.
    ``kind``
        ``"model"`` (:func:`save`) or ``"checkpoint"`` (:func:`save_checkpoint`).
    ``neuronal_version``
        The version of neuronal that wrote the file.
    ``config``
        JSON of ``network.get_config()``: the layers (type and constructor arguments,
        activations included), loss, optimiser and its hyper-parameters, dtype, seed, name.
    ``epochs_trained``
        Decimal integer, ``network.epochs_trained``.
    ``history``
        JSON ``{"epoch": [0, 1, ...], "history": {"loss": [...], ...}}`` (``network.history``).
    ``tensors_sha256``
        Hex SHA-256 over every tensor's name, dtype, shape and bytes, in name order.
    ``metadata_sha256``
        Hex SHA-256 over every other metadata entry (JSON with sorted keys).
    ``optimizer`` (checkpoints only)
        JSON ``{"name": "adam", "slots": ["m_sum", "v_sum"], "n_params": 4}``.
    ``rng_state`` (checkpoints only)
        JSON of ``network.rng.bit_generator.state``.

The two digests detect truncation, corruption and edits (a flipped byte, changed metadata,
swapped tensors) and :func:`load` refuses such a file with :class:`~neuronal.ModelFileError`.
They are not a signature: someone who rewrites a file on purpose can recompute them. Loading
an untrusted file still runs no code of its own.

Writes are atomic: the file is written to a temporary file in the same directory, flushed and
fsync'ed, then renamed over the target with ``os.replace``, so a crash (or a kill) during a
save leaves the previous file intact and never a half-written one. A save killed outright can
leave its temporary file (``.NAME.PID.RANDOM.tmp`` next to the target); the next successful
save of that path deletes such leftovers once their process is gone.

Loading into PyTorch
--------------------
The tensor index is the index of the layer in *our* network. PyTorch has no layer that
includes its activation: ``Dense(784, 16, activation="sigmoid")`` is two modules there,
``nn.Linear`` then ``nn.Sigmoid``, and the activation module takes an index of its own.
Two ways to load into ``nn.Sequential``:

1. Build the network with standalone :class:`~neuronal.Activation` layers; then indices match
   one-to-one and the file loads unchanged::

       net = nl.Network([nl.Dense(784, 16), nl.Activation("sigmoid"),
                         nl.Dense(16, 10), nl.Activation("softmax")])
       nl.save(net, "m.safetensors")
       model = nn.Sequential(nn.Linear(784, 16), nn.Sigmoid(),
                             nn.Linear(16, 10), nn.Softmax(dim=1))
       model.load_state_dict(safetensors.torch.load_file("m.safetensors"))

2. For layers with a built-in activation (``Network.from_shape("784x16x10")``), renumber with
   :func:`to_torch_state_dict`: every layer that carries a non-linear activation of its own
   (``Dense(..., activation="sigmoid")``) counts as two ``nn.Sequential`` modules, the layer
   and then its activation; every other layer (``Dropout``, ``Activation``, a linear
   ``Dense``) counts as one::

       state = nl.io.to_torch_state_dict("784x16x10.safetensors")   # 0.*, 2.* (not 0.*, 1.*)
       model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})

Checkpoint files also hold ``optimizer.*`` tensors, which an ``nn.Module`` does not expect:
load a model file (or use :func:`to_torch_state_dict`, which returns layer tensors only).
PyTorch's batch norm has one buffer neuronal does not keep, ``num_batches_tracked``: load the
raw file with ``strict=False``, or use :func:`to_torch_state_dict`, which adds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

from .errors import ModelFileError, NeuronalError
from .layers.activation import Activation
from .layers.base import Layer
from .network import Network
from .training import History

__all__ = ["save", "load", "save_checkpoint", "load_checkpoint", "to_torch_state_dict"]

FORMAT = "neuronal"
FORMAT_VERSION = 1
MODEL, CHECKPOINT = "model", "checkpoint"
_OPT = "optimizer."
_REQUIRED = ("format_version", "kind", "config", "epochs_trained", "history", "tensors_sha256",
             "metadata_sha256")
_CHECKPOINT_REQUIRED = ("optimizer", "rng_state")
_RESAVE = ("the file is damaged or was edited: restore it from a backup, or save the network "
           "again (nl.save, or fit(checkpoint=...) for a checkpoint)")


# ---------------------------------------------------------------------------------- saving


def save(network: Network, path) -> None:
    """Save a network to one ``.safetensors`` file: architecture, settings, weights, history.

    The file is written atomically (a crash mid-save leaves any previous file intact) and the
    parent directories are created if missing. See the module docstring for the format.

    Parameters
    ----------
    network : Network
    path : str or os.PathLike
        Conventionally ending in ``.safetensors``.

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
    tensors = _layer_tensors(network)
    _write(path, tensors, _metadata(network, MODEL))


def save_checkpoint(network: Network, path) -> None:
    """Save everything needed to resume training exactly, atomically, to one file.

    On top of what :func:`save` stores: the optimiser state (``network.optimizer.state_dict()``
    as ``optimizer.*`` tensors) and the state of the network's random generator (which drives
    shuffling and dropout). ``fit(..., checkpoint=path)`` calls this after every epoch.

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
            tensors[f"{_OPT}{slot}.{j}"] = _storable(arr if arr is not None else np.zeros_like(p))
    tensors[f"{_OPT}iterations"] = np.array(int(opt.iterations), dtype=np.int64)
    metadata = _metadata(network, CHECKPOINT)
    metadata["optimizer"] = _dumps({"name": opt.name, "slots": slots, "n_params": len(params)})
    metadata["rng_state"] = _dumps(network.rng.bit_generator.state)
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


def _json_default(obj: Any):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def _dumps(obj: Any) -> str:
    try:
        return json.dumps(obj, default=_json_default, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise NeuronalError(
            f"cannot save: the network's configuration holds a value JSON cannot store ({exc}); "
            f"a layer's get_config() must return numbers, strings, lists and dicts only"
        ) from None


def _metadata(network: Network, kind: str) -> dict[str, str]:
    from . import __version__

    history = network.history
    return {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "kind": kind,
        "neuronal_version": __version__,
        "config": _dumps(network.get_config()),
        "epochs_trained": str(int(network.epochs_trained)),
        "history": _dumps({"epoch": list(history.epoch), "history": history.history}),
    }


def _tensors_digest(tensors: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        arr = tensors[name]
        h.update(json.dumps([name, arr.dtype.str, list(arr.shape)]).encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def _metadata_digest(metadata: dict[str, str]) -> str:
    rest = {k: v for k, v in metadata.items() if k != "metadata_sha256"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()


def _seal(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> dict[str, str]:
    """``metadata`` with the two digests (re)computed for ``tensors``."""
    metadata = {k: v for k, v in metadata.items() if k not in ("tensors_sha256", "metadata_sha256")}
    metadata["tensors_sha256"] = _tensors_digest(tensors)
    metadata["metadata_sha256"] = _metadata_digest(metadata)
    return metadata


def _write(path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    data = safetensors.numpy.save(tensors, metadata=_seal(tensors, metadata))
    _atomic_write(path, data)


def _atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is always either the old or the new file."""
    path = Path(os.fspath(path))
    if path.is_dir():
        raise NeuronalError(f"cannot save to {str(path)!r}: it is a directory; give a file name")
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    # O_EXCL: never follow or reuse an existing file; mode 0o666 & ~umask like a plain open().
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)
    _remove_stale_temporaries(path)


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files that killed saves of ``path`` left behind (POSIX only).

    Only files named like ours (``.NAME.PID.XXXXXXXX.tmp``) whose writing process no longer
    exists are removed, so a save in progress in another live process is never disturbed.
    """
    if os.name != "posix":  # os.kill(pid, 0) only probes on POSIX
        return
    pattern = re.compile(re.escape(f".{path.name}.") + r"(\d+)\.[0-9a-f]{8}\.tmp")
    try:
        candidates = [(e.path, m) for e in os.scandir(path.parent)
                      if (m := pattern.fullmatch(e.name)) is not None]
    except OSError:
        return
    for name, m in candidates:
        pid = int(m.group(1))
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:  # its writer is gone: the file can never be completed
            try:
                os.unlink(name)
            except OSError:
                pass
        except (PermissionError, OverflowError, OSError):
            pass  # alive (another user's process) or unknowable: leave it


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------- reading


class _File:
    """A parsed, verified file: its kind, decoded metadata and tensors."""

    def __init__(self, path: str, kind: str, metadata: dict[str, str],
                 tensors: dict[str, np.ndarray]) -> None:
        self.path, self.kind, self.metadata, self.tensors = path, kind, metadata, tensors

    def fail(self, problem: str, todo: str = _RESAVE) -> ModelFileError:
        return ModelFileError(f"{self.path}: {problem}; {todo}")

    def json(self, key: str, expected: type, what: str):
        try:
            value = json.loads(self.metadata[key])
        except (ValueError, RecursionError) as exc:
            raise self.fail(f"metadata {key!r} ({what}) is not valid JSON ({exc})") from None
        if not isinstance(value, expected):
            raise self.fail(
                f"metadata {key!r} ({what}) should be a JSON {expected.__name__}, "
                f"found {type(value).__name__}"
            )
        return value

    @property
    def layer_tensors(self) -> dict[str, np.ndarray]:
        return {k: v for k, v in self.tensors.items() if not k.startswith(_OPT)}


_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (a PyTorch .pt/.pth file from torch.save, a NumPy .npz or a "
                    "Keras .keras file)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (a Keras .h5 model?)"),
)


def _looks_like(data: bytes) -> str:
    if len(data) >= 2 and data[0] == 0x80 and 1 <= data[1] <= 5:
        return ("it looks like a Python pickle (a PyTorch .pt/.pkl file?); neuronal never "
                "unpickles, since unpickling can run arbitrary code")
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            return f"it looks like {what}"
    return "it is not a safetensors file, or it was truncated or overwritten"


def _read(path, what: str = "model") -> _File:
    """Read, parse and verify a neuronal file; every problem becomes a ModelFileError."""
    try:
        name = os.fspath(path)
    except TypeError:
        raise ModelFileError(
            f"expected a file path (str or pathlib.Path) to a {what} file, "
            f"got {type(path).__name__}"
        ) from None
    expected = ("a .safetensors file written by nl.save / network.save or a checkpoint written "
                "by fit(checkpoint=...) / save_checkpoint")
    try:
        data = Path(name).read_bytes()
    except FileNotFoundError:
        raise ModelFileError(
            f"no such file: {name!r} (working directory {os.getcwd()!r}); expected {expected}; "
            f"check the path"
        ) from None
    except IsADirectoryError:
        raise ModelFileError(
            f"{name!r} is a directory; expected {expected}; pass the file itself"
        ) from None
    except OSError as exc:
        raise ModelFileError(f"cannot read {name!r}: {exc}") from None

    def foreign(problem: str) -> ModelFileError:
        return ModelFileError(
            f"{name}: {problem}: {_looks_like(data)}. Expected {expected}; load files saved "
            f"by neuronal, or re-save the model with nl.save"
        )

    if len(data) < 8:
        raise foreign(f"the file is only {len(data)} bytes, too short for a safetensors header")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        raise foreign(
            f"the first 8 bytes announce a header of {n} bytes but only {len(data) - 8} bytes "
            f"follow (truncated, or not a safetensors file)"
        )
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise foreign(f"the safetensors header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise foreign(f"the safetensors header is a JSON {type(header).__name__}, not an object")
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        meta = {}
    found = meta.get("format")
    if found != FORMAT:
        tensors = sorted(k for k in header if k != "__metadata__")
        shown = ", ".join(tensors[:6]) + (", ..." if len(tensors) > 6 else "")
        raise ModelFileError(
            f"{name}: a safetensors file, but not one written by neuronal: expected metadata "
            f"format={FORMAT!r}, found "
            + (f"format={found!r}" if found is not None else
               f"no such marker (metadata keys {sorted(meta)})")
            + f"; it holds tensors [{shown}]. To load bare weights (e.g. a PyTorch state_dict), "
            f"build the Network yourself and call network.set_weights(...)"
        )
    version = meta.get("format_version")
    if version != str(FORMAT_VERSION):
        newer = version is not None and version.isdigit() and int(version) > FORMAT_VERSION
        raise ModelFileError(
            f"{name}: file format version {version!r}, but this neuronal reads version "
            f"{FORMAT_VERSION}; "
            + ("it was written by a newer neuronal: upgrade neuronal to load it" if newer
               else _RESAVE)
        )
    missing = [k for k in _REQUIRED if k not in meta]
    if missing:
        raise ModelFileError(f"{name}: metadata keys {missing} are missing; {_RESAVE}")
    if _metadata_digest(meta) != meta["metadata_sha256"]:
        raise ModelFileError(
            f"{name}: the metadata were altered or corrupted (their SHA-256 does not match the "
            f"metadata_sha256 recorded when the file was written); {_RESAVE}"
        )
    try:
        tensors = safetensors.numpy.load(data)
    except Exception as exc:  # safetensors raises SafetensorError (an Exception subclass)
        raise ModelFileError(
            f"{name}: the tensor data are truncated or inconsistent with the header ({exc}); "
            f"{_RESAVE}"
        ) from None
    if _tensors_digest(tensors) != meta["tensors_sha256"]:
        raise ModelFileError(
            f"{name}: the tensor data were altered or corrupted (their SHA-256 does not match "
            f"the tensors_sha256 recorded when the file was written); {_RESAVE}"
        )
    kind = meta["kind"]
    if kind not in (MODEL, CHECKPOINT):
        raise ModelFileError(
            f"{name}: metadata kind must be {MODEL!r} or {CHECKPOINT!r}, found {kind!r}; {_RESAVE}"
        )
    if kind == CHECKPOINT:
        missing = [k for k in _CHECKPOINT_REQUIRED if k not in meta]
        if missing:
            raise ModelFileError(
                f"{name}: checkpoint metadata keys {missing} are missing; {_RESAVE}"
            )
    return _File(name, kind, meta, tensors)


def _config(f: _File) -> dict:
    config = f.json("config", dict, "the architecture")
    if not isinstance(config.get("layers"), list) or not config["layers"]:
        raise f.fail("the saved architecture (metadata 'config') has no list of layers")
    return config


def _build(f: _File) -> Network:
    config = _config(f)
    try:
        return Network.from_config(config)
    except Exception as exc:
        raise f.fail(
            f"cannot rebuild the network from the saved architecture ({exc}). Only registered "
            f"layer types can be loaded (known: {', '.join(sorted(Layer.types))})",
            todo="if the file comes from a newer neuronal with layer types this version lacks, "
                 "upgrade neuronal; otherwise " + _RESAVE,
        ) from None


def _check_layer_tensors(f: _File, network: Network) -> list[dict[str, np.ndarray]]:
    """The per-layer tensors of ``f``, checked against ``network`` (names, shapes, dtypes)."""
    tensors = f.layer_tensors
    expected = {
        f"{i}.{k}": v for i, layer in enumerate(network.layers) for k, v in layer.state().items()
    }
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise f.fail(
            f"the tensors do not fit the saved architecture: expected {sorted(expected)}, "
            f"found {sorted(tensors)} (missing {missing}, unexpected {extra})"
        )
    per_layer: list[dict[str, np.ndarray]] = [{} for _ in network.layers]
    for key, own in expected.items():
        arr = tensors[key]
        if arr.shape != own.shape or arr.dtype != own.dtype:
            raise f.fail(
                f"tensor {key!r} should be {own.dtype} of shape {own.shape} for the saved "
                f"architecture, found {arr.dtype} of shape {arr.shape}"
            )
        i, name = key.split(".", 1)
        per_layer[int(i)][name] = arr
    return per_layer


def _progress(f: _File) -> tuple[int, History]:
    try:
        epochs = int(f.metadata["epochs_trained"])
    except ValueError:
        epochs = -1
    if epochs < 0:
        raise f.fail(
            f"metadata 'epochs_trained' should be an integer >= 0, found "
            f"{f.metadata['epochs_trained']!r}"
        )
    data = f.json("history", dict, "the training history")
    hist, epoch = data.get("history"), data.get("epoch")
    ok = isinstance(hist, dict) and isinstance(epoch, list)
    history = History()
    if ok:
        try:
            history.epoch = [int(e) for e in epoch]
            history.history = {str(k): [float(x) for x in v] for k, v in hist.items()}
        except (TypeError, ValueError):
            ok = False
    if not ok:
        raise f.fail(
            'metadata \'history\' should be {"epoch": [ints], "history": {key: [numbers]}}'
        )
    return epochs, history


def _check_rng_state(f: _File, network: Network) -> dict:
    state = f.json("rng_state", dict, "the random-generator state")
    bitgen = network.rng.bit_generator
    kind = type(bitgen).__name__
    if state.get("bit_generator") != kind:
        raise f.fail(
            f"the saved random-generator state is for {state.get('bit_generator')!r}, but the "
            f"network's generator is {kind}"
        )
    try:  # validate on a scratch generator before touching the network's
        type(bitgen)().state = state
    except Exception as exc:
        raise f.fail(f"the saved random-generator state is invalid ({exc})") from None
    return state


def _check_optimizer_state(f: _File, network: Network) -> dict[str, np.ndarray]:
    info = f.json("optimizer", dict, "the optimiser's state layout")
    opt = network.optimizer
    saved = (info.get("name"), info.get("slots"))
    if saved != (opt.name, list(opt.slots)):
        raise f.fail(
            f"the checkpoint holds the state of optimizer {saved[0]!r} with slots {saved[1]}, "
            f"but the network uses {opt.name!r} with slots {list(opt.slots)}",
            todo="resume with the optimiser the checkpoint was written with (same type and, for "
                 "SGD, momentum on or off), or start a new checkpoint file",
        )
    params = [p for p, _ in network.parameters()]
    state = {k[len(_OPT):]: v for k, v in f.tensors.items() if k.startswith(_OPT)}
    expected = {f"{slot}.{j}": p for slot in opt.slots for j, p in enumerate(params)}
    missing = sorted(set(expected) - set(state)) + ([] if "iterations" in state else ["iterations"])
    extra = sorted(set(state) - set(expected) - {"iterations"})
    if missing or extra:
        raise f.fail(
            f"the optimiser tensors do not fit the network: missing "
            f"{[_OPT + k for k in missing]}, unexpected {[_OPT + k for k in extra]}"
        )
    for key, p in expected.items():
        if state[key].shape != p.shape or state[key].dtype != p.dtype:
            raise f.fail(
                f"tensor {_OPT + key!r} should be {p.dtype} of shape {p.shape}, found "
                f"{state[key].dtype} of shape {state[key].shape}"
            )
    it = state["iterations"]
    if it.shape != () or it.dtype.kind not in "iu" or int(it) < 0:
        raise f.fail(
            f"tensor 'optimizer.iterations' should be an integer scalar >= 0, found {it!r}"
        )
    return state


def _restore(f: _File, network: Network, per_layer, progress, extra=None) -> None:
    """Apply already-validated state to ``network`` (nothing here can fail on file content)."""
    for layer, tensors in zip(network.layers, per_layer):
        layer.load_state(tensors)
    network.epochs_trained, history = progress
    network.history.history, network.history.epoch = history.history, history.epoch
    if extra is not None:
        opt_state, rng_state = extra
        network.optimizer.load_state_dict(opt_state, network.parameters())
        network.rng.bit_generator.state = rng_state


def _checkpoint_state(f: _File, network: Network):
    return _check_optimizer_state(f, network), _check_rng_state(f, network)


def load(path) -> Network:
    """Load a network saved with :func:`save` (or a checkpoint from :func:`save_checkpoint`).

    The network is rebuilt from its saved architecture (only layer types registered in
    ``Layer.types``) with its loss, optimiser, dtype, weights, ``history`` and
    ``epochs_trained``; its predictions are bit-identical to the saved network's. For a
    checkpoint the optimiser state and random-generator state are restored too, so training
    continues exactly where the checkpoint was taken.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Network

    Raises
    ------
    ModelFileError
        The file is missing, truncated, corrupted or edited (digest mismatch, tensors that do
        not fit the architecture, an unknown layer type), or not a neuronal file (another
        safetensors file, a pickle, random bytes).
    """
    f = _read(path)
    network = _build(f)
    per_layer = _check_layer_tensors(f, network)
    progress = _progress(f)
    extra = _checkpoint_state(f, network) if f.kind == CHECKPOINT else None
    _restore(f, network, per_layer, progress, extra)
    return network


def load_checkpoint(network: Network, path) -> None:
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

    Raises
    ------
    ModelFileError
        As for :func:`load`; also when the file is a plain model (no training state), or the
        architecture, dtype or optimiser type differs from ``network``'s.
    """
    _check_network(network, "load_checkpoint")
    f = _read(path, what="checkpoint")
    if f.kind != CHECKPOINT:
        raise f.fail(
            "this is a saved model (nl.save), not a training checkpoint: it holds no optimiser "
            "or random-generator state",
            todo="load it with nl.load(path), or pass a file written by fit(checkpoint=...) or "
                 "save_checkpoint",
        )
    config = _config(f)
    ours = json.loads(_dumps(network.get_config()))
    if config["layers"] != ours["layers"]:
        raise f.fail(
            f"the checkpoint was written by a network with different layers: the file has "
            f"{_describe(config['layers'])}, this network has {_describe(ours['layers'])}",
            todo="resume with the same architecture, or use a new checkpoint path to start over",
        )
    if config.get("dtype") != network.dtype.name:
        raise f.fail(
            f"the checkpoint holds {config.get('dtype')} weights but the network is "
            f"{network.dtype.name}",
            todo=f"build the network with dtype={config.get('dtype')!r} to resume",
        )
    per_layer = _check_layer_tensors(f, network)
    progress = _progress(f)
    extra = _checkpoint_state(f, network)
    _restore(f, network, per_layer, progress, extra)


def _describe(layers: list) -> str:
    def one(spec) -> str:
        if not isinstance(spec, dict):
            return repr(spec)
        args = ", ".join(f"{k}={v!r}" for k, v in (spec.get("config") or {}).items())
        return f"{spec.get('type')}({args})"

    return "[" + ", ".join(one(s) for s in layers) + "]"


# ---------------------------------------------------------------------------------- PyTorch


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

