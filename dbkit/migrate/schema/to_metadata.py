"""A snapshot back to SQLAlchemy ``MetaData``: what operations and Alembic's comparison need."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import conv

from dbkit.errors import working_on
from dbkit.migrate.schema.documents import load_snapshot
from dbkit.migrate.schema.snapshot import Snapshot, option_values


def metadata_from_snapshot(snapshot: Any) -> sa.MetaData:
    """The SQLAlchemy tables a snapshot describes (JSON text, a dict, or a ``Snapshot``).

    Foreign keys to columns that are neither a primary key nor unique are left out: no database
    can create them (:meth:`Snapshot.unbuildable_foreign_keys`).

    Constraint names are kept as recorded (``conv``: no naming convention re-applies), so the
    DDL these tables produce names constraints exactly as the snapshot does.
    """

    if isinstance(snapshot, dict):
        snapshot = Snapshot.from_dict(snapshot)
    elif not isinstance(snapshot, Snapshot):
        snapshot = load_snapshot(str(snapshot))
    metadata = sa.MetaData()
    # a key no database can hold is left out (revisions say so in a comment; diffs skip it too)
    for table in snapshot.without_unbuildable_foreign_keys().tables:
        with working_on(table=table.name):
            _table_from_snapshot(table, metadata)
    return metadata


def _table_from_snapshot(table: Any, metadata: sa.MetaData) -> sa.Table:

    items: list[Any] = [_column_from_snapshot(column) for column in table.columns]
    if table.primary_key:
        pk = table.primary_key
        items.append(
            sa.PrimaryKeyConstraint(*pk.columns, name=_conv(pk.name), **_options(pk.dialect_options))
        )
    for fk in table.foreign_keys:
        items.append(
            sa.ForeignKeyConstraint(
                list(fk.columns),
                [f"{fk.referred_table}.{column}" for column in fk.referred_columns],
                name=_conv(fk.name),
                ondelete=fk.ondelete,
                onupdate=fk.onupdate,
            )
        )
    items.extend(
        sa.UniqueConstraint(*u.columns, name=_conv(u.name), **_options(u.dialect_options))
        for u in table.unique_constraints
    )
    items.extend(sa.CheckConstraint(c.sqltext, name=_conv(c.name)) for c in table.check_constraints)
    built = sa.Table(table.name, metadata, *items, comment=table.comment)
    for index in table.indexes:
        if not index.columns:
            continue  # no database can create it: revisions skip it with a comment
        parts = [
            sa.text(part) if index.expressions and part not in built.c else built.c[part]
            for part in index.columns
        ]
        # An index of expressions only (prefect's ``coalesce(a, b)``) names no column that would
        # attach it to the table: attach it explicitly, or it is lost.
        attach = {} if any(isinstance(part, sa.Column) for part in parts) else {"_table": built}
        sa.Index(_conv(index.name), *parts, unique=index.unique, **attach, **_options(index.dialect_options))
    return built


def _column_from_snapshot(column: Any) -> sa.Column[Any]:

    with working_on(column=column.name):
        extras: list[Any] = []
        if column.identity is not None:
            identity = column.identity
            extras.append(
                sa.Identity(always=identity.always, start=identity.start, increment=identity.increment)
            )
        if column.computed is not None:
            extras.append(sa.Computed(column.computed.sqltext, persisted=column.computed.persisted))
        default = column.server_default
        return sa.Column(
            column.name,
            column.type.to_sqlalchemy(),
            *extras,
            nullable=column.nullable,
            server_default=sa.text(default) if default is not None else None,
            comment=column.comment,
            autoincrement=_autoincrement(column),
        )


def _autoincrement(column: Any) -> bool | str:
    """A primary key's recorded ``autoincrement``; ``"auto"`` for other columns and for a column the
    database fills itself (``Identity``, ``Computed``), which SQLAlchemy refuses to mark ``False``
    (the snapshot records ``False`` there: the generator, not autoincrement, numbers it)."""
    if not column.primary_key or column.identity is not None or column.computed is not None:
        return "auto"
    return bool(column.autoincrement)


def _options(options: Any) -> dict[str, Any]:
    """Recorded dialect keyword arguments back as keywords; SQL (``*_where``) as ``sa.text``, so a
    revision renders ``postgresql_where=sa.text('...')``."""
    return {
        key: sa.text(value) if key.endswith("_where") and isinstance(value, str) else value
        for key, value in option_values(options).items()
    }


def _conv(name: str | None) -> Any:

    return conv(name) if name else None
