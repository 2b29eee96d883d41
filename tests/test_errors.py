"""User errors: each raises a NeuronalError (a ValueError) that names what was expected, what
arrived and how to fix it."""

import warnings

import numpy as np
import pytest

import neuronal as nl
from neuronal.errors import DataError, NeuronalError, ShapeError

X4 = np.random.default_rng(0).standard_normal((6, 4))
Y3 = np.array([0, 1, 2, 0, 1, 2])


def classifier():
    return nl.Network.from_shape("4x5x3", hidden="tanh", output="softmax", seed=0)


def regressor():
    return nl.Network.from_shape("4x5x1", hidden="tanh", output="linear", seed=0)


def binary():
    return nl.Network.from_shape("4x5x1", hidden="tanh", output="sigmoid",
                                 loss="binary_cross_entropy", seed=0)


def test_hierarchy():
    for cls in [nl.ShapeError, nl.DataError, nl.NotDifferentiableError,
                nl.TrainingDivergedError, nl.ModelFileError]:
        assert issubclass(cls, NeuronalError)
    assert issubclass(NeuronalError, ValueError)


# --------------------------------------------------------------------------- input shape


@pytest.mark.parametrize("call", ["predict", "predict_proba", "fit", "evaluate"])
def test_wrong_input_width_names_layer_expected_and_got(call):
    net = classifier()
    X = np.ones((6, 3))
    args = (X,) if call.startswith("predict") else (X, Y3)
    with pytest.raises(ShapeError, match=r"Dense\(4 -> 5, tanh\) expects input of shape "
                                         r"\(batch, 4\), got \(6, 3\)"):
        getattr(net, call)(*args, **({"verbose": 0} if call == "fit" else {}))


def test_one_sample_without_batch_axis_gets_a_hint():
    with pytest.raises(ShapeError, match=r"reshape\(1, -1\)"):
        classifier().predict(np.ones(4))


def test_images_not_flattened_get_a_hint():
    net = nl.Network.from_shape("4x3", output="softmax")
    with pytest.raises(ShapeError, match="flatten"):
        net.predict(np.ones((5, 2, 2)))


def test_layer_called_directly_checks_width():
    with pytest.raises(ShapeError, match=r"expects input of shape \(batch, 3\), got \(2, 5\)"):
        nl.Dense(3, 2)(np.ones((2, 5)))


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize("labels", [[0, 1, 3, 0, 1, 2], [0, -1, 2, 0, 1, 2]])
def test_label_out_of_range(labels):
    with pytest.raises(DataError, match=r"labels must lie in 0\.\.2 .*3 output neurons"):
        classifier().fit(X4, labels, verbose=0)


def test_non_integer_labels():
    with pytest.raises(DataError, match="integer class labels"):
        classifier().fit(X4, [0, 1, 1.5, 0, 1, 2], verbose=0)


@pytest.mark.parametrize("y", [np.zeros((6, 2)), np.zeros((6, 3, 1))])
def test_wrong_label_shape(y):
    with pytest.raises(ShapeError, match=r"expects y as integer labels of shape \(6,\)"):
        classifier().fit(X4, y, verbose=0)


def test_wrong_number_of_labels():
    with pytest.raises(DataError, match="X has 6 samples but y has 5"):
        classifier().fit(X4, Y3[:5], verbose=0)
    with pytest.raises(DataError, match="X has 6 samples"):
        classifier().evaluate(X4, 1)


def test_one_hot_out_of_range():
    with pytest.raises(DataError, match=r"must lie in \[0, 1\]"):
        classifier().fit(X4, np.eye(3)[Y3] * 2, verbose=0)


def test_binary_targets():
    with pytest.raises(DataError, match=r"must lie in \[0, 1\].*cross_entropy"):
        binary().fit(X4, [0, 1, 2, 0, 1, 0], verbose=0)
    with pytest.raises(ShapeError, match=r"expects y of shape \(6,\) or \(6, 1\)"):
        binary().fit(X4, np.zeros((6, 2)), verbose=0)


