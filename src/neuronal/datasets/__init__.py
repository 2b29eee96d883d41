"""Data sets: MNIST and Fashion-MNIST (verified download and cache), toy sets, CSV, digits.

Importing this package is cheap: it needs only NumPy and the standard library (scikit-learn is
imported by :func:`load_digits` when called).

Examples
--------
>>> from neuronal.datasets import load_dataset
>>> (X_train, y_train), (X_test, y_test) = load_dataset("moons", n_samples=100)
>>> X_train.shape, X_test.shape
((80, 2), (20, 2))
"""

from __future__ import annotations

from .digits import load_digits
from .download import DatasetNotFoundError, get_data_dir
from .idx import read_idx, write_idx
from .mnist import load_fashion_mnist, load_mnist
from .registry import DATASETS, load_dataset
from .split import split_train_test
from .tabular import load_csv
from .toy import (
    TOY_DATASETS,
    load_toy,
    make_addition,
    make_and,
    make_circles,
    make_gauss,
    make_moons,
    make_multi_gauss,
    make_obesity,
    make_or,
    make_plane,
    make_spirals,
    make_xor,
)

__all__ = [
    "DATASETS",
    "TOY_DATASETS",
    "DatasetNotFoundError",
    "get_data_dir",
    "load_csv",
    "load_dataset",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_toy",
    "make_addition",
    "make_and",
    "make_circles",
    "make_gauss",
    "make_moons",
    "make_multi_gauss",
    "make_obesity",
    "make_or",
    "make_plane",
    "make_spirals",
    "make_xor",
    "read_idx",
    "split_train_test",
    "write_idx",
]
