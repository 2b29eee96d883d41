"""Classification metrics: accuracy, the confusion matrix and what can be read from it.

Everything here takes integer class labels: ``y_true`` the annotated answers, ``y_pred`` what
the network predicted (``network.predict(X)``). One-hot rows or rows of class probabilities are
accepted too and turned into labels with ``argmax``.

The confusion matrix ``cm`` has one row per true class and one column per predicted class:
``cm[i, j]`` counts the samples of class i that the network called j. The diagonal holds the
correct answers, so

* accuracy = trace(cm) / cm.sum();
* the accuracy on class i (its *recall*) = cm[i, i] / cm[i, :].sum(): of the samples that really
  are i, the fraction recognised as i;
* the *precision* of class i = cm[i, i] / cm[:, i].sum(): of the samples called i, the fraction
  that really are i.

Examples
--------
>>> y_true = [0, 0, 1, 1, 2, 2]
>>> y_pred = [0, 1, 1, 1, 2, 0]
>>> accuracy(y_true, y_pred)
0.6666666666666666
>>> confusion_matrix(y_true, y_pred)
array([[1, 1, 0],
       [0, 2, 0],
       [1, 0, 1]])
>>> per_class_accuracy(y_true, y_pred)
array([0.5, 1. , 0.5])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import DataError

__all__ = [
    "accuracy",
    "confusion_matrix",
    "per_class_accuracy",
    "classification_report",
    "format_confusion_matrix",
]


# --------------------------------------------------------------------------- input checking


def _as_labels(y, what: str) -> np.ndarray:
    """``y`` as a 1-D int64 array of class labels >= 0, with a clear error otherwise."""
    try:
        arr = np.asarray(y)
    except ValueError as exc:  # ragged nested lists
        raise DataError(f"{what} must be a 1-D array of class labels: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise DataError(
            f"{what} must contain integer class labels, got dtype {arr.dtype}: map the class "
            f"names to 0, 1, 2, ... first"
        )
    if arr.ndim == 2 and arr.shape[1] > 1:
        if arr.shape[0] == 0:
            return np.zeros(0, dtype=np.int64)
        arr = arr.argmax(axis=1)  # one-hot rows or class probabilities -> labels
    elif arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    elif arr.ndim != 1:
        raise DataError(
            f"{what} must be a 1-D array of class labels (or 2-D one-hot rows), got shape "
            f"{arr.shape}"
        )
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise DataError(
                f"{what} contains NaN or infinite values: class labels must be integers"
            )
        if not np.array_equal(arr, np.round(arr)):
            raise DataError(
                f"{what} contains non-integer values (e.g. {arr[arr != np.round(arr)][0]!r}); "
                f"class labels must be integers: for probabilities of one sigmoid output use "
                f"network.predict(X) or (p >= 0.5).astype(int)"
            )
    arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        bad = int(np.flatnonzero(arr < 0)[0])
        raise DataError(
            f"{what} contains negative class labels (first {int(arr[bad])} at index {bad}): "
            f"labels must be 0, 1, ..., n_classes - 1"
        )
    return arr


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t = _as_labels(y_true, "y_true")
    p = _as_labels(y_pred, "y_pred")
    if len(t) != len(p):
        raise DataError(
            f"y_true has {len(t)} labels but y_pred has {len(p)}: pass one prediction per sample"
        )
    if len(t) == 0:
        raise DataError("y_true and y_pred are empty: pass at least one sample")
    return t, p


def _check_cm(cm) -> np.ndarray:
    """A confusion matrix as a square 2-D int64 array of counts >= 0."""
    arr = np.asarray(cm)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise DataError(
            f"a confusion matrix must be a square 2-D array (true x predicted classes), got "
            f"shape {arr.shape}"
        )
    if arr.dtype.kind not in "biuf" or (arr.dtype.kind == "f" and not np.isfinite(arr).all()):
        raise DataError(f"a confusion matrix must hold finite counts, got dtype {arr.dtype}")
    if (arr < 0).any() or not np.array_equal(arr, np.round(arr)):
        raise DataError("a confusion matrix must hold counts: integers >= 0")
    return arr.astype(np.int64)


def _check_labels(labels, k: int) -> list[str]:
    if labels is None:
        return [str(i) for i in range(k)]
    labels = [str(s) for s in labels]
    if len(labels) != k:
        raise DataError(f"got {len(labels)} labels for a confusion matrix of {k} classes")
    return labels


# --------------------------------------------------------------------------- metrics


def accuracy(y_true, y_pred) -> float:
    """Fraction of samples whose predicted class equals the true class.

    Parameters
    ----------
    y_true, y_pred : array_like of shape (n_samples,)
        Integer class labels (one-hot or probability rows are argmaxed).

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    DataError
        Different lengths, no samples, negative or non-integer labels.

    Examples
    --------
    >>> accuracy([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    t, p = _pair(y_true, y_pred)
    return float(np.count_nonzero(t == p) / len(t))


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Count, for every (true class, predicted class) pair, how many samples fall in it.

    Parameters
    ----------
    y_true, y_pred : array_like of shape (n_samples,)
        Integer class labels >= 0 (one-hot or probability rows are argmaxed).
    n_classes : int, optional
        Number of classes k. Default: 1 + the largest label seen in either array. Pass it when
        some class may be missing from a small sample, so the matrix keeps its k x k shape.

    Returns
    -------
    ndarray of int64, shape (k, k)
        ``cm[i, j]`` = number of samples of true class i predicted as class j (rows: true
        class, columns: predicted class, as scikit-learn's ``confusion_matrix``).

    Raises
    ------
    DataError
        Different lengths, no samples, negative labels, or labels >= ``n_classes``.

    Notes
    -----
    Each (true, predicted) pair is encoded as the single number ``true * k + predicted`` and the
    k*k codes are counted at once with ``np.bincount``: no Python loop over samples.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    t, p = _pair(y_true, y_pred)
    seen = int(max(t.max(), p.max())) + 1
    if n_classes is None:
        k = seen
    else:
        if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or (
            n_classes < 1
        ):
            raise DataError(f"n_classes must be a positive integer, got {n_classes!r}")
        k = int(n_classes)
        if seen > k:
            which = "y_true" if t.max() >= k else "y_pred"
            raise DataError(
                f"{which} contains class label {seen - 1} but n_classes={k} allows only "
                f"0..{k - 1}: pass n_classes={seen} or fix the labels"
            )
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


def per_class_accuracy(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """The accuracy on each true class (its recall): cm[i, i] / cm[i, :].sum().

    Parameters
    ----------
    y_true, y_pred : array_like of shape (n_samples,)
        Integer class labels.
    n_classes : int, optional
        As in :func:`confusion_matrix`.

    Returns
    -------
    ndarray of float64, shape (k,)
        Entry i is the fraction of the samples of class i that were predicted as i; NaN for a
        class with no samples in ``y_true``.

    Examples
    --------
    >>> per_class_accuracy([0, 0, 1, 1], [0, 1, 1, 1])
    array([0.5, 1. ])
    """
    return _recall(confusion_matrix(y_true, y_pred, n_classes))


def _recall(cm: np.ndarray) -> np.ndarray:
    support = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diag(cm) / np.maximum(support, 1), np.nan)


def _precision(cm: np.ndarray) -> np.ndarray:
    called = cm.sum(axis=0)
    return np.where(called > 0, np.diag(cm) / np.maximum(called, 1), np.nan)


def _pct(x: float) -> str:
    return "-" if np.isnan(x) else f"{100 * x:.1f}%"


def classification_report(y_true, y_pred, labels: Sequence[str] | None = None,
                          n_classes: int | None = None) -> str:
    """A text table of precision, recall (per-class accuracy), F1 and support for each class.

    Parameters
    ----------
    y_true, y_pred : array_like of shape (n_samples,)
        Integer class labels.
    labels : sequence of str, optional
        Class names, one per class (default ``"0"``, ``"1"``, ...).
    n_classes : int, optional
        As in :func:`confusion_matrix`.

    Returns
    -------
    str
        One row per class plus an overall accuracy line. Undefined values (a class never
        predicted, or absent from ``y_true``) are shown as ``-``.

    Examples
    --------
    >>> print(classification_report([0, 0, 1, 1], [0, 1, 1, 1]))
    class  precision  recall     f1  support
    0         100.0%   50.0%  66.7%        2
    1          66.7%  100.0%  80.0%        2
    <BLANKLINE>
    accuracy: 75.0% (3 of 4)
    """
    cm = confusion_matrix(y_true, y_pred, n_classes)
    names = _check_labels(labels, len(cm))
    precision, recall = _precision(cm), _recall(cm)
    with np.errstate(invalid="ignore"):
        f1 = 2 * precision * recall / (precision + recall)
    f1 = np.where(np.diag(cm) == 0, np.where(np.isnan(precision) & np.isnan(recall), np.nan, 0.0),
                  f1)
    support = cm.sum(axis=1)
    header = ("class", "precision", "recall", "f1", "support")
    rows = [header] + [
        (names[i], _pct(precision[i]), _pct(recall[i]), _pct(f1[i]), str(support[i]))
        for i in range(len(cm))
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(5)]
    lines = [
        "  ".join([r[0].ljust(widths[0])] + [s.rjust(w) for s, w in zip(r[1:], widths[1:])])
        for r in rows
    ]
    total, correct = int(cm.sum()), int(np.trace(cm))
    lines += ["", f"accuracy: {_pct(correct / total)} ({correct} of {total})"]
    return "\n".join(lines)


def format_confusion_matrix(cm, labels: Sequence[str] | None = None) -> str:
    """The confusion matrix as a readable text table, with per-class recall and precision.

    Parameters
    ----------
    cm : array_like of shape (k, k)
        Counts as from :func:`confusion_matrix` (rows: true class, columns: predicted class).
    labels : sequence of str, optional
        Class names, one per class (default ``"0"``, ``"1"``, ...).

    Returns
    -------
    str
        Rows labelled by true class and columns by predicted class, a ``recall`` column (the
        accuracy on each true class), a ``precision`` row, and the overall accuracy. Undefined
        values (a class with no samples, or never predicted) are shown as ``-``.

    Raises
    ------
    DataError
        ``cm`` is not a square array of counts, or ``labels`` has the wrong length.

    Examples
    --------
    >>> print(format_confusion_matrix([[5, 1], [2, 12]], labels=["cat", "dog"]))
    rows: true class, columns: predicted class
    <BLANKLINE>
    true \\ predicted    cat    dog  recall
    cat                   5      1   83.3%
    dog                   2     12   85.7%
    precision         71.4%  92.3%
    <BLANKLINE>
    accuracy: 85.0% (17 of 20)
    """
    cm = _check_cm(cm)
    k = len(cm)
    names = _check_labels(labels, k)
    recall, precision = _recall(cm), _precision(cm)
    corner = "true \\ predicted"
    first = max(len(corner), len("precision"), *(len(s) for s in names))
    cells = [str(v) for v in cm.ravel()] + [_pct(p) for p in precision] + names
    w = max(len(c) for c in cells) + 2
    w = max(w, 5)
    lines = ["rows: true class, columns: predicted class", ""]
    lines.append(corner.ljust(first) + "".join(s.rjust(w) for s in names) + "  recall")
    for i in range(k):
        row = "".join(str(v).rjust(w) for v in cm[i])
        lines.append(names[i].ljust(first) + row + _pct(recall[i]).rjust(8))
    lines.append("precision".ljust(first) + "".join(_pct(p).rjust(w) for p in precision))
    total, correct = int(cm.sum()), int(np.trace(cm))
    acc = _pct(correct / total) if total else "-"
    lines += ["", f"accuracy: {acc} ({correct} of {total})"]
    return "\n".join(lines)
