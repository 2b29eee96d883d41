"""The engine's runner against the plain runner of ``training.py``: the same training.

Both draw the same batches from the same generator and take the same steps; the engine's
gathers into reused buffers and updates all parameters with one fused step (exactly the
per-parameter numbers), so on networks whose products BLAS computes the same way the two
give bit-identical weights, and otherwise agree up to rounding. Either way each is the same
on every run.
"""

import numpy as np
import pytest

import neuronal as nl
from neuronal import training
from neuronal.engine.runner import FastRunner


def blobs(n=96, d=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    X = rng.standard_normal((n, d)) + labels[:, None]
    return X, labels


def trained(engine, optimizer, dtype="float64", epochs=3, make=None):
    X, y = blobs()
    with nl.use_engine(engine):
        net = make() if make else nl.Network.from_shape(
            "6x5x3", hidden="tanh", optimizer=optimizer, seed=3, dtype=dtype)
        history = net.fit(X, y, epochs=epochs, batch_size=8, verbose=0)
    return net, history


@pytest.mark.parametrize("optimizer", [{"name": "sgd", "learning_rate": 0.1},
                                       {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9},
                                       {"name": "adam", "learning_rate": 0.01},
                                       {"name": "rmsprop", "learning_rate": 0.01}],
                         ids=lambda o: o["name"] + ("-momentum" if "momentum" in o else ""))
def test_fast_runner_equals_the_plain_runner(optimizer):
    fast, h_fast = trained("fast", dict(optimizer))
    plain, h_plain = trained("plain", dict(optimizer))
    assert h_fast.history == h_plain.history  # tiny products: BLAS rounds them alike
    for a, b in zip(fast.get_weights(), plain.get_weights()):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def test_the_runners_are_the_ones_asked_for(monkeypatch):
    kinds = []
    real = training.run_epoch

    def spy(network, runner, progress):
        kinds.append(type(runner).__name__)
        return real(network, runner, progress)

    monkeypatch.setattr(training, "run_epoch", spy)
    trained("fast", "sgd", epochs=1)
    trained("plain", "sgd", epochs=1)
    assert kinds == [FastRunner.__name__, training.PlainRunner.__name__]


def test_each_runner_is_the_same_on_every_run():
    for engine in ("fast", "plain"):
        a, _ = trained(engine, "adam", dtype="float32")
        b, _ = trained(engine, "adam", dtype="float32")
        for wa, wb in zip(a.get_weights(), b.get_weights()):
            for k in wa:
                np.testing.assert_array_equal(wa[k], wb[k])


def test_fast_and_plain_agree_on_a_cnn_and_an_lstm_up_to_rounding():
    rng = np.random.default_rng(0)

    def cnn():
        return nl.Network([nl.Conv2D(1, 3, 3, padding=1, activation="relu"), nl.MaxPool2D(2),
                           nl.Flatten(), nl.Dense(3 * 3 * 3, 2, activation="softmax")],
                          optimizer=nl.Adam(0.01), seed=0, dtype="float64")

    def lstm():
        return nl.Network([nl.LSTM(3, 4), nl.Dense(4, 2, activation="softmax")],
                          optimizer=nl.Adam(0.01), seed=0, dtype="float64")

    for make, shape in ((cnn, (40, 1, 6, 6)), (lstm, (40, 5, 3))):
        X, y = rng.standard_normal(shape), rng.integers(0, 2, 40)
        nets = []
        for engine in ("fast", "plain"):
            with nl.use_engine(engine):
                net = make()
                net.fit(X, y, epochs=2, batch_size=8, verbose=0)
                nets.append(net)
        for a, b in zip(nets[0].get_weights(), nets[1].get_weights()):
            for k in a:
                np.testing.assert_allclose(a[k], b[k], rtol=1e-9, atol=1e-12)


def test_reused_batch_buffers_are_never_returned_to_the_user(rng):
    X, y = blobs()
    net = nl.Network.from_shape("6x5x3", seed=0)
    outs = []

    class Keep(nl.Callback):
        def on_epoch_end(self, network, epoch, logs):
            outs.append(network.predict_proba(X[:8]))

    net.fit(X, y, epochs=2, batch_size=8, verbose=0, callbacks=[Keep()])
    assert not np.shares_memory(outs[0], outs[1])
