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
    assert "w0*x0 + w1*x1 + b" in text  # numbered from 0, as n.weights[0]


def test_explain_long_input_is_abbreviated():
    n = nl.Neuron(weights=np.ones(20), bias=0.5, activation="relu")
    text = n.explain(np.arange(20))
    # the six largest terms (14..19) are written out, the other 14 summed (0 + ... + 13 = 91)
    assert "w14*x14 + w15*x15 + w16*x16 + w17*x17 + w18*x18 + w19*x19 + (the other 14" in text
    assert "the other 14 add up to 91, 1 of them 0" in text
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


# --------------------------------------------------------------------------- explanations as a
# person writes them (issue 15)


def test_signs_are_written_as_a_person_writes_them():
    n = nl.Neuron(weights=[-0.5, 2.0, -1.0], bias=-2.0, activation="sigmoid")
    text = n.explain([1, -0.3, 0.5])
    assert "= -0.5*1 + 2*(-0.3) - 1*0.5 - 2\n" in text
    assert "= -0.5 - 0.6 - 0.5 - 2\n" in text
    assert "exp(3.6)" in text  # exp(-z) for z = -3.6
    for wrong in ("--", "+ -", "- -", "exp(-(-", "(+"):
        assert wrong not in text, wrong
    assert "exp(-1.8008)" in nl.Neuron([0.2, 0.00001], 1.0).explain([4, 80])


@pytest.mark.parametrize("activation, piece", [
    (nl.activations.LeakyReLU(0.2), "z if z > 0 else 0.2*z = 0.2*(-1.3) = -0.26"),
    ("leaky_relu", "0.01*(-1.3) = -0.013"),
    (nl.activations.ELU(0.5), "z if z > 0 else 0.5*(exp(z) - 1) = 0.5*(exp(-1.3) - 1)"),
    ("gelu", "0.5*z*(1 + tanh(sqrt(2/pi)*(z + 0.044715*z^3))) = "
             "0.5*(-1.3)*(1 + tanh(0.797885*(-1.3 + 0.044715*(-1.3)^3)))"),
    ("relu", "max(0, -1.3) = 0"),
    ("tanh", "tanh(-1.3) = -0.861723"),
    ("softplus", "log(1 + exp(-1.3))"),
    ("step", "1 if z >= 0 else 0 = 0 (z = -1.3 < 0)"),
    ("linear", "a = linear(z) = z = -1.3"),
])
def test_activation_steps_with_the_numbers(activation, piece):
    n = nl.Neuron([-0.5, 2.0], -1.0, activation)
    text = n.explain([1, 0.1])
    assert piece in text
    # the value printed is the neuron's own
    assert text.rstrip().endswith(f"{n([1, 0.1]):.6g}" + (" (z = -1.3 < 0)"
                                                          if n.activation.name == "step" else ""))
    if getattr(n.activation, "alpha", None) is not None:
        assert f"(alpha = {n.activation.alpha:g})" in text.splitlines()[0]


def test_gelu_formula_evaluates_to_the_value():
    z = -1.3
    written = 0.5 * z * (1 + math.tanh(0.797885 * (z + 0.044715 * z**3)))
    assert nl.Neuron([1.0], 0.0, "gelu")([z]) == pytest.approx(written, abs=1e-6)


def test_softmax_neuron_of_a_layer_explains_with_the_other_z():
    layer = nl.Dense(3, 4, activation="softmax", seed=0)
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    n = layer.neurons[2]
    text = n.explain(x)
    Z = x @ layer.weights.T.astype(np.float64) + layer.bias
    assert "neuron 2 of Dense(3 -> 4, softmax)" in text
    assert f"z3 = {Z[3]:.6g}" in text and "a = exp(z2) / sum_k exp(z_k)" in text
    a = float(layer(x[None])[0, 2])
    assert n(x) == pytest.approx(a, rel=1e-5)
    assert text.rstrip().endswith(f"{n(x):.6g}")
    np.testing.assert_allclose(n(np.stack([x, x])), [a, a], rtol=1e-5)


def test_standalone_softmax_neuron_says_what_it_needs():
    n = nl.Neuron([1.0, 2.0], 0.0, "softmax")
    text = n.explain([1, 2])  # no exception: the text says what is missing
    assert "does not know the other neurons' z" in text and "others=" in text
    with pytest.raises(nl.NeuronalError, match=r"one neuron alone has no output.*others="):
        n([1, 2])
    text = n.explain([1, 2], others=[1.0, -2.0])
    expected = math.exp(5) / (math.exp(5) + math.exp(1) + math.exp(-2))
    assert f"= {expected:.6g}" in text and "exp(5) / (exp(5) + exp(1) + exp(-2))" in text
    with pytest.raises(nl.NeuronalError, match="finite z values"):
        n.explain([1, 2], others=[float("nan")])


def test_many_inputs_show_the_largest_terms_not_the_corner_pixels():
    # an MNIST-like neuron: the corner pixels are always 0, the ink is in the middle
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.1, 784)
    x = np.zeros(784)
    x[300:310] = 1.0
    w[305] = 3.0
    n = nl.Neuron(w, 0.0, "sigmoid")
    text = n.explain(x)
    assert "w0*x0" not in text and "w305*x305" in text
    terms = w * x
    top = sorted(np.argsort(-np.abs(terms))[:6])
    assert " + ".join(f"w{i}*x{i}" for i in top) in text
    rest = float(terms.sum() - terms[top].sum())
    assert f"the other 778 add up to {rest:.6g}, 774 of them 0" in text
    assert f"    = {n.z(x):.6g}\n" in text
