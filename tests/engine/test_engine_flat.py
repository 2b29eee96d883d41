"""``engine.flat``: parameters packed in one array, and one fused optimiser step over them.

The fused step applies the optimiser's own ``update`` to all parameters at once, so it must
give exactly the numbers of ``optimizer.step`` parameter by parameter; every 32 steps it also
flushes state that decayed to almost nothing before it turns subnormal.
"""

import math

import numpy as np
import pytest

import neuronal as nl
from neuronal.engine import flat


def one_hot(labels, k, dtype):
    return np.eye(k, dtype=dtype)[labels]


def fused(opt, params):
    """A FusedStep over copies of ``params`` packed in one array, and its per-parameter views."""
    size = sum(p.size for p in params)
    P, G = np.empty(size, params[0].dtype), np.zeros(size, params[0].dtype)
    views, start = [], 0
    for p in params:
        pv, gv = flat.view_like(P, start, p), flat.view_like(G, start, p)
        pv[...] = p
        views.append((pv, gv))
        start += p.size
    return flat.FusedStep(opt, views), views


OPTIMIZERS = [
    {"name": "sgd", "learning_rate": 0.1},
    {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.01},
    {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
    {"name": "adam", "learning_rate": 0.01, "weight_decay": 0.01},
    {"name": "rmsprop", "learning_rate": 0.01},
]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: "-".join(map(str, o.values())))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_step_equals_the_step_per_parameter_exactly(optimizer, dtype, rng):
    params = [rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal(3).astype(dtype),
              np.asfortranarray(rng.standard_normal((5, 3)).astype(dtype))]
    separate = [p.copy(order="K") for p in params]
    reference = nl.optimizers.get(dict(optimizer))
    step, views = fused(nl.optimizers.get(dict(optimizer)), params)
    for _ in range(20):  # (below 32 steps: no flushing)
        grads = [rng.standard_normal(p.shape).astype(dtype) for p in params]
        for (_, g), gi in zip(views, grads):
            g[...] = gi
        step.step()
        reference.step(list(zip(separate, grads)))
        for (p, _), q in zip(views, separate):
            np.testing.assert_array_equal(p, q)
    mine, theirs = step.optimizer.state_dict(), reference.state_dict()
    assert mine.keys() == theirs.keys()
    for k in mine:
        np.testing.assert_array_equal(mine[k], theirs[k])


def test_a_network_is_packed_when_built_and_keeps_shapes_layouts_and_neuron_views():
    net = nl.Network.from_shape("4x3x2", seed=0)
    assert flat.flat_span([p for p, _ in net.parameters()]) is not None
    layer = net.layers[0]
    assert layer.weights.shape == (3, 4) and layer.bias.shape == (3,)
    assert layer.weights.flags.f_contiguous  # W.T is a contiguous (n_in, n_out) matrix
    neuron = layer.neurons[1]
    neuron.weights[2] = 7.0
    assert layer.weights[1, 2] == 7.0
    layer.weights = np.ones((3, 4))  # assignment writes into the packed array
    assert neuron.weights[2] == 1.0 and net.parameters()[0][0][1, 2] == 1.0
    assert flat.flat_span([p for p, _ in net.parameters()]) is not None  # still one array


def test_the_plain_engine_does_not_pack():
    with nl.use_engine("plain"):
        net = nl.Network.from_shape("4x3x2", seed=0)
    assert flat.flat_span([p for p, _ in net.parameters()]) is None


def test_layers_shared_with_a_second_network_stay_with_the_first(rng):
    X = rng.standard_normal((32, 4)).astype(np.float32)
    y = rng.integers(0, 2, 32)
    first = nl.Network.from_shape("4x3x2", optimizer="adam", seed=0)
    weights = first.layers[0].weights
    second = nl.Network(first.layers[:1] + [nl.Dense(3, 2, activation="softmax")], seed=1)
    assert first.layers[0].weights is weights  # not moved into the second network's array
    assert flat.flat_span([p for p, _ in first.parameters()]) is not None
    assert flat.flat_span([p for p, _ in second.parameters()]) is None
    before = weights.copy()
    first.fit(X, y, epochs=1, verbose=0)
    second.fit(X, y, epochs=1, verbose=0)  # per-parameter updates, on the shared arrays
    assert not np.array_equal(weights, before)


