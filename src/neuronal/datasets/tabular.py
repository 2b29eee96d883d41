"""Numeric CSV files as ``(X, y)`` arrays, with the standard library's :mod:`csv` module."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Union

import numpy as np

from ..errors import DataError

__all__ = ["load_csv"]

PathLike = Union[str, "os.PathLike[str]"]

_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _target_index(target: object, names: list[str], header: bool, where: str) -> int:
    width = len(names)
    if isinstance(target, str):
        if not header:
            raise DataError(
                f"{where}: target {target!r} is a column name, but header=False so the columns "
                "have no names; pass the column's index instead (e.g. target=-1 for the last)"
            )
        matches = [i for i, name in enumerate(names) if name == target.strip()]
        if not matches:
            raise DataError(
                f"{where}: unknown target column {target!r}: expected one of "
                f"{', '.join(repr(n) for n in names)}; pass one of those names or an index"
            )
        if len(matches) > 1:
            raise DataError(
                f"{where}: the header has {len(matches)} columns named {target!r}; rename them "
                "or pass the target's index"
            )
        return matches[0]
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise DataError(
            f"{where}: target must be a column name (str) or index (int), got "
            f"{type(target).__name__} {target!r}; pass e.g. target='label' or target=-1"
        )
    index = int(target)
    if not -width <= index < width:
        raise DataError(
            f"{where}: target index {index} is out of range for {width} column(s): expected "
            f"-{width} .. {width - 1}; pass a valid index"
        )
    return index % width


def load_csv(
    path: PathLike,
    target: str | int,
    delimiter: str = ",",
    header: bool = True,
    text_labels: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Load a CSV file of numbers as features and a target.

    Blank lines are skipped. Every other row must have as many fields as the first, and every
    field must be a finite number (surrounding spaces are allowed).

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file (UTF-8, an optional byte-order mark is ignored).
    target : str or int
        The target column: its name from the header, or its index (negative counts from the end).
    delimiter : str, default ","
        Field separator, one character (e.g. ``";"`` or ``"\\t"``).
    header : bool, default True
        Whether the first non-blank line holds column names.
    text_labels : bool, default False
        Read the target column as text (class names such as ``"setosa"``): ``y`` is then an
        array of str, one stripped field per row, whatever it holds.

    Returns
    -------
    X : numpy.ndarray
        ``float32`` of shape ``(n, columns - 1)``: every column but the target, in file order.
    y : numpy.ndarray
        Shape ``(n,)``: ``int64`` when every target field is written as an integer (``"3"``, not
        ``"3.0"``), else ``float32``; str with ``text_labels=True``.

    Raises
    ------
    DataError
        If the file is missing, empty or has no data rows, the target column is unknown, a row has
        the wrong number of fields, or a field is not a finite number. Messages name the file, the
        line number (1-based, counting the header line, as a text editor shows it), the column and
        the offending text.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(path, "w").write("a,b,label\\n1,2,0\\n3,4,1\\n")
    >>> X, y = load_csv(path, target="label")
    >>> X.tolist(), y.tolist()
    ([[1.0, 2.0], [3.0, 4.0]], [0, 1])
    """
    try:
        path = Path(path)
    except TypeError:
        raise DataError(
            f"load_csv expected a file path (str or pathlib.Path), got {type(path).__name__}"
        ) from None
    where = f"CSV file {str(path)!r}"
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise DataError(
            f"delimiter must be a single character, got {delimiter!r}; pass e.g. ',' or ';'"
        )
    features: list[list[float]] = []
    targets: list[float] = []
    target_texts: list[str] = []
    lines: list[int] = []  # the line number of each data row, for messages
    names: list[str] = []
    t_index = -1
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            for row in reader:
                if not row or all(not field.strip() for field in row):
                    continue
                line = reader.line_num
                if not names:
                    if header:
                        names = [field.strip() for field in row]
                        t_index = _target_index(target, names, header, where)
                        continue
                    names = [f"column {i}" for i in range(len(row))]
                    t_index = _target_index(target, names, header, where)
                if len(row) != len(names):
                    raise DataError(
                        f"{where}, line {line}: expected {len(names)} fields like the "
                        f"{'header' if header else 'first row'}, got {len(row)}; fix that line "
                        f"(or pass the right delimiter; current {delimiter!r})"
                    )
                values: list[float] = []
                for i, text in enumerate(row):
                    stripped = text.strip()
                    if text_labels and i == t_index:
                        if not stripped:
                            raise DataError(
                                f"{where}, line {line}, column {names[i]!r}: the label is empty; "
                                "give every row a label or remove the row"
                            )
                        values.append(0.0)  # a placeholder: the label is kept as text
                        continue
                    try:
                        value = float(stripped)
                    except ValueError:
                        value = math.nan
                    if not math.isfinite(value):
                        shown = repr(text) if stripped else "an empty field"
                        raise DataError(
                            f"{where}, line {line}, column {names[i]!r}: expected a finite "
                            f"number, got {shown}; fix or remove that line (load_csv reads "
                            "numbers only, without missing values)"
                        )
                    values.append(value)
                lines.append(line)
                target_texts.append(row[t_index].strip())
                targets.append(values.pop(t_index))
                features.append(values)
    except FileNotFoundError:
        raise DataError(
            f"{where} does not exist: expected an existing CSV file; check the path"
        ) from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{where} is not UTF-8 text ({exc.reason} at byte {exc.start}): expected a CSV text "
            "file; convert it to UTF-8"
        ) from None
    except csv.Error as exc:
        raise DataError(f"{where} is not valid CSV ({exc}); fix the quoting") from None
    except IsADirectoryError:
        raise DataError(f"{where} is a folder: expected a CSV file; pass the file's path") from None
    if not names:
        expected = "a header and rows" if header else "rows"
        raise DataError(f"{where} is empty: expected {expected} of numbers; check the path")
    if not features:
        raise DataError(
            f"{where} has a header but no data rows: expected at least one row of numbers "
            "after it; add data or check the path"
        )
    if len(names) < 2:
        raise DataError(
            f"{where} has only the target column: expected at least one feature column besides "
            f"it; check the delimiter (current {delimiter!r})"
        )
    X = np.asarray(features, dtype=np.float64)
    big = np.argwhere(np.abs(X) > _FLOAT32_MAX)  # compared before casting: no overflow warning
    if big.size:
        row, col = (int(i) for i in big[0])
        feature_names = [n for i, n in enumerate(names) if i != t_index]
        raise DataError(
            f"{where}, line {lines[row]}, column {feature_names[col]!r}: the value "
            f"{X[row, col]:.6g} overflows float32 (|x| > 3.4e38): expected smaller numbers; "
            "rescale that column"
        )
    if text_labels:
        y = np.asarray(target_texts, dtype=str)
    elif all(_is_int(text) for text in target_texts):
        y = np.asarray([int(text) for text in target_texts], dtype=np.int64)
    else:
        y64 = np.asarray(targets, dtype=np.float64)
        big = np.flatnonzero(np.abs(y64) > _FLOAT32_MAX)
        if big.size:
            raise DataError(
                f"{where}, line {lines[int(big[0])]}, column {names[t_index]!r}: the target "
                f"{y64[big[0]]:.6g} overflows float32 (|y| > 3.4e38): expected smaller numbers; "
                "rescale the target"
            )
        y = y64.astype(np.float32)
    return X.astype(np.float32), y


def _is_int(text: str) -> bool:
    try:
        value = int(text)
    except ValueError:
        return False
    return _INT64_MIN <= value <= _INT64_MAX
