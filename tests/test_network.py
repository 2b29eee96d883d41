"""The sequential network: counts, summary, prediction, evaluation, XOR, dtypes, configuration."""

import numpy as np
import pytest

import neuronal as nl
from neuronal.network import parse_shape

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


# --------------------------------------------------------------------------- counts and shape


@pytest.mark.parametrize("shape,neurons,weights,params", [
    ("784x16x10", 26, 12704, 12730),   # 784*16 + 16*10 weights, + 26 biases
    ("4x3x1", 4, 15, 19),              # 4*3 + 3*1 weights, + 4 biases
    ([2, 2, 1], 3, 6, 9),
])
def test_from_shape_counts(shape, neurons, weights, params):
    net = nl.Network.from_shape(shape, seed=0)
    assert (net.n_neurons, net.n_weights, net.n_params) == (neurons, weights, params)
    assert net.shape == (shape if isinstance(shape, str) else "x".join(map(str, shape)))


def test_from_shape_layers_and_activations():
    net = nl.Network.from_shape("5x4x3x2", hidden="relu", output="softmax", seed=0)
    assert [type(l) for l in net.layers] == [nl.Dense] * 3
    assert [l.activation.name for l in net.layers] == ["relu", "relu", "softmax"]
    assert [l.weights.shape for l in net.layers] == [(4, 5), (3, 4), (2, 3)]
    assert net.loss.name == "cross_entropy"   # default after a softmax output
    assert nl.Network.from_shape("3x1", output="linear").loss.name == "mse"
    assert net.optimizer.name == "sgd"


@pytest.mark.parametrize("text,sizes", [("784x16x10", [784, 16, 10]), (" 4 X 3 x 1 ", [4, 3, 1]),
                                        ("4×3", [4, 3]), ("4,3,2", [4, 3, 2]), ((2, 5), [2, 5])])
def test_parse_shape(text, sizes):
    assert parse_shape(text) == sizes


def test_dropout_adds_no_neurons_and_shape_ignores_it():
    net = nl.Network([nl.Dense(4, 3, activation="relu"), nl.Dropout(0.5),
                      nl.Dense(3, 2, activation="softmax")], seed=0)
    assert net.shape == "4x3x2"
    assert (net.n_neurons, net.n_weights, net.n_params) == (5, 18, 23)


# --------------------------------------------------------------------------- summary, repr


def test_summary_table():
    net = nl.Network.from_shape("784x16x10", seed=0, name="digits")
    printed = []
    table = net.summary(print_fn=printed.append)
    assert printed == [table]
    lines = table.splitlines()
    assert lines[0].startswith("Network 784x16x10 'digits'; loss cross_entropy; optimizer SGD(")
    assert lines[1].split() == ["#", "layer", "output", "neurons", "weights", "params"]
    row0, row1, total = lines[3].split(), lines[4].split(), lines[-1].split()
    assert row0[0] == "0" and "Dense(784 -> 16, sigmoid)" in lines[3]
    assert row0[-4:] == ["16", "16", "12,544", "12,560"]
    assert "Dense(16 -> 10, softmax)" in lines[4]
    assert row1[-4:] == ["10", "10", "160", "170"]
    assert total == ["total", "26", "12,704", "12,730"]
    assert set(lines[2]) <= {"-", " "} and set(lines[-2]) <= {"-", " "}


def test_summary_prints_by_default(capsys):
    net = nl.Network.from_shape("4x3x1", output="sigmoid", seed=0)
    table = net.summary()
    assert capsys.readouterr().out.strip() == table.strip()
    assert "Dropout" in nl.Network([nl.Dense(4, 3), nl.Dropout(0.1), nl.Dense(3, 1)]).summary(
        print_fn=None)


def test_repr():
    text = repr(nl.Network.from_shape("784x16x10", seed=0))
    assert text.startswith("Network 784x16x10 (26 neurons, 12,730 parameters; loss cross_entropy")


# --------------------------------------------------------------------------- propagation


