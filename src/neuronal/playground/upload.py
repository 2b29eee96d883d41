"""An uploaded CSV file: parsed once, its columns offered to the page, then turned into data.

The page uploads the file; :func:`parse_csv` reads it (UTF-8, a header line of column names,
comma, semicolon or tab separated, detected from the header) and says clearly what is wrong
with a bad one: not text, no header, no rows, a ragged row (with its line number), too big.
The page then picks the input columns and the target; :meth:`CsvTable.page_data` builds the
training and test sets: inputs standardised (mean 0, standard deviation 1 over the training
rows), a classification target's values numbered in sorted order, a regression target
standardised too. The first two input columns span the drawn plane (the others held at
their mean, 0).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass

import numpy as np

from ..datasets import split_train_test
from .config import Setup
from .data import PageData
from .limits import Limits, PlaygroundError

__all__ = ["CsvTable", "parse_csv"]

_PREVIEW_ROWS = 5


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass
class CsvTable:
    """A parsed CSV file: column names and each column's fields as text.

    Attributes
    ----------
    name : str
        The file name the page gave.
    columns : list of str
    cells : list of list of str
        ``cells[c][r]``: column c, data row r.
    """

    name: str
    columns: list[str]
    cells: list[list[str]]

    @property
    def n_rows(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def numeric(self, c: int) -> bool:
        """Whether every field of column ``c`` is a finite number."""
        return all(_number(v) is not None for v in self.cells[c])

    def describe(self) -> dict:
        """What the page shows to pick columns: names, kinds, distinct counts, a preview."""
        cols = []
        for c, name in enumerate(self.columns):
            distinct = len(set(self.cells[c]))
            cols.append({"name": name, "numeric": self.numeric(c), "distinct": distinct})
        preview = [[self.cells[c][r] for c in range(len(self.columns))]
                   for r in range(min(_PREVIEW_ROWS, self.n_rows))]
        return {"name": self.name, "rows": self.n_rows, "columns": cols, "preview": preview}

    def _index(self, column: str, role: str) -> int:
        if column not in self.columns:
            raise PlaygroundError(
                f"the CSV file {self.name!r} has no column {column!r} to use as {role}; its "
                f"columns are {', '.join(self.columns)}")
        return self.columns.index(column)

    def page_data(self, setup: Setup, limits: Limits) -> PageData:
        """Training and test sets from the columns ``setup`` picks (see the module docstring)."""
        if not setup.csv_target:
            raise PlaygroundError("pick the CSV column to predict (the target) first")
        t = self._index(setup.csv_target, "the target")
        inputs = [self._index(f, "an input") for f in setup.csv_features]
        if not inputs:
            raise PlaygroundError("pick at least one CSV column as an input")
        if t in inputs:
            raise PlaygroundError(f"column {setup.csv_target!r} cannot be both an input and the "
                                  "target: untick it as an input")
        for c in inputs:
            if not self.numeric(c):
                bad = next(v for v in self.cells[c] if _number(v) is None)
                raise PlaygroundError(
                    f"input column {self.columns[c]!r} holds {bad!r}, which is not a number: "
                    f"inputs must be numeric columns")
        X = np.array([[float(v) for v in self.cells[c]] for c in inputs],
                     dtype=np.float64).T
        classification = setup.problem == "classification"
        if classification:
            names = sorted(set(self.cells[t]), key=lambda v: (_number(v) is None, _number(v)
                                                              or 0.0, v))
            if len(names) < 2 or len(names) > limits.max_classes:
                raise PlaygroundError(
                    f"target column {self.columns[t]!r} has {len(names)} distinct values; "
                    f"classification needs 2 to {limits.max_classes} classes: pick another "
                    f"target, or choose regression")
            lookup = {v: i for i, v in enumerate(names)}
            y = np.array([lookup[v] for v in self.cells[t]], dtype=np.int64)
        else:
            if not self.numeric(t):
                raise PlaygroundError(f"regression needs a numeric target, but column "
                                      f"{self.columns[t]!r} is not: choose classification")
            y = np.array([float(v) for v in self.cells[t]], dtype=np.float64).reshape(-1, 1)
        (X_tr, y_tr), (X_te, y_te) = split_train_test(
            X, y, test_fraction=1.0 - setup.ratio / 100.0, seed=setup.data_seed)
        mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
        std[std == 0] = 1.0
        X_tr, X_te = ((X_tr - mean) / std).astype(np.float32), ((X_te - mean) / std).astype(
            np.float32)
        notes = [f"{self.name}: {len(X_tr)} training and {len(X_te)} test rows; inputs "
                 "standardised (mean 0, standard deviation 1 over the training rows)."]
        y_scale = 1.0
        if not classification:
            y_mean, y_std = float(y_tr.mean()), float(y_tr.std()) or 1.0
            y_tr = ((y_tr - y_mean) / y_std).astype(np.float32)
            y_te = ((y_te - y_mean) / y_std).astype(np.float32)
            y_scale = float(max(1e-6, np.abs(y_tr).max()))
            notes.append(f"Target standardised: (value - {y_mean:.4g}) / {y_std:.4g}.")
        P_tr = np.zeros((len(X_tr), 2), np.float32)
        P_te = np.zeros((len(X_te), 2), np.float32)
        shown = min(2, len(inputs))
        P_tr[:, :shown], P_te[:, :shown] = X_tr[:, :shown], X_te[:, :shown]
        both = np.concatenate([P_tr, P_te])
        bounds = []
        for axis in range(2):
            lo, hi = float(both[:, axis].min()), float(both[:, axis].max())
            pad = max(0.5, 0.1 * (hi - lo))
            bounds.append((lo - pad, hi + pad))
        width = len(inputs)
        if width > 2:
            notes.append("The plane shows the first two inputs; the others are held at their "
                         "mean.")

        def to_inputs(P: np.ndarray) -> np.ndarray:
            out = np.zeros((len(P), width), np.float32)
            out[:, :shown] = P[:, :shown]
            return out

        axis_names = [self.columns[c] for c in inputs[:2]] + ([""] if shown < 2 else [])
        k = int(y.max()) + 1 if classification else 0
        return PageData(
            problem=setup.problem, X_train=X_tr, y_train=y_tr, X_test=X_te, y_test=y_te,
            n_classes=k, class_names=names if classification else [],
            input_names=[self.columns[c] for c in inputs], points_train=P_tr, points_test=P_te,
            bounds=bounds, axis_names=axis_names, to_inputs=to_inputs, y_scale=y_scale,
            notes=notes)


def parse_csv(data: bytes, name: str, limits: Limits) -> CsvTable:
    """Parse an uploaded CSV file.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        The file name, for messages.
    limits : Limits
        Bounds on its size, rows and columns.

    Returns
    -------
    CsvTable

    Raises
    ------
    PlaygroundError
        If the file is too big, not UTF-8 text, has no header or data rows, has rows of
        another length than the header (the message gives the line), or too many rows or
        columns.

    Examples
    --------
    >>> t = parse_csv(b"a,b,label\\n1,2,x\\n3,4,y\\n", "t.csv", Limits())
    >>> t.columns, t.n_rows
    (['a', 'b', 'label'], 2)
    """
    what = f"the CSV file {name!r}"
    if len(data) > limits.max_upload_bytes:
        raise PlaygroundError(f"{what} has {len(data):,} bytes; the limit is "
                              f"{limits.max_upload_bytes:,}: upload a smaller file")
    if b"\0" in data[:4096]:
        raise PlaygroundError(f"{what} is not a text file (it holds binary data): upload a "
                              "CSV file, columns separated by commas, first line the names")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlaygroundError(f"{what} is not UTF-8 text (byte {exc.start}): save it as "
                              "UTF-8 CSV") from None
    numbered = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip()]
    if not numbered:
        raise PlaygroundError(f"{what} is empty: it needs a header line of column names and "
                              "data rows")
    header = numbered[0][1]
    delimiter = max((",", ";", "\t"), key=header.count)
    rows = [next(csv.reader([line], delimiter=delimiter)) for _, line in numbered]
    columns = [c.strip() for c in rows[0]]
    if len(columns) < 2:
        raise PlaygroundError(f"{what} has a single column ({columns[0]!r:.40}): it needs at "
                              "least an input and a target, separated by commas")
    if len(columns) > limits.max_csv_columns:
        raise PlaygroundError(f"{what} has {len(columns)} columns; the limit is "
                              f"{limits.max_csv_columns}")
    if any(not c for c in columns) or len(set(columns)) != len(columns):
        raise PlaygroundError(f"{what} needs a first line of distinct, non-empty column names; "
                              f"got {', '.join(repr(c) for c in columns)}")
    if all(_number(c) is not None for c in columns):
        raise PlaygroundError(f"{what} has no header: its first line ({header[:60]!r}) holds "
                              "numbers; add a first line of column names")
    data_rows = rows[1:]
    if not data_rows:
        raise PlaygroundError(f"{what} has a header but no data rows")
    if len(data_rows) > limits.max_csv_rows:
        raise PlaygroundError(f"{what} has {len(data_rows):,} data rows; the limit is "
                              f"{limits.max_csv_rows:,}")
    for (line, _), row in zip(numbered[1:], data_rows):
        if len(row) != len(columns):
            raise PlaygroundError(
                f"{what}, line {line}: {len(row)} field{'s' if len(row) != 1 else ''} but the "
                f"header has {len(columns)}; every row needs one value per column")
    cells = [[row[c].strip() for row in data_rows] for c in range(len(columns))]
    for c, name_c in enumerate(columns):
        empty = [r for r, v in enumerate(cells[c]) if not v]
        if empty:
            raise PlaygroundError(f"{what}, line {numbered[empty[0] + 1][0]}: column "
                                  f"{name_c!r} is empty; fill it in or remove that row")
    return CsvTable(name=name, columns=columns, cells=cells)
