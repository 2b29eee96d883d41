"""Model files to and from a page: save (.safetensors, .onnx) and load, through the library.

Saving goes through :func:`neuronal.save` (and :func:`neuronal.export_onnx` where the library
has it), loading through :func:`neuronal.load`; both need a file, written in the server's own
temporary folder and removed straight after.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from .. import Dense, Dropout
from ..errors import NeuronalError
from .config import HIDDEN_ACTIVATIONS
from .limits import PlaygroundError

__all__ = ["save_model", "load_model", "export_onnx_model", "onnx_available"]


def _scratch(folder: Path, suffix: str) -> Path:
    return Path(folder) / f"{secrets.token_hex(8)}{suffix}"


def save_model(session, folder: Path) -> bytes:
    """The session's network as the bytes of a ``.safetensors`` file (:func:`neuronal.save`)."""
    from .. import save

    net = session._require()
    path = _scratch(folder, ".safetensors")
    try:
        save(net, path)
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def onnx_available() -> bool:
    """Whether this neuronal can export ONNX (``neuronal.export_onnx`` and the onnx package)."""
    import importlib.util

    import neuronal

    return hasattr(neuronal, "export_onnx") and importlib.util.find_spec("onnx") is not None


def export_onnx_model(session, folder: Path) -> bytes:
    """The session's network as the bytes of an ``.onnx`` file (:func:`neuronal.export_onnx`)."""
    import neuronal

    net = session._require()
    export = getattr(neuronal, "export_onnx", None)
    if export is None:
        raise PlaygroundError("ONNX export is unavailable: this version of neuronal has no "
                              "export_onnx; save the model as .safetensors instead")
    path = _scratch(folder, ".onnx")
    try:
        try:
            export(net, path)
        except (ImportError, NeuronalError) as exc:  # e.g. the onnx package is not installed
            message = " ".join(str(exc).replace(str(path), "the file").split())
            raise PlaygroundError(f"ONNX export is unavailable here: {message}") from None
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def _layout(net) -> tuple[list[int], list[str], float]:
    """Hidden sizes, hidden activations and dropout rate of a loadable network."""
    kinds = [type(layer).__name__ for layer in net.layers]
    if not all(isinstance(layer, (Dense, Dropout)) for layer in net.layers):
        raise PlaygroundError(
            f"the playground draws fully connected networks (Dense, Dropout layers); this "
            f"model has {', '.join(sorted(set(kinds) - {'Dense', 'Dropout'}))} layers")
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    rates = {layer.rate for layer in net.layers if isinstance(layer, Dropout)}
    if len(rates) > 1:
        raise PlaygroundError("this model uses different dropout rates in different layers; "
                              "the playground uses one rate for all hidden layers")
    hidden = dense[:-1]
    acts = [layer.activation.name for layer in hidden]
    bad = [a for a in acts if a not in HIDDEN_ACTIVATIONS]
    if bad:
        raise PlaygroundError(f"this model's hidden layers use {', '.join(bad)}, which the "
                              f"playground does not offer ({', '.join(HIDDEN_ACTIVATIONS)})")
    return [layer.n_neurons for layer in hidden], acts, rates.pop() if rates else 0.0


def load_model(session, content: bytes, folder: Path) -> None:
    """Load a ``.safetensors`` model (:func:`neuronal.load`) into the session.

    The model must fit the page's data (as many inputs as the data give, the output the task
    needs) and the server's limits; the page's set-up takes its hidden layers, activations and
    dropout, and its weights become the ones *reset* returns to.

    Raises
    ------
    PlaygroundError
        If the file is not a neuronal model or does not fit (the message says how).
    """
    from .. import load

    session._require()
    if len(content) > session.limits.max_upload_bytes:
        raise PlaygroundError(f"the model file has {len(content):,} bytes; the limit is "
                              f"{session.limits.max_upload_bytes:,}")
    path = _scratch(folder, ".safetensors")
    try:
        path.write_bytes(content)
        try:
            loaded = load(path)
        except NeuronalError as exc:
            message = " ".join(str(exc).replace(str(path), "the uploaded file").split())
            raise PlaygroundError(f"cannot load this model: {message}") from None
    finally:
        path.unlink(missing_ok=True)
    sizes, acts, rate = _layout(loaded)
    first = next(layer for layer in loaded.layers if isinstance(layer, Dense))
    if first.n_inputs != session.data.n_inputs:
        raise PlaygroundError(
            f"this model reads {first.n_inputs} inputs but the page's data give "
            f"{session.data.n_inputs} ({', '.join(session.data.input_names[:8])}"
            f"{', ...' if session.data.n_inputs > 8 else ''}): pick the data set and features "
            f"it was trained on")
    previous = session.setup.to_dict()
    raw = dict(previous, layers=sizes, activations=acts, dropout=rate)
    if loaded.loss.name in ("mse", "mae"):
        raw["loss"] = loaded.loss.name
    session.configure(raw)
    net = session.net
    same = ([type(x).__name__ for x in net.layers] == [type(x).__name__ for x in loaded.layers]
            and all(getattr(a, "activation", None) is None
                    or a.activation.name == b.activation.name
                    for a, b in zip(net.layers, loaded.layers)))
    if not same:
        task = (f"{session.data.n_classes} classes" if session.data.n_classes
                else "one value to predict")
        message = (f"this model ({loaded.shape}, output {loaded.layers[-1].describe()}) does not "
                   f"fit the page's data ({task}): the playground's output layer for it is "
                   f"{net.layers[-1].describe()}")
        session.configure(previous)
        raise PlaygroundError(message)
    net.set_weights(loaded.get_weights())
    session._initial = net.get_weights()
    session.reset()
