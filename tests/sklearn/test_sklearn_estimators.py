"""NeuronalClassifier and NeuronalRegressor: targets, training, attributes, pickling, layers."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

import neuronal as nl
from neuronal.sklearn import NeuronalClassifier, NeuronalRegressor

FAST = dict(hidden_layer_sizes=(16,), max_iter=30, learning_rate_init=0.01, random_state=0)


@pytest.fixture(autouse=True)
def quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def blobs(n=120, classes=3, seed=0):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=4, n_redundant=0,
                               n_classes=classes, n_clusters_per_class=1, class_sep=2.0,
                               random_state=seed)
    return X, y


def test_importing_neuronal_does_not_import_sklearn():
    code = ("import sys, neuronal; assert 'sklearn' not in sys.modules; "
            "import neuronal.sklearn; assert 'sklearn' in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# ---------------------------------------------------------------------- targets


@pytest.mark.parametrize("labels", [
    np.array(["cat", "dog", "emu"]), np.array([3, 7, 11]), np.array([-1.0, 0.0, 2.0]),
])
def test_any_label_type_round_trips(labels):
    X, y = blobs()
    clf = NeuronalClassifier(**FAST).fit(X, labels[y])
    assert list(clf.classes_) == sorted(labels)
    pred = clf.predict(X)
    assert pred.dtype == labels.dtype
    assert set(pred) <= set(labels)
    assert clf.score(X, labels[y]) > 0.9
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_binary_labels_use_one_sigmoid():
    X, y = blobs(classes=2)
    labels = np.array([False, True])[y]
    clf = NeuronalClassifier(**FAST).fit(X, labels)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    assert clf.network_.layers[-1].n_neurons == 1 and clf.network_.loss.name == \
        "binary_cross_entropy"
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))
    assert clf.predict(X).dtype == bool and clf.score(X, labels) > 0.9


def test_multiclass_uses_softmax_and_proba_columns_follow_classes():
    X, y = blobs()
    clf = NeuronalClassifier(**FAST).fit(X, y + 10)
    assert clf.out_activation_ == "softmax" and clf.network_.loss.name == "cross_entropy"
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict(X), 10 + proba.argmax(axis=1))


def test_column_vector_y_warns_and_fits_like_1d():
    from sklearn.exceptions import DataConversionWarning

    X, y = blobs()
    a = NeuronalClassifier(**FAST).fit(X, y)
    with pytest.warns(DataConversionWarning):
        b = NeuronalClassifier(**FAST).fit(X, y[:, None])
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_multilabel_indicator_targets():
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(n_samples=150, n_features=6, n_classes=4,
                                          random_state=0)
    clf = NeuronalClassifier(**{**FAST, "max_iter": 100}).fit(X, Y)
    assert list(clf.classes_) == [0, 1, 2, 3] and clf.n_outputs_ == 4
    pred = clf.predict(X)
    assert pred.shape == Y.shape and pred.dtype == Y.dtype
    assert set(np.unique(pred)) <= {0, 1}
    assert clf.predict_proba(X).shape == (150, 4)
    majority = np.maximum(Y.mean(axis=0), 1 - Y.mean(axis=0)).mean()
    assert (pred == Y).mean() > majority + 0.05


def test_multiclass_multioutput_targets_are_refused():
    X, y = blobs()
    with pytest.raises(ValueError, match="multiclass-multioutput"):
        NeuronalClassifier(**FAST).fit(X, np.column_stack([y, y]))


def test_continuous_targets_are_refused_by_the_classifier():
    X, _ = blobs()
    with pytest.raises(ValueError, match="Unknown label type"):
        NeuronalClassifier(**FAST).fit(X, np.linspace(0, 1, len(X)))


def test_one_class_is_refused():
    X, _ = blobs()
    with pytest.raises(ValueError, match="at least 2 classes"):
        NeuronalClassifier(**FAST).fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match=r"at least 2 classes with a sample_weight > 0"):
        NeuronalClassifier(**FAST).fit(X, np.arange(len(X)) % 2,
                                       sample_weight=np.arange(len(X)) % 2)


def test_multi_output_regression():
    X, Y = make_regression(n_samples=200, n_features=5, n_targets=3, noise=1.0, random_state=0)
    Y = Y / Y.std(axis=0)
    reg = NeuronalRegressor((32,), max_iter=300, learning_rate_init=0.01, random_state=0)
    reg.fit(X, Y)
    assert reg.n_outputs_ == 3 and reg.predict(X).shape == (200, 3)
    assert reg.predict(X).dtype == np.float64 and reg.score(X, Y) > 0.95
    one = NeuronalRegressor(**FAST).fit(X, Y[:, 0])
    assert one.predict(X).shape == (200,)


def test_float32_data_train_a_float32_network_and_dtype_overrides():
    X, y = blobs()
    assert NeuronalClassifier(**FAST).fit(X, y).network_.dtype == np.float64
    clf = NeuronalClassifier(**FAST).fit(X.astype(np.float32), y)
    assert clf.network_.dtype == np.float32
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float64  # answers in the precision of X
    assert NeuronalClassifier(**FAST, dtype="float32").fit(X, y).network_.dtype == np.float32


# ---------------------------------------------------------------------- sample weights


def test_integer_weights_equal_repeated_samples():
    X, y = blobs(n=40)
    w = np.random.default_rng(0).integers(0, 4, size=len(X))
    kw = dict(FAST, alpha=0.01, shuffle=False)  # one full batch: same steps both ways
    weighted = NeuronalClassifier(**kw).fit(X, y, sample_weight=w)
    repeated = NeuronalClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                               rtol=1e-9)
    assert weighted.loss_curve_ == pytest.approx(repeated.loss_curve_, rel=1e-9)


def test_weights_change_the_model_and_are_not_modified():
    X, y = blobs(n=60)
    w = np.linspace(0.1, 3, len(X))
    keep = w.copy()
    a = NeuronalClassifier(**FAST).fit(X, y, sample_weight=w)
    b = NeuronalClassifier(**FAST).fit(X, y)
    assert not np.allclose(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(w, keep)


@pytest.mark.parametrize("weights, match", [
    (np.ones(5), r"shape \(60,\)"),
    (np.zeros(60), "all zero"),
    (-np.ones(60), ">= 0"),
    (np.full(60, np.nan), "finite"),
    ("heavy", "numbers"),
])
def test_bad_sample_weights(weights, match):
    X, y = blobs(n=60)
    with pytest.raises(nl.DataError, match=match):
        NeuronalClassifier(**FAST).fit(X, y, sample_weight=weights)


# ---------------------------------------------------------------------- training and stopping


def test_fit_records_mlp_attributes():
    X, y = blobs()
    clf = NeuronalClassifier(**FAST)
    assert clf.fit(X, y) is clf
    assert clf.n_iter_ == len(clf.loss_curve_) == clf.network_.epochs_trained
    assert clf.t_ == clf.n_iter_ * len(X) and clf.n_features_in_ == 5
    assert clf.loss_ == clf.loss_curve_[-1] and clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.loss_curve_ == clf.network_.history["loss"]
    assert [c.shape for c in clf.coefs_] == [(5, 16), (16, 3)]
    assert [b.shape for b in clf.intercepts_] == [(16,), (3,)]


def test_stops_when_the_training_loss_stops_improving():
    X, y = blobs()
    clf = NeuronalClassifier(**{**FAST, "max_iter": 500}, tol=5.0, n_iter_no_change=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    # the first epoch improves on nothing; no later one lowers the loss by tol=5, and the
    # fourth of those in a row (more than n_iter_no_change) stops training
    assert clf.n_iter_ == 5


def test_convergence_warning_when_max_iter_is_reached():
    X, y = blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match=r"maximum iterations \(3\)"):
            NeuronalClassifier(**{**FAST, "max_iter": 3}).fit(X, y)


class Recorder(nl.Callback):
    def __init__(self):
        self.weights = []

    def on_epoch_end(self, network, epoch, logs):
        self.weights.append(network.get_weights())


@pytest.mark.parametrize("restore", [True, False])
def test_early_stopping_restores_the_best_validation_epoch(restore):
    X, y = load_digits(return_X_y=True)
    rec = Recorder()
    clf = NeuronalClassifier((32,), learning_rate_init=0.05, max_iter=200, random_state=0,
                             early_stopping=True, n_iter_no_change=3, callbacks=[rec],
                             restore_best_weights=restore).fit(X / 16, y)
    scores = clf.validation_scores_
    assert clf.n_iter_ == len(scores) < 200 and clf.best_loss_ is None
    assert clf.best_validation_score_ == max(scores)
    best = int(np.argmax(scores))
    want = rec.weights[best] if restore else rec.weights[-1]
    for got, expected in zip(clf.network_.get_weights(), want):
        for key in got:
            np.testing.assert_array_equal(got[key], expected[key])
    assert best < len(scores) - 1  # the last epoch was not the best: restoring mattered


def test_early_stopping_with_too_few_samples_for_validation():
    X, y = blobs(n=12)
    with pytest.raises(nl.DataError, match="validation set is too small"):
        NeuronalClassifier(**FAST, early_stopping=True, validation_fraction=0.05).fit(X, y)


def test_warm_start_continues_and_checks_classes():
    X, y = blobs()
    clf = NeuronalClassifier(**{**FAST, "max_iter": 5}, warm_start=True).fit(X, y)
    first = clf.network_
    clf.fit(X, y)
    assert clf.network_ is first and clf.n_iter_ == 10 and len(clf.loss_curve_) == 10
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X[y < 2], y[y < 2])
    cold = NeuronalClassifier(**{**FAST, "max_iter": 5}).fit(X, y)
    net = cold.network_
    assert cold.fit(X, y).network_ is not net and cold.n_iter_ == 5


def test_partial_fit_needs_classes_first_then_trains_one_epoch_per_call():
    X, y = blobs()
    clf = NeuronalClassifier(**FAST)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:40], y[:40], classes=[0, 1, 2])
    clf.partial_fit(X[40:], y[40:])
    assert clf.n_iter_ == 2 and list(clf.classes_) == [0, 1, 2]
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X, y + 1)
    with pytest.raises(ValueError, match="differs from the classes"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="has 3 features"):
        clf.partial_fit(X[:, :3], y)
    reg = NeuronalRegressor(**FAST).partial_fit(X, y.astype(float))
    assert reg.n_iter_ == 1


def test_partial_fit_epochs_equal_fit_epochs():
    X, y = blobs()
    fitted = NeuronalRegressor(**{**FAST, "max_iter": 4}).fit(X, y.astype(float))
    step = NeuronalRegressor(**FAST)
    for _ in range(4):
        step.partial_fit(X, y.astype(float))
    np.testing.assert_allclose(step.predict(X), fitted.predict(X), rtol=1e-12)


def test_keyboard_interrupt_keeps_the_epochs_done(recwarn):
    class Interrupt(nl.Callback):
        def on_epoch_end(self, network, epoch, logs):
            if epoch == 2:
                raise KeyboardInterrupt

    X, y = blobs()
    clf = NeuronalClassifier(**FAST, callbacks=[Interrupt()])
    with pytest.warns(UserWarning, match="interrupted by user"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    three = NeuronalClassifier(**{**FAST, "max_iter": 3}).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), three.predict_proba(X))


def test_same_random_state_same_model_and_different_states_differ():
    X, y = blobs()
    a, b = NeuronalClassifier(**FAST).fit(X, y), NeuronalClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = NeuronalClassifier(**{**FAST, "random_state": 1}).fit(X, y)
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))
    rs = np.random.RandomState(0)
    assert NeuronalClassifier(**{**FAST, "random_state": rs}).fit(X, y).n_iter_ == 30


def test_verbose_prints_epochs(capsys):
    X, y = blobs()
    NeuronalClassifier(**{**FAST, "max_iter": 2}, verbose=True).fit(X, y)
    assert "epoch 2/2" in capsys.readouterr().out
    NeuronalClassifier(**{**FAST, "max_iter": 2}).fit(X, y)
    assert capsys.readouterr().out == ""


def test_warm_start_takes_the_new_settings_for_its_new_optimiser():
    X, y = blobs()
    clf = NeuronalClassifier(**{**FAST, "max_iter": 3}, warm_start=True).fit(X, y)
    clf.set_params(learning_rate_init=0.05, optimizer="rmsprop", alpha=0.1)
    clf.fit(X, y)
    opt = clf.network_.optimizer
    assert isinstance(opt, nl.RMSprop) and opt.learning_rate == 0.05
    assert opt.weight_decay == pytest.approx(0.1 / len(X))


def test_a_failed_refit_leaves_the_estimator_unfitted():
    from sklearn.exceptions import NotFittedError

    X, y = blobs()
    clf = NeuronalClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y + 5, sample_weight=np.ones(3))
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_feature_names_from_a_dataframe():
    import pandas as pd
    X, y = blobs()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    clf = NeuronalClassifier(**FAST).fit(frame, pd.Series(np.array(["a", "b", "c"])[y]))
    assert list(clf.feature_names_in_) == ["f0", "f1", "f2", "f3", "f4"]
    assert set(clf.predict(frame)) <= {"a", "b", "c"}
    with pytest.warns(UserWarning, match="fitted with feature names"):
        clf.predict(X)
    assert not hasattr(NeuronalClassifier(**FAST).fit(X, y), "feature_names_in_")
