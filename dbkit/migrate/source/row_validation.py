"""Every stored row against its ``BLL_*`` model: the rows the application will read after the switch.

SQLite does not enforce ``VARCHAR(n)``, an enum stored as ``VARCHAR`` or a ``CHECK`` added later,
and a model can be stricter than its DDL (a ``max_length``, a ``pattern``, an ``EmailStr``, a
field validator): such rows load today and fail at the first read or update of the generated
model. :func:`validate_rows` finds them before the switch, without writing anything.

Rows stream in primary-key order, in batches from a server-side cursor (memory stays bounded).
Each value goes through the generated column type's result processing, as the ORM would read it
(an enum label the type does not know stays a string, so Pydantic says what is wrong with it),
and each batch is validated in one call of a ``TypeAdapter(list[Model])``.
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
from pydantic import TypeAdapter, ValidationError

from dbkit.errors import DbkitError
from dbkit.generate.types import unwrap_annotated, unwrap_optional
from dbkit.migrate.source.codebase import Codebase, GeneratedModel

#: Rows fetched and validated per batch (bounded memory; one validator call per batch).
BATCH_SIZE = 5_000
#: Failures kept per table (counts cover them all).
FIRST_FAILURES = 20
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
    """Streams one table's rows through its model's validator, filling in a :class:`TableValidation`."""

    def __init__(self, model: GeneratedModel, batch_size: int, first_failures: int) -> None:
        self.model = model
        self.batch_size = batch_size
        self.first_failures = first_failures
        self.result = TableValidation(model.table_name, model.class_name)
        self.adapter: TypeAdapter[list[Any]] = TypeAdapter(list[model.model])  # type: ignore[name-defined]
        mapper = sa.inspect(model.generated)
        stored = {prop.key: prop.columns[0] for prop in mapper.column_attrs}
        #: Model fields and the columns holding them (a field with no column is left to its default).
        self.fields = [(name, stored[name]) for name in model.model.model_fields if name in stored]
        self.field_types = [
            unwrap_optional(unwrap_annotated(model.model.model_fields[name].annotation)[0])[0]
            for name, _ in self.fields
        ]
        self.key_columns = list(model.table.primary_key.columns)  # type: ignore[union-attr]
        self.key_readers: list[Callable[[Any], Any] | None] = []

    def run(self, connection: sa.Connection, progress: Progress | None) -> None:
        columns = [column for _, column in self.fields]
        key_positions = [columns.index(column) for column in self.key_columns if column in columns]
        extra_keys = [column for column in self.key_columns if column not in columns]
        raw = [sa.type_coerce(column, sa.types.NullType()).label(f"c{i}") for i, column in enumerate(columns)]
        raw += [
            sa.type_coerce(column, sa.types.NullType()).label(f"k{i}") for i, column in enumerate(extra_keys)
        ]
        statement = sa.select(*raw).order_by(*self.key_columns)
        names = [name for name, _ in self.fields]
        result = connection.execution_options(stream_results=True, yield_per=self.batch_size).execute(
            statement
        )
        readers: list[Callable[[Any], Any] | None] | None = None
        for batch in result.partitions(self.batch_size):
            if readers is None:  # a server-side cursor describes its columns once rows are fetched
                self.key_readers = [
                    column.type._cached_result_processor(connection.dialect, None)  # type: ignore[attr-defined]
                    for column in [*(columns[position] for position in key_positions), *extra_keys]
                ]
                described = result.cursor.description if result.cursor is not None else None
                codes = [entry[1] for entry in described] if described else [None] * len(columns)
                readers = [
                    value_reader(column, connection.dialect, code, field_type)
                    for column, code, field_type in zip(columns, codes, self.field_types, strict=False)
                ]
            self._check_batch(batch, names, readers, key_positions, len(columns))
            if progress is not None:
                progress(self.result.table, self.result.rows)

    def _check_batch(
        self,
        batch: list[Any],
        names: list[str],
        readers: list[Callable[[Any], Any] | None],
        key_positions: list[int],
        width: int,
    ) -> None:
        active = [(position, names[position], reader) for position, reader in enumerate(readers) if reader]
        rows: list[dict[str, Any]] = [dict(zip(names, row, strict=False)) for row in batch]
        unreadable: dict[int, list[tuple[str, str, Any]]] = {}
        for position, name, reader in active:
            for index, row in enumerate(batch):
                stored = row[position]
                if stored is None:
                    continue
                try:
                    rows[index][name] = reader(stored)
                except (
                    Exception
                ) as exc:  # the column type cannot read it: the generated model could not either
                    unreadable.setdefault(index, []).append((name, str(exc), stored))
        self.result.rows += len(batch)
        errors: dict[int, list[tuple[str, str, str, Any]]] = {}
        for index, problems in unreadable.items():
            errors[index] = [(name, "unreadable", message, value) for name, message, value in problems]
        try:
            self.adapter.validate_python(rows)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                location = error["loc"]
                index = int(location[0])
                name = ".".join(str(part) for part in location[1:]) or "(row)"
                if any(name == seen for seen, *_ in errors.get(index, [])):
                    continue  # an unreadable value is reported once, as unreadable
                errors.setdefault(index, []).append((name, error["type"], error["msg"], error.get("input")))
        for index in sorted(errors):
            row = batch[index]
            stored = [row[position] for position in key_positions] + list(row[width:])
            self._record(
                [_read_key(reader, value) for reader, value in zip(self.key_readers, stored, strict=True)],
                errors[index],
            )

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
