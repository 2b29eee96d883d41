"""Rosenblatt's perceptron learns AND and OR, and cannot learn XOR.

The perceptron rule (no derivatives needed) converges on linearly separable data. XOR is not
linearly separable: no line splits {(0,1), (1,0)} from {(0,0), (1,1)}, so the rule never settles.
``Perceptron.fit`` stops after ``max_epochs`` and warns instead of looping forever.

Run: python examples/perceptron.py
"""

import warnings

import neuronal as nl
from neuronal.datasets import make_and, make_or, make_xor


def main() -> dict:
    results = {}
    for name, make in (("AND", make_and), ("OR", make_or), ("XOR", make_xor)):
        X, y = make()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            p = nl.Perceptron(n_inputs=2, max_epochs=50, seed=0).fit(X, y)
        acc = p.score(X, y)
        results[name] = (p.converged, acc)
        print(f"{name}: predictions {p.predict(X).tolist()} for targets {[int(v) for v in y]}")
        if p.converged:
            print(f"  learned in {p.epochs_} epochs: w = {p.weights.round(3).tolist()}, "
                  f"b = {p.bias:.3f}")
        else:
            print(f"  not linearly separable: no convergence in {p.epochs_} epochs "
                  f"(accuracy {acc:.0%}); {caught[0].message if caught else ''}")
    return results


if __name__ == "__main__":
    main()
