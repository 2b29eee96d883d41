"""The pictures added for learners: CNN weights, feature maps, galleries, neuron maps, the
diagram of every layer type; every function returns a Figure, saves only when asked."""

import importlib.util
import os

import numpy as np
import pytest

import neuronal as nl
from neuronal import plot
from neuronal.errors import DataError, NeuronalError, ShapeError
from neuronal.models import lenet, mnist_lstm

pytestmark = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                reason="matplotlib is not installed")


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def _png(path) -> None:
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


@pytest.fixture(scope="module")
def cnn():
    net = lenet(seed=0)
    x = np.random.default_rng(0).random((2, 1, 28, 28)).astype(np.float32)
    net.predict(x)
    return net, x


def test_every_function_returns_a_figure_and_writes_only_when_asked(tmp_path, cnn):
    from matplotlib.figure import Figure

    net, x = cnn
    dense = nl.Network.from_shape("2x3x1", seed=0)
    X2 = np.random.default_rng(1).normal(size=(20, 2))
    y2 = (X2[:, 0] > 0).astype(int)
    os.chdir(tmp_path)
    figures = [
        plot.plot_history({"loss": [1.0, 0.5]}),
        plot.plot_confusion_matrix([[3, 1], [0, 4]]),
        plot.plot_weights(net),
        plot.plot_activations(names=["relu"]),
        plot.plot_decision_boundary(dense, X2, y2, resolution=20),
        plot.plot_neuron_maps(dense, X2, y2, resolution=20),
        plot.plot_network(net),
        plot.plot_digits(x, [1, 2], [1, 3]),
        plot.plot_feature_maps(net, x[0]),
    ]
    assert all(isinstance(f, Figure) for f in figures)
    assert list(tmp_path.iterdir()) == []  # no path: nothing written
    png = figures[0]._repr_png_()  # notebooks show it without pyplot
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_ax_draws_into_a_figure_of_your_own(cnn):
    from matplotlib.figure import Figure

    net, _ = cnn
    fig = Figure(figsize=(12, 4))
    left, right = fig.subplots(1, 2)
    out = plot.plot_network(nl.Network.from_shape("3x2x1", seed=0), ax=left)
    assert out is fig
    plot.plot_confusion_matrix([[1, 0], [0, 1]], ax=right)
    assert right.get_title().startswith("Confusion matrix")
    with pytest.raises(NeuronalError, match="ax must be a matplotlib Axes"):
        plot.plot_network(net, ax="left")


def test_saving_is_atomic_and_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    from neuronal.plot._base import save

    target = tmp_path / "h.png"
    target.write_bytes(b"old picture")
    fig = plot.plot_history({"loss": [1.0, 0.5]})

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        save(fig, target)
    assert target.read_bytes() == b"old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.png"]  # no temporary left
    target.chmod(0o640)
    plot.plot_history({"loss": [1.0, 0.5]}, target)
    _png(target)
    fresh = tmp_path / "fresh.png"
    plot.plot_history({"loss": [1.0, 0.5]}, fresh)
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask  # like a file opened plainly
    fresh.unlink()
    plot.plot_history({"loss": [1.0, 0.5]}, tmp_path / "deep" / "x.svg")  # format from suffix
    assert "<svg" in (tmp_path / "deep" / "x.svg").read_text()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(NeuronalError, match=r"cannot save the picture to '.*file/sub/h\.png': "
                       r"'.*file' is a file, not a folder; choose a writable folder"):
        plot.plot_history({"loss": [1.0]}, blocker / "sub" / "h.png")


def test_weights_of_a_cnn_draw_its_filters(tmp_path, cnn):
    net, _ = cnn
    fig = plot.plot_weights(net, tmp_path / "w.png")  # first layer with weights: Conv2D
    _png(tmp_path / "w.png")
    assert "The 6 filters of layer 0 Conv2D(1 -> 6, 5x5, relu)" in fig._suptitle.get_text()
    assert [t for t in _titles(fig) if t][:2] == ["filter 0", "filter 1"]
    fig = plot.plot_weights(net, layer=2)  # 16 filters x 6 input channels
    assert sum(1 for ax in fig.axes if ax.images) == 16 * 6
    assert "filter 0\nchannel 5" in _titles(fig)
    fig = plot.plot_weights(net, layer=5, image_shape=(20, 20), max_neurons=4)
    assert "first 4 of 120 neurons of layer 5" in fig._suptitle.get_text()
    with pytest.raises(NeuronalError, match=r"net.layers\[1\] is MaxPool2D.*\[0, 2, 5, 6, 7\]"):
        plot.plot_weights(net, layer=1)
    with pytest.raises(NeuronalError, match=r"layer=9 is out of range: the network has 8 layers"):
        plot.plot_weights(net, layer=9)
    with pytest.raises(ShapeError, match="n_inputs=120, not a square image"):
        plot.plot_weights(net, layer=6)
    with pytest.raises(NeuronalError, match="no Dense or Conv2D layer"):
        plot.plot_weights(nl.Network([nl.LSTM(3, 4)]))


