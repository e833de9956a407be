"""Prove a versions directory on a scratch database: rows survive every step up and back down.

``verify`` never touches the user's database: an SQLite file is copied (SQLite's backup API,
so a database in use is copied consistently), a PostgreSQL URL only names the server on which
a fresh scratch database is created and dropped. On the scratch database it seeds a few
representative rows into every table, runs each revision up one at a time checking row counts
and the values of kept (or renamed) columns, checks the schema at head against the last
recorded snapshot, then runs each revision down checking that schema and rows are back. On
PostgreSQL an online revision (whose steps commit one by one) is also run a second time right after
its upgrade: every step must find itself done, so a re-run after a failure or a kill completes it.

An SQLite scratch copy runs without fsync and with an in-memory journal (it is thrown away, so
durability buys nothing); rollbacks work as on the real file.
"""

from __future__ import annotations

import ast
import datetime as dt
import decimal
import re
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.runtime.migration import MigrationContext

from dbkit.errors import DbkitError
from dbkit.manager import normalize_url
from dbkit.migrate.revisions.environment import alembic_config
from dbkit.migrate.revisions.history import RecordedRevision, read_history
from dbkit.migrate.revisions.runner import (
    MigrationCommandError,
    live_snapshot,
    readable_errors,
    schema_differences,
)
from dbkit.migrate.schema.documents import load_snapshot
from dbkit.text import shorten

#: What an online revision's text holds (dbkit.migrate.revisions.online): verify re-runs those.
ONLINE_MARKER = re.compile(r"\bop\.(online_step|\w+_online)\(")
#: Rows seeded into every table that has none.
SEED_ROWS = 3


@dataclass
class TableRows:
    """The rows of one table, in primary-key order, as tuples (read only to name what differs)."""

    columns: tuple[str, ...]
    key: tuple[str, ...]
    tuples: list[tuple[Any, ...]]

    def __len__(self) -> int:
        return len(self.tuples)

    def by_key(self) -> dict[Any, dict[str, Any]]:
        """Key → column → value: the per-row view used to name what differs."""
        positions = [self.columns.index(name) for name in self.key if name in self.columns]
        if not positions:
            positions = list(range(len(self.columns)))
        return {
            tuple(_comparable(row[i]) for i in positions): dict(zip(self.columns, row, strict=True))
            for row in self.tuples
        }


@dataclass(frozen=True)
class TableCopy:
    """One table's rows as they were, copied beside the scratch database (see :class:`RowStore`)."""

    table: str
    copy: str
    #: The columns a comparison looks at (a downgrade cannot bring back what the upgrade dropped).
    columns: tuple[str, ...]
    key: tuple[str, ...]
    count: int

    def subset(self, names: Iterable[str]) -> TableCopy:
        wanted = set(names)
        return replace(self, columns=tuple(c for c in self.columns if c in wanted))


Rows = dict[str, TableCopy]  # table → the copy of its rows


