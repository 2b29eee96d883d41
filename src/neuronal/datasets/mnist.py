"""MNIST and Fashion-MNIST: found in a data directory or downloaded, always verified.

Both data sets come as four IDX files (see :mod:`neuronal.datasets.idx`)::

    train-images-idx3-ubyte.gz   60000 x 28 x 28 uint8
    train-labels-idx1-ubyte.gz   60000 uint8 in 0..9
    t10k-images-idx3-ubyte.gz    10000 x 28 x 28 uint8
    t10k-labels-idx1-ubyte.gz    10000 uint8 in 0..9

kept in ``<data dir>/mnist/`` and ``<data dir>/fashion-mnist/`` (the un-gzipped names are accepted
too). See :mod:`neuronal.datasets.download` for the order in which data directories are searched.

MNIST files are verified by the SHA-256 of their *decompressed* content, so a re-compressed copy
is accepted as long as the images and labels are byte-identical to the canonical ones;
Fashion-MNIST files by the published MD5 of the original ``.gz`` files. Decompression stops at
the size the expected shape implies, so a decompression bomb costs no more memory than the real
file. Every file is verified once per process (per path, size and modification time); later
loads skip the hash.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Union

import numpy as np

from ..errors import DataError
from .download import (
    ENV_VAR,
    DatasetNotFoundError,
    DownloadError,
    cache_dir,
    data_dirs,
    download_file,
    get_data_dir,
)
from .idx import parse_idx
from .verify import _DISPLAY, _NUM_CLASSES, GZ_MD5, MD5, SHA256, SHAPES
from .verify import check_content as _check_content
from .verify import max_bytes as _max_bytes
from .verify import read_file as _read

__all__ = ["load_mnist", "load_fashion_mnist", "MIRRORS", "MD5", "SHA256", "GZ_MD5", "SHAPES",
           "FILES"]

PathLike = Union[str, "os.PathLike[str]"]
Split = tuple[np.ndarray, np.ndarray]

#: The four files of each data set, without the ``.gz`` suffix, in load order.
FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

#: Base URLs of public mirrors, tried in order; a file's URL is ``base + name + ".gz"``. HTTPS
#: first; Fashion-MNIST's own bucket serves plain HTTP only, which the published MD5 of each
#: file (``GZ_MD5``) makes safe to use as a fallback.
MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion-mnist": [
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
}

# (resolved path, size, mtime_ns, data set, file, what it was checked against)
_VERIFIED: set[tuple[object, ...]] = set()


def _load_file(dataset: str, stem: str, path: Path) -> np.ndarray:
    """Read one file, verifying it unless this exact file was verified before in this process."""
    raw, gz = _read(dataset, stem, path)
    try:
        st = path.stat()
        key: tuple[object, ...] | None = (
            str(path.resolve()),
            st.st_size,
            st.st_mtime_ns,
            dataset,
            stem,
            SHA256.get(dataset, {}).get(stem) or MD5.get(dataset, {}).get(stem)
            or GZ_MD5.get(dataset, {}).get(stem) or SHAPES.get(dataset, {}).get(stem),
        )
    except OSError:
        key = None
    if key is not None and key in _VERIFIED:
        return parse_idx(raw, str(path))
    array = _check_content(dataset, stem, raw, str(path), gz)
    if key is not None:
        _VERIFIED.add(key)
    return array


def _find(folders: list[Path], stem: str) -> Path | None:
    for folder in folders:
        for name in (stem + ".gz", stem):
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None


def _verifier(dataset: str, stem: str) -> Callable[[Path], None]:
    def verify(path: Path) -> None:
        raw, gz = _read(dataset, stem, path)
        _check_content(dataset, stem, raw, f"downloaded {stem}.gz", gz)

    return verify


def _not_found(
    dataset: str, data_dir: PathLike | None, folders: list[Path], missing: list[str], why: str
) -> DatasetNotFoundError:
    display = _DISPLAY[dataset]
    target = get_data_dir(data_dir) / dataset
    hint = ""
    for folder in folders:
        parent = folder.parent
        if any((parent / (stem + ext)).is_file() for stem in missing for ext in (".gz", "")):
            hint = f" (found some of them directly in {str(parent)!r}: move them into {dataset}/)"
            break
    return DatasetNotFoundError(
        f"{display} not found: looked for {', '.join(s + '.gz' for s in missing)} (or the names "
        f"without .gz) in {', '.join(repr(str(f)) for f in folders)}{hint}; {why}. "
        f"Put the four files {', '.join(s + '.gz' for s in FILES)} in {str(target)!r}, "
        f"or set {ENV_VAR} (or pass data_dir=) to a folder that contains {dataset}/ with them."
    )


def _resolve_files(dataset: str, data_dir: PathLike | None, download: bool) -> list[Path]:
    folders = [d / dataset for d in data_dirs(data_dir)]
    found = {stem: _find(folders, stem) for stem in FILES}
    missing = [stem for stem, path in found.items() if path is None]
    if missing and not download:
        raise _not_found(dataset, data_dir, folders, missing, "downloading is off (download=False)")
    if missing:
        dest_folder = cache_dir() / dataset
        dead_mirrors: set[str] = set()
        for stem in missing:
            urls = [base.rstrip("/") + "/" + stem + ".gz" for base in MIRRORS.get(dataset, [])]
            try:
                limit = _max_bytes(dataset, stem)
                found[stem] = download_file(
                    urls, dest_folder / (stem + ".gz"), _verifier(dataset, stem), skip=dead_mirrors,
                    max_bytes=None if limit is None else 2 * limit + 65536,
                )
            except DownloadError as exc:
                why = f"downloading {stem}.gz failed: " + (
                    "; ".join(exc.reasons) or f"no mirrors are listed for {dataset!r}"
                )
                raise _not_found(dataset, data_dir, folders, missing, why) from None
    return [path for path in found.values() if path is not None]


def _load(
    dataset: str,
    data_dir: PathLike | None,
    download: bool,
    normalize: bool,
    flatten: bool,
    dtype: object,
) -> tuple[Split, Split]:
    try:
        out_dtype = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        raise DataError(
            f"dtype must be a NumPy floating dtype such as 'float32', got {dtype!r}; "
            "pass dtype='float32' or 'float64'"
        ) from None
    if normalize and out_dtype.kind != "f":
        raise DataError(
            f"dtype must be a floating dtype when normalize=True, got {out_dtype}; pass "
            "dtype='float32' (or normalize=False to get the raw uint8 pixels)"
        )
    paths = _resolve_files(dataset, data_dir, download)
    arrays = [_load_file(dataset, stem, path) for stem, path in zip(FILES, paths)]
    splits: list[Split] = []
    for images, labels, image_path, label_path in (
        (arrays[0], arrays[1], paths[0], paths[1]),
        (arrays[2], arrays[3], paths[2], paths[3]),
    ):
        if images.ndim != 3 or images.dtype != np.uint8:
            raise DataError(
                f"{str(image_path)!r} should hold uint8 images of shape (n, rows, cols), got "
                f"{images.dtype} of shape {images.shape}; replace it with the original file"
            )
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise DataError(
                f"{str(label_path)!r} should hold one label per image of {str(image_path)!r} "
                f"({images.shape[0]}), got shape {labels.shape}; replace both with the originals"
            )
        if labels.size and int(labels.max()) >= _NUM_CLASSES:
            raise DataError(
                f"{str(label_path)!r} should hold labels 0..9, got {int(labels.max())}; "
                "replace it with the original file"
            )
        x: np.ndarray = images
        if normalize:
            # A 256-entry lookup table gives exactly k / 255 in one pass over the pixels, about
            # four times faster than astype() followed by an in-place division.
            x = (np.arange(256, dtype=out_dtype) / out_dtype.type(255))[images]
        if flatten:
            x = x.reshape(x.shape[0], -1)
        splits.append((x, labels.astype(np.int64)))
    return splits[0], splits[1]


def load_mnist(
    data_dir: PathLike | None = None,
    download: bool = True,
    *,
    normalize: bool = True,
    flatten: bool = True,
    dtype: str | np.dtype = "float32",
) -> tuple[Split, Split]:
    """Load MNIST, the 28x28 grayscale handwritten digits 0-9.

    Files are verified by the SHA-256 of their decompressed content (once per process and file).

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        A data directory searched first; it holds a ``mnist/`` folder with the four files.
        Then ``$NEURONAL_DATA`` and the user cache (``$XDG_CACHE_HOME/neuronal`` or
        ``~/.cache/neuronal``) are searched.
    download : bool, default True
        Download missing files from the public mirrors in ``MIRRORS["mnist"]`` into the user
        cache. Downloads are streamed to a temporary file, verified, then moved into place.
    normalize : bool, default True
        Return pixels as floats in [0, 1] of type ``dtype``; ``False`` returns the raw ``uint8``
        values 0..255.
    flatten : bool, default True
        Return images as rows of 784 pixels, shape ``(n, 784)``; ``False`` gives ``(n, 28, 28)``.
    dtype : str or numpy.dtype, default "float32"
        Floating type of the normalized pixels (ignored when ``normalize=False``).

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of tuples of numpy.ndarray
        60,000 training and 10,000 test images; labels are ``int64`` of shape ``(n,)`` in 0..9.

    Raises
    ------
    DatasetNotFoundError
        If the files are in no data directory and cannot be downloaded (or ``download=False``).
    DataError
        If a file is corrupted, truncated or fails verification, or ``dtype`` is not floating.

    Examples
    --------
    >>> (X_train, y_train), (X_test, y_test) = load_mnist()  # doctest: +SKIP
    >>> X_train.shape, X_train.dtype, y_train.dtype  # doctest: +SKIP
    ((60000, 784), dtype('float32'), dtype('int64'))
    """
    return _load("mnist", data_dir, download, normalize, flatten, dtype)


def load_fashion_mnist(
    data_dir: PathLike | None = None,
    download: bool = True,
    *,
    normalize: bool = True,
    flatten: bool = True,
    dtype: str | np.dtype = "float32",
) -> tuple[Split, Split]:
    """Load Fashion-MNIST, 28x28 grayscale images of 10 kinds of clothing (labels 0-9).

    Files are verified by the published MD5 of the original ``.gz`` files (the MD5s of their
    decompressed content are not published, so keep the ``.gz`` files as downloaded), then
    structurally (uint8, labels 0..9).

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        A data directory searched first; it holds a ``fashion-mnist/`` folder with the four files.
        Then ``$NEURONAL_DATA`` and the user cache (``$XDG_CACHE_HOME/neuronal`` or
        ``~/.cache/neuronal``) are searched.
    download : bool, default True
        Download missing files from the public mirrors in ``MIRRORS["fashion-mnist"]`` into the user
        cache. Downloads are streamed to a temporary file, verified, then moved into place.
    normalize : bool, default True
        Return pixels as floats in [0, 1] of type ``dtype``; ``False`` returns the raw ``uint8``
        values 0..255.
    flatten : bool, default True
        Return images as rows of 784 pixels, shape ``(n, 784)``; ``False`` gives ``(n, 28, 28)``.
    dtype : str or numpy.dtype, default "float32"
        Floating type of the normalized pixels (ignored when ``normalize=False``).

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of tuples of numpy.ndarray
        60,000 training and 10,000 test images; labels are ``int64`` of shape ``(n,)`` in 0..9.

    Raises
    ------
    DatasetNotFoundError
        If the files are in no data directory and cannot be downloaded (or ``download=False``).
    DataError
        If a file is corrupted, truncated or fails verification, or ``dtype`` is not floating.
    """
    return _load("fashion-mnist", data_dir, download, normalize, flatten, dtype)
