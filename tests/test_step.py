"""One training step made visible: ``gradients``, ``explain_step`` and ``train_step``."""

import numpy as np
import pytest

import neuronal as nl


def toy(n=32, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 4))
    return X, (X[:, 0] + X[:, 1] > 1).astype(int)


def net_4x3x1(dtype="float64"):
    return nl.Network.from_shape("4x3x1", hidden="sigmoid", output="sigmoid",
                                 loss="binary_cross_entropy", optimizer=nl.SGD(0.5), seed=0,
                                 dtype=dtype)


def test_gradients_match_finite_differences_and_leave_the_weights_alone():
    X, y = toy(8)
    net = net_4x3x1()
    before = net.get_weights()
    grads = net.gradients(X, y)
    assert [set(g) for g in grads] == [{"weight", "bias"}] * 2
    for a, b in zip(before, net.get_weights()):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    W = net.layers[0].weights
    eps = 1e-6
    for j, i in [(0, 0), (2, 3), (1, 2)]:
        W[j, i] += eps
        up = net.evaluate(X, y)["loss"]
        W[j, i] -= 2 * eps
        down = net.evaluate(X, y)["loss"]
        W[j, i] += eps
        assert grads[0]["weight"][j, i] == pytest.approx((up - down) / (2 * eps), rel=1e-5)


def test_gradients_take_labels_as_fit_does():
    X, y = toy(8)
    net = nl.Network.from_shape("4x3x2", seed=0, dtype="float64")
    by_label = net.gradients(X, y)
    by_one_hot = net.gradients(X, np.eye(2)[y])
    np.testing.assert_allclose(by_label[0]["weight"], by_one_hot[0]["weight"])
    with pytest.raises(nl.DataError, match="labels must lie in 0..1"):
        net.gradients(X, y + 5)


def test_train_step_takes_labels_of_a_batch_and_checks_them():
    X, y = toy(8)
    net = nl.Network.from_shape("4x3x2", seed=0)
    loss, out = net.train_step(X, y)
    assert out.shape == (8, 2) and np.isfinite(loss)
    with pytest.raises(nl.DataError, match="one target per sample"):
        net.train_step(X, y[:3])


def test_explain_step_tells_one_step_and_changes_nothing():
    X, y = toy()
    net = net_4x3x1()
    net.fit(X, y, epochs=30, batch_size=8, verbose=0)
    before = net.get_weights()
    step = net.explain_step(X[0], y[0])
    for a, b in zip(before, net.get_weights()):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    assert not step.applied and step.learning_rate == 0.5
    assert step.x.shape == (1, 4) and step.output.shape == (1, 1)
    assert step.correct.shape == (1,) and step.predicted[0] in (0, 1) and step.target[0] == y[0]
    assert [s.index for s in step.layers] == [0, 1]
    last = step.layers[1]
    assert last.z.shape == (1, 1) and last.a.shape == (1, 1)
    np.testing.assert_allclose(last.delta, step.output - y[0])  # sigmoid + BCE: a - y
    # dL/dW of the last layer is delta times the previous layer's output
    np.testing.assert_allclose(last.gradients["weight"], last.delta.T @ step.layers[0].a)
    np.testing.assert_allclose(last.updates["weight"], -0.5 * last.gradients["weight"])
    grads = net.gradients(X[:1], y[:1])
    for s, g in zip(step.layers, grads):
        for k in g:
            np.testing.assert_allclose(s.gradients[k], g[k])
    text = str(step)
    for part in ("Forward propagation", "layer 0 Dense(4 -> 3, sigmoid)", "Loss",
                 "delta =", "dL/dW =", "update weight", "most strengthened", "most weakened",
                 "unchanged"):
        assert part in text, part
    assert ("right" in text) or ("wrong" in text)


def test_strengthened_and_weakened_connections_are_ranked_and_numbered_like_neurons():
    X, y = toy()
    net = net_4x3x1()
    step = net.explain_step(X[:4], y[:4], learning_rate=1.0)
    ups = [c.change for c in step.strengthened]
    downs = [c.change for c in step.weakened]
    assert ups == sorted(ups, reverse=True) and all(u > 0 for u in ups)
    assert downs == sorted(downs) and all(d < 0 for d in downs)
    for c in step.strengthened + step.weakened:
        layer = step.layers[c.layer]
        assert c.change == pytest.approx(layer.updates["weight"][c.neuron, c.input])
        assert c.weight == net.layers[c.layer].neurons[c.neuron].weights[c.input]
    everything = np.concatenate([s.updates["weight"].ravel() for s in step.layers])
    assert step.strengthened[0].change == pytest.approx(everything.max())
    assert step.weakened[0].change == pytest.approx(everything.min())


def test_apply_takes_exactly_the_shown_step():
    X, y = toy()
    net = net_4x3x1()
    before = net.get_weights()
    iterations = net.optimizer.iterations
    step = net.explain_step(X[:3], y[:3], apply=True)
    assert step.applied
    for s, w in zip(step.layers, before):
        for k, change in s.updates.items():
            np.testing.assert_allclose(net.layers[s.index].params()[k], w[k] + change)
    assert net.optimizer.iterations == iterations  # plain gradient descent, optimiser untouched


def test_explain_step_of_a_softmax_classifier_a_regression_and_a_cnn():
    rng = np.random.default_rng(0)
    clf = nl.Network.from_shape("4x5x3", seed=0)
    step = clf.explain_step(rng.random(4), 2)
    assert step.target.tolist() == [2] and step.predicted.shape == (1,)
    reg = nl.Network.from_shape("4x5x1", output="linear", loss="mse", seed=0)
    step = reg.explain_step(rng.random(4), 0.5)
    assert step.correct is None and np.isfinite(step.loss)
    assert "Answer" not in str(step)
    cnn = nl.Network([nl.Conv2D(1, 2, 3, activation="relu"), nl.MaxPool2D(2), nl.Flatten(),
                      nl.Dense(2 * 2 * 2, 3, activation="softmax")], seed=0)
    step = cnn.explain_step(rng.random((1, 6, 6)), 1)
    assert step.layers[0].delta.shape == (1, 2, 4, 4)  # dLoss/dz of the convolution
    assert step.layers[0].gradients["weight"].shape == (2, 1, 3, 3)
    assert all(c.layer == 3 for c in step.strengthened + step.weakened)  # Dense only
    assert "layer 0 Conv2D" in str(step)


def test_explain_step_refuses_a_big_batch_and_a_step_neuron():
    X, y = toy(300)
    with pytest.raises(nl.ShapeError, match="small batch"):
        net_4x3x1().explain_step(X, y)
    step_net = nl.Network([nl.Dense(4, 1, activation="step")], loss="mse", seed=0)
    with pytest.raises(nl.NotDifferentiableError, match="Perceptron"):
        step_net.explain_step(X[0], 1)


def test_explain_step_with_one_sigmoid_per_class():
    net = nl.Network.from_shape("4x3x2", output="sigmoid", loss="binary_cross_entropy", seed=0)
    x = np.ones(4)
    text = str(net.explain_step(x, 1))  # a class label: the largest output is the answer
    assert "Answer: 1, target 1: right" in text
    assert str(net.explain_step(x, [0, 1])) == text  # the same target as a one-hot row
    fresh = nl.Network.from_shape("4x3x2", output="sigmoid", loss="binary_cross_entropy",
                                  seed=0)
    text = str(fresh.explain_step(x, [1, 1]))  # two yes/no answers for one sample
    assert "Answer: [0, 1], target [1, 1]: wrong" in text
