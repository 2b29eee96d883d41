"""Activations: values against plain NumPy formulas, derivatives against central differences,
``backward`` against ``derivative`` (softmax: against its full numerical Jacobian), stability."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import neuronal as nl
from neuronal import activations as A

H = 1e-6  # central-difference step (float64)

# name -> the formula written out in plain NumPy, independently of the library.
FORMULAS = {
    "step": lambda z: np.where(z >= 0, 1.0, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "linear": lambda z: z,
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True),
    "elu": lambda z: np.where(z > 0, z, 1.0 * (np.exp(z) - 1.0)),
    "softplus": lambda z: np.log(1.0 + np.exp(z)),
    "gelu": lambda z: 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3))),
}
NAMES = list(FORMULAS)
SMOOTH_ELEMENTWISE = [n for n in NAMES if n not in ("step", "softmax")]


def rel_err(a, b):
    """||a - b|| / (||a|| + ||b||), robust to entries close to 0."""
    a, b = np.ravel(a), np.ravel(b)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def away_from_kinks(rng, shape=(6, 5), scale=3.0):
    """Standard-normal points scaled, pushed at least 0.05 away from 0 (the kinks)."""
    z = rng.standard_normal(shape) * scale
    return np.where(np.abs(z) < 0.05, np.sign(z + 1e-12) * 0.05 + z, z)


# --------------------------------------------------------------------------- registry


def test_every_activation_is_registered():
    for name in NAMES:
        assert A.get(name).name == name
    assert set(NAMES) <= set(A.names())


@pytest.mark.parametrize("alias,cls", [("logistic", A.Sigmoid), ("identity", A.Linear),
                                       ("heaviside", A.Step), ("Leaky-ReLU", A.LeakyReLU)])
def test_aliases_and_spelling(alias, cls):
    assert isinstance(A.get(alias), cls)


def test_get_accepts_instances_dicts_and_none():
    act = A.LeakyReLU(0.2)
    assert A.get(act) is act
    assert A.get({"name": "leaky_relu", "alpha": 0.2}) == act
    assert A.get({"name": "elu", "alpha": 0.5}).alpha == 0.5
    assert isinstance(A.get(None), A.Linear)


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    act = A.get(name)
    assert A.get(act.get_config()) == act
    assert hash(A.get(act.get_config())) == hash(act)


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("name", NAMES)
def test_value_matches_plain_numpy_formula(name, rng):
    z = rng.standard_normal((7, 4)) * 3
    z[0, 0] = 0.0
    np.testing.assert_allclose(A.get(name).value(z), FORMULAS[name](z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_call_is_value(name, rng):
    z = rng.standard_normal((3, 4))
    act = A.get(name)
    np.testing.assert_array_equal(act(z), act.value(z))


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32(name, rng):
    z = rng.standard_normal((3, 4)).astype(np.float32)
    act = A.get(name)
    assert act.value(z).dtype == np.float32
    if name != "step":
        assert act.backward(z, act.value(z), np.ones_like(z)).dtype == np.float32


def test_parameterised_values():
    z = np.array([-2.0, -0.5, 0.5, 2.0])
    np.testing.assert_allclose(A.LeakyReLU(alpha=0.2).value(z), [-0.4, -0.1, 0.5, 2.0])
    np.testing.assert_allclose(A.ELU(alpha=0.5).value(z),
                               [0.5 * (np.exp(-2) - 1), 0.5 * (np.exp(-0.5) - 1), 0.5, 2.0])


def test_softmax_rows_sum_to_one_and_keep_order(rng):
    z = rng.standard_normal((5, 7)) * 10
    s = A.softmax(z)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(s.argmax(axis=1), z.argmax(axis=1))
    np.testing.assert_allclose(A.softmax(z + 123.0), s, rtol=1e-12)  # shift invariance


def test_log_softmax_and_log_sigmoid_match_formulas(rng):
    z = rng.standard_normal((4, 6)) * 4
    np.testing.assert_allclose(A.log_softmax(z), np.log(FORMULAS["softmax"](z)), rtol=1e-12)
    # log(1 / (1 + e^-z)) = -log(1 + e^-z), written with log1p so the reference itself is exact
    np.testing.assert_allclose(A.log_sigmoid(z), -np.log1p(np.exp(-z)), rtol=1e-12)
    np.testing.assert_allclose(A.log_sigmoid(z), np.log(FORMULAS["sigmoid"](z)), rtol=1e-9)


# --------------------------------------------------------------------------- derivatives


@pytest.mark.parametrize("name", SMOOTH_ELEMENTWISE)
def test_derivative_matches_central_differences(name, rng):
    act = A.get(name)
    z = away_from_kinks(rng)
    numeric = (act.value(z + H) - act.value(z - H)) / (2 * H)
    assert rel_err(act.derivative(z), numeric) < 1e-6


@pytest.mark.parametrize("act", [A.LeakyReLU(0.3), A.ELU(0.7)], ids=repr)
def test_parameterised_derivatives(act, rng):
    z = away_from_kinks(rng)
    numeric = (act.value(z + H) - act.value(z - H)) / (2 * H)
    assert rel_err(act.derivative(z), numeric) < 1e-6


def test_relu_family_derivatives_by_hand():
    z = np.array([-3.0, -0.1, 0.1, 3.0])
    np.testing.assert_array_equal(A.ReLU().derivative(z), [0, 0, 1, 1])
    np.testing.assert_allclose(A.LeakyReLU(0.1).derivative(z), [0.1, 0.1, 1, 1])
    np.testing.assert_allclose(A.ELU(1.0).derivative(z), [np.exp(-3), np.exp(-0.1), 1, 1])
    np.testing.assert_array_equal(A.Linear().derivative(z), np.ones(4))


@pytest.mark.parametrize("name", SMOOTH_ELEMENTWISE)
def test_backward_is_grad_times_derivative(name, rng):
    act = A.get(name)
    z = away_from_kinks(rng)
    grad = rng.standard_normal(z.shape)
    np.testing.assert_allclose(act.backward(z, act.value(z), grad), grad * act.derivative(z),
                               rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("act", [A.LeakyReLU(0.3), A.ELU(0.7)], ids=repr)
def test_parameterised_backward(act, rng):
    z = away_from_kinks(rng)
    grad = rng.standard_normal(z.shape)
    np.testing.assert_allclose(act.backward(z, act.value(z), grad), grad * act.derivative(z),
                               rtol=1e-10)


def numerical_softmax_jacobian(z_row):
    n = len(z_row)
    J = np.empty((n, n))  # J[i, j] = d a_i / d z_j
    for j in range(n):
        e = np.zeros(n)
        e[j] = H
        J[:, j] = (A.softmax(z_row + e) - A.softmax(z_row - e)) / (2 * H)
    return J


def test_softmax_backward_matches_full_numerical_jacobian(rng):
    act = A.Softmax()
    z = rng.standard_normal((4, 5)) * 2
    a = act.value(z)
    grad = rng.standard_normal(z.shape)
    dz = act.backward(z, a, grad)
    for n in range(len(z)):
        J = numerical_softmax_jacobian(z[n])
        assert rel_err(dz[n], grad[n] @ J) < 1e-6
        # the diagonal is what ``derivative`` reports
        assert rel_err(act.derivative(z[n]), np.diag(J)) < 1e-6
        # and the analytic Jacobian a_i (delta_ij - a_j)
        s = a[n]
        np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), atol=1e-8)


# --------------------------------------------------------------------------- step


def test_step_value_and_derivative():
    step = A.Step()
    z = np.array([-2.0, -1e-9, 0.0, 1e-9, 3.0])
    np.testing.assert_array_equal(step.value(z), [0, 0, 1, 1, 1])
    d = step.derivative(z)
    np.testing.assert_array_equal(d[[0, 1, 3, 4]], 0.0)
    assert np.isnan(d[2])
    assert not step.differentiable


def test_step_backward_refuses():
    step = A.Step()
    z = np.array([[0.5, -0.5]])
    with pytest.raises(nl.NotDifferentiableError, match="Perceptron"):
        step.backward(z, step.value(z), np.ones_like(z))


def test_training_a_step_network_raises():
    net = nl.Network.from_shape("2x3x1", hidden="step", output="sigmoid",
                                loss="binary_cross_entropy", seed=0)
    X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    with pytest.raises(nl.NotDifferentiableError, match=r"(?s)Perceptron.*sigmoid"):
        net.fit(X, [0, 1, 1, 0], epochs=1, verbose=0)
    assert issubclass(nl.NotDifferentiableError, ValueError)


def test_step_network_still_predicts():
    net = nl.Network([nl.Dense(2, 1, activation="step")], seed=0)
    net.layers[0].weights = [[1.0, 1.0]]
    net.layers[0].bias = [-1.5]
    np.testing.assert_array_equal(net.predict([[0, 0], [1, 0], [1, 1]]).ravel(), [0, 0, 1])


# --------------------------------------------------------------------------- stability

EXTREME = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0], [1000.0, 999.0, -1000.0, 0.0, 0.5]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_softmax_and_logs_are_finite_for_huge_logits(dtype):
    z = EXTREME.astype(dtype)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        outs = {
            "sigmoid": A.sigmoid(z),
            "softmax": A.softmax(z),
            "log_softmax": A.log_softmax(z),
            "log_sigmoid": A.log_sigmoid(z),
            "Sigmoid.derivative": A.Sigmoid().derivative(z),
            "Softmax.derivative": A.Softmax().derivative(z),
            "Softmax.backward": A.Softmax().backward(z, A.softmax(z), np.ones_like(z)),
            "Sigmoid.backward": A.Sigmoid().backward(z, A.sigmoid(z), np.ones_like(z)),
            "softplus": A.Softplus().value(z),
            "elu": A.ELU().value(z),
            "ELU.derivative": A.ELU().derivative(z),
        }
    for name, out in outs.items():
        assert np.isfinite(out).all(), name
    s = outs["sigmoid"]
    assert s[0, 0] == 0.0 and s[0, 4] == 1.0 and s[0, 2] == 0.5
    np.testing.assert_allclose(outs["softmax"].sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(outs["log_sigmoid"][0], [-1000.0, -np.log1p(np.e), -np.log(2),
                                                       -np.log1p(np.exp(-1)), 0.0], rtol=1e-6)
    assert outs["log_softmax"][0, 0] == pytest.approx(-2000.0)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (3, 4), elements=st.floats(-1e3, 1e3)))
def test_sigmoid_and_softmax_in_range_for_any_logits(z):
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s, p = A.sigmoid(z), A.softmax(z)
    assert ((s >= 0) & (s <= 1)).all()
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(A.sigmoid(-z), 1 - s, atol=1e-15)


def test_repr_and_formula():
    assert repr(A.LeakyReLU(0.2)) == "LeakyReLU(alpha=0.2)"
    assert repr(A.get("relu")) == "ReLU()"
    for name in NAMES:
        assert isinstance(A.get(name).formula, str) and A.get(name).formula
