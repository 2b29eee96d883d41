"""Metrics against hand-computed values and against scikit-learn."""

import numpy as np
import pytest

import neuronal as nl
from neuronal import metrics
from neuronal.errors import DataError

Y_TRUE = [0, 0, 1, 1, 2, 2]
Y_PRED = [0, 1, 1, 1, 2, 0]
CM = np.array([[1, 1, 0], [0, 2, 0], [1, 0, 1]])


# --------------------------------------------------------------------------- accuracy


def test_accuracy_by_hand():
    assert metrics.accuracy(Y_TRUE, Y_PRED) == pytest.approx(4 / 6)
    assert metrics.accuracy([1, 1], [1, 1]) == 1.0
    assert metrics.accuracy([1, 0], [0, 1]) == 0.0
    assert isinstance(metrics.accuracy(Y_TRUE, Y_PRED), float)


def test_accuracy_accepts_one_hot_probabilities_and_columns():
    one_hot = np.eye(3)[Y_TRUE]
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1],
                      [0.3, 0.6, 0.1], [0.1, 0.1, 0.8], [0.5, 0.2, 0.3]])
    assert metrics.accuracy(one_hot, probs) == pytest.approx(4 / 6)
    assert metrics.accuracy(np.array(Y_TRUE)[:, None], np.array(Y_PRED, dtype=float)) == (
        pytest.approx(4 / 6)
    )


def test_accuracy_matches_network_evaluate():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    net = nl.Network.from_shape("4x5x3", hidden="tanh", output="softmax", seed=0)
    net.fit(X, y, epochs=2, batch_size=16, verbose=0)
    assert metrics.accuracy(y, net.predict(X)) == pytest.approx(net.evaluate(X, y)["accuracy"])


@pytest.mark.parametrize(
    ("y_true", "y_pred", "match"),
    [
        ([0, 1, 2], [0, 1], "y_true has 3 labels but y_pred has 2"),
        ([0, -1, 2], [0, 1, 2], r"y_true contains negative class labels \(first -1 at index 1\)"),
        ([0, 1, 2], [0, 1, -3], "y_pred contains negative class labels"),
        ([0, 1.5], [0, 1], "non-integer values"),
        ([0, np.nan], [0, 1], "NaN"),
        ([], [], "empty"),
        (np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), "1-D array of class labels"),
        (["cat", "dog"], [0, 1], "integer class labels"),
    ],
)
def test_bad_labels_raise_data_error(y_true, y_pred, match):
    with pytest.raises(DataError, match=match):
        metrics.accuracy(y_true, y_pred)
    with pytest.raises(DataError, match=match):
        metrics.confusion_matrix(y_true, y_pred)


# --------------------------------------------------------------------------- confusion matrix


def test_confusion_matrix_by_hand():
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED)
    np.testing.assert_array_equal(cm, CM)
    assert cm.dtype.kind == "i" and cm.shape == (3, 3)
    # rows are the true class: row 0 has the two samples of class 0, one called 1
    assert cm[0, 1] == 1 and cm[1, 0] == 0
    assert cm.sum() == len(Y_TRUE)
    assert np.trace(cm) / cm.sum() == pytest.approx(metrics.accuracy(Y_TRUE, Y_PRED))


def test_confusion_matrix_n_classes_pads_and_checks():
    cm = metrics.confusion_matrix([0, 1], [1, 1], n_classes=4)
    assert cm.shape == (4, 4)
    np.testing.assert_array_equal(cm[:2, :2], [[0, 1], [0, 1]])
    assert cm[2:].sum() == 0 and cm[:, 2:].sum() == 0
    with pytest.raises(DataError, match=r"y_pred contains class label 5 but n_classes=3"):
        metrics.confusion_matrix([0, 1], [1, 5], n_classes=3)
    with pytest.raises(DataError, match="n_classes must be a positive integer"):
        metrics.confusion_matrix([0, 1], [1, 1], n_classes=0)


