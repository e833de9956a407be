"""Every stored row against its ``BLL_*`` model: the rows the application will read after the switch.

SQLite does not enforce ``VARCHAR(n)``, an enum stored as ``VARCHAR`` or a ``CHECK`` added later,
and a model can be stricter than its DDL (a ``max_length``, a ``pattern``, an ``EmailStr``, a
field validator): such rows load today and fail at the first read or update of the generated
model. :func:`validate_rows` finds them before the switch, without writing anything.

Rows stream in primary-key order, in batches from a server-side cursor (memory stays bounded).
Only what the database does not already guarantee is read (:mod:`row_guarantees`): a field its DDL
proves is never fetched, a field a per-row SQL condition checks is fetched again, by key, only for
the rows where the condition fails; the report lists both. Each value goes through the generated
column type's result processing, as the ORM would read it (an enum label the type does not know
stays a string, so Pydantic says what is wrong with it), and each batch is validated in one call
of a validator built from the model's own schema, on the fields read, without building instances.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import SchemaValidator, core_schema

from dbkit.errors import DbkitError
from dbkit.generate.types import unwrap_annotated, unwrap_optional
from dbkit.migrate.source.codebase import Codebase, GeneratedModel
from dbkit.migrate.source.row_guarantees import FieldPlan, plan_fields, shown_check, stored_columns

#: Rows fetched and validated per batch (bounded memory; one validator call per batch).
BATCH_SIZE = 5_000
#: Failures kept per table (counts cover them all).
FIRST_FAILURES = 20
#: Keys per query when rows whose SQL condition failed are read again.
REREAD_CHUNK = 1_000
#: A value shown in a failure is cut to this many characters.
VALUE_WIDTH = 60

#: ``progress(table, rows_done)``: called after each batch (the CLI draws a bar on a terminal).
Progress = Callable[[str, int], None]


class RowValidationError(DbkitError):
    """The rows cannot be validated at all: an unknown table, a model that generated no table..."""


@dataclass(frozen=True)
class RowFailure:
    """One field of one row that the model rejects."""

    key: dict[str, Any]
    field: str
    type: str
    message: str
    value: str

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "field": self.field,
            "type": self.type,
            "message": self.message,
            "value": self.value,
        }


@dataclass
class TableValidation:
    """What the rows of one table say: how many were read, how many fail, and how."""

    table: str
    model: str
    rows: int = 0
    failing: int = 0
    failures: list[RowFailure] = field(default_factory=list)
    #: ``(field, error type)`` → number of failing rows.
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: Set when the table could not be read (it is missing from the database...).
    error: str | None = None
    #: Fields the column's DDL guarantees on this database, never read: field → why.
    proven_by_ddl: dict[str, str] = field(default_factory=dict)
    #: Fields a per-row SQL condition checks, read only where it fails: field → the condition.
    checked_by_database: dict[str, str] = field(default_factory=dict)
    #: Rows whose SQL condition failed, read again and validated on every unproven field.
    rechecked: int = 0

    @property
    def ok(self) -> bool:
        return self.failing == 0 and self.error is None

    @property
    def first_failing_key(self) -> dict[str, Any] | None:
        return self.failures[0].key if self.failures else None

    def counts_by_field(self) -> dict[str, int]:
        found: Counter[str] = Counter()
        for (name, _), count in self.counts.items():
            found[name] += count
        return dict(sorted(found.items()))

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "table": self.table,
            "model": self.model,
            "rows": self.rows,
            "failing": self.failing,
            "failures": [failure.to_json() for failure in self.failures],
            "counts": [
                {"field": name, "type": kind, "rows": count}
                for (name, kind), count in sorted(self.counts.items())
            ],
        }
        if self.error is not None:
            found["error"] = self.error
        found["proven_by_ddl"] = [{"field": name, "reason": why} for name, why in self.proven_by_ddl.items()]
        found["checked_by_database"] = [
            {"field": name, "check": check} for name, check in self.checked_by_database.items()
        ]
        found["rechecked"] = self.rechecked
        return found


@dataclass
class DataValidationReport:
    tables: list[TableValidation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(table.ok for table in self.tables)

    def table(self, name: str) -> TableValidation:
        return next(table for table in self.tables if table.table == name)

    def to_json(self) -> dict[str, Any]:
        return {"tables": [table.to_json() for table in self.tables]}


def validate_rows(
    codebase: Codebase,
    url: str,
    table: str | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    first_failures: int = FIRST_FAILURES,
    progress: Progress | None = None,
) -> DataValidationReport:
    """Validate every row of every table that has a ``BLL_*`` model (or of ``table`` only) in ``url``.

    Read-only: SQLite is opened with ``mode=ro``, a PostgreSQL transaction is ``READ ONLY``.
    Phase 2's switch refuses a table whose :class:`TableValidation` is not ``ok``.
    """
    models = _models_to_validate(codebase, table)
    _require_sqlite_file(url)
    engine = sa.create_engine(read_only_url(url))
    report = DataValidationReport()
    try:
        with _read_only_connection(engine) as connection:
            existing = set(sa.inspect(connection).get_table_names())
            for model in models:
                checker = TableChecker(model, batch_size, first_failures)
                if model.table_name not in existing:
                    checker.result.error = (
                        f"table {model.table_name!r} is not in the database: nothing to validate "
                        "(run the migrations first, or check the URL)"
                    )
                else:
                    checker.run(connection, progress)
                report.tables.append(checker.result)
    finally:
        engine.dispose()
    return report


def _models_to_validate(codebase: Codebase, table: str | None) -> list[GeneratedModel]:
    models = [model for model in codebase.models.values() if model.generated is not None]
    if table is None:
        return models
    chosen = [model for model in models if model.table_name == table]
    if not chosen:
        known = ", ".join(model.table_name for model in models) or "none"
        raise RowValidationError(
            f"No BLL model for table {table!r} in {codebase.path}: rows are validated against a "
            f"model. Tables with a model: {known}."
        )
    return chosen


def _require_sqlite_file(url: str) -> None:
    """A SQLite file must exist: read-only, it cannot be created (and an empty one has no rows to check)."""
    parsed = sa.make_url(url)
    database = (parsed.database or "").removeprefix("file:").split("?", 1)[0]
    if (
        parsed.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and not Path(database).exists()
    ):
        raise RowValidationError(
            f"No SQLite database at {database}: give the URL of the database whose rows to check."
        )


def read_only_url(url: str) -> sa.URL:
    """``url`` opened read-only where the driver can say so: a SQLite file as ``file:...`` with ``mode=ro``."""
    parsed = sa.make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return parsed
    query = {**parsed.query, "uri": "true"}
    query.setdefault("mode", "ro")
    if not database.startswith("file:"):
        database = f"file:{database}"
    return parsed.set(database=database, query=query)


@contextmanager
def _read_only_connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in one transaction that cannot write (PostgreSQL ``SET TRANSACTION READ ONLY``)."""
    with engine.connect() as connection, connection.begin() as transaction:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SET TRANSACTION READ ONLY"))
        yield connection
        transaction.rollback()


