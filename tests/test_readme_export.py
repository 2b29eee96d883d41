"""The README's "ONNX and PyTorch" snippets run as printed and do what their comments say."""

import re
from pathlib import Path

import numpy as np
import onnx
import pytest

from neuronal.datasets import DatasetNotFoundError, load_mnist

README = Path(__file__).resolve().parent.parent / "README.md"

pytestmark = pytest.mark.slow


def _snippets(section: str) -> list[str]:
    text = README.read_text()
    start = text.index(f"## {section}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.S)


def test_onnx_and_torch_snippets(tmp_path, monkeypatch):
    try:
        load_mnist(download=False)
    except DatasetNotFoundError:
        pytest.skip("MNIST not available locally (set NEURONAL_DATA)")
    snippets = _snippets("ONNX and PyTorch")
    assert len(snippets) == 2
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(snippets[0], "README.md (ONNX)", "exec"), ns)
    net, X_test = ns["net"], ns["X_test"]
    onnx.checker.check_model(str(tmp_path / "mnist.onnx"), full_check=True)
    np.testing.assert_allclose(ns["proba"], net.predict_proba(X_test[:5]), rtol=1e-5, atol=1e-5)
    assert net.evaluate(X_test, ns["y_test"])["accuracy"] > 0.8

    exec(compile(snippets[1], "README.md (PyTorch)", "exec"), ns)
    model = ns["model"]
    assert repr([type(m).__name__ for m in model]) == "['Linear', 'Sigmoid', 'Linear', 'Softmax']"
    np.testing.assert_allclose(ns["proba"], net.predict_proba(X_test[:5]), rtol=1e-5, atol=1e-5)
    # the training step moved the module's weights away from the network's
    assert not np.allclose(model[0].weight.detach().numpy(), net.layers[0].weights)
