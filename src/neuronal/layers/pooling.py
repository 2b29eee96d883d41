"""Pooling: shrink feature maps by summarising each small window (its maximum or its mean).

Pooling has no parameters. The code below works on a strided *view* of every window of the
padded input (``sliding_window_view``): out[n, c, y, x] = max (or mean) over i, j of
x_pad[n, c, y*s + i, x*s + j]. The engine's kernels (``neuronal/engine/kernels/pooling.py``)
compute the same numbers in fewer passes over memory.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import NeuronalError
from .base import Layer
from .conv import _check_image_input, _fold_leading, _offset_slices, _out_size, _pair, _plain

__all__ = ["MaxPool2D", "AvgPool2D"]


class _Pool2D(Layer):
    """Shared set-up of the 2-D pooling layers (window, stride, padding, shapes, config)."""

    independent_samples = True

    _pad_value = 0.0

    def __init__(self, kernel_size=2, stride=None, padding=0, *, name: str | None = None,
                 dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        kind = type(self).__name__
        self.kernel_size = _pair(kernel_size, "kernel_size", kind)
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride", kind)
        self.padding = _pair(padding, "padding", kind, minimum=0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise NeuronalError(
                f"{kind} padding must be at most half the kernel size (as in PyTorch), got "
                f"padding {_plain(self.padding)} for kernel {_plain(self.kernel_size)}"
            )

    def _windows(self, x: np.ndarray) -> np.ndarray:
        """windows[n, c, y, x, i, j] = x_pad[n, c, y*sh + i, x*sw + j] (a view), keeping what
        backward needs."""
        self.x_shape = x.shape
        x = _fold_leading(x)  # a leading time axis joins the batch
        ph, pw = self.padding
        self.x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)),
                            constant_values=self._pad_value)
        sh, sw = self.stride
        return sliding_window_view(self.x_pad, self.kernel_size, axis=(2, 3))[:, :, ::sh, ::sw]

    def _to_input(self, grad_of_window) -> np.ndarray:
        """dLoss/dx from each window's gradient (N, C, Ho, Wo, kh, kw): every window adds its
        share onto the pixels it covers (windows may overlap), then the padding is dropped."""
        dx_pad = np.zeros(self.x_pad.shape, dtype=grad_of_window.dtype)
        out_hw = grad_of_window.shape[2:4]
        for i in range(self.kernel_size[0]):
            for j in range(self.kernel_size[1]):
                dx_pad[_offset_slices(i, j, out_hw, self.stride)] += grad_of_window[..., i, j]
        ph, pw = self.padding
        h, w = dx_pad.shape[-2:]
        return dx_pad[:, :, ph : h - ph, pw : w - pw].reshape(self.x_shape)

    def output_shape(self, input_shape):
        *lead, h, w = tuple(input_shape)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (*lead, _out_size(h, kh, sh, 2 * ph), _out_size(w, kw, sw, 2 * pw))

    def check_input(self, x):
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        _check_image_input(self, x, None, (kh - 2 * ph, kw - 2 * pw))

    def get_config(self):
        cfg = {"kernel_size": _plain(self.kernel_size), "stride": _plain(self.stride),
               "padding": _plain(self.padding)}
        return {**cfg, **super().get_config()}

    def describe(self):
        kh, kw = self.kernel_size
        extra = "" if self.stride == self.kernel_size else f", stride {_plain(self.stride)}"
        return f"{super().describe()}({kh}x{kw}{extra})"


class MaxPool2D(_Pool2D):
    """Max pooling over ``kh x kw`` windows of channels-first images, like ``nn.MaxPool2d``.

    Each output is the largest value in its window; in backward the whole gradient of an
    output goes to the input that was the maximum (to the first one in row-major order when
    several tie, as PyTorch does), and every other input gets 0.

    Parameters
    ----------
    kernel_size : int or (int, int), default 2
    stride : int or (int, int), optional
        Default: ``kernel_size`` (non-overlapping windows).
    padding : int or (int, int), default 0
        Implicit -inf padding on each side (at most half the kernel).

    Shape
    -----
    input (N, C, H, W) or (N, ..., C, H, W); output (N, C, Ho, Wo) with
    Ho = floor((H + 2 padding - kh) / stride) + 1, likewise Wo.

    Attributes
    ----------
    kernel_size, stride, padding : (int, int)

    Examples
    --------
    >>> pool = MaxPool2D(2)
    >>> pool(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """

    _pad_value = -np.inf

    def forward(self, x, training=False):
        windows = self._windows(x)
        out = windows.max(axis=(-2, -1))  # out[n, c, y, x] = the window's largest value
        # which entry of each window was the (first) maximum, for backward
        n, c, ho, wo = out.shape
        self.argmax = windows.reshape(n, c, ho, wo, -1).argmax(axis=-1)
        return out.reshape(*self.x_shape[:-2], ho, wo)

    def backward(self, grad, preactivation=False):
        # the whole gradient of each output goes to its window's maximum, 0 to the rest
        n, c, ho, wo = self.argmax.shape
        kh, kw = self.kernel_size
        grad = grad.reshape(n, c, ho, wo, 1)
        picked = np.arange(kh * kw) == self.argmax[..., None]  # (N, C, Ho, Wo, kh*kw)
        return self._to_input((grad * picked).reshape(n, c, ho, wo, kh, kw))


class AvgPool2D(_Pool2D):
    """Average pooling over ``kh x kw`` windows of channels-first images, like ``nn.AvgPool2d``.

    Each output is the mean of its window; in backward every input of a window receives the
    output's gradient divided by the window size.

    Parameters
    ----------
    kernel_size : int or (int, int), default 2
    stride : int or (int, int), optional
        Default: ``kernel_size``.
    padding : int or (int, int), default 0
        Zero padding on each side; the zeros count in the mean (PyTorch's default,
        ``count_include_pad=True``).

    Shape
    -----
    input (N, C, H, W) or (N, ..., C, H, W); output (N, C, Ho, Wo) as for MaxPool2D.

    Attributes
    ----------
    kernel_size, stride, padding : (int, int)
    """

    def forward(self, x, training=False):
        windows = self._windows(x)
        out = windows.mean(axis=(-2, -1))  # out[n, c, y, x] = the window's mean
        return out.reshape(*self.x_shape[:-2], *out.shape[-2:])

    def backward(self, grad, preactivation=False):
        # each of a window's kh*kw inputs gets 1/(kh*kw) of the output's gradient
        kh, kw = self.kernel_size
        grad = grad.reshape(-1, *grad.shape[-3:])
        share = grad / grad.dtype.type(kh * kw)
        return self._to_input(np.broadcast_to(share[..., None, None], (*share.shape, kh, kw)))
