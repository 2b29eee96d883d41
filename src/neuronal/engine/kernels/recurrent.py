"""Recurrent kernels: feature-major steps, fused gates, weight gradients in batched products.

The input half of every step, W_ih x_t for all t, is computed before the loop; the Python
loop runs over time steps only, each step one (G*H, H) x (H, N) product plus a few
elementwise operations on the whole batch. Every per-step array is kept *feature-major*,
(features, batch): each gate is then a contiguous block of rows, and the elementwise work runs
over contiguous memory. The gates' sigmoids come from one tanh call per step
(sigmoid(z) = (1 + tanh(z / 2)) / 2, the weights' sigmoid rows halved once). Backward
accumulates the weight gradients with one batched product each after the loop. The LSTM goes
further: each step's [x_t; 1; h_{t-1}] sits in one (F+1+H, N) block, so its whole
pre-activation (input, biases and recurrent part) is one product per step, written straight
into place, and dW_ih, the bias gradient and dW_hh come from one product per step in
backward. Pinned to the layers' own code by tests/engine/test_engine_kernels.py.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SimpleRNNKernel", "LSTMKernel", "GRUKernel"]


class _State:
    """What one forward pass keeps for backward (stored on the layer as ``layer._k``)."""


def _add_step_grad(dh: np.ndarray, step_grads, last, t: int, steps: int) -> None:
    """dLoss/dh_t gets the gradient of the layer's own output at step t, if any."""
    if step_grads is not None:
        dh += step_grads[t]
    elif t == steps - 1:
        dh += last


class _RecurrentKernel:
    """Shared forward and backward of SimpleRNN and GRU (their step loops below)."""

    def rows(self, layer):
        return None  # the gate blocks in PyTorch's order

    def forward(self, layer, x, training):
        k = layer._k = _State()
        # feature-major copy of the input, (T, F, N): x_t^T for every step t
        k.xT = xT = np.ascontiguousarray(x.transpose(1, 2, 0))
        hs = self.run(layer, k, xT)  # (T+1, H, N) hidden states h_t^T, hs[0] = h_0 = 0
        k.hs = hs
        if layer.return_sequences:
            return np.ascontiguousarray(hs[1:].transpose(2, 0, 1))
        return np.ascontiguousarray(hs[-1].T)

    def weights(self, layer):
        """W_ih, W_hh, b_ih, b_hh with their rows in the internal gate order."""
        p, rows = layer._params, self.rows(layer)
        w = [p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]]
        return w if rows is None else [v[rows] for v in w]

    def backward(self, layer, grad, preactivation):
        k = layer._k
        if layer.return_sequences:
            step_grads, last = grad.transpose(1, 2, 0), None  # (T, H, N): dLoss/dh_t
        else:
            step_grads, last = None, grad.T  # only h_T is an output
        # Backpropagation through time: dLoss/d(pre-activations) of every step, (T, G*H, N),
        # input side (for W_ih, b_ih, x) and recurrent side (for W_hh, b_hh); the same array
        # for SimpleRNN and LSTM.
        dzx, dzh = self.bptt(layer, k, step_grads, last)
        xT, hs = k.xT, k.hs
        # sum over steps of dz_t x_t^T and dz_t h_{t-1}^T: one batched product each
        db_ih = dzx.sum(axis=0).sum(axis=1)
        tensors = {
            "weight_ih_l0": np.matmul(dzx, xT.transpose(0, 2, 1)).sum(axis=0),
            "weight_hh_l0": np.matmul(dzh, hs[:-1].transpose(0, 2, 1)).sum(axis=0),
            "bias_ih_l0": db_ih,
            "bias_hh_l0": db_ih if dzh is dzx else dzh.sum(axis=0).sum(axis=1),
        }
        for key, value in tensors.items():
            if self.rows(layer) is None:
                layer._grads[key][...] = value
            else:  # back to PyTorch's gate order
                layer._grads[key][self.rows(layer)] = value
        if not layer.needs_input_grad:
            return None
        w_ih = layer._params["weight_ih_l0"]
        if self.rows(layer) is not None:
            w_ih = w_ih[self.rows(layer)]
        dxT = np.matmul(w_ih.T, dzx)  # (T, F, N)
        return np.ascontiguousarray(dxT.transpose(2, 0, 1))


