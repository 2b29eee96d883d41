"""Training over MPI (neuronal.distributed): ``mpiexec -n 2`` (or 3, 4) launched from here.

N ranks must train like one process (float64 within 1e-10, float32 within 1e-5), with either
data mode; add up in rank order, identically on every rank; print and checkpoint on rank 0
alone and resume exactly; and end every rank, never hang, when one rank fails or is killed
(each run is bounded by a timeout). The test extra installs mpi4py and MPICH's mpiexec, so
these tests run wherever the test suite does.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from mpi_case import one_process

import neuronal as nl

HERE = Path(__file__).resolve().parent
CASE = HERE / "mpi_case.py"
TIMEOUT = 180


def find_mpiexec() -> str:
    for candidate in (Path(sys.executable).parent / "mpiexec", shutil.which("mpiexec")):
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.fail("mpiexec not found: pip install 'neuronal[mpi]' (the test extra installs it)")


def mpiexec(ranks: int, *args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    assert 1 <= ranks <= 4, ranks  # this is a small machine
    env = {**os.environ, "NEURONAL_ENGINE": "fast"}
    return subprocess.run([find_mpiexec(), "-n", str(ranks), *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=HERE.parent)


def run_case(folder: Path, ranks: int = 2, **spec):
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "out.npz"
    result = mpiexec(ranks, sys.executable, str(CASE), json.dumps(spec), str(out))
    return result, out


def loaded(out: Path):
    with np.load(out) as z:
        history = json.loads(str(z["history"]))
        weights = {k: z[k] for k in z.files if k != "history"}
    return weights, history


def weights_of(net):
    return {f"{i}.{k}": v for i, w in enumerate(net.get_weights()) for k, v in w.items()}


def biggest_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float(np.abs(a[k] - b[k]).max() / (np.abs(b[k]).max() + 1e-30)) for k in a)


def said(result) -> str:
    return result.stdout + result.stderr


def check_like_one_process(folder, tolerance, ranks=2, **spec):
    result, out = run_case(folder, ranks, **spec)
    assert result.returncode == 0, said(result)[-3000:]
    weights, history = loaded(out)
    net, expected = one_process(spec)
    assert biggest_difference(weights, weights_of(net)) <= tolerance
    assert history.keys() == expected.history.keys()
    for key, values in expected.history.items():
        np.testing.assert_allclose(history[key], values, rtol=tolerance, atol=tolerance)
    return result, weights


# ---------------------------------------------------------------------- N ranks = one process


@pytest.mark.parametrize("model", ["mlp", "lenet", "lstm"])
def test_two_ranks_train_like_one_process_float64(tmp_path, model):
    """After two epochs (an uneven last batch, validation data) the weights, losses,
    accuracies and validation metrics of 2 ranks are one process's, to 1e-10."""
    spec = {"model": model, "dtype": "float64", "n": 256 if model == "mlp" else 80,
            "batch_size": 30, "epochs": 2, "validation": True}
    result, _ = check_like_one_process(tmp_path, 1e-10, **spec)
    out = said(result)
    assert out.count("epoch 1/2") == 1 and out.count("epoch 2/2") == 1  # rank 0 alone prints
    assert "rank 0 done" in out and "rank 1 done" in out


@pytest.mark.parametrize("model", ["mlp", "lenet", "lstm"])
def test_two_ranks_train_like_one_process_float32(tmp_path, model):
    spec = {"model": model, "dtype": "float32", "n": 256 if model == "mlp" else 80,
            "batch_size": 32, "epochs": 2}
    check_like_one_process(tmp_path, 1e-5, **spec)


def test_two_ranks_give_the_numbers_of_the_local_worker_pair(tmp_path):
    """Same shares, same one-thread products, same a + b: bit for bit fit(workers=2)."""
    spec = {"model": "mlp", "dtype": "float32", "n": 256, "batch_size": 30, "epochs": 2}
    result, out = run_case(tmp_path, **spec)
    assert result.returncode == 0, said(result)[-3000:]
    from mpi_case import build, data

    X, y, _, _ = data(spec)
    pair = build(spec)
    with nl.use_engine("fast"):
        pair.fit(X, y, epochs=2, batch_size=30, verbose=0, workers=2)
    weights, _ = loaded(out)
    mine = weights_of(pair)
    assert all(np.array_equal(weights[k], mine[k]) for k in mine)


