"""Every plot function writes a valid, non-empty PNG; matplotlib is imported only when plotting."""

import importlib.util
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import neuronal as nl
from neuronal import plot
from neuronal.errors import DataError, NeuronalError, ShapeError

try:
    from matplotlib.figure import Figure
except ImportError:  # pragma: no cover
    Figure = None

SRC = str(Path(__file__).resolve().parents[1] / "src")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
needs_mpl = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                               reason="matplotlib is not installed")


def png_size(path) -> tuple[int, int]:
    """Check ``path`` is a non-empty PNG and return its (width, height) from the IHDR chunk."""
    data = Path(path).read_bytes()
    assert len(data) > 1000, f"{path} is suspiciously small ({len(data)} bytes)"
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 50 and height > 50
    return width, height


def run_python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=60)


# --------------------------------------------------------------------------- lazy import


@needs_mpl
def test_import_does_not_import_matplotlib(tmp_path):
    result = run_python(f"""
        import sys
        import neuronal, neuronal.plot, neuronal.metrics
        assert "matplotlib" not in sys.modules, "import neuronal imported matplotlib"
        import neuronal.plot as p
        net = neuronal.Network.from_shape("4x3x1", hidden="sigmoid", output="sigmoid", seed=0)
        p.plot_network(net, {str(tmp_path / "n.png")!r})
        assert "matplotlib" in sys.modules
        # the figures are drawn on the Agg canvas without pyplot: no global backend change
        assert "matplotlib.pyplot" not in sys.modules
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    png_size(tmp_path / "n.png")


def test_missing_matplotlib_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r'pip install "neuronal\[plot\]"'):
        plot.plot_activations(tmp_path / "a.png")
    assert not (tmp_path / "a.png").exists()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def trained():
    """A 4x3x1 sigmoid network after a quick fit with validation data, and its History."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4)).astype(np.float32)
    y = (X[:, 0] - X[:, 3] > 0).astype(np.int64)
    net = nl.Network.from_shape("4x3x1", hidden="sigmoid", output="sigmoid", seed=0,
                                loss="binary_cross_entropy", optimizer=nl.Adam(learning_rate=0.05))
    history = net.fit(X[:60], y[:60], epochs=5, batch_size=16, verbose=0,
                      validation_data=(X[60:], y[60:]))
    return net, history


# --------------------------------------------------------------------------- plot_history


@needs_mpl
def test_plot_history_panels(tmp_path, trained):
    _, history = trained
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)
    out = tmp_path / "deep" / "er" / "history.png"
    fig = plot.plot_history(history, out, title="run")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    w2, _ = png_size(out)

    # the plain dict works too; without accuracy keys only the loss panel is drawn
    fig = plot.plot_history({"loss": [1.0, 0.5, 0.25]}, tmp_path / "loss.png")
    assert len(fig.axes) == 1
    w1, _ = png_size(tmp_path / "loss.png")
    # a learning rate that changed (a schedule) adds a third panel
    logs = {**history.history, "learning_rate": [0.1, 0.05, 0.025, 0.0125, 0.01]}
    plot.plot_history(logs, tmp_path / "lr.png")
    w3, _ = png_size(tmp_path / "lr.png")
    assert w1 < w2 < w3


@needs_mpl
def test_plot_history_errors(tmp_path):
    with pytest.raises(DataError, match="no 'loss' values"):
        plot.plot_history(nl.History(), tmp_path / "h.png")
    with pytest.raises(DataError, match=r"history\['accuracy'\] has 1 values but 'loss' has 2"):
        plot.plot_history({"loss": [1, 2], "accuracy": [0.5]}, tmp_path / "h.png")
    with pytest.raises(NeuronalError, match="History returned by fit"):
        plot.plot_history([1, 2, 3], tmp_path / "h.png")


# --------------------------------------------------------------------------- confusion matrix


