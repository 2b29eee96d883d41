"""PyTorch converters of every layer type and activation (imported by ``to_torch``; imports torch).

Each layer becomes the standard ``torch.nn`` module that computes the same thing, holding
the same tensors under the same names (neuronal's parameters carry PyTorch's state_dict
names), followed by its activation's module when the activation is not linear. Where a
standard module returns something else than the layer does, a subclass adapts only
``forward`` and keeps the standard module's parameters, names and ``isinstance``:

* :class:`RNNLayer`, :class:`LSTMLayer`, :class:`GRULayer` (``nn.RNN``, ``nn.LSTM``,
  ``nn.GRU`` with ``batch_first=True``) return the hidden states only, all of them with
  ``return_sequences`` and else the last, instead of an (output, state) tuple;
* :class:`FoldedConv2d`, :class:`FoldedMaxPool2d`, :class:`FoldedAvgPool2d` take sequences
  of images (N, T, C, H, W), which ``nn.Conv2d`` and the pools do not (used only then);
* :class:`Step` is the binary step, and :class:`Rescale` is ``Normalize``'s
  ``(x - mean) / scale`` with the two as buffers: torch has no module for either.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .. import activations as A
from ..errors import NeuronalError, ShapeError
from ..layers import (
    GRU,
    LSTM,
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    MaxPool2D,
    Normalize,
    Reshape,
    SimpleRNN,
)
from ._shapes import conv_pads
from .registry import torch_converter

__all__ = ["Step", "Rescale", "RNNLayer", "LSTMLayer", "GRULayer", "FoldedConv2d",
           "FoldedMaxPool2d", "FoldedAvgPool2d", "activation_module", "TORCH_DTYPE"]

TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


class Step(nn.Module):
    """The binary step, 1 where x >= 0 else 0 (its gradient is 0: it cannot be trained)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x >= 0).to(x.dtype)


class Rescale(nn.Module):
    """``(x - mean) / scale`` over the last axis, ``mean`` and ``scale`` buffers of shape
    (n_features,): saved in the state_dict, never trained (neuronal's ``Normalize``)."""

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale

    def extra_repr(self) -> str:
        return f"n_features={self.mean.shape[0]}"


class _HiddenStates:
    """forward returns the hidden states: every step's, or only the last step's."""

    def __init__(self, *args, return_sequences: bool = False, **kwargs) -> None:
        super().__init__(*args, batch_first=True, **kwargs)
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = super().forward(x)  # (N, T, H): the hidden state after every step
        return out if self.return_sequences else out[:, -1]

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, return_sequences={self.return_sequences}"


class RNNLayer(_HiddenStates, nn.RNN):
    """``nn.RNN(batch_first=True)`` returning (N, T, H) or, by default, the last (N, H)."""


class LSTMLayer(_HiddenStates, nn.LSTM):
    """``nn.LSTM(batch_first=True)`` returning (N, T, H) or, by default, the last (N, H)."""


class GRULayer(_HiddenStates, nn.GRU):
    """``nn.GRU(batch_first=True)`` returning (N, T, H) or, by default, the last (N, H)."""


class _Folded:
    """Leading axes before (C, H, W) join the batch, and split off again afterwards."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[:-3]
        y = super().forward(x.reshape(-1, *x.shape[-3:]))
        return y.reshape(*lead, *y.shape[1:])


class FoldedConv2d(_Folded, nn.Conv2d):
    """``nn.Conv2d`` over (N, ..., C, H, W): every image of every sequence."""


class FoldedMaxPool2d(_Folded, nn.MaxPool2d):
    """``nn.MaxPool2d`` over (N, ..., C, H, W)."""


class FoldedAvgPool2d(_Folded, nn.AvgPool2d):
    """``nn.AvgPool2d`` over (N, ..., C, H, W)."""


# ---------------------------------------------------------------------- activations

_ACTIVATIONS = {
    A.Step: lambda act: Step(),
    A.Sigmoid: lambda act: nn.Sigmoid(),
    A.Tanh: lambda act: nn.Tanh(),
    A.ReLU: lambda act: nn.ReLU(),
    A.LeakyReLU: lambda act: nn.LeakyReLU(negative_slope=act.alpha),
    A.Linear: lambda act: nn.Identity(),
    A.Softmax: lambda act: nn.Softmax(dim=-1),
    A.ELU: lambda act: nn.ELU(alpha=act.alpha),
    # log(1 + exp(x)); torch returns x itself above x = 20, 2e-9 from the exact value
    A.Softplus: lambda act: nn.Softplus(),
    A.GELU: lambda act: nn.GELU(approximate="tanh"),  # neuronal's GELU is the tanh form
}


def activation_module(act) -> nn.Module:
    """The torch module of a neuronal activation."""
    make = _ACTIVATIONS.get(type(act))
    if make is None:
        known = ", ".join(sorted(a.name for a in _ACTIVATIONS))
        raise NeuronalError(
            f"cannot convert the activation {act!r} ({type(act).__name__}) to PyTorch: only "
            f"neuronal's own activations convert ({known}); use one of them"
        )
    return make(act)


def _with_activation(module: nn.Module, layer) -> list[nn.Module]:
    """[module] plus the activation's module unless it is linear (to_torch_state_dict's rule)."""
    if layer.activation is None or type(layer.activation) is A.Linear:
        return [module]
    return [module, activation_module(layer.activation)]


def loaded(module: nn.Module, layer, extra: dict | None = None) -> nn.Module:
    """``module`` in the layer's float type, holding copies of the layer's tensors."""
    module.to(TORCH_DTYPE[np.dtype(layer.dtype)])
    state = {k: torch.from_numpy(np.array(v, copy=True)) for k, v in layer.state().items()}
    module.load_state_dict({**state, **(extra or {})}, strict=True)
    return module


# ---------------------------------------------------------------------- layers


@torch_converter(Dense)
def dense(layer: Dense, shape: tuple) -> list[nn.Module]:
    """nn.Linear (any leading axes, as Dense)."""
    linear = nn.Linear(layer.n_inputs, layer.n_neurons, bias=layer.use_bias)
    return _with_activation(loaded(linear, layer), layer)


@torch_converter(Activation)
def activation(layer: Activation, shape: tuple) -> list[nn.Module]:
    return [activation_module(layer.activation)]


@torch_converter(Dropout)
def dropout(layer: Dropout, shape: tuple) -> list[nn.Module]:
    return [nn.Dropout(layer.rate)]


def _image_rank(layer, shape: tuple) -> bool:
    """True for sequences of images (rank > 3 per sample), False for images; else an error."""
    if len(shape) < 3:
        raise ShapeError(f"{layer.describe()} needs channels-first images (N, C, H, W), but "
                         f"gets samples of shape {shape}: pass the right input_shape=")
    return len(shape) > 3


def conv_padding(layer: Conv2D):
    """nn.Conv2d's padding: (rows, columns) on both sides, or "same" where they differ."""
    top, bottom, left, right = conv_pads(layer)
    if (top, left) == (bottom, right):
        return (top, left)
    return "same"  # an even kernel: nn.Conv2d pads the extra pixel at the bottom/right too


