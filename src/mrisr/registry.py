"""One small registry class; one instance per kind (models, methods, degradations)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> object mapping that refuses duplicates and explains misses.

    Parameters
    ----------
    kind : str
        What is registered (used in error messages), e.g. ``"method"``.

    Examples
    --------
    >>> COLOURS = Registry("colour")
    >>> @COLOURS.register("red")
    ... def red():
    ...     return "#f00"
    >>> COLOURS.get("red")()
    '#f00'
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, obj: T | None = None) -> Callable[[T], T] | T:
        """Register ``obj`` under ``name``; usable as a decorator when ``obj`` is omitted."""

        def add(item: T) -> T:
            if name in self._items:
                raise KeyError(f"{self.kind} {name!r} is already registered")
            self._items[name] = item
            return item

        return add if obj is None else add(obj)

    def get(self, name: str) -> T:
        """Return the object for ``name``.

        Raises
        ------
        ValueError
            If ``name`` is unknown; the message lists the options and the closest match.
        """
        try:
            return self._items[name]
        except KeyError:
            options = ", ".join(sorted(self._items)) or "(none)"
            close = difflib.get_close_matches(name, list(self._items), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown {self.kind} {name!r}{hint} (options: {options})") from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
