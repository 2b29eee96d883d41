"""2-D convolution: a small layer of neurons slid over every position of an image.

A convolutional neuron looks at a ``kh x kw`` patch of all ``C`` input channels and computes
z = w . patch + b, the same weights at every position, so it detects the same pattern
anywhere in the image; ``out_channels`` such neurons give ``out_channels`` feature maps.

The code below computes the equations as written, over a strided *view* of every patch of the
padded input (``sliding_window_view``: no Python loop over pixels, nothing copied until the
sums). The engine's kernel (``neuronal/engine/kernels/conv.py``) computes the same numbers
with im2col and matrix products.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import activations, initializers
from ..errors import NeuronalError, ShapeError
from .base import Layer, positive_ints

__all__ = ["Conv2D"]


# --------------------------------------------------------------------------- shared helpers
# (also used by the pooling layers)


def _pair(value, what: str, layer: str, minimum: int = 1) -> tuple[int, int]:
    """``3 -> (3, 3)``, ``(3, 5) -> (3, 5)``, with a clear error for anything else."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        pair = tuple(value)
    else:
        pair = (value, value)
    for v in pair:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
            raise NeuronalError(
                f"{layer} {what} must be an integer >= {minimum} or a pair of them, got {value!r}"
            )
    return int(pair[0]), int(pair[1])


def _plain(pair: tuple[int, int]):
    """JSON-friendly form of a pair: an int when both entries agree, else a list."""
    return pair[0] if pair[0] == pair[1] else list(pair)


def _out_size(size, k: int, s: int, pad_total: int):
    """Output length along one axis: floor((size + pad - k) / s) + 1 (None when unknown)."""
    if size is None:
        return None
    return (size + pad_total - k) // s + 1


def _fold_leading(x: np.ndarray) -> np.ndarray:
    """(N, ..., C, H, W) -> (N*..., C, H, W): extra leading axes (time) join the batch."""
    return x if x.ndim == 4 else x.reshape(-1, *x.shape[-3:])


def _check_image_input(layer: Layer, x: np.ndarray, channels: int | None,
                       min_hw: tuple[int, int]) -> None:
    """Raise ShapeError unless x is (N, C, H, W) (or (N, ..., C, H, W)) with a big enough image."""
    expected = f"(batch, {channels if channels is not None else 'channels'}, height, width)"
    if x.ndim < 4:
        if x.ndim == 3 and (channels is None or x.shape[0] == channels):
            hint = "one image must be passed as a batch of one, x[None]"
        elif x.ndim == 2 and channels == 1 and math.isqrt(x.shape[1]) ** 2 == x.shape[1]:
            side = math.isqrt(x.shape[1])
            hint = f"reshape flat rows into images, x.reshape(-1, 1, {side}, {side})"
        elif x.ndim == 3 and channels == 1:
            hint = "add the channel axis, x[:, None] (channels first, like PyTorch)"
        else:
            hint = "pass a batch of channels-first images (N, C, H, W)"
        raise ShapeError(f"{layer.describe()} expects input of shape {expected}, got {x.shape}: "
                         f"{hint}")
    if channels is not None and x.shape[-3] != channels:
        if x.shape[-1] == channels:
            hint = "the images look channels-last; move the channel axis, x.transpose(0, 3, 1, 2)"
        else:
            hint = f"give the layer in_channels={x.shape[-3]} or fix the previous layer"
        raise ShapeError(f"{layer.describe()} expects input of shape {expected}, got {x.shape} "
                         f"({x.shape[-3]} channels): {hint}")
    h, w = x.shape[-2:]
    if h < min_hw[0] or w < min_hw[1]:
        raise ShapeError(
            f"{layer.describe()} needs images of at least {min_hw[0]}x{min_hw[1]} (after "
            f"padding), got {h}x{w} in input of shape {x.shape}: use a smaller kernel, more "
            f"padding, or fewer pooling layers before this one"
        )


def _offset_slices(i: int, j: int, out_hw: tuple[int, int], stride: tuple[int, int]):
    """Index of the input pixels that kernel offset (i, j) touches, for every output pixel."""
    (ho, wo), (sh, sw) = out_hw, stride
    return (slice(None), slice(None), slice(i, i + sh * (ho - 1) + 1, sh),
            slice(j, j + sw * (wo - 1) + 1, sw))


