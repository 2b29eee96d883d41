"""``fit(workers=2)``: each mini-batch shared with a worker process (engine/parallel.py).

The pair must train like one process (up to rounding), be the same on every run, give the
same numbers whether or not it backs off, never leave a process behind, and end with one
clear error and the weights of the start of the epoch when the worker fails.
"""

import glob
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import neuronal as nl
from neuronal.engine import parallel


def children() -> set[int]:
    """The pids of this process's living worker processes (Linux /proc; other children, such
    as joblib's own helpers, are not ours to count)."""
    pids = set()
    for path in glob.glob(f"/proc/{os.getpid()}/task/*/children"):
        with open(path) as fh:
            pids |= {int(p) for p in fh.read().split()}
    ours = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"neuronal.engine.worker" in fh.read():
                    ours.add(pid)
        except OSError:  # gone meanwhile
            pass
    return ours


def data(shape, n=256, k=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *shape)).astype(dtype), rng.integers(0, k, n)


def cnn(dtype="float64"):
    return nl.Network([nl.Conv2D(1, 4, 3, activation="relu"), nl.MaxPool2D(2), nl.Flatten(),
                       nl.Dense(4 * 4 * 4, 3, activation="softmax")],
                      optimizer=nl.Adam(0.01), seed=0, dtype=dtype)


def lstm(dtype="float64"):
    return nl.Network([nl.LSTM(5, 6), nl.Dense(6, 3, activation="softmax")],
                      optimizer=nl.SGD(0.1, momentum=0.9), seed=0, dtype=dtype)


def mlp(dtype="float64"):
    return nl.Network.from_shape("8x6x3", hidden="tanh", optimizer=nl.RMSprop(0.01), seed=0,
                                 dtype=dtype)


CASES = [(cnn, (1, 10, 10)), (lstm, (7, 5)), (mlp, (8,))]


def same(a, b):
    return all(np.array_equal(wa[k], wb[k]) for wa, wb in zip(a.get_weights(), b.get_weights())
               for k in wa)


def biggest_difference(a, b):
    return max(np.abs(wa[k] - wb[k]).max() / (np.abs(wb[k]).max() + 1e-30)
               for wa, wb in zip(a.get_weights(), b.get_weights()) for k in wa)


@pytest.mark.parametrize("make,shape", CASES, ids=["cnn", "lstm", "mlp"])
def test_the_pair_trains_like_one_process(make, shape):
    X, y = data(shape)
    pair, one = make(), make()
    h_pair = pair.fit(X, y, epochs=2, batch_size=30, verbose=0, workers=2)  # uneven last batch
    h_one = one.fit(X, y, epochs=2, batch_size=30, verbose=0)
    assert biggest_difference(pair, one) < 1e-10
    np.testing.assert_allclose(h_pair.history["loss"], h_one.history["loss"], rtol=1e-10)
    assert h_pair.history["accuracy"] == h_one.history["accuracy"]
    assert not children()


def test_float32_pair_within_1e_5_and_the_same_on_every_run():
    X, y = data((1, 10, 10), dtype=np.float32)
    a, b, one = cnn("float32"), cnn("float32"), cnn("float32")
    for net in (a, b):
        net.fit(X, y, epochs=2, batch_size=32, verbose=0, workers=2)
    one.fit(X, y, epochs=2, batch_size=32, verbose=0)
    assert same(a, b)
    assert biggest_difference(a, one) < 1e-5


def test_backing_off_changes_no_number(monkeypatch):
    X, y = data((1, 10, 10), dtype=np.float32)
    steady = cnn("float32")
    steady.fit(X, y, epochs=3, batch_size=16, verbose=0, workers=2)
    calls = []

    def slow(self):  # pretend the worker is waiting for a core from the 5th step on
        calls.append(1)
        return len(calls) % 16 == 5

    monkeypatch.setattr(parallel.PairRunner, "_worker_is_slow", slow)
    backing = cnn("float32")
    history = backing.fit(X, y, epochs=3, batch_size=16, verbose=0, workers=2)
    assert same(steady, backing)
    assert len(history.epoch) == 3 and not children()


