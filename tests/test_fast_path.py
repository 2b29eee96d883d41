"""The fast training and prediction paths compute exactly what the plain formulas do.

Each shortcut the core takes for speed is checked against the straightforward computation it
replaces: the fused cross-entropy value from the output, the softmax row maximum taken down a
transposed copy, the one-sample prediction that reuses the probe pass and the matrix-vector
NaN check of the inputs. (The engine's shortcuts are tested in tests/engine.)
"""

import warnings

import numpy as np
import pytest

import neuronal as nl
from neuronal import activations as A
from neuronal import losses as L
from neuronal import numerics
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
    for const in (*numerics._ONE.values(), *numerics._ZERO.values()):
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
