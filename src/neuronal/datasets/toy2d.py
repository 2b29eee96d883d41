"""Two-dimensional teaching sets in the style of TensorFlow Playground: blobs and two surfaces.

Each returns ``(X, y)`` with ``X`` a ``float32`` array of shape ``(n, 2)``; randomness comes only
from ``numpy.random.default_rng(seed)``. The other planar sets (circles, moons, spirals, XOR)
live in :mod:`neuronal.datasets.toy`; :func:`~neuronal.datasets.load_toy` reaches all of them.

=================  ==============  =====================================================
set                task            rule
=================  ==============  =====================================================
``gauss``          classification  one Gaussian blob per class, centres on the unit circle
``plane``          regression      y = (x1 + x2) / 2 on the square [-1, 1]^2
``multi_gauss``    regression      y = six signed Gaussian bumps, clipped to [-1, 1]
=================  ==============  =====================================================
"""

from __future__ import annotations

import numpy as np

from ._checks import check_count, check_nonneg, shuffled

__all__ = ["make_gauss", "make_plane", "make_multi_gauss"]

Dataset = tuple[np.ndarray, np.ndarray]

# The bumps of make_multi_gauss: (x1, x2, sign), TensorFlow Playground's six Gaussians scaled
# from its [-6, 6] square to [-1, 1].
_BUMPS = np.array([(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1),
                   (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)], dtype=np.float64)
_BUMP_WIDTH = 1.0 / 6.0  # standard deviation of each bump, in the [-1, 1] square


def make_gauss(n_samples: int = 200, n_classes: int = 2, noise: float = 0.25,
               seed: int | None = 0) -> Dataset:
    """Return one round Gaussian blob of points per class.

    The centre of class ``k`` lies on the unit circle at angle ``pi / 4 + 2 * pi * k /
    n_classes``: for two classes (0.71, 0.71) and (-0.71, -0.71).

    Parameters
    ----------
    n_samples : int, default 200
        Total number of points, split as evenly as possible between the classes.
    n_classes : int, default 2
        Number of blobs (classes), at least 2.
    noise : float, default 0.25
        Standard deviation of each blob; the blobs overlap from about 0.5 on (two classes).
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n_samples, 2)``.
    y : numpy.ndarray
        ``int64`` labels in ``0 .. n_classes - 1``, shape ``(n_samples,)``, shuffled.

    Examples
    --------
    >>> X, y = make_gauss(100, n_classes=3, seed=1)
    >>> X.shape, sorted(set(y.tolist()))
    ((100, 2), [0, 1, 2])
    """
    n = check_count("n_samples", n_samples)
    k = check_count("n_classes", n_classes, minimum=2)
    noise = check_nonneg("noise", noise)
    rng = np.random.default_rng(seed)
    y = np.arange(n, dtype=np.int64) % k
    angle = np.pi / 4 + 2 * np.pi * y / k
    X = np.column_stack([np.cos(angle), np.sin(angle)]) + rng.normal(0.0, noise, (n, 2))
    return shuffled(rng, X, y)


def _surface(target, n_samples, noise, seed) -> Dataset:
    """Points uniform on the square [-1, 1]^2 and ``target(X)`` (float64, (n,)) plus noise."""
    n = check_count("n_samples", n_samples)
    noise = check_nonneg("noise", noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2)).astype(np.float32)
    y = target(X) + (rng.normal(0.0, noise, n) if noise else 0.0)
    return X, y.astype(np.float32).reshape(-1, 1)


def make_plane(n_samples: int = 200, noise: float = 0.0, seed: int | None = 0) -> Dataset:
    """Return a regression task on a tilted plane: y = (x1 + x2) / 2 (+ noise).

    Parameters
    ----------
    n_samples : int, default 200
        Number of points, uniform on the square [-1, 1]^2.
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to the target.
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n_samples, 2)``.
    y : numpy.ndarray
        ``float32`` of shape ``(n_samples, 1)``, within [-1, 1] without noise.

    Examples
    --------
    >>> X, y = make_plane(5)
    >>> bool(np.allclose(y[:, 0], X.sum(axis=1) / 2))
    True
    """
    return _surface(lambda X: X.astype(np.float64).sum(axis=1) / 2, n_samples, noise, seed)


def multi_gauss_surface(X: np.ndarray) -> np.ndarray:
    """The noise-free target of :func:`make_multi_gauss` at the points ``X`` (n, 2)."""
    X = np.asarray(X, dtype=np.float64)
    centres, signs = _BUMPS[:, :2] / 6.0, _BUMPS[:, 2]
    d2 = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
    return np.clip((signs * np.exp(-d2 / (2 * _BUMP_WIDTH**2))).sum(axis=1), -1.0, 1.0)


def make_multi_gauss(n_samples: int = 200, noise: float = 0.0,
                     seed: int | None = 0) -> Dataset:
    """Return a regression task on a surface of six signed Gaussian bumps.

    Bumps of height +1 and -1 alternate on a 3 x 2 grid (centres at x1 in {-2/3, 0, 2/3} and
    x2 in {-5/12, 5/12}, standard deviation 1/6); the target is their sum, clipped to [-1, 1].

    Parameters
    ----------
    n_samples : int, default 200
        Number of points, uniform on the square [-1, 1]^2.
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to the target.
    seed : int or None, default 0
        Seed of the random generator.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n_samples, 2)``.
    y : numpy.ndarray
        ``float32`` of shape ``(n_samples, 1)``.

    Examples
    --------
    >>> X, y = make_multi_gauss(50, seed=3)
    >>> X.shape, y.shape, bool(np.abs(y).max() <= 1)
    ((50, 2), (50, 1), True)
    """
    return _surface(multi_gauss_surface, n_samples, noise, seed)
