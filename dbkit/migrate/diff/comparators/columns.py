"""Columns: added, dropped, and each column both tables have (its type, nullability, server
default, comment, identity and computed expression: one ``alter_column``)."""

from __future__ import annotations

from dbkit.migrate.diff.changes import AddColumn, AlterColumn, Change, DropColumn, Pair
from dbkit.migrate.diff.context import CompareContext, comparators
from dbkit.migrate.schema.snapshot import ColumnSnapshot, TableSnapshot


@comparators.dispatch_for("table")
def compare_columns(context: CompareContext, old: TableSnapshot, new: TableSnapshot) -> list[Change]:
    table = new.name
    old_columns, new_columns = old.column_map, new.column_map
    changes: list[Change] = [
        DropColumn(table=table, column=name, definition=old_columns[name])
        for name in old_columns.keys() - new_columns.keys()
    ]
    changes.extend(
        AddColumn(table=table, column=name, definition=new_columns[name])
        for name in new_columns.keys() - old_columns.keys()
    )
    for name in old_columns.keys() & new_columns.keys():
        changes.extend(context.column_changes(table, old_columns[name], new_columns[name]))
    return changes


@comparators.dispatch_for("column")
def compare_column_attributes(
    context: CompareContext, table: str, old: ColumnSnapshot, new: ColumnSnapshot
) -> list[Change]:
    """One ``alter_column`` with a pair per changed attribute (an enum's members are not its type:
    see :mod:`dbkit.migrate.diff.comparators.enums`)."""
    options = context.options
    pairs = {
        "type": Pair(old.type, new.type) if old.type != new.type and not same_enum(old, new) else None,
        "nullable": Pair(old.nullable, new.nullable) if old.nullable != new.nullable else None,
        "server_default": (
            Pair(old.server_default, new.server_default)
            if options.compare_server_defaults and old.server_default != new.server_default
            else None
        ),
        "comment": (
            Pair(old.comment, new.comment)
            if options.compare_comments and old.comment != new.comment
            else None
        ),
        "identity": Pair(old.identity, new.identity) if old.identity != new.identity else None,
        "computed": Pair(old.computed, new.computed) if computed_differs(old, new) else None,
    }
    if all(pair is None for pair in pairs.values()):
        return []
    return [AlterColumn(table=table, column=new.name, **pairs)]


def same_enum(old: ColumnSnapshot, new: ColumnSnapshot) -> bool:
    """Both columns are the same enum type; member changes are enum ops, not a type change."""
    return (
        old.type.kind == new.type.kind == "enum"
        and old.type.name == new.type.name
        and (old.type.native == new.type.native)
    )


def computed_differs(old: ColumnSnapshot, new: ColumnSnapshot) -> bool:
    if old.computed is None or new.computed is None:
        return old.computed != new.computed
    persisted_known = old.computed.persisted is not None and new.computed.persisted is not None
    return old.computed.sqltext != new.computed.sqltext or (
        persisted_known and old.computed.persisted != new.computed.persisted
    )