class TableChecker:
    """Streams one table's rows through its model's validator, filling in a :class:`TableValidation`.

    Fields the database guarantees (:mod:`row_guarantees`) are not read; fields a per-row SQL
    condition checks are read again, by key, only for the rows where it fails, and those rows are
    validated on every field the database does not prove.
    """

    def __init__(self, model: GeneratedModel, batch_size: int, first_failures: int) -> None:
        self.model = model
        self.batch_size = batch_size
        self.first_failures = first_failures
        self.result = TableValidation(model.table_name, model.class_name)
        mapper = sa.inspect(model.generated)
        stored = {prop.key: prop.columns[0] for prop in mapper.column_attrs}
        #: Model fields and the columns holding them (a field with no column is left to its default).
        self.fields = [(name, stored[name]) for name in model.model.model_fields if name in stored]
        self.key_columns = list(model.table.primary_key.columns)  # type: ignore[union-attr]
        self.key_readers: list[Callable[[Any], Any] | None] = []

    def plan(self, connection: sa.Connection) -> list[FieldPlan]:
        """How each field is checked on this database, recorded in the result (honest accounting)."""
        table = self.model.table
        assert table is not None
        if rows_validator(self.model.model, set()) is None:
            reason = "the model's schema is not one dbkit can validate field by field"
            plans = [FieldPlan(name, column.name, "python", reason) for name, column in self.fields]
        else:
            stored = stored_columns(connection, table.name, table.schema)
            plans = plan_fields(self.model.model, self.fields, stored, connection.dialect.name)
        for plan in plans:
            if plan.how == "ddl":
                self.result.proven_by_ddl[plan.field] = plan.reason
            elif plan.how == "sql":
                self.result.checked_by_database[plan.field] = shown_check(plan, connection.dialect)
        return plans

    def run(self, connection: sa.Connection, progress: Progress | None) -> None:
        plans = self.plan(connection)
        columns = dict(self.fields)
        python = [(plan.field, columns[plan.field]) for plan in plans if plan.how == "python"]
        checked = [(plan.field, columns[plan.field]) for plan in plans if plan.how == "sql"]
        names = [name for name, _ in python]
        self.plain = self._validator(set(names))
        self.whole = self._validator({*names, *(name for name, _ in checked)}) if checked else self.plain
        self.checked = checked
        self.checked_readers: list[Callable[[Any], Any] | None] | None = None
        selected = [_raw(column, f"c{i}") for i, (_, column) in enumerate(python)]
        selected += [_raw(column, f"k{i}") for i, column in enumerate(self.key_columns)]
        if checked:
            ok = sa.and_(*(plan.check for plan in plans if plan.check is not None))
            selected.append(sa.case((ok, 0), else_=1).label("recheck"))
        statement = sa.select(*selected).select_from(self.model.table).order_by(*self.key_columns)
        readers: list[Callable[[Any], Any] | None] | None = None
        with _driver_cursor(connection, statement) as cursor:
            while batch := cursor.fetchmany(self.batch_size):
                if readers is None:  # a server-side cursor describes its columns once rows are fetched
                    codes = [entry[1] for entry in cursor.description]
                    readers = self._readers(python, codes, connection.dialect)
                    self.key_readers = [
                        column.type._cached_result_processor(connection.dialect, code)  # type: ignore[attr-defined]
                        for column, code in zip(self.key_columns, codes[len(python) :], strict=False)
                    ]
                self._check_batch(connection, batch, names, readers)
                if progress is not None:
                    progress(self.result.table, self.result.rows)

    def _validator(self, keep: set[str]) -> Any:
        """A validator of a list of rows on the ``keep`` fields only (the whole model when it cannot)."""
        found = rows_validator(self.model.model, keep)
        return found if found is not None else TypeAdapter(list[self.model.model])  # type: ignore[name-defined]

    def _readers(
        self, fields: list[tuple[str, sa.Column[Any]]], codes: list[Any], dialect: sa.Dialect
    ) -> list[Callable[[Any], Any] | None]:
        model_fields = self.model.model.model_fields
        return [
            value_reader(column, dialect, code, _field_type(model_fields[name].annotation))
            for (name, column), code in zip(fields, codes, strict=False)
        ]

    def _check_batch(
        self,
        connection: sa.Connection,
        batch: list[Any],
        names: list[str],
        readers: list[Callable[[Any], Any] | None],
    ) -> None:
        width, keys = len(names), len(self.key_columns)
        rows: list[dict[str, Any]] = [dict(zip(names, row, strict=False)) for row in batch]
        unreadable: dict[int, list[tuple[str, str, Any]]] = {}
        _read_values(rows, batch, names, readers, unreadable)
        flagged = [index for index, row in enumerate(batch) if row[-1]] if self.checked else []
        if flagged:
            keys_of = [batch[index][width : width + keys] for index in flagged]
            self._reread(connection, rows, keys_of, flagged, unreadable)
        self.result.rows += len(batch)
        self.result.rechecked += len(flagged)
        errors: dict[int, list[tuple[str, str, str, Any]]] = {}
        for index, problems in unreadable.items():
            errors[index] = [(name, "unreadable", message, value) for name, message, value in problems]
        if flagged:
            chosen = set(flagged)
            plain = [index for index in range(len(rows)) if index not in chosen]
            _validate(self.plain, [rows[index] for index in plain], plain, errors)
            _validate(self.whole, [rows[index] for index in flagged], flagged, errors)
        elif names:  # every field proven or checked in SQL: nothing left to validate in Python
            _validate(self.plain, rows, None, errors)
        for index in sorted(errors):
            stored = batch[index][width : width + keys]
            self._record(
                [_read_key(reader, value) for reader, value in zip(self.key_readers, stored, strict=True)],
                errors[index],
            )

    def _reread(
        self,
        connection: sa.Connection,
        rows: list[dict[str, Any]],
        keys: list[Any],
        flagged: list[int],
        unreadable: dict[int, list[tuple[str, str, Any]]],
    ) -> None:
        """The checked fields of the rows whose SQL condition failed, read again by key."""
        names = [name for name, _ in self.checked]
        selected = [_raw(column, f"c{i}") for i, (_, column) in enumerate(self.checked)]
        raw_keys = [sa.type_coerce(column, sa.types.NullType()) for column in self.key_columns]
        selected += [key.label(f"k{i}") for i, key in enumerate(raw_keys)]
        wanted = [tuple(key) for key in keys]
        found: dict[tuple[Any, ...], Any] = {}
        for start in range(0, len(wanted), REREAD_CHUNK):  # under SQLite's limit of bound values
            chunk = wanted[start : start + REREAD_CHUNK]
            if len(raw_keys) == 1:
                where = raw_keys[0].in_([key[0] for key in chunk])
            else:
                where = sa.tuple_(*raw_keys).in_(chunk)
            result = connection.execute(sa.select(*selected).select_from(self.model.table).where(where))
            if self.checked_readers is None:  # described before the rows are consumed (the cursor closes)
                codes = _type_codes(result, len(selected))
                self.checked_readers = self._readers(self.checked, codes, connection.dialect)
            found.update((tuple(row[len(names) :]), row) for row in result)
        for index, key in zip(flagged, wanted, strict=True):
            row = found.get(key)
            if row is None:  # a NULL key (SQLite allows one) cannot be looked up
                unreadable.setdefault(index, []).append(
                    ("(row)", "the row could not be read again by its primary key", key)
                )
                continue
            values = [dict(zip(names, row, strict=False))]
            _read_values(values, [row], names, self.checked_readers, unreadable, index)
            rows[index].update(values[0])

    def _record(self, key_values: list[Any], problems: list[tuple[str, str, str, Any]]) -> None:
        result = self.result
        result.failing += 1
        key = {
            column.name: _plain(value) for column, value in zip(self.key_columns, key_values, strict=False)
        }
        for name, kind, message, value in problems:
            result.counts[(name, kind)] += 1
            if len(result.failures) < self.first_failures:
                result.failures.append(RowFailure(key, name, kind, message, shown(value)))