def test_dense_weights_are_numbered_like_the_neurons():
    net = nl.Network.from_shape("4x3x2", seed=0)
    fig = plot.plot_weights(net, layer=1, image_shape=(1, 3))
    assert [t for t in _titles(fig) if t] == ["neuron 0", "neuron 1"]
    assert "layer 1 Dense(3 -> 2, softmax)" in fig._suptitle.get_text()


def test_network_diagram_of_lenet_names_every_layer_with_true_counts(tmp_path, cnn):
    net, _ = cnn
    fig = plot.plot_network(net, tmp_path / "lenet.png")
    _png(tmp_path / "lenet.png")
    texts = "\n".join(_texts(fig))
    assert f"{net.n_neurons:,} neurons, {net.n_params:,} parameters" in fig._suptitle.get_text()
    assert (net.n_neurons, net.n_params) == (236, 61706)
    for i, kind in enumerate(["Conv2D", "MaxPool2D", "Conv2D", "MaxPool2D", "Flatten",
                              "Dense relu", "Dense relu"]):
        assert f"layer {i}\n{kind}" in texts
    assert "layer 7 (output)\nDense softmax" in texts
    assert "6 filters\n156 params" in texts and "out 16x5x5" in texts
    assert "11 of 400" in texts and "11 of 120" in texts


def test_network_diagram_of_an_lstm_and_dropout():
    fig = plot.plot_network(mnist_lstm(hidden=8))
    texts = "\n".join(_texts(fig))
    assert "layer 0\nLSTM (recurrent)" in texts and "input\n?x28" in texts
    net = nl.Network([nl.Dense(3, 4, activation="relu"), nl.Dropout(0.5),
                      nl.Dense(4, 2, activation="softmax")], seed=0)
    texts = "\n".join(_texts(plot.plot_network(net)))
    assert "layer 1: Dropout" in texts and "layer 2 (output)\nDense softmax" in texts
    fig = plot.plot_network(nl.Dense(5, 3, activation="relu", seed=0))
    assert fig._suptitle.get_text().startswith("Dense(5 -> 3, relu): 3 neurons, 18 parameters")


def test_feature_maps(tmp_path, cnn):
    net, x = cnn
    fig = plot.plot_feature_maps(net, x[0].reshape(784), tmp_path / "f.png", max_channels=4)
    _png(tmp_path / "f.png")
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "input" in labels
    assert any(lab.startswith("layer 0\nConv2D\n6x28x28\n4 of 6") for lab in labels)
    assert any(lab.startswith("layer 3\nMaxPool2D\n16x5x5") for lab in labels)
    winner = int(net.predict(x[:1])[0])
    assert f"output: class {winner} wins" in "".join(_titles(fig))
    with pytest.raises(NeuronalError, match="no layer whose output is an image"):
        plot.plot_feature_maps(nl.Network.from_shape("4x2", seed=0), np.zeros(4))
    with pytest.raises(ShapeError, match="x must be one sample"):
        plot.plot_feature_maps(net, np.zeros(10))


