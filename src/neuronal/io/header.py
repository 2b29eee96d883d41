"""Opening a model file and checking its header before anything else is read or built.

:func:`open_model_file` reads the 8-byte length and the JSON header only, and checks them
against each other and against the file's size: every tensor's dtype, shape and byte range,
no gaps or overlaps, nothing after the last tensor; then the metadata (marker, version,
required keys, digest). The tensor data are not touched here: a header that lies about them
is refused without reading or allocating anything of its size.
"""

from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import dataclass

import numpy as np

from ..errors import ModelFileError
from .format import (
    CHECKPOINT,
    CHECKPOINT_REQUIRED,
    FORMAT,
    FORMAT_VERSION,
    MODEL,
    OPT,
    REQUIRED,
    RESAVE,
    metadata_digest,
)

__all__ = ["Entry", "ModelFile", "open_model_file", "MAX_HEADER_BYTES", "DTYPES"]

#: Largest JSON header accepted (safetensors' own limit).
MAX_HEADER_BYTES = 100 * 1024 * 1024
#: Most dimensions a tensor may have (NumPy's limit).
MAX_DIMS = 64
#: safetensors dtype names -> NumPy dtypes neuronal reads (little-endian, as the format says).
DTYPES: dict[str, np.dtype] = {
    name: np.dtype(code) for name, code in (
        ("F16", "<f2"), ("F32", "<f4"), ("F64", "<f8"), ("I8", "i1"), ("I16", "<i2"),
        ("I32", "<i4"), ("I64", "<i8"), ("U8", "u1"), ("U16", "<u2"), ("U32", "<u4"),
        ("U64", "<u8"), ("BOOL", "?"),
    )
}
_EXPECTED = ("a .safetensors file written by nl.save / network.save or a checkpoint written "
             "by fit(checkpoint=...) / save_checkpoint")


