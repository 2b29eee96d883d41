"""Numerical gradient checking: backpropagation against finite differences, in float64.

Backpropagation is fast but easy to get subtly wrong; finite differences are slow but hard to
get wrong. For a parameter p, the central difference

    dL/dp ~ (L(p + eps) - L(p - eps)) / (2 eps)

has error O(eps^2). The checkers compare it with the analytic gradient g, array by array, as
the relative error ``||g - n|| / (||g|| + ||n||)`` (norms over the checked entries; robust to
entries that are nearly 0), and return the largest. In float64 with eps = 1e-6 a correct
gradient gives about 1e-8 or less; a wrong one gives something of order 0.1 to 1.
"""

from __future__ import annotations

import numpy as np

from .errors import NeuronalError

__all__ = ["gradient_check", "check_layer_gradients", "relative_error"]


def relative_error(analytic: np.ndarray, numeric: np.ndarray, tiny: float = 1e-12) -> float:
    """``||a - n|| / (||a|| + ||n||)``; 0 when both are (numerically) zero."""
    a, n = np.asarray(analytic, np.float64).ravel(), np.asarray(numeric, np.float64).ravel()
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    if denom < tiny:
        return 0.0
    return float(np.linalg.norm(a - n) / denom)


def _entries(size: int, max_entries: int | None, rng: np.random.Generator) -> np.ndarray:
    if max_entries is None or size <= max_entries:
        return np.arange(size)
    return rng.choice(size, size=max_entries, replace=False)


def _numeric(f, array: np.ndarray, flat_indices: np.ndarray, eps: float) -> np.ndarray:
    # Entries are addressed by C-order position, edited in the array itself whatever its memory
    # layout (reshape(-1) would copy a column-major weight matrix instead of viewing it).
    out = np.empty(len(flat_indices))
    for k, i in enumerate(flat_indices):
        pos = np.unravel_index(i, array.shape)
        old = array[pos]
        array[pos] = old + eps
        plus = f()
        array[pos] = old - eps
        minus = f()
        array[pos] = old
        out[k] = (plus - minus) / (2 * eps)
    return out


def _fixed_randomness(layers, seed: int) -> None:
    """Give every layer the same fresh generator so each forward pass draws the same masks."""
    rng = np.random.default_rng(seed)
    for layer in layers:
        layer.rng = rng


def gradient_check(network, X, y, eps: float = 1e-6, max_entries: int | None = 200,
                   seed: int = 0) -> float:
    """Max relative error between backprop and central differences for a network's parameters.

    The network is copied to float64 first (the original is untouched). Stochastic layers
    (dropout) draw the same masks in every pass.

    Parameters
    ----------
    network : Network
    X, y : array_like
        A small batch (a handful of samples is enough).
    eps : float
        Finite-difference step.
    max_entries : int or None
        Entries checked per parameter array (a random subset); None checks all of them.
    seed : int
        Seeds the subset choice and the dropout masks.
    """
    net = network.copy(dtype="float64")
    X, Y, _ = net._prepare(X, y)
    rng = np.random.default_rng(seed)

    def loss() -> float:
        _fixed_randomness(net.layers, seed)
        out = net.forward(X, training=True)
        return net.loss_and_delta(out, Y)[0]

    _fixed_randomness(net.layers, seed)
    out = net.forward(X, training=True)
    _, delta, pre = net.loss_and_delta(out, Y)
    net.backward(delta, preactivation=pre)
    worst = 0.0
    for p, g in net.parameters():
        idx = _entries(p.size, max_entries, rng)
        analytic = g.reshape(-1)[idx].copy()
        worst = max(worst, relative_error(analytic, _numeric(loss, p, idx, eps)))
    return worst


def check_layer_gradients(layer, x, eps: float = 1e-6, max_entries: int | None = 200,
                          seed: int = 0, training: bool = True,
                          input_grad: bool = True) -> dict[str, float]:
    """Check one layer's input and parameter gradients in float64.

    Uses the scalar loss L = sum(layer(x) * R) for a fixed random R, so dL/dy = R.
    Returns ``{"input": err, "weight": err, ...}`` (relative error for each array).
    ``input_grad=False`` skips dL/dx (for integer inputs such as token ids).
    """
    layer.build(np.random.default_rng(seed), np.float64)
    layer.needs_input_grad = input_grad
    x = np.array(x, dtype=np.float64 if input_grad else None)
    rng = np.random.default_rng(seed + 1)
    _fixed_randomness([layer], seed)
    out = layer.forward(x, training=training)
    R = rng.standard_normal(out.shape)

    def loss() -> float:
        _fixed_randomness([layer], seed)
        return float(np.sum(layer.forward(x, training=training) * R))

    _fixed_randomness([layer], seed)
    layer.forward(x, training=training)
    dx = layer.backward(R)
    grads = {k: v.copy() for k, v in layer.grads().items()}
    result = {}
    if input_grad:
        if dx is None:
            raise NeuronalError(f"{layer.describe()}.backward returned no input gradient")
        idx = _entries(x.size, max_entries, rng)
        result["input"] = relative_error(dx.reshape(-1)[idx], _numeric(loss, x, idx, eps))
    for name, p in layer.params().items():
        idx = _entries(p.size, max_entries, rng)
        result[name] = relative_error(grads[name].reshape(-1)[idx], _numeric(loss, p, idx, eps))
    return result
