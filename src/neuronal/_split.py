"""Data parallelism on two cores: each half of a mini-batch through its own copy of the layers.

A convolutional network spends most of a training step in NumPy work that runs on one core:
the im2col copies, one small matrix product per image (too small for BLAS to use threads),
pooling and ReLU. With a second core free (``_threads.spare_core``), ``Network.fit`` splits
each mini-batch in two. The first half goes forward and backward through the network's own
layers in the calling thread while the second half goes through *twins* of the layers on the
helper thread. A twin is a shallow copy of its layer: it shares the parameter arrays (and so
always sees the current weights) but writes its gradients into arrays of its own. After both
halves, the twins' gradients are added to the network's, and the optimiser takes one step.

The loss is a mean over rows, so each half's output gradient is scaled by its share of the
batch: the sum of the two halves' gradients is the whole batch's gradient, up to
floating-point rounding (about 1e-7 relative in float32), and the weights follow the same
path as without the split. Each half's products run on one BLAS thread
(``_threads.single_threaded_blas``), so a given setting gives the same numbers on every run.

Only networks whose every layer treats the samples of a batch independently can be split
(``Layer.independent_samples``: not BatchNorm, whose statistics span the batch, and not
Dropout, whose masks come from one random stream), and only networks with a layer that gains
from it (``Layer.splits_well``: Conv2D). Fully connected networks and LSTMs are not split:
their time goes to big BLAS products (which already use both cores) or to many small
operations, and handing work between threads then costs more than it saves. Measured on a
2-core machine (ms per training step, best of several runs): LeNet at batch 64, 8.2 -> 7.4
(this code, in ``fit``); with a prototype of the same split, 784x128x10 at batch 128 went
0.91 -> 1.32 and the MNIST LSTM at batch 128 8.9 -> 10.5.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from . import _threads
from ._flat import flat_span, is_dense, view_like

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

#: A batch is split only if each half gets at least this many samples.
MIN_HALF = 8


def _twin(layer, flat: np.ndarray, start: int) -> tuple:
    """A shallow copy of ``layer`` sharing its parameters, with gradients in ``flat``."""
    twin = copy.copy(layer)
    twin._grads = {}
    for key, g in layer.grads().items():
        twin._grads[key] = view_like(flat, start, g)
        start += g.size
    return twin, start


class BatchSplitter:
    """Runs one training step as two half-batches on two threads (see the module docstring)."""

    def __init__(self, network: Network) -> None:
        self.network = network
        grads = [g for layer in network.layers for g in layer.grads().values()]
        dtype = grads[0].dtype if grads else network.dtype
        self._flat = np.zeros(sum(g.size for g in grads), dtype=dtype)
        self.twins, start = [], 0
        for layer in network.layers:
            twin, start = _twin(layer, self._flat, start)
            self.twins.append(twin)
        self._own = flat_span(grads)  # the network's gradients as one flat array, if packed
        self._pairs = list(zip(grads, [g for t in self.twins for g in t._grads.values()]))

    @classmethod
    def for_network(cls, network: Network) -> BatchSplitter | None:
        """A splitter if splitting pays for ``network`` on this machine, else None."""
        layers = network.layers
        if not (layers and all(getattr(layer, "independent_samples", False) for layer in layers)
                and any(getattr(layer, "splits_well", False) for layer in layers)
                and all(is_dense(g) for layer in layers for g in layer.grads().values())
                and _threads.spare_core()):
            return None
        return cls(network)

    def step(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward and backward of the batch (X, Y) in two halves; returns (loss, output).

        Leaves the whole batch's gradient in the network's gradient arrays, as
        ``Network.forward`` + ``Network.backward`` would.
        """
        m = len(X)
        h = (m + 1) // 2
        with _threads.single_threaded_blas():
            job = _threads.helper().submit(self.network._gradients, X[h:], Y[h:], self.twins,
                                           (m - h) / m)
            try:
                value_a, out_a = self.network._gradients(X[:h], Y[:h], share=h / m)
            finally:
                value_b, out_b = job.result()
        if self._own is not None:
            self._own += self._flat
        else:
            for own, theirs in self._pairs:
                own += theirs
        value = value_a * (h / m) + value_b * ((m - h) / m)
        return value, np.concatenate([out_a, out_b])
