"""Training checkpoints: contents, exact resumption after a crash or a SIGKILL, bad checkpoints."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import safetensors.numpy
from safetensors import safe_open

import neuronal as nl
from neuronal import io as nio
from neuronal.errors import ModelFileError

# The run every test repeats (the training subprocess imports it from this module):
# Dropout makes the random-generator state matter, Adam / momentum the optimiser state.
OPTIMIZERS = {
    "adam": lambda: nl.Adam(learning_rate=0.01),
    "sgd": lambda: nl.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda: nl.RMSprop(learning_rate=0.005),
}


def build(optimizer="adam", dtype="float64", hidden=16):
    return nl.Network(
        [nl.Dense(8, hidden, activation="relu"), nl.Dropout(0.3),
         nl.Dense(hidden, 3, activation="softmax")],
        optimizer=OPTIMIZERS[optimizer](), seed=42, dtype=dtype,
    )


_rng = np.random.default_rng(0)
X = _rng.standard_normal((96, 8))
y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)
FIT = dict(batch_size=16, verbose=0)

SRC = os.path.dirname(os.path.dirname(os.path.abspath(nl.__file__)))
TESTS = os.path.dirname(os.path.abspath(__file__))


def _assert_same_run(a, b):
    """Bit-identical weights, optimiser state, generator state, epochs and history."""
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        assert wa.keys() == wb.keys()
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k])
    sa, sb = a.optimizer.state_dict(), b.optimizer.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k])
    assert a.rng.bit_generator.state == b.rng.bit_generator.state
    assert a.epochs_trained == b.epochs_trained
    assert a.history.epoch == b.history.epoch
    assert a.history.history == b.history.history


def _reference(optimizer="adam", dtype="float64", epochs=6):
    net = build(optimizer, dtype)
    net.fit(X, y, epochs=epochs, **FIT)
    return net


def _epochs_in(path):
    with safe_open(str(path), "np") as f:
        return int(f.metadata()["epochs_trained"])


class CrashAfter(nl.Callback):
    """Raise after epoch ``n`` (1-based) has been checkpointed, like a crash would."""

    def __init__(self, n):
        self.n = n

    def on_epoch_end(self, network, epoch, logs):
        if epoch + 1 == self.n:
            raise RuntimeError("simulated crash")


# ---------------------------------------------------------------------------------- contents


def test_checkpoint_contents(tmp_path):
    p = tmp_path / "run.ckpt"
    net = build("adam")
    net.fit(X, y, epochs=2, checkpoint=p, **FIT)
    with safe_open(str(p), "np") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    assert meta["kind"] == "checkpoint" and meta["epochs_trained"] == "2"
    assert json.loads(meta["rng_state"]) == net.rng.bit_generator.state
    assert json.loads(meta["optimizer"]) == {
        "name": "adam", "slots": ["m", "v"], "n_params": 4}
    assert json.loads(meta["history"])["history"] == net.history.history
    assert json.loads(meta["config"]) == json.loads(json.dumps(net.get_config()))
    expected = {"0.weight", "0.bias", "2.weight", "2.bias", "optimizer.iterations"}
    expected |= {f"optimizer.{s}.{j}" for s in ("m", "v") for j in range(4)}
    assert set(tensors) == expected
    assert tensors["optimizer.iterations"] == net.optimizer.iterations == 12
    state = net.optimizer.state_dict()
    for j in range(4):
        np.testing.assert_array_equal(tensors[f"optimizer.m.{j}"], state[f"m.{j}"])


def test_checkpointing_does_not_change_training(tmp_path):
    with_ckpt = build()
    with_ckpt.fit(X, y, epochs=3, checkpoint=tmp_path / "c.ckpt", **FIT)
    _assert_same_run(with_ckpt, _reference(epochs=3))


# ---------------------------------------------------------------------------------- resuming


@pytest.mark.parametrize("optimizer,dtype", [("adam", "float64"), ("adam", "float32"),
                                             ("sgd", "float64"), ("rmsprop", "float32")])
def test_resume_after_a_crash_is_bit_identical(tmp_path, optimizer, dtype):
    p = tmp_path / "run.ckpt"
    crashed = build(optimizer, dtype)
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashed.fit(X, y, epochs=6, checkpoint=p, resume=True, callbacks=[CrashAfter(3)], **FIT)
    assert _epochs_in(p) == 3
    resumed = build(optimizer, dtype)  # a fresh process would start from here
    history = resumed.fit(X, y, epochs=6, checkpoint=p, resume=True, **FIT)
    assert history.epoch == [3, 4, 5]  # only the missing epochs ran
    _assert_same_run(resumed, _reference(optimizer, dtype))
    assert _epochs_in(p) == 6
    # Resuming a finished run trains no further.
    again = build(optimizer, dtype)
    assert again.fit(X, y, epochs=6, checkpoint=p, resume=True, **FIT).epoch == []
    _assert_same_run(again, resumed)


def test_resume_after_sigkill_is_bit_identical(tmp_path):
    """Kill a training process mid-run (SIGKILL: no cleanup), resume, compare with a clean run."""
    if not hasattr(signal, "SIGKILL"):  # pragma: no cover
        pytest.skip("needs SIGKILL (POSIX)")
    p = tmp_path / "run.ckpt"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {TESTS!r})
        from test_checkpoint import FIT, X, build, y
        net = build()
        step = net.train_step
        def slow_step(Xb, Yb):  # slow enough to be killed mid-epoch, or mid-save
            time.sleep(0.02)
            return step(Xb, Yb)
        net.train_step = slow_step
        net.fit(X, y, epochs=6, checkpoint=sys.argv[1], resume=True, **FIT)
        print("finished all epochs", flush=True)
    """)
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", script, str(p)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (p.exists() and _epochs_in(p) >= 2):
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"training process ended early ({proc.returncode}): {err.decode()}")
            if time.monotonic() > deadline:
                pytest.fail("no checkpoint for epoch 2 within 60 s")
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:  # pragma: no cover
            proc.kill()
            proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    killed_at = _epochs_in(p)
    assert 2 <= killed_at < 6, f"the run was not interrupted (checkpoint at epoch {killed_at})"
    # A kill during a save may leave that save's temporary file; never a broken checkpoint.
    others = [f.name for f in tmp_path.iterdir() if f.name != "run.ckpt"]
    assert all(name.startswith(".run.ckpt.") and name.endswith(".tmp") for name in others)
    print(f"killed after epoch {killed_at}; leftover temporary files: {others}")

    resumed = build()
    history = resumed.fit(X, y, epochs=6, checkpoint=p, resume=True, **FIT)
    assert history.epoch == list(range(killed_at, 6))
    _assert_same_run(resumed, _reference())
    assert [f.name for f in tmp_path.iterdir()] == ["run.ckpt"]  # leftovers cleaned up


