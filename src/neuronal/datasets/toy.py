"""Small synthetic data sets for teaching and tests, fully determined by a seed.

Every generator returns ``(X, y)`` with ``X`` a ``float32`` array of shape ``(n, features)``.
Classification sets have ``int64`` labels of shape ``(n,)``; the regression sets
(:func:`make_addition`, and :func:`make_plane` and :func:`make_multi_gauss` from ``toy2d``) have
a ``float32`` target of shape ``(n, 1)``. All randomness comes from
``numpy.random.default_rng(seed)``: the same arguments give identical arrays.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DataError
from ._checks import check_count as _check_count
from ._checks import check_nonneg as _check_nonneg
from ._checks import shuffled as _shuffled
from .toy2d import make_gauss, make_multi_gauss, make_plane

__all__ = [
    "TOY_DATASETS",
    "load_toy",
    "make_xor",
    "make_and",
    "make_or",
    "make_spirals",
    "make_moons",
    "make_circles",
    "make_obesity",
    "make_addition",
    "make_gauss",
    "make_plane",
    "make_multi_gauss",
]

Dataset = tuple[np.ndarray, np.ndarray]

_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _gate(
    truth: tuple[int, int, int, int], n_samples: int | None, noise: float, seed: int | None
) -> Dataset:
    noise = _check_nonneg("noise", noise)
    rng = np.random.default_rng(seed)
    labels = np.asarray(truth, dtype=np.int64)
    if n_samples is None:
        X = _CORNERS + (rng.normal(0.0, noise, _CORNERS.shape) if noise else 0.0)
        return X.astype(np.float32), labels.copy()
    n = _check_count("n_samples", n_samples)
    corner = rng.permutation(np.arange(n) % 4)  # balanced: each corner n/4 times (+-1)
    X = _CORNERS[corner] + rng.normal(0.0, noise, (n, 2))
    return X.astype(np.float32), labels[corner]


def make_xor(n_samples: int | None = None, noise: float = 0.0, seed: int | None = 0) -> Dataset:
    """Return the XOR truth table, or noisy samples around its four corners.

    Parameters
    ----------
    n_samples : int or None, default None
        ``None`` returns the four points (0, 0), (0, 1), (1, 0), (1, 1) in that order with labels
        0, 1, 1, 0. An integer draws that many points, spread evenly over the corners in random
        order, each labelled like its corner.
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to each coordinate.
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n, 2)``.
    y : numpy.ndarray
        ``int64`` labels 0/1 of shape ``(n,)``.
    """
    return _gate((0, 1, 1, 0), n_samples, noise, seed)


def make_and(n_samples: int | None = None, noise: float = 0.0, seed: int | None = 0) -> Dataset:
    """Return the AND truth table, or noisy samples around its four corners.

    Parameters
    ----------
    n_samples : int or None, default None
        ``None`` returns the four points (0, 0), (0, 1), (1, 0), (1, 1) in that order with labels
        0, 0, 0, 1. An integer draws that many points, spread evenly over the corners in random
        order, each labelled like its corner.
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to each coordinate.
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n, 2)``.
    y : numpy.ndarray
        ``int64`` labels 0/1 of shape ``(n,)``.
    """
    return _gate((0, 0, 0, 1), n_samples, noise, seed)


def make_or(n_samples: int | None = None, noise: float = 0.0, seed: int | None = 0) -> Dataset:
    """Return the OR truth table, or noisy samples around its four corners.

    Parameters
    ----------
    n_samples : int or None, default None
        ``None`` returns the four points (0, 0), (0, 1), (1, 0), (1, 1) in that order with labels
        0, 1, 1, 1. An integer draws that many points, spread evenly over the corners in random
        order, each labelled like its corner.
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to each coordinate.
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n, 2)``.
    y : numpy.ndarray
        ``int64`` labels 0/1 of shape ``(n,)``.
    """
    return _gate((0, 1, 1, 1), n_samples, noise, seed)


def _per_class(n: int, k: int) -> list[int]:
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def make_spirals(
    n_samples: int = 300, n_classes: int = 2, noise: float = 0.1, seed: int | None = 0
) -> Dataset:
    """Return interleaved spiral arms, one per class.

    Arm ``k`` runs from near the origin out to radius 1 while turning 1.5 times, starting at
    angle ``2 * pi * k / n_classes``; Gaussian noise is added to both coordinates.

    Parameters
    ----------
    n_samples : int, default 300
        Total number of points, split as evenly as possible between the classes.
    n_classes : int, default 2
        Number of arms (classes), at least 2.
    noise : float, default 0.1
        Standard deviation of the Gaussian noise.
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n_samples, 2)``, roughly within [-1, 1]^2.
    y : numpy.ndarray
        ``int64`` labels in ``0 .. n_classes - 1``, shape ``(n_samples,)``, shuffled.
    """
    n = _check_count("n_samples", n_samples)
    k = _check_count("n_classes", n_classes, minimum=2)
    noise = _check_nonneg("noise", noise)
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for cls, m in enumerate(_per_class(n, k)):
        t = np.linspace(0.05, 1.0, m)
        angle = 2 * np.pi * cls / k + 3 * np.pi * t
        xs.append(np.column_stack([t * np.cos(angle), t * np.sin(angle)]))
        ys.append(np.full(m, cls, dtype=np.int64))
    X = np.concatenate(xs) + rng.normal(0.0, noise, (n, 2))
    return _shuffled(rng, X, np.concatenate(ys))


def make_moons(n_samples: int = 200, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Return two interleaving half circles.

    Class 0 lies on the upper half of the unit circle, class 1 on a lower half circle shifted to
    (1, 0.5) below it; Gaussian noise is added to both coordinates.

    Parameters
    ----------
    n_samples : int, default 200
        Total number of points (class 0 gets ``n_samples // 2``).
    noise : float, default 0.1
        Standard deviation of the Gaussian noise.
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n_samples, 2)``.
    y : numpy.ndarray
        ``int64`` labels 0/1 of shape ``(n_samples,)``, shuffled.
    """
    n = _check_count("n_samples", n_samples, minimum=2)
    noise = _check_nonneg("noise", noise)
    rng = np.random.default_rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    a = np.linspace(0.0, np.pi, n_outer)
    b = np.linspace(0.0, np.pi, n_inner)
    outer = np.column_stack([np.cos(a), np.sin(a)])
    inner = np.column_stack([1.0 - np.cos(b), 0.5 - np.sin(b)])
    X = np.concatenate([outer, inner]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _shuffled(rng, X, y)


def make_circles(
    n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0
) -> Dataset:
    """Return a circle inside a larger circle.

    Parameters
    ----------
    n_samples : int, default 200
        Total number of points (the outer circle gets ``n_samples // 2``).
    noise : float, default 0.05
        Standard deviation of Gaussian noise added to both coordinates.
    factor : float, default 0.5
        Radius of the inner circle relative to the outer one (radius 1), in (0, 1).
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n_samples, 2)``.
    y : numpy.ndarray
        ``int64`` labels of shape ``(n_samples,)``: 0 on the outer circle, 1 on the inner one.
    """
    n = _check_count("n_samples", n_samples, minimum=2)
    noise = _check_nonneg("noise", noise)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise DataError(
            f"factor must be a number strictly between 0 and 1, got {factor!r}; "
            "pass e.g. factor=0.5 (the inner circle's radius relative to the outer one)"
        )
    rng = np.random.default_rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    a = np.linspace(0.0, 2 * np.pi, n_outer, endpoint=False)
    b = np.linspace(0.0, 2 * np.pi, n_inner, endpoint=False)
    outer = np.column_stack([np.cos(a), np.sin(a)])
    inner = float(factor) * np.column_stack([np.cos(b), np.sin(b)])
    X = np.concatenate([outer, inner]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _shuffled(rng, X, y)


#: BMI at and above which :func:`make_obesity` labels a person obese (WHO definition).
OBESITY_BMI = 30.0
_BMI_MARGIN = 0.05


def make_obesity(n_samples: int = 500, seed: int | None = 0) -> Dataset:
    """Return synthetic adults' height and weight, labelled obese when their BMI is >= 30.

    Generative process, for each person independently:

    1. height in metres ~ Normal(1.70, 0.10), clipped to [1.40, 2.05];
    2. body-mass index ~ LogNormal(log 26, 0.18) (median 26, right-skewed like adult
       populations; about a fifth end up at 30 or more), clipped to [15, 50]; a BMI within 0.05 of
       30 is moved to 29.95 or 30.05 so that no label depends on floating-point rounding;
    3. weight in kg = BMI * height ** 2;
    4. label = 1 if weight / height ** 2 >= 30 (computed from the returned ``float32`` values),
       else 0.

    Parameters
    ----------
    n_samples : int, default 500
        Number of people.
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n_samples, 2)``, columns ``(height_m, weight_kg)``.
    y : numpy.ndarray
        ``int64`` labels of shape ``(n_samples,)``: 1 obese (BMI >= 30), 0 not.
    """
    n = _check_count("n_samples", n_samples)
    rng = np.random.default_rng(seed)
    height = np.clip(rng.normal(1.70, 0.10, n), 1.40, 2.05)
    bmi = np.clip(rng.lognormal(np.log(26.0), 0.18, n), 15.0, 50.0)
    near = np.abs(bmi - OBESITY_BMI) < _BMI_MARGIN
    bmi[near] = np.where(
        bmi[near] < OBESITY_BMI, OBESITY_BMI - _BMI_MARGIN, OBESITY_BMI + _BMI_MARGIN
    )
    X = np.column_stack([height, bmi * height**2]).astype(np.float32)
    h = X[:, 0].astype(np.float64)
    y = (X[:, 1].astype(np.float64) / (h * h) >= OBESITY_BMI).astype(np.int64)
    return X, y


def make_addition(n_samples: int = 500, n_inputs: int = 4, seed: int | None = 0) -> Dataset:
    """Return a regression task: predict the sum of the inputs.

    Parameters
    ----------
    n_samples : int, default 500
        Number of samples.
    n_inputs : int, default 4
        Number of inputs per sample.
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n_samples, n_inputs)``, uniform in [0, 1).
    y : numpy.ndarray
        ``float32`` of shape ``(n_samples, 1)``: ``X.sum(axis=1, keepdims=True)``.
    """
    n = _check_count("n_samples", n_samples)
    k = _check_count("n_inputs", n_inputs)
    rng = np.random.default_rng(seed)
    X = rng.random((n, k), dtype=np.float32)
    return X, X.sum(axis=1, keepdims=True)


_MAKERS: dict[str, Callable[..., Dataset]] = {
    "xor": make_xor,
    "and": make_and,
    "or": make_or,
    "spirals": make_spirals,
    "moons": make_moons,
    "circles": make_circles,
    "obesity": make_obesity,
    "addition": make_addition,
    "gauss": make_gauss,
    "plane": make_plane,
    "multi_gauss": make_multi_gauss,
}

#: Names accepted by :func:`load_toy`.
TOY_DATASETS: tuple[str, ...] = tuple(_MAKERS)


def load_toy(name: str, **kwargs: Any) -> Dataset:
    """Generate a toy data set by name.

    Parameters
    ----------
    name : str
        One of :data:`TOY_DATASETS`: ``"xor"``, ``"and"``, ``"or"``, ``"spirals"``, ``"moons"``,
        ``"circles"``, ``"obesity"``, ``"addition"``, ``"gauss"``, ``"plane"``,
        ``"multi_gauss"`` (case-insensitive).
    **kwargs
        Passed to the matching ``make_*`` function (e.g. ``n_samples``, ``noise``, ``seed``).

    Returns
    -------
    X, y : numpy.ndarray
        As returned by the ``make_*`` function.

    Raises
    ------
    DataError
        If the name is unknown or an argument is not accepted by that data set.

    Examples
    --------
    >>> X, y = load_toy("xor")
    >>> y.tolist()
    [0, 1, 1, 0]
    """
    key = name.strip().lower() if isinstance(name, str) else name
    maker = _MAKERS.get(key) if isinstance(key, str) else None
    if maker is None:
        raise DataError(
            f"unknown toy data set {name!r}: expected one of {', '.join(TOY_DATASETS)}; "
            "pick one of those names"
        )
    signature = inspect.signature(maker)
    try:
        signature.bind(**kwargs)
    except TypeError:
        unknown = sorted(set(kwargs) - set(signature.parameters))
        raise DataError(
            f"toy data set {key!r} does not accept {', '.join(unknown) or 'these arguments'}: "
            f"expected only {', '.join(signature.parameters)}; drop or rename the argument"
        ) from None
    return maker(**kwargs)
