"""The networks the estimators build (parameters, layers=), their errors, pickling and saving."""

import copy
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning

import neuronal as nl
from neuronal.sklearn import NeuronalClassifier, NeuronalRegressor

FAST = dict(hidden_layer_sizes=(16,), max_iter=20, learning_rate_init=0.01, random_state=0)


@pytest.fixture(autouse=True)
def quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def blobs(n=120):
    return make_classification(n_samples=n, n_features=5, n_informative=4, n_redundant=0,
                               n_classes=3, n_clusters_per_class=1, class_sep=2.0,
                               random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


def layer_types(est):
    return [type(layer).__name__ for layer in est.network_.layers]


# ---------------------------------------------------------------------- what gets built


def test_default_network_is_mlpclassifiers():
    X, y = blobs()
    clf = NeuronalClassifier(random_state=0, max_iter=2).fit(X, y)
    net = clf.network_
    assert net.shape == "5x100x3" and net.layers[0].activation.name == "relu"
    opt = net.optimizer
    assert isinstance(opt, nl.Adam) and opt.learning_rate == 1e-3
    # alpha / (2 * batch) * ||w||^2 on the batch loss: weight decay alpha / batch (auto: 120)
    assert opt.weight_decay == pytest.approx(1e-4 / 120)


def test_alpha_scales_with_our_loss_against_sklearns():
    X, y = blobs()
    reg = NeuronalRegressor(alpha=0.5, batch_size=10, max_iter=1).fit(X, y.astype(float))
    # our mean squared error is twice scikit-learn's half squared error
    assert reg.network_.optimizer.weight_decay == pytest.approx(2 * 0.5 / 10)
    w = np.full(len(X), 3.0)  # a weight of 3 counts a sample three times: 30 per batch
    clf = NeuronalClassifier(alpha=0.5, batch_size=10, max_iter=1).fit(X, y, sample_weight=w)
    assert clf.network_.optimizer.weight_decay == pytest.approx(0.5 / 30)


@pytest.mark.parametrize("name, cls, extra", [
    ("sgd", nl.SGD, {"momentum": 0.0}),
    ("momentum", nl.SGD, {"momentum": 0.9, "nesterov": True}),
    ("adam", nl.Adam, {}),
    ("rmsprop", nl.RMSprop, {}),
])
def test_optimizers(name, cls, extra):
    X, y = blobs()
    clf = NeuronalClassifier(**FAST, optimizer=name).fit(X, y)
    opt = clf.network_.optimizer
    assert type(opt) is cls and opt.learning_rate == 0.01
    for key, value in extra.items():
        assert getattr(opt, key) == value
    assert clf.score(X, y) > 0.8


def test_hidden_layers_activation_dropout_and_batch_norm():
    X, y = blobs()
    clf = NeuronalClassifier((8, 4), "tanh", dropout=0.2, batch_norm=True, max_iter=3,
                             random_state=0).fit(X, y)
    assert layer_types(clf) == ["Dense", "BatchNorm", "Activation", "Dropout",
                                "Dense", "BatchNorm", "Activation", "Dropout", "Dense"]
    dense = clf.network_.layers[0]
    assert not dense.use_bias and dense.n_neurons == 8
    assert clf.network_.layers[2].activation.name == "tanh"
    assert clf.network_.layers[3].rate == 0.2
    logistic = NeuronalClassifier((6,), "logistic", max_iter=1).fit(X, y)
    assert logistic.network_.layers[0].activation.name == "sigmoid"
    assert NeuronalClassifier((), max_iter=1).fit(X, y).network_.shape == "5x3"


def test_batch_norm_never_gets_a_batch_of_one():
    X, y = blobs(n=41)  # 41 = 2 x 20 + 1: batches of 21 and 20 instead
    clf = NeuronalClassifier(**FAST, batch_norm=True, batch_size=20).fit(X, y)
    assert clf.n_iter_ == 20
    with pytest.raises(nl.DataError, match="at least 2 training samples, got 1 sample"):
        NeuronalRegressor(**FAST, batch_norm=True).fit(X[:1], [1.0])


@pytest.mark.parametrize("schedule, lr_after_one_third", [
    (None, 0.01), ("constant", 0.01), ("cosine", 0.0075), ("step", 0.001),
    ("exponential", 0.01 * 0.01 ** (1 / 3)),
])
def test_schedules(schedule, lr_after_one_third):
    X, y = blobs()
    rates = []

    class Rate(nl.Callback):
        def on_epoch_end(self, network, epoch, logs):
            rates.append(logs["learning_rate"])

    NeuronalClassifier(**{**FAST, "max_iter": 30}, schedule=schedule, n_iter_no_change=100,
                       callbacks=[Rate()]).fit(X, y)
    assert rates[0] == pytest.approx(0.01)
    assert rates[10] == pytest.approx(lr_after_one_third)


def test_a_schedule_object_is_used_as_given():
    X, y = blobs()
    clf = NeuronalClassifier(**FAST, schedule=nl.StepDecay(0.2, step=5, factor=0.5)).fit(X, y)
    assert clf.network_.optimizer.learning_rate == pytest.approx(0.2 * 0.5 ** 3)


def test_layers_callable_builds_a_cnn_for_the_samples_shape(digits):
    X, y = digits
    seen = []

    def convnet(shape):
        seen.append(shape)
        return [nl.Reshape((1, 8, 8)), nl.Conv2D(1, 8, 3, activation="relu"),
                nl.MaxPool2D(2)]

    clf = NeuronalClassifier(layers=convnet, max_iter=8, learning_rate_init=0.01,
                             random_state=0).fit(X[:1200], y[:1200])
    assert seen == [(64,)]
    assert layer_types(clf) == ["Reshape", "Conv2D", "MaxPool2D", "Flatten", "Dense"]
    assert clf.network_.layers[-1].n_inputs == 8 * 3 * 3
    assert clf.score(X[1200:], y[1200:]) > 0.8


def test_layers_list_builds_an_lstm_on_3d_samples_with_fresh_copies(digits):
    X, y = digits
    template = [nl.LSTM(8, 16)]
    rows = X.reshape(-1, 8, 8)  # each image as a sequence of 8 rows of 8 pixels
    clf = NeuronalClassifier(layers=template, max_iter=15, learning_rate_init=0.01,
                             random_state=0).fit(rows[:1200], y[:1200])
    assert layer_types(clf) == ["LSTM", "Dense"] and clf.n_features_in_ == 8
    assert clf.network_.layers[0] is not template[0] and not template[0].built
    assert clf.score(rows[1200:], y[1200:]) > 0.6
    with pytest.raises(ValueError, match="X has 64 features"):
        clf.predict(X[:3])


def test_nd_samples_need_layers(digits):
    X, y = digits
    with pytest.raises(ValueError, match="Found array with dim 3"):
        NeuronalClassifier(**FAST).fit(X.reshape(-1, 8, 8), y)


def test_layers_that_do_not_fit_the_samples(digits):
    X, y = digits
    with pytest.raises(nl.ShapeError, match=r"expects input of shape \(batch, 10\)"):
        NeuronalClassifier(layers=[nl.Dense(10, 4)], max_iter=1).fit(X, y)
    with pytest.raises(nl.NeuronalError, match=r"layers\[0\] must be a neuronal Layer"):
        NeuronalClassifier(layers=["dense"], max_iter=1).fit(X, y)
    with pytest.raises(nl.NeuronalError, match="layers must give a list"):
        NeuronalClassifier(layers=lambda shape: nl.Dense(64, 4), max_iter=1).fit(X, y)


@pytest.mark.parametrize("params, match", [
    (dict(hidden_layer_sizes=(10, 0)), "hidden_layer_sizes must be a tuple of positive"),
    (dict(hidden_layer_sizes="big"), "hidden_layer_sizes must be"),
    (dict(activation="softmax"), "activation must be a differentiable activation"),
    (dict(activation="step"), "activation must be"),
    (dict(activation="swish"), "activation must be"),
    (dict(optimizer="lbfgs"), "optimizer must be one of 'sgd', 'momentum'"),
    (dict(alpha=-1), "alpha must be a finite number >= 0"),
    (dict(tol=float("nan")), "tol must be"),
    (dict(learning_rate_init=0), "learning_rate_init must be a finite number > 0"),
    (dict(batch_size=0), "batch_size must be 'auto'"),
    (dict(batch_size=2.5), "batch_size must be"),
    (dict(max_iter=0), "max_iter must be an integer >= 1"),
    (dict(n_iter_no_change=True), "n_iter_no_change must be"),
    (dict(validation_fraction=1.0), r"validation_fraction must be a fraction in \(0, 1\)"),
    (dict(dropout=1.0), r"dropout must be a drop probability in \[0, 1\)"),
    (dict(schedule="linear"), "schedule must be None, 'constant', 'cosine'"),
    (dict(dtype="float16"), "dtype must be None"),
    (dict(layers=3), "layers must be None, a list"),
    (dict(callbacks=[print]), r"callbacks\[0\] must be a neuronal Callback"),
])
def test_bad_parameters_are_refused_in_fit_not_init(params, match):
    X, y = blobs()
    clf = NeuronalClassifier(**{**FAST, **params})  # storing them is fine (scikit-learn rule)
    with pytest.raises(nl.NeuronalError, match=match):
        clf.fit(X, y)


# ---------------------------------------------------------------------- pickling and saving


@pytest.mark.parametrize("make", [
    lambda: NeuronalClassifier(**FAST, dropout=0.1, batch_norm=True),
    lambda: NeuronalRegressor(**FAST, optimizer="momentum"),
])
def test_pickle_round_trip_is_exact_and_training_continues_the_same(make):
    X, y = blobs()
    est = make().fit(X, y if isinstance(make(), NeuronalClassifier) else y.astype(float))
    data = pickle.dumps(est)
    assert b"neuronal-checkpoint-safetensors" in data
    twin = pickle.loads(data)
    assert twin.get_params().keys() == est.get_params().keys()
    assert twin.n_iter_ == est.n_iter_ and twin.loss_curve_ == est.loss_curve_
    method = "predict_proba" if hasattr(est, "predict_proba") else "predict"
    np.testing.assert_array_equal(getattr(twin, method)(X), getattr(est, method)(X))
    # optimiser state and random generator came along: one more epoch gives the same weights
    target = y if isinstance(est, NeuronalClassifier) else y.astype(float)
    est.partial_fit(X, target)
    twin.partial_fit(X, target)
    np.testing.assert_array_equal(getattr(twin, method)(X), getattr(est, method)(X))


def test_copies_and_clones():
    X, y = blobs()
    est = NeuronalClassifier(**FAST).fit(X, y)
    deep = copy.deepcopy(est)
    assert deep.network_ is not est.network_
    np.testing.assert_array_equal(deep.predict_proba(X), est.predict_proba(X))
    fresh = clone(est)
    assert not hasattr(fresh, "network_") and fresh.get_params() == est.get_params()
    assert pickle.loads(pickle.dumps(fresh)).get_params() == est.get_params()


def test_network_save_writes_the_safe_file(tmp_path, digits):
    X, y = digits
    clf = NeuronalClassifier(**FAST).fit(X, y)
    path = tmp_path / "digits.safetensors"
    clf.network_.save(path)
    assert path.read_bytes()[:1] != b"\x80"  # not a pickle
    net = nl.load(path)
    np.testing.assert_array_equal(net.predict_proba(X), clf.predict_proba(X))
    story = clf.network_.explain(X[0])
    assert "Dense(64 -> 16, relu)" in story and "winning class" in story
