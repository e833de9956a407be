"""Behaviour the real-world corpus found in galaxy, mlflow and prefect: JSONB is its own column type,
an index of expressions only survives the trip back to MetaData, and CREATE TABLE's merging of
repeated UNIQUEs is what a database-side comparison expects."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex

from dbkit.migrate import api
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.schema.snapshot import type_spec
from dbkit.migrate.schema.to_metadata import metadata_from_snapshot


def _jobs(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "jobs",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(32), unique=True),
        sa.Column("state", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
        sa.Column("started", sa.DateTime),
        sa.Column("expected", sa.DateTime),
        sa.UniqueConstraint("uuid", name="uq_uuid_column"),
        sa.UniqueConstraint("id", name="uq_jobs_id"),
    )


def test_jsonb_is_a_kind_of_its_own_so_a_variant_to_it_is_kept() -> None:
    spec = type_spec(sa.JSON().with_variant(postgresql.JSONB(), "postgresql"))
    assert spec.to_dict() == {"kind": "json", "variants": {"postgresql": {"kind": "jsonb"}}}
    assert spec.to_sqlalchemy().compile(dialect=postgresql.dialect()) == "JSONB"
    assert type_spec(postgresql.JSON()).to_dict() == {"kind": "json"}


def test_an_index_of_expressions_only_is_rebuilt_on_its_table() -> None:
    metadata = sa.MetaData()
    table = _jobs(metadata)
    sa.Index("ix_jobs_start", sa.func.coalesce(table.c.started, table.c.expected).asc())
    rebuilt = metadata_from_snapshot(snapshot_from_metadata([table], {})).tables["jobs"]
    (index,) = [index for index in rebuilt.indexes if index.name == "ix_jobs_start"]
    assert str(CreateIndex(index).compile(dialect=postgresql.dialect())).endswith(
        "(coalesce(started, expected))"
    )


def test_a_function_call_in_an_index_expression_keeps_its_parentheses() -> None:
    """``lower(email)`` once normalised to ``loweremail``: a revision built from it created nothing
    PostgreSQL could index."""
    metadata = sa.MetaData()
    table = sa.Table(
        "people", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.Text)
    )
    sa.Index("ix_people_email_lower", sa.func.lower(table.c.email))
    (index,) = snapshot_from_metadata([table], {}).tables[0].indexes
    assert index.columns == ("lower(email)",)


def test_repeated_uniques_are_merged_as_create_table_merges_them(database_url: str, tmp_path: Path) -> None:
    """A UNIQUE repeating the primary key or another UNIQUE becomes one index in PostgreSQL and
    SQLite; the JSONB variant is created as JSONB; check after upgrade is clean."""
    metadata = sa.MetaData()
    table = _jobs(metadata)
    sa.Index("ix_jobs_start", sa.func.coalesce(table.c.started, table.c.expected).asc())
    snapshot = snapshot_from_metadata([table], {})
    versions = tmp_path / "versions"
    written = api.revision(snapshot, versions, message="jobs")
    text = written[-1].path.read_text()
    assert "postgresql.JSONB()" in text and "Text()" not in text.replace("sa.Text()", "")
    api.upgrade(versions, database_url)
    assert not api.check(snapshot, database_url).changes
    if database_url.startswith("postgresql"):
        engine = sa.create_engine(database_url)
        try:
            columns = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns("jobs")}
            assert isinstance(columns["state"], postgresql.JSONB)
        finally:
            engine.dispose()