def test_forward_is_the_matrix_formula(rng):
    net = nl.Network.from_shape("3x4x2", hidden="tanh", output="sigmoid",
                                loss="binary_cross_entropy", seed=0, dtype="float64")
    X = rng.standard_normal((5, 3))
    W1, b1 = net.layers[0].weights, net.layers[0].bias
    W2, b2 = net.layers[1].weights, net.layers[1].bias
    expected = 1 / (1 + np.exp(-(np.tanh(X @ W1.T + b1) @ W2.T + b2)))
    np.testing.assert_allclose(net.predict_proba(X), expected, rtol=1e-12)


# --------------------------------------------------------------------------- predict / evaluate


def blobs(rng, n=90, k=3):
    centres = np.array([[3, 0], [-3, 0], [0, 3]], dtype=float)[:k]
    labels = np.arange(n) % k
    return centres[labels] + 0.5 * rng.standard_normal((n, 2)), labels


def test_classification_with_int_labels_and_one_hot(rng):
    X, labels = blobs(rng)
    one_hot = np.eye(3)[labels]
    net = nl.Network.from_shape("2x8x3", hidden="tanh", output="softmax",
                                optimizer=nl.Adam(0.05), seed=0)
    net.fit(X, labels, epochs=30, batch_size=16, verbose=0)
    proba = net.predict_proba(X)
    assert proba.shape == (90, 3) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    pred = net.predict(X)
    assert pred.shape == (90,) and pred.dtype.kind == "i"
    np.testing.assert_array_equal(pred, proba.argmax(axis=1))
    assert np.mean(pred == labels) == 1.0
    by_label, by_one_hot = net.evaluate(X, labels), net.evaluate(X, one_hot)
    assert set(by_label) == {"loss", "accuracy"}
    assert by_label["loss"] == pytest.approx(by_one_hot["loss"], rel=1e-6)
    assert by_label["accuracy"] == by_one_hot["accuracy"] == 1.0
    # integer labels given as a column, or as floats, are accepted as well
    assert net.evaluate(X, labels[:, None])["loss"] == pytest.approx(by_label["loss"], rel=1e-6)
    assert net.evaluate(X, labels.astype(float))["loss"] == pytest.approx(by_label["loss"],
                                                                          rel=1e-6)
    # and one-hot training works too
    net2 = nl.Network.from_shape("2x8x3", hidden="tanh", output="softmax",
                                 optimizer=nl.Adam(0.05), seed=0)
    net2.fit(X, one_hot, epochs=30, batch_size=16, verbose=0)
    np.testing.assert_array_equal(net2.predict(X), pred)


def test_evaluate_loss_is_the_mean_loss(rng):
    X, labels = blobs(rng)
    net = nl.Network.from_shape("2x5x3", seed=3, dtype="float64")
    proba = net.predict_proba(X)
    expected = -np.mean(np.log(proba[np.arange(len(X)), labels]))
    result = net.evaluate(X, labels)
    assert result["loss"] == pytest.approx(expected, rel=1e-10)
    assert result["accuracy"] == pytest.approx(np.mean(proba.argmax(1) == labels))


def test_evaluate_and_predict_in_chunks(rng):
    """More rows than one forward chunk: the result must equal the one-pass computation."""
    n = 9000
    X = rng.standard_normal((n, 3))
    labels = rng.integers(0, 4, n)
    net = nl.Network.from_shape("3x6x4", hidden="relu", seed=1, dtype="float64")
    out = net.forward(X)
    np.testing.assert_allclose(net.predict_proba(X), out, rtol=1e-12)
    expected = -np.mean(np.log(out[np.arange(n), labels]))
    assert net.evaluate(X, labels)["loss"] == pytest.approx(expected, rel=1e-10)
    Y = rng.standard_normal((n, 1))
    reg = nl.Network.from_shape("3x6x1", hidden="relu", output="linear", seed=1,
                                dtype="float64")
    assert reg.evaluate(X, Y)["loss"] == pytest.approx(np.mean((reg.forward(X) - Y) ** 2),
                                                       rel=1e-10)


