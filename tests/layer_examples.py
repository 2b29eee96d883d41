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

#: Layers that take integer inputs: class name -> exclusive upper bound of the integers.
INTEGER_INPUTS: dict[str, int] = {}
