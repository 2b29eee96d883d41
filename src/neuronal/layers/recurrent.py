"""Recurrent layers: a layer of neurons that also reads its own previous output.

A recurrent layer walks along a sequence x_1 .. x_T (batch-first, (N, T, F)) and keeps a hidden
state h_t, a vector of ``n_hidden`` numbers that summarises what it has seen so far:
h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), with h_0 = 0. The same weights are used at every
step. Training unrolls the loop and backpropagates through all of its steps
("backpropagation through time", BPTT).

Three cells share this machinery, with PyTorch's equations, weight layout and state_dict names
(``weight_ih_l0`` (G*H, F), ``weight_hh_l0`` (G*H, H), ``bias_ih_l0``, ``bias_hh_l0`` (G*H,)
with G gate blocks stacked along the rows), so weights load into ``nn.RNN``, ``nn.LSTM`` and
``nn.GRU`` (``batch_first=True``) unchanged:

* :class:`SimpleRNN` (G = 1): h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).
* :class:`LSTM` (G = 4, blocks i, f, g, o): a memory cell c_t that gates let the network
  keep, forget and read, so gradients survive long sequences.
* :class:`GRU` (G = 3, blocks r, z, n): a lighter gated cell without a separate memory.

The code below runs the equations step by step, a batch of rows at a time. The engine's
kernels (``neuronal/engine/kernels/recurrent.py``) compute the same numbers with fused gates
and feature-major arrays.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import NeuronalError, ShapeError
from .base import Layer, positive_ints

__all__ = ["SimpleRNN", "LSTM", "GRU"]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


class _Recurrent(Layer):
    """Shared parameters, shapes and the non-recurrent half of forward and backward."""

    independent_samples = True

    _gates = 1  # number of G*H row blocks in the weight matrices

    def __init__(self, n_inputs: int, n_hidden: int, return_sequences: bool = False, *,
                 name: str | None = None, seed: int | None = None, dtype=None) -> None:
        super().__init__(name=name, seed=seed, dtype=dtype)
        kind = type(self).__name__
        self.n_inputs, self.n_hidden = positive_ints(kind, n_inputs=n_inputs, n_hidden=n_hidden)
        self.return_sequences = bool(return_sequences)
        self.input_shape = (None, self.n_inputs)

    def _init_params(self, rng):
        # PyTorch's initialisation: every weight and bias from U(-1/sqrt(H), 1/sqrt(H)).
        gh, h, k = self._gates * self.n_hidden, self.n_hidden, 1.0 / math.sqrt(self.n_hidden)
        for key, shape in (("weight_ih_l0", (gh, self.n_inputs)), ("weight_hh_l0", (gh, h)),
                           ("bias_ih_l0", (gh,)), ("bias_hh_l0", (gh,))):
            self._params[key] = rng.uniform(-k, k, size=shape).astype(self.dtype)

    @property
    def n_neurons(self) -> int:
        """The hidden units (each gate block of an LSTM/GRU belongs to them)."""
        return self.n_hidden

    # the four tensors as attributes, under their PyTorch names (assignment copies in place)
    weight_ih_l0 = property(lambda self: self.params()["weight_ih_l0"],
                            lambda self, v: self._set_param("weight_ih_l0", v))
    weight_hh_l0 = property(lambda self: self.params()["weight_hh_l0"],
                            lambda self, v: self._set_param("weight_hh_l0", v))
    bias_ih_l0 = property(lambda self: self.params()["bias_ih_l0"],
                          lambda self, v: self._set_param("bias_ih_l0", v))
    bias_hh_l0 = property(lambda self: self.params()["bias_hh_l0"],
                          lambda self, v: self._set_param("bias_hh_l0", v))

    # ------------------------------------------------------------------ forward / backward

    def _outputs(self, hs: np.ndarray) -> np.ndarray:
        """The layer's output from the hidden states hs (N, T+1, H), hs[:, 0] = h_0 = 0."""
        return hs[:, 1:] if self.return_sequences else hs[:, -1]

    def _grad_of_h(self, grad: np.ndarray, t: int, steps: int):
        """dLoss/dh_t that comes straight from the layer's output (not through h_{t+1})."""
        if self.return_sequences:
            return grad[:, t]
        return grad if t == steps - 1 else 0.0

    def _store(self, grads: dict, dx: np.ndarray):
        for key, value in grads.items():
            self._grads[key][...] = value
        return dx if self.needs_input_grad else None

    # ------------------------------------------------------------------ shapes

    def output_shape(self, input_shape):
        steps = tuple(input_shape)[0] if len(tuple(input_shape)) == 2 else None
        return (steps, self.n_hidden) if self.return_sequences else (self.n_hidden,)

    def check_input(self, x):
        if x.ndim == 3 and x.shape[2] == self.n_inputs and x.shape[1] >= 1:
            return
        f = self.n_inputs
        if x.ndim == 2 and x.shape[1] == f:
            hint = "a sequence needs a time axis: x.reshape(N, T, F), or x[:, None] for T = 1"
        elif x.ndim == 2 and x.shape[1] % f == 0:
            hint = (f"split each row into steps of {f} features, "
                    f"x.reshape(len(x), {x.shape[1] // f}, {f})")
        elif x.ndim == 3 and x.shape[1] == f:
            hint = "the input looks time-last; use batch-first (N, T, F): x.transpose(0, 2, 1)"
        elif x.ndim == 3 and x.shape[1] == 0:
            hint = "sequences need at least one step"
        elif x.ndim == 3:
            hint = f"give the layer n_inputs={x.shape[2]} or fix the previous layer"
        else:
            hint = "pass a batch of sequences (N, T, F)"
        raise ShapeError(f"{self.describe()} expects input of shape (batch, steps, {f}), got "
                         f"{x.shape}: {hint}")

    # ------------------------------------------------------------------ description

    def get_config(self):
        cfg = {"n_inputs": self.n_inputs, "n_hidden": self.n_hidden,
               "return_sequences": self.return_sequences}
        return {**cfg, **super().get_config()}

    def describe(self):
        seq = ", sequences" if self.return_sequences else ""
        return f"{super().describe()}({self.n_inputs} -> {self.n_hidden}{seq})"


