"""CSV loading: success paths and errors that point at the line and column."""

from __future__ import annotations

import re

import numpy as np
import pytest

from neuronal.datasets import load_csv
from neuronal.errors import DataError


def _csv(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_by_name_and_index(tmp_path):
    path = _csv(tmp_path, "height,weight,label\n1.7,60,0\n1.8, 95 ,1\n\n1.6,50,0\n")
    X, y = load_csv(path, target="label")
    assert X.dtype == np.float32 and X.shape == (3, 2)
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 0]
    np.testing.assert_array_equal(X, np.array([[1.7, 60], [1.8, 95], [1.6, 50]], np.float32))
    X2, y2 = load_csv(path, target=-1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, y3 = load_csv(path, target=0)
    assert y3.dtype == np.float32 and X3[:, 0].tolist() == [60, 95, 50]


def test_float_target_without_header_and_other_delimiter(tmp_path):
    path = _csv(tmp_path, "\ufeff1;2;0.5\n3;4;1\n")  # a byte-order mark is ignored
    X, y = load_csv(path, target=2, delimiter=";", header=False)
    assert X.tolist() == [[1, 2], [3, 4]]
    assert y.dtype == np.float32 and y.tolist() == [0.5, 1.0]


def test_bad_value_names_file_line_and_column(tmp_path):
    path = _csv(tmp_path, "a,b,label\n1,2,0\n3,abc,1\n")
    expected = re.escape(f"{str(path)!r}, line 3, column 'b'") + ".*got 'abc'"
    with pytest.raises(DataError, match=expected):
        load_csv(path, target="label")


def test_empty_field_and_nan_are_rejected(tmp_path):
    path = _csv(tmp_path, "a,label\n1,0\n\n,1\n")
    with pytest.raises(DataError, match="line 4, column 'a'.*an empty field"):
        load_csv(path, target="label")
    path = _csv(tmp_path, "a,label\nnan,0\n", "nan.csv")
    with pytest.raises(DataError, match="line 2, column 'a'.*got 'nan'"):
        load_csv(path, target="label")


def test_wrong_field_count(tmp_path):
    path = _csv(tmp_path, "a,b,label\n1,2,0\n1,2\n")
    with pytest.raises(DataError, match="line 3: expected 3 fields like the header, got 2"):
        load_csv(path, target="label")


def test_empty_and_header_only(tmp_path):
    with pytest.raises(DataError, match="is empty"):
        load_csv(_csv(tmp_path, "\n\n", "empty.csv"), target=0)
    with pytest.raises(DataError, match="header but no data rows"):
        load_csv(_csv(tmp_path, "a,label\n", "header.csv"), target="label")


def test_target_errors(tmp_path):
    path = _csv(tmp_path, "a,b,label\n1,2,0\n")
    with pytest.raises(DataError, match="unknown target column 'y'.*'a', 'b', 'label'"):
        load_csv(path, target="y")
    with pytest.raises(DataError, match="target index 3 is out of range"):
        load_csv(path, target=3)
    with pytest.raises(DataError, match="header=False.*pass the column's index"):
        load_csv(path, target="label", header=False)
    with pytest.raises(DataError, match="only the target column"):
        load_csv(_csv(tmp_path, "label\n1\n", "one.csv"), target=0)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_csv(tmp_path / "nope.csv", target=0)
