"""nl.export_onnx: the ONNX model computes predict_proba, in onnx.reference and ONNX Runtime.

Every layer type (one network per example of ``layer_examples.py``, and networks of every
layer in context from ``export_networks.py``), every activation, several batch sizes, opsets,
float64, the file's structure, and every error a user can cause.
"""

import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from export_helpers import TOL, inputs, onnxruntime, randomize, reference
from export_networks import NETWORKS
from layer_examples import EXAMPLES, INTEGER_INPUTS

import neuronal as nl
from neuronal.export import export_onnx
from neuronal.export.registry import ONNX_CONVERTERS, TORCH_CONVERTERS

BATCHES = (1, 2, 7)


def _compare(net, model, shape, int_high=None, batches=BATCHES, tol=TOL, seed=0):
    rng = np.random.default_rng(seed)
    for n in batches:
        X = inputs(net, (n, *shape), rng, int_high)
        expected = net.predict_proba(X)
        for name, run in (("onnx.reference", reference), ("onnxruntime", onnxruntime)):
            out = run(model, X)
            assert out.shape == expected.shape, name
            assert out.dtype == expected.dtype, name
            np.testing.assert_allclose(out, expected, rtol=tol, atol=tol, err_msg=name)


def test_every_layer_type_has_converters():
    import neuronal.export._onnx_layers  # noqa: F401
    import neuronal.export._onnx_recurrent  # noqa: F401
    import neuronal.export._torch_modules  # noqa: F401

    types = {cls for name, cls in nl.Layer.types.items()}
    assert not types - set(ONNX_CONVERTERS), "layer types without an ONNX converter"
    assert not types - set(TORCH_CONVERTERS), "layer types without a PyTorch converter"


@pytest.mark.parametrize("kind,i,factory,shape", [
    pytest.param(kind, i, factory, shape, id=f"{kind}-{i}")
    for kind, entries in EXAMPLES.items() for i, (factory, shape) in enumerate(entries)
])
def test_every_layer_example(kind, i, factory, shape):
    net = randomize(nl.Network([factory()], seed=i), seed=i)
    model = export_onnx(net, None, input_shape=shape[1:])
    onnx.checker.check_model(model, full_check=True)
    _compare(net, model, shape[1:], INTEGER_INPUTS.get(kind), batches=(1, 3, shape[0]))


@pytest.mark.parametrize("name", NETWORKS)
def test_networks_of_every_layer(name, tmp_path):
    build, shape, int_high = NETWORKS[name]
    net = build("float32")
    path = tmp_path / "net.onnx"
    export_onnx(net, path, input_shape=shape)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    _compare(net, model, shape, int_high)


ACTIVATIONS = ["step", "sigmoid", "tanh", "relu", "leaky_relu", {"name": "leaky_relu",
               "alpha": 0.2}, "linear", "softmax", "elu", {"name": "elu", "alpha": 0.4},
               "softplus", "gelu"]


@pytest.mark.parametrize("act", ACTIVATIONS, ids=str)
@pytest.mark.parametrize("scale", [1.0, 40.0], ids=["moderate", "large"])
def test_every_activation(act, scale):
    """In a Dense layer and as an Activation layer, for moderate and large pre-activations."""
    net = randomize(nl.Network([nl.Dense(6, 5, activation=act), nl.Activation(act),
                                nl.Dense(5, 4, activation=act)], seed=3), seed=3, scale=scale)
    model = export_onnx(net, None)
    onnx.checker.check_model(model, full_check=True)
    _compare(net, model, (6,))


