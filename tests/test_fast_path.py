"""The fast training and prediction paths compute exactly what the plain formulas do.

Each shortcut taken for speed (issue 4) is checked against the straightforward computation it
replaces: the fused cross-entropy value from the output, the softmax row maximum taken down a
transposed copy, the gather of mini-batches into reused buffers, the one-sample prediction
that reuses the probe pass, the matrix-vector NaN check of the inputs, the flushing of
subnormal optimiser state, and the packing of all parameters into one array so that an optimiser
updates them in one go.
"""

import math
import warnings

import numpy as np
import pytest

import neuronal as nl
from neuronal import activations as A
from neuronal import losses as L
from neuronal._data import all_finite


def one_hot(labels, k, dtype):
    return np.eye(k, dtype=dtype)[labels]


# --------------------------------------------------------------------------- losses


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_fused_value_equals_value_from_logits(dtype, rng):
    ce = L.CrossEntropy()
    z = (rng.standard_normal((64, 10)) * 4).astype(dtype)
    y = one_hot(rng.integers(0, 10, 64), 10, dtype)
    a = A.softmax(z)
    rel = 1e-5 if dtype == np.float32 else 1e-12
    assert ce.fused_value(a, z, y) == pytest.approx(ce.value_from_logits(z, y), rel=rel)
    assert isinstance(ce.fused_value(a, z, y), float)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_fused_value_falls_back_to_logits_when_a_probability_underflows(dtype):
    ce = L.CrossEntropy()
    z = np.array([[0.0, -2000.0, 5.0], [1.0, 2.0, 3.0]], dtype=dtype)
    y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=dtype)
    a = A.softmax(z)
    assert a.min() == 0.0  # exp(-2005) underflows: log(a) would be -inf
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = ce.fused_value(a, z, y)
    assert value == pytest.approx(ce.value_from_logits(z, y), rel=1e-6)
    # -log_softmax: 2005 + log(1 + e^-5 + e^-2005) for row 0, 0.40760596 for row 1
    assert value == pytest.approx((2005.00671535 + 0.40760596) / 2, rel=1e-6)


def test_other_losses_fused_value_is_value_from_logits(rng):
    bce = L.BinaryCrossEntropy()
    z = rng.standard_normal((8, 3))
    y = (rng.random((8, 3)) > 0.5).astype(float)
    assert bce.fused_value(A.sigmoid(z), z, y) == bce.value_from_logits(z, y)


# --------------------------------------------------------------------------- activations


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 10), (1, 64), (1, 65), (15, 10), (16, 10), (128, 10),
                                   (128, 32), (64, 33), (4, 5, 10)])
def test_softmax_and_log_softmax_equal_the_plain_formulas(shape, dtype, rng):
    z = (rng.standard_normal(shape) * 5).astype(dtype)
    shifted = z - z.max(axis=-1, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    np.testing.assert_array_equal(A.softmax(z), expected)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(A.log_softmax(z), np.log(expected), rtol=tol, atol=tol)
    assert A.softmax(z).dtype == dtype


@pytest.mark.parametrize("width", [10, 65])
@pytest.mark.parametrize("bad", [(0, np.nan), (5, np.nan), (0, np.inf), (5, np.inf),
                                 (5, -np.inf), (9, -np.inf)])
def test_one_row_softmax_of_nan_and_inf_equals_the_plain_formula(width, bad, rng):
    # one row takes a shortcut (Python's max of the row): the same result for any value
    z = rng.standard_normal((1, width)).astype(np.float32)
    z[0, bad[0]] = bad[1]
    with np.errstate(invalid="ignore"):
        shifted = z - z.max(axis=-1, keepdims=True)
        expected = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
        np.testing.assert_array_equal(A.softmax(z), expected)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 3])
