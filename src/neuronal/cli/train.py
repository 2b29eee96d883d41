"""``neuronal train``: build a network for a data set, train it, report test accuracy.

Everything that can be checked without the data is checked first (numbers by argparse, the
``--out``, ``--plots`` and ``--checkpoint`` paths here), so a bad option costs seconds, never a
trained model.
"""

from __future__ import annotations

from pathlib import Path

from ._build import DEFAULT_HIDDEN, build_network, decide_task
from ._common import (
    _data_options,
    _dataset,
    _fit_inputs,
    check_writable_dir,
    check_writable_file,
    encode_labels,
    fraction,
    nonnegative_float,
    nonnegative_int,
    positive_float,
    positive_int,
    predicted_classes,
)


def _load_training_data(args):
    """The data for ``train``, with the offline fallback from MNIST to the 8x8 digits."""
    from ..datasets import DatasetNotFoundError

    try:
        return args.dataset, _dataset(args.dataset, args, download=not args.no_download)
    except DatasetNotFoundError as exc:
        if args.dataset.lower() != "mnist" or (args.model and args.model != "mlp"):
            raise
        where = str(exc).split(";")[0]  # "MNIST not found: looked for ... in <folders>"
        print(f"{where}, and it could not be downloaded: falling back to scikit-learn's 8x8 "
              f"handwritten digits (1,797 images) with a 64-input network.", flush=True)
        if args.shape:
            sizes = args.shape.lower().split("x")
            original, args.shape = args.shape, "x".join(["64", *sizes[1:]])
            args.out = _renamed(args.out, original, args.shape)
        else:
            args.out = _renamed(args.out, None, None)
        from ..datasets import load_digits

        return "digits", load_digits(seed=args.seed)


def _renamed(out: str | None, shape: str | None, new_shape: str | None) -> str | None:
    """The --out file named for what is trained after the fallback: ``mnist-784x16x10`` ->
    ``digits-64x16x10`` (a name without either is kept)."""
    if out is None:
        return None
    path = Path(out)
    name = path.name.replace("fashion-mnist", "digits").replace("mnist", "digits")
    if shape and new_shape:
        name = name.replace(shape, new_shape)
    return str(path.with_name(name))


def _save_plots(net, history, X_test, y_test, folder: Path) -> list[Path]:
    try:
        from .. import plot
    except ImportError as exc:  # pragma: no cover - depends on the environment
        print(f"plots skipped: {exc}")
        return []
    from .. import metrics
    from ..layers.conv import Conv2D
    from ..layers.dense import Dense

    folder.mkdir(parents=True, exist_ok=True)
    written = []

    def draw(function, name, *args, **kwargs):
        function(*args, folder / name, **kwargs)
        written.append(folder / name)

    try:
        draw(plot.plot_history, "history.png", history)
        if net.is_classifier and y_test.ndim == 1:
            pred = predicted_classes(net, X_test)
            n_classes = max(2, int(net.predict_proba(X_test[:1]).shape[-1]))
            cm = metrics.confusion_matrix(y_test, pred, n_classes=n_classes)
            draw(plot.plot_confusion_matrix, "confusion_matrix.png", cm, labels=net.classes)
        weighted = [i for i, layer in enumerate(net.layers) if isinstance(layer, (Dense, Conv2D))]
        first = net.layers[weighted[0]] if weighted else None
        side = int(round(getattr(first, "n_inputs", 0) ** 0.5))
        if isinstance(first, Conv2D) or (first is not None and side * side == first.n_inputs
                                         and side >= 8):
            draw(plot.plot_weights, "weights.png", net, layer=weighted[0])
        if X_test.ndim == 2 and X_test.shape[1] == 2:
            draw(plot.plot_decision_boundary, "decision_boundary.png", net, X_test, y_test)
            draw(plot.plot_neuron_maps, "neuron_maps.png", net, X_test, y_test)
        draw(plot.plot_network, "network.png", net)
    except ImportError as exc:
        print(f"plots skipped: {exc}")
    return written


def cmd_train(args) -> int:
    parser = args._parser
    check_writable_file(parser, "--out", args.out)
    check_writable_file(parser, "--checkpoint", args.checkpoint)
    check_writable_dir(parser, "--plots", args.plots)
    if args.resume and not args.checkpoint:
        parser.error("--resume needs --checkpoint FILE")
    if args.scale is None:  # tables (CSV, toy sets) are scaled; images are already 0..1
        images = args.dataset.lower() in ("mnist", "fashion-mnist", "fashion_mnist", "digits")
        args.scale = "none" if images or args.model not in (None, "mlp") else "standard"

    from . import _distributed

    if _distributed.wanted(args):  # mpiexec -n N neuronal train ..., or --distributed
        return _distributed.run(_train, args)
    return _train(args)


