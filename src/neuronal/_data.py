"""Checking and converting user data once, before any training or prediction step.

Everything here runs once per call of ``fit``/``predict``/``evaluate``, never per mini-batch.
"""

from __future__ import annotations

import numpy as np

from .errors import DataError, ShapeError


def as_inputs(X, dtype, what: str = "X", check_values: bool = True) -> np.ndarray:
    """X as a C-contiguous array of ``dtype``, rejecting empty, non-numeric and NaN/inf data.

    ``check_values=False`` skips the NaN/inf check (one pass over all of X); the caller must
    then make sure such values cannot go unnoticed (``Network.fit`` does, see there).
    """
    if (type(X) is np.ndarray and X.dtype == dtype and X.ndim and len(X)
            and X.flags.c_contiguous):
        arr, check = X, True  # already in the form wanted (the common case)
    else:
        arr, check = _converted(X, dtype, what)
    if check and check_values:
        check_finite(arr, what)
    return arr


def check_finite(arr: np.ndarray, what: str = "X") -> None:
    """Raise :class:`DataError`, naming the first bad index, if ``arr`` holds NaN or inf."""
    if arr.dtype.kind == "f" and not all_finite(arr):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise DataError(
            f"{what} contains NaN or infinite values (first at index "
            f"{tuple(int(i) for i in bad)}): "
            f"remove or impute them before training"
        )


def _converted(X, dtype, what: str) -> tuple[np.ndarray, bool]:
    """X converted to a C-contiguous ``dtype`` array, and whether its values need checking."""
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise DataError(f"{what} must be a rectangular array of numbers: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise DataError(
            f"{what} must contain numbers, got dtype {arr.dtype}: convert it first, "
            f"e.g. np.asarray({what}, dtype=float)"
        )
    if arr.ndim == 0 or arr.shape[0] == 0:
        raise DataError(f"{what} is empty (shape {arr.shape}): pass at least one sample")
    # Integers and booleans convert to finite floats: only float input can hold NaN or inf.
    return _cast(arr, dtype, what), arr.dtype.kind == "f"


def _cast(arr: np.ndarray, dtype, what: str) -> np.ndarray:
    """``arr`` as a C-contiguous ``dtype`` array; finite values too large for it are an error.

    float64 values beyond float32's range (|x| > 3.4e38) would become infinities and then be
    reported as "NaN or infinite": the overflow flag of the cast says so first, for free.
    """
    try:
        with np.errstate(over="raise"):
            return np.ascontiguousarray(arr, dtype=dtype)
    except FloatingPointError:
        limit = np.finfo(dtype).max
        with np.errstate(invalid="ignore"):
            bad = np.argwhere(np.isfinite(arr) & (np.abs(arr) > limit))[0]
        index, name = tuple(int(i) for i in bad), np.dtype(dtype).name
        raise DataError(
            f"{what} holds finite values too large for {name} (first at index {index}: "
            f"{float(arr[index]):.6g}; {name} holds |x| <= {limit:.3g}): scale "
            f"the data (e.g. standardise each column, or divide by a constant), or build the "
            f"network with dtype='float64'"
        ) from None


def all_finite(arr: np.ndarray) -> bool:
    """``np.isfinite(arr).all()`` for a float array, in one summing pass when large.

    A column's sum is NaN or infinite if the column holds a NaN or an infinity (NaN and inf
    propagate through every sum); a finite column can only give a non-finite sum by
    overflowing, and that case is settled by the exact check. One pass of NumPy's vectorised
    sum is several times faster than ``isfinite(...).all()`` with its boolean temporary, needs
    no BLAS (so no second thread to wait for on a busy machine), and ``fit`` pays it on every
    call.
    """
    if arr.size < 1 << 16:  # (counting is cheaper than .all()'s reduction here)
        return np.count_nonzero(np.isfinite(arr)) == arr.size
    rows = arr.reshape(arr.shape[0], -1)
    with np.errstate(over="ignore", invalid="ignore"):
        sums = np.add.reduce(rows, axis=0)
    return bool(np.isfinite(sums).all()) or bool(np.isfinite(arr).all())


