"""SimpleRNN, LSTM and GRU: PyTorch equivalence (forward and every gradient), BPTT, errors."""

import numpy as np
import pytest

import neuronal as nl

TOL = 1e-5
NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def _pair(kind, n_in, n_hidden, seq, torch, nonlinearity="tanh"):
    if kind == "rnn":
        layer = nl.SimpleRNN(n_in, n_hidden, return_sequences=seq, nonlinearity=nonlinearity)
        module = torch.nn.RNN(n_in, n_hidden, nonlinearity=nonlinearity, batch_first=True)
    elif kind == "lstm":
        layer = nl.LSTM(n_in, n_hidden, return_sequences=seq)
        module = torch.nn.LSTM(n_in, n_hidden, batch_first=True)
    else:
        layer = nl.GRU(n_in, n_hidden, return_sequences=seq)
        module = torch.nn.GRU(n_in, n_hidden, batch_first=True)
    layer.build(np.random.default_rng(0), np.float64)
    module = module.double()
    # the same tensors under the same names: load our state_dict into PyTorch unchanged
    module.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in layer.state().items()})
    return layer, module


CASES = [
    # kind, n_inputs, n_hidden, (N, T), return_sequences
    ("rnn", 3, 5, (4, 6), False),
    ("rnn", 2, 3, (1, 1), True),
    ("rnn", 4, 2, (3, 9), True),
    ("lstm", 3, 5, (4, 6), False),
    ("lstm", 3, 5, (4, 6), True),
    ("lstm", 1, 4, (1, 11), False),
    ("lstm", 5, 3, (2, 1), True),
    ("lstm", 28, 16, (3, 28), False),
    ("gru", 3, 5, (4, 6), False),
    ("gru", 2, 4, (1, 7), True),
    ("gru", 4, 3, (3, 1), False),
]


@pytest.mark.parametrize("kind,n_in,n_hidden,nt,seq", CASES)
def test_recurrent_layer_matches_torch(kind, n_in, n_hidden, nt, seq, torch, rng):
    layer, module = _pair(kind, n_in, n_hidden, seq, torch)
    x = rng.standard_normal((*nt, n_in))
    xt = torch.tensor(x, requires_grad=True)
    out_t = module(xt)[0]
    if not seq:
        out_t = out_t[:, -1]
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, out_t.detach().numpy(), atol=TOL)
    g = rng.standard_normal(y.shape)
    out_t.backward(torch.from_numpy(g))
    np.testing.assert_allclose(layer.backward(g), xt.grad.numpy(), atol=TOL)
    for name in NAMES:
        np.testing.assert_allclose(layer.grads()[name], getattr(module, name).grad.numpy(),
                                   atol=TOL, err_msg=name)


def test_relu_rnn_matches_torch(torch, rng):
    layer, module = _pair("rnn", 3, 4, True, torch, nonlinearity="relu")
    x = rng.standard_normal((2, 5, 3))
    xt = torch.tensor(x, requires_grad=True)
    out_t = module(xt)[0]
    y = layer.forward(x)
    np.testing.assert_allclose(y, out_t.detach().numpy(), atol=TOL)
    g = rng.standard_normal(y.shape)
    out_t.backward(torch.from_numpy(g))
    np.testing.assert_allclose(layer.backward(g), xt.grad.numpy(), atol=TOL)
    np.testing.assert_allclose(layer.grads()["weight_hh_l0"], module.weight_hh_l0.grad.numpy(),
                               atol=TOL)