@dataclass(frozen=True)
class Entry:
    """One tensor as the header declares it: dtype, shape, absolute byte range in the file."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    start: int
    end: int


class ModelFile:
    """An open model file whose header and metadata passed every check.

    Attributes
    ----------
    path : str
        The path as the user gave it (used in messages).
    kind : str
        ``"model"`` or ``"checkpoint"``.
    metadata : dict of str to str
    entries : dict of str to Entry
        Every tensor, in the order of their bytes in the file.
    """

    def __init__(self, path: str, fh, kind: str, metadata: dict[str, str],
                 entries: dict[str, Entry]) -> None:
        self.path, self.fh, self.kind = path, fh, kind
        self.metadata, self.entries = metadata, entries

    def __enter__(self) -> ModelFile:
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()

    def fail(self, problem: str, todo: str = RESAVE) -> ModelFileError:
        return ModelFileError(f"{self.path}: {problem}; {todo}")

    def json(self, key: str, expected: type, what: str):
        """Metadata entry ``key`` decoded from JSON, checked to be an ``expected``."""
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
    def layer_entries(self) -> dict[str, Entry]:
        return {k: v for k, v in self.entries.items() if not k.startswith(OPT)}

    @property
    def optimizer_entries(self) -> dict[str, Entry]:
        return {k[len(OPT):]: v for k, v in self.entries.items() if k.startswith(OPT)}


_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (a PyTorch .pt/.pth file from torch.save, a NumPy .npz or a "
                    "Keras .keras file)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (a Keras .h5 model?)"),
)


def _looks_like(start: bytes) -> str:
    if len(start) >= 2 and start[0] == 0x80 and 1 <= start[1] <= 5:
        return ("it looks like a Python pickle (a PyTorch .pt/.pkl file?); neuronal never "
                "unpickles, since unpickling can run arbitrary code")
    for magic, what in _SIGNATURES:
        if start.startswith(magic):
            return f"it looks like {what}"
    return "it is not a safetensors file, or it was truncated or overwritten"


def _open(path, what: str):
    """(name shown in messages, open binary file, its size); every failure a ModelFileError."""
    try:
        name = os.fspath(path)
    except TypeError:
        raise ModelFileError(
            f"expected a file path (str or pathlib.Path) to a {what} file, "
            f"got {type(path).__name__}"
        ) from None
    try:
        st = os.stat(name)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block, a device never end
            raise ModelFileError(
                f"{name!r} is not a regular file (a pipe, socket or device); expected "
                f"{_EXPECTED}"
            )
        fh = open(name, "rb")  # noqa: SIM115 - closed by ModelFile
        size = os.fstat(fh.fileno()).st_size
    except FileNotFoundError:
        raise ModelFileError(
            f"no such file: {name!r} (working directory {os.getcwd()!r}); expected {_EXPECTED}; "
            f"check the path"
        ) from None
    except IsADirectoryError:
        raise ModelFileError(
            f"{name!r} is a directory; expected {_EXPECTED}; pass the file itself"
        ) from None
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        raise ModelFileError(f"cannot read {name!r}: {exc}") from None
    return name, fh, size


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"the key {dup!r} appears twice")
    return dict(pairs)


def _no_constants(text: str):
    raise ValueError(f"{text} is not a JSON number")


def open_model_file(path, what: str = "model") -> ModelFile:
    """Open ``path`` and check its header and metadata; the tensor data are not read.

    Raises
    ------
    ModelFileError
        For every problem: missing, unreadable, not a safetensors file, not ours, a newer
        format, a header that does not match the file's size, edited metadata.
    """
    name, fh, size = _open(path, what)
    try:
        return _check(name, fh, size)
    except BaseException:
        fh.close()
        raise


def _check(name: str, fh, size: int) -> ModelFile:
    start = fh.read(16)

    def foreign(problem: str) -> ModelFileError:
        return ModelFileError(
            f"{name}: {problem}: {_looks_like(start)}. Expected {_EXPECTED}; load files saved "
            f"by neuronal, or re-save the model with nl.save"
        )

    if size < 8:
        raise foreign(f"the file is only {size} bytes, too short for a safetensors header")
    n = int.from_bytes(start[:8], "little")
    if n > size - 8:
        raise foreign(
            f"the first 8 bytes announce a header of {n} bytes but only {size - 8} bytes "
            f"follow (truncated, or not a safetensors file)"
        )
    if n > MAX_HEADER_BYTES:
        raise foreign(
            f"the first 8 bytes announce a header of {n} bytes, more than the "
            f"{MAX_HEADER_BYTES} bytes a safetensors header may have"
        )
    fh.seek(8)
    raw = fh.read(n)
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates,
                            parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise foreign(f"the safetensors header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise foreign(f"the safetensors header is a JSON {type(header).__name__}, not an object")
    meta = header.pop("__metadata__", None)
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        meta = {}
    found = meta.get("format")
    if found != FORMAT:
        tensors = sorted(header)
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
        newer = (version is not None and version.isdigit() and len(version) < 20
                 and int(version) > FORMAT_VERSION)
        raise ModelFileError(
            f"{name}: file format version {version!r}, but this neuronal reads version "
            f"{FORMAT_VERSION}; "
            + ("it was written by a newer neuronal: upgrade neuronal to load it" if newer
               else RESAVE)
        )
    entries = _entries(name, header, data_start=8 + n, size=size)
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ModelFileError(f"{name}: metadata keys {missing} are missing; {RESAVE}")
    if metadata_digest(meta) != meta["metadata_sha256"]:
        raise ModelFileError(
            f"{name}: the metadata were altered or corrupted (their SHA-256 does not match the "
            f"metadata_sha256 recorded when the file was written); {RESAVE}"
        )
    kind = meta["kind"]
    if kind not in (MODEL, CHECKPOINT):
        raise ModelFileError(
            f"{name}: metadata kind must be {MODEL!r} or {CHECKPOINT!r}, found {kind!r}; {RESAVE}"
        )
    if kind == CHECKPOINT:
        missing = [k for k in CHECKPOINT_REQUIRED if k not in meta]
        if missing:
            raise ModelFileError(
                f"{name}: checkpoint metadata keys {missing} are missing; {RESAVE}"
            )
    return ModelFile(name, fh, kind, meta, entries)


def _entries(name: str, header: dict, data_start: int, size: int) -> dict[str, Entry]:
    """Every tensor entry, checked; their byte ranges must tile the data section exactly."""

    def bad(problem: str) -> ModelFileError:
        return ModelFileError(
            f"{name}: the tensor data are truncated or inconsistent with the header ({problem}); "
            f"{RESAVE}"
        )

    entries: list[Entry] = []
    for key, spec in header.items():
        if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data_offsets"}:
            raise bad(f"tensor {key!r} should be described by dtype, shape and data_offsets")
        dtype = DTYPES.get(spec["dtype"]) if isinstance(spec["dtype"], str) else None
        if dtype is None:
            raise bad(f"tensor {key!r} has dtype {spec['dtype']!r}; neuronal reads "
                      f"{', '.join(DTYPES)}")
        shape, offsets = spec["shape"], spec["data_offsets"]
        if (not isinstance(shape, list) or len(shape) > MAX_DIMS
                or not all(type(s) is int and s >= 0 for s in shape)):
            raise bad(f"tensor {key!r} has shape {str(shape)[:80]}; expected at most "
                      f"{MAX_DIMS} sizes >= 0")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(type(o) is int for o in offsets) or not 0 <= offsets[0] <= offsets[1]):
            raise bad(f"tensor {key!r} has data_offsets {str(offsets)[:80]}; expected [begin, end]")
        nbytes = math.prod(shape) * dtype.itemsize
        if offsets[1] - offsets[0] != nbytes:
            raise bad(f"tensor {key!r} of shape {tuple(shape)[:8]} needs {nbytes} bytes, its "
                      f"data_offsets span {offsets[1] - offsets[0]}")
        entries.append(Entry(key, dtype, tuple(shape), data_start + offsets[0],
                             data_start + offsets[1]))
    entries.sort(key=lambda e: (e.start, e.end))
    position = data_start
    for e in entries:
        if e.start != position:
            raise bad(f"tensor {e.name!r} starts at byte {e.start - data_start} of the data, "
                      f"expected {position - data_start}")
        position = e.end
    if position > size:
        raise ModelFileError(
            f"{name}: the file is truncated: its header declares {position - data_start} bytes "
            f"of tensor data but only {size - data_start} follow; {RESAVE}"
        )
    if position < size:
        raise bad(f"{size - position} bytes follow the last tensor")
    return {e.name: e for e in entries}
