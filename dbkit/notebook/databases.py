"""Databases as a migration notebook looks at them: rows per table, one value, every row copied.

A notebook proves that a step kept the data by counting rows before and after it, checks the
values that matter with one query each, and runs the same revisions on PostgreSQL by copying the
rows of an SQLite copy into a scratch PostgreSQL database. Nothing here knows a particular
schema: tables, columns and their order come from the databases themselves.
"""

from __future__ import annotations

import graphlib
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from dbkit.errors import DbkitError

if TYPE_CHECKING:
    import sqlalchemy as sa

#: Bookkeeping tables that are not application data (Alembic's revision pointer).
BOOKKEEPING_TABLES = ("alembic_version",)


class CopyRowsError(DbkitError):
    """The rows cannot be copied in any order the target's foreign keys accept."""


def _engine(url: str | sa.URL) -> sa.Engine:
    import sqlalchemy as sa

    from dbkit.manager import normalize_url

    return sa.create_engine(normalize_url(url))


def row_counts(url: str | sa.URL, *, exclude: Iterable[str] = BOOKKEEPING_TABLES) -> dict[str, int]:
    """Rows per table, by table name: equal counts before and after a step show no row was lost.

    Bookkeeping tables (``alembic_version``) are left out, since stamping a database adds a row
    that is not data.
    """
    import sqlalchemy as sa

    skipped = set(exclude)
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            names = sorted(n for n in sa.inspect(connection).get_table_names() if n not in skipped)
            return {
                name: connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
                for name in names
            }
    finally:
        engine.dispose()


def counts_line(label: str, counts: Mapping[str, int]) -> str:
    """``"before: roles 4, users 4,000"``: row counts on one line, for a notebook's output."""
    return f"{label}: " + ", ".join(f"{name} {count:,}" for name, count in counts.items())


def scalar(url: str | sa.URL, sql: str, **parameters: Any) -> Any:
    """The single value a query returns (``SELECT count(*) ...``), on a connection opened for it.

    Notebooks check the values a migration must keep (names moved to a renamed column, a backfill)
    with one query each; ``parameters`` are bound (``:name`` in ``sql``), never formatted in.
    """
    import sqlalchemy as sa

    engine = _engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql), parameters).scalar_one()
    finally:
        engine.dispose()


