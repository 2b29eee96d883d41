"""Saving and loading models: round trips, the file format, atomic writes, bad files, PyTorch."""

import json
import os
import pickle

import numpy as np
import pytest
import safetensors.numpy
from layer_examples import EXAMPLES, INTEGER_INPUTS
from safetensors import safe_open

import neuronal as nl
from neuronal import io as nio
from neuronal.errors import ModelFileError

DTYPES = ["float32", "float64"]


def _mixed_net(dtype="float32", seed=0):
    return nl.Network(
        [nl.Dense(6, 8, activation="relu"), nl.Dropout(0.25), nl.Dense(8, 5),
         nl.Activation("tanh"), nl.Dense(5, 3, activation="softmax")],
        optimizer=nl.Adam(learning_rate=0.01), seed=seed, dtype=dtype, name="mixed",
    )


def _data(n=40, d=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, k, n)


def _trained(tmp_path, dtype="float64"):
    net = _mixed_net(dtype)
    X, y = _data()
    net.fit(X, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "model.safetensors"
    nl.save(net, path)
    return net, path


def _raw(path):
    """(tensors, metadata) of a safetensors file, read with safetensors itself."""
    with safe_open(str(path), "np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})


def _rewrite(path, tensors, metadata, reseal=True):
    """Write a file as an editor would: optionally with valid digests (nio._seal)."""
    if reseal:
        metadata = nio._seal(tensors, metadata)
    path.write_bytes(safetensors.numpy.save(tensors, metadata=metadata))


# ---------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_is_bit_identical(tmp_path, dtype):
    net, path = _trained(tmp_path, dtype)
    twin = nl.load(path)
    X, _ = _data(n=17, seed=5)
    out, twin_out = net.predict_proba(X), twin.predict_proba(X)
    assert twin_out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, twin_out)
    for a, b in zip(net.get_weights(), twin.get_weights()):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k].dtype == b[k].dtype
            np.testing.assert_array_equal(a[k], b[k])
    assert twin.get_config() == net.get_config()
    assert twin.epochs_trained == net.epochs_trained == 2
    assert twin.history.history == net.history.history
    assert twin.history.epoch == net.history.epoch == [0, 1]
    assert type(twin.optimizer) is nl.Adam and twin.optimizer.learning_rate == 0.01
    assert twin.loss.name == net.loss.name and twin.name == "mixed"


def test_network_save_and_public_names(tmp_path):
    net = _mixed_net()
    path = tmp_path / "deep" / "er" / "net.safetensors"  # missing parents are created
    net.save(path)
    assert "save" in nl.__all__ and "load" in nl.__all__
    assert nl.save is nio.save and nl.load is nio.load
    twin = nl.load(str(path))  # str or Path
    X, _ = _data()
    np.testing.assert_array_equal(net.predict(X), twin.predict(X))


def test_loaded_network_keeps_training(tmp_path):
    net, path = _trained(tmp_path)
    twin = nl.load(path)
    X, y = _data()
    twin.fit(X, y, epochs=1, batch_size=8, verbose=0)
    assert twin.epochs_trained == 3
    assert twin.history.epoch == [0, 1, 2]


def _example_cases():
    for kind, entries in EXAMPLES.items():
        for i, (factory, shape) in enumerate(entries):
            for dtype in DTYPES:
                yield pytest.param(kind, factory, shape, dtype, id=f"{kind}-{i}-{dtype}")