@contextmanager
def _driver_cursor(connection: sa.Connection, statement: sa.Select[Any]) -> Iterator[Any]:
    """``statement`` run on the driver's own cursor, server-side on PostgreSQL, in ``connection``'s
    transaction: batches of plain tuples, without SQLAlchemy's Row per row (about a tenth of the
    time at 100,000 rows). Its few values are inlined as literals: there are no parameters to pass."""
    dialect = connection.dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.dbapi_connection
    assert driver is not None
    postgresql = dialect.name == "postgresql"
    cursor = driver.cursor(name="dbkit_validate_rows") if postgresql else driver.cursor()
    try:
        # psycopg reads an empty mapping as parameters, undoing the %% that pyformat SQL doubles
        if postgresql:
            cursor.execute(sql, {})
        else:
            cursor.execute(sql)
        yield cursor
    finally:
        cursor.close()


def _raw(column: sa.Column[Any], label: str) -> sa.Label[Any]:
    """The column as stored: dbkit applies the column type's reading itself, value by value."""
    return sa.type_coerce(column, sa.types.NullType()).label(label)


def _type_codes(result: sa.CursorResult[Any], width: int) -> list[Any]:
    described = result.cursor.description if result.cursor is not None else None
    return [entry[1] for entry in described] if described else [None] * width


