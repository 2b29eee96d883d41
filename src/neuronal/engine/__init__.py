"""The engine: how fast the core's computation runs on this machine.

The core (layers, optimisers, the fit loop) reaches this package only through
``neuronal.seams``:

* **epoch runners** (:func:`epoch_runner`, ``runner.py``; ``parallel.py`` with ``fit(workers=2)``)
  run ``fit``'s epochs with reused batch buffers, one fused optimiser step over all
  parameters (``flat.py``) and BLAS threads chosen by size (``threads.py``);
* **kernels** (:data:`KERNELS`, ``kernels/``): tuned forward and backward passes for the
  layer types whose readable code leaves speed on the table (convolution, pooling, the
  recurrent layers). Each is pinned by tests to the layer's own code.

``NEURONAL_ENGINE=plain`` (or ``neuronal.use_engine("plain")``) bypasses all of it.
"""

from __future__ import annotations

from .kernels import KERNELS
from .runner import epoch_runner

__all__ = ["epoch_runner", "KERNELS"]
