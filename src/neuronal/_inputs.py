"""Running a network over many samples: in chunks that keep each layer's arrays in cache."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["forward_chunks", "chunk_rows", "evaluate"]

_PREDICT_CHUNK = 4096  # at most this many rows per forward pass in predict/evaluate
_CHUNK_NUMBERS = 1 << 18  # and about this many numbers per row-sized array (see chunk_rows)


def forward_chunks(network, X: np.ndarray):
    rows = chunk_rows(network, X.shape[1:])
    for start in range(0, len(X), rows):
        yield start, network.forward(X[start : start + rows], training=False)

def chunk_rows(network, sample_shape: tuple) -> int:
    """Rows per forward pass when predicting: up to _PREDICT_CHUNK, fewer for wide layers.

    Big chunks mean few NumPy calls, which is what matters for an MLP; but a convolution's
    arrays grow with the chunk past the caches: evaluating LeNet on 10,000 images took
    3-5 s in chunks of 4,096 and 0.5-0.7 s in chunks of 64. A chunk holds about
    _CHUNK_NUMBERS numbers of the widest sample-sized array (input or layer output): 55
    images for LeNet (6x28x28 after the first convolution), 334 for a 784-input MLP.
    """
    widest = math.prod(sample_shape)
    for _, _, _, out in network._propagate_shapes(tuple(sample_shape)):
        if out is not None and all(isinstance(d, (int, np.integer)) for d in out):
            widest = max(widest, math.prod(out))
    return max(1, min(_PREDICT_CHUNK, _CHUNK_NUMBERS // max(1, widest)))


def evaluate(network, X: np.ndarray, Y: np.ndarray) -> dict[str, float]:
    """Mean loss (and accuracy for a classifier) of prepared (X, Y), forward in chunks."""
    total, correct = 0.0, 0.0
    loss = network.loss
    for start, out in forward_chunks(network, X):
        y = Y[start : start + len(out)]
        if loss.fused_with is not None:
            value = loss.value_from_logits(network.layers[-1].z, y)
        else:
            value = loss.value(out, y)
        total += value * len(out)
        correct += network.count_correct(out, y)
    result = {"loss": total / len(X)}
    if network.is_classifier:
        result["accuracy"] = float(correct / len(X))
    return result