def test_the_worker_is_judged_slow_only_when_waiting_outweighs_working():
    runner = parallel.PairRunner.__new__(parallel.PairRunner)
    runner._own, runner._waits = [1.0] * 7, [5.0] * 7
    assert not runner._worker_is_slow()  # too few steps to tell
    runner._own, runner._waits = [1.0] * 8, [0.5] * 8
    assert not runner._worker_is_slow()
    runner._own, runner._waits = [1.0] * 8, [0.7] * 8
    assert runner._worker_is_slow()


class Raise(nl.Callback):
    def __init__(self, error):
        self.error = error

    def on_epoch_end(self, network, epoch, logs):
        raise self.error


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_no_process_is_left_after_an_error_or_ctrl_c(error):
    X, y = data((8,))
    net = mlp()
    with pytest.raises(type(error)):
        net.fit(X, y, epochs=3, batch_size=16, verbose=0, workers=2, callbacks=[Raise(error)])
    assert not children()
    assert net.epochs_trained == 1  # the error came after the first epoch was complete


class KillWorker(nl.Callback):
    """Kills the worker process after the first epoch."""

    def on_epoch_end(self, network, epoch, logs):
        for pid in children():
            os.kill(pid, signal.SIGKILL)
        self.after = network.get_weights()


def test_a_killed_worker_ends_fit_with_one_clear_error_and_the_last_epoch_kept():
    X, y = data((1, 10, 10))
    net = cnn()
    kill = KillWorker()
    with pytest.raises(nl.NeuronalError, match="worker process .* ended unexpectedly"):
        net.fit(X, y, epochs=3, batch_size=16, verbose=0, workers=2, callbacks=[kill])
    assert net.epochs_trained == 1
    after = net.get_weights()
    for a, b in zip(after, kill.after):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    assert not children()


def dropout_cnn(dtype="float64"):
    return nl.Network([nl.Conv2D(1, 4, 3, activation="relu"), nl.MaxPool2D(2), nl.Flatten(),
                       nl.Dropout(0.3), nl.Dense(4 * 4 * 4, 3, activation="softmax")],
                      optimizer=nl.Adam(0.01), seed=0, dtype=dtype)


def test_dropout_drops_the_same_samples_as_in_one_process(monkeypatch):
    X, y = data((1, 10, 10))
    pair, one = dropout_cnn(), dropout_cnn()
    h_pair = pair.fit(X, y, epochs=2, batch_size=30, verbose=0, workers=2)
    h_one = one.fit(X, y, epochs=2, batch_size=30, verbose=0)
    assert biggest_difference(pair, one) < 1e-10
    np.testing.assert_allclose(h_pair.history["loss"], h_one.history["loss"], rtol=1e-10)
    calls = []

    def slow(self):
        calls.append(1)
        return len(calls) % 6 == 3

    monkeypatch.setattr(parallel.PairRunner, "_worker_is_slow", slow)
    backing = dropout_cnn()
    backing.fit(X, y, epochs=2, batch_size=30, verbose=0, workers=2)
    assert same(backing, pair)


@pytest.mark.parametrize("layer", [nl.BatchNorm(6)])
def test_layers_that_mix_the_batch_are_refused(layer):
    net = nl.Network([nl.Dense(8, 6, activation="relu"), layer,
                      nl.Dense(6, 3, activation="softmax")], seed=0)
    X, y = data((8,))
    with pytest.raises(nl.NeuronalError, match="each sample on its own"):
        net.fit(X, y, epochs=1, verbose=0, workers=2)
    assert not children()


@pytest.mark.parametrize("workers", [0, 3, "2", True])
def test_bad_worker_counts(workers):
    X, y = data((8,))
    with pytest.raises(nl.NeuronalError, match="workers"):
        mlp().fit(X, y, epochs=1, verbose=0, workers=workers)


def run_python(code: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c",
                           textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)


