"""Data into a network: checked and converted once, then run in chunks that fit the caches."""

from __future__ import annotations

import math

import numpy as np

from ._data import as_inputs, as_targets

__all__ = ["prepare", "prepare_X", "probe", "forward_chunks", "chunk_rows", "evaluate",
           "count_correct"]

_PREDICT_CHUNK = 4096  # at most this many rows per forward pass in predict/evaluate
_CHUNK_NUMBERS = 1 << 18  # and about this many numbers per row-sized array (see chunk_rows)


def prepare_X(network, X, what: str = "X") -> np.ndarray:
    """X checked (numbers, no NaN/inf, the shape the first layer expects) and converted."""
    X = as_inputs(X, network.dtype, what)
    probe(network, X)
    return X


def prepare(network, X, y, what: str = ""):
    """(X, Y, labels): X as in :func:`prepare_X`, Y shaped like the network's output."""
    X = as_inputs(X, network.dtype, f"{what}X")
    out_width = probe(network, X).shape[-1]
    kind = network._target_kind()
    Y, labels = as_targets(y, len(X), out_width, kind, network.dtype, network.loss.name)
    if kind != "categorical" and labels is not None and labels.ndim == 1:
        # class labels one-hot encoded for an mse/mae network or for several sigmoids (one per
        # class, Nielsen's chapters 1 and 3): the outputs are class scores
        network.labelled = True
    return X, Y, labels


def probe(network, X: np.ndarray) -> np.ndarray:
    """Run one sample of X through every layer, each checking its input; return the output.

    Catches a wrong input shape with the layer's own message even behind shape-agnostic
    layers (Dropout, Activation), once per call of fit/predict/evaluate, not per batch.
    Layers check a zero-copy view with X's batch size, so messages show the user's shape.
    """
    one = len(X) == 1  # then x already has X's batch size (and broadcast_to costs time)
    x = X if one else X[:1]
    for layer in network.layers:
        layer.check_input(x if one else np.broadcast_to(x, (len(X), *x.shape[1:])))
        x = layer.forward(x, training=False)
    return x


def forward_chunks(network, X: np.ndarray):
    rows = chunk_rows(network, X.shape[1:])
    for start in range(0, len(X), rows):
        yield start, network.forward(X[start : start + rows], training=False)

def chunk_rows(network, sample_shape: tuple) -> int:
    """Rows per forward pass when predicting: up to _PREDICT_CHUNK, fewer for wide layers.

    Big chunks mean few NumPy calls, which is what matters for an MLP; but a convolution's
    arrays grow with the chunk past the caches (evaluating LeNet on 10,000 images took several
    times longer in chunks of 4,096 than of 64). A chunk holds about
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
        correct += count_correct(network, out, y)
    result = {"loss": total / len(X)}
    if network.is_classifier:
        result["accuracy"] = float(correct / len(X))
    return result


def count_correct(network, out: np.ndarray, Y: np.ndarray) -> float:
    """How many rows of ``out`` answer their target row of ``Y`` right (0 for regression).

    The largest output is the answer for softmax, and for several outputs given class labels
    (``network.labelled``: mse, or one sigmoid per class), as the target's class; one sigmoid
    answers yes when its output is >= 0.5; several sigmoids trained on rows of 0/1 answers
    (several yes/no questions per sample) count the fraction of outputs answered right.
    """
    kind = network._target_kind()
    if kind == "categorical" or (kind == "binary" and network.labelled and Y.shape[1] > 1):
        return int(np.count_nonzero(out.argmax(axis=1) == Y.argmax(axis=1)))
    if kind == "binary":
        return np.count_nonzero((out >= 0.5) == (Y >= 0.5)) / Y.shape[1]
    return 0
