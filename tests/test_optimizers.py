"""Optimisers and learning-rate schedules: steps computed by hand, with the numbers written out.

Every case starts from the parameter p = 1.0 and feeds the gradients g = 0.5, then g = 0.25.
"""

import math

import numpy as np
import pytest

import neuronal as nl
from neuronal import optimizers as O
from neuronal.errors import NeuronalError


def run(opt, grads=(0.5, 0.25), p0=1.0):
    """Apply ``opt`` to a one-element parameter, one step per gradient; return p after each."""
    p, g = np.array([p0]), np.zeros(1)
    out = []
    for gi in grads:
        g[...] = gi
        opt.step([(p, g)])
        out.append(float(p[0]))
    return out


# --------------------------------------------------------------------------- one step by hand


def test_sgd_by_hand():
    # p <- p - lr g: 1 - 0.1 * 0.5 = 0.95; 0.95 - 0.1 * 0.25 = 0.925
    assert run(nl.SGD(learning_rate=0.1)) == pytest.approx([0.95, 0.925], abs=1e-15)


def test_sgd_momentum_by_hand():
    # v1 = 0.5;             p1 = 1 - 0.1 * 0.5 = 0.95
    # v2 = 0.9*0.5 + 0.25 = 0.7;  p2 = 0.95 - 0.1 * 0.7 = 0.88
    assert run(nl.SGD(learning_rate=0.1, momentum=0.9)) == pytest.approx([0.95, 0.88], abs=1e-15)


def test_sgd_nesterov_by_hand():
    # v1 = 0.5;  step g + mu v1 = 0.5 + 0.45 = 0.95;     p1 = 1 - 0.095 = 0.905
    # v2 = 0.7;  step g + mu v2 = 0.25 + 0.63 = 0.88;    p2 = 0.905 - 0.088 = 0.817
    opt = nl.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    assert run(opt) == pytest.approx([0.905, 0.817], abs=1e-15)


def test_weight_decay_by_hand():
    # g <- g + wd p = 0.5 + 0.01 * 1 = 0.51;  p1 = 1 - 0.1 * 0.51 = 0.949
    # g <- 0.25 + 0.01 * 0.949 = 0.25949;     p2 = 0.949 - 0.025949 = 0.923051
    opt = nl.SGD(learning_rate=0.1, weight_decay=0.01)
    assert run(opt) == pytest.approx([0.949, 0.923051], abs=1e-15)


def test_weight_decay_with_momentum_by_hand():
    # g1 = 0.51, v1 = 0.51, p1 = 1 - 0.051 = 0.949
    # g2 = 0.25949, v2 = 0.9 * 0.51 + 0.25949 = 0.71849, p2 = 0.949 - 0.071849 = 0.877151
    opt = nl.SGD(learning_rate=0.1, momentum=0.9, weight_decay=0.01)
    assert run(opt) == pytest.approx([0.949, 0.877151], abs=1e-15)


def test_adam_by_hand():
    # step 1: m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025
    #         m_hat = 0.05 / 0.1 = 0.5, v_hat = 0.00025 / 0.001 = 0.25, sqrt = 0.5
    #         p1 = 1 - 0.001 * 0.5 / (0.5 + 1e-8) = 0.99900000002
    # step 2: m = 0.9 * 0.05 + 0.1 * 0.25 = 0.07, v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225
    #         m_hat = 0.07 / 0.19 = 0.368421052631579, v_hat = 0.00031225 / 0.001999
    #         = 0.156203101550775, sqrt = 0.395225380...
    #         p2 = p1 - 0.001 * 0.368421052631579 / (0.395225380... + 1e-8) = 0.998067820404775
    opt = nl.Adam(learning_rate=0.001)
    p1, p2 = run(opt)
    assert p1 == pytest.approx(0.99900000002, abs=1e-14)
    assert p2 == pytest.approx(0.998067820404775, abs=1e-14)
    assert p1 == pytest.approx(1 - 0.001 * 0.5 / (0.5 + 1e-8), abs=1e-15)
    assert p2 == pytest.approx(
        p1 - 0.001 * 0.368421052631579 / (math.sqrt(0.156203101550775) + 1e-8), abs=1e-14)
    assert opt.iterations == 2


def test_adam_first_step_is_learning_rate_times_sign():
    p, g = np.array([1.0, 1.0, 1.0]), np.array([1e-3, -7.0, 300.0])
    nl.Adam(learning_rate=0.01).step([(p, g)])
    np.testing.assert_allclose(p, [0.99, 1.01, 0.99], atol=1e-7)


