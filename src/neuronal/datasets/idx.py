"""Reading and writing IDX files, the format MNIST and Fashion-MNIST are distributed in.

An IDX file is a tiny header followed by raw big-endian numbers::

    bytes 0-1   0x00 0x00                       (magic)
    byte  2     type code                       (0x08 uint8, 0x09 int8, 0x0B int16,
                                                 0x0C int32, 0x0D float32, 0x0E float64)
    byte  3     number of dimensions d
    4*d bytes   the size of each dimension      (big-endian uint32)
    the rest    prod(sizes) numbers             (big-endian, row-major)

Files are often gzipped; :func:`read_idx` recognises a gzip stream by its magic bytes, whatever the
file is called.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import Union

import numpy as np

from ..errors import DataError

__all__ = ["read_idx", "write_idx", "read_idx_bytes", "parse_idx", "gunzip_idx", "declared_size",
           "DecompressionLimitError"]

PathLike = Union[str, "os.PathLike[str]"]

#: IDX type code -> big-endian NumPy dtype.
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

class DecompressionLimitError(DataError):
    """A gzip stream decompresses to more than allowed (a decompression bomb, or another file)."""


_GZIP_MAGIC = b"\x1f\x8b"
_HEADER = struct.Struct(">BBBB")
_LONGEST_HEADER = _HEADER.size + 4 * 255


def _type_names() -> str:
    return ", ".join(
        f"0x{code:02X} ({dt.newbyteorder('=').name})" for code, dt in IDX_TYPES.items()
    )


#: Largest decompressed content :func:`read_idx_bytes` accepts by default (4 GiB).
MAX_BYTES = 4 * 1024**3
#: Most dimensions an IDX array may have here (NumPy's own limit).
MAX_DIMS = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32


def declared_size(head: bytes) -> int | None:
    """Bytes (header included) of the IDX content whose first bytes are ``head``.

    None when ``head`` is too short to tell or is not an IDX header (bad magic, type code or
    dimension count); the parser then says what is wrong.
    """
    if len(head) < _HEADER.size:
        return None
    zero0, zero1, type_code, ndim = _HEADER.unpack_from(head, 0)
    if zero0 or zero1 or type_code not in IDX_TYPES or not 1 <= ndim <= MAX_DIMS:
        return None
    if len(head) < _HEADER.size + 4 * ndim:
        return None
    shape = struct.unpack_from(f">{ndim}I", head, _HEADER.size)
    return _HEADER.size + 4 * ndim + math.prod(shape) * IDX_TYPES[type_code].itemsize


def read_idx_bytes(path: PathLike, max_bytes: int | None = None) -> bytes:
    """Return the IDX content of a file, decompressed when the file is a gzip stream.

    Decompression is bounded: it stops as soon as the output exceeds what the IDX header at
    its start declares (plus one byte, to detect trailing data) or ``max_bytes``, so a
    decompression bomb costs at most that much memory.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read. Gzip is detected by the magic bytes ``1f 8b``, not by the file name.
    max_bytes : int, optional
        Largest content accepted (default :data:`MAX_BYTES`, 4 GiB). Loaders that know the
        exact size of a file pass it.

    Returns
    -------
    bytes
        The uncompressed content (header and data).

    Raises
    ------
    DataError
        If the file does not exist, cannot be read, is a damaged gzip stream, or holds (or
        decompresses to) more than ``max_bytes`` or than its header declares.
    """
    path = Path(path)
    limit = MAX_BYTES if max_bytes is None else int(max_bytes)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(2)
            if head != _GZIP_MAGIC and size > limit:
                raise DataError(
                    f"IDX file {str(path)!r} holds {size} bytes, more than the {limit} expected; "
                    "check the path (or pass a larger max_bytes)"
                )
            raw = head + fh.read()
    except FileNotFoundError:
        raise DataError(
            f"IDX file {str(path)!r} does not exist: expected an existing file, "
            "check the path (or the data directory it was built from)"
        ) from None
    except OSError as exc:
        raise DataError(
            f"cannot read IDX file {str(path)!r}: {exc.strerror or exc}; "
            "check that it is a readable regular file"
        ) from None
    if raw[:2] != _GZIP_MAGIC:
        return raw
    return gunzip_idx(raw, str(path), limit)


def gunzip_idx(raw: bytes, source: str, max_bytes: int = MAX_BYTES) -> bytes:
    """Decompress a gzip stream (one or more members) holding IDX content, within bounds.

    The output may not exceed ``max_bytes``, nor the size the IDX header at its start
    declares by more than one byte (the parser then reports the trailing byte).

    Raises
    ------
    DataError
        A damaged gzip stream, or more output than allowed (a decompression bomb).
    """
    where = f"IDX file {source!r}"
    out = bytearray()
    limit, tightened = max_bytes, False
    data = raw
    try:
        while data:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while True:
                # At most 1 MiB per call: the bound tightens as soon as the header is out.
                room = max(1, min(limit + 1 - len(out), 1 << 20))
                chunk = d.decompress(data, room)
                out += chunk
                data = d.unconsumed_tail
                if len(out) > limit:
                    raise DecompressionLimitError(
                        f"{where} decompresses to more than {limit} bytes"
                        + (" (what its IDX header declares, plus one)" if tightened else "")
                        + ": a decompression bomb or a corrupted file; delete it and download "
                        "or copy it again"
                    )
                if not tightened:  # tighten the bound once the header can be read
                    declared = declared_size(bytes(out[:_LONGEST_HEADER]))
                    if declared is not None:
                        limit, tightened = min(limit, declared + 1), True
                    elif len(out) >= _LONGEST_HEADER:
                        return bytes(out)  # not an IDX header: the parser will say why
                if d.eof or (not data and len(chunk) < room):
                    break  # the member ended, or all input is used and nothing is pending
            if not d.eof:
                raise EOFError("the gzip stream ends before its end-of-stream marker")
            data = d.unused_data
            if data and data[:2] != _GZIP_MAGIC:
                break  # trailing garbage after the last member: ignored, as gzip does
    except (zlib.error, EOFError) as exc:
        raise DataError(
            f"{where} is a damaged gzip stream ({exc}): expected a complete gzip "
            "file; delete it and download or copy it again"
        ) from None
    return bytes(out)


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse the uncompressed content of an IDX file.

    Parameters
    ----------
    data : bytes
        Header and data of an IDX file (already decompressed).
    source : str, optional
        Where the bytes came from; used in error messages.

    Returns
    -------
    numpy.ndarray
        A new, writable array in native byte order with the shape given by the header.

    Raises
    ------
    DataError
        If the magic number, type code or dimensions are invalid (0, more than ``MAX_DIMS``, or
        sizes whose product is too large for an array), or the data section is shorter or
        longer than the header says.
    """
    where = f"IDX file {source!r}"
    fix = "the file is corrupted or not an IDX file; delete it and download or copy it again"
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DataError(f"parse_idx expected bytes, got {type(data).__name__}; read the file "
                        "with read_idx_bytes (or open(path, 'rb').read())")
    data = bytes(data) if isinstance(data, memoryview) else data
    if len(data) < _HEADER.size:
        raise DataError(
            f"{where} is truncated: expected a header of at least 4 bytes, got {len(data)} "
            f"byte(s); {fix}"
        )
    zero0, zero1, type_code, ndim = _HEADER.unpack_from(data, 0)
    if zero0 != 0 or zero1 != 0:
        raise DataError(
            f"{where} has a bad magic number: expected the first two bytes to be 0x00 0x00, got "
            f"0x{zero0:02X} 0x{zero1:02X}; {fix}"
        )
    if type_code not in IDX_TYPES:
        raise DataError(
            f"{where} has an unknown data type code 0x{type_code:02X}: expected one of "
            f"{_type_names()}; {fix}"
        )
    if ndim == 0:
        raise DataError(f"{where} declares 0 dimensions: expected at least 1; {fix}")
    if ndim > MAX_DIMS:
        raise DataError(
            f"{where} declares {ndim} dimensions: expected at most {MAX_DIMS}; {fix}"
        )
    header_size = _HEADER.size + 4 * ndim
    if len(data) < header_size:
        raise DataError(
            f"{where} is truncated: its header declares {ndim} dimension(s), which needs "
            f"{header_size} header bytes, but the file has only {len(data)} byte(s); {fix}"
        )
    shape = struct.unpack_from(f">{ndim}I", data, _HEADER.size)
    dtype = IDX_TYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    actual = len(data) - header_size
    if actual != expected:
        problem = "is truncated" if actual < expected else "has trailing bytes"
        raise DataError(
            f"{where} {problem}: its header declares shape {tuple(shape)} of "
            f"{dtype.newbyteorder('=').name}, i.e. {expected} data bytes, but {actual} data "
            f"byte(s) follow the header; {fix}"
        )
    # NumPy refuses shapes whose non-zero sizes multiply beyond its index range, even when
    # another size is 0 (the array then holds nothing and the data section is empty).
    if math.prod(d for d in shape if d) * dtype.itemsize > np.iinfo(np.intp).max:
        raise DataError(
            f"{where} declares shape {tuple(shape)}, too large for an array on this machine "
            f"(its sizes multiply beyond {np.iinfo(np.intp).max} bytes); {fix}"
        )
    flat = np.frombuffer(data, dtype=dtype, offset=header_size, count=expected // dtype.itemsize)
    # astype copies: the result is writable and in native byte order.
    return flat.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file, gzipped or not.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read. A gzip stream is recognised by its magic bytes, whatever the file name.

    Returns
    -------
    numpy.ndarray
        The array stored in the file, writable and in native byte order (``uint8`` for the
        MNIST files).

    Raises
    ------
    DataError
        If the file is missing, is a damaged gzip stream, has a bad magic number, type code or
        dimension count, or holds more or fewer bytes than its header declares. The message names
        the file.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "x.idx.gz")
    >>> _ = write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    return parse_idx(read_idx_bytes(path), source=str(path))


