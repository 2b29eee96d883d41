"""Conv2D's kernel: im2col in two copies, with the bias riding along in the products.

Every patch the kernel visits is copied into a column of a matrix ``cols`` of shape
(N, C*kh*kw [+1], Ho*Wo), read through strided views of the padded input, so the convolution
is one matrix product per image, ``[W, b] @ [cols; 1]``, already in the output's (N, out,
Ho*Wo) layout. Backward: dW and db from one product per image (the row of ones gives db),
dx by col2im, which for stride 1 adds kh*kw contiguous blocks in an image-minor layout.
Pinned to ``Conv2D.forward``/``backward`` by tests/engine/test_engine_kernels.py.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ...layers.conv import _fold_leading, _offset_slices

__all__ = ["ConvKernel"]


def _pad(layer, x: np.ndarray) -> np.ndarray:
    top, bottom, left, right = layer._pads
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + top + bottom, w + left + right), dtype=x.dtype)
    xp[:, :, top : top + h, left : left + w] = x
    return xp

def _im2col(layer, xp: np.ndarray) -> np.ndarray:
    """Every patch as a column: cols (N, C*kh*kw, Ho*Wo), rows ordered (c, i, j).

    Built in two copies rather than one, because a copy from a view whose innermost run
    is short (Wo pixels) is slow in NumPy: first S[n, c, j, y', x] = xp[n, c, y',
    x*sw + j] (the kw column shifts, only kw times the input), then the kh row shifts
    cols[n, (c, i, j), y, x] = S[n, c, j, y*sh + i, x], whose (y, x) block is one
    contiguous run of Ho*Wo values when the stride is 1.

    With a bias, cols gets one more row of ones, so that the bias rides along in the
    products: z = [W, b] @ [cols; 1] in forward, and the last row of cols @ delta^T is
    the bias gradient in backward (no separate pass over z or delta for either).
    """
    n, c, hp, wp = xp.shape
    (kh, kw), (sh, sw), (ho, wo) = layer.kernel_size, layer.stride, layer._k_out_hw
    shifted = sliding_window_view(xp, kw, axis=3)[:, :, :, ::sw]  # (N, C, hp, Wo, kw)
    S = np.empty((n, c, kw, hp, wo), dtype=xp.dtype)
    np.copyto(S, shifted.transpose(0, 1, 4, 2, 3))
    it = S.itemsize
    win = np.lib.stride_tricks.as_strided(
        S, shape=(n, c, kh, kw, ho, wo),
        strides=(S.strides[0], S.strides[1], wo * it, hp * wo * it, sh * wo * it, it),
        writeable=False)
    K = c * kh * kw
    cols = np.empty((n, K + layer.use_bias, ho * wo), dtype=xp.dtype)
    np.copyto(cols[:, :K].reshape(win.shape), win)
    if layer.use_bias:
        cols[:, K] = 1
    return cols

def forward(layer, x, training=False):
    """im2col forward: one product per image (see the module docstring)."""
    layer._k_in_shape = x.shape
    x = _fold_leading(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
    top, bottom, left, right = layer._pads
    hp, wp = h + top + bottom, w + left + right
    ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    layer._k_out_hw, layer._k_hpwp = (ho, wo), (hp, wp)
    o, K = layer.out_channels, c * kh * kw
    layer._k_cols = cols = _im2col(layer, _pad(layer, x))
    w = layer._params["weight"].reshape(o, K)
    if layer.use_bias:  # [W, b], to meet the row of ones in cols
        w = np.concatenate([w, layer._params["bias"][:, None]], axis=1)
    # the convolution: one (out, C*kh*kw) x (C*kh*kw, Ho*Wo) product per image, so the
    # result is already in the (N, out, Ho*Wo) layout of the output (no transpose copy)
    z = np.matmul(w, cols).reshape(*layer._k_in_shape[:-3], o, ho, wo)
    layer.z = z
    layer.a = a = layer.activation.value(z)
    return a

def backward(layer, grad, preactivation=False):
    """dW, db from one product per image; dx by col2im (image-minor when stride is 1)."""
    delta = grad if preactivation else layer.activation.backward(layer.z, layer.a, grad)
    o, (ho, wo) = layer.out_channels, layer._k_out_hw
    delta = delta.reshape(-1, o, ho * wo)  # dLoss/dz per image, matching cols' columns
    n, K = delta.shape[0], layer.in_channels * layer.kernel_size[0] * layer.kernel_size[1]
    # dW (and db, from the row of ones) = sum over images of cols delta^T, one
    # (C*kh*kw, Ho*Wo) x (Ho*Wo, out) product each (BLAS reads delta transposed in place)
    gw = np.matmul(layer._k_cols, delta.transpose(0, 2, 1)).sum(axis=0)  # (C*kh*kw [+1], out)
    layer._grads["weight"][...] = gw[:K].T.reshape(layer._grads["weight"].shape)
    if layer.use_bias:
        layer._grads["bias"][...] = gw[K]
    if not layer.needs_input_grad:
        return None
    if layer.stride == (1, 1):
        return _backward_stride1(layer, delta.reshape(n, o, ho, wo))
    W = layer._params["weight"].reshape(o, -1)
    c, (kh, kw), (hp, wp) = layer.in_channels, layer.kernel_size, layer._k_hpwp
    dcols = np.matmul(W.T, delta).reshape(n, c, kh, kw, ho, wo)
    # col2im: add each kernel offset's share of the gradient back onto the pixels it read
    # (a loop over the kh*kw offsets, each one vectorised over all pixels)
    dxp = np.zeros((n, c, hp, wp), dtype=delta.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[_offset_slices(i, j, (ho, wo), layer.stride)] += dcols[:, :, i, j]
    return _crop(layer, dxp)

def _crop(layer, dxp: np.ndarray) -> np.ndarray:
    """dLoss/dx from dLoss/d(padded x): drop the padding, restore the input's shape."""
    top, bottom, left, right = layer._pads
    hp, wp = layer._k_hpwp
    dx = dxp[:, :, top : hp - bottom, left : wp - right]
    return np.ascontiguousarray(dx).reshape(layer._k_in_shape)