def test_rmsprop_by_hand():
    # step 1: s = 0.01 * 0.25 = 0.0025, sqrt = 0.05;  p1 = 1 - 0.01 * 0.5 / (0.05 + 1e-8)
    #         = 0.900000019999996
    # step 2: s = 0.99 * 0.0025 + 0.01 * 0.0625 = 0.0031, sqrt = 0.0556776436283002
    #         p2 = p1 - 0.01 * 0.25 / (0.0556776436283002 + 1e-8) = 0.855098702557817
    p1, p2 = run(nl.RMSprop(learning_rate=0.01, rho=0.99))
    assert p1 == pytest.approx(0.900000019999996, abs=1e-14)
    assert p2 == pytest.approx(0.855098702557817, abs=1e-14)


def test_adam_and_rmsprop_weight_decay_by_hand():
    # Adam step 1 with g = 0.5 + 0.1 * 1 = 0.6: m_hat = 0.6, sqrt(v_hat) = 0.6, p = 1 - lr
    (p1,) = run(nl.Adam(learning_rate=0.01, weight_decay=0.1), grads=(0.5,))
    assert p1 == pytest.approx(1 - 0.01 * 0.6 / (0.6 + 1e-8), abs=1e-15)
    # RMSprop with g = 0.6: s = 0.01 * 0.36 = 0.0036, sqrt = 0.06, p = 1 - 0.01 * 0.6 / 0.06
    (p1,) = run(nl.RMSprop(learning_rate=0.01, weight_decay=0.1), grads=(0.5,))
    assert p1 == pytest.approx(1 - 0.01 * 0.6 / (0.06 + 1e-8), abs=1e-15)


# --------------------------------------------------------------------------- mechanics


@pytest.mark.parametrize("opt", [
    nl.SGD(learning_rate=0.1), nl.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    nl.Adam(), nl.RMSprop(),
], ids=repr)
def test_updates_in_place_and_keeps_dtype(opt, rng):
    W = rng.standard_normal((3, 4)).astype(np.float32)
    b = np.zeros(3, np.float32)
    gW, gb = np.ones_like(W), np.ones_like(b)
    ids, W0 = (id(W), id(b)), W.copy()
    for _ in range(3):
        opt.step([(W, gW), (b, gb)])
    assert (id(W), id(b)) == ids
    assert W.dtype == np.float32 and b.dtype == np.float32
    assert (W < W0).all() and (b < 0).all()


def test_gradient_arrays_are_not_modified_by_weight_decay():
    p, g = np.array([2.0]), np.array([0.5])
    nl.SGD(learning_rate=0.1, weight_decay=0.5).step([(p, g)])
    assert g[0] == 0.5
    assert p[0] == pytest.approx(2.0 - 0.1 * (0.5 + 0.5 * 2.0))


@pytest.mark.parametrize("make", [lambda: nl.SGD(0.1, momentum=0.9), lambda: nl.Adam(0.01),
                                  lambda: nl.RMSprop(0.01)])
def test_state_dict_round_trip_continues_identically(make):
    a = make()
    p_a = np.array([1.0, -1.0])
    for g in ([0.5, 0.1], [0.2, -0.3]):
        a.step([(p_a, np.array(g))])
    b = make()
    p_b = p_a.copy()
    b.load_state_dict({k: v.copy() for k, v in a.state_dict().items()}, [(p_b, np.zeros(2))])
    assert b.iterations == a.iterations == 2
    g = np.array([-0.4, 0.7])
    a.step([(p_a, g)])
    b.step([(p_b, g)])
    np.testing.assert_array_equal(p_a, p_b)


