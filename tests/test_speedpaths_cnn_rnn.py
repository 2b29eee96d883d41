"""The fast paths of Conv2D and LSTM against plain NumPy references (float64, no PyTorch).

Conv2D builds its columns in two copies with a row of ones for the bias, and computes the
stride-1 input gradient image-minor; the LSTM computes each step's whole pre-activation in
one product. These tests pin those tricks to textbook formulas for shapes that stress their
edges: batch of one, rectangular kernels and images, asymmetric "same" padding, leading
time axes, no bias.
"""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import neuronal as nl


def _conv_reference(layer, x, delta):
    """z, dW, db, dx of a convolution by the definition (windows and einsum)."""
    top, bottom, left, right = layer._pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]  # n c y x i j
    w = layer.weight
    z = np.einsum("ncyxij,ocij->noyx", win, w) + layer.bias[:, None, None]
    dw = np.einsum("noyx,ncyxij->ocij", delta, win)
    db = delta.sum(axis=(0, 2, 3))
    dxp = np.zeros_like(xp)
    ho, wo = z.shape[2:]
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i : i + sh * ho : sh, j : j + sw * wo : sw] += np.einsum(
                "noyx,oc->ncyx", delta, w[:, :, i, j])
    dx = dxp[:, :, top : xp.shape[2] - bottom, left : xp.shape[3] - right]
    return z, dw, db, dx


CASES = [
    # in, out, kernel, stride, padding, (N, H, W)
    (1, 6, 5, 1, 2, (1, 12, 12)),
    (6, 16, 5, 1, 0, (3, 14, 14)),
    (2, 3, (2, 4), 1, (1, 0), (2, 6, 9)),
    (3, 2, 4, 1, "same", (2, 7, 5)),
    (2, 4, 3, 2, 1, (2, 9, 8)),
    (1, 2, 1, 1, 0, (2, 3, 4)),
]


@pytest.mark.parametrize("c_in,c_out,k,s,p,nhw", CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_fast_paths_match_definition(c_in, c_out, k, s, p, nhw, bias):
    rng = np.random.default_rng(1)
    n, h, w = nhw
    layer = nl.Conv2D(c_in, c_out, k, stride=s, padding=p, use_bias=bias)
    layer.build(np.random.default_rng(0), np.float64)
    if bias:
        layer.bias = rng.standard_normal(c_out)
    x = rng.standard_normal((n, c_in, h, w))
    z = layer.forward(x, training=True)
    delta = rng.standard_normal(z.shape)
    dx = layer.backward(delta)
    z_ref, dw_ref, db_ref, dx_ref = _conv_reference(layer, x, delta)
    np.testing.assert_allclose(z, z_ref, atol=1e-10)
    np.testing.assert_allclose(layer.grads()["weight"], dw_ref, atol=1e-10)
    if bias:
        np.testing.assert_allclose(layer.grads()["bias"], db_ref, atol=1e-10)
    np.testing.assert_allclose(dx, dx_ref, atol=1e-10)


def test_conv2d_leading_time_axis_gradients_match_folded_batch():
    rng = np.random.default_rng(2)
    layer = nl.Conv2D(2, 3, 3, padding=1)
    layer.build(np.random.default_rng(0), np.float64)
    x = rng.standard_normal((2, 3, 2, 6, 5))  # (N, T, C, H, W)
    y = layer.forward(x, training=True)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)
    grads = {k: v.copy() for k, v in layer.grads().items()}
    layer.forward(x.reshape(6, 2, 6, 5), training=True)
    dx_folded = layer.backward(g.reshape(6, 3, 6, 5))
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx.reshape(dx_folded.shape), dx_folded, atol=1e-12)
    for k, v in layer.grads().items():
        np.testing.assert_allclose(grads[k], v, atol=1e-12)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _lstm_reference(layer, x, grad, return_sequences):
    """Forward and BPTT of an LSTM step by step, PyTorch's equations and gate order."""
    w_ih, w_hh = layer.weight_ih_l0, layer.weight_hh_l0
    b = layer.bias_ih_l0 + layer.bias_hh_l0
    n, steps, _ = x.shape
    hdim = layer.n_hidden
    h, c = np.zeros((n, hdim)), np.zeros((n, hdim))
    cache, outs = [], []
    for t in range(steps):
        z = x[:, t] @ w_ih.T + h @ w_hh.T + b
        i, f = _sigmoid(z[:, :hdim]), _sigmoid(z[:, hdim : 2 * hdim])
        g, o = np.tanh(z[:, 2 * hdim : 3 * hdim]), _sigmoid(z[:, 3 * hdim :])
        c_new = f * c + i * g
        cache.append((h, c, i, f, g, o, c_new))
        h, c = o * np.tanh(c_new), c_new
        outs.append(h)
    y = np.stack(outs, axis=1) if return_sequences else h
    dw_ih, dw_hh, db = np.zeros_like(w_ih), np.zeros_like(w_hh), np.zeros_like(b)
    dx = np.zeros_like(x)
    dh, dc = np.zeros((n, hdim)), np.zeros((n, hdim))
    for t in range(steps - 1, -1, -1):
        h_prev, c_prev, i, f, g, o, c_t = cache[t]
        dh = dh + (grad[:, t] if return_sequences else (grad if t == steps - 1 else 0))
        tc = np.tanh(c_t)
        dc = dc + dh * o * (1 - tc**2)
        dz = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                             dc * i * (1 - g**2), dh * tc * o * (1 - o)], axis=1)
        dw_ih += dz.T @ x[:, t]
        dw_hh += dz.T @ h_prev
        db += dz.sum(axis=0)
        dx[:, t] = dz @ w_ih
        dh, dc = dz @ w_hh, dc * f
    return y, dw_ih, dw_hh, db, dx


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("needs_input_grad", [False, True])
def test_lstm_fast_paths_match_step_by_step_reference(return_sequences, needs_input_grad):
    rng = np.random.default_rng(3)
    layer = nl.LSTM(5, 4, return_sequences=return_sequences)
    layer.build(np.random.default_rng(0), np.float64)
    layer.needs_input_grad = needs_input_grad
    x = rng.standard_normal((3, 6, 5))
    y = layer.forward(x, training=True)
    grad = rng.standard_normal(y.shape)
    dx = layer.backward(grad)
    y_ref, dw_ih, dw_hh, db, dx_ref = _lstm_reference(layer, x, grad, return_sequences)
    np.testing.assert_allclose(y, y_ref, atol=1e-12)
    grads = layer.grads()
    np.testing.assert_allclose(grads["weight_ih_l0"], dw_ih, atol=1e-12)
    np.testing.assert_allclose(grads["weight_hh_l0"], dw_hh, atol=1e-12)
    np.testing.assert_allclose(grads["bias_ih_l0"], db, atol=1e-12)
    np.testing.assert_allclose(grads["bias_hh_l0"], db, atol=1e-12)
    if needs_input_grad:
        np.testing.assert_allclose(dx, dx_ref, atol=1e-12)
    else:
        assert dx is None
