"""The playground benchmark still runs end to end (one short case); never asserts on a rate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_playground.py"


@pytest.mark.slow
def test_bench_playground_quick_runs():
    pytest.importorskip("playwright")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("needs Debian's chromium: apt-get install chromium")
    run = subprocess.run([sys.executable, str(BENCH), "--seconds", "1", "--warmup", "0.5",
                          "--cases", "spiral"], capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [line for line in run.stdout.splitlines() if line.startswith("| spiral 2-8-8-1")]
    assert len(rows) == 1
    updates, steps = (float(v) for v in rows[0].split("|")[2:4])
    assert updates > 0 and steps == 20.0  # one epoch of 200 points in batches of 10