@dataclass(frozen=True)
class LiveTable:
    """A table of the scratch database as it is now: its column names and primary key."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]


@dataclass
class VerifyStep:
    """One revision applied in one direction, and what it did to the rows."""

    direction: str  # "up" | "rerun" (an online revision run again) | "down" | "schema"
    revision: str
    message: str
    rows_before: dict[str, int] = field(default_factory=dict)
    rows_after: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        status = "ok  " if self.passed else "FAIL"
        counts = ", ".join(
            f"{table} {self.rows_before.get(table, '-')}→{self.rows_after.get(table, '-')}"
            for table in sorted(self.rows_before.keys() | self.rows_after.keys())
        )
        lines = [f"{status} {self.direction:<6} {self.revision:<14} {shorten(self.message, 50)}  [{counts}]"]
        lines.extend(f"       - {problem}" for problem in self.problems)
        return "\n".join(lines)


@dataclass
class VerifyReport:
    """The outcome of :func:`verify`: every step, with readable context for each failure."""

    database: str
    steps: list[VerifyStep] = field(default_factory=list)
    #: Revisions whose text no longer matches the hash dbkit recorded (edited by hand).
    edited: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Called after each step (a progress display); never part of the result.
    on_step: Callable[[VerifyStep], None] | None = field(default=None, repr=False, compare=False)

    def add(self, step: VerifyStep) -> None:
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)

    @property
    def problems(self) -> list[str]:
        return [
            f"{step.direction} {step.revision}: {problem}" for step in self.steps for problem in step.problems
        ]

    def __str__(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [f"verify on a scratch copy ({self.database}): {verdict}"]
        lines.extend(
            f"warning: {path} was edited after dbkit wrote it (content hash differs)" for path in self.edited
        )
        lines.extend(f"note: {note}" for note in self.notes)
        lines.extend(str(step) for step in self.steps)
        return "\n".join(lines)


class VerifyError(DbkitError):
    """verify could not even start (no revisions, scratch database unavailable)."""


def verify(
    versions_dir: str | Path, url: str | None = None, on_step: Callable[[VerifyStep], None] | None = None
) -> VerifyReport:
    """Run every pending revision up and back down on a scratch copy; see the module docstring."""

    history = read_history(versions_dir)
    if not history.revisions:
        raise VerifyError(f"No revisions in {versions_dir}: nothing to verify.")
    if len(history.heads) > 1:
        raise VerifyError(f"{versions_dir} has several heads ({', '.join(history.heads)}): merge them first.")
    with scratch_database(url) as (scratch_url, label):
        report = VerifyReport(
            database=label, edited=[str(item.path) for item in history.edited], on_step=on_step
        )
        engine = sa.create_engine(scratch_url, poolclass=sa.pool.NullPool)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _configure_sqlite_scratch)
        try:
            _run_steps(versions_dir, engine, history.revisions, report)
        finally:
            engine.dispose()
    return report


def _run_steps(
    versions_dir: str | Path, engine: sa.Engine, revisions: tuple[RecordedRevision, ...], report: VerifyReport
) -> None:
    with engine.connect() as connection:
        start = _current_revision(connection)
    if start is None and _has_tables(engine):
        start = _adopt(versions_dir, engine, revisions, report)
    ids = [item.revision for item in revisions]
    pending = revisions[ids.index(start) + 1 :] if start else revisions
    if not pending:
        report.notes.append(f"the database is already at head ({start}): no pending revision to verify")
        return
    with RowStore(engine) as store:
        before_each: list[Rows] = []
        for revision in pending:
            _seed_empty_tables(engine)
            rows_before = store.capture()
            before_each.append(rows_before)
            step = _apply(versions_dir, engine, "up", revision, revision.revision, store)
            report.add(step)
            if step.passed:
                step.problems.extend(store.compare(rows_before, _renames(revision, "upgrade")))
            if step.passed and _resumable(engine, revision):
                step = _rerun(versions_dir, engine, revision, store)
                report.add(step)
            if not step.passed:
                return
        head = pending[-1]
        report.add(_schema_step(engine, head, head.to_snapshot, "head"))
        for revision, rows_before_upgrade in zip(reversed(pending), reversed(before_each), strict=True):
            step = _apply(versions_dir, engine, "down", revision, revision.down_revision or "base", store)
            report.add(step)
            if not step.passed:
                return
            step.problems.extend(
                store.compare(_kept_after_round_trip(revision, rows_before_upgrade), _Renames())
            )
            if revision.from_snapshot is not None:
                differences = schema_differences(revision.from_snapshot, _live(engine))
                step.problems.extend(f"schema not back: {_describe(change)}" for change in differences)


def _resumable(engine: sa.Engine, revision: RecordedRevision) -> bool:
    """An online revision on PostgreSQL: its steps commit one by one, so a re-run must complete it."""
    return engine.dialect.name == "postgresql" and ONLINE_MARKER.search(revision.path.read_text()) is not None


def _rerun(
    versions_dir: str | Path, engine: sa.Engine, revision: RecordedRevision, store: RowStore
) -> VerifyStep:
    """Run an applied online revision again, as after a failure or a kill once every step had run:
    each step must find itself done (catalog checks) and change neither schema nor rows."""
    config = alembic_config(versions_dir)
    config.attributes["configure_logger"] = False
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, revision.down_revision or "base")
        connection.commit()
    rows_before = store.capture()
    step = _apply(versions_dir, engine, "rerun", revision, revision.revision, store)
    step.message = "re-run of an applied online revision completes as a no-op"
    if step.passed:
        step.problems.extend(store.compare(rows_before, _Renames()))
    if step.passed and revision.to_snapshot is not None:
        differences = schema_differences(revision.to_snapshot, _live(engine))
        step.problems.extend(f"schema changed by the re-run: {_describe(change)}" for change in differences)
    return step


def _has_tables(engine: sa.Engine) -> bool:

    return any(name != "alembic_version" for name in sa.inspect(engine).get_table_names())


def _adopt(
    versions_dir: str | Path, engine: sa.Engine, revisions: tuple[RecordedRevision, ...], report: VerifyReport
) -> str:
    """A populated database never managed by Alembic: start after the revision recording its schema.

    The scratch copy is stamped there (as ``dbkit stamp`` would adopt the real one), so the
    database's own rows are what the remaining revisions must preserve.
    """

    live = _live(engine)
    matches = [
        item
        for item in revisions
        if item.to_snapshot is not None and not schema_differences(item.to_snapshot, live)
    ]
    if len(matches) != 1:
        found = "no revision" if not matches else f"{len(matches)} revisions"
        raise VerifyError(
            f"The database has tables but no Alembic version, and {found} of {versions_dir} record its schema: "
            "stamp it first (dbkit stamp --to REV) or verify without --url on an empty scratch database."
        )
    config = alembic_config(versions_dir)
    config.attributes["configure_logger"] = False
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, matches[0].revision)
        connection.commit()
    report.notes.append(f"adopted the copy at {matches[0].revision} (its schema matched; nothing ran)")
    return matches[0].revision


def _apply(
    versions_dir: str | Path,
    engine: sa.Engine,
    direction: str,
    revision: RecordedRevision,
    target: str,
    store: RowStore,
) -> VerifyStep:

    step = VerifyStep(
        direction, revision.revision, revision.message.splitlines()[0] if revision.message else ""
    )
    step.rows_before = store.counts()
    config = alembic_config(versions_dir)
    config.attributes["configure_logger"] = False
    started = time.perf_counter()
    try:
        with engine.connect() as connection, readable_errors(f"{direction} {revision.revision}"):
            config.attributes["connection"] = connection
            if direction in ("up", "rerun"):
                command.upgrade(config, target)
            else:
                command.downgrade(config, target)
            connection.commit()
    except MigrationCommandError as exc:
        step.problems.append(str(exc))
    step.seconds = time.perf_counter() - started
    step.rows_after = store.counts()
    return step


def _schema_step(
    engine: sa.Engine, revision: RecordedRevision, snapshot: str | None, where: str
) -> VerifyStep:
    step = VerifyStep("schema", revision.revision, f"schema at {where} equals the recorded snapshot")
    if snapshot is None:
        step.message = f"no snapshot recorded at {where}: schema not compared"
        return step
    step.problems.extend(_describe(change) for change in schema_differences(snapshot, _live(engine)))
    return step


def _live(engine: sa.Engine) -> Any:
    with engine.connect() as connection:
        return live_snapshot(connection)


def _describe(change: Any) -> str:
    detail = ", ".join(
        f"{key}={value}" for key, value in sorted(change.detail.items()) if key not in ("old", "new")
    )
    return f"{change.op} {change.target}" + (f" ({detail})" if detail else "")


def _current_revision(connection: sa.Connection) -> str | None:

    heads = MigrationContext.configure(connection).get_current_heads()
    return heads[0] if heads else None


def _configure_sqlite_scratch(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys enforced, as applications run SQLite; no fsync and an in-memory journal,
    because the scratch copy is thrown away (a crash loses nothing but the copy)."""
    cursor = dbapi_connection.cursor()
    for pragma in SCRATCH_SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


