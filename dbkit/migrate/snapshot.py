"""Snapshots from models, from a live database, and to/from deterministic JSON.

``snapshot_from_metadata`` reads SQLAlchemy ``Table`` objects; ``snapshot_from_database``
reflects with SQLAlchemy's Inspector (``alembic_version`` ignored); ``dump_snapshot`` /
``load_snapshot`` write and read the versioned JSON format (schema:
``dbkit/migrate/snapshot.schema.json``). Loading and dumping never import SQLAlchemy, so
``dbkit diff a.json b.json`` stays fast.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbkit.errors import DbkitError
from dbkit.migrate.schema import (
    FORMAT_VERSION,
    SQLITE,
    SQLITE_UUID_CHAR_LENGTH,
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
    TypeSpec,
    UniqueSnapshot,
    interned_column,
    normalize_server_default,
    normalize_sql,
    type_spec,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

#: Tables that belong to the migration tool, not to the application.
IGNORED_TABLES = frozenset({"alembic_version"})
#: The published JSON schema of the snapshot format.
SNAPSHOT_SCHEMA_PATH = Path(__file__).with_name("snapshot.schema.json")


class SnapshotError(DbkitError):
    """A snapshot file cannot be read: not JSON, truncated, not a snapshot, or a newer format."""


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


def snapshot_of_table(table: sa.Table) -> TableSnapshot:
    """One table's snapshot (no notes, no enums): what parity compares, table by table."""
    return _table_from_sqlalchemy(table, None, None)


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


