"""Parameters laid end to end in one array, and the optimiser's rule applied to all at once.

A network's parameters are many small arrays (784x128x10 has four: two weight matrices and
two bias vectors). An optimiser's update rule is elementwise, so it can be applied to all of
them at once when they lie back to back in one 1-D array, and their gradients in another:
Adam's dozen NumPy calls per parameter become a dozen for the whole network (the small biases
cost as much per call as the big weight matrix costs per pass). :func:`pack` moves every
parameter of a network into one array (and every gradient into another) as views with the
same shapes, memory layouts and values; layers look their arrays up by name on every call, so
they keep working on the views. :class:`FusedStep` then runs ``optimizer.update`` once on the
whole arrays, with the optimiser's state laid out the same way: its per-parameter state dicts
(what ``state_dict`` and checkpoints see) are views of the flat state.

Being elementwise, the fused step gives exactly the numbers of ``optimizer.step`` per
parameter. Every 32 steps it also sets state entries that have decayed to almost nothing to
0 before they become subnormal numbers, on which x86 arithmetic is about 100x slower (see
:func:`_flush_tiny_state`); that changes no parameter by more than the rounding of its update.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np

__all__ = ["pack", "flat_span", "view_like", "FusedStep"]

#: Steps between two passes that flush decayed optimiser state (see _flush_tiny_state).
FLUSH_EVERY = 32


def view_like(flat: np.ndarray, offset: int, like: np.ndarray) -> np.ndarray:
    """A view of ``flat[offset : offset + like.size]`` with the shape and layout of ``like``
    (a C- or Fortran-contiguous array)."""
    return np.ndarray(like.shape, dtype=flat.dtype, buffer=flat,
                      offset=offset * flat.itemsize, strides=like.strides)


def _dense(a: np.ndarray) -> bool:
    return a.flags.c_contiguous or a.flags.f_contiguous


def flat_span(arrays: Sequence[np.ndarray]) -> np.ndarray | None:
    """The 1-D array that ``arrays`` tile exactly, back to back and in order; else None."""
    if not arrays:
        return None
    base = arrays[0].base
    if not isinstance(base, np.ndarray) or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    start = address = base.__array_interface__["data"][0]
    for a in arrays:
        if (a.base is not base or a.dtype != base.dtype or not _dense(a)
                or a.__array_interface__["data"][0] != address):
            return None
        address += a.nbytes
    return base if address == start + base.nbytes else None


def _offsets(arrays: Sequence[np.ndarray]) -> list[int]:
    out, total = [], 0
    for a in arrays:
        out.append(total)
        total += a.size
    return out


def pack(network) -> bool:
    """Lay ``network``'s parameters end to end in one array, and its gradients in another.

    Each layer's arrays are replaced by views of the same shapes, layouts and values. Layers
    already packed by another network that still exists keep their arrays (that network's
    optimiser holds them). Returns whether the parameters are packed now.
    """
    pairs = network.parameters()
    params = [p for p, _ in pairs]
    if not pairs:
        return False
    if flat_span(params) is not None and flat_span([g for _, g in pairs]) is not None:
        return True
    if (len({p.dtype for p in params}) != 1
            or not all(_dense(p) and p.strides == g.strides for p, g in pairs)
            or any(_packed_by_other(layer, network) for layer in network.layers)):
        return False
    flat_p = np.empty(sum(p.size for p in params), dtype=params[0].dtype)
    flat_g = np.zeros_like(flat_p)
    starts = iter(_offsets(params))
    for layer in network.layers:
        ps, gs = layer.params(), layer.grads()
        for key in ps:
            start = next(starts)
            p, g = view_like(flat_p, start, ps[key]), view_like(flat_g, start, gs[key])
            p[...], g[...] = ps[key], gs[key]
            ps[key], gs[key] = p, g
        layer._packed_by = weakref.ref(network)
    return True


def _packed_by_other(layer, network) -> bool:
    ref = getattr(layer, "_packed_by", None)
    owner = ref() if ref is not None else None
    return owner is not None and owner is not network


class FusedStep:
    """``optimizer.step(pairs)`` as one update of the packed arrays (see the module docstring).

    Build it when the parameters are packed (:func:`pack`); ``step()`` then takes the place of
    ``optimizer.step(pairs)``. The optimiser's state becomes views of flat arrays (values kept).
    """

    def __init__(self, optimizer, pairs, decay=None) -> None:
        params = [p for p, _ in pairs]
        self.p, self.g = flat_span(params), flat_span([g for _, g in pairs])
        if self.p is None or self.g is None:
            raise ValueError("FusedStep needs packed parameters and gradients (engine.flat.pack)")
        self.optimizer = opt = optimizer
        opt.ensure_state(params)
        flat = {slot: np.zeros_like(self.p) for slot in opt.slots}
        views = []
        for p, start, old in zip(params, _offsets(params), opt.state):
            view = {slot: view_like(flat[slot], start, p) for slot in opt.slots}
            for slot in opt.slots:
                view[slot][...] = old[slot]
            views.append(view)
        opt.state = views
        self.state = flat
        self._views = views
        # the elements weight decay applies to (None: all of them)
        decayed = optimizer.decayed(decay, len(params))
        self.decay_mask = None
        if not all(decayed):
            self.decay_mask = np.zeros(self.p.size, dtype=bool)
            for p, start, d in zip(params, _offsets(params), decayed):
                self.decay_mask[start : start + p.size] = d

    def valid(self) -> bool:
        """False once the optimiser's state was replaced (reset, reloaded for new shapes)."""
        return self.optimizer.state is self._views or all(
            a is b for a, b in zip(self.optimizer.state, self._views))

    def step(self) -> None:
        opt = self.optimizer
        opt.iterations += 1
        g = self.g
        if opt.weight_decay and self.decay_mask is None:
            g = g + opt.weight_decay * self.p
        elif opt.weight_decay:  # the same sums as per parameter, where decay applies
            g = g.copy()
            np.add(g, opt.weight_decay * self.p, out=g, where=self.decay_mask)
        opt.update(self.p, g, self.state)
        if self.state and opt.iterations % FLUSH_EVERY == 0:
            _flush_tiny_state(opt, self.state)


