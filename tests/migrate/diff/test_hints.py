"""migration_notes hints: parsing both forms, renames applied, stale and wrong hints, suggestions, message."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from dbkit.migrate.diff.changes import Op
from dbkit.migrate.diff.hints import (
    MigrationHintError,
    MigrationHints,
    apply_hints,
    hints_from_options,
    parse_backfill_option,
    parse_migration_notes,
)
from dbkit.migrate.diff.risk import Risk
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.schema.snapshot import Snapshot
from dbkit.naming import naming_convention


def schema(
    user_columns: list[str],
    users_table: str = "users",
    notes: Any = None,
    extra_tables: tuple[str, ...] = (),
) -> Snapshot:
    """users (id + string columns, an index on the first) and documents referencing users.id."""
    metadata = sa.MetaData(naming_convention=naming_convention())
    columns = [sa.Column(name, sa.String(80)) for name in user_columns]
    sa.Table(
        users_table,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        *columns,
        sa.Index(None, user_columns[0]),
    )
    sa.Table(
        "documents",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.ForeignKey(f"{users_table}.id")),
    )
    for name in extra_tables:
        sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("payload", sa.Text))
    return snapshot_from_metadata(metadata, {users_table: notes}, models=())


def ops(result: Any) -> list[tuple[str, str | None, str | None]]:
    return [(str(c.op), c.table, c.column) for c in result.changes]


def test_free_text_phrases_are_hints_and_the_message() -> None:
    hints = parse_migration_notes(
        "Cleaned up names. Renamed fullname to full_name; renamed table people to users.",
        "users",
        "UserModel",
    )
    assert [(h.kind, h.table, h.old, h.new) for h in hints.renames] == [
        ("table", "users", "people", "users"),
        ("column", "users", "fullname", "full_name"),
    ]
    assert hints.message == "Cleaned up names. Renamed fullname to full_name; renamed table people to users."
    assert "UserModel" in hints.renames[0].source


def test_structured_notes() -> None:
    hints = parse_migration_notes(
        {
            "message": "v2.1: renamed users.nick to users.nickname",
            "renames": {"fullname": "full_name"},
            "table_renames": {"people": "users"},
            "backfill": {"tz": "'UTC'", "orgs.level": 1, "flag": True},
            "allow_destructive": ["legacy_flag", "old_logs"],
        },
        "users",
        "UserModel",
    )
    assert sorted((h.kind, h.old, h.new) for h in hints.renames) == [
        ("column", "fullname", "full_name"),
        ("column", "nick", "nickname"),
        ("table", "people", "users"),
    ]
    assert hints.backfills == {"users.tz": "'UTC'", "orgs.level": "1", "users.flag": "true"}
    assert {"legacy_flag", "users.legacy_flag", "old_logs", "users.old_logs"} <= hints.allow_destructive
    assert hints.message == "v2.1: renamed users.nick to users.nickname"


@pytest.mark.parametrize(
    ("notes", "message"),
    [
        ({"renamez": {}}, r"UserModel \(table users\): unknown key\(s\) 'renamez'"),
        ({"renames": ["a", "b"]}, "'renames' must be a dict"),
        ({"renames": {"users.a": "teams.b"}}, "moves a column between tables"),
        ({"backfill": {"tz": ["x"]}}, "backfill 'tz' must be an SQL value"),
        ({"allow_destructive": 3}, "'allow_destructive' must be true or a list"),
        (42, "expected a string or a dict"),
    ],
)
def test_malformed_notes_are_refused_naming_the_model(notes: Any, message: str) -> None:
    with pytest.raises(MigrationHintError, match=message):
        parse_migration_notes(notes, "users", "UserModel")


def test_column_rename_hint_turns_drop_and_add_into_a_rename() -> None:
    old = schema(["fullname", "email"])
    new = schema(["full_name", "email"], notes="Renamed fullname to full_name")
    unhinted = apply_hints(old, new, MigrationHints())
    assert ops(unhinted) == [
        ("drop_index", "users", None),
        ("add_column", "users", "full_name"),
        ("drop_column", "users", "fullname"),
        ("add_index", "users", None),
    ]
    assert [s.to_json()["op"] for s in unhinted.suggestions] == ["rename_column"]
    result = apply_hints(old, new)
    # The index follows the column, as it does in the database, and takes the name the models give it.
    assert ops(result) == [("rename_column", "users", "full_name"), ("rename_constraint", "users", None)]
    assert (result.changes[0].old, result.changes[0].new) == ("fullname", "full_name")
    assert (result.changes[1].old, result.changes[1].new) == (
        "ix_users_fullname",
        "ix_users_full_name",
    )
    assert result.changes[0].risk == Risk.BACKWARD_INCOMPATIBLE
    assert result.suggestions == ()
    assert result.message == "Renamed fullname to full_name"
    assert result.to_json()["changes"][0]["op"] == "rename_column"


def test_renamed_column_that_also_changed_gets_an_alter_after_the_rename() -> None:
    metadata_old = sa.MetaData()
    sa.Table("t", metadata_old, sa.Column("id", sa.Integer, primary_key=True), sa.Column("qty", sa.Integer))
    metadata_new = sa.MetaData()
    sa.Table(
        "t", metadata_new, sa.Column("id", sa.Integer, primary_key=True), sa.Column("quantity", sa.BigInteger)
    )
    old = snapshot_from_metadata(metadata_old)
    new = snapshot_from_metadata(metadata_new, {"t": {"renames": {"qty": "quantity"}}})
    assert ops(apply_hints(old, new)) == [
        ("rename_column", "t", "quantity"),
        ("alter_column", "t", "quantity"),
    ]


def test_table_rename_hint_keeps_the_table_and_its_references() -> None:
    old = schema(["fullname"], users_table="people")
    new = schema(
        ["full_name"], notes={"table_renames": {"people": "users"}, "renames": {"fullname": "full_name"}}
    )
    result = apply_hints(old, new)
    # documents.owner_id still references the same table: its FK is no change. The names derived
    # from the table and the column follow them.
    assert ops(result) == [
        ("rename_table", "users", None),
        ("rename_column", "users", "full_name"),
        ("rename_constraint", "users", None),
        ("rename_constraint", "users", None),
    ]
    assert (result.changes[0].old, result.changes[0].new) == ("people", "users")
    assert {(c.old, c.new) for c in result.changes[2:]} == {
        ("pk_people", "pk_users"),
        ("ix_people_fullname", "ix_users_full_name"),
    }


def test_a_hint_applied_by_an_earlier_revision_is_satisfied() -> None:
    current = schema(["full_name"], notes="renamed fullname to full_name")
    assert apply_hints(current, current).changes == ()


@pytest.mark.parametrize(
    ("old_columns", "new_columns", "notes", "message"),
    [
        (
            ["email"],
            ["email", "full_name"],
            "renamed fullname to full_name",
            "the old table users has no column fullname",
        ),
        (
            ["fullname"],
            ["fullname2"],
            "renamed fullname to full_name",
            "has no column full_name in the models",
        ),
        (
            ["fullname"],
            ["fullname", "full_name"],
            "renamed fullname to full_name",
            "still has a column fullname",
        ),
        (
            ["email"],
            ["email"],
            {"table_renames": {"documents": "users"}},
            "the models still define table documents",
        ),
        (["email"], ["email"], "renamed table people to ghosts", "the models define no table ghosts"),
        (["email"], ["email"], {"table_renames": {"users": "members"}}, "the models define no table members"),
        (["email"], ["email"], {"backfill": {"nope": "1"}}, "backfill 'users.nope' names no column"),
        (["email"], ["email"], {"allow_destructive": ["ghost"]}, "allow_destructive 'ghost' names no table"),
    ],
)
def test_a_hint_naming_what_does_not_exist_is_an_error_naming_the_model(
    old_columns: list[str], new_columns: list[str], notes: Any, message: str
) -> None:
    old = schema(old_columns)
    new = schema(new_columns, notes=notes)
    new = Snapshot(tables=tuple(_with_model(t) for t in new.tables), enums=new.enums)
    with pytest.raises(MigrationHintError, match=message) as raised:
        apply_hints(old, new)
    assert "UserModel" in str(raised.value)


def _with_model(table: Any) -> Any:
    from dataclasses import replace

    return replace(table, model="UserModel") if table.name == "users" else table


def test_similar_unhinted_tables_are_suggested_never_applied() -> None:
    old = schema(["email"], extra_tables=("audit_logs",))
    new = schema(["email"], extra_tables=("audit_log",))
    result = apply_hints(old, new)
    assert ops(result) == [("add_table", "audit_log", None), ("drop_table", "audit_logs", None)]
    assert [s.to_json() for s in result.suggestions] == [
        {
            "op": "rename_table",
            "table": "audit_log",
            "old": "audit_logs",
            "new": "audit_log",
            "score": 0.97,
            "hint": "if it is a rename, add 'renamed table audit_logs to audit_log' to the migration_notes of the model",
        }
    ]


def test_dissimilar_pairs_are_not_suggested() -> None:
    result = apply_hints(schema(["email", "zip"]), schema(["email", "biography"]), MigrationHints())
    assert [c.op for c in result.changes] == [Op.ADD_COLUMN, Op.DROP_COLUMN]
    assert result.suggestions == ()


def test_command_line_backfills() -> None:
    assert parse_backfill_option("users.tz='UTC'") == ("users.tz", "'UTC'")
    assert parse_backfill_option("users.note=a=b") == ("users.note", "a=b")
    with pytest.raises(MigrationHintError, match=r"expected TABLE\.COLUMN=VALUE"):
        parse_backfill_option("tz='UTC'")
    hints = hints_from_options(["users.tz='UTC'"], allow_destructive=True)
    assert hints.backfills == {"users.tz": "'UTC'"} and hints.allow_destructive == {"*"}
    merged = parse_migration_notes({"backfill": {"tz": "'CET'"}}, "users").merged(hints)
    assert merged.backfills == {"users.tz": "'UTC'"}  # the command line wins