def test_regression_target_shape():
    with pytest.raises(ShapeError, match=r"mse with 1 output neuron\(s\) expects y of shape"):
        regressor().fit(X4, np.zeros((6, 2)), verbose=0)


# --------------------------------------------------------------------------- bad values


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_X(bad):
    X = X4.copy()
    X[2, 1] = bad
    with pytest.raises(DataError, match=r"X contains NaN or infinite values .*\(2, 1\)"):
        classifier().fit(X, Y3, verbose=0)
    with pytest.raises(DataError, match="NaN"):
        classifier().predict(X)


# fit does not scan X for NaN/inf up front when the first layer is Dense: a bad value makes
# the weights non-finite within the epoch, and the divergence checks then find it in X.
# These tests pin down that the user sees exactly what an up-front check would give.


def _state(net):
    return (net.get_weights(), {k: v.copy() for k, v in net.optimizer.state_dict().items()},
            net.rng.bit_generator.state, net.epochs_trained, len(net.history.history))


def _same_state(a, b):
    (wa, oa, ra, ea, ha), (wb, ob, rb, eb, hb) = a, b
    return (all(np.array_equal(x[k], y[k]) for x, y in zip(wa, wb) for k in x)
            and oa.keys() == ob.keys() and all(np.array_equal(oa[k], ob[k]) for k in oa)
            and ra == rb and ea == eb and ha == hb)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row", [0, 37, 99], ids=["first-row", "middle", "last-row"])
def test_nan_or_inf_in_X_is_found_without_an_up_front_scan(hidden, bad, row):
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, (100, 4))
    y = rng.integers(0, 3, 100)
    X[row, 2] = bad
    net = nl.Network.from_shape("4x6x3", hidden=hidden, optimizer=nl.Adam(0.01), seed=0)
    net.fit(X[:50] if row >= 50 else X[50:], y[:50], epochs=1, batch_size=16, verbose=0)
    before = _state(net)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no RuntimeWarning on the way
        with pytest.raises(DataError,
                           match=rf"X contains NaN or infinite values \(first at index "
                                 rf"\({row}, 2\)\): remove or impute"):
            net.fit(X, y, epochs=3, batch_size=16, verbose=0)
    assert _same_state(_state(net), before)  # weights, optimiser, generator, epoch count


def test_after_a_nan_error_the_fixed_data_trains_as_if_nothing_happened():
    rng = np.random.default_rng(2)
    X = rng.uniform(0, 1, (64, 4))
    y = rng.integers(0, 3, 64)
    bad = X.copy()
    bad[40, 1] = np.nan
    a, b = classifier(), classifier()
    with pytest.raises(DataError):
        a.fit(bad, y, epochs=2, batch_size=8, verbose=0)
    a.fit(X, y, epochs=2, batch_size=8, verbose=0)
    b.fit(X, y, epochs=2, batch_size=8, verbose=0)
    assert all(np.array_equal(wa[k], wb[k]) for wa, wb in zip(a.get_weights(), b.get_weights())
               for k in wa)


def test_nan_in_X_behind_another_first_layer_is_caught_before_training():
    # A max-pooling first layer could drop a -inf pixel without a trace: checked up front.
    X = np.random.default_rng(0).uniform(0, 1, (8, 1, 4, 4))
    X[3, 0, 1, 1] = -np.inf
    net = nl.Network([nl.MaxPool2D(2), nl.Flatten(), nl.Dense(4, 3, activation="softmax")],
                     seed=0)
    seen = []
    net.train_step = lambda *a: seen.append(1)
    with pytest.raises(DataError, match=r"X contains NaN .*\(3, 0, 1, 1\)"):
        net.fit(X, np.arange(8) % 3, verbose=0)
    assert not seen


