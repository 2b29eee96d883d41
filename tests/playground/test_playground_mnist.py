"""MNIST in the playground: the drawing pad's digit through the network, and no MNIST at all."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from neuronal.playground import Limits, PlaygroundError
from neuronal.playground import frames as fr
from neuronal.playground.data import MnistSource
from neuronal.playground.session import Session


@pytest.fixture(scope="module")
def mnist():
    source = MnistSource()
    if not source.status()["available"]:
        pytest.skip("MNIST not available locally")
    return source


def test_without_mnist_the_page_says_so_and_the_rest_works(tmp_path, monkeypatch):
    monkeypatch.delenv("NEURONAL_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path))
    source = MnistSource(tmp_path / "nothing-here")
    status = source.status()
    assert not status["available"]
    assert "MNIST is not available here" in status["message"]
    assert "NEURONAL_DATA" in status["message"] and "other data sets work" in status["message"]
    s = Session(Limits(), source)
    with pytest.raises(PlaygroundError, match="MNIST is not available here"):
        s.configure({"dataset": "mnist"})
    s.configure({"dataset": "circle"})  # the same session carries on with planar data
    assert s.train(budget=1.0)["steps"] > 0


def test_a_drawn_digit_goes_through_every_layer(mnist):
    s = Session(Limits(), mnist)
    s.configure({"dataset": "mnist", "layers": [16, 8], "activations": ["relu", "tanh"],
                 "mnist_train": 600, "batch": 32, "lr": 0.1})
    assert s.net.shape == "784x16x8x10" and len(s.data.X_test) == Limits().mnist_test
    with pytest.raises(PlaygroundError, match="draw a digit on the pad first"):
        s.explain_neuron(0, 0)
    assert fr.digit_payload(s) is None
    for _ in range(3):
        s.step_epoch()
    X = mnist.arrays()[2][:1]
    s.set_digit((X[0] / 255.0).tolist())
    d = fr.digit_payload(s)
    assert [len(a) for a in d["activations"]] == [16, 8]
    assert abs(sum(d["probabilities"]) - 1) < 1e-4 and d["prediction"] in range(10)
    expected = s.net.predict(X.astype(np.float32) / 255.0)[0]
    assert d["prediction"] == expected
    text = s.explain_neuron(0, 3)["text"]
    assert "at the drawn digit" in text
    assert "Neuron with 784 inputs (x0..x783), activation relu" in text
    frame = fr.frame_payload(s, images=True)
    assert len(frame["images"]) == 16
    assert len(base64.b64decode(frame["images"][0])) == 784
    assert "W" not in frame["weights"][0] and len(frame["weights"][1]["W"]) == 8
    assert frame["digit"]["prediction"] == d["prediction"]
    assert "train_accuracy" in frame["metrics"] and len(frame["metrics"]["confusion"]) == 10


def test_bad_digits_are_refused(mnist):
    s = Session(Limits(), mnist)
    s.configure({"dataset": "mnist", "layers": [4], "mnist_train": 100})
    with pytest.raises(PlaygroundError, match="784 numbers"):
        s.set_digit([0.5] * 10)
    with pytest.raises(PlaygroundError, match="finite numbers"):
        s.set_digit([float("nan")] * 784)
    s.set_digit([2.0] * 784)  # clipped into [0, 1]
    assert s.digit.max() == 1.0


def test_mnist_is_loaded_once_for_all_sessions(mnist):
    a, b = mnist.arrays(), mnist.arrays()
    assert a[0] is b[0] and a[0].dtype == np.uint8 and a[0].shape == (60000, 784)
