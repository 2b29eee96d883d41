"""``import neuronal as nl`` is enough: subpackages load on first use, and neither
``import neuronal`` nor ``neuronal --help`` imports matplotlib (or Pillow, scikit-learn,
PyTorch, IPython)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
HEAVY = ("matplotlib", "PIL", "sklearn", "torch", "IPython")


def run_python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_import_neuronal_and_help_import_nothing_heavy():
    result = run_python(f"""
        import sys
        import neuronal as nl
        heavy = {HEAVY!r}
        assert not [m for m in heavy if m in sys.modules], [m for m in heavy if m in sys.modules]
        assert "neuronal.plot" not in sys.modules and "neuronal.datasets" not in sys.modules
        from neuronal.cli import main
        try:
            main(["--help"])
        except SystemExit as exc:
            assert exc.code == 0
        for argv in (["train", "--help"], ["plot", "--help"], ["predict", "--help"]):
            try:
                main(argv)
            except SystemExit:
                pass
        loaded = [m for m in heavy if m in sys.modules]
        assert not loaded, loaded
        print("ok", file=sys.stderr)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("ok")


def test_subpackages_are_reachable_as_attributes(tmp_path):
    out = tmp_path / "h.png"
    result = run_python(f"""
        import sys
        import neuronal as nl
        (X, y), _ = nl.datasets.load_dataset("xor")
        assert X.shape == (4, 2)
        assert callable(nl.plot.plot_history) and "matplotlib" not in sys.modules
        fig = nl.plot.plot_history({{"loss": [1.0, 0.5]}}, {str(out)!r})
        assert "matplotlib" in sys.modules and "matplotlib.pyplot" not in sys.modules
        assert nl.models.lenet and nl.notebook.html
        assert "datasets" in dir(nl) and "plot" in dir(nl)
        try:
            nl.no_such_thing
        except AttributeError as exc:
            assert "no attribute 'no_such_thing'" in str(exc)
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok" and out.exists()
