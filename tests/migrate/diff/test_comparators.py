"""The comparator registry: built-ins in dispatch order, one context passed down, plug-ins picked up."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pytest
import sqlalchemy as sa

from dbkit.migrate.diff.changes import CHANGE_TYPES, AlterColumn, Change, Pair, register_change_type
from dbkit.migrate.diff.compare import diff_columns, diff_snapshots, diff_tables
from dbkit.migrate.diff.context import (
    ComparatorRegistry,
    CompareContext,
    CompareOptions,
    comparators,
)
from dbkit.migrate.diff.hints import apply_hints
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.schema.snapshot import ColumnSnapshot, Snapshot, TableSnapshot, TypeSpec


def schema(notes: Any = None, *, length: int = 40, dialect: str | None = None) -> Snapshot:
    metadata = sa.MetaData()
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(length)),
        sa.Column("status", sa.Enum("active", "banned", name="user_status")),
    )
    return replace(snapshot_from_metadata(metadata, {"users": notes}, models=()), dialect=dialect)


def names(level: str) -> list[str]:
    return [comparator.__name__ for comparator in comparators.dispatch(level)]


def test_built_in_comparators_are_registered_in_dispatch_order() -> None:
    assert names("schema") == ["compare_native_enums", "compare_tables"]
    assert names("table") == [
        "compare_columns",
        "compare_primary_key",
        "compare_constraints",
        "compare_table_comment",
    ]
    assert names("column") == ["compare_column_attributes", "compare_enum_values"]


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown comparator level 'index'; levels: schema, table, column"):
        comparators.dispatch_for("index")


# -- a plug-in: a new kind of object, its change type and its comparator ---------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class AlterMigrationNotes(Change):
    """A table's ``migration_notes`` changed (not a schema change: an audit plug-in's report)."""

    op = "alter_migration_notes"

    old: Any
    new: Any

    def _detail(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new}

    @classmethod
    def _from_detail(cls, table: str | None, column: str | None, detail: Mapping[str, Any]) -> Change:
        return cls(table=table, column=column, old=detail["old"], new=detail["new"])


def compare_migration_notes(context: CompareContext, old: Snapshot, new: Snapshot) -> list[Change]:
    return [
        AlterMigrationNotes(
            table=table.name, old=old.table_map[table.name].migration_notes, new=table.migration_notes
        )
        for table in new.tables
        if table.name in old.table_map and old.table_map[table.name].migration_notes != table.migration_notes
    ]


@pytest.fixture
def notes_plugin() -> Iterator[None]:
    register_change_type(AlterMigrationNotes)
    comparators.dispatch_for("schema")(compare_migration_notes)
    try:
        yield
    finally:
        comparators.remove("schema", compare_migration_notes)
        CHANGE_TYPES.pop(AlterMigrationNotes.op)


def test_a_comparator_registered_for_a_new_kind_is_picked_up(notes_plugin: None) -> None:
    old, new = schema("first"), schema({"message": "second", "renames": {}})
    changes = diff_snapshots(old, new)
    assert [(str(c.op), c.table, c.old, c.new) for c in changes] == [  # type: ignore[attr-defined]
        ("alter_migration_notes", "users", "first", {"message": "second", "renames": {}})
    ]
    document = json.loads(json.dumps([c.to_json() for c in changes]))
    assert [Change.from_json(item) for item in document] == changes
    assert [str(c.op) for c in apply_hints(old, new).changes] == ["alter_migration_notes"]
    with pytest.raises(ValueError, match="already belongs to AlterMigrationNotes"):
        register_change_type(replace_type_of(AlterMigrationNotes))


def replace_type_of(change_type: type[Change]) -> type[Change]:
    """Another class claiming the same op."""
    return type("Other", (change_type,), {"__slots__": ()})


def test_a_removed_comparator_is_no_longer_called(notes_plugin: None) -> None:
    comparators.remove("schema", compare_migration_notes)
    assert diff_snapshots(schema("first"), schema("second")) == []
    assert names("schema") == ["compare_native_enums", "compare_tables"]


def test_one_context_is_passed_down_every_level() -> None:
    seen: dict[str, CompareContext] = {}
    registry = ComparatorRegistry()

    @registry.dispatch_for("schema")
    def tables(context: CompareContext, old: Snapshot, new: Snapshot) -> list[Change]:
        seen["schema"] = context
        return context.table_changes(old.table_map["users"], new.table_map["users"])

    @registry.dispatch_for("table")
    def columns(context: CompareContext, old: TableSnapshot, new: TableSnapshot) -> list[Change]:
        seen["table"] = context
        return context.column_changes(new.name, old.column_map["name"], new.column_map["name"])

    @registry.dispatch_for("column")
    def types(context: CompareContext, table: str, old: ColumnSnapshot, new: ColumnSnapshot) -> list[Change]:
        seen["column"] = context
        return [AlterColumn(table=table, column=new.name, type=Pair(old.type, new.type))]

    old, new = schema(length=40, dialect="postgresql"), schema(length=80)
    options = CompareOptions.for_pair(old, new)
    context = CompareContext(options, frozenset({"user_status"}), old, new, registry)
    changes = context.snapshot_changes()
    assert [(c.table, c.column) for c in changes] == [("users", "name")]
    assert seen["schema"] is seen["table"] is seen["column"] is context
    assert context.options.stored_by == ("postgresql",)
    assert comparators.dispatch("column") != registry.dispatch("column")  # the default registry is untouched


def test_the_public_functions_dispatch_through_the_registry() -> None:
    old, new = schema(length=40), schema(length=80)
    column_old, column_new = (
        old.table_map["users"].column_map["name"],
        new.table_map["users"].column_map["name"],
    )
    expected = AlterColumn(
        table="users", column="name", type=Pair(TypeSpec("string", length=40), TypeSpec("string", length=80))
    )
    assert diff_columns("users", column_old, column_new) == [expected]
    assert diff_tables(old.table_map["users"], new.table_map["users"]) == [expected]
    assert diff_snapshots(old, new) == [expected]
    assert diff_tables(old.table_map["users"], old.table_map["users"]) == []
