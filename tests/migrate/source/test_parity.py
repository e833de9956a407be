"""Parity on the sample: the four deliberate drifts, levels, and agreement with Alembic autogenerate."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dbkit.migrate.source.codebase import Codebase, load_codebase
from dbkit.migrate.source.parity import ParityReport, parity

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample_app"


@pytest.fixture(scope="module")
def sample() -> Codebase:
    return load_codebase(SAMPLE)


@pytest.fixture(scope="module")
def report(sample: Codebase) -> ParityReport:
    return parity(sample)


def test_each_table_gets_a_status(report: ParityReport) -> None:
    statuses = {table.table: table.status for table in report.tables}
    assert statuses == {
        "credentials": "hand_written_only",
        "document_tags": "hand_written_only",
        "documents": "hand_written_only",
        "folders": "hand_written_only",
        "invitations": "hand_written_only",
        "tags": "hand_written_only",
        "roles": "differs",
        "teams": "differs",
        "user_teams": "match",
        "users": "match",
    }


def test_schema_level_finds_exactly_the_deliberate_drifts(report: ParityReport) -> None:
    found = {(table, d.kind, d.object) for table, d in report.differences("schema")}
    assert found == {
        ("roles", "column_type", "roles.name"),
        ("teams", "unique", "teams(slug)"),
        ("teams", "column_nullable", "teams.description"),
    }
    length = next(d for _, d in report.differences("schema") if d.object == "roles.name")
    assert (length.hand_written["length"], length.generated["length"]) == (50, 64)


def test_missing_relationship_is_an_orm_level_difference(report: ParityReport) -> None:
    orm = {(d.kind, d.object): d for _, d in report.differences("orm")}
    assert ("relationship", "user_teams.role") in orm
    assert orm[("relationship", "user_teams.role")].generated is None
    assert report.has_schema_differences


def test_json_contract(report: ParityReport) -> None:
    document = report.to_json()
    table = next(t for t in document["tables"] if t["table"] == "roles")
    assert set(table) == {"table", "status", "differences"}
    assert set(table["differences"][0]) == {"kind", "object", "level", "hand_written", "generated"}


def test_every_autogenerate_difference_appears_at_schema_level(
    sample: Codebase, report: ParityReport
) -> None:
    """Cross-check: create the hand-written schema in a scratch SQLite and let Alembic compare it
    with the same schema where generated models replace their hand-written tables."""
    hand_metadata, target_metadata = sa.MetaData(), sa.MetaData()
    for name, entry in sample.hand_written.items():
        entry.table.to_metadata(hand_metadata)
        generated = sample.models.get(name)
        (generated.table if generated is not None else entry.table).to_metadata(target_metadata)
    engine = sa.create_engine("sqlite://")
    hand_metadata.create_all(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        alembic_diffs = compare_metadata(context, target_metadata)
    assert alembic_diffs, "the sample's drifts must be visible to Alembic too"
    flagged = {d.object for _, d in report.differences("schema")}
    for diff in alembic_diffs:
        item = diff[0] if isinstance(diff, list) else diff
        kind = item[0]
        if kind in ("modify_type", "modify_nullable"):
            assert f"{item[2]}.{item[3]}" in flagged, diff
        elif kind in ("remove_constraint", "add_constraint"):
            constraint = item[1]
            columns = ", ".join(c.name for c in constraint.columns)
            assert f"{constraint.table.name}({columns})" in flagged, diff
        else:
            pytest.fail(f"Alembic reports {diff}, which parity does not classify")