@needs_mpl
def test_plot_confusion_matrix(tmp_path):
    cm = nl.metrics.confusion_matrix([0, 1, 2, 2, 1], [0, 2, 2, 2, 1])
    fig = plot.plot_confusion_matrix(cm, str(tmp_path / "cm.png"), labels=["a", "b", "c"])
    assert isinstance(fig, Figure)
    png_size(tmp_path / "cm.png")
    plot.plot_confusion_matrix(np.eye(10, dtype=int) * 90 + 1, tmp_path / "cm10.png")
    png_size(tmp_path / "cm10.png")


@needs_mpl
def test_plot_confusion_matrix_errors(tmp_path):
    with pytest.raises(DataError, match="square"):
        plot.plot_confusion_matrix([[1, 2]], tmp_path / "cm.png")
    with pytest.raises(DataError, match="got 1 labels for a confusion matrix of 2 classes"):
        plot.plot_confusion_matrix([[1, 2], [3, 4]], tmp_path / "cm.png", labels=["x"])


# --------------------------------------------------------------------------- hidden weights


@needs_mpl
def test_plot_hidden_weights_grid(tmp_path):
    net = nl.Network.from_shape("784x16x10", seed=0)
    plot.plot_hidden_weights(net, tmp_path / "w16.png")
    w16, h16 = png_size(tmp_path / "w16.png")
    assert 0.6 < w16 / h16 < 1.6  # 16 neurons -> a square 4 x 4 grid
    # a layer on its own, and a non-square image shape
    layer = nl.Dense(12, 3, activation="relu", seed=0)
    plot.plot_hidden_weights(layer, tmp_path / "w3.png", image_shape=(3, 4))
    png_size(tmp_path / "w3.png")


@needs_mpl
def test_plot_hidden_weights_errors(tmp_path, trained):
    net, _ = trained
    with pytest.raises(ShapeError, match=r"n_inputs=4, which does not match image_shape=\(28, 28\)"
                       r".*image_shape=\(2, 2\)"):
        plot.plot_hidden_weights(net, tmp_path / "w.png")
    with pytest.raises(NeuronalError, match=r"layer=5 is out of range: the network has 2 Dense"):
        plot.plot_hidden_weights(net, tmp_path / "w.png", image_shape=(2, 2), layer=5)
    with pytest.raises(NeuronalError, match="expected a neuronal Network or Dense layer"):
        plot.plot_hidden_weights(np.zeros((3, 4)), tmp_path / "w.png")
    plot.plot_hidden_weights(net, tmp_path / "w.png", image_shape=(2, 2))
    png_size(tmp_path / "w.png")


# --------------------------------------------------------------------------- activations


@needs_mpl
def test_plot_activations(tmp_path):
    plot.plot_activations(tmp_path / "act.png")
    png_size(tmp_path / "act.png")
    assert "softmax" not in plot.DEFAULT_ACTIVATIONS
    fig = plot.plot_activations(names=["softmax", nl.activations.ELU(0.5)])
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert not list(tmp_path.glob("sm*"))


@needs_mpl
def test_plot_activations_errors(tmp_path):
    with pytest.raises(NeuronalError, match="unknown activation 'rleu'.*Did you mean 'relu'"):
        plot.plot_activations(tmp_path / "a.png", names=["rleu"])
    with pytest.raises(NeuronalError, match="names is empty"):
        plot.plot_activations(tmp_path / "a.png", names=[])
    with pytest.raises(NeuronalError, match="z_range must contain 0"):
        plot.plot_activations(tmp_path / "a.png", z_range=(1, 4))


def test_breaks_leave_gaps_at_jumps():
    z = np.linspace(-1, 1, 201)
    from neuronal.plot.activations import _breaks

    y = _breaks(nl.activations.get("step").value(z))
    assert np.isnan(y).sum() == 1 and np.isnan(y[99])
    assert not np.isnan(_breaks(np.tanh(z))).any()


# --------------------------------------------------------------------------- decision boundary


