"""Small MLPs train on one BLAS thread (``_threads.small_step``), bigger ones keep the default.

The rule counts the multiply-adds of a step's forward matrix products (``Layer.matmul_macs``);
a layer that cannot say (a convolution, a recurrent layer) keeps the BLAS library's choice.
"""

import contextlib

import numpy as np
import pytest

import neuronal as nl
from neuronal import _threads


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
    assert net._step_macs(128) == 128 * (784 * 16 + 16 * 10)
    cnn = nl.Network([nl.Conv2D(1, 2, 3), nl.Flatten(), nl.Dense(2 * 6 * 6, 3)], seed=0)
    cnn.sample_shape = (1, 8, 8)
    assert cnn._step_macs(32) is None


def test_small_step(monkeypatch):
    monkeypatch.setenv("NEURONAL_THREADS", "2")
    assert _threads.small_step(1_000_000)
    assert not _threads.small_step(_threads.SMALL_STEP_MACS)
    assert not _threads.small_step(None)
    monkeypatch.setenv("NEURONAL_THREADS", "1")  # one thread anyway: nothing to change
    assert not _threads.small_step(1_000_000)


def blas_capped_during_fit(net, X, y, batch_size, monkeypatch):
    """Whether every training step of ``net.fit`` ran inside single_threaded_blas."""
    depth = [0]
    real = _threads.single_threaded_blas

    @contextlib.contextmanager
    def recording():
        depth[0] += 1
        try:
            with real():
                yield
        finally:
            depth[0] -= 1

    monkeypatch.setattr(_threads, "single_threaded_blas", recording)
    seen = []
    step = net.train_step

    def spy(Xb, Yb):
        seen.append(depth[0] > 0)
        return step(Xb, Yb)

    net.train_step = spy
    net.fit(X, y, epochs=2, batch_size=batch_size, verbose=0)
    assert seen and depth[0] == 0 and _threads._capped == 0  # closed again after fit
    assert len(set(seen)) == 1
    return seen[0]


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.setenv("NEURONAL_THREADS", "2")


def test_a_small_mlp_trains_on_one_blas_thread(two_threads, monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (256, 784)), rng.integers(0, 10, 256)
    net = nl.Network.from_shape("784x16x10", seed=0)
    assert blas_capped_during_fit(net, X, y, 128, monkeypatch)


def test_a_big_mlp_keeps_both_threads(two_threads, monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (256, 784)).astype(np.float32), rng.integers(0, 10, 256)
    net = nl.Network.from_shape("784x512x10", seed=0)  # 128 x 784 x 512 = 51M per step
    assert not blas_capped_during_fit(net, X, y, 128, monkeypatch)


def test_one_thread_training_gives_the_same_weights(two_threads, monkeypatch):
    # 64 x 300 x 200 = 3.8M multiply-adds: OpenBLAS would use both threads on its own
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (512, 300)), rng.integers(0, 3, 512)
    a = nl.Network.from_shape("300x200x3", optimizer=nl.Adam(0.01), seed=0, dtype="float64")
    b = nl.Network.from_shape("300x200x3", optimizer=nl.Adam(0.01), seed=0, dtype="float64")
    assert blas_capped_during_fit(a, X, y, 64, monkeypatch)
    monkeypatch.setattr(_threads, "small_step", lambda macs: False)
    assert not blas_capped_during_fit(b, X, y, 64, monkeypatch)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        for k in wa:
            np.testing.assert_allclose(wa[k], wb[k], rtol=1e-12, atol=1e-12)