def test_three_uneven_shards_with_sample_weights_train_like_one_process(tmp_path):
    """Each rank passes its own shard (37, 113 and 50 samples) and validation shard: the run
    is one process's on the shards end to end; 9,610 gradients take the segmented sum."""
    spec = {"model": "wide", "dtype": "float64", "n": 200, "shards": [0, 37, 150, 200],
            "weights": True, "validation": True, "batch_size": 24, "epochs": 2}
    check_like_one_process(tmp_path, 1e-10, ranks=3, **spec)


def test_dropout_over_mpi_draws_the_masks_of_one_process(tmp_path):
    spec = {"model": "dropout", "dtype": "float64", "n": 200, "batch_size": 30, "epochs": 2}
    check_like_one_process(tmp_path, 1e-10, **spec)


def test_dropout_with_shards_is_refused(tmp_path):
    spec = {"model": "dropout", "n": 80, "shards": [0, 30, 80]}
    result, _ = run_case(tmp_path, **spec)
    assert result.returncode != 0
    for rank in (0, 1):
        assert f"rank {rank} error NeuronalError: Dropout draws from the whole batch" in \
            result.stdout, said(result)[-3000:]


ALLREDUCE = """
import numpy as np
from mpi4py import MPI
from neuronal.distributed import MPIComm
comm = MPIComm()
for n in (1, 3, 1000, 40_000):
    for dtype in (np.float32, np.float64):
        rng = np.random.default_rng(comm.rank)
        mine = (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 6, n)).astype(dtype)
        summed = mine.copy()
        comm.allreduce(summed)
        everyone = MPI.COMM_WORLD.allgather(mine)
        in_order = everyone[0]
        for other in everyone[1:]:
            in_order = in_order + other
        results = MPI.COMM_WORLD.allgather(summed)
        assert np.array_equal(summed, in_order), (n, dtype)
        assert all(np.array_equal(r, summed) for r in results), (n, dtype)
comm.close()
done = MPI.COMM_WORLD.gather(comm.rank)
if comm.rank == 0:
    print("exact on ranks", *done)
"""


@pytest.mark.parametrize("ranks", [2, 3, 4])
def test_allreduce_adds_in_rank_order_identically_on_every_rank(ranks):
    result = mpiexec(ranks, sys.executable, "-c", ALLREDUCE)
    assert result.returncode == 0, said(result)[-3000:]
    assert result.stdout.split() == ["exact", "on", "ranks", *map(str, range(ranks))]


# ---------------------------------------------------------------------- rank 0 writes, resumes


def test_checkpoints_on_rank_0_only_and_resume_equals_the_uninterrupted_run(tmp_path):
    spec = {"model": "mlp", "dtype": "float64", "n": 128, "batch_size": 16, "epochs": 3}
    whole = tmp_path / "whole"
    result, out = run_case(whole, **spec, checkpoint=str(whole / "run{rank}.ckpt"))
    assert result.returncode == 0, said(result)[-3000:]
    uninterrupted, _ = loaded(out)
    assert (whole / "run0.ckpt").exists() and not (whole / "run1.ckpt").exists()

    parts = tmp_path / "parts"
    ckpt = str(parts / "run{rank}.ckpt")
    result, _ = run_case(parts, **spec, checkpoint=ckpt, fail="interrupt", interrupt_after=1)
    assert result.returncode != 0
    assert "rank 0 error KeyboardInterrupt" in result.stdout
    assert "rank 1 error RankFailedError: rank 0 failed: KeyboardInterrupt" in result.stdout
    probe = nl.Network.from_shape("8x6x3", hidden="tanh", optimizer=nl.Adam(0.01),
                                  dtype="float64")
    nl.io.load_checkpoint(probe, parts / "run0.ckpt")
    assert probe.epochs_trained == 2
    result, out = run_case(parts, **spec, checkpoint=ckpt, resume=True)
    assert result.returncode == 0, said(result)[-3000:]
    resumed, history = loaded(out)
    assert len(history["loss"]) == 1 and said(result).count("epoch 3/3") == 1
    assert all(np.array_equal(resumed[k], uninterrupted[k]) for k in uninterrupted)


# ---------------------------------------------------------------------- failures end every rank

