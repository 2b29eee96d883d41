"""From an estimator's parameters to a neuronal Network: checks, layers, optimiser, schedule.

Everything here runs in ``fit`` (scikit-learn's rule: ``__init__`` only stores parameters), and
every bad value raises a :class:`~neuronal.NeuronalError` (a ``ValueError``) naming the
parameter, what arrived and what is accepted.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import activations
from ..errors import NeuronalError
from ..layers import Activation, BatchNorm, Dense, Dropout, Flatten, Layer
from ..network import Network
from ..optimizers import SGD, Adam, RMSprop
from ..schedules import CosineDecay, ExponentialDecay, Schedule, StepDecay
from ..shapes import propagate_shapes

__all__ = ["check_params", "build_network", "optimizer_for", "batch_size_for", "OPTIMIZERS",
           "SCHEDULES"]

#: ``optimizer=`` names; "momentum" is SGD with Nesterov momentum 0.9 (MLPClassifier's
#: ``solver="sgd"`` defaults).
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
SCHEDULES = (None, "constant", "cosine", "step", "exponential")


def _fail(name: str, value, accepted: str) -> NeuronalError:
    return NeuronalError(f"{name} must be {accepted}, got {value!r}")


def _integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _real(value) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(float(value)))


def hidden_sizes(value) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints (an int means one hidden layer)."""
    sizes = (value,) if _integer(value) else value
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = None
    if sizes is None or not all(_integer(s) and s > 0 for s in sizes):
        raise _fail("hidden_layer_sizes", value,
                    "a tuple of positive integers, one per hidden layer, e.g. (100,) or (64, 32)")
    return tuple(int(s) for s in sizes)


def check_params(est) -> None:
    """Check every parameter an estimator's ``fit`` uses (all of them: cheap and explicit)."""
    if est.layers is None:
        hidden_sizes(est.hidden_layer_sizes)
    elif not (callable(est.layers) or isinstance(est.layers, (list, tuple))):
        raise _fail("layers", est.layers, "None, a list of neuronal layers, or a callable "
                    "taking the shape of one sample and returning such a list")
    try:
        act = activations.get(est.activation)
    except (NeuronalError, TypeError, KeyError):
        act = None
    if act is None or not act.differentiable or act.name == "softmax":
        raise _fail("activation", est.activation,
                    "a differentiable activation such as 'relu', 'tanh', 'logistic', "
                    "'identity', 'leaky_relu', 'elu', 'gelu' or 'softplus'")
    if est.optimizer not in OPTIMIZERS:
        raise _fail("optimizer", est.optimizer, f"one of {', '.join(map(repr, OPTIMIZERS))}")
    for name in ("alpha", "tol"):
        value = getattr(est, name)
        if not (_real(value) and value >= 0):
            raise _fail(name, value, "a finite number >= 0")
    if not (_real(est.learning_rate_init) and est.learning_rate_init > 0):
        raise _fail("learning_rate_init", est.learning_rate_init, "a finite number > 0")
    if not (est.batch_size == "auto" or (_integer(est.batch_size) and est.batch_size >= 1)):
        raise _fail("batch_size", est.batch_size, "'auto' (min(200, n_samples)) or an "
                    "integer >= 1")
    for name in ("max_iter", "n_iter_no_change"):
        value = getattr(est, name)
        if not (_integer(value) and value >= 1):
            raise _fail(name, value, "an integer >= 1")
    if not (_real(est.validation_fraction) and 0 < est.validation_fraction < 1):
        raise _fail("validation_fraction", est.validation_fraction, "a fraction in (0, 1)")
    if not (_real(est.dropout) and 0 <= est.dropout < 1):
        raise _fail("dropout", est.dropout, "a drop probability in [0, 1)")
    if not (est.schedule in SCHEDULES or isinstance(est.schedule, Schedule)):
        raise _fail("schedule", est.schedule, "None, 'constant', 'cosine', 'step', "
                    "'exponential' or a neuronal schedule such as nl.CosineDecay(0.01, 50)")
    if est.dtype not in (None, "float32", "float64", np.float32, np.float64):
        raise _fail("dtype", est.dtype, "None (float32 data stay float32, anything else is "
                    "computed in float64), 'float32' or 'float64'")


def batch_size_for(est, n_samples: int) -> int:
    """The mini-batch size: ``"auto"`` is min(200, n_samples), as in MLPClassifier; larger
    sizes are clipped to the number of samples."""
    if est.batch_size == "auto":
        return min(200, n_samples)
    return int(min(est.batch_size, n_samples))


