"""A small row generator for a live database: a few rows per table that respect its keys.

It reads the database itself (reflection), so it needs no model code: primary keys and unique
constraints get values that differ per row, foreign keys point at rows of the referred table
(a self-reference at the row itself), and a column that a CHECK constrains to a list of literals
(an enum stored as text, a status column) takes one of those literals. Rows are counted and keyed
before and after each migration step, so a lost or duplicated row is seen.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

ROWS_PER_TABLE = 3
_BASE_TIME = dt.datetime(2024, 1, 2, 3, 4, 5)
_QUOTED = re.compile(r"'((?:[^']|'')*)'")


class RowGenerationError(AssertionError):
    """The generator could not fill a table: the message names the table and the database's reason."""


@dataclass(frozen=True)
class TableKeys:
    count: int
    keys: frozenset[tuple[Any, ...]]


def reflect(engine: sa.Engine) -> sa.MetaData:
    metadata = sa.MetaData()
    metadata.reflect(engine)
    return metadata


def populate(engine: sa.Engine, rows: int = ROWS_PER_TABLE) -> dict[str, int]:
    """Insert ``rows`` rows into every table (parents first); returns rows inserted per table."""
    metadata = reflect(engine)
    literals = _check_literals(engine, metadata)
    inserted: dict[str, list[dict[str, Any]]] = {}
    with engine.begin() as conn:
        for table in _insert_order(metadata):
            allowed = literals.get(table.name, {})
            values = [
                _row(table, index, inserted, allowed) for index in range(_rows_for(table, rows, allowed))
            ]
            try:
                conn.execute(table.insert(), values)
            except sa.exc.DBAPIError as exc:
                raise RowGenerationError(
                    f"table {table.name!r}: generated rows were refused: {str(exc.orig).splitlines()[0]}"
                ) from exc
            inserted[table.name] = values
    return {name: len(values) for name, values in inserted.items()}


def key_sets(engine: sa.Engine) -> dict[str, TableKeys]:
    """Per table: how many rows, and the set of primary-key tuples (all columns without a key)."""
    metadata = reflect(engine)
    found: dict[str, TableKeys] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            columns = list(table.primary_key.columns) or [c for c in table.columns if _comparable(c)]
            keys = frozenset(tuple(row) for row in conn.execute(sa.select(*columns)))
            count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            found[table.name] = TableKeys(count, keys)
    return found


def _comparable(column: sa.Column[Any]) -> bool:
    try:
        return column.type.python_type in (int, str, dt.datetime, dt.date, bool, float, uuid.UUID)
    except NotImplementedError:
        return False


def _insert_order(metadata: sa.MetaData) -> list[sa.Table]:
    """Parents first; a reference cycle is broken at a foreign key whose columns are all nullable
    (that key is left NULL), as an application inserting such rows would have to."""
    pending = {t.name: t for t in metadata.tables.values() if t.name != "alembic_version"}
    order: list[sa.Table] = []
    while pending:
        ready = [t for t in pending.values() if not _waiting_on(t, pending)]
        if not ready:
            ready = [t for t in pending.values() if not _waiting_on(t, pending, through_nullable=False)]
        if not ready:
            raise RowGenerationError(f"tables {sorted(pending)} reference each other through NOT NULL keys")
        for table in sorted(ready, key=lambda t: t.name):
            order.append(table)
            del pending[table.name]
    return order


def _waiting_on(table: sa.Table, pending: dict[str, sa.Table], through_nullable: bool = True) -> bool:
    for key in table.foreign_key_constraints:
        referred = key.referred_table
        if referred is table or referred.name not in pending:
            continue
        if through_nullable or not all(column.nullable for column in key.columns):
            return True
    return False


