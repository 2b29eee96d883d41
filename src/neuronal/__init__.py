"""neuronal: neural networks from scratch on NumPy, the way the subject is taught.

A neuron (weighted sum plus bias through an activation), a layer of neurons as a matrix
f(Wx + b), networks named by their shape (784x16x10), backpropagation and gradient descent.

>>> import neuronal as nl
>>> n = nl.Neuron(weights=[0.2, 0.00001], bias=1.0, activation="sigmoid")
>>> round(n.z([4, 80]), 4), round(n([4, 80]), 4)
(1.8008, 0.8582)
"""

from . import activations, initializers, losses, metrics, optimizers, schedules
from .callbacks import Callback, Checkpoint, EarlyStopping
from .errors import (
    DataError,
    ModelFileError,
    NeuronalError,
    NotDifferentiableError,
    RankFailedError,
    ShapeError,
    TrainingDivergedError,
    UnscaledInputWarning,
)
from .export import export_onnx, to_torch
from .gradcheck import check_layer_gradients, gradient_check
from .history import History
from .io import load, save
from .layers import (
    GRU,
    LSTM,
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Layer,
    MaxPool2D,
    Normalize,
    Reshape,
    SimpleRNN,
)
from .network import Network
from .neuron import Neuron
from .optimizers import SGD, Adam, RMSprop
from .perceptron import ConvergenceWarning, Perceptron
from .schedules import CosineDecay, ExponentialDecay, StepDecay
from .seams import engine_name, set_engine, use_engine
from .step import StepExplanation

__version__ = "0.1.0"

__all__ = [
    "Neuron", "Dense", "Dropout", "Activation", "Layer", "Network", "Perceptron",
    "SGD", "Adam", "RMSprop", "StepDecay", "ExponentialDecay", "CosineDecay",
    "History", "Callback", "EarlyStopping", "Checkpoint", "use_engine", "set_engine",
    "engine_name", "StepExplanation", "gradient_check", "check_layer_gradients",
    "NeuronalError", "ShapeError", "DataError", "NotDifferentiableError",
    "TrainingDivergedError", "ModelFileError", "RankFailedError", "ConvergenceWarning",
    "UnscaledInputWarning",
    "save", "load", "export_onnx", "to_torch",
    "activations", "losses", "initializers", "metrics", "optimizers", "schedules",
    "__version__",
]
#: Subpackages loaded on first use (``nl.datasets``, ``nl.plot``, ...), so that ``import neuronal``
#: stays fast and never imports matplotlib, Pillow or scikit-learn.
_LAZY = ("datasets", "plot", "models", "io", "notebook", "images", "perceptron", "gradcheck",
         "distributed", "sklearn")


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ += ["Conv2D", "MaxPool2D", "AvgPool2D", "Flatten", "Reshape", "BatchNorm",
            "SimpleRNN", "LSTM", "GRU", "Embedding", "Normalize"]
