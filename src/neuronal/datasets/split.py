"""A seeded train/test split, stratified for class labels."""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import DataError

__all__ = ["split_train_test", "check_fraction"]

Split = tuple[np.ndarray, np.ndarray]


def check_fraction(test_fraction: object) -> float:
    """Return ``test_fraction`` as a float in [0, 1), or raise :class:`DataError`."""
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real):
        raise DataError(
            f"test_fraction must be a number in [0, 1), got {test_fraction!r}; "
            "pass e.g. test_fraction=0.2 for an 80/20 split"
        )
    value = float(test_fraction)
    if not 0.0 <= value < 1.0:
        raise DataError(
            f"test_fraction must be in [0, 1), got {value}; "
            "pass e.g. test_fraction=0.2 for an 80/20 split (0 for no test set)"
        )
    return value


def split_train_test(
    X: np.ndarray,
    y: np.ndarray,
    test_fraction: float = 0.2,
    seed: int | None = 0,
    stratify: bool | None = None,
) -> tuple[Split, Split]:
    """Shuffle and split samples into a training and a test set.

    Parameters
    ----------
    X, y : numpy.ndarray
        Samples and targets with the same first dimension.
    test_fraction : float, default 0.2
        Fraction of the samples put in the test set, in [0, 1). The test set gets
        ``round(n * test_fraction)`` samples, at least one when ``test_fraction > 0``, and the
        training set keeps at least one.
    seed : int or None, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same split.
    stratify : bool or None, default None
        Keep the class proportions of ``y`` in both sets. ``None`` stratifies when ``y`` holds
        integer class labels (a 1-D integer array).

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of tuples of numpy.ndarray
        Both sets are shuffled.

    Raises
    ------
    DataError
        If ``X`` and ``y`` differ in length, there are fewer than 2 samples for a non-empty test
        set, or ``test_fraction`` is outside [0, 1).
    """
    fraction = check_fraction(test_fraction)
    X = np.asarray(X)
    y = np.asarray(y)
    n = X.shape[0] if X.ndim else 0
    if y.ndim == 0 or y.shape[0] != n:
        raise DataError(
            f"X and y must have the same number of samples, got {n} and "
            f"{y.shape[0] if y.ndim else 'a scalar'}; pass one target per row of X"
        )
    rng = np.random.default_rng(seed)
    n_test = 0
    if fraction > 0:
        if n < 2:
            raise DataError(
                f"cannot split {n} sample(s) into a training and a test set: expected at least 2; "
                "use more data or test_fraction=0"
            )
        n_test = min(max(int(round(n * fraction)), 1), n - 1)
    if stratify is None:
        stratify = y.ndim == 1 and np.issubdtype(y.dtype, np.integer)
    if stratify and n_test:
        classes, inverse = np.unique(y, return_inverse=True)
        counts = np.bincount(inverse, minlength=len(classes))
        exact = counts * n_test / n
        per_class = np.floor(exact).astype(np.int64)
        # Hand the remaining test slots to the classes with the largest remainders.
        order = np.argsort(-(exact - per_class), kind="stable")
        per_class[order[: n_test - int(per_class.sum())]] += 1
        test_parts = []
        for k in range(len(classes)):
            members = rng.permutation(np.flatnonzero(inverse == k))
            test_parts.append(members[: per_class[k]])
        test_idx = np.concatenate(test_parts) if test_parts else np.empty(0, dtype=np.int64)
        mask = np.ones(n, dtype=bool)
        mask[test_idx] = False
        train_idx = rng.permutation(np.flatnonzero(mask))
        test_idx = rng.permutation(test_idx)
    else:
        order = rng.permutation(n)
        test_idx, train_idx = order[:n_test], order[n_test:]
    return (X[train_idx], y[train_idx]), (X[test_idx], y[test_idx])