def test_nan_in_X_with_zero_epochs_is_still_an_error():
    X = X4.copy()
    X[1, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        classifier().fit(X, Y3, epochs=0, verbose=0)


def test_nan_in_X_when_resuming_a_finished_run_is_still_an_error(tmp_path):
    ckpt = tmp_path / "run.ckpt"
    net = classifier()
    net.fit(X4, Y3, epochs=2, verbose=0, checkpoint=ckpt)
    X = X4.copy()
    X[1, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):  # both epochs done: nothing trains
        classifier().fit(X, Y3, epochs=2, verbose=0, checkpoint=ckpt, resume=True)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_y(bad):
    y = np.zeros(6)
    y[3] = bad
    with pytest.raises(DataError, match="y contains NaN or infinite"):
        regressor().fit(X4, y, verbose=0)


def test_nan_in_validation_data():
    X = X4.copy()
    X[0, 0] = np.nan
    with pytest.raises(DataError, match="validation X contains NaN"):
        classifier().fit(X4, Y3, validation_data=(X, Y3), verbose=0)


@pytest.mark.parametrize("X", [np.zeros((0, 4)), [], np.float64(3.0)])
def test_empty_data(X):
    with pytest.raises(DataError, match="empty"):
        classifier().fit(X, [], verbose=0)


def test_non_numeric_and_ragged_data():
    with pytest.raises(DataError, match="must contain numbers"):
        classifier().predict([["a", "b", "c", "d"]])
    with pytest.raises(DataError, match="rectangular"):
        classifier().predict([[1, 2, 3, 4], [1, 2]])
    with pytest.raises(DataError, match="y must contain numbers"):
        classifier().fit(X4, ["a"] * 6, verbose=0)


# --------------------------------------------------------------------------- fit arguments


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "32"])
def test_batch_size(batch_size):
    with pytest.raises(DataError, match=f"batch_size must be an integer >= 1, got {batch_size!r}"):
        classifier().fit(X4, Y3, batch_size=batch_size, verbose=0)


@pytest.mark.parametrize("epochs", [-1, 1.5, True])
def test_epochs(epochs):
    with pytest.raises(NeuronalError, match="epochs must be an integer >= 0"):
        classifier().fit(X4, Y3, epochs=epochs, verbose=0)


def test_validation_data_must_be_a_pair():
    with pytest.raises(NeuronalError, match=r"validation_data must be a pair \(X_val, y_val\)"):
        classifier().fit(X4, Y3, validation_data=X4, verbose=0)


def test_resume_needs_a_checkpoint():
    with pytest.raises(NeuronalError, match="resume=True needs checkpoint"):
        classifier().fit(X4, Y3, resume=True, verbose=0)


def test_early_stopping_on_a_missing_key():
    with pytest.raises(NeuronalError, match=r"monitors 'val_loss'.*validation_data"):
        classifier().fit(X4, Y3, callbacks=[nl.EarlyStopping()], verbose=0)
    with pytest.raises(NeuronalError, match="patience"):
        nl.EarlyStopping(patience=-1)


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("make,match", [
    (lambda: nl.Dense(3, 2, activation="sigmoidd"),
     r"unknown activation 'sigmoidd': expected one of .*Did you mean 'sigmoid'\?"),
    (lambda: nl.Dense(3, 2, activation="rleu"), r"Did you mean 'relu'\?"),
    (lambda: nl.Network.from_shape("3x2", loss="cross_entropyy"),
     r"unknown loss 'cross_entropyy'.*Did you mean 'cross_entropy'\?"),
    (lambda: nl.Network.from_shape("3x2", optimizer="adamm"),
     r"unknown optimizer 'adamm'.*Did you mean 'adam'\?"),
    (lambda: nl.Dense(3, 2, weight_init="xavierr"), r"unknown initializer .*'xavier'"),
    (lambda: nl.Dense(3, 2, activation="qwertyuiop"), r"unknown activation 'qwertyuiop'"),
    (lambda: nl.Dense(3, 2, activation=42), r"activation name \(str\) or an? Activation instance"),
])
def test_unknown_names(make, match):
    with pytest.raises(NeuronalError, match=match):
        make()


# --------------------------------------------------------------------------- architecture


def test_mismatched_layer_sizes():
    with pytest.raises(ShapeError, match=r"layer 1 Dense\(5 -> 2, softmax\) expects samples of "
                                         r"shape \(5,\) but layer 0 Dense\(4 -> 3, relu\) "
                                         r"outputs \(3,\)"):
        nl.Network([nl.Dense(4, 3, activation="relu"), nl.Dense(5, 2, activation="softmax")])


