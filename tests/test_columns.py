"""The first layer shared with a worker process by input columns (``neuronal/_columns.py``)."""

import os
import signal

import numpy as np
import pytest
from worker_helpers import reaped

import neuronal as nl
from neuronal import _columns, _split, _threads
from neuronal.errors import NeuronalError

pytestmark = pytest.mark.skipif(not (_split.can_fork() and _columns.platform.machine().lower()
                                     in ("x86_64", "amd64")),
                                reason="the column split needs fork on x86-64")


@pytest.fixture
def sharing(monkeypatch):
    """fit shares the first layer for any step size: two threads allowed and a spare core."""
    monkeypatch.setenv("NEURONAL_THREADS", "2")
    monkeypatch.setattr(_threads, "spare_core", lambda: True)
    monkeypatch.setattr(_columns, "MIN_STEP_MACS", 0)


def data(n=640, features=100, classes=3, seed=3):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, features)), rng.integers(0, classes, n)


def train(shape, share, monkeypatch, epochs=2, batch=32, dtype="float32", optimizer=None,
          hidden="relu", X=None, y=None, **kw):
    if X is None:
        X, y = data(features=int(shape.split("x")[0]))
    real = _columns.usable
    monkeypatch.setattr(_columns, "usable", real if share else (lambda *a: False))
    net = nl.Network.from_shape(shape, hidden=hidden, seed=0, dtype=dtype,
                                optimizer=optimizer() if optimizer else nl.Adam(0.01), **kw)
    net.fit(X, y, epochs=epochs, batch_size=batch, verbose=0)
    monkeypatch.setattr(_columns, "usable", real)
    return net


def assert_close(a, b, rtol):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        for k in wa:
            np.testing.assert_allclose(wa[k], wb[k], rtol=rtol, atol=rtol)
    sa, sb = a.optimizer.state_dict(), b.optimizer.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_allclose(sa[k], sb[k], rtol=rtol, atol=rtol)
    for k, v in a.history.history.items():
        np.testing.assert_allclose(v, b.history.history[k], rtol=rtol)


@pytest.mark.parametrize("optimizer", [
    lambda: nl.Adam(0.01),
    lambda: nl.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda: nl.RMSprop(0.01),
])
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 2e-3)])  # (rounding)
def test_sharing_the_first_layer_trains_like_one_process(optimizer, dtype, rtol, sharing,
                                                         forks, monkeypatch):
    shared = train("100x40x3", True, monkeypatch, dtype=dtype, optimizer=optimizer)
    assert len(forks) == 2 and all(reaped(p) for p in forks)  # one worker per epoch
    alone = train("100x40x3", False, monkeypatch, dtype=dtype, optimizer=optimizer)
    assert len(forks) == 2
    assert_close(shared, alone, rtol)
    again = train("100x40x3", True, monkeypatch, dtype=dtype, optimizer=optimizer)
    for wa, wb in zip(shared.get_weights(), again.get_weights()):  # the same on every run
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k])


@pytest.mark.parametrize("shape, hidden, batch", [
    ("100x3", "relu", 32),           # one layer: its delta is the loss's (softmax + CE)
    ("101x7x5x3", "sigmoid", 30),    # odd column count, two hidden layers, a short last batch
    ("100x40x3", "tanh", 1000),      # one batch bigger than the data: fewer than 16 batches
])
def test_other_shapes(shape, hidden, batch, sharing, forks, monkeypatch):
    monkeypatch.setattr(_columns, "MIN_BATCHES", 1)
    shared = train(shape, True, monkeypatch, dtype="float64", hidden=hidden, batch=batch)
    assert len(forks) == 2
    alone = train(shape, False, monkeypatch, dtype="float64", hidden=hidden, batch=batch)
    assert_close(shared, alone, 1e-10)


def test_mse_loss_and_dropout(sharing, forks, monkeypatch):
    X, y = data()
    Y = np.eye(3)[y]
    real = _columns.usable
    nets = []
    for share in (True, False):
        monkeypatch.setattr(_columns, "usable", real if share else lambda *a: False)
        net = nl.Network([nl.Dense(100, 30, activation="relu"), nl.Dropout(0.3),
                          nl.Dense(30, 3, activation="linear")], loss="mse",
                         optimizer=nl.Adam(0.01), seed=0, dtype="float64")
        net.fit(X, Y, epochs=2, batch_size=32, verbose=0)
        nets.append(net)
    assert len(forks) == 2
    assert_close(*nets, 1e-10)


def test_checkpoint_and_resume(sharing, forks, tmp_path):
    X, y = data()
    ck = tmp_path / "run.ckpt"
    a = nl.Network.from_shape("100x40x3", optimizer=nl.Adam(0.01), seed=0)
    a.fit(X, y, epochs=1, batch_size=32, verbose=0, checkpoint=ck)
    b = nl.Network.from_shape("100x40x3", optimizer=nl.Adam(0.01), seed=0)
    b.fit(X, y, epochs=2, batch_size=32, verbose=0, checkpoint=ck, resume=True)
    c = nl.Network.from_shape("100x40x3", optimizer=nl.Adam(0.01), seed=0)
    c.fit(X, y, epochs=2, batch_size=32, verbose=0)
    assert len(forks) == 4  # every epoch shared: 1 + 1 resumed + 2
    for wb, wc in zip(b.get_weights(), c.get_weights()):
        for k in wb:
            np.testing.assert_array_equal(wb[k], wc[k])


