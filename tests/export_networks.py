"""Networks for the export tests: every layer type in context, each with a sample shape.

``NETWORKS`` maps an id to ``(build, input_shape, int_high)``: ``build(dtype)`` returns a fresh
network with random weights (biases and BatchNorm statistics included), ``input_shape`` is one
sample's shape, ``int_high`` the token bound for networks that take token ids (else None).
"""

from export_helpers import randomize

import neuronal as nl


def _net(layers, seed, dtype="float32", **kwargs):
    return randomize(nl.Network(layers, seed=seed, dtype=dtype, **kwargs), seed=seed)


NETWORKS = {
    "mlp-sigmoid-softmax": (
        lambda dt: _net([nl.Dense(12, 8, activation="sigmoid"),
                         nl.Dense(8, 5, activation="softmax")], 1, dt), (12,), None),
    "mlp-no-bias-dropout-activation": (
        lambda dt: _net([nl.Dropout(0.3), nl.Dense(6, 7, use_bias=False), nl.Activation("tanh"),
                         nl.Dropout(0.5), nl.Dense(7, 3, activation="sigmoid")], 2, dt),
        (6,), None),
    "lenet-like": (
        lambda dt: _net([nl.Conv2D(1, 4, 5, padding=2, activation="relu"), nl.MaxPool2D(2),
                         nl.Conv2D(4, 6, 3, activation="relu"), nl.MaxPool2D(2), nl.Flatten(),
                         nl.Dense(6 * 2 * 2, 10, activation="relu"),
                         nl.Dense(10, 4, activation="softmax")], 3, dt), (1, 12, 12), None),
    "conv-paddings-strides": (
        lambda dt: _net([nl.Conv2D(2, 3, (3, 2), stride=(2, 1), padding=(1, 0),
                                   activation="elu"),
                         nl.Conv2D(3, 4, 4, padding="same", activation="gelu"),  # even kernel
                         nl.Conv2D(4, 3, 3, padding="same", use_bias=False),
                         nl.Conv2D(3, 2, 2, stride=2, padding="valid", activation="tanh"),
                         nl.Flatten(), nl.Dense(2 * 2 * 3, 3, activation="softmax")], 4, dt),
        (2, 9, 7), None),
    "normalize-mlp": (
        lambda dt: _net([nl.Normalize(5), nl.Dense(5, 4, activation="tanh"),
                         nl.Normalize(4, method="minmax"),
                         nl.Dense(4, 3, activation="softmax")], 13, dt), (5,), None),
    "pools-batchnorm-2d": (
        lambda dt: _net([nl.BatchNorm(2), nl.AvgPool2D(3, stride=2, padding=1),
                         nl.Conv2D(2, 3, 3, padding=1), nl.BatchNorm(3), nl.Activation("relu"),
                         nl.MaxPool2D(3, stride=2, padding=1), nl.MaxPool2D((2, 1)),
                         nl.AvgPool2D((1, 2), stride=(1, 1)), nl.Flatten(),
                         nl.Dense(3, 2, activation="sigmoid")], 5, dt),
        (2, 7, 6), None),
    "batchnorm-1d-and-sequences": (
        lambda dt: _net([nl.Dense(5, 6), nl.BatchNorm(6), nl.Activation("leaky_relu"),
                         nl.Reshape((2, 3)), nl.BatchNorm(2), nl.Flatten(),
                         nl.Dense(6, 3, activation="softplus")], 6, dt), (5,), None),
    "reshape-dense-on-sequences": (
        lambda dt: _net([nl.Reshape((-1, 4)), nl.Dense(4, 3, activation="tanh"),
                         nl.Reshape((3, 3)), nl.Flatten(), nl.Dense(9, 2)], 7, dt),
        (12,), None),
    "rnn-lstm-gru-stacked": (
        lambda dt: _net([nl.SimpleRNN(3, 5, return_sequences=True),
                         nl.LSTM(5, 4, return_sequences=True),
                         nl.GRU(4, 6, return_sequences=True),
                         nl.SimpleRNN(6, 3, return_sequences=True, nonlinearity="relu"),
                         nl.GRU(3, 4), nl.Dense(4, 3, activation="softmax")], 8, dt),
        (7, 3), None),
    "lstm-sequence-output": (
        lambda dt: _net([nl.LSTM(4, 5, return_sequences=True), nl.Flatten(),
                         nl.Dense(6 * 5, 3, activation="softmax")], 9, dt), (6, 4), None),
    "embedding-gru-tokens": (
        lambda dt: _net([nl.Embedding(11, 4, padding_idx=0), nl.GRU(4, 5),
                         nl.Dense(5, 11, activation="softmax")], 10, dt), (8,), 11),
    "embedding-lstm-sequences": (
        lambda dt: _net([nl.Embedding(9, 3), nl.LSTM(3, 4, return_sequences=True),
                         nl.Flatten(), nl.Dense(5 * 4, 9, activation="softmax")], 11, dt),
        (5,), 9),
    "cnn-lstm-image-sequences": (
        lambda dt: _net([nl.Conv2D(1, 3, 3, stride=2, padding=1, activation="relu"),
                         nl.MaxPool2D(2), nl.AvgPool2D(1), nl.Flatten(start_dim=2),
                         nl.LSTM(3 * 2 * 2, 4), nl.Dense(4, 3, activation="softmax")], 12, dt),
        (4, 1, 8, 8), None),
}