def test_wide_layers_predict_in_smaller_chunks(rng):
    """Chunks shrink with the widest sample-sized array (memory), and give the same result."""
    from neuronal.models import lenet

    net = lenet(seed=0)
    rows = nl._inputs.chunk_rows(net, (1, 28, 28))
    assert rows == (1 << 18) // (6 * 28 * 28)  # the first convolution's output is the widest
    assert nl._inputs.chunk_rows(nl.Network.from_shape("784x16x10"), (784,)) == (1 << 18) // 784
    assert nl._inputs.chunk_rows(nl.Network.from_shape("3x6x4"), (3,)) == 4096
    X = rng.random((2 * rows + 7, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(net.predict_proba(X), net.forward(X), rtol=1e-5, atol=1e-7)


def test_binary_classification(rng):
    X = rng.standard_normal((80, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    net = nl.Network.from_shape("2x4x1", hidden="tanh", output="sigmoid",
                                loss="binary_cross_entropy", optimizer=nl.Adam(0.05), seed=0)
    net.fit(X, y, epochs=40, batch_size=16, verbose=0)
    pred = net.predict(X)
    assert pred.shape == (80,)
    np.testing.assert_array_equal(pred, (net.predict_proba(X)[:, 0] >= 0.5).astype(int))
    result = net.evaluate(X, y)
    assert result["accuracy"] >= 0.95
    assert net.evaluate(X, y[:, None]) == result


def test_several_sigmoid_outputs_take_class_labels(rng):
    """One sigmoid per class (Nielsen's chapter 3): integer labels become one-hot rows, and
    accuracy is the largest output's class, as for softmax (issue 15)."""
    X = rng.standard_normal((120, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    net = nl.Network.from_shape("4x8x2", hidden="tanh", output="sigmoid",
                                loss="binary_cross_entropy", optimizer=nl.Adam(0.05), seed=0)
    history = net.fit(X, y, epochs=30, batch_size=16, verbose=0)
    result = net.evaluate(X, y)
    assert result == net.evaluate(X, y[:, None]) == net.evaluate(X, np.eye(2)[y])
    out = net.predict_proba(X)
    assert result["accuracy"] == np.mean(out.argmax(axis=1) == y) >= 0.95
    assert history["accuracy"][-1] >= 0.9
    with pytest.raises(nl.DataError, match=r"labels must lie in 0\.\.1 .* got values from 0 to 2"):
        net.evaluate(X[:3], [0, 1, 2])
    with pytest.raises(nl.ShapeError, match=r"expects y as integer labels of shape \(3,\) in "
                       r"0\.\.1 or one-hot rows of shape \(3, 2\); got shape \(3, 3\)"):
        net.evaluate(X[:3], np.zeros((3, 3)))
    assert net.predict(X[:5]).tolist() == out[:5].argmax(axis=1).tolist()  # classes


def test_several_sigmoid_outputs_with_several_answers_per_sample():
    """Rows of 0/1 answers (several yes/no questions per sample) count the fraction of
    outputs answered right."""
    net = nl.Network([nl.Dense(1, 3, activation="sigmoid")], loss="binary_cross_entropy",
                     seed=0)
    net.layers[0].weights[...] = [[10.0], [9.0], [-10.0]]  # for x = 1: outputs ~(1, 1, 0)
    X = np.ones((4, 1))
    Y = np.array([[1, 1, 0],   # 3 of 3 answers right
                  [1, 0, 0],   # 2 of 3
                  [0, 1, 1],   # 1 of 3
                  [0, 0, 1]])  # 0 of 3
    assert net.evaluate(X, Y)["accuracy"] == pytest.approx(0.5)
    assert not net.labelled
    assert net.evaluate(X, [0, 0, 1, 2])["accuracy"] == 0.5  # class labels: the largest output
    assert net.labelled and net.get_config()["labelled"]  # saved with the model
    assert nl.Network.from_config(net.get_config()).labelled


def test_regression(rng):
    X = rng.uniform(-1, 1, (100, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    net = nl.Network([nl.Dense(3, 1)], loss="mse", optimizer=nl.SGD(0.1), seed=0)
    history = net.fit(X, y, epochs=100, batch_size=10, verbose=0)
    assert "accuracy" not in history.history
    pred = net.predict(X)
    assert pred.shape == (100, 1)
    np.testing.assert_array_equal(pred, net.predict_proba(X))
    result = net.evaluate(X, y)
    assert set(result) == {"loss"} and result["loss"] < 1e-4
    np.testing.assert_allclose(net.layers[0].weights, [[1.0, -2.0, 0.5]], atol=0.01)
    np.testing.assert_allclose(net.layers[0].bias, [0.3], atol=0.01)


def test_predict_is_deterministic_with_dropout(rng):
    net = nl.Network([nl.Dense(3, 8, activation="relu"), nl.Dropout(0.5),
                      nl.Dense(8, 2, activation="softmax")], seed=0)
    X = rng.standard_normal((10, 3))
    np.testing.assert_array_equal(net.predict_proba(X), net.predict_proba(X))


def test_lists_are_accepted():
    net = nl.Network.from_shape("2x3x2", seed=0)
    assert net.predict([[0.0, 1.0], [1.0, 0.0]]).tolist() in ([0, 0], [0, 1], [1, 0], [1, 1])


# --------------------------------------------------------------------------- training


def test_xor_is_learned_to_100_percent():
    net = nl.Network.from_shape("2x4x1", hidden="tanh", output="sigmoid",
                                loss="binary_cross_entropy", optimizer=nl.Adam(0.05), seed=0)
    history = net.fit(XOR_X, XOR_Y, epochs=300, batch_size=4, verbose=0)
    np.testing.assert_array_equal(net.predict(XOR_X), XOR_Y)
    assert net.evaluate(XOR_X, XOR_Y)["accuracy"] == 1.0
    assert history["accuracy"][-1] == 1.0
    assert history["loss"][-1] < 0.1 < history["loss"][0]


def test_xor_with_softmax_output():
    net = nl.Network.from_shape("2x8x2", hidden="tanh", output="softmax",
                                optimizer=nl.SGD(0.5, momentum=0.9), seed=1)
    net.fit(XOR_X, XOR_Y, epochs=200, batch_size=4, verbose=0)
    np.testing.assert_array_equal(net.predict(XOR_X), XOR_Y)


def test_fit_again_continues(rng):
    X, labels = blobs(rng)
    net = nl.Network.from_shape("2x5x3", seed=0, optimizer=nl.SGD(0.1))
    first = net.fit(X, labels, epochs=3, verbose=0)
    after_first = net.get_weights()
    second = net.fit(X, labels, epochs=2, verbose=0)
    assert net.epochs_trained == 5
    assert first.epoch == [0, 1, 2] and second.epoch == [3, 4]
    assert net.history.epoch == [0, 1, 2, 3, 4]
    assert net.history["loss"] == first["loss"] + second["loss"]
    assert second["loss"][0] < first["loss"][0]   # did not start over
    changed = any(not np.array_equal(a["weight"], b["weight"])
                  for a, b in zip(after_first, net.get_weights()))
    assert changed


def test_zero_epochs_changes_nothing(rng):
    X, labels = blobs(rng)
    net = nl.Network.from_shape("2x5x3", seed=0)
    before = net.get_weights()
    history = net.fit(X, labels, epochs=0, verbose=0)
    assert history.history == {} and net.epochs_trained == 0
    for a, b in zip(before, net.get_weights()):
        np.testing.assert_array_equal(a["weight"], b["weight"])


def test_verbose_prints_one_line_per_epoch(rng, capsys):
    X, labels = blobs(rng)
    nl.Network.from_shape("2x5x3", seed=0).fit(X, labels, epochs=2, verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("epoch 1/2") and "loss" in lines[0] and "accuracy" in lines[0]


# --------------------------------------------------------------------------- dtypes


def test_float32_by_default(rng):
    net = nl.Network.from_shape("3x4x2", seed=0)
    assert net.dtype == np.float32
    assert all(p.dtype == np.float32 and g.dtype == np.float32 for p, g in net.parameters())
    assert net.predict_proba(rng.standard_normal((2, 3))).dtype == np.float32


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_float64_on_request_stays_float64(optimizer, rng):
    X, labels = blobs(rng)
    net = nl.Network([nl.Dense(2, 5, activation="relu"), nl.Dropout(0.2),
                      nl.Dense(5, 3, activation="softmax")],
                     optimizer=optimizer, seed=0, dtype="float64")
    net.fit(X, labels, epochs=2, batch_size=8, verbose=0)
    for layer in net.layers:
        for name, p in layer.params().items():
            assert p.dtype == np.float64, name
            assert layer.grads()[name].dtype == np.float64
    assert net.predict_proba(X).dtype == np.float64
    for state in net.optimizer.state:
        assert all(v.dtype == np.float64 for v in state.values())


def test_copy_to_another_dtype(rng):
    net = nl.Network.from_shape("3x4x2", seed=0)
    twin = net.copy(dtype="float64")
    assert twin.dtype == np.float64 and twin.layers[0].weights.dtype == np.float64
    X = rng.standard_normal((5, 3))
    np.testing.assert_allclose(twin.predict_proba(X), net.predict_proba(X), rtol=1e-5)
    twin.layers[0].weights[...] = 0
    assert net.layers[0].weights.any()   # independent


# --------------------------------------------------------------------------- configuration


def test_config_round_trip(rng):
    net = nl.Network([nl.Dense(3, 4, activation=nl.activations.LeakyReLU(0.2), name="hidden"),
                      nl.Dropout(0.3), nl.Dense(4, 2, activation="softmax")],
                     optimizer=nl.Adam(0.01, weight_decay=1e-4), seed=7, name="net")
    twin = nl.Network.from_config(net.get_config())
    assert twin.get_config() == net.get_config()
    X = rng.standard_normal((4, 3))
    np.testing.assert_array_equal(twin.predict_proba(X), net.predict_proba(X))  # same seed
    with pytest.raises(nl.NeuronalError, match="unknown type 'Nope'"):
        nl.Network.from_config({"layers": [{"type": "Nope", "config": {}}]})


def test_get_weights_returns_copies():
    net = nl.Network.from_shape("3x2", output="softmax", seed=0)
    w = net.get_weights()
    w[0]["weight"][...] = 123.0
    assert not (net.layers[0].weights == 123.0).any()
    net.set_weights(w)
    assert (net.layers[0].weights == 123.0).all()


def test_separate_activation_layer_as_softmax_output(rng):
    X, labels = blobs(rng)
    net = nl.Network([nl.Dense(2, 6), nl.Activation("tanh"), nl.Dense(6, 3),
                      nl.Activation("softmax")], optimizer=nl.Adam(0.05), seed=0)
    assert net.loss.name == "cross_entropy"
    net.fit(X, labels, epochs=20, batch_size=16, verbose=0)
    assert net.evaluate(X, labels)["accuracy"] == 1.0


def test_explain_traces_one_sample():
    net = nl.Network.from_shape("2x3x2", hidden="sigmoid", output="softmax", seed=0)
    text = net.explain([1.0, 0.5])
    assert text.splitlines()[0] == "Network 2x3x2: forward propagation of one sample"
    assert "z = W a_prev + b" in text and "a = sigmoid(z)" in text and "a = softmax(z)" in text
    k = int(net.predict([[1.0, 0.5]])[0])
    assert f"winning class: {k}" in text
    binary = nl.Network.from_shape("2x1", output="sigmoid", loss="bce", seed=0)
    assert "P(class 1)" in binary.explain([1.0, 0.5])


def test_explain_of_an_image_model_draws_the_input_and_summarises_feature_maps():
    rng = np.random.default_rng(0)
    net = nl.models.lenet(seed=0)
    image = np.zeros((1, 28, 28), dtype=np.float32)
    image[0, 6:22, 12:16] = 1.0  # a bar: a "1"
    text = net.explain(image, y=1)
    lines = text.splitlines()
    assert len(lines) < 60  # (the whole feature maps took 525 lines)
    assert sum("@@" in line for line in lines[2:30]) == 16  # the bar's 16 rows, drawn
    assert "6x28x28 feature maps" in text and "most active channel" in text
    assert lines[-1].startswith("winning class:") and ("right" in lines[-1] or "wrong" in
                                                       lines[-1])
    k = int(net.predict(image[None])[0])
    assert ("right" in net.explain(image, y=k).splitlines()[-1])
    del rng


def test_summary_prints_once_and_is_not_shown_again_as_a_notebook_value(capsys):
    table = nl.Network.from_shape("4x3x2", seed=0).summary()
    assert capsys.readouterr().out.strip() == str(table)
    assert table._ipython_display_() is None  # IPython shows nothing more for the value
    assert isinstance(table, str) and "total" in table
