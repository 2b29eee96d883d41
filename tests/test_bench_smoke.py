"""The MLP benchmark still runs end to end (``--quick``: a few steps of everything).

It asserts on the report's shape only, never on a time: the benchmark is run by hand and its
table recorded in ``benchmarks/RESULTS.md``.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_mlp.py"


@pytest.mark.slow
def test_bench_mlp_quick_runs():
    data = os.environ.get("NEURONAL_DATA")
    real = bool(data) and (Path(data) / "mnist").is_dir()
    cmd = [sys.executable, str(BENCH), "--quick", "--threads", "1"]
    if not real:
        cmd.append("--synthetic")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for heading in ("### Training, seconds per epoch", "### Batch-1 prediction latency",
                    "### Matrix-product peak", "### Peak memory"):
        assert heading in out
    for config in ("sig16-sgd-b32", "sig16-sgd-b128", "relu128-adam-b32", "relu128-adam-b128"):
        assert config in out
    assert "| neuronal |" in out


def test_bench_mlp_rejects_unknown_config():
    proc = subprocess.run([sys.executable, str(BENCH), "--configs", "nope"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown config" in proc.stderr