#: Run on every connection to an SQLite scratch copy (see :func:`_configure_sqlite_scratch`).
SCRATCH_SQLITE_PRAGMAS = ("foreign_keys=ON", "synchronous=OFF", "journal_mode=MEMORY")


# -- scratch databases ------------------------------------------------------------------------------
@contextmanager
def scratch_database(url: str | None) -> Iterator[tuple[str, str]]:
    """A throwaway database: (URL, description). Removed afterwards whatever happens."""

    if url is None:
        with tempfile.TemporaryDirectory(prefix="dbkit-verify-") as directory:
            yield f"sqlite:///{Path(directory) / 'scratch.sqlite3'}", "empty SQLite scratch database"
        return
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        with _sqlite_copy(parsed.database) as (scratch_url, label):
            yield scratch_url, label
        return
    if parsed.get_backend_name() == "postgresql":
        with _postgres_scratch(parsed) as scratch:
            yield scratch
        return
    raise VerifyError(f"verify supports SQLite and PostgreSQL URLs, not {parsed.get_backend_name()}.")


@contextmanager
def _sqlite_copy(database: str | None) -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="dbkit-verify-") as directory:
        scratch = Path(directory) / "scratch.sqlite3"
        if database and database != ":memory:":
            source_path = Path(database)
            if not source_path.is_file():
                raise VerifyError(
                    f"SQLite database {source_path} does not exist; give the file to verify a copy of."
                )
            source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)  # read-only: never writes it
            target = sqlite3.connect(scratch)
            try:
                for pragma in SCRATCH_SQLITE_PRAGMAS:  # the copy needs no fsync either
                    target.execute(f"PRAGMA {pragma}")
                source.backup(target)
            finally:
                target.close()
                source.close()
            label = f"copy of {source_path}"
        else:
            label = "empty SQLite scratch database"
        yield f"sqlite:///{scratch}", label


