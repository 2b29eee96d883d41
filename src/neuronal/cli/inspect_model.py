"""``neuronal evaluate``, ``predict``, ``summary`` and ``explain``: look at a saved model."""

from __future__ import annotations

from ._common import _data_options, _fit_inputs, _load_model, _test_split


def cmd_evaluate(args) -> int:
    from .. import metrics

    net = _load_model(args.model)
    X_test, y_test = _test_split(args, net)
    result = net.evaluate(X_test, y_test)
    print(f"{len(X_test):,} test samples of {args.dataset}")
    if "accuracy" in result:
        print(f"accuracy: {result['accuracy']:.2%}")
    print(f"loss ({net.loss.name}): {result['loss']:.6g}")
    if net.is_classifier and y_test.ndim == 1:
        n_classes = int(net.predict_proba(X_test[:1]).shape[-1])
        cm = metrics.confusion_matrix(y_test, net.predict(X_test), n_classes=max(2, n_classes))
        print("confusion matrix (rows: true class, columns: predicted class)")
        print(metrics.format_confusion_matrix(cm))
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    from ..images import load_digit_image

    net = _load_model(args.model)
    expected = net.layers[0].input_shape
    side = 28  # models with open input sizes (CNN, LSTM) read MNIST-sized digits
    if expected is not None and None not in expected:
        n_inputs = int(np.prod(expected))
        side = int(round(n_inputs**0.5))
        if side * side != n_inputs:
            raise SystemExit(
                f"neuronal: error: this model takes {n_inputs} inputs, not a square image"
            )
    image = load_digit_image(args.image, size=side)
    x = _fit_inputs(net, image.reshape(1, -1))
    proba = net.predict_proba(x)[0]
    label = int(np.argmax(proba))
    print(f"predicted class: {label}")
    print("probabilities: " + "  ".join(f"{k}: {p:.3f}" for k, p in enumerate(proba)))
    return 0


def cmd_summary(args) -> int:
    _load_model(args.model).summary()
    return 0


def cmd_explain(args) -> int:
    net = _load_model(args.model)
    X_test, y_test = _test_split(args, net)
    if not 0 <= args.index < len(X_test):
        raise SystemExit(
            f"neuronal: error: --index must be in 0..{len(X_test) - 1}, got {args.index}"
        )
    print(f"test sample {args.index} of {args.dataset} (true label: {y_test[args.index]})")
    print(net.explain(X_test[args.index]))
    return 0


def add_parser(sub) -> None:
    """Register ``evaluate``, ``predict``, ``summary`` and ``explain`` on ``sub``."""
    e = sub.add_parser("evaluate", help="accuracy, loss and confusion matrix on a test set")
    e.add_argument("model")
    e.add_argument("dataset")
    _data_options(e)
    e.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="classify a picture of a digit (PNG, any size)")
    p.add_argument("model")
    p.add_argument("image")
    p.set_defaults(func=cmd_predict)

    s = sub.add_parser("summary", help="the layers, neurons and parameters of a saved model")
    s.add_argument("model")
    s.set_defaults(func=cmd_summary)

    x = sub.add_parser("explain", help="forward propagation of one test sample, layer by layer")
    x.add_argument("model")
    x.add_argument("dataset")
    x.add_argument("--index", type=int, default=0)
    _data_options(x)
    x.set_defaults(func=cmd_explain)
