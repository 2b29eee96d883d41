"""The set-up of one playground page: data, features, network, training; checked against limits.

The page sends its controls as a plain dict (the same keys it writes into its URL, so a shared
URL gives the same set-up back); :func:`parse_setup` checks every value and returns a
:class:`Setup`, or raises a :class:`~neuronal.playground.limits.PlaygroundError` saying which
control is wrong, what it got and what it accepts.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .limits import Limits, PlaygroundError

__all__ = ["Setup", "parse_setup", "PLANE_SETS", "FEATURES", "HIDDEN_ACTIVATIONS",
           "OPTIMIZERS", "SCHEDULES"]

#: Planar data sets and their task (the TensorFlow Playground ones, plus moons).
PLANE_SETS: dict[str, str] = {
    "circle": "classification", "xor": "classification", "gauss": "classification",
    "spiral": "classification", "moons": "classification",
    "plane": "regression", "multi_gauss": "regression",
}
#: Every data set a page can pick.
DATASETS: tuple[str, ...] = (*PLANE_SETS, "csv", "mnist")
#: Input features computed from a planar point (x1, x2), as in TensorFlow Playground.
FEATURES: tuple[str, ...] = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
#: Activations a hidden layer may use (the binary step cannot be trained by backpropagation).
HIDDEN_ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "sigmoid", "linear", "leaky_relu",
                                       "elu", "softplus", "gelu")
OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "adam", "rmsprop")
SCHEDULES: tuple[str, ...] = ("none", "step", "exponential", "cosine")
LOSSES: dict[str, tuple[str, ...]] = {"classification": ("cross_entropy", "mse"),
                                      "regression": ("mse", "mae")}
_MULTI_CLASS_SETS = ("spiral", "gauss")  # planar sets with a choice of 2..MAX_PLANE_CLASSES
MAX_PLANE_CLASSES = 6
MAX_SEED = 2**31 - 1


@dataclass
class Setup:
    """Everything that defines a playground run (see the module docstring).

    ``layers`` lists the hidden layer sizes only: inputs come from the data (the chosen
    features, the CSV columns or MNIST's 784 pixels) and the output layer from the task (one
    sigmoid neuron for two classes, a softmax over k > 2 classes, one linear neuron for
    regression). ``noise`` and ``ratio`` are percentages as the page shows them.
    ``schedule_epochs``: the step schedule halves the rate every that many epochs, the
    exponential one halves it over that many, the cosine one reaches 0 after that many.
    """

    dataset: str = "circle"
    noise: int = 0
    ratio: int = 50
    points: int = 400
    classes: int = 2
    data_seed: int = 1
    features: list[str] = field(default_factory=lambda: ["x1", "x2"])
    layers: list[int] = field(default_factory=lambda: [4, 2])
    activations: list[str] = field(default_factory=lambda: ["tanh", "tanh"])
    dropout: float = 0.0
    loss: str = "cross_entropy"
    optimizer: str = "sgd"
    lr: float = 0.03
    schedule: str = "none"
    schedule_epochs: int = 100
    reg: str = "none"
    reg_rate: float = 0.0
    batch: int = 10
    seed: int = 1
    problem: str = "classification"
    csv_features: list[str] = field(default_factory=list)
    csv_target: str = ""
    mnist_train: int = 10_000

    def to_dict(self) -> dict[str, Any]:
        """The set-up as the page's controls (JSON-able)."""
        return asdict(self)

    @property
    def plane(self) -> bool:
        """Whether the data are points of a plane (one of :data:`PLANE_SETS`)."""
        return self.dataset in PLANE_SETS


def _fail(key: str, value: Any, accepted: str) -> PlaygroundError:
    return PlaygroundError(f"set-up {key!r} must be {accepted}, got {value!r}")


def _choice(raw: dict, key: str, default: Any, choices: tuple[str, ...]) -> str:
    value = raw.get(key, default)
    if value not in choices:
        raise _fail(key, value, f"one of {', '.join(choices)}")
    return value