#: How fast each known state slot shrinks per step while its gradient is 0.
_DECAY = {"velocity": "momentum", "m": "beta1", "v": "beta2", "square_avg": "rho"}
#: Slots used as sqrt(slot) + epsilon: flushed only where that cannot change the sum.
_ROOTS = {"v", "square_avg"}


def _flush_tiny_state(optimizer, state: dict[str, np.ndarray]) -> None:
    """Set state entries that would turn subnormal before the next flush to 0.

    An entry whose gradient stays 0 (the weight of a pixel that is blank in every sample for
    a while) shrinks geometrically, m <- 0.9 m, and would spend ~150 steps as a subnormal
    number (below ~1.2e-38 in float32); a few percent of Adam's m in that range made its steps
    5x slower on MNIST. Entries below tiny / decay^FLUSH_EVERY (x2) are set to 0: above it, they
    cannot reach the subnormals before the next flush. What is removed cannot move a parameter
    by more than the rounding of its update; a slot used under a square root next to epsilon
    is flushed only when sqrt(threshold) is below epsilon's own precision.
    """
    for slot, arr in state.items():
        decay = float(getattr(optimizer, _DECAY.get(slot, ""), 0.0) or 0.0)
        if not 0.0 < decay < 1.0:
            continue
        threshold = float(np.finfo(arr.dtype).tiny) * 2.0 / decay**FLUSH_EVERY
        if slot in _ROOTS:
            eps = float(getattr(optimizer, "epsilon", 0.0))
            if np.sqrt(threshold / (1.0 - decay)) > eps * 2.0**-24:
                continue
        np.putmask(arr, np.abs(arr) < threshold, 0)
