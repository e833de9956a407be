"""Operations Alembic lacks, each with its implementation and renderer: constraint and index
renames, numbered placeholders for a restored unique column, PostgreSQL enum members and types.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import renderers
from alembic.operations import Operations, ops

from dbkit.errors import MigrationRuntimeError
from dbkit.migrate.revisions.reasons import ReasonComment
from dbkit.migrate.revisions.sqlite_guard import sqlite_foreign_keys_suspended

# -- constraint and index names ----------------------------------------------------------------
#: ``kind`` of a constraint rename → the ``type_`` Alembic's ``drop_constraint`` takes.
_CONSTRAINT_TYPES = {
    "primary_key": "primary",
    "foreign_key": "foreignkey",
    "unique": "unique",
    "check": "check",
}


@Operations.register_operation("rename_constraints")
class RenameConstraintsOp(ops.MigrateOperation):
    """Give one table's constraints and indexes new names (Alembic has no such operation).

    Each rename is ``{"kind", "old", "new"}`` plus the object's definition (``columns``,
    ``referred_table``, ``sqltext``, ``unique``...), so SQLite can rebuild what it cannot rename.
    PostgreSQL: ``ALTER INDEX ... RENAME`` / ``ALTER TABLE ... RENAME CONSTRAINT`` (nothing is
    rebuilt or re-validated). SQLite: an index is dropped and re-created; constraints live in the
    table's DDL, so the table is rebuilt once in batch mode with the new names.
    """

    def __init__(
        self, table_name: str, renames: Sequence[dict[str, Any]], *, schema: str | None = None
    ) -> None:
        unknown = [r["kind"] for r in renames if r["kind"] != "index" and r["kind"] not in _CONSTRAINT_TYPES]
        if unknown:
            raise ValueError(f"rename_constraints on {table_name!r}: unknown kind(s) {unknown!r}.")
        self.table_name = table_name
        self.renames = [dict(rename) for rename in renames]
        self.schema = schema

    @classmethod
    def rename_constraints(
        cls,
        operations: Operations,
        table_name: str,
        renames: Sequence[dict[str, Any]],
        *,
        schema: str | None = None,
    ) -> None:
        operations.invoke(cls(table_name, renames, schema=schema))

    def reverse(self) -> RenameConstraintsOp:
        swapped = [rename | {"old": rename["new"], "new": rename["old"]} for rename in self.renames]
        return RenameConstraintsOp(self.table_name, swapped, schema=self.schema)


@Operations.implementation_for(RenameConstraintsOp)
def _rename_constraints(operations: Operations, operation: RenameConstraintsOp) -> None:
    dialect = operations.get_context().dialect.name
    if dialect == "postgresql":
        for rename in operation.renames:
            operations.execute(_postgresql_rename(operations, operation, rename))
    elif dialect == "sqlite":
        _rename_on_sqlite(operations, operation)
    else:
        raise MigrationRuntimeError(
            f"Renaming constraints of {operation.table_name!r} is written for PostgreSQL and SQLite, "
            f"not {dialect}; rename {[r['old'] for r in operation.renames]} by hand."
        )


def _postgresql_rename(operations: Operations, operation: RenameConstraintsOp, rename: dict[str, Any]) -> str:
    preparer = operations.get_context().dialect.identifier_preparer
    new_name = preparer.quote(rename["new"])
    if rename["kind"] == "index":
        return f"ALTER INDEX {_qualified(operations, rename['old'], operation.schema)} RENAME TO {new_name}"
    table = _qualified(operations, operation.table_name, operation.schema)
    return f"ALTER TABLE {table} RENAME CONSTRAINT {preparer.quote(rename['old'])} TO {new_name}"


def _rename_on_sqlite(operations: Operations, operation: RenameConstraintsOp) -> None:
    """Indexes dropped and re-created; constraints renamed in one batch rebuild of the table.

    Names are checked against the live table first: a batch rebuild earlier in the migration
    leaves SQLite's primary key unnamed (Alembic rebuilds it from the columns), and such a key is
    simply given its new name.
    """
    table, schema = operation.table_name, operation.schema
    live = None if operations.get_context().as_sql else _sqlite_names(operations, table, schema)
    for rename in (r for r in operation.renames if r["kind"] == "index"):
        _rename_sqlite_index(operations, table, schema, rename, live)
    constraints = [r for r in operation.renames if r["kind"] != "index"]
    if not constraints:
        return
    if live is None:
        raise MigrationRuntimeError(
            f"SQLite keeps {table!r}'s constraint names in its table definition, so renaming them rebuilds "
            "the table from the live database: run this revision online, not as offline SQL."
        )
    steps = [(rename, rename["old"] in live) for rename in constraints if _sqlite_needs(rename, live)]
    if not steps:
        return
    with (
        sqlite_foreign_keys_suspended(operations),
        operations.batch_alter_table(table, schema=schema, recreate="always") as batch,
    ):
        for rename, named in steps:
            if named:
                batch.drop_constraint(rename["old"], type_=_CONSTRAINT_TYPES[rename["kind"]])
            _create_constraint(batch, rename)


def _sqlite_names(operations: Operations, table: str, schema: str | None) -> set[str]:

    inspector = sa.inspect(operations.get_bind())
    names = {inspector.get_pk_constraint(table, schema=schema).get("name")}
    for reflect in (
        inspector.get_foreign_keys,
        inspector.get_unique_constraints,
        inspector.get_check_constraints,
        inspector.get_indexes,
    ):
        names |= {item.get("name") for item in reflect(table, schema=schema)}
    return {name for name in names if name}


def _sqlite_needs(rename: dict[str, Any], live: set[str]) -> bool:
    """Rename what carries the old name; name an unnamed primary key; leave other unnamed ones."""
    if rename["new"] in live:
        return False
    return rename["old"] in live or rename["kind"] == "primary_key"


def _rename_sqlite_index(
    operations: Operations, table: str, schema: str | None, rename: dict[str, Any], live: set[str] | None
) -> None:

    if live is not None and rename["new"] in live:
        return
    if live is None or rename["old"] in live:
        operations.drop_index(rename["old"], table_name=table, schema=schema)
    columns = [sa.text(c) if rename.get("expressions") else c for c in rename["columns"]]
    operations.create_index(rename["new"], table, columns, unique=bool(rename.get("unique")), schema=schema)


def _create_constraint(batch: Any, rename: dict[str, Any]) -> None:

    kind, name = rename["kind"], rename["new"]
    if kind == "primary_key":
        batch.create_primary_key(name, rename["columns"])
    elif kind == "unique":
        batch.create_unique_constraint(name, rename["columns"])
    elif kind == "check":
        batch.create_check_constraint(name, sa.text(rename["sqltext"]))
    else:
        batch.create_foreign_key(
            name,
            rename["referred_table"],
            rename["columns"],
            rename["referred_columns"],
            ondelete=rename.get("ondelete"),
            onupdate=rename.get("onupdate"),
        )


@renderers.dispatch_for(RenameConstraintsOp)
def _render_rename_constraints(context: AutogenContext, operation: RenameConstraintsOp) -> str:
    schema = f", schema={operation.schema!r}" if operation.schema else ""
    prefix = context.opts["alembic_module_prefix"]
    listed = "".join(f"    {rename!r},\n" for rename in operation.renames)  # one rename a line
    return f"{prefix}rename_constraints({operation.table_name!r}, [\n{listed}]{schema})"


# -- distinct placeholders ----------------------------------------------------------------------
#: Column kinds whose rows can each get their own placeholder from a row number.
DISTINCT_PLACEHOLDER_KINDS = frozenset(
    {"string", "text", "integer", "big_integer", "small_integer", "numeric", "float", "uuid"}
)


@Operations.register_operation("fill_distinct_placeholders")
class FillDistinctPlaceholdersOp(ops.MigrateOperation):
    """Give each row its own placeholder in a re-added column that a unique constraint covers.

    A downgrade re-adding a dropped NOT NULL column fills one placeholder value; when the column
    is unique, the constraint re-added after it would fail on the second row. Rows are numbered
    in primary-key order and the number becomes the value (a number, its text, or a UUID).
    """

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        key_columns: Sequence[str],
        kind: str,
        schema: str | None = None,
    ) -> None:
        if kind not in DISTINCT_PLACEHOLDER_KINDS or not key_columns:
            raise ValueError(
                f"{table_name}.{column_name}: no distinct placeholders for a {kind} column without a key."
            )
        self.table_name = table_name
        self.column_name = column_name
        self.key_columns = list(key_columns)
        self.kind = kind
        self.schema = schema

    @classmethod
    def fill_distinct_placeholders(
        cls, operations: Operations, table_name: str, column_name: str, **kw: Any
    ) -> None:
        operations.invoke(cls(table_name, column_name, **kw))

    def reverse(self) -> ReasonComment:
        return _ReversedFill(self)


class _ReversedFill(ReasonComment):
    """Where the upgrade passes a fill: nothing runs, a comment says so, and reversing brings it back."""

    def __init__(self, fill: FillDistinctPlaceholdersOp) -> None:
        super().__init__(
            f"the downgrade numbers {fill.table_name}.{fill.column_name}'s placeholders here (it is unique)"
        )
        self.fill = fill

    def reverse(self) -> FillDistinctPlaceholdersOp:  # type: ignore[override]
        return self.fill


@Operations.implementation_for(FillDistinctPlaceholdersOp)
def _fill_distinct_placeholders(operations: Operations, operation: FillDistinctPlaceholdersOp) -> None:
    dialect = operations.get_context().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise MigrationRuntimeError(
            f"Numbering placeholders of {operation.table_name}.{operation.column_name} is written for "
            f"PostgreSQL and SQLite, not {dialect}; fill distinct values by hand."
        )
    quote = operations.get_context().dialect.identifier_preparer.quote
    table = _qualified(operations, operation.table_name, operation.schema)
    keys = [quote(name) for name in operation.key_columns]
    numbered = (
        f"SELECT {', '.join(keys)}, row_number() OVER (ORDER BY {', '.join(keys)}) AS dbkit_n FROM {table}"
    )
    matched = " AND ".join(f"{table}.{key} = dbkit_numbered.{key}" for key in keys)
    value = _numbered_value(dialect, operation.kind, "dbkit_numbered.dbkit_n")
    operations.execute(
        f"UPDATE {table} SET {quote(operation.column_name)} = {value} "
        f"FROM ({numbered}) AS dbkit_numbered WHERE {matched}"
    )


def _numbered_value(dialect: str, kind: str, number: str) -> str:
    if kind == "uuid":  # dbkit's Uuid: a native uuid on PostgreSQL, 32 hex digits on SQLite
        if dialect == "postgresql":
            return f"CAST(lpad(to_hex({number}), 32, '0') AS UUID)"
        return f"printf('%032x', {number})"
    if kind in ("string", "text"):
        return f"CAST({number} AS TEXT)"
    return number


@renderers.dispatch_for(FillDistinctPlaceholdersOp)
def _render_fill_distinct_placeholders(context: AutogenContext, operation: FillDistinctPlaceholdersOp) -> str:
    schema = f", schema={operation.schema!r}" if operation.schema else ""
    return (
        f"{context.opts['alembic_module_prefix']}fill_distinct_placeholders({operation.table_name!r}, "
        f"{operation.column_name!r}, key_columns={operation.key_columns!r}, kind={operation.kind!r}{schema})"
    )


# -- PostgreSQL enum members ------------------------------------------------------------------
class _EnumValueOp(ops.MigrateOperation):
    """Shared shape: the enum type, the member, the full member list *with* it, and the columns using it.

    Carrying the full list and the columns makes each operation reversible on its own: adding
    knows where the member goes, dropping knows how to re-create the type.
    """

    def __init__(
        self,
        enum_name: str,
        value: str,
        *,
        values: Sequence[str],
        columns: Sequence[tuple[str, str]] = (),
        schema: str | None = None,
        length: int | None = None,
    ) -> None:
        if value not in values:
            raise ValueError(f"Enum {enum_name!r}: member {value!r} must be in values {list(values)!r}.")
        self.enum_name = enum_name
        self.value = value
        self.values = list(values)
        self.columns = [tuple(column) for column in columns]
        self.schema = schema
        #: An explicit ``Enum(length=...)`` longer than every member: the columns never get shorter.
        self.length = length

    def _arguments(self) -> str:
        schema = f", schema={self.schema!r}" if self.schema else ""
        length = f", length={self.length!r}" if self.length else ""
        columns = [list(column) for column in self.columns]
        return (
            f"{self.enum_name!r}, {self.value!r}, values={self.values!r}, columns={columns!r}{schema}{length}"
        )

    def _kwargs(self) -> dict[str, Any]:
        return {"values": self.values, "columns": self.columns, "schema": self.schema, "length": self.length}


@Operations.register_operation("add_enum_value")
class AddEnumValueOp(_EnumValueOp):
    """``ALTER TYPE ... ADD VALUE`` at the member's position on PostgreSQL. Elsewhere the enum is a
    ``VARCHAR`` sized to its longest member: each column is widened to fit the new one."""

    @classmethod
    def add_enum_value(cls, operations: Operations, enum_name: str, value: str, **kw: Any) -> None:
        operations.invoke(cls(enum_name, value, **kw))

    def reverse(self) -> DropEnumValueOp:
        return DropEnumValueOp(self.enum_name, self.value, **self._kwargs())


@Operations.register_operation("drop_enum_value")
class DropEnumValueOp(_EnumValueOp):
    """Re-create the type without the member and re-type its columns (PostgreSQL); elsewhere, resize
    each column's ``VARCHAR`` to the longest remaining member.

    Rows still holding the member make the cast fail, so the upgrade stops instead of losing them;
    where no type checks them (SQLite), dbkit counts those rows first and stops the same way.
    """

    @classmethod
    def drop_enum_value(cls, operations: Operations, enum_name: str, value: str, **kw: Any) -> None:
        operations.invoke(cls(enum_name, value, **kw))

    def reverse(self) -> AddEnumValueOp:
        return AddEnumValueOp(self.enum_name, self.value, **self._kwargs())


def _native_enums(operations: Operations) -> bool:
    return operations.get_context().dialect.name == "postgresql"


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _qualified(operations: Operations, name: str, schema: str | None) -> str:
    preparer = operations.get_context().dialect.identifier_preparer
    return f"{preparer.quote_schema(schema)}.{preparer.quote(name)}" if schema else preparer.quote(name)


@Operations.implementation_for(AddEnumValueOp)
def _add_enum_value(operations: Operations, operation: AddEnumValueOp) -> None:
    if not _native_enums(operations):
        _resize_enum_columns(operations, operation, operation.values)
        return
    position = operation.values.index(operation.value)
    if position + 1 < len(operation.values):
        placement = f" BEFORE {_sql_literal(operation.values[position + 1])}"
    elif position > 0:
        placement = f" AFTER {_sql_literal(operation.values[position - 1])}"
    else:
        placement = ""
    enum_type = _qualified(operations, operation.enum_name, operation.schema)
    # A value added in a transaction cannot be used before it commits: add it outside one.
    with operations.get_context().autocommit_block():
        operations.execute(
            f"ALTER TYPE {enum_type} ADD VALUE IF NOT EXISTS {_sql_literal(operation.value)}{placement}"
        )


@Operations.implementation_for(DropEnumValueOp)
def _drop_enum_value(operations: Operations, operation: DropEnumValueOp) -> None:
    if not _native_enums(operations):
        _refuse_rows_holding(operations, operation)
        _resize_enum_columns(operations, operation, [v for v in operation.values if v != operation.value])
        return
    preparer = operations.get_context().dialect.identifier_preparer
    remaining = [value for value in operation.values if value != operation.value]
    enum_type = _qualified(operations, operation.enum_name, operation.schema)
    retired_name = f"{operation.enum_name}_dbkit_old"
    retired_type = _qualified(operations, retired_name, operation.schema)
    members = ", ".join(_sql_literal(value) for value in remaining)
    defaults = {column: _enum_default(operations, *column, operation.schema) for column in operation.columns}
    operations.execute(f"ALTER TYPE {enum_type} RENAME TO {preparer.quote(retired_name)}")
    operations.execute(f"CREATE TYPE {enum_type} AS ENUM ({members})")
    for (table_name, column_name), default in defaults.items():
        table = _qualified(operations, table_name, operation.schema)
        column = preparer.quote(column_name)
        if default is not None:  # a default typed with the old enum blocks the cast: re-set it after
            operations.execute(f"ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT")
        operations.execute(
            f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {enum_type} USING {column}::text::{enum_type}"
        )
        if default is not None:
            if default == operation.value:
                raise MigrationRuntimeError(
                    f"{table_name}.{column_name} defaults to {default!r}, the enum member being dropped; "
                    "change the column's default first."
                )
            operations.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {_sql_literal(default)}::{enum_type}"
            )
    operations.execute(f"DROP TYPE {retired_type}")


def _resize_enum_columns(operations: Operations, operation: _EnumValueOp, values: Sequence[str]) -> None:
    """Where the enum is a ``VARCHAR(longest member)``: each column re-typed to the members it holds now
    (never shorter than an explicit ``length``), one batch per table (SQLite rebuilds the table)."""
    length = max([len(value) for value in values] + [operation.length or 0]) or None
    by_table: dict[str, list[str]] = {}
    for table, column in operation.columns:
        by_table.setdefault(table, []).append(column)
    for table, columns in by_table.items():
        with operations.batch_alter_table(table, schema=operation.schema) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.String(length))


def _refuse_rows_holding(operations: Operations, operation: DropEnumValueOp) -> None:
    """Stop before a member no database type checks is dropped while rows still hold it."""
    preparer = operations.get_context().dialect.identifier_preparer
    for table, column in operation.columns:
        quoted = _qualified(operations, table, operation.schema)
        count = (
            operations.get_bind()
            .execute(
                sa.text(f"SELECT count(*) FROM {quoted} WHERE {preparer.quote(column)} = :value"),
                {"value": operation.value},
            )
            .scalar()
        )
        if count:
            raise MigrationRuntimeError(
                f"{table}.{column}: {count} row(s) still hold {operation.value!r}, the enum member being "
                f"dropped from {operation.enum_name!r}; change them first."
            )


def _enum_default(operations: Operations, table: str, column: str, schema: str | None) -> str | None:
    """The enum member a column defaults to (``'active'::user_status`` → ``active``), if any."""

    query = sa.text(
        "SELECT column_default FROM information_schema.columns "
        "WHERE table_schema = coalesce(:schema, current_schema()) AND table_name = :table AND column_name = :column"
    )
    default = (
        operations.get_bind().execute(query, {"schema": schema, "table": table, "column": column}).scalar()
    )
    if default is None:
        return None
    match = re.match(r"^'((?:[^']|'')*)'::", default)
    return match.group(1).replace("''", "'") if match else None


@renderers.dispatch_for(AddEnumValueOp)
def _render_add_enum_value(context: AutogenContext, operation: AddEnumValueOp) -> str:
    return f"{context.opts['alembic_module_prefix']}add_enum_value({operation._arguments()})"


@renderers.dispatch_for(DropEnumValueOp)
def _render_drop_enum_value(context: AutogenContext, operation: DropEnumValueOp) -> str:
    return f"{context.opts['alembic_module_prefix']}drop_enum_value({operation._arguments()})"


@Operations.register_operation("drop_enum_type_if_unused")
class DropEnumTypeIfUnusedOp(ops.MigrateOperation):
    """Drop a PostgreSQL enum type once no column uses it (``op.drop_table`` leaves the type behind,
    so a later ``create_table`` of the same table would fail on ``CREATE TYPE``)."""

    def __init__(self, enum_name: str, *, values: Sequence[str] = (), schema: str | None = None) -> None:
        self.enum_name = enum_name
        self.values = list(values)
        self.schema = schema

    @classmethod
    def drop_enum_type_if_unused(
        cls, operations: Operations, enum_name: str, *, values: Sequence[str] = (), schema: str | None = None
    ) -> None:
        operations.invoke(cls(enum_name, values=values, schema=schema))

    def reverse(self) -> ops.MigrateOperation:
        if not self.values:
            raise NotImplementedError("Generated per direction after dropped tables; never reversed.")
        return EnsureEnumTypeOp(self.enum_name, values=self.values, schema=self.schema)


@Operations.register_operation("ensure_enum_type")
class EnsureEnumTypeOp(ops.MigrateOperation):
    """Create a PostgreSQL enum type unless it exists; a no-op where enums are not native.

    dbkit creates enum types with this operation and renders enum columns with
    ``create_type=False``: ``op.create_table`` would otherwise ``CREATE TYPE`` a type another
    table already uses, and ``op.add_column`` never creates the type at all.
    """

    def __init__(self, enum_name: str, *, values: Sequence[str], schema: str | None = None) -> None:
        self.enum_name = enum_name
        self.values = list(values)
        self.schema = schema

    @classmethod
    def ensure_enum_type(
        cls, operations: Operations, enum_name: str, *, values: Sequence[str], schema: str | None = None
    ) -> None:
        operations.invoke(cls(enum_name, values=values, schema=schema))

    def reverse(self) -> DropEnumTypeIfUnusedOp:
        return DropEnumTypeIfUnusedOp(self.enum_name, values=self.values, schema=self.schema)


@Operations.implementation_for(EnsureEnumTypeOp)
def _ensure_enum_type(operations: Operations, operation: EnsureEnumTypeOp) -> None:
    if not _native_enums(operations):
        return
    enum_type = _qualified(operations, operation.enum_name, operation.schema)
    members = ", ".join(_sql_literal(value) for value in operation.values)
    operations.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = {_sql_literal(operation.enum_name)}) "
        f"THEN CREATE TYPE {enum_type} AS ENUM ({members}); END IF; END $$"
    )


@renderers.dispatch_for(EnsureEnumTypeOp)
def _render_ensure_enum_type(context: AutogenContext, operation: EnsureEnumTypeOp) -> str:
    schema = f", schema={operation.schema!r}" if operation.schema else ""
    prefix = context.opts["alembic_module_prefix"]
    return f"{prefix}ensure_enum_type({operation.enum_name!r}, values={operation.values!r}{schema})"


@Operations.implementation_for(DropEnumTypeIfUnusedOp)
def _drop_enum_type_if_unused(operations: Operations, operation: DropEnumTypeIfUnusedOp) -> None:
    if not _native_enums(operations):
        return
    enum_type = _qualified(operations, operation.enum_name, operation.schema)
    name = _sql_literal(operation.enum_name)
    operations.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_type t ON a.atttypid = t.oid "
        f"WHERE t.typname = {name} AND a.attnum > 0 AND NOT a.attisdropped) "
        f"THEN DROP TYPE IF EXISTS {enum_type}; END IF; END $$"
    )


@renderers.dispatch_for(DropEnumTypeIfUnusedOp)
def _render_drop_enum_type(context: AutogenContext, operation: DropEnumTypeIfUnusedOp) -> str:
    schema = f", schema={operation.schema!r}" if operation.schema else ""
    values = f", values={operation.values!r}" if operation.values else ""
    return f"{context.opts['alembic_module_prefix']}drop_enum_type_if_unused({operation.enum_name!r}{values}{schema})"


# The online operations (op.create_index_online, op.online_step...) register themselves on import.
from dbkit.migrate.revisions import online as _online  # noqa: E402, F401
