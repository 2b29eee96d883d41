"""Trained MNIST models leave neuronal intact: the MLP, LeNet and the row LSTM, each trained
briefly on a few thousand real digits, give predict_proba's numbers in onnx.reference, ONNX
Runtime and the module from to_torch (float32, within 1e-5)."""

import numpy as np
import pytest
import torch
from export_helpers import TOL, onnxruntime, reference

import neuronal as nl
from neuronal.datasets import DatasetNotFoundError, load_mnist
from neuronal.models import INPUT_SHAPES, lenet, mnist_lstm

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mnist():
    try:
        (X, y), (X_test, y_test) = load_mnist(download=False)
    except DatasetNotFoundError:
        pytest.skip("MNIST not available locally (set NEURONAL_DATA)")
    return X[:3000], y[:3000], X_test[:500], y_test[:500]


def _trained(name, mnist):
    X, y, X_test, y_test = mnist
    if name == "mlp":
        net = nl.Network.from_shape("784x32x10", hidden="sigmoid", seed=0,
                                    optimizer=nl.SGD(learning_rate=0.5))
        shape = (784,)
        net.fit(X, y, epochs=2, batch_size=32, verbose=0)
    else:
        net = lenet(seed=0) if name == "lenet" else mnist_lstm(seed=0)
        shape = INPUT_SHAPES["lstm" if name == "row-lstm" else "lenet"]
        net.fit(X.reshape(-1, *shape), y, epochs=1, batch_size=32, verbose=0)
    X_test = X_test.reshape(-1, *shape)
    return net, X_test, y_test


@pytest.mark.parametrize("name,min_accuracy", [("mlp", 0.8), ("lenet", 0.8),
                                               ("row-lstm", 0.45)])
def test_trained_mnist_model(name, min_accuracy, mnist, tmp_path):
    net, X_test, y_test = _trained(name, mnist)
    assert net.evaluate(X_test, y_test)["accuracy"] >= min_accuracy  # trained, not random
    path = tmp_path / f"{name}.onnx"
    model = net.to_onnx(path)
    assert path.stat().st_size > 4 * net.n_params  # float32 weights inside
    module = nl.to_torch(net)
    for X in (X_test[:1], X_test[:200]):
        expected = net.predict_proba(X)
        np.testing.assert_allclose(onnxruntime(model, X), expected, rtol=TOL, atol=TOL)
        np.testing.assert_allclose(reference(model, X), expected, rtol=TOL, atol=TOL)
        with torch.no_grad():
            out = module(torch.from_numpy(X)).numpy()
        np.testing.assert_allclose(out, expected, rtol=TOL, atol=TOL)
    # same predicted digits everywhere on the whole test slice
    labels = net.predict(X_test)
    assert (onnxruntime(model, X_test).argmax(axis=1) == labels).all()
