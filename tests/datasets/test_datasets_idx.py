"""IDX reading and writing: round trips and every kind of damaged file."""

from __future__ import annotations

import gzip
import re
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neuronal.datasets import read_idx, write_idx
from neuronal.errors import DataError

DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]


def _raw(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("suffix", [".idx", ".idx.gz"])
def test_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(2 * 3 * 4) - 7).reshape(2, 3, 4).astype(dtype)
    path = write_idx(tmp_path / f"a{suffix}", array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)
    assert back.dtype.isnative
    assert back.flags.writeable
    np.testing.assert_array_equal(back, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == suffix.endswith(".gz")


@settings(max_examples=25, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from(DTYPES),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
    )
)
def test_round_trip_property(tmp_path_factory, array):
    path = tmp_path_factory.mktemp("idx") / "x.idx.gz"
    back = read_idx(write_idx(path, array))
    assert back.shape == array.shape and back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)


def test_big_endian_layout_matches_the_format(tmp_path):
    array = np.array([1, 256, -2], dtype=np.int32)
    path = write_idx(tmp_path / "x.idx", array)
    assert path.read_bytes() == b"\x00\x00\x0c\x01" + b"\x00\x00\x00\x03" + (
        b"\x00\x00\x00\x01\x00\x00\x01\x00\xff\xff\xff\xfe"
    )


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gz_named_raw = tmp_path / "x.idx"
    gz_named_raw.write_bytes(gzip.compress(_raw(array)))
    raw_named_gz = tmp_path / "y.idx.gz"
    raw_named_gz.write_bytes(_raw(array))
    np.testing.assert_array_equal(read_idx(gz_named_raw), array)
    np.testing.assert_array_equal(read_idx(raw_named_gz), array)


def _bad(tmp_path, content: bytes, name: str = "bad.idx"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_truncated_data(tmp_path):
    path = _bad(tmp_path, _raw(np.zeros((4, 5), np.uint8))[:-1])
    with pytest.raises(DataError, match=re.escape(str(path)) + ".*truncated.*19 data byte"):
        read_idx(path)


def test_trailing_bytes(tmp_path):
    path = _bad(tmp_path, _raw(np.zeros((4, 5), np.uint8)) + b"\x00")
    with pytest.raises(DataError, match="trailing bytes"):
        read_idx(path)


def test_truncated_header(tmp_path):
    with pytest.raises(DataError, match="truncated.*header of at least 4 bytes"):
        read_idx(_bad(tmp_path, b"\x00\x00"))
    with pytest.raises(DataError, match="truncated.*3 dimension"):
        read_idx(_bad(tmp_path, b"\x00\x00\x08\x03\x00\x00\x00\x02"))


def test_bad_magic(tmp_path):
    content = b"\x01\x02" + _raw(np.zeros(3, np.uint8))[2:]
    with pytest.raises(DataError, match="bad magic number.*0x01 0x02"):
        read_idx(_bad(tmp_path, content))


def test_unknown_type_code(tmp_path):
    content = b"\x00\x00\x0a\x01\x00\x00\x00\x01\x00"
    with pytest.raises(DataError, match="unknown data type code 0x0A.*0x08 \\(uint8\\)"):
        read_idx(_bad(tmp_path, content))


def test_zero_dimensions(tmp_path):
    with pytest.raises(DataError, match="0 dimensions"):
        read_idx(_bad(tmp_path, b"\x00\x00\x08\x00"))


def test_bad_gzip_stream(tmp_path):
    path = _bad(tmp_path, b"\x1f\x8b" + b"this is not deflate data" * 4, "x.gz")
    with pytest.raises(DataError, match=re.escape(str(path)) + ".*damaged gzip"):
        read_idx(path)


def test_truncated_gzip_stream(tmp_path):
    content = gzip.compress(_raw(np.arange(1000, dtype=np.int32) % 251))
    path = _bad(tmp_path, content[: len(content) // 2], "x.gz")
    with pytest.raises(DataError, match="damaged gzip"):
        read_idx(path)


def test_gzip_crc_mismatch(tmp_path):
    content = bytearray(gzip.compress(_raw(np.arange(100, dtype=np.uint8))))
    content[-8] ^= 0xFF  # the CRC32 in the gzip trailer
    with pytest.raises(DataError, match="damaged gzip"):
        read_idx(_bad(tmp_path, bytes(content), "x.gz"))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_idx(tmp_path / "nope.idx")


def test_write_rejects_unsupported_arrays(tmp_path):
    with pytest.raises(DataError, match="cannot store dtype int64.*astype"):
        write_idx(tmp_path / "x.idx", np.arange(3))
    with pytest.raises(DataError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "x.idx", np.array(3, dtype=np.uint8))