@contextmanager
def _postgres_scratch(server_url: Any) -> Iterator[tuple[str, str]]:

    name = f"dbkit_verify_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
    except sa.exc.DBAPIError as exc:
        admin.dispose()
        raise VerifyError(
            f"Cannot create a scratch database on {server_url.render_as_string()}: {exc.orig}"
        ) from None
    try:
        scratch = server_url.set(database=name)
        yield (
            scratch.render_as_string(hide_password=False),
            f"scratch database {name} on {server_url.host or 'local'}",
        )
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        admin.dispose()


# -- rows -------------------------------------------------------------------------------------------
class RowStore:
    """Copies of every table's rows, kept beside the scratch database and compared in SQL.

    Reading every row into Python would cost memory and time in proportion to a production
    copy; instead each table is copied (``CREATE TABLE ... AS SELECT``) into a side namespace the
    migrations never see (an attached SQLite file, or a PostgreSQL schema), and a step is checked
    with row counts and a primary-key join over the kept (or renamed) columns (``EXCEPT`` when a
    table has no key). Rows are read into Python
    only when something differs, to say what.
    """

    SIDE = "dbkit_rows"

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.preparer = engine.dialect.identifier_preparer
        self._captures = 0
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self.connection: sa.Connection | None = None

    def __enter__(self) -> RowStore:
        self.connection = self.engine.connect()
        if self.sqlite:
            self._directory = tempfile.TemporaryDirectory(prefix="dbkit-verify-rows-")
            side = str(Path(self._directory.name) / "rows.sqlite3")
            self.connection.exec_driver_sql(f"ATTACH DATABASE ? AS {self.SIDE}", (side,))
            for pragma in ("synchronous=OFF", "journal_mode=OFF"):  # copies only: never needs a rollback
                self.connection.exec_driver_sql(f"PRAGMA {self.SIDE}.{pragma}")
        else:
            self.connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {self.SIDE}")
        self.connection.commit()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self.connection is not None
        try:
            if not self.sqlite:
                self.connection.rollback()
                self.connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {self.SIDE} CASCADE")
                self.connection.commit()
        finally:
            self.connection.close()
            if self._directory is not None:
                self._directory.cleanup()

    def _table_names(self, inspector: sa.Inspector | None = None) -> list[str]:
        """The application's tables (not ``alembic_version``), sorted."""

        assert self.connection is not None
        names = (inspector or sa.inspect(self.connection)).get_table_names()
        self.connection.commit()
        return sorted(name for name in names if name != "alembic_version")

    def _live_tables(self) -> dict[str, LiveTable]:
        """Each table's columns and key: all a copy or a comparison needs (no full reflection)."""

        assert self.connection is not None
        inspector = sa.inspect(self.connection)
        names = self._table_names(inspector)
        if not names:
            return {}
        columns = {key[1]: value for key, value in inspector.get_multi_columns(filter_names=names).items()}
        keys = {key[1]: value for key, value in inspector.get_multi_pk_constraint(filter_names=names).items()}
        self.connection.commit()
        return {
            name: LiveTable(
                name,
                tuple(column["name"] for column in columns.get(name, ())),
                tuple(keys.get(name, {}).get("constrained_columns") or ()),
            )
            for name in names
        }

    def _scalar(self, sql: str) -> Any:
        assert self.connection is not None
        try:
            return self.connection.exec_driver_sql(sql).scalar()
        finally:
            self.connection.commit()

    def _quoted(self, name: str) -> str:
        return self.preparer.quote(name)

    def counts(self) -> dict[str, int]:
        return {
            name: self._scalar(f"SELECT count(*) FROM {self._quoted(name)}") for name in self._table_names()
        }

    def capture(self) -> Rows:
        """Copy every table now; the copies are what the next step must preserve."""
        self._captures += 1
        captured: Rows = {}
        for index, table in enumerate(self._live_tables().values()):
            copy = f"c{self._captures}_{index}"
            assert self.connection is not None
            self.connection.exec_driver_sql(
                f"CREATE TABLE {self.SIDE}.{copy} AS SELECT * FROM {self._quoted(table.name)}"
            )
            self.connection.commit()
            count = self._scalar(f"SELECT count(*) FROM {self.SIDE}.{copy}")
            captured[table.name] = TableCopy(table.name, copy, table.columns, table.key, count)
        return captured

    def compare(self, before: Rows, renames: _Renames) -> list[str]:
        """Counts per table, and the values of every column kept on both sides (through renames)."""
        live = self._live_tables()
        problems: list[str] = []
        for name, copy in before.items():
            new_name = renames.tables.get(name, name)
            table = live.get(new_name)
            if table is None:
                continue  # the revision dropped it: a destructive change lint already asked about
            count = self._scalar(f"SELECT count(*) FROM {self._quoted(new_name)}")
            if count != copy.count:
                problems.append(f"{new_name}: {copy.count} rows before, {count} after")
                continue
            column_map = renames.columns.get(new_name, {})
            pairs = [(c, column_map.get(c, c)) for c in copy.columns if column_map.get(c, c) in table.columns]
            if pairs and not self._same_values(copy, new_name, pairs):
                problems.extend(self._name_differences(copy, table, column_map, pairs))
        return problems

    def _same_values(self, copy: TableCopy, table: str, pairs: list[tuple[str, str]]) -> bool:
        """Whether every copied row is in the table with the same values (counts are already equal).

        On SQLite rows are first matched by position (the copy's rowid against the table's: a table
        Alembic rebuilt or left alone keeps its order), one B-tree probe a row; only when that finds
        a difference are they matched by primary key (or, without one, as sets with ``EXCEPT``).
        Finding nothing either way proves it: matched rows are distinct and the counts are equal.
        """
        renamed = dict(pairs)
        queries = [self._join_query(copy, table, pairs, None)] if self.sqlite else []
        if copy.key and all(k in renamed for k in copy.key):
            queries.append(self._join_query(copy, table, pairs, [(k, renamed[k]) for k in copy.key]))
        else:  # no key to match rows by: compare them as sets
            before = ", ".join(self._quoted(old) for old, _new in pairs)
            after = ", ".join(self._quoted(new) for _old, new in pairs)
            queries.append(
                f"SELECT EXISTS (SELECT {before} FROM {self.SIDE}.{copy.copy} "
                f"EXCEPT SELECT {after} FROM {self._quoted(table)})"
            )
        return any(self._finds_nothing(sql) for sql in queries)

    def _finds_nothing(self, sql: str) -> bool:

        try:
            return self._scalar(sql) == 0
        except sa.exc.DBAPIError:  # no rowid, or types the database cannot compare: the next way
            assert self.connection is not None
            self.connection.rollback()
            return False

    def _join_query(
        self,
        copy: TableCopy,
        table: str,
        pairs: list[tuple[str, str]],
        keys: list[tuple[str, str]] | None,
    ) -> str:
        """Whether a copied row has no equal row in ``table``, matched by key columns (``None``: rowid)."""
        differs = "IS NOT" if self.sqlite else "IS DISTINCT FROM"  # both treat NULL as a value
        q = self._quoted
        if keys is None:
            on, unmatched = "a.rowid = b.rowid", "a.rowid IS NULL"
        else:
            on = " AND ".join(f"a.{q(new)} = b.{q(old)}" for old, new in keys)
            unmatched = f"a.{q(keys[0][1])} IS NULL"
        changed = " OR ".join(f"b.{q(old)} {differs} a.{q(new)}" for old, new in pairs)
        return (
            f"SELECT EXISTS (SELECT 1 FROM {self.SIDE}.{copy.copy} AS b LEFT JOIN {q(table)} AS a ON {on} "
            f"WHERE {unmatched} OR {changed})"
        )

    def _name_differences(
        self, copy: TableCopy, table: LiveTable, column_map: dict[str, str], pairs: list[tuple[str, str]]
    ) -> list[str]:
        old_columns = [old for old, _new in pairs]
        before = self._read(f"{self.SIDE}.{copy.copy}", old_columns, copy.key)
        after = self._read(self._quoted(table.name), [new for _old, new in pairs], copy.key, column_map)
        renamed = {old: new for old, new in pairs}
        return _row_differences(table.name, before.by_key(), after.by_key(), renamed)

    def _read(
        self, source: str, columns: list[str], key: tuple[str, ...], column_map: dict[str, str] | None = None
    ) -> TableRows:
        column_map = column_map or {}
        order = [column_map.get(k, k) for k in key if k in column_map or k in columns] or None
        listed = ", ".join(self._quoted(c) for c in columns)
        ordering = f" ORDER BY {', '.join(self._quoted(c) for c in order)}" if order else ""
        assert self.connection is not None
        try:
            rows = self.connection.exec_driver_sql(f"SELECT {listed} FROM {source}{ordering}").all()
        finally:
            self.connection.commit()
        return TableRows(tuple(columns), tuple(column_map.get(k, k) for k in key), rows)


