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

Speed: the input half of every step, W_ih x_t for all t, is computed before the loop; the
Python loop runs over time steps only, each step one (G*H, H) x (H, N) product plus a few
elementwise operations on the whole batch. Inside, the layers keep every per-step array
*feature-major*, (features, batch): then each gate is a contiguous block of rows, and the
elementwise work runs over contiguous memory. Backward accumulates the weight gradients with
one batched product each after the loop. The LSTM goes further: each step's [x_t; 1; h_{t-1}]
sits in one (F+1+H, N) block, so its whole pre-activation z_t (input, biases and recurrent
part) is one product per step, written straight into place, and dW_ih, the bias gradient and
dW_hh come from one product per step in backward.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from ..errors import NeuronalError, ShapeError
from .base import Layer, positive_ints

__all__ = ["SimpleRNN", "LSTM", "GRU"]


class _Recurrent(Layer):
    """Shared parameters, shapes and the non-recurrent half of forward and backward."""

    independent_samples = True
    splits_well = True  # a long loop of small operations: see _split.py

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

    #: Internal row order of the gate blocks, as indices into PyTorch's order (None: the same).
    _rows: np.ndarray | None = None

    def forward(self, x, training=False):
        # feature-major copy of the input, (T, F, N): x_t^T for every step t
        self.xT = xT = np.ascontiguousarray(x.transpose(1, 2, 0))
        hs = self._run(xT)  # (T+1, H, N) hidden states h_t^T, hs[0] = h_0 = 0
        self.hs = hs
        if self.return_sequences:
            return np.ascontiguousarray(hs[1:].transpose(2, 0, 1))
        return np.ascontiguousarray(hs[-1].T)

    def _weights(self):
        """W_ih, W_hh, b_ih, b_hh with their rows in the internal gate order."""
        p, rows = self._params, self._rows
        w = [p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]]
        return w if rows is None else [v[rows] for v in w]

    def backward(self, grad, preactivation=False):
        if self.return_sequences:
            step_grads, last = grad.transpose(1, 2, 0), None  # (T, H, N): dLoss/dh_t
        else:
            step_grads, last = None, grad.T  # only h_T is an output
        # Backpropagation through time: dLoss/d(pre-activations) of every step, (T, G*H, N),
        # input side (for W_ih, b_ih, x) and recurrent side (for W_hh, b_hh); the same array
        # for SimpleRNN and LSTM.
        dzx, dzh = self._bptt(step_grads, last)
        xT, hs = self.xT, self.hs
        # sum over steps of dz_t x_t^T and dz_t h_{t-1}^T: one batched product each
        db_ih = dzx.sum(axis=0).sum(axis=1)
        tensors = {
            "weight_ih_l0": np.matmul(dzx, xT.transpose(0, 2, 1)).sum(axis=0),
            "weight_hh_l0": np.matmul(dzh, hs[:-1].transpose(0, 2, 1)).sum(axis=0),
            "bias_ih_l0": db_ih,
            "bias_hh_l0": db_ih if dzh is dzx else dzh.sum(axis=0).sum(axis=1),
        }
        for key, value in tensors.items():
            if self._rows is None:
                self._grads[key][...] = value
            else:  # back to PyTorch's gate order
                self._grads[key][self._rows] = value
        if not self.needs_input_grad:
            return None
        w_ih = self._params["weight_ih_l0"]
        if self._rows is not None:
            w_ih = w_ih[self._rows]
        dxT = np.matmul(w_ih.T, dzx)  # (T, F, N)
        return np.ascontiguousarray(dxT.transpose(2, 0, 1))

    def _run(self, xT: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _bptt(self, step_grads, last):
        raise NotImplementedError

    @staticmethod
    def _add_step_grad(dh: np.ndarray, step_grads, last, t: int, steps: int) -> None:
        """dLoss/dh_t gets the gradient of the layer's own output at step t, if any."""
        if step_grads is not None:
            dh += step_grads[t]
        elif t == steps - 1:
            dh += last

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

    def _run(self, xT):
        w_ih, w_hh, b_ih, b_hh = self._weights()
        steps, n = xT.shape[0], xT.shape[2]
        xw = np.matmul(w_ih, xT)  # W_ih x_t for every step, (T, H, N)
        xw += (b_ih + b_hh)[:, None]
        hs = np.zeros((steps + 1, self.n_hidden, n), dtype=xw.dtype)
        z = np.empty((self.n_hidden, n), dtype=xw.dtype)
        tanh = self.nonlinearity == "tanh"
        for t in range(steps):
            np.matmul(w_hh, hs[t], out=z)
            z += xw[t]  # z_t = W_ih x_t + b + W_hh h_{t-1}
            if tanh:
                np.tanh(z, out=hs[t + 1])
            else:
                np.maximum(z, 0, out=hs[t + 1])
        return hs

    def _bptt(self, step_grads, last):
        hs, w_hh_t = self.hs, np.ascontiguousarray(self._params["weight_hh_l0"].T)
        steps = hs.shape[0] - 1
        out = hs[1:]
        # f'(z) from the outputs: 1 - h^2 for tanh, [h > 0] for relu
        deriv = 1 - out * out if self.nonlinearity == "tanh" else (out > 0).astype(out.dtype)
        dz = np.empty_like(out)
        dh = np.zeros_like(hs[0])
        for t in range(steps - 1, -1, -1):
            self._add_step_grad(dh, step_grads, last, t, steps)
            np.multiply(dh, deriv[t], out=dz[t])  # dLoss/dz_t
            if t:
                np.matmul(w_hh_t, dz[t], out=dh)  # dLoss/dh_{t-1} through W_hh
        return dz, dz

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

    @cached_property
    def _rows(self) -> np.ndarray:
        # internal order i, f, o, g from PyTorch's i, f, g, o (computed once: np.r_ is slow)
        h = self.n_hidden
        return np.r_[0 : 2 * h, 3 * h : 4 * h, 2 * h : 3 * h]

    def forward(self, x, training=False):
        n, steps, f = x.shape
        h = self.n_hidden
        dt = np.result_type(x.dtype, self._params["weight_ih_l0"].dtype)
        # Per step one feature-major block P[t] = [x_t^T; 1; h_{t-1}^T] of shape (F+1+H, N):
        # forward reads h_{t-1} from it, and backward gets dW_ih, the bias gradient and dW_hh
        # from one batched product with it. (P[steps] holds only the last h.)
        self.P = P = np.empty((steps + 1, f + 1 + h, n), dtype=dt)
        P[:steps, :f] = x.transpose(1, 2, 0)
        P[steps, :f + 1] = 0
        P[:steps, f] = 1
        P[0, f + 1 :] = 0
        # Internally the gate blocks are ordered i, f, o, g (rows self._rows of PyTorch's
        # i, f, g, o): the three sigmoid gates are then one contiguous block.
        # sigmoid(z) = (1 + tanh(z / 2)) / 2: halve the sigmoid rows of the weights once, so
        # one tanh call per step serves all four gates.
        p, rows = self._params, self._rows
        half = np.ones((4 * h, 1), dtype=dt)
        half[: 3 * h] = 0.5
        # [W_ih, b_ih + b_hh, W_hh] in the internal order, sigmoid rows halved: z_t = w P[t]
        w = np.empty((4 * h, f + 1 + h), dtype=dt)
        w[:, :f] = p["weight_ih_l0"][rows]
        w[:, f] = p["bias_ih_l0"][rows] + p["bias_hh_l0"][rows]
        w[:, f + 1 :] = p["weight_hh_l0"][rows]
        self._w_hh_t = np.ascontiguousarray(w[:, f + 1 :].T)  # for backward
        w *= half
        # z_t (biases included) from one product per step, overwritten by the activations
        self.acts = acts = np.empty((steps, 4 * h, n), dtype=dt)  # i, f, o, g per step
        self.cs = cs = np.zeros((steps + 1, h, n), dtype=dt)  # cell states, cs[0] = 0
        self.tcs = tcs = np.empty((steps, h, n), dtype=dt)  # tanh(c_t)
        ig = np.empty((h, n), dtype=dt)
        for t in range(steps):
            a = acts[t]
            np.matmul(w, P[t], out=a)
            np.tanh(a, out=a)
            sig = a[: 3 * h]
            sig *= 0.5
            sig += 0.5
            i, fg, o, g = a[:h], a[h : 2 * h], a[2 * h : 3 * h], a[3 * h :]
            np.multiply(fg, cs[t], out=cs[t + 1])
            np.multiply(i, g, out=ig)
            cs[t + 1] += ig  # c_t = f c_{t-1} + i g
            np.tanh(cs[t + 1], out=tcs[t])
            np.multiply(o, tcs[t], out=P[t + 1, f + 1 :])  # h_t = o tanh(c_t)
        hs = P[1:, f + 1 :]  # (T, H, N): h_t^T
        if self.return_sequences:
            return np.ascontiguousarray(hs.transpose(2, 0, 1))
        return np.ascontiguousarray(hs[-1].T)

    def backward(self, grad, preactivation=False):
        if self.return_sequences:
            step_grads, last = grad.transpose(1, 2, 0), None  # (T, H, N): dLoss/dh_t
        else:
            step_grads, last = None, grad.T  # only h_T is an output
        dz = self._bptt(step_grads, last)  # (T, 4H, N), internal gate order
        P, f, rows = self.P, self.n_inputs, self._rows
        # sum over steps of dz_t [x_t; 1; h_{t-1}]^T: dW_ih, the bias gradient and dW_hh
        # together, one (4H, N) x (N, F+1+H) product per step (BLAS reads P_t transposed in
        # place; a stacked np.matmul over the transposed view is slower)
        g = dz[0] @ P[0].T  # (4H, F+1+H)
        for t in range(1, len(dz)):
            g += dz[t] @ P[t].T
        grads = self._grads
        grads["weight_ih_l0"][rows] = g[:, :f]
        grads["bias_ih_l0"][rows] = g[:, f]
        grads["bias_hh_l0"][rows] = g[:, f]
        grads["weight_hh_l0"][rows] = g[:, f + 1 :]
        if not self.needs_input_grad:
            return None
        w_ih_t = np.ascontiguousarray(self._params["weight_ih_l0"][rows].T)
        dxT = np.matmul(w_ih_t, dz)  # (T, F, N)
        return np.ascontiguousarray(dxT.transpose(2, 0, 1))

    def _bptt(self, step_grads, last):
        acts, cs, tcs, w_hh_t = self.acts, self.cs, self.tcs, self._w_hh_t
        steps, gh, n = acts.shape
        h = gh // 4
        dtc = 1 - tcs * tcs  # d tanh(c_t) / d c_t, all steps at once
        dz = np.empty_like(acts)
        dh = np.zeros((h, n), dtype=acts.dtype)  # dLoss/dh_t
        dc = np.zeros((h, n), dtype=acts.dtype)  # dLoss/dc_t
        tmp = np.empty((h, n), dtype=acts.dtype)
        deriv = np.empty((gh, n), dtype=acts.dtype)
        for t in range(steps - 1, -1, -1):
            self._add_step_grad(dh, step_grads, last, t, steps)
            a, d = acts[t], dz[t]
            i, f, o, g = a[:h], a[h : 2 * h], a[2 * h : 3 * h], a[3 * h :]
            np.multiply(dh, tcs[t], out=d[2 * h : 3 * h])  # dLoss/do = dh tanh(c_t)
            np.multiply(dh, o, out=tmp)
            tmp *= dtc[t]
            dc += tmp  # dLoss/dc_t: from h_t, plus from c_{t+1} (already in dc)
            np.multiply(dc, g, out=d[:h])  # dLoss/di = dc g
            np.multiply(dc, cs[t], out=d[h : 2 * h])  # dLoss/df = dc c_{t-1}
            np.multiply(dc, i, out=d[3 * h :])  # dLoss/dg = dc i
            dc *= f  # dLoss/dc_{t-1} through the cell
            # to the pre-activations z_t: times a - a^2 for the sigmoid gates i, f, o and
            # 1 - g^2 for the tanh block g
            np.multiply(a, a, out=deriv)
            np.subtract(a[: 3 * h], deriv[: 3 * h], out=deriv[: 3 * h])
            np.subtract(1, deriv[3 * h :], out=deriv[3 * h :])
            d *= deriv
            if t:
                np.matmul(w_hh_t, d, out=dh)  # dLoss/dh_{t-1} through W_hh
        return dz


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

    def _run(self, xT):
        h = self.n_hidden
        w_ih, w_hh, b_ih, b_hh = self._weights()
        self._w_hh_t = np.ascontiguousarray(w_hh.T)  # for backward
        # sigmoid(u) = (1 + tanh(u / 2)) / 2: halve the r and z rows of weights and biases
        half = np.ones((3 * h, 1), dtype=w_ih.dtype)
        half[: 2 * h] = 0.5
        w_hh_half = w_hh * half
        steps, n = xT.shape[0], xT.shape[2]
        xw = np.matmul(w_ih * half, xT)  # (T, 3H, N)
        bias = b_ih.copy()
        bias[: 2 * h] += b_hh[: 2 * h]  # r and z: both biases simply add
        xw += bias[:, None] * half
        b_hn = (b_hh[2 * h :] * half[2 * h :, 0])[:, None]
        dt = xw.dtype
        self.acts = acts = np.empty((steps, 3 * h, n), dtype=dt)  # r, z, n per step
        self.hns = hns = np.empty((steps, h, n), dtype=dt)  # W_hn h_{t-1} + b_hn per step
        hs = np.zeros((steps + 1, h, n), dtype=dt)
        hh = np.empty((3 * h, n), dtype=dt)
        for t in range(steps):
            np.matmul(w_hh_half, hs[t], out=hh)
            a = acts[t]
            rz = a[: 2 * h]
            np.add(xw[t, : 2 * h], hh[: 2 * h], out=rz)
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z, cand = a[:h], a[h : 2 * h], a[2 * h :]
            np.add(hh[2 * h :], b_hn, out=hns[t])
            np.multiply(r, hns[t], out=cand)
            cand += xw[t, 2 * h :]
            np.tanh(cand, out=cand)
            # h_t = n + z (h_{t-1} - n)
            np.subtract(hs[t], cand, out=hs[t + 1])
            hs[t + 1] *= z
            hs[t + 1] += cand
        return hs

    def _bptt(self, step_grads, last):
        acts, hns, hs, w_hh_t = self.acts, self.hns, self.hs, self._w_hh_t
        steps, gh, n = acts.shape
        h = gh // 3
        dzx = np.empty_like(acts)  # input side: [dr, dz, dn] pre-activation
        dzh = np.empty_like(acts)  # recurrent side: [dr, dz, dn * r]
        dh = np.zeros((h, n), dtype=acts.dtype)
        tmp = np.empty((h, n), dtype=acts.dtype)
        for t in range(steps - 1, -1, -1):
            self._add_step_grad(dh, step_grads, last, t, steps)
            r, z, cand = acts[t, :h], acts[t, h : 2 * h], acts[t, 2 * h :]
            dx, dhh = dzx[t], dzh[t]
            dr, dzz, dn = dx[:h], dx[h : 2 * h], dx[2 * h :]
            # dn_pre = dh (1 - z) (1 - n^2)
            np.subtract(1, z, out=tmp)
            np.multiply(dh, tmp, out=dn)
            np.multiply(cand, cand, out=tmp)
            np.subtract(1, tmp, out=tmp)
            dn *= tmp
            # dz_pre = dh (h_{t-1} - n) z (1 - z)
            np.subtract(hs[t], cand, out=dzz)
            dzz *= dh
            np.subtract(1, z, out=tmp)
            tmp *= z
            dzz *= tmp
            # dr_pre = dn_pre hn r (1 - r)
            np.multiply(dn, hns[t], out=dr)
            np.subtract(1, r, out=tmp)
            tmp *= r
            dr *= tmp
            dhh[: 2 * h] = dx[: 2 * h]
            np.multiply(dn, r, out=dhh[2 * h :])
            # dLoss/dh_{t-1}: directly through z, and through all three recurrent products
            if t:
                dh *= z
                dh += w_hh_t @ dhh
        return dzx, dzh
