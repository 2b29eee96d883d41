"""One neuron decides whether a person is obese.

Part 1 reproduces the textbook neuron: inputs x = (height 4 ft, weight 80 kg), weights
w = (0.2, 0.00001), bias b = 1, sigmoid activation:

    z = 0.2 * 4 + 0.00001 * 80 + 1 = 1.8008,   sigmoid(1.8008) = 0.8582

Part 2 trains a sigmoid neuron on synthetic people (``neuronal.datasets.make_obesity``:
heights ~ N(1.70 m, 0.10 m), weights drawn from a realistic spread of BMI, labelled obese when
BMI = weight / height^2 >= 30) and shows it learns the rule.

Run: python examples/obese_neuron.py
"""

import numpy as np

import neuronal as nl
from neuronal.datasets import make_obesity


def main(n_samples: int = 2000, epochs: int = 200, seed: int = 0) -> float:
    neuron = nl.Neuron(weights=[0.2, 0.00001], bias=1.0, activation="sigmoid")
    print(f"z = {neuron.z([4, 80]):.4f}, a = sigmoid(z) = {neuron([4, 80]):.4f}")
    print(neuron.explain([4, 80]))

    # BMI >= 30 is weight >= 30 * height^2: not linear in (height, weight), but nearly so over
    # the range of real heights, and exactly linear in (height^2, weight). We give the neuron
    # height^2 as its first input so one neuron can represent the rule exactly, and standardise
    # both inputs so gradient descent converges quickly.
    X, y = make_obesity(n_samples=n_samples, seed=seed)
    features = np.column_stack([X[:, 0] ** 2, X[:, 1]])
    mean, std = features.mean(axis=0), features.std(axis=0)
    features = (features - mean) / std

    net = nl.Network([nl.Dense(2, 1, activation="sigmoid")], loss="binary_cross_entropy",
                     optimizer=nl.Adam(learning_rate=0.05), seed=seed)
    net.fit(features, y, epochs=epochs, batch_size=64, verbose=0)
    acc = net.evaluate(features, y)["accuracy"]
    trained = net.layers[0].neurons[0]
    # Undo the standardisation: the neuron fires when w1*h^2' + w2*m' + b >= 0, i.e. when
    # mass >= k * height^2 with k the learned BMI threshold.
    w1, w2 = trained.weights / std
    b = trained.bias - (trained.weights * mean / std).sum()
    k = -w1 / w2
    print(f"\ntrained neuron: {trained}")
    print(f"accuracy on {n_samples} people: {acc:.3%}")
    print(f"learned rule: obese when weight >= {k:.1f} * height^2 + ({-b / w2:.1f}) "
          f"(the true rule: weight >= 30 * height^2)")
    return acc


if __name__ == "__main__":
    main()