def test_sigmoid_relu_and_one_row_dense_equal_the_plain_formulas(dtype, rows, rng):
    # typed 0-d constants instead of Python scalars, and a one-row bias added to the row view
    x = rng.standard_normal((rows, 5)).astype(dtype)
    z = (rng.standard_normal((rows, 7)) * 60).astype(dtype)
    z[0, :3] = [np.nan, np.inf, -np.inf]
    with np.errstate(over="ignore", invalid="ignore"):
        np.testing.assert_array_equal(A.sigmoid(z), 1 / (1 + np.exp(-z)))
        np.testing.assert_array_equal(A.get("relu").value(z), np.maximum(z, 0))
    assert A.sigmoid(z).dtype == A.get("relu").value(z).dtype == dtype
    assert A.get("relu").value([-1, 2]).tolist() == [0, 2]
    layer = nl.Dense(5, 7, activation="linear", seed=0, dtype=dtype).build()
    layer.bias = rng.standard_normal(7)
    np.testing.assert_array_equal(layer.forward(x), np.dot(x, layer.weights.T) + layer.bias)
    for const in (*A._ONE.values(), *A._ZERO.values()):
        assert not const.flags.writeable


@pytest.mark.parametrize("shape", [(1, 10), (1, 40), (3, 1)])
def test_softmax_over_the_first_axis(shape, rng):
    z = rng.standard_normal(shape) * 5
    expected = np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)
    np.testing.assert_allclose(A.softmax(z, axis=0), expected, rtol=1e-12)


def test_softmax_row_with_nan_stays_nan(rng):
    z = rng.standard_normal((32, 10))
    z[3, 4] = np.nan
    with np.errstate(invalid="ignore"):
        out = A.softmax(z)
    assert np.isnan(out[3]).all() and np.isfinite(np.delete(out, 3, axis=0)).all()


@pytest.mark.parametrize("z", [1.8008, np.float32(-3.0), 2, np.array(0.5), [[-1000, 0, 1000]]])
def test_sigmoid_of_scalars_lists_and_integers(z):
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-np.asarray(z, dtype=np.float64)))
    out = A.sigmoid(z)
    assert isinstance(out, np.ndarray) and out.shape == np.shape(z)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


# --------------------------------------------------------------------------- data checks


@pytest.mark.parametrize("shape", [(50,), (1, 784), (4, 3, 8, 8), (70000,), (300, 784), (5000, 1),
                                   (600, 3, 5, 7)])