class SimpleRNNKernel(_RecurrentKernel):
    """h_t = tanh (or relu)(W_ih x_t + b + W_hh h_{t-1}), feature-major."""

    def run(self, layer, k, xT):
        w_ih, w_hh, b_ih, b_hh = self.weights(layer)
        steps, n = xT.shape[0], xT.shape[2]
        xw = np.matmul(w_ih, xT)  # W_ih x_t for every step, (T, H, N)
        xw += (b_ih + b_hh)[:, None]
        hs = np.zeros((steps + 1, layer.n_hidden, n), dtype=xw.dtype)
        z = np.empty((layer.n_hidden, n), dtype=xw.dtype)
        tanh = layer.nonlinearity == "tanh"
        for t in range(steps):
            np.matmul(w_hh, hs[t], out=z)
            z += xw[t]  # z_t = W_ih x_t + b + W_hh h_{t-1}
            if tanh:
                np.tanh(z, out=hs[t + 1])
            else:
                np.maximum(z, 0, out=hs[t + 1])
        return hs

    def bptt(self, layer, k, step_grads, last):
        hs, w_hh_t = k.hs, np.ascontiguousarray(layer._params["weight_hh_l0"].T)
        steps = hs.shape[0] - 1
        out = hs[1:]
        # f'(z) from the outputs: 1 - h^2 for tanh, [h > 0] for relu
        deriv = 1 - out * out if layer.nonlinearity == "tanh" else (out > 0).astype(out.dtype)
        dz = np.empty_like(out)
        dh = np.zeros_like(hs[0])
        for t in range(steps - 1, -1, -1):
            _add_step_grad(dh, step_grads, last, t, steps)
            np.multiply(dh, deriv[t], out=dz[t])  # dLoss/dz_t
            if t:
                np.matmul(w_hh_t, dz[t], out=dh)  # dLoss/dh_{t-1} through W_hh
        return dz, dz


