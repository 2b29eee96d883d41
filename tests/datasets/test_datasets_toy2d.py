"""The TensorFlow-Playground-style planar sets: gauss blobs, the plane and six Gaussian bumps."""

from __future__ import annotations

import numpy as np
import pytest

from neuronal.datasets import load_dataset, load_toy, make_gauss, make_multi_gauss, make_plane
from neuronal.datasets.toy2d import multi_gauss_surface
from neuronal.errors import DataError


def test_gauss_blobs_sit_on_the_unit_circle():
    X, y = make_gauss(n_samples=3000, n_classes=3, noise=0.1, seed=4)
    assert X.shape == (3000, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [1000, 1000, 1000]
    for k in range(3):
        angle = np.pi / 4 + 2 * np.pi * k / 3
        centre = X[y == k].mean(axis=0)
        np.testing.assert_allclose(centre, [np.cos(angle), np.sin(angle)], atol=0.02)
        assert abs(X[y == k].std(axis=0).mean() - 0.1) < 0.01


def test_gauss_without_noise_is_the_centres():
    X, y = make_gauss(n_samples=4, noise=0.0)
    np.testing.assert_allclose(np.abs(X), np.sqrt(0.5), atol=1e-6)
    assert (np.sign(X[:, 0]) == np.where(y == 0, 1, -1)).all()


def test_plane_is_the_mean_of_the_inputs():
    X, y = make_plane(n_samples=500, seed=2)
    assert X.shape == (500, 2) and y.shape == (500, 1) and y.dtype == np.float32
    assert X.min() >= -1 and X.max() <= 1
    np.testing.assert_allclose(y[:, 0], X.sum(axis=1) / 2, atol=1e-6)
    _, noisy = make_plane(n_samples=5000, noise=0.2, seed=2)
    X2, _ = make_plane(n_samples=5000, seed=2)
    assert abs((noisy[:, 0] - X2.sum(axis=1) / 2).std() - 0.2) < 0.01


def test_multi_gauss_has_six_signed_bumps():
    centres = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]]) / 6
    peaks = multi_gauss_surface(centres)
    np.testing.assert_allclose(peaks, [1, -1, 1, -1, 1, -1], atol=0.02)
    assert abs(multi_gauss_surface([[1.0, 0.0]])[0]) < 0.05  # between the bumps, near 0
    X, y = make_multi_gauss(n_samples=400, seed=5)
    assert y.shape == (400, 1) and np.abs(y).max() <= 1
    np.testing.assert_allclose(y[:, 0], multi_gauss_surface(X), atol=1e-6)


@pytest.mark.parametrize("name", ["gauss", "plane", "multi_gauss"])
def test_reachable_by_name_and_split(name):
    X, y = load_toy(name, n_samples=50, seed=1)
    assert len(X) == len(y) == 50
    (X_train, _), (X_test, _) = load_dataset(name, n_samples=50, test_fraction=0.2)
    assert len(X_train) == 40 and len(X_test) == 10


def test_bad_arguments():
    with pytest.raises(DataError, match="n_classes must be an integer >= 2"):
        make_gauss(n_classes=1)
    with pytest.raises(DataError, match="noise must be a finite number >= 0"):
        make_plane(noise=float("nan"))
    with pytest.raises(DataError, match="n_samples must be an integer >= 1"):
        make_multi_gauss(n_samples=0)
