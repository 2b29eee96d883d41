"""``neuronal evaluate``, ``predict``, ``summary`` and ``explain``: look at a saved model."""

from __future__ import annotations

import math

from ._common import (
    _data_options,
    _fit_inputs,
    _load_model,
    _test_split,
    class_name,
    delimiter,
    looks_like_image,
    predicted_classes,
)


def cmd_evaluate(args) -> int:
    from .. import metrics

    net = _load_model(args.model)
    X_test, y_test = _test_split(args, net)
    result = net.evaluate(X_test, y_test)
    print(f"{len(X_test):,} test samples of {args.dataset}")
    print(f"loss ({net.loss.name}): {result['loss']:.6g}")
    if net.is_classifier and y_test.ndim == 1:
        n_classes = max(2, int(net.predict_proba(X_test[:1]).shape[-1]))
        cm = metrics.confusion_matrix(y_test, predicted_classes(net, X_test),
                                      n_classes=n_classes)
        labels = net.classes if net.classes and len(net.classes) == n_classes else None
        print(metrics.format_confusion_matrix(cm, labels=labels))  # ends with the accuracy
    elif "accuracy" in result:
        print(f"accuracy: {result['accuracy']:.2%}")
    return 0


def _image_side(net) -> int:
    """The side of the square images the model reads (28 when its sizes are open)."""
    import numpy as np

    from ..errors import NeuronalError

    shape = net.sample_shape or net.layers[0].input_shape
    if shape is None or None in shape:
        return 28  # CNN, LSTM: MNIST-sized digits
    n = int(np.prod(shape))
    side = math.isqrt(n)
    if side * side != n:
        raise NeuronalError(f"this model takes {n} inputs, not a square image: give it a .csv "
                            f"file of rows instead (neuronal predict MODEL rows.csv)")
    return side


def _predict_image(net, args) -> None:
    import numpy as np

    from ..images import load_digit_image, save_image

    side = _image_side(net)
    image = load_digit_image(args.input, size=side)
    if args.show:
        save_image(image, args.show)
        style = "8x8 digits" if side == 8 else "MNIST"
        print(f"what the network saw ({side}x{side}, {style} style, enlarged): {args.show}")
    x = _fit_inputs(net, image.reshape(1, -1).astype(net.dtype))
    proba = np.asarray(net.predict_proba(x)[0], dtype=np.float64)
    if proba.shape == (1,):  # one sigmoid output: P(class 1)
        proba = np.array([1 - proba[0], proba[0]])
    k = int(np.argmax(proba))
    print(f"predicted class: {class_name(net, k)}")
    print("probabilities: " + "  ".join(f"{class_name(net, j)}: {p:.3f}"
                                        for j, p in enumerate(proba)))


def _read_rows(args, n_features: int):
    """The feature rows of a CSV file (the --target column dropped when given)."""
    import csv

    import numpy as np

    from ..errors import DataError

    where = f"CSV file {args.input!r}"
    try:
        with open(args.input, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh, delimiter=args.delimiter)
                    if r and any(f.strip() for f in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"cannot read {where}: {exc}") from None
    names = None if args.no_header or not rows else [f.strip() for f in rows.pop(0)]
    drop = None
    if args.target is not None:
        if args.target.lstrip("-").isdigit():
            drop = int(args.target)
        elif names and args.target in names:
            drop = names.index(args.target)
        else:
            raise DataError(f"{where}: no column {args.target!r}; columns: {names}")
    X = []
    for line, row in enumerate(rows, start=2 if names else 1):
        if drop is not None:
            if not -len(row) <= drop < len(row):
                raise DataError(f"{where}, line {line}: no column {drop} in {len(row)} fields")
            row = list(row)
            del row[drop]
        try:
            X.append([float(f) for f in row])
        except ValueError:
            raise DataError(f"{where}, line {line}: expected {n_features} numbers, got "
                            f"{row!r}") from None
        if len(X[-1]) != n_features:
            fix = ("drop the label column with --target NAME"
                   if len(X[-1]) == n_features + 1 and drop is None
                   else f"the model takes {n_features} inputs per row")
            raise DataError(f"{where}, line {line}: expected {n_features} feature values, got "
                            f"{len(X[-1])} ({fix})")
    if not X:
        raise DataError(f"{where} has no rows to predict")
    return np.asarray(X, dtype=np.float64)


