"""Checking a model file's metadata against the architecture, before any tensor is read.

Each function takes an open :class:`~neuronal.io.header.ModelFile` and raises its
``fail(...)`` (a :class:`~neuronal.ModelFileError` naming the file) on the first problem.
"""

from __future__ import annotations

import json

import numpy as np

from ..layers.base import Layer
from ..network import Network
from ..training import History
from .format import RESAVE, dumps
from .header import Entry, ModelFile
from .shapes import state_shapes

__all__ = ["config", "declared_layers", "check_layer_entries", "progress", "rng_state",
           "optimizer_entries", "describe_layers", "rebuild", "same_layers"]

_DTYPES = ("float32", "float64")


def config(f: ModelFile) -> dict:
    """The saved architecture (metadata ``config``), with a non-empty list of layers."""
    cfg = f.json("config", dict, "the architecture")
    if not isinstance(cfg.get("layers"), list) or not cfg["layers"]:
        raise f.fail("the saved architecture (metadata 'config') has no list of layers")
    if cfg.get("dtype", "float32") not in _DTYPES:
        raise f.fail(f"the saved architecture has dtype {cfg.get('dtype')!r}, expected one of "
                     f"{list(_DTYPES)}")
    return cfg


def _rebuild_failed(f: ModelFile, exc: BaseException):
    return f.fail(
        f"cannot rebuild the network from the saved architecture ({exc}). Only registered "
        f"layer types can be loaded (known: {', '.join(sorted(Layer.types))})",
        todo="if the file comes from a newer neuronal with layer types this version lacks, "
             "upgrade neuronal; otherwise " + RESAVE,
    )


def declared_layers(f: ModelFile, cfg: dict) -> list[Layer]:
    """The saved layers, constructed but not built (no parameters allocated yet)."""
    layers = []
    try:
        for i, spec in enumerate(cfg["layers"]):
            kind = spec.get("type") if isinstance(spec, dict) else None
            if kind not in Layer.types:
                raise ValueError(f"layer {i} has unknown type {kind!r}; known layer types: "
                                 f"{', '.join(sorted(Layer.types))}")
            args = spec.get("config", {})
            if not isinstance(args, dict):
                raise ValueError(f"layer {i}'s arguments are a {type(args).__name__}, not a dict")
            layers.append(Layer.types[kind].from_config(args))
    except Exception as exc:  # any constructor error: TypeError, ValueError, OverflowError...
        raise _rebuild_failed(f, exc) from None
    return layers


def rebuild(f: ModelFile, cfg: dict) -> Network:
    """The network of ``cfg``, built without random initialisation (``initialize=False``)."""
    try:
        return Network.from_config(cfg, initialize=False)
    except MemoryError:
        raise f.fail("the saved architecture is too large for this machine's memory",
                     todo="load it on a machine with more memory") from None
    except Exception as exc:
        raise _rebuild_failed(f, exc) from None


def _expected(layers, dtype: np.dtype) -> dict[str, tuple[np.dtype, tuple]] | None:
    out = {}
    for i, layer in enumerate(layers):
        shapes = state_shapes(layer)
        if shapes is None:
            return None
        out.update({f"{i}.{k}": (dtype, shape) for k, shape in shapes.items()})
    return out


def check_layer_entries(f: ModelFile, layers, dtype) -> None:
    """The header's layer tensors must be exactly those ``layers`` hold (names, shapes, dtypes).

    ``layers`` may be unbuilt: their shapes then come from their arguments, and nothing of
    their size has been allocated. For a layer type whose shapes cannot be known before it is
    built (a user-defined type), only the check after building (``layers`` built) is complete.
    """
    expected = _expected(layers, np.dtype(dtype))
    if expected is None:
        return
    found = f.layer_entries
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    if missing or extra:
        raise f.fail(
            f"the tensors do not fit the saved architecture: expected {sorted(expected)}, "
            f"found {sorted(found)} (missing {missing}, unexpected {extra})"
        )
    for key, (dt, shape) in expected.items():
        _check_entry(f, found[key], dt, shape, "for the saved architecture")