class LSTMKernel(_RecurrentKernel):
    """The LSTM with [x_t; 1; h_{t-1}] blocks and gates ordered i, f, o, g inside."""

    _rows: dict = {}  # n_hidden -> the row order (np.r_ is slow: built once per size)

    def rows(self, layer) -> np.ndarray:
        # internal order i, f, o, g from PyTorch's i, f, g, o (kept: np.r_ is slow)
        h = layer.n_hidden
        if h not in self._rows:
            self._rows[h] = np.r_[0 : 2 * h, 3 * h : 4 * h, 2 * h : 3 * h]
        return self._rows[h]

    def forward(self, layer, x, training):
        k = layer._k = _State()
        n, steps, f = x.shape
        h = layer.n_hidden
        dt = np.result_type(x.dtype, layer._params["weight_ih_l0"].dtype)
        # Per step one feature-major block P[t] = [x_t^T; 1; h_{t-1}^T] of shape (F+1+H, N):
        # forward reads h_{t-1} from it, and backward gets dW_ih, the bias gradient and dW_hh
        # from one batched product with it. (P[steps] holds only the last h.)
        k.P = P = np.empty((steps + 1, f + 1 + h, n), dtype=dt)
        P[:steps, :f] = x.transpose(1, 2, 0)
        P[steps, :f + 1] = 0
        P[:steps, f] = 1
        P[0, f + 1 :] = 0
        # Internally the gate blocks are ordered i, f, o, g (rows self.rows(layer) of PyTorch's
        # i, f, g, o): the three sigmoid gates are then one contiguous block.
        # sigmoid(z) = (1 + tanh(z / 2)) / 2: halve the sigmoid rows of the weights once, so
        # one tanh call per step serves all four gates.
        p, rows = layer._params, self.rows(layer)
        half = np.ones((4 * h, 1), dtype=dt)
        half[: 3 * h] = 0.5
        # [W_ih, b_ih + b_hh, W_hh] in the internal order, sigmoid rows halved: z_t = w P[t]
        w = np.empty((4 * h, f + 1 + h), dtype=dt)
        w[:, :f] = p["weight_ih_l0"][rows]
        w[:, f] = p["bias_ih_l0"][rows] + p["bias_hh_l0"][rows]
        w[:, f + 1 :] = p["weight_hh_l0"][rows]
        k.w_hh_t = np.ascontiguousarray(w[:, f + 1 :].T)  # for backward
        w *= half
        # z_t (biases included) from one product per step, overwritten by the activations
        k.acts = acts = np.empty((steps, 4 * h, n), dtype=dt)  # i, f, o, g per step
        k.cs = cs = np.zeros((steps + 1, h, n), dtype=dt)  # cell states, cs[0] = 0
        k.tcs = tcs = np.empty((steps, h, n), dtype=dt)  # tanh(c_t)
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
        if layer.return_sequences:
            return np.ascontiguousarray(hs.transpose(2, 0, 1))
        return np.ascontiguousarray(hs[-1].T)

    def backward(self, layer, grad, preactivation):
        k = layer._k
        if layer.return_sequences:
            step_grads, last = grad.transpose(1, 2, 0), None  # (T, H, N): dLoss/dh_t
        else:
            step_grads, last = None, grad.T  # only h_T is an output
        dz = self.bptt(layer, k, step_grads, last)  # (T, 4H, N), internal gate order
        P, f, rows = k.P, layer.n_inputs, self.rows(layer)
        # sum over steps of dz_t [x_t; 1; h_{t-1}]^T: dW_ih, the bias gradient and dW_hh
        # together, one (4H, N) x (N, F+1+H) product per step (BLAS reads P_t transposed in
        # place; a stacked np.matmul over the transposed view is slower)
        g = dz[0] @ P[0].T  # (4H, F+1+H)
        for t in range(1, len(dz)):
            g += dz[t] @ P[t].T
        grads = layer._grads
        grads["weight_ih_l0"][rows] = g[:, :f]
        grads["bias_ih_l0"][rows] = g[:, f]
        grads["bias_hh_l0"][rows] = g[:, f]
        grads["weight_hh_l0"][rows] = g[:, f + 1 :]
        if not layer.needs_input_grad:
            return None
        w_ih_t = np.ascontiguousarray(layer._params["weight_ih_l0"][rows].T)
        dxT = np.matmul(w_ih_t, dz)  # (T, F, N)
        return np.ascontiguousarray(dxT.transpose(2, 0, 1))

    def bptt(self, layer, k, step_grads, last):
        acts, cs, tcs, w_hh_t = k.acts, k.cs, k.tcs, k.w_hh_t
        steps, gh, n = acts.shape
        h = gh // 4
        dtc = 1 - tcs * tcs  # d tanh(c_t) / d c_t, all steps at once
        dz = np.empty_like(acts)
        dh = np.zeros((h, n), dtype=acts.dtype)  # dLoss/dh_t
        dc = np.zeros((h, n), dtype=acts.dtype)  # dLoss/dc_t
        tmp = np.empty((h, n), dtype=acts.dtype)
        deriv = np.empty((gh, n), dtype=acts.dtype)
        for t in range(steps - 1, -1, -1):
            _add_step_grad(dh, step_grads, last, t, steps)
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


class GRUKernel(_RecurrentKernel):
    """The GRU with r and z from one tanh, candidate n = tanh(W_in x + r * (W_hn h + b_hn))."""

    def run(self, layer, k, xT):
        h = layer.n_hidden
        w_ih, w_hh, b_ih, b_hh = self.weights(layer)
        k.w_hh_t = np.ascontiguousarray(w_hh.T)  # for backward
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
        k.acts = acts = np.empty((steps, 3 * h, n), dtype=dt)  # r, z, n per step
        k.hns = hns = np.empty((steps, h, n), dtype=dt)  # W_hn h_{t-1} + b_hn per step
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

    def bptt(self, layer, k, step_grads, last):
        acts, hns, hs, w_hh_t = k.acts, k.hns, k.hs, k.w_hh_t
        steps, gh, n = acts.shape
        h = gh // 3
        dzx = np.empty_like(acts)  # input side: [dr, dz, dn] pre-activation
        dzh = np.empty_like(acts)  # recurrent side: [dr, dz, dn * r]
        dh = np.zeros((h, n), dtype=acts.dtype)
        tmp = np.empty((h, n), dtype=acts.dtype)
        for t in range(steps - 1, -1, -1):
            _add_step_grad(dh, step_grads, last, t, steps)
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
