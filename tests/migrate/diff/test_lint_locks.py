"""Lint knows locks: each change carries PostgreSQL's lock and effect in both forms, the table's
estimated rows from a database, and whether it breaks running code (with how to stage it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dbkit.cli import main
from dbkit.migrate import api
from dbkit.migrate.diff.lint import lint_changes, table_row_estimates
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.schema.snapshot import Snapshot
from dbkit.naming import naming_convention


def events(*extra: sa.SchemaItem, **types: sa.types.TypeEngine) -> Snapshot:
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table("accounts", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "events",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer),
        sa.Column("kind", types.get("kind", sa.String(20))),
        sa.Column("payload", sa.Text, nullable="payload_not_null" not in types),
        *extra,
    )
    return snapshot_from_metadata(metadata)


BEFORE = events()
CASES: dict[str, tuple[Callable[[], Snapshot], tuple[str, str, str, str]]] = {
    "index": (
        lambda: events(sa.Index("ix_events_kind", "kind")),
        ("SHARE", "scan", "SHARE UPDATE EXCLUSIVE", "scan"),
    ),
    "not null": (
        lambda: events(payload_not_null=sa.Text()),
        ("ACCESS EXCLUSIVE", "scan", "SHARE UPDATE EXCLUSIVE", "scan"),
    ),
    "foreign key": (
        lambda: events(sa.ForeignKeyConstraint(["account_id"], ["accounts.id"])),
        ("SHARE ROW EXCLUSIVE", "scan", "SHARE UPDATE EXCLUSIVE", "scan"),
    ),
    "widening": (
        lambda: events(kind=sa.String(50)),
        ("ACCESS EXCLUSIVE", "metadata", "ACCESS EXCLUSIVE", "metadata"),
    ),
    "to text": (
        lambda: events(kind=sa.Text()),
        ("ACCESS EXCLUSIVE", "metadata", "ACCESS EXCLUSIVE", "metadata"),
    ),
    "to integer": (
        lambda: events(kind=sa.Integer()),
        ("ACCESS EXCLUSIVE", "rewrite", "ACCESS EXCLUSIVE", "rewrite"),
    ),
    "nullable column": (
        lambda: events(sa.Column("note", sa.Text)),
        ("ACCESS EXCLUSIVE", "metadata", "ACCESS EXCLUSIVE", "metadata"),
    ),
    "volatile default": (
        lambda: events(sa.Column("token", sa.Uuid, server_default=sa.text("gen_random_uuid()"))),
        ("ACCESS EXCLUSIVE", "rewrite", "ACCESS EXCLUSIVE", "rewrite"),
    ),
    "now() default": (  # stable, not volatile: measured metadata-only on PostgreSQL 18
        lambda: events(sa.Column("seen", sa.DateTime, server_default=sa.text("now()"))),
        ("ACCESS EXCLUSIVE", "metadata", "ACCESS EXCLUSIVE", "metadata"),
    ),
    "constant default": (
        lambda: events(sa.Column("flag", sa.Integer, nullable=False, server_default="0")),
        ("ACCESS EXCLUSIVE", "metadata", "ACCESS EXCLUSIVE", "metadata"),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_each_change_carries_its_lock_in_both_forms(case: str) -> None:
    after, expected = CASES[case]
    (lock,) = lint_changes(api.diff(BEFORE, after()).changes).locks
    assert (lock.lock, lock.effect, lock.online_lock, lock.online_effect) == expected
    assert lock.table == "events" and lock.estimated_rows is None


def test_a_reviewer_reads_the_lock_with_the_estimated_rows() -> None:
    changes = api.diff(BEFORE, events(kind=sa.Integer())).changes
    verdict = lint_changes(changes, dialect="postgresql", row_counts={"events": 2_000_000})
    (finding,) = verdict.findings
    assert finding.lock is not None
    assert finding.lock.phrase() == "rewrites `events` (≈2.0M rows) under ACCESS EXCLUSIVE"
    assert finding.lock_risks[0].effect == "rewrite" and finding.lock_risks[0].estimated_rows == 2_000_000
    assert verdict.to_json()["locks"][0]["estimated_rows"] == 2_000_000


def test_online_form_is_named_when_it_differs() -> None:
    (finding,) = lint_changes(api.diff(BEFORE, events(sa.Index("ix_events_kind", "kind"))).changes).findings
    assert finding.review_lines() == [
        "PostgreSQL: scans `events` under SHARE; online: scans `events` under SHARE UPDATE EXCLUSIVE"
    ]


def test_incompatible_type_change_breaks_running_code_and_says_how_to_stage_it() -> None:
    (finding,) = lint_changes(api.diff(BEFORE, events(kind=sa.Integer())).changes).findings
    assert finding.breaks_running_code is not None
    assert "breaks running code" in finding.breaks_running_code
    assert "add a column of the new type, write both, backfill in batches" in finding.breaks_running_code
    widening = lint_changes(api.diff(BEFORE, events(kind=sa.String(50))).changes).findings[0]
    assert widening.breaks_running_code is None


def test_rename_breaks_running_code() -> None:
    from dbkit.migrate.diff.changes import RenameColumn

    rename = RenameColumn(table="events", column="body", old="payload", new="body")
    (finding,) = lint_changes([rename]).findings
    assert finding.breaks_running_code is not None
    assert finding.breaks_running_code.startswith("Renaming events.payload breaks running code")
    assert "drop the old column in a later revision" in finding.breaks_running_code


def test_estimated_rows_come_from_pg_class(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE events (id integer PRIMARY KEY, kind varchar(20))")
        conn.exec_driver_sql("INSERT INTO events SELECT n, 'click' FROM generate_series(1, 5000) AS n")
        conn.exec_driver_sql("ANALYZE events")
    engine.dispose()
    assert table_row_estimates(postgres_url) == {"events": 5000}


def test_dbkit_diff_shows_locks_with_the_database_rows(
    postgres_url: str, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = sa.create_engine(postgres_url)
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table(
        "events", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("kind", sa.String(20))
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO events SELECT n, 'click' FROM generate_series(1, 3000) AS n")
        conn.exec_driver_sql("ANALYZE events")
    engine.dispose()
    new = sa.MetaData(naming_convention=naming_convention())
    sa.Table("events", new, sa.Column("id", sa.Integer, primary_key=True), sa.Column("kind", sa.Integer))
    path = tmp_path / "new.json"  # type: ignore[operator]
    from dbkit.migrate.schema.documents import dump_snapshot

    path.write_text(dump_snapshot(snapshot_from_metadata(new)))
    assert main(["diff", postgres_url, str(path)]) == 1
    out = capsys.readouterr().out
    assert "PostgreSQL: rewrites `events` (≈3.0k rows) under ACCESS EXCLUSIVE; online: the same" in out
    assert "breaks running code: Changing events.kind from string to integer" in out
