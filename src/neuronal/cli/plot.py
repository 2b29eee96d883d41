"""``neuronal plot``: draw a picture of an activation, a model or its training."""

from __future__ import annotations

from pathlib import Path

from ._common import _data_options, _load_model, _test_split


def cmd_plot(args) -> int:
    from .. import plot

    out = Path(args.out)
    if args.what == "activations":
        plot.plot_activations(out)
    else:
        if not args.model:
            raise SystemExit(f"neuronal: error: `plot {args.what}` needs a model file")
        net = _load_model(args.model)
        if args.what == "weights":
            side = int(round(net.layers[0].n_inputs ** 0.5))
            plot.plot_hidden_weights(net, out, image_shape=(side, side))
        elif args.what == "network":
            plot.plot_network(net, out)
        elif args.what == "history":
            plot.plot_history(net.history, out)
        else:
            if not args.dataset:
                raise SystemExit(f"neuronal: error: `plot {args.what}` needs a data set")
            X_test, y_test = _test_split(args, net)
            if args.what == "confusion":
                from .. import metrics

                n_classes = int(net.predict_proba(X_test[:1]).shape[-1])
                cm = metrics.confusion_matrix(y_test, net.predict(X_test), n_classes=n_classes)
                plot.plot_confusion_matrix(cm, out)
            else:  # boundary
                plot.plot_decision_boundary(net, X_test, y_test, out)
    print(f"plot saved to {out}")
    return 0


def add_parser(sub) -> None:
    """Register ``plot`` on the subcommand parsers ``sub``."""
    g = sub.add_parser("plot", help="draw a picture: activations, weights, network, history, "
                       "confusion, boundary")
    g.add_argument("what", choices=["activations", "weights", "network", "history", "confusion",
                                    "boundary"])
    g.add_argument("model", nargs="?")
    g.add_argument("dataset", nargs="?")
    g.add_argument("--out", required=True, help="PNG file to write")
    _data_options(g)
    g.set_defaults(func=cmd_plot)