def test_the_optimizer_state_is_a_view_of_the_flat_state_and_survives_a_reload():
    net = nl.Network.from_shape("4x3x2", optimizer="adam", seed=0)
    X, y = np.random.default_rng(0).random((16, 4)), np.arange(16) % 2
    net.fit(X, y, epochs=1, batch_size=4, verbose=0)
    state = net.optimizer.state_dict()
    assert state["m.0"].base is not None and state["m.0"].shape == (3, 4)
    saved = {k: v.copy() for k, v in state.items()}
    net.fit(X, y, epochs=1, batch_size=4, verbose=0)
    net.optimizer.load_state_dict(saved, net.parameters())
    for k, v in saved.items():
        np.testing.assert_array_equal(net.optimizer.state_dict()[k], v)


# --------------------------------------------------------------------------- flushing


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
    step, [(p, g)] = fused(nl.Adam(learning_rate=0.01),
                           [np.array([0.3, -0.2, 0.1], dtype=np.float32)])
    tiny = np.finfo(np.float32).tiny
    for gi in grads:
        g[...] = gi
        step.step()
        for slot in ("m", "v"):
            s = np.abs(step.optimizer.state[0][slot])
            assert not ((s > 0) & (s < tiny)).any(), (step.optimizer.iterations, slot)
    assert step.optimizer.state[0]["m"][0] == 0.0 and step.optimizer.state[0]["m"][2] == 0.0
    expected = adam_reference(np.array([0.3, -0.2, 0.1]), [x.astype(np.float64) for x in grads])
    np.testing.assert_allclose(p, expected, rtol=1e-5)


def test_sgd_momentum_velocity_is_flushed_too():
    step, [(p, g)] = fused(nl.SGD(learning_rate=0.1, momentum=0.5),
                           [np.ones(2, dtype=np.float32)])
    g[...] = 1.0
    step.step()
    g[...] = 0.0
    for _ in range(300):  # 0.5^300 would pass through the subnormals near step 125
        step.step()
        v = np.abs(step.optimizer.state[0]["velocity"])
        assert not ((v > 0) & (v < np.finfo(np.float32).tiny)).any()
    assert (step.optimizer.state[0]["velocity"] == 0).all()


def test_second_moments_are_not_flushed_next_to_a_tiny_epsilon():
    # sqrt(v) is added to epsilon: v is flushed only where that cannot change the sum
    def run(epsilon):
        step, [(_, g)] = fused(nl.Adam(learning_rate=0.01, epsilon=epsilon),
                               [np.ones(1, dtype=np.float32)])
        g[...] = 1e-18
        step.step()
        g[...] = 0
        for _ in range(95):  # v = 1e-39 * 0.999^t: about 1e-39 at every flush
            step.step()
        return step.optimizer.state[0]["v"][0]

    assert run(1e-30) > 0  # kept: sqrt(1e-39) = 3e-20 is not negligible next to 1e-30
    assert run(1e-8) == 0.0  # flushed: invisible next to epsilon = 1e-8


@pytest.mark.parametrize("optimizer", OPTIMIZERS[1:4:2], ids=["sgd", "adam"])
def test_fused_step_decays_the_same_parameters_as_the_step_per_parameter(optimizer, rng):
    params = [rng.standard_normal((3, 4)), rng.standard_normal(3), rng.standard_normal((2, 3))]
    flags = [True, False, True]
    separate = [p.copy() for p in params]
    reference = nl.optimizers.get(dict(optimizer))
    opt = nl.optimizers.get(dict(optimizer))
    size = sum(p.size for p in params)
    P, G = np.empty(size), np.zeros(size)
    views, start = [], 0
    for p in params:
        pv, gv = flat.view_like(P, start, p), flat.view_like(G, start, p)
        pv[...] = p
        views.append((pv, gv))
        start += p.size
    step = flat.FusedStep(opt, views, flags)
    for _ in range(5):
        grads = [rng.standard_normal(p.shape) for p in params]
        for (_, g), gi in zip(views, grads):
            g[...] = gi
        step.step()
        reference.step(list(zip(separate, grads)), flags)
        for (p, _), q in zip(views, separate):
            np.testing.assert_array_equal(p, q)
