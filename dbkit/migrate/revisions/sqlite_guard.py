"""SQLite foreign keys around batch operations, which recreate tables and would cascade deletes
into child rows if foreign keys were enforced.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from alembic.operations import Operations

from dbkit.errors import MigrationRuntimeError


# -- SQLite foreign keys around batch operations ----------------------------------------------
def _describe_violations(rows: Sequence[Any]) -> str:
    shown = "; ".join(f"{row[0]} row {row[1]} -> {row[2]}" for row in rows[:5])
    more = f" (and {len(rows) - 5} more)" if len(rows) > 5 else ""
    return f"{shown}{more}"


@contextmanager
def sqlite_foreign_keys_suspended(operations: Operations) -> Iterator[None]:
    """Around batch operations on SQLite: foreign keys off, then ``PRAGMA foreign_key_check``.

    Batch mode recreates tables; with enforcement on, dropping the old parent table cascades
    deletes into child rows. The pragma does nothing inside a transaction, so dbkit's env.py
    turns it off before the migration transaction; this guard refuses to go on if it is still
    on, rather than lose rows. A no-op on other databases and in offline (``--sql``) mode,
    where env.py writes the pragmas into the script.
    """
    context = operations.get_context()
    if context.dialect.name != "sqlite" or context.as_sql:
        yield
        return
    bind = operations.get_bind()
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise MigrationRuntimeError(
            "SQLite enforces foreign keys inside this migration's transaction, so recreating a table "
            "in batch mode would delete child rows. Run it through dbkit's env.py (which turns "
            "PRAGMA foreign_keys OFF before the transaction begins) or turn it off on the connection first."
        )
    yield
    violations = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if violations:
        raise MigrationRuntimeError(
            f"Foreign keys broken after recreating tables: {_describe_violations(violations)}. "
            "The migration was stopped; fix the rows or the revision and run it again."
        )
