"""Helpers shared by the commands: data sets, reshaping samples for a model, loading models."""

from __future__ import annotations

import argparse
import math


def _dataset(name: str, data_dir, target=None, download: bool = True):
    """(X_train, y_train), (X_test, y_test) for a data-set name or CSV path (images flat)."""
    from ..datasets import load_dataset

    kwargs = {}
    if target is not None:
        kwargs["target"] = int(target) if target.lstrip("-").isdigit() else target
    if name.lower() in ("mnist", "fashion-mnist", "fashion_mnist"):
        return load_dataset(name, data_dir=data_dir, download=download, **kwargs)
    return load_dataset(name, data_dir=data_dir, **kwargs)


def _fit_inputs(net, X):
    """Reshape flat or image samples to what the network's first layer expects.

    ``(N, 784)`` rows become ``(N, 1, 28, 28)`` images for a CNN, ``(N, 28, 28)`` sequences
    for an LSTM reading rows, and images become rows for a dense network. Open sizes (None)
    are filled in: one from the sample size, two as a square.
    """
    from ..layers.base import shape_matches

    expected = net.layers[0].input_shape
    if expected is None or shape_matches(tuple(expected), X.shape[1:]):
        return X
    known = math.prod(e or 1 for e in expected)
    n_open = sum(e is None for e in expected)
    per_sample = X[0].size
    if per_sample % known or n_open > 2:
        return X  # the network reports the mismatch in its own words
    fill = per_sample // known
    if n_open == 2:
        fill = math.isqrt(fill)
    shape = tuple(fill if e is None else e for e in expected)
    return X.reshape(len(X), *shape) if math.prod(shape) == per_sample else X


def _load_model(path):
    import neuronal as nl

    return nl.load(path)


def _test_split(args, net):
    (_, _), (X_test, y_test) = _dataset(args.dataset, args.data_dir, args.target,
                                        download=not args.no_download)
    return _fit_inputs(net, X_test), y_test


def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="data directory holding mnist/, fashion-mnist/ (default: "
                   "$NEURONAL_DATA, then ~/.cache/neuronal)")
    p.add_argument("--target", help="target column of a CSV file (name or index)")
    p.add_argument("--no-download", action="store_true", help="never download data sets")