def write_idx(path: PathLike, array: np.ndarray) -> Path:
    """Write an array as an IDX file, gzipped when ``path`` ends with ``.gz``.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; its parent folder must exist.
    array : numpy.ndarray
        At least one-dimensional array of dtype ``uint8``, ``int8``, ``int16``, ``int32``,
        ``float32`` or ``float64``.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    DataError
        If the array has no dimensions, a dimension too large for IDX, or a dtype IDX cannot store.
    """
    path = Path(path)
    arr = np.asarray(array)
    if arr.ndim == 0 or arr.ndim > 255:
        raise DataError(
            f"write_idx expected an array with 1 to 255 dimensions, got {arr.ndim}; "
            "reshape it (e.g. np.atleast_1d) before writing"
        )
    native = {dt.newbyteorder("="): code for code, dt in IDX_TYPES.items()}
    code = native.get(arr.dtype.newbyteorder("="))
    if code is None:
        raise DataError(
            f"write_idx cannot store dtype {arr.dtype}: expected one of "
            f"{', '.join(dt.name for dt in native)}; convert with array.astype(...) first"
        )
    if any(size >= 2**32 for size in arr.shape):
        raise DataError(
            f"write_idx expected every dimension to be below 2**32, got shape {arr.shape}; "
            "split the array into several files"
        )
    header = _HEADER.pack(0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = header + np.ascontiguousarray(arr, dtype=IDX_TYPES[code]).tobytes()
    if path.name.endswith(".gz"):
        with (
            open(path, "wb") as fh,
            gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz,
        ):
            gz.write(payload)
    else:
        path.write_bytes(payload)
    return path
