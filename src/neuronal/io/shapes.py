"""The tensors a layer will hold once built, computed from its arguments without building it.

``load`` compares these with the file's header before it allocates anything, so a small file
whose architecture declares a huge layer is refused at once instead of being built first.
Layer constructors allocate nothing; ``build`` does. A layer class that does not override
``Layer._init_params`` has no tensors; the built-in layers with tensors are listed in
``_RULES`` (``tests/test_io_hostile.py`` checks every rule against a real build, and fails for
a registered layer type with tensors but no rule).
"""

from __future__ import annotations

from collections.abc import Callable

from ..layers.base import Layer
from ..layers.conv import Conv2D
from ..layers.dense import Dense
from ..layers.embedding import Embedding
from ..layers.normalization import BatchNorm
from ..layers.normalize import Normalize
from ..layers.recurrent import GRU, LSTM, SimpleRNN

__all__ = ["state_shapes"]

Shapes = dict[str, tuple[int, ...]]


def _dense(layer: Dense) -> Shapes:
    n, k = layer.n_neurons, layer.n_inputs
    return {"weight": (n, k), **({"bias": (n,)} if layer.use_bias else {})}


def _conv(layer: Conv2D) -> Shapes:
    kh, kw = layer.kernel_size
    out = layer.out_channels
    return {"weight": (out, layer.in_channels, kh, kw),
            **({"bias": (out,)} if layer.use_bias else {})}


def _embedding(layer: Embedding) -> Shapes:
    return {"weight": (layer.num_embeddings, layer.embedding_dim)}


def _batch_norm(layer: BatchNorm) -> Shapes:
    f = (layer.num_features,)
    return {"weight": f, "bias": f, "running_mean": f, "running_var": f}


def _normalize(layer: Normalize) -> Shapes | None:
    if layer.n_features is None:  # not adapted: it cannot be built, so it holds nothing known
        return None
    f = (layer.n_features,)
    return {"mean": f, "scale": f}


def _recurrent(layer) -> Shapes:
    gh, h = layer._gates * layer.n_hidden, layer.n_hidden
    return {"weight_ih_l0": (gh, layer.n_inputs), "weight_hh_l0": (gh, h),
            "bias_ih_l0": (gh,), "bias_hh_l0": (gh,)}


_RULES: dict[type, Callable[[Layer], Shapes | None]] = {
    Dense: _dense, Conv2D: _conv, Embedding: _embedding, BatchNorm: _batch_norm,
    Normalize: _normalize,
    SimpleRNN: _recurrent, LSTM: _recurrent, GRU: _recurrent,
}


def state_shapes(layer: Layer) -> Shapes | None:
    """Name -> shape of every tensor in ``layer.state()`` once built; None when unknown.

    Exact for a built layer, for every built-in layer type and for any layer class that keeps
    the base class's ``_init_params`` (no tensors). None for other layer classes (defined
    outside neuronal), whose shapes are known only after building them, and for a
    ``Normalize`` that has not been adapted (it cannot be built until it knows its width).
    """
    if layer.built:
        return {k: tuple(v.shape) for k, v in layer.state().items()}
    rule = _RULES.get(type(layer))
    if rule is not None:
        shapes = rule(layer)
        return None if shapes is None else {k: tuple(int(s) for s in shape)
                                            for k, shape in shapes.items()}
    if type(layer)._init_params is Layer._init_params:
        return {}
    return None