def test_all_finite_matches_isfinite(shape, rng):
    x = rng.random(shape).astype(np.float32)
    assert all_finite(x)
    for bad in (np.nan, np.inf, -np.inf):
        y = x.copy()
        y.flat[rng.integers(y.size)] = bad
        assert not all_finite(y)
    y = x.copy()
    y.flat[0], y.flat[-1] = np.inf, -np.inf  # inf + -inf in one row sum is NaN
    assert not all_finite(y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_of_one_sample_when_its_sum_of_squares_overflows(dtype):
    x = np.full((1, 784), np.finfo(dtype).max / 2, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert all_finite(x)
        x[0, 9] = np.nan
        assert not all_finite(x)


def test_all_finite_when_finite_values_overflow_the_row_sums():
    x = np.full((300, 784), 3e38, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert all_finite(x)
        x[7, 9] = np.nan
        assert not all_finite(x)


# --------------------------------------------------------------------------- network


def test_fit_with_reused_batch_buffers_equals_steps_on_fancy_indexed_batches(rng):
    X = rng.standard_normal((50, 6))
    labels = rng.integers(0, 3, 50)

    def make():
        return nl.Network.from_shape("6x5x3", hidden="tanh", optimizer=nl.Adam(0.01), seed=3,
                                     dtype="float64")

    net, ref = make(), make()
    history = net.fit(X, labels, epochs=2, batch_size=8, verbose=0)
    Xp, Y, _ = ref._prepare(X, labels)
    ref._pairs = ref.parameters()
    losses = []
    for _ in range(2):
        order = ref.rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), 8):
            idx = order[start : start + 8]
            value, _ = ref.train_step(Xp[idx], Y[idx])
            total += value * len(idx)
        losses.append(total / len(X))
    assert history["loss"] == losses
    for a, b in zip(net.get_weights(), ref.get_weights()):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def test_predict_proba_of_one_sample_is_the_batch_row(rng):
    net = nl.Network.from_shape("6x5x3", hidden="sigmoid", seed=0)
    X = rng.standard_normal((4, 6)).astype(np.float32)
    batch = net.predict_proba(X)
    for i in range(4):  # the same up to rounding (BLAS may order a 1-row product differently)
        np.testing.assert_allclose(net.predict_proba(X[i : i + 1]), batch[i : i + 1], rtol=1e-6)
    assert net.predict(X[:1]).tolist() == [int(batch[0].argmax())]


def test_predict_proba_of_one_sample_never_returns_the_input():
    net = nl.Network([nl.Activation("linear")], loss="mse", seed=0)
    x = np.ones((1, 3), dtype=np.float32)
    out = net.predict_proba(x)
    np.testing.assert_array_equal(out, x)
    out[...] = 7
    assert (x == 1).all()


# --------------------------------------------------------------------------- optimisers


def adam_reference(p, grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
    """PyTorch's Adam in plain float64 NumPy, no flushing."""
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return p


def test_adam_state_of_a_silent_weight_never_turns_subnormal():
    """A weight whose gradient stops (a blank pixel) decays towards 0; its state is flushed
    before it becomes subnormal, and the trajectory is that of PyTorch's rule."""
    steps = 1000
    grads = [np.array([1e-3, 0.5, -2e-4], dtype=np.float32) * (1.0 if t < 5 else 0.0)
             for t in range(steps)]
    grads = [g + np.array([0, 0.01 * math.sin(t), 0], dtype=np.float32)
             for t, g in enumerate(grads)]
    p = np.array([0.3, -0.2, 0.1], dtype=np.float32)
    g = np.zeros(3, dtype=np.float32)
    opt = nl.Adam(learning_rate=0.01)
    tiny = np.finfo(np.float32).tiny
    for gi in grads:
        g[...] = gi
        opt.step([(p, g)])
        for slot in ("m_sum", "v_sum"):
            s = np.abs(opt._state[0][slot])
            assert not ((s > 0) & (s < tiny)).any(), (opt.iterations, slot)
    assert opt._state[0]["m_sum"][0] == 0.0 and opt._state[0]["m_sum"][2] == 0.0  # flushed
    expected = adam_reference(np.array([0.3, -0.2, 0.1]), [x.astype(np.float64) for x in grads])
    np.testing.assert_allclose(p, expected, rtol=1e-5)


def test_sgd_momentum_velocity_is_flushed_too():
    p, g = np.ones(2, dtype=np.float32), np.zeros(2, dtype=np.float32)
    opt = nl.SGD(learning_rate=0.1, momentum=0.5)
    g[...] = 1.0
    opt.step([(p, g)])
    g[...] = 0.0
    for _ in range(300):  # 0.5^300 would pass through the subnormals near step 125
        opt.step([(p, g)])
        v = np.abs(opt._state[0]["velocity"])
        assert not ((v > 0) & (v < np.finfo(np.float32).tiny)).any()
    assert (opt._state[0]["velocity"] == 0).all()


def test_second_moments_are_not_flushed_next_to_a_tiny_epsilon():
    # sqrt(2e-31) = 4.5e-16 is not negligible next to epsilon = 1e-20: v must stay exact.
    # Adam keeps v_sum = v / (1 - beta2), after 1024 steps about 641 g^2 = 6.4e-32 here.
    def run(epsilon):
        p, g = np.ones(1, dtype=np.float32), np.full(1, 1e-17, dtype=np.float32)
        opt = nl.Adam(learning_rate=0.01, epsilon=epsilon)
        for _ in range(1024):  # v is checked for flushing every 1024 steps (beta2 = 0.999)
            opt.step([(p, g)])
        return opt._state[0]["v_sum"][0]

    assert 0 < run(1e-20) < 2e-31  # kept: g^2 = 1e-34 next to epsilon^2 = 1e-40
    assert run(1e-8) == 0.0  # flushed: invisible next to epsilon = 1e-8


def test_step_after_new_pairs_rebuilds_state():
    opt = nl.SGD(learning_rate=0.1, momentum=0.9)
    p1, g1 = np.ones(3), np.ones(3)
    opt.step([(p1, g1)])
    p2, g2 = np.ones((2, 2)), np.ones((2, 2))
    opt.step([(p2, g2)])  # a different parameter list: state rebuilt for its shapes
    assert opt._state[0]["velocity"].shape == (2, 2)
    np.testing.assert_allclose(p2, 0.9)


# --------------------------------------------------------------------------- packed parameters


@pytest.mark.parametrize("optimizer", [
    {"name": "sgd", "learning_rate": 0.1},
    {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
    {"name": "adam", "learning_rate": 0.01, "weight_decay": 0.01},
    {"name": "rmsprop", "learning_rate": 0.01},
])
def test_one_update_of_packed_parameters_equals_updates_per_parameter(optimizer, rng):
    from neuronal._flat import flat_span

    net = nl.Network([nl.Dense(6, 5, activation="tanh"), nl.Dense(5, 4, activation="relu"),
                      nl.Dense(4, 3, activation="softmax")], optimizer=dict(optimizer), seed=3)
    assert flat_span([p for p, _ in net.parameters()]) is not None
    separate = [p.copy(order="K") for p, _ in net.parameters()]  # the same, one array each
    reference = nl.optimizers.get(dict(optimizer))
    for _ in range(6):
        X = rng.standard_normal((8, 6)).astype(np.float32)
        Y = one_hot(rng.integers(0, 3, 8), 3, np.float32)
        net.train_step(X, Y)  # forward, backward, one optimiser update of the packed array
        reference.step([(p, g.copy()) for p, (_, g) in zip(separate, net.parameters())])
        assert net.optimizer._flat is not None and reference._flat is None
        for p, (q, _) in zip(separate, net.parameters()):
            np.testing.assert_allclose(q, p, rtol=1e-6, atol=1e-7)
    mine, theirs = net.optimizer.state_dict(), reference.state_dict()
    assert mine.keys() == theirs.keys()
    for k in mine:
        assert mine[k].shape == theirs[k].shape
        np.testing.assert_allclose(mine[k], theirs[k], rtol=1e-6, atol=1e-7)


def test_packed_parameters_keep_shapes_layouts_and_live_neuron_views():
    net = nl.Network.from_shape("4x3x2", seed=0)
    layer = net.layers[0]
    assert layer.weights.shape == (3, 4) and layer.bias.shape == (3,)
    assert layer.weights.flags.f_contiguous  # W.T is a contiguous (n_in, n_out) matrix
    neuron = layer.neurons[1]
    neuron.weights[2] = 7.0
    assert layer.weights[1, 2] == 7.0
    layer.weights = np.ones((3, 4))  # assignment writes into the packed array
    assert neuron.weights[2] == 1.0 and net.parameters()[0][0][1, 2] == 1.0
    from neuronal._flat import flat_span

    assert flat_span([p for p, _ in net.parameters()]) is not None  # still one array


def test_layers_shared_with_a_second_network_stay_with_the_first(rng):
    from neuronal._flat import flat_span

    X = rng.standard_normal((32, 4)).astype(np.float32)
    y = rng.integers(0, 2, 32)
    first = nl.Network.from_shape("4x3x2", optimizer="adam", seed=0)
    weights = first.layers[0].weights
    second = nl.Network(first.layers[:1] + [nl.Dense(3, 2, activation="softmax")], seed=1)
    assert first.layers[0].weights is weights  # not moved into the second network's array
    assert flat_span([p for p, _ in first.parameters()]) is not None
    before = weights.copy()
    first.fit(X, y, epochs=1, verbose=0)
    second.fit(X, y, epochs=1, verbose=0)  # per-parameter updates, on the shared arrays
    assert not np.array_equal(weights, before)
    assert second.optimizer._flat is None
