"""One example per layer type, for the contract test (``test_layer_contract.py``).

Every class registered in ``neuronal.Layer.types`` must appear here: the contract test fails
for a layer type without an example. Each entry maps the class name to a list of
``(factory, input_shape)`` pairs; ``input_shape`` includes the batch axis. ``factory()``
returns a fresh layer. Add integer-input layers (Embedding) with ``"int:<high>"`` in
``INTEGER_INPUTS``.
"""

import neuronal as nl

EXAMPLES = {
    "Dense": [
        (lambda: nl.Dense(5, 3, activation="tanh"), (4, 5)),
        (lambda: nl.Dense(3, 2, activation="softmax"), (1, 3)),
        (lambda: nl.Dense(4, 3, activation="sigmoid"), (2, 6, 4)),  # a sequence of vectors
        (lambda: nl.Dense(4, 2, activation="gelu", use_bias=False), (3, 4)),
    ],
    "Dropout": [(lambda: nl.Dropout(0.3), (4, 6)), (lambda: nl.Dropout(0.5), (2, 3, 4, 4))],
    "Activation": [
        (lambda: nl.Activation("relu"), (3, 5)),
        (lambda: nl.Activation("softmax"), (3, 4)),
        (lambda: nl.Activation("elu"), (2, 2, 3, 3)),
    ],
}

# Issue 5: convolution, pooling, reshaping, normalisation, recurrent and embedding layers.
EXAMPLES.update({
    "Conv2D": [
        (lambda: nl.Conv2D(2, 3, 3, activation="tanh"), (2, 2, 5, 6)),
        (lambda: nl.Conv2D(1, 2, (3, 2), stride=2, padding=1), (1, 1, 6, 5)),
        (lambda: nl.Conv2D(3, 2, 2, padding="same", activation="sigmoid"), (2, 3, 4, 3)),
        (lambda: nl.Conv2D(1, 2, 3, stride=(1, 2), padding=(0, 1), use_bias=False), (3, 1, 4, 5)),
        (lambda: nl.Conv2D(2, 2, 3, padding=1), (2, 3, 2, 4, 4)),  # a sequence of images
    ],
    "MaxPool2D": [
        (lambda: nl.MaxPool2D(2), (2, 3, 4, 6)),
        (lambda: nl.MaxPool2D(3, stride=2, padding=1), (1, 2, 5, 5)),
        (lambda: nl.MaxPool2D((2, 3), stride=(1, 2)), (2, 1, 5, 7)),
    ],
    "AvgPool2D": [
        (lambda: nl.AvgPool2D(2), (2, 3, 4, 4)),
        (lambda: nl.AvgPool2D(3, stride=2, padding=1), (1, 2, 5, 6)),
    ],
    "Flatten": [(lambda: nl.Flatten(), (2, 3, 4, 5)), (lambda: nl.Flatten(2), (2, 3, 2, 2, 2))],
    "Reshape": [(lambda: nl.Reshape((2, 6)), (3, 12)), (lambda: nl.Reshape((-1, 2)), (2, 3, 4))],
    "BatchNorm": [
        (lambda: nl.BatchNorm(4, momentum=1.0), (64, 4)),
        (lambda: nl.BatchNorm(3, momentum=1.0), (8, 3, 4, 4)),
        (lambda: nl.BatchNorm(2, momentum=1.0), (16, 2, 5)),
    ],
    "SimpleRNN": [
        (lambda: nl.SimpleRNN(3, 4), (2, 5, 3)),
        (lambda: nl.SimpleRNN(2, 3, return_sequences=True, nonlinearity="relu"), (3, 4, 2)),
    ],
    "LSTM": [
        (lambda: nl.LSTM(3, 4), (2, 5, 3)),
        (lambda: nl.LSTM(2, 3, return_sequences=True), (1, 6, 2)),
    ],
    "GRU": [
        (lambda: nl.GRU(3, 4), (2, 5, 3)),
        (lambda: nl.GRU(2, 3, return_sequences=True), (3, 4, 2)),
    ],
    "Normalize": [
        (lambda: nl.Normalize(4), (3, 4)),
        (lambda: nl.Normalize(3, method="minmax"), (2, 5, 3)),
    ],
    "Embedding": [
        (lambda: nl.Embedding(7, 3), (4, 5)),
        (lambda: nl.Embedding(5, 2, padding_idx=0), (3,)),
    ],
})

#: Layers that take integer inputs: class name -> exclusive upper bound of the integers.
INTEGER_INPUTS: dict[str, int] = {"Embedding": 5}
