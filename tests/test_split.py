"""Two halves of a batch on two threads (``_split.py``) give the whole batch's step.

With a spare core, ``Network.fit`` runs each mini-batch of a convolutional network as two
halves, the second through twins of the layers on a helper thread. These tests check that
this computes the same loss, output and gradients as one pass over the whole batch, that
training follows the same path with and without it, that it is reproducible, and that it is
used only where it is safe and pays.
"""

import os

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


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(_threads, "spare_core", lambda: True)


@pytest.fixture
def one_core(monkeypatch):
    monkeypatch.setattr(_threads, "spare_core", lambda: False)


@pytest.mark.parametrize("rows", [16, 17, 33])
@pytest.mark.parametrize("packed", [True, False])
def test_split_step_equals_whole_batch(two_cores, rows, packed):
    net = small_cnn()
    X, y = data(rows)
    Y = np.eye(4)[y]
    out = net.forward(X, training=True)
    value, delta, pre = net._loss_and_delta(out, Y)
    net.backward(delta, preactivation=pre)
    expected = [g.copy() for _, g in net.parameters()]
    for _, g in net.parameters():
        g[...] = np.nan  # the split step must overwrite every gradient
    splitter = _split.BatchSplitter.for_network(net)
    assert splitter is not None
    if not packed:  # the per-array path, for networks whose gradients are not one array
        splitter._own = None
    split_value, split_out = splitter.step(X, Y)
    assert split_value == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(split_out, out, rtol=1e-12, atol=1e-14)
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
    lambda: nl.Network([nl.LSTM(3, 5), nl.Dense(5, 2, activation="softmax")], seed=0),
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


def test_an_error_in_the_helper_half_reaches_the_caller(two_cores):
    net = small_cnn()
    X, y = data(20)
    splitter = _split.BatchSplitter.for_network(net)

    def broken(x, training=False):
        raise RuntimeError("twin failed")

    splitter.twins[0].forward = broken
    with pytest.raises(RuntimeError, match="twin failed"):
        splitter.step(X, np.eye(4)[y])


def test_twins_share_parameters_and_own_their_gradients(two_cores):
    net = small_cnn()
    splitter = _split.BatchSplitter.for_network(net)
    for layer, twin in zip(net.layers, splitter.twins):
        for key in layer.params():
            assert twin.params()[key] is layer.params()[key]
            assert not np.shares_memory(twin.grads()[key], layer.grads()[key])


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


def test_helper_is_replaced_in_a_forked_child(monkeypatch):
    first = _threads.helper()
    assert _threads.helper() is first
    monkeypatch.setattr(_threads, "_executor_pid", -1)  # as seen from a forked child
    second = _threads.helper()
    assert second is not first and second.submit(lambda: 42).result(timeout=10) == 42