FAILURES = [
    ("bad-labels", {"shards": [0, 40, 80]}, "rank 1 error DataError",
     "rank 0 error RankFailedError: rank 1 failed: DataError"),
    ("step-error", {}, "rank 1 error RuntimeError: a step failed on purpose",
     "rank 0 error RankFailedError: rank 1 failed: RuntimeError: a step failed on purpose"),
    ("callback-error", {}, "rank 0 error OSError: no space left on device",
     "rank 1 error RankFailedError: rank 0 failed: OSError: no space left on device"),
    ("diverge", {}, "rank 0 error TrainingDivergedError", "rank 1 error TrainingDivergedError"),
    ("different-data", {}, "rank 0 error DataError: rank(s) 1 passed different data",
     "rank 1 error DataError: rank(s) 1 passed different data"),
    ("batch-size", {}, "rank 0 error DataError: rank(s) 1 passed different data or batch size",
     "rank 1 error DataError: rank(s) 1 passed different data or batch size"),
    ("validation-on-rank-0", {"validation": True},
     "rank 1 error NeuronalError: give fit validation data on every rank or on none",
     "rank 0 error RankFailedError: rank 1 failed: NeuronalError: give fit validation data"),
    ("stop-on-rank-0", {"epochs": 3},
     "rank 0 error NeuronalError: rank 0 ended training while rank(s) 1 went on",
     "rank 1 error NeuronalError: rank 0 ended training while rank(s) 1 went on"),
]


@pytest.mark.parametrize("failure,extra,first,second", FAILURES, ids=[f[0] for f in FAILURES])
def test_an_error_on_one_rank_ends_every_rank_with_a_message_naming_it(tmp_path, failure,
                                                                        extra, first, second):
    spec = {"model": "mlp", "dtype": "float64", "n": 80, "batch_size": 8, "fail": failure,
            **extra}
    result, _ = run_case(tmp_path, **spec)  # bounded by TIMEOUT: a hang fails the test
    assert result.returncode != 0
    assert first in result.stdout and second in result.stdout, said(result)[-3000:]
    assert "done" not in result.stdout


