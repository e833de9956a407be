"""Checks of scaffolded source beyond string comparison: it lints clean, imports, and generates tables.

``run_generated`` is the one entry point: the written modules must have no unused import and no
undefined name (ruff's pyflakes rules), must import, and their models must generate tables; the
tests then compare those tables' DDL with the hand-written ones (``ddl`` for PostgreSQL,
``ddl_by_dialect`` where dialect options matter).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import mssql, mysql, oracle, postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable
from test_scaffold import generated_tables

from dbkit.migrate.codemod.scaffold import ScaffoldResult

#: Every dialect whose options scaffold must carry over (each compiles its own keywords).
DIALECTS: dict[str, sa.Dialect] = {
    "postgresql": postgresql.dialect(),
    "mysql": mysql.dialect(),
    "sqlite": sqlite.dialect(),
    "mssql": mssql.dialect(),
    "oracle": oracle.dialect(),
}
#: Unused imports (F401), redefined unused names (F811), undefined names (F821/F822).
PYFLAKES_RULES = "F401,F811,F821,F822"


def lint_errors(source: str) -> str:
    """What ruff's pyflakes rules find in one generated module ('' when nothing)."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", f"--select={PYFLAKES_RULES}", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if result.returncode == 0 else result.stdout + result.stderr


def run_generated(result: ScaffoldResult, directory: Path) -> dict[str, sa.Table]:
    """Lint the generated modules, import them and generate their models' tables (by table name)."""
    for name, source in result.modules.items():
        errors = lint_errors(source)
        assert not errors, f"{name}:\n{errors}\n{source}"
    return generated_tables(result, directory)


def ddl_by_dialect(table: sa.Table) -> dict[str, tuple[str, list[str]]]:
    """``CREATE TABLE`` and sorted ``CREATE INDEX`` statements, as each dialect of :data:`DIALECTS` compiles them."""
    found = {}
    for name, dialect in DIALECTS.items():
        create = str(CreateTable(table).compile(dialect=dialect)).strip()
        indexes = sorted(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes)
        found[name] = (create, indexes)
    return found
