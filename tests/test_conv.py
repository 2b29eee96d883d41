"""Conv2D, MaxPool2D, AvgPool2D, Flatten and Reshape: PyTorch equivalence, shapes and errors."""

import numpy as np
import pytest

import neuronal as nl

TOL = 1e-5


def _torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def _compare(layer, module, x, rng, params=()):
    """Forward and every gradient of ``layer`` against ``module`` (float64, weights copied)."""
    torch = _torch()
    for name in params:
        getattr(module, name).data.copy_(torch.from_numpy(layer.params()[name].copy()))
    xt = torch.tensor(x, requires_grad=True)
    yt = module(xt)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=TOL, rtol=0)
    g = rng.standard_normal(y.shape)
    yt.backward(torch.from_numpy(g))
    dx = layer.backward(g)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=TOL, rtol=0)
    for name in params:
        np.testing.assert_allclose(layer.grads()[name], getattr(module, name).grad.numpy(),
                                   atol=TOL, rtol=0, err_msg=name)


CONV_CASES = [
    # in, out, kernel, stride, padding, (N, H, W)
    (1, 6, 5, 1, 2, (3, 28, 28)),
    (6, 16, 5, 1, 0, (2, 14, 14)),
    (3, 4, 3, 2, 1, (2, 9, 7)),
    (2, 3, (3, 2), (2, 1), (0, 1), (1, 8, 9)),
    (2, 3, 4, 1, "same", (2, 7, 6)),
    (3, 2, 3, 1, "same", (1, 5, 5)),
    (2, 2, 3, 3, 0, (2, 10, 11)),
    (1, 1, 1, 1, 0, (1, 3, 3)),
    (2, 5, 7, 1, 3, (1, 7, 7)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("c_in,c_out,k,s,p,nhw", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(c_in, c_out, k, s, p, nhw, bias, rng):
    torch = _torch()
    n, h, w = nhw
    layer = nl.Conv2D(c_in, c_out, k, stride=s, padding=p, use_bias=bias)
    layer.build(np.random.default_rng(0), np.float64)
    if bias:  # non-zero biases, so that their effect is tested too
        layer.bias = rng.standard_normal(c_out)
    module = torch.nn.Conv2d(c_in, c_out, k, stride=s, padding=p, bias=bias).double()
    x = rng.standard_normal((n, c_in, h, w))
    _compare(layer, module, x, rng, ("weight", "bias") if bias else ("weight",))


def test_conv2d_with_activation_matches_torch_relu(rng):
    torch = _torch()
    layer = nl.Conv2D(2, 3, 3, padding=1, activation="relu")
    layer.build(np.random.default_rng(0), np.float64)
    conv = torch.nn.Conv2d(2, 3, 3, padding=1).double()
    module = torch.nn.Sequential(conv, torch.nn.ReLU())
    x = rng.standard_normal((2, 2, 6, 5))
    conv.weight.data.copy_(torch.from_numpy(layer.weight))
    conv.bias.data.copy_(torch.from_numpy(layer.bias))
    xt = torch.tensor(x, requires_grad=True)
    yt = module(xt)
    y = layer.forward(x)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=TOL)
    g = rng.standard_normal(y.shape)
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(layer.backward(g), xt.grad.numpy(), atol=TOL)
    np.testing.assert_allclose(layer.grads()["weight"], conv.weight.grad.numpy(), atol=TOL)


def test_conv2d_sequence_of_images_is_extra_batch(rng):
    layer = nl.Conv2D(1, 2, 3, padding=1, seed=0)
    x = rng.standard_normal((2, 4, 1, 5, 5)).astype(np.float32)
    y = layer(x)
    assert y.shape == (2, 4, 2, 5, 5)
    np.testing.assert_allclose(y.reshape(8, 2, 5, 5), layer(x.reshape(8, 1, 5, 5)), atol=1e-6)
    assert layer.output_shape((4, 1, 5, 5)) == (4, 2, 5, 5)


def test_conv2d_first_layer_skips_input_gradient(rng):
    layer = nl.Conv2D(1, 2, 3, seed=0)
    layer.needs_input_grad = False
    y = layer(rng.standard_normal((2, 1, 5, 5)))
    assert layer.backward(np.ones_like(y)) is None
    assert np.abs(layer.grads()["weight"]).sum() > 0


@pytest.mark.parametrize("c_in,c_out,size", [(1, 2, 6), (6, 16, 14)])  # per image / one GEMM
def test_conv2d_weight_gradient_same_with_or_without_input_gradient(c_in, c_out, size, rng):
    x = rng.standard_normal((3, c_in, size, size))
    grads = []
    for needs in (True, False):
        layer = nl.Conv2D(c_in, c_out, 5, activation="relu")
        layer.build(np.random.default_rng(0), np.float64)
        layer.needs_input_grad = needs
        y = layer.forward(x)
        layer.backward(np.cos(y))
        grads.append({k: v.copy() for k, v in layer.grads().items()})
    for k in grads[0]:
        np.testing.assert_allclose(grads[0][k], grads[1][k], atol=1e-10)


def test_conv2d_state_dict_names_and_shapes_match_torch():
    torch = _torch()
    layer = nl.Conv2D(3, 8, (5, 3), seed=0)
    module = torch.nn.Conv2d(3, 8, (5, 3))
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    assert {k: v.shape for k, v in layer.state().items()} == expected


def test_conv2d_output_shape_and_neurons():
    layer = nl.Conv2D(1, 6, 5, padding=2)
    assert layer.output_shape((1, 28, 28)) == (6, 28, 28)
    assert layer.output_shape((1, None, 28)) == (6, None, 28)
    assert nl.Conv2D(6, 16, 5).output_shape((6, 14, 14)) == (16, 10, 10)
    assert nl.Conv2D(3, 4, 3, stride=2, padding=1).output_shape((3, 9, 7)) == (4, 5, 4)
    assert layer.n_neurons == 6 and layer.n_params == 6 * 25 + 6


def test_conv2d_shape_errors_name_layer_expected_got_and_fix():
    conv = nl.Conv2D(1, 6, 5, seed=0)
    with pytest.raises(nl.ShapeError, match=r"Conv2D.*\(batch, 1, height, width\).*\(4, 784\)"
                                            r".*x.reshape\(-1, 1, 28, 28\)"):
        conv(np.zeros((4, 784)))
    with pytest.raises(nl.ShapeError, match=r"Conv2D.*add the channel axis"):
        conv(np.zeros((4, 28, 28)))
    with pytest.raises(nl.ShapeError, match=r"channels-last.*transpose\(0, 3, 1, 2\)"):
        nl.Conv2D(3, 2, 3)(np.zeros((2, 8, 8, 3)))
    with pytest.raises(nl.ShapeError, match=r"3 channels.*in_channels=3"):
        conv(np.zeros((2, 3, 8, 8)))
    with pytest.raises(nl.ShapeError, match=r"at least 5x5.*got 3x3"):
        conv(np.zeros((2, 1, 3, 3)))
    with pytest.raises(nl.NeuronalError, match="padding='same' needs stride 1"):
        nl.Conv2D(1, 2, 3, stride=2, padding="same")
    with pytest.raises(nl.NeuronalError, match="kernel_size must be an integer"):
        nl.Conv2D(1, 2, 0)


def test_conv2d_in_network_chain_check():
    with pytest.raises(nl.ShapeError, match=r"layer 1 Conv2D.*expects samples of shape"):
        nl.Network([nl.Conv2D(1, 4, 3), nl.Conv2D(3, 2, 3)])


# --------------------------------------------------------------------------- pooling

POOL_CASES = [
    # kernel, stride, padding, (N, C, H, W)
    (2, None, 0, (2, 3, 8, 8)),
    (2, None, 0, (1, 2, 7, 9)),  # odd sizes: the last row/column is dropped
    (3, 2, 1, (2, 2, 7, 6)),
    (3, 1, 0, (1, 1, 5, 5)),
    ((2, 3), (1, 2), (1, 1), (2, 2, 6, 7)),
    (2, 3, 0, (1, 2, 8, 8)),
    (3, None, 0, (2, 2, 6, 9)),  # windows tile the image: the separable fast path
    ((2, 3), None, 0, (1, 2, 4, 9)),
]


@pytest.mark.parametrize("k,s,p,shape", POOL_CASES)
def test_maxpool_matches_torch(k, s, p, shape, rng):
    torch = _torch()
    layer = nl.MaxPool2D(k, stride=s, padding=p)
    module = torch.nn.MaxPool2d(k, stride=s, padding=p)
    _compare(layer, module, rng.standard_normal(shape), rng)


@pytest.mark.parametrize("k,s,p,shape", POOL_CASES)
def test_avgpool_matches_torch(k, s, p, shape, rng):
    torch = _torch()
    layer = nl.AvgPool2D(k, stride=s, padding=p)
    module = torch.nn.AvgPool2d(k, stride=s, padding=p)
    _compare(layer, module, rng.standard_normal(shape), rng)


def test_maxpool_ties_send_the_gradient_to_the_first_maximum_like_torch(rng):
    torch = _torch()
    x = np.maximum(rng.standard_normal((2, 3, 6, 6)), 0)  # many ties at 0 after a ReLU
    x[0, 0, :2, :2] = 1.5  # a whole window of equal values
    x[1, 2, 3:, 3:] = 0.0  # an all-zero 3x3 window
    for k, s in ((2, None), (3, None), (3, 1), ((2, 3), None)):
        _compare(nl.MaxPool2D(k, stride=s), torch.nn.MaxPool2d(k, stride=s), x, rng)


def test_pool_sequence_of_images_and_errors(rng):
    pool = nl.MaxPool2D(2)
    x = rng.standard_normal((2, 3, 4, 6, 6)).astype(np.float32)
    assert pool(x).shape == (2, 3, 4, 3, 3)
    assert pool.output_shape((3, 4, 6, 6)) == (3, 4, 3, 3)
    assert pool.n_params == 0 and pool.n_neurons == 0
    with pytest.raises(nl.ShapeError, match=r"MaxPool2D.*\(batch, channels, height, width\)"):
        pool(np.zeros((4, 16)))
    with pytest.raises(nl.ShapeError, match=r"at least 2x2.*got 1x1"):
        pool(np.zeros((1, 1, 1, 1)))
    with pytest.raises(nl.NeuronalError, match="at most half the kernel"):
        nl.AvgPool2D(2, padding=2)


# --------------------------------------------------------------------------- reshaping


def test_flatten_matches_torch_order(rng):
    torch = _torch()
    x = rng.standard_normal((2, 3, 4, 5))
    for start in (1, 2):
        np.testing.assert_array_equal(nl.Flatten(start).forward(x),
                                      torch.nn.Flatten(start)(torch.from_numpy(x)).numpy())
    assert nl.Flatten().output_shape((16, 5, 5)) == (400,)
    assert nl.Flatten(2).output_shape((4, 6, 5, 5)) == (4, 150)
    assert nl.Flatten().output_shape((16, None, 5)) == (None,)


def test_reshape_and_errors():
    r = nl.Reshape((1, 28, 28))
    assert r(np.zeros((3, 784))).shape == (3, 1, 28, 28)
    assert r.backward(np.zeros((3, 1, 28, 28))).shape == (3, 784)
    assert nl.Reshape((-1, 4)).output_shape((3, 8)) == (6, 4)
    with pytest.raises(nl.ShapeError, match=r"Reshape.*\(5, 10\).*10 entries.*needs 784"):
        r(np.zeros((5, 10)))
    with pytest.raises(nl.NeuronalError, match="at most one -1"):
        nl.Reshape((-1, -1))
    with pytest.raises(nl.ShapeError, match=r"Flatten flattens axes 2.*only 2 axes"):
        nl.Flatten(2)(np.zeros((3, 4)))


def test_small_cnn_trains_in_a_network(rng):
    """Conv, pool, flatten, dense compose in a Network and fit lowers the loss."""
    X = rng.standard_normal((64, 1, 8, 8)).astype(np.float32)
    y = (X[:, 0, :4].sum(axis=(1, 2)) > X[:, 0, 4:].sum(axis=(1, 2))).astype(int)
    net = nl.Network([
        nl.Conv2D(1, 4, 3, padding=1, activation="relu"), nl.MaxPool2D(2),
        nl.BatchNorm(4), nl.Flatten(), nl.Dense(64, 2, activation="softmax"),
    ], optimizer=nl.Adam(0.01), seed=0)
    before = net.evaluate(X, y)["loss"]
    net.fit(X, y, epochs=10, batch_size=16, verbose=0)
    after = net.evaluate(X, y)
    assert after["loss"] < before
    assert after["accuracy"] > 0.8
    assert nl.gradient_check(net, X[:3], y[:3]) < 1e-5