def test_registry_and_config():
    assert isinstance(O.get("adam"), nl.Adam)
    assert O.get("sgd", learning_rate=0.5).learning_rate == 0.5
    opt = nl.SGD(learning_rate=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    twin = O.get(opt.get_config())
    assert twin.get_config() == opt.get_config()
    assert O.get(opt) is opt
    assert "momentum=0.9" in repr(opt)


@pytest.mark.parametrize("make,match", [
    (lambda: nl.SGD(learning_rate=-1), "learning_rate"),
    (lambda: nl.SGD(learning_rate=float("nan")), "learning_rate"),
    (lambda: nl.SGD(learning_rate=0), "learning_rate"),
    (lambda: nl.SGD(nesterov=True), "Nesterov"),
    (lambda: nl.SGD(momentum=-0.5), "momentum"),
    (lambda: nl.SGD(weight_decay=-1), "weight_decay"),
    (lambda: nl.Adam(beta1=1.0), "beta1"),
    (lambda: nl.Adam(beta2=-0.1), "beta2"),
    (lambda: nl.RMSprop(rho=1.5), "rho"),
    (lambda: nl.Adam(epsilon=0), "epsilon"),
])
def test_bad_hyperparameters(make, match):
    with pytest.raises(NeuronalError, match=match):
        make()


# --------------------------------------------------------------------------- schedules


def test_step_decay_by_hand():
    s = nl.StepDecay(0.1, step=10, factor=0.5)
    assert [s(e) for e in (0, 9, 10, 19, 20, 25)] == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_exponential_decay_by_hand():
    s = nl.ExponentialDecay(0.1, rate=0.9)
    assert [s(e) for e in (0, 1, 2, 3)] == pytest.approx([0.1, 0.09, 0.081, 0.0729])


def test_cosine_decay_by_hand():
    s = nl.CosineDecay(0.1, epochs=4)
    # 0.1 * (1 + cos(pi * e / 4)) / 2: 0.1, 0.0853553, 0.05, 0.0146447, 0, then flat at 0
    assert [s(e) for e in range(7)] == pytest.approx(
        [0.1, 0.0853553390593274, 0.05, 0.0146446609406726, 0.0, 0.0, 0.0], abs=1e-15)
    s = nl.CosineDecay(0.1, epochs=10, minimum=0.01)
    assert [s(0), s(5), s(10), s(20)] == pytest.approx([0.1, 0.055, 0.01, 0.01])


def test_schedule_drives_the_optimizer_learning_rate():
    opt = nl.SGD(learning_rate=nl.StepDecay(0.2, step=2, factor=0.1))
    assert opt.learning_rate == pytest.approx(0.2)
    rates = []
    for epoch in range(5):
        opt.set_epoch(epoch)
        rates.append(opt.learning_rate)
    assert rates == pytest.approx([0.2, 0.2, 0.02, 0.02, 0.002])
    twin = O.get(opt.get_config())
    twin.set_epoch(3)
    assert twin.learning_rate == pytest.approx(0.02)


@pytest.mark.parametrize("make", [lambda: nl.StepDecay(0), lambda: nl.StepDecay(0.1, step=0),
                                  lambda: nl.CosineDecay(0.1, epochs=0),
                                  lambda: nl.ExponentialDecay(float("inf"))])
def test_bad_schedules(make):
    with pytest.raises(NeuronalError):
        make()


# --------------------------------------------------------------------------- decay: weights only


def test_weight_decay_applies_to_weights_not_biases_unless_asked():
    X = np.ones((4, 3))
    y = np.array([0, 1, 0, 1])
    for decay_biases in (False, True):
        net = nl.Network.from_shape("3x2", output="softmax", seed=0, dtype="float64",
                                    optimizer=nl.SGD(0.1, weight_decay=0.5,
                                                     decay_biases=decay_biases))
        plain = nl.Network.from_shape("3x2", output="softmax", seed=0, dtype="float64",
                                      optimizer=nl.SGD(0.1))
        layer, ref = net.layers[0], plain.layers[0]
        ref.bias[...] = layer.bias[...] = [0.3, -0.2]
        w0, b0 = layer.weights.copy(), layer.bias.copy()
        net.train_step(X, y)
        plain.train_step(X, y)
        # the decayed step moves each decayed parameter by an extra -lr * wd * p
        np.testing.assert_allclose(layer.weights, ref.weights - 0.1 * 0.5 * w0, atol=1e-12)
        expected_b = ref.bias - 0.1 * 0.5 * b0 if decay_biases else ref.bias
        np.testing.assert_allclose(layer.bias, expected_b, atol=1e-12)
    assert nl.Network([nl.BatchNorm(3), nl.Dense(3, 2)], loss="mse").decay_flags() == [
        False, False, True, False]


def test_decay_biases_round_trips_in_the_config():
    opt = nl.Adam(0.01, weight_decay=1e-3, decay_biases=True)
    assert O.get(opt.get_config()).decay_biases is True
    assert "decay_biases" not in nl.Adam(weight_decay=1e-3).get_config()
    with pytest.raises(NeuronalError, match=r"momentum must be in \[0, 1\)"):
        nl.SGD(0.1, momentum=1.0)
