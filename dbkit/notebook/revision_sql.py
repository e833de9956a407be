"""The SQL a planned revision runs, per dialect and per operation, without writing or touching anything.

The operations are the revision's own (:func:`dbkit.migrate.api.revision_operations`), run the way
the revision file runs them (each per-table group in a batch block):

- PostgreSQL: Alembic's offline (``--sql``) mode, as ``dbkit upgrade --sql`` prints it;
- SQLite: on an empty in-memory database holding the old schema, recording every statement that
  changes it. Offline mode cannot serve SQLite: a batch block recreates a table from what it
  reads of the live one, so the real statements (``CREATE TABLE _alembic_tmp_...``, the copy,
  the rename) exist only when the block runs.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa
    from alembic.operations import Operations, ops

    from dbkit.migrate.api import RevisionPlan
    from dbkit.migrate.schema.snapshot import Snapshot

POSTGRESQL, SQLITE = "postgresql", "sqlite"
DIALECTS = (SQLITE, POSTGRESQL)
#: Statements a batch block issues to read the live table: not part of what the revision changes.
_READS = re.compile(r"^\s*(PRAGMA|SELECT)\b", re.IGNORECASE)
_WORDS = re.compile(r"(?<!^)(?=[A-Z])")
#: A reason that only names the change (``add_column users.timezone [safe]``).
_CHANGE_ONLY = re.compile(r"^\w+ \S+ \[\w+\]$")
_CHANGE_SUFFIX = re.compile(r" \(\w+ \S+ \[\w+\]\)$")


@dataclass(frozen=True)
class OperationSQL:
    """One operation of the revision (a per-table batch group counts as one) and its SQL per dialect."""

    title: str
    sql: dict[str, str]


def revision_sql(plan: RevisionPlan) -> tuple[OperationSQL, ...]:
    """Each upgrade operation of ``plan`` with the SQL it runs on SQLite and on PostgreSQL."""
    from dbkit.migrate import api
    from dbkit.migrate.revisions.table_ops import _with_enum_type_cleanup  # as render_body applies it

    operations = list(_with_enum_type_cleanup(api.revision_operations(plan)).ops)
    if not operations:
        return ()
    by_dialect = {SQLITE: _sqlite_sql(operations, plan.old), POSTGRESQL: _postgresql_sql(operations)}
    return tuple(
        OperationSQL(describe_operation(operation), {dialect: by_dialect[dialect][i] for dialect in DIALECTS})
        for i, operation in enumerate(operations)
    )


def describe_operation(operation: ops.MigrateOperation) -> str:
    """``add column users.timezone``; a batch group lists its operations; the reason dbkit gave, if any."""
    from alembic.operations import ops

    from dbkit.migrate.revisions.reasons import reason_of

    if isinstance(operation, ops.ModifyTableOps):
        return "; ".join(describe_operation(sub) for sub in operation.ops)
    words = _WORDS.sub(" ", type(operation).__name__.removesuffix("Op")).lower()
    table = getattr(operation, "table_name", None) or getattr(operation, "source_table", None)
    name = (
        getattr(getattr(operation, "column", None), "name", None)
        or getattr(operation, "column_name", None)
        or getattr(operation, "index_name", None)
        or getattr(operation, "constraint_name", None)
        or getattr(operation, "name", None)
    )
    target = ".".join(str(part) for part in (table, name) if part)
    reason = _CHANGE_SUFFIX.sub("", reason_of(operation) or "")
    if _CHANGE_ONLY.match(reason):  # the change's own description repeats the title
        reason = ""
    return " ".join(part for part in (words, target, f"({reason})" if reason else "") if part)


def _postgresql_sql(operations: list[ops.MigrateOperation]) -> list[str]:
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    import dbkit.migrate.renderers  # noqa: F401  (registers dbkit's custom operations, as revisions do)

    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name=POSTGRESQL, opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True}
    )
    runner = Operations(context)
    return [_captured(lambda op=op: _invoke(runner, op), buffer.getvalue, offline=True) for op in operations]


def _sqlite_sql(operations: list[ops.MigrateOperation], old: Snapshot) -> list[str]:
    import sqlalchemy as sa
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    import dbkit.migrate.renderers  # noqa: F401
    from dbkit.migrate.schema.to_metadata import metadata_from_snapshot

    engine = sa.create_engine("sqlite://")
    try:
        metadata_from_snapshot(old).create_all(engine)
        with engine.begin() as connection, _recorded(connection) as statements:
            runner = Operations(MigrationContext.configure(connection=connection))
            results: list[str] = []
            for operation in operations:
                if results and results[-1].startswith("-- failed"):
                    results.append("-- not run: an earlier operation failed on SQLite")
                    continue
                start = len(statements)
                results.append(
                    _captured(
                        lambda op=operation: _invoke(runner, op), lambda s=start: _joined(statements[s:])
                    )
                )
            return results
    finally:
        engine.dispose()


def _invoke(runner: Operations, operation: ops.MigrateOperation) -> None:
    """Run one operation as the revision file does: a per-table group inside a batch block."""
    from alembic.operations import ops

    if isinstance(operation, ops.ModifyTableOps):
        with runner.batch_alter_table(operation.table_name, schema=operation.schema) as batch:
            for inner in operation.ops:
                batch.invoke(inner)
    else:
        runner.invoke(operation)


def _captured(run: Callable[[], None], output: Callable[[], str], *, offline: bool = False) -> str:
    """The SQL ``run`` emits (``output`` read before and after), or a comment saying why there is none."""
    before = output()
    try:
        run()
    except Exception as exc:  # the revision would fail the same way: the reviewer must see it
        cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if offline:
            return (
                "-- no offline SQL: this operation reads the database while it runs "
                f"({cause}); `dbkit upgrade` runs it online"
            )
        return f"-- failed: {cause}"
    text = _sorted_constraints(output()[len(before) :].strip()) if offline else output().strip()
    return text or "-- no SQL on this dialect"


@contextmanager
def _recorded(connection: sa.Connection) -> Iterator[list[str]]:
    """Every statement run on ``connection`` that changes the database (reads left out)."""
    import sqlalchemy as sa

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not _READS.match(statement):
            statements.append(statement.strip())

    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)


def _joined(statements: list[str]) -> str:
    return "\n\n".join(f"{statement};" for statement in _in_stable_order(statements))


_CREATE_INDEX = re.compile(r"^CREATE (UNIQUE )?INDEX\b", re.IGNORECASE)
_CONSTRAINT_LINE = re.compile(
    r"^\s*(CONSTRAINT \S+ )?(PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY)\b", re.IGNORECASE
)


def _in_stable_order(statements: list[str]) -> list[str]:
    """The statements with what Alembic's batch mode emits in set order (so run to run it varies)
    sorted: consecutive ``CREATE INDEX`` statements, and a created table's constraint clauses.
    Neither order changes what the statements do."""
    ordered: list[str] = []
    for statement in (_sorted_constraints(s) for s in statements):
        run = 0
        while (
            _CREATE_INDEX.match(statement) and run < len(ordered) and _CREATE_INDEX.match(ordered[-1 - run])
        ):
            run += 1
        if run:
            ordered[len(ordered) - run :] = sorted([*ordered[len(ordered) - run :], statement])
        else:
            ordered.append(statement)
    return ordered


def _sorted_constraints(statement: str) -> str:
    """Each run of consecutive table-constraint clauses sorted, the last clause keeping its ending."""
    lines = statement.split("\n")
    index = 0
    while index < len(lines):
        end = index
        while end < len(lines) and _CONSTRAINT_LINE.match(lines[end]):
            end += 1
        if end - index > 1 and _whole_clauses(lines, index, end):
            ending = lines[end - 1][len(_clause(lines[end - 1])) :]
            bodies = sorted(_clause(line) for line in lines[index:end])
            lines[index:end] = [
                f"{body}," if i < len(bodies) - 1 else body + ending for i, body in enumerate(bodies)
            ]
        index = max(end, index + 1)
    return "\n".join(lines)


def _whole_clauses(lines: list[str], start: int, end: int) -> bool:
    """Each line of the run is one whole clause (balanced parentheses, a comma between clauses, the
    table's closing parenthesis after the last), so reordering the lines cannot split a clause."""
    run = lines[start:end]
    balanced = all(line.count("(") == line.count(")") for line in run)
    separated = all(line.rstrip().endswith(",") for line in run[:-1])
    closed = end < len(lines) and lines[end].lstrip().startswith(")")
    return balanced and separated and closed


def _clause(line: str) -> str:
    """A constraint line without its trailing comma (SQLAlchemy writes ``clause, `` between clauses)."""
    return line.rstrip().rstrip(",").rstrip()