def test_a_killed_rank_ends_the_job_mid_epoch(tmp_path):
    """SIGKILL to rank 1 in the middle of an epoch: mpiexec ends every rank (no hang) and
    names the killed process by its pid."""
    spec = {"model": "mlp", "dtype": "float64", "n": 96, "batch_size": 8, "fail": "killed"}
    out = tmp_path / "out.npz"
    job = subprocess.Popen([find_mpiexec(), "-n", "2", sys.executable, str(CASE),
                            json.dumps(spec), str(out)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, cwd=HERE.parent,
                           env={**os.environ, "NEURONAL_ENGINE": "fast"})
    try:
        lines = []
        for line in job.stdout:
            lines.append(line)
            if line.startswith("rank 1 pid"):
                pid = int(line.split()[3])
                os.kill(pid, signal.SIGKILL)
                break
        else:
            pytest.fail("rank 1 never reached step 3: " + "".join(lines))
        rest, _ = job.communicate(timeout=60)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    assert job.returncode != 0
    assert f"PID {pid}" in rest and "Killed" in rest, rest
    assert "done" not in rest and not out.exists()


# ---------------------------------------------------------------------- the command line


def test_mpiexec_neuronal_train_trains_like_one_process_and_saves_one_model(tmp_path):
    neuronal = str(Path(sys.executable).parent / "neuronal")
    args = ["train", "digits", "--shape", "64x32x10", "--hidden", "relu", "--epochs", "2",
            "--batch-size", "50", "--optimizer", "adam", "--learning-rate", "0.01",
            "--dtype", "float64"]
    result = mpiexec(2, neuronal, *args, "--out", str(tmp_path / "two.safetensors"))
    assert result.returncode == 0, said(result)[-3000:]
    alone = subprocess.run([neuronal, *args, "--out", str(tmp_path / "one.safetensors")],
                           capture_output=True, text=True, timeout=TIMEOUT)
    assert alone.returncode == 0, said(alone)[-3000:]
    assert "data-parallel training over 2 MPI ranks (rank 0: pid" in result.stdout
    for line in ("epoch 2/2", "test accuracy", "model saved"):
        assert result.stdout.count(line) == 1, result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.safetensors", "two.safetensors"]
    two, one = nl.load(tmp_path / "two.safetensors"), nl.load(tmp_path / "one.safetensors")
    assert biggest_difference(weights_of(two), weights_of(one)) <= 1e-10


def test_command_line_errors_name_the_rank():
    neuronal = str(Path(sys.executable).parent / "neuronal")
    result = mpiexec(2, neuronal, "train", "xor", "--shape", "3x3x1")
    assert result.returncode != 0
    for rank in (0, 1):
        assert f"neuronal: error: rank {rank}: --shape 3x3x1 starts with 3 inputs" in \
            result.stderr, result.stderr


def test_distributed_flag_without_mpiexec_trains_as_one_rank(tmp_path):
    result = subprocess.run([str(Path(sys.executable).parent / "neuronal"), "train", "xor",
                             "--shape", "2x3x2", "--epochs", "2", "--distributed"],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, said(result)[-3000:]
    assert "data-parallel training over 1 MPI rank (rank 0: pid" in result.stdout


# ---------------------------------------------------------------------- in this process


def test_a_one_process_communicator_runs_the_rank_runner_with_the_plain_numbers():
    from neuronal.engine.comm import SingleProcess

    spec = {"model": "mlp", "dtype": "float64", "n": 100, "batch_size": 16, "epochs": 2,
            "validation": True, "weights": True}
    from mpi_case import build, data

    X, y, w, val = data(spec)
    with nl.use_engine("fast"):
        alone, ranked = build(spec), build(spec)
        h1 = alone.fit(X, y, epochs=2, batch_size=16, verbose=0, sample_weight=w,
                       validation_data=val)
        h2 = ranked.fit(X, y, epochs=2, batch_size=16, verbose=0, sample_weight=w,
                        validation_data=val, comm=SingleProcess())
    assert biggest_difference(weights_of(ranked), weights_of(alone)) <= 1e-12
    for key in h1.history:
        np.testing.assert_allclose(h2.history[key], h1.history[key], rtol=1e-12)


@pytest.mark.parametrize("comm,match", [("tcp", "comm must be 'mpi'"),
                                        (object(), "comm must be 'mpi'.*got object")])
def test_unknown_communicators_are_refused(comm, match):
    net = nl.Network.from_shape("2x3x2", seed=0)
    with pytest.raises(nl.NeuronalError, match=match):
        net.fit([[0, 1], [1, 0]], [0, 1], verbose=0, comm=comm)


def test_workers_and_comm_together_are_refused():
    from neuronal.engine.comm import SingleProcess

    net = nl.Network.from_shape("2x3x2", seed=0)
    with nl.use_engine("fast"), pytest.raises(nl.NeuronalError, match="not both"):
        net.fit([[0, 1], [1, 0]], [0, 1], verbose=0, workers=2, comm=SingleProcess())


def test_the_plain_engine_trains_in_one_process_only():
    from neuronal.engine.comm import SingleProcess

    net = nl.Network.from_shape("2x3x2", seed=0)
    with nl.use_engine("plain"), pytest.raises(nl.NeuronalError, match="comm=... needs the fast"):
        net.fit([[0, 1], [1, 0]], [0, 1], verbose=0, comm=SingleProcess())


@pytest.mark.parametrize("env,expected", [({"PMI_SIZE": "2"}, True), ({"PMI_SIZE": "1"}, False),
                                          ({"OMPI_COMM_WORLD_SIZE": "4"}, True), ({}, False)])
def test_launched_with_mpi_reads_the_launchers_environment(monkeypatch, env, expected):
    from neuronal.distributed import launched_with_mpi

    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert launched_with_mpi() is expected


def test_without_mpi4py_the_error_says_what_to_install(monkeypatch):
    from neuronal.distributed import MPIComm

    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(nl.NeuronalError, match=r"pip install 'neuronal\[mpi\]'"):
        MPIComm()


def test_mpi4py_is_imported_only_when_asked():
    code = textwrap.dedent("""
        import sys
        import neuronal, neuronal.distributed
        from neuronal.cli import build_parser
        build_parser()
        print("mpi4py" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["False"], said(result)


def test_the_data_fingerprint_tells_arrays_apart():
    from neuronal.engine.ranks import fingerprint

    X = np.arange(200.0).reshape(100, 2)
    assert np.array_equal(fingerprint(X, X[:, 0]), fingerprint(X.copy(), X[:, 0].copy()))
    assert not np.array_equal(fingerprint(X, X[:, 0]), fingerprint(X[::-1], X[:, 0]))
    assert not np.array_equal(fingerprint(X, None), fingerprint(X, X[:, 0]))
    assert fingerprint(X)[0] == 100


@pytest.mark.slow
def test_the_benchmark_runs_end_to_end():
    """benchmarks/bench_distributed.py --quick (asserts on the report's shape, never a time)."""
    bench = HERE.parent / "benchmarks" / "bench_distributed.py"
    result = subprocess.run([sys.executable, str(bench), "--quick", "--synthetic"],
                            capture_output=True, text=True, timeout=600, cwd=HERE.parent)
    assert result.returncode == 0, said(result)[-3000:]
    for heading in ("### Seconds per epoch and scaling efficiency",
                    "### The step, measured (1 rank, best", "### Projection: N machines"):
        assert heading in result.stdout
    for model in ("| mlp |", "| lenet |", "| lstm |"):
        assert model in result.stdout
