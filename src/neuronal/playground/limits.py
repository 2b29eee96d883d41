"""What keeps a playground safe for a class: bounded networks, data, uploads and sessions.

Every request from a page is checked against one :class:`Limits`; going over a bound is a
:class:`PlaygroundError` whose message is shown in the page (the server keeps running).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import NeuronalError

__all__ = ["Limits", "PlaygroundError"]


class PlaygroundError(NeuronalError):
    """A request the playground cannot carry out: a bad set-up, file or message, or a limit."""


@dataclass(frozen=True)
class Limits:
    """Upper bounds on what one server lets its pages do.

    Parameters
    ----------
    max_sessions : int, default 16
        Open pages (tabs) at once; one more is told the server is full.
    max_hidden_layers : int, default 6
        Hidden layers of a network.
    max_neurons : int, default 16
        Neurons in a hidden layer for planar and CSV data (TensorFlow Playground stops at 8).
    max_mnist_neurons : int, default 128
        Neurons in a hidden layer for MNIST (each first-layer neuron is drawn as a 28x28 image).
    max_params : int, default 120_000
        Weights and biases of a network, all layers together.
    max_points : int, default 2000
        Points of a planar data set (training and test together).
    max_mnist_train : int, default 60_000
        MNIST training images used (the first ones of the training set).
    mnist_test : int, default 1000
        MNIST test images evaluated for the live loss, accuracy and confusion matrix.
    max_batch : int, default 512
        Mini-batch size.
    max_upload_bytes : int, default 2 MiB
        Size of an uploaded CSV or model file.
    max_csv_rows : int, default 20_000
        Data rows of an uploaded CSV file.
    max_csv_columns : int, default 64
        Columns of an uploaded CSV file.
    max_classes : int, default 20
        Classes of a CSV classification target.
    """

    max_sessions: int = 16
    max_hidden_layers: int = 6
    max_neurons: int = 16
    max_mnist_neurons: int = 128
    max_params: int = 120_000
    max_points: int = 2000
    max_mnist_train: int = 60_000
    mnist_test: int = 1000
    max_batch: int = 512
    max_upload_bytes: int = 2 * 1024 * 1024
    max_csv_rows: int = 20_000
    max_csv_columns: int = 64
    max_classes: int = 20

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise PlaygroundError(f"Limits.{name} must be an integer >= 1, got {value!r}")

    def to_dict(self) -> dict[str, int]:
        """The limits as JSON-able data (sent to the page, which bounds its controls)."""
        return asdict(self)
