"""One artificial neuron: a weighted sum of the inputs plus a bias, through an activation.

    z = w0 x0 + w1 x1 + ... + w(n-1) x(n-1) + b    (the weighted sum, ``Neuron.z``)
    a = f(z)                                       (the activation, ``Neuron.__call__``)

Inputs and weights are numbered from 0, as the code indexes them (``neuron.weights[0]`` is w0),
in every explanation and picture.

A weight of 0 makes the neuron ignore that input; a large weight amplifies it; the bias shifts
the threshold. A :class:`Neuron` either owns its numbers or is a *view* of one row of a
:class:`~neuronal.Dense` layer (``layer.neurons[j]``): then reading or editing its weights reads
or edits the layer itself.

>>> n = Neuron(weights=[0.2, 0.00001], bias=1.0, activation="sigmoid")
>>> round(n.z([4, 80]), 4)
1.8008
>>> round(n([4, 80]), 4)
0.8582
"""

from __future__ import annotations

import numpy as np

from . import activations
from .errors import NeuronalError, ShapeError

__all__ = ["Neuron"]

_SHOW_TERMS = 6  # explain() spells out at most this many products w_i * x_i


def _fmt(v: float) -> str:
    """A number as a person writes it: 6 significant digits, no "-0"."""
    v = float(v)
    return "0" if v == 0 else f"{v:.6g}"


def _factor(v: float) -> str:
    """A number inside a product or a function call: negative numbers in parentheses."""
    return f"({_fmt(v)})" if float(v) < 0 else _fmt(v)


def _signed_sum(terms: list[tuple[float, str]]) -> str:
    """``[(2, "2"), (-3, "3")] -> "2 - 3"``: each term's text, joined by its sign (the text of
    a negative term is written without its minus, which moves to the operator)."""
    out = ""
    for k, (value, text) in enumerate(terms):
        negative = float(value) < 0
        if k == 0:
            out = f"-{text}" if negative else text
        else:
            out += f" - {text}" if negative else f" + {text}"
    return out


def _product(w: float, x: float) -> tuple[float, str]:
    """The term w*x for a signed sum: its sign is w's; x keeps its own in parentheses."""
    return float(w), f"{_fmt(abs(w))}*{_factor(x)}"


def _activation_steps(f, z: float) -> list[str]:
    """The activation with z's value put in, as a person would write it, before the result."""
    name, zs, fz = f.name, _fmt(z), _factor(z)
    minus_z = _fmt(-z)  # "exp(-z)" for z = -1.39 is exp(1.39)
    alpha = getattr(f, "alpha", None)
    if name == "sigmoid":
        return ["1 / (1 + exp(-z))", f"1 / (1 + exp({minus_z}))"]
    if name == "tanh":
        return [f"tanh({zs})"]
    if name == "relu":
        return ["max(0, z)", f"max(0, {zs})"]
    if name == "linear":
        return ["z"]
    if name == "step":
        return ["1 if z >= 0 else 0"]
    if name == "softplus":
        return ["log(1 + exp(z))", f"log(1 + exp({zs}))"]
    if name == "leaky_relu":
        rule = f"z if z > 0 else {_fmt(alpha)}*z"
        return [rule, zs if z > 0 else f"{_fmt(alpha)}*{fz}"]
    if name == "elu":
        rule = f"z if z > 0 else {_fmt(alpha)}*(exp(z) - 1)"
        return [rule, zs if z > 0 else f"{_fmt(alpha)}*(exp({zs}) - 1)"]
    if name == "gelu":
        return ["0.5*z*(1 + tanh(sqrt(2/pi)*(z + 0.044715*z^3)))",
                f"0.5*{fz}*(1 + tanh(0.797885*({zs} + 0.044715*{fz}^3)))"]
    formula = getattr(f, "formula", "f(z)")
    return [formula] if "z" not in formula else [formula, formula.replace("z", fz)]


