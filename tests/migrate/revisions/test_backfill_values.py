"""A backfill value is SQL (``--backfill teams.plan="'free'"``): existing rows get the value, not its spelling."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from dbkit.migrate import api
from dbkit.migrate.revisions import runner
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.schema.snapshot import Snapshot
from dbkit.naming import naming_convention


def _teams(*extra: sa.Column) -> Snapshot:
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table("teams", metadata, sa.Column("id", sa.Integer, primary_key=True), *extra)
    return snapshot_from_metadata(metadata)


@pytest.mark.parametrize("transactional", [False, True], ids=["online", "transactional"])
@pytest.mark.parametrize(
    ("column_type", "backfill", "expected"),
    [
        (sa.String(20), "'free'", "free"),
        (sa.Integer(), "7", 7),
        (sa.String(20), "'it''s'", "it's"),
        (sa.String(20), "'''quoted'''", "'quoted'"),  # stays SQL: Alembic would strip the inner quotes
    ],
    ids=["string", "integer", "quote", "outer-quotes"],
)
def test_existing_rows_get_the_backfill_value_itself(
    tmp_path: Path,
    database_url: str,
    transactional: bool,
    column_type: sa.types.TypeEngine,
    backfill: str,
    expected: object,
) -> None:
    versions = tmp_path / "versions"
    api.revision(_teams(), versions, message="baseline", transactional=transactional)
    api.revision(
        _teams(sa.Column("plan", column_type, nullable=False)),
        versions,
        message="plan",
        backfills={"teams.plan": backfill},
        transactional=transactional,
    )
    baseline = runner.history(versions)[0].revision
    runner.upgrade(versions, database_url, to=baseline)
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO teams (id) VALUES (1), (2)"))
        runner.upgrade(versions, database_url)
        with engine.connect() as conn:
            values = conn.execute(sa.text("SELECT plan FROM teams ORDER BY id")).scalars().all()
            live = runner.live_snapshot(conn)
    finally:
        engine.dispose()
    assert values == [expected, expected]
    assert runner.schema_differences(runner.history(versions)[-1].to_snapshot, live) == []
    runner.downgrade(
        versions, database_url, baseline
    )  # restores the temporary default, then drops the column
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert runner.schema_differences(_teams(), runner.live_snapshot(conn)) == []
    finally:
        engine.dispose()


def test_a_string_backfill_adds_the_column_in_place_on_sqlite(tmp_path: Path) -> None:
    """A quoted literal is written as the string it denotes, so SQLite's batch mode adds the column
    with ALTER TABLE instead of copying the table (it copies for an expression default)."""
    versions = tmp_path / "versions"
    api.revision(_teams(), versions, message="baseline")
    api.revision(
        _teams(sa.Column("plan", sa.String(20), nullable=False)),
        versions,
        message="plan",
        backfills={"teams.plan": "'it''s'"},
    )
    text = next(path for path in versions.glob("*.py") if "plan" in path.name).read_text()
    assert "sa.Column('plan', sa.String(length=20), server_default=\"it's\", nullable=False)" in text, text
