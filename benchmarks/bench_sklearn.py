#!/usr/bin/env python
"""NeuronalClassifier/NeuronalRegressor against MLPClassifier/MLPRegressor, side by side.

Both get the same settings: one hidden layer of 100 ReLU neurons, Adam with learning rate
1e-3, mini-batches of 200, alpha = 1e-4, shuffling, the same number of epochs (``tol=0`` and
``n_iter_no_change`` = the epochs, so neither stops early; checked), the same train/test split
and ``random_state`` per seed, and the same preprocessing (a StandardScaler in a Pipeline for
the tabular sets; regression targets standardised with TransformedTargetRegressor; MNIST
pixels in [0, 1]). The candidates take turns within each seed (who goes first alternates), so
they share the machine's conditions. For every data set the script prints each candidate's
test score (accuracy or R^2) and fit time over the seeds, mean and standard error, the score
difference against its standard error and the ratio of the fit times.

Data sets: digits, breast cancer, wine, diabetes (bundled with scikit-learn), a California-
housing-like regression (20,640 x 8, ``make_regression``), MNIST as float32 (both libraries
then compute in float32) and MNIST as float64 (both in float64; a third row trains neuronal in
float32 on the same float64 data, ``dtype="float32"``). MNIST is read from ``--data-dir``, else
``$NEURONAL_DATA``, else ``../shared/data`` beside the checkout (never downloaded).

Usage::

    python benchmarks/bench_sklearn.py                    # everything, 5 seeds (~5 min)
    python benchmarks/bench_sklearn.py --sets digits,mnist --seeds 3
    python benchmarks/bench_sklearn.py --quick            # smoke run: small subsets, 2 epochs

Tests never assert on these times; the table is recorded by hand in ``RESULTS_sklearn.md``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

#: name -> (task, epochs, description)
SETS = {
    "digits": ("classification", 200, "digits, 1,797 x 64, 10 classes"),
    "breast_cancer": ("classification", 200, "breast cancer, 569 x 30, 2 classes"),
    "wine": ("classification", 200, "wine, 178 x 13, 3 classes"),
    "diabetes": ("regression", 200, "diabetes, 442 x 10"),
    "california_like": ("regression", 100, "California-like make_regression, 20,640 x 8"),
    "mnist": ("classification", 10, "MNIST float32, 70,000 x 784, 10 classes"),
    "mnist64": ("classification", 10, "MNIST float64, 70,000 x 784, 10 classes"),
}
QUICK_ROWS, QUICK_EPOCHS, QUICK_SEEDS = 400, 2, 2


def load(name: str, seed: int, data_dir, quick: bool):
    """(X_train, X_test, y_train, y_test) for one seed; the test part is 25% (MNIST: its own
    10,000 test images)."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    if name.startswith("mnist"):
        from neuronal.datasets import load_mnist

        (X, y), (X_test, y_test) = load_mnist(data_dir, download=False)
        if quick:
            X, y, X_test, y_test = X[:QUICK_ROWS], y[:QUICK_ROWS], X_test[:200], y_test[:200]
        if name == "mnist64":
            X, X_test = X.astype(np.float64), X_test.astype(np.float64)
        return X, X_test, y, y_test
    if name == "california_like":
        X, y = datasets.make_regression(n_samples=20640, n_features=8, n_informative=6,
                                        noise=40.0, random_state=0)
    else:
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    if quick:
        X, y = X[:QUICK_ROWS], y[:QUICK_ROWS]
    stratify = y if SETS[name][0] == "classification" else None
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=stratify)