def cmd_predict(args) -> int:
    import numpy as np

    from ._common import check_writable_file

    check_writable_file(args._parser, "--show", args.show)
    net = _load_model(args.model)
    if not args.input.lower().endswith((".csv", ".tsv", ".txt")) or looks_like_image(args.input):
        _predict_image(net, args)
        return 0
    shape = net.sample_shape or net.layers[0].input_shape
    n_features = int(np.prod(shape)) if shape and None not in shape else None
    X = _read_rows(args, n_features or 0) if n_features else None
    if X is None:
        from ..errors import NeuronalError

        raise NeuronalError("this model reads images, not rows: give it a picture")
    out = np.asarray(net.predict_proba(X.astype(net.dtype)), dtype=np.float64)
    if net.is_classifier:
        for i, p in enumerate(out, start=1):
            p = np.array([1 - p[0], p[0]]) if p.shape == (1,) else p
            k = int(np.argmax(p))
            print(f"row {i}: {class_name(net, k)} (probability {p[k]:.3f})")
    else:
        for i, p in enumerate(out, start=1):
            print(f"row {i}: " + ", ".join(f"{v:.6g}" for v in p))
    return 0


def cmd_summary(args) -> int:
    _load_model(args.model).summary()
    return 0


def cmd_explain(args) -> int:
    from ..errors import NeuronalError

    net = _load_model(args.model)
    X_test, y_test = _test_split(args, net)
    if not 0 <= args.index < len(X_test):
        raise NeuronalError(f"--index must be in 0..{len(X_test) - 1}, got {args.index}")
    truth = y_test[args.index]
    label = class_name(net, int(truth)) if net.is_classifier and y_test.ndim == 1 else truth
    print(f"test sample {args.index} of {args.dataset} (true label: {label})")
    print(net.explain(X_test[args.index]))
    if net.classes and net.is_classifier:
        k = int(predicted_classes(net, X_test[args.index : args.index + 1])[0])
        print(f"prediction: {class_name(net, k)} (class {k})")
    return 0


def add_parser(sub) -> None:
    """Register ``evaluate``, ``predict``, ``summary`` and ``explain`` on ``sub``."""
    e = sub.add_parser("evaluate", help="accuracy, loss and confusion matrix on a test set")
    e.add_argument("model")
    e.add_argument("dataset")
    _data_options(e)
    e.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="classify a picture of a digit (PNG, any size; "
                       "transparent = white paper) or the rows of a CSV file")
    p.add_argument("model")
    p.add_argument("input", metavar="IMAGE_OR_CSV")
    p.add_argument("--show", metavar="PNG", help="save what the network saw (the prepared "
                   "input, enlarged) to this PNG")
    p.add_argument("--target", help="CSV: the label column to leave out (name or index)")
    p.add_argument("--no-header", action="store_true", help="CSV: no header line")
    p.add_argument("--delimiter", type=delimiter, default=",", help="CSV field separator")
    p.set_defaults(func=cmd_predict, _parser=p)

    s = sub.add_parser("summary", help="the layers, neurons and parameters of a saved model")
    s.add_argument("model")
    s.set_defaults(func=cmd_summary)

    x = sub.add_parser("explain", help="forward propagation of one test sample, layer by layer")
    x.add_argument("model")
    x.add_argument("dataset")
    x.add_argument("--index", type=int, default=0)
    _data_options(x)
    x.set_defaults(func=cmd_explain)