def _check_entry(f: ModelFile, entry: Entry, dtype: np.dtype, shape: tuple, what: str) -> None:
    if entry.shape != tuple(shape) or entry.dtype != dtype:
        raise f.fail(
            f"tensor {entry.name!r} should be {dtype} of shape {tuple(shape)} {what}, found "
            f"{entry.dtype} of shape {entry.shape}"
        )


def progress(f: ModelFile) -> tuple[int, History]:
    """``epochs_trained`` and the training history, checked."""
    text = f.metadata["epochs_trained"]
    try:
        epochs = int(text) if len(text) <= 18 else -1
    except ValueError:
        epochs = -1
    if epochs < 0:
        raise f.fail(f"metadata 'epochs_trained' should be an integer >= 0, found {text[:40]!r}")
    data = f.json("history", dict, "the training history")
    hist, epoch = data.get("history"), data.get("epoch")
    ok = isinstance(hist, dict) and isinstance(epoch, list)
    history = History()
    if ok:
        try:
            history.epoch = [int(e) for e in epoch]
            history.history = {str(k): [float(x) for x in v] for k, v in hist.items()}
        except (TypeError, ValueError, OverflowError):  # Infinity as an epoch, 400-digit ints
            ok = False
    if not ok:
        raise f.fail(
            'metadata \'history\' should be {"epoch": [ints], "history": {key: [numbers]}}'
        )
    return epochs, history


def rng_state(f: ModelFile, network: Network) -> dict:
    """The saved random-generator state, validated on a scratch generator."""
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


def optimizer_entries(f: ModelFile, network: Network) -> dict[str, Entry]:
    """The optimiser-state tensors (keys without ``optimizer.``), checked against ``network``.

    The slot names come from the optimiser (``optimizer.slots``); a file written with slot
    names the optimiser has since renamed is accepted when ``optimizer.legacy_slots`` maps
    them (``{old: new}``), and its tensors keep their old names for
    ``optimizer.load_state_dict`` to convert.
    """
    info = f.json("optimizer", dict, "the optimiser's state layout")
    opt = network.optimizer
    saved_name, saved_slots = info.get("name"), info.get("slots")
    legacy = getattr(opt, "legacy_slots", None) or {}
    slots_ok = isinstance(saved_slots, list) and all(isinstance(s, str) for s in saved_slots)
    renamed = [legacy.get(s, s) for s in saved_slots] if slots_ok else None
    if (saved_name, renamed) != (opt.name, list(opt.slots)):
        raise f.fail(
            f"the checkpoint holds the state of optimizer {saved_name!r} with slots "
            f"{saved_slots}, but the network uses {opt.name!r} with slots {list(opt.slots)}",
            todo="resume with the optimiser the checkpoint was written with (same type and, for "
                 "SGD, momentum on or off), or start a new checkpoint file",
        )
    params = [p for p, _ in network.parameters()]
    found = f.optimizer_entries
    expected = {f"{slot}.{j}": p for slot in saved_slots for j, p in enumerate(params)}
    missing = sorted(set(expected) - set(found)) + ([] if "iterations" in found
                                                    else ["iterations"])
    extra = sorted(set(found) - set(expected) - {"iterations"})
    if missing or extra:
        raise f.fail(
            f"the optimiser tensors do not fit the network: missing "
            f"{['optimizer.' + k for k in missing]}, unexpected {['optimizer.' + k for k in extra]}"
        )
    for key, p in expected.items():
        _check_entry(f, found[key], p.dtype, p.shape, "for the network")
    it = found["iterations"]
    if it.shape != () or it.dtype.kind not in "iu":
        raise f.fail(
            f"tensor 'optimizer.iterations' should be an integer scalar >= 0, found "
            f"{it.dtype} of shape {it.shape}"
        )
    return found


def describe_layers(layers: list) -> str:
    def one(spec) -> str:
        if not isinstance(spec, dict):
            return repr(spec)
        args = ", ".join(f"{k}={v!r}" for k, v in (spec.get("config") or {}).items())
        return f"{spec.get('type')}({args})"

    return "[" + ", ".join(one(s) for s in layers) + "]"


def same_layers(cfg: dict, network: Network) -> bool:
    """Whether the saved layers are ``network``'s (types and arguments)."""
    return cfg["layers"] == json.loads(dumps(network.get_config()))["layers"]
