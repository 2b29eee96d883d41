"""One sigmoid neuron trained with binary cross-entropy *is* logistic regression.

We train the neuron by gradient descent (full batch, many epochs) and compare its weights with
an independent solver written here: Newton's method (iteratively reweighted least squares) on
the same unpenalised log-likelihood. With scikit-learn installed we also compare with
``LogisticRegression(C=inf)`` (no penalty). The coefficients agree to 1e-4.

Run: python examples/logistic_regression.py
"""

import numpy as np

import neuronal as nl


def make_data(n: int = 200, seed: int = 0):
    """Two overlapping Gaussian clouds (not separable, so the maximum-likelihood fit is finite)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    logits = 1.5 * X[:, 0] - 2.0 * X[:, 1] + 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(np.int64)
    return X, y


def newton(X: np.ndarray, y: np.ndarray, iterations: int = 25) -> np.ndarray:
    """Newton's method for logistic regression; returns (w1, ..., wn, b)."""
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.zeros(A.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-A @ theta))
        gradient = A.T @ (p - y)
        hessian = A.T @ (A * (p * (1 - p))[:, None])
        theta -= np.linalg.solve(hessian, gradient)
    return theta


def main(seed: int = 0) -> float:
    X, y = make_data(seed=seed)
    net = nl.Network([nl.Dense(2, 1, activation="sigmoid", weight_init="zeros")],
                     loss="binary_cross_entropy", optimizer=nl.SGD(learning_rate=1.0),
                     seed=seed, dtype="float64")
    net.fit(X, y, epochs=3000, batch_size=len(X), shuffle=False, verbose=0)
    neuron = net.layers[0].neurons[0]
    ours = np.append(neuron.weights, neuron.bias)
    reference = newton(X, y)
    diff = float(np.max(np.abs(ours - reference)))
    print(f"neuron (gradient descent): w = {ours[:2].round(6).tolist()}, b = {ours[2]:.6f}")
    print(f"Newton's method:           w = {reference[:2].round(6).tolist()}, "
          f"b = {reference[2]:.6f}")
    print(f"largest difference: {diff:.2e}")
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        print("(scikit-learn not installed: skipped its comparison)")
    else:
        sk = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(X, y)  # no penalty
        sk_theta = np.append(sk.coef_[0], sk.intercept_[0])
        print(f"scikit-learn:              w = {sk_theta[:2].round(6).tolist()}, "
              f"b = {sk_theta[2]:.6f} (difference {np.max(np.abs(ours - sk_theta)):.2e})")
        diff = max(diff, float(np.max(np.abs(ours - sk_theta))))
    return diff


if __name__ == "__main__":
    main()
