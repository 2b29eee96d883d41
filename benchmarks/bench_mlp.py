#!/usr/bin/env python
"""Train the same MLPs on MNIST in neuronal, PyTorch (CPU) and scikit-learn, side by side.

Every candidate starts from the same initial weights (neuronal's, copied into the others), uses
the same optimiser, batch size, shuffling (the permutation neuronal draws, reused by the others)
and thread count, and the candidates take turns epoch by epoch in one process, so they share the
machine's conditions. The script prints seconds per epoch (median and min), samples per second,
test accuracy, the ratios neuronal/PyTorch and neuronal/scikit-learn, batch-1 prediction latency,
the machine's float32 matrix-product peak with the floor it implies per epoch, and the peak memory
of one neuronal 784x128x10 epoch (measured in a separate process).

What each candidate runs (the timed part of one epoch):

* neuronal: the public path, ``net.fit(X, y, epochs=1, batch_size=B, verbose=0)``, data checks
  and the per-batch loss/accuracy bookkeeping included.
* PyTorch: ``nn.Sequential(Linear, Sigmoid|ReLU, Linear)``, ``nn.CrossEntropyLoss``,
  ``torch.optim.SGD``/``Adam`` with their defaults; a manual loop over index batches of the same
  permutation (no DataLoader): ``xb = X[idx]``, forward, loss, ``zero_grad``, ``backward``,
  ``step``, and ``running_loss += loss.item()``.
* scikit-learn: ``MLPClassifier(..., alpha=0, shuffle=False).partial_fit`` on the data taken in
  the same permutation (``X[perm]``, counted in the time as scikit-learn's own shuffle would be).

Usage::

    python benchmarks/bench_mlp.py                       # all configs, 5 epochs, 2 threads
    python benchmarks/bench_mlp.py --epochs 3 --threads 1 --configs sig16-sgd-b32
    python benchmarks/bench_mlp.py --quick               # smoke run: a few steps of everything

Tests never assert on these times; the table is recorded by hand in ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name -> (shape, hidden activation, optimiser, learning rate, batch size)
CONFIGS = {
    "sig16-sgd-b32": ("784x16x10", "sigmoid", "sgd", 0.5, 32),
    "sig16-sgd-b128": ("784x16x10", "sigmoid", "sgd", 0.5, 128),
    "relu128-adam-b32": ("784x128x10", "relu", "adam", 1e-3, 32),
    "relu128-adam-b128": ("784x128x10", "relu", "adam", 1e-3, 128),
}

# The targets for the ratio neuronal/PyTorch (seconds per epoch).
TARGETS = {"sig16-sgd-b32": 0.35, "sig16-sgd-b128": 0.45, "relu128-adam-b32": 0.5,
           "relu128-adam-b128": 0.5}

# Seconds of rest before each timed run: idle BLAS/OpenMP worker threads of the candidate that
# ran before keep spinning for a while (OpenBLAS about 0.1 s, libgomp less) and would steal the
# cores of the next one on a 2-core machine.
SETTLE = 0.3  # --quick uses 0.01
QUICK_TRAIN, QUICK_TEST = 1024, 256  # samples in a --quick run
LATENCY_REPEATS = {False: (2000, 7), True: (20, 2)}  # (calls, repeats), by --quick

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=5, help="epochs per config (default 5)")
    p.add_argument("--threads", type=int, default=2,
                   help="BLAS/OpenMP/PyTorch threads for every candidate (default 2)")
    p.add_argument("--configs", default=",".join(CONFIGS),
                   help=f"comma-separated subset of: {', '.join(CONFIGS)}")
    p.add_argument("--candidates", default="neuronal,pytorch,sklearn,jax",
                   help="comma-separated subset of neuronal,neuronal-1t,pytorch,sklearn,jax "
                        "(jax: the jit-step and lax.scan forms; neuronal-1t: one process on "
                        "one BLAS thread, the reference of the busy-machine target)")
    p.add_argument("--busy", action="store_true",
                   help="another process spins on a core during the whole run")
    p.add_argument("--jobs2", action="store_true",
                   help="also time two neuronal fits side by side (joblib, 2 jobs) against "
                        "one after the other")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights and shuffling")
    p.add_argument("--data-dir", default=None,
                   help="folder holding mnist/ (default: $NEURONAL_DATA, then ../shared/data)")
    p.add_argument("--quick", action="store_true",
                   help=f"smoke run: {QUICK_TRAIN:,} training samples, 1 epoch, short latency, "
                        f"peak and memory runs")
    p.add_argument("--synthetic", action="store_true",
                   help="random MNIST-shaped data instead of MNIST (for smoke tests without data)")
    p.add_argument("--neuronal-src", default=None,
                   help="import neuronal from this src/ folder instead of the checkout's "
                        "(to compare versions, e.g. an exported older commit)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocess")
    p.add_argument("--no-latency", action="store_true", help="skip batch-1 prediction latency")
    p.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in args.configs if c not in CONFIGS]
    if unknown:
        p.error(f"unknown config(s) {unknown}; choose from {list(CONFIGS)}")
    args.candidates = [c.strip() for c in args.candidates.split(",") if c.strip()]
    if "neuronal" not in args.candidates:
        p.error("--candidates must include neuronal (it draws the shared initial weights)")
    if args.threads < 1:
        p.error("--threads must be >= 1")
    if args.quick:
        args.epochs = min(args.epochs, 1)
    args.settle = 0.01 if args.quick else SETTLE
    return args


def pin_threads(n: int) -> None:
    """Set the thread-count variables; must run before NumPy/PyTorch are imported."""
    for var in _THREAD_VARS:
        os.environ[var] = str(n)


# ----------------------------------------------------------------------------- data


def load_data(args):
    """(X_train, y_train), (X_test, y_test): float32 pixels in [0, 1], int64 labels."""
    import numpy as np

    if args.synthetic:
        rng = np.random.default_rng(12345)
        n, m = (QUICK_TRAIN, QUICK_TEST) if args.quick else (60000, 10000)
        X = rng.random((n + m, 784), dtype=np.float32)
        y = rng.integers(0, 10, n + m)
        return (X[:n], y[:n]), (X[n:], y[n:])
    from neuronal.datasets import load_mnist

    data_dir = args.data_dir
    if data_dir is None and not os.environ.get("NEURONAL_DATA"):
        shared = ROOT.parent / "shared" / "data"
        data_dir = str(shared) if (shared / "mnist").is_dir() else None
    (X, y), (Xt, yt) = load_mnist(data_dir=data_dir, download=False)
    if args.quick:  # copies, so the full arrays can be freed
        X, y = X[:QUICK_TRAIN].copy(), y[:QUICK_TRAIN].copy()
        Xt, yt = Xt[:QUICK_TEST].copy(), yt[:QUICK_TEST].copy()
    return (X, y), (Xt, yt)


# ----------------------------------------------------------------------------- candidates


class NeuronalMLP:
    """neuronal through its public API: Network.from_shape(...).fit(..., epochs=1)."""

    name = "neuronal"

    def __init__(self, shape, hidden, opt, lr, batch, seed):
        import copy

        import neuronal as nl

        self._copy = copy.deepcopy
        optimizer = nl.SGD(learning_rate=lr) if opt == "sgd" else nl.Adam(learning_rate=lr)
        self.net = nl.Network.from_shape(shape, hidden=hidden, output="softmax",
                                         optimizer=optimizer, seed=seed)
        self.batch = batch
        self.loss = float("nan")

    def initial_weights(self):
        """[(W (n_out, n_in), b (n_out,)), ...] as float32 copies."""
        return [(layer.weights.copy(), layer.bias.copy()) for layer in self.net.layers]

    def next_permutation(self, n):
        """The permutation the next ``fit`` epoch will draw (from a copy of the network's rng)."""
        self._rng_before = self._copy(self.net.rng)
        return self._copy(self.net.rng).permutation(n)

    def train_epoch(self, X, y, perm, clock):
        t0 = clock()
        history = self.net.fit(X, y, epochs=1, batch_size=self.batch, verbose=0)
        t1 = clock()
        # fit must have drawn exactly the one permutation the others were given
        self._rng_before.permutation(len(X))
        if self._rng_before.bit_generator.state != self.net.rng.bit_generator.state:
            raise RuntimeError("neuronal's fit drew different random numbers than predicted: "
                               "the candidates no longer share the shuffling")
        self.loss = history.history["loss"][-1]
        return t1 - t0

    def accuracy(self, X, y):
        return float((self.net.predict(X) == y).mean())

    def predict_one(self):
        return self.net.predict_proba


class NeuronalOneThread(NeuronalMLP):
    """neuronal in one process with NumPy's BLAS on one thread (``workers=1``)."""

    name = "neuronal-1t"

    def train_epoch(self, X, y, perm, clock):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            t0 = clock()
            history = self.net.fit(X, y, epochs=1, batch_size=self.batch, verbose=0, workers=1)
            t1 = clock()
        self.loss = history.history["loss"][-1]
        return t1 - t0


class TorchMLP:
    """Idiomatic PyTorch: nn.Sequential, CrossEntropyLoss, torch.optim, index batches."""

    name = "pytorch"

    def __init__(self, weights, hidden, opt, lr, batch, threads):
        import torch
        from torch import nn

        self.torch = torch
        torch.set_num_threads(threads)
        (W1, b1), (W2, b2) = weights
        act = nn.Sigmoid() if hidden == "sigmoid" else nn.ReLU()
        self.model = nn.Sequential(nn.Linear(W1.shape[1], W1.shape[0]), act,
                                   nn.Linear(W2.shape[1], W2.shape[0]))
        with torch.no_grad():  # nn.Linear.weight is (out, in), the same layout as neuronal's
            for lin, (W, b) in zip((self.model[0], self.model[2]), weights):
                lin.weight.copy_(torch.from_numpy(W))
                lin.bias.copy_(torch.from_numpy(b))
        params = self.model.parameters()
        self.opt = (torch.optim.SGD(params, lr=lr) if opt == "sgd"
                    else torch.optim.Adam(params, lr=lr))
        self.loss_fn = nn.CrossEntropyLoss()
        self.batch = batch
        self._data = None
        self.loss = float("nan")

    def _tensors(self, X, y):
        if self._data is None or self._data[0] is not X:
            self._data = (X, self.torch.from_numpy(X), self.torch.from_numpy(y))
        return self._data[1], self._data[2]

    def train_epoch(self, X, y, perm, clock):
        torch, model, opt, loss_fn, B = self.torch, self.model, self.opt, self.loss_fn, self.batch
        Xt, yt = self._tensors(X, y)
        t0 = clock()
        order = torch.from_numpy(perm)
        model.train()
        running_loss = 0.0
        for start in range(0, len(order), B):
            idx = order[start : start + B]
            xb, yb = Xt[idx], yt[idx]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running_loss += loss.item() * len(idx)
        t1 = clock()
        self.loss = running_loss / len(order)
        return t1 - t0

    def accuracy(self, X, y):
        torch = self.torch
        self.model.eval()
        with torch.inference_mode():
            pred = self.model(torch.from_numpy(X)).argmax(dim=1).numpy()
        return float((pred == y).mean())

    def predict_one(self):
        torch, model = self.torch, self.model
        model.eval()

        def predict_proba(x):
            with torch.inference_mode():
                return torch.softmax(model(torch.from_numpy(x)), dim=1).numpy()

        return predict_proba


class SklearnMLP:
    """scikit-learn's MLPClassifier, one partial_fit per epoch on the permuted data."""

    name = "sklearn"

    def __init__(self, weights, hidden, opt, lr, batch, X, y):
        import warnings

        import numpy as np
        from sklearn.neural_network import MLPClassifier

        self.np = np
        self.clf = MLPClassifier(
            hidden_layer_sizes=(weights[0][0].shape[0],),
            activation="logistic" if hidden == "sigmoid" else "relu",
            solver=opt, learning_rate_init=lr, learning_rate="constant", momentum=0.0,
            nesterovs_momentum=False, alpha=0.0, batch_size=batch, shuffle=False,
            early_stopping=False, max_iter=1, tol=0.0, n_iter_no_change=10**9, random_state=0,
        )
        self.classes = np.arange(weights[-1][0].shape[0])
        # partial_fit initialises on its first call: make that call on a few samples, then
        # replace its weights by the shared ones and drop its optimiser state (re-created fresh).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.clf.partial_fit(X[:batch], y[:batch], classes=self.classes)
        self.clf.coefs_ = [np.ascontiguousarray(W.T) for W, _ in weights]  # sklearn: (in, out)
        self.clf.intercepts_ = [b.copy() for _, b in weights]
        del self.clf._optimizer
        self.loss = float("nan")

    def train_epoch(self, X, y, perm, clock):
        t0 = clock()
        self.clf.partial_fit(X[perm], y[perm])
        t1 = clock()
        self.loss = float(self.clf.loss_)
        return t1 - t0

    def accuracy(self, X, y):
        return float((self.clf.predict(X) == y).mean())

    def predict_one(self):
        return self.clf.predict_proba


# ----------------------------------------------------------------------------- measurements


def flops_per_epoch(sizes, n):
    """Exact multiply-add count of an epoch, as neuronal computes it (x2 FLOPs per MAC).

    Forward: x @ W.T per layer; backward: dW = delta.T @ x per layer and dx = delta @ W for every
    layer but the first (nobody needs dLoss/dX).
    """
    macs = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    fwd = 2 * n * sum(macs)
    bwd = 2 * n * sum(macs) + 2 * n * sum(macs[1:])
    return fwd, fwd + bwd


def matmul_peak(quick: bool, settle: float):
    """Best float32 GFLOP/s of a large square matrix product (NumPy's BLAS), and of PyTorch's."""
    import time

    import numpy as np

    n = 256 if quick else 2048
    rng = np.random.default_rng(0)
    A = rng.random((n, n), dtype=np.float32)
    B = rng.random((n, n), dtype=np.float32)
    C = np.empty_like(A)
    best = float("inf")
    for _ in range(3 if quick else 7):
        t0 = time.perf_counter()
        np.matmul(A, B, out=C)
        best = min(best, time.perf_counter() - t0)
    out = {"n": n, "numpy": 2 * n**3 / best / 1e9}
    try:
        import torch

        At, Bt = torch.from_numpy(A), torch.from_numpy(B)
        Ct = torch.empty_like(At)
        time.sleep(settle)
        best = float("inf")
        for _ in range(3 if quick else 7):
            t0 = time.perf_counter()
            torch.matmul(At, Bt, out=Ct)
            best = min(best, time.perf_counter() - t0)
        out["pytorch"] = 2 * n**3 / best / 1e9
    except ImportError:
        pass
    return out


def latency_us(fns, x, quick: bool, settle: float = 0.0):
    """Per candidate: the median over repeats of the mean time per call in microseconds, and
    the best repeat. The candidates take turns repeat by repeat (like the training epochs), so
    a disturbed moment of the machine does not fall on one candidate only."""
    import statistics
    import time

    calls, repeats = LATENCY_REPEATS[quick]
    per_call = {name: [] for name in fns}
    for fn in fns.values():  # warm up
        for _ in range(calls // 10 + 1):
            fn(x)
    for r in range(repeats):
        names = list(fns)
        names = names[r % len(names):] + names[:r % len(names)]  # rotate who goes first
        for name in names:
            fn = fns[name]
            time.sleep(settle)
            t0 = time.perf_counter()
            for _ in range(calls):
                fn(x)
            per_call[name].append((time.perf_counter() - t0) / calls * 1e6)
    return {name: (statistics.median(t), min(t)) for name, t in per_call.items()}


def memory_child(args) -> None:
    """One neuronal 784x128x10 Adam epoch (batch 32); prints its peak memory as JSON."""
    import gc
    import json
    import tracemalloc

    tracemalloc.start()
    import numpy as np

    import neuronal as nl

    (X, y), (Xt, yt) = load_data(args)
    del Xt, yt
    gc.collect()
    net = nl.Network.from_shape("784x128x10", hidden="relu", output="softmax",
                                optimizer=nl.Adam(learning_rate=1e-3), seed=args.seed)
    data_bytes = X.nbytes + y.nbytes
    model_bytes = sum(p.nbytes for p, _ in net.parameters())
    status = Path("/proc/self/status")

    def vm(key):
        if not status.exists():
            return None
        for line in status.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
        return None

    rss_reset = False
    try:  # reset the kernel's peak-RSS mark (VmHWM) so it covers only the epoch
        Path("/proc/self/clear_refs").write_text("5")
        rss_reset = True
    except OSError:
        pass
    rss_before = vm("VmRSS")
    current_before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    net.fit(X, y, epochs=1, batch_size=32, verbose=0)
    _, traced_peak = tracemalloc.get_traced_memory()
    result = {
        "n_samples": len(X),
        "data_bytes": data_bytes,
        "model_bytes": model_bytes,
        "traced_before": current_before,
        "traced_peak": traced_peak,
        "rss_before": rss_before,
        "rss_peak": vm("VmHWM") if rss_reset else None,
        "dtype": str(X.dtype),
        "numpy": np.__version__,
    }
    print(json.dumps(result))


def run_memory(args):
    import json
    import subprocess

    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-child",
           "--threads", str(args.threads), "--seed", str(args.seed)]
    if args.quick:
        cmd.append("--quick")
    if args.synthetic:
        cmd.append("--synthetic")
    if args.data_dir:
        cmd += ["--data-dir", args.data_dir]
    if args.neuronal_src:
        cmd += ["--neuronal-src", args.neuronal_src]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"memory subprocess failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine_facts(threads: int):
    import platform
    import subprocess

    import numpy as np

    import neuronal

    where = Path(neuronal.__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head = ""
    facts = {"python": platform.python_version(), "numpy": np.__version__,
             "neuronal": f"commit {head}" if head and where.parent == ROOT / "src" else str(where)}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
        flags = next((line for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("flags")), "")
        facts["simd"] = " ".join(f for f in ("avx2", "fma", "avx512f") if f" {f}" in flags)
    except OSError:
        facts["cpu"] = platform.processor() or "?"
    facts["cores"] = os.cpu_count()
    if hasattr(os, "sched_getaffinity"):
        facts["usable cores"] = len(os.sched_getaffinity(0))
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()
        facts["memory"] = f"{int(mem[1]) / 2**20:.1f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        facts["numpy BLAS"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # older NumPy without mode="dicts"
        facts["numpy BLAS"] = "?"
    try:
        import torch

        facts["torch"] = torch.__version__
        facts["torch threads"] = torch.get_num_threads()
        facts["torch BLAS"] = "MKL" if torch.backends.mkl.is_available() else "not MKL"
    except ImportError:
        facts["torch"] = "not installed"
    try:
        import sklearn

        facts["scikit-learn"] = sklearn.__version__
    except ImportError:
        facts["scikit-learn"] = "not installed"
    try:
        from threadpoolctl import threadpool_info

        facts["thread pools"] = ", ".join(
            f"{p.get('internal_api')}={p.get('num_threads')}" for p in threadpool_info())
    except ImportError:
        pass
    facts["threads requested"] = threads
    return facts


# ----------------------------------------------------------------------------- report


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def run_config(key, args, data, cands_wanted, out):
    import gc
    import statistics
    import time
    import warnings

    shape, hidden, opt, lr, batch = CONFIGS[key]
    (X, y), (Xt, yt) = data
    neu = NeuronalMLP(shape, hidden, opt, lr, batch, args.seed)
    weights = neu.initial_weights()
    cands = [neu]
    if "pytorch" in cands_wanted:
        try:
            cands.append(TorchMLP(weights, hidden, opt, lr, batch, args.threads))
        except ImportError:
            print("  (PyTorch not installed: skipped)", file=sys.stderr)
    if "neuronal-1t" in cands_wanted:
        cands.append(NeuronalOneThread(shape, hidden, opt, lr, batch, args.seed))
    if "sklearn" in cands_wanted:
        try:
            cands.append(SklearnMLP(weights, hidden, opt, lr, batch, X, y))
        except ImportError:
            print("  (scikit-learn not installed: skipped)", file=sys.stderr)
    if "jax" in cands_wanted:
        import jax_mlp

        jax_cands = jax_mlp.make(weights, hidden, opt, lr, batch, len(X))
        if not jax_cands:
            print("  (JAX not installed: skipped)", file=sys.stderr)
        cands += jax_cands
    times = {c.name: [] for c in cands}
    clock = time.perf_counter
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n## {key}: {shape} {hidden}, {opt} {lr:g}, batch {batch} "
          f"(load average {load_before:.2f})", flush=True)
    for epoch in range(args.epochs):
        perm = neu.next_permutation(len(X))
        turn = epoch % len(cands)  # rotate who goes first, so no one always runs on a warm cache
        for c in cands[turn:] + cands[:turn]:
            gc.collect()
            time.sleep(args.settle)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                times[c.name].append(c.train_epoch(X, y, perm, clock))
        print(f"  epoch {epoch + 1}: " + ", ".join(
            f"{c.name} {times[c.name][-1]:.3f}s (loss {c.loss:.4f})" for c in cands), flush=True)
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    result = {"config": key, "shape": shape, "batch": batch, "cands": {},
              "load": (load_before, load_after)}
    for c in cands:
        t = times[c.name]
        res = {"median": statistics.median(t), "min": min(t), "acc": c.accuracy(Xt, yt),
               "loss": c.loss, "all": t}
        res["sps"] = len(X) / res["median"]
        result["cands"][c.name] = res
    if not args.no_latency:
        lat = latency_us({c.name: c.predict_one() for c in cands}, Xt[:1].copy(), args.quick,
                         args.settle)
        for name, (median, best) in lat.items():
            result["cands"][name]["lat_median"], result["cands"][name]["lat_min"] = median, best
    out.append(result)


def report(args, results, peak, memory, facts, n_train):
    lines = []
    cmd = "python benchmarks/bench_mlp.py " + " ".join(sys.argv[1:])
    lines.append(f"Command: `{cmd.strip()}`  ")
    lines.append(f"Training samples per epoch: {n_train:,}; epochs per config: {args.epochs}; "
                 f"threads: {args.threads}  ")
    lines.append("Machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()))
    lines.append("")
    rows = []
    for r in results:
        c = r["cands"]
        base = c["neuronal"]
        for name, res in c.items():
            mine = name == "neuronal"
            ratio_t = (f"**{base['min'] / c['pytorch']['min']:.2f}** (median "
                       f"{base['median'] / c['pytorch']['median']:.2f})"
                       if mine and "pytorch" in c else "")
            ratio_s = (f"{base['min'] / c['sklearn']['min']:.2f} (median "
                       f"{base['median'] / c['sklearn']['median']:.2f})"
                       if mine and "sklearn" in c else "")
            d_acc = f"{100 * (base['acc'] - c['pytorch']['acc']):+.2f}" if (
                mine and "pytorch" in c) else ""
            rows.append((f"{r['config']} (load {r['load'][0]:.1f}-{r['load'][1]:.1f})"
                         if mine else "", name,
                         f"{res['median']:.3f}", f"{res['min']:.3f}",
                         " ".join(f"{t:.2f}" for t in res["all"]), f"{res['sps']:,.0f}",
                         f"{100 * res['acc']:.2f}", d_acc, f"{res['loss']:.4f}", ratio_t,
                         f"<= {TARGETS[r['config']]}" if mine else "", ratio_s))
    lines.append("### Training, seconds per epoch")
    lines.append("")
    lines.append("Ratios compare each candidate's fastest epoch (the least disturbed by other work "
                 "on the machine); the ratio of the medians follows in brackets.")
    lines.append("")
    lines.append(md_table(("config (1-min load average)", "candidate", "s/epoch median",
                           "s/epoch min", "every epoch (s)", "samples/s (median)", "test acc %",
                           "acc - PyTorch (points)", "last train loss", "neuronal/PyTorch",
                           "target", "neuronal/sklearn"), rows))
    lines += ["", "### neuronal against every candidate (fastest epochs; medians in brackets)", ""]
    others = sorted({name for r in results for name in r["cands"] if name != "neuronal"})
    rows = []
    for r in results:
        c = r["cands"]
        mine = c["neuronal"]
        rows.append((r["config"], *(
            f"{mine['min'] / c[o]['min']:.2f} ({mine['median'] / c[o]['median']:.2f})"
            if o in c else "-" for o in others)))
    lines.append(md_table(("config", *(f"neuronal / {o}" for o in others)), rows))
    if not args.no_latency:
        lines += ["", "### Batch-1 prediction latency (predict_proba of one sample), microseconds",
                  "", f"Median of {LATENCY_REPEATS[args.quick][1]} repeats of "
                  f"{LATENCY_REPEATS[args.quick][0]:,} calls (best repeat in brackets); the "
                  "candidates take turns repeat by repeat. The ratio compares best repeats, "
                  "as the training ratios compare fastest epochs; the medians' ratio follows.",
                  ""]
        rows = []
        for r in results:
            c = r["cands"]
            ratio = (f"**{c['neuronal']['lat_min'] / c['pytorch']['lat_min']:.2f}** (median "
                     f"{c['neuronal']['lat_median'] / c['pytorch']['lat_median']:.2f})"
                     if "pytorch" in c else "")
            rows.append((r["config"], *(f"{c[n]['lat_median']:.1f} (min {c[n]['lat_min']:.1f})"
                                        if n in c else "-"
                                        for n in ("neuronal", "pytorch", "sklearn")),
                         ratio, "<= 0.5"))
        lines.append(md_table(("config", "neuronal", "pytorch", "sklearn", "neuronal/PyTorch",
                               "target"), rows))
    lines += ["", "### Matrix-product peak and the floor it implies", ""]
    lines.append(f"float32 {peak['n']}x{peak['n']} @ {peak['n']}x{peak['n']}: NumPy "
                 f"{peak['numpy']:.0f} GFLOP/s" + (f", PyTorch {peak['pytorch']:.0f} GFLOP/s"
                                                  if "pytorch" in peak else "") + ".")
    lines.append("")
    rows = []
    for r in results:
        sizes = [int(s) for s in r["shape"].split("x")]
        fwd, total = flops_per_epoch(sizes, n_train)
        floor = total / (peak["numpy"] * 1e9)
        best = r["cands"]["neuronal"]["min"]
        rows.append((r["config"], f"{total / 1e9:.2f}", f"{1e3 * floor:.0f}",
                     f"{1e3 * best:.0f}", f"{best / floor:.1f}x"))
    lines.append(md_table(("config", "GFLOP/epoch (fwd+bwd)", "floor ms/epoch",
                           "neuronal ms/epoch (fastest)", "neuronal / floor"), rows))
    if memory is not None:
        m = memory
        budget = 1.5 * (m["data_bytes"] + m["model_bytes"])
        MB = 1e6
        lines += ["", "### Peak memory of one neuronal 784x128x10 Adam epoch (batch 32)", ""]
        lines.append(f"Training data {m['data_bytes'] / MB:.1f} MB ({m['dtype']} images + "
                     f"labels, {m['n_samples']:,} samples), model {m['model_bytes'] / MB:.2f} MB; "
                     f"budget 1.5 x (data + model) = {budget / MB:.1f} MB.")
        lines.append("")
        rows = [("tracemalloc (NumPy + Python allocations)", f"{m['traced_before'] / MB:.1f}",
                 f"{m['traced_peak'] / MB:.1f}", f"{m['traced_peak'] / budget:.2f}")]
        if m.get("rss_peak"):
            rows.append(("resident set (VmHWM, includes interpreter and libraries)",
                         f"{m['rss_before'] / MB:.1f}", f"{m['rss_peak'] / MB:.1f}",
                         f"{m['rss_peak'] / budget:.2f}"))
        lines.append(md_table(("measure", "before the epoch MB", "peak during the epoch MB",
                               "peak / budget"), rows))
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    pin_threads(args.threads)
    if "numpy" in sys.modules:  # imported before us (e.g. run in-process): cap the pools anyway
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(args.threads)
        except ImportError:
            pass
    src = Path(args.neuronal_src).resolve() if args.neuronal_src else ROOT / "src"
    if src.is_dir() and str(src) not in sys.path:
        sys.path.insert(0, str(src))
    if args.memory_child:
        memory_child(args)
        return 0

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import conditions

    data = load_data(args)
    facts = machine_facts(args.threads)
    facts["condition"] = "another process spinning on a core" if args.busy else "as found"
    print("Machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    results = []
    with conditions.busy_core() if args.busy else contextlib.nullcontext():
        for key in args.configs:
            run_config(key, args, data, args.candidates, results)
        jobs = run_jobs2(args, data) if args.jobs2 else None
    peak = matmul_peak(args.quick, args.settle)
    memory = None if args.no_memory else run_memory(args)
    print("\n" + report(args, results, peak, memory, facts, len(data[0][0])))
    if jobs:
        print("\n### Two fits side by side (joblib, 2 jobs) against one after the other\n")
        print(md_table(("config", "one after the other s", "side by side s",
                        "side by side / one after the other", "target"),
                       [(k, f"{v['sequential']:.2f}", f"{v['side_by_side']:.2f}",
                         f"**{v['side_by_side'] / v['sequential']:.2f}**", "<= 1.0")
                        for k, v in jobs.items()]))
    return 0


def _fit_job(shape, hidden, opt, lr, batch, epochs, seed, X, y):
    """One training of ``epochs`` epochs with neuronal's defaults; returns its seconds."""
    import time

    import neuronal as nl

    optimizer = nl.SGD(learning_rate=lr) if opt == "sgd" else nl.Adam(learning_rate=lr)
    net = nl.Network.from_shape(shape, hidden=hidden, output="softmax", optimizer=optimizer,
                                seed=seed)
    t0 = time.perf_counter()
    net.fit(X, y, epochs=epochs, batch_size=batch, verbose=0)
    return time.perf_counter() - t0


def run_jobs2(args, data):
    import conditions

    (X, y), _ = data
    out = {}
    for key in args.configs:
        shape, hidden, opt, lr, batch = CONFIGS[key]
        a = (shape, hidden, opt, lr, batch, args.epochs, args.seed, X, y)
        b = (shape, hidden, opt, lr, batch, args.epochs, args.seed + 1, X, y)
        out[key] = conditions.two_jobs(_fit_job, a, b)
        print(f"  {key}: one after the other {out[key]['sequential']:.2f} s, side by side "
              f"{out[key]['side_by_side']:.2f} s", flush=True)
    return out


if __name__ == "__main__":
    sys.exit(main())
