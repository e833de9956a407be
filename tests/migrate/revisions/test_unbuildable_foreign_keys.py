"""Foreign keys a revision cannot create as declared (tests/realworld found both):

- a key to columns that are neither a primary key nor unique (mlflow's ``input_tags.input_uuid`` →
  ``inputs.input_uuid``, only indexed): no database accepts it, so revisions leave it out with a
  comment naming it, and diffs never compare it;
- unnamed keys closing a reference cycle (buildbot's ``builds`` ↔ ``buildrequests``): added after
  both tables exist, which needs a name; they get PostgreSQL's own default, ``<table>_<col>_fkey``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import sqlalchemy as sa

from dbkit.migrate import api
from dbkit.migrate.schema.from_models import snapshot_from_metadata

MLFLOW_INPUTS = """
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Input(Base):
        __tablename__ = "inputs"
        input_uuid: Mapped[str] = mapped_column(sa.String(36))
        source_type: Mapped[str] = mapped_column(sa.String(36))
        source_id: Mapped[str] = mapped_column(sa.String(36))
        destination_type: Mapped[str] = mapped_column(sa.String(36))
        destination_id: Mapped[str] = mapped_column(sa.String(36))
        __table_args__ = (
            sa.PrimaryKeyConstraint(
                "source_type", "source_id", "destination_type", "destination_id", name="inputs_pk"
            ),
            sa.Index("index_inputs_input_uuid", "input_uuid"),
        )

    class InputTag(Base):
        __tablename__ = "input_tags"
        input_uuid: Mapped[str] = mapped_column(
            sa.String(36), sa.ForeignKey("inputs.input_uuid"), primary_key=True
        )
        name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
        value: Mapped[str] = mapped_column(sa.String(500))
"""


def _mlflow_codebase(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "DB_Inputs.py").write_text(textwrap.dedent(MLFLOW_INPUTS).lstrip(), encoding="utf-8")
    return root


def _upgrade_section(text: str) -> str:
    return text.split("def upgrade()", 1)[1].split("def downgrade()", 1)[0]


def test_a_foreign_key_to_non_unique_columns_is_left_out_with_a_comment(tmp_path: Path) -> None:
    root = _mlflow_codebase(tmp_path)
    (written,) = api.revision(root, tmp_path / "versions")
    upgrade = _upgrade_section(written.path.read_text(encoding="utf-8"))
    comments = [line.strip() for line in upgrade.splitlines() if "not created" in line]
    assert len(comments) == 1, upgrade
    assert comments[0].startswith("# foreign key input_tags(input_uuid) -> inputs(input_uuid) not created")
    assert "ForeignKeyConstraint" not in upgrade
    assert "create_foreign_key" not in upgrade


def test_a_foreign_key_to_non_unique_columns_upgrades_checks_clean_and_needs_no_next_revision(
    tmp_path: Path, database_url: str
) -> None:
    root = _mlflow_codebase(tmp_path)
    versions = tmp_path / "versions"
    api.revision(root, versions)
    api.upgrade(versions, database_url)
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        assert sa.inspect(connection).get_foreign_keys("input_tags") == []
    engine.dispose()
    assert [str(change) for change in api.check(root, database_url).changes] == []
    assert not api.plan_revision(root, versions).changes
    assert api.revision(root, versions) == []  # nothing new written


def test_inventory_and_parity_load_a_foreign_key_to_non_unique_columns(tmp_path: Path) -> None:
    root = _mlflow_codebase(tmp_path)
    found = api.inventory(root)
    assert [table.table for table in found.tables] == ["input_tags", "inputs"]
    assert list(found.problems) == []
    report = api.parity(root)
    assert {table.table: table.status for table in report.tables} == {
        "input_tags": "hand_written_only",
        "inputs": "hand_written_only",
    }


# -- unnamed foreign keys closing a cycle (buildbot) ---------------------------------------------------


def _buildbot_cycle() -> sa.MetaData:
    metadata = sa.MetaData()  # no naming convention: both keys are unnamed
    sa.Table(
        "buildrequests",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("buildid", sa.Integer, sa.ForeignKey("builds.id")),
    )
    sa.Table(
        "builds",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("buildrequestid", sa.Integer, sa.ForeignKey("buildrequests.id"), nullable=False),
    )
    return metadata


def test_unnamed_foreign_keys_closing_a_cycle_get_postgresql_default_names_in_a_baseline(
    tmp_path: Path, database_url: str
) -> None:
    snapshot = snapshot_from_metadata(_buildbot_cycle())
    assert all(key.name is None for table in snapshot.tables for key in table.foreign_keys)
    versions = tmp_path / "versions"
    (baseline,) = api.revision(snapshot, versions, from_source=snapshot)
    text = baseline.path.read_text(encoding="utf-8")
    assert "'builds_buildrequestid_fkey'" in text and "'buildrequests_buildid_fkey'" in text
    api.upgrade(versions, database_url)
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        names = {
            table: [key["name"] for key in inspector.get_foreign_keys(table)] for table in snapshot.table_map
        }
    assert names == {
        "builds": ["builds_buildrequestid_fkey"],
        "buildrequests": ["buildrequests_buildid_fkey"],
    }
    assert [str(change) for change in api.check(snapshot, database_url).changes] == []
    api.downgrade(versions, database_url, "base")
    with engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
    engine.dispose()
