"""Pictures of what a network does: its diagram, weights, training, one training step.

Every function returns a :class:`matplotlib.figure.Figure` (in a notebook it shows itself),
and also writes it to ``path`` when one is given (PNG, or the format of the suffix; atomically,
parent folders created). Pictures of one axes take ``ax=`` to draw into a figure of your own.
Nothing is shown on screen and no global matplotlib setting is changed, so the functions work
on servers, in tests and next to your own pyplot session.

Numbering is 0-based in every picture, as in the code: ``layer i`` is ``net.layers[i]``,
``neuron j`` is ``layer.neurons[j]`` (row j of the weight matrix), input ``x{i}`` is column i.

matplotlib is optional (``pip install "neuronal[plot]"``) and is imported only when a function
here is called: ``import neuronal`` and ``import neuronal.plot`` stay fast and work without it.

========================  =====================================================================
function                  picture
========================  =====================================================================
plot_network              the diagram: inputs, neurons, weights; other layers as named boxes
plot_step                 the diagram coloured by one training step's weight changes
plot_weights              each neuron's incoming weights (Dense) or each filter (Conv2D)
plot_history              loss and accuracy per epoch
plot_confusion_matrix     which classes are mistaken for which
plot_activations          activation functions and their derivatives
plot_decision_boundary    the answer over the plane of 2-D inputs
plot_neuron_maps          every neuron's output over the plane (as TensorFlow Playground)
plot_digits               a gallery of images with true and predicted labels
plot_feature_maps         a CNN's feature maps for one image, layer by layer
========================  =====================================================================

Examples
--------
>>> import neuronal as nl
>>> net = nl.Network.from_shape("4x3x1", hidden="sigmoid", output="sigmoid", seed=0)
>>> fig = nl.plot.plot_network(net)                    # doctest: +SKIP
>>> nl.plot.plot_network(net, "net.png")               # doctest: +SKIP
"""

from __future__ import annotations

from ._base import NUMBERING
from .activations import DEFAULT_ACTIVATIONS, plot_activations
from .boundary import plot_decision_boundary, plot_neuron_maps
from .confusion import plot_confusion_matrix
from .gallery import plot_digits, plot_feature_maps
from .history import plot_history
from .network import plot_network
from .step import plot_step
from .weights import plot_hidden_weights, plot_weights

__all__ = [
    "plot_history",
    "plot_confusion_matrix",
    "plot_weights",
    "plot_hidden_weights",
    "plot_activations",
    "plot_decision_boundary",
    "plot_neuron_maps",
    "plot_network",
    "plot_step",
    "plot_digits",
    "plot_feature_maps",
    "DEFAULT_ACTIVATIONS",
    "NUMBERING",
]