def test_confusion_matrix_matches_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(42)
    y_true = rng.integers(0, 10, 2000)
    y_pred = np.where(rng.random(2000) < 0.7, y_true, rng.integers(0, 10, 2000))
    ours = metrics.confusion_matrix(y_true, y_pred, n_classes=10)
    np.testing.assert_array_equal(ours, sk.confusion_matrix(y_true, y_pred, labels=range(10)))
    recall = sk.recall_score(y_true, y_pred, average=None)
    np.testing.assert_allclose(metrics.per_class_accuracy(y_true, y_pred), recall)


def test_per_class_accuracy_by_hand_and_missing_class():
    np.testing.assert_allclose(metrics.per_class_accuracy(Y_TRUE, Y_PRED), [0.5, 1.0, 0.5])
    pca = metrics.per_class_accuracy([0, 0, 1], [0, 1, 1], n_classes=3)
    np.testing.assert_allclose(pca[:2], [0.5, 1.0])
    assert np.isnan(pca[2])  # no samples of class 2: its accuracy is undefined


# --------------------------------------------------------------------------- text tables


def test_format_confusion_matrix_layout():
    text = metrics.format_confusion_matrix(CM, labels=["cat", "dog", "owl"])
    lines = text.splitlines()
    assert "rows: true class, columns: predicted class" in lines[0]
    header = next(line for line in lines if line.startswith("true \\ predicted"))
    assert header.split()[-4:] == ["cat", "dog", "owl", "recall"]
    rows = {ln.split()[0]: ln.split()[1:] for ln in lines if ln[:3] in {"cat", "dog", "owl"}}
    assert rows["cat"] == ["1", "1", "0", "50.0%"]
    assert rows["dog"] == ["0", "2", "0", "100.0%"]
    assert rows["owl"] == ["1", "0", "1", "50.0%"]
    precision = next(line for line in lines if line.startswith("precision")).split()[1:]
    assert precision == ["50.0%", "66.7%", "100.0%"]
    assert lines[-1] == "accuracy: 66.7% (4 of 6)"
    # the columns line up: every count ends where its header ends
    assert len({len(line) for line in lines[2:6]}) == 1


def test_format_confusion_matrix_default_labels_and_empty_rows():
    text = metrics.format_confusion_matrix([[0, 0], [3, 0]])
    assert "true \\ predicted" in text
    row0 = next(line for line in text.splitlines() if line.startswith("0 "))
    assert row0.split() == ["0", "0", "0", "-"]  # no samples of class 0: recall undefined


@pytest.mark.parametrize(
    ("cm", "labels", "match"),
    [
        ([[1, 2, 3], [4, 5, 6]], None, r"square 2-D array .* got shape \(2, 3\)"),
        ([[1, -1], [0, 2]], None, "integers >= 0"),
        ([[1.5, 0], [0, 2]], None, "integers >= 0"),
        (CM, ["a", "b"], "got 2 labels for a confusion matrix of 3 classes"),
    ],
)
def test_format_confusion_matrix_errors(cm, labels, match):
    with pytest.raises(DataError, match=match):
        metrics.format_confusion_matrix(cm, labels=labels)


def test_classification_report_matches_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    y_true = rng.integers(0, 4, 300)
    y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, 4, 300))
    p, r, f, s = sk.precision_recall_fscore_support(y_true, y_pred)
    text = metrics.classification_report(y_true, y_pred, labels=["a", "b", "c", "d"])
    rows = [line.split() for line in text.splitlines()[1:5]]
    for i, row in enumerate(rows):
        assert row[0] == "abcd"[i]
        got = [float(v.rstrip("%")) / 100 for v in row[1:4]]
        np.testing.assert_allclose(got, [p[i], r[i], f[i]], atol=5e-4)
        assert int(row[4]) == s[i]
    assert text.splitlines()[-1].startswith(f"accuracy: {100 * np.mean(y_true == y_pred):.1f}%")


def test_classification_report_undefined_values():
    # class 2 is never predicted and never true: all its ratios are undefined
    text = metrics.classification_report([0, 1], [1, 1], n_classes=3)
    row2 = text.splitlines()[3].split()
    assert row2 == ["2", "-", "-", "-", "0"]
    row0 = text.splitlines()[1].split()
    assert row0 == ["0", "-", "0.0%", "0.0%", "1"]  # never predicted, never right: f1 = 0


def test_metrics_is_exported():
    assert nl.metrics is metrics