def _check_literals(engine: sa.Engine, metadata: sa.MetaData) -> dict[str, dict[str, list[Any]]]:
    """Column → the values a CHECK allows it: the quoted literals of ``col IN (...)`` (enums stored as
    text), or the number of ``col = N`` (a single-row table)."""
    inspector = sa.inspect(engine)
    found: dict[str, dict[str, list[Any]]] = {}
    for table in metadata.tables.values():
        for check in inspector.get_check_constraints(table.name):
            text = check.get("sqltext") or ""
            for column in table.columns:
                name = rf"(?:(?<![\w\"]){re.escape(column.name)}(?![\w\"])|\"{re.escape(column.name)}\")"
                if not re.search(name, text):
                    continue
                values: list[Any] = []
                if " IN " in text.upper() or "= ANY" in text.upper():  # PostgreSQL: col = ANY (ARRAY[...])
                    values = [v.replace("''", "'") for v in _QUOTED.findall(text)]
                elif pinned := re.search(rf"{name}\s*=\s*(-?\d+)\b", text):
                    values = [int(pinned.group(1))]
                if values:
                    found.setdefault(table.name, {}).setdefault(column.name, values)
    return found


def _rows_for(table: sa.Table, rows: int, literals: dict[str, list[Any]]) -> int:
    """Fewer rows where a CHECK pins a key column to fewer values (``CHECK (id = 1)``)."""
    keys = [table.primary_key.columns] + [
        c.columns for c in table.constraints if isinstance(c, sa.UniqueConstraint)
    ]
    for columns in keys:
        names = [column.name for column in columns]
        if names and all(name in literals for name in names):
            rows = min(rows, min(len(literals[name]) for name in names))
    return rows


def _row(
    table: sa.Table,
    index: int,
    inserted: dict[str, list[dict[str, Any]]],
    literals: dict[str, list[Any]],
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.computed is not None or (column.identity is not None and column.identity.always):
            continue
        row[column.name] = _value(column, index, literals.get(column.name))
    for key in table.foreign_key_constraints:
        referred = key.referred_table
        if referred is table:
            parent = row  # a self-reference points at the row itself
        else:
            parents = inserted.get(referred.name)
            if not parents:  # a cycle: the referred table comes later
                for column in key.columns:
                    row[column.name] = None
                continue
            parent = parents[index % len(parents)]
        for element in key.elements:
            row[element.parent.name] = parent.get(element.column.name)
    return row


def _value(column: sa.Column[Any], index: int, literals: list[Any] | None) -> Any:
    if literals:
        return literals[index % len(literals)]
    column_type = column.type
    enums = getattr(column_type, "enums", None)
    if enums:
        return enums[index % len(enums)]
    python_type = _python_type(column_type)
    if python_type is bool:
        return index % 2 == 0
    if python_type is int:
        return index + 1
    if python_type is float:
        return index + 0.5
    if python_type is decimal.Decimal:
        return decimal.Decimal(index + 1)
    if python_type is dt.datetime:
        moment = _BASE_TIME + dt.timedelta(hours=index)
        return moment.replace(tzinfo=dt.UTC) if getattr(column_type, "timezone", False) else moment
    if python_type is dt.date:
        return (_BASE_TIME + dt.timedelta(days=index)).date()
    if python_type is dt.time:
        return dt.time(index % 24, 0)
    if python_type is dt.timedelta:
        return dt.timedelta(minutes=index)
    if python_type is uuid.UUID:
        return uuid.UUID(int=index + 1)
    if python_type is bytes:
        return f"bytes-{index}".encode()
    if python_type in (dict, list):
        return {"row": index}
    return _text(column, index)


def _python_type(column_type: sa.types.TypeEngine[Any]) -> Any:
    try:
        return column_type.python_type
    except NotImplementedError:
        name = type(column_type).__name__.upper()
        if "JSON" in name:
            return dict
        if "UUID" in name:
            return uuid.UUID
        return str


def _text(column: sa.Column[Any], index: int) -> str:
    suffix = f"-{index}"
    length = getattr(column.type, "length", None) or 40
    stem = column.name[: max(length - len(suffix), 0)]
    return (stem + suffix)[-length:] if length < len(suffix) else stem + suffix