def _field_type(annotation: Any) -> Any:
    return unwrap_optional(unwrap_annotated(annotation)[0])[0]


def _read_values(
    rows: list[dict[str, Any]],
    batch: list[Any],
    names: list[str],
    readers: list[Callable[[Any], Any] | None],
    problems: dict[int, list[tuple[str, str, Any]]],
    at: int | None = None,
) -> None:
    """Turn stored values into what the generated column type reads (in place); note those it cannot.

    ``at``: the batch index of the single row given (a row read again by key).
    """
    for position, reader in enumerate(readers):
        if reader is None:
            continue
        name = names[position]
        for index, row in enumerate(batch):
            stored = row[position]
            if stored is None:
                continue
            try:
                rows[index][name] = reader(stored)
            except Exception as exc:  # the column type cannot read it: the generated model could not either
                problems.setdefault(index if at is None else at, []).append((name, str(exc), stored))


def _validate(
    validator: Any, rows: list[dict[str, Any]], indexes: list[int] | None, errors: dict[int, list[Any]]
) -> None:
    """Validate ``rows`` in one call; each error goes to its row's index in the batch."""
    if not rows:
        return
    try:
        validator.validate_python(rows)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            location = error["loc"]
            index = int(location[0]) if indexes is None else indexes[int(location[0])]
            name = ".".join(str(part) for part in location[1:]) or "(row)"
            if any(name == seen for seen, *_ in errors.get(index, [])):
                continue  # an unreadable value is reported once, as unreadable
            errors.setdefault(index, []).append((name, error["type"], error["msg"], error.get("input")))


