"""Toy data sets: shapes, dtypes, labels, and determinism per seed."""

from __future__ import annotations

import numpy as np
import pytest

from neuronal.datasets import (
    TOY_DATASETS,
    load_toy,
    make_addition,
    make_and,
    make_circles,
    make_moons,
    make_obesity,
    make_or,
    make_spirals,
    make_xor,
)
from neuronal.errors import DataError

CORNERS = [[0, 0], [0, 1], [1, 0], [1, 1]]


def test_toy_names():
    assert TOY_DATASETS == (
        "xor",
        "and",
        "or",
        "spirals",
        "moons",
        "circles",
        "obesity",
        "addition",
        "gauss",
        "plane",
        "multi_gauss",
    )


@pytest.mark.parametrize(
    ("make", "labels"),
    [(make_xor, [0, 1, 1, 0]), (make_and, [0, 0, 0, 1]), (make_or, [0, 1, 1, 1])],
)
def test_truth_tables(make, labels):
    X, y = make()
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.tolist() == CORNERS and y.tolist() == labels


@pytest.mark.parametrize(
    ("make", "rule"),
    [(make_xor, np.logical_xor), (make_and, np.logical_and), (make_or, np.logical_or)],
)
def test_noisy_gates_are_labelled_by_their_corner(make, rule):
    X, y = make(n_samples=400, noise=0.1, seed=3)
    assert X.shape == (400, 2) and y.shape == (400,)
    corner = np.rint(X).astype(bool)  # noise 0.1 keeps points nearest their own corner
    np.testing.assert_array_equal(y, rule(corner[:, 0], corner[:, 1]).astype(np.int64))
    counts = np.unique(corner[:, 0] * 2 + corner[:, 1], return_counts=True)[1]
    assert counts.tolist() == [100, 100, 100, 100]


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_deterministic_per_seed(name):
    kwargs = {"n_samples": 50} if name in ("xor", "and", "or") else {}
    X1, y1 = load_toy(name, seed=7, **kwargs)
    X2, y2 = load_toy(name, seed=7, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert X1.dtype == np.float32 and X1.ndim == 2 and X1.shape[0] == y1.shape[0]
    X3, _ = load_toy(name, seed=8, **kwargs)
    if name not in ("xor", "and", "or"):  # noise-free gates ignore the seed's draws
        assert not np.array_equal(X1, X3)


def test_spirals():
    X, y = make_spirals(n_samples=301, n_classes=3, noise=0.0)
    assert X.shape == (301, 2) and np.bincount(y).tolist() == [101, 100, 100]
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() <= 1.0 + 1e-6 and radius.min() > 0


def test_moons_and_circles():
    X, y = make_moons(n_samples=101, noise=0.0)
    assert X.shape == (101, 2) and np.bincount(y).tolist() == [50, 51]
    outer = X[y == 0]
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0, atol=1e-6)
    X, y = make_circles(n_samples=200, noise=0.0, factor=0.3)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, atol=1e-6)


def test_obesity_labels_match_bmi_exactly():
    X, y = make_obesity(n_samples=5000, seed=1)
    assert X.shape == (5000, 2) and X.dtype == np.float32 and y.dtype == np.int64
    height, weight = X[:, 0], X[:, 1]
    assert 1.40 - 1e-6 <= height.min() and height.max() <= 2.05 + 1e-6
    assert 30 < weight.min() and weight.max() < 220
    bmi64 = weight.astype(np.float64) / height.astype(np.float64) ** 2
    bmi32 = weight / height**2
    np.testing.assert_array_equal(y, (bmi64 >= 30).astype(np.int64))
    np.testing.assert_array_equal(y, (bmi32 >= 30).astype(np.int64))
    assert 0.05 < y.mean() < 0.4  # a plausible share of obese adults
    assert abs(height.mean() - 1.70) < 0.01


def test_addition_target_is_the_sum():
    X, y = make_addition(n_samples=300, n_inputs=5, seed=2)
    assert X.shape == (300, 5) and y.shape == (300, 1)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert X.min() >= 0 and X.max() < 1
    np.testing.assert_array_equal(y, X.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(y[:, 0], X.astype(np.float64).sum(axis=1), rtol=1e-6)


def test_load_toy_errors():
    with pytest.raises(DataError, match="unknown toy data set 'xnor'.*xor, and, or, spirals"):
        load_toy("xnor")
    with pytest.raises(DataError, match="does not accept factor.*n_samples, noise, seed"):
        load_toy("moons", factor=0.5)
    assert load_toy(" XOR ")[1].tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: make_moons(n_samples=0), "n_samples must be an integer >= 2"),
        (lambda: make_addition(n_samples=2.5), "n_samples must be an integer"),
        (lambda: make_xor(noise=-1), "noise must be a finite number >= 0"),
        (lambda: make_spirals(n_classes=1), "n_classes must be an integer >= 2"),
        (lambda: make_circles(factor=1.5), "factor must be a number strictly between 0 and 1"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(DataError, match=match):
        call()
