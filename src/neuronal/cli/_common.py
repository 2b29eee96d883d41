"""Helpers shared by the commands: option types, path checks, data sets, labels, models."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"BM")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")


# --------------------------------------------------------------------------- option types
# argparse calls these while parsing, so a bad number is a usage error (exit 2) before any
# data are loaded.


def _whole(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _whole(text, 1)


def nonnegative_int(text: str) -> int:
    return _whole(text, 0)


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def nonnegative_float(text: str) -> float:
    value = _float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def fraction(text: str) -> float:
    value = _float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def delimiter(text: str) -> str:
    """One character; ``\\t`` (as typed in a shell) and ``tab`` mean a tab."""
    value = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(text, text)
    if len(value) != 1:
        raise argparse.ArgumentTypeError(f"must be one character, like ',' ';' or '\\t'; got "
                                         f"{text!r}")
    return value


# --------------------------------------------------------------------------- paths


def _blocker(path: Path) -> str | None:
    """Why nothing can be written at ``path`` (creating its folders), or None if it can."""
    if path.is_dir():
        return "it is a folder"
    parent = path.parent
    while not parent.exists():
        if parent.parent == parent:
            return "none of its folders exist"
        parent = parent.parent
    if not parent.is_dir():
        return f"{str(parent)!r} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"the folder {str(parent)!r} is not writable"
    return None


def check_writable_file(parser: argparse.ArgumentParser, option: str, value: str | None) -> None:
    """Exit 2 now if the file named by ``option`` could not be written later."""
    if value is None:
        return
    why = _blocker(Path(value))
    if why:
        parser.error(f"{option} {value}: cannot write there ({why}); pick another path")


def check_writable_dir(parser: argparse.ArgumentParser, option: str, value: str | None) -> None:
    """Exit 2 now if pictures could not be written into the folder ``option`` names."""
    if value is None:
        return
    path = Path(value)
    if path.exists() and not path.is_dir():
        parser.error(f"{option} {value}: this is a file, but a folder is needed; pick another "
                     f"path")
    why = None if path.is_dir() and os.access(path, os.W_OK | os.X_OK) else _blocker(path / "x")
    if why:
        parser.error(f"{option} {value}: cannot write there ({why}); pick another path")


# --------------------------------------------------------------------------- data


def _dataset(name: str, args, download: bool = True):
    """(X_train, y_train), (X_test, y_test) for a data-set name or CSV path (images flat).

    CSV labels come back as text (str arrays); :func:`encode_labels` turns them into numbers.
    """
    from ..datasets import load_dataset

    kwargs = {}
    target = getattr(args, "target", None)
    if target is not None:
        kwargs["target"] = int(target) if target.lstrip("-").isdigit() else target
    if name.lower().endswith(".csv"):
        kwargs.update(text_labels=True, header=not getattr(args, "no_header", False),
                      delimiter=getattr(args, "delimiter", None) or ",")
    if name.lower() in ("mnist", "fashion-mnist", "fashion_mnist"):
        return load_dataset(name, data_dir=args.data_dir, download=download, **kwargs)
    return load_dataset(name, data_dir=getattr(args, "data_dir", None), **kwargs)


def label_text(value) -> str:
    """A label as the model stores it: ``3`` for 3 and 3.0, ``cat`` for cat."""
    import numpy as np

    if isinstance(value, (str, np.str_)):
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            return text
        return label_text(number)
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def numeric_labels(y):
    """Text labels that are all numbers as numbers (int64 when whole, float32 otherwise);
    other arrays unchanged; None when some label is not a number."""
    import numpy as np

    if y.dtype.kind not in "US":
        return y
    try:
        values = y.astype(np.float64)
    except ValueError:
        return None
    if not np.isfinite(values).all():
        return None
    if np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53):
        return values.astype(np.int64)
    return values.astype(np.float32)


def encode_labels(y, classes: list[str] | None):
    """Labels as class indices for a model whose output k is ``classes[k]`` (None: as they
    are, numbers)."""
    import numpy as np

    from ..errors import DataError

    if classes is None:
        numeric = numeric_labels(y)
        if numeric is None:
            raise DataError("the labels are text but this model has no class names: train it "
                            "with neuronal train (which keeps the names) or give numeric labels")
        return numeric
    index = {name: k for k, name in enumerate(classes)}
    texts = [label_text(v) for v in y]
    unknown = sorted({t for t in texts if t not in index})
    if unknown:
        raise DataError(f"labels {unknown[:5]} are not among the model's classes "
                        f"{classes[:20]}: evaluate on data labelled like the training data")
    return np.asarray([index[t] for t in texts], dtype=np.int64)


def predicted_classes(net, X):
    """The class of every sample: the largest output, or output >= 0.5 for one output.

    The command line's classes are single labels (a data set's, or a CSV's target column),
    so a network with one sigmoid per class answers the class of its largest output too
    (``net.predict`` gives such a network's 0/1 answer per output instead).
    """
    out = net.predict_proba(X)
    return out.argmax(axis=-1) if out.shape[-1] > 1 else (out[:, 0] >= 0.5).astype("int64")


def class_name(net, k: int) -> str:
    classes = getattr(net, "classes", None)
    return classes[k] if classes is not None and 0 <= k < len(classes) else str(k)


def _fit_inputs(net, X):
    """Reshape flat or image samples to what the network's first layer expects.

    ``(N, 784)`` rows become ``(N, 1, 28, 28)`` images for a CNN, ``(N, 28, 28)`` sequences
    for an LSTM reading rows, and images become rows for a dense network. Open sizes (None)
    are filled in: one from the sample size, two as a square.
    """
    from ..layers.base import shape_matches

    expected = net.layers[0].input_shape
    if expected is None or shape_matches(tuple(expected), X.shape[1:]):
        return X
    known = math.prod(e or 1 for e in expected)
    n_open = sum(e is None for e in expected)
    per_sample = X[0].size
    if per_sample % known or n_open > 2:
        return X  # the network reports the mismatch in its own words
    fill = per_sample // known
    if n_open == 2:
        fill = math.isqrt(fill)
    shape = tuple(fill if e is None else e for e in expected)
    return X.reshape(len(X), *shape) if math.prod(shape) == per_sample else X


def looks_like_image(path: str) -> bool:
    """Whether ``path`` is a picture (by its first bytes, or its name when unreadable)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return path.lower().endswith(_IMAGE_SUFFIXES)
    return head.startswith(_IMAGE_MAGIC)


def _load_model(path):
    import neuronal as nl
    from neuronal.errors import ModelFileError

    if looks_like_image(path):
        raise ModelFileError(
            f"{path!r} is a picture, not a model file: did you swap MODEL and IMAGE? "
            f"(neuronal predict MODEL IMAGE)"
        )
    return nl.load(path)


def _test_split(args, net):
    (_, _), (X_test, y_test) = _dataset(args.dataset, args, download=not args.no_download)
    return _fit_inputs(net, X_test), encode_labels(y_test, getattr(net, "classes", None))


def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="data directory holding mnist/, fashion-mnist/ (default: "
                   "$NEURONAL_DATA, then ~/.cache/neuronal)")
    p.add_argument("--target", help="target column of a CSV file (name or index)")
    p.add_argument("--no-header", action="store_true",
                   help="the CSV file has no header line (give --target as an index)")
    p.add_argument("--delimiter", type=delimiter, default=",",
                   help="CSV field separator, one character (default ','; '\\t' for tabs)")
    p.add_argument("--no-download", action="store_true", help="never download data sets")
