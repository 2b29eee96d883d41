"""NeuronalClassifier: a neuronal network as a scikit-learn classifier."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels

from ..errors import DataError
from ._base import PARAMETERS_DOC, NeuronalEstimator

__all__ = ["NeuronalClassifier"]


class NeuronalClassifier(ClassifierMixin, NeuronalEstimator):
    __doc__ = f"""A neural network classifier trained by neuronal, with MLPClassifier's API.

    Two classes: one sigmoid output and binary cross-entropy; more: softmax and
    cross-entropy; a 0/1 indicator matrix (multi-label): one sigmoid per label. Labels may
    be of any type scikit-learn accepts (strings, bools, numbers).
    {PARAMETERS_DOC}
    classes_ : ndarray
        The class labels (for multi-label targets, the column indices).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from neuronal.sklearn import NeuronalClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NeuronalClassifier((16,), max_iter=300, learning_rate_init=0.01,
    ...                          random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _loss_names = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}
    _y_numeric = False

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y), continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,), default=None
            Every class that will ever appear: required on the first call (not for a
            multi-label indicator matrix), then optional.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    # ------------------------------------------------------------------ targets

    def _encode(self, y, first: bool, incremental: bool, classes):
        """y as the network learns it: class indices (softmax) or 0/1 columns (sigmoid)."""
        check_classification_targets(y)
        kind = type_of_target(y)
        multilabel = kind == "multilabel-indicator"
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise DataError(f"NeuronalClassifier takes class labels (n_samples,) or a 0/1 "
                            f"multi-label matrix (n_samples, n_labels); got {kind} targets of "
                            f"shape {np.shape(y)}")
        if first:
            self._define_classes(y, multilabel, incremental, classes)
        else:
            self._check_classes(y, multilabel, incremental, classes)
        if self._multilabel:
            return y.astype(np.float64)
        if len(self.classes_) == 2:  # one sigmoid: the probability of classes_[1]
            return (y == self.classes_[1]).astype(np.float64).reshape(-1, 1)
        return np.searchsorted(self.classes_, y)

    def _define_classes(self, y, multilabel, incremental, classes) -> None:
        if multilabel:
            self.classes_ = np.arange(y.shape[1])
        elif incremental:
            if classes is None:
                raise DataError("classes must be passed on the first call to partial_fit: "
                                "every label that will appear, e.g. classes=np.unique(y_all)")
            self.classes_ = unique_labels(np.asarray(classes))
        else:
            self.classes_ = unique_labels(y)
        self._multilabel, self._label_dtype = multilabel, y.dtype
        if len(self.classes_) < 2 and not multilabel:
            raise DataError(f"NeuronalClassifier needs samples of at least 2 classes; y has "
                            f"only one class ({self.classes_[0]!r})")
        self.n_outputs_ = y.shape[1] if multilabel else (
            1 if len(self.classes_) == 2 else len(self.classes_))
        self.out_activation_ = "logistic" if self.n_outputs_ == 1 or multilabel else "softmax"
        self._output_activation = "sigmoid" if self.out_activation_ == "logistic" else "softmax"
        self._loss = self._loss_names[self._output_activation]

    def _check_classes(self, y, multilabel, incremental, classes) -> None:
        if multilabel != self._multilabel or (multilabel and y.shape[1] != len(self.classes_)):
            raise DataError(f"y must be of the kind the model was fitted on "
                            f"({'multi-label' if self._multilabel else 'class labels'}, "
                            f"{len(self.classes_)} classes); got {type_of_target(y)} targets "
                            f"of shape {y.shape}")
        if multilabel:
            return
        if classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
            raise DataError(f"classes={classes!r} differs from the classes of the first call, "
                            f"{self.classes_!r}")
        seen = unique_labels(y)
        if not incremental and self.warm_start and not np.array_equal(seen, self.classes_):
            raise DataError(f"warm_start can only be used where y has the same classes as in "
                            f"the previous call to fit: previously {self.classes_!r}, now "
                            f"{seen!r}")
        unknown = np.setdiff1d(seen, self.classes_)
        if len(unknown):
            raise DataError(f"y holds labels not in classes_ {self.classes_!r}: "
                            f"{unknown!r}")

    def _check_enough(self, y, weights) -> None:
        if self._multilabel or weights is None:
            return
        kept = unique_labels(y[weights > 0])
        if len(kept) < 2:
            raise DataError(f"NeuronalClassifier needs samples of at least 2 classes with a "
                            f"sample_weight > 0; only class {kept[0]!r} has some")

    def _stratify(self, y) -> bool:
        return not self._multilabel

    def _loss_scale(self, Y) -> float:
        # our binary cross-entropy averages over the labels, scikit-learn's adds them up
        return 1.0 / Y.shape[1] if self._multilabel else 1.0

    # ------------------------------------------------------------------ predictions

    def _probabilities(self, out: np.ndarray) -> np.ndarray:
        if self.n_outputs_ == 1 and not self._multilabel:
            p = out[:, 0]
            return np.column_stack([1 - p, p])
        return out

    def _labels(self, out: np.ndarray) -> np.ndarray:
        if self._multilabel:
            return (out > 0.5).astype(self._label_dtype)
        if self.n_outputs_ == 1:
            return self.classes_[(out[:, 0] > 0.5).astype(np.intp)]
        return self.classes_[np.argmax(out, axis=1)]

    def predict(self, X):
        """Class labels (a 0/1 matrix for multi-label targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        return self._labels(self._forward(X))

    def predict_proba(self, X):
        """Probability of each class (of each label for multi-label targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return self._probabilities(self._forward(X))

    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def _validation_score(self, X, y, weights) -> float:
        out = self.network_.predict_proba(X)
        return accuracy_score(y, self._labels(out), sample_weight=weights)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
