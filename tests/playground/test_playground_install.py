"""A plain ``pip install .`` (not an editable one) ships the page's files inside the package."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_STATIC = ROOT / "src" / "neuronal" / "playground" / "static"

pytestmark = pytest.mark.slow


def test_pip_install_ships_the_static_files(tmp_path):
    source = tmp_path / "src-copy"  # build from a copy: the working tree stays untouched
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", ".pytest_cache", "outputs"))
    target = tmp_path / "site"
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
           "--target", str(target), str(source)]
    if importlib.util.find_spec("setuptools") is not None:
        cmd.insert(4, "--no-build-isolation")  # build with the setuptools already here
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    static = target / "neuronal" / "playground" / "static"
    shipped = sorted(str(p.relative_to(static)) for p in static.rglob("*") if p.is_file())
    expected = sorted(str(p.relative_to(SOURCE_STATIC)) for p in SOURCE_STATIC.rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts)
    assert shipped == expected and "index.html" in shipped and "js/app.js" in shipped
    probe = ("import neuronal.playground.server as s, pathlib; "
             "print(s.STATIC); print((s.STATIC / 'index.html').is_file())")
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=60).stdout.split()
    assert out == [str(static), "True"]
