"""Seconds per training epoch on MNIST: neuronal (NumPy) side by side with PyTorch CPU.

Three models, the same architecture, initialisation scheme, optimiser and batch size in both:

* ``lenet``: the LeNet-style CNN of :func:`neuronal.models.lenet`, Adam(0.001), batch 64;
* ``lstm``: the row-by-row LSTM of :func:`neuronal.models.mnist_lstm` (hidden 64),
  Adam(0.002), batch 128;
* ``convnet``: the Keras example ``mnist_convnet`` (:func:`neuronal.models.mnist_convnet`:
  conv 32 3x3, pool, conv 64 3x3, pool, dropout 0.5, dense 10), Adam(0.001), batch 128.

Candidates: ``neuronal`` (``fit`` with its defaults: the engine shares each batch with a
worker process when it pays), ``neuronal-1t`` (one process, NumPy's BLAS on one thread: the
reference of the busy-machine target), ``neuronal-w2`` (``workers=2`` explicitly) and
``torch``. ``--busy`` runs everything while another process spins on a core; ``--jobs2``
also times two neuronal fits side by side (joblib) against one after the other.

Both libraries get the same number of threads (``--threads``, default 2): the BLAS thread
variables are set before NumPy is imported and ``torch.set_num_threads`` is called. Each
round trains one epoch (or ``--batches`` mini-batches, scaled up to a full epoch) with each
library in turn, alternating, and the table reports the fastest round of each, which is the
least disturbed by other work on the machine (and, in its last column, the median rounds).
The neuronal timing is of ``Network.fit`` itself, everything included (shuffling, batching,
progress bookkeeping, the optimiser).

Usage::

    python benchmarks/bench_cnn_lstm.py                      # both models, 2 rounds
    python benchmarks/bench_cnn_lstm.py --model lstm --rounds 3
    python benchmarks/bench_cnn_lstm.py --batches 200        # quicker, extrapolated
    python benchmarks/bench_cnn_lstm.py --markdown table.md  # also write the table

MNIST is read from the data directory (``NEURONAL_DATA``; see ``neuronal.datasets``); with
``--synthetic`` random images of the same shape are used instead (timings only).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time


def _parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=["lenet", "lstm", "convnet", "all"], default="all")
    p.add_argument("--candidates", default="neuronal,neuronal-1t,torch",
                   help="comma-separated subset of neuronal,neuronal-1t,neuronal-w2,torch")
    p.add_argument("--busy", action="store_true",
                   help="another process spins on a core during the whole run")
    p.add_argument("--jobs2", action="store_true",
                   help="also time two neuronal fits side by side (joblib, 2 jobs)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=2, help="alternating rounds per library")
    p.add_argument("--batches", type=int, default=None,
                   help="time this many mini-batches per round and scale to one epoch")
    p.add_argument("--synthetic", action="store_true", help="random data instead of MNIST")
    p.add_argument("--markdown", help="also write the table to this Markdown file")
    return p.parse_args(argv)


ARGS = _parse() if __name__ == "__main__" else None
_THREADS = str(ARGS.threads if ARGS else 2)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _THREADS

import numpy as np  # noqa: E402  (after the thread settings)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
import neuronal as nl  # noqa: E402
from neuronal.models import INPUT_SHAPES, MODELS  # noqa: E402

SETTINGS = {"lenet": {"batch_size": 64, "lr": 0.001}, "lstm": {"batch_size": 128, "lr": 0.002},
            "convnet": {"batch_size": 128, "lr": 0.001}}


def load_data(synthetic: bool):
    if not synthetic:
        try:
            from neuronal.datasets import load_mnist

            (X, y), _ = load_mnist(download=False)
            return X.astype(np.float32), y, "MNIST"
        except Exception as exc:  # no data directory: fall back, and say so
            print(f"(MNIST not available: {exc}; using random images)", file=sys.stderr)
    rng = np.random.default_rng(0)
    return rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000), "random"


def torch_model(name: str):
    import torch
    from torch import nn

    if name == "convnet":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    if name == "lenet":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )

    class RowLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 64, batch_first=True)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            return self.fc(self.lstm(x)[0][:, -1])

    torch.manual_seed(0)
    return RowLSTM()


def time_neuronal(name, X, y, n_samples, workers=None, one_thread=False):
    import contextlib

    from threadpoolctl import threadpool_limits

    s = SETTINGS[name]
    net = MODELS[name](seed=0, optimizer=nl.Adam(s["lr"]))
    limit = threadpool_limits(1, user_api="blas") if one_thread else contextlib.nullcontext()
    with limit:
        t0 = time.perf_counter()
        net.fit(X[:n_samples], y[:n_samples], epochs=1, batch_size=s["batch_size"], verbose=0,
                workers=workers)
        return time.perf_counter() - t0


CANDIDATES = {
    "neuronal": lambda *a: time_neuronal(*a),
    "neuronal-1t": lambda *a: time_neuronal(*a, workers=1, one_thread=True),
    "neuronal-w2": lambda *a: time_neuronal(*a, workers=2),
}


def _job(name, X, y, n_samples):
    """One neuronal epoch with the defaults, for the side-by-side runs."""
    return time_neuronal(name, X, y, n_samples)


def time_torch(name, X, y, n_samples):
    import torch

    s = SETTINGS[name]
    torch.manual_seed(0)
    model = torch_model(name)
    opt = torch.optim.Adam(model.parameters(), lr=s["lr"])
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X[:n_samples]), torch.from_numpy(y[:n_samples])
    t0 = time.perf_counter()
    order = torch.randperm(n_samples)
    bs = s["batch_size"]
    for start in range(0, n_samples, bs):
        idx = order[start : start + bs]
        opt.zero_grad()
        loss = loss_fn(model(Xt[idx]), yt[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def main(args) -> int:
    import torch

    torch.set_num_threads(args.threads)
    import contextlib

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import conditions

    X, y, source = load_data(args.synthetic)
    n = len(X)
    names = ["lenet", "lstm", "convnet"] if args.model == "all" else [args.model]
    wanted = [c.strip() for c in args.candidates.split(",") if c.strip()]
    fns = {c: CANDIDATES.get(c, time_torch) for c in wanted}
    rows, others, jobs = [], [c for c in wanted if c != "neuronal"], {}
    with conditions.busy_core() if args.busy else contextlib.nullcontext():
        for name in names:
            Xm = np.ascontiguousarray(X.reshape(-1, *INPUT_SHAPES[name]))
            bs = SETTINGS[name]["batch_size"]
            n_samples = n if args.batches is None else min(n, args.batches * bs)
            scale = n / n_samples
            times = {c: [] for c in wanted}
            load = conditions.load_average()
            for r in range(args.rounds):
                order = wanted[r % len(wanted):] + wanted[: r % len(wanted)]
                for lib in order:
                    time.sleep(0.3)
                    sec = fns[lib](name, Xm, y, n_samples) * scale
                    times[lib].append(sec)
                    print(f"  {name:7s} round {r + 1}: {lib:12s} {sec:7.2f} s/epoch", flush=True)
            best = {c: min(t) for c, t in times.items()}
            med = {c: float(np.median(t)) for c, t in times.items()}
            rows.append((name, bs, load, best, med))
            if args.jobs2:
                jobs[name] = conditions.two_jobs(_job, (name, Xm, y, n_samples),
                                                 (name, Xm, y, n_samples))

    head = (f"MNIST training epoch ({source} data, {n:,} samples), {args.threads} threads, "
            f"best of {args.rounds} alternating rounds"
            + ("" if args.batches is None else f", {args.batches} batches scaled to an epoch"))
    env = (f"numpy {np.__version__}, torch {torch.__version__}, Python "
           f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    head += " (another process spinning on a core)" if args.busy else ""
    lines = [head, env, "",
             "| model | batch | load | " + " | ".join(f"{c} s/epoch" for c in wanted)
             + " | " + " | ".join(f"neuronal / {c}" for c in others) + " |",
             "|---|---:|---:|" + "---:|" * (len(wanted) + len(others))]
    for name, bs, load, best, med in rows:
        lines.append(f"| {name} | {bs} | {load:.1f} | "
                     + " | ".join(f"{best[c]:.2f} ({med[c]:.2f})" for c in wanted) + " | "
                     + " | ".join(f"**{best['neuronal'] / best[c]:.2f}** "
                                  f"({med['neuronal'] / med[c]:.2f})" for c in others) + " |")
    lines += ["", "Seconds: fastest round (median in brackets); ratios of fastest rounds "
                  "(of medians in brackets)."]
    if jobs:
        lines += ["", "Two neuronal fits side by side (joblib, 2 jobs):", "",
                  "| model | one after the other s | side by side s | ratio |",
                  "|---|---:|---:|---:|"]
        lines += [f"| {k} | {v['sequential']:.2f} | {v['side_by_side']:.2f} | "
                  f"**{v['side_by_side'] / v['sequential']:.2f}** |" for k, v in jobs.items()]
    table = "\n".join(lines)
    print()
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write("# CNN and LSTM training speed: neuronal vs PyTorch CPU\n\n")
            fh.write(f"Command: `python benchmarks/bench_cnn_lstm.py "
                     f"{' '.join(sys.argv[1:])}`\n\n{table}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
