"""The estimators in Pipeline, GridSearchCV and cross_val_score, with joblib workers (n_jobs=2):
they work, and inside a worker nothing starts processes or more BLAS threads than its share."""

import os
import warnings

import numpy as np
import pytest
from _probes import ProcessProbe, engine_workers, read_probes
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import neuronal as nl
from neuronal.sklearn import NeuronalClassifier, NeuronalRegressor

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@pytest.fixture(autouse=True)
def quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module", autouse=True)
def stop_joblib_workers():
    yield
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)  # (its workers would outlive these tests)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X, y


def worker_records(folder):
    records = read_probes(folder)
    assert records, "the probe recorded nothing"
    return [r for r in records if r["pid"] != os.getpid()]


def test_pipeline_grid_search_in_two_workers(digits, tmp_path):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), NeuronalClassifier(
        max_iter=15, learning_rate_init=0.01, random_state=0,
        callbacks=[ProcessProbe(str(tmp_path))]))
    grid = {"neuronalclassifier__hidden_layer_sizes": [(16,), (32,)],
            "neuronalclassifier__alpha": [1e-4, 1e-2]}
    search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X[:1200], y[:1200])
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert search.best_score_ > 0.9 and search.score(X[1200:], y[1200:]) > 0.9
    best = search.best_estimator_[-1]
    assert best.hidden_layer_sizes == search.best_params_["neuronalclassifier__hidden_layer_sizes"]
    in_workers = worker_records(tmp_path)
    assert len({r["pid"] for r in in_workers}) >= 1  # the 12 fits ran in joblib workers
    assert len(in_workers) == 12 * 15
    for r in in_workers:
        assert r["children"] == []
        assert max(r["blas_threads"]) <= max(1, CORES // 2)


def test_cross_val_score_of_a_regression_pipeline_in_two_workers(tmp_path):
    X, y = load_diabetes(return_X_y=True)
    model = make_pipeline(StandardScaler(), TransformedTargetRegressor(
        NeuronalRegressor((32,), max_iter=100, learning_rate_init=0.01, random_state=0,
                          callbacks=[ProcessProbe(str(tmp_path))]),
        transformer=StandardScaler()))
    scores = cross_val_score(model, X, y, cv=4, n_jobs=2)
    assert scores.shape == (4,) and scores.mean() > 0.3
    in_workers = worker_records(tmp_path)
    assert len(in_workers) == 4 * 100
    assert all(r["children"] == [] for r in in_workers)


def convnet(shape):
    return [nl.Reshape((1, 8, 8)), nl.Conv2D(1, 4, 3, activation="relu")]


def test_a_convnet_that_would_start_a_worker_process_does_not_inside_joblib(digits, tmp_path):
    """Outside joblib the engine may share a convolutional network's batches with a worker
    process of its own (>= 100 batches per epoch, two free cores); inside a joblib worker it
    must start none."""
    X, y = digits
    X, y = X[:1000] / 16, y[:1000]
    # the control: the probe sees the engine's worker process when there is one
    outside = tmp_path / "outside"
    outside.mkdir()
    net = nl.Network([*convnet((64,)), nl.Flatten(), nl.Dense(4 * 6 * 6, 10, "softmax")],
                     optimizer="adam", seed=0)
    net.fit(X, y, epochs=1, batch_size=8, verbose=0, workers=2,
            callbacks=[ProcessProbe(str(outside))])
    assert engine_workers(read_probes(outside)[0])
    inside = tmp_path / "inside"
    inside.mkdir()
    clf = NeuronalClassifier(layers=convnet, batch_size=8, max_iter=1, random_state=0,
                             callbacks=[ProcessProbe(str(inside))])
    scores = cross_val_score(clf, X, y, cv=2, n_jobs=2)
    assert np.all(scores > 0.3)
    records = worker_records(inside)
    assert len(records) == 2
    assert all(r["children"] == [] for r in records)
