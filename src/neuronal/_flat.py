"""Parameters laid back to back in one flat array, so one array operation updates them all.

A network (``Network._pack_parameters``) moves every parameter of its layers into one 1-D
array, and every gradient into another, as views of the same shapes, memory layouts and
values. An optimiser that finds its (parameter, gradient) pairs laid out like that
(:func:`flat_span`) updates the whole network with a handful of array operations instead of a
handful per parameter: 784x128x10 has 4 parameters, so Adam's 40 NumPy calls per step become
10 (the small biases cost as much per call as the big weight matrix costs per pass).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def view_like(flat: np.ndarray, offset: int, like: np.ndarray) -> np.ndarray:
    """A view of ``flat[offset : offset + like.size]`` with the shape and layout of ``like``.

    ``like`` must be contiguous (C or Fortran order); its strides then describe a dense block
    of ``like.size`` elements, which the view reuses.
    """
    return np.ndarray(like.shape, dtype=flat.dtype, buffer=flat,
                      offset=offset * flat.itemsize, strides=like.strides)


def is_dense(a: np.ndarray) -> bool:
    """Whether ``a`` occupies one gap-free block of memory (C or Fortran order)."""
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
        if (a.base is not base or a.dtype != base.dtype or not is_dense(a)
                or a.__array_interface__["data"][0] != address):
            return None
        address += a.nbytes
    return base if address == start + base.nbytes else None


def offsets(arrays: Sequence[np.ndarray]) -> list[int]:
    """Element offset of each array when they are laid back to back."""
    out, total = [], 0
    for a in arrays:
        out.append(total)
        total += a.size
    return out
