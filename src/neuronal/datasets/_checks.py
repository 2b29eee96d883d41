"""Argument checks and the final shuffle shared by the toy data set generators."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import DataError


def check_count(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, or a DataError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise DataError(
            f"{name} must be an integer >= {minimum}, got {value!r}; "
            f"pass e.g. {name}={max(minimum, 100)}"
        )
    return int(value)


def check_nonneg(name: str, value: object) -> float:
    """``value`` as a finite float >= 0, or a DataError naming the argument."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
        or float(value) < 0
    ):
        raise DataError(
            f"{name} must be a finite number >= 0, got {value!r}; pass e.g. {name}=0.1 "
            f"(or {name}=0 for none)"
        )
    return float(value)


def shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray):
    """``X`` (as float32) and ``y`` in one random order drawn from ``rng``."""
    order = rng.permutation(X.shape[0])
    return X[order].astype(np.float32), y[order]
