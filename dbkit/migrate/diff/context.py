"""What a comparator is given and where it is registered: options, the context, the registry.

As in Alembic's autogenerate, comparators are functions registered per level with
``comparators.dispatch_for(level)`` and called in registration order; each returns the changes it
finds. The built-in ones live in :mod:`dbkit.migrate.diff.comparators`, one module per kind of
schema object, and :mod:`dbkit.migrate.diff.compare` runs them. A new kind of object is one new
module there (registered by importing it from the package's ``__init__``).

Levels and what each comparator is called with:

* ``"schema"``: ``(context, old: Snapshot, new: Snapshot)`` once per diff (snapshots already
  projected through ``options.stored_by``);
* ``"table"``: ``(context, old: TableSnapshot, new: TableSnapshot)`` per table both sides have and
  that differs (``new.name`` is the table's name; ``old`` may be a renamed table's old self);
* ``"column"``: ``(context, table: str, old: ColumnSnapshot, new: ColumnSnapshot)`` per column both
  sides of a table have and that differs.

The :class:`CompareContext` is the one object passed down: the options, the native enum types both
sides have, the two snapshots (``None`` when tables or columns are compared alone), and the
registry to dispatch through (:meth:`CompareContext.table_changes` and
:meth:`CompareContext.column_changes` dispatch one level down).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from dbkit.migrate.diff.changes import Change
    from dbkit.migrate.schema.snapshot import ColumnSnapshot, Snapshot, TableSnapshot

#: The levels comparators register for, outermost first.
LEVELS = ("schema", "table", "column")

Comparator = Callable[..., Iterable["Change"]]
ComparatorT = TypeVar("ComparatorT", bound=Comparator)


@dataclass(frozen=True)
class CompareOptions:
    """How to compare. ``stored_by`` lists databases both sides are projected through
    (:meth:`Snapshot.as_stored_by`), so what a database cannot keep is not a difference;
    :meth:`for_pair` takes it from the snapshots' ``dialect``."""

    stored_by: tuple[str, ...] = ()
    compare_comments: bool = True
    compare_server_defaults: bool = True

    @classmethod
    def for_pair(cls, old: Snapshot, new: Snapshot, **overrides: Any) -> CompareOptions:
        dialects = tuple(sorted({d for d in (old.dialect, new.dialect) if d}))
        return cls(stored_by=dialects, **overrides)

    @property
    def spelled_by_database(self) -> bool:
        """True when one side's SQL text (CHECKs) is the database's own spelling, not the model's."""
        return bool(self.stored_by)


class ComparatorRegistry:
    """Comparator functions per level, called in the order they were registered."""

    def __init__(self) -> None:
        self._by_level: dict[str, tuple[Comparator, ...]] = dict.fromkeys(LEVELS, ())

    def dispatch_for(self, level: str) -> Callable[[ComparatorT], ComparatorT]:
        """Decorator: register the function as a comparator of ``level`` (after those already there)."""
        self._check(level)

        def register(comparator: ComparatorT) -> ComparatorT:
            self._by_level[level] = (*self._by_level[level], comparator)
            return comparator

        return register

    def dispatch(self, level: str) -> tuple[Comparator, ...]:
        """The comparators of ``level``, in registration order."""
        self._check(level)
        return self._by_level[level]

    def remove(self, level: str, comparator: Comparator) -> None:
        """Unregister ``comparator`` from ``level`` (a plug-in switched off, a test cleaning up)."""
        self._check(level)
        self._by_level[level] = tuple(c for c in self._by_level[level] if c is not comparator)

    def _check(self, level: str) -> None:
        if level not in self._by_level:
            raise ValueError(f"Unknown comparator level {level!r}; levels: {', '.join(LEVELS)}.")


#: The registry dbkit's diff dispatches through (the built-in comparators register here).
comparators = ComparatorRegistry()


@dataclass(frozen=True, slots=True)
class CompareContext:
    """The one object every comparator receives (see the module docstring)."""

    options: CompareOptions = field(default_factory=CompareOptions)
    #: Native enum types both snapshots declare: their values are compared once, as types.
    native_enums: frozenset[str] = frozenset()
    old: Snapshot | None = None
    new: Snapshot | None = None
    registry: ComparatorRegistry = comparators

    def snapshot_changes(self) -> list[Change]:
        """Every ``schema`` comparator over ``old`` and ``new`` (unordered: see ``order_changes``)."""
        if self.old is None or self.new is None:
            raise ValueError("snapshot_changes needs a context with both snapshots.")
        changes: list[Change] = []
        for comparator in self.registry.dispatch("schema"):
            changes.extend(comparator(self, self.old, self.new))
        return changes

    def table_changes(self, old: TableSnapshot, new: TableSnapshot) -> list[Change]:
        """Every ``table`` comparator over two versions of one table (none when they are equal)."""
        if old.schema_key == new.schema_key:
            return []  # equal columns and constraints (names included): nothing could differ
        changes: list[Change] = []
        for comparator in self.registry.dispatch("table"):
            changes.extend(comparator(self, old, new))
        return changes

    def column_changes(self, table: str, old: ColumnSnapshot, new: ColumnSnapshot) -> list[Change]:
        """Every ``column`` comparator over two versions of one column of ``table`` (none when equal)."""
        if old == new:
            return []  # most columns: nothing could differ
        changes: list[Change] = []
        for comparator in self.registry.dispatch("column"):
            changes.extend(comparator(self, table, old, new))
        return changes


__all__ = ["LEVELS", "ComparatorRegistry", "CompareContext", "CompareOptions", "comparators"]
