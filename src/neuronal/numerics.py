"""Numerically stable primitives: sigmoid, softmax and their logarithms.

Logits of +-1000 give finite results without warnings. Softmax never evaluates ``exp`` of a
large positive number; sigmoid lets ``exp(-z)`` overflow to inf only where its result rounds
to 0 anyway, with that warning silenced. Each is tested against the plain formula
(tests/test_fast_path.py).
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "log_sigmoid", "softmax", "log_softmax"]


def _constants(value: float) -> dict:
    """``value`` as a read-only 0-d array for each float dtype, for in-place ufuncs.

    NumPy 2 converts a Python scalar operand on every call; a 0-d array of the array's own
    dtype gives the same result sooner, which counts in a one-sample prediction.
    """
    out = {}
    for t in (np.float16, np.float32, np.float64):
        c = np.array(value, dtype=t)
        c.flags.writeable = False
        out[c.dtype] = c
    return out


_ONE, _ZERO = _constants(1.0), _constants(0.0)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), finite for any z and without warnings.

    For very negative z (below -88.7 in float32, -709.8 in float64) exp(-z) overflows to inf
    and 1 / (1 + inf) is exactly 0, where the true value is below 3e-39 in float32 (a subnormal
    number, and below z = -104 less than the smallest one) and 6e-309 in float64; that
    overflow is expected, so its warning is silenced. Four in-place array operations, as this
    runs in every forward pass of a sigmoid layer.
    """
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    e = np.negative(z) if z.ndim else np.negative(z, out=np.empty((), z.dtype))  # an array
    with np.errstate(over="ignore"):
        np.exp(e, out=e)
    e += _ONE.get(e.dtype, 1.0)
    return np.reciprocal(e, out=e)


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """log(sigmoid(z)) = -log(1 + exp(-z)), stable for any z (``logaddexp(0, -z)``)."""
    return -np.logaddexp(0.0, -np.asarray(z))


def _shifted(z, axis: int) -> np.ndarray:
    """z minus its maximum along ``axis``, as a new float array (safe to overwrite)."""
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    if _one_row(z, axis):  # one prediction: a whole-array maximum is cheaper
        # ... and for a short row, Python's max of its values cheaper still, with the same
        # result: the maximum is exact either way, and a NaN turns the whole softmax into NaN
        # either way. A Python float also subtracts faster than a NumPy scalar, and converts
        # back to z's dtype exactly.
        return z - (max(z[0].tolist()) if z.shape[1] <= 64 else float(z.max()))
    if z.ndim == 2 and axis in (1, -1) and z.shape[1] <= 32 and z.shape[0] >= 16:
        # NumPy reduces a short last axis row by row; the same maximum taken down the columns
        # of a transposed copy is one vectorised pass (faster for a batch of 10 logits).
        return z - np.ascontiguousarray(z.T).max(axis=0)[:, None]
    return z - z.max(axis=axis, keepdims=True)


def _one_row(z: np.ndarray, axis: int) -> bool:
    """Whether ``z`` is a single (1, k) row reduced along its last axis."""
    return z.ndim == 2 and z.shape[0] == 1 and axis in (1, -1)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(z_i) / sum_j exp(z_j), computed after subtracting the row maximum (no overflow)."""
    e = _shifted(z, axis)
    np.exp(e, out=e)
    if _one_row(e, axis):  # the same sum, as a Python float (an exact copy): divides faster
        e /= float(np.add.reduce(e, axis=None))
    else:
        e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(softmax(z)) = z - max - log(sum(exp(z - max))): finite for any finite z."""
    shifted = _shifted(z, axis)
    lse = np.exp(shifted).sum(axis=axis, keepdims=True)
    shifted -= np.log(lse, out=lse)
    return shifted
