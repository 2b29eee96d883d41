"""Every engine kernel against the layer's own (readable) code: the same numbers.

For each layer type with a kernel, the same layer runs forward and backward once through its
own methods and once through the kernel, in float64, over shapes that stress the kernels'
special routes (batch of one, rectangular kernels and images, strides, asymmetric "same"
padding, pooling windows that tile, overlap or pad, leading time axes, return_sequences, no
bias, first layers that skip dLoss/dx). Outputs, parameter gradients and input gradients
must agree to 1e-10.
"""

import numpy as np
import pytest

import neuronal as nl
from neuronal.engine import KERNELS


def compare(layer, x, rng, needs_input_grad=True, atol=1e-10):
    layer.build(np.random.default_rng(0), np.float64)
    for p in layer.params().values():  # non-zero biases too
        p[...] = rng.standard_normal(p.shape) * 0.5
    layer.needs_input_grad = needs_input_grad
    kernel = KERNELS[type(layer)]
    y_plain = layer.forward(x, training=True)
    g = rng.standard_normal(y_plain.shape)
    dx_plain = layer.backward(g)
    grads_plain = {k: v.copy() for k, v in layer.grads().items()}
    y_fast = kernel.forward(layer, x, True)
    dx_fast = kernel.backward(layer, g, False)
    np.testing.assert_allclose(y_fast, y_plain, atol=atol, rtol=1e-10)
    for k, v in layer.grads().items():
        np.testing.assert_allclose(v, grads_plain[k], atol=atol, rtol=1e-10, err_msg=k)
    if needs_input_grad:
        assert dx_fast.shape == x.shape
        np.testing.assert_allclose(dx_fast, dx_plain, atol=atol, rtol=1e-10)
    else:
        assert dx_fast is None and dx_plain is None


CONV = [
    # in, out, kernel, stride, padding, (N, H, W)
    (1, 6, 5, 1, 2, (1, 12, 12)),
    (6, 16, 5, 1, 0, (3, 14, 14)),
    (2, 3, (2, 4), 1, (1, 0), (2, 6, 9)),
    (3, 2, 4, 1, "same", (2, 7, 5)),
    (2, 4, 3, 2, 1, (2, 9, 8)),
    (1, 2, 1, 1, 0, (2, 3, 4)),
    (3, 5, 3, (2, 1), "valid", (2, 8, 7)),
]


@pytest.mark.parametrize("c_in,c_out,k,s,p,nhw", CONV)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("activation", ["relu", None])
def test_conv2d_kernel(c_in, c_out, k, s, p, nhw, bias, activation, rng):
    n, h, w = nhw
    layer = nl.Conv2D(c_in, c_out, k, stride=s, padding=p, use_bias=bias,
                      activation=activation)
    compare(layer, rng.standard_normal((n, c_in, h, w)), rng)


def test_conv2d_kernel_with_a_time_axis_and_as_first_layer(rng):
    compare(nl.Conv2D(2, 3, 3, padding=1), rng.standard_normal((2, 3, 2, 6, 5)), rng)
    compare(nl.Conv2D(1, 3, 3), rng.standard_normal((4, 1, 7, 7)), rng, needs_input_grad=False)


POOL = [
    # kernel, stride, padding, (N, C, H, W)
    (2, None, 0, (2, 3, 8, 8)),  # tiles exactly
    (2, None, 0, (1, 2, 7, 9)),  # does not tile: edge dropped
    (3, 2, 1, (2, 2, 9, 8)),  # overlapping and padded
    ((2, 3), (1, 2), 0, (2, 1, 6, 7)),
    (3, None, 0, (2, 2, 9, 9)),  # tiles, 3x3
]


@pytest.mark.parametrize("kind", [nl.MaxPool2D, nl.AvgPool2D])
@pytest.mark.parametrize("k,s,p,shape", POOL)
def test_pooling_kernels(kind, k, s, p, shape, rng):
    compare(kind(k, stride=s, padding=p), rng.standard_normal(shape), rng)


def test_max_pool_kernel_breaks_ties_like_the_layer(rng):
    x = np.round(rng.standard_normal((2, 2, 8, 8)))  # many equal values in a window
    compare(nl.MaxPool2D(2), x, rng)
    compare(nl.MaxPool2D(3, stride=1), x, rng)


def test_pooling_kernels_with_a_time_axis(rng):
    compare(nl.MaxPool2D(2), rng.standard_normal((2, 3, 2, 6, 6)), rng)
    compare(nl.AvgPool2D(2), rng.standard_normal((2, 3, 2, 6, 6)), rng)


@pytest.mark.parametrize("kind", [nl.SimpleRNN, nl.LSTM, nl.GRU])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("needs_input_grad", [False, True])
@pytest.mark.parametrize("shape", [(3, 6, 5), (1, 1, 2)])
def test_recurrent_kernels(kind, return_sequences, needs_input_grad, shape, rng):
    layer = kind(shape[2], 4, return_sequences=return_sequences)
    compare(layer, rng.standard_normal(shape), rng, needs_input_grad)


def test_relu_rnn_kernel(rng):
    compare(nl.SimpleRNN(3, 4, nonlinearity="relu", return_sequences=True),
            rng.standard_normal((2, 5, 3)), rng)


def test_every_kernel_is_tested():
    tested = {nl.Conv2D, nl.MaxPool2D, nl.AvgPool2D, nl.SimpleRNN, nl.LSTM, nl.GRU}
    assert set(KERNELS) == tested
