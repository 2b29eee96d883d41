"""The gradient checker passes correct networks and, crucially, fails wrong gradients."""

import numpy as np
import pytest

import neuronal as nl
from neuronal import activations as A
from neuronal.gradcheck import relative_error
from neuronal.layers.dense import Dense


def data(rng, n=6, n_in=4, k=3):
    return rng.standard_normal((n, n_in)), rng.integers(0, k, n)


def classifier(seed=0, dropout=False):
    layers = [nl.Dense(4, 5, activation="tanh")]
    if dropout:
        layers.append(nl.Dropout(0.4))
    layers += [nl.Dense(5, 4, activation="sigmoid"), nl.Dense(4, 3, activation="softmax")]
    return nl.Network(layers, seed=seed)


def test_relative_error():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([0.0], [0.0]) == 0.0
    assert relative_error([1.0], [-1.0]) == pytest.approx(1.0)
    assert relative_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)


# --------------------------------------------------------------------------- correct gradients


def test_passes_on_a_correct_classifier(rng):
    X, y = data(rng)
    assert nl.gradient_check(classifier(), X, y, max_entries=None) < 1e-6


def test_passes_with_dropout(rng):
    X, y = data(rng)
    net = classifier(dropout=True)
    assert nl.gradient_check(net, X, y, max_entries=None) < 1e-6


@pytest.mark.parametrize("loss,output,hidden", [
    ("binary_cross_entropy", "sigmoid", "elu"),
    ("mse", "linear", "gelu"),
    ("mse", "tanh", "softplus"),
    ("mae", "linear", "sigmoid"),
    ("cross_entropy", "softmax", "softmax"),
])
def test_passes_for_every_loss(loss, output, hidden, rng):
    n_out = 2
    net = nl.Network.from_shape([3, 4, 4, n_out], hidden=hidden, output=output, loss=loss, seed=1)
    X = rng.standard_normal((5, 3))
    if loss == "binary_cross_entropy":
        y = rng.integers(0, 2, (5, n_out))
    elif loss == "cross_entropy":
        y = rng.integers(0, n_out, 5)
    else:
        y = rng.standard_normal((5, n_out)) * 3   # MAE: keep |a - y| away from its kink
    assert nl.gradient_check(net, X, y) < 1e-6


def test_passes_with_a_separate_activation_layer(rng):
    net = nl.Network([nl.Dense(4, 6), nl.Activation("tanh"), nl.Dense(6, 3),
                      nl.Activation("softmax")], seed=2)
    X, y = data(rng)
    assert nl.gradient_check(net, X, y) < 1e-6


def test_does_not_touch_the_original_network(rng):
    net = classifier()
    before = net.get_weights()
    X, y = data(rng)
    nl.gradient_check(net, X, y)
    assert net.dtype == np.float32 and net.layers[0].weights.dtype == np.float32
    for b, a in zip(before, net.get_weights()):
        for k in b:
            np.testing.assert_array_equal(b[k], a[k])


def test_check_layer_gradients_passes(rng):
    layer = nl.Dense(4, 3, activation="tanh")
    errors = nl.check_layer_gradients(layer, rng.standard_normal((5, 4)))
    assert set(errors) == {"input", "weight", "bias"}
    assert max(errors.values()) < 1e-6


# --------------------------------------------------------------------------- wrong gradients


def test_fails_when_a_layer_backward_is_off_by_a_factor(rng, monkeypatch):
    correct = Dense.backward

    def wrong(self, grad, preactivation=False):
        dx = correct(self, grad, preactivation)
        self._grads["weight"] *= 1.5   # weight gradient 50% too large
        return dx

    monkeypatch.setattr(Dense, "backward", wrong)
    X, y = data(rng)
    assert nl.gradient_check(classifier(), X, y) > 0.1


def test_fails_when_an_activation_backward_is_off_by_a_factor(rng, monkeypatch):
    correct = A.Tanh.backward
    monkeypatch.setattr(A.Tanh, "backward", lambda self, z, a, g: 2.0 * correct(self, z, a, g))
    X, y = data(rng)
    assert nl.gradient_check(classifier(), X, y) > 0.1


def test_fails_when_the_input_gradient_is_wrong(rng, monkeypatch):
    """A wrong dLoss/dx in the last layer corrupts every earlier layer's gradients."""
    correct = Dense.backward

    def wrong(self, grad, preactivation=False):
        dx = correct(self, grad, preactivation)
        return None if dx is None else -dx

    monkeypatch.setattr(Dense, "backward", wrong)
    X, y = data(rng)
    assert nl.gradient_check(classifier(), X, y) > 0.5


def test_fails_when_the_fused_delta_is_wrong(rng, monkeypatch):
    from neuronal import losses

    correct = losses.CrossEntropy.delta
    monkeypatch.setattr(losses.CrossEntropy, "delta", lambda self, a, y: 0.5 * correct(self, a, y))
    X, y = data(rng)
    assert nl.gradient_check(classifier(), X, y) > 0.1


def test_dropout_mask_mismatch_would_be_caught(rng, monkeypatch):
    """If backward ignored the dropout mask, the checker must notice."""
    monkeypatch.setattr(nl.Dropout, "backward", lambda self, grad, preactivation=False: grad)
    X, y = data(rng)
    assert nl.gradient_check(classifier(dropout=True), X, y) > 0.1


def test_check_layer_gradients_fails_on_wrong_layer(rng, monkeypatch):
    correct = Dense.backward

    def wrong(self, grad, preactivation=False):
        dx = correct(self, grad, preactivation)
        self._grads["bias"] += 0.3
        return dx * 1.1

    monkeypatch.setattr(Dense, "backward", wrong)
    layer = nl.Dense(4, 3, activation="tanh")
    errors = nl.check_layer_gradients(layer, rng.standard_normal((5, 4)))
    assert errors["weight"] < 1e-6
    assert errors["bias"] > 0.01
    assert errors["input"] > 0.01