@needs_mpl
def test_plot_decision_boundary_binary_and_multiclass(tmp_path):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 5, dtype=np.float32)
    y = np.array([0, 1, 1, 0] * 5)
    net = nl.Network.from_shape("2x4x1", hidden="tanh", output="sigmoid", seed=0,
                                optimizer=nl.Adam(learning_rate=0.05))
    net.fit(X, y, epochs=10, batch_size=4, verbose=0)
    plot.plot_decision_boundary(net, X, y, tmp_path / "xor.png", resolution=60)
    png_size(tmp_path / "xor.png")

    three = nl.Network.from_shape("2x5x3", hidden="relu", output="softmax", seed=1)
    rng = np.random.default_rng(0)
    X3 = rng.normal(size=(30, 2))
    y3 = np.eye(3)[rng.integers(0, 3, 30)]  # one-hot labels are accepted
    plot.plot_decision_boundary(three, X3, y3, tmp_path / "three.png", resolution=60)
    png_size(tmp_path / "three.png")


@needs_mpl
def test_plot_decision_boundary_errors(tmp_path, trained):
    two = nl.Network.from_shape("2x3x1", hidden="tanh", output="sigmoid", seed=0)
    with pytest.raises(ShapeError, match=r"X must have shape \(n_samples, 2\), got \(4, 3\)"):
        plot.plot_decision_boundary(two, np.zeros((4, 3)), [0, 1, 0, 1], tmp_path / "d.png")
    with pytest.raises(DataError, match="X has 4 samples but y has 3 labels"):
        plot.plot_decision_boundary(two, np.zeros((4, 2)), [0, 1, 0], tmp_path / "d.png")
    net4, _ = trained
    with pytest.raises(ShapeError, match="the network takes 4 inputs"):
        plot.plot_decision_boundary(net4, np.zeros((4, 2)), [0, 1, 0, 1], tmp_path / "d.png")


# --------------------------------------------------------------------------- network diagram


@needs_mpl
def test_plot_network_small_and_wide(tmp_path, trained):
    net, _ = trained
    fig = plot.plot_network(net, tmp_path / "a" / "net.png")
    png_size(tmp_path / "a" / "net.png")
    texts = _texts(fig)
    # 0-based numbering, as net.layers[i] and layer.neurons[j]; counts from the network
    assert {"x0", "x3", "0", "2"} <= texts and "x4" not in texts and "x1" in texts
    assert any(t.startswith("layer 0\nDense sigmoid") for t in texts)
    assert "Network 4x3x1: 4 neurons, 19 parameters" in fig._suptitle.get_text()
    wide = nl.Network.from_shape("784x16x10", seed=0)
    fig = plot.plot_network(wide, tmp_path / "wide.png")
    png_size(tmp_path / "wide.png")
    texts = _texts(fig)
    assert "11 of 784" in texts and "11 of 16" in texts
    legend = fig.axes[0].get_legend().get_title().get_text()
    assert "largest total |weight|" in legend and "inputs: 11 of 784" in legend


def _texts(fig) -> set[str]:
    return {t.get_text() for ax in fig.axes for t in ax.texts}


@needs_mpl
def test_plot_network_shows_the_inputs_that_matter():
    net = nl.Network.from_shape("30x2", output="softmax", seed=0)
    W = net.layers[0].weights
    W[...] = 0.01
    W[:, 17] = 5.0  # input 17 matters most
    fig = plot.plot_network(net, max_nodes=4)
    texts = _texts(fig)
    assert "x17" in texts and "3 of 30" in texts


@needs_mpl
def test_plot_network_errors(tmp_path, trained):
    net, _ = trained
    with pytest.raises(NeuronalError, match="max_nodes must be an integer >= 3"):
        plot.plot_network(net, tmp_path / "n.png", max_nodes=2)
    with pytest.raises(NeuronalError, match="path must be a file name"):
        plot.plot_network(net, 3)
    assert not list(tmp_path.iterdir())
