"""Layers: each maps a batch forward and its gradient backward (see ``base`` for the contract)."""

from .activation import Activation
from .base import Layer
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .embedding import Embedding
from .normalization import BatchNorm
from .normalize import Normalize
from .pooling import AvgPool2D, MaxPool2D
from .recurrent import GRU, LSTM, SimpleRNN
from .reshape import Flatten, Reshape

__all__ = ["Layer", "Dense", "Dropout", "Activation"]
__all__ += ["Conv2D", "MaxPool2D", "AvgPool2D", "Flatten", "Reshape", "BatchNorm",
            "SimpleRNN", "LSTM", "GRU", "Embedding", "Normalize"]
