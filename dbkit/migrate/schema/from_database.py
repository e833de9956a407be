"""Snapshots of a live database, reflected with SQLAlchemy's Inspector (``alembic_version`` ignored)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from dbkit.errors import working_on
from dbkit.manager import normalize_url
from dbkit.migrate.schema.from_models import assemble_table, options_of, referential_action
from dbkit.migrate.schema.snapshot import (
    IGNORED_TABLES,
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
    normalize_server_default,
    normalize_sql,
    type_spec,
)


# -- from a live database ------------------------------------------------------------------------
def snapshot_from_database(url_or_engine: str | sa.engine.URL | sa.Engine | sa.Connection) -> Snapshot:
    """Reflect a live database (every table but ``alembic_version``) into a snapshot."""

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
        with working_on(table=name):
            pk = self.pks.get(name) or {}
            pk_columns = tuple(pk.get("constrained_columns") or ())
            columns = tuple(self._column(info, pk_columns) for info in self.columns.get(name, ()))
            return assemble_table(
                name=name,
                columns=columns,
                primary_key=PrimaryKeySnapshot(
                    pk.get("name"), pk_columns, options_of(pk.get("dialect_options") or {})
                )
                if pk_columns
                else None,
                foreign_keys=[_reflected_fk(info) for info in self.fks.get(name, ())],
                uniques=[
                    UniqueSnapshot(
                        info.get("name"),
                        tuple(info["column_names"]),
                        options_of(info.get("dialect_options") or {}),
                    )
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
        with working_on(column=info.get("name")):
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
        ondelete=referential_action(options.get("ondelete")),
        onupdate=referential_action(options.get("onupdate")),
    )


def _reflected_index(info: Mapping[str, Any]) -> IndexSnapshot:
    expressions = info.get("expressions") or [None] * len(info["column_names"])
    parts = [
        column if column is not None else normalize_sql(expression) or ""
        for column, expression in zip(info["column_names"], expressions, strict=True)
    ]
    has_expression = any(column is None for column in info["column_names"])
    return IndexSnapshot(
        info.get("name"),
        tuple(parts),
        bool(info.get("unique")),
        has_expression,
        options_of(info.get("dialect_options") or {}),
    )
