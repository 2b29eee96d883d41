"""Data into a network: checked and converted once, then run in chunks that fit the caches."""

from __future__ import annotations

import math

import numpy as np

from ._data import as_inputs, as_targets

__all__ = ["prepare", "prepare_X", "probe", "forward_chunks", "chunk_rows", "evaluate",
           "count_correct", "one_hot_rows"]

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
    if kind == "regression" and labels is not None:
        network.labelled = True  # class labels for an mse/mae network: outputs are classes
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

    Softmax: the largest output is the target's class. One sigmoid: output >= 0.5 exactly when
    the target is 1. Several sigmoids: a one-hot target row (a class label, which is what
    integer labels become) is answered right when the largest output is its class, as for
    softmax; any other row (several yes/no questions, 0/1 each) counts the fraction of outputs
    on the right side of 0.5.
    """
    kind = network._target_kind()
    if kind == "categorical":
        return int(np.count_nonzero(out.argmax(axis=1) == Y.argmax(axis=1)))
    if kind != "binary":
        return 0
    if Y.shape[1] == 1:
        return int(np.count_nonzero((out >= 0.5) == (Y >= 0.5)))
    single = one_hot_rows(Y)
    right = np.count_nonzero(out[single].argmax(axis=1) == Y[single].argmax(axis=1))
    if single.all():
        return int(right)
    rest = ~single
    return right + np.count_nonzero((out[rest] >= 0.5) == (Y[rest] >= 0.5)) / Y.shape[1]


def one_hot_rows(Y: np.ndarray) -> np.ndarray:
    """Which rows of the 0/1 target matrix ``Y`` hold exactly one 1 (one class per sample)."""
    return (np.count_nonzero(Y == 1, axis=1) == 1) & (np.count_nonzero(Y, axis=1) == 1)
