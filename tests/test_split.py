"""Two halves of a batch on two cores (``_split.py``) give the whole batch's step.

With a spare core, ``Network.fit`` runs each mini-batch of a convolutional or recurrent
network as two halves, the second in a forked worker process. These tests check that this
computes the same loss, output and gradients as one pass over the whole batch, that training
follows the same path with and without it, that it is reproducible, that errors and a dead
worker are reported, and that it is used only where it is safe and pays.
"""

import os
import signal

import numpy as np
import pytest

import neuronal as nl
from neuronal import _split, _threads


def small_cnn(dtype="float64", seed=0, extra=()):
    return nl.Network([
        nl.Conv2D(1, 3, 3, padding=1, activation="relu"),
        nl.MaxPool2D(2),
        *extra,
        nl.Flatten(),
        nl.Dense(3 * 3 * 3, 8, activation="tanh"),
        nl.Dense(8, 4, activation="softmax"),
    ], optimizer=nl.Adam(0.01), seed=seed, dtype=dtype)


def data(n=40, seed=1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 1, 6, 6)).astype(dtype)
    y = rng.integers(0, 4, n)
    return X, y


pytestmark = pytest.mark.skipif(not _split.can_fork(), reason="worker processes need fork")


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(_threads, "spare_core", lambda: True)


@pytest.fixture
def one_core(monkeypatch):
    monkeypatch.setattr(_threads, "spare_core", lambda: False)


@pytest.mark.parametrize("rows", [16, 17, 33])
def test_split_step_equals_whole_batch(two_cores, rows):
    net = small_cnn()
    X, y = data(rows)
    Y = np.eye(4)[y]
    out = net.forward(X, training=True)
    value, delta, pre = net._loss_and_delta(out, Y)
    net.backward(delta, preactivation=pre)
    expected = [g.copy() for _, g in net.parameters()]
    for _, g in net.parameters():
        g[...] = np.nan  # the split step must overwrite every gradient
    with _split.BatchSplitter.for_network(net) as splitter:
        split_value, split_out = splitter.step(X, Y)
    assert split_value == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(split_out, out, rtol=1e-12, atol=1e-14)
    for (_, g), e in zip(net.parameters(), expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-14)


def test_the_worker_sees_each_steps_weights(two_cores):
    net = small_cnn()
    X, y = data(20)
    Y = np.eye(4)[y]
    with _split.BatchSplitter.for_network(net) as splitter:
        for _ in range(3):
            for p, _ in net.parameters():
                p += 0.01  # as an optimiser step would, in place
            splitter.step(X, Y)
            split = [g.copy() for _, g in net.parameters()]
            net._gradients(X, Y)
            for (_, g), s in zip(net.parameters(), split):
                np.testing.assert_allclose(s, g, rtol=1e-10, atol=1e-14)


def test_split_lstm_step_equals_whole_batch(two_cores):
    net = nl.Network([nl.LSTM(3, 5), nl.Dense(5, 2, activation="softmax")], seed=0,
                     dtype="float64")
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((18, 4, 3)), np.eye(2)[rng.integers(0, 2, 18)]
    value, out = net._gradients(X, Y)
    expected = [g.copy() for _, g in net.parameters()]
    with _split.BatchSplitter.for_network(net) as splitter:
        split_value, split_out = splitter.step(X, Y)
    assert split_value == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(split_out, out, rtol=1e-12)
    for (_, g), e in zip(net.parameters(), expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-14)


def test_fit_with_split_follows_the_same_path(monkeypatch):
    X, y = data(64)
    calls = []
    step = _split.BatchSplitter.step
    monkeypatch.setattr(_split.BatchSplitter, "step",
                        lambda self, *a: calls.append(len(a[0])) or step(self, *a))
    results = {}
    for cores in (True, False):
        monkeypatch.setattr(_threads, "spare_core", lambda c=cores: c)
        net = small_cnn()
        hist = net.fit(X, y, epochs=3, batch_size=20, verbose=0)
        results[cores] = (net.get_weights(), hist.history["loss"], hist.history["accuracy"])
    # 64 rows in batches of 20: three split steps per epoch, the last 4 rows in one thread
    assert calls == [20, 20, 20] * 3
    (w_split, loss_split, acc_split), (w_one, loss_one, acc_one) = results[True], results[False]
    np.testing.assert_allclose(loss_split, loss_one, rtol=1e-10)
    assert acc_split == acc_one
    for a, b in zip(w_split, w_one):
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-9, atol=1e-12)


def test_split_training_is_reproducible(two_cores):
    X, y = data(96, dtype=np.float32)
    weights = []
    for _ in range(2):
        net = small_cnn("float32")
        net.fit(X, y, epochs=2, batch_size=32, verbose=0)
        weights.append(net.get_weights())
    for a, b in zip(*weights):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_splitter_only_during_fit(two_cores):
    net = small_cnn()
    X, y = data(32)
    seen = []
    original = net.train_step
    net.train_step = lambda *a: seen.append(net._splitter) or original(*a)
    net.fit(X, y, epochs=1, batch_size=16, verbose=0)
    assert all(isinstance(s, _split.BatchSplitter) for s in seen) and len(seen) == 2
    assert net._splitter is None


