"""Two snapshots → a list of :class:`Change`, in the order a migration applies them.

Pure Python over :mod:`dbkit.migrate.schema` data (no SQLAlchemy, no database), in the
spirit of Alembic's autogenerate comparators. Constraints and indexes are matched by kind
and columns, never by name: a name that one side left to the database is not a change.

``Change.detail`` holds plain JSON values, keyed by op:

====================  ====================================================================
op                    detail
====================  ====================================================================
add_table             ``new``: the table (``TableSnapshot.to_dict()``)
drop_table            ``old``: the table
rename_table          ``old``/``new``: table names (``table`` is the new name)
add_column            ``new``: the column (``ColumnSnapshot.to_dict()``)
drop_column           ``old``: the column
rename_column         ``old``/``new``: column names (``column`` is the new name)
alter_column          one key per changed attribute, each ``{"old", "new"}``: ``type`` (type
                      dicts), ``nullable``, ``server_default``, ``comment``, ``identity``,
                      ``computed``
alter_primary_key     ``old``/``new``: ``{"name", "columns"}`` or ``None``
add_/drop_index,      ``new`` / ``old``: the constraint or index as a dict (``name``,
add_/drop_unique,     ``columns``, and ``unique``, ``sqltext``, ``referred_table``,
add_/drop_check,      ``referred_columns``, ``ondelete``, ``onupdate`` as the kind has)
add_/drop_foreign_key
add_/drop_enum_value  ``enum`` (type name), ``value``, ``old``/``new`` (all values) and
                      ``columns`` (``table.column`` using it). A native enum's change has
                      ``table``/``column`` ``None``; a non-native one names its column.
alter_table_comment   ``old``/``new``: the comments
====================  ====================================================================
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from dbkit.migrate.diff.changes import Change, Op
from dbkit.migrate.schema.snapshot import (
    CheckSnapshot,
    ColumnSnapshot,
    Snapshot,
    TableSnapshot,
    as_plain_dict,
)

Item = TypeVar("Item")


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


def diff_snapshots(old: Snapshot, new: Snapshot, options: CompareOptions | None = None) -> list[Change]:
    """Every change that turns ``old`` into ``new``, in application order (see :func:`order_changes`)."""
    options = options or CompareOptions.for_pair(old, new)
    old, new = project(old, new, options)
    changes = [*_enum_changes(old, new)]
    old_tables, new_tables = old.table_map, new.table_map
    for name in sorted(old_tables.keys() - new_tables.keys()):
        changes.append(Change.make(Op.DROP_TABLE, name, old=old_tables[name].to_dict()))
    for name in sorted(new_tables.keys() - old_tables.keys()):
        changes.append(Change.make(Op.ADD_TABLE, name, new=new_tables[name].to_dict()))
    native_enums = set(old.enum_map) & set(new.enum_map)
    for name in sorted(old_tables.keys() & new_tables.keys()):
        if old_tables[name].schema_key != new_tables[name].schema_key:
            changes.extend(diff_tables(old_tables[name], new_tables[name], options, native_enums))
    return order_changes(changes, old, new)


def project(old: Snapshot, new: Snapshot, options: CompareOptions) -> tuple[Snapshot, Snapshot]:
    """Both snapshots as every database in ``options.stored_by`` would keep them."""
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
    options = options or CompareOptions()
    native = set(native_enums)
    table = new.name
    changes: list[Change] = []
    old_columns, new_columns = old.column_map, new.column_map
    for name in old_columns.keys() - new_columns.keys():
        changes.append(Change.make(Op.DROP_COLUMN, table, name, old=old_columns[name].to_dict()))
    for name in new_columns.keys() - old_columns.keys():
        changes.append(Change.make(Op.ADD_COLUMN, table, name, new=new_columns[name].to_dict()))
    for name in old_columns.keys() & new_columns.keys():
        changes.extend(diff_columns(table, old_columns[name], new_columns[name], options, native))
    changes.extend(_primary_key_changes(old, new))
    changes.extend(_constraint_changes(table, old, new, options))
    if options.compare_comments and old.comment != new.comment:
        changes.append(Change.make(Op.ALTER_TABLE_COMMENT, table, old=old.comment, new=new.comment))
    return changes


def diff_columns(
    table: str,
    old: ColumnSnapshot,
    new: ColumnSnapshot,
    options: CompareOptions | None = None,
    native_enums: Iterable[str] = (),
) -> list[Change]:
    """An ``alter_column`` with one detail key per changed attribute, plus enum member changes."""
    if old == new:
        return []  # most columns: nothing below could differ
    options = options or CompareOptions()
    detail: dict[str, Any] = {}
    enum_changes: list[Change] = []
    if _same_enum(old, new):
        if old.type.name not in set(native_enums):
            enum_changes = _enum_value_changes(
                old.type.name or "",
                old.type.values,
                new.type.values,
                [f"{table}.{new.name}"],
                table,
                new.name,
            )
    elif old.type != new.type:
        detail["type"] = {"old": old.type.to_dict(), "new": new.type.to_dict()}
    if old.nullable != new.nullable:
        detail["nullable"] = {"old": old.nullable, "new": new.nullable}
    if options.compare_server_defaults and old.server_default != new.server_default:
        detail["server_default"] = {"old": old.server_default, "new": new.server_default}
    if options.compare_comments and old.comment != new.comment:
        detail["comment"] = {"old": old.comment, "new": new.comment}
    if old.identity != new.identity:
        detail["identity"] = {"old": as_plain_dict(old.identity), "new": as_plain_dict(new.identity)}
    if _computed_differs(old, new):
        detail["computed"] = {"old": as_plain_dict(old.computed), "new": as_plain_dict(new.computed)}
    alter = [Change.make(Op.ALTER_COLUMN, table, new.name, **detail)] if detail else []
    return alter + enum_changes


def _same_enum(old: ColumnSnapshot, new: ColumnSnapshot) -> bool:
    """Both columns are the same enum type; member changes are enum ops, not a type change."""
    return (
        old.type.kind == new.type.kind == "enum"
        and old.type.name == new.type.name
        and (old.type.native == new.type.native)
    )


def _computed_differs(old: ColumnSnapshot, new: ColumnSnapshot) -> bool:
    if old.computed is None or new.computed is None:
        return old.computed != new.computed
    persisted_known = old.computed.persisted is not None and new.computed.persisted is not None
    return old.computed.sqltext != new.computed.sqltext or (
        persisted_known and old.computed.persisted != new.computed.persisted
    )


def _primary_key_changes(old: TableSnapshot, new: TableSnapshot) -> list[Change]:
    old_columns = old.primary_key.columns if old.primary_key else ()
    new_columns = new.primary_key.columns if new.primary_key else ()
    if old_columns == new_columns:
        return []
    return [
        Change.make(
            Op.ALTER_PRIMARY_KEY,
            new.name,
            old=as_plain_dict(old.primary_key),
            new=as_plain_dict(new.primary_key),
        )
    ]


def _constraint_changes(
    table: str, old: TableSnapshot, new: TableSnapshot, options: CompareOptions
) -> list[Change]:
    changes: list[Change] = []

    def pair(
        kind: str, old_items: Sequence[Any], new_items: Sequence[Any], key: Callable[[Any], Any]
    ) -> None:
        if old_items == new_items:
            return
        removed, added, matched = match_items(old_items, new_items, key)
        for before, after in matched:
            if before != after and _renamed(before, after.name) != after:  # same key, other options
                removed.append(before)
                added.append(after)
        changes.extend(Change.make(Op(f"drop_{kind}"), table, old=as_plain_dict(item)) for item in removed)
        changes.extend(Change.make(Op(f"add_{kind}"), table, new=as_plain_dict(item)) for item in added)

    for kind, attribute, key in NAMED_KINDS:
        if kind != "check":  # checks match by text, or by name when a database spelled one side
            pair(kind, getattr(old, attribute), getattr(new, attribute), key)
    removed, added = _check_changes(old.check_constraints, new.check_constraints, options)
    changes.extend(Change.make(Op.DROP_CHECK, table, old=as_plain_dict(item)) for item in removed)
    changes.extend(Change.make(Op.ADD_CHECK, table, new=as_plain_dict(item)) for item in added)
    return changes


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


#: Named table objects besides the primary key: kind, the ``TableSnapshot`` field, what pairs them.
NAMED_KINDS: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("foreign_key", "foreign_keys", lambda fk: fk.match_key),
    ("unique", "unique_constraints", lambda uq: uq.match_key),
    ("index", "indexes", lambda ix: ix.match_key),
    ("check", "check_constraints", lambda ck: ck.sqltext),
)


def matched_pairs(old: TableSnapshot, new: TableSnapshot) -> Iterator[tuple[str, Any, Any]]:
    """``(kind, old item, new item)`` for the constraints and indexes both tables have (names aside)."""
    for kind, attribute, key in NAMED_KINDS:
        for before, after in match_items(getattr(old, attribute), getattr(new, attribute), key)[2]:
            yield kind, before, after


def _rename_change(table: str, kind: str, before: Any, after: Any) -> list[Change]:
    if not before.name or not after.name or before.name == after.name:
        return []
    definition = {key: value for key, value in as_plain_dict(after).items() if key != "name"}
    return [
        Change.make(Op.RENAME_CONSTRAINT, table, kind=kind, old=before.name, new=after.name, **definition)
    ]


def _renamed(item: Any, name: str | None) -> Any:
    return replace(item, name=name)


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
    """Pair items with equal keys (duplicates pair in order): ``(removed, added, matched)``."""
    waiting: dict[Any, list[Item]] = defaultdict(list)
    for item in old:
        waiting[key(item)].append(item)
    added: list[Item] = []
    matched: list[tuple[Item, Item]] = []
    for item in new:
        candidates = waiting.get(key(item))
        if candidates:
            matched.append((candidates.pop(0), item))
        else:
            added.append(item)
    removed = [item for items in waiting.values() for item in items]
    return removed, added, matched


# -- enums ---------------------------------------------------------------------------------------
def _enum_changes(old: Snapshot, new: Snapshot) -> list[Change]:
    changes: list[Change] = []
    for name in sorted(set(old.enum_map) & set(new.enum_map)):
        users = _enum_users(new, name) or _enum_users(old, name)
        changes.extend(_enum_value_changes(name, old.enum_map[name].values, new.enum_map[name].values, users))
    return changes


def _enum_users(snapshot: Snapshot, enum_name: str) -> list[str]:
    return [
        f"{table.name}.{column.name}"
        for table in snapshot.tables
        for column in table.columns
        if column.type.kind == "enum" and column.type.name == enum_name
    ]


def _enum_value_changes(
    enum: str,
    old_values: Sequence[str],
    new_values: Sequence[str],
    columns: list[str],
    table: str | None = None,
    column: str | None = None,
) -> list[Change]:
    common = {"enum": enum, "old": list(old_values), "new": list(new_values), "columns": columns}
    added = [v for v in new_values if v not in old_values]
    removed = [v for v in old_values if v not in new_values]
    changes = []
    present = set(old_values)
    for value in added:  # ``members`` is the type right after this step: neighbours that exist by then
        present.add(value)
        members = [v for v in new_values if v in present] + [v for v in old_values if v not in new_values]
        changes.append(Change.make(Op.ADD_ENUM_VALUE, table, column, value=value, members=members, **common))
    for value in removed:  # ``members`` is the type before this step (it still holds ``value``)
        members = [v for v in new_values] + [v for v in old_values if v not in new_values and v in present]
        changes.append(Change.make(Op.DROP_ENUM_VALUE, table, column, value=value, members=members, **common))
        present.discard(value)
    return changes


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
    dropped tables in reverse, added columns in their table's column order."""
    changes = list(changes)
    created = dependency_order([c.table for c in changes if c.op == Op.ADD_TABLE and c.table], new)
    dropped = dependency_order([c.table for c in changes if c.op == Op.DROP_TABLE and c.table], old)[::-1]
    position = {name: index for index, name in enumerate(created)}
    position.update({name: index for index, name in enumerate(dropped)})

    def key(change: Change) -> tuple[Any, ...]:
        if change.table is None:  # a native enum's values: added first, removed last
            phase = 0 if change.op == Op.ADD_ENUM_VALUE else 7
            return (phase, "", 0, 0, str(change.detail.get("enum")), str(change.detail.get("value")))
        phase = _PHASES.get(change.op, _IN_TABLE_PHASE)
        table_rank = position.get(change.table, 0) if change.op in (Op.ADD_TABLE, Op.DROP_TABLE) else 0
        table = new.table_map.get(change.table) or old.table_map.get(change.table)
        column_rank = _column_position(table, change.column)
        return (
            phase,
            table_rank,
            change.table,
            _IN_TABLE_RANK.get(change.op, 0),
            column_rank,
            json.dumps(change.detail, sort_keys=True, default=str),
        )

    return sorted(changes, key=key)


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
        chosen = ready[0] if ready else pending[0]  # a cycle: break it deterministically
        placed.append(chosen)
        done.add(chosen)
        pending.remove(chosen)
    return placed


def _references(snapshot: Snapshot, name: str) -> set[str]:
    table = snapshot.table_map.get(name)
    return {fk.referred_table for fk in table.foreign_keys} if table else set()


__all__ = [
    "CompareOptions",
    "dependency_order",
    "diff_columns",
    "diff_snapshots",
    "diff_tables",
    "match_items",
    "order_changes",
    "project",
]
