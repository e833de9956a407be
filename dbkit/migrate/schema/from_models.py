"""Snapshots from SQLAlchemy models: ``Table`` objects → :class:`Snapshot`, with SQL text compiled once per shape."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.default import StrCompileDialect
from sqlalchemy.sql.functions import FunctionElement

from dbkit.errors import working_on
from dbkit.migrate.schema.snapshot import (
    IGNORED_TABLES,
    CheckSnapshot,
    ColumnSnapshot,
    ComputedSnapshot,
    EnumSnapshot,
    ForeignKeySnapshot,
    IdentitySnapshot,
    IndexSnapshot,
    PrimaryKeySnapshot,
    Snapshot,
    TableSnapshot,
    UniqueSnapshot,
    dialect_options,
    interned_column,
    normalize_server_default,
    normalize_sql,
    type_spec,
)
from dbkit.migrate.schema.table_memo import ColumnFacts, TableMemo, memo_of


# -- from models -----------------------------------------------------------------------------------
def snapshot_from_metadata(
    metadata: sa.MetaData | Iterable[sa.Table],
    migration_notes: Mapping[str, str | dict[str, Any] | None] | None = None,
    *,
    models: Iterable[type] = (),
) -> Snapshot:
    """The snapshot of a ``MetaData`` (or of any ``Table`` objects, e.g. a hybrid selection).

    ``migration_notes`` maps table name → the model's notes. ``models`` (mapped classes,
    generated or hand-written) supplies notes and model names for their tables too: a
    generated class carries its model's ``migration_notes``; an explicit mapping wins.
    """
    tables = list(metadata.tables.values()) if hasattr(metadata, "tables") else list(metadata)
    notes, names = _model_facts(models)
    notes.update({name: value for name, value in (migration_notes or {}).items()})
    snapshots = tuple(
        _table_from_sqlalchemy(table, notes.get(table.name), names.get(table.name))
        for table in sorted(tables, key=lambda t: t.name)
        if table.name not in IGNORED_TABLES
    )
    return Snapshot(tables=snapshots, enums=_native_enums(snapshots))


def snapshot_of_table(table: sa.Table, memo: TableMemo | None = None) -> TableSnapshot:
    """One table's snapshot (no notes, no enums): what parity compares, table by table. ``memo``: the
    table's :func:`memo_of`, when the caller has just asked for it to read more of the table."""
    return _table_from_sqlalchemy(table, None, None, memo)


def _model_facts(models: Iterable[type]) -> tuple[dict[str, Any], dict[str, str]]:
    notes: dict[str, Any] = {}
    names: dict[str, str] = {}
    for cls in models:
        table = getattr(cls, "__table__", None)
        if table is None:
            continue
        model = getattr(cls, "__dbkit_model__", None) or cls
        names[table.name] = model.__name__
        value = getattr(cls, "__dbkit_migration_notes__", None) or getattr(cls, "migration_notes", None)
        if value:
            notes[table.name] = value
    return notes, names


def _table_from_sqlalchemy(
    table: sa.Table, notes: Any, model: str | None, memo: TableMemo | None = None
) -> TableSnapshot:
    """The table's snapshot, read once while the table stays as it was (see :mod:`table_memo`).

    A few are kept per table, one per model name and notes asked for (none for parity, the class's
    for a codebase snapshot), so each caller gets the same object again and what a snapshot caches
    (its column map, its schema key) is computed once. Other notes or another name copy a kept
    snapshot instead of reading the table again."""
    memo = memo or memo_of(table)
    notes = notes or None
    kept: list[TableSnapshot] = memo.snapshots
    for snapshot in kept:
        if snapshot.model == model and snapshot.migration_notes == notes:
            return snapshot
    if kept:
        snapshot = replace(kept[0], migration_notes=notes, model=model)
        if len(kept) >= _KEPT_SNAPSHOTS:
            del kept[1]  # bounded: the first one read, and the most recent others
    else:
        snapshot = _read_table(table, memo, notes, model)
    kept.append(snapshot)
    return snapshot