@pytest.mark.parametrize("kind,factory,shape,dtype", list(_example_cases()))
def test_every_layer_example_round_trips(tmp_path, kind, factory, shape, dtype):
    """Every layer type of the contract test (tests/layer_examples.py), alone in a network.

    New layer types are covered as soon as they get an example there. Every layer can form a
    network on its own, so nothing is skipped.
    """
    net = nl.Network([factory()], seed=3, dtype=dtype)
    # Move every parameter and buffer away from its seeded initial value, so a loader that
    # merely rebuilt the network from its seed would fail.
    rng = np.random.default_rng(11)
    for layer in net.layers:
        for arr in layer.state().values():
            if arr.dtype.kind == "f":
                arr[...] = rng.uniform(0.5, 1.5, arr.shape)
            else:
                arr[...] = rng.integers(1, 5, arr.shape)
    path = tmp_path / f"{kind}.safetensors"
    nl.save(net, path)
    twin = nl.load(path)
    assert [type(layer) for layer in twin.layers] == [type(layer) for layer in net.layers]
    assert json.dumps(twin.get_config(), sort_keys=True, default=list) == json.dumps(
        net.get_config(), sort_keys=True, default=list)
    for a, b in zip(net.get_weights(), twin.get_weights()):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k].dtype == b[k].dtype
            np.testing.assert_array_equal(a[k], b[k])
    if kind in INTEGER_INPUTS:
        x = np.random.default_rng(2).integers(0, INTEGER_INPUTS[kind], size=shape)
        out, twin_out = net.forward(x), twin.forward(x)
    else:
        x = np.random.default_rng(2).standard_normal(shape)
        out, twin_out = net.predict_proba(x), twin.predict_proba(x)
    np.testing.assert_array_equal(out, twin_out)


def test_non_contiguous_arrays_are_saved_correctly(tmp_path):
    """safetensors' NumPy writer scrambles non-contiguous arrays unless given a C-order copy."""
    net = nl.Network([nl.Dense(4, 3), nl.Dense(3, 2)], seed=0, dtype="float64")
    layer = net.layers[0]
    layer._params["weight"] = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    assert not layer.weights.flags.c_contiguous
    nl.save(net, tmp_path / "f.safetensors")
    twin = nl.load(tmp_path / "f.safetensors")
    np.testing.assert_array_equal(twin.layers[0].weights, np.arange(12.0).reshape(3, 4))


# ---------------------------------------------------------------------------------- format


def test_file_format(tmp_path):
    net, path = _trained(tmp_path)
    tensors, meta = _raw(path)
    # PyTorch nn.Sequential state_dict names: "{index of the layer in our network}.{name}".
    assert sorted(tensors) == ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]
    assert tensors["0.weight"].shape == (8, 6) and tensors["0.weight"].dtype == np.float64
    np.testing.assert_array_equal(tensors["2.weight"], net.layers[2].weights)
    assert all(isinstance(v, str) for v in meta.values())
    assert meta["format"] == "neuronal" and meta["format_version"] == "1"
    assert meta["kind"] == "model" and meta["neuronal_version"] == nl.__version__
    assert json.loads(meta["config"]) == json.loads(json.dumps(net.get_config()))
    assert meta["epochs_trained"] == "2"
    hist = json.loads(meta["history"])
    assert hist == {"epoch": [0, 1], "history": net.history.history}
    assert len(meta["tensors_sha256"]) == 64 and len(meta["metadata_sha256"]) == 64
    assert "rng_state" not in meta and not any(k.startswith("optimizer") for k in tensors)
    # Not a pickle: an 8-byte little-endian header length, then the JSON header.
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    assert json.loads(raw[8 : 8 + n])["__metadata__"]["format"] == "neuronal"


# ---------------------------------------------------------------------------------- atomic writes


