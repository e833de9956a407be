"""The Alembic environment dbkit creates: plain `alembic` and pytest-alembic work on it unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import pytest_alembic
import sqlalchemy as sa
from pytest_alembic.tests import default as builtin_tests

from dbkit.errors import ConfigurationError
from dbkit.migrate.revisions.environment import alembic_config, ensure_environment, load_target_metadata
from dbkit.migrate.revisions.reversal import RenameTable, rename_column
from dbkit.migrate.revisions.table_ops import baseline_ops
from dbkit.migrate.revisions.writer import write_revision
from dbkit.migrate.schema.documents import dump_snapshot
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.schema.to_metadata import metadata_from_snapshot
from dbkit.naming import naming_convention

EMPTY = dump_snapshot(snapshot_from_metadata(sa.MetaData()))
#: Read by ``dbkit.target_metadata = test_environment:HOOK_METADATA`` below.
HOOK_METADATA = sa.MetaData()


def schema(users: str, name_column: str, *, status_values: tuple[str, ...] = ("new", "done")) -> str:
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table(
        users,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(name_column, sa.String(50), nullable=False, server_default="anonymous"),
        sa.Column("status", sa.Enum(*status_values, name="user_status")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    sa.Table(
        "documents",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey(f"{users}.id", ondelete="CASCADE"), index=True),
        sa.Column("title", sa.String(20)),
        sa.UniqueConstraint("user_id", "title"),
    )
    return dump_snapshot(snapshot_from_metadata(metadata))


def write_history(versions: Path) -> None:
    old, new = schema("users", "fullname"), schema("people", "full_name")
    write_revision(versions, baseline_ops(old), "baseline", EMPTY, old)
    renames = [
        RenameTable("users", "people"),
        rename_column(
            "people", "fullname", "full_name", existing_type=sa.String(50), existing_nullable=False
        ),
    ]
    write_revision(versions, renames, "rename users", old, new)


def test_creates_a_standard_environment_and_keeps_existing_files(tmp_path: Path) -> None:
    versions = tmp_path / "db" / "revisions"
    ini = ensure_environment(versions)
    assert ini == tmp_path / "db" / "alembic.ini"
    assert {path.name for path in (tmp_path / "db").iterdir()} == {
        "alembic.ini",
        "env.py",
        "script.py.mako",
        "revisions",
    }
    assert "version_locations = %(here)s/revisions" in ini.read_text()
    (tmp_path / "db" / "env.py").write_text("# the team's own env.py\n")
    ensure_environment(versions)
    assert (tmp_path / "db" / "env.py").read_text() == "# the team's own env.py\n"
    config = alembic_config(versions, "sqlite:///x%20y.db")
    assert config.get_main_option("sqlalchemy.url") == "sqlite:///x%20y.db"  # percent survives the ini
    assert config.get_main_option("version_locations") == str(versions.resolve())


def test_refuses_an_alembic_ini_pointing_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/elsewhere\n")
    with pytest.raises(ConfigurationError, match="script_location is not"):
        ensure_environment(tmp_path / "versions")


def test_plain_alembic_command_line_upgrades_and_downgrades(tmp_path: Path) -> None:
    versions = tmp_path / "migrations" / "versions"
    write_history(versions)
    database = tmp_path / "app.db"
    ini = str(tmp_path / "migrations" / "alembic.ini")
    for arguments in (["upgrade", "head"], ["downgrade", "-1"], ["upgrade", "head"]):
        result = subprocess.run(
            [sys.executable, "-m", "alembic", "-c", ini, "-x", f"url=sqlite:///{database}", *arguments],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    engine = sa.create_engine(f"sqlite:///{database}")
    assert sorted(sa.inspect(engine).get_table_names()) == ["alembic_version", "documents", "people"]
    engine.dispose()


def test_target_metadata_comes_from_the_hook_or_the_head_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    versions = tmp_path / "versions"
    write_history(versions)
    config = alembic_config(versions)
    head_tables = load_target_metadata(config)
    assert sorted(head_tables.tables) == ["documents", "people"]
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    config.set_main_option("dbkit.target_metadata", "test_environment:HOOK_METADATA")
    assert load_target_metadata(config) is HOOK_METADATA
    config.set_main_option("dbkit.target_metadata", "test_environment:missing")
    with pytest.raises(ConfigurationError, match="cannot import it"):
        load_target_metadata(config)


def test_snapshot_tables_keep_recorded_constraint_names() -> None:
    metadata = metadata_from_snapshot(schema("users", "fullname"))
    documents = metadata.tables["documents"]
    assert documents.primary_key.name == "pk_documents"
    assert {c.name for c in documents.constraints} >= {"fk_documents_user_id", "uq_documents_user_id_title"}
    assert {index.name for index in documents.indexes} == {"ix_documents_user_id"}


def test_written_revisions_pass_pytest_alembics_builtin_tests(tmp_path: Path, database_url: str) -> None:
    versions = tmp_path / "versions"
    write_history(versions)
    engine = sa.create_engine(database_url)
    config = pytest_alembic.Config(alembic_config=alembic_config(versions))
    with pytest_alembic.runner(config=config, engine=engine) as alembic_runner:
        builtin_tests.test_single_head_revision(alembic_runner)
        builtin_tests.test_upgrade(alembic_runner)
        builtin_tests.test_model_definitions_match_ddl(alembic_runner)
        builtin_tests.test_up_down_consistency(alembic_runner)
    engine.dispose()
