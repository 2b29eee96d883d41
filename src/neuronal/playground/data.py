"""The data a page trains on: planar sets with their input features, CSV tables, MNIST.

Planar sets come from :mod:`neuronal.datasets` (circles, XOR, gauss, spirals, moons, plane,
multi-gauss) and are laid on TensorFlow Playground's square [-6, 6]^2, so that its input
features (x1, x2, their squares and product, sin x1, sin x2) mean the same here. Each set's
noise control (0-50 %) is turned into that generator's own noise scale.

A :class:`PageData` holds what a session needs: the network's inputs and targets for training
and test, the points to draw, and how to turn a point of the drawn plane into network inputs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..datasets import (
    make_circles,
    make_gauss,
    make_moons,
    make_multi_gauss,
    make_plane,
    make_spirals,
    make_xor,
    split_train_test,
)
from .config import PLANE_SETS, Setup
from .limits import PlaygroundError

__all__ = ["PageData", "plane_data", "features", "MnistSource", "BOX"]

#: Half the side of the drawn square: points and heatmaps cover [-BOX, BOX]^2.
BOX = 6.0

_FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1*x2": lambda a, b: a * b,
    "sin(x1)": lambda a, b: np.sin(a),
    "sin(x2)": lambda a, b: np.sin(b),
}


def features(points: np.ndarray, names: list[str]) -> np.ndarray:
    """The named input features of planar points ``(n, 2)`` as a float32 ``(n, len(names))``."""
    a = points[:, 0].astype(np.float64)
    b = points[:, 1].astype(np.float64)
    return np.column_stack([_FEATURES[n](a, b) for n in names]).astype(np.float32)


@dataclass
class PageData:
    """One session's data.

    Attributes
    ----------
    problem : "classification" or "regression"
    X_train, X_test : ndarray
        Network inputs, float32 (uint8 pixels for MNIST, turned into floats per batch).
    y_train, y_test : ndarray
        int64 class labels, or float32 targets of shape (n, 1).
    n_classes : int
        0 for regression.
    class_names, input_names : list of str
    points_train, points_test : ndarray or None
        The samples' places in the drawn plane (None for MNIST).
    bounds : list of two (low, high) pairs, or None
        The drawn plane's extent along each axis.
    axis_names : list of str
        What the plane's axes are (x1, x2, or two CSV columns).
    to_inputs : callable or None
        Plane points (m, 2) -> network inputs (m, n_inputs).
    y_scale : float
        The largest |target| (regression), used to colour the output.
    notes : list of str
        What the page should say about the data (e.g. how a CSV was scaled).
    """

    problem: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    class_names: list[str]
    input_names: list[str]
    points_train: np.ndarray | None = None
    points_test: np.ndarray | None = None
    bounds: list[tuple[float, float]] | None = None
    axis_names: list[str] = field(default_factory=lambda: ["x1", "x2"])
    to_inputs: Callable[[np.ndarray], np.ndarray] | None = None
    y_scale: float = 1.0
    notes: list[str] = field(default_factory=list)
    pixels: bool = False

    @property
    def n_inputs(self) -> int:
        return int(self.X_train.shape[1])

    def rows(self, X: np.ndarray, idx) -> np.ndarray:
        """Rows ``idx`` of ``X`` as float32 network inputs (pixels scaled to [0, 1])."""
        rows = X[idx]
        return rows.astype(np.float32) / np.float32(255.0) if self.pixels else rows


def _plane_points(setup: Setup) -> tuple[np.ndarray, np.ndarray]:
    """The raw set on [-BOX, BOX]^2: (points, labels or targets)."""
    name, n, seed = setup.dataset, setup.points, setup.data_seed
    noise = setup.noise / 100.0  # 0 .. 0.5
    if name == "circle":
        X, y = make_circles(n, noise=noise * 0.5, factor=0.5, seed=seed)
        X = X * 5.0
    elif name == "xor":
        X, y = make_xor(n, noise=0.1 + noise * 0.5, seed=seed)
        X = (X - 0.5) * 8.0
    elif name == "gauss":
        X, y = make_gauss(n, n_classes=setup.classes, noise=0.25 + noise * 0.6, seed=seed)
        X = X * 3.5
    elif name == "spiral":
        X, y = make_spirals(n, n_classes=setup.classes, noise=noise * 0.3, seed=seed)
        X = X * 5.5
    elif name == "moons":
        X, y = make_moons(n, noise=0.05 + noise * 0.4, seed=seed)
        X = (X - np.array([0.5, 0.25], dtype=np.float32)) * 3.0
    elif name == "plane":
        X, y = make_plane(n, noise=noise * 0.5, seed=seed)
        X = X * BOX
    elif name == "multi_gauss":
        X, y = make_multi_gauss(n, noise=noise * 0.5, seed=seed)
        X = X * BOX
    else:  # pragma: no cover - parse_setup only lets PLANE_SETS through
        raise PlaygroundError(f"{name!r} is not a planar data set")
    return X.astype(np.float32), y


def plane_data(setup: Setup) -> PageData:
    """The planar data set of ``setup``, split by its ratio, with its features computed.

    Examples
    --------
    >>> from neuronal.playground.config import parse_setup
    >>> d = plane_data(parse_setup({"dataset": "xor", "points": 100, "ratio": 60}))
    >>> d.X_train.shape, d.X_test.shape, d.n_classes
    ((60, 2), (40, 2), 2)
    """
    points, y = _plane_points(setup)
    regression = PLANE_SETS[setup.dataset] == "regression"
    (P_train, y_train), (P_test, y_test) = split_train_test(
        points, y, test_fraction=1.0 - setup.ratio / 100.0, seed=setup.data_seed)
    names = list(setup.features)
    k = 0 if regression else int(setup.classes)
    return PageData(
        problem="regression" if regression else "classification",
        X_train=features(P_train, names), y_train=y_train,
        X_test=features(P_test, names), y_test=y_test,
        n_classes=k, class_names=[str(c) for c in range(k)], input_names=names,
        points_train=P_train, points_test=P_test,
        bounds=[(-BOX, BOX), (-BOX, BOX)], axis_names=["x1", "x2"],
        to_inputs=lambda P: features(P, names),
        y_scale=float(max(1e-6, np.abs(y).max())) if regression else 1.0,
    )


class MnistSource:
    """MNIST for every session of a server, loaded once on first use (uint8 pixels, shared).

    Looked for with :func:`neuronal.datasets.load_mnist` in ``data_dir``, ``$NEURONAL_DATA``
    and the user cache, never downloaded: without it the page says where to put it and keeps
    working with the other data sets.
    """

    def __init__(self, data_dir=None) -> None:
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._problem: str | None = None

    def status(self) -> dict:
        """``{"available": bool, "message": str, "short": str}``, loading MNIST if not tried yet.

        ``message`` says what the loader found (or not) and what to do; ``short`` is one line
        for the page's data column.
        """
        try:
            self.arrays()
        except PlaygroundError as exc:
            return {"available": False, "message": str(exc), "short": (
                "MNIST is not available here: put its files in mnist/ under $NEURONAL_DATA, or "
                "start the playground with --data-dir.")}
        text = "MNIST: 60,000 training and 10,000 test images, found."
        return {"available": True, "message": text, "short": text}

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(X_train, y_train, X_test, y_test) with uint8 pixel rows of 784, or PlaygroundError."""
        with self._lock:
            if self._arrays is None and self._problem is None:
                from ..datasets import load_mnist

                try:
                    (X, y), (Xt, yt) = load_mnist(self.data_dir, download=False,
                                                  normalize=False, flatten=True)
                    self._arrays = (X, y, Xt, yt)
                except Exception as exc:  # not found, or a damaged file: say which
                    first = " ".join(str(exc).split()).rstrip(".")
                    self._problem = (
                        f"MNIST is not available here: {first}. Put the four MNIST files in a "
                        f"folder mnist/ under $NEURONAL_DATA (or start the playground with "
                        f"--data-dir); the other data sets work without it."
                    )
            if self._arrays is None:
                raise PlaygroundError(self._problem or "MNIST is not available")
            return self._arrays

    def page_data(self, setup: Setup, test_count: int) -> PageData:
        """The first ``setup.mnist_train`` training images and ``test_count`` test images."""
        X, y, Xt, yt = self.arrays()
        n, m = min(setup.mnist_train, len(X)), min(test_count, len(Xt))
        return PageData(
            problem="classification", X_train=X[:n], y_train=y[:n], X_test=Xt[:m],
            y_test=yt[:m], n_classes=10, class_names=[str(c) for c in range(10)],
            input_names=[f"pixel {i}" for i in range(784)], pixels=True,
            notes=[f"MNIST: the first {n:,} training images, the first {m:,} test images."],
        )
