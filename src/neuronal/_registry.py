"""A tiny name -> object registry shared by activations, losses, initialisers and optimisers."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .errors import NeuronalError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names (and aliases) to factories; ``get`` accepts a name or an instance.

    Parameters
    ----------
    kind : str
        What the registry holds, used in error messages ("activation", "loss", ...).
    base : type
        Instances of this type are returned by :meth:`get` unchanged.
    """

    def __init__(self, kind: str, base: type) -> None:
        self.kind = kind
        self.base = base
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str, factory: Callable[..., T], *aliases: str) -> None:
        for key in (name, *aliases):
            self._factories[key.lower()] = factory

    def names(self) -> list[str]:
        return sorted(self._factories)

    def get(self, spec: Any, **kwargs: Any) -> T:
        """An instance for ``spec``: an instance (returned as is), a registered name, or a
        configuration dict ``{"name": ..., **arguments}``."""
        if isinstance(spec, self.base):
            return spec
        if isinstance(spec, str):
            key = spec.strip().lower().replace("-", "_")
            if key in self._factories:
                return self._factories[key](**kwargs)
            close = difflib.get_close_matches(key, self._factories, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise NeuronalError(
                f"unknown {self.kind} {spec!r}: expected one of {', '.join(self.names())}.{hint}"
            )
        article = "an" if self.kind[0] in "aeiou" else "a"
        if isinstance(spec, dict):
            if "name" not in spec:
                raise NeuronalError(
                    f"{article} {self.kind} configuration needs a 'name' key, got {spec!r}: "
                    f"e.g. {{'name': {self.names()[0]!r}}}"
                )
            cfg = dict(spec)
            return self.get(cfg.pop("name"), **cfg, **kwargs)
        raise NeuronalError(
            f"expected {article} {self.kind} name (str) or "
            f"{'an' if self.base.__name__[0] in 'AEIOU' else 'a'} {self.base.__name__} instance, "
            f"got {type(spec).__name__} {spec!r}"
        )
