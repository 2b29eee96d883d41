"""Pooling: shrink feature maps by summarising each small window (its maximum or its mean).

Pooling has no parameters. Both layers below loop only over the kh*kw offsets inside a window
(4 for the usual 2x2 pool), each step vectorised over every window of the whole batch: offset
(i, j) of all windows is one strided view of the input.

The common case, windows that tile the image exactly (stride = kernel, no padding, sizes
divisible), takes a faster separable route: reduce each row over its kw columns, then the
result over kh rows. With the image flattened, column j of every window is one long strided
run (``x.ravel()[j::kw]``), so each step is a single pass over memory.
"""

from __future__ import annotations

import numpy as np

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

    def _windows_setup(self, x: np.ndarray) -> np.ndarray:
        """Fold leading axes into the batch, pad, and remember the geometry for backward."""
        self._in_shape = x.shape
        x = _fold_leading(x)
        ph, pw = self.padding
        if ph or pw:
            n, c, h, w = x.shape
            xp = np.full((n, c, h + 2 * ph, w + 2 * pw), self._pad_value, dtype=x.dtype)
            xp[:, :, ph : ph + h, pw : pw + w] = x
        else:
            xp = x
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        self._xp_shape = xp.shape
        self._out_hw = ((xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1)
        # windows overlap when the stride is smaller than the kernel: then backward must add
        self._overlap = sh < kh or sw < kw
        # windows tile the image exactly: the separable fast path applies
        self._tiled = ((sh, sw) == (kh, kw) and xp is x and x.shape[2] % kh == 0
                       and x.shape[3] % kw == 0)
        return xp

    def _stages(self, x: np.ndarray):
        """The tiled case as two 1-D reductions: (flat view over kw columns, then kh rows)."""
        (kh, kw), (ho, wo) = self.kernel_size, self._out_hw
        rows = x.shape[0] * x.shape[1] * ho  # one per output row
        return kh, kw, rows, wo

    def _offsets(self):
        kh, kw = self.kernel_size
        for i in range(kh):
            for j in range(kw):
                yield _offset_slices(i, j, self._out_hw, self.stride)

    def _unpad(self, dxp: np.ndarray) -> np.ndarray:
        ph, pw = self.padding
        h, w = dxp.shape[2:]
        return dxp[:, :, ph : h - ph, pw : w - pw].reshape(self._in_shape)

    def _reshape_out(self, out: np.ndarray) -> np.ndarray:
        return out.reshape(*self._in_shape[:-2], *out.shape[2:])

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
        xp = self._windows_setup(x)
        if self._tiled:
            out = self._forward_tiled(np.ascontiguousarray(xp))
        else:
            offsets = self._offsets()
            out = xp[next(offsets)].copy()
            for sl in offsets:  # running maximum over the window offsets
                np.maximum(out, xp[sl], out=out)
            self.xp = xp
        self.out = out
        return self._reshape_out(out)

    @staticmethod
    def _argmax_stage(parts):
        """Running maximum over ``parts`` (equal-shape views) and the index of the first max."""
        if len(parts) == 2:  # a boolean is enough: "the second one is strictly larger"
            return np.maximum(parts[0], parts[1]), parts[1] > parts[0]
        best = parts[0].copy()
        idx = np.zeros(best.shape, dtype=np.uint8)
        for k, part in enumerate(parts[1:], start=1):
            larger = part > best  # strictly: ties keep the earlier index, as PyTorch does
            np.maximum(best, part, out=best)
            np.copyto(idx, np.uint8(k), where=larger)
        return best, idx

    def _forward_tiled(self, x):
        kh, kw, rows, wo = self._stages(x)
        flat = x.reshape(-1)
        # 1. maximum over the kw columns of each window row (first maximum wins)
        m, self._idx_w = self._argmax_stage([flat[j::kw] for j in range(kw)])
        # 2. maximum of those over the kh rows; row-major first-max order is preserved
        m = m.reshape(rows, kh, wo)
        out, self._idx_h = self._argmax_stage([m[:, i] for i in range(kh)])
        n, c = x.shape[:2]
        return out.reshape(n, c, *self._out_hw)

    @staticmethod
    def _route(grad, idx, slots):
        """Send ``grad`` to ``slots[idx]`` (zero to the others): the inverse of a stage."""
        if idx.dtype == bool:
            np.multiply(grad, idx, out=slots[1])
            np.subtract(grad, slots[1], out=slots[0])  # exactly grad where idx is False
            return
        for k, slot in enumerate(slots):
            np.multiply(grad, idx == k, out=slot)

    def _backward_tiled(self, grad):
        kh, kw, rows, wo = self._stages(self.out)
        n, c = self._xp_shape[:2]
        dm = np.empty((rows, kh, wo), dtype=grad.dtype)
        self._route(grad.reshape(rows, wo), self._idx_h, [dm[:, i] for i in range(kh)])
        dx = np.empty(self._xp_shape, dtype=grad.dtype)
        flat = dx.reshape(-1)
        self._route(dm.reshape(-1), self._idx_w, [flat[j::kw] for j in range(kw)])
        return dx.reshape(self._in_shape)

    def backward(self, grad, preactivation=False):
        if self._tiled:
            return self._backward_tiled(grad)
        xp, out = self.xp, self.out
        grad = grad.reshape(out.shape)
        dxp = np.zeros(self._xp_shape, dtype=grad.dtype)
        # Route each output's gradient to the first input equal to the window maximum.
        pending = np.ones(out.shape, dtype=bool)  # windows whose maximum is not yet found
        hit = np.empty(out.shape, dtype=bool)
        for sl in self._offsets():
            np.equal(xp[sl], out, out=hit)
            hit &= pending
            if self._overlap:
                dxp[sl] += grad * hit
            else:  # each input belongs to one window: write straight into place
                np.multiply(grad, hit, out=dxp[sl])
            pending &= ~hit
        return self._unpad(dxp)


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
        xp = self._windows_setup(x)
        scale = xp.dtype.type(1.0 / (self.kernel_size[0] * self.kernel_size[1]))
        if self._tiled:  # sum the kw columns of each window row, then the kh rows
            kh, kw, rows, wo = self._stages(xp)
            flat = np.ascontiguousarray(xp).reshape(-1)
            m = flat[0::kw].copy()
            for j in range(1, kw):
                m += flat[j::kw]
            m = m.reshape(rows, kh, wo)
            out = m[:, 0].copy()
            for i in range(1, kh):
                out += m[:, i]
            out = out.reshape(xp.shape[0], xp.shape[1], *self._out_hw)
        else:
            offsets = self._offsets()
            out = xp[next(offsets)].copy()
            for sl in offsets:
                out += xp[sl]
        out *= scale
        return self._reshape_out(out)

    def backward(self, grad, preactivation=False):
        n, c = self._xp_shape[:2]
        share = grad.reshape(n, c, *self._out_hw) * grad.dtype.type(
            1.0 / (self.kernel_size[0] * self.kernel_size[1]))
        if self._tiled:  # every input of a window gets the same share
            kh, kw, rows, wo = self._stages(share)
            dx = np.empty(self._xp_shape, dtype=grad.dtype)
            dx.reshape(rows, kh, wo, kw)[...] = share.reshape(rows, 1, wo, 1)
            return dx.reshape(self._in_shape)
        dxp = np.zeros(self._xp_shape, dtype=grad.dtype)
        for sl in self._offsets():
            if self._overlap:
                dxp[sl] += share
            else:
                dxp[sl] = share
        return self._unpad(dxp)