def _train(args, comm=None) -> int:
    name, ((X_train, y_train), (X_test, y_test)) = _load_training_data(args)
    if args.train_samples:
        X_train, y_train = X_train[: args.train_samples], y_train[: args.train_samples]
    task, y_train, classes, note = decide_task(y_train, args.task, y_test)
    if note:
        print(note, flush=True)
    y_test = encode_labels(y_test, classes)
    y_test = y_test.astype("int64" if task == "classification" else "float32")
    net = build_network(args, int(X_train[0].size), y_train, classes, task,
                        X_train=X_train.reshape(len(X_train), -1))
    X_train, X_test = _fit_inputs(net, X_train), _fit_inputs(net, X_test)
    validation = None
    if args.validation_split:
        from ..datasets import split_train_test

        (X_train, y_train), validation = split_train_test(
            X_train, y_train, test_fraction=args.validation_split, seed=args.seed)
    print(f"training {net!r} on {name}: {len(X_train):,} training and {len(X_test):,} test "
          f"samples", flush=True)
    history = net.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                      validation_data=validation, verbose=0 if args.quiet else 1,
                      checkpoint=args.checkpoint, resume=args.resume, comm=comm)
    if args.out:  # first, so nothing after training can lose the model
        net.save(args.out)
        print(f"model saved to {args.out}")
    result = net.evaluate(X_test, y_test)
    if "accuracy" in result:
        print(f"test accuracy: {result['accuracy']:.2%} (test loss {result['loss']:.4f})")
    else:
        print(f"test loss ({net.loss.name}): {result['loss']:.6g}")
    if args.plots:
        for path in _save_plots(net, history, X_test, y_test, Path(args.plots)):
            print(f"plot saved to {path}")
    return 0


def add_parser(sub) -> None:
    """Register ``train`` on the subcommand parsers ``sub``."""
    t = sub.add_parser("train", help="train a network and report test accuracy")
    t.add_argument("dataset", help="mnist, fashion-mnist, digits, a toy set (xor, and, or, "
                   "spirals, moons, circles, obesity, addition) or a .csv file")
    t.add_argument("--shape", help=f"layer sizes, e.g. 784x16x10 (default: inputs x "
                   f"{DEFAULT_HIDDEN} x outputs; two classes end in 1 sigmoid output)")
    from ..models import MODELS

    t.add_argument("--model", choices=["mlp", *MODELS], default=None,
                   help="a predefined model instead of --shape (lenet: LeNet-5 CNN, convnet: "
                   "the Keras MNIST convnet, lstm: row-by-row LSTM)")
    t.add_argument("--hidden", default="sigmoid", help="hidden activation (default sigmoid)")
    t.add_argument("--output", help="output activation (default: sigmoid for one output, "
                   "softmax for several classes, linear for regression)")
    t.add_argument("--loss", help="loss (default: binary_cross_entropy after sigmoid, "
                   "cross_entropy after softmax, mse for regression)")
    t.add_argument("--task", choices=["classification", "regression"],
                   help="what the target is (default: decided from it: text or a few whole "
                   "numbers are classes, other numbers regression; a line says which)")
    t.add_argument("--scale", choices=["standard", "minmax", "none"], default=None,
                   help="scale the features with a Normalize layer saved in the model "
                   "(default: standard for CSV files and toy sets, none for images)")
    t.add_argument("--epochs", type=positive_int, default=10)
    t.add_argument("--batch-size", type=positive_int, default=32)
    t.add_argument("--optimizer", default="adam", choices=["sgd", "adam", "rmsprop"],
                   help="default adam")
    t.add_argument("--learning-rate", type=positive_float, default=None,
                   help="default: the optimiser's own (adam 0.001, sgd 0.01, rmsprop 0.01)")
    t.add_argument("--schedule", default="constant",
                   choices=["constant", "cosine", "step", "exponential"],
                   help="learning-rate schedule over the epochs (cosine: from the rate down to 0 "
                   "at the last epoch; step: x0.3 every third of the run; exponential: x0.8 "
                   "per epoch)")
    t.add_argument("--momentum", type=fraction, default=0.0)
    t.add_argument("--weight-decay", type=nonnegative_float, default=0.0)
    t.add_argument("--validation-split", type=fraction, default=0.0,
                   help="fraction of the training data held out for validation lines")
    t.add_argument("--train-samples", type=positive_int, default=None, metavar="N",
                   help="train on the first N training samples only (quick runs)")
    t.add_argument("--seed", type=nonnegative_int, default=0)
    t.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    t.add_argument("--out", help="save the trained model to this .safetensors file")
    t.add_argument("--plots", help="save training curves, confusion matrix, weights here")
    t.add_argument("--checkpoint", help="checkpoint file written after every epoch")
    t.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    t.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    t.add_argument("--distributed", action="store_true", help="train data-parallel with the "
                   "other processes of an MPI job (automatic under mpiexec; needs "
                   "neuronal[mpi])")
    _data_options(t)
    t.set_defaults(func=cmd_train, _parser=t)
