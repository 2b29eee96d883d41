"""Every command the README and ``neuronal --help`` show is run here, as written (training on
MNIST with ``--train-samples 3000`` appended, except the headline ``neuronal train mnist``,
which must reach the README's >= 95 %). ``neuronal playground`` serves a page until stopped:
its own tests (``tests/playground/``) start it and drive it in a browser."""

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from neuronal.cli import EPILOG, main

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = "neuronal train mnist"


def _logical_lines(text: str) -> list[str]:
    return re.sub(r"\\\n\s*", " ", text).splitlines()


def _commands_in(text: str, blocks_only: bool = False) -> list[str]:
    found = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in _logical_lines(block):
            line = line.split("#")[0].strip()
            if line.startswith("neuronal "):
                found.append(line)
    if not blocks_only:
        for span in re.findall(r"`(neuronal [^`]+)`", text):
            if "..." not in span and "|" not in span:
                found.append(span.strip())
    return found


def documented_commands() -> list[str]:
    readme = _commands_in((ROOT / "README.md").read_text())
    help_text = [line.strip() for line in _logical_lines(EPILOG)
                 if line.strip().startswith("neuronal ")]
    seen, ordered = set(), []
    for command in help_text + readme:
        if command.startswith("neuronal playground"):
            continue
        if command not in seen:
            seen.add(command)
            ordered.append(command)
    return ordered


def test_the_documented_commands_are_found():
    commands = documented_commands()
    assert HEADLINE in commands and "neuronal --help" in commands
    assert any(c.startswith("neuronal predict model.safetensors digit.png") for c in commands)
    assert len(commands) >= 15, commands


@pytest.mark.slow
def test_every_documented_command_runs(tmp_path, monkeypatch, capsys):
    from PIL import Image

    from neuronal.datasets import DatasetNotFoundError, load_mnist

    try:
        (_, _), (X_test, y_test) = load_mnist(download=False)
    except DatasetNotFoundError:
        pytest.skip("MNIST not available locally")
    monkeypatch.chdir(tmp_path)
    Image.fromarray((255 - X_test[0].reshape(28, 28) * 255).astype(np.uint8)).resize(
        (140, 140)).save("digit.png")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    Path("data.csv").write_text("a,b,c,label\n" + "".join(
        f"{a:.3f},{b:.3f},{c:.3f},{t}\n" for (a, b, c), t in zip(X, y)))
    for command in documented_commands():
        argv = shlex.split(command)[1:]
        if argv[:2] == ["train", "mnist"] and command != HEADLINE:
            argv += ["--train-samples", "3000"]
        if argv == ["--help"]:
            with pytest.raises(SystemExit) as info:
                main(argv)
            assert info.value.code == 0
            continue
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 0, f"{command}\n{out}\n{err}"
        if command == HEADLINE:
            acc = float(out.split("test accuracy: ")[1].split("%")[0])
            assert "on mnist: 60,000 training" in out and acc >= 95.0, out
        if command.startswith("neuronal predict model.safetensors digit.png"):
            assert f"predicted class: {y_test[0]}" in out and Path("seen.png").exists()
    assert Path("pictures/weights.png").exists() and Path("pictures/step.png").exists()
    assert Path("outputs/mnist-784x16x10.safetensors").exists()
