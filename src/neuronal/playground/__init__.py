"""The playground: neural networks in the browser, trained live by the real library.

``neuronal playground`` starts a local web server (127.0.0.1) whose page does what TensorFlow
Playground does (planar data sets, input features, layers and neurons added and removed, a
heatmap of every neuron's output over the plane, edges by the sign and size of their weights,
weights and biases edited by clicking them, loss curves, the whole set-up in the URL) and what
its users asked for: CSV upload, MNIST with a drawing pad, multi-class cross-entropy, SGD,
momentum, Adam, RMSprop and learning-rate schedules, dropout, an activation per layer, a
neuron's arithmetic (``Neuron.explain``), one backpropagation step animated
(``Network.explain_step``), accuracy and a confusion matrix, reset to the same seeded weights,
and saving and loading the model.

The web stack is optional (``pip install "neuronal[playground]"``: Starlette, uvicorn,
websockets); this package imports it only when a server is created. The page's files ship in
``static/``: plain HTML, CSS and JavaScript, no build step, nothing fetched from elsewhere.

Examples
--------
From Python (blocks until Ctrl-C)::

    from neuronal.playground import bind, serve
    sock = bind(8000)
    serve(sock)
"""

from __future__ import annotations

from .config import Setup, parse_setup
from .limits import Limits, PlaygroundError

__all__ = ["Limits", "PlaygroundError", "Setup", "parse_setup", "create_app", "bind", "serve"]


def create_app(*args, **kwargs):
    """The playground as a Starlette application; see :func:`.server.create_app`."""
    from .server import create_app as _create

    return _create(*args, **kwargs)


def bind(port: int = 0):
    """A listening socket on 127.0.0.1; see :func:`.server.bind`."""
    from .server import bind as _bind

    return _bind(port)


def serve(sock, *args, **kwargs) -> None:
    """Run the playground on ``sock`` until interrupted; see :func:`.server.serve`."""
    from .server import serve as _serve

    _serve(sock, *args, **kwargs)