class SimpleRNN(_Recurrent):
    """The plain (Elman) recurrent layer, like ``nn.RNN(batch_first=True)`` with one layer.

    h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), h_0 = 0, with f = tanh (or relu).

    Parameters
    ----------
    n_inputs : int
        Features per time step, F.
    n_hidden : int
        Size H of the hidden state (the layer's neurons).
    return_sequences : bool, default False
        Return every hidden state (N, T, H) instead of only the last one (N, H).
    nonlinearity : "tanh" (default) or "relu"

    Shape
    -----
    input (N, T, n_inputs); output (N, n_hidden), or (N, T, n_hidden) with
    ``return_sequences=True``.

    Attributes
    ----------
    weight_ih_l0 : ndarray of shape (H, F)
    weight_hh_l0 : ndarray of shape (H, H)
    bias_ih_l0, bias_hh_l0 : ndarray of shape (H,)
        All initialised from U(-1/sqrt(H), 1/sqrt(H)), as in PyTorch. (The two biases are
        redundant, as in PyTorch; both are kept so that weights load either way.)

    Examples
    --------
    >>> rnn = SimpleRNN(3, 5, seed=0)
    >>> rnn(np.zeros((2, 7, 3))).shape
    (2, 5)
    """

    _gates = 1

    def __init__(self, n_inputs: int, n_hidden: int, return_sequences: bool = False,
                 nonlinearity: str = "tanh", **kwargs) -> None:
        super().__init__(n_inputs, n_hidden, return_sequences, **kwargs)
        if nonlinearity not in ("tanh", "relu"):
            raise NeuronalError(
                f"SimpleRNN nonlinearity must be 'tanh' or 'relu' (as nn.RNN), got "
                f"{nonlinearity!r}"
            )
        self.nonlinearity = nonlinearity

    def forward(self, x, training=False):
        p = self._params
        n, steps, _ = x.shape
        f = np.tanh if self.nonlinearity == "tanh" else (lambda z: np.maximum(z, 0))
        hs = np.zeros((n, steps + 1, self.n_hidden), dtype=x.dtype)  # hs[:, 0] = h_0 = 0
        for t in range(steps):
            z = (x[:, t] @ p["weight_ih_l0"].T + p["bias_ih_l0"]
                 + hs[:, t] @ p["weight_hh_l0"].T + p["bias_hh_l0"])
            hs[:, t + 1] = f(z)  # h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
        self.x, self.hs = x, hs
        return self._outputs(hs)

    def backward(self, grad, preactivation=False):
        p, x, hs = self._params, self.x, self.hs
        steps = x.shape[1]
        grads = {k: np.zeros_like(v) for k, v in p.items()}
        dx = np.zeros_like(x)
        dh_next = np.zeros_like(hs[:, 0])  # dLoss/dh_t through h_{t+1}
        for t in range(steps - 1, -1, -1):
            dh = dh_next + self._grad_of_h(grad, t, steps)
            h = hs[:, t + 1]
            dz = dh * (1 - h * h) if self.nonlinearity == "tanh" else dh * (h > 0)
            grads["weight_ih_l0"] += dz.T @ x[:, t]  # dW_ih += dz_t x_t^T
            grads["weight_hh_l0"] += dz.T @ hs[:, t]  # dW_hh += dz_t h_{t-1}^T
            grads["bias_ih_l0"] += dz.sum(axis=0)
            dx[:, t] = dz @ p["weight_ih_l0"]
            dh_next = dz @ p["weight_hh_l0"]  # to h_{t-1}, through W_hh
        grads["bias_hh_l0"][...] = grads["bias_ih_l0"]  # both biases add the same way
        return self._store(grads, dx)

    def get_config(self):
        cfg = super().get_config()
        if self.nonlinearity != "tanh":
            cfg["nonlinearity"] = self.nonlinearity
        return cfg


