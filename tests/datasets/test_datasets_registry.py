"""load_dataset: one name (or CSV path) in, a train/test split out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import neuronal.datasets
from neuronal.datasets import DATASETS, load_dataset, split_train_test
from neuronal.errors import DataError


def test_toy_split():
    (X, y), (Xt, yt) = load_dataset("moons", n_samples=100, seed=3)
    assert X.shape == (80, 2) and Xt.shape == (20, 2)
    assert np.bincount(yt).tolist() == [10, 10]  # stratified
    (X2, _), _ = load_dataset("moons", n_samples=100, seed=3)
    np.testing.assert_array_equal(X, X2)
    (X, y), (Xt, yt) = load_dataset("addition", n_samples=10, test_fraction=0.3)
    assert X.shape == (7, 4) and yt.shape == (3, 1)


def test_truth_table_is_both_train_and_test():
    (X, y), (Xt, yt) = load_dataset("xor")
    assert X.tolist() == Xt.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == yt.tolist() == [0, 1, 1, 0]
    (X, _), (Xt, _) = load_dataset("xor", n_samples=40, noise=0.1)
    assert X.shape == (32, 2) and Xt.shape == (8, 2)


def test_mnist_through_the_registry(tmp_path, trust_small_set):
    trust_small_set.write(tmp_path / "mnist")
    (X, y), (Xt, yt) = load_dataset("mnist", data_dir=tmp_path, download=False, flatten=False)
    assert X.shape == (20, 28, 28) and Xt.shape == (10, 28, 28)
    trust_small_set.write(tmp_path / "fashion-mnist")
    (X, _), _ = load_dataset("Fashion_MNIST", data_dir=tmp_path, download=False)
    assert X.shape == (20, 784)


def test_digits_through_the_registry():
    pytest.importorskip("sklearn")
    (X, _), (Xt, _) = load_dataset("digits", test_fraction=0.5)
    assert X.shape[1] == 64 and abs(X.shape[0] - Xt.shape[0]) <= 1


def test_csv(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(10)))
    with pytest.raises(DataError, match="needs the target column"):
        load_dataset(str(path))
    (X, y), (Xt, yt) = load_dataset(path, target="y")
    assert X.shape == (8, 2) and Xt.shape == (2, 2) and sorted(yt.tolist()) == [0, 1]
    with pytest.raises(DataError, match="does not accept noise"):
        load_dataset(str(path), target="y", noise=1)


def test_unknown_name_and_option():
    with pytest.raises(DataError, match="unknown data set 'cifar'.*mnist, fashion-mnist, digits"):
        load_dataset("cifar")
    with pytest.raises(DataError, match="mnist does not accept n_samples"):
        load_dataset("mnist", n_samples=3)
    assert "spirals" in DATASETS


def test_split_edge_cases():
    X = np.arange(10, dtype=np.float32).reshape(5, 2)
    y = np.array([0, 0, 0, 1, 1])
    (Xa, ya), (Xb, yb) = split_train_test(X, y, test_fraction=0.0)
    assert Xa.shape == (5, 2) and Xb.shape == (0, 2)
    (_, ya), (_, yb) = split_train_test(X, y, test_fraction=0.01)
    assert len(yb) == 1 and len(ya) == 4
    with pytest.raises(DataError, match="same number of samples"):
        split_train_test(X, y[:3])


def test_import_is_light():
    code = (
        "import sys, neuronal.datasets; "
        "heavy = [m for m in ('sklearn', 'scipy', 'matplotlib', 'pandas') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    src = Path(neuronal.datasets.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
