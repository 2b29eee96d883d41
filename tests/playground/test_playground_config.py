"""The page's set-up: defaults, checks and limits (parse_setup)."""

from __future__ import annotations

import pytest

from neuronal.errors import NeuronalError
from neuronal.playground import Limits, PlaygroundError, Setup, parse_setup


def test_defaults_are_tensorflow_playgrounds():
    s = parse_setup({})
    assert s == Setup()
    assert (s.dataset, s.features, s.layers, s.activations, s.lr, s.batch) == (
        "circle", ["x1", "x2"], [4, 2], ["tanh", "tanh"], 0.03, 10)
    assert s.problem == "classification" and s.loss == "cross_entropy"


def test_a_url_setup_as_strings_is_read():
    s = parse_setup({"dataset": "spiral", "layers": "8,8,8", "activations": "relu,tanh",
                     "features": "sin(x1),x1", "noise": "15", "lr": "0.1", "classes": "3"})
    assert s.layers == [8, 8, 8]
    assert s.activations == ["relu", "tanh", "tanh"]  # missing ones: tanh
    assert s.features == ["x1", "sin(x1)"]  # in the page's order
    assert (s.noise, s.lr, s.classes) == (15, 0.1, 3)


def test_task_follows_the_data_set():
    assert parse_setup({"dataset": "plane", "loss": "cross_entropy"}).loss == "mse"
    assert parse_setup({"dataset": "plane"}).problem == "regression"
    assert parse_setup({"dataset": "mnist", "problem": "regression"}).problem == "classification"
    assert parse_setup({"dataset": "csv", "problem": "regression"}).problem == "regression"
    assert parse_setup({"dataset": "circle", "classes": 4}).classes == 2  # only spiral, gauss


@pytest.mark.parametrize(("raw", "match"), [
    ({"dataset": "iris"}, r"'dataset' must be one of circle, xor, .*csv, mnist, got 'iris'"),
    ({"layers": [4] * 7}, r"'layers' must be a list of at most 6 hidden layer sizes"),
    ({"layers": [17]}, r"'layers' must be hidden layer sizes from 1 to 16"),
    ({"layers": [0]}, r"hidden layer sizes from 1 to 16"),
    ({"activations": ["step"]}, r"'activations' must be one of tanh, relu"),
    ({"features": []}, r"'features' must be at least one of x1, x2"),
    ({"features": ["x3"]}, r"'features' must be at least one of"),
    ({"lr": 0}, r"'lr' must be a number in \(0, 10\], got 0"),
    ({"lr": "fast"}, r"'lr' must be a number"),
    ({"noise": 60}, r"'noise' must be an integer from 0 to 50"),
    ({"batch": 513}, r"'batch' must be an integer from 1 to 512"),
    ({"points": 5000}, r"'points' must be an integer from 20 to 2000"),
    ({"dropout": 0.95}, r"'dropout' must be a number in \[0, 0.9\]"),
    ({"optimizer": "lbfgs"}, r"'optimizer' must be one of sgd, momentum, adam, rmsprop"),
    ("circle", r"a set-up must be a JSON object"),
])
def test_bad_setups_say_what_is_accepted(raw, match):
    with pytest.raises(PlaygroundError, match=match):
        parse_setup(raw)


def test_limits_bound_the_setup():
    small = Limits(max_neurons=4, max_hidden_layers=1, max_points=100, max_batch=8)
    with pytest.raises(PlaygroundError, match="from 1 to 4"):
        parse_setup({"layers": [5]}, small)
    with pytest.raises(PlaygroundError, match="at most 1 hidden"):
        parse_setup({"layers": [2, 2]}, small)
    assert parse_setup({"dataset": "mnist", "layers": [100]}).layers == [100]  # MNIST: 128


def test_errors_are_neuronal_errors():
    assert issubclass(PlaygroundError, NeuronalError) and issubclass(PlaygroundError, ValueError)
    with pytest.raises(PlaygroundError, match="max_sessions must be an integer >= 1"):
        Limits(max_sessions=0)
