"""Training bookkeeping: history, fit continuing, schedules, early stopping, divergence."""

import numpy as np
import pytest

import neuronal as nl


def blobs(seed=0, n=60):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    X = np.where(labels[:, None] == 1, 1.5, -1.5) + rng.standard_normal((n, 2))
    return X, labels


def classifier(**kw):
    kw.setdefault("optimizer", nl.SGD(0.1))
    return nl.Network.from_shape("2x6x2", hidden="tanh", output="softmax", seed=0, **kw)


class Recorder(nl.Callback):
    """Records every hook call and a copy of the weights at the end of each epoch."""

    def __init__(self):
        self.calls, self.weights, self.logs = [], [], []

    def on_train_begin(self, network):
        self.calls.append("begin")

    def on_epoch_end(self, network, epoch, logs):
        self.calls.append(epoch)
        self.weights.append(network.get_weights())
        self.logs.append(dict(logs))

    def on_train_end(self, network):
        self.calls.append("end")


def same_weights(a, b, atol=0.0):
    return all(np.allclose(x[k], y[k], rtol=0, atol=atol) if atol else np.array_equal(x[k], y[k])
               for x, y in zip(a, b) for k in x)


# --------------------------------------------------------------------------- history


def test_history_keys_for_a_classifier_with_validation():
    X, y = blobs()
    Xv, yv = blobs(seed=1, n=20)
    net = classifier()
    history = net.fit(X, y, epochs=3, batch_size=16, validation_data=(Xv, yv), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy",
                                    "learning_rate"}
    assert all(len(v) == 3 for v in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert history["learning_rate"] == [0.1, 0.1, 0.1]
    assert all(0.0 <= a <= 1.0 for a in history["accuracy"] + history["val_accuracy"])
    assert all(isinstance(v, float) for v in history["loss"])
    # the validation numbers are evaluate() on the weights at the end of the epoch
    final = net.evaluate(Xv, yv)
    assert history["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-6)
    assert history["val_accuracy"][-1] == pytest.approx(final["accuracy"])
    assert "3 epochs" in repr(history) and "val_loss=" in repr(history)


def test_history_keys_for_regression():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2))
    y = X.sum(axis=1)
    net = nl.Network.from_shape("2x3x1", hidden="tanh", output="linear", seed=0)
    assert set(net.fit(X, y, epochs=2, verbose=0).history) == {"loss", "learning_rate"}
    h = net.fit(X, y, epochs=1, validation_data=(X, y), verbose=0)
    assert set(h.history) == {"loss", "val_loss", "learning_rate"}


def test_epoch_loss_is_the_sample_weighted_mean_over_batches():
    """With a negligible learning rate the epoch's loss is the loss of the starting weights,
    even though the batches (4, 4, 2) have different sizes."""
    X, y = blobs(n=10)
    net = classifier(optimizer=nl.SGD(1e-12), dtype="float64")
    before = net.evaluate(X, y)
    history = net.fit(X, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert history["loss"][0] == pytest.approx(before["loss"], rel=1e-9)
    assert history["accuracy"][0] == pytest.approx(before["accuracy"])


def test_fit_again_continues_and_appends():
    X, y = blobs()
    net = classifier()
    h1 = net.fit(X, y, epochs=2, verbose=0)
    w_mid = net.get_weights()
    h2 = net.fit(X, y, epochs=3, verbose=0)
    assert net.epochs_trained == 5
    assert h1.epoch == [0, 1] and h2.epoch == [2, 3, 4]
    assert net.history.epoch == list(range(5))
    assert net.history["loss"] == h1["loss"] + h2["loss"]
    assert not same_weights(w_mid, net.get_weights())
    # one uninterrupted run of 5 epochs ends in the same place (the generator carries on)
    twin = classifier()
    h = twin.fit(X, y, epochs=5, verbose=0)
    assert h["loss"] == net.history["loss"]
    assert same_weights(twin.get_weights(), net.get_weights())


def test_callback_hooks_in_order_and_stop_training():
    X, y = blobs()

    class StopAfterTwo(nl.Callback):
        def on_epoch_end(self, network, epoch, logs):
            if epoch == 1:
                network.stop_training = True

    rec = Recorder()
    history = classifier().fit(X, y, epochs=10, callbacks=[rec, StopAfterTwo()], verbose=0)
    assert rec.calls == ["begin", 0, 1, "end"]
    assert len(history["loss"]) == 2
    assert rec.logs[0].keys() == {"loss", "accuracy", "learning_rate"}


# --------------------------------------------------------------------------- schedules


def test_schedule_by_hand_in_fit():
    """One weight, one bias, one sample (x = 1, y = 0), full batch, MSE:
    L = (w + b)^2, dL/dw = dL/db = 2 (w + b).
    epoch 0, lr 0.1:  w + b = 1     -> w = 1 - 0.2 = 0.8,    b = -0.2   (loss 1)
    epoch 1, lr 0.05: w + b = 0.6   -> w = 0.8 - 0.06 = 0.74, b = -0.26 (loss 0.36)
    epoch 2, lr 0.025: w + b = 0.48 -> w = 0.74 - 0.024 = 0.716, b = -0.284 (loss 0.2304)
    """
    net = nl.Network([nl.Dense(1, 1)], loss="mse", dtype="float64", seed=0,
                     optimizer=nl.SGD(learning_rate=nl.ExponentialDecay(0.1, rate=0.5)))
    net.layers[0].weights = [[1.0]]
    net.layers[0].bias = [0.0]
    history = net.fit([[1.0]], [[0.0]], epochs=3, batch_size=1, verbose=0)
    assert history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])
    assert history["loss"] == pytest.approx([1.0, 0.36, 0.2304])
    assert net.layers[0].weights[0, 0] == pytest.approx(0.716)
    assert net.layers[0].bias[0] == pytest.approx(-0.284)


