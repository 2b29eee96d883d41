"""The ``neuronal`` command line: train, evaluate, predict, summary, explain, plot.

Exit status: 0 on success, 2 on usage errors (argparse), 1 on any other error, reported in one
line without a traceback (``--debug`` shows it). Only the public API is used here, and heavy
modules are imported inside the commands so ``neuronal --help`` starts fast.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

EPILOG = """examples:
  neuronal train mnist --shape 784x16x10 --hidden sigmoid --epochs 10 --batch-size 32 \\
      --optimizer sgd --learning-rate 0.5 --seed 0 --out model.safetensors
  neuronal train mnist --model lenet --epochs 3 --optimizer adam --learning-rate 0.001
  neuronal train xor --shape 2x3x1 --hidden tanh --epochs 500 --batch-size 4
  neuronal evaluate model.safetensors mnist
  neuronal predict model.safetensors digit.png
  neuronal explain model.safetensors mnist --index 7
  neuronal plot activations --out activations.png

data: MNIST is looked for in --data-dir, then $NEURONAL_DATA, then ~/.cache/neuronal, then
downloaded. Offline without it, `train mnist` falls back to scikit-learn's 8x8 digits.
"""


# ---------------------------------------------------------------------------- helpers


def _dataset(name: str, data_dir, target=None, download: bool = True):
    """(X_train, y_train), (X_test, y_test) for a data-set name or CSV path (images flat)."""
    from .datasets import load_dataset

    kwargs = {}
    if target is not None:
        kwargs["target"] = int(target) if target.lstrip("-").isdigit() else target
    if name.lower() in ("mnist", "fashion-mnist", "fashion_mnist"):
        return load_dataset(name, data_dir=data_dir, download=download, **kwargs)
    return load_dataset(name, data_dir=data_dir, **kwargs)


def _fit_inputs(net, X):
    """Reshape flat or image samples to what the network's first layer expects.

    ``(N, 784)`` rows become ``(N, 1, 28, 28)`` images for a CNN, ``(N, 28, 28)`` sequences
    for an LSTM reading rows, and images become rows for a dense network. Open sizes (None)
    are filled in: one from the sample size, two as a square.
    """
    from .layers.base import shape_matches

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


def _is_classification(y) -> bool:
    import numpy as np

    return y.ndim == 1 and (y.dtype.kind in "iu" or bool(np.all(y == np.round(y))))


def _build_network(args, n_features: int, y_train, image_shape):
    import neuronal as nl

    optimizer = _make_optimizer(args)
    if args.model and args.model != "mlp":
        from .models import MODELS

        return MODELS[args.model](seed=args.seed, optimizer=optimizer)
    classification = _is_classification(y_train)
    if classification:
        n_out = int(y_train.max()) + 1
    else:
        n_out = 1 if y_train.ndim == 1 else y_train.shape[1]
    if args.shape:
        sizes = nl.network.parse_shape(args.shape)
        if sizes[0] != n_features:
            raise nl.NeuronalError(
                f"--shape {args.shape} starts with {sizes[0]} inputs but the data have "
                f"{n_features} features per sample: use --shape {n_features}x...x{n_out}"
            )
        if sizes[-1] != n_out:
            raise nl.NeuronalError(
                f"--shape {args.shape} ends with {sizes[-1]} outputs but the data need {n_out} "
                f"({'classes' if classification else 'target values'}): use --shape ...x{n_out}"
            )
    else:
        sizes = [n_features, 16, n_out]
    output = args.output or ("softmax" if classification else "linear")
    if output == "softmax":
        default_loss = "cross_entropy"
    elif output == "sigmoid" and classification:
        default_loss = "binary_cross_entropy"
    else:
        default_loss = "mse"
    loss = args.loss or default_loss
    return nl.Network.from_shape(sizes, hidden=args.hidden, output=output, loss=loss,
                                 optimizer=optimizer, seed=args.seed, dtype=args.dtype)


def _make_optimizer(args):
    """The optimiser the options ask for; a schedule starts from --learning-rate or the
    optimiser's own default rate."""
    import neuronal as nl

    kwargs = {}
    if args.learning_rate is not None:
        kwargs["learning_rate"] = args.learning_rate
    if args.momentum:
        kwargs["momentum"] = args.momentum
    if args.weight_decay:
        kwargs["weight_decay"] = args.weight_decay
    optimizer = nl.optimizers.get(args.optimizer, **kwargs)
    if args.schedule == "constant":
        return optimizer
    lr, epochs = optimizer.learning_rate, max(1, args.epochs)
    kwargs["learning_rate"] = {
        "cosine": lambda: nl.CosineDecay(lr, epochs=epochs),
        "step": lambda: nl.StepDecay(lr, step=max(1, epochs // 3), factor=0.3),
        "exponential": lambda: nl.ExponentialDecay(lr, rate=0.8),
    }[args.schedule]()
    return nl.optimizers.get(args.optimizer, **kwargs)


def _load_training_data(args):
    """The data for ``train``, with the offline fallback from MNIST to the 8x8 digits."""
    from .datasets import DatasetNotFoundError

    try:
        return args.dataset, _dataset(args.dataset, args.data_dir, args.target,
                                      download=not args.no_download)
    except DatasetNotFoundError as exc:
        if args.dataset.lower() != "mnist" or (args.model and args.model != "mlp"):
            raise
        where = str(exc).split(";")[0]  # "MNIST not found: looked for ... in <folders>"
        print(f"{where}, and it could not be downloaded: falling back to scikit-learn's 8x8 "
              f"handwritten digits (1,797 images) with a 64-input network.", flush=True)
        if args.shape:
            sizes = args.shape.lower().split("x")
            args.shape = "x".join(["64", *sizes[1:]])
        from .datasets import load_digits

        return "digits", load_digits(seed=args.seed)


def _save_plots(net, history, X_test, y_test, folder: Path, dataset: str) -> list[Path]:
    try:
        from . import plot
    except ImportError as exc:  # pragma: no cover - depends on the environment
        print(f"plots skipped: {exc}")
        return []
    from . import metrics

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        written.append(plot.plot_history(history, folder / "history.png"))
        if net.is_classifier and net.predict(X_test[:1]).ndim == 1:
            cm = metrics.confusion_matrix(y_test, net.predict(X_test),
                                          n_classes=int(net.predict_proba(X_test[:1]).shape[-1]))
            written.append(plot.plot_confusion_matrix(cm, folder / "confusion_matrix.png"))
        first = net.layers[0]
        side = int(round(getattr(first, "n_inputs", 0) ** 0.5))
        if hasattr(first, "n_inputs") and side * side == first.n_inputs and side >= 8:
            written.append(plot.plot_hidden_weights(net, folder / "hidden_weights.png",
                                                    image_shape=(side, side)))
        if hasattr(first, "n_inputs") and X_test.ndim == 2 and X_test.shape[1] == 2:
            written.append(plot.plot_decision_boundary(net, X_test, y_test,
                                                       folder / "decision_boundary.png"))
        if all(hasattr(layer, "n_inputs") for layer in net.layers):
            written.append(plot.plot_network(net, folder / "network.png"))
    except ImportError as exc:
        print(f"plots skipped: {exc}")
    return written


# ---------------------------------------------------------------------------- commands


def cmd_train(args) -> int:

    name, ((X_train, y_train), (X_test, y_test)) = _load_training_data(args)
    if args.train_samples:
        X_train, y_train = X_train[: args.train_samples], y_train[: args.train_samples]
    image_shape = X_train.shape[1:]
    net = _build_network(args, int(X_train[0].size), y_train, image_shape)
    X_train, X_test = _fit_inputs(net, X_train), _fit_inputs(net, X_test)
    validation = None
    if args.validation_split:
        from .datasets import split_train_test

        (X_train, y_train), validation = split_train_test(
            X_train, y_train, test_fraction=args.validation_split, seed=args.seed)
    print(f"training {net!r} on {name}: {len(X_train):,} training and {len(X_test):,} test "
          f"samples", flush=True)
    history = net.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                      validation_data=validation, verbose=0 if args.quiet else 1,
                      checkpoint=args.checkpoint, resume=args.resume)
    result = net.evaluate(X_test, y_test)
    if "accuracy" in result:
        print(f"test accuracy: {result['accuracy']:.2%} (test loss {result['loss']:.4f})")
    else:
        print(f"test loss ({net.loss.name}): {result['loss']:.6g}")
    if args.out:
        net.save(args.out)
        print(f"model saved to {args.out}")
    if args.plots:
        for path in _save_plots(net, history, X_test, y_test, Path(args.plots), name):
            print(f"plot saved to {path}")
    return 0


def _load_model(path):
    import neuronal as nl

    return nl.load(path)


def _test_split(args, net):
    (_, _), (X_test, y_test) = _dataset(args.dataset, args.data_dir, args.target,
                                        download=not args.no_download)
    return _fit_inputs(net, X_test), y_test


def cmd_evaluate(args) -> int:
    from . import metrics

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

    from .images import load_digit_image

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


def cmd_plot(args) -> int:
    from . import plot

    out = Path(args.out)
    if args.what == "activations":
        path = plot.plot_activations(out)
    else:
        if not args.model:
            raise SystemExit(f"neuronal: error: `plot {args.what}` needs a model file")
        net = _load_model(args.model)
        if args.what == "weights":
            side = int(round(net.layers[0].n_inputs ** 0.5))
            path = plot.plot_hidden_weights(net, out, image_shape=(side, side))
        elif args.what == "network":
            path = plot.plot_network(net, out)
        elif args.what == "history":
            path = plot.plot_history(net.history, out)
        else:
            if not args.dataset:
                raise SystemExit(f"neuronal: error: `plot {args.what}` needs a data set")
            X_test, y_test = _test_split(args, net)
            if args.what == "confusion":
                from . import metrics

                n_classes = int(net.predict_proba(X_test[:1]).shape[-1])
                cm = metrics.confusion_matrix(y_test, net.predict(X_test), n_classes=n_classes)
                path = plot.plot_confusion_matrix(cm, out)
            else:  # boundary
                path = plot.plot_decision_boundary(net, X_test, y_test, out)
    print(f"plot saved to {path}")
    return 0


# ---------------------------------------------------------------------------- parser


def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="data directory holding mnist/, fashion-mnist/ (default: "
                   "$NEURONAL_DATA, then ~/.cache/neuronal)")
    p.add_argument("--target", help="target column of a CSV file (name or index)")
    p.add_argument("--no-download", action="store_true", help="never download data sets")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuronal", description="Neural networks from scratch on NumPy.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help="train a network and report test accuracy")
    t.add_argument("dataset", help="mnist, fashion-mnist, digits, a toy set (xor, and, or, "
                   "spirals, moons, circles, obesity, addition) or a .csv file")
    t.add_argument("--shape", help="layer sizes, e.g. 784x16x10 (default: inputs x16x outputs)")
    t.add_argument("--model", choices=["mlp", "lenet", "lstm"], default=None,
                   help="a predefined model instead of --shape (lenet: CNN, lstm: row-by-row LSTM)")
    t.add_argument("--hidden", default="sigmoid", help="hidden activation (default sigmoid)")
    t.add_argument("--output", help="output activation (default softmax for classes, linear "
                   "for regression)")
    t.add_argument("--loss", help="loss (default cross_entropy for classes, mse for regression)")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--optimizer", default="sgd", help="sgd, adam or rmsprop (default sgd)")
    t.add_argument("--learning-rate", type=float, default=None)
    t.add_argument("--schedule", default="constant",
                   choices=["constant", "cosine", "step", "exponential"],
                   help="learning-rate schedule over the epochs (cosine: from the rate down to 0 "
                   "at the last epoch; step: x0.3 every third of the run; exponential: x0.8 "
                   "per epoch)")
    t.add_argument("--momentum", type=float, default=0.0)
    t.add_argument("--weight-decay", type=float, default=0.0)
    t.add_argument("--validation-split", type=float, default=0.0,
                   help="fraction of the training data held out for validation lines")
    t.add_argument("--train-samples", type=int, default=None, metavar="N",
                   help="train on the first N training samples only (quick runs)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    t.add_argument("--out", help="save the trained model to this .safetensors file")
    t.add_argument("--plots", help="save training curves, confusion matrix, weights here")
    t.add_argument("--checkpoint", help="checkpoint file written after every epoch")
    t.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    t.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    _data_options(t)
    t.set_defaults(func=cmd_train)

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

    g = sub.add_parser("plot", help="draw a picture: activations, weights, network, history, "
                       "confusion, boundary")
    g.add_argument("what", choices=["activations", "weights", "network", "history", "confusion",
                                    "boundary"])
    g.add_argument("model", nargs="?")
    g.add_argument("dataset", nargs="?")
    g.add_argument("--out", required=True, help="PNG file to write")
    _data_options(g)
    g.set_defaults(func=cmd_plot)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__

        print(f"neuronal {__version__}")
        return 0
    if not args.command:
        parser.print_help()
        return 2
    if getattr(args, "resume", False) and not args.checkpoint:
        parser.error("--resume needs --checkpoint FILE")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("neuronal: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except Exception as exc:  # one line, no traceback, unless --debug
        if args.debug or os.environ.get("NEURONAL_DEBUG"):
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"neuronal: error: {message} (use --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
