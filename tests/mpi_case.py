"""One training case, run by every rank of ``mpiexec -n N python tests/mpi_case.py SPEC OUT``
(tests/test_distributed.py), and the same case in one process for the comparison.

SPEC is JSON: model ("mlp", "wide", "lenet", "lstm"), dtype, n (samples), epochs, batch_size,
shards (sample numbers where each rank's shard starts, plus the end: each rank passes its own
shard; absent: every rank passes all the data), weights (sample weights), validation,
checkpoint (a path with {rank} in it), resume, and a failure to stage (see FAILURES). Rank 0
writes the trained weights and the history to OUT (.npz); every rank prints one line per
event so the test can read what happened.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

import neuronal as nl
from neuronal.models import lenet, mnist_lstm

SHAPES = {"mlp": (8,), "dropout": (8,), "wide": (64,), "lenet": (1, 28, 28), "lstm": (28, 28)}


def build(spec: dict) -> nl.Network:
    model, dtype = spec["model"], spec.get("dtype", "float64")
    if model == "mlp":
        return nl.Network.from_shape("8x6x3", hidden="tanh", optimizer=nl.Adam(0.01), seed=0,
                                     dtype=dtype)
    if model == "dropout":
        return nl.Network([nl.Dense(8, 16, activation="relu"), nl.Dropout(0.3),
                           nl.Dense(16, 3, activation="softmax")], optimizer=nl.Adam(0.01),
                          seed=0, dtype=dtype)
    if model == "wide":  # gradients of 9,610 numbers: the segmented allreduce with 3 ranks
        return nl.Network.from_shape("64x128x10", hidden="relu", optimizer=nl.SGD(
            0.05, momentum=0.9), seed=0, dtype=dtype)
    net = lenet(seed=0) if model == "lenet" else mnist_lstm(seed=0, hidden=16)
    return net.copy(dtype=dtype)


def data(spec: dict):
    """(X, y, sample weights or None, validation or None): all of it, as one process sees it."""
    rng = np.random.default_rng(spec.get("data_seed", 0))
    n, shape = spec.get("n", 96), SHAPES[spec["model"]]
    k = 3 if spec["model"] in ("mlp", "dropout") else 10
    X = rng.standard_normal((n, *shape)).astype(spec.get("dtype", "float64"))
    y = rng.integers(0, k, n)
    w = rng.random(n) + 0.1 if spec.get("weights") else None
    val = (X[: n // 3] * 0.5, y[: n // 3]) if spec.get("validation") else None
    return X, y, w, val


def fit_kwargs(spec: dict) -> dict:
    return {"epochs": spec.get("epochs", 2), "batch_size": spec.get("batch_size", 32),
            "verbose": 1}


def one_process(spec: dict):
    """The case in this process: (network, history), with the shards put end to end."""
    X, y, w, val = data(spec)
    net = build(spec)
    if spec.get("shards") and val is not None:
        val = _shard_validation(spec, val, None)
    history = net.fit(X, y, sample_weight=w, validation_data=val,
                      **{**fit_kwargs(spec), "verbose": 0})
    return net, history


def _shard_validation(spec, val, rank):
    """Rank ``rank``'s validation rows in shard mode (all ranks' rows in order for None)."""
    cuts = spec["shards"]
    nv = len(val[0])
    edges = [c * nv // cuts[-1] for c in cuts]
    if rank is None:
        return val
    part = slice(edges[rank], edges[rank + 1])
    return val[0][part], val[1][part]


class Fail(nl.Callback):
    """Raises on one rank after an epoch (a full disk on rank 0, say)."""

    def __init__(self, rank, epoch, error):
        self.rank, self.epoch, self.error = rank, epoch, error

    def on_epoch_end(self, network, epoch, logs):
        from neuronal.distributed import world

        if world().rank == self.rank and epoch == self.epoch:
            raise self.error


class StopOnRank0(nl.Callback):
    """Stops training on rank 0 only: callbacks that disagree."""

    def on_epoch_end(self, network, epoch, logs):
        from neuronal.distributed import world

        if world().rank == 0:
            network.stop_training = True


def stage_failure(spec: dict, net: nl.Network, rank: int, X, y):
    """Arrange the failure the spec asks for; returns (X, y, callbacks)."""
    failure = spec.get("fail")
    callbacks = []
    if failure == "bad-labels" and rank == 1:  # a DataError before any exchange
        y = y.copy()
        y[3] = 99
    elif failure in ("step-error", "killed") and rank == 1:
        original, calls = net._gradients, [0]

        def gradients(*args, **kwargs):
            calls[0] += 1
            if failure == "killed" and calls[0] == 3:
                print(f"rank 1 pid {os.getpid()} in step {calls[0]}", flush=True)
            if failure == "killed" and calls[0] >= 3:
                time.sleep(0.2)  # slow enough to be killed mid-epoch by the test
            if failure == "step-error" and calls[0] == 5:
                raise RuntimeError("a step failed on purpose")
            return original(*args, **kwargs)

        net._gradients = gradients
    elif failure == "callback-error":
        callbacks.append(Fail(0, 0, OSError("no space left on device")))
    elif failure == "interrupt":
        callbacks.append(Fail(0, spec["interrupt_after"], KeyboardInterrupt()))
    elif failure == "stop-on-rank-0":
        callbacks.append(StopOnRank0())
    elif failure == "diverge":
        net.optimizer.learning_rate = 1e9
    elif failure == "different-data" and rank == 1:
        X = X[::-1].copy()
    return X, y, callbacks


def main(spec: dict, out: str) -> None:
    from neuronal.distributed import MPIComm, world

    comm = MPIComm(sharded=True) if spec.get("shards") else "mpi"
    rank = world().rank
    X, y, w, val = data(spec)
    if spec.get("shards"):
        part = slice(spec["shards"][rank], spec["shards"][rank + 1])
        X, y, w = X[part], y[part], None if w is None else w[part]
        val = None if val is None else _shard_validation(spec, val, rank)
    net = build(spec)
    X, y, callbacks = stage_failure(spec, net, rank, X, y)
    kwargs = fit_kwargs(spec)
    if spec.get("fail") == "batch-size" and rank == 1:
        kwargs["batch_size"] += 1
    if spec.get("fail") == "validation-on-rank-0" and rank == 1:
        val = None
    checkpoint = spec.get("checkpoint")
    try:
        history = net.fit(X, y, sample_weight=w, validation_data=val, callbacks=callbacks,
                          checkpoint=None if checkpoint is None else checkpoint.format(rank=rank),
                          resume=spec.get("resume", False), comm=comm, **kwargs)
    except BaseException as exc:
        print(f"rank {rank} error {type(exc).__name__}: {exc}", flush=True)
        sys.exit(3)
    if rank == 0:
        arrays = {f"{i}.{k}": v for i, w_ in enumerate(net.get_weights()) for k, v in w_.items()}
        np.savez(out, history=json.dumps(history.history), **arrays)
    print(f"rank {rank} done", flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]), sys.argv[2])
