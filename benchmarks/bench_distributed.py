"""Data-parallel training over MPI: seconds per epoch on 1 and 2 ranks, and what N would give.

Three models, batch size 128, Adam, on MNIST:

* ``mlp``: 784x128x10 (ReLU, softmax), Adam(0.001): 101,770 parameters;
* ``lenet``: the LeNet-style CNN of :func:`neuronal.models.lenet`: 61,706 parameters;
* ``lstm``: the row-by-row LSTM of :func:`neuronal.models.mnist_lstm` (hidden 64): 24,714.

For each model and round, the script starts ``mpiexec -n 1`` and ``mpiexec -n 2`` of itself
(``--worker``); every rank trains with ``fit(comm="mpi")`` on the same arrays. Rank 0 reports:

* seconds per epoch (after one warm-up epoch; the fastest round is the least disturbed);
* the time per step spent in the gradient exchange, waiting for the other rank included (in
  the same epoch);
* the exchange alone: ``MPIComm.allreduce`` of the step's buffer (all gradients and the loss)
  and of one number, timed after training, so a latency and a bandwidth;
* on 1 rank, the parts of a step, each the best of many repetitions: the gradient of a share
  of 128, 64, 32 and 16 samples and the optimiser's update of every parameter. A fit of
  ``a + s * b`` (a: the work of a step that does not shrink with the share, the optimiser's
  update above all, which every rank does whole; s: per sample) gives the projected
  efficiency of N ranks.

Scaling efficiency of N ranks = (epoch time of 1 rank) / (N x epoch time of N ranks).

Usage::

    python benchmarks/bench_distributed.py                  # three models, 3 rounds (~4 min)
    python benchmarks/bench_distributed.py --model mlp --rounds 5
    python benchmarks/bench_distributed.py --markdown table.md --save runs.json
    python benchmarks/bench_distributed.py --report runs.json    # the tables again
    python benchmarks/bench_distributed.py --quick          # smoke run (the test suite's)

Needs ``pip install -e .[mpi]`` (mpi4py and MPICH's mpiexec). MNIST comes from the data
directory (``NEURONAL_DATA``); ``--synthetic`` uses random images of MNIST's shape (timings
only). LeNet and the LSTM train on the first ``--samples`` images (default 10,000) to keep a
run short; the MLP on all 60,000.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

BATCH = 128
MODELS = ("mlp", "lenet", "lstm")
#: Networks between machines assumed for the projection: (name, bytes/s, seconds/message).
NETWORKS = [("10 Gb/s Ethernet", 1.1e9, 30e-6), ("100 Gb/s InfiniBand", 11e9, 3e-6)]
PROJECTED_RANKS = (2, 4, 8, 16, 32, 64)


def build(name: str):
    import neuronal as nl
    from neuronal.models import lenet, mnist_lstm

    if name == "mlp":
        return nl.Network.from_shape("784x128x10", hidden="relu", output="softmax",
                                     optimizer=nl.Adam(0.001), seed=0)
    return lenet(seed=0) if name == "lenet" else mnist_lstm(seed=0)


def load(name: str, samples: int | None, synthetic: bool):
    from neuronal.models import INPUT_SHAPES

    if synthetic:
        rng, n = np.random.default_rng(0), samples or 60_000
        X, y = rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)
    else:
        from neuronal.datasets import load_mnist

        (X, y), _ = load_mnist(download=False)
    if samples:
        X, y = X[:samples], y[:samples]
    shape = INPUT_SHAPES.get(name, (784,))
    return np.ascontiguousarray(X.reshape(-1, *shape)), y


# ---------------------------------------------------------------------- one rank of a run


def worker(args) -> None:
    import neuronal as nl
    from neuronal.distributed import world

    comm = world()
    X, y = load(args.worker, args.samples, args.synthetic)
    net = build(args.worker)
    grad_size = net.n_params + 1  # the exchanged buffer: every gradient and the step's loss
    spent = [0.0]
    allreduce = comm.allreduce

    def timed(buffer):  # the gradient exchanges of the steps, waits included
        if buffer.size != grad_size:
            return allreduce(buffer)
        t0 = time.perf_counter()
        allreduce(buffer)
        spent[0] += time.perf_counter() - t0

    comm.allreduce = timed
    marks = []

    class Clock(nl.Callback):
        def on_epoch_end(self, network, epoch, logs):
            marks.append((time.perf_counter(), spent[0]))

    marks.append((time.perf_counter(), 0.0))
    net.fit(X, y, epochs=1 + args.epochs, batch_size=BATCH, verbose=0, comm="mpi",
            callbacks=[Clock()])
    comm.allreduce = allreduce
    times, exchanges = (np.diff(column)[1:] for column in zip(*marks))  # warm-up left out
    steps = -(-len(X) // BATCH)
    result = {"model": args.worker, "ranks": comm.size, "samples": len(X),
              "params": net.n_params, "buffer_bytes": grad_size * 4,
              "epoch_s": [float(t) for t in times],
              "exchange_per_step_s": [float(e) / steps for e in exchanges],
              "allreduce_s": exchange_cost(comm, grad_size),
              "allreduce_1_s": exchange_cost(comm, 1)}
    if comm.size == 1:
        result.update(step_parts(net, X, y))
    if comm.rank == 0:
        print("RESULT " + json.dumps(result), flush=True)


def best_time(call, repeats: int = 10, rounds: int = 7) -> float:
    """Seconds per call of ``call()``: the best of ``rounds`` rounds of ``repeats`` calls."""
    best = np.inf
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeats):
            call()
        best = min(best, (time.perf_counter() - t0) / repeats)
    return best


def step_parts(net, X, y) -> dict:
    """The two parts of a step on one BLAS thread, as the ranks run them: the gradient of a
    share of b samples (forward and backward) and the optimiser's update of every parameter
    (the same on every rank whatever its share)."""
    from neuronal.engine import flat, threads

    Xp, Yp = net._prepare(X[:BATCH], y[:BATCH])[:2]
    with threads.one_blas_thread(), np.errstate(all="ignore"):
        gradient = {str(b): best_time(lambda b=b: net._gradients(Xp[:b], Yp[:b]))
                    for b in (BATCH, BATCH // 2, BATCH // 4, BATCH // 8)}
        update = best_time(flat.FusedStep(net.optimizer, net.parameters()).step, repeats=50)
    return {"gradient_s": gradient, "update_s": update}


def exchange_cost(comm, size: int, repeats: int = 50) -> float:
    """Seconds per allreduce of ``size`` float32 numbers (best of 5 batches)."""
    buffer = np.ones(size, dtype=np.float32)
    best = np.inf
    for _ in range(5):
        comm.broadcast(np.zeros(1))  # start together
        t0 = time.perf_counter()
        for _ in range(repeats):
            comm.allreduce(buffer)
        best = min(best, (time.perf_counter() - t0) / repeats)
    comm.close()
    return best


# ---------------------------------------------------------------------- the driver


def mpiexec() -> str:
    for candidate in (Path(sys.executable).parent / "mpiexec", shutil.which("mpiexec")):
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    sys.exit("mpiexec not found: pip install -e '.[mpi]'")


def launch(model: str, ranks: int, args) -> dict:
    cmd = [mpiexec(), "-n", str(ranks), sys.executable, __file__, "--worker", model,
           "--epochs", str(args.epochs)]
    if args.synthetic:
        cmd.append("--synthetic")
    samples = args.samples if model != "mlp" or args.quick else None
    if model != "mlp" and not samples:
        samples = 10_000
    if samples:
        cmd += ["--samples", str(samples)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "NEURONAL_ENGINE": "fast"})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def step_model(step_s: dict) -> tuple[float, float]:
    """(a, s) of time = a + s * batch, least squares over the measured batch sizes."""
    b = np.array([float(k) for k in step_s])
    t = np.array(list(step_s.values()))
    s, a = np.polyfit(b, t, 1)
    return max(float(a), 0.0), float(s)


def ring_seconds(n: int, nbytes: float, bandwidth: float, latency: float) -> float:
    """A ring allreduce of ``nbytes`` over n ranks: 2 (n-1) messages, 2 (n-1)/n of the bytes
    sent (and received) by every rank."""
    return 0.0 if n == 1 else 2 * (n - 1) * latency + 2 * (n - 1) / n * nbytes / bandwidth


def efficiency(a: float, s: float, batch: float, n: int, exchange: float) -> float:
    """One rank's step time over n times an n-rank step time (compute a + s b, exchange)."""
    return (a + s * batch) / (n * (a + s * batch / n + exchange))