class Neuron:
    """A single neuron a = f(w . x + b).

    Parameters
    ----------
    weights : array_like of shape (n_inputs,)
        One weight per input.
    bias : float, default 0.0
    activation : str or Activation, default "sigmoid"

    Attributes
    ----------
    weights : ndarray of shape (n_inputs,)
        Editable in place; for a layer's neuron this is a view of the layer's row.
    bias : float
    activation : Activation
    """

    def __init__(self, weights, bias: float = 0.0, activation="sigmoid") -> None:
        w = np.array(weights, dtype=np.float64)
        if w.ndim != 1 or w.size == 0:
            raise ShapeError(
                f"Neuron weights must be a non-empty 1-D list, one per input; got shape {w.shape}"
            )
        self._weights = w
        self._bias = np.array([bias], dtype=np.float64)
        self.activation = activations.get(activation)

    _layer = None  # the Dense layer this neuron is a view of (None: standalone)
    _index = None  # its row in that layer

    @classmethod
    def _view(cls, weights_row: np.ndarray, bias_slot: np.ndarray, activation,
              layer=None, index: int | None = None) -> Neuron:
        """A neuron sharing memory with a layer: ``weights_row`` and the 1-element ``bias_slot``
        (row ``index`` of ``layer``, which a softmax neuron needs for its neighbours' z)."""
        n = cls.__new__(cls)
        n._weights, n._bias, n.activation = weights_row, bias_slot, activation
        n._layer, n._index = layer, index
        return n

    # ------------------------------------------------------------------ numbers

    @property
    def weights(self) -> np.ndarray:
        return self._weights

    @weights.setter
    def weights(self, value) -> None:
        value = np.asarray(value, dtype=self._weights.dtype)
        if value.shape != self._weights.shape:
            raise ShapeError(
                f"a neuron with {self.n_inputs} inputs needs {self.n_inputs} weights, "
                f"got shape {value.shape}"
            )
        self._weights[...] = value

    @property
    def bias(self) -> float:
        return float(self._bias[0])

    @bias.setter
    def bias(self, value: float) -> None:
        self._bias[0] = value

    @property
    def n_inputs(self) -> int:
        return int(self._weights.shape[0])

    # ------------------------------------------------------------------ computation

    def _inputs(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.result_type(self._weights.dtype, np.float32))
        if x.shape[-1:] != (self.n_inputs,) or x.ndim > 2:
            raise ShapeError(
                f"this neuron has {self.n_inputs} inputs, so x must have shape "
                f"({self.n_inputs},) or (batch, {self.n_inputs}); got {x.shape}"
            )
        return x

    def z(self, x):
        """The weighted sum w . x + b (a float for one sample, an array for a batch)."""
        x = self._inputs(x)
        z = x @ self._weights + self._bias[0]
        return float(z) if np.ndim(z) == 0 else z

    def __call__(self, x):
        """The activation f(z).

        A softmax neuron's output depends on the z of every neuron of its layer: a view of a
        layer (``layer.neurons[j]``) computes it with the layer; a standalone one cannot.
        """
        if self.activation.name == "softmax":
            x = self._inputs(x)
            Z, j = self._layer_z(x)  # (..., n_neurons) of the whole layer
            a = self.activation.value(np.atleast_2d(Z))[:, j]
            return float(a[0]) if x.ndim == 1 else a
        a = self.activation.value(np.asarray(self.z(x), dtype=np.float64))
        return float(a) if np.ndim(a) == 0 else a

    def _layer_z(self, x: np.ndarray, others=None) -> tuple[np.ndarray, int]:
        """z of every neuron of this softmax neuron's layer, and this neuron's position."""
        if self._layer is not None:
            W = np.asarray(self._layer.weights, dtype=np.float64)
            return x @ W.T + np.asarray(self._layer.bias, dtype=np.float64), self._index
        if others is None:
            raise NeuronalError(
                "a softmax neuron's output is exp(z) / (sum of exp(z_k) over every neuron of "
                "its layer), so one neuron alone has no output: pass the other neurons' z "
                "values, neuron.explain(x, others=[z_1, z_2, ...]), or use the neuron of a "
                "layer, layer.neurons[j], which knows them; or choose another activation"
            )
        others = np.asarray(others, dtype=np.float64).ravel()
        if others.size == 0 or not np.isfinite(others).all():
            raise NeuronalError(f"others must be the finite z values of the other neurons of "
                                f"the softmax layer (at least one), got {others.tolist()!r}")
        return np.concatenate([[float(self.z(x))], others]), 0

    def explain(self, x, others=None) -> str:
        """The computation for one sample, step by step, with the numbers.

        Parameters
        ----------
        x : array_like of shape (n_inputs,)
            One sample.
        others : array_like, optional
            For a standalone softmax neuron: the z values of the other neurons of its layer
            (a neuron of a layer, ``layer.neurons[j]``, takes them from the layer).

        Notes
        -----
        Inputs and weights are numbered from 0 (``x0``, ``w0``), as ``neuron.weights[0]``.
        With more than 6 inputs the 6 terms with the largest |w_i * x_i| are written out and
        the others are summed, and the text says so.
        """
        x = self._inputs(x)
        if x.ndim != 1:
            raise ShapeError(
                f"explain() takes one sample of shape ({self.n_inputs},), got {x.shape}"
            )
        w = np.asarray(self._weights, dtype=np.float64)
        xs = np.asarray(x, dtype=np.float64)
        b, n = self.bias, self.n_inputs
        f = self.activation
        terms = w * xs
        if n > _SHOW_TERMS:
            shown = np.sort(np.argsort(-np.abs(terms), kind="stable")[:_SHOW_TERMS])
        else:
            shown = np.arange(n)
        rest = np.setdiff1d(np.arange(n), shown)
        rest_sum = float(terms[rest].sum()) if len(rest) else 0.0
        if abs(rest_sum) < 1e-12 * max(float(np.abs(terms).max()), 1e-300):
            rest_sum = 0.0  # rounding left over from terms that cancel
        symbols = " + ".join(f"w{i}*x{i}" for i in shown)
        numbers = _signed_sum([_product(w[i], xs[i]) for i in shown])
        products = _signed_sum([(terms[i], _fmt(abs(terms[i]))) for i in shown])
        if len(rest):
            symbols += f" + (the other {len(rest)} terms)"
            numbers += f" + (the other {len(rest)} terms)"
            products += f" + ({_fmt(rest_sum)})"
        b_sign = f" - {_fmt(-b)}" if b < 0 else f" + {_fmt(b)}"
        z = self.z(x)
        plural = "s" if n != 1 else ""
        alpha = getattr(f, "alpha", None)
        params = f" (alpha = {_fmt(alpha)})" if alpha is not None else ""
        names = "x0" if n == 1 else "x0, x1" if n == 2 else f"x0..x{n - 1}"
        lines = [f"Neuron with {n} input{plural} ({names}), activation {f.name}{params}",
                 f"  z = {symbols} + b",
                 f"    = {numbers}{b_sign}",
                 f"    = {products}{b_sign}",
                 f"    = {_fmt(z)}"]
        if len(rest):
            zeros = int(np.count_nonzero(terms[rest] == 0))
            lines.insert(1, f"  (the {len(shown)} terms with the largest |w*x| are written out; "
                            f"the other {len(rest)} add up to {_fmt(rest_sum)}"
                            + (f", {zeros} of them 0" if zeros else "") + ")")
        if f.name == "softmax":
            lines += self._explain_softmax(xs, z, others)
        else:
            a = self(x)
            why = f" (z = {_fmt(z)} {'>=' if z >= 0 else '<'} 0)" if f.name == "step" else ""
            lines.append(f"  a = {f.name}(z) = " + " = ".join(_activation_steps(f, z))
                         + f" = {_fmt(a)}{why}")
        return "\n".join(lines)

    def _explain_softmax(self, x: np.ndarray, z: float, others) -> list[str]:
        if self._layer is None and others is None:
            return ["  a = softmax(z) = exp(z) / (sum of exp(z_k) over every neuron of the layer):",
                    "      a standalone neuron does not know the other neurons' z; pass them as",
                    "      explain(x, others=[z_1, z_2, ...]), or explain layer.neurons[j]"]
        Z, j = self._layer_z(x, others)
        a = float(self.activation.value(Z[None])[0, j])
        if len(Z) <= 10:
            listing = ", ".join(f"z{k} = {_fmt(v)}" for k, v in enumerate(Z))
            denominator = " + ".join(f"exp({_fmt(v)})" for v in Z)
        else:
            listing = (", ".join(f"z{k} = {_fmt(v)}" for k, v in enumerate(Z[:4]))
                       + f", ... ({len(Z)} neurons)")
            denominator = f"sum of {len(Z)} exp(z_k)"
        with np.errstate(over="ignore"):
            total = float(np.exp(Z).sum())
        who = f"neuron {j} of {self._layer.describe()}" if self._layer is not None else (
            f"this neuron (z0) and the {len(Z) - 1} others given")
        return [f"  softmax over the layer's z values ({who}): {listing}",
                f"  a = exp(z{j}) / sum_k exp(z_k) = exp({_fmt(z)}) / ({denominator})",
                f"    = {_fmt(np.exp(z))} / {_fmt(total)} = {_fmt(a)}"]

    from .notebook import html as _repr_html_  # the notebook view (neuronal/notebook.py)

    def __repr__(self) -> str:
        w = np.array2string(self._weights, precision=4, threshold=8, separator=", ")
        return f"Neuron(weights={w}, bias={self.bias:.4g}, activation={self.activation.name!r})"