def _listing(directory):
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_crash_mid_save_keeps_the_old_file(tmp_path, monkeypatch, error):
    old = _mixed_net(seed=1)
    path = tmp_path / "model.safetensors"
    nl.save(old, path)
    before = path.read_bytes()

    def boom(fd):  # the data are in the temporary file, not yet renamed over the target
        raise error

    monkeypatch.setattr(os, "fsync", boom)
    # An OSError becomes a NeuronalError naming the user's path (not the temporary file).
    expected = nl.NeuronalError if isinstance(error, OSError) else type(error)
    with pytest.raises(expected, match=None if expected is KeyboardInterrupt else "model.saf"):
        nl.save(_mixed_net(seed=2), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _listing(tmp_path) == ["model.safetensors"]  # no temporary file left behind
    X, _ = _data()
    np.testing.assert_array_equal(nl.load(path).predict_proba(X), old.predict_proba(X))


def test_crash_during_write_removes_the_partial_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    nl.save(_mixed_net(seed=1), path)
    before = path.read_bytes()
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            raise OSError("no space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(nl.NeuronalError, match=r"cannot save to '.*model\.safetensors': no space"):
        nl.save(_mixed_net(seed=2), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _listing(tmp_path) == ["model.safetensors"]


@pytest.mark.skipif(os.name != "posix", reason="stale temporary files are detected by PID")
def test_save_removes_temporary_files_of_dead_writers(tmp_path):
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".m.safetensors.{dead.pid}.0123abcd.tmp"  # its writer was killed
    alive = tmp_path / f".m.safetensors.{os.getppid()}.0123abcd.tmp"  # a save in progress
    unrelated = tmp_path / f".other.safetensors.{dead.pid}.0123abcd.tmp"
    for f in (stale, alive, unrelated):
        f.write_bytes(b"partial")
    nl.save(_mixed_net(), tmp_path / "m.safetensors")
    assert not stale.exists() and alive.exists() and unrelated.exists()


def test_save_overwrites_and_refuses_a_directory(tmp_path):
    path = tmp_path / "m.safetensors"
    nl.save(_mixed_net(seed=1), path)
    second = _mixed_net(seed=2)
    nl.save(second, path)
    X, _ = _data()
    np.testing.assert_array_equal(nl.load(path).predict_proba(X), second.predict_proba(X))
    with pytest.raises(nl.NeuronalError, match="directory"):
        nl.save(second, tmp_path)
    with pytest.raises(nl.NeuronalError, match="Network"):
        nl.save("not a network", path)


# ---------------------------------------------------------------------------------- bad files


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match=r"no such file.*nope\.safetensors.*check the path"):
        nl.load(tmp_path / "nope.safetensors")
    with pytest.raises(ModelFileError, match="directory"):
        nl.load(tmp_path)


def test_model_file_error_is_a_value_error():
    assert issubclass(ModelFileError, ValueError)


@pytest.mark.parametrize("cut", [0, 3, 8, 20, 100, -200, -1])
def test_truncated_file(tmp_path, cut):
    _, path = _trained(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut >= 0 else data[: len(data) + cut])
    with pytest.raises(ModelFileError) as info:
        nl.load(path)
    msg = str(info.value)
    assert str(path) in msg and ("truncated" in msg or "too short" in msg)


def test_trailing_garbage(tmp_path):
    _, path = _trained(tmp_path)
    path.write_bytes(path.read_bytes() + b"\0\0\0\0")
    with pytest.raises(ModelFileError, match="truncated or inconsistent"):
        nl.load(path)


def _flip_each(path, positions, mask, match=None):
    """Flip ``mask`` bits of the byte at each position in turn; every load must fail."""
    data = path.read_bytes()
    with open(path, "r+b", buffering=0) as f:  # rewrite one byte in place: fast
        for pos in positions:
            f.seek(pos)
            f.write(bytes([data[pos] ^ mask]))
            with pytest.raises(ModelFileError, match=match):
                nl.load(path)
            f.seek(pos)
            f.write(data[pos : pos + 1])
    nl.load(path)  # intact again


def test_every_flipped_header_byte_is_detected(tmp_path):
    _, path = _trained(tmp_path)
    n = int.from_bytes(path.read_bytes()[:8], "little")
    _flip_each(path, range(8 + n), 0x01)


def test_flipped_tensor_bytes_are_detected(tmp_path):
    _, path = _trained(tmp_path)
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    _flip_each(path, range(8 + n, len(data), 3), 0x10, match="tensor data were altered")


def test_edited_metadata(tmp_path):
    _, path = _trained(tmp_path)
    tensors, meta = _raw(path)
    hist = json.loads(meta["history"])
    hist["history"]["loss"][0] = 0.0
    meta["history"] = json.dumps(hist)
    _rewrite(path, tensors, meta, reseal=False)
    with pytest.raises(ModelFileError, match="metadata were altered"):
        nl.load(path)


def test_edited_tensor_with_stale_digest(tmp_path):
    _, path = _trained(tmp_path)
    tensors, meta = _raw(path)
    tensors["0.bias"] = tensors["0.bias"] + 1.0
    _rewrite(path, tensors, meta, reseal=False)
    with pytest.raises(ModelFileError, match="tensor data were altered"):
        nl.load(path)


# The cases below keep the digests valid (as a deliberate editor would), to reach the checks
# behind them: the digests are not the only line of defence.


def test_tensor_of_the_wrong_shape(tmp_path):
    _, path = _trained(tmp_path)
    tensors, meta = _raw(path)
    tensors["2.weight"] = np.zeros((5, 9))
    _rewrite(path, tensors, meta)
    with pytest.raises(ModelFileError, match=r"'2.weight' should be float64 of shape \(5, 8\)"
                                             r".*found float64 of shape \(5, 9\)"):
        nl.load(path)


def test_tensor_of_the_wrong_dtype(tmp_path):
    _, path = _trained(tmp_path)
    tensors, meta = _raw(path)
    tensors["0.bias"] = tensors["0.bias"].astype(np.float32)
    _rewrite(path, tensors, meta)
    with pytest.raises(ModelFileError, match="should be float64.*found float32"):
        nl.load(path)


def test_missing_and_extra_tensors(tmp_path):
    _, path = _trained(tmp_path)
    tensors, meta = _raw(path)
    del tensors["4.bias"]
    tensors["9.weight"] = np.zeros(2)
    _rewrite(path, tensors, meta)
    with pytest.raises(ModelFileError, match=r"missing \['4.bias'\], unexpected \['9.weight'\]"):
        nl.load(path)


def test_unknown_layer_type(tmp_path):
    _, path = _trained(tmp_path)
    tensors, meta = _raw(path)
    config = json.loads(meta["config"])
    config["layers"][1]["type"] = "os.system"
    meta["config"] = json.dumps(config)
    _rewrite(path, tensors, meta)
    with pytest.raises(ModelFileError, match=r"unknown type 'os.system'.*known: .*Dense"):
        nl.load(path)


def test_bad_layer_arguments_and_json(tmp_path):
    _, path = _trained(tmp_path)
    tensors, meta = _raw(path)
    config = json.loads(meta["config"])
    config["layers"][0]["config"]["__class__"] = "x"
    _rewrite(path, tensors, {**meta, "config": json.dumps(config)})
    with pytest.raises(ModelFileError, match="cannot rebuild the network"):
        nl.load(path)
    _rewrite(path, tensors, {**meta, "config": "{not json"})
    with pytest.raises(ModelFileError, match="'config'.*not valid JSON"):
        nl.load(path)
    _rewrite(path, tensors, {**meta, "history": "[1, 2]"})
    with pytest.raises(ModelFileError, match="'history'.*should be a JSON dict"):
        nl.load(path)
    _rewrite(path, tensors, {**meta, "epochs_trained": "-3"})
    with pytest.raises(ModelFileError, match="epochs_trained"):
        nl.load(path)
    del meta["config"]
    _rewrite(path, tensors, meta)
    with pytest.raises(ModelFileError, match=r"metadata keys \['config'\] are missing"):
        nl.load(path)


def test_newer_format_version(tmp_path):
    _, path = _trained(tmp_path)
    tensors, meta = _raw(path)
    _rewrite(path, tensors, {**meta, "format_version": "7"})
    with pytest.raises(ModelFileError, match="newer neuronal: upgrade"):
        nl.load(path)


def test_foreign_safetensors_file(tmp_path):
    path = tmp_path / "foreign.safetensors"
    safetensors.numpy.save_file({"fc.weight": np.zeros((2, 3), np.float32)}, str(path))
    with pytest.raises(ModelFileError,
                       match=r"not one written by neuronal.*fc\.weight.*set_weights"):
        nl.load(path)
    safetensors.numpy.save_file({"w": np.zeros(2)}, str(path), metadata={"format": "pt"})
    with pytest.raises(ModelFileError, match="format='neuronal', found format='pt'"):
        nl.load(path)


def test_pickle_is_refused_without_unpickling(tmp_path):
    class Trap:
        def __reduce__(self):
            return (os.mkdir, (str(tmp_path / "pwned"),))

    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"weights": Trap()}))
    with pytest.raises(ModelFileError, match="pickle.*never unpickles"):
        nl.load(path)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("content,hint", [
    (b"PK\x03\x04" + bytes(100), "zip archive"),
    (b"\x93NUMPY" + bytes(100), "NumPy"),
    (bytes(np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8)), "not a safetensors"),
    (b"", "too short"),
    (b"{}" * 50, "not a safetensors"),
])
def test_other_files(tmp_path, content, hint):
    path = tmp_path / "weights.bin"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=hint) as info:
        nl.load(path)
    assert "Expected a .safetensors file written by nl.save" in str(info.value)