def _comparable(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def _seed_empty_tables(engine: sa.Engine) -> bool:
    """A few representative rows in every empty table, parents first, foreign keys pointing at real rows.

    Returns whether any row was inserted (the rows captured earlier are then out of date).
    """

    metadata = sa.MetaData()
    inserted = False
    with engine.begin() as connection:
        metadata.reflect(connection)
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar():
                continue
            for number in range(1, SEED_ROWS + 1):
                row = _seed_row(connection, table, number)
                try:
                    with connection.begin_nested():
                        connection.execute(table.insert().values(row))
                    inserted = True
                except sa.exc.StatementError:
                    break  # a CHECK or type the generic sample cannot satisfy: verify with fewer rows
    return inserted


def _seed_row(connection: sa.Connection, table: sa.Table, number: int) -> dict[str, Any]:

    row: dict[str, Any] = {}
    references = {
        element.parent.name: element.column for fk in table.foreign_key_constraints for element in fk.elements
    }
    for column in table.columns:
        if column.name in references:
            target = references[column.name]
            values = connection.execute(sa.select(target).order_by(target).limit(SEED_ROWS)).scalars().all()
            row[column.name] = values[(number - 1) % len(values)] if values else None
        elif _numbered_by_database(column) or column.computed is not None or column.identity is not None:
            continue
        else:
            row[column.name] = sample_value(column.type, column.name, number)
    return row


def _numbered_by_database(column: sa.Column[Any]) -> bool:

    table = column.table
    return (
        column.primary_key
        and len(table.primary_key.columns) == 1
        and isinstance(column.type, sa.Integer)
        and column.autoincrement in (True, "auto")
    )


def sample_value(sa_type: Any, column_name: str, number: int) -> Any:
    """A representative value of a column type (the ``number``-th row's)."""

    if isinstance(sa_type, sa.Enum) and sa_type.enums:
        return sa_type.enums[(number - 1) % len(sa_type.enums)]
    if isinstance(sa_type, sa.Boolean):
        return number % 2 == 1
    if isinstance(sa_type, sa.Integer):
        return number
    if isinstance(sa_type, sa.Numeric):
        return decimal.Decimal(number) + decimal.Decimal("0.5") if sa_type.asdecimal else number + 0.5
    if isinstance(sa_type, sa.DateTime):
        return dt.datetime(2024, 1, number, 12, 0, 0, tzinfo=dt.UTC if sa_type.timezone else None)
    if isinstance(sa_type, sa.Date):
        return dt.date(2024, 1, number)
    if isinstance(sa_type, sa.Time):
        return dt.time(12, number)
    if isinstance(sa_type, sa.Interval):
        return dt.timedelta(minutes=number)
    if isinstance(sa_type, sa.Uuid):
        return str(uuid.UUID(int=number)) if not sa_type.as_uuid else uuid.UUID(int=number)
    if isinstance(sa_type, sa.JSON):
        return {"n": number}
    if isinstance(sa_type, sa.LargeBinary):
        return bytes([number])
    if isinstance(sa_type, sa.String):
        text = f"{column_name}-{number}"
        return text[-sa_type.length :] if sa_type.length else text
    if type(sa_type).__name__ == "UUID":  # PostgreSQL's reflected UUID
        return str(uuid.UUID(int=number))
    return f"{number}"


def _row_differences(
    table: str,
    rows: dict[Any, dict[str, Any]],
    rows_after: dict[Any, dict[str, Any]],
    column_map: dict[str, str],
) -> list[str]:
    problems: list[str] = []
    for key, values in rows.items():
        new_values = _row_by_content(rows_after, key, values, column_map)
        if new_values is None:
            problems.append(f"{table}: row {_key_text(key)} is missing after the step")
            break
        for column, value in values.items():
            new_column = column_map.get(column, column)
            if new_column in new_values and not _same_value(value, new_values[new_column]):
                problems.append(
                    f"{table}.{new_column}: row {_key_text(key)} was {value!r}, now {new_values[new_column]!r}"
                )
    return problems


def _row_by_content(
    rows_after: dict[Any, dict[str, Any]], key: Any, values: dict[str, Any], column_map: dict
) -> Any:
    if key in rows_after:
        return rows_after[key]
    # a key column was renamed or retyped: find the row by its renamed values
    for candidate in rows_after.values():
        if all(
            _same_value(value, candidate.get(column_map.get(column, column), value))
            for column, value in values.items()
        ):
            return candidate
    return None


def _same_value(first: Any, second: Any) -> bool:
    if first == second:
        return True
    if isinstance(first, dt.datetime) and isinstance(second, dt.datetime):
        return first.replace(tzinfo=None) == second.replace(tzinfo=None)
    return str(_comparable(first)) == str(_comparable(second))


def _key_text(key: Any) -> str:
    return ", ".join(str(part) for part in key) if isinstance(key, tuple) else str(key)


def _kept_after_round_trip(revision: RecordedRevision, rows_before_upgrade: Rows) -> Rows:
    """What a downgrade must give back: the rows from before the upgrade, minus columns the upgrade
    dropped (their values cannot come back) and tables it dropped."""

    if revision.to_snapshot is None or revision.from_snapshot is None:
        return rows_before_upgrade
    after = load_snapshot(revision.to_snapshot).table_map
    renames = _renames(revision, "upgrade")
    kept: Rows = {}
    for table, rows in rows_before_upgrade.items():
        upgraded = after.get(renames.tables.get(table, table))
        if upgraded is None:
            continue
        column_map = renames.columns.get(upgraded.name, {})
        surviving = {column for column in upgraded.column_map} | set(column_map)
        kept[table] = rows.subset(surviving)
    return kept


@dataclass
class _Renames:
    tables: dict[str, str] = field(default_factory=dict)  # old → new
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # new table → old column → new


def _renames(revision: RecordedRevision, function: str) -> _Renames:
    """The renames a revision's ``upgrade()`` performs, read from its source (dbkit writes them as
    ``op.rename_table`` and ``alter_column(..., new_column_name=...)`` calls)."""
    tree = ast.parse(revision.path.read_text(encoding="utf-8"))
    renames = _Renames()
    body = next(
        (node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == function), None
    )
    if body is None:
        return renames
    _collect_renames(body.body, None, renames)
    return renames


def _collect_renames(statements: list[ast.stmt], batch_table: str | None, renames: _Renames) -> None:
    for statement in statements:
        if isinstance(statement, ast.With):
            table = batch_table
            for item in statement.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and _call_name(call) == "batch_alter_table" and call.args:
                    table = _literal(call.args[0])
            _collect_renames(statement.body, table, renames)
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            name = _call_name(call)
            arguments = [_literal(argument) for argument in call.args]
            keywords = {keyword.arg: _literal(keyword.value) for keyword in call.keywords}
            if name == "rename_table" and len(arguments) >= 2:
                renames.tables[arguments[0]] = arguments[1]
            elif name == "alter_column" and keywords.get("new_column_name"):
                table, column = (batch_table, arguments[0]) if batch_table else (arguments[0], arguments[1])
                renames.columns.setdefault(table, {})[column] = keywords["new_column_name"]


def _call_name(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None