@pytest.mark.parametrize("kind,gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_state_dict_names_and_shapes_match_torch(kind, gates, torch):
    layer, module = _pair(kind, 7, 5, False, torch)
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    assert {k: v.shape for k, v in layer.state().items()} == expected
    assert layer.weight_ih_l0.shape == (gates * 5, 7)
    assert layer.weight_hh_l0.shape == (gates * 5, 5)
    assert layer.n_neurons == 5
    assert layer.n_params == gates * (5 * 7 + 5 * 5 + 2 * 5)


def test_a_single_bias_loads_as_bias_ih_with_zero_bias_hh(rng):
    """The RNN/LSTM biases are redundant: (b, 0) computes the same as (b - c, c)."""
    for cls in (nl.SimpleRNN, nl.LSTM):
        layer = cls(3, 4, seed=0, dtype="float64")
        x = rng.standard_normal((2, 5, 3))
        before = layer(x)
        b = layer.params()["bias_ih_l0"] + layer.params()["bias_hh_l0"]
        state = {**layer.state(), "bias_ih_l0": b, "bias_hh_l0": np.zeros_like(b)}
        layer.load_state(state)
        np.testing.assert_allclose(layer(x), before, atol=1e-12)


def test_lstm_gate_layout_is_i_f_g_o():
    """Saturate one gate block at a time through its bias and watch the cell."""
    lstm = nl.LSTM(1, 1, seed=0, dtype="float64")
    lstm.params()["weight_ih_l0"][:] = 0
    lstm.params()["weight_hh_l0"][:] = 0
    lstm.params()["bias_hh_l0"][:] = 0
    # i open, f shut, g = tanh(1), o open: h_1 = tanh(tanh(1))
    lstm.params()["bias_ih_l0"][:] = [50, -50, 1.0, 50]
    assert np.isclose(lstm(np.zeros((1, 1, 1)))[0, 0], np.tanh(np.tanh(1.0)))
    # output gate shut: h = 0 whatever the cell holds
    lstm.params()["bias_ih_l0"][:] = [50, -50, 1.0, -50]
    assert abs(lstm(np.zeros((1, 1, 1)))[0, 0]) < 1e-12


def test_bptt_reaches_the_first_step(rng):
    """The last output depends on the first input: its gradient there is not zero."""
    lstm = nl.LSTM(2, 8, seed=0, dtype="float64")
    x = rng.standard_normal((1, 20, 2))
    y = lstm(x)
    dx = lstm.backward(np.ones_like(y))
    assert np.abs(dx[0, 0]).sum() > 1e-8


def test_first_layer_skips_input_gradient(rng):
    gru = nl.GRU(2, 3, seed=0)
    gru.needs_input_grad = False
    y = gru(rng.standard_normal((2, 4, 2)))
    assert gru.backward(np.ones_like(y)) is None


def test_output_shapes():
    assert nl.LSTM(28, 64).output_shape((28, 28)) == (64,)
    assert nl.LSTM(28, 64, return_sequences=True).output_shape((28, 28)) == (28, 64)
    assert nl.GRU(3, 5, return_sequences=True).output_shape((None, 3)) == (None, 5)


def test_recurrent_shape_errors_name_layer_expected_got_and_fix():
    lstm = nl.LSTM(28, 64)
    with pytest.raises(nl.ShapeError, match=r"LSTM\(28 -> 64\) expects input of shape "
                                            r"\(batch, steps, 28\), got \(5, 784\).*"
                                            r"x.reshape\(len\(x\), 28, 28\)"):
        lstm(np.zeros((5, 784)))
    with pytest.raises(nl.ShapeError, match="time axis"):
        lstm(np.zeros((5, 28)))
    with pytest.raises(nl.ShapeError, match=r"time-last.*transpose\(0, 2, 1\)"):
        lstm(np.zeros((5, 28, 7)))
    with pytest.raises(nl.ShapeError, match="n_inputs=3"):
        nl.GRU(4, 2)(np.zeros((2, 5, 3)))
    with pytest.raises(nl.NeuronalError, match="nonlinearity"):
        nl.SimpleRNN(2, 3, nonlinearity="sigmoid")


def test_lstm_learns_to_add_a_sequence(rng):
    """A many-to-one regression: the sum of a short sequence, learned through BPTT."""
    X = rng.uniform(-1, 1, size=(256, 5, 1)).astype(np.float32)
    y = X.sum(axis=(1, 2))[:, None]
    net = nl.Network([nl.LSTM(1, 16), nl.Dense(16, 1)], optimizer=nl.Adam(0.01), seed=0)
    before = net.evaluate(X, y)["loss"]
    net.fit(X, y, epochs=30, batch_size=32, verbose=0)
    assert net.evaluate(X, y)["loss"] < before / 10