def batch_for(a: float, s: float, n: int, exchange: float, target: float = 0.8) -> float:
    """The smallest batch with efficiency >= target on n ranks (see efficiency)."""
    return max(0.0, ((target * n - 1) * a + target * n * exchange) / ((1 - target) * s))


def report(results: dict, args) -> str:
    out = [f"Batch size {BATCH}; {args.rounds} round(s); epochs timed after a warm-up, best "
           f"round shown (median in brackets). Load averages: {', '.join(LOADS)}.", ""]
    out += ["### Seconds per epoch and scaling efficiency", "",
            "| model | samples/epoch | 1 rank | 2 ranks | speed-up | efficiency | 2 ranks, per "
            "step: exchange (waits included) / the rest | step buffer |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for model, runs in results.items():
        one = [min(r["epoch_s"]) for r in runs[1]]
        two = [min(r["epoch_s"]) for r in runs[2]]
        r2 = runs[2][int(np.argmin(two))]
        best = int(np.argmin(r2["epoch_s"]))
        steps, exchange = -(-r2["samples"] // BATCH), r2["exchange_per_step_s"][best]
        speed = min(one) / min(two)
        out.append(f"| {model} | {runs[1][0]['samples']:,} | {min(one):.2f} s "
                   f"({np.median(one):.2f}) | {min(two):.2f} s ({np.median(two):.2f}) | "
                   f"{speed:.2f}x | {speed / 2:.0%} | {exchange * 1e3:.2f} ms / "
                   f"{(min(r2['epoch_s']) / steps - exchange) * 1e3:.2f} ms "
                   f"| {r2['buffer_bytes'] / 1024:.0f} KiB |")
    out += ["", "### The step, measured (1 rank, best of all rounds) and the exchange (2 "
            "ranks, this machine)", "",
            "| model | gradient of a share of 128 / 64 / 32 / 16 | optimiser update | rest of "
            "the step | a (fixed per step) | s (per sample) | allreduce of the step buffer | "
            "of 1 number | model's 2-rank efficiency here |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    fits = {}
    for model, runs in results.items():
        gradient = {b: min(r["gradient_s"][b] for r in runs[1]) for b in runs[1][0]["gradient_s"]}
        update = min(r["update_s"] for r in runs[1])
        a, s = step_model(gradient)
        # the rest of a 1-rank step (gathering the batch, bookkeeping), also per step
        step = min(min(r["epoch_s"]) for r in runs[1]) / -(-runs[1][0]["samples"] // BATCH)
        rest = max(0.0, step - gradient[str(BATCH)] - update)
        a += update + rest
        fits[model] = (a, s)
        ar = min(r["allreduce_s"] for r in runs[2])
        ar1 = min(r["allreduce_1_s"] for r in runs[2])
        shares = " / ".join(f"{t * 1e3:.2f}" for t in gradient.values())
        out.append(f"| {model} | {shares} ms | {update * 1e3:.2f} ms | {rest * 1e3:.2f} ms | "
                   f"{a * 1e3:.2f} ms | {s * 1e6:.1f} us | {ar * 1e6:.0f} us | "
                   f"{ar1 * 1e6:.1f} us | {efficiency(a, s, BATCH, 2, ar):.0%} |")
    for net_name, bandwidth, latency in NETWORKS:
        out += ["", f"### Projection: N machines (one rank each) on {net_name} "
                f"({bandwidth / 1e9:.1f} GB/s, {latency * 1e6:.0f} us per message)", "",
                "Efficiency at batch 128 / the batch size for 80% efficiency (per rank).", "",
                "| model | " + " | ".join(f"N={n}" for n in PROJECTED_RANKS) + " |",
                "|---|" + "---:|" * len(PROJECTED_RANKS)]
        for model, runs in results.items():
            a, s = fits[model]
            nbytes = runs[2][0]["buffer_bytes"]
            cells = []
            for n in PROJECTED_RANKS:
                c = ring_seconds(n, nbytes, bandwidth, latency)
                need = batch_for(a, s, n, c)
                cells.append(f"{efficiency(a, s, BATCH, n, c):.0%} / {need:,.0f} "
                             f"({need / n:,.0f})")
            out.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(out)


LOADS: list[str] = []


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=[*MODELS, "all"], default="all")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=2, help="timed epochs per run")
    p.add_argument("--samples", type=int, default=None,
                   help="training images for LeNet and the LSTM (default 10,000)")
    p.add_argument("--synthetic", action="store_true", help="random data instead of MNIST")
    p.add_argument("--quick", action="store_true", help="smoke run: 512 samples, 1 round")
    p.add_argument("--markdown", help="also write the tables to this Markdown file")
    p.add_argument("--save", help="also write the measurements to this JSON file")
    p.add_argument("--report", help="only print the tables of measurements saved by --save")
    p.add_argument("--worker", choices=MODELS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.samples, args.rounds, args.epochs = 512, 1, 1
    if args.worker:
        return worker(args)
    if args.report:
        saved = json.loads(Path(args.report).read_text())
        LOADS[:] = saved["loads"]
        args.rounds = saved["rounds"]
        results = {m: {int(k): v for k, v in runs.items()} for m, runs in saved["results"].items()}
        return print(report(results, args))
    models = MODELS if args.model == "all" else (args.model,)
    results = {m: {1: [], 2: []} for m in models}
    for round_ in range(args.rounds):
        for model in models:
            for ranks in (1, 2):
                LOADS.append(load_average())
                results[model][ranks].append(launch(model, ranks, args))
                print(f"round {round_ + 1} {model} {ranks} rank(s): "
                      f"{min(results[model][ranks][-1]['epoch_s']):.2f} s/epoch "
                      f"(load {LOADS[-1]})", flush=True)
    LOADS[:] = [LOADS[0], LOADS[-1]]
    if args.save:
        Path(args.save).write_text(json.dumps({"loads": LOADS, "rounds": args.rounds,
                                               "results": results}))
    table = report(results, args)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")


if __name__ == "__main__":
    main()
