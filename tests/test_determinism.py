"""One seed, one result: initial weights, shuffling and dropout all come from the network's
single generator, so the same seed reproduces a run bit for bit."""

import numpy as np
import pytest

import neuronal as nl


def data(n=48):
    rng = np.random.default_rng(123)
    X = rng.standard_normal((n, 5))
    return X, (X[:, 0] - X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)


def make(seed, optimizer="adam", dtype="float32"):
    return nl.Network([nl.Dense(5, 8, activation="relu"), nl.Dropout(0.3),
                       nl.Dense(8, 6, activation="tanh"), nl.Dropout(0.2),
                       nl.Dense(6, 3, activation="softmax")],
                      optimizer=optimizer, seed=seed, dtype=dtype)


def train(seed, epochs=4, **kw):
    X, y = data()
    net = make(seed, **kw)
    history = net.fit(X, y, epochs=epochs, batch_size=10, shuffle=True,
                      validation_data=(X[:10], y[:10]), verbose=0)
    return net, history


def assert_identical(a, b):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        assert wa.keys() == wb.keys()
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k])


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_bit_identical(optimizer, dtype):
    a, ha = train(7, optimizer=optimizer, dtype=dtype)
    b, hb = train(7, optimizer=optimizer, dtype=dtype)
    assert_identical(a, b)
    assert ha.history == hb.history   # exact float equality, every key
    X, _ = data()
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_different_seed_different_weights():
    a, b = make(1), make(2)
    assert not np.array_equal(a.layers[0].weights, b.layers[0].weights)
    ta, ha = train(1)
    tb, hb = train(2)
    assert not np.array_equal(ta.layers[0].weights, tb.layers[0].weights)
    assert ha["loss"] != hb["loss"]


def test_dropout_and_shuffle_really_draw_from_the_seed():
    """Same initial weights, different generator state afterwards: training must differ, so the
    masks and the order come from the generator (and not, say, a global one)."""
    X, y = data()
    a, b = make(3), make(3)
    b.rng.random(1)   # advance b's generator only
    a.fit(X, y, epochs=2, batch_size=10, verbose=0)
    b.fit(X, y, epochs=2, batch_size=10, verbose=0)
    assert not np.array_equal(a.layers[0].weights, b.layers[0].weights)


def test_global_numpy_random_state_is_not_used():
    np.random.seed(0)
    a, ha = train(5)
    np.random.seed(999)
    b, hb = train(5)
    assert_identical(a, b)
    assert ha.history == hb.history


def test_split_fit_equals_one_fit_and_predict_draws_nothing():
    X, y = data()
    a = make(11)
    a.fit(X, y, epochs=2, batch_size=10, verbose=0)
    a.predict(X)             # inference must not consume the generator
    a.evaluate(X, y)
    a.fit(X, y, epochs=3, batch_size=10, verbose=0)
    b = make(11)
    b.fit(X, y, epochs=5, batch_size=10, verbose=0)
    assert_identical(a, b)
    assert a.history.history == b.history.history


def test_layer_seed_reproduces_a_standalone_layer():
    a = nl.Dense(4, 3, seed=9)
    b = nl.Dense(4, 3, seed=9)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, nl.Dense(4, 3, seed=10).weights)


def test_gradient_check_is_reproducible():
    X, y = data(8)
    net = make(4)
    assert nl.gradient_check(net, X, y, seed=3) == nl.gradient_check(net, X, y, seed=3)
