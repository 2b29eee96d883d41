"""The export benchmark still runs end to end (``--quick``); it asserts on the table's shape
only, never on a time (the recorded tables are in ``benchmarks/RESULTS_export.md``)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_export.py"


@pytest.mark.slow
def test_bench_export_quick_runs(tmp_path):
    table = tmp_path / "table.md"
    proc = subprocess.run([sys.executable, str(BENCH), "--quick", "--synthetic", "--threads", "1",
                           "--markdown", str(table)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "intra_op_num_threads=1, inter_op_num_threads=1" in out
    for row in ("| mlp | 1 |", "| mlp | 1,000 |", "| lenet | 1 |", "| lenet | 1,000 |"):
        assert row in out
    assert table.read_text().strip() == out.strip()
