"""Layers: each maps a batch forward and its gradient backward (see ``base`` for the contract)."""

from .activation import Activation
from .base import Layer
from .dense import Dense
from .dropout import Dropout

__all__ = ["Layer", "Dense", "Dropout", "Activation"]
