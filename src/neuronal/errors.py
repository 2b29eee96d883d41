"""The exceptions neuronal raises.

Every error a user can cause by passing bad input derives from :class:`NeuronalError`, which is a
``ValueError``: code that already catches ``ValueError`` keeps working, and code that wants to tell
our errors apart can catch ``NeuronalError``. Messages say what was expected, what arrived and how
to fix it.
"""

from __future__ import annotations

import os
import sys

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class NeuronalError(ValueError):
    """Base class of every error raised by neuronal for bad input or bad state."""


class ShapeError(NeuronalError):
    """An array has the wrong number of dimensions or the wrong size along one of them."""


class DataError(NeuronalError):
    """Training or prediction data are unusable: empty, NaN/inf, labels out of range, bad files."""


class NotDifferentiableError(NeuronalError):
    """Gradient descent was asked to train through an activation that has no useful derivative."""


class TrainingDivergedError(NeuronalError):
    """The loss became NaN or infinite during training."""


class ModelFileError(NeuronalError):
    """A saved model or checkpoint is missing, truncated, tampered with or not ours."""


class RankFailedError(NeuronalError):
    """Another process of a data-parallel ``fit`` failed, so this one stopped too (the message
    names the rank that failed and its error)."""


class UnscaledInputWarning(UserWarning):
    """Inputs look unscaled for the network's first layer (``fit`` warns once)."""


def user_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` that names the first line outside neuronal
    (the user's call), however many of the library's own frames lie between; the caller of
    this function is level 1."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level
