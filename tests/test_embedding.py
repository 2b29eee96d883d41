"""Embedding: PyTorch equivalence, gradients of repeated tokens, padding_idx, errors."""

import numpy as np
import pytest

import neuronal as nl


@pytest.mark.parametrize("shape", [(4, 7), (1, 1), (3,), (2, 3, 4)])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_matches_torch(shape, padding_idx, rng):
    torch = pytest.importorskip("torch")
    layer = nl.Embedding(6, 3, padding_idx=padding_idx)
    layer.build(np.random.default_rng(0), np.float64)
    module = torch.nn.Embedding(6, 3, padding_idx=padding_idx).double()
    module.weight.data.copy_(torch.from_numpy(layer.weight))
    ids = rng.integers(0, 6, size=shape)
    yt = module(torch.from_numpy(ids))
    y = layer.forward(ids)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(y.shape)
    yt.backward(torch.from_numpy(g))
    assert layer.backward(g) is None
    np.testing.assert_allclose(layer.grads()["weight"], module.weight.grad.numpy(), atol=1e-12)
    assert {k: tuple(v.shape) for k, v in module.state_dict().items()} == {
        k: v.shape for k, v in layer.state().items()}


def test_embedding_is_a_dense_layer_on_one_hot_vectors(rng):
    emb = nl.Embedding(5, 3, seed=0)
    ids = np.array([[0, 4, 4, 1]])
    one_hot = np.eye(5)[ids]
    np.testing.assert_allclose(emb(ids), one_hot @ emb.weight)
    assert emb(ids.astype(np.float32)).shape == (1, 4, 3)  # networks pass ids as floats


def test_embedding_padding_row_starts_at_zero_and_never_trains(rng):
    emb = nl.Embedding(4, 2, padding_idx=0, seed=0)
    np.testing.assert_array_equal(emb.weight[0], 0)
    emb.forward(np.array([[0, 0, 1]]))
    emb.backward(np.ones((1, 3, 2)))
    np.testing.assert_array_equal(emb.grads()["weight"][0], 0)
    np.testing.assert_array_equal(emb.grads()["weight"][1], 1)


def test_embedding_errors():
    emb = nl.Embedding(5, 2)
    with pytest.raises(nl.DataError, match=r"Embedding\(5 -> 2\).*0\.\.4.*from 0 to 7.*at least 8"):
        emb(np.array([[0, 7]]))
    with pytest.raises(nl.DataError, match="integer token ids.*non-integer"):
        emb.check_input(np.array([[0.5, 1.0]]))
    with pytest.raises(nl.ShapeError, match="positive integer"):
        nl.Embedding(0, 3)


def test_embedding_lstm_network_trains(rng):
    """Tokens -> Embedding -> LSTM -> Dense: fit lowers the loss (the sequence example's model)."""
    X = rng.integers(0, 4, size=(128, 6))
    y = X[:, 0]  # remember the first token of the sequence
    net = nl.Network([nl.Embedding(4, 5), nl.LSTM(5, 12), nl.Dense(12, 4, activation="softmax")],
                     optimizer=nl.Adam(0.02), seed=0)
    before = net.evaluate(X, y)["loss"]
    net.fit(X, y, epochs=15, batch_size=32, verbose=0)
    after = net.evaluate(X, y)
    assert after["loss"] < before / 2
    assert after["accuracy"] > 0.9
