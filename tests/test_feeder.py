"""Mini-batches gathered ahead by a worker process (``neuronal/_feeder.py``)."""

import os
import signal

import numpy as np
import pytest
from worker_helpers import reaped

import neuronal as nl
from neuronal import _feeder, _split, _threads
from neuronal.errors import NeuronalError

pytestmark = pytest.mark.skipif(not _split.can_fork(), reason="worker processes need fork")


def data(n=100, features=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features)).astype(np.float32)
    Y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)]
    return X, Y, rng.permutation(n)


def collect(gen):
    return [(start, idx.copy(), Xb.copy(), Yb.copy()) for start, idx, Xb, Yb in gen]


@pytest.mark.parametrize("n, batch", [(100, 16), (96, 16), (100, 128), (5, 2), (33, 1)])
def test_ahead_gives_the_same_batches(n, batch, forks):
    X, Y, order = data(n)
    plain = collect(_feeder.batches(X, Y, order, batch))
    ahead = collect(_feeder.batches(X, Y, order, batch, ahead=True))
    assert len(plain) == len(ahead) == -(-n // batch)
    for (s1, i1, x1, y1), (s2, i2, x2, y2) in zip(plain, ahead):
        assert s1 == s2
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_array_equal(x1, X[i1])
        np.testing.assert_array_equal(x2, x1)
        np.testing.assert_array_equal(y2, y1)
    assert len(forks) == 1 and reaped(forks[0])


def test_stopping_early_ends_the_worker(forks):
    X, Y, order = data(200)
    gen = _feeder.batches(X, Y, order, 8, ahead=True)
    for _ in range(3):
        next(gen)
    gen.close()
    assert len(forks) == 1 and reaped(forks[0])


def test_an_unstarted_generator_forks_nothing(forks):
    X, Y, order = data()
    _feeder.batches(X, Y, order, 8, ahead=True).close()
    assert forks == []


def test_a_failure_in_the_worker_is_reported(forks, monkeypatch):
    class BrokenNumpy:
        def take(self, *args, **kwargs):
            raise RuntimeError("no memory for this batch")

    X, Y, order = data()
    gen = _feeder.batches(X, Y, order, 8, ahead=True)
    monkeypatch.setattr(_feeder, "np", BrokenNumpy())  # the worker, forked at next(), fails
    with pytest.raises(NeuronalError, match=r"(?s)gathering mini-batches failed.*no memory"):
        next(gen)
    gen.close()
    assert reaped(forks[0])


def test_a_killed_worker_gives_a_clear_error(forks):
    X, Y, order = data(400)
    gen = _feeder.batches(X, Y, order, 4, ahead=True)
    next(gen)
    os.kill(forks[0], signal.SIGKILL)
    with pytest.raises(NeuronalError, match="ended unexpectedly.*NEURONAL_THREADS=1"):
        for _ in gen:
            pass
    gen.close()
    assert reaped(forks[0])


def test_worth_it(monkeypatch):
    X = np.zeros((60000, 784), np.float32)
    assert _feeder.worth_it(X, 32) and _feeder.worth_it(X, 128)
    assert not _feeder.worth_it(X, 16)  # 16 x 3 KB: the gather is too short to hand over
    assert not _feeder.worth_it(X[:32 * 15], 32)  # fewer than 16 batches
    assert not _feeder.worth_it(np.zeros((60000, 10), np.float32), 128)
    monkeypatch.setattr(_split, "can_fork", lambda: False)
    monkeypatch.setattr(_feeder, "can_fork", lambda: False)
    assert not _feeder.worth_it(X, 128)


def mlp_data(n=640):
    rng = np.random.default_rng(3)
    return rng.uniform(0, 1, (n, 50)), rng.integers(0, 4, n)


@pytest.fixture
def feeding(monkeypatch):
    """fit gathers ahead for any data: two threads allowed, no size threshold."""
    monkeypatch.setenv("NEURONAL_THREADS", "2")
    monkeypatch.setattr(_threads, "spare_core", lambda: True)
    monkeypatch.setattr(_feeder, "worth_it", lambda X, batch_size: True)


def test_fit_with_the_feeder_gives_the_same_weights(feeding, forks, monkeypatch):
    X, y = mlp_data()
    a = nl.Network.from_shape("50x12x4", optimizer=nl.Adam(0.01), seed=0)
    a.fit(X, y, epochs=3, batch_size=32, verbose=0)
    assert len(forks) == 3 and all(reaped(p) for p in forks)  # one worker per epoch
    monkeypatch.setattr(_feeder, "worth_it", lambda X, batch_size: False)
    b = nl.Network.from_shape("50x12x4", optimizer=nl.Adam(0.01), seed=0)
    b.fit(X, y, epochs=3, batch_size=32, verbose=0)
    assert len(forks) == 3
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k])
    assert a.history.history == b.history.history


def test_an_error_during_a_fed_epoch_ends_the_worker(feeding, forks):
    X, y = mlp_data()
    X[300, 7] = np.nan  # found by the divergence checks (see fit)
    net = nl.Network.from_shape("50x12x4", seed=0)
    with pytest.raises(nl.DataError, match=r"\(300, 7\)"):
        net.fit(X, y, epochs=2, batch_size=32, verbose=0)
    assert len(forks) == 1 and reaped(forks[0])


def test_no_feeder_for_big_products_or_one_thread(feeding, forks, monkeypatch):
    X, y = mlp_data()
    monkeypatch.setattr(_threads, "SMALL_STEP_MACS", 10)  # every step counts as big
    nl.Network.from_shape("50x12x4", seed=0).fit(X, y, epochs=1, batch_size=32, verbose=0)
    monkeypatch.setattr(_threads, "SMALL_STEP_MACS", 8_000_000)
    monkeypatch.setenv("NEURONAL_THREADS", "1")
    nl.Network.from_shape("50x12x4", seed=0).fit(X, y, epochs=1, batch_size=32, verbose=0)
    assert forks == []