@pytest.mark.parametrize("make", [
    lambda: nl.Network.from_shape("8x6x3", seed=0),  # no convolution: not worth it
    lambda: small_cnn(extra=[nl.BatchNorm(3)]),  # statistics over the whole batch
    lambda: small_cnn(extra=[nl.Dropout(0.5)]),  # masks from one random stream
])
def test_not_split_where_unsafe_or_not_worth_it(two_cores, make):
    assert _split.BatchSplitter.for_network(make()) is None


def test_not_split_without_a_spare_core(one_core):
    assert _split.BatchSplitter.for_network(small_cnn()) is None


def test_small_batches_are_not_split(two_cores, monkeypatch):
    net = small_cnn()
    X, y = data(2 * _split.MIN_HALF - 1)
    monkeypatch.setattr(_split.BatchSplitter, "step", lambda *a: pytest.fail("split"))
    net.fit(X, y, epochs=1, batch_size=len(X), verbose=0)


def test_an_error_in_the_worker_half_reaches_the_caller(two_cores):
    net = small_cnn()
    X, y = data(20)
    parent = os.getpid()
    forward = net.layers[0].forward

    def broken(x, training=False):
        if os.getpid() != parent:
            raise RuntimeError("worker half failed")
        return forward(x, training)

    net.layers[0].forward = broken
    with _split.BatchSplitter.for_network(net) as splitter:
        with pytest.raises(nl.NeuronalError, match="worker half failed"):
            splitter.step(X, np.eye(4)[y])
        net.layers[0].forward = forward  # the worker still has the broken copy
        with pytest.raises(nl.NeuronalError, match="worker half failed"):
            splitter.step(X, np.eye(4)[y])


def test_an_error_in_the_first_half_wins_and_the_worker_is_waited_for(two_cores):
    net = small_cnn()
    X, y = data(20)
    with _split.BatchSplitter.for_network(net) as splitter:
        splitter.step(X, np.eye(4)[y])  # the worker exists, with the working layers
        net.layers[0].forward = lambda x, training=False: 1 / 0
        with pytest.raises(ZeroDivisionError):
            splitter.step(X, np.eye(4)[y])


def test_a_dead_worker_gives_a_clear_error(two_cores):
    net = small_cnn()
    X, y = data(20)
    with _split.BatchSplitter.for_network(net) as splitter:
        splitter.step(X, np.eye(4)[y])
        os.kill(splitter._worker.pid, signal.SIGKILL)
        with pytest.raises(nl.NeuronalError, match="ended unexpectedly.*NEURONAL_THREADS=1"):
            splitter.step(X, np.eye(4)[y])


def test_the_worker_ends_with_the_epoch(two_cores, monkeypatch):
    pids = []
    close = _split._Worker.close
    monkeypatch.setattr(_split._Worker, "close", lambda self: pids.append(self.pid) or close(self))
    net = small_cnn()
    X, y = data(64)
    net.fit(X, y, epochs=2, batch_size=32, verbose=0)
    assert len(pids) == 2  # one worker per epoch, each one ended and reaped
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_a_larger_batch_gets_a_new_worker(two_cores):
    net = small_cnn()
    X, y = data(40)
    Y = np.eye(4)[y]
    with _split.BatchSplitter.for_network(net) as splitter:
        splitter.step(X[:16], Y[:16])
        first = splitter._worker.pid
        splitter.step(X[:12 + 16], Y[:12 + 16])
        assert splitter._worker.pid != first
        value, out = splitter.step(X[:16], Y[:16])  # smaller again: the same worker
        assert out.shape == (16, 4)


def test_single_threaded_blas_restores_the_thread_count():
    before = _threads.blas_threads()
    with _threads.single_threaded_blas():
        if _threads._openblas() and "NEURONAL_THREADS" not in os.environ:
            assert _threads.blas_threads() == 1
    assert _threads.blas_threads() == before


def test_neuronal_threads_overrides(monkeypatch):
    monkeypatch.setenv("NEURONAL_THREADS", "1")
    assert _threads.blas_threads() == 1 and not _threads.spare_core()
    monkeypatch.setenv("NEURONAL_THREADS", "2")
    assert _threads.blas_threads() == 2
    assert _threads.spare_core() == ((os.cpu_count() or 1) >= 2)


def test_overlapping_single_threaded_blocks_restore_the_first_count():
    before = _threads.blas_threads()
    outer = _threads.single_threaded_blas()
    inner = _threads.single_threaded_blas()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)  # closed out of order, as two threads might
    if _threads._openblas() and "NEURONAL_THREADS" not in os.environ:
        assert _threads.blas_threads() == 1  # the inner block is still open
    inner.__exit__(None, None, None)
    assert _threads.blas_threads() == before
