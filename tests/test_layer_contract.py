"""One contract test over every layer type: shapes, gradients, config round trip, training step."""

import numpy as np
import pytest
from layer_examples import EXAMPLES, INTEGER_INPUTS

import neuronal as nl

CASES = [
    pytest.param(kind, i, factory, shape, id=f"{kind}-{i}")
    for kind, entries in EXAMPLES.items()
    for i, (factory, shape) in enumerate(entries)
]


def _input(kind, shape, rng, dtype=np.float64):
    if kind in INTEGER_INPUTS:
        return rng.integers(0, INTEGER_INPUTS[kind], size=shape)
    return rng.standard_normal(shape).astype(dtype)


def test_every_layer_type_has_an_example():
    missing = sorted(set(nl.Layer.types) - set(EXAMPLES))
    assert not missing, f"layer types without a contract-test example: {missing}"


@pytest.mark.parametrize("kind,i,factory,shape", CASES)
def test_output_shape(kind, i, factory, shape, rng):
    layer = factory()
    x = _input(kind, shape, rng, np.float32)
    out = layer(x)
    assert out.shape == (shape[0], *layer.output_shape(shape[1:]))
    assert out.dtype == np.float32
    assert np.isfinite(out).all()


@pytest.mark.parametrize("kind,i,factory,shape", CASES)
def test_gradients_match_finite_differences(kind, i, factory, shape, rng):
    layer = factory()
    x = _input(kind, shape, rng)
    if kind in INTEGER_INPUTS:  # no gradient with respect to integer inputs
        errors = nl.check_layer_gradients(layer, x, input_grad=False)
    else:
        errors = nl.check_layer_gradients(layer, x)
    assert errors, "no gradient was checked"
    for name, err in errors.items():
        assert err < 1e-6, f"{kind}: gradient of {name} is off (relative error {err:.2e})"


@pytest.mark.parametrize("kind,i,factory,shape", CASES)
def test_config_round_trip(kind, i, factory, shape, rng):
    layer = factory()
    layer.build(np.random.default_rng(0))
    twin = type(layer).from_config(layer.get_config())
    twin.build(np.random.default_rng(1))
    assert twin.get_config() == layer.get_config()
    twin.load_state({k: v.copy() for k, v in layer.state().items()})
    x = _input(kind, shape, rng, np.float32)
    np.testing.assert_array_equal(layer(x), twin(x))


@pytest.mark.parametrize("kind,i,factory,shape", CASES)
def test_training_step_lowers_the_loss(kind, i, factory, shape, rng):
    layer = factory()
    x = _input(kind, shape, rng)
    layer.build(np.random.default_rng(0), np.float64)
    target = rng.standard_normal(layer(x).shape)
    pairs = layer.parameters()
    if not pairs:  # parameter-free layers: a step on the input itself lowers the loss
        if kind in INTEGER_INPUTS:
            pytest.skip("nothing trainable")  # pragma: no cover
        x_var = x.copy()
        before = np.mean((layer.forward(x_var, training=False) - target) ** 2)
        grad = layer.backward(2 * (layer.forward(x_var) - target) / target.size)
        x_var -= 0.1 * grad
        after = np.mean((layer.forward(x_var) - target) ** 2)
        assert after < before
        return
    opt = nl.SGD(learning_rate=0.05)
    before = np.mean((layer.forward(x, training=True) - target) ** 2)
    for _ in range(3):
        out = layer.forward(x, training=True)
        layer.backward(2 * (out - target) / target.size)
        opt.step(pairs)
    after = np.mean((layer.forward(x, training=False) - target) ** 2)
    assert after < before
