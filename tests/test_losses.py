"""Losses: values against plain NumPy formulas, gradients against central differences, the fused
cross-entropy deltas against the chain rule through the activation, and numerical stability."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import neuronal as nl
from neuronal import activations as A
from neuronal import losses as L
from neuronal.errors import NeuronalError

H = 1e-6
NAMES = ["mse", "mae", "binary_cross_entropy", "cross_entropy"]


def rel_err(a, b):
    a, b = np.ravel(a), np.ravel(b)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def numeric_grad(f, x):
    """Central differences of the scalar f at x, one entry at a time (float64)."""
    x = x.astype(np.float64).copy()
    g = np.empty_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + H
        plus = f(x)
        x[i] = old - H
        minus = f(x)
        x[i] = old
        g[i] = (plus - minus) / (2 * H)
    return g


def one_hot(labels, k):
    return np.eye(k)[labels]


def example(name, rng, n=5, k=4):
    """(a, y) suited to the loss: probabilities for the cross-entropies, anything otherwise."""
    if name == "cross_entropy":
        return A.softmax(rng.standard_normal((n, k))), one_hot(rng.integers(0, k, n), k)
    if name == "binary_cross_entropy":
        return rng.uniform(0.05, 0.95, (n, k)), rng.integers(0, 2, (n, k)).astype(float)
    return rng.standard_normal((n, k)), rng.standard_normal((n, k))


# --------------------------------------------------------------------------- registry


def test_registry_and_aliases():
    for name in NAMES:
        assert L.get(name).name == name
        assert L.get(L.get(name).get_config()).name == name
    assert isinstance(L.get("bce"), L.BinaryCrossEntropy)
    assert isinstance(L.get("categorical_crossentropy"), L.CrossEntropy)
    assert isinstance(L.get("mean_squared_error"), L.MSE)
    loss = L.MSE()
    assert L.get(loss) is loss
    with pytest.raises(NeuronalError, match="Did you mean 'mse'"):
        L.get("msee")


def test_fused_and_classification_flags():
    assert L.CrossEntropy.fused_with == "softmax" and L.CrossEntropy.classification
    assert L.BinaryCrossEntropy.fused_with == "sigmoid" and L.BinaryCrossEntropy.classification
    assert L.MSE.fused_with is None and not L.MSE.classification
    with pytest.raises(NotImplementedError):
        L.MSE().delta(np.zeros((1, 1)), np.zeros((1, 1)))


# --------------------------------------------------------------------------- values


def test_values_match_plain_numpy_formulas(rng):
    a, y = example("mse", rng)
    assert L.MSE().value(a, y) == pytest.approx(np.sum((a - y) ** 2) / a.size, rel=1e-12)
    assert L.MAE().value(a, y) == pytest.approx(np.sum(np.abs(a - y)) / a.size, rel=1e-12)
    a, y = example("binary_cross_entropy", rng)
    bce = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / a.size
    assert L.BinaryCrossEntropy().value(a, y) == pytest.approx(bce, rel=1e-12)
    a, y = example("cross_entropy", rng)
    ce = -np.sum(y * np.log(a)) / a.shape[0]
    assert L.CrossEntropy().value(a, y) == pytest.approx(ce, rel=1e-12)


def test_values_by_hand():
    a = np.array([[0.5, 2.0]])
    y = np.array([[1.0, 1.0]])
    assert L.MSE()(a, y) == pytest.approx((0.25 + 1.0) / 2)
    assert L.MAE()(a, y) == pytest.approx((0.5 + 1.0) / 2)
    # one sample, true class 1 predicted with probability 0.7: loss -log 0.7
    assert L.CrossEntropy()(np.array([[0.2, 0.7, 0.1]]), np.array([[0, 1, 0]])) == pytest.approx(
        -np.log(0.7))
    assert L.BinaryCrossEntropy()(np.array([[0.8]]), np.array([[0.0]])) == pytest.approx(
        -np.log(0.2))


def test_values_are_python_floats(rng):
    for name in NAMES:
        a, y = example(name, rng)
        assert type(L.get(name).value(a, y)) is float


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name, rng):
    loss = L.get(name)
    a, y = example(name, rng)
    if name == "mae":  # keep clear of the kink at a == y
        a = y + np.where(np.abs(a - y) < 0.05, 0.1, a - y)
    numeric = numeric_grad(lambda p: loss.value(p, y), a)
    assert rel_err(loss.gradient(a, y), numeric) < 1e-6


@pytest.mark.parametrize("name,act", [("binary_cross_entropy", "sigmoid"),
                                      ("cross_entropy", "softmax")])
def test_fused_delta_equals_numerical_chain_rule(name, act, rng):
    loss, f = L.get(name), A.get(act)
    z = rng.standard_normal((5, 4)) * 2
    if name == "cross_entropy":
        y = one_hot(rng.integers(0, 4, 5), 4)
    else:
        y = rng.integers(0, 2, (5, 4)).astype(float)
    a = f.value(z)
    # dL/dz numerically through the activation: L(f(z))
    numeric = numeric_grad(lambda zz: loss.value(f.value(zz), y), z)
    assert rel_err(loss.delta(a, y), numeric) < 1e-6
    # ... and by the (unfused) chain rule: activation.backward of the loss gradient
    chained = f.backward(z, a, loss.gradient(a, y))
    assert rel_err(loss.delta(a, y), chained) < 1e-10
    # ... and numerically through value_from_logits
    numeric_logits = numeric_grad(lambda zz: loss.value_from_logits(zz, y), z)
    assert rel_err(loss.delta(a, y), numeric_logits) < 1e-6


def test_fused_delta_with_soft_targets(rng):
    """Label-smoothed targets (rows summing to 1, not one-hot) still give delta = (a - y) / N."""
    loss = L.CrossEntropy()
    z = rng.standard_normal((3, 4))
    y = np.full((3, 4), 0.025)
    y[np.arange(3), [0, 2, 3]] = 0.925
    numeric = numeric_grad(lambda zz: loss.value_from_logits(zz, y), z)
    assert rel_err(loss.delta(A.softmax(z), y), numeric) < 1e-6


@pytest.mark.parametrize("name,act", [("binary_cross_entropy", "sigmoid"),
                                      ("cross_entropy", "softmax")])
def test_value_from_logits_equals_value_of_activation(name, act, rng):
    loss, f = L.get(name), A.get(act)
    z = rng.standard_normal((6, 3)) * 3
    y = one_hot(rng.integers(0, 3, 6), 3) if name == "cross_entropy" else rng.uniform(0, 1, (6, 3))
    assert loss.value_from_logits(z, y) == pytest.approx(loss.value(f.value(z), y), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(arrays(np.float64, (4, 3), elements=st.floats(-20, 20)),
       st.lists(st.integers(0, 2), min_size=4, max_size=4))
def test_value_from_logits_property(z, labels):
    y = one_hot(np.array(labels), 3)
    ce = L.CrossEntropy()
    assert ce.value_from_logits(z, y) == pytest.approx(ce.value(A.softmax(z), y), rel=1e-9,
                                                       abs=1e-12)
    # value() goes through log(1 - a), which loses digits once a is within 1e-8 of 1 (z ~ 20):
    # that loss of precision is why the fused value_from_logits exists.
    bce = L.BinaryCrossEntropy()
    assert bce.value_from_logits(z, y) == pytest.approx(bce.value(A.sigmoid(z), y), rel=1e-7,
                                                        abs=1e-12)


def test_mae_gradient_is_zero_where_prediction_is_exact():
    g = L.MAE().gradient(np.array([[1.0, 2.0]]), np.array([[1.0, 0.0]]))
    np.testing.assert_array_equal(g, [[0.0, 0.5]])


# --------------------------------------------------------------------------- stability

RAISE = {"over": "raise", "divide": "raise", "invalid": "raise"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_stable_for_huge_logits_and_exact_probabilities(dtype):
    ce = L.CrossEntropy()
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], dtype=dtype)
    y = np.array([[0, 1, 0], [1, 0, 0]], dtype=dtype)   # the confident answer is wrong
    y_right = np.array([[1, 0, 0], [0, 1, 0]], dtype=dtype)
    a = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)  # exactly 0 and 1
    with np.errstate(**RAISE):
        values = [ce.value_from_logits(z, y), ce.value_from_logits(z, y_right),
                  ce.value(a, y), ce.value(a, y_right)]
        arrays_ = [ce.gradient(a, y), ce.gradient(a, y_right), ce.delta(a, y),
                   ce.delta(A.softmax(z), y)]
    assert all(np.isfinite(v) for v in values)
    assert all(np.isfinite(g).all() for g in arrays_)
    # -log_softmax of the true class: row 0: 1000 + 1000; row 1: 1000 + 1000 + log(1 + e^-1)
    assert values[0] == pytest.approx((4000.0 + np.log1p(np.exp(-1.0))) / 2, rel=1e-6)
    assert values[1] == pytest.approx(np.log1p(np.exp(-1.0)) / 2, rel=1e-5)
    assert values[3] == 0.0
    assert values[2] > 10   # clipped, large but finite


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_stable_for_huge_logits_and_exact_probabilities(dtype):
    bce = L.BinaryCrossEntropy()
    z = np.array([[1000.0], [-1000.0], [1000.0], [-1000.0]], dtype=dtype)
    y = np.array([[0.0], [1.0], [1.0], [0.0]], dtype=dtype)
    a = np.array([[1.0], [0.0], [1.0], [0.0]], dtype=dtype)  # exactly 0 and 1
    with np.errstate(**RAISE):
        values = [bce.value_from_logits(z, y), bce.value(a, y),
                  bce.value_from_logits(z[2:], y[2:]), bce.value(a[2:], y[2:])]
        arrays_ = [bce.gradient(a, y), bce.delta(a, y), bce.delta(A.sigmoid(z), y)]
    assert all(np.isfinite(v) for v in values)
    assert all(np.isfinite(g).all() for g in arrays_)
    assert values[0] == pytest.approx(500.0, rel=1e-6)   # (1000 + 1000 + 0 + 0) / 4
    assert values[2] == 0.0
    assert values[3] < 1e-6


@pytest.mark.parametrize("name", ["mse", "mae"])
def test_regression_losses_finite_with_large_values(name):
    loss = L.get(name)
    a, y = np.array([[1e3, -1e3]]), np.array([[-1e3, 1e3]])
    with np.errstate(**RAISE):
        assert np.isfinite(loss.value(a, y))
        assert np.isfinite(loss.gradient(a, y)).all()


def test_repr():
    assert repr(L.get("cross_entropy")) == "CrossEntropy()"


def test_sum_reduction_scales_the_step_not_the_reported_loss():
    rng = np.random.default_rng(0)
    X, y = rng.random((8, 3)), rng.integers(0, 2, 8)
    for loss in ("mse", "cross_entropy"):
        out_act = "softmax" if loss == "cross_entropy" else "sigmoid"
        nets = [nl.Network.from_shape("3x4x2", output=out_act, seed=0, dtype="float64",
                                      loss=nl.losses.get(loss, reduction=r))
                for r in ("mean", "sum")]
        g_mean, g_sum = (n.gradients(X, y) for n in nets)
        np.testing.assert_allclose(g_sum[0]["weight"], 8 * g_mean[0]["weight"], rtol=1e-12)
        assert nets[0].evaluate(X, y)["loss"] == nets[1].evaluate(X, y)["loss"]
        assert nl.losses.get(nets[1].loss.get_config()).reduction == "sum"
    with pytest.raises(nl.NeuronalError, match="reduction must be 'mean'"):
        nl.losses.get("mse", reduction="total")