@pytest.mark.parametrize("schedule,expected", [
    (nl.StepDecay(0.2, step=2, factor=0.1), [0.2, 0.2, 0.02, 0.02, 0.002]),
    (nl.ExponentialDecay(0.1, rate=0.5), [0.1, 0.05, 0.025, 0.0125, 0.00625]),
    (nl.CosineDecay(0.1, epochs=4), [0.1, 0.0853553390593274, 0.05, 0.0146446609406726, 0.0]),
])
def test_schedules_follow_the_epoch_across_fit_calls(schedule, expected):
    X, y = blobs()
    net = classifier(optimizer=nl.SGD(learning_rate=schedule))
    h1 = net.fit(X, y, epochs=2, verbose=0)
    h2 = net.fit(X, y, epochs=3, verbose=0)
    assert h1["learning_rate"] + h2["learning_rate"] == pytest.approx(expected, abs=1e-15)


# --------------------------------------------------------------------------- early stopping


def test_early_stopping_restores_best_weights():
    """Validation labels are the training labels flipped, so validation loss gets worse as the
    network learns: early stopping must stop and put back the best epoch's weights."""
    X, y = blobs()
    net = classifier(optimizer=nl.SGD(0.3))
    stop = nl.EarlyStopping(monitor="val_loss", patience=2)
    rec = Recorder()
    history = net.fit(X, y, epochs=50, validation_data=(X, 1 - y),
                      callbacks=[rec, stop], verbose=0)
    n_run = len(history["val_loss"])
    assert n_run < 50 and net.stop_training
    best = int(np.argmin(history["val_loss"]))
    assert stop.best_epoch == best and stop.stopped_epoch == n_run - 1
    assert n_run == best + 1 + 2 + 1   # best, then patience epochs, then the one that stops
    assert stop.best == pytest.approx(history["val_loss"][best])
    assert same_weights(net.get_weights(), rec.weights[best])
    assert not same_weights(net.get_weights(), rec.weights[-1])
    assert net.evaluate(X, 1 - y)["loss"] == pytest.approx(min(history["val_loss"]), rel=1e-5)


def test_early_stopping_without_restoring_keeps_last_weights():
    X, y = blobs()
    net = classifier(optimizer=nl.SGD(0.3))
    rec = Recorder()
    stop = nl.EarlyStopping(patience=1, restore_best_weights=False)
    net.fit(X, y, epochs=50, validation_data=(X, 1 - y), callbacks=[rec, stop], verbose=0)
    assert len(rec.weights) < 50
    assert same_weights(net.get_weights(), rec.weights[-1])


