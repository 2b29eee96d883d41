"""A playground session on the real library: training, reset, edits, explain, files, limits."""

from __future__ import annotations

import base64
import math

import numpy as np
import pytest

import neuronal as nl
from neuronal.playground import Limits, PlaygroundError
from neuronal.playground import frames as fr
from neuronal.playground.data import MnistSource
from neuronal.playground.models import load_model, save_model
from neuronal.playground.session import Session


def session(limits=None, **setup):
    s = Session(limits or Limits(), MnistSource())
    s.configure(setup)
    return s


def test_training_lowers_the_test_loss():
    s = session(dataset="circle", points=200, lr=0.1)
    before = fr.frame_payload(s)["metrics"]["test_loss"]
    for _ in range(60):
        s.train(budget=1.0, epochs=1.0)
    after = fr.frame_payload(s)["metrics"]
    assert s.epoch == 60 and s.steps == 60 * s.steps_per_epoch
    assert after["test_loss"] < 0.6 * before and after["test_accuracy"] > 0.9


def test_the_network_is_the_seeded_library_network():
    s = session(dataset="spiral", layers=[8, 8], activations=["relu", "tanh"],
                features=["x1", "x2", "sin(x1)"], seed=7, dropout=0.2)
    kinds = [type(layer).__name__ for layer in s.net.layers]
    assert kinds == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert s.net.shape == "3x8x8x1" and s.net.loss.name == "binary_cross_entropy"
    same = nl.Network([nl.Dense(3, 8, "relu"), nl.Dropout(0.2), nl.Dense(8, 8, "tanh"),
                       nl.Dropout(0.2), nl.Dense(8, 1, "sigmoid")], seed=7)
    for a, b in zip(s.net.get_weights(), same.get_weights()):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def test_reset_returns_to_the_same_weights_and_retraces_the_same_path():
    s = session(dataset="xor", optimizer="adam", lr=0.01, dropout=0.1, points=100)
    start = s.net.get_weights()
    for _ in range(5):
        s.train(budget=1.0)
    first = fr.frame_payload(s)["metrics"]["test_loss"]
    s.reset()
    assert s.epoch == 0 and s.steps == 0
    for a, b in zip(s.net.get_weights(), start):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    for _ in range(5):
        s.train(budget=1.0)
    assert fr.frame_payload(s)["metrics"]["test_loss"] == first


def test_one_step_trains_to_the_end_of_the_epoch():
    s = session(dataset="moons", points=100, batch=7, ratio=50)  # 50 samples: 8 steps
    s.step_epoch()
    assert (s.epoch, s.steps) == (1, 8)
    s.train(budget=1.0, epochs=0.25)  # two steps into epoch 2
    assert (s.epoch, s.steps) == (1, 10)
    s.step_epoch()
    assert (s.epoch, s.steps) == (2, 16)


def test_editing_a_weight_changes_the_heatmaps():
    s = session(dataset="circle")
    before = fr.frame_payload(s)
    s.set_param(0, 1, 5.0, source=0)
    s.set_param(1, 0, -2.5)
    assert s.net.layers[0].weights[1, 0] == 5.0 and s.net.layers[1].bias[0] == -2.5
    after = fr.frame_payload(s)
    assert after["maps"][0][1] != before["maps"][0][1]
    assert after["output"]["map"] != before["output"]["map"]
    assert after["weights"][0]["W"][1][0] == 5.0 and after["weights"][1]["b"][0] == -2.5
    with pytest.raises(PlaygroundError, match="a weight must be a finite number"):
        s.set_param(0, 0, "nan")
    with pytest.raises(PlaygroundError, match="neuron 0 of layer 0 has inputs 0..1, not 2"):
        s.set_param(0, 0, 1.0, source=2)
    with pytest.raises(PlaygroundError, match="there is no layer 3"):
        s.set_param(3, 0, 1.0)