#: Snapshots kept per table (parity's and a codebase snapshot's, with room to spare).
_KEPT_SNAPSHOTS = 4


def _read_table(table: sa.Table, memo: TableMemo, notes: Any, model: str | None) -> TableSnapshot:
    with working_on(table=table.name):
        columns = _columns_of(memo)
        pk = table.primary_key
        foreign_keys, uniques, checks = [], [], []
        for constraint in table.constraints:
            if isinstance(constraint, sa.ForeignKeyConstraint):
                foreign_keys.append(_foreign_key_from_sqlalchemy(constraint))
            elif isinstance(constraint, sa.UniqueConstraint):
                uniques.append(
                    UniqueSnapshot(
                        _name(constraint.name),
                        tuple([c.name for c in constraint.columns]),
                        options_of_construct(constraint),
                    )
                )
            elif isinstance(constraint, sa.CheckConstraint) and not _is_type_check(constraint):
                checks.append(
                    CheckSnapshot(_name(constraint.name), normalize_sql(sql_of(constraint.sqltext)) or "")
                )
        # One index declared twice alike (prefect 3.0's ``index=True`` plus an ``Index`` of the same
        # convention name) is one index: a database holds it once, and CREATE INDEX twice fails.
        indexes = [_index_from_sqlalchemy(index) for index in table.indexes]
        if len({index.name for index in indexes}) < len(indexes):  # equal snapshots share a name
            indexes = list(dict.fromkeys(indexes))
        return assemble_table(
            name=table.name,
            columns=columns,
            primary_key=PrimaryKeySnapshot(
                _name(pk.name), tuple([c.name for c in pk.columns]), options_of_construct(pk)
            )
            if pk.columns
            else None,
            foreign_keys=foreign_keys,
            uniques=uniques,
            checks=checks,
            indexes=indexes,
            comment=table.comment,
            notes=notes,
            model=model,
        )


def _foreign_key_from_sqlalchemy(constraint: sa.ForeignKeyConstraint) -> ForeignKeySnapshot:
    """Read the target from the FK's spec (``users.id``), so a target in another MetaData works."""
    columns, referred_tables, referred_columns = [], [], []
    for element in constraint.elements:
        columns.append(element.parent.name)
        referred_table, referred_column = foreign_key_target(element)
        referred_tables.append(referred_table)
        referred_columns.append(referred_column)
    return ForeignKeySnapshot(
        _name(constraint.name),
        tuple(columns),
        referred_tables[0],
        tuple(referred_columns),
        referential_action(constraint.ondelete),
        referential_action(constraint.onupdate),
    )


def foreign_key_target(element: sa.ForeignKey) -> tuple[str, str]:
    """``(table, column)`` a foreign key element points to, as declared (no resolution needed).

    SQLAlchemy 2.1's ``target_tokens`` keeps the names apart (a table name may hold a dot, and there
    ``target_fullname`` raises); 2.0 has only the dotted ``target_fullname``."""
    tokens = getattr(element, "target_tokens", None)
    if tokens is not None and tokens.table_name is not None and tokens.column_name is not None:
        return tokens.table_name, tokens.column_name
    table, column = element.target_fullname.rsplit(".", 2)[-2:]
    return table, column


def _is_type_check(constraint: Any) -> bool:
    """CHECKs SQLAlchemy adds for ``Boolean``/``Enum(create_constraint=True)`` belong to the type."""
    return bool(getattr(constraint, "_type_bound", False))


def _columns_of(memo: TableMemo) -> tuple[ColumnSnapshot, ...]:
    """The columns, built from the facts :func:`memo_of` has just read of them (one read per column)."""
    autoincrement = memo.autoincrement_column
    try:
        return tuple([_read_column(facts, facts[0] == autoincrement) for facts in memo.column_facts])
    except Exception:
        # Located only on failure: entering a ``working_on`` per column cost a tenth of parity. Read
        # again one by one, the failing column raises the same error inside its own context.
        for facts in memo.column_facts:
            _column_from_sqlalchemy(facts, facts[0] == autoincrement)
        raise