def test_a_whole_sample_of_token_ids_given_as_floats():
    """An Embedding behind another layer reads float token ids: cast to int64 in the graph."""
    net = randomize(nl.Network([nl.Dropout(0.2), nl.Embedding(6, 3), nl.Flatten(),
                                nl.Dense(12, 2, activation="softmax")], seed=0))
    model = export_onnx(net, None, input_shape=(4,))
    X = np.random.default_rng(0).integers(0, 6, (5, 4)).astype(np.float32)
    expected = net.predict_proba(X)
    np.testing.assert_allclose(reference(model, X), expected, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(onnxruntime(model, X), expected, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("opset,ir_version", [(13, 7), (17, 8), (21, 10)])
def test_opsets_and_ir_versions(opset, ir_version):
    build, shape, _ = NETWORKS["cnn-lstm-image-sequences"]
    net = build("float32")
    model = export_onnx(net, None, opset=opset, input_shape=shape)
    assert [(o.domain, o.version) for o in model.opset_import] == [("", opset)]
    assert model.ir_version == ir_version
    onnx.checker.check_model(model, full_check=True)
    _compare(net, model, shape, batches=(1, 3))


def test_default_opset_and_ir_version_load_in_runtimes_of_the_last_years():
    model = export_onnx(nl.Network.from_shape("4x3x2", seed=0), None)
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    assert model.ir_version == 8  # ONNX Runtime 1.13 (2022) reads IR 8 and opset 17


def test_file_structure_and_dynamic_batch(tmp_path):
    net = nl.Network.from_shape("6x4x3", hidden="relu", seed=1, name="tiny")
    path = tmp_path / "tiny.onnx"
    net.to_onnx(path)  # the method delegates to export_onnx
    model = onnx.load(path)
    onnx.checker.check_model(str(path), full_check=True)
    graph = model.graph
    assert graph.name == "tiny"
    assert [i.name for i in graph.input] == ["input"]
    assert [o.name for o in graph.output] == ["output"]
    dims = graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 6
    assert graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    gemms = [n for n in graph.node if n.op_type == "Gemm"]
    assert len(gemms) == 2
    assert all(onnx.helper.get_attribute_value(a) == 1 for n in gemms for a in n.attribute
               if a.name == "transB")
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    np.testing.assert_array_equal(weights["0.weight"], net.layers[0].weights)  # no transpose
    np.testing.assert_array_equal(weights["1.bias"], net.layers[1].bias)
    assert model.producer_name == "neuronal"
    props = {p.key: p.value for p in model.metadata_props}
    assert props["neuronal.shape"] == "6x4x3"
    assert nl.Network.from_config(__import__("json").loads(props["neuronal.config"])).shape \
        == "6x4x3"
    X = np.random.default_rng(0).standard_normal((1000, 6)).astype(np.float32)
    np.testing.assert_allclose(onnxruntime(model, X), net.predict_proba(X), rtol=TOL, atol=TOL)


def test_trained_sample_shape_is_the_default_input_shape():
    net = nl.Network([nl.Conv2D(1, 2, 3, activation="relu"), nl.Flatten(),
                      nl.Dense(2 * 4 * 4, 2, activation="softmax")], seed=0)
    open_dims = export_onnx(net, None).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value or d.dim_param for d in open_dims] == ["batch", 1, "input_dim2",
                                                               "input_dim3"]
    X = np.random.default_rng(0).random((8, 1, 6, 6), dtype=np.float32)
    net.fit(X, np.arange(8) % 2, epochs=1, verbose=0)
    dims = export_onnx(net, None).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value or d.dim_param for d in dims] == ["batch", 1, 6, 6]


# --------------------------------------------------------------------------- float64


def test_float64_network_exports_as_float64():
    build, shape, _ = NETWORKS["mlp-sigmoid-softmax"]
    net = build("float64")
    model = export_onnx(net, None)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert {t.data_type for t in model.graph.initializer} == {onnx.TensorProto.DOUBLE}
    _compare(net, model, shape, tol=1e-12)


@pytest.mark.parametrize("name", ["lenet-like", "rnn-lstm-gru-stacked", "pools-batchnorm-2d"])
def test_float64_convolutions_and_recurrences(name):
    """float64: the reference runtime runs the float64 model; ONNX Runtime (no float64 Conv,
    AveragePool, RNN, LSTM or GRU kernels) runs the model exported with dtype="float32"."""
    build, shape, _ = NETWORKS[name]
    net = build("float64")
    X = np.random.default_rng(1).standard_normal((3, *shape))
    expected = net.predict_proba(X)
    np.testing.assert_allclose(reference(export_onnx(net, None, input_shape=shape), X), expected,
                               rtol=1e-10, atol=1e-12)
    as32 = export_onnx(net, None, dtype="float32", input_shape=shape)
    assert as32.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    np.testing.assert_allclose(onnxruntime(as32, X.astype(np.float32)), expected, rtol=TOL,
                               atol=TOL)


def test_float32_network_exported_as_float64():
    build, shape, _ = NETWORKS["mlp-no-bias-dropout-activation"]
    net = build("float32")
    model = export_onnx(net, None, dtype="float64")
    X = np.random.default_rng(2).standard_normal((4, *shape))
    np.testing.assert_allclose(onnxruntime(model, X), net.predict_proba(X), rtol=TOL, atol=TOL)


# --------------------------------------------------------------------------- bad input


@pytest.fixture
def layer_types(monkeypatch):
    """Layer classes defined by a test stay out of the registry other tests check."""
    monkeypatch.setattr(nl.Layer, "types", dict(nl.Layer.types))


def test_unknown_layer_type_is_named(layer_types):
    class Doubler(nl.Layer):
        def forward(self, x, training=False):
            return 2 * x

    net = nl.Network([nl.Dense(3, 2), Doubler()], seed=0)
    with pytest.raises(nl.NeuronalError, match=r"cannot convert layer 1 Doubler to ONNX: "
                       r"there is no converter for layer type Doubler.*onnx_converter\(Doubler\)"):
        export_onnx(net, None)


