"""``neuronal export MODEL.safetensors OUT.onnx``."""

import numpy as np
import onnx
import pytest
from export_helpers import TOL, onnxruntime
from test_cli import run

import neuronal as nl
from neuronal.cli import main
from neuronal.models import lenet


def test_export_a_saved_mlp(tmp_path, capsys):
    net = nl.Network.from_shape("20x8x3", hidden="relu", seed=0)
    net.save(tmp_path / "m.safetensors")
    assert main(["export", str(tmp_path / "m.safetensors"), str(tmp_path / "m.onnx")]) == 0
    out = capsys.readouterr().out
    assert "exported Network 20x8x3 to" in out and "(opset 17, IR version 8, " in out
    assert "input 'input' (batch, 20), output 'output' (batch, 3)" in out
    model = onnx.load(tmp_path / "m.onnx")
    onnx.checker.check_model(model, full_check=True)
    X = np.random.default_rng(0).standard_normal((5, 20)).astype(np.float32)
    np.testing.assert_allclose(onnxruntime(model, X), net.predict_proba(X), rtol=TOL, atol=TOL)


def test_options_opset_input_shape_dtype(tmp_path, capsys):
    net = lenet(seed=0)
    net.save(tmp_path / "lenet.safetensors")
    args = ["export", str(tmp_path / "lenet.safetensors"), str(tmp_path / "lenet.onnx"),
            "--opset", "13", "--input-shape", "1,28,28", "--dtype", "float64"]
    assert main(args) == 0
    assert "input 'input' (batch, 1, 28, 28)" in capsys.readouterr().out
    model = onnx.load(tmp_path / "lenet.onnx")
    assert model.opset_import[0].version == 13
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert main(["export", str(tmp_path / "lenet.safetensors"), str(tmp_path / "open.onnx"),
                 "--input-shape", "1,?,?"]) == 0
    assert "input 'input' (batch, 1, input_dim2, input_dim3)" in capsys.readouterr().out


@pytest.mark.parametrize("args,code,message", [
    (["missing.safetensors", "out.onnx"], 1, "neuronal: error: "),
    (["m.safetensors", "out.onnx", "--opset", "3"], 1, "opset must be an integer from 13"),
    (["m.safetensors", "a_file/out.onnx"], 1, "cannot save the ONNX model to 'a_file/out.onnx'"),
    (["m.safetensors", "out.onnx", "--input-shape", "1,a"], 2, "expected the shape of one "
                                                               "sample such as 1,28,28"),
])
def test_errors(tmp_path, args, code, message):
    nl.Network.from_shape("4x2", seed=0).save(tmp_path / "m.safetensors")
    (tmp_path / "a_file").write_text("")
    result = run("export", *args, cwd=tmp_path)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.onnx").exists()


def test_unknown_input_shape_points_to_the_option(tmp_path):
    nl.Network([nl.Dropout(0.2), nl.Activation("tanh")], seed=0).save(tmp_path / "m.safetensors")
    result = run("export", "m.safetensors", "out.onnx", cwd=tmp_path)
    assert result.returncode == 1
    assert "pass input_shape=" in result.stderr and "--input-shape SHAPE" in result.stderr
    result = run("export", "m.safetensors", "out.onnx", "--input-shape", "5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "input 'input' (batch, 5), output 'output' (batch, 5)" in result.stdout