def _column_from_sqlalchemy(facts: ColumnFacts, is_autoincrement: bool) -> ColumnSnapshot:
    with working_on(column=facts[0]):
        return _read_column(facts, is_autoincrement)


def _read_column(facts: ColumnFacts, is_autoincrement: bool) -> ColumnSnapshot:
    # Positional arguments and skipped branches: this runs once per column of every snapshot.
    name, sa_type, nullable, primary_key, server_default, comment, identity, computed, _, _ = facts
    spec = type_spec(sa_type)
    return interned_column(
        name,
        spec,
        nullable is True or bool(nullable),
        primary_key is True or bool(primary_key),
        None
        if server_default is None
        else normalize_server_default(_server_default_sql(server_default), spec.kind),
        comment,
        None
        if identity is None
        else IdentitySnapshot(bool(identity.always), identity.start or 1, identity.increment or 1),
        None
        if computed is None
        else ComputedSnapshot(normalize_sql(sql_of(computed.sqltext)) or "", computed.persisted),
        is_autoincrement and identity is None and spec.kind in _INTEGER_KINDS,
    )


#: Kinds a database can number itself (``autoincrement``).
_INTEGER_KINDS = frozenset({"integer", "big_integer", "small_integer"})


def _server_default_sql(default: Any) -> str | None:
    if not isinstance(default, sa.DefaultClause):
        return None  # an Identity/Computed/FetchedValue the database owns
    argument = default.arg
    if isinstance(argument, str):
        return "'" + argument.replace("'", "''") + "'"  # SQLAlchemy renders a plain str as a literal
    return sql_of(argument)


def sql_of(clause: Any) -> str:
    """SQL text of a clause (literal values inlined), compiled once per clause object or shape."""
    if isinstance(clause, str):
        return clause
    shape = _argumentless_function(clause)
    if shape is not None:  # ``func.now()``: every model has its own, all spelled alike
        text = _SQL_BY_SHAPE.get(shape)
        if text is None:
            text = _SQL_BY_SHAPE[shape] = _compiled(clause)
        return text
    key = id(clause)
    cached = _SQL_TEXT.get(key)
    if cached is None or cached[0] is not clause:
        cached = (clause, _compiled(clause))
        if len(_SQL_TEXT) >= _SQL_TEXT_LIMIT:
            _SQL_TEXT.clear()  # bounded: a long notebook session must not keep every clause alive
        _SQL_TEXT[key] = cached
    return cached[1]


def _compiled(clause: Any) -> str:
    """As DDL spells it: columns unqualified (``lifecycle_stage IN (...)``, not ``runs.lifecycle_stage``),
    which is how CREATE TABLE renders CHECK, computed and index expressions built from Column objects."""
    options = {"literal_binds": True, "include_table": False}
    try:
        return str(clause.compile(dialect=_string_dialect(), compile_kwargs=options))
    except sa.exc.UnsupportedCompilationError:
        # a construct with @compiles for some dialects only (prefect's GenerateUUID): as the first
        # database dbkit runs on spells it
        for dialect in _fallback_dialects():
            try:
                return str(clause.compile(dialect=dialect, compile_kwargs=options))
            except sa.exc.UnsupportedCompilationError:
                continue
        raise


@lru_cache(maxsize=1)
def _fallback_dialects() -> tuple[sa.Dialect, ...]:
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.dialect(), sqlite.dialect()


def _argumentless_function(clause: Any) -> tuple[Any, ...] | None:
    """What an argument-less SQL function's text depends on: its class, name and package names."""
    if isinstance(clause, _function_element()) and not clause.clauses.clauses:
        return (type(clause), getattr(clause, "name", None), tuple(getattr(clause, "packagenames", ())))
    return None


#: SQL text of clause objects by identity (mixins share one ``now()`` across every table);
#: the clause is kept alongside so a reused id never returns another object's text.
_SQL_TEXT: dict[int, tuple[Any, str]] = {}
_SQL_TEXT_LIMIT = 4096
#: SQL text of argument-less functions by shape; unbounded, since a codebase uses only a few.
_SQL_BY_SHAPE: dict[tuple[Any, ...], str] = {}


