"""Issue 5 examples (CNN, LSTM, autoencoder, sequence, CNN+LSTM) in quick mode, and the models.

Each example's ``main(["--quick"])`` trains on a small subset in seconds; the checks are loose
(well above chance), the full-size targets are recorded in benchmarks/RESULTS_cnn_lstm.md.
"""

import importlib.util
import os

import numpy as np
import pytest

import neuronal as nl
from neuronal.models import INPUT_SHAPES, MODELS, lenet, mnist_lstm

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")

pytestmark = pytest.mark.slow


def _example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}",
                                                  os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """Small matrix products run faster on one BLAS thread, and far faster on a busy machine."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def mnist():
    """Skip the MNIST examples when no local copy exists (tests never download)."""
    from neuronal.datasets import DatasetNotFoundError, load_mnist

    try:
        load_mnist(download=False)
    except DatasetNotFoundError as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"MNIST not available locally: {exc}")


def test_models_build_with_documented_shapes(rng):
    net = lenet(seed=0)
    assert net.n_params == 61706
    assert [type(layer).__name__ for layer in net.layers] == [
        "Conv2D", "MaxPool2D", "Conv2D", "MaxPool2D", "Flatten", "Dense", "Dense", "Dense"]
    assert net.predict_proba(rng.random((2, *INPUT_SHAPES["lenet"]))).shape == (2, 10)
    lstm = mnist_lstm(seed=0, hidden=64)
    assert lstm.n_params == 4 * 64 * (28 + 64 + 2) + 64 * 10 + 10
    assert lstm.predict_proba(rng.random((3, *INPUT_SHAPES["lstm"]))).shape == (3, 10)
    assert set(MODELS) == {"lenet", "lstm", "convnet"} and MODELS["lstm"] is mnist_lstm
    convnet = MODELS["convnet"](seed=0)
    assert convnet.n_params == 32 * 9 + 32 + 64 * 32 * 9 + 64 + 1600 * 10 + 10
    assert convnet.predict_proba(rng.random((2, *INPUT_SHAPES["convnet"]))).shape == (2, 10)
    with pytest.raises(nl.ShapeError, match=r"Conv2D.*x.reshape\(-1, 1, 28, 28\)"):
        net.predict(rng.random((2, 784)))


def test_models_state_dict_names_load_into_torch():
    torch = pytest.importorskip("torch")
    net = lenet(seed=0)
    names = {f"{i}.{k}": tuple(v.shape) for i, layer in enumerate(net.layers)
             for k, v in layer.state().items()}
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.MaxPool2d(2), torch.nn.Conv2d(6, 16, 5),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(400, 120),
        torch.nn.Linear(120, 84), torch.nn.Linear(84, 10))
    assert names == {k: tuple(v.shape) for k, v in ref.state_dict().items()}


def test_mnist_cnn_quick(mnist):
    result = _example("mnist_cnn").main(["--quick"])
    assert result["accuracy"] > 0.75


def test_mnist_lstm_quick(mnist):
    result = _example("mnist_lstm").main(["--quick"])
    assert result["accuracy"] > 0.4


def test_autoencoder_quick(mnist, tmp_path):
    pytest.importorskip("matplotlib")
    result = _example("autoencoder").main(["--quick", "--out", str(tmp_path)])
    assert result["mse"] < 0.06
    assert result["denoise_mse"] < result["noise_mse"]
    assert result["code_accuracy"] > 0.5
    for path in result["figures"]:
        with open(path, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_sequence_quick():
    result = _example("sequence").main(["--quick"])
    assert result["train_accuracy"] > 0.5  # an alphabet of ~27 characters: chance is ~4%
    assert len(result["text"]) > 100


def test_cnn_lstm_quick(mnist):
    result = _example("cnn_lstm").main(["--quick"])
    assert result["accuracy"] > 0.4  # chance is 0.25
    assert np.isfinite(result["shuffled_accuracy"])