def test_crash_while_saving_a_checkpoint_keeps_the_previous_one(tmp_path, monkeypatch):
    p = tmp_path / "run.ckpt"
    real_replace, calls = os.replace, []

    def failing_replace(src, dst):
        calls.append(src)
        if len(calls) == 3:  # the third epoch's checkpoint never lands
            raise OSError("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    net = build()
    with pytest.raises(nl.NeuronalError, match=r"cannot save to '.*run\.ckpt': power cut"):
        net.fit(X, y, epochs=6, checkpoint=p, **FIT)
    monkeypatch.undo()
    assert _epochs_in(p) == 2
    assert [f.name for f in tmp_path.iterdir()] == ["run.ckpt"]  # the temporary file is gone
    resumed = build()
    resumed.fit(X, y, epochs=6, checkpoint=p, resume=True, **FIT)
    _assert_same_run(resumed, _reference())


# ---------------------------------------------------------------------------------- direct API


def test_load_checkpoint_restores_everything(tmp_path):
    p = tmp_path / "sub" / "run.safetensors"
    net = _reference(epochs=3)
    nio.save_checkpoint(net, p)
    other = build()
    other.fit(X[:20], y[:20], epochs=1, **FIT)  # some other state, to be replaced
    nio.load_checkpoint(other, p)
    _assert_same_run(other, net)
    net.fit(X, y, epochs=2, **FIT)
    other.fit(X, y, epochs=2, **FIT)
    _assert_same_run(other, net)


def test_nl_load_reads_a_checkpoint_and_continues_the_run(tmp_path):
    p = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError):
        build().fit(X, y, epochs=6, checkpoint=p, callbacks=[CrashAfter(4)], **FIT)
    net = nl.load(p)  # architecture, optimiser, weights, optimiser and generator state
    assert net.epochs_trained == 4 and net.optimizer.iterations == 24
    net.fit(X, y, epochs=2, **FIT)
    _assert_same_run(net, _reference())


