"""The command line: train, evaluate, predict, summary, explain, plot; exit codes and messages."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neuronal.cli import main

SRC = str(Path(__file__).resolve().parent.parent / "src")


def run(*args, **kw):
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "neuronal", *args], capture_output=True,
                          text=True, env=env, timeout=300, **kw)


def test_help_starts_without_heavy_imports():
    code = ("import sys, neuronal.cli; heavy = [m for m in ('matplotlib', 'torch', 'sklearn', "
            "'PIL') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": SRC}, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    result = run("--help")
    assert result.returncode == 0
    assert "train" in result.stdout and "evaluate" in result.stdout


def test_usage_error_exits_2():
    result = run("train")
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_other_errors_exit_1_with_one_line_and_no_traceback(tmp_path):
    result = run("summary", str(tmp_path / "missing.safetensors"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("neuronal: error:")
    debug = run("--debug", "summary", str(tmp_path / "missing.safetensors"))
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_shape_mismatch_is_explained(capsys):
    assert main(["train", "xor", "--shape", "3x4x2", "--epochs", "1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "--shape 3x4x2 starts with 3 inputs but the data have 2 features" in err


def test_train_toy_save_summary_explain_evaluate(tmp_path, capsys):
    model = tmp_path / "xor.safetensors"
    code = main(["train", "xor", "--shape", "2x4x2", "--hidden", "tanh", "--epochs", "300",
                 "--batch-size", "4", "--optimizer", "adam", "--learning-rate", "0.05",
                 "--out", str(model), "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "test accuracy: 100.00%" in out
    assert model.exists()
    assert main(["summary", str(model)]) == 0
    assert "2x4x2" in capsys.readouterr().out
    assert main(["explain", str(model), "xor", "--index", "1"]) == 0
    out = capsys.readouterr().out
    assert "true label: 1" in out and "winning class: 1" in out
    assert main(["evaluate", str(model), "xor"]) == 0
    out = capsys.readouterr().out
    assert "accuracy: 100.0% (4 of 4)" in out and "rows: true class" in out


def test_train_regression_toy(capsys):
    assert main(["train", "addition", "--shape", "4x8x1", "--hidden", "tanh", "--epochs", "30",
                 "--optimizer", "adam", "--learning-rate", "0.01", "--quiet"]) == 0
    assert "test loss (mse)" in capsys.readouterr().out


def test_train_csv(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    path = tmp_path / "data.csv"
    lines = ["a,b,c,label"] + [f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{t}" for r, t in zip(X, y)]
    path.write_text("\n".join(lines) + "\n")
    assert main(["train", str(path), "--target", "label", "--epochs", "40", "--optimizer",
                 "adam", "--learning-rate", "0.05", "--quiet"]) == 0
    out = capsys.readouterr().out
    acc = float(out.split("test accuracy: ")[1].split("%")[0])
    assert acc >= 90


@pytest.mark.slow
def test_mnist_main_job_and_predict_png(tmp_path, capsys):
    pytest.importorskip("PIL")
    from PIL import Image

    from neuronal.datasets import DatasetNotFoundError, load_mnist

    try:
        (_, _), (X_test, y_test) = load_mnist(download=False)
    except DatasetNotFoundError:
        pytest.skip("MNIST not available locally")
    model = tmp_path / "mnist.safetensors"
    assert main(["train", "mnist", "--shape", "784x16x10", "--epochs", "1", "--optimizer", "sgd",
                 "--learning-rate", "0.5", "--out", str(model), "--plots",
                 str(tmp_path / "plots")]) == 0
    out = capsys.readouterr().out
    assert "epoch 1/1" in out and "test accuracy" in out
    assert (tmp_path / "plots" / "weights.png").exists()
    # A digit drawn dark on light, at 4x the size: predict must grey-scale, invert and resize.
    i = 0
    dark_on_light = (255 - X_test[i].reshape(28, 28) * 255).astype(np.uint8)
    big = Image.fromarray(dark_on_light).resize((112, 112))
    png = tmp_path / "digit.png"
    big.convert("RGB").save(png)
    assert main(["predict", str(model), str(png)]) == 0
    out = capsys.readouterr().out
    assert f"predicted class: {y_test[i]}" in out
    assert main(["evaluate", str(model), "mnist"]) == 0
    assert "rows: true class, columns: predicted class" in capsys.readouterr().out


def test_offline_mnist_falls_back_to_digits(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn")
    monkeypatch.setenv("NEURONAL_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path))
    out_file = tmp_path / "outputs" / "mnist-784x16x10.safetensors"
    code = main(["train", "mnist", "--shape", "784x16x10", "--epochs", "5", "--optimizer", "sgd",
                 "--learning-rate", "0.5", "--no-download", "--quiet", "--out", str(out_file)])
    assert code == 0
    out = capsys.readouterr().out
    assert "falling back to scikit-learn's 8x8" in out
    assert "64x16x10" in out
    acc = float(out.split("test accuracy: ")[1].split("%")[0])
    assert acc > 80
    # the file is named for what was trained
    trained = tmp_path / "outputs" / "digits-64x16x10.safetensors"
    assert f"model saved to {trained}" in out
    assert trained.exists() and not out_file.exists()


def test_plot_activations(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "act.png"
    assert main(["plot", "activations", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@pytest.mark.parametrize("model", ["lenet", "lstm"])
def test_train_predefined_models(model, tmp_path, capsys):
    from neuronal.datasets import DatasetNotFoundError, load_mnist

    try:
        load_mnist(download=False)
    except DatasetNotFoundError:
        pytest.skip("MNIST not available locally")
    path = tmp_path / f"{model}.safetensors"
    assert main(["train", "mnist", "--model", model, "--epochs", "1", "--train-samples", "600",
                 "--optimizer", "adam", "--learning-rate", "0.002", "--out", str(path),
                 "--quiet"]) == 0
    assert "test accuracy" in capsys.readouterr().out
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert ("16x5x5" in out) if model == "lenet" else ("LSTM(28 -> 64)" in out)
    assert main(["explain", str(path), "mnist", "--index", "0"]) == 0
    assert "winning class" in capsys.readouterr().out