@torch_converter(Conv2D)
def conv2d(layer: Conv2D, shape: tuple) -> list[nn.Module]:
    cls = FoldedConv2d if _image_rank(layer, shape) else nn.Conv2d
    conv = cls(layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
               padding=conv_padding(layer), bias=layer.use_bias)
    return _with_activation(loaded(conv, layer), layer)


@torch_converter(MaxPool2D)
def max_pool(layer: MaxPool2D, shape: tuple) -> list[nn.Module]:
    cls = FoldedMaxPool2d if _image_rank(layer, shape) else nn.MaxPool2d
    return [cls(layer.kernel_size, stride=layer.stride, padding=layer.padding)]


@torch_converter(AvgPool2D)
def avg_pool(layer: AvgPool2D, shape: tuple) -> list[nn.Module]:
    cls = FoldedAvgPool2d if _image_rank(layer, shape) else nn.AvgPool2d
    return [cls(layer.kernel_size, stride=layer.stride, padding=layer.padding,
                count_include_pad=True)]


@torch_converter(Flatten)
def flatten(layer: Flatten, shape: tuple) -> list[nn.Module]:
    return [nn.Flatten(start_dim=layer.start_dim)]


@torch_converter(Reshape)
def reshape(layer: Reshape, shape: tuple) -> list[nn.Module]:
    unflatten = nn.Unflatten(1, layer.shape)
    if len(shape) == 1:
        return [unflatten]
    return [nn.Sequential(nn.Flatten(), unflatten)]  # one index, no tensors: keys unchanged


@torch_converter(BatchNorm)
def batch_norm(layer: BatchNorm, shape: tuple) -> list[nn.Module]:
    if not 1 <= len(shape) <= 3:
        raise ShapeError(f"{layer.describe()} takes (N, F), (N, C, L) or (N, C, H, W), but gets "
                         f"samples of shape {shape}: pass the right input_shape=")
    cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
    bn = cls(layer.num_features, eps=layer.eps, momentum=layer.momentum)
    return [loaded(bn, layer, {"num_batches_tracked": torch.tensor(0, dtype=torch.long)})]


@torch_converter(Normalize)
def normalize(layer: Normalize, shape: tuple) -> list[nn.Module]:
    return [loaded(Rescale(layer.n_features), layer)]


@torch_converter(Embedding)
def embedding(layer: Embedding, shape: tuple) -> list[nn.Module]:
    emb = nn.Embedding(layer.num_embeddings, layer.embedding_dim, padding_idx=layer.padding_idx)
    return [loaded(emb, layer)]


@torch_converter(SimpleRNN)
def simple_rnn(layer: SimpleRNN, shape: tuple) -> list[nn.Module]:
    rnn = RNNLayer(layer.n_inputs, layer.n_hidden, nonlinearity=layer.nonlinearity,
                   return_sequences=layer.return_sequences)
    return [loaded(rnn, layer)]


@torch_converter(LSTM)
def lstm(layer: LSTM, shape: tuple) -> list[nn.Module]:
    return [loaded(LSTMLayer(layer.n_inputs, layer.n_hidden,
                             return_sequences=layer.return_sequences), layer)]


@torch_converter(GRU)
def gru(layer: GRU, shape: tuple) -> list[nn.Module]:
    return [loaded(GRULayer(layer.n_inputs, layer.n_hidden,
                            return_sequences=layer.return_sequences), layer)]
