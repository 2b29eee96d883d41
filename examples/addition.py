"""A deeper 4x4x4x1 network learns to add its four inputs (regression with mse).

Run: python examples/addition.py
"""

import numpy as np

import neuronal as nl
from neuronal.datasets import make_addition


def main(seed: int = 0, epochs: int = 200) -> float:
    X, y = make_addition(n_samples=2000, n_inputs=4, seed=seed)
    X_test, y_test = make_addition(n_samples=500, n_inputs=4, seed=seed + 1)
    net = nl.Network.from_shape("4x4x4x1", hidden="tanh", output="linear", loss="mse",
                                optimizer=nl.Adam(learning_rate=0.01), seed=seed)
    net.fit(X, y, epochs=epochs, batch_size=32, verbose=0)
    mse = net.evaluate(X_test, y_test)["loss"]
    sample = np.array([[0.1, 0.2, 0.3, 0.4]], dtype=np.float32)
    print(f"test mse: {mse:.2e}")
    print(f"0.1 + 0.2 + 0.3 + 0.4 = {net.predict(sample)[0, 0]:.4f} (network)")
    return mse


if __name__ == "__main__":
    main()
