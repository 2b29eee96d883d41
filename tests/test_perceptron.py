"""Rosenblatt's perceptron rule: learns AND and OR, gives up on XOR with a warning."""

import warnings

import numpy as np
import pytest

import neuronal as nl

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
AND = [0, 0, 0, 1]
OR = [0, 1, 1, 1]
XOR = [0, 1, 1, 0]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("y", [AND, OR], ids=["AND", "OR"])
def test_learns_linearly_separable_gates(y, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("error", nl.ConvergenceWarning)
        p = nl.Perceptron(n_inputs=2, seed=seed).fit(X, y)
    assert p.converged
    np.testing.assert_array_equal(p.predict(X), y)
    assert p.score(X, y) == 1.0
    assert p.errors_[-1] == 0
    assert p.epochs_ == len(p.errors_) < p.max_epochs


def test_xor_does_not_converge():
    p = nl.Perceptron(n_inputs=2, max_epochs=25, seed=0)
    with pytest.warns(nl.ConvergenceWarning, match="not linearly separable"):
        p.fit(X, XOR)
    assert p.converged is False
    assert p.epochs_ == 25 and len(p.errors_) == 25
    assert all(e > 0 for e in p.errors_)
    assert p.score(X, XOR) < 1.0


def test_the_trained_neuron_is_a_step_neuron():
    p = nl.Perceptron(n_inputs=2, seed=0).fit(X, AND)
    neuron = p.neuron
    assert neuron.activation.name == "step"
    assert [int(neuron(x)) for x in X] == AND
    assert "step" in neuron.explain(X[3])


def test_same_seed_same_result():
    a = nl.Perceptron(n_inputs=2, seed=5).fit(X, OR)
    b = nl.Perceptron(n_inputs=2, seed=5).fit(X, OR)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.bias == b.bias and a.errors_ == b.errors_


def test_learning_rule_by_hand():
    """One mistake on x = (1, 1) with target 1 from w = 0, b = -1: w <- w + lr x, b <- b + lr."""
    p = nl.Perceptron(n_inputs=2, learning_rate=0.5, max_epochs=1, seed=0)
    p.weights[:] = 0.0
    p.bias = -1.0
    with pytest.warns(nl.ConvergenceWarning):
        p.fit([[1.0, 1.0]], [1])
    np.testing.assert_allclose(p.weights, [0.5, 0.5])
    assert p.bias == pytest.approx(-0.5)
    assert p.errors_ == [1]


def test_bad_inputs():
    p = nl.Perceptron(n_inputs=2)
    with pytest.raises(nl.DataError, match="0 or 1"):
        p.fit(X, [0, 1, 2, 1])
    with pytest.raises(nl.DataError, match="length 3"):
        p.fit(X, [0, 1, 1])
    with pytest.raises(nl.ShapeError, match=r"expects X of shape \(n, 2\)"):
        p.fit(np.ones((4, 3)), AND)
    with pytest.raises(nl.DataError, match="NaN"):
        p.fit([[0, np.nan], [1, 1]], [0, 1])
    with pytest.raises(nl.ShapeError):
        nl.Perceptron(n_inputs=0)
    with pytest.raises(nl.DataError, match="max_epochs must be >= 1"):
        nl.Perceptron(n_inputs=2, max_epochs=0)


def test_repr():
    assert repr(nl.Perceptron(n_inputs=2, seed=0)).startswith("Perceptron(n_inputs=2")
