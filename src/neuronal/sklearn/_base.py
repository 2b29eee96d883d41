"""What NeuronalClassifier and NeuronalRegressor share: parameters, fit, partial_fit, pickling.

``fit`` checks the data the scikit-learn way (``validate_data``), builds the network
(``_build.py``), and trains it with ``Network.fit`` and one callback (``_monitor.py``) that
records ``loss_curve_`` and applies MLPClassifier's stopping rule. The subclasses turn targets
into what the network learns (``_encode``) and its outputs back into predictions.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._data import as_sample_weights
from ..callbacks import as_callbacks
from ..errors import DataError, user_stacklevel
from ..layers import BatchNorm, Dense
from . import _build, _state
from ._monitor import Monitor

__all__ = ["NeuronalEstimator", "PARAMETERS_DOC"]


class NeuronalEstimator(BaseEstimator):
    """Base class of the scikit-learn estimators (see NeuronalClassifier for the parameters)."""

    #: Set by the subclasses.
    _output_activation = "linear"

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, optimizer="adam",
                 alpha=0.0001, batch_size="auto", learning_rate_init=0.001, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10,
                 dropout=0.0, batch_norm=False, schedule=None, restore_best_weights=True,
                 layers=None, callbacks=None, dtype=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.schedule = schedule
        self.restore_best_weights = restore_best_weights
        self.layers = layers
        self.callbacks = callbacks
        self.dtype = dtype

    # ------------------------------------------------------------------ training

    def fit(self, X, y, sample_weight=None):
        """Train the network on (X, y), from new initial weights unless ``warm_start``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Any shape (n_samples, ...) with ``layers=``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Each mini-batch's loss is the weighted mean of its samples' losses: a weight of 2
            counts a sample as if it were there twice.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, incremental: bool, classes=None):
        _build.check_params(self)
        first = not self.__sklearn_is_fitted__() or not (incremental or self.warm_start)
        X, y = self._validate(X, y, reset=first)
        if first and hasattr(self, "network_"):
            del self.network_  # a new fit: no longer fitted until it succeeds
        Y = self._encode(y, first, incremental, classes)
        weights = _check_weights(sample_weight, len(X))
        if not incremental:
            self._check_enough(y, weights)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        validation = None
        if self.early_stopping and not incremental:  # (partial_fit trains on all it gets)
            X, Y, weights, validation = self._split(X, y, Y, weights, rng)
        batch_size = _build.batch_size_for(self, len(X))
        batch_weight = batch_size * (1.0 if weights is None else float(weights.mean()))
        if first:
            self.network_ = _build.build_network(
                self, X.shape[1:], Y.shape[1] if Y.ndim == 2 else len(self.classes_),
                self._output_activation, self._loss, self._loss_scale(Y), batch_weight, seed,
                self._compute_dtype(X))
            self._reset_progress()
        elif not incremental:  # warm start: a new optimiser (and schedule), as in MLPClassifier
            self.network_.optimizer = _build.optimizer_for(self, self._loss_scale(Y),
                                                           batch_weight)
            self.network_.epochs_trained = 0
        self._train(X, Y, weights, validation, batch_size, incremental)
        return self

    def _train(self, X, Y, weights, validation, batch_size, incremental):
        net = self.network_
        X = X.astype(net.dtype, copy=False)
        if any(isinstance(layer, BatchNorm) for layer in net.layers):
            if len(X) < 2:
                raise DataError(f"batch normalisation needs at least 2 training samples, got "
                                f"{len(X)} sample")
            batch_size = _no_lone_sample(len(X), batch_size)
        self._ensure_progress(validation is not None, reset_count=not incremental)
        monitor = Monitor(self, len(X), validation)
        epochs = 1 if incremental else self.max_iter
        try:
            net.fit(X, Y, epochs=epochs, batch_size=batch_size, shuffle=bool(self.shuffle),
                    verbose=1 if self.verbose else 0, sample_weight=weights,
                    callbacks=[monitor, *as_callbacks(self.callbacks)])
        except KeyboardInterrupt:  # as MLPClassifier: keep the epochs done so far
            monitor.on_train_end(net)
            warnings.warn("Training interrupted by user.", stacklevel=user_stacklevel())
            return
        if not incremental and not monitor.stopped:
            warnings.warn(f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                          f"and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=user_stacklevel())

    def _reset_progress(self) -> None:
        self.n_iter_, self.t_, self.loss_ = 0, 0, None
        self.loss_curve_ = []
        self.validation_scores_ = self.best_validation_score_ = self.best_loss_ = None

    def _ensure_progress(self, validating: bool, reset_count: bool) -> None:
        """The records the stopping rule keeps (validation scores with early stopping, else
        the best loss); a fit (not partial_fit) gets the full ``n_iter_no_change`` epochs of
        patience."""
        if validating and self.validation_scores_ is None:
            self.validation_scores_, self.best_validation_score_ = [], -np.inf
            self.best_loss_ = None
        elif not validating and self.best_loss_ is None:
            self.best_loss_ = np.inf
        if reset_count or not hasattr(self, "_no_improvement_count"):
            self._no_improvement_count = 0

    def _split(self, X, y, Y, weights, rng):
        """Hold out ``validation_fraction`` of the samples (stratified for single-label
        classification) for early stopping."""
        stratify = y if self._stratify(y) else None
        n_val = math.ceil(self.validation_fraction * len(X))
        if stratify is not None and (n_val < len(self.classes_) or len(X) - n_val < len(
                self.classes_) or np.unique(y, return_counts=True)[1].min() < 2):
            stratify = None  # too few samples to give every class its share: a random split
        train, val = train_test_split(np.arange(len(X)), random_state=rng, stratify=stratify,
                                      test_size=self.validation_fraction)
        if len(val) < 2:
            raise DataError(f"the validation set is too small ({len(val)} sample of "
                            f"{len(X)}): increase validation_fraction or give more samples")
        w_val = None if weights is None else weights[val]
        return (X[train], Y[train], None if weights is None else weights[train],
                (X[val], y[val], w_val))

    def _stratify(self, y) -> bool:
        return False

    def _loss_scale(self, Y) -> float:
        """Our loss divided by scikit-learn's (see ``_build.build_network``)."""
        return 1.0

    def _check_enough(self, y, weights) -> None:
        """Refuse training sets a model cannot learn from (the classifier's one class)."""

    # ------------------------------------------------------------------ data

    def _validate(self, X, y=None, reset=True):
        nd = self.layers is not None
        if y is None and not reset:
            return validate_data(self, X, reset=False, dtype=(np.float64, np.float32),
                                 allow_nd=nd)
        X, y = validate_data(self, X, y, reset=reset, multi_output=True, allow_nd=nd,
                             dtype=(np.float64, np.float32), y_numeric=self._y_numeric)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _compute_dtype(self, X) -> np.dtype:
        if self.dtype is not None:
            return np.dtype(self.dtype)
        return np.dtype(np.float32 if X.dtype == np.float32 else np.float64)

    def _forward(self, X) -> np.ndarray:
        """The network's output for X (checked against what fit saw)."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        out = self.network_.predict_proba(X.astype(self.network_.dtype, copy=False))
        return out.astype(X.dtype, copy=False)  # float32 X: float32 answers; else float64

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    # ------------------------------------------------------------------ MLP-style views

    @property
    def coefs_(self) -> list[np.ndarray]:
        """The Dense layers' weight matrices as (n_inputs, n_neurons), MLPClassifier's layout
        (copies; ``network_`` holds the live weights as (n_neurons, n_inputs))."""
        check_is_fitted(self)
        return [layer.weights.T.copy() for layer in self.network_.layers
                if isinstance(layer, Dense)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The Dense layers' bias vectors (copies)."""
        check_is_fitted(self)
        return [layer.bias.copy() for layer in self.network_.layers if isinstance(layer, Dense)]

    # ------------------------------------------------------------------ pickling

    def __getstate__(self):
        state = super().__getstate__()
        if "network_" in state:
            state = dict(state)
            state["network_"] = (_state.TAG, _state.network_to_bytes(state["network_"]))
        return state

    def __setstate__(self, state):
        packed = state.get("network_")
        if isinstance(packed, tuple) and len(packed) == 2 and packed[0] == _state.TAG:
            state = dict(state)
            state["network_"] = _state.network_from_bytes(packed[1])
        super().__setstate__(state)


def _check_weights(sample_weight, n: int):
    """``sample_weight`` as n finite numbers >= 0, not all zero (None stays None); a single
    number weighs every sample alike (scikit-learn's convention)."""
    if sample_weight is not None and not isinstance(sample_weight, str):
        try:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError):
            pass  # (as_sample_weights says what was expected)
        else:
            if sample_weight.ndim == 0:
                sample_weight = np.full(n, float(sample_weight))
    return as_sample_weights(sample_weight, n, np.float64)


