"""nl.to_torch: standard torch modules computing predict_proba, and training like neuronal."""

import sys

import numpy as np
import pytest
from export_helpers import TOL, inputs, randomize
from export_networks import NETWORKS
from layer_examples import EXAMPLES, INTEGER_INPUTS

import neuronal as nl
from neuronal.export import to_torch
from neuronal.io import to_torch_state_dict
from neuronal.models import lenet

torch = pytest.importorskip("torch")
nn = torch.nn


def _run(model, X):
    with torch.no_grad():
        return model(torch.from_numpy(X)).numpy()


def _compare(net, shape, int_high=None, batches=(1, 2, 7), tol=TOL, **kwargs):
    model = to_torch(net, **kwargs)
    rng = np.random.default_rng(0)
    for n in batches:
        X = inputs(net, (n, *shape), rng, int_high)
        expected = net.predict_proba(X)
        out = _run(model, X)
        assert out.dtype == expected.dtype
        np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)
    return model


@pytest.mark.parametrize("kind,i,factory,shape", [
    pytest.param(kind, i, factory, shape, id=f"{kind}-{i}")
    for kind, entries in EXAMPLES.items() for i, (factory, shape) in enumerate(entries)
])
def test_every_layer_example(kind, i, factory, shape):
    net = randomize(nl.Network([factory()], seed=i), seed=i)
    _compare(net, shape[1:], INTEGER_INPUTS.get(kind), batches=(1, 3, shape[0]),
             input_shape=shape[1:])


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_networks_of_every_layer(name, dtype):
    build, shape, int_high = NETWORKS[name]
    net = build(dtype)
    model = _compare(net, shape, int_high, tol=TOL if dtype == "float32" else 1e-10,
                     input_shape=shape)
    expected = {np.float32: torch.float32, np.float64: torch.float64}[np.dtype(dtype).type]
    assert {p.dtype for p in model.parameters()} == {expected}
    assert not model.training  # evaluation mode: dropout off, batch norm on running statistics


@pytest.mark.parametrize("act", ["step", "sigmoid", "tanh", "relu", "leaky_relu", "linear",
                                 "softmax", "elu", "softplus", "gelu",
                                 {"name": "leaky_relu", "alpha": 0.3},
                                 {"name": "elu", "alpha": 0.5}], ids=str)
def test_every_activation(act):
    net = randomize(nl.Network([nl.Dense(6, 5, activation=act), nl.Activation(act),
                                nl.Dense(5, 4, activation=act)], seed=3), seed=3, scale=3.0)
    _compare(net, (6,))


def test_normalize_becomes_a_module_with_buffers():
    from neuronal.export._torch_modules import Rescale

    net = NETWORKS["normalize-mlp"][0]("float32")
    model = to_torch(net)
    assert [type(m) for m in model] == [Rescale, nn.Linear, nn.Tanh, Rescale, nn.Linear,
                                        nn.Softmax]
    state, expected = model.state_dict(), to_torch_state_dict(net)
    assert list(state) == list(expected)
    for key, value in expected.items():
        np.testing.assert_array_equal(state[key].numpy(), value)
    # mean and scale are saved with the model but never trained
    assert {n for n, _ in model.named_parameters()} == {"1.weight", "1.bias", "4.weight",
                                                         "4.bias"}
    assert {n for n, _ in model.named_buffers()} == {"0.mean", "0.scale", "3.mean", "3.scale"}


def test_keys_match_to_torch_state_dict_and_modules_are_standard():
    build, shape, _ = NETWORKS["lenet-like"]
    net = build("float32")
    model = to_torch(net)
    expected = to_torch_state_dict(net)
    state = model.state_dict()
    assert list(state) == list(expected)
    for key, value in expected.items():
        np.testing.assert_array_equal(state[key].numpy(), value)
    kinds = [type(m) for m in model]
    assert kinds == [nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Conv2d, nn.ReLU, nn.MaxPool2d,
                     nn.Flatten, nn.Linear, nn.ReLU, nn.Linear, nn.Softmax]


def test_the_mlp_of_the_issue_loads_a_model_file(tmp_path):
    """The README's old advice failed with Missing key "2.weight"; the module takes the file."""
    net = nl.Network.from_shape("784x16x10", hidden="sigmoid", seed=0)
    net.save(tmp_path / "m.safetensors")
    model = to_torch(nl.load(tmp_path / "m.safetensors"))
    assert [type(m) for m in model] == [nn.Linear, nn.Sigmoid, nn.Linear, nn.Softmax]
    model.load_state_dict({k: torch.from_numpy(v) for k, v in
                           to_torch_state_dict(tmp_path / "m.safetensors").items()})


