"""Shared by the export tests: random weights, and running an ONNX model in both runtimes."""

import numpy as np
import onnx
import onnxruntime as ort
from onnx.reference import ReferenceEvaluator
from onnx.reference.ops.op_rnn import RNN_14

TOL = 1e-5  # float32 outputs of the runtimes against predict_proba


class RNN(RNN_14):
    """onnx.reference's RNN knows only the Tanh activation; this one also runs Relu
    (the activation of SimpleRNN(nonlinearity="relu"), in the ONNX standard's list)."""

    op_domain = ""

    def choose_act(self, name, alpha, beta):
        if name in ("Relu", "relu"):
            return lambda x: np.maximum(x, 0)
        return super().choose_act(name, alpha, beta)


def randomize(net, seed=0, scale=0.5):
    """Every parameter random (biases too, which start at 0); running variances and
    Normalize's scales positive, as real ones are."""
    rng = np.random.default_rng(seed)
    for layer in net.layers:
        for p in layer.params().values():
            if type(layer).__name__ == "Embedding":
                p[...] = rng.standard_normal(p.shape)
            else:
                p[...] = rng.normal(0.0, scale, p.shape)
        for name, b in layer.buffers().items():
            if "var" in name or name == "scale":
                b[...] = rng.uniform(0.5, 1.5, b.shape)
            else:
                b[...] = rng.normal(0.0, 0.5, b.shape)
    return net


def reference(model: onnx.ModelProto, X: np.ndarray) -> np.ndarray:
    """The output of onnx's reference evaluator (plain NumPy, follows the standard)."""
    return ReferenceEvaluator(model, new_ops=[RNN]).run(None, {"input": X})[0]


def onnxruntime(model: onnx.ModelProto, X: np.ndarray) -> np.ndarray:
    """The output of ONNX Runtime's CPU provider (default session options)."""
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, {"input": X})[0]


def inputs(net, shape, rng, int_high=None):
    """A random batch of ``shape`` (batch axis included) in the network's dtype, or int64
    token ids below ``int_high``."""
    if int_high is not None:
        return rng.integers(0, int_high, size=shape).astype(np.int64)
    return rng.standard_normal(shape).astype(net.dtype)