def test_explain_is_the_neurons_own_arithmetic():
    s = session(dataset="spiral", layers=[5, 3], features=["x1", "x2", "x1*x2"])
    point = [1.5, -2.0]
    x = np.array([[1.5, -2.0, -3.0]], np.float32)
    a0 = s.net.layers[0].forward(x)
    expected = s.net.layers[1].neurons[2].explain(a0[0])
    text = s.explain_neuron(1, 2, point)["text"]
    assert text.endswith(expected) and "layer 1, neuron 2" in text and "(1.5, -2)" in text
    assert s.explain_neuron(-1, 2, point)["text"] == "input x1*x2 at point (1.5, -2) = -3"
    with pytest.raises(PlaygroundError, match="layer 1 has neurons 0..2, not 3"):
        s.explain_neuron(1, 3, point)
    with pytest.raises(PlaygroundError, match=r"a point must be two numbers \[x1, x2\]"):
        s.explain_neuron(0, 0, [1])


def test_a_diverging_run_is_stopped_and_undone():
    s = session(dataset="plane", layers=[8, 8], activations=["relu", "relu"], lr=10.0,
                features=["x1", "x2", "x1^2", "x2^2"])
    with pytest.raises(PlaygroundError, match="training diverged .* lower the learning rate"):
        for _ in range(50):
            s.train(budget=1.0)
    assert all(np.isfinite(p).all() for p, _ in s.net.parameters())


def test_schedules_and_optimizers_come_from_the_library():
    s = session(optimizer="momentum", schedule="step", schedule_epochs=2, lr=0.1, reg="l2",
                reg_rate=0.01)
    opt = s.net.optimizer
    assert isinstance(opt, nl.SGD) and opt.momentum == 0.9 and opt.weight_decay == 0.01
    for _ in range(2):
        s.step_epoch()
    s.train(budget=1.0, epochs=0.1)  # the third epoch starts: the rate halves
    assert math.isclose(opt.learning_rate, 0.05)
    assert isinstance(session(optimizer="rmsprop").net.optimizer, nl.RMSprop)
    cos = session(optimizer="adam", schedule="cosine").net.optimizer
    assert isinstance(cos, nl.Adam) and isinstance(cos.schedule, nl.CosineDecay)


def test_multi_class_and_regression_outputs():
    s = session(dataset="gauss", classes=4, noise=10)
    assert s.net.layers[-1].activation.name == "softmax" and s.net.loss.name == "cross_entropy"
    out = fr.frame_payload(s)
    assert out["output"]["kind"] == "classes" and len(out["metrics"]["confusion"]) == 4
    classes = np.frombuffer(base64.b64decode(out["output"]["class"]), np.uint8)
    assert classes.size == fr.OUTPUT_GRID**2 and classes.max() < 4
    r = session(dataset="multi_gauss", loss="mae")
    assert r.net.loss.name == "mae" and r.net.layers[-1].activation.name == "linear"
    assert fr.frame_payload(r)["output"]["kind"] == "value"
    assert "confusion" not in fr.frame_payload(r)["metrics"]


def test_network_size_is_bounded():
    with pytest.raises(PlaygroundError, match="has 1,425 weights and biases; the limit is 1,000"):
        session(Limits(max_params=1000), dataset="circle", layers=[16, 16, 16, 16, 16, 16])


def test_save_and_load_through_the_library(tmp_path):
    s = session(dataset="spiral", layers=[6, 3], activations=["relu", "tanh"])
    for _ in range(3):
        s.train(budget=1.0)
    content = save_model(s, tmp_path)
    assert list(tmp_path.iterdir()) == []  # the scratch file is gone
    (tmp_path / "m.safetensors").write_bytes(content)
    assert nl.load(tmp_path / "m.safetensors").shape == "2x6x3x1"
    (tmp_path / "m.safetensors").unlink()
    other = session(dataset="spiral", layers=[2])
    load_model(other, content, tmp_path)
    assert other.setup.layers == [6, 3] and other.setup.activations == ["relu", "tanh"]
    for a, b in zip(other.net.get_weights(), s.net.get_weights()):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    other.train(budget=1.0)
    other.reset()  # back to the loaded weights, not new random ones
    np.testing.assert_array_equal(other.net.layers[0].weights, s.net.layers[0].weights)
    assert list(tmp_path.iterdir()) == []


