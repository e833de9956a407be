"""Values remembered per object while it lives, looked up by identity (``id``), never by hash.

Snapshots ask for a column type's spec, and parity for its Python type, once per column of every
table: the lookup is on the hot path. A ``WeakKeyDictionary`` makes a weak reference (and hashes it)
on every lookup; :class:`IdentityMemo` reads a plain dict by ``id()`` and checks that the remembered
object is still the same one, so an ``id`` reused by a later object never answers for it.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class IdentityMemo(Generic[V]):
    """``object → value``, held weakly: an entry goes away with its object."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        #: ``id(object) → (weak reference to it, value)``. A caller on a hot path may read it inline,
        #: as :meth:`get` does: the entry counts only if its reference still gives the same object.
        self.entries: dict[int, tuple[weakref.ref[Any], V]] = {}

    def get(self, key: Any) -> V | None:
        entry = self.entries.get(id(key))
        if entry is not None and entry[0]() is key:
            return entry[1]
        return None

    def remember(self, key: Any, value: V) -> V:
        """Store and return ``value``; an object that cannot be weakly referenced is not stored."""
        identity, entries = id(key), self.entries

        def forget(reference: weakref.ref[Any]) -> None:
            entry = entries.get(identity)
            if entry is not None and entry[0] is reference:
                entries.pop(identity, None)

        with contextlib.suppress(TypeError):  # no weak references to it (``__slots__`` without one)
            entries[identity] = (weakref.ref(key, forget), value)
        return value

    def __len__(self) -> int:
        return len(self.entries)
