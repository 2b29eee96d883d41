"""``neuronal plot``: draw a picture of an activation, a model, its training or one step."""

from __future__ import annotations

from pathlib import Path

from ._common import (
    _data_options,
    _load_model,
    _test_split,
    check_writable_file,
    predicted_classes,
)

#: What ``plot`` draws, and what each needs: (needs a model, needs a data set).
KINDS = {
    "activations": (False, False),
    "weights": (True, False),
    "network": (True, False),
    "history": (True, False),
    "confusion": (True, True),
    "boundary": (True, True),
    "neurons": (True, True),
    "mistakes": (True, True),
    "feature-maps": (True, True),
    "step": (True, True),
}


def _out_path(out: str, what: str) -> Path:
    """``--out`` as given, or ``DIR/WHAT.png`` when it names a folder."""
    path = Path(out)
    if path.is_dir() or out.endswith(("/", "\\")):
        return path / f"{what}.png"
    return path


def _draw(plot, args, net, out: Path) -> None:
    from .. import metrics

    what = args.what
    if what == "weights":
        plot.plot_weights(net, out, layer=args.layer)
        return
    if what == "network":
        plot.plot_network(net, out)
        return
    if what == "history":
        plot.plot_history(net.history, out)
        return
    X, y = _test_split(args, net)
    if what == "confusion":
        n_classes = max(2, int(net.predict_proba(X[:1]).shape[-1]))
        cm = metrics.confusion_matrix(y, predicted_classes(net, X), n_classes=n_classes)
        plot.plot_confusion_matrix(cm, out, labels=net.classes)
    elif what == "boundary":
        plot.plot_decision_boundary(net, X, y, out)
    elif what == "neurons":
        plot.plot_neuron_maps(net, X, y, out)
    elif what == "mistakes":
        pred = predicted_classes(net, X)
        wrong = pred != y
        n_wrong = int(wrong.sum())
        title = (f"The {n_wrong:,} test samples of {len(X):,} the network got wrong "
                 f"(red: true and predicted class)")
        if not n_wrong:
            print(f"no mistakes on the {len(X):,} test samples: drawing the first ones")
            wrong[: min(len(X), 40)] = True
            title = f"No mistakes on the {len(X):,} test samples: the first {int(wrong.sum())}"
        plot.plot_digits(X[wrong].reshape(int(wrong.sum()), -1), y[wrong], pred[wrong], out,
                         class_names=net.classes, title=title)
    else:
        if not 0 <= args.index < len(X):
            from ..errors import NeuronalError

            raise NeuronalError(f"--index must be in 0..{len(X) - 1}, got {args.index}")
        if what == "feature-maps":
            plot.plot_feature_maps(net, X[args.index], out)
        else:  # step
            plot.plot_step(net, X[args.index : args.index + 1], y[args.index : args.index + 1],
                           out)


def cmd_plot(args) -> int:
    from .. import plot

    out = _out_path(args.out, args.what)
    check_writable_file(args._parser, "--out", str(out))
    needs_model, needs_data = KINDS[args.what]
    if needs_model and not args.model:
        args._parser.error(f"`plot {args.what}` needs a model file")
    if needs_data and not args.dataset:
        args._parser.error(f"`plot {args.what}` needs a data set (e.g. mnist or a .csv file)")
    if args.what == "activations":
        plot.plot_activations(out)
    else:
        _draw(plot, args, _load_model(args.model), out)
    print(f"plot saved to {out}")
    return 0


def add_parser(sub) -> None:
    """Register ``plot`` on the subcommand parsers ``sub``."""
    g = sub.add_parser("plot", help="draw a picture: " + ", ".join(KINDS))
    g.add_argument("what", choices=list(KINDS),
                   help="activations; weights (Dense rows or Conv2D filters), network, history "
                   "(MODEL); confusion, boundary, neurons (each neuron over the plane of 2-D "
                   "data), mistakes (the test images got wrong), feature-maps, step (one "
                   "training step on the diagram) (MODEL DATASET)")
    g.add_argument("model", nargs="?")
    g.add_argument("dataset", nargs="?")
    g.add_argument("--out", required=True, help="PNG file to write, or a folder (then "
                   "FOLDER/WHAT.png)")
    g.add_argument("--layer", type=int, default=None, help="weights: the index in net.layers "
                   "(default: the first Dense or Conv2D layer)")
    g.add_argument("--index", type=int, default=0, help="feature-maps, step: which test sample")
    _data_options(g)
    g.set_defaults(func=cmd_plot, _parser=g)