def _table_from_sqlalchemy(table: sa.Table, notes: Any, model: str | None) -> TableSnapshot:
    import sqlalchemy as sa

    autoincrement_column = table.autoincrement_column
    columns = tuple(
        [_column_from_sqlalchemy(column, column is autoincrement_column) for column in table.columns]
    )
    pk = table.primary_key
    foreign_keys, uniques, checks = [], [], []
    for constraint in table.constraints:
        if isinstance(constraint, sa.ForeignKeyConstraint):
            foreign_keys.append(_foreign_key_from_sqlalchemy(constraint))
        elif isinstance(constraint, sa.UniqueConstraint):
            uniques.append(
                UniqueSnapshot(_name(constraint.name), tuple([c.name for c in constraint.columns]))
            )
        elif isinstance(constraint, sa.CheckConstraint) and not _is_type_check(constraint):
            checks.append(
                CheckSnapshot(_name(constraint.name), normalize_sql(sql_of(constraint.sqltext)) or "")
            )
    indexes = [_index_from_sqlalchemy(index) for index in table.indexes]
    return _assemble_table(
        name=table.name,
        columns=columns,
        primary_key=PrimaryKeySnapshot(_name(pk.name), tuple([c.name for c in pk.columns]))
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
        referred_table, referred_column = element.target_fullname.rsplit(".", 2)[-2:]
        referred_tables.append(referred_table)
        referred_columns.append(referred_column)
    return ForeignKeySnapshot(
        _name(constraint.name),
        tuple(columns),
        referred_tables[0],
        tuple(referred_columns),
        _referential_action(constraint.ondelete),
        _referential_action(constraint.onupdate),
    )


def _is_type_check(constraint: Any) -> bool:
    """CHECKs SQLAlchemy adds for ``Boolean``/``Enum(create_constraint=True)`` belong to the type."""
    return bool(getattr(constraint, "_type_bound", False))


def _column_from_sqlalchemy(column: sa.Column[Any], is_autoincrement: bool) -> ColumnSnapshot:
    # Positional arguments and skipped branches: this runs once per column of every snapshot.
    spec = type_spec(column.type)
    identity = column.identity
    computed = column.computed
    return interned_column(
        column.name,
        spec,
        bool(column.nullable),
        bool(column.primary_key),
        None
        if column.server_default is None
        else normalize_server_default(_server_default_sql(column), spec.kind),
        column.comment,
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


def _server_default_sql(column: sa.Column[Any]) -> str | None:
    import sqlalchemy as sa

    default = column.server_default
    if not isinstance(default, sa.DefaultClause):
        return None  # no default, or an Identity/Computed/FetchedValue the database owns
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
    return str(clause.compile(dialect=_string_dialect(), compile_kwargs={"literal_binds": True}))


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
    from sqlalchemy.sql.functions import FunctionElement

    return FunctionElement


@lru_cache(maxsize=1)
def _string_dialect() -> Any:
    """One compiler dialect for every clause (``compile()`` without one builds a dialect per call)."""
    from sqlalchemy.engine.default import StrCompileDialect

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
    return IndexSnapshot(_name(index.name), tuple(parts), bool(index.unique), has_expression)


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


def _referential_action(action: str | None) -> str | None:
    if action is None:
        return None
    spelled = " ".join(action.upper().split())
    return None if spelled == "NO ACTION" else spelled


def _assemble_table(
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


# -- from a live database ------------------------------------------------------------------------
def snapshot_from_database(url_or_engine: str | sa.engine.URL | sa.Engine | sa.Connection) -> Snapshot:
    """Reflect a live database (every table but ``alembic_version``) into a snapshot."""
    import sqlalchemy as sa

    from dbkit.manager import normalize_url

    owned = not isinstance(url_or_engine, sa.Engine | sa.Connection)
    engine = sa.create_engine(normalize_url(url_or_engine)) if owned else url_or_engine
    try:
        inspector = sa.inspect(engine)
        return _reflect(inspector)
    finally:
        if owned:
            engine.dispose()


def _reflect(inspector: sa.Inspector) -> Snapshot:
    dialect = inspector.dialect.name
    names = sorted(name for name in inspector.get_table_names() if name not in IGNORED_TABLES)
    if not names:
        return Snapshot(tables=(), enums=_reflected_enums(inspector), dialect=dialect)
    with warnings.catch_warnings():
        # SQLAlchemy cannot reflect SQLite expression indexes; Snapshot.as_stored_by accounts for it.
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
        multi = _MultiReflection(inspector, names)
    tables = tuple(multi.table(name) for name in names)
    return Snapshot(tables=tables, enums=_reflected_enums(inspector), dialect=dialect)


def _reflected_enums(inspector: sa.Inspector) -> tuple[EnumSnapshot, ...]:
    get_enums = getattr(inspector, "get_enums", None)
    if get_enums is None:
        return ()
    enums = [
        EnumSnapshot(item["name"], tuple(item["labels"])) for item in get_enums() if item.get("visible", True)
    ]
    return tuple(sorted(enums, key=lambda e: e.name))


class _MultiReflection:
    """Reflects every table with the Inspector's ``get_multi_*`` calls (one query per kind)."""

    def __init__(self, inspector: sa.Inspector, names: list[str]) -> None:
        self.dialect = inspector.dialect.name
        kwargs = {"filter_names": names}
        self.columns = _by_table(inspector.get_multi_columns(**kwargs))
        self.pks = _by_table(inspector.get_multi_pk_constraint(**kwargs))
        self.fks = _by_table(inspector.get_multi_foreign_keys(**kwargs))
        self.uniques = _by_table(inspector.get_multi_unique_constraints(**kwargs))
        self.checks = _by_table(inspector.get_multi_check_constraints(**kwargs))
        self.indexes = _by_table(inspector.get_multi_indexes(**kwargs))
        supports_comments = inspector.dialect.supports_comments
        self.comments = _by_table(inspector.get_multi_table_comment(**kwargs)) if supports_comments else {}

    def table(self, name: str) -> TableSnapshot:
        pk = self.pks.get(name) or {}
        pk_columns = tuple(pk.get("constrained_columns") or ())
        columns = tuple(self._column(info, pk_columns) for info in self.columns.get(name, ()))
        return _assemble_table(
            name=name,
            columns=columns,
            primary_key=PrimaryKeySnapshot(pk.get("name"), pk_columns) if pk_columns else None,
            foreign_keys=[_reflected_fk(info) for info in self.fks.get(name, ())],
            uniques=[
                UniqueSnapshot(info.get("name"), tuple(info["column_names"]))
                for info in self.uniques.get(name, ())
            ],
            checks=[
                CheckSnapshot(info.get("name"), normalize_sql(info["sqltext"]) or "")
                for info in self.checks.get(name, ())
            ],
            indexes=[
                _reflected_index(info)
                for info in self.indexes.get(name, ())
                if not info.get("duplicates_constraint")
            ],
            comment=(self.comments.get(name) or {}).get("text"),
            notes=None,
            model=None,
        )

    def _column(self, info: Mapping[str, Any], pk_columns: tuple[str, ...]) -> ColumnSnapshot:
        spec = type_spec(info["type"])
        if (
            self.dialect == SQLITE
            and spec.kind == "string"
            and spec.fixed
            and spec.length == SQLITE_UUID_CHAR_LENGTH
        ):
            spec = TypeSpec("uuid")  # how SQLite stores dbkit's Uuid (see dbkit.migrate.schema)
        identity = info.get("identity")
        computed = info.get("computed")
        default = info.get("default")
        sole_integer_pk = pk_columns == (info["name"],) and spec.kind in (
            "integer",
            "big_integer",
            "small_integer",
        )
        autoincrement = sole_integer_pk and not identity and self._numbers_itself(info, spec.kind)
        if autoincrement and default and default.startswith("nextval("):
            default = None  # the sequence is how autoincrement is implemented, not a default
        return ColumnSnapshot(
            name=info["name"],
            type=spec,
            nullable=bool(info["nullable"]),
            primary_key=info["name"] in pk_columns,
            server_default=normalize_server_default(default, spec.kind) if not computed else None,
            comment=info.get("comment"),
            identity=IdentitySnapshot(
                bool(identity.get("always")), identity.get("start") or 1, identity.get("increment") or 1
            )
            if identity
            else None,
            computed=ComputedSnapshot(normalize_sql(computed["sqltext"]) or "", computed.get("persisted"))
            if computed
            else None,
            autoincrement=autoincrement,
        )

    def _numbers_itself(self, info: Mapping[str, Any], kind: str) -> bool:
        if self.dialect == SQLITE:
            return kind == "integer"  # INTEGER PRIMARY KEY is the rowid
        return bool(info.get("autoincrement"))


def _by_table(result: Mapping[tuple[str | None, str], Any]) -> dict[str, Any]:
    return {table: value for (_schema, table), value in result.items()}


def _reflected_fk(info: Mapping[str, Any]) -> ForeignKeySnapshot:
    options = info.get("options") or {}
    return ForeignKeySnapshot(
        name=info.get("name"),
        columns=tuple(info["constrained_columns"]),
        referred_table=info["referred_table"],
        referred_columns=tuple(info["referred_columns"]),
        ondelete=_referential_action(options.get("ondelete")),
        onupdate=_referential_action(options.get("onupdate")),
    )


def _reflected_index(info: Mapping[str, Any]) -> IndexSnapshot:
    expressions = info.get("expressions") or [None] * len(info["column_names"])
    parts = [
        column if column is not None else normalize_sql(expression) or ""
        for column, expression in zip(info["column_names"], expressions, strict=True)
    ]
    has_expression = any(column is None for column in info["column_names"])
    return IndexSnapshot(info.get("name"), tuple(parts), bool(info.get("unique")), has_expression)


# -- JSON --------------------------------------------------------------------------------------------
def dump_snapshot(snapshot: Snapshot) -> str:
    """Deterministic JSON: sorted keys and tables, two-space indent, a final newline."""
    return json.dumps(snapshot.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_snapshot(snapshot: Snapshot, path: str | Path) -> Path:
    target = Path(path)
    target.write_text(dump_snapshot(snapshot), encoding="utf-8")
    return target


def load_snapshot(path_or_text: str | Path) -> Snapshot:
    """Read a snapshot from a file path or from JSON text; refuse anything this dbkit cannot trust.

    Refused with :class:`SnapshotError` naming the source: a missing file, invalid or truncated
    JSON, a document that is not a snapshot, an unknown or newer ``format_version``.
    """
    source, text = _read_source(path_or_text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{source} is not valid JSON (truncated or corrupted?): {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}. Write it again with `dbkit snapshot SOURCE --out FILE.json`."
        ) from None
    _check_format_version(source, data)
    try:
        return Snapshot.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(
            f"{source} does not follow the dbkit snapshot format {FORMAT_VERSION} "
            f"({type(exc).__name__}: {exc}); see {SNAPSHOT_SCHEMA_PATH.name}."
        ) from None


def _read_source(path_or_text: str | Path) -> tuple[str, str]:
    if isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{"):
        return "snapshot text", path_or_text
    path = Path(path_or_text)
    try:
        return f"snapshot file {path}", path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(f"Cannot read snapshot file {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise SnapshotError(f"Snapshot file {path} is not UTF-8 text; is it really a snapshot?") from None


def _check_format_version(source: str, data: Any) -> None:
    if not isinstance(data, dict) or "format_version" not in data:
        raise SnapshotError(f"{source} is not a dbkit snapshot: it has no format_version.")
    version = data["format_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SnapshotError(
            f"{source} has an unknown format_version {version!r}; this dbkit reads 1..{FORMAT_VERSION}."
        )
    if version > FORMAT_VERSION:
        raise SnapshotError(
            f"{source} uses snapshot format {version}, newer than this dbkit understands "
            f"(up to {FORMAT_VERSION}). Upgrade dbkit to read it."
        )


__all__ = [
    "IGNORED_TABLES",
    "SNAPSHOT_SCHEMA_PATH",
    "SnapshotError",
    "dump_snapshot",
    "load_snapshot",
    "snapshot_from_database",
    "snapshot_from_metadata",
    "write_snapshot",
]
