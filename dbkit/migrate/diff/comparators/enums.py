"""Enum values: a native enum type's members once per type, a non-native enum's per column."""

from __future__ import annotations

from collections.abc import Sequence

from dbkit.migrate.diff.changes import AddEnumValue, Change, DropEnumValue
from dbkit.migrate.diff.comparators.columns import same_enum
from dbkit.migrate.diff.context import CompareContext, comparators
from dbkit.migrate.schema.snapshot import ColumnSnapshot, Snapshot


@comparators.dispatch_for("schema")
def compare_native_enums(context: CompareContext, old: Snapshot, new: Snapshot) -> list[Change]:
    """Each native enum type both snapshots declare (``table``/``column`` of its changes are ``None``)."""
    changes: list[Change] = []
    for name in sorted(set(old.enum_map) & set(new.enum_map)):
        users = enum_users(new, name) or enum_users(old, name)
        changes.extend(enum_value_changes(name, old.enum_map[name].values, new.enum_map[name].values, users))
    return changes


@comparators.dispatch_for("column")
def compare_enum_values(
    context: CompareContext, table: str, old: ColumnSnapshot, new: ColumnSnapshot
) -> list[Change]:
    """A column of an enum type compared by its members, unless the type is a native one both
    snapshots declare (compared once, by :func:`compare_native_enums`)."""
    if not same_enum(old, new) or old.type.name in context.native_enums:
        return []
    return enum_value_changes(
        old.type.name or "", old.type.values, new.type.values, [f"{table}.{new.name}"], table, new.name
    )


def enum_users(snapshot: Snapshot, enum_name: str) -> list[str]:
    """``table.column`` of every column of type ``enum_name``."""
    return [
        f"{table.name}.{column.name}"
        for table in snapshot.tables
        for column in table.columns
        if column.type.kind == "enum" and column.type.name == enum_name
    ]


def enum_value_changes(
    enum: str,
    old_values: Sequence[str],
    new_values: Sequence[str],
    columns: Sequence[str],
    table: str | None = None,
    column: str | None = None,
) -> list[Change]:
    """Values added (in the new order), then values removed; ``members`` is the type at each step."""
    common = {"enum": enum, "old": tuple(old_values), "new": tuple(new_values), "columns": tuple(columns)}
    added = [v for v in new_values if v not in old_values]
    removed = [v for v in old_values if v not in new_values]
    changes: list[Change] = []
    present = set(old_values)
    for value in added:  # ``members`` is the type right after this step: neighbours that exist by then
        present.add(value)
        members = [v for v in new_values if v in present] + [v for v in old_values if v not in new_values]
        changes.append(
            AddEnumValue(table=table, column=column, value=value, members=tuple(members), **common)
        )
    for value in removed:  # ``members`` is the type before this step (it still holds ``value``)
        members = [*new_values] + [v for v in old_values if v not in new_values and v in present]
        changes.append(
            DropEnumValue(table=table, column=column, value=value, members=tuple(members), **common)
        )
        present.discard(value)
    return changes