def test_no_hang_with_another_thread_in_blas_60_runs():
    """The scenario that hung a forking fit (31 of 60 runs): another thread inside a BLAS
    call when fit starts its worker. The worker is a new process (no fork of this one), so
    every run ends; the timeout bounds the test if that ever breaks. Python's warning about
    forking a threaded process is an error here: it must not occur."""
    result = run_python("""
        import threading
        import numpy as np
        import neuronal as nl
        stop = threading.Event()
        def busy():
            a = np.random.default_rng(0).random((600, 600))
            while not stop.is_set():
                a @ a
        threads = [threading.Thread(target=busy, daemon=True)]
        for t in threads:
            t.start()
        rng = np.random.default_rng(0)
        X, y = rng.random((64, 1, 6, 6)), rng.integers(0, 2, 64)
        for run in range(60):
            net = nl.Network([nl.Conv2D(1, 2, 3), nl.Flatten(),
                              nl.Dense(32, 2, activation="softmax")], seed=run)
            net.fit(X, y, epochs=1, batch_size=16, verbose=0, workers=2 if run % 2 else None)
            net.predict(X)
        stop.set()
        print("done", run + 1)
    """, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["done", "60"]


def test_the_engine_starts_the_pair_only_where_it_pays_and_is_safe(monkeypatch):
    from neuronal.engine import runner

    X, y = data((1, 10, 10), n=200 * 8)
    net = cnn()
    Xp, Y, _ = net._prepare(X, y)
    monkeypatch.setattr(runner, "_two_cores", lambda: True)
    assert runner.auto_workers(net, Xp, Y, 8) == 2  # 200 batches of a CNN
    assert runner.auto_workers(net, Xp, Y, 32) == 1  # 50 batches: not worth a process
    assert runner.auto_workers(mlp(), *mlp()._prepare(data((8,), n=1600)[0],
                                                      data((8,), n=1600)[1])[:2], 8) == 1
    batchnorm = nl.Network([nl.Conv2D(1, 4, 3), nl.BatchNorm(4), nl.Flatten(),
                            nl.Dense(256, 3, activation="softmax")], seed=0)
    assert runner.auto_workers(batchnorm, Xp, Y, 8) == 1
    monkeypatch.setattr(runner, "_two_cores", lambda: False)
    assert runner.auto_workers(net, Xp, Y, 8) == 1


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="needs Linux's /proc/stat")
def test_a_process_spinning_on_a_core_keeps_the_engine_from_starting_a_pair():
    """The engine watches the machine's CPU counters (not the load average, which counts
    this process's own past epochs): a core kept busy by another process is seen at once."""
    from neuronal.engine import runner

    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        assert runner.busy_cores_elsewhere(0.3) >= 0.5
        if (os.cpu_count() or 1) <= 2:
            assert not runner._two_cores()
    finally:
        spinner.kill()
        spinner.wait()


def test_no_pair_inside_a_joblib_worker():
    joblib = pytest.importorskip("joblib")

    def probe():
        from neuronal.engine.runner import _two_cores

        return _two_cores()

    assert joblib.Parallel(n_jobs=2)(joblib.delayed(probe)() for _ in range(2)) == [False] * 2
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)  # (its workers would outlive the test)


def test_chosen_by_the_engine_the_worker_joins_when_ready_with_the_same_numbers(monkeypatch):
    """Rank 0 does not wait for an engine-chosen worker to start: it trains alone, and the
    worker takes its share from the batch after it says it is ready. Bit for bit the numbers
    of the pair that waited."""
    from neuronal.engine import runner

    X, y = data((1, 10, 10), n=3000, dtype=np.float32)
    waited = cnn("float32")
    waited.fit(X, y, epochs=2, batch_size=8, verbose=0, workers=2)
    starts = []
    begin = parallel.DataParallelRunner.begin_epoch

    def spy(self, go=True, start_step=0, draw=True):
        if self.comm.rank == 0 and go:
            starts.append(start_step)
        return begin(self, go, start_step, draw)

    monkeypatch.setattr(parallel.DataParallelRunner, "begin_epoch", spy)
    monkeypatch.setattr(runner, "auto_workers", lambda *a: 2)
    joined = cnn("float32")
    slow = joined.loss_and_delta

    def slowly(*args):  # rank 0's steps take long enough for the worker to start meanwhile
        time.sleep(0.004)
        return slow(*args)

    joined.loss_and_delta = slowly
    joined.fit(X, y, epochs=2, batch_size=8, verbose=0)
    assert starts and starts[0] > 0  # the worker joined after rank 0 had started alone
    assert same(joined, waited)
    assert not children()