def test_recurrent_modules_are_torch_recurrent_modules():
    build, shape, _ = NETWORKS["rnn-lstm-gru-stacked"]
    model = to_torch(build("float32"))
    assert [isinstance(m, cls) for m, cls in zip(model, [nn.RNN, nn.LSTM, nn.GRU, nn.RNN,
                                                         nn.GRU])] == [True] * 5
    assert all(m.batch_first for m in list(model)[:5])
    # the weights load into plain torch modules under the same names
    plain = nn.LSTM(5, 4, batch_first=True)
    plain.load_state_dict(model[1].state_dict())


def test_module_holds_copies():
    net = nl.Network.from_shape("3x2", seed=0)
    model = to_torch(net)
    net.layers[0].weights[...] = 0
    assert float(model[0].weight.detach().abs().sum()) > 0


# --------------------------------------------------------------------------- training


def _one_step(net, X, y, make_torch_opt):
    """One full-batch step in neuronal (fit) and in torch from the converted module."""
    model = to_torch(net).train()
    opt = make_torch_opt(model.parameters())
    if net.loss.name == "cross_entropy":
        assert isinstance(model[-1], nn.Softmax)
        loss = nn.CrossEntropyLoss()(model[:-1](torch.from_numpy(X)), torch.from_numpy(y))
    else:
        loss = nn.MSELoss()(model(torch.from_numpy(X)), torch.from_numpy(y))
    opt.zero_grad()
    loss.backward()
    opt.step()
    history = net.fit(X, y, epochs=1, batch_size=len(X), shuffle=False, verbose=0)
    assert history["loss"][0] == pytest.approx(loss.item(), rel=1e-9)
    return model


STEP_CASES = {
    "mlp": lambda: nl.Network([nl.Dense(6, 5, activation="tanh"), nl.Dense(5, 3,
                              activation="softmax")], seed=0, dtype="float64"),
    "cnn-batchnorm": lambda: nl.Network([
        nl.Conv2D(1, 3, 3, padding=1, activation="relu"), nl.BatchNorm(3), nl.MaxPool2D(2),
        nl.Conv2D(3, 2, 2, padding="same", activation="elu"), nl.AvgPool2D(2), nl.Flatten(),
        nl.Dense(2 * 2 * 2, 3, activation="softmax")], seed=1, dtype="float64"),
    "lstm-gru-rnn": lambda: nl.Network([
        nl.SimpleRNN(3, 4, return_sequences=True), nl.GRU(4, 5, return_sequences=True),
        nl.LSTM(5, 4), nl.Dense(4, 3, activation="softmax")], seed=2, dtype="float64"),
    "embedding-regression": lambda: nl.Network([
        nl.Embedding(7, 3), nl.GRU(3, 4), nl.Dense(4, 2, activation="gelu")], loss="mse",
        seed=3, dtype="float64"),
}
STEP_SHAPES = {"mlp": (6,), "cnn-batchnorm": (1, 8, 8), "lstm-gru-rnn": (5, 3),
               "embedding-regression": (4,)}


@pytest.mark.parametrize("name", STEP_CASES)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_training_step_matches_neuronal(name, optimizer):
    net = STEP_CASES[name]()
    randomize(net, seed=5)
    if optimizer == "sgd":
        net.optimizer = nl.SGD(learning_rate=0.1)
        make = lambda p: torch.optim.SGD(p, lr=0.1)  # noqa: E731
    else:
        net.optimizer = nl.Adam(learning_rate=0.01)
        make = lambda p: torch.optim.Adam(p, lr=0.01)  # noqa: E731
    rng = np.random.default_rng(7)
    shape = STEP_SHAPES[name]
    X = inputs(net, (8, *shape), rng, 7 if name.startswith("embedding") else None)
    y = (rng.integers(0, 3, 8) if net.loss.name == "cross_entropy"
         else rng.standard_normal((8, 2)))
    model = _one_step(net, X, y, make)
    after = to_torch_state_dict(net)  # neuronal's weights after its step, torch's names
    state = model.state_dict()
    assert list(state) == list(after)
    for key, value in after.items():
        if key.endswith("num_batches_tracked"):
            continue  # neuronal does not count batches
        np.testing.assert_allclose(state[key].numpy(), value, rtol=1e-9, atol=1e-12,
                                   err_msg=key)


