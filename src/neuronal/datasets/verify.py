"""What MNIST-like files must be: the published hashes and shapes, and the check against them.

Used by :mod:`neuronal.datasets.mnist` for local files and downloads alike.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np

from ..errors import DataError
from .idx import MAX_BYTES, DecompressionLimitError, gunzip_idx, parse_idx, read_idx_bytes

__all__ = ["MD5", "SHA256", "GZ_MD5", "SHAPES", "check_content", "read_file", "max_bytes"]

_DISPLAY = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}

_NUM_CLASSES = 10

#: MD5 of the *decompressed* IDX content of each file. Hashing the decompressed bytes (rather than
#: the .gz file) accepts copies that were re-compressed, as long as the data are identical.
MD5: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion-mnist": {},
}

#: SHA-256 of the decompressed IDX content (computed from the canonical MNIST files, whose
#: decompressed MD5s above they share).
SHA256: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte":
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte":
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte":
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte":
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {},
}

#: MD5 of the original ``.gz`` files as published. Fashion-MNIST's are those listed in Zalando
#: Research's fashion-mnist repository (README, "Get the Data") and used by torchvision's
#: ``FashionMNIST``; the hashes of its decompressed content are not published, so a
#: Fashion-MNIST file must be the original ``.gz``. MNIST files are checked by their content.
GZ_MD5: dict[str, dict[str, str]] = {
    "mnist": {},
    "fashion-mnist": {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

#: Expected shape of each file, checked for every file; it also bounds decompression.
SHAPES: dict[str, dict[str, tuple[int, ...]]] = {
    name: {
        "train-images-idx3-ubyte": (60000, 28, 28),
        "train-labels-idx1-ubyte": (60000,),
        "t10k-images-idx3-ubyte": (10000, 28, 28),
        "t10k-labels-idx1-ubyte": (10000,),
    }
    for name in ("mnist", "fashion-mnist")
}

def max_bytes(dataset: str, stem: str) -> int | None:
    """The decompressed size of a file with the expected shape (uint8): a bound for gunzip."""
    shape = SHAPES.get(dataset, {}).get(stem)
    return None if shape is None else 4 + 4 * len(shape) + math.prod(shape)


def read_file(dataset: str, stem: str, path: Path) -> tuple[bytes, bytes | None]:
    """(decompressed content, the gzip bytes or None), decompression bounded by the shape."""
    limit = max_bytes(dataset, stem)
    cap = None if limit is None else 2 * limit + 65536  # a .gz is never much larger than this
    try:
        if cap is not None and path.stat().st_size > cap:
            raise DataError(
                f"{str(path)!r} holds {path.stat().st_size} bytes, more than any "
                f"{_DISPLAY[dataset]} file {stem}; delete it and download or copy it again"
            )
        data = path.read_bytes()
    except OSError:
        return read_idx_bytes(path), None  # read_idx_bytes words the error
    if data[:2] != b"\x1f\x8b":
        return data, None
    try:
        return gunzip_idx(data, str(path), limit if limit is not None else MAX_BYTES), data
    except DecompressionLimitError:
        shape = SHAPES[dataset][stem]
        raise DataError(
            f"{str(path)!r} is not the {_DISPLAY[dataset]} file {stem}: it decompresses to more "
            f"than the {limit} bytes of uint8 data of shape {tuple(shape)} (a decompression "
            f"bomb, or another file); delete it and download or copy it again"
        ) from None


def check_content(dataset: str, stem: str, raw: bytes, source: str,
                   gz: bytes | None = None) -> np.ndarray:
    """Verify one file by its hashes (and shape, dtype, labels) and return it parsed.

    It passes when the MD5 of its gzip bytes matches the published ``.gz`` (``GZ_MD5``), or
    when the SHA-256 (else MD5) of its decompressed content matches (``SHA256``, ``MD5``).
    """
    fix = "delete it and run again with download=True, or copy a good file in its place"
    sha = SHA256.get(dataset, {}).get(stem)
    md5 = MD5.get(dataset, {}).get(stem)
    gz_md5 = GZ_MD5.get(dataset, {}).get(stem)
    matched = gz is not None and gz_md5 is not None and _md5(gz) == gz_md5
    if not matched and sha:
        actual = hashlib.sha256(raw).hexdigest()
        if actual != sha:
            raise DataError(
                f"{source!r} is not the {_DISPLAY[dataset]} file {stem}: expected the SHA-256 of "
                f"its decompressed content to be {sha}, got {actual}; {fix}"
            )
    elif not matched and md5:
        actual = _md5(raw)
        if actual != md5:
            raise DataError(
                f"{source!r} is not the {_DISPLAY[dataset]} file {stem}: expected the MD5 of its "
                f"decompressed content to be {md5}, got {actual}; {fix}"
            )
    elif not matched and gz_md5:
        got = f"got {_md5(gz)}" if gz is not None else "it is not gzipped"
        raise DataError(
            f"{source!r} is not the original {_DISPLAY[dataset]} file {stem}.gz: expected the "
            f"MD5 of the .gz file to be {gz_md5} (the published one), {got}; the hash of its "
            f"decompressed content is not published, so keep the original .gz file; {fix}"
        )
    array = parse_idx(raw, source)
    expected_shape = SHAPES.get(dataset, {}).get(stem)
    if not (sha or md5 or gz_md5) and expected_shape is not None \
            and array.shape != tuple(expected_shape):
        raise DataError(
            f"{source!r} is not the {_DISPLAY[dataset]} file {stem}: expected shape "
            f"{tuple(expected_shape)}, got {array.shape}; {fix}"
        )
    if array.dtype != np.uint8:
        raise DataError(
            f"{source!r} is not the {_DISPLAY[dataset]} file {stem}: expected uint8 data, "
            f"got {array.dtype}; {fix}"
        )
    if "labels" in stem and array.size and int(array.max()) >= _NUM_CLASSES:
        raise DataError(
            f"{source!r} is not the {_DISPLAY[dataset]} file {stem}: expected labels 0..9, "
            f"got a label {int(array.max())}; {fix}"
        )
    return array


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
