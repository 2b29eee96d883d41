"""The engine trains on one BLAS thread (``engine.threads``) and puts the setting back when
``fit`` ends, however it ends; the plain engine leaves BLAS alone. ``small_step`` (the rule
that was used before, kept for the benchmarks) counts a step's forward multiply-adds."""

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import neuronal as nl
from neuronal.engine import threads
from neuronal.engine.runner import step_macs


@pytest.fixture
def two_threads():
    """NumPy's BLAS allowed two threads for the test (whatever the machine's default)."""
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def test_dense_counts_its_multiply_adds():
    layer = nl.Dense(784, 16)
    layer.build()
    assert layer.matmul_macs((784,)) == 784 * 16
    assert layer.matmul_macs((28, 784)) == 28 * 784 * 16  # one product per leading position


def test_layers_without_parameters_count_zero_and_others_are_unknown():
    assert nl.Conv2D(1, 3, 3).matmul_macs((1, 8, 8)) is None  # not built: unknown
    assert nl.Flatten().build().matmul_macs((1, 4, 4)) == 0
    assert nl.MaxPool2D(2).build().matmul_macs((1, 4, 4)) == 0
    assert nl.Dropout(0.5).build().matmul_macs((10,)) == 0
    conv = nl.Conv2D(1, 3, 3)
    conv.build()
    assert conv.matmul_macs((1, 8, 8)) is None
    lstm = nl.LSTM(4, 8)
    lstm.build()
    assert lstm.matmul_macs((5, 4)) is None


def test_step_macs_of_a_network():
    net = nl.Network.from_shape("784x16x10", seed=0)
    net.sample_shape = (784,)
    assert step_macs(net, 128) == 128 * (784 * 16 + 16 * 10)
    cnn = nl.Network([nl.Conv2D(1, 2, 3), nl.Flatten(), nl.Dense(2 * 6 * 6, 3)], seed=0)
    cnn.sample_shape = (1, 8, 8)
    assert step_macs(cnn, 32) is None


def test_small_step(two_threads):
    assert threads.blas_threads() == 2
    assert threads.small_step(1_000_000)
    assert not threads.small_step(threads.SMALL_STEP_MACS)
    assert not threads.small_step(None)
    with threadpool_limits(limits=1, user_api="blas"):  # one thread anyway: nothing to change
        assert not threads.small_step(1_000_000)


def threads_during_fit(net, X, y, batch_size, **fit):
    """The BLAS thread counts seen by the training steps of ``net.fit``."""
    seen = []
    loss_and_delta = net.loss_and_delta

    def spy(out, Y, weights=None):
        seen.append(threads.blas_threads())
        return loss_and_delta(out, Y, weights)

    net.loss_and_delta = spy
    net.fit(X, y, epochs=2, batch_size=batch_size, verbose=0, **fit)
    assert seen
    return set(seen)


def test_a_small_mlp_trains_on_one_blas_thread_and_gets_two_back(two_threads):
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (256, 784)), rng.integers(0, 10, 256)
    net = nl.Network.from_shape("784x16x10", seed=0)
    assert threads_during_fit(net, X, y, 128) == {1}
    assert threads.blas_threads() == 2


def test_a_big_mlp_and_a_cnn_train_on_one_blas_thread_too(two_threads):
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (256, 784)).astype(np.float32), rng.integers(0, 10, 256)
    net = nl.Network.from_shape("784x512x10", seed=0)  # 128 x 784 x 512 = 51M per step
    assert threads_during_fit(net, X, y, 128) == {1}
    cnn = nl.Network([nl.Conv2D(1, 4, 3), nl.Flatten(),
                      nl.Dense(4 * 26 * 26, 10, activation="softmax")], seed=0)
    assert threads_during_fit(cnn, X.reshape(-1, 1, 28, 28), y, 128, workers=1) == {1}
    assert threads.blas_threads() == 2


def test_the_plain_engine_leaves_the_threads_alone(two_threads):
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (256, 784)), rng.integers(0, 10, 256)
    net = nl.Network.from_shape("784x16x10", seed=0)
    with nl.use_engine("plain"):
        assert threads_during_fit(net, X, y, 128) == {2}


class Boom(nl.Callback):
    def on_epoch_end(self, network, epoch, logs):
        raise RuntimeError("boom")


def test_the_thread_count_comes_back_after_an_error(two_threads):
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (64, 20)), rng.integers(0, 3, 64)
    net = nl.Network.from_shape("20x8x3", seed=0)
    with pytest.raises(RuntimeError, match="boom"):
        net.fit(X, y, epochs=2, batch_size=16, verbose=0, callbacks=[Boom()])
    assert threads.blas_threads() == 2


def test_a_fit_in_another_thread_restores_its_own_count(two_threads):
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (64, 20)), rng.integers(0, 3, 64)
    seen = []

    def train():
        before = threads.blas_threads()
        net = nl.Network.from_shape("20x8x3", seed=0)
        seen.append(len(threads_during_fit(net, X, y, 16)))
        seen.append(threads.blas_threads() == before)

    # (NumPy's OpenBLAS may ignore a count set from a thread other than the one that set
    # it last, so the count seen during the fit is not checked here, only what follows it)
    t = threading.Thread(target=train)
    t.start()
    t.join(30)
    assert seen == [1, True]
    assert threads.blas_threads() == 2  # the main thread's count is untouched


def test_one_thread_training_gives_the_same_weights_up_to_rounding(two_threads, monkeypatch):
    # 64 x 300 x 200 = 3.8M multiply-adds: OpenBLAS would use both threads on its own
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (512, 300)), rng.integers(0, 3, 512)
    a = nl.Network.from_shape("300x200x3", optimizer=nl.Adam(0.01), seed=0, dtype="float64")
    b = nl.Network.from_shape("300x200x3", optimizer=nl.Adam(0.01), seed=0, dtype="float64")
    assert threads_during_fit(a, X, y, 64) == {1}
    with nl.use_engine("plain"):  # the plain runner leaves BLAS its two threads
        assert threads_during_fit(b, X, y, 64) == {2}
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        for k in wa:
            np.testing.assert_allclose(wa[k], wb[k], rtol=1e-12, atol=1e-12)