def copy_rows(
    source_url: str | sa.URL, target_url: str | sa.URL, *, exclude: Iterable[str] = BOOKKEEPING_TABLES
) -> dict[str, int]:
    """Copy every row of the source's tables into the same tables of the target; rows per table.

    The target must already have the schema (it is not created here) and is typically empty: a
    scratch PostgreSQL database given the schema of an SQLite copy, so revisions can be tried on
    both backends. Only columns both sides have are copied. Why each step:

    * tables go parents first (the target's foreign keys decide), and a self-referencing table's
      rows go parents first too, since PostgreSQL checks each reference when the row is inserted;
      a cycle between tables is broken at a nullable reference, filled in once all rows exist;
    * values are read through the *target's* column types, so what the source's driver returns
      becomes what the target expects (SQLite's UUID strings become ``uuid.UUID``, its 0/1
      booleans and text timestamps become ``bool`` and ``datetime``); a ``uuid.UUID`` bound for a
      column without a UUID type is written as text (32 hex digits in a ``CHAR(32)``).

    Everything runs in one transaction of the target: a failure copies nothing.
    """
    import sqlalchemy as sa

    skipped = set(exclude)
    source, target = _engine(source_url), _engine(target_url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(target)
        tables = [t for name, t in sorted(metadata.tables.items()) if name not in skipped]
        inspector = sa.inspect(source)
        present = set(inspector.get_table_names())
        source_columns = {
            t.name: {c["name"] for c in inspector.get_columns(t.name)} for t in tables if t.name in present
        }
        order, deferred = insertion_order(tables)
        copied: dict[str, int] = {}
        fill_later: list[tuple[sa.Table, dict[str, Any], dict[str, Any]]] = []
        with source.connect() as reading, target.begin() as writing:
            for table in order:
                columns = [c for c in table.columns if c.name in source_columns.get(table.name, ())]
                if not columns:
                    copied[table.name] = 0
                    continue
                query = sa.select(*(sa.column(c.name, c.type) for c in columns)).select_from(
                    sa.table(table.name)
                )
                rows = [_bindable(dict(row), table) for row in reading.execute(query).mappings()]
                copied_names = {c.name for c in columns}
                later_columns = {
                    c.name
                    for fk in deferred
                    if fk.table is table
                    for c in fk.columns
                    if c.name in copied_names
                }
                for batch in _parents_first(rows, table):
                    if later_columns:
                        fill_later.extend(_split_deferred(row, table, later_columns) for row in batch)
                        batch = [{**row, **dict.fromkeys(later_columns)} for row in batch]
                    writing.execute(table.insert(), batch)
                copied[table.name] = len(rows)
                if writing.dialect.name == "postgresql":
                    _advance_sequences(writing, table)
            for table, key, values in fill_later:
                if any(value is not None for value in values.values()):
                    condition = sa.and_(*(table.c[name] == value for name, value in key.items()))
                    writing.execute(table.update().where(condition).values(values))
        return dict(sorted(copied.items()))
    finally:
        source.dispose()
        target.dispose()


def insertion_order(tables: Iterable[sa.Table]) -> tuple[list[sa.Table], set[sa.ForeignKeyConstraint]]:
    """Tables parents first, and the foreign keys left out to break cycles between tables.

    A cycle is broken at a reference whose columns are all nullable (the first by table and
    constraint name): its rows are inserted with NULL there and filled in afterwards. A cycle of
    NOT NULL references cannot be inserted at all and raises :class:`CopyRowsError`.
    """
    by_name = {table.name: table for table in sorted(tables, key=lambda t: t.name)}
    deferred: set[sa.ForeignKeyConstraint] = set()
    while True:
        graph = {
            name: {
                fk.referred_table.name
                for fk in sorted(table.foreign_key_constraints, key=_fk_key)
                if fk not in deferred and fk.referred_table is not table and fk.referred_table.name in by_name
            }
            for name, table in by_name.items()
        }
        try:
            return [by_name[name] for name in graphlib.TopologicalSorter(graph).static_order()], deferred
        except graphlib.CycleError as error:
            cycle = set(error.args[1])
            candidates = [
                fk
                for name in cycle
                for fk in by_name[name].foreign_key_constraints
                if fk.referred_table.name in cycle
                and fk.referred_table is not by_name[name]
                and fk not in deferred
                and all(c.nullable for c in fk.columns)
            ]
            if not candidates:
                raise CopyRowsError(
                    f"Tables {', '.join(sorted(cycle))} reference each other through NOT NULL columns: "
                    "no insertion order satisfies their foreign keys. Copy them with the keys disabled."
                ) from None
            deferred.add(min(candidates, key=_fk_key))


def _advance_sequences(connection: sa.Connection, table: sa.Table) -> None:
    """Move PostgreSQL sequences behind integer key columns past the copied keys.

    Rows copied with their keys leave a ``SERIAL`` or identity sequence at its start, and the next
    row the application inserts would collide with a copied one.
    """
    import sqlalchemy as sa

    preparer = connection.dialect.identifier_preparer
    quoted_table = preparer.format_table(table)
    for column in table.primary_key.columns:
        if not isinstance(column.type, sa.Integer):
            continue
        sequence = connection.execute(
            sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": quoted_table, "column": column.name},
        ).scalar_one()
        if sequence is not None:
            highest = f"coalesce(max({preparer.quote(column.name)}), 0)"
            connection.execute(
                sa.text(f"SELECT setval(:sequence, {highest} + 1, false) FROM {quoted_table}"),
                {"sequence": sequence},
            )


def _fk_key(fk: sa.ForeignKeyConstraint) -> tuple[str, str, tuple[str, ...]]:
    return fk.table.name, str(fk.name or ""), tuple(c.name for c in fk.columns)


def _bindable(row: dict[str, Any], table: sa.Table) -> dict[str, Any]:
    """UUID objects into columns without a UUID type, as the text such a column holds."""
    import sqlalchemy as sa

    for name, value in row.items():
        if isinstance(value, uuid.UUID):
            column_type = table.c[name].type
            if not isinstance(column_type, sa.Uuid):
                row[name] = value.hex if getattr(column_type, "length", None) == 32 else str(value)
    return row


def _self_references(table: sa.Table, copied: set[str]) -> list[tuple[list[str], list[str]]]:
    """(referencing columns, referenced columns) of the table's references to itself, among ``copied``."""
    found = []
    for fk in sorted(table.foreign_key_constraints, key=_fk_key):
        local = [c.name for c in fk.columns]
        remote = [element.column.name for element in fk.elements]
        if fk.referred_table is table and set(local + remote) <= copied:
            found.append((local, remote))
    return found


def _parents_first(rows: list[dict[str, Any]], table: sa.Table) -> Iterable[list[dict[str, Any]]]:
    """The rows in batches, each referencing only rows of earlier batches (or itself, or nothing)."""
    references = _self_references(table, set(rows[0]) if rows else set())
    if not references:
        if rows:
            yield rows
        return
    existing = {
        tuple(remote): {tuple(row[n] for n in remote) for row in rows} for _local, remote in references
    }
    inserted: dict[tuple[str, ...], set[tuple[Any, ...]]] = {remote: set() for remote in existing}
    pending = rows
    while pending:
        ready, waiting = [], []
        for row in pending:
            waits = False
            for local, remote in references:
                value = tuple(row[name] for name in local)
                if None in value or value == tuple(row[name] for name in remote):
                    continue  # no reference, or a reference to the row itself
                if value in existing[tuple(remote)] and value not in inserted[tuple(remote)]:
                    waits = True  # its parent comes later (a missing parent is the database's to refuse)
            (waiting if waits else ready).append(row)
        if not ready:
            raise CopyRowsError(
                f"{table.name}: {len(waiting)} rows reference each other in a cycle; no insertion order "
                "satisfies the table's reference to itself."
            )
        for remote, keys in inserted.items():
            keys.update(tuple(row[name] for name in remote) for row in ready)
        yield ready
        pending = waiting


def _split_deferred(
    row: dict[str, Any], table: sa.Table, deferred: set[str]
) -> tuple[sa.Table, dict[str, Any], dict[str, Any]]:
    """(table, primary key of the row, values of its deferred columns): the update that fills them."""
    key_columns = [c.name for c in table.primary_key.columns]
    if not key_columns:
        raise CopyRowsError(
            f"{table.name}: a reference cycle is broken at this table, which has no primary key to "
            "fill the reference in afterwards."
        )
    return table, {name: row[name] for name in key_columns}, {name: row[name] for name in deferred}


__all__ = [
    "BOOKKEEPING_TABLES",
    "CopyRowsError",
    "copy_rows",
    "counts_line",
    "insertion_order",
    "row_counts",
    "scalar",
]
