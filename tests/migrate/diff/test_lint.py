"""Lint: risk classes, refusals of destructive changes and missing backfills, plans, PostgreSQL lock risks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dbkit.migrate.diff.changes import Change
from dbkit.migrate.diff.compare import diff_snapshots
from dbkit.migrate.diff.hints import apply_hints
from dbkit.migrate.diff.lint import lint_changes
from dbkit.migrate.diff.risk import Risk, is_widening, rewrites_table
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.schema.snapshot import Snapshot, TypeSpec
from dbkit.naming import naming_convention


def users(*columns: sa.Column, notes: object = None, constraints: tuple = ()) -> Snapshot:
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True), *columns, *constraints)
    return snapshot_from_metadata(metadata, {"users": notes}, models=())


def changes_between(old: Snapshot, new: Snapshot) -> list[Change]:
    return diff_snapshots(old, new)


@pytest.mark.parametrize(
    ("old", "new", "widening"),
    [
        (TypeSpec("string", length=10), TypeSpec("string", length=20), True),
        (TypeSpec("string", length=20), TypeSpec("string", length=10), False),
        (TypeSpec("string", length=20), TypeSpec("text"), True),
        (TypeSpec("text"), TypeSpec("string", length=200), False),
        (TypeSpec("small_integer"), TypeSpec("big_integer"), True),
        (TypeSpec("big_integer"), TypeSpec("integer"), False),
        (TypeSpec("integer"), TypeSpec("numeric", precision=12, scale=2), True),
        (TypeSpec("numeric", precision=10, scale=2), TypeSpec("numeric", precision=12, scale=2), True),
        (TypeSpec("numeric", precision=10, scale=2), TypeSpec("numeric", precision=10, scale=4), False),
        (TypeSpec("float", precision=24), TypeSpec("float", precision=53), True),
        (TypeSpec("string", length=10), TypeSpec("integer"), False),
    ],
)
def test_type_widening(old: TypeSpec, new: TypeSpec, widening: bool) -> None:
    assert is_widening(old, new) is widening


def test_table_rewriting_type_changes_on_postgresql() -> None:
    assert not rewrites_table(TypeSpec("string", length=10), TypeSpec("string", length=50))
    assert not rewrites_table(TypeSpec("string", length=10), TypeSpec("text"))
    assert not rewrites_table(
        TypeSpec("numeric", precision=8, scale=2), TypeSpec("numeric", precision=12, scale=2)
    )
    assert rewrites_table(TypeSpec("integer"), TypeSpec("big_integer"))
    assert rewrites_table(TypeSpec("string", length=50), TypeSpec("string", length=10))


def test_every_risk_class() -> None:
    old = users(
        sa.Column("nick", sa.String(30)), sa.Column("legacy", sa.Boolean), sa.Column("age", sa.Integer)
    )
    new = users(
        sa.Column("nick", sa.String(30), nullable=False),
        sa.Column("age", sa.SmallInteger),
        sa.Column("tz", sa.String(40), nullable=False),
        sa.Column("lang", sa.String(5), nullable=False, server_default="en"),
        sa.Column("bio", sa.Text),
        constraints=(sa.UniqueConstraint("nick"),),
    )
    risks = {(str(c.op), c.column): c.risk for c in changes_between(old, new)}
    assert risks == {
        ("add_column", "tz"): Risk.DATA_DEPENDENT,  # NOT NULL, no server default
        ("add_column", "lang"): Risk.SAFE,  # the server default fills existing rows
        ("add_column", "bio"): Risk.SAFE,
        ("alter_column", "nick"): Risk.DATA_DEPENDENT,  # nullable -> NOT NULL
        ("alter_column", "age"): Risk.DATA_DEPENDENT,  # narrowing
        ("drop_column", "legacy"): Risk.DESTRUCTIVE,
        ("add_unique", None): Risk.DATA_DEPENDENT,
    }
    renamed = apply_hints(
        users(sa.Column("fullname", sa.Text)),
        users(sa.Column("full_name", sa.Text), notes="renamed fullname to full_name"),
    )
    assert [c.risk for c in renamed.changes] == [Risk.BACKWARD_INCOMPATIBLE]


def test_destructive_changes_are_refused_unless_allowed_or_waived() -> None:
    old = users(
        sa.Column("legacy_flag", sa.Boolean), sa.Column("status", sa.Enum("a", "b", name="user_status"))
    )
    new = users(sa.Column("status", sa.Enum("a", name="user_status")))
    changes = changes_between(old, new)
    verdict = lint_changes(changes)
    assert not verdict.allowed
    assert len(verdict.refusals) == 2
    assert "drop column users.legacy_flag" in verdict.message
    assert "--allow-destructive" in verdict.message
    assert '{"allow_destructive": ["users.legacy_flag"]}' in verdict.message
    assert "remove value 'b' from enum user_status" in verdict.message
    assert lint_changes(changes, allow_destructive=True).allowed
    assert lint_changes(changes, waivers=["users.legacy_flag", "user_status.b"]).allowed
    assert not lint_changes(changes, waivers=["users.legacy_flag"]).allowed
    waived_in_notes = users(
        sa.Column("status", sa.Enum("a", name="user_status")),
        notes={"allow_destructive": ["legacy_flag", "user_status.b"]},
    )
    assert apply_hints(old, waived_in_notes).lint().allowed


def test_not_null_addition_needs_a_backfill_and_gets_a_plan() -> None:
    old = users(sa.Column("email", sa.String(80)))
    new = users(sa.Column("email", sa.String(80)), sa.Column("tz", sa.String(40), nullable=False))
    changes = changes_between(old, new)
    refused = lint_changes(changes)
    assert refused.refusals == (
        "Column users.tz is added as NOT NULL without a server default, so existing rows of users need a value. "
        "Give one with --backfill users.tz=VALUE (an SQL value, e.g. --backfill users.tz=\"'unknown'\"), or add "
        '{"backfill": {"users.tz": "VALUE"}} to the model\'s migration_notes, or give the column a server_default, '
        "or make it nullable.",
    )
    constant = lint_changes(changes, backfills={"users.tz": "'UTC'"})
    assert constant.allowed
    assert constant.plans[0].to_json() == {
        "table": "users",
        "column": "tz",
        "strategy": "temporary_default",
        "value": "'UTC'",
        "steps": [
            "add users.tz NOT NULL with temporary server default 'UTC' (fills existing rows)",
            "drop the temporary server default of users.tz",
        ],
    }
    expression = lint_changes(changes, backfills={"users.tz": "lower(email)"})
    assert expression.plans[0].strategy == "nullable_then_backfill"
    assert expression.plans[0].steps[1] == "UPDATE users SET tz = lower(email)"
    in_notes = users(
        sa.Column("email", sa.String(80)),
        sa.Column("tz", sa.String(40), nullable=False),
        notes={"backfill": {"tz": "'UTC'"}},
    )
    assert apply_hints(old, in_notes).lint().plans[0].value == "'UTC'"


def test_making_a_column_not_null_needs_no_backfill() -> None:
    changes = changes_between(
        users(sa.Column("tz", sa.String(40))), users(sa.Column("tz", sa.String(40), nullable=False))
    )
    assert lint_changes(changes).allowed
    filled = lint_changes(changes, backfills={"users.tz": "'UTC'"})
    assert filled.plans[0].strategy == "fill_nulls"
    assert filled.plans[0].steps[0] == "UPDATE users SET tz = 'UTC' WHERE tz IS NULL"


def test_lock_risks_on_large_postgresql_tables() -> None:
    old = users(
        sa.Column("nick", sa.String(30)), sa.Column("age", sa.Integer), sa.Column("team_id", sa.Integer)
    )
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table("teams", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("nick", sa.String(30), nullable=False, index=True),
        sa.Column("age", sa.BigInteger),
        sa.Column("team_id", sa.ForeignKey("teams.id")),
        sa.UniqueConstraint("nick", "age"),
    )
    new = snapshot_from_metadata(metadata)
    changes = [c for c in changes_between(old, new) if c.table == "users"]
    large = lint_changes(changes, dialect="postgresql", row_counts={"users": 5_000_000})
    flagged = {(risk.op, risk.column): risk.safe_form for risk in large.lock_risks}
    assert set(flagged) == {
        ("add_index", None),
        ("add_unique", None),
        ("add_foreign_key", None),
        ("alter_column", "nick"),
        ("alter_column", "age"),
    }
    assert "CONCURRENTLY" in flagged[("add_index", None)]
    assert (
        "NOT VALID" in flagged[("alter_column", "nick")] and "VALIDATE" in flagged[("alter_column", "nick")]
    )
    assert "backfill it in batches" in flagged[("alter_column", "age")]
    assert all(risk.rows == 5_000_000 for risk in large.lock_risks)
    assert lint_changes(changes, dialect="postgresql", row_counts={"users": 10}).lock_risks == ()
    assert lint_changes(changes, dialect="sqlite", row_counts={"users": 5_000_000}).lock_risks == ()


def test_verdict_json() -> None:
    changes = changes_between(users(sa.Column("legacy", sa.Boolean)), users())
    report = lint_changes(changes).to_json()
    assert report["allowed"] is False
    assert report["risks"] == {"safe": 0, "data_dependent": 0, "destructive": 1, "backward_incompatible": 0}