def test_float32_training_step():
    """LeNet in float32: one SGD step in torch and in neuronal agree to float32 rounding."""
    net = randomize(lenet(seed=0))
    net.optimizer = nl.SGD(learning_rate=0.05)
    rng = np.random.default_rng(0)
    X = rng.random((4, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 4)
    model = _one_step_float32(net, X, y)
    after = to_torch_state_dict(net)
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(value.numpy(), after[key], rtol=1e-4, atol=1e-5, err_msg=key)


def _one_step_float32(net, X, y):
    model = to_torch(net).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss = nn.CrossEntropyLoss()(model[:-1](torch.from_numpy(X)), torch.from_numpy(y))
    loss.backward()
    opt.step()
    history = net.fit(X, y, epochs=1, batch_size=len(X), shuffle=False, verbose=0)
    assert history["loss"][0] == pytest.approx(loss.item(), rel=1e-5)
    return model


# --------------------------------------------------------------------------- bad input


def test_unknown_layer_type_is_named(monkeypatch):
    monkeypatch.setattr(nl.Layer, "types", dict(nl.Layer.types))

    class Halver(nl.Layer):
        def forward(self, x, training=False):
            return x / 2

    net = nl.Network([nl.Dense(3, 2), Halver()], seed=0)
    with pytest.raises(nl.NeuronalError, match=r"cannot convert layer 1 Halver to PyTorch: "
                       r"there is no converter for layer type Halver.*torch_converter\(Halver\)"):
        to_torch(net)


def test_unknown_activation_is_named():
    class Square(nl.activations.Activation):
        name = "square"

        def value(self, z):
            return z * z

    with pytest.raises(nl.NeuronalError, match=r"activation Square\(\) \(Square\) to PyTorch"):
        to_torch(nl.Network([nl.Dense(3, 2, activation=Square())], seed=0))


def test_unknown_input_shape_and_not_a_network():
    with pytest.raises(nl.NeuronalError, match="does not know the shape of its input yet"):
        to_torch(nl.Network([nl.BatchNorm(3)], seed=0))
    with pytest.raises(nl.NeuronalError, match="to_torch.. takes a neuronal Network, got list"):
        to_torch([nl.Dense(2, 2)])


def test_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(nl.NeuronalError, match="to_torch needs PyTorch"):
        to_torch(nl.Network.from_shape("2x2", seed=0))



@pytest.fixture
def registries(monkeypatch):
    """Converters and layer types a test registers are gone after it."""
    import neuronal.export._onnx_layers  # noqa: F401  (the built-in converters, registered
    import neuronal.export._onnx_recurrent  # noqa: F401  on import, stay)
    import neuronal.export._torch_modules  # noqa: F401
    from neuronal.export.registry import ONNX_CONVERTERS, TORCH_CONVERTERS

    monkeypatch.setattr(nl.Layer, "types", dict(nl.Layer.types))
    saved = [(table, dict(table)) for table in (ONNX_CONVERTERS, TORCH_CONVERTERS)]
    yield
    for table, content in saved:
        table.clear()
        table.update(content)


def test_a_registered_converter_extends_both_exporters(registries):
    """A new layer type exports once it registers an ONNX and a PyTorch converter."""
    import onnx
    from export_helpers import onnxruntime, reference

    from neuronal.export import onnx_converter, torch_converter

    class Scale(nl.Layer):
        """y = x * factor, one learnable factor per feature."""

        def __init__(self, n, **kw):
            super().__init__(**kw)
            self.n = n

        def _init_params(self, rng):
            self._params["factor"] = rng.uniform(0.5, 2.0, self.n).astype(self.dtype)

        def forward(self, x, training=False):
            return x * self._params["factor"]

    class TorchScale(nn.Module):
        def __init__(self, factor):
            super().__init__()
            self.factor = nn.Parameter(factor)

        def forward(self, x):
            return x * self.factor

    @onnx_converter(Scale)
    def _(g, layer, x, shape):
        return g.node("Mul", [x, g.weight("factor", layer.params()["factor"])])

    @torch_converter(Scale)
    def _(layer, shape):
        return [TorchScale(torch.from_numpy(layer.params()["factor"].copy()))]

    net = nl.Network([nl.Dense(4, 3), Scale(3), nl.Activation("softmax")], seed=0)
    X = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    expected = net.predict_proba(X)
    model = nl.export_onnx(net, None)
    onnx.checker.check_model(model, full_check=True)
    assert "1.factor" in {t.name for t in model.graph.initializer}
    np.testing.assert_allclose(reference(model, X), expected, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(onnxruntime(model, X), expected, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(_run(to_torch(net), X), expected, rtol=TOL, atol=TOL)