def test_nan_in_the_workers_columns_is_reported_and_nothing_is_lost(sharing, forks):
    X, y = data()
    X[300, 7] = np.nan  # column 7 is the worker's
    net = nl.Network.from_shape("100x40x3", optimizer=nl.Adam(0.01), seed=0)
    before = net.get_weights()
    with pytest.raises(nl.DataError, match=r"\(300, 7\)"):
        net.fit(X, y, epochs=2, batch_size=32, verbose=0)
    assert len(forks) == 1 and reaped(forks[0])
    for wa, wb in zip(net.get_weights(), before):
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k])


def test_a_failure_in_the_worker_is_reported_and_the_epoch_undone(sharing, forks,
                                                                  monkeypatch):
    def broken(self, parent):
        raise RuntimeError("no memory for this batch")

    monkeypatch.setattr(_columns.ColumnSplit, "_work", broken)
    X, y = data()
    net = nl.Network.from_shape("100x40x3", optimizer=nl.Adam(0.01), seed=0)
    before = net.get_weights()
    with pytest.raises(NeuronalError, match=r"(?s)first layer's share failed.*no memory"):
        net.fit(X, y, epochs=1, batch_size=32, verbose=0)
    assert reaped(forks[0])
    for wa, wb in zip(net.get_weights(), before):
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k])


def test_a_killed_worker_gives_a_clear_error(sharing, forks, monkeypatch):
    real = _columns.ColumnSplit.step

    def step(self, X, Y):
        if self.steps == 3:
            os.kill(self.pid, signal.SIGKILL)
        return real(self, X, Y)

    monkeypatch.setattr(_columns.ColumnSplit, "step", step)
    X, y = data()
    net = nl.Network.from_shape("100x40x3", optimizer=nl.Adam(0.01), seed=0)
    before = net.get_weights()
    with pytest.raises(NeuronalError, match="ended unexpectedly.*NEURONAL_THREADS=1"):
        net.fit(X, y, epochs=1, batch_size=32, verbose=0)
    assert reaped(forks[0])
    for wa, wb in zip(net.get_weights(), before):  # the epoch is undone, not half kept
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k])
    monkeypatch.setattr(_columns.ColumnSplit, "step", real)
    net.fit(X, y, epochs=1, batch_size=32, verbose=0)  # and the network trains on


def test_when_it_is_used(monkeypatch):
    X = np.zeros((60000, 784), np.float32)
    mlp = nl.Network.from_shape("784x128x10", optimizer=nl.Adam(), seed=0)
    mlp._pairs = mlp.parameters()
    assert _columns.usable(mlp, X, 128, 128 * 101_632)
    assert not _columns.usable(mlp, X, 128, None)  # unknown cost
    assert not _columns.usable(mlp, X, 128, _columns.MIN_STEP_MACS - 1)  # too short a step
    assert not _columns.usable(mlp, X, 128, _columns.MAX_STEP_MACS + 1)  # big: 2 BLAS threads
    assert not _columns.usable(mlp, X[:128 * 15], 128, 128 * 101_632)  # fewer than 16 batches
    conv = nl.Network([nl.Conv2D(1, 4, 3), nl.Flatten(), nl.Dense(4 * 26 * 26, 10)], seed=0)
    conv._pairs = conv.parameters()
    assert not _columns.usable(conv, X.reshape(-1, 1, 28, 28), 128, 5_000_000)
    monkeypatch.setattr(_columns, "can_fork", lambda: False)
    assert not _columns.usable(mlp, X, 128, 128 * 101_632)


def test_not_used_on_one_thread(forks, monkeypatch):
    monkeypatch.setenv("NEURONAL_THREADS", "1")
    monkeypatch.setattr(_columns, "MIN_STEP_MACS", 0)
    X, y = data()
    nl.Network.from_shape("100x40x3", seed=0).fit(X, y, epochs=1, batch_size=32, verbose=0)
    assert forks == []


@pytest.mark.parametrize("optimizer", [nl.Adam(0.01, weight_decay=0.01), nl.SGD(0.1, momentum=0.9),
                                       nl.RMSprop(0.01), nl.SGD(0.1)])
def test_optimizer_step_over_two_spans_equals_one_step(optimizer):
    import copy

    X, y = data(n=64)
    nets = [nl.Network.from_shape("100x8x3", optimizer=copy.deepcopy(optimizer), seed=0,
                                  dtype="float64") for _ in range(2)]
    for net in nets:
        X_, Y_, _ = net._prepare(X, y)
        net._pairs = net.parameters()
        net._gradients(X_, Y_)
    for _ in range(40):  # past a subnormal flush (every 32 steps)
        nets[0].optimizer.step(nets[0]._pairs)
        nets[1].optimizer.step(nets[1]._pairs, span=slice(0, 500))
        nets[1].optimizer.iterations -= 1  # the two spans make one step
        nets[1].optimizer.step(nets[1]._pairs, span=slice(500, None))
    for wa, wb in zip(*(n.get_weights() for n in nets)):
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k])


def test_optimizer_span_needs_packed_parameters():
    p, g = np.ones(3), np.ones(3)
    with pytest.raises(NeuronalError, match="packed"):
        nl.SGD(0.1).step([(p, g), (np.ones(2), np.ones(2))], span=slice(0, 2))