def _no_lone_sample(n: int, batch_size: int) -> int:
    """A batch size >= ``batch_size`` that leaves no last batch of one sample (BatchNorm
    cannot normalise a single sample)."""
    while batch_size < n and n % batch_size == 1:
        batch_size += 1
    return batch_size


PARAMETERS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Neurons of each hidden layer (an int means one hidden layer; ``()`` none).
    activation : str, default="relu"
        Activation of the hidden layers: "relu", "tanh", "logistic" (sigmoid), "identity",
        or any of neuronal's ("leaky_relu", "elu", "gelu", "softplus").
    optimizer : {"adam", "sgd", "momentum", "rmsprop"}, default="adam"
        "momentum" is SGD with Nesterov momentum 0.9 (MLPClassifier's solver="sgd").
    alpha : float, default=1e-4
        L2 penalty with MLPClassifier's strength: alpha / (2 * batch_size) * ||w||^2 is added
        to each mini-batch's loss (as the optimiser's weight decay; weights only, not the
        biases, as in MLPClassifier).
    batch_size : int or "auto", default="auto"
        Samples per gradient step; "auto" is min(200, n_samples).
    learning_rate_init : float, default=1e-3
        The learning rate (the initial one with a ``schedule``).
    max_iter : int, default=200
        Epochs (passes over the training data) at most.
    shuffle : bool, default=True
        Draw a new order of the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, shuffling, dropout and the validation split: an int gives
        the same model on every fit.
    tol : float, default=1e-4
        An epoch improves when it lowers the training loss (raises the validation score with
        ``early_stopping``) by at least ``tol``.
    verbose : bool, default=False
        Print a line per epoch.
    warm_start : bool, default=False
        ``fit`` continues from the current weights (with a new optimiser, as MLPClassifier).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples and stop when their score stops
        improving.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
        Stop after more than this many epochs in a row without improvement.
    dropout : float, default=0.0
        Drop probability of a Dropout layer after every hidden layer (0: none).
    batch_norm : bool, default=False
        Batch normalisation between each hidden layer's weighted sum and its activation.
    schedule : {None, "constant", "cosine", "step", "exponential"} or Schedule, default=None
        Learning rate by epoch: "cosine" decays to 0 over ``max_iter`` epochs, "step"
        multiplies it by 0.1 after each third of them, "exponential" reaches 1% at
        ``max_iter``. A neuronal schedule (``nl.CosineDecay(0.01, 50)``) is used as given, its
        own initial rate replacing ``learning_rate_init``.
    restore_best_weights : bool, default=True
        With ``early_stopping``, end with the weights of the best validation epoch (else the
        last epoch's).
    layers : list of Layer, callable or None, default=None
        Build any neuronal network instead of ``hidden_layer_sizes``, ``activation``,
        ``dropout`` and ``batch_norm``: a list of layers (fresh copies are trained), or a
        function of the shape of one sample, ``X.shape[1:]``, returning one. The output layer
        is added. X may then have any number of dimensions (images, sequences).
    callbacks : list of neuronal Callback, default=None
        Passed to ``Network.fit`` (e.g. ``nl.Checkpoint(path)``).
    dtype : {None, "float32", "float64"}, default=None
        The network's precision; None: float32 for float32 X, else float64 (as
        MLPClassifier).

    Attributes
    ----------
    network_ : Network
        The trained network (``network_.explain(x)``, ``network_.save(path)``, ...).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When X had column names (a DataFrame).
    n_iter_ : int
        Epochs trained.
    t_ : int
        Training samples seen.
    loss_ : float
        The last epoch's mean training loss.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    best_loss_ : float or None
        The lowest training loss (None with ``early_stopping``).
    validation_scores_ : list of float or None
        Validation score of each epoch (with ``early_stopping``).
    best_validation_score_ : float or None
    n_outputs_ : int
    out_activation_ : str
    coefs_, intercepts_ : list of ndarray
        The Dense layers' weights, (n_inputs, n_neurons), and biases, like MLPClassifier's.
"""
