"""Each story script in examples/ runs and reaches its stated result."""

import importlib.util
import warnings
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_obese_neuron(capsys):
    acc = load("obese_neuron").main(n_samples=1000, epochs=100)
    out = capsys.readouterr().out
    assert "z = 1.8008" in out and "0.8582" in out
    assert acc >= 0.98


def test_perceptron_and_or_but_not_xor():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = load("perceptron").main()
    assert results["AND"] == (True, 1.0)
    assert results["OR"] == (True, 1.0)
    converged, acc = results["XOR"]
    assert not converged and acc < 1.0


def test_xor_learned_to_100_percent():
    assert load("xor").main() == 1.0


def test_addition_regression():
    assert load("addition").main(epochs=100) < 1e-3


def test_logistic_regression_matches_newton_and_sklearn():
    assert load("logistic_regression").main() < 1e-4


def test_mnist_example_few_samples():
    from neuronal.datasets import DatasetNotFoundError, load_mnist

    try:
        load_mnist(download=False)
    except DatasetNotFoundError:
        import pytest

        pytest.skip("MNIST not available locally")
    assert load("mnist").main(epochs=2, n_train=10_000) > 0.85
