"""``neuronal train``'s decisions: classification or regression, the network, the optimiser.

Classification or regression, when ``--task`` does not say:

* text labels (a CSV's ``cat``, ``dog``) are classes; their names are kept in the model
  (``network.classes``), so predictions come back as those names;
* whole-number labels are classes when there are few distinct values (at most 20, or at most
  5 % of the samples, and at most 1,000); otherwise (prices of 3-4 million, ages 0-90 over a
  few hundred people) the target is a number to predict, and a line says so;
* anything else is regression.

Classes numbered 0..k-1 are the outputs 0..k-1; other labels (3 and 7, or -1 and 1) are
mapped to 0..k-1 in sorted order and kept as class names. Two classes get one sigmoid output
(binary cross-entropy), the lessons' way, unless ``--shape`` ends in 2; more get a softmax
output with cross-entropy.
"""

from __future__ import annotations

from ._common import label_text, numeric_labels

DEFAULT_HIDDEN = 32  # neurons of the hidden layer without --shape
MAX_CLASSES = 1000
_FEW = 20  # at most this many distinct whole numbers are always classes


def decide_task(y, task: str | None, y_test=None):
    """(task, labels for fit, class names or None, a line to print or None).

    The decision looks at the training labels ``y``; class names also cover the labels of
    ``y_test`` (a class seen only there gets an output too, so the test set can be scored).
    """
    import numpy as np

    from ..errors import DataError

    numeric = numeric_labels(y)
    every = y if y_test is None else np.concatenate([np.asarray(y).astype(str),
                                                     np.asarray(y_test).astype(str)])
    if numeric is None:  # text labels: classes
        if task == "regression":
            raise DataError("--task regression needs numeric targets, but the labels are text "
                            f"(e.g. {label_text(y[0])!r})")
        names = sorted({label_text(v) for v in every})
        return "classification", _indices(y, names), names, None
    y = numeric
    if y.ndim == 2 and y.shape[1] == 1 and task == "classification":
        y = y[:, 0]
    if y.ndim != 1:
        if task == "classification":
            raise DataError(f"--task classification needs one label per sample, but the target "
                            f"has {y.shape[1]} values per sample")
        return "regression", y, None, None
    whole = y.dtype.kind in "iu" or bool(np.all(y == np.round(y)))
    values = np.unique(y)
    if task is None:
        few = len(values) <= max(_FEW, 0.05 * len(y))
        task = "classification" if whole and few and len(values) <= MAX_CLASSES else "regression"
        note = None
        if task == "regression" and whole:
            note = (f"task: regression: the target holds {len(values):,} different whole "
                    f"numbers ({label_text(values.min())} .. {label_text(values.max())}), "
                    f"predicted as a number; use --task classification to treat them as classes")
        if task == "regression":
            return task, y.astype(np.float32), None, note
    if task == "regression":
        return task, y.astype(np.float32), None, None
    if not whole:
        raise DataError("--task classification needs whole-number or text labels, but the "
                        f"target holds fractions (e.g. {label_text(y[~(y == np.round(y))][0])})")
    if len(values) > MAX_CLASSES:
        raise DataError(f"the target has {len(values):,} different values: more than "
                        f"{MAX_CLASSES:,} classes is not a classification a network can learn "
                        f"from this data; use --task regression to predict the number")
    if values.min() == 0 and values.max() + 1 <= 2 * len(values):
        return task, y.astype(np.int64), None, None  # labels 0..k-1 (a few may be missing)
    seen = values if y_test is None else np.unique(np.concatenate([
        values, numeric_labels(np.asarray(y_test).astype(str)).astype(np.float64)]))
    names = [label_text(v) for v in seen]
    note = (f"task: classification: {len(names)} classes, labels {', '.join(names[:10])}"
            f"{', ...' if len(names) > 10 else ''} (outputs 0..{len(names) - 1}, names kept in "
            f"the model)")
    return task, _indices(y, names), names, note


def _indices(y, names: list[str]):
    import numpy as np

    index = {name: k for k, name in enumerate(names)}
    return np.asarray([index[label_text(v)] for v in y], dtype=np.int64)


def build_network(args, n_features: int, y_train, classes: list[str] | None, task: str,
                  X_train=None):
    """The network the options ask for, with a Normalize layer first when ``--scale`` says."""
    import neuronal as nl

    from ..errors import NeuronalError

    optimizer = make_optimizer(args)
    if args.model and args.model != "mlp":
        from ..models import MODELS

        return MODELS[args.model](seed=args.seed, optimizer=optimizer)
    if task == "classification":
        n_classes = len(classes) if classes is not None else int(y_train.max()) + 1
        n_classes = max(n_classes, 2)
        n_out = n_classes
        if n_classes == 2:
            n_out = 1  # one sigmoid neuron: P(class 1)
    else:
        n_out = 1 if y_train.ndim == 1 else y_train.shape[1]
        n_classes = 0
    if args.shape:
        sizes = nl.network.parse_shape(args.shape)
        if sizes[0] != n_features:
            raise NeuronalError(
                f"--shape {args.shape} starts with {sizes[0]} inputs but the data have "
                f"{n_features} features per sample: use --shape {n_features}x...x{n_out}"
            )
        allowed = {n_out, n_classes} if n_classes == 2 else {n_out}
        if sizes[-1] not in allowed:
            what = f"{n_classes} classes" if task == "classification" else "target values"
            need = " or ".join(f"...x{k}" for k in sorted(allowed))
            raise NeuronalError(f"--shape {args.shape} ends with {sizes[-1]} outputs but the "
                                f"data have {what}: use --shape {need}")
    else:
        sizes = [n_features, DEFAULT_HIDDEN, n_out]
    if task == "classification":
        output = args.output or ("sigmoid" if sizes[-1] == 1 else "softmax")
        default_loss = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}.get(
            output, "mse")
    else:
        output, default_loss = args.output or "linear", "mse"
    if output == "softmax" and sizes[-1] == 1:
        raise NeuronalError("a softmax output of 1 neuron always outputs 1.0: use --output "
                            "sigmoid for two classes, or a last layer of 2 or more neurons")
    layers = []
    if getattr(args, "scale", "none") != "none" and X_train is not None:
        layers.append(nl.Normalize(n_features, method=args.scale).adapt(X_train))
    for i, (n_in, n_o) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        layers.append(nl.Dense(n_in, n_o, activation=output if last else args.hidden))
    net = nl.Network(layers, loss=args.loss or default_loss, optimizer=optimizer, seed=args.seed,
                     dtype=args.dtype)
    net.classes = classes
    return net


def make_optimizer(args):
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