def test_early_stopping_min_delta_and_training_loss():
    """No improvement beats min_delta = 10: the first epoch is best; patience 2 gives 4 epochs."""
    X, y = blobs()
    rec = Recorder()
    stop = nl.EarlyStopping(monitor="loss", patience=2, min_delta=10.0)
    history = classifier().fit(X, y, epochs=20, callbacks=[rec, stop], verbose=0)
    assert len(history["loss"]) == 4
    assert stop.best_epoch == 0
    assert same_weights(rec.weights[0], classifier_weights_after(X, y, 1))


def classifier_weights_after(X, y, epochs):
    net = classifier()
    net.fit(X, y, epochs=epochs, verbose=0)
    return net.get_weights()


def test_early_stopping_maximises_accuracy():
    stop = nl.EarlyStopping(monitor="val_accuracy", patience=0)
    assert stop.mode == "max"
    X, y = blobs()
    net = classifier(optimizer=nl.SGD(0.3))
    history = net.fit(X, y, epochs=50, validation_data=(X, 1 - y), callbacks=[stop], verbose=0)
    acc = history["val_accuracy"]
    assert stop.best == max(acc) and len(acc) < 50
    assert net.evaluate(X, 1 - y)["accuracy"] == pytest.approx(max(acc))


def test_early_stopping_can_be_reused():
    X, y = blobs()
    stop = nl.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    for _ in range(2):
        history = classifier().fit(X, y, epochs=10, callbacks=[stop], verbose=0)
        assert len(history["loss"]) == 2


# --------------------------------------------------------------------------- divergence


def unscaled_regression(n=64):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1000, (n, 3))     # unscaled inputs
    return X, X @ np.array([1.0, 2.0, 3.0])


def all_finite(net):
    return all(np.isfinite(v).all() for w in net.get_weights() for v in w.values())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("lr", [1.0, 1e3, 1e6])
@pytest.mark.parametrize("batch_size", [8, 64], ids=["mini-batch", "full-batch"])
def test_divergence_stops_with_a_clear_error_and_finite_weights(lr, batch_size):
    X, y = unscaled_regression()
    net = nl.Network.from_shape("3x8x1", hidden="relu", output="linear",
                                optimizer=nl.SGD(lr), seed=0)
    with pytest.raises(nl.TrainingDivergedError,
                       match=r"(?s)loss became (nan|inf|\d).*learning rate.*too high.*unscaled"):
        net.fit(X, y, epochs=20, batch_size=batch_size, verbose=0)
    assert all_finite(net)
    out = net.predict(X[:4] / 1000)
    assert np.isfinite(out).all()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_restores_the_weights_from_the_start_of_the_epoch():
    X, y = unscaled_regression()
    net = nl.Network.from_shape("3x8x1", hidden="relu", output="linear",
                                optimizer=nl.SGD(1e6), seed=0)
    initial = net.get_weights()
    with pytest.raises(nl.TrainingDivergedError, match=r"epoch 1, step \d+.*restored"):
        net.fit(X, y, epochs=5, batch_size=8, verbose=0)
    assert same_weights(net.get_weights(), initial)
    assert net.epochs_trained == 0
    assert issubclass(nl.TrainingDivergedError, ValueError)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_on_scaled_data_blames_only_the_learning_rate():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (64, 3))
    y = X @ np.array([100.0, 200.0, 300.0])
    net = nl.Network.from_shape("3x8x1", hidden="relu", output="linear",
                                optimizer=nl.SGD(10.0), seed=0)
    with pytest.raises(nl.TrainingDivergedError, match="learning rate") as info:
        net.fit(X, y, epochs=50, batch_size=8, verbose=0)
    assert "unscaled" not in str(info.value)
    assert all_finite(net)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow we provoke
def test_divergence_restores_the_optimizer_state_too():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)) * 1000
    y = X.sum(axis=1, keepdims=True)
    net = nl.Network.from_shape("3x4x1", hidden="tanh", output="linear", loss="mse",
                                optimizer=nl.SGD(learning_rate=1e-9, momentum=0.9), seed=0)
    net.fit(X, y, epochs=1, batch_size=8, verbose=0)  # a harmless epoch: momentum builds up
    net.optimizer.learning_rate = 10.0
    with pytest.raises(nl.TrainingDivergedError, match="optimiser state"):
        net.fit(X, y, epochs=3, batch_size=8, verbose=0)
    # momentum from the start of the failing epoch, not the inf/NaN of the failing step
    velocity = net.optimizer.state_dict()
    assert any(k.startswith("velocity") for k in velocity)
    assert all(np.isfinite(v).all() for v in velocity.values())
    assert all(np.isfinite(p).all() for p, _ in net.parameters())


