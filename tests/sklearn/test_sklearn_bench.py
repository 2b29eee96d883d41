"""benchmarks/bench_sklearn.py still runs end to end (``--quick``); no assertion on times."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_sklearn.py"


@pytest.mark.slow
def test_bench_sklearn_quick_runs():
    data = os.environ.get("NEURONAL_DATA")
    sets = "digits,breast_cancer,wine,diabetes,california_like"
    if data and (Path(data) / "mnist").is_dir():
        sets += ",mnist,mnist64"
    proc = subprocess.run([sys.executable, str(BENCH), "--quick", "--sets", sets],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "| data set" in out and "scikit-learn fit / this" in out
    for name in sets.split(","):
        assert f"  {name}: " in proc.stderr
    assert out.count("| neuronal |") == len(sets.split(","))
    assert out.count("| scikit-learn |") == len(sets.split(","))


def test_bench_sklearn_rejects_unknown_sets():
    proc = subprocess.run([sys.executable, str(BENCH), "--sets", "iris"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown data set" in proc.stderr