def test_checkpoint_of_an_untrained_network(tmp_path):
    p = tmp_path / "fresh.ckpt"
    nio.save_checkpoint(build(), p)  # the optimiser has no state yet
    net = build()
    nio.load_checkpoint(net, p)
    assert net.epochs_trained == 0 and net.optimizer.iterations == 0
    net.fit(X, y, epochs=2, **FIT)
    _assert_same_run(net, _reference(epochs=2))


# ---------------------------------------------------------------------------------- bad checkpoints


def _untouched(net):
    return [{k: v.copy() for k, v in w.items()} for w in net.get_weights()], net.epochs_trained


def _assert_untouched(net, before):
    weights, epochs = before
    for wa, wb in zip(net.get_weights(), weights):
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k])
    assert net.epochs_trained == epochs


@pytest.fixture
def checkpoint(tmp_path):
    p = tmp_path / "run.ckpt"
    nio.save_checkpoint(_reference(epochs=2), p)
    return p


def test_resume_with_another_architecture(checkpoint):
    net = build(hidden=12)
    before = _untouched(net)
    with pytest.raises(ModelFileError, match=r"different layers.*n_neurons=16.*n_neurons=12"
                                             r".*same architecture, or use a new checkpoint"):
        net.fit(X, y, epochs=6, checkpoint=checkpoint, resume=True, **FIT)
    _assert_untouched(net, before)


def test_resume_with_another_dtype_or_optimizer(checkpoint):
    net = build(dtype="float32")
    with pytest.raises(ModelFileError, match="float64 weights but the network is float32"):
        nio.load_checkpoint(net, checkpoint)
    net = build("sgd")
    before = _untouched(net)
    slots = r"optimizer 'adam' with slots \['m', 'v'\].*'sgd'"
    with pytest.raises(ModelFileError, match=slots):
        nio.load_checkpoint(net, checkpoint)
    _assert_untouched(net, before)


def test_a_model_file_is_not_a_checkpoint(tmp_path):
    p = tmp_path / "model.safetensors"
    nl.save(_reference(epochs=1), p)
    with pytest.raises(ModelFileError, match=r"saved model.*not a training checkpoint.*nl\.load"):
        build().fit(X, y, epochs=2, checkpoint=p, resume=True, **FIT)


def _edit(path, change, reseal=True):
    with safe_open(str(path), "np") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
        meta = dict(f.metadata())
    change(tensors, meta)
    if reseal:
        meta = nio._seal(tensors, meta)
    path.write_bytes(safetensors.numpy.save(tensors, metadata=meta))


def test_tampered_checkpoints(checkpoint):
    def bad_rng(t, m):
        m["rng_state"] = json.dumps({"bit_generator": "PCG64", "state": "nonsense"})

    def other_rng(t, m):
        m["rng_state"] = json.dumps({"bit_generator": "MT19937"})

    def no_moment(t, m):
        del t["optimizer.v.3"]

    def wrong_shape(t, m):
        t["optimizer.m.0"] = np.zeros((3, 3))

    def float_iterations(t, m):
        t["optimizer.iterations"] = np.array(1.5)

    def stale(t, m):
        t["optimizer.m.1"] = t["optimizer.m.1"] + 1

    cases = [(bad_rng, True, "random-generator state is invalid"),
             (other_rng, True, "state is for 'MT19937'.*PCG64"),
             (no_moment, True, r"missing \['optimizer.v.3'\]"),
             (wrong_shape, True, r"'optimizer.m.0' should be float64 of shape \(16, 8\)"),
             (float_iterations, True, "integer scalar"),
             (stale, False, "tensor data were altered")]
    original = checkpoint.read_bytes()
    for change, reseal, match in cases:
        checkpoint.write_bytes(original)
        _edit(checkpoint, change, reseal)
        net = build()
        before = _untouched(net)
        with pytest.raises(ModelFileError, match=match):
            nio.load_checkpoint(net, checkpoint)
        _assert_untouched(net, before)
        with pytest.raises(ModelFileError, match=match):
            nl.load(checkpoint)


def test_load_checkpoint_rejects_junk(tmp_path):
    p = tmp_path / "junk.ckpt"
    p.write_bytes(b"\x80\x04junk")
    with pytest.raises(ModelFileError, match="pickle"):
        nio.load_checkpoint(build(), p)
    with pytest.raises(nl.NeuronalError, match="Network"):
        nio.load_checkpoint("net", p)