@lru_cache(maxsize=1)
def _function_element() -> type:

    return FunctionElement


@lru_cache(maxsize=1)
def _string_dialect() -> Any:
    """One compiler dialect for every clause (``compile()`` without one builds a dialect per call)."""

    return StrCompileDialect()


def _index_from_sqlalchemy(index: sa.Index) -> IndexSnapshot:
    parts: list[str] = []
    has_expression = False
    for expression in index.expressions:
        name = getattr(expression, "name", None)
        if name is not None and getattr(expression, "table", None) is not None:
            parts.append(name)
        else:
            has_expression = True
            parts.append(normalize_sql(sql_of(expression)) or "")
    return IndexSnapshot(
        _name(index.name), tuple(parts), bool(index.unique), has_expression, options_of_construct(index)
    )


def options_of_construct(construct: Any) -> tuple[tuple[str, str], ...]:
    """:func:`options_of` a constraint's or index's ``dialect_kwargs``. Most have none: their
    ``dialect_options`` is still empty (a dialect's entry appears only once something asked for
    it), which answers without counting the view (``len`` walks every dialect's arguments)."""
    return options_of(construct.dialect_kwargs) if construct.dialect_options else ()


def options_of(kwargs: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Dialect keyword arguments (a model's ``dialect_kwargs``, a reflected ``dialect_options``) as
    snapshot data: columns by name, SQL as text, containers item by item (see ``dialect_options``)."""
    return dialect_options({key: _option_value(value) for key, value in kwargs.items()}) if kwargs else ()


def _option_value(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, sa.Column):
        return value.name
    if isinstance(value, sa.sql.ClauseElement):
        return sql_of(value)
    if isinstance(value, list | tuple):
        return [_option_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(_option_value(key)): _option_value(item) for key, item in value.items()}
    return str(value)


def _native_enums(tables: Iterable[TableSnapshot]) -> tuple[EnumSnapshot, ...]:
    """The named native enum types the columns use (read from their specs, not SQLAlchemy again)."""
    found: dict[str, EnumSnapshot] = {}
    for table in tables:
        for column in table.columns:
            spec = column.type
            if spec.kind == "enum" and spec.native and spec.name:
                found[spec.name] = EnumSnapshot(spec.name, spec.values)
    return tuple(found[name] for name in sorted(found))


def _name(name: Any) -> str | None:
    """A constraint name as plain text; SQLAlchemy's ``_NONE_NAME`` / ``conv`` markers become str/None."""
    if name is None:
        return None
    text = str(name)
    return None if text in ("", "_NONE_NAME") else text


def referential_action(action: str | None) -> str | None:
    if action is None:
        return None
    spelled = " ".join(action.upper().split())
    return None if spelled == "NO ACTION" else spelled


def assemble_table(
    *,
    name: str,
    columns: tuple[ColumnSnapshot, ...],
    primary_key: PrimaryKeySnapshot | None,
    foreign_keys: list[ForeignKeySnapshot],
    uniques: list[UniqueSnapshot],
    checks: list[CheckSnapshot],
    indexes: list[IndexSnapshot],
    comment: str | None,
    notes: Any,
    model: str | None,
) -> TableSnapshot:
    """One place that orders a table's constraints, so both sources dump identically."""
    return TableSnapshot(
        name=name,
        columns=columns,
        primary_key=primary_key,
        foreign_keys=_sorted(foreign_keys, lambda fk: (fk.columns, fk.referred_table, fk.name or "")),
        unique_constraints=_sorted(uniques, lambda uq: (uq.columns, uq.name or "")),
        check_constraints=_sorted(checks, lambda ck: (ck.sqltext, ck.name or "")),
        indexes=_sorted(indexes, lambda ix: (ix.columns, ix.unique, ix.name or "")),
        comment=comment or None,
        migration_notes=notes or None,
        model=model,
    )


def _sorted(items: list[Any], key: Callable[[Any], Any]) -> tuple[Any, ...]:
    return tuple(sorted(items, key=key)) if len(items) > 1 else tuple(items)
