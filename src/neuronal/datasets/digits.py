"""The 8x8 handwritten digits bundled with scikit-learn (no download needed)."""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from .split import check_fraction, split_train_test

__all__ = ["load_digits"]

Split = tuple[np.ndarray, np.ndarray]


def load_digits(
    test_fraction: float = 0.2, seed: int | None = 0, normalize: bool = True
) -> tuple[Split, Split]:
    """Load the 1,797 8x8 handwritten digits that scikit-learn ships, split into train and test.

    scikit-learn is imported only when this function is called.

    Parameters
    ----------
    test_fraction : float, default 0.2
        Fraction of the images put in the test set, in [0, 1).
    seed : int or None, default 0
        Seed of the shuffle; the split is stratified so both sets keep the class proportions.
    normalize : bool, default True
        Return ``float32`` pixels in [0, 1] (the original values 0..16 divided by 16);
        ``False`` returns the original values 0..16 as ``uint8``.

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of tuples of numpy.ndarray
        ``X`` of shape ``(n, 64)``, ``y`` ``int64`` labels 0..9 of shape ``(n,)``.

    Raises
    ------
    DataError
        If scikit-learn is not installed or ``test_fraction`` is outside [0, 1).
    """
    fraction = check_fraction(test_fraction)
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError:
        raise DataError(
            "load_digits needs scikit-learn, which ships the 8x8 digits, but it is not "
            "installed; run `pip install scikit-learn` (or use load_mnist instead)"
        ) from None
    bunch = _sk_load_digits()
    pixels = np.asarray(bunch.data)
    X = (pixels / 16.0).astype(np.float32) if normalize else pixels.astype(np.uint8)
    y = np.asarray(bunch.target, dtype=np.int64)
    return split_train_test(X, y, test_fraction=fraction, seed=seed, stratify=True)
