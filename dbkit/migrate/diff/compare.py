"""Two snapshots → a list of :class:`Change`, in the order a migration applies them.

Pure Python over :mod:`dbkit.migrate.schema` data (no SQLAlchemy, no database), in the spirit of
Alembic's autogenerate: comparators registered per level (``schema``, ``table``, ``column``) in
:data:`dbkit.migrate.diff.context.comparators`, one module per kind of object in
:mod:`dbkit.migrate.diff.comparators`, each given one :class:`CompareContext`. This module runs
them (:func:`diff_snapshots`, :func:`diff_tables`, :func:`diff_columns`) and puts the result in
application order (:func:`order_changes`). The change types and their JSON are in
:mod:`dbkit.migrate.diff.changes`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter
from typing import Any

from dbkit.errors import working_on
from dbkit.migrate.diff.changes import Change, Op
from dbkit.migrate.diff.comparators.constraints import (
    NAMED_KINDS,
    match_items,
    matched_pairs,
    name_alignments,
)
from dbkit.migrate.diff.context import CompareContext, CompareOptions
from dbkit.migrate.schema.snapshot import ColumnSnapshot, Snapshot, TableSnapshot


def diff_snapshots(old: Snapshot, new: Snapshot, options: CompareOptions | None = None) -> list[Change]:
    """Every change that turns ``old`` into ``new``, in application order (see :func:`order_changes`)."""
    options = options or CompareOptions.for_pair(old, new)
    old, new = project(old, new, options)
    native_enums = frozenset(old.enum_map.keys() & new.enum_map.keys())
    context = CompareContext(options, native_enums, old, new)
    return order_changes(context.snapshot_changes(), old, new)


def project(old: Snapshot, new: Snapshot, options: CompareOptions) -> tuple[Snapshot, Snapshot]:
    """Both snapshots as every database in ``options.stored_by`` would keep them (and as any database
    can: without foreign keys to columns that are not unique, which no revision creates)."""
    old, new = old.without_unbuildable_foreign_keys(), new.without_unbuildable_foreign_keys()
    for dialect in options.stored_by:
        old, new = old.as_stored_by(dialect), new.as_stored_by(dialect)
    return old, new


def diff_tables(
    old: TableSnapshot,
    new: TableSnapshot,
    options: CompareOptions | None = None,
    native_enums: Iterable[str] = (),
) -> list[Change]:
    """Changes inside one table (``old`` and ``new`` may have different names: a renamed table)."""
    if old.schema_key == new.schema_key:
        return []  # equal columns and constraints (names included): nothing below could differ
    context = CompareContext(options or CompareOptions(), frozenset(native_enums))
    with working_on(table=new.name):
        return context.table_changes(old, new)


def diff_columns(
    table: str,
    old: ColumnSnapshot,
    new: ColumnSnapshot,
    options: CompareOptions | None = None,
    native_enums: Iterable[str] = (),
) -> list[Change]:
    """An ``alter_column`` with one pair per changed attribute, plus enum member changes."""
    if old == new:
        return []  # most columns: nothing below could differ
    context = CompareContext(options or CompareOptions(), frozenset(native_enums))
    with working_on(table=table, column=new.name):
        return context.column_changes(table, old, new)


# -- order -----------------------------------------------------------------------------------------
#: Phases of a migration, in order: enum values first (tables may use them), renames, FK drops
#: (before what they point at goes), new tables, in-table work, FK additions (after their
#: targets exist), table drops, then enum values removed.
_PHASES: dict[Op, int] = {
    Op.RENAME_TABLE: 1,
    Op.DROP_FOREIGN_KEY: 2,
    Op.ADD_TABLE: 3,
    Op.ADD_FOREIGN_KEY: 5,
    Op.DROP_TABLE: 6,
}
_IN_TABLE_PHASE = 4
#: Order of work inside one table: renames first, then drops of constraints that may use
#: dropped columns, column work, and finally constraints over the new columns.
_IN_TABLE_ORDER: tuple[Op, ...] = (
    Op.RENAME_COLUMN,
    Op.RENAME_CONSTRAINT,
    Op.DROP_INDEX,
    Op.DROP_UNIQUE,
    Op.DROP_CHECK,
    Op.ADD_COLUMN,
    Op.ALTER_COLUMN,
    Op.ADD_ENUM_VALUE,
    Op.DROP_ENUM_VALUE,
    Op.ALTER_PRIMARY_KEY,
    Op.DROP_COLUMN,
    Op.ADD_UNIQUE,
    Op.ADD_CHECK,
    Op.ADD_INDEX,
    Op.ALTER_TABLE_COMMENT,
)
_IN_TABLE_RANK = {op: rank for rank, op in enumerate(_IN_TABLE_ORDER)}


def order_changes(changes: Iterable[Change], old: Snapshot, new: Snapshot) -> list[Change]:
    """Deterministic application order (see ``_PHASES``); new tables in foreign-key order,
    dropped tables in reverse, added columns in their table's column order. Changes alike in all
    of that are ordered by their JSON ``detail`` (computed for those only)."""
    changes = list(changes)
    created = dependency_order([c.table for c in changes if c.op == Op.ADD_TABLE and c.table], new)
    dropped = dependency_order([c.table for c in changes if c.op == Op.DROP_TABLE and c.table], old)[::-1]
    position = {name: index for index, name in enumerate(created)}
    position.update({name: index for index, name in enumerate(dropped)})

    def key(change: Change) -> tuple[Any, ...]:
        if change.table is None:  # a native enum's values: added first, removed last
            phase = 0 if change.op == Op.ADD_ENUM_VALUE else 7
            return (phase, "", 0, 0, str(getattr(change, "enum", None)), str(getattr(change, "value", None)))
        phase = _PHASES.get(change.op, _IN_TABLE_PHASE)
        table_rank = position.get(change.table, 0) if change.op in (Op.ADD_TABLE, Op.DROP_TABLE) else 0
        table = new.table_map.get(change.table) or old.table_map.get(change.table)
        column_rank = _column_position(table, change.column)
        return (phase, table_rank, change.table, _IN_TABLE_RANK.get(change.op, 0), column_rank)

    ordered: list[Change] = []
    keyed = sorted(((key(change), change) for change in changes), key=itemgetter(0))
    for _key, alike in groupby(keyed, key=itemgetter(0)):
        group = [change for _key, change in alike]
        if len(group) > 1 and group[0].table is not None:
            group.sort(key=_detail_key)
        ordered.extend(group)
    return ordered


def _detail_key(change: Change) -> str:
    return json.dumps(change.detail, sort_keys=True, default=str)


def _column_position(table: TableSnapshot | None, column: str | None) -> int:
    if table is None or column is None:
        return -1
    return table.column_positions.get(column, len(table.columns))


def dependency_order(names: Iterable[str], snapshot: Snapshot) -> list[str]:
    """``names`` sorted so a table comes after the tables it references (ties and cycles by name)."""
    pending = sorted(set(names))
    wanted = set(pending)
    placed: list[str] = []
    done: set[str] = set()
    while pending:
        ready = [name for name in pending if not (_references(snapshot, name) & wanted) - done - {name}]
        chosen = ready[0] if ready else _breaks_a_cycle(pending, snapshot, wanted - done)
        placed.append(chosen)
        done.add(chosen)
        pending.remove(chosen)
    return placed


def _breaks_a_cycle(pending: list[str], snapshot: Snapshot, open_names: set[str]) -> str:
    """The first table (by name) that waits only on tables of its own cycle: the keys inside a cycle
    are added after every table exists, but a table referencing a cycle from outside (galaxy's
    ``credential`` → ``credentials_group``) must still come after it."""
    for name in pending:
        waiting = (_references(snapshot, name) & open_names) - {name}
        if all(name in _reachable(snapshot, other, open_names) for other in waiting):
            return name
    return pending[0]


def _reachable(snapshot: Snapshot, start: str, within: set[str]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for referred in _references(snapshot, stack.pop()) & within:
            if referred not in seen:
                seen.add(referred)
                stack.append(referred)
    return seen


def _references(snapshot: Snapshot, name: str) -> set[str]:
    table = snapshot.table_map.get(name)
    return {fk.referred_table for fk in table.foreign_keys} if table else set()


__all__ = [
    "NAMED_KINDS",
    "CompareContext",
    "CompareOptions",
    "dependency_order",
    "diff_columns",
    "diff_snapshots",
    "diff_tables",
    "match_items",
    "matched_pairs",
    "name_alignments",
    "order_changes",
    "project",
]
