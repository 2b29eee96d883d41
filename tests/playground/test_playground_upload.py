"""CSV files uploaded to the playground: parsing, clear errors, and the data built from them."""

from __future__ import annotations

import numpy as np
import pytest

from neuronal.playground import Limits, PlaygroundError, parse_setup
from neuronal.playground.upload import parse_csv

IRIS_LIKE = b"""sepal length,sepal width,species
5.1,3.5,setosa
4.9,3.0,setosa
7.0,3.2,versicolor
6.4,3.2,versicolor

6.3,3.3,virginica
5.8,2.7,virginica
5.0,3.6,setosa
6.9,3.1,versicolor
6.5,3.0,virginica
5.4,3.9,setosa
"""


def test_columns_and_preview():
    t = parse_csv(IRIS_LIKE, "iris.csv", Limits())
    d = t.describe()
    assert d["rows"] == 10 and [c["name"] for c in d["columns"]] == [
        "sepal length", "sepal width", "species"]
    assert [c["numeric"] for c in d["columns"]] == [True, True, False]
    assert d["columns"][2]["distinct"] == 3 and d["preview"][0] == ["5.1", "3.5", "setosa"]


def test_semicolons_tabs_and_a_byte_order_mark():
    assert parse_csv(b"\xef\xbb\xbfa;b\n1;2\n", "x.csv", Limits()).columns == ["a", "b"]
    assert parse_csv(b"a\tb\n1\t2\n", "x.tsv", Limits()).cells == [["1"], ["2"]]


def test_classification_data_from_picked_columns():
    t = parse_csv(IRIS_LIKE, "iris.csv", Limits())
    setup = parse_setup({"dataset": "csv", "csv_features": ["sepal length", "sepal width"],
                         "csv_target": "species", "problem": "classification", "ratio": 70})
    d = t.page_data(setup, Limits())
    assert d.class_names == ["setosa", "versicolor", "virginica"] and d.n_classes == 3
    assert len(d.X_train) == 7 and len(d.X_test) == 3 and d.X_train.dtype == np.float32
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-6)  # standardised
    np.testing.assert_allclose(d.X_train.std(axis=0), 1, atol=1e-5)
    assert d.axis_names == ["sepal length", "sepal width"]
    assert d.to_inputs(np.array([[1.0, 2.0]], np.float32)).tolist() == [[1.0, 2.0]]


def test_regression_target_is_standardised():
    t = parse_csv(b"x,y\n" + b"".join(b"%d,%d\n" % (i, 3 * i + 100) for i in range(20)),
                  "line.csv", Limits())
    setup = parse_setup({"dataset": "csv", "csv_features": ["x"], "csv_target": "y",
                         "problem": "regression"})
    d = t.page_data(setup, Limits())
    assert d.problem == "regression" and d.y_train.shape == (10, 1)
    assert abs(float(d.y_train.mean())) < 1e-5 and any("standardised" in n for n in d.notes)
    assert d.to_inputs(np.array([[0.5, 9.0]], np.float32)).tolist() == [[0.5]]


@pytest.mark.parametrize(("content", "match"), [
    (b"", r"'bad.csv' is empty"),
    (b"\x89PNG\r\n\x1a\n\0\0\0", r"is not a text file"),
    (b"a,b\n\xff\xfe,1\n", r"is not UTF-8 text"),
    (b"only\n1\n2\n", r"has a single column"),
    (b"1,2\n3,4\n", r"has no header: its first line \('1,2'\) holds numbers"),
    (b"a,b\n", r"has a header but no data rows"),
    (b"a,b\n1,2\n\n3,4,5\n", r"'bad.csv', line 4: 3 fields but the header has 2"),
    (b"a,a\n1,2\n", r"distinct, non-empty column names"),
    (b"a,b\n1,\n", r"line 2: column 'b' is empty"),
])
def test_bad_files_get_clear_messages(content, match):
    with pytest.raises(PlaygroundError, match=match):
        parse_csv(content, "bad.csv", Limits())


def test_size_rows_and_columns_are_bounded():
    small = Limits(max_upload_bytes=100, max_csv_rows=3, max_csv_columns=3)
    with pytest.raises(PlaygroundError, match=r"has 101 bytes; the limit is 100"):
        parse_csv(b"a" * 101, "big.csv", small)
    with pytest.raises(PlaygroundError, match=r"has 4 data rows; the limit is 3"):
        parse_csv(b"a,b\n1,2\n1,2\n1,2\n1,2\n", "rows.csv", small)
    with pytest.raises(PlaygroundError, match=r"has 4 columns; the limit is 3"):
        parse_csv(b"a,b,c,d\n1,2,3,4\n", "cols.csv", small)


def test_bad_column_choices():
    t = parse_csv(IRIS_LIKE, "iris.csv", Limits())

    def data(**kw):
        raw = {"dataset": "csv", "problem": "classification", **kw}
        return t.page_data(parse_setup(raw), Limits())

    with pytest.raises(PlaygroundError, match="pick the CSV column to predict"):
        data(csv_features=["sepal width"])
    with pytest.raises(PlaygroundError, match="has no column 'petal' to use as an input"):
        data(csv_features=["petal"], csv_target="species")
    with pytest.raises(PlaygroundError, match="input column 'species' holds 'setosa', which is"):
        data(csv_features=["species"], csv_target="sepal width")
    with pytest.raises(PlaygroundError, match="cannot be both an input and the target"):
        data(csv_features=["sepal width"], csv_target="sepal width")
    with pytest.raises(PlaygroundError, match="regression needs a numeric target"):
        t.page_data(parse_setup({"dataset": "csv", "problem": "regression",
                                 "csv_features": ["sepal width"], "csv_target": "species"}),
                    Limits())
    with pytest.raises(PlaygroundError, match="has 10 distinct values; classification needs 2 "
                       "to 5 classes"):
        t.page_data(parse_setup({"dataset": "csv", "problem": "classification",
                                 "csv_features": ["sepal width"], "csv_target": "sepal length"}),
                    Limits(max_classes=5))