def candidates(name: str, epochs: int, seed: int):
    """name -> an unfitted model with the shared settings."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from neuronal.sklearn import NeuronalClassifier, NeuronalRegressor

    common = dict(hidden_layer_sizes=(100,), activation="relu", alpha=1e-4, batch_size=200,
                  learning_rate_init=1e-3, max_iter=epochs, tol=0.0, n_iter_no_change=epochs,
                  shuffle=True, random_state=seed)
    classify = SETS[name][0] == "classification"
    ours = NeuronalClassifier if classify else NeuronalRegressor
    theirs = MLPClassifier if classify else MLPRegressor
    models = {"neuronal": ours(optimizer="adam", **common),
              "scikit-learn": theirs(solver="adam", **common)}
    if name == "mnist64":
        models["neuronal float32"] = ours(optimizer="adam", dtype="float32", **common)
    if name.startswith("mnist"):
        return models  # pixels in [0, 1] already
    out = {}
    for key, model in models.items():
        if not classify:
            model = TransformedTargetRegressor(model, transformer=StandardScaler())
        out[key] = make_pipeline(StandardScaler(), model)
    return out


def epochs_run(model) -> int:
    est = model[-1] if hasattr(model, "steps") else model
    est = getattr(est, "regressor_", est)
    return est.n_iter_


def mean_se(values) -> tuple[float, float]:
    a = np.asarray(values, dtype=float)
    se = a.std(ddof=1) / math.sqrt(len(a)) if len(a) > 1 else float("nan")
    return float(a.mean()), float(se)


def run_set(name: str, seeds: int, data_dir, quick: bool, first_seed: int) -> dict:
    task, epochs, _ = SETS[name]
    epochs = QUICK_EPOCHS if quick else epochs
    results: dict[str, dict[str, list]] = {}
    load_before = os.getloadavg()[0]
    for i, seed in enumerate(range(first_seed, first_seed + seeds)):
        X_train, X_test, y_train, y_test = load(name, seed, data_dir, quick)
        models = list(candidates(name, epochs, seed).items())
        if i % 2:
            models.reverse()  # who goes first alternates
        for key, model in models:
            t0 = time.perf_counter()
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - t0
            if epochs_run(model) != epochs:
                raise RuntimeError(f"{key} on {name} ran {epochs_run(model)} epochs, not "
                                   f"{epochs}")
            rec = results.setdefault(key, {"score": [], "seconds": []})
            rec["score"].append(model.score(X_test, y_test))
            rec["seconds"].append(seconds)
    return {"name": name, "task": task, "epochs": epochs, "n_train": len(X_train),
            "results": results, "load": (load_before, os.getloadavg()[0])}


def fmt(mean: float, se: float, digits: int) -> str:
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def report(rows: list[dict], seeds: int) -> str:
    lines = ["| data set (1-min load before-after) | epochs | candidate | test score | "
             "fit s (fastest) | score - scikit-learn (± SE) | within 1 SE | "
             "scikit-learn fit / this (fastest) |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        res = row["results"]
        ref_score = mean_se(res["scikit-learn"]["score"])
        ref_time = mean_se(res["scikit-learn"]["seconds"])
        metric = "accuracy" if row["task"] == "classification" else "R²"
        first = True
        for key in [k for k in res if k != "scikit-learn"] + ["scikit-learn"]:
            score, time_ = mean_se(res[key]["score"]), mean_se(res[key]["seconds"])
            label = (f"{SETS[row['name']][2]}, {metric} ({row['load'][0]:.1f}-"
                     f"{row['load'][1]:.1f})") if first else ""
            diff = vs = ratio = ""
            if key != "scikit-learn":
                d = score[0] - ref_score[0]
                se = math.sqrt(score[1] ** 2 + ref_score[1] ** 2)
                diff = f"{d:+.4f} ± {se:.4f}"
                vs = "yes" if abs(d) <= se else "no"
                fastest = min(res["scikit-learn"]["seconds"]) / min(res[key]["seconds"])
                ratio = f"**{ref_time[0] / time_[0]:.1f}x** ({fastest:.1f}x)"
            lines.append(f"| {label} | {row['epochs'] if first else ''} | {key} | "
                         f"{fmt(*score, 4)} | {fmt(*time_, 2)} ({min(res[key]['seconds']):.2f})"
                         f" | {diff} | {vs} | {ratio} |")
            first = False
    lines.append("")
    lines.append(f"Mean ± standard error over {seeds} seeds; 'within 1 SE': |difference| <= "
                 f"sqrt(SE_neuronal² + SE_scikit-learn²); the speed ratio compares mean fit "
                 f"times, and in brackets the fastest fits (the least disturbed).")
    return "\n".join(lines)


def machine() -> str:
    import sklearn
    from threadpoolctl import threadpool_info

    import neuronal

    pools = ", ".join(f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info())
    return (f"python {platform.python_version()}; numpy {np.__version__}; scikit-learn "
            f"{sklearn.__version__}; neuronal {neuronal.__version__}; cores "
            f"{os.cpu_count()}; thread pools {pools}; 1-min load at start "
            f"{os.getloadavg()[0]:.2f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS),
                        help=f"comma-separated, from: {', '.join(SETS)}")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None, help="folder holding mnist/")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit every BLAS/OpenMP pool to this many threads (default: "
                             "as the libraries choose; neuronal trains on one BLAS thread)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK_ROWS} samples, {QUICK_EPOCHS} epochs, "
                             f"{QUICK_SEEDS} seeds")
    args = parser.parse_args(argv)
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in names if s not in SETS]
    if unknown:
        parser.error(f"unknown data set(s) {unknown}; choose from {', '.join(SETS)}")
    data_dir = args.data_dir or os.environ.get("NEURONAL_DATA") or str(ROOT.parent / "shared"
                                                                      / "data")
    seeds = QUICK_SEEDS if args.quick else args.seeds
    if seeds < 2:
        parser.error("--seeds must be at least 2 (for a standard error)")
    print(f"Command: python benchmarks/bench_sklearn.py {' '.join(argv or sys.argv[1:])}")
    print(f"Machine: {machine()}\n")
    rows = []
    limit = None
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=args.threads)
        print(f"Thread pools limited to {args.threads} thread(s)\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the epochs are fixed on purpose
        for name in names:
            t0 = time.perf_counter()
            rows.append(run_set(name, seeds, data_dir, args.quick, args.first_seed))
            print(f"  {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    if limit is not None:
        limit.restore_original_limits()
    if args.quick:
        print(f"(--quick: at most {QUICK_ROWS} training samples per set, {QUICK_EPOCHS} epochs; "
              f"the scores mean nothing)\n")
    print(report(rows, seeds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
