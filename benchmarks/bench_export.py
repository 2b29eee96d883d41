"""Prediction time: ONNX Runtime running an exported model against ``net.predict_proba``.

Two networks, each exported with ``nl.export_onnx`` and run by ONNX Runtime's CPU provider
on the same float32 inputs (MNIST test images, or random ones with ``--synthetic``):

* ``mlp``: 784x128x10, ReLU hidden layer, softmax output (101,770 parameters);
* ``lenet``: :func:`neuronal.models.lenet` (61,706 parameters), images (N, 1, 28, 28).

For batch 1 and batch 1,000 each candidate runs ``--repeats`` repeats of a fixed number of
calls, the two candidates taking turns repeat by repeat in one process (who goes first
alternates), and the table gives the time per call of the fastest and the median repeat and
the ratio neuronal / ONNX Runtime of each (above 1: ONNX Runtime is faster).

Threads: ``--threads N`` (default 2) sets the BLAS thread variables before NumPy is imported
and gives ONNX Runtime ``intra_op_num_threads=N`` and ``inter_op_num_threads=1`` (its
sequential executor). ``--ort-defaults`` leaves ONNX Runtime's session options at their
defaults instead (one intra-op thread per physical core). Graph optimisations are ONNX
Runtime's default (all).

Usage::

    python benchmarks/bench_export.py                    # both models, batches 1 and 1000
    python benchmarks/bench_export.py --models lenet --repeats 9
    python benchmarks/bench_export.py --quick            # smoke run: 2 short repeats
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time


def _parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="mlp,lenet", help="comma-separated: mlp, lenet")
    p.add_argument("--batches", default="1,1000", help="comma-separated batch sizes")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--ort-defaults", action="store_true",
                   help="ONNX Runtime's default session options (threads included)")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--seconds", type=float, default=0.3,
                   help="target duration of one repeat (sets the calls per repeat)")
    p.add_argument("--synthetic", action="store_true", help="random images instead of MNIST")
    p.add_argument("--quick", action="store_true", help="2 repeats of ~0.02 s (smoke run)")
    p.add_argument("--markdown", help="also write the table to this Markdown file")
    return p.parse_args(argv)


ARGS = _parse() if __name__ == "__main__" else None
_THREADS = str(ARGS.threads if ARGS else 2)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _THREADS

import numpy as np  # noqa: E402  (after the thread settings)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
import neuronal as nl  # noqa: E402
from neuronal.models import lenet  # noqa: E402


def build(name: str):
    if name == "mlp":
        return nl.Network.from_shape("784x128x10", hidden="relu", seed=0), (784,)
    if name == "lenet":
        return lenet(seed=0), (1, 28, 28)
    raise SystemExit(f"unknown model {name!r}: use mlp or lenet")


def test_images(n: int, synthetic: bool):
    if not synthetic:
        try:
            from neuronal.datasets import load_mnist

            _, (X, _) = load_mnist(download=False)
            return np.ascontiguousarray(X[:n], dtype=np.float32), "MNIST test images"
        except Exception as exc:  # no data directory: fall back, and say so
            print(f"(MNIST not available: {exc}; using random images)", file=sys.stderr)
    return np.random.default_rng(0).random((n, 784), dtype=np.float32), "random images"


def session(model, args):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if not args.ort_defaults:
        opts.intra_op_num_threads = args.threads
        opts.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])


def repeats(candidates: dict, args) -> dict:
    """Per-call seconds of each repeat of each candidate, taking turns repeat by repeat."""
    seconds = 0.02 if args.quick else args.seconds
    n_repeats = 2 if args.quick else args.repeats
    calls = {}
    for name, fn in candidates.items():  # warm up, and size a repeat to ~`seconds`
        fn()
        t = time.perf_counter()
        fn()
        calls[name] = max(1, int(seconds / max(time.perf_counter() - t, 1e-7)))
    times = {name: [] for name in candidates}
    names = list(candidates)
    for r in range(n_repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn, k = candidates[name], calls[name]
            t = time.perf_counter()
            for _ in range(k):
                fn()
            times[name].append((time.perf_counter() - t) / k)
    return times


def _fmt(s: float) -> str:
    return f"{s * 1e6:,.1f} us" if s < 1e-3 else f"{s * 1e3:,.2f} ms"


def main(args) -> str:
    import onnxruntime as ort

    rows = ["| model | batch | neuronal best (median) | ONNX Runtime best (median) | "
            "neuronal / ORT best (median) | max abs diff |",
            "|---|---:|---:|---:|---:|---:|"]
    batches = [int(b) for b in args.batches.split(",")]
    images, source = test_images(max(batches), args.synthetic)
    for name in args.models.split(","):
        net, shape = build(name)
        sess = session(nl.export_onnx(net, None), args)
        for b in batches:
            X = np.ascontiguousarray(images[:b].reshape(b, *shape))
            diff = float(np.abs(sess.run(None, {"input": X})[0] - net.predict_proba(X)).max())
            times = repeats({"neuronal": lambda X=X, net=net: net.predict_proba(X),
                             "onnxruntime": lambda X=X, s=sess: s.run(None, {"input": X})},
                            args)
            ours, theirs = times["neuronal"], times["onnxruntime"]
            best = min(ours) / min(theirs)
            median = statistics.median(ours) / statistics.median(theirs)
            rows.append(f"| {name} | {b:,} | {_fmt(min(ours))} ({_fmt(statistics.median(ours))})"
                        f" | {_fmt(min(theirs))} ({_fmt(statistics.median(theirs))}) | "
                        f"{best:.2f} ({median:.2f}) | {diff:.1e} |")
    threads = ("ONNX Runtime default session options" if args.ort_defaults else
               f"ONNX Runtime intra_op_num_threads={args.threads}, inter_op_num_threads=1")
    head = [
        f"neuronal {nl.__version__}, onnxruntime {ort.__version__}, NumPy {np.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}",
        f"inputs: {source}; {args.threads} BLAS threads; {threads}; "
        f"{2 if args.quick else args.repeats} repeats, taking turns; time per call",
        "",
    ]
    return "\n".join(head + rows)


if __name__ == "__main__":
    table = main(ARGS)
    print(table)
    if ARGS.markdown:
        with open(ARGS.markdown, "w") as f:
            f.write(table + "\n")