def test_models_that_do_not_fit_are_refused(tmp_path):
    s = session(dataset="circle")
    with pytest.raises(PlaygroundError, match="cannot load this model: .*uploaded file"):
        load_model(s, b"not a model at all", tmp_path)
    wide = session(dataset="circle", features=["x1", "x2", "x1^2"])
    with pytest.raises(PlaygroundError, match="this model reads 3 inputs but the page's data "
                       "give 2 \\(x1, x2\\)"):
        load_model(s, save_model(wide, tmp_path), tmp_path)
    multi = session(dataset="gauss", classes=3)
    with pytest.raises(PlaygroundError, match="does not fit the page's data \\(2 classes\\)"):
        load_model(s, save_model(multi, tmp_path), tmp_path)
    assert s.net.shape == "2x4x2x1"  # the page's own network is kept
    assert list(tmp_path.iterdir()) == []


def test_one_backprop_step_is_the_librarys_explain_step():
    s = session(dataset="spiral", layers=[4, 3], dropout=0.1, optimizer="adam", lr=0.05)
    before = [layer.weights.copy() for _, layer in s.dense_layers()]
    state = {k: v.copy() for k, v in s.net.optimizer.state_dict().items()}
    p = s.explain_step()
    assert p["type"] == "backprop" and p["applied"] and p["learning_rate"] == 0.05
    assert "One training step on 1 sample" in p["text"] and "Dropout included" in p["text"]
    assert sorted(entry["layer"] for entry in p["layers"]) == [0, 1, 2]  # Dense layers only
    for entry in p["layers"]:
        k = entry["layer"]
        after = s.dense_layers()[k][1].weights
        np.testing.assert_allclose(after - before[k], entry["dW"], atol=1e-5)
    biggest = p["strengthened"][0]
    assert biggest["layer"] in (0, 1, 2) and biggest["change"] > 0
    lay = s.dense_layers()[biggest["layer"]][1]
    assert math.isclose(lay.weights[biggest["neuron"], biggest["input"]],
                        biggest["weight"] + biggest["change"], rel_tol=1e-4)
    assert all(c["change"] < 0 for c in p["weakened"])
    x, y = p["point"], s.data.points_train[p["sample"]]
    assert x == [float(v) for v in y]
    for k, v in s.net.optimizer.state_dict().items():  # the optimiser's state is untouched
        np.testing.assert_array_equal(v, state[k])


def test_onnx_goes_through_the_librarys_export_onnx(tmp_path, monkeypatch):
    from neuronal.playground.models import export_onnx_model

    s = session(dataset="circle")
    seen = []

    def fake_export(network, path):  # the contract: export_onnx(network, path)
        seen.append(network)
        with open(path, "wb") as fh:
            fh.write(b"onnx bytes")

    monkeypatch.setattr(nl, "export_onnx", fake_export, raising=False)
    assert export_onnx_model(s, tmp_path) == b"onnx bytes"
    assert seen == [s.net] and list(tmp_path.iterdir()) == []

    def no_onnx(network, path):
        raise ImportError('exporting to ONNX needs the onnx package: pip install "neuronal[onnx]"')

    monkeypatch.setattr(nl, "export_onnx", no_onnx)
    with pytest.raises(PlaygroundError, match="ONNX export is unavailable here: exporting to ONNX "
                       "needs the onnx package"):
        export_onnx_model(s, tmp_path)
    monkeypatch.delattr(nl, "export_onnx")
    with pytest.raises(PlaygroundError, match="this version of neuronal has no export_onnx"):
        export_onnx_model(s, tmp_path)
