"""Seconds per training epoch on MNIST: neuronal (NumPy) side by side with PyTorch CPU.

Two models, the same architecture, initialisation scheme, optimiser and batch size in both:

* ``lenet``: the LeNet-style CNN of :func:`neuronal.models.lenet`, Adam(0.001), batch 64;
* ``lstm``: the row-by-row LSTM of :func:`neuronal.models.mnist_lstm` (hidden 64),
  Adam(0.002), batch 128.

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
    p.add_argument("--model", choices=["lenet", "lstm", "both"], default="both")
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

SETTINGS = {"lenet": {"batch_size": 64, "lr": 0.001}, "lstm": {"batch_size": 128, "lr": 0.002}}


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


def time_neuronal(name, X, y, n_samples):
    s = SETTINGS[name]
    net = MODELS[name](seed=0, optimizer=nl.Adam(s["lr"]))
    t0 = time.perf_counter()
    net.fit(X[:n_samples], y[:n_samples], epochs=1, batch_size=s["batch_size"], verbose=0)
    return time.perf_counter() - t0


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
    X, y, source = load_data(args.synthetic)
    n = len(X)
    names = ["lenet", "lstm"] if args.model == "both" else [args.model]
    rows = []
    for name in names:
        Xm = np.ascontiguousarray(X.reshape(-1, *INPUT_SHAPES[name]))
        bs = SETTINGS[name]["batch_size"]
        n_samples = n if args.batches is None else min(n, args.batches * bs)
        scale = n / n_samples
        times = {"neuronal": [], "torch": []}
        for r in range(args.rounds):
            for lib, fn in (("neuronal", time_neuronal), ("torch", time_torch)):
                sec = fn(name, Xm, y, n_samples) * scale
                times[lib].append(sec)
                print(f"  {name:5s} round {r + 1}: {lib:8s} {sec:7.2f} s/epoch", flush=True)
        a, b = min(times["neuronal"]), min(times["torch"])
        rows.append((name, bs, a, b, a / b, float(np.median(times["neuronal"])),
                     float(np.median(times["torch"]))))

    head = (f"MNIST training epoch ({source} data, {n:,} samples), {args.threads} threads, "
            f"best of {args.rounds} alternating rounds"
            + ("" if args.batches is None else f", {args.batches} batches scaled to an epoch"))
    env = (f"numpy {np.__version__}, torch {torch.__version__}, Python "
           f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    lines = [head, env, "",
             "| model | batch | neuronal s/epoch | torch s/epoch | ratio (neuronal / torch) "
             "| median neuronal / torch |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, bs, a, b, ratio, med_a, med_b in rows:
        lines.append(f"| {name} | {bs} | {a:.2f} | {b:.2f} | {ratio:.2f}x "
                     f"| {med_a:.2f} / {med_b:.2f} |")
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
