"""The single neuron a = f(w . x + b), its explain() trace, and neurons as views of a layer."""

import math

import numpy as np
import pytest

import neuronal as nl


def obesity_neuron():
    # height 4 ft, weight 80 kg; w = (0.2, 0.00001), b = 1
    return nl.Neuron(weights=[0.2, 0.00001], bias=1.0, activation="sigmoid")


def test_obesity_numbers():
    n = obesity_neuron()
    # z = 0.2*4 + 0.00001*80 + 1 = 0.8 + 0.0008 + 1 = 1.8008
    assert n.z([4, 80]) == pytest.approx(1.8008, abs=1e-12)
    # sigmoid(1.8008) = 1 / (1 + exp(-1.8008)) = 0.858246...
    assert n([4, 80]) == pytest.approx(1 / (1 + math.exp(-1.8008)), abs=1e-12)
    assert round(n([4, 80]), 4) == 0.8582
    assert type(n([4, 80])) is float and type(n.z([4, 80])) is float


def test_explain_contains_the_numbers():
    text = obesity_neuron().explain([4, 80])
    for piece in ["sigmoid", "1.8008", "0.8582", "0.2", "1e-05", "80", "0.0008"]:
        assert piece in text, piece
    assert "w1*x1 + w2*x2 + b" in text


def test_explain_long_input_is_abbreviated():
    n = nl.Neuron(weights=np.ones(20), bias=0.5, activation="relu")
    text = n.explain(np.arange(20))
    assert "14 more terms" in text
    assert "190.5" in text   # z = 0 + 1 + ... + 19 + 0.5


def test_batch_of_inputs(rng):
    n = nl.Neuron(weights=[1.0, -2.0, 0.5], bias=0.1, activation="tanh")
    X = rng.standard_normal((4, 3))
    z = X @ np.array([1.0, -2.0, 0.5]) + 0.1
    np.testing.assert_allclose(n.z(X), z)
    np.testing.assert_allclose(n(X), np.tanh(z))


def test_zero_weight_ignores_an_input():
    n = nl.Neuron(weights=[0.0, 1.0], bias=0.0, activation="linear")
    assert n([1000.0, 2.0]) == n([-5.0, 2.0]) == 2.0


def test_neuron_copies_its_weights():
    w = np.array([1.0, 2.0])
    n = nl.Neuron(w)
    w[0] = 99.0
    assert n.weights[0] == 1.0


def test_weight_setter_and_shape_errors():
    n = nl.Neuron([1.0, 2.0], bias=0.5)
    n.weights = [3.0, 4.0]
    n.bias = -1.0
    assert n.z([1, 1]) == pytest.approx(6.0)
    with pytest.raises(nl.ShapeError, match="needs 2 weights"):
        n.weights = [1.0, 2.0, 3.0]
    with pytest.raises(nl.ShapeError, match=r"2 inputs.*got \(3,\)"):
        n([1, 2, 3])
    with pytest.raises(nl.ShapeError, match="non-empty"):
        nl.Neuron([])
    with pytest.raises(nl.ShapeError):
        nl.Neuron([[1.0, 2.0]])


def test_layer_neurons_are_views():
    layer = nl.Dense(3, 2, activation="sigmoid", seed=0)
    layer.build()
    n1 = layer.neurons[1]
    # reading: the neuron shows row 1 of W and b[1]
    np.testing.assert_array_equal(n1.weights, layer.weights[1])
    assert n1.bias == layer.bias[1]
    # editing the neuron edits the layer
    n1.weights[0] = 5.0
    n1.weights = [7.0, 8.0, 9.0]
    n1.bias = 0.25
    np.testing.assert_array_equal(layer.weights[1], [7.0, 8.0, 9.0])
    assert layer.bias[1] == 0.25
    # editing the layer edits the neuron (even one obtained earlier)
    layer.weights[1, 2] = -3.0
    layer.bias[1] = 1.5
    assert n1.weights[2] == -3.0 and n1.bias == 1.5
    assert np.shares_memory(n1.weights, layer.weights)
    # the other neuron is untouched
    assert not np.array_equal(layer.neurons[0].weights, [7.0, 8.0, -3.0])


def test_neuron_of_a_layer_without_bias_refuses_a_bias():
    """There is no bias array to view: writing one must fail loudly, not vanish silently."""
    layer = nl.Dense(3, 2, use_bias=False, seed=0)
    neuron = layer.neurons[0]
    assert neuron.bias == 0.0
    with pytest.raises(ValueError, match="read-only"):
        neuron.bias = 5.0
    with pytest.raises(ValueError, match="read-only"):
        layer.bias[0] = 5.0
    assert neuron.bias == 0.0 and not layer.bias.any()


def test_layer_neuron_computes_the_layer_row(rng):
    layer = nl.Dense(3, 4, activation="tanh", seed=1)
    x = rng.standard_normal(3)
    out = layer(x[None])[0]
    for j, neuron in enumerate(layer.neurons):
        assert neuron(x) == pytest.approx(float(out[j]), rel=1e-5)
    assert len(layer.neurons) == 4
    assert layer.neurons[-1].weights is not None
    with pytest.raises(IndexError, match="4 neurons"):
        layer.neurons[4]


def test_network_layer_neuron_view_changes_predictions():
    net = nl.Network.from_shape("2x1", output="linear", seed=0)
    neuron = net.layers[0].neurons[0]
    neuron.weights = [2.0, 3.0]
    neuron.bias = 1.0
    np.testing.assert_allclose(net.predict([[1.0, 1.0]]), [[6.0]])


def test_repr():
    text = repr(obesity_neuron())
    assert text.startswith("Neuron(weights=[") and "bias=1" in text
    assert "activation='sigmoid'" in text