def test_subclass_of_a_known_layer_is_not_taken_for_it(layer_types):
    class ScaledDense(nl.Dense):
        def forward(self, x, training=False):
            return 3 * super().forward(x, training)

    net = nl.Network([ScaledDense(3, 2)], seed=0)
    with pytest.raises(nl.NeuronalError, match="ScaledDense is a subclass of Dense"):
        export_onnx(net, None)


def test_unknown_activation_is_named():
    class Cube(nl.activations.Activation):
        name = "cube"

        def value(self, z):
            return z**3

    net = nl.Network([nl.Dense(3, 2, activation=Cube())], seed=0)
    with pytest.raises(nl.NeuronalError, match=r"cannot convert the activation Cube\(\) "
                       r"\(Cube\) to ONNX"):
        export_onnx(net, None)


def test_network_with_unknown_input_shape():
    net = nl.Network([nl.Dropout(0.1), nl.Activation("relu")], seed=0)
    with pytest.raises(nl.NeuronalError, match=r"does not know the shape of its input yet.*"
                       r"pass input_shape="):
        export_onnx(net, None)
    model = export_onnx(net, None, input_shape=(3,))  # then it exports: an Identity graph
    X = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(onnxruntime(model, X), np.maximum(X, 0))


def test_unbuilt_layer():
    net = nl.Network.from_shape("4x3x2", seed=0)
    net.layers[1] = nl.Dense(3, 2)  # swapped in by hand: never built by the network
    with pytest.raises(nl.NeuronalError, match=r"layer 1 Dense\(3 -> 2, linear\) has no "
                       r"parameters yet \(it was never built\)"):
        export_onnx(net, None)


def test_not_a_network():
    with pytest.raises(nl.NeuronalError, match="takes a neuronal Network, got Dense"):
        export_onnx(nl.Dense(3, 2), "x.onnx")


@pytest.mark.parametrize("shape,match", [
    ((1, 28), r"layer 0 Conv2D\(1 -> 2, 3x3, linear\) expects samples of shape \(batch, 1, "
              r"\?, \?\) but gets \(batch, 1, 28\)"),
    ("1,28,28", "input_shape must be the shape of one sample"),
    ((1, 0, 28), "input_shape must be"),
    ((1, 2.5, 28), "input_shape must be"),
])
def test_bad_input_shape(shape, match):
    net = nl.Network([nl.Conv2D(1, 2, 3)], seed=0)
    with pytest.raises(nl.ShapeError, match=match):
        export_onnx(net, None, input_shape=shape)


@pytest.mark.parametrize("opset", [12, 10_000, "17", 17.0, True])
def test_bad_opset(opset):
    with pytest.raises(nl.NeuronalError, match=r"opset must be an integer from 13 to \d+"):
        export_onnx(nl.Network.from_shape("2x2", seed=0), None, opset=opset)


def test_bad_dtype():
    with pytest.raises(nl.NeuronalError, match="dtype must be None .*'float32' or 'float64'"):
        export_onnx(nl.Network.from_shape("2x2", seed=0), None, dtype="int8")


def test_unwritable_path(tmp_path):
    net = nl.Network.from_shape("2x2", seed=0)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(nl.NeuronalError, match=r"cannot save the ONNX model to '.*a_file/"
                       r"model\.onnx': '.*a_file' is a file, not a folder; choose a writable"):
        export_onnx(net, blocker / "model.onnx")
    with pytest.raises(nl.NeuronalError, match="it is a directory"):
        export_onnx(net, tmp_path)


def test_written_atomically(tmp_path):
    path = tmp_path / "deep" / "er" / "model.onnx"  # parent directories are created
    net = nl.Network.from_shape("3x2", seed=0)
    model = export_onnx(net, path)
    assert path.read_bytes() == model.SerializeToString()
    before = path.read_bytes()
    net.layers[0].activation = type("Odd", (nl.activations.Activation,), {"name": "odd"})()
    with pytest.raises(nl.NeuronalError):  # a failed export leaves the old file as it was
        export_onnx(net, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.onnx"]  # no temporaries


def test_without_the_onnx_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(nl.NeuronalError, match=r"needs the onnx package.*neuronal\[onnx\]"):
        export_onnx(nl.Network.from_shape("2x2", seed=0), None)


def test_import_neuronal_imports_neither_onnx_nor_torch():
    code = ("import sys, neuronal; "
            "print(sorted(m for m in ('onnx', 'onnxruntime', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert out.stdout.strip() == "[]"
