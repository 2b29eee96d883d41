"""One entry point that turns a data set name (or a CSV path) into a train/test split."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any, Union

import numpy as np

from ..errors import DataError
from .digits import load_digits
from .mnist import load_fashion_mnist, load_mnist
from .split import check_fraction, split_train_test
from .tabular import load_csv
from .toy import TOY_DATASETS, load_toy

__all__ = ["load_dataset", "DATASETS"]

PathLike = Union[str, "os.PathLike[str]"]
Split = tuple[np.ndarray, np.ndarray]

_ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist"}

#: Names accepted by :func:`load_dataset` besides paths to ``.csv`` files.
DATASETS: tuple[str, ...] = ("mnist", "fashion-mnist", "digits", *TOY_DATASETS)


def _check_kwargs(
    what: str, func: Callable[..., Any], kwargs: dict[str, Any], extra: tuple[str, ...] = ()
) -> None:
    allowed = [p for p in inspect.signature(func).parameters if p not in ("data_dir", "download")]
    allowed = [*allowed, *extra]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise DataError(
            f"{what} does not accept {', '.join(unknown)}: expected only "
            f"{', '.join(allowed) or 'no options'}; drop or rename the argument"
        )


def load_dataset(
    name: PathLike,
    data_dir: PathLike | None = None,
    download: bool = True,
    **kwargs: Any,
) -> tuple[Split, Split]:
    """Load a data set by name, already split into training and test sets.

    Parameters
    ----------
    name : str or os.PathLike
        ``"mnist"``, ``"fashion-mnist"``, ``"digits"``, a toy data set (``"xor"``, ``"and"``,
        ``"or"``, ``"spirals"``, ``"moons"``, ``"circles"``, ``"obesity"``, ``"addition"``,
        ``"gauss"``, ``"plane"``, ``"multi_gauss"``), or
        the path of a ``.csv`` file.
    data_dir : str or os.PathLike, optional
        Data directory for MNIST and Fashion-MNIST (see :func:`load_mnist`); ignored otherwise.
    download : bool, default True
        Whether MNIST and Fashion-MNIST may be downloaded; ignored otherwise.
    **kwargs
        Options of the underlying loader:

        - MNIST / Fashion-MNIST: ``normalize``, ``flatten``, ``dtype``;
        - digits: ``test_fraction``, ``seed``, ``normalize``;
        - toy sets: the ``make_*`` options (``n_samples``, ``noise``, ``seed``, ...) and
          ``test_fraction`` (default 0.2); ``seed`` also seeds the split;
        - CSV: ``target`` (required), ``delimiter``, ``header``, ``test_fraction`` (default
          0.2) and ``seed`` (default 0).

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of tuples of numpy.ndarray
        The two sets. The logic-gate truth tables (``"xor"``, ``"and"``, ``"or"`` without
        ``n_samples``) have only four points, too few to split: both sets are then the full
        table.

    Raises
    ------
    DataError
        If the name is unknown, an option is not accepted, a CSV path comes without ``target``,
        or the underlying loader fails.
    """
    if isinstance(name, os.PathLike) or (
        isinstance(name, str) and name.strip().lower().endswith(".csv")
    ):
        if "target" not in kwargs:
            raise DataError(
                f"loading the CSV file {os.fspath(name)!r} needs the target column: expected "
                "target=<column name or index>; pass e.g. target='label' or target=-1"
            )
        _check_kwargs("a CSV data set", load_csv, kwargs, extra=("test_fraction", "seed"))
        test_fraction = kwargs.pop("test_fraction", 0.2)
        seed = kwargs.pop("seed", 0)
        X, y = load_csv(name, **kwargs)
        return split_train_test(X, y, test_fraction=test_fraction, seed=seed)
    if not isinstance(name, str):
        raise DataError(
            f"data set name must be a string or a path, got {type(name).__name__} {name!r}; "
            f"pass one of {', '.join(DATASETS)} or a .csv path"
        )
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key in ("mnist", "fashion-mnist"):
        loader = load_mnist if key == "mnist" else load_fashion_mnist
        _check_kwargs(key, loader, kwargs)
        return loader(data_dir, download, **kwargs)
    if key == "digits":
        _check_kwargs("digits", load_digits, kwargs)
        return load_digits(**kwargs)
    if key in TOY_DATASETS:
        test_fraction = check_fraction(kwargs.pop("test_fraction", 0.2))
        X, y = load_toy(key, **kwargs)
        if key in ("xor", "and", "or") and kwargs.get("n_samples") is None:
            return (X, y), (X.copy(), y.copy())
        return split_train_test(X, y, test_fraction=test_fraction, seed=kwargs.get("seed", 0))
    raise DataError(
        f"unknown data set {name!r}: expected one of {', '.join(DATASETS)}, or the path of a "
        ".csv file; pick one of those"
    )
