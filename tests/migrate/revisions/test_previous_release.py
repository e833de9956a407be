"""What the previous release wrote keeps working: its revision files and its import paths.

The revision files were written before the engine was laid out by stage; they import
``dbkit.migrate.renderers`` and call its helpers, so that module path and its names are a contract.
"""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbkit.migrate import api

REPO = Path(__file__).resolve().parents[3]
GOLDEN_REVISIONS = REPO / "tests" / "migrate" / "golden" / "bench_revision.py.txt"


def _previous_release_revisions(versions: Path) -> list[str]:
    """The benchmark baseline and change revisions the previous release wrote, with fixed ids."""
    # The golden file is the files joined by newlines; each file starts with its docstring's first line.
    files = re.split(r'\n(?="""\S)', GOLDEN_REVISIONS.read_text(encoding="utf-8"))
    assert len(files) == 2, "the golden file holds a baseline and one change"
    ids = ["0a1b2c3d4e5f", "1a2b3c4d5e6f"]
    versions.mkdir(parents=True)
    for index, text in enumerate(files):
        text = text.replace("Revision ID: <volatile>", f"Revision ID: {ids[index]}")
        text = text.replace("revision = <volatile>", f"revision = {ids[index]!r}")
        text = text.replace("Revises: <volatile>", f"Revises: {ids[index - 1] if index else ''}")
        text = text.replace("down_revision = '<volatile>", f"down_revision = {ids[index - 1]!r}")
        text = text.replace("Create Date: <volatile>", "Create Date: 2026-11-01 00:00:00")
        text = text.replace("dbkit_content_hash = <volatile>", 'dbkit_content_hash = ""')
        assert "<volatile>" not in text
        (versions / f"{ids[index]}_previous_release.py").write_text(text, encoding="utf-8")
    return ids


def test_revisions_written_by_the_previous_release_upgrade_and_downgrade(tmp_path: Path) -> None:
    versions = tmp_path / "migrations" / "versions"
    baseline, change = _previous_release_revisions(versions)
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    assert api.upgrade(versions, url) is None
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == change
        columns = {c["name"] for c in sa.inspect(connection).get_columns("entity0005s")}
    assert "summary" in columns  # the change revision's add_column ran
    api.downgrade(versions, url, baseline)
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("entity0005s")}
    assert "summary" not in columns
    engine.dispose()


def test_the_bundled_baseline_from_the_previous_release_runs(tmp_path: Path) -> None:
    migrations = shutil.copytree(REPO / "data" / "migrations", tmp_path / "migrations")
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    api.upgrade(migrations / "versions", url)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    engine.dispose()
    assert {"users", "teams", "alembic_version"} <= tables


#: Old module path → names code written against the previous release imports from it.
OLD_PATHS = {
    "dbkit.migrate.renderers": [
        "sqlite_foreign_keys_suspended",
        "AddEnumValueOp",
        "MigrationRuntimeError",
        "annotate",
    ],
    "dbkit.migrate.alembic_env": [
        "database_url",
        "load_target_metadata",
        "sqlite_foreign_keys_disabled",
        "sqlite_transactional_ddl",
        "metadata_from_snapshot",
        "alembic_config",
    ],
    "dbkit.migrate.autogenerate": ["dbkit_autogenerate"],
    "dbkit.migrate.checks": ["check_parity"],
    "dbkit.migrate.phases": ["find_legacy_uses", "plan_rewrite", "apply_rewrite", "check_phase3"],
    "dbkit.migrate.workflow": ["load", "parity", "diff", "revision", "verify"],
    "dbkit.migrate.snapshot": [
        "load_snapshot",
        "dump_snapshot",
        "snapshot_from_metadata",
        "snapshot_from_database",
    ],
    "dbkit.migrate.schema": ["Snapshot", "TableSnapshot", "ColumnSnapshot", "TypeSpec"],
    "dbkit.migrate.compare": ["Change", "Op", "diff_snapshots", "CompareOptions"],
    "dbkit.migrate.lint": ["Risk", "classify", "lint_changes", "Verdict"],
    "dbkit.migrate.hints": ["apply_hints", "MigrationHints"],
    "dbkit.migrate.revision": ["read_history", "write_revision", "baseline_ops", "RevisionError"],
    "dbkit.migrate.codebase": ["load_codebase", "Codebase"],
    "dbkit.migrate.inventory": ["inventory"],
    "dbkit.migrate.parity": ["parity"],
    "dbkit.migrate.alembic_ops": ["operations_for"],
    "dbkit.migrate.runner": ["upgrade", "downgrade"],
    "dbkit.migrate.verify": ["verify"],
    "dbkit.migrate.scaffold": ["scaffold", "scaffold_codebase", "ScaffoldGenerator"],
    "dbkit.generate.model": ["DatabaseMixin", "ApplicationModel"],
    "dbkit.bll.manager": ["AbstractBLLManager"],
    "dbkit.bll.models": ["TeamModel", "RoleModel"],
}


@pytest.mark.parametrize("path", sorted(OLD_PATHS))
def test_old_import_path_still_provides_its_names(path: str) -> None:
    module = importlib.import_module(path)
    missing = [name for name in OLD_PATHS[path] if not hasattr(module, name)]
    assert not missing, f"{path} lost {missing}"
