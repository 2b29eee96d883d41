"""XOR needs a hidden layer: a 2x3x1 network learns it to 100 %.

Run: python examples/xor.py
"""

import neuronal as nl
from neuronal.datasets import make_xor


def main(seed: int = 0) -> float:
    X, y = make_xor()
    # one output neuron: from_shape makes it a sigmoid (P(class 1)) with binary cross-entropy
    net = nl.Network.from_shape("2x3x1", hidden="tanh", optimizer=nl.Adam(learning_rate=0.05),
                                seed=seed)
    net.fit(X, y, epochs=500, batch_size=4, verbose=0)
    acc = net.evaluate(X, y)["accuracy"]
    for x, p in zip(X, net.predict_proba(X)[:, 0]):
        print(f"  {x.astype(int).tolist()} -> {p:.3f}")
    print(f"XOR accuracy: {acc:.0%}")
    print(net.explain(X[1]))
    return acc


if __name__ == "__main__":
    main()
