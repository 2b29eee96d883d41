"""The command line for a learner (issue 15) and against careless input (issue 16):
one-output classifiers, text labels kept in the model, scaling, the task decision, pictures
as people give them, and every option checked before any data are loaded."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import neuronal as nl
from neuronal.cli import main
from neuronal.cli import train as train_module

SRC = str(Path(__file__).resolve().parent.parent / "src")


def run(*args, **kw):
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "neuronal", *args], capture_output=True,
                          text=True, env=env, timeout=300, **kw)


@pytest.fixture
def no_data(monkeypatch):
    """Make loading any data set fail loudly: the checks under test must come first."""
    def refuse(args):
        raise AssertionError("data were loaded before the options were checked")

    monkeypatch.setattr(train_module, "_load_training_data", refuse)


def write_csv(path, header, rows, sep=","):
    lines = ([sep.join(header)] if header else []) + [sep.join(map(str, r)) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def iris_like(n=240, seed=0):
    rng = np.random.default_rng(seed)
    names = np.array(["setosa", "versicolor", "virginica"])
    k = rng.integers(0, 3, n)
    X = np.column_stack([rng.normal(1.5 + k, 0.3), rng.normal(30 + 20 * k, 5)])
    return X, names[k]


# --------------------------------------------------------------------------- one output


def test_one_output_classifier_from_the_shape(tmp_path, capsys):
    model = tmp_path / "xor.safetensors"
    assert main(["train", "xor", "--shape", "2x3x1", "--hidden", "tanh", "--epochs", "500",
                 "--batch-size", "4", "--learning-rate", "0.05", "--out", str(model),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "loss binary_cross_entropy" in out and "test accuracy: 100.00%" in out
    net = nl.load(model)
    assert net.layers[-1].n_neurons == 1 and net.layers[-1].activation.name == "sigmoid"
    # without --shape, two classes also get one sigmoid output
    assert main(["train", "xor", "--epochs", "1", "--quiet"]) == 0
    assert "Network 2x32x1" in capsys.readouterr().out


def test_output_option_is_honoured(capsys):
    assert main(["train", "xor", "--shape", "2x4x2", "--output", "sigmoid", "--hidden", "tanh",
                 "--epochs", "300", "--batch-size", "4", "--learning-rate", "0.05",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Network 2x4x2" in out and "loss binary_cross_entropy" in out
    assert main(["train", "xor", "--shape", "2x4x2", "--epochs", "1", "--quiet"]) == 0
    assert "loss cross_entropy" in capsys.readouterr().out  # 2 outputs: softmax
    assert main(["train", "xor", "--shape", "2x3x1", "--output", "softmax", "--epochs", "1",
                 "--quiet"]) == 1
    assert "softmax output of 1 neuron always outputs 1.0" in capsys.readouterr().err


def test_one_sigmoid_per_class_answers_by_the_largest_output(tmp_path, capsys):
    """--output sigmoid with 10 classes: labels one-hot as for softmax (by fit itself), and
    every command counts the class of the largest output (train, evaluate, the pictures)."""
    model, plots = tmp_path / "m.safetensors", tmp_path / "plots"
    assert main(["train", "digits", "--output", "sigmoid", "--epochs", "3", "--quiet",
                 "--out", str(model), "--plots", str(plots)]) == 0
    out = capsys.readouterr().out
    assert "Network 64x32x10" in out and "loss binary_cross_entropy" in out
    trained = re.search(r"test accuracy: (\d+\.\d)\d%", out).group(1)
    assert (plots / "confusion_matrix.png").exists()
    assert main(["evaluate", str(model), "digits"]) == 0
    out = capsys.readouterr().out
    # the confusion matrix's accuracy is the one training reported (net.predict's 0/1 answer
    # per output, taken for classes, gave 10.0 %)
    assert f"accuracy: {trained}%" in out
    assert main(["explain", str(model), "digits", "--index", "0"]) == 0


# --------------------------------------------------------------------------- CSV


def test_csv_text_labels_are_kept_in_the_model(tmp_path, capsys):
    X, labels = iris_like()
    path = write_csv(tmp_path / "iris.csv", ["h", "w", "species"],
                     [(f"{a:.2f}", f"{b:.1f}", c) for (a, b), c in zip(X, labels)])
    model = tmp_path / "iris.safetensors"
    assert main(["train", str(path), "--target", "species", "--epochs", "60", "--out",
                 str(model), "--quiet"]) == 0
    acc = float(capsys.readouterr().out.split("test accuracy: ")[1].split("%")[0])
    assert acc > 85
    net = nl.load(model)
    assert net.classes == ["setosa", "versicolor", "virginica"]
    assert isinstance(net.layers[0], nl.Normalize)  # --scale standard by default for CSV
    assert main(["evaluate", str(model), str(path), "--target", "species"]) == 0
    out = capsys.readouterr().out
    assert "setosa" in out and "virginica" in out
    rows = write_csv(tmp_path / "rows.csv", ["h", "w", "species"],
                     [(1.5, 30, "setosa"), (3.5, 70, "virginica")])
    assert main(["predict", str(model), str(rows), "--target", "species"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("row 1: setosa") and lines[1].startswith("row 2: virginica")
    assert main(["explain", str(model), str(path), "--target", "species", "--index", "0"]) == 0
    out = capsys.readouterr().out
    assert "true label: " in out and "prediction: " in out
    assert main(["plot", "network", str(model), "--out", str(tmp_path / "n.png")]) == 0


def test_csv_without_header_and_with_another_delimiter(tmp_path, capsys):
    X, labels = iris_like()
    path = write_csv(tmp_path / "iris.csv", None,
                     [(f"{a:.2f}", f"{b:.1f}", c) for (a, b), c in zip(X, labels)], sep="\t")
    assert main(["train", str(path), "--target", "-1", "--no-header", "--delimiter", "\\t",
                 "--epochs", "60", "--quiet"]) == 0
    acc = float(capsys.readouterr().out.split("test accuracy: ")[1].split("%")[0])
    assert acc > 85
    assert main(["train", str(path), "--target", "-1", "--epochs", "1", "--quiet"]) == 1
    assert "expected" in capsys.readouterr().err  # read with ',' the file has one column


@pytest.mark.parametrize("scale, layer", [("standard", "Normalize(2 features, standard)"),
                                          ("minmax", "Normalize(2 features, minmax)"),
                                          ("none", None)])
def test_scale_option(tmp_path, capsys, scale, layer):
    X, labels = iris_like(60)
    path = write_csv(tmp_path / "d.csv", ["a", "b", "y"],
                     [(f"{a:.2f}", f"{b:.1f}", c) for (a, b), c in zip(X, labels)])
    model = tmp_path / "m.safetensors"
    assert main(["train", str(path), "--target", "y", "--scale", scale, "--epochs", "1",
                 "--out", str(model), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["summary", str(model)]) == 0
    summary = capsys.readouterr().out
    if layer:
        assert layer in summary
        norm = nl.load(model).layers[0]
        assert norm.mean.shape == (2,) and np.all(norm.scale > 0)
        assert norm.mean[1] > 10  # learnt from the (unscaled) second column
    else:
        assert "Normalize" not in summary


def test_integer_regression_target_is_not_millions_of_classes(tmp_path, capsys):
    rng = np.random.default_rng(0)
    size = rng.uniform(50, 200, 300)
    price = (3_000_000 + size * 5000 + rng.integers(0, 100_000, 300)).astype(np.int64)
    path = write_csv(tmp_path / "prices.csv", ["size", "price"],
                     [(f"{s:.1f}", p) for s, p in zip(size, price)])
    assert main(["train", str(path), "--target", "price", "--epochs", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "task: regression: the target holds" in out and "--task classification" in out
    assert "Network 1x32x1" in out and "test loss (mse)" in out
    assert main(["train", str(path), "--target", "price", "--task", "classification",
                 "--epochs", "1", "--quiet"]) == 0  # asked for: one class per price seen
    assert "task: classification" in capsys.readouterr().out
    assert main(["train", "digits", "--task", "regression", "--epochs", "1", "--quiet"]) == 0
    assert "test loss (mse)" in capsys.readouterr().out
    assert main(["train", "addition", "--task", "classification", "--epochs", "1",
                 "--quiet"]) == 1
    assert "--task classification needs whole-number or text labels" in \
        capsys.readouterr().err


def test_labels_not_numbered_from_zero_become_named_classes(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    y = np.where(X[:, 0] > 0, 7, 3)
    path = write_csv(tmp_path / "d.csv", ["a", "b", "y"],
                     [(f"{a:.3f}", f"{b:.3f}", t) for (a, b), t in zip(X, y)])
    model = tmp_path / "m.safetensors"
    assert main(["train", str(path), "--target", "y", "--epochs", "40", "--out", str(model),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "task: classification: 2 classes, labels 3, 7" in out
    assert "Network 2x32x1" in out
    assert nl.load(model).classes == ["3", "7"]


# --------------------------------------------------------------------------- checked first


@pytest.mark.parametrize("option, value, message", [
    ("--epochs", "0", "--epochs: must be >= 1"),
    ("--epochs", "-3", "--epochs: must be >= 1"),
    ("--epochs", "ten", "--epochs: expected a whole number"),
    ("--batch-size", "0", "--batch-size: must be >= 1"),
    ("--train-samples", "0", "--train-samples: must be >= 1"),
    ("--train-samples", "-59990", "--train-samples: must be >= 1"),
    ("--learning-rate", "0", "--learning-rate: must be > 0"),
    ("--learning-rate", "nan", "--learning-rate: expected a finite number"),
    ("--validation-split", "1.5", "--validation-split: must be in [0, 1)"),
    ("--momentum", "-0.1", "--momentum: must be in [0, 1)"),
    ("--weight-decay", "-1", "--weight-decay: must be >= 0"),
    ("--seed", "-1", "--seed: must be >= 0"),
    ("--delimiter", ";;", "--delimiter: must be one character"),
])
def test_numbers_are_checked_before_any_data(option, value, message, no_data, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "mnist", option, value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--out", "--plots", "--checkpoint"])
def test_paths_are_checked_before_any_data(option, tmp_path, no_data, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "mnist", option, str(blocker / "sub" / "x")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"{option} {blocker / 'sub' / 'x'}: cannot write there" in err and "is a file" in err
    if option != "--plots":
        with pytest.raises(SystemExit):
            main(["train", "mnist", option, str(tmp_path)])  # a folder where a file is needed
        assert "it is a folder" in capsys.readouterr().err
    else:
        with pytest.raises(SystemExit):
            main(["train", "mnist", option, str(blocker)])
        assert "this is a file, but a folder is needed" in capsys.readouterr().err


def test_good_paths_pass_and_are_not_created_before_training(tmp_path, no_data, capsys):
    assert main(["train", "mnist", "--out", str(tmp_path / "new" / "m.safetensors"),
                 "--plots", str(tmp_path / "pics"), "--checkpoint", str(tmp_path / "c.ckpt")]) == 1
    assert "data were loaded" in capsys.readouterr().err  # the checks passed: on to the data
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- papercuts


def test_debug_is_accepted_anywhere(tmp_path):
    missing = str(tmp_path / "missing.safetensors")
    for argv in (["--debug", "summary", missing], ["summary", missing, "--debug"],
                 ["summary", "--debug", missing]):
        result = run(*argv)
        assert result.returncode == 1 and "Traceback" in result.stderr, argv
    result = run("summary", missing)
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_picture_where_the_model_belongs(tmp_path, capsys):
    from PIL import Image

    png = tmp_path / "digit.png"
    Image.new("L", (28, 28)).save(png)
    assert main(["predict", str(png), str(tmp_path / "model.safetensors")]) == 1
    assert "did you swap MODEL and IMAGE?" in capsys.readouterr().err
    assert main(["summary", str(png)]) == 1
    assert "did you swap MODEL and IMAGE?" in capsys.readouterr().err


def test_evaluate_prints_each_figure_once(tmp_path, capsys):
    model = tmp_path / "xor.safetensors"
    assert main(["train", "xor", "--shape", "2x3x1", "--hidden", "tanh", "--epochs", "500",
                 "--batch-size", "4", "--learning-rate", "0.05", "--out", str(model),
                 "--quiet"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(model), "xor"]) == 0
    out = capsys.readouterr().out
    assert out.count("accuracy") == 1 and out.count("rows: true class") == 1
    assert out.count("loss") == 1


def test_a_closed_pipe_ends_quietly(tmp_path):
    X, labels = iris_like(60)
    data = write_csv(tmp_path / "d.csv", ["a", "b", "y"],
                     [(f"{a:.2f}", f"{b:.1f}", c) for (a, b), c in zip(X, labels)])
    model = tmp_path / "m.safetensors"
    assert main(["train", str(data), "--target", "y", "--epochs", "1", "--out", str(model),
                 "--quiet"]) == 0
    rows = write_csv(tmp_path / "rows.csv", ["a", "b"], [(1.5, 30)] * 30_000)
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-m", "neuronal", "predict", str(model),
                             str(rows)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first = proc.stdout.readline()
    proc.stdout.close()  # what `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert first.startswith(b"row 1: ") and err == ""


def test_plot_out_folder_writes_and_reports_the_real_path(tmp_path, capsys):
    folder = tmp_path / "pics"
    folder.mkdir()
    assert main(["plot", "activations", "--out", str(folder)]) == 0
    assert f"plot saved to {folder / 'activations.png'}" in capsys.readouterr().out
    assert (folder / "activations.png").read_bytes()[:4] == b"\x89PNG"
    assert not (tmp_path / "pics.png").exists()
    assert main(["plot", "activations", "--out", str(tmp_path / "new") + "/"]) == 0
    assert (tmp_path / "new" / "activations.png").exists()


def test_plot_weights_and_feature_maps_of_a_cnn(tmp_path, capsys):
    from neuronal.models import lenet

    model = tmp_path / "lenet.safetensors"
    lenet(seed=0).save(model)
    assert main(["plot", "weights", str(model), "--out", str(tmp_path)]) == 0
    assert "plot saved to" in capsys.readouterr().out
    assert (tmp_path / "weights.png").exists()
    assert main(["plot", "weights", str(model), "--layer", "1", "--out", str(tmp_path)]) == 1
    assert "is MaxPool2D(2x2), which has no weights" in capsys.readouterr().err


def test_plot_pictures_of_a_small_cnn_on_digits(tmp_path, capsys):
    net = nl.Network([nl.Conv2D(1, 4, 3, padding=1, activation="relu"), nl.MaxPool2D(2),
                      nl.Flatten(), nl.Dense(64, 10, activation="softmax")], seed=0)
    model = tmp_path / "cnn.safetensors"
    net.save(model)
    for what in ("feature-maps", "mistakes", "step", "confusion", "weights", "network"):
        argv = ["plot", what, str(model), "digits", "--index", "3", "--out", str(tmp_path)]
        if what in ("weights", "network"):
            argv.remove("digits")
        assert main(argv) == 0, what
        assert f"plot saved to {tmp_path / (what + '.png')}" in capsys.readouterr().out
        assert (tmp_path / f"{what}.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(SystemExit):
        main(["plot", "mistakes", str(model), "--out", str(tmp_path)])
    assert "needs a data set" in capsys.readouterr().err


def test_tables_are_scaled_by_default_images_are_not(tmp_path, capsys):
    for dataset, scaled in (("obesity", True), ("digits", False)):
        model = tmp_path / f"{dataset}.safetensors"
        assert main(["train", dataset, "--epochs", "1", "--out", str(model), "--quiet"]) == 0
        first = nl.load(model).layers[0]
        assert isinstance(first, nl.Normalize) == scaled, dataset
    capsys.readouterr()
