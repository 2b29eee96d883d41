"""The Normalize layer: scaling learnt by adapt(X), saved with the model, used by predict."""

import numpy as np
import pytest

import neuronal as nl
from neuronal.errors import DataError, NeuronalError, ShapeError


def test_adapt_standard_and_minmax():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(1.7, 0.1, 500), rng.normal(80, 15, 500), np.full(500, 3.0)])
    out = nl.Normalize().adapt(X)(X)
    np.testing.assert_allclose(out[:, :2].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out[:, :2].std(axis=0), 1, atol=1e-4)
    np.testing.assert_allclose(out[:, 2], 0)  # a constant feature: scale 1, centred
    mm = nl.Normalize(method="minmax").adapt(X)
    out = mm(X)
    assert out[:, :2].min() == pytest.approx(0, abs=1e-6)
    assert out[:, :2].max() == pytest.approx(1, abs=1e-6)
    np.testing.assert_allclose(mm.mean[:2], X[:, :2].min(axis=0), rtol=1e-6)


def test_saved_with_the_model_and_used_by_predict(tmp_path):
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(1.7, 0.1, 300), rng.normal(80, 15, 300)]).astype(np.float32)
    y = (X[:, 1] / X[:, 0] ** 2 >= 30).astype(np.int64)  # obese: BMI >= 30
    net = nl.Network([nl.Normalize().adapt(X), nl.Dense(2, 1, activation="sigmoid")],
                     loss="binary_cross_entropy", optimizer=nl.Adam(learning_rate=0.05), seed=0)
    assert net.shape == "2x1"  # Normalize keeps the width, like Dropout
    net.fit(X, y, epochs=40, batch_size=32, verbose=0)
    assert net.evaluate(X, y)["accuracy"] > 0.9
    net.save(tmp_path / "m.safetensors")
    twin = nl.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(twin.layers[0].mean, net.layers[0].mean)
    np.testing.assert_array_equal(twin.layers[0].scale, net.layers[0].scale)
    np.testing.assert_array_equal(twin.predict_proba(X), net.predict_proba(X))
    assert net.layers[0].parameters() == []  # nothing trained: the numbers are buffers
    np.testing.assert_allclose(net.layers[0].mean, X.mean(axis=0), rtol=1e-5)


def test_backward_divides_by_the_scale():
    layer = nl.Normalize(dtype=np.float64).adapt([[0.0, 10.0], [2.0, 30.0]])
    x = np.array([[1.0, 20.0]])
    np.testing.assert_allclose(layer.backward(np.ones((1, 2))), [[1 / 1, 1 / 10]])
    assert nl.check_layer_gradients(layer, x)


def test_errors():
    with pytest.raises(NeuronalError, match="call adapt"):
        nl.Network([nl.Normalize(), nl.Dense(2, 1)])
    with pytest.raises(NeuronalError, match="method must be one of standard, minmax"):
        nl.Normalize(method="robust")
    with pytest.raises(DataError, match="NaN or infinite"):
        nl.Normalize().adapt([[1.0, np.nan]])
    with pytest.raises(DataError, match="a batch of samples"):
        nl.Normalize().adapt(np.zeros((0, 3)))
    with pytest.raises(DataError, match="numbers"):
        nl.Normalize().adapt([["a", "b"]])
    with pytest.raises(ShapeError, match="built for 2 features, but X has 3"):
        nl.Normalize(2).adapt(np.zeros((4, 3)))
    with pytest.raises(ShapeError, match="expects samples with 2 features"):
        nl.Normalize(2)(np.zeros((4, 3)))
    with pytest.raises(nl.ShapeError, match="n_features must be a positive integer"):
        nl.Normalize(0)


def test_load_checks_the_saved_width_before_building(tmp_path, monkeypatch):
    import json

    import safetensors.numpy

    from neuronal import io as nio
    from neuronal.io.shapes import state_shapes
    from neuronal.io.writing import _layer_tensors, _metadata

    assert state_shapes(nl.Normalize(3)) == {"mean": (3,), "scale": (3,)}
    assert state_shapes(nl.Normalize()) is None  # not adapted: its width is unknown
    net = nl.Network([nl.Normalize().adapt(np.eye(3)), nl.Dense(3, 2)], seed=0)
    tensors, meta = _layer_tensors(net), _metadata(net, "model")
    config = json.loads(meta["config"])
    config["layers"][0]["config"]["n_features"] = 10**8  # a small file declaring a huge layer
    meta["config"] = json.dumps(config)
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors.numpy.save(tensors, metadata=nio._seal(tensors, meta)))

    def no_build(*a, **k):
        raise AssertionError("load built the network before checking the header")

    monkeypatch.setattr(nl.Network, "from_config", no_build)
    with pytest.raises(nl.ModelFileError, match=r"tensor '0.mean' should be float32 of shape "
                       r"\(100000000,\) for the saved architecture, found float32 of shape \(3,\)"):
        nl.load(path)