# --------------------------------------------------------------------------- sample weights


def test_a_sample_weight_of_2_counts_like_the_sample_twice():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((60, 4)), rng.integers(0, 3, 60)
    w = np.ones(60)
    w[:10] = 2
    X2, y2 = np.concatenate([X, X[:10]]), np.concatenate([y, y[:10]])
    for engine in ("fast", "plain"):
        with nl.use_engine(engine):
            a = nl.Network.from_shape("4x5x3", seed=0, dtype="float64")
            a.fit(X, y, epochs=5, batch_size=60, sample_weight=w, shuffle=False, verbose=0)
            b = nl.Network.from_shape("4x5x3", seed=0, dtype="float64")
            b.fit(X2, y2, epochs=5, batch_size=70, shuffle=False, verbose=0)
        assert same_weights(a.get_weights(), b.get_weights(), atol=1e-12)


@pytest.mark.parametrize("loss,output", [("mse", "linear"), ("mae", "linear"),
                                         ("binary_cross_entropy", "sigmoid"),
                                         ("cross_entropy", "softmax")])
def test_the_weighted_loss_is_the_weighted_mean_of_the_samples_losses(loss, output):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((12, 3))
    net = nl.Network.from_shape("3x4x2", output=output, loss=loss, seed=0, dtype="float64")
    y = rng.integers(0, 2, 12) if output == "softmax" else rng.random((12, 2))
    if output == "sigmoid":
        y = (y > 0.5).astype(float)
    w = rng.random(12)
    Xp, Y, _ = net._prepare(X, y)
    out = net.forward(Xp, training=True)
    rows = np.array([net.loss.value(out[i : i + 1], Y[i : i + 1]) for i in range(12)])
    value, delta, _ = net.loss_and_delta(out, Y, w)
    assert value == pytest.approx((w * rows).sum() / w.sum(), rel=1e-9)
    unweighted = net.loss_and_delta(out, Y)[1]
    np.testing.assert_allclose(delta, unweighted * (12 * w / w.sum())[:, None], rtol=1e-12)


@pytest.mark.parametrize("bad,match", [([1.0] * 5, "one weight per sample"),
                                       ([-1.0] + [1.0] * 19, ">= 0"),
                                       ([0.0] * 20, "at least one weight > 0"),
                                       ([float("nan")] * 20, "finite"),
                                       ("abc", "numbers")])
def test_bad_sample_weights(bad, match):
    rng = np.random.default_rng(0)
    net = nl.Network.from_shape("4x3x2", seed=0)
    with pytest.raises(nl.DataError, match=match):
        net.fit(rng.random((20, 4)), rng.integers(0, 2, 20), sample_weight=bad, verbose=0)


def test_fit_warns_once_about_unscaled_inputs_before_a_sigmoid_layer():
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 3)) * 255, rng.integers(0, 2, 40)
    net = nl.Network.from_shape("3x4x1", seed=0)
    with pytest.warns(nl.UnscaledInputWarning, match=r"max \|X\| = 25\d.*X / 255") as caught:
        net.fit(X, y, verbose=0)
    assert caught[0].filename == __file__  # points at the user's line, not the library's
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.fit(X / 255, y, verbose=0)  # scaled: no warning
        nl.Network.from_shape("3x4x1", hidden="relu", seed=0).fit(X, y, verbose=0)  # relu


@pytest.mark.parametrize("bad", ["a", 1.5, None])
def test_verbose_must_be_an_integer(bad):
    net = nl.Network.from_shape("3x2", seed=0)
    with pytest.raises(nl.NeuronalError, match="verbose must be 0"):
        net.fit(np.ones((4, 3)), [0, 1, 0, 1], verbose=bad)


@pytest.mark.parametrize("shape", [[4.5, 2], [True, 2], "4x2.5"])
def test_shapes_of_fractional_neurons_are_refused(shape):
    with pytest.raises(nl.NeuronalError, match="layer sizes"):
        nl.Network.from_shape(shape)