def test_digits_gallery_marks_mistakes(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((13, 64))
    y = np.arange(13) % 10
    pred = y.copy()
    pred[[2, 5]] = 9
    fig = plot.plot_digits(X, y, pred, tmp_path / "d.png", max_images=12, cols=4)
    _png(tmp_path / "d.png")
    assert fig._suptitle.get_text() == "first 12 of 13 images; 2 of 13 predicted wrong (red)"
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(titled) == 12
    assert titled[2].get_title() == "true 2\npred 9" and titled[2].title.get_color() == "#d62728"
    assert titled[0].title.get_color() == "black"
    fig = plot.plot_digits(X[:3].reshape(3, 8, 8), ["a", "b", "c"])
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["a", "b", "c"]
    with pytest.raises(ShapeError, match="not a square image"):
        plot.plot_digits(np.zeros((2, 10)))
    with pytest.raises(DataError, match="one label per image"):
        plot.plot_digits(X, y[:3])
    with pytest.raises(DataError, match="no images"):
        plot.plot_digits(np.zeros((0, 64)))


def test_neuron_maps_one_panel_per_neuron(tmp_path):
    X, y = nl.datasets.make_moons(n_samples=60, seed=0)
    net = nl.Network.from_shape("2x5x3x1", hidden="tanh", output="sigmoid", seed=0,
                                loss="binary_cross_entropy")
    fig = plot.plot_neuron_maps(net, X, y, tmp_path / "m.png", resolution=30, max_neurons=4)
    _png(tmp_path / "m.png")
    maps = [ax for ax in fig.axes if ax.images]
    assert len(maps) == 4 + 3 + 1
    assert [ax.get_ylabel().split("\n")[0] for ax in fig.axes if ax.get_ylabel()] == [
        "layer 0", "layer 1", "layer 2"]
    assert "4 of 5 shown" in fig.axes[0].get_ylabel()
    # the panel is the neuron's output over the plane: check one grid value
    a = maps[4].images[0].get_array()
    xx = np.linspace(X[:, 0].min() - 0.1 * np.ptp(X[:, 0]), X[:, 0].max() + 0.1 * np.ptp(X[:, 0]),
                     30)
    yy = np.linspace(X[:, 1].min() - 0.1 * np.ptp(X[:, 1]), X[:, 1].max() + 0.1 * np.ptp(X[:, 1]),
                     30)
    h = np.tanh(np.array([xx[0], yy[0]]) @ net.layers[0].weights.T + net.layers[0].bias)
    z = h @ net.layers[1].weights.T + net.layers[1].bias
    assert a[0, 0] == pytest.approx(np.tanh(z[0]), abs=1e-5)
    with pytest.raises(ShapeError, match="the network takes 4 inputs"):
        plot.plot_neuron_maps(nl.Network.from_shape("4x2", seed=0), X)
    with pytest.raises(ShapeError, match=r"X must have shape \(n_samples, 2\)"):
        plot.plot_neuron_maps(net, np.zeros((3, 3)))


def test_plot_step_colours_each_edge_by_its_change(tmp_path):
    X = np.array([[(k >> i) & 1 for i in range(4)] for k in range(16)], dtype=np.float32)
    y = (X[:, 0] + X[:, 1] > X[:, 2] + X[:, 3]).astype(np.int64)
    net = nl.Network.from_shape("4x3x1", hidden="sigmoid", output="sigmoid",
                                loss="binary_cross_entropy", optimizer=nl.SGD(learning_rate=2.0),
                                seed=0)
    before = [w.copy() for w in net.get_weights()]
    fig = plot.plot_step(net, X[3], y[3], tmp_path / "step.png")
    _png(tmp_path / "step.png")
    for old, new in zip(before, net.get_weights()):  # drawing a step does not take it
        for key in old:
            np.testing.assert_array_equal(old[key], new[key])
    step = net.explain_step(X[3], y[3])
    edges = fig.axes[0].collections[0]
    colors = [tuple(c[:3]) for c in edges.get_colors()]
    from matplotlib.colors import to_rgb

    from neuronal.plot._base import STRENGTHENED, WEAKENED

    # the order of the edges: layer 0 (neuron j, input i) row by row, then layer 1
    changes = np.concatenate([step.layers[0].updates["weight"].ravel(),
                              step.layers[1].updates["weight"].ravel()])
    expected = [to_rgb("0.8") if c == 0 else to_rgb(STRENGTHENED if c > 0 else WEAKENED)
                for c in changes]
    assert np.allclose(colors, expected)
    widths = edges.get_linewidths()
    assert np.argmax(widths) == np.argmax(np.abs(changes))
    head = fig._suptitle.get_text()
    top = step.strengthened[0]
    assert f"most strengthened: layer {top.layer}, neuron {top.neuron}, input {top.input}" in head
    assert "predicted 0, true 1: wrong" in head and f"loss {step.loss:.4g}" in head
    assert "a = " in "".join(_texts(fig)) and "(target 1)" in "".join(_texts(fig))
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["strengthened (weight grew)",
                                                           "weakened (weight shrank)"]


def test_plot_step_on_a_wide_network_shows_the_connections_that_changed_most():
    net = nl.Network.from_shape("30x5x3", seed=0, optimizer=nl.SGD(learning_rate=0.5))
    x = np.zeros(30, dtype=np.float32)
    x[[4, 22]] = 1.0  # only two inputs are active: only their connections change
    fig = plot.plot_step(net, x, 2, max_nodes=4)
    texts = _texts(fig)
    assert "x4" in texts and "x22" in texts and "3 of 30" in texts
    assert "a = " in "".join(texts) and "(target)" in "".join(texts)
    with pytest.raises(NeuronalError, match="max_nodes must be an integer >= 3"):
        plot.plot_step(net, x, 2, max_nodes=1)