class LSTM(_Recurrent):
    """Long short-term memory, like ``nn.LSTM(batch_first=True)`` with one layer.

    Gate layout (the row blocks of the weights, PyTorch's order i, f, g, o), with
    z_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh split into four blocks of H:

    ======  ============================  ===========================================
    block   value                         role
    ======  ============================  ===========================================
    i       sigmoid(z[0:H])               input gate: how much new content to write
    f       sigmoid(z[H:2H])              forget gate: how much of c_{t-1} to keep
    g       tanh(z[2H:3H])                candidate content
    o       sigmoid(z[3H:4H])             output gate: how much of the cell to show
    ======  ============================  ===========================================

    c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t),   h_0 = c_0 = 0.

    Parameters
    ----------
    n_inputs : int
        Features per time step, F.
    n_hidden : int
        Size H of the hidden state and of the cell.
    return_sequences : bool, default False
        Return every hidden state (N, T, H) instead of only the last one (N, H).

    Shape
    -----
    input (N, T, n_inputs); output (N, n_hidden), or (N, T, n_hidden) with
    ``return_sequences=True``.

    Attributes
    ----------
    weight_ih_l0 : ndarray of shape (4H, F)
        Rows [W_ii; W_if; W_ig; W_io].
    weight_hh_l0 : ndarray of shape (4H, H)
        Rows [W_hi; W_hf; W_hg; W_ho].
    bias_ih_l0, bias_hh_l0 : ndarray of shape (4H,)
        All initialised from U(-1/sqrt(H), 1/sqrt(H)), as in PyTorch. A model with a single
        bias loads as ``bias_ih_l0`` with a zero ``bias_hh_l0``.

    Examples
    --------
    >>> lstm = LSTM(28, 64, seed=0)
    >>> lstm.weight_ih_l0.shape, lstm.weight_hh_l0.shape
    ((256, 28), (256, 64))
    >>> lstm(np.zeros((2, 28, 28))).shape
    (2, 64)
    """

    _gates = 4

    def forward(self, x, training=False):
        p, h_ = self._params, self.n_hidden
        n, steps, _ = x.shape
        h, c = np.zeros((n, h_), dtype=x.dtype), np.zeros((n, h_), dtype=x.dtype)
        self.cache = []
        outputs = []
        for t in range(steps):
            z = (x[:, t] @ p["weight_ih_l0"].T + p["bias_ih_l0"]
                 + h @ p["weight_hh_l0"].T + p["bias_hh_l0"])
            i, f = _sigmoid(z[:, :h_]), _sigmoid(z[:, h_ : 2 * h_])  # input, forget gates
            g, o = np.tanh(z[:, 2 * h_ : 3 * h_]), _sigmoid(z[:, 3 * h_ :])  # content, output
            c_new = f * c + i * g  # c_t = f c_{t-1} + i g
            self.cache.append((h, c, i, f, g, o, c_new))
            h, c = o * np.tanh(c_new), c_new  # h_t = o tanh(c_t)
            outputs.append(h)
        self.x = x
        return np.stack(outputs, axis=1) if self.return_sequences else h

    def backward(self, grad, preactivation=False):
        p, x = self._params, self.x
        steps = x.shape[1]
        grads = {k: np.zeros_like(v) for k, v in p.items()}
        dx = np.zeros_like(x)
        dh_next = dc_next = 0.0  # dLoss/dh_t and dLoss/dc_t through step t + 1
        for t in range(steps - 1, -1, -1):
            h_prev, c_prev, i, f, g, o, c = self.cache[t]
            dh = dh_next + self._grad_of_h(grad, t, steps)
            tc = np.tanh(c)
            dc = dc_next + dh * o * (1 - tc * tc)  # from h_t = o tanh(c_t), and from c_{t+1}
            # dLoss/dz for the four blocks: gate value derivative times what it multiplied
            dz = np.concatenate([dc * g * i * (1 - i),  # i
                                 dc * c_prev * f * (1 - f),  # f
                                 dc * i * (1 - g * g),  # g
                                 dh * tc * o * (1 - o)], axis=1)  # o
            grads["weight_ih_l0"] += dz.T @ x[:, t]
            grads["weight_hh_l0"] += dz.T @ h_prev
            grads["bias_ih_l0"] += dz.sum(axis=0)
            dx[:, t] = dz @ p["weight_ih_l0"]
            dh_next, dc_next = dz @ p["weight_hh_l0"], dc * f
        grads["bias_hh_l0"][...] = grads["bias_ih_l0"]
        return self._store(grads, dx)