def _int(raw: dict, key: str, default: int, lo: int, hi: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(key, value, f"an integer from {lo} to {hi}")
    return value


def _float(raw: dict, key: str, default: float, lo: float, hi: float,
           lo_open: bool = False) -> float:
    value = raw.get(key, default)
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    low_ok = number > lo if lo_open else number >= lo
    if not (math.isfinite(number) and low_ok and number <= hi):
        bracket = "(" if lo_open else "["
        raise _fail(key, value, f"a number in {bracket}{lo:g}, {hi:g}]")
    return number


def _str_list(raw: dict, key: str, default: list[str]) -> list[str]:
    value = raw.get(key, default)
    if isinstance(value, str):
        value = [v for v in value.split(",") if v] if value else []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(key, value, "a list of names")
    return list(value)


def _layers(raw: dict, limits: Limits, mnist: bool) -> list[int]:
    value = raw.get("layers", [4, 2])
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    top = limits.max_mnist_neurons if mnist else limits.max_neurons
    if not isinstance(value, list) or len(value) > limits.max_hidden_layers:
        raise _fail("layers", value, f"a list of at most {limits.max_hidden_layers} hidden "
                    "layer sizes")
    sizes = []
    for v in value:
        try:
            n = int(v) if not isinstance(v, bool) and float(v) == int(float(v)) else 0
        except (TypeError, ValueError):
            n = 0
        if not 1 <= n <= top:
            raise _fail("layers", value, f"hidden layer sizes from 1 to {top}")
        sizes.append(n)
    return sizes


def parse_setup(raw: Any, limits: Limits | None = None) -> Setup:
    """Check a page's set-up and return it as a :class:`Setup`.

    Parameters
    ----------
    raw : dict
        The page's controls; missing keys take the defaults of :class:`Setup`.
    limits : Limits, optional
        The server's limits (default ``Limits()``).

    Returns
    -------
    Setup

    Raises
    ------
    PlaygroundError
        If a value is of the wrong kind, out of range, or over a limit.

    Examples
    --------
    >>> parse_setup({"dataset": "spiral", "layers": [8, 8]}).layers
    [8, 8]
    """
    limits = limits or Limits()
    if not isinstance(raw, dict):
        raise PlaygroundError(f"a set-up must be a JSON object of controls, got {raw!r:.80}")
    d = Setup()
    dataset = _choice(raw, "dataset", d.dataset, DATASETS)
    mnist = dataset == "mnist"
    if dataset in PLANE_SETS:
        problem = PLANE_SETS[dataset]
    elif mnist:
        problem = "classification"
    else:
        problem = _choice(raw, "problem", "classification", tuple(LOSSES))
    layers = _layers(raw, limits, mnist)
    activations = _str_list(raw, "activations", [])
    activations = (activations + ["tanh"] * len(layers))[: len(layers)]
    for act in activations:
        if act not in HIDDEN_ACTIVATIONS:
            raise _fail("activations", act, f"one of {', '.join(HIDDEN_ACTIVATIONS)}")
    features = _str_list(raw, "features", d.features)
    if dataset in PLANE_SETS:
        unknown = [f for f in features if f not in FEATURES]
        if unknown or not features or len(set(features)) != len(features):
            raise _fail("features", features,
                        f"at least one of {', '.join(FEATURES)}, each at most once")
        features = [f for f in FEATURES if f in features]  # the page's order
    loss = raw.get("loss", LOSSES[problem][0])
    if loss not in LOSSES[problem]:
        loss = LOSSES[problem][0]  # e.g. a classification loss kept after switching to regression
    classes = _int(raw, "classes", d.classes, 2, MAX_PLANE_CLASSES)
    if dataset not in _MULTI_CLASS_SETS:
        classes = 2
    return Setup(
        dataset=dataset,
        noise=_int(raw, "noise", d.noise, 0, 50),
        ratio=_int(raw, "ratio", d.ratio, 10, 90),
        points=_int(raw, "points", d.points, 20, limits.max_points),
        classes=classes,
        data_seed=_int(raw, "data_seed", d.data_seed, 0, MAX_SEED),
        features=features,
        layers=layers,
        activations=activations,
        dropout=_float(raw, "dropout", d.dropout, 0.0, 0.9),
        loss=loss,
        optimizer=_choice(raw, "optimizer", d.optimizer, OPTIMIZERS),
        lr=_float(raw, "lr", d.lr, 0.0, 10.0, lo_open=True),
        schedule=_choice(raw, "schedule", d.schedule, SCHEDULES),
        schedule_epochs=_int(raw, "schedule_epochs", d.schedule_epochs, 1, 100_000),
        reg=_choice(raw, "reg", d.reg, ("none", "l2")),
        reg_rate=_float(raw, "reg_rate", d.reg_rate, 0.0, 1.0),
        batch=_int(raw, "batch", d.batch, 1, limits.max_batch),
        seed=_int(raw, "seed", d.seed, 0, MAX_SEED),
        problem=problem,
        csv_features=_str_list(raw, "csv_features", []) if dataset == "csv" else [],
        csv_target=str(raw.get("csv_target", "")) if dataset == "csv" else "",
        mnist_train=_int(raw, "mnist_train", d.mnist_train, 100, limits.max_mnist_train),
    )
