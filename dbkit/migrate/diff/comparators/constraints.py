"""Constraints and indexes: foreign keys, unique constraints, indexes and checks.

They are matched by kind and columns (checks by their normalised SQL), never by name: a name that
one side left to the database is not a change. A pair that matches but differs in other options
(``ondelete``, ``unique``...) is dropped and re-added. :func:`name_alignments` renames what
differs by name alone, after a table or column rename left derived names behind.

Dialect keyword arguments (``dialect_options``: ``postgresql_using``, ``postgresql_where``,
``mysql_length``, ``sqlite_on_conflict``...) are options like any other: an index or constraint
whose options differ is dropped and re-added (a primary key is altered). Which options count
depends on the sides, decided once in :meth:`Snapshot.as_stored_by`, which the diff projects
both sides through for every database among them: against a PostgreSQL database only the
``postgresql_*`` options PostgreSQL reflects (using, where, include, with, ops,
nulls_not_distinct), against SQLite only ``sqlite_where``; ``mysql_*``/``mssql_*`` options (and
``postgresql_concurrently``, which no catalog records) never differ from a database's, and no
option compares between two databases of different kinds. Between two snapshots of models
(no database on either side) every option counts, whatever its dialect.

An index with no columns (``sa.Index("ix_x")`` in code nobody can edit) is never compared: no
database can hold one, so a revision leaves it out (with a comment saying so) and a database
never has it; comparing it would report it missing forever. Inventory and parity warn about it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from dbkit.migrate.diff.changes import (
    ADDED_BY_KIND,
    DROPPED_BY_KIND,
    AddCheck,
    Change,
    DropCheck,
    RenameConstraint,
)
from dbkit.migrate.diff.context import CompareContext, CompareOptions, comparators
from dbkit.migrate.schema.snapshot import CheckSnapshot, IndexSnapshot, TableSnapshot

Item = TypeVar("Item")

#: Named table objects besides the primary key: kind, the ``TableSnapshot`` field, what pairs them.
NAMED_KINDS: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("foreign_key", "foreign_keys", lambda fk: fk.match_key),
    ("unique", "unique_constraints", lambda uq: uq.match_key),
    ("index", "indexes", lambda ix: ix.match_key),
    ("check", "check_constraints", lambda ck: ck.sqltext),
)


@comparators.dispatch_for("table")
def compare_constraints(context: CompareContext, old: TableSnapshot, new: TableSnapshot) -> list[Change]:
    """Drops, then additions, per kind (foreign keys, unique constraints, indexes, then checks)."""
    table = new.name
    changes: list[Change] = []
    for kind, attribute, key in NAMED_KINDS:
        if kind == "check":  # checks match by text, or by name when a database spelled one side
            continue
        old_items, new_items = getattr(old, attribute), getattr(new, attribute)
        if old_items == new_items:
            continue
        if kind == "index":
            old_items, new_items = creatable_indexes(old_items), creatable_indexes(new_items)
        removed, added, matched = match_items(old_items, new_items, key)
        for before, after in matched:
            if before != after and _renamed(before, after.name) != after:  # same key, other options
                removed.append(before)
                added.append(after)
        changes.extend(DROPPED_BY_KIND[kind](table=table, definition=item) for item in removed)
        changes.extend(ADDED_BY_KIND[kind](table=table, definition=item) for item in added)
    removed_checks, added_checks = _check_changes(
        old.check_constraints, new.check_constraints, context.options
    )
    changes.extend(DropCheck(table=table, definition=item) for item in removed_checks)
    changes.extend(AddCheck(table=table, definition=item) for item in added_checks)
    return changes


def creatable_indexes(indexes: Sequence[IndexSnapshot]) -> tuple[IndexSnapshot, ...]:
    """The indexes a database can create: those with at least one column or expression."""
    return tuple(index for index in indexes if index.columns)


def _check_changes(
    old: Sequence[CheckSnapshot], new: Sequence[CheckSnapshot], options: CompareOptions
) -> tuple[list[CheckSnapshot], list[CheckSnapshot]]:
    """Checks match by normalised SQL; failing that, by name when a database spelled one side
    (PostgreSQL rewrites ``IN (...)`` as ``= ANY (ARRAY[...])``: text cannot be compared)."""
    removed, added, _matched = match_items(old, new, lambda ck: ck.sqltext)
    if not options.spelled_by_database:
        return removed, added
    added_names = {ck.name for ck in added if ck.name}
    kept = {ck.name for ck in removed if ck.name in added_names}
    return [ck for ck in removed if ck.name not in kept], [ck for ck in added if ck.name not in kept]


def match_items(
    old: Sequence[Item], new: Sequence[Item], key: Callable[[Item], Any]
) -> tuple[list[Item], list[Item], list[tuple[Item, Item]]]:
    """Pair items with equal keys (duplicates pair by name, else in order): ``(removed, added, matched)``.

    By name first: prefect 3.9 adds a second index on ``block_document(name)``; pairing the old one
    with the new one of another name would drop nothing and create the old name twice."""
    waiting: dict[Any, list[Item]] = defaultdict(list)
    for item in old:
        waiting[key(item)].append(item)
    added: list[Item] = []
    matched: list[tuple[Item, Item]] = []
    for item in new:
        candidates = waiting.get(key(item))
        if candidates:
            name = getattr(item, "name", None)
            same = next((i for i, c in enumerate(candidates) if name and getattr(c, "name", None) == name), 0)
            matched.append((candidates.pop(same), item))
        else:
            added.append(item)
    removed = [item for items in waiting.values() for item in items]
    return removed, added, matched


def matched_pairs(old: TableSnapshot, new: TableSnapshot) -> Iterator[tuple[str, Any, Any]]:
    """``(kind, old item, new item)`` for the constraints and indexes both tables have (names aside)."""
    for kind, attribute, key in NAMED_KINDS:
        for before, after in match_items(getattr(old, attribute), getattr(new, attribute), key)[2]:
            yield kind, before, after


def name_alignments(old: TableSnapshot, new: TableSnapshot) -> list[Change]:
    """Constraints and indexes equal but for their names, renamed to the models' names.

    A table or column rename leaves derived names behind (``pk_users`` on ``people``,
    ``ix_people_fullname`` after ``fullname`` became ``full_name``); a later revision that drops
    or alters one by its model name would not find it. Only named pairs are renamed: a name the
    database chose is unknown to a snapshot of the models.
    """
    changes: list[Change] = []
    if old.primary_key and new.primary_key and old.primary_key.columns == new.primary_key.columns:
        changes.extend(_rename_change(new.name, "primary_key", old.primary_key, new.primary_key))
    for kind, before, after in matched_pairs(old, new):
        if _renamed(before, after.name) == after:  # nothing but the name differs
            changes.extend(_rename_change(new.name, kind, before, after))
    return changes


def _rename_change(table: str, kind: str, before: Any, after: Any) -> list[Change]:
    if not before.name or not after.name or before.name == after.name:
        return []
    return [RenameConstraint(table=table, kind=kind, old=before.name, new=after.name, definition=after)]


def _renamed(item: Any, name: str | None) -> Any:
    return replace(item, name=name)