def rows_validator(model: type[BaseModel], keep: set[str]) -> SchemaValidator | None:
    """A validator of a list of rows that checks only the ``keep`` fields and builds no instances.

    The model's own core schema with the other fields left out: each kept field keeps its type,
    constraints and field validators. None when the schema is not a plain model of fields (a
    ``model_post_init``, a custom schema): the caller then validates whole models.
    """
    schema: Any = model.__pydantic_core_schema__
    definitions = None
    if schema.get("type") == "definitions":
        definitions, schema = schema["definitions"], schema["schema"]
    plain = schema.get("type") == "model" and schema["schema"].get("type") == "model-fields"
    if not plain or schema.get("post_init"):
        return None
    fields = dict(schema["schema"])
    fields["fields"] = {name: field for name, field in fields["fields"].items() if name in keep}
    body = core_schema.list_schema(fields)  # type: ignore[arg-type]
    if definitions is not None:
        body = core_schema.definitions_schema(body, definitions)
    return SchemaValidator(body, schema.get("config"))


#: Column types whose stored values Pydantic parses itself, as their result processing would
#: (SQLite's ``'2024-01-01 10:00:00.000000'``, a 32-digit UUID, 0/1): read as stored when the field
#: has that Python type, which spares a Python call per value.
_PARSED_BY_PYDANTIC: tuple[tuple[type[sa.types.TypeEngine[Any]], type], ...] = (
    (sa.DateTime, dt.datetime),
    (sa.Date, dt.date),
    (sa.Time, dt.time),
    (sa.Boolean, bool),
)


def value_reader(
    column: sa.Column[Any], dialect: sa.Dialect, type_code: Any, field_type: Any = None
) -> Callable[[Any], Any] | None:
    """How the generated column type turns a stored value into a Python one (None: as stored).

    ``type_code`` is the driver's type of the result column (``cursor.description``), which some
    processors depend on (PostgreSQL's ``NUMERIC`` against ``FLOAT``). ``field_type`` is the
    model field's Python type: where Pydantic parses the stored value to it the same way, the
    value is left to Pydantic.

    An enum maps its stored labels to members, leaving an unknown label as the string it is (the
    ORM would raise ``LookupError`` on it; Pydantic names the allowed values instead); labels that
    are the members' values need no mapping.
    """
    type_ = column.type
    if isinstance(type_, sa.Enum):
        lookup = dict(type_._object_lookup) if type_.enum_class is not None else {}
        if all(getattr(member, "value", None) == label for label, member in lookup.items()):
            return None
        return lambda value: lookup.get(value, value)
    if any(isinstance(type_, kind) and field_type is python for kind, python in _PARSED_BY_PYDANTIC):
        return None
    if isinstance(type_, sa.Uuid) and type_.as_uuid and field_type is uuid.UUID:
        return None
    processor = type_._cached_result_processor(dialect, type_code)  # type: ignore[attr-defined]
    return processor  # type: ignore[no-any-return]


def _read_key(reader: Callable[[Any], Any] | None, value: Any) -> Any:
    """A key value as the application sees it (a SQLite UUID with its dashes), as stored if unreadable."""
    if reader is None or value is None:
        return value
    try:
        return reader(value)
    except Exception:
        return value


def shown(value: Any) -> str:
    """A value as a failure shows it: its repr, cut to :data:`VALUE_WIDTH` characters."""
    text = repr(value)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def _plain(value: Any) -> Any:
    """A key value JSON can hold (a UUID or a date as its string)."""
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)
