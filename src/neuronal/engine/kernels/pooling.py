"""Pooling kernels: one pass per window offset, and a separable route when windows tile.

Both kernels loop only over the kh*kw offsets inside a window (4 for the usual 2x2 pool),
each step vectorised over every window of the batch: offset (i, j) of all windows is one
strided view of the input. When the windows tile the image exactly (stride = kernel, no
padding, sizes divisible), they reduce each row over its kw columns and then the result over
kh rows; with the image flattened, column j of every window is one long strided run
(``x.ravel()[j::kw]``), so each step is a single pass over memory. Max pooling routes each
output's gradient to the first maximum of its window, as PyTorch (and MaxPool2D) does.
Pinned to ``MaxPool2D``/``AvgPool2D`` by tests/engine/test_engine_kernels.py.
"""

from __future__ import annotations

import numpy as np

from ...layers.conv import _fold_leading, _offset_slices

__all__ = ["MaxPoolKernel", "AvgPoolKernel"]


class _Geometry:
    """What one forward pass found out about its input, kept for backward."""

    def __init__(self, layer, x: np.ndarray, pad_value: float) -> None:
        self.in_shape = x.shape
        x = _fold_leading(x)
        ph, pw = layer.padding
        if ph or pw:
            n, c, h, w = x.shape
            xp = np.full((n, c, h + 2 * ph, w + 2 * pw), pad_value, dtype=x.dtype)
            xp[:, :, ph : ph + h, pw : pw + w] = x
        else:
            xp = x
        (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
        self.kernel, self.stride, self.padding = (kh, kw), (sh, sw), (ph, pw)
        self.xp = xp
        self.xp_shape = xp.shape
        self.out_hw = ((xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1)
        # windows overlap when the stride is smaller than the kernel: then backward must add
        self.overlap = sh < kh or sw < kw
        # windows tile the image exactly: the separable route applies
        self.tiled = ((sh, sw) == (kh, kw) and xp is x and x.shape[2] % kh == 0
                      and x.shape[3] % kw == 0)

    def stages(self, x: np.ndarray):
        """The tiled case as two 1-D reductions: (kh, kw, output rows, output width)."""
        (kh, kw), (ho, wo) = self.kernel, self.out_hw
        return kh, kw, x.shape[0] * x.shape[1] * ho, wo

    def offsets(self):
        kh, kw = self.kernel
        for i in range(kh):
            for j in range(kw):
                yield _offset_slices(i, j, self.out_hw, self.stride)

    def unpad(self, dxp: np.ndarray) -> np.ndarray:
        ph, pw = self.padding
        h, w = dxp.shape[2:]
        return dxp[:, :, ph : h - ph, pw : w - pw].reshape(self.in_shape)

    def reshape_out(self, out: np.ndarray) -> np.ndarray:
        return out.reshape(*self.in_shape[:-2], *out.shape[2:])


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


def _route(grad, idx, slots):
    """Send ``grad`` to ``slots[idx]`` (zero to the others): the inverse of a stage."""
    if idx.dtype == bool:
        np.multiply(grad, idx, out=slots[1])
        np.subtract(grad, slots[1], out=slots[0])  # exactly grad where idx is False
        return
    for k, slot in enumerate(slots):
        np.multiply(grad, idx == k, out=slot)


class MaxPoolKernel:
    """MaxPool2D's forward and backward (see the module docstring)."""

    def forward(self, layer, x, training):
        g = layer._k = _Geometry(layer, x, -np.inf)
        xp = g.xp
        if g.tiled:
            x = np.ascontiguousarray(xp)
            kh, kw, rows, wo = g.stages(x)
            flat = x.reshape(-1)
            # 1. maximum over the kw columns of each window row (first maximum wins)
            m, g.idx_w = _argmax_stage([flat[j::kw] for j in range(kw)])
            # 2. maximum of those over the kh rows; row-major first-max order is preserved
            m = m.reshape(rows, kh, wo)
            out, g.idx_h = _argmax_stage([m[:, i] for i in range(kh)])
            out = out.reshape(x.shape[0], x.shape[1], *g.out_hw)
        else:
            offsets = g.offsets()
            out = xp[next(offsets)].copy()
            for sl in offsets:  # running maximum over the window offsets
                np.maximum(out, xp[sl], out=out)
        g.out = out
        if g.tiled:
            g.xp = None  # (not needed by the tiled backward)
        return g.reshape_out(out)

    def backward(self, layer, grad, preactivation):
        g = layer._k
        if g.tiled:
            kh, kw, rows, wo = g.stages(g.out)
            dm = np.empty((rows, kh, wo), dtype=grad.dtype)
            _route(grad.reshape(rows, wo), g.idx_h, [dm[:, i] for i in range(kh)])
            dx = np.empty(g.xp_shape, dtype=grad.dtype)
            flat = dx.reshape(-1)
            _route(dm.reshape(-1), g.idx_w, [flat[j::kw] for j in range(kw)])
            return dx.reshape(g.in_shape)
        xp, out = g.xp, g.out
        grad = grad.reshape(out.shape)
        dxp = np.zeros(g.xp_shape, dtype=grad.dtype)
        # Route each output's gradient to the first input equal to the window maximum.
        pending = np.ones(out.shape, dtype=bool)  # windows whose maximum is not yet found
        hit = np.empty(out.shape, dtype=bool)
        for sl in g.offsets():
            np.equal(xp[sl], out, out=hit)
            hit &= pending
            if g.overlap:
                dxp[sl] += grad * hit
            else:  # each input belongs to one window: write straight into place
                np.multiply(grad, hit, out=dxp[sl])
            pending &= ~hit
        return g.unpad(dxp)


class AvgPoolKernel:
    """AvgPool2D's forward and backward (see the module docstring)."""

    def forward(self, layer, x, training):
        g = layer._k = _Geometry(layer, x, 0.0)
        xp = g.xp
        scale = xp.dtype.type(1.0 / (g.kernel[0] * g.kernel[1]))
        if g.tiled:  # sum the kw columns of each window row, then the kh rows
            kh, kw, rows, wo = g.stages(xp)
            flat = np.ascontiguousarray(xp).reshape(-1)
            m = flat[0::kw].copy()
            for j in range(1, kw):
                m += flat[j::kw]
            m = m.reshape(rows, kh, wo)
            out = m[:, 0].copy()
            for i in range(1, kh):
                out += m[:, i]
            out = out.reshape(xp.shape[0], xp.shape[1], *g.out_hw)
        else:
            offsets = g.offsets()
            out = xp[next(offsets)].copy()
            for sl in offsets:
                out += xp[sl]
        out *= scale
        g.xp = None
        return g.reshape_out(out)

    def backward(self, layer, grad, preactivation):
        g = layer._k
        n, c = g.xp_shape[:2]
        share = grad.reshape(n, c, *g.out_hw) * grad.dtype.type(
            1.0 / (g.kernel[0] * g.kernel[1]))
        if g.tiled:  # every input of a window gets the same share
            kh, kw, rows, wo = g.stages(share)
            dx = np.empty(g.xp_shape, dtype=grad.dtype)
            dx.reshape(rows, kh, wo, kw)[...] = share.reshape(rows, 1, wo, 1)
            return dx.reshape(g.in_shape)
        dxp = np.zeros(g.xp_shape, dtype=grad.dtype)
        for sl in g.offsets():
            if g.overlap:
                dxp[sl] += share
            else:
                dxp[sl] = share
        return g.unpad(dxp)