def test_mismatch_found_through_shape_preserving_layers():
    with pytest.raises(ShapeError, match="layer 2"):
        nl.Network([nl.Dense(4, 3), nl.Dropout(0.5), nl.Dense(5, 2)])


@pytest.mark.parametrize("first", [nl.Dropout(0.2), nl.Activation("relu")], ids=repr)
def test_mismatch_found_after_a_shape_agnostic_first_layer(first):
    with pytest.raises(ShapeError, match=r"layer 2 Dense\(5 -> 2, linear\) expects samples of "
                                         r"shape \(5,\) but layer 1 .* outputs \(3,\)"):
        nl.Network([first, nl.Dense(4, 3), nl.Dense(5, 2)])


@pytest.mark.parametrize("output", ["sigmoid", "linear", "relu"])
def test_cross_entropy_without_softmax_output(output):
    with pytest.raises(NeuronalError, match=r"loss 'cross_entropy' needs a softmax output layer"
                                            r".*activation='softmax'"):
        nl.Network.from_shape("4x3", output=output, loss="cross_entropy")


def test_binary_cross_entropy_without_sigmoid_output():
    with pytest.raises(NeuronalError, match="needs a sigmoid output layer"):
        nl.Network.from_shape("4x1", output="linear", loss="binary_cross_entropy")


def test_cross_entropy_after_dropout_is_refused():
    with pytest.raises(NeuronalError, match="needs a softmax output"):
        nl.Network([nl.Dense(4, 3, activation="softmax"), nl.Dropout(0.5)], loss="cross_entropy")


@pytest.mark.parametrize("make,match", [
    (lambda: nl.Network([]), "at least one layer"),
    (lambda: nl.Network([nl.Dense(3, 2), "relu"]), "layer 1 must be a neuronal Layer"),
    (lambda: nl.Network.from_shape("784x"), "like '784x16x10'"),
    (lambda: nl.Network.from_shape([4]), "at least two positive sizes"),
    (lambda: nl.Network.from_shape("4x0x1"), "at least two positive sizes"),
    (lambda: nl.Network.from_shape("4x3", dtype="float16"), "float32' or 'float64"),
    (lambda: nl.Dense(0, 3), "n_inputs must be a positive integer"),
    (lambda: nl.Dense(3, 2.5), "n_neurons must be a positive integer"),
    (lambda: nl.Dropout(1.0), r"rate must be in \[0, 1\)"),
])
def test_bad_construction(make, match):
    with pytest.raises(NeuronalError, match=match):
        make()


def test_set_weights_checks_names_and_shapes():
    net = classifier()
    with pytest.raises(ShapeError, match="expected weights for 2 layers, got 1"):
        net.set_weights(net.get_weights()[:1])
    w = net.get_weights()
    w[0]["weight"] = np.zeros((3, 3))
    with pytest.raises(ShapeError, match=r"'weight' must have shape \(5, 4\)"):
        net.set_weights(w)
    with pytest.raises(ShapeError, match="missing"):
        net.layers[0].load_state({"weight": np.zeros((5, 4))})
    with pytest.raises(ShapeError, match=r"weight must have shape \(5, 4\)"):
        net.layers[0].weights = np.zeros((4, 5))


def test_explain_takes_one_sample():
    with pytest.raises(ShapeError, match="one sample"):
        classifier().explain(np.ones((2, 4)))


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        classifier().fit(X4, Y3, batch_size=0)


def test_wrong_width_behind_a_shape_agnostic_layer_names_the_layer():
    net = nl.Network([nl.Dropout(0.2), nl.Dense(4, 3, activation="relu"),
                      nl.Dense(3, 2, activation="softmax")])
    with pytest.raises(nl.ShapeError, match=r"Dense\(4 -> 3, relu\) expects input of shape "
                                            r"\(batch, 4\), got \(2, 5\)"):
        net.predict(np.zeros((2, 5)))
    with pytest.raises(nl.ShapeError, match=r"got \(3, 5\)"):
        net.fit(np.zeros((3, 5)), [0, 1, 0], verbose=0)