def _backward_stride1(layer, delta: np.ndarray) -> np.ndarray:
    """Stride-1 dLoss/dx: col2im as kh*kw additions of one contiguous block each.

    Here the arrays are laid out *image-minor*: pixel position first, the N images of
    the batch side by side in the last axis. delta sits on a grid Ho x wp (the padded
    width; its last wp - Wo columns are zero), flattened to (out, Ho*wp*N), and dcols =
    W^T delta has one (C, Ho*wp*N) block per kernel offset (i, j). Reading padded pixel
    (y + i, x + j) is then a shift by s = (i*wp + j)*N in the flat (C, hp*wp*N) gradient,
    so each offset's share is added with one slice, and what wraps past the end of a
    row comes from the zero columns. (Images side by side never spill into each other;
    the product covers only the Ho*wp positions that exist.)
    """
    o, (ho, wo), (hp, wp) = layer.out_channels, layer._k_out_hw, layer._k_hpwp
    c, (kh, kw) = layer.in_channels, layer.kernel_size
    n, run = delta.shape[0], ho * wp * delta.shape[0]
    dt = np.zeros((o, ho, wp, n), dtype=delta.dtype)
    dt[:, :, :wo] = delta.transpose(1, 2, 3, 0)
    # dcols with the kernel's rows ordered (i, j, c): one matrix product
    w = layer._params["weight"].transpose(2, 3, 1, 0).reshape(kh * kw * c, o)
    dcols = (w @ dt.reshape(o, run)).reshape(kh * kw, c, run)
    dflat = np.zeros((c, (hp * wp + kw - 1) * n), dtype=delta.dtype)
    for i in range(kh):
        for j in range(kw):
            s = (i * wp + j) * n
            dflat[:, s : s + run] += dcols[i * kw + j]
    dxp = dflat[:, : hp * wp * n].reshape(c, hp, wp, n)
    return _crop(layer, dxp.transpose(3, 0, 1, 2))


class ConvKernel:
    """Conv2D's forward and backward by im2col (see the module docstring)."""

    def forward(self, layer, x, training):
        return forward(layer, x, training)

    def backward(self, layer, grad, preactivation):
        return backward(layer, grad, preactivation)
