"""JAX (on the CPU) as a candidate of ``bench_mlp.py``, in the two forms JAX users write.

* ``jax-step``: a ``jax.jit``-compiled training step (forward, loss, ``jax.grad``, the
  optimiser's update) called from a Python loop over the mini-batches, the way most JAX code
  trains;
* ``jax-scan``: the whole epoch compiled, the loop over the mini-batches a ``lax.scan``
  (the fastest form a JAX expert gets), the last, smaller batch by the jitted step.

Both start from neuronal's initial weights, take the batches of the same permutation and use
the same update rules as PyTorch's SGD and Adam (betas 0.9, 0.999, eps 1e-8, bias-corrected).
Compilation happens before timing (on data of the same shapes). The gather ``X[perm]`` is
NumPy work inside the timed epoch, as for the other candidates. JAX is optional: the
candidates are skipped when it is not installed (``pip install jax``).
"""

from __future__ import annotations

import numpy as np


class JaxMLP:
    """One hidden layer MLP in JAX; ``mode`` is "step" or "scan" (see the module docstring)."""

    def __init__(self, weights, hidden, opt, lr, batch, mode: str, n_samples: int):
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp = jax, jnp
        self.name = f"jax-{mode}"
        self._hidden = hidden
        self.mode, self.batch = mode, batch
        self.params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in weights]
        act = jax.nn.sigmoid if hidden == "sigmoid" else jax.nn.relu

        def loss_fn(params, x, y):
            (W1, b1), (W2, b2) = params
            logits = act(x @ W1.T + b1) @ W2.T + b2
            logp = jax.nn.log_softmax(logits)
            return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

        if opt == "sgd":
            self.state = ()

            def update(params, state, grads):
                return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), state
        else:
            zeros = jax.tree_util.tree_map(jnp.zeros_like, self.params)
            self.state = (zeros, zeros, jnp.zeros((), jnp.float32))

            def update(params, state, grads):
                m, v, t = state
                t = t + 1
                m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, grads)
                v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, grads)
                c1, c2 = 1 - 0.9**t, 1 - 0.999**t
                params = jax.tree_util.tree_map(
                    lambda p, m, v: p - lr * (m / c1) / (jnp.sqrt(v / c2) + 1e-8), params, m, v)
                return params, (m, v, t)

        def step(params, state, x, y):
            loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
            params, state = update(params, state, grads)
            return params, state, loss

        def epoch(params, state, xs, ys):
            def body(carry, batch):
                p, s, loss = step(*carry, *batch)
                return (p, s), loss

            (params, state), losses = jax.lax.scan(body, (params, state), (xs, ys))
            return params, state, losses

        self._step = jax.jit(step)
        self._epoch = jax.jit(epoch)
        self.loss = float("nan")
        self._warm_up(n_samples, weights[0][0].shape[1])

    def _warm_up(self, n: int, d: int):
        """Compile for the shapes an epoch will use (full batches, and the last one)."""
        jnp, B = self.jnp, self.batch
        full, rest = divmod(n, B)
        x, y = jnp.zeros((B, d), jnp.float32), jnp.zeros((B,), jnp.int32)
        p, s = self.params, self.state
        self._step(p, s, x, y)[2].block_until_ready()
        if rest:
            self._step(p, s, x[:rest], y[:rest])[2].block_until_ready()
        if self.mode == "scan" and full:
            xs = jnp.zeros((full, B, d), jnp.float32)
            ys = jnp.zeros((full, B), jnp.int32)
            self._epoch(p, s, xs, ys)[2].block_until_ready()

    def train_epoch(self, X, y, perm, clock):
        jnp, B = self.jnp, self.batch
        t0 = clock()
        params, state = self.params, self.state
        n = len(perm)
        full, rest = divmod(n, B)
        losses = []
        if self.mode == "step":
            for start in range(0, n, B):
                idx = perm[start : start + B]
                params, state, loss = self._step(params, state, jnp.asarray(X[idx]),
                                                 jnp.asarray(y[idx].astype(np.int32)))
                losses.append(loss * len(idx))
        else:
            xs = jnp.asarray(X[perm[: full * B]].reshape(full, B, -1))
            ys = jnp.asarray(y[perm[: full * B]].astype(np.int32).reshape(full, B))
            params, state, batch_losses = self._epoch(params, state, xs, ys)
            losses.append(batch_losses.sum() * B)
            if rest:
                idx = perm[full * B :]
                params, state, loss = self._step(params, state, jnp.asarray(X[idx]),
                                                 jnp.asarray(y[idx].astype(np.int32)))
                losses.append(loss * rest)
        total = float(sum(losses))  # waits for the last step
        self.jax.tree_util.tree_map(lambda a: a.block_until_ready(), params)
        t1 = clock()
        self.params, self.state = params, state
        self.loss = total / n
        return t1 - t0

    def accuracy(self, X, y):
        (W1, b1), (W2, b2) = (tuple(np.asarray(a) for a in layer) for layer in self.params)
        h = X @ W1.T + b1
        h = 1 / (1 + np.exp(-h)) if self._hidden == "sigmoid" else np.maximum(h, 0)
        return float(((h @ W2.T + b2).argmax(axis=1) == y).mean())

    def predict_one(self):
        import jax

        (W1, b1), (W2, b2) = self.params
        act = jax.nn.sigmoid if self._hidden == "sigmoid" else jax.nn.relu
        fn = jax.jit(lambda x: jax.nn.softmax(act(x @ W1.T + b1) @ W2.T + b2))
        return lambda x: np.asarray(fn(x))


def make(weights, hidden, opt, lr, batch, n_samples):
    """Both JAX candidates, or [] when JAX is not installed."""
    try:
        import jax  # noqa: F401
    except ImportError:
        return []
    return [JaxMLP(weights, hidden, opt, lr, batch, mode, n_samples) for mode in ("step", "scan")]
