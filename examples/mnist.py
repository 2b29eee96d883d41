"""Recognise handwritten digits: the 784x16x10 network on MNIST, from Python.

784 pixel inputs, 16 hidden sigmoid neurons, 10 softmax outputs (26 neurons, 12,730 numbers to
learn). Ten epochs of mini-batch SGD with a cosine-decayed learning rate reach about 95 % test
accuracy in a few seconds on a laptop CPU.

Run: NEURONAL_DATA=../shared/data python examples/mnist.py   (or let it download MNIST)
"""

import sys

import neuronal as nl
from neuronal.datasets import load_mnist


def main(epochs: int = 10, n_train: int | None = None) -> float:
    (X, y), (X_test, y_test) = load_mnist()       # pixels in [0, 1], shape (n, 784)
    if n_train:
        X, y = X[:n_train], y[:n_train]
    net = nl.Network.from_shape(
        "784x16x10", hidden="sigmoid", output="softmax", loss="cross_entropy",
        optimizer=nl.SGD(learning_rate=nl.CosineDecay(0.5, epochs=epochs)), seed=0)
    net.summary()
    net.fit(X, y, epochs=epochs, batch_size=32, validation_data=(X_test, y_test))
    accuracy = net.evaluate(X_test, y_test)["accuracy"]
    print(f"test accuracy: {accuracy:.2%}")
    print(net.explain(X_test[0]))                 # how the network read the first test digit
    return accuracy


if __name__ == "__main__":
    main(epochs=int(sys.argv[1]) if len(sys.argv) > 1 else 10)
