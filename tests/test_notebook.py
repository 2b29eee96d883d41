"""Notebook views: HTML for neurons, layers, networks and optimisers, a PNG for a History, and
the lessons' notebook executed headless with its outputs checked."""

from pathlib import Path

import numpy as np
import pytest

import neuronal as nl
from neuronal.models import lenet
from neuronal.notebook import history_png, html

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def test_neuron_view_shows_formula_weights_and_bias():
    n = nl.Neuron(weights=[0.2, 0.00001], bias=1.0, activation="sigmoid")
    view = n._repr_html_()
    assert "Neuron with 2 inputs" in view and "a = sigmoid(z)" in view
    assert ">w0<" in view and ">0.2<" in view and ">1e-05<" in view and "b (bias)" in view
    layer = nl.Dense(30, 2, activation=nl.activations.LeakyReLU(0.2), seed=0)
    view = layer.neurons[1]._repr_html_()
    assert "neuron 1 of Dense(30 -&gt; 2, leaky_relu) (a view)" in view
    assert "(alpha = 0.2)" in view and "18 more" in view  # 12 weights shown, 18 summarised
    assert repr(layer.neurons[1]).startswith("Neuron(")  # the text fallback stays


@pytest.mark.parametrize("layer", [
    nl.Dense(4, 3, activation="relu"), nl.Conv2D(1, 2, 3), nl.MaxPool2D(2), nl.Flatten(),
    nl.LSTM(3, 4), nl.BatchNorm(3), nl.Dropout(0.5), nl.Embedding(10, 4),
])
def test_every_layer_has_a_view(layer):
    layer.build(np.random.default_rng(0))
    view = layer._repr_html_()
    assert view.startswith("<div") and f"{layer.n_params:,} parameters" in view
    for name, value in layer.params().items():
        assert f">{name}<" in view and "&times;".join(map(str, value.shape)) in view


def test_network_view_has_the_summary_table_and_a_diagram():
    net = lenet(seed=0)
    view = net._repr_html_()
    assert "Network Conv2D &gt; MaxPool2D" in view
    assert ">61,706<" in view and ">236<" in view  # totals: params, neurons
    assert "Dense(400 -&gt; 120, relu)" in view and "<img src='data:image/png;base64," in view
    small = nl.Network.from_shape("4x3x1", output="sigmoid", seed=0, name="<b>me</b>")
    assert "&lt;b&gt;me&lt;/b&gt;" in small._repr_html_()  # names are escaped


def test_history_view_is_a_png_of_the_curves():
    assert nl.History()._repr_png_() is None  # nothing to draw yet: text only
    net = nl.Network.from_shape("2x3x1", output="sigmoid", loss="binary_cross_entropy", seed=0)
    history = net.fit(np.random.default_rng(0).random((8, 2)), np.arange(8) % 2, epochs=2,
                      verbose=0)
    png = history._repr_png_()
    assert png[:8] == PNG and png == history_png(history)


@pytest.mark.parametrize("opt, rule", [
    (nl.SGD(learning_rate=0.5), "p &larr; p &minus; lr &middot; g"),
    (nl.SGD(momentum=0.9), "v &larr; &mu; v + g"),
    (nl.Adam(), "&beta;1"), (nl.RMSprop(), "&rho;"),
    (nl.SGD(learning_rate=nl.CosineDecay(0.5, epochs=10)), "CosineDecay"),
])
def test_optimizer_view(opt, rule):
    view = opt._repr_html_()
    assert rule in view and "current learning rate" in view


def test_html_of_something_else_is_escaped_text():
    assert html("<x>") == "<pre>&#x27;&lt;x&gt;&#x27;</pre>"


def test_lessons_notebook_runs_headless_with_rich_outputs(tmp_path):
    import nbclient
    import nbformat

    nb = nbformat.read(ROOT / "examples" / "lessons.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            assert out.output_type != "error", out
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text
            outputs.setdefault(cell.source.splitlines()[-1], []).append(out)
    assert list(tmp_path.iterdir()) == []  # nothing written

    def data(last_line: str) -> dict:
        results = [o for o in outputs[last_line] if o.output_type == "execute_result"]
        assert len(results) == 1, outputs[last_line]
        return results[0]["data"]

    network = data("net")
    assert "text/plain" in network and "Network 4x3x1" in network["text/html"]
    assert "image/png" in data("history")
    assert "image/png" in data("nl.plot.plot_network(net)")
    assert "text/html" in data("neuron") and "text/html" in data("net.optimizer")
    text = "".join(o.get("text", "") for o in outputs["print(neuron.explain([4, 80]))"])
    assert "= 1.8008" in text and "0.858246" in text
    assert "'accuracy': 1.0" in data("net.evaluate(X, y)")["text/plain"]
    text = "".join(o.get("text", "") for o in outputs["print(step)"])
    assert "Connections most strengthened" in text and "Answer: 0, target 1: wrong" in text
    assert "image/png" in data("nl.plot.plot_step(fresh, X[3], y[3])")
