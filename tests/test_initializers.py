"""Weight initialisers: shapes, dtypes, the documented distributions, explicit generators."""

import math

import numpy as np
import pytest

import neuronal as nl
from neuronal import initializers as I
from neuronal.errors import NeuronalError

ALL = ["normal", "uniform", "glorot", "he", "zeros"]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype(name, dtype):
    w = I.get(name)((7, 5), 5, 7, np.random.default_rng(0), dtype)
    assert w.shape == (7, 5) and w.dtype == dtype
    assert np.isfinite(w).all()


@pytest.mark.parametrize("name", ALL)
def test_same_generator_state_same_numbers(name):
    a = I.get(name)((4, 3), 3, 4, np.random.default_rng(42), np.float64)
    b = I.get(name)((4, 3), 3, 4, np.random.default_rng(42), np.float64)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["normal", "uniform", "glorot", "he"])
def test_different_seeds_differ(name):
    a = I.get(name)((4, 3), 3, 4, np.random.default_rng(1), np.float64)
    b = I.get(name)((4, 3), 3, 4, np.random.default_rng(2), np.float64)
    assert not np.array_equal(a, b)


def test_glorot_is_uniform_within_the_limit():
    fan_in, fan_out = 300, 100
    limit = math.sqrt(6 / (fan_in + fan_out))
    w = I.glorot()((fan_out, fan_in), fan_in, fan_out, np.random.default_rng(0), np.float64)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    # variance of U(-l, l) is l^2 / 3 = 2 / (fan_in + fan_out)
    assert w.var() == pytest.approx(2 / (fan_in + fan_out), rel=0.05)
    w2 = I.glorot(gain=2.0)((fan_out, fan_in), fan_in, fan_out, np.random.default_rng(0),
                            np.float64)
    np.testing.assert_allclose(w2, 2 * w)


def test_he_has_variance_two_over_fan_in():
    fan_in = 200
    w = I.he()((300, fan_in), fan_in, 300, np.random.default_rng(0), np.float64)
    assert w.mean() == pytest.approx(0.0, abs=0.01)
    assert w.var() == pytest.approx(2 / fan_in, rel=0.05)


def test_normal_uniform_zeros_parameters():
    rng = np.random.default_rng(0)
    w = I.normal(std=0.1, mean=1.0)((200, 200), 200, 200, rng, np.float64)
    assert w.mean() == pytest.approx(1.0, abs=0.01) and w.std() == pytest.approx(0.1, rel=0.05)
    w = I.uniform(-0.2, 0.3)((200, 200), 200, 200, rng, np.float64)
    assert w.min() >= -0.2 and w.max() < 0.3
    assert w.mean() == pytest.approx(0.05, abs=0.01)
    assert not I.zeros()((3, 2), 2, 3, rng, np.float32).any()
    w = I.normal()((200, 200), 200, 200, rng, np.float64)
    assert w.std() == pytest.approx(0.01, rel=0.05)  # "near zero" by default


def test_default_for_activation():
    for name in ["relu", "leaky_relu", "elu", "gelu", "softplus"]:
        assert isinstance(I.default_for(name), I.he)
    for name in ["sigmoid", "tanh", "softmax", "linear"]:
        assert isinstance(I.default_for(name), I.glorot)
    assert isinstance(nl.Dense(3, 2, activation="relu").weight_init, I.he)
    assert isinstance(nl.Dense(3, 2, activation="tanh").weight_init, I.glorot)


def test_registry_aliases_configs_and_errors():
    assert isinstance(I.get("xavier"), I.glorot)
    assert isinstance(I.get("kaiming"), I.he)
    assert I.get({"name": "normal", "std": 0.5}).std == 0.5
    init = I.uniform(-1, 1)
    assert I.get(init) is init
    assert I.get(init.get_config()).get_config() == init.get_config()
    assert repr(I.normal(std=0.5)) == "normal(std=0.5, mean=0.0)"
    with pytest.raises(NeuronalError, match="Did you mean 'glorot'"):
        I.get("glorott")


def test_dense_uses_its_initialisers():
    layer = nl.Dense(4, 3, weight_init=I.normal(std=0.0, mean=0.25), bias_init="zeros", seed=0)
    np.testing.assert_array_equal(layer.weights, np.full((3, 4), 0.25, np.float32))
    np.testing.assert_array_equal(layer.bias, np.zeros(3, np.float32))
    net = nl.Network.from_shape("3x2x1", hidden="relu", output="linear",
                                weight_init={"name": "uniform", "low": 0.0, "high": 0.001},
                                seed=0)
    for layer in net.layers:
        assert (layer.weights >= 0).all() and (layer.weights < 0.001).all()