class GRU(_Recurrent):
    """Gated recurrent unit, like ``nn.GRU(batch_first=True)`` with one layer.

    Gate layout (row blocks r, z, n, PyTorch's order):

        r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)         reset gate
        z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)         update gate
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))      candidate
        h_t = (1 - z) * n + z * h_{t-1},  h_0 = 0.

    Parameters
    ----------
    n_inputs, n_hidden : int
    return_sequences : bool, default False

    Shape
    -----
    input (N, T, n_inputs); output (N, n_hidden) or (N, T, n_hidden).

    Attributes
    ----------
    weight_ih_l0 : ndarray of shape (3H, F)
    weight_hh_l0 : ndarray of shape (3H, H)
    bias_ih_l0, bias_hh_l0 : ndarray of shape (3H,)
        U(-1/sqrt(H), 1/sqrt(H)) as in PyTorch. The n block of ``bias_hh_l0`` is not
        redundant (it sits inside the reset gate's product).
    """

    _gates = 3

    def forward(self, x, training=False):
        p, h_ = self._params, self.n_hidden
        n, steps, _ = x.shape
        h = np.zeros((n, h_), dtype=x.dtype)
        self.cache = []
        outputs = []
        for t in range(steps):
            gi = x[:, t] @ p["weight_ih_l0"].T + p["bias_ih_l0"]  # input side, blocks r, z, n
            gh = h @ p["weight_hh_l0"].T + p["bias_hh_l0"]  # recurrent side
            r = _sigmoid(gi[:, :h_] + gh[:, :h_])  # reset gate
            z = _sigmoid(gi[:, h_ : 2 * h_] + gh[:, h_ : 2 * h_])  # update gate
            hn = gh[:, 2 * h_ :]  # W_hn h + b_hn
            cand = np.tanh(gi[:, 2 * h_ :] + r * hn)  # candidate n
            self.cache.append((h, r, z, hn, cand))
            h = (1 - z) * cand + z * h  # h_t = (1 - z) n + z h_{t-1}
            outputs.append(h)
        self.x = x
        return np.stack(outputs, axis=1) if self.return_sequences else h

    def backward(self, grad, preactivation=False):
        p, x = self._params, self.x
        steps = x.shape[1]
        grads = {k: np.zeros_like(v) for k, v in p.items()}
        dx = np.zeros_like(x)
        dh_next = 0.0
        for t in range(steps - 1, -1, -1):
            h_prev, r, z, hn, cand = self.cache[t]
            dh = dh_next + self._grad_of_h(grad, t, steps)
            dn = dh * (1 - z) * (1 - cand * cand)  # dLoss/d(pre-activation of n)
            dz = dh * (h_prev - cand) * z * (1 - z)
            dr = dn * hn * r * (1 - r)
            d_in = np.concatenate([dr, dz, dn], axis=1)  # input side: W_i* x + b_i*
            d_hid = np.concatenate([dr, dz, dn * r], axis=1)  # recurrent side (n inside r *)
            grads["weight_ih_l0"] += d_in.T @ x[:, t]
            grads["weight_hh_l0"] += d_hid.T @ h_prev
            grads["bias_ih_l0"] += d_in.sum(axis=0)
            grads["bias_hh_l0"] += d_hid.sum(axis=0)
            dx[:, t] = d_in @ p["weight_ih_l0"]
            dh_next = dh * z + d_hid @ p["weight_hh_l0"]  # directly through z, and through W_hh
        return self._store(grads, dx)