class Conv2D(Layer):
    """2-D convolution over channels-first images, like PyTorch's ``nn.Conv2d``.

    Each of the ``out_channels`` filters is a neuron with ``in_channels * kh * kw`` weights
    that is applied at every position: z[n, o, y, x] = b[o] + sum over c, i, j of
    W[o, c, i, j] * x_pad[n, c, y*stride + i, x*stride + j], then a = activation(z).
    (Strictly this is cross-correlation, as in every deep-learning library.)

    Parameters
    ----------
    in_channels : int
        Channels of the input images (1 for MNIST, 3 for RGB).
    out_channels : int
        Number of filters, i.e. output feature maps.
    kernel_size : int or (int, int)
    stride : int or (int, int), default 1
    padding : int, (int, int), "same" or "valid", default 0
        Zeros added on each side. ``"same"`` (stride 1 only) keeps height and width, padding
        an even kernel one more pixel at the bottom/right, as PyTorch does.
    activation : str or Activation, optional
        Default: none (linear), as ``nn.Conv2d``; use ``"relu"`` for the usual CNN.
    weight_init : str or Initializer, optional
        Default: He for ReLU-like activations, Glorot otherwise, with fan_in = in*kh*kw and
        fan_out = out*kh*kw.
    bias_init : str or Initializer, default "zeros"
    use_bias : bool, default True
    name, seed, dtype
        Optional label; seed used only when the layer builds itself outside a network; dtype.

    Shape
    -----
    input (N, in_channels, H, W); extra leading axes, (N, T, in_channels, H, W), are treated
    as more batch (a sequence of images);
    output (N, out_channels, Ho, Wo) with Ho = floor((H + pad_top + pad_bottom - kh) /
    stride) + 1, likewise Wo.

    Attributes
    ----------
    weight : ndarray of shape (out_channels, in_channels, kh, kw)
        ``nn.Conv2d.weight`` layout: loads into PyTorch unchanged.
    bias : ndarray of shape (out_channels,)
    z, a : ndarray
        Pre-activation and output of the last forward pass.

    Examples
    --------
    >>> conv = Conv2D(1, 6, 5, padding=2, activation="relu", seed=0)
    >>> conv.weight.shape
    (6, 1, 5, 5)
    >>> conv(np.zeros((2, 1, 28, 28))).shape
    (2, 6, 28, 28)
    """

    independent_samples = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        activation=None,
        *,
        weight_init=None,
        bias_init="zeros",
        use_bias: bool = True,
        name: str | None = None,
        seed: int | None = None,
        dtype=None,
    ) -> None:
        super().__init__(name=name, seed=seed, dtype=dtype)
        self.in_channels, self.out_channels = positive_ints(
            "Conv2D", in_channels=in_channels, out_channels=out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2D")
        self.stride = _pair(stride, "stride", "Conv2D")
        if isinstance(padding, str):
            padding = padding.lower()
            if padding not in ("same", "valid"):
                raise NeuronalError(
                    f"Conv2D padding must be an integer, a pair, 'same' or 'valid'; got {padding!r}"
                )
            if padding == "same" and self.stride != (1, 1):
                raise NeuronalError(
                    f"Conv2D padding='same' needs stride 1 (as in PyTorch), got stride "
                    f"{self.stride}: give the padding as a number instead"
                )
            self.padding = padding
        else:
            self.padding = _pair(padding, "padding", "Conv2D", minimum=0)
        # (top, bottom, left, right) zeros added around each image
        if self.padding == "same":
            kh, kw = self.kernel_size
            self._pads = ((kh - 1) // 2, kh - 1 - (kh - 1) // 2, (kw - 1) // 2,
                          kw - 1 - (kw - 1) // 2)
        elif self.padding == "valid":
            self._pads = (0, 0, 0, 0)
        else:
            ph, pw = self.padding
            self._pads = (ph, ph, pw, pw)
        self.activation = activations.get(activation)
        self.weight_init = initializers.get(
            weight_init if weight_init is not None
            else initializers.default_for(self.activation.name)
        )
        self.bias_init = initializers.get(bias_init)
        self.use_bias = bool(use_bias)
        self.input_shape = (self.in_channels, None, None)

    def _init_params(self, rng):
        kh, kw = self.kernel_size
        shape = (self.out_channels, self.in_channels, kh, kw)
        fan_in, fan_out = self.in_channels * kh * kw, self.out_channels * kh * kw
        self._params["weight"] = self.weight_init(shape, fan_in, fan_out, rng, self.dtype)
        if self.use_bias:
            self._params["bias"] = self.bias_init((self.out_channels,), fan_in, fan_out, rng,
                                                  self.dtype)

    # ------------------------------------------------------------------ the numbers

    @property
    def weight(self) -> np.ndarray:
        return self.params()["weight"]

    @weight.setter
    def weight(self, value) -> None:
        self._set_param("weight", value)

    @property
    def bias(self) -> np.ndarray:
        if not self.use_bias:
            return np.zeros(self.out_channels, dtype=self.dtype)
        return self.params()["bias"]

    @bias.setter
    def bias(self, value) -> None:
        self._set_param("bias", value)

    @property
    def n_neurons(self) -> int:
        """One neuron per filter (shared over all positions)."""
        return self.out_channels

    # ------------------------------------------------------------------ forward / backward

    def forward(self, x, training=False):
        # z[n, o, y, x] = b[o] + sum over c, i, j of W[o, c, i, j] x_pad[n, c, y*s + i, x*s + j]
        self.x_shape = x.shape
        x = _fold_leading(x)  # a leading time axis joins the batch
        top, bottom, left, right = self._pads
        self.x_pad = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
        # windows[n, c, y, x, i, j] = x_pad[n, c, y*sh + i, x*sw + j]: every patch, as a view
        sh, sw = self.stride
        windows = sliding_window_view(self.x_pad, self.kernel_size, axis=(2, 3))[:, :, ::sh, ::sw]
        self.windows = windows
        z = np.einsum("ncyxij,ocij->noyx", windows, self._params["weight"], optimize=True)
        if self.use_bias:
            z += self._params["bias"][:, None, None]
        self.z = z.reshape(*self.x_shape[:-3], *z.shape[1:])
        self.a = a = self.activation.value(self.z)
        return a

    def backward(self, grad, preactivation=False):
        # delta = dLoss/dz, one per output pixel
        delta = grad if preactivation else self.activation.backward(self.z, self.a, grad)
        delta = delta.reshape(-1, *self.z.shape[-3:])
        W = self._params["weight"]
        # dW[o, c, i, j] = sum over n, y, x of delta[n, o, y, x] x_pad[n, c, y*s + i, x*s + j]
        self._grads["weight"][...] = np.einsum("noyx,ncyxij->ocij", delta, self.windows,
                                               optimize=True)
        if self.use_bias:
            self._grads["bias"][...] = delta.sum(axis=(0, 2, 3))  # db[o] = sum of delta[:, o]
        if not self.needs_input_grad:
            return None
        # every input pixel gets, from each output pixel whose patch read it, delta times the
        # weight that read it: dx_pad[n, c, y*s + i, x*s + j] += sum over o of
        # delta[n, o, y, x] W[o, c, i, j], one kernel offset (i, j) at a time
        dx_pad = np.zeros_like(self.x_pad)
        out_hw = delta.shape[-2:]
        for i in range(self.kernel_size[0]):
            for j in range(self.kernel_size[1]):
                dx_pad[_offset_slices(i, j, out_hw, self.stride)] += np.einsum(
                    "noyx,oc->ncyx", delta, W[:, :, i, j], optimize=True)
        top, bottom, left, right = self._pads
        h, w = dx_pad.shape[-2:]
        return dx_pad[:, :, top : h - bottom, left : w - right].reshape(self.x_shape)

    # ------------------------------------------------------------------ shapes

    def output_shape(self, input_shape):
        *lead, _, h, w = tuple(input_shape)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        top, bottom, left, right = self._pads
        return (*lead, self.out_channels, _out_size(h, kh, sh, top + bottom),
                _out_size(w, kw, sw, left + right))

    def check_input(self, x):
        top, bottom, left, right = self._pads
        kh, kw = self.kernel_size
        _check_image_input(self, x, self.in_channels, (kh - top - bottom, kw - left - right))

    # ------------------------------------------------------------------ description

    def get_config(self):
        cfg = {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": _plain(self.kernel_size),
            "stride": _plain(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else _plain(self.padding),
            "activation": self.activation.get_config(),
            "weight_init": self.weight_init.get_config(),
            "bias_init": self.bias_init.get_config(),
            "use_bias": self.use_bias,
        }
        return {**cfg, **super().get_config()}

    def describe(self):
        kh, kw = self.kernel_size
        extra = "" if self.stride == (1, 1) else f", stride {_plain(self.stride)}"
        return (f"{super().describe()}({self.in_channels} -> {self.out_channels}, {kh}x{kw}"
                f"{extra}, {self.activation.name})")
