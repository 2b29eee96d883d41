"""``neuronal train``: build a network for a data set, train it, report test accuracy."""

from __future__ import annotations

from pathlib import Path

from ._common import _data_options, _dataset, _fit_inputs


def _is_classification(y) -> bool:
    import numpy as np

    return y.ndim == 1 and (y.dtype.kind in "iu" or bool(np.all(y == np.round(y))))


def _build_network(args, n_features: int, y_train, image_shape):
    import neuronal as nl

    optimizer = _make_optimizer(args)
    if args.model and args.model != "mlp":
        from ..models import MODELS

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
    from ..datasets import DatasetNotFoundError

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
        from ..datasets import load_digits

        return "digits", load_digits(seed=args.seed)


def _save_plots(net, history, X_test, y_test, folder: Path, dataset: str) -> list[Path]:
    try:
        from .. import plot
    except ImportError as exc:  # pragma: no cover - depends on the environment
        print(f"plots skipped: {exc}")
        return []
    from .. import metrics

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


def cmd_train(args) -> int:
    from . import _distributed

    if _distributed.wanted(args):  # mpiexec -n N neuronal train ..., or --distributed
        return _distributed.run(_train, args)
    return _train(args)


def _train(args, comm=None) -> int:
    name, ((X_train, y_train), (X_test, y_test)) = _load_training_data(args)
    if args.train_samples:
        X_train, y_train = X_train[: args.train_samples], y_train[: args.train_samples]
    image_shape = X_train.shape[1:]
    net = _build_network(args, int(X_train[0].size), y_train, image_shape)
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


def add_parser(sub) -> None:
    """Register ``train`` on the subcommand parsers ``sub``."""
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
    t.add_argument("--distributed", action="store_true", help="train data-parallel with the "
                   "other processes of an MPI job (automatic under mpiexec; needs "
                   "neuronal[mpi])")
    _data_options(t)
    t.set_defaults(func=cmd_train)
