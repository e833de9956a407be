"""upgrade / downgrade / stamp / history / current / heads / offline SQL, with dbkit's errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.operations import ops

from dbkit.migrate.revisions import runner
from dbkit.migrate.revisions.reversal import RenameTable, rename_column
from dbkit.migrate.revisions.table_ops import baseline_ops
from dbkit.migrate.revisions.writer import write_revision
from dbkit.migrate.schema.documents import dump_snapshot
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.naming import naming_convention

EMPTY = dump_snapshot(snapshot_from_metadata(sa.MetaData()))


def people_schema(table: str, name_column: str) -> str:
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table(
        table, metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column(name_column, sa.String(50))
    )
    return dump_snapshot(snapshot_from_metadata(metadata))


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    """Two revisions: create ``users(fullname)``, then rename to ``people(full_name)``."""
    directory = tmp_path / "versions"
    old, new = people_schema("users", "fullname"), people_schema("people", "full_name")
    write_revision(directory, baseline_ops(old), "baseline", EMPTY, old, revision_id="r1")
    renames = [
        RenameTable("users", "people"),
        rename_column("people", "fullname", "full_name", existing_type=sa.String(50)),
    ]
    write_revision(directory, renames, "rename users", old, new, revision_id="r2")
    return directory


def test_upgrade_downgrade_current_history_heads(versions: Path, database_url: str) -> None:
    assert runner.current(versions, database_url) == ()
    runner.upgrade(versions, database_url, to="r1")
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO users (id, fullname) VALUES (1, 'Ann')")
    runner.upgrade(versions, database_url)
    assert runner.current(versions, database_url) == ("r2",)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT id, full_name FROM people").all() == [(1, "Ann")]
    runner.downgrade(versions, database_url, "-1")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT id, fullname FROM users").all() == [(1, "Ann")]
    runner.downgrade(versions, database_url, "base")
    assert runner.current(versions, database_url) == ()
    assert [item.revision for item in runner.history(versions)] == ["r1", "r2"]
    assert [item.message for item in runner.history(versions)] == ["baseline", "rename users"]
    assert runner.heads(versions) == ("r2",)
    engine.dispose()


def test_stamp_finds_the_revision_recording_the_database_schema(versions: Path, database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:  # a database at "old", never managed by Alembic
        conn.exec_driver_sql(
            "CREATE TABLE users (id INTEGER NOT NULL, fullname VARCHAR(50), CONSTRAINT pk_users PRIMARY KEY (id))"
        )
    assert runner.stamp(versions, database_url) == "r1"
    assert runner.current(versions, database_url) == ("r1",)
    runner.upgrade(versions, database_url)
    assert runner.current(versions, database_url) == ("r2",)
    engine.dispose()


def test_stamp_refuses_when_no_revision_matches(versions: Path, sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(50))")
    with pytest.raises(runner.MigrationCommandError, match=r"No revision .* records the schema.*--to"):
        runner.stamp(versions, sqlite_url)
    assert runner.current(versions, sqlite_url) == ()
    engine.dispose()


def test_stamp_refuses_when_several_revisions_match(tmp_path: Path, sqlite_url: str) -> None:
    directory = tmp_path / "versions"
    schema = people_schema("users", "fullname")
    write_revision(directory, baseline_ops(schema), "baseline", EMPTY, schema, revision_id="a1")
    write_revision(directory, [], "no-op", schema, schema, revision_id="a2")
    runner.upgrade(directory, sqlite_url)
    with pytest.raises(runner.MigrationCommandError, match=r"Several revisions .*a1, a2"):
        runner.stamp(directory, sqlite_url)


def test_offline_sql_for_a_dba_without_touching_any_database(versions: Path) -> None:
    sql = runner.upgrade(versions, "postgresql://nobody@unreachable.invalid/app", sql=True)
    assert sql is not None
    assert "CREATE TABLE users" in sql
    assert "ALTER TABLE users RENAME TO people;" in sql
    assert "ALTER TABLE people RENAME fullname TO full_name;" in sql
    assert "UPDATE alembic_version SET version_num='r2'" in sql


def test_offline_sql_on_sqlite_batch_operations_is_refused_clearly(versions: Path, sqlite_url: str) -> None:
    with pytest.raises(runner.MigrationCommandError, match="Write the SQL for PostgreSQL"):
        runner.upgrade(versions, sqlite_url, sql=True)


def test_failures_are_one_readable_dbkit_error(versions: Path, sqlite_url: str) -> None:
    with pytest.raises(runner.MigrationCommandError, match=r"Downgrade to nope failed: .*nope"):
        runner.downgrade(versions, sqlite_url, "nope")
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE users (id INTEGER PRIMARY KEY)")  # in the way of r1
    with pytest.raises(
        runner.MigrationCommandError, match="Upgrade to head failed: table users already exists"
    ):
        runner.upgrade(versions, sqlite_url)
    with pytest.raises(runner.MigrationCommandError, match="is not a directory"):
        runner.upgrade(versions / "missing", sqlite_url)
    engine.dispose()


def test_new_revision_chains_after_a_hand_written_alembic_revision(versions: Path) -> None:
    (versions / "r3_manual.py").write_text(
        "revision = 'r3'\ndown_revision = 'r2'\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n"
    )
    created = ops.CreateTableOp("notes", [sa.Column("id", sa.Integer, primary_key=True)])
    written = write_revision(versions, [created], "after manual", None, None)
    assert written.down_revision == "r3"