def test_header_that_is_not_an_object(tmp_path):
    path = tmp_path / "weird.safetensors"
    header = b"[1, 2]  "
    path.write_bytes(len(header).to_bytes(8, "little") + header)
    with pytest.raises(ModelFileError, match="header is a JSON list"):
        nl.load(path)


# ---------------------------------------------------------------------------------- PyTorch


def _torch_pair(torch, dtype=None):
    nn = torch.nn
    return nn.Sequential(nn.Linear(784, 16), nn.Sigmoid(), nn.Linear(16, 10), nn.Softmax(dim=1))


def _mnist_like(n=32):
    return np.random.default_rng(7).random((n, 784))


def test_pytorch_loads_the_file_unchanged(tmp_path):
    """With standalone Activation layers, our indices are nn.Sequential's indices."""
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    net = nl.Network([nl.Dense(784, 16), nl.Activation("sigmoid"),
                      nl.Dense(16, 10), nl.Activation("softmax")], seed=0, dtype="float64")
    X, y = _mnist_like(), np.arange(32) % 10
    net.fit(X, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "784x16x10.safetensors"
    nl.save(net, path)
    state = st_torch.load_file(str(path))
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    model = _torch_pair(torch).double()
    model.load_state_dict(state)  # strict: every name and shape matches
    with torch.no_grad():
        theirs = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(theirs, net.predict_proba(X), rtol=0, atol=1e-6)


def test_pytorch_via_to_torch_state_dict(tmp_path):
    """Dense layers with built-in activations: each takes two nn.Sequential indices."""
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    net = nl.Network.from_shape("784x16x10", hidden="sigmoid", output="softmax", seed=0,
                                dtype="float64")
    X, y = _mnist_like(), np.arange(32) % 10
    net.fit(X, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "784x16x10.safetensors"
    net.save(path)
    # The raw file uses our layer indices ...
    assert sorted(st_torch.load_file(str(path))) == ["0.bias", "0.weight", "1.bias", "1.weight"]
    # ... and to_torch_state_dict renumbers them for the Sequential with activation modules.
    state = nio.to_torch_state_dict(path)
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert sorted(nio.to_torch_state_dict(net)) == sorted(state)
    model = _torch_pair(torch).double()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    with torch.no_grad():
        theirs = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(theirs, net.predict_proba(X), rtol=0, atol=1e-6)


def test_to_torch_state_dict_counts_modules():
    net = nl.Network([nl.Dense(4, 5, activation="relu"), nl.Dropout(0.1), nl.Dense(5, 3),
                      nl.Activation("relu"), nl.Dense(3, 2, activation="softmax")], seed=0)
    # Linear ReLU Dropout Linear ReLU Linear Softmax
    assert sorted(nio.to_torch_state_dict(net)) == [
        "0.bias", "0.weight", "3.bias", "3.weight", "5.bias", "5.weight"]
    state = nio.to_torch_state_dict(net)
    state["0.weight"][...] = 0  # copies: the network is untouched
    assert net.layers[0].weights.any()


def test_to_torch_state_dict_with_batch_norm():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    net = nl.Network([nl.Dense(5, 4), nl.BatchNorm(4), nl.Activation("relu"),
                      nl.Dense(4, 3, activation="softmax")], seed=0, dtype="float64")
    X, y = np.random.default_rng(0).standard_normal((32, 5)), np.arange(32) % 3
    net.fit(X, y, epochs=2, batch_size=8, verbose=0)  # running statistics move
    model = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 3),
                          nn.Softmax(dim=1)).double().eval()
    state = nio.to_torch_state_dict(net)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    with torch.no_grad():
        theirs = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(theirs, net.predict_proba(X), rtol=0, atol=1e-6)
