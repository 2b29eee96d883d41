"""The two seams between the core (what is computed) and the engine (how fast it runs).

The core is the code a teacher prints: each layer's forward and backward written as its
equations, the optimisers' update rules, the fit loop. The engine (``neuronal/engine/``)
makes the same computation fast on this machine, and the core reaches it only here:

1. **How an epoch runs** (:func:`epoch_runner`): an object with ``batches()`` and
   ``step(X_batch, Y_batch)`` that the fit loop drives. The plain runner
   (``training.PlainRunner``) draws each mini-batch with fancy indexing and calls
   ``network.train_step``; the engine's runner gathers batches into reused buffers, updates
   all parameters with one fused optimiser step, runs small products on one BLAS thread and,
   when asked (``fit(workers=2)``), shares each batch with a worker process.
2. **How a layer's heavy arithmetic runs** (:func:`forward` / :func:`backward`): a layer's
   own ``forward``/``backward`` (the readable code), or the engine's tuned kernel for that
   layer type (im2col convolution, fused recurrent gates, separable pooling), which tests pin
   to the readable code.

``NEURONAL_ENGINE=plain`` in the environment, ``neuronal.use_engine("plain")`` (a context
manager) or ``neuronal.set_engine("plain")`` run exactly the printed code everywhere; the
default is ``"fast"``. Both give the same results up to floating-point rounding.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import numpy as np

from .errors import NeuronalError

__all__ = ["engine_name", "set_engine", "use_engine", "place_parameters", "epoch_runner",
           "processes", "epochs_from_rank_0", "forward", "backward"]

ENGINES = ("fast", "plain")


def _from_environment() -> str:
    name = os.environ.get("NEURONAL_ENGINE", "fast").strip().lower() or "fast"
    return name if name in ENGINES else "fast"


_engine = _from_environment()
_kernels: dict | None = None  # layer type -> kernel, loaded with the engine


def engine_name() -> str:
    """``"fast"`` or ``"plain"``: which engine runs training and the layers' arithmetic."""
    return _engine


def set_engine(name: str) -> None:
    """Choose the engine for this process: ``"fast"`` (default) or ``"plain"``.

    ``"plain"`` runs the readable code of the layers, the optimisers and the fit loop and
    nothing else (for teaching, and for checking the fast engine against it).
    """
    global _engine
    key = str(name).strip().lower()
    if key not in ENGINES:
        raise NeuronalError(f"engine must be one of {ENGINES}, got {name!r}")
    _engine = key


@contextmanager
def use_engine(name: str):
    """``with neuronal.use_engine("plain"): ...`` runs the block on that engine."""
    previous = _engine
    set_engine(name)
    try:
        yield
    finally:
        set_engine(previous)


# ---------------------------------------------------------------------- seam 1: epoch runners


def place_parameters(network) -> None:
    """When a network is built: let the engine lay its parameters out for the runner (one
    array for all of them, each layer keeping views of the same shapes and values)."""
    if _engine != "plain":
        from .engine import flat

        flat.pack(network)


def epoch_runner(network, X, Y, batch_size: int, shuffle: bool, watch, workers=None,
                 weights=None, comm=None):
    """The object that runs ``network``'s epochs over (X, Y) (see ``training.PlainRunner``
    for the interface). ``watch(loss)`` is called with every step's loss; ``weights``: one
    per sample, or None; ``comm``: the processes sharing the epochs (:func:`processes`)."""
    if _engine == "plain":
        if workers not in (None, 1) or comm is not None:
            what = f"workers={workers!r}" if comm is None else "comm=..."
            raise NeuronalError(
                f"{what} needs the fast engine; the plain engine trains in one process "
                f"(use workers=None and no comm)")
        from .training import PlainRunner

        return PlainRunner(network, X, Y, batch_size, shuffle, watch, weights)
    from .engine import epoch_runner as engine_runner

    return engine_runner(network, X, Y, batch_size, shuffle, watch, workers, weights, comm)


def epochs_from_rank_0(comm, network, epochs: int, validation: bool) -> int:
    """With ranks (``comm``): rank 0's count of the epochs trained and still to train (it
    alone resumes from a checkpoint) holds on every rank; returns the epochs to train."""
    if comm is None:
        return epochs
    agreed = np.array([network.epochs_trained, epochs, validation], dtype=np.float64)
    comm.broadcast(agreed)
    if bool(agreed[2]) != validation:
        raise NeuronalError("give fit validation data on every rank or on none")
    network.epochs_trained = int(agreed[0])
    return int(agreed[1])


@contextmanager
def processes(comm):
    """``fit``'s processes: yields None (this process alone) or the communicator ``comm``
    names (``"mpi"``: all the processes of the MPI job, ``neuronal.distributed.world()``).

    An error inside the block is sent to the other ranks (``comm.fail``), which stop at their
    next exchange instead of waiting for this rank forever; at the end the communicator
    stops listening for such news (``comm.close``)."""
    if comm is None:
        yield None
        return
    if isinstance(comm, str):
        if comm.strip().lower() != "mpi":
            raise NeuronalError(f"comm must be 'mpi', a communicator such as "
                                f"neuronal.distributed.MPIComm(), or None; got {comm!r}")
        from .distributed import world

        comm = world()
    elif not all(callable(getattr(comm, op, None)) for op in ("allreduce", "broadcast", "fail")):
        raise NeuronalError(f"comm must be 'mpi', a communicator such as "
                            f"neuronal.distributed.MPIComm(), or None; got "
                            f"{type(comm).__name__}")
    try:
        yield comm
    except BaseException as exc:
        comm.fail(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        raise
    finally:
        comm.close()


# ---------------------------------------------------------------------- seam 2: kernels


def _kernel_for(layer):
    global _kernels
    if _engine == "plain":
        return None
    if _kernels is None:
        from .engine import KERNELS

        _kernels = KERNELS
    return _kernels.get(type(layer))


def forward(layer, x, training: bool = False):
    """``layer``'s forward pass: its own code, or the engine's kernel for its type."""
    kernel = _kernel_for(layer)
    layer._kernel = kernel  # backward must take the same route as forward
    if kernel is None:
        return layer.forward(x, training=training)
    return kernel.forward(layer, x, training)


def backward(layer, grad, preactivation: bool = False):
    """``layer``'s backward pass, by the route its last forward pass took."""
    kernel = getattr(layer, "_kernel", None)
    if kernel is None:
        return layer.backward(grad, preactivation=preactivation)
    return kernel.backward(layer, grad, preactivation)
