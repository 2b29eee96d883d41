"""Embedding: a lookup table that turns integer tokens (words, characters) into vectors.

Token k is represented by row k of a learned matrix. That is exactly a Dense layer without
bias applied to the one-hot vector of k, computed without building the one-hot vector: forward
is a row lookup, and backward adds each output's gradient into the row it came from.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, ShapeError
from .base import Layer, positive_ints

__all__ = ["Embedding"]


class Embedding(Layer):
    """A table of ``num_embeddings`` learned vectors of ``embedding_dim`` (``nn.Embedding``).

    Parameters
    ----------
    num_embeddings : int
        Vocabulary size V: inputs are integers 0..V-1.
    embedding_dim : int
        Size D of each vector.
    padding_idx : int, optional
        A token (for example the padding symbol) whose vector starts at 0 and is never
        trained, as in PyTorch.

    Shape
    -----
    input (N, ...) of integer token ids (a float array holding whole numbers is accepted,
    since networks store inputs as floats); output (N, ..., embedding_dim). A batch of
    sequences (N, T) gives (N, T, D), the input of a recurrent layer.

    Attributes
    ----------
    weight : ndarray of shape (num_embeddings, embedding_dim)
        Row k is token k's vector, initialised from N(0, 1) as in PyTorch.

    Notes
    -----
    There is no gradient with respect to the input (the tokens are integers): ``backward``
    returns None.

    Examples
    --------
    >>> emb = Embedding(10, 3, seed=0)
    >>> emb(np.array([[1, 2, 1]])).shape
    (1, 3, 3)
    """

    independent_samples = True

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 *, name: str | None = None, seed: int | None = None, dtype=None) -> None:
        super().__init__(name=name, seed=seed, dtype=dtype)
        self.num_embeddings, self.embedding_dim = positive_ints(
            "Embedding", num_embeddings=num_embeddings, embedding_dim=embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= int(padding_idx) < self.num_embeddings:
                raise ShapeError(
                    f"Embedding padding_idx must be a token id in 0..{self.num_embeddings - 1}, "
                    f"got {padding_idx!r}"
                )
            padding_idx = int(padding_idx) % self.num_embeddings
        self.padding_idx = padding_idx

    def _init_params(self, rng):
        w = rng.standard_normal((self.num_embeddings, self.embedding_dim)).astype(self.dtype)
        if self.padding_idx is not None:
            w[self.padding_idx] = 0
        self._params["weight"] = w

    @property
    def weight(self) -> np.ndarray:
        return self.params()["weight"]

    @weight.setter
    def weight(self, value) -> None:
        self._set_param("weight", value)

    @property
    def n_neurons(self) -> int:
        return 0

    # ------------------------------------------------------------------ forward / backward

    def forward(self, x, training=False):
        self.ids = ids = x if x.dtype.kind in "iu" else x.astype(np.intp)
        return self._params["weight"][ids]

    def backward(self, grad, preactivation=False):
        dw = self._grads["weight"]
        dw.fill(0)
        # dLoss/dW[k] = sum of the output gradients of every position holding token k
        np.add.at(dw, self.ids.reshape(-1), grad.reshape(-1, self.embedding_dim))
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return None

    # ------------------------------------------------------------------ shapes

    def output_shape(self, input_shape):
        return (*tuple(input_shape), self.embedding_dim)

    def check_input(self, x):
        if x.ndim < 1 or x.size == 0:
            raise ShapeError(f"{self.describe()} expects a batch of token ids (N, ...), got an "
                             f"array of shape {x.shape}")
        if x.dtype.kind == "f" and not np.array_equal(x, np.floor(x)):
            raise DataError(f"{self.describe()} expects integer token ids, got non-integer "
                            f"values such as {x[x != np.floor(x)].flat[0]}")
        if x.dtype.kind not in "iuf":
            raise DataError(f"{self.describe()} expects integer token ids, got dtype {x.dtype}")
        lo, hi = x.min(), x.max()
        if lo < 0 or hi >= self.num_embeddings:
            raise DataError(
                f"{self.describe()} has {self.num_embeddings} rows, so token ids must lie in "
                f"0..{self.num_embeddings - 1}; got ids from {int(lo)} to {int(hi)}: "
                f"raise num_embeddings to at least {int(hi) + 1} or re-encode the tokens"
            )

    def get_config(self):
        cfg = {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim}
        if self.padding_idx is not None:
            cfg["padding_idx"] = self.padding_idx
        return {**cfg, **super().get_config()}

    def describe(self):
        return f"{super().describe()}({self.num_embeddings} -> {self.embedding_dim})"