def as_sample_weights(sample_weight, n: int, dtype) -> np.ndarray | None:
    """``sample_weight`` checked: n finite numbers >= 0, not all 0 (None stays None)."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"sample_weight must be numbers, one per sample, got "
                        f"{type(sample_weight).__name__}") from None
    if w.ndim != 1 or len(w) != n:
        raise DataError(f"sample_weight must have one weight per sample, shape ({n},); got "
                        f"shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise DataError("sample_weight must be finite and >= 0, with at least one weight > 0")
    if not w.sum() > 0:
        raise DataError("sample_weight are all zero: at least one weight > 0 is needed")
    return w.astype(dtype)


def as_targets(y, n_samples: int, out_width: int, kind: str, dtype, loss_name: str):
    """Targets as a float array shaped like the network's output, plus integer labels.

    Parameters
    ----------
    kind : "categorical" (cross-entropy), "binary" (binary cross-entropy) or "regression".

    Returns
    -------
    Y : ndarray (n_samples, out_width) of ``dtype``, what the loss compares with the output.
    labels : ndarray of int (n_samples,) or (n_samples, out_width), or None for regression.
    """
    try:
        y = np.asarray(y)
    except ValueError as exc:
        raise DataError(f"y must be a rectangular array of numbers: {exc}") from None
    if y.dtype.kind not in "biuf":
        raise DataError(f"y must contain numbers, got dtype {y.dtype}")
    if y.ndim == 0 or y.shape[0] != n_samples:
        raise DataError(
            f"X has {n_samples} samples but y has {y.shape[0] if y.ndim else 'no'} "
            f"(shape {y.shape}): pass one target per sample"
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise DataError("y contains NaN or infinite values: remove those samples or fix the labels")

    column = y.ndim == 2 and y.shape[1] == 1
    if ((kind == "categorical" and (y.ndim == 1 or (column and out_width > 1)))
            or (kind == "binary" and (y.ndim == 1 or column) and out_width > 1)):
        # class labels: one-hot rows, output k's target is 1 for class k (for a softmax, and
        # for one sigmoid per class as in Nielsen's chapter 3)
        labels = _integer_labels(y.reshape(-1), out_width, loss_name)
        Y = np.zeros((n_samples, out_width), dtype=dtype)
        Y[np.arange(n_samples), labels] = 1
        return Y, labels

    if kind == "categorical":
        if y.ndim == 2 and y.shape[1] == out_width:
            if y.min() < 0 or y.max() > 1:
                raise DataError(
                    f"one-hot targets for {loss_name} must lie in [0, 1], got values from "
                    f"{y.min()} to {y.max()}: pass integer class labels instead"
                )
            _check_rows_sum_to_one(y, loss_name)
            return np.ascontiguousarray(y, dtype=dtype), np.argmax(y, axis=1)
        raise ShapeError(
            f"{loss_name} with {out_width} output neurons expects y as integer labels of shape "
            f"({n_samples},) in 0..{out_width - 1} or one-hot rows of shape "
            f"({n_samples}, {out_width}); got shape {y.shape}"
        )

    if kind == "binary":
        if y.ndim == 1 and out_width == 1:
            y = y.reshape(-1, 1)
        if y.shape[1:] != (out_width,) or y.ndim != 2:
            expected = (f"y of shape ({n_samples},) or ({n_samples}, 1) with 0/1 values"
                        if out_width == 1 else
                        f"y as integer class labels in 0..{out_width - 1} of shape "
                        f"({n_samples},), or 0/1 rows of shape ({n_samples}, {out_width})")
            raise ShapeError(f"{loss_name} with {out_width} sigmoid output(s) expects "
                             f"{expected}; got {y.shape}")
        if y.min() < 0 or y.max() > 1:
            raise DataError(
                f"{loss_name} targets must lie in [0, 1] (class 0 or 1), got values from "
                f"{y.min()} to {y.max()}; for more than two classes use a softmax output "
                f"with loss='cross_entropy'"
            )
        Y = np.ascontiguousarray(y, dtype=dtype)
        return Y, (Y >= 0.5).astype(np.int64)

    # regression: the targets must have the output's shape, except that class labels are
    # turned into one-hot rows for an output of several neurons (Nielsen's first network:
    # 10 sigmoid outputs trained with the quadratic cost on the digits' labels)
    if (y.ndim == 1 and out_width > 1 and y.dtype.kind in "biuf"
            and np.all(y == np.floor(y))):
        labels = _integer_labels(y, out_width, loss_name)
        Y = np.zeros((n_samples, out_width), dtype=dtype)
        Y[np.arange(n_samples), labels] = 1
        return Y, labels
    if y.ndim == 1 and out_width == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != out_width:
        raise ShapeError(
            f"{loss_name} with {out_width} output neuron(s) expects y of shape "
            f"({n_samples}, {out_width}){f' or ({n_samples},)' if out_width == 1 else ''}; "
            f"got {y.shape}"
        )
    return _cast(y, dtype, "y"), None


def _check_rows_sum_to_one(y: np.ndarray, loss_name: str) -> None:
    """One-hot (or probability) rows must each sum to 1: a row of zeros has no class."""
    sums = y.sum(axis=1, dtype=np.float64)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-3)
    if bad.size:
        i = int(bad[0])
        what = "is all zeros" if not np.any(y[i]) else f"sums to {sums[i]:.6g}"
        raise DataError(
            f"one-hot targets for {loss_name} must have rows that sum to 1 (one class per "
            f"sample, or class probabilities), but row {i} {what} ({bad.size} such row(s)): "
            f"give every sample its class, or pass integer class labels instead"
        )


def _integer_labels(y: np.ndarray, n_classes: int, loss_name: str) -> np.ndarray:
    if y.dtype.kind == "f" and not np.all(y == np.floor(y)):
        raise DataError(
            f"{loss_name} expects integer class labels 0..{n_classes - 1}, got non-integer "
            f"values such as {y[y != np.floor(y)][0]}"
        )
    # The range from the labels as given (a uint64 2**63 + 1 would wrap in int64), exactly.
    lo, hi = int(y.min()), int(y.max())
    if lo >= 0 and hi < n_classes:
        return y.astype(np.int64)
    fix = "relabel the classes as 0..k-1"
    if lo >= 0 and hi < 100_000:
        fix += f" or give the last layer {hi + 1} neurons"
    raise DataError(
        f"labels must lie in 0..{n_classes - 1} for a network with {n_classes} output "
        f"neurons, got values from {lo} to {hi}: {fix}"
    )


def check_batch_size(batch_size) -> int:
    integer = isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool)
    if not integer or batch_size < 1:
        raise DataError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    return int(batch_size)