def _fresh(layer, i: int) -> Layer:
    """An untrained copy of a layer given in ``layers=`` (the same one is never trained twice)."""
    if not isinstance(layer, Layer):
        raise NeuronalError(f"layers[{i}] must be a neuronal Layer (Dense, Conv2D, LSTM, ...), "
                            f"got {type(layer).__name__}")
    return type(layer).from_config(layer.get_config())


def hidden_layers(est, sample_shape: tuple[int, ...]) -> list[Layer]:
    """Every layer but the output layer, from ``layers=`` or from ``hidden_layer_sizes``."""
    if est.layers is not None:
        made = est.layers(tuple(sample_shape)) if callable(est.layers) else est.layers
        if isinstance(made, Layer) or not isinstance(made, (list, tuple)):
            raise NeuronalError(f"layers must give a list of neuronal layers, got "
                                f"{type(made).__name__}")
        return [_fresh(layer, i) for i, layer in enumerate(made)]
    if len(sample_shape) != 1:
        raise NeuronalError(
            f"X must be 2-D (n_samples, n_features) for hidden_layer_sizes; got samples of "
            f"shape {tuple(sample_shape)}: pass layers=[...] (e.g. a Reshape and Conv2D "
            f"layers) to build another kind of network")
    act = activations.get(est.activation).name
    out, n_in = [], sample_shape[0]
    for width in hidden_sizes(est.hidden_layer_sizes):
        if est.batch_norm:  # z = Wx (BatchNorm's shift replaces the bias), normalise, f
            out += [Dense(n_in, width, use_bias=False), BatchNorm(width), Activation(act)]
        else:
            out.append(Dense(n_in, width, activation=act))
        if est.dropout:
            out.append(Dropout(float(est.dropout)))
        n_in = width
    return out


def _output_width(layers: list[Layer], sample_shape: tuple) -> tuple:
    shape = tuple(sample_shape)
    for i, layer, _, out in propagate_shapes(layers, shape):
        if out is None or any(s is None for s in out):
            raise NeuronalError(
                f"cannot tell the output shape of layer {i} {layer.describe()} for samples of "
                f"shape {shape}: the layers must fit X's samples (check their input sizes)")
        shape = tuple(out)
    return shape


def optimizer_for(est, loss_scale: float, batch_weight: float):
    """The optimiser of ``est``'s parameters. ``alpha`` becomes its L2 weight decay
    ``loss_scale * alpha / batch_weight``: the penalty alpha / (2 * sum of the batch's sample
    weights) * ||W||^2 that MLPClassifier adds to each batch's loss, for our loss, which is
    ``loss_scale`` times scikit-learn's. ``batch_weight`` is the batch size times the mean
    sample weight (the batch size without weights), so that a weight of 2 and a repeated
    sample give the same penalty."""
    weight_decay = loss_scale * float(est.alpha) / batch_weight
    lr = float(est.learning_rate_init)
    schedule = est.schedule
    if isinstance(schedule, Schedule):  # a function of the epoch: used as given
        rate = schedule
    elif schedule == "cosine":
        rate = CosineDecay(lr, epochs=est.max_iter)
    elif schedule == "step":  # x 0.1 after a third and after two thirds of max_iter
        rate = StepDecay(lr, step=max(1, math.ceil(est.max_iter / 3)), factor=0.1)
    elif schedule == "exponential":  # down to 1% of the initial rate at max_iter
        rate = ExponentialDecay(lr, rate=0.01 ** (1 / est.max_iter))
    else:
        rate = lr
    if est.optimizer == "adam":
        return Adam(rate, weight_decay=weight_decay)
    if est.optimizer == "rmsprop":
        return RMSprop(rate, weight_decay=weight_decay)
    if est.optimizer == "momentum":
        return SGD(rate, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    return SGD(rate, weight_decay=weight_decay)


def build_network(est, sample_shape: tuple, n_outputs: int, output: str, loss: str,
                  loss_scale: float, batch_weight: float, seed: int, dtype) -> Network:
    """The estimator's untrained network for samples of ``sample_shape``.

    The output layer, ``Dense(width, n_outputs, activation=output)``, is added here (after a
    Flatten when the hidden layers end in images or sequences); the optimiser comes from
    :func:`optimizer_for`.
    """
    layers = hidden_layers(est, sample_shape)
    shape = _output_width(layers, sample_shape) if layers else tuple(sample_shape)
    if len(shape) != 1:
        layers.append(Flatten())
    layers.append(Dense(int(np.prod(shape)), n_outputs, activation=output))
    return Network(layers, loss=loss, optimizer=optimizer_for(est, loss_scale, batch_weight),
                   seed=seed, dtype=dtype)
