"""The 8x8 digits from scikit-learn."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from neuronal.datasets import load_digits
from neuronal.errors import DataError


def test_load_digits():
    pytest.importorskip("sklearn")
    (X, y), (Xt, yt) = load_digits()
    assert X.shape[0] + Xt.shape[0] == 1797
    assert Xt.shape == (359, 64) and X.shape == (1438, 64)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(yt)) == set(range(10))  # stratified: every class in the test set
    counts = np.bincount(yt, minlength=10)
    assert counts.min() >= 34 and counts.max() <= 38
    (X2, _), (Xt2, _) = load_digits()
    np.testing.assert_array_equal(X, X2)
    (X3, _), _ = load_digits(seed=1)
    assert not np.array_equal(X, X3)
    (Xr, _), _ = load_digits(normalize=False)
    assert Xr.dtype == np.uint8 and Xr.max() == 16
    np.testing.assert_array_equal(Xr / np.float32(16), X)


def test_load_digits_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(DataError, match="pip install scikit-learn"):
        load_digits()


def test_bad_fraction():
    with pytest.raises(DataError, match=r"test_fraction must be in \[0, 1\)"):
        load_digits(test_fraction=1.0)
