"""The fuzz targets: each feeds one input to one parser and lets only documented errors pass.

A target returns normally when the parser accepted the input or refused it with a
:class:`neuronal.NeuronalError` (the documented outcome); any other exception propagates and
is a finding. Used by the atheris harnesses in this folder (``fuzz_*.py``) and by the bounded
hypothesis tests in ``tests/test_fuzz.py``.

Targets
-------
``load``
    ``nl.load`` of the bytes as a model file (then ``predict`` on one sample when it loads).
``load-sealed``
    The same after recomputing the file's two digests (as an attacker can), so that fuzzing
    reaches the checks behind them.
``idx``
    ``parse_idx`` of the bytes, and of their gzip decompression (bounded) when they are gzip.
``csv``
    ``load_csv`` of the bytes as a CSV file, with the last column as the target.
``png``
    ``load_digit_image`` of the bytes as a picture.
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import tempfile
from collections.abc import Callable

import numpy as np

import neuronal as nl
from neuronal.datasets import idx as _idx
from neuronal.datasets import load_csv
from neuronal.errors import NeuronalError
from neuronal.images import load_digit_image

__all__ = ["TARGETS", "SEEDS", "scratch_file"]

_SCRATCH = tempfile.mkdtemp(prefix="neuronal-fuzz-", dir="/dev/shm" if os.path.isdir(
    "/dev/shm") else None)
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)


def scratch_file(name: str, data: bytes) -> str:
    """Write ``data`` to a scratch file (in memory where the system has /dev/shm)."""
    path = os.path.join(_SCRATCH, name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def fuzz_load(data: bytes) -> None:
    path = scratch_file("model.safetensors", data)
    try:
        net = nl.load(path)
    except NeuronalError:
        return
    shape = net.sample_shape or getattr(net.layers[0], "input_shape", None)
    if shape and all(isinstance(s, int) and 0 < s <= 4096 for s in shape):
        try:
            net.predict(np.zeros((1, *shape), dtype=net.dtype))
        except NeuronalError:
            pass


def reseal(data: bytes) -> bytes:
    """``data`` with both digests recomputed when its header can be read (else unchanged).

    An attacker can recompute the digests, so the checks behind them must hold on their own:
    fuzzing resealed files reaches them, where random bytes stop at a digest mismatch.
    """
    import hashlib
    import json

    from neuronal.io.format import metadata_digest, tensor_preamble
    from neuronal.io.header import DTYPES

    if len(data) < 8:
        return data
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8 or n > 1 << 20:
        return data
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
        meta = header.get("__metadata__")
        if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
            return data
        h = hashlib.sha256()
        for name in sorted(k for k in header if k != "__metadata__"):
            spec = header[name]
            b, e = spec["data_offsets"]
            h.update(tensor_preamble(name, DTYPES[spec["dtype"]], spec["shape"]))
            h.update(data[8 + n + b:8 + n + e])
        meta["tensors_sha256"] = h.hexdigest()
        meta["metadata_sha256"] = metadata_digest(meta)
        text = json.dumps(header).encode()
    except Exception:  # not resealable: fuzz it as it is
        return data
    return len(text).to_bytes(8, "little") + text + data[8 + n:]


def fuzz_load_sealed(data: bytes) -> None:
    fuzz_load(reseal(data))


def fuzz_idx(data: bytes) -> None:
    try:
        _idx.parse_idx(data, "<fuzz>")
    except NeuronalError:
        pass
    if data[:2] == b"\x1f\x8b":
        try:
            _idx.parse_idx(_idx.gunzip_idx(data, "<fuzz>", max_bytes=64 * 2**20), "<fuzz>")
        except NeuronalError:
            pass


def fuzz_csv(data: bytes) -> None:
    path = scratch_file("data.csv", data)
    for target, header in ((-1, True), (0, False)):
        try:
            load_csv(path, target=target, header=header)
        except NeuronalError:
            pass


def fuzz_png(data: bytes) -> None:
    path = scratch_file("digit.png", data)
    try:
        load_digit_image(path)
    except NeuronalError:
        pass


TARGETS: dict[str, Callable[[bytes], None]] = {
    "load": fuzz_load, "load-sealed": fuzz_load_sealed, "idx": fuzz_idx, "csv": fuzz_csv,
    "png": fuzz_png,
}


# ------------------------------------------------------------------------------------ seeds


def _model_seeds() -> list[bytes]:
    out = []
    nets = [nl.Network.from_shape("4x3x2", seed=0),
            nl.Network([nl.Dense(3, 4, activation="relu"), nl.Dropout(0.2), nl.BatchNorm(4),
                        nl.Dense(4, 2, activation="softmax")], optimizer="adam", seed=1,
                       dtype="float64")]
    for i, net in enumerate(nets):
        path = scratch_file(f"seed{i}.safetensors", b"")
        nl.save(net, path)
        out.append(open(path, "rb").read())
        X = np.random.default_rng(0).standard_normal((6, net.layers[0].n_inputs))
        net.fit(X, np.arange(6) % 2, epochs=1, verbose=0)
        nl.io.save_checkpoint(net, path)
        out.append(open(path, "rb").read())
    return out


def _idx_seeds() -> list[bytes]:
    import gzip

    out = []
    for arr in (np.arange(12, dtype=np.uint8).reshape(3, 4), np.arange(5, dtype=np.int16),
                np.linspace(0, 1, 8).reshape(2, 2, 2)):
        path = scratch_file("seed.idx", b"")
        _idx.write_idx(path, arr)
        raw = open(path, "rb").read()
        out += [raw, gzip.compress(raw, mtime=0)]
    return out


def _png_seeds() -> list[bytes]:
    from PIL import Image

    img = np.zeros((20, 16), dtype=np.uint8)
    img[4:16, 7:9] = 255  # a "1"
    out = []
    for mode in ("L", "RGB"):
        buf = io.BytesIO()
        Image.fromarray(img).convert(mode).save(buf, format="PNG")
        out.append(buf.getvalue())
    return out


SEEDS: dict[str, Callable[[], list[bytes]]] = {
    "load": _model_seeds,
    "load-sealed": _model_seeds,
    "idx": _idx_seeds,
    "csv": lambda: [b"a,b,label\n1,2,0\n3,4,1\n", b"x;y\n1.5;2\n", b"\xef\xbb\xbf1,2,3\n4,5,6\n"],
    "png": _png_seeds,
}
