"""The layer contract every layer follows (dense, dropout, convolution, recurrent, ...).

A layer maps a batch ``x`` (batch first: ``(N, features)``, ``(N, C, H, W)`` images or
``(N, T, F)`` sequences) to a batch ``y``:

* ``forward(x, training=False)`` computes ``y`` and keeps exactly what ``backward`` needs;
* ``backward(grad, preactivation=False)`` receives dLoss/dy, writes dLoss/dparameter into the
  layer's gradient arrays (overwriting, not accumulating) and returns dLoss/dx. With
  ``preactivation=True`` the incoming gradient is already dLoss/dz, the gradient before the
  layer's own activation: the network uses it for the fused softmax/sigmoid + cross-entropy
  delta.

Parameters live in ``params()`` and their gradients in ``grads()``, two dicts with PyTorch's
``state_dict`` names (``weight``, ``bias``, ...), so a layer's tensors map one-to-one onto the
equivalent ``torch.nn`` module. Arrays are updated *in place* by optimisers and loaders, so the
(parameter, gradient) pairs an optimiser holds stay valid. A network may replace a layer's
arrays once, when it is built, by views of one flat array holding all its parameters (same
shapes, layouts and values; see ``neuronal/engine/flat.py``): a layer therefore looks its arrays up
in these dicts on every call and never keeps its own reference to them across calls.
Non-trainable state (BatchNorm's running statistics) lives in ``buffers()``.

Parameters are created lazily by ``build(rng, dtype)``: a :class:`~neuronal.Network` builds its
layers from its own seeded generator, so one seed reproduces the whole network; a layer used on
its own builds itself on first use from ``seed`` (its constructor argument).

``get_config()`` returns the JSON-able constructor arguments, so ``type(layer)(**config)``
rebuilds the architecture; ``Layer.types`` maps class names to classes, and loading a saved
model only ever instantiates classes found there.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .. import seams
from ..errors import ShapeError

__all__ = ["Layer", "positive_ints", "shape_matches", "forward_through", "backward_through"]


def shape_matches(expected: tuple, got: tuple) -> bool:
    """True when ``got`` has ``expected``'s length and size wherever ``expected`` names one.

    ``None`` in either shape is "any size" (an open input size, or a size not known yet).
    """
    return len(expected) == len(got) and all(
        e is None or g is None or e == g for e, g in zip(expected, got)
    )


def positive_ints(owner: str, **sizes) -> tuple[int, ...]:
    """Check constructor sizes such as ``n_inputs=784``: each a positive integer (not a bool).

    Returns them as Python ints, in order; raises :class:`ShapeError` naming ``owner``.
    """
    for label, v in sizes.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ShapeError(f"{owner} {label} must be a positive integer, got {v!r}")
    return tuple(int(v) for v in sizes.values())


class Layer:
    """Base class of all layers; see the module docstring for the contract.

    Attributes
    ----------
    name : str or None
        Optional label used in summaries and error messages.
    activation : Activation or None
        The activation applied last inside the layer, if any.
    input_shape : tuple or None
        Expected shape of one sample (without the batch axis); ``None`` entries accept any
        size. ``None`` as a whole means any shape.
    rng : numpy.random.Generator or None
        Source of randomness for stochastic layers (dropout), set by the network.
    """

    #: Registry of layer classes by name, filled automatically by subclassing (names starting
    #: with "_" are private helper bases and are not registered).
    types: ClassVar[dict[str, type[Layer]]] = {}
    activation = None
    input_shape: tuple | None = None
    #: False when nobody needs dLoss/dx (the first layer of a network): backward may then
    #: skip computing it and return None.
    needs_input_grad = True
    #: True when each sample's output and gradients depend on that sample alone (not on the
    #: rest of the batch, nor on a random stream): then data-parallel training
    #: (``fit(workers=2)``, MPI) may share a batch between processes. False for BatchNorm and
    #: Dropout, and by default for new layer types, which must opt in. The other processes
    #: rebuild the network from its configuration and receive only parameters, so a layer
    #: that opts in must keep no other state that training changes.
    independent_samples = False
    #: The engine kernel that ran the last forward pass (None: the layer's own code); set by
    #: ``seams.forward`` so that backward takes the same route.
    _kernel = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            Layer.types[cls.__name__] = cls

    def __init__(self, *, name: str | None = None, seed: int | None = None, dtype=None) -> None:
        self.name = name
        self.seed = seed
        self.dtype = np.dtype(dtype or np.float32)
        self.rng: np.random.Generator | None = None
        self._params: dict[str, np.ndarray] = {}
        self._grads: dict[str, np.ndarray] = {}
        self._buffers: dict[str, np.ndarray] = {}
        self.built = False

    # ------------------------------------------------------------------ construction

    def build(self, rng: np.random.Generator | None = None, dtype=None,
              initialize: bool = True) -> Layer:
        """Create parameters (once) from ``rng`` and cast everything to ``dtype``.

        ``initialize=False`` allocates the parameters without drawing them (their values are
        undefined, and ``rng`` is not advanced): for a loader that overwrites every value next.
        """
        if dtype is not None and np.dtype(dtype) != self.dtype:
            self.astype(dtype)
        if not self.built:
            if rng is None:
                rng = np.random.default_rng(self.seed)
            self.rng = rng
            self._init_params(rng if initialize else _Undrawn())
            self._grads = {k: _zeros_like(v) for k, v in self._params.items()}
            self.built = True
        return self

    def _init_params(self, rng: np.random.Generator) -> None:
        """Subclasses fill ``self._params`` (and ``self._buffers``) here, in ``self.dtype``."""

    def _ensure_built(self) -> None:
        if not self.built:
            self.build()

    def astype(self, dtype) -> Layer:
        """Cast parameters, gradients and buffers to ``dtype`` (float32 or float64)."""
        self.dtype = np.dtype(dtype)
        for store in (self._params, self._grads, self._buffers):
            for k, v in store.items():
                if v.dtype.kind == "f":
                    store[k] = v.astype(self.dtype)
        return self

    # ------------------------------------------------------------------ parameters

    def params(self) -> dict[str, np.ndarray]:
        """Trainable parameters by PyTorch state_dict name (the arrays themselves, not copies)."""
        self._ensure_built()
        return self._params

    def grads(self) -> dict[str, np.ndarray]:
        """Gradients of the last ``backward``, with the same names as :meth:`params`."""
        self._ensure_built()
        return self._grads

    def buffers(self) -> dict[str, np.ndarray]:
        """Non-trainable state saved with the model (e.g. BatchNorm running statistics)."""
        self._ensure_built()
        return self._buffers

    def decays(self, name: str) -> bool:
        """Whether weight decay applies to parameter ``name``: connection weights do, biases
        and scales do not (an optimiser's ``decay_biases=True`` decays everything)."""
        return name.startswith("weight")

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(parameter, gradient) pairs, the form optimisers receive."""
        p, g = self.params(), self.grads()
        return [(p[k], g[k]) for k in p]

    def state(self) -> dict[str, np.ndarray]:
        """Parameters and buffers together: what a saved model stores for this layer."""
        return {**self.params(), **self.buffers()}

    def load_state(self, tensors: dict[str, np.ndarray]) -> None:
        """Copy arrays into parameters and buffers in place, checking names and shapes."""
        own = self.state()
        missing = sorted(set(own) - set(tensors))
        extra = sorted(set(tensors) - set(own))
        if missing or extra:
            raise ShapeError(
                f"{self.describe()}: expected tensors {sorted(own)}, got {sorted(tensors)} "
                f"(missing {missing}, unexpected {extra})"
            )
        for k, v in tensors.items():
            if tuple(v.shape) != own[k].shape:
                raise ShapeError(
                    f"{self.describe()}: tensor {k!r} must have shape {own[k].shape}, "
                    f"got {tuple(v.shape)}"
                )
            own[k][...] = v

    def _set_param(self, key: str, value) -> None:
        """Assign a parameter in place (keeps optimiser references valid), checking shape."""
        self._ensure_built()
        value = np.asarray(value, dtype=self.dtype)
        target = self._params[key]
        if value.shape != target.shape:
            raise ShapeError(
                f"{self.describe()}: {key} must have shape {target.shape}, got {value.shape}"
            )
        target[...] = value

    @property
    def n_params(self) -> int:
        """Number of trainable numbers (weights and biases)."""
        return int(sum(v.size for v in self.params().values()))

    @property
    def n_weights(self) -> int:
        """Number of connection weights (parameters other than biases and normalisation scales)."""
        return int(sum(v.size for k, v in self.params().items() if k.startswith("weight")))

    @property
    def n_neurons(self) -> int:
        """Number of neurons (units) the layer adds to the network; 0 for reshaping layers."""
        return 0

    # ------------------------------------------------------------------ computation

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray, preactivation: bool = False) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x, training: bool = False) -> np.ndarray:
        self._ensure_built()
        x = np.asarray(x, dtype=self.dtype)
        self.check_input(x)
        self._kernel = None  # layer(x) runs the layer's own code (a network may use a kernel)
        return self.forward(x, training=training)

    def output_shape(self, input_shape: tuple) -> tuple:
        """Shape of one output sample for one input sample of ``input_shape`` (no batch axis)."""
        return tuple(input_shape)

    def matmul_macs(self, input_shape: tuple) -> int | None:
        """Multiply-adds of this layer's matrix products in the forward pass of one sample.

        ``Network.fit`` adds them up to decide whether a training step's products are big
        enough to share between two BLAS threads (see ``neuronal/engine/threads.py``). 0 for a layer
        without parameters (its work is elementwise or a copy); None, "unknown", by default
        for a layer with parameters (or not built yet), which then keeps the BLAS library's
        own choice.
        """
        return 0 if self.built and not self._params else None

    def check_input(self, x: np.ndarray) -> None:
        """Raise :class:`ShapeError` unless ``x`` is a batch of ``input_shape`` samples."""
        expected = self.input_shape
        if expected is None:
            return
        got = x.shape[1:]
        if not shape_matches(tuple(expected), got):
            shape = "(batch, " + ", ".join("any" if e is None else str(e) for e in expected) + ")"
            raise ShapeError(
                f"{self.describe()} expects input of shape {shape}, got {x.shape}: "
                f"{self._shape_hint(x)}"
            )

    def _shape_hint(self, x: np.ndarray) -> str:
        return "reshape the data or change the layer's input size"

    # ------------------------------------------------------------------ description

    def get_config(self) -> dict:
        """JSON-able constructor arguments: ``type(layer)(**layer.get_config())`` rebuilds it."""
        cfg: dict[str, Any] = {}
        if self.name is not None:
            cfg["name"] = self.name
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)

    def describe(self) -> str:
        """Short label used in messages: ``Dense(784 -> 16, sigmoid)`` or the layer's name."""
        label = f"{type(self).__name__}"
        return f"{label} {self.name!r}" if self.name else label

    from ..notebook import html as _repr_html_  # the notebook view (neuronal/notebook.py)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _zeros_like(a: np.ndarray) -> np.ndarray:
    """``np.zeros_like(a)`` for a contiguous ``a`` through ``np.zeros``, whose fresh pages the
    OS maps lazily (``zeros_like`` writes every byte): a large gradient costs no memory until
    the first backward pass."""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return np.zeros(a.shape, a.dtype, order="C" if a.flags.c_contiguous else "F")
    return np.zeros_like(a)


class _Undrawn:
    """Stands in for the generator in ``build(initialize=False)``: each draw returns zeros of
    the requested size without computing random numbers (``np.zeros`` maps fresh pages
    lazily), so building a layer to be loaded costs an allocation, not a draw."""

    def _empty(self, size, dtype=np.float64) -> np.ndarray:
        return np.zeros(() if size is None else size, dtype=dtype)

    def normal(self, loc=0.0, scale=1.0, size=None):
        return self._empty(size)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._empty(size)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return self._empty(size, dtype)

    def random(self, size=None, dtype=np.float64, out=None):
        return self._empty(size, dtype)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        return np.zeros(() if size is None else size, dtype=dtype)


def forward_through(layers, x: np.ndarray, training: bool) -> np.ndarray:
    """Forward propagation of ``x`` through ``layers`` in order; returns the last output.

    Each layer runs its own ``forward``, or the engine's kernel for its type (``seams.py``).
    """
    for layer in layers:
        x = seams.forward(layer, x, training)
    return x


def backward_through(layers, grad: np.ndarray, preactivation: bool = False):
    """Backpropagation of ``grad`` (dLoss/doutput, or dLoss/dz of the last layer when
    ``preactivation``) through ``layers`` in reverse order, leaving each layer's parameter
    gradients in place; returns dLoss/dinput of the first layer (None if it skips that)."""
    for layer in reversed(layers):
        grad = seams.backward(layer, grad, preactivation)
        preactivation = False
    return grad
