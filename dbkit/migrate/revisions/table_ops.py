"""Operations over whole tables: created in dependency order, the baseline, NOT NULL backfills, one batch per table."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.sql.ddl import sort_tables_and_constraints

from dbkit.migrate.revisions.custom_ops import DropEnumTypeIfUnusedOp
from dbkit.migrate.revisions.history import RevisionError, SnapshotText
from dbkit.migrate.revisions.reasons import ReasonComment, with_reason
from dbkit.migrate.schema.documents import load_snapshot
from dbkit.migrate.schema.snapshot import Snapshot, TableSnapshot
from dbkit.migrate.schema.to_metadata import metadata_from_snapshot

_TABLE_LEVEL_OPS = (
    ops.AddColumnOp,
    ops.DropColumnOp,
    ops.AlterColumnOp,
    ops.CreateIndexOp,
    ops.DropIndexOp,
    ops.AddConstraintOp,
    ops.DropConstraintOp,
    ops.CreateTableCommentOp,
    ops.DropTableCommentOp,
)


# -- building operations ---------------------------------------------------------------------------
_STRING_LITERAL = re.compile(r"'((?:[^']|'')*)'")


def temporary_server_default(value: str) -> str | sa.schema.DefaultClause:
    """The server default that fills existing rows with ``value`` (SQL).

    A quoted string literal becomes the plain string it denotes: SQLAlchemy quotes it again, and
    SQLite adds such a column in place, where Alembic's batch mode copies the whole table for an
    expression default. Anything else stays SQL, wrapped in a ``DefaultClause`` (Alembic renders a
    bare ``text()`` in a reversed operation as its raw SQL: ``server_default=7``). A plain string is
    never re-quoted by hand: Alembic strips only its outer quotes, and ``'it''s'`` would fill ``it''s``.
    """
    literal = _STRING_LITERAL.fullmatch(value.strip())
    if literal is not None:
        text = literal.group(1).replace("''", "'")
        if not text.startswith("'") and not text.endswith("'"):  # Alembic's renderer strips those
            return text
    return sa.schema.DefaultClause(sa.text(value))


def not_null_backfill_ops(
    table_name: str, column: sa.Column[Any], value: str, *, reason: str | None = None
) -> list[ops.MigrateOperation]:
    """Add a NOT NULL column to a populated table: add it with ``value`` (SQL, e.g. ``'free'``) as a
    temporary server default (filling existing rows), then drop that default so the result matches
    the models.

    The two steps are separate ``ModifyTableOps``: in one SQLite batch block the table would be
    recreated straight to the final shape, and copying the old rows would hit NOT NULL.
    """

    if column.server_default is not None:
        return [ops.ModifyTableOps(table_name, [with_reason(ops.AddColumnOp(table_name, column), reason)])]
    filled = sa.Column(
        column.name,
        column.type,
        nullable=False,
        server_default=temporary_server_default(value),
        comment=column.comment,
    )
    temporary_default = f"temporary default {value!r} filled existing rows" + (
        f" ({reason})" if reason else ""
    )
    drop_default = ops.AlterColumnOp(
        table_name,
        column.name,
        existing_type=column.type,
        existing_nullable=False,
        existing_server_default=temporary_server_default(value),
        modify_server_default=None,
    )
    return [
        ops.ModifyTableOps(table_name, [with_reason(ops.AddColumnOp(table_name, filled), reason)]),
        ops.ModifyTableOps(table_name, [with_reason(drop_default, temporary_default)]),
    ]


def baseline_ops(snapshot: SnapshotText, *, reason: str = "baseline") -> ops.UpgradeOps:
    """Create-table (and index) operations for a whole schema, in dependency order."""

    if snapshot is None:
        return ops.UpgradeOps(ops=[])
    text = snapshot if isinstance(snapshot, str) else json.dumps(snapshot)
    described = load_snapshot(text)
    metadata = metadata_from_snapshot(described)
    baseline: list[ops.MigrateOperation] = []
    tables, deferred = creation_order(metadata.tables.values())
    for table in tables:
        baseline.append(with_reason(create_table_op(table, deferred), f"{reason}: table {table.name}"))
        baseline.extend(skipped_index_comments(described.table_map[table.name]))
        baseline.extend(skipped_foreign_key_comments(described, table.name))
        for index in sorted(table.indexes, key=lambda item: str(item.name)):
            baseline.append(with_reason(ops.CreateIndexOp.from_index(index), f"{reason}: index {index.name}"))
    for foreign_key in sorted(deferred, key=lambda fk: (fk.table.name, str(fk.name))):
        baseline.append(
            with_reason(
                ops.AddConstraintOp.from_constraint(foreign_key), f"{reason}: closes a reference cycle"
            )
        )
    return ops.UpgradeOps(ops=baseline)


def skipped_index_comments(table: TableSnapshot) -> list[ReasonComment]:
    """A comment for each index of ``table`` with no columns: no ``CREATE INDEX`` can build one, so the
    revision leaves it out and says so (the diff never compares such an index either)."""
    return [
        ReasonComment(
            f"index {index.name!r} on table {table.name!r} has no columns: not created (an index needs at "
            "least one column or expression); give it columns in the model to create it"
        )
        for index in table.indexes
        if not index.columns
    ]


def skipped_foreign_key_comments(snapshot: Snapshot, table: str) -> list[ReasonComment]:
    """A comment for each foreign key of ``table`` that no database can hold (the referred columns
    are not unique): the revision leaves it out and says so, and the diff never compares it."""
    return [
        ReasonComment(
            f"foreign key {table}({', '.join(key.columns)}) -> {key.referred_table}"
            f"({', '.join(key.referred_columns)}) not created: the referred columns are neither the "
            f"primary key nor unique, so no database accepts it; make {key.referred_table}"
            f"({', '.join(key.referred_columns)}) unique in the model to create it"
        )
        for owner, key in snapshot.unbuildable_foreign_keys()
        if owner.name == table
    ]


def creation_order(tables: Iterable[sa.Table]) -> tuple[list[sa.Table], set[sa.ForeignKeyConstraint]]:
    """``tables`` in foreign-key order, and the foreign keys that close a cycle among them (self-references
    aside): whichever table comes first, such a key would point at a table that does not exist yet, so it
    is added once every table does (SQLAlchemy's own ``create_all`` rule)."""

    ordered = sort_tables_and_constraints(list(tables))
    deferred = {fk for table, fks in ordered if table is None for fk in fks}
    for foreign_key in deferred:
        if foreign_key.name is None:  # a separate ADD/DROP CONSTRAINT needs a name (batch mode too)
            foreign_key.name = postgresql_default_fk_name(
                foreign_key.table.name, [column.name for column in foreign_key.columns]
            )
    return [table for table, _fks in ordered if table is not None], deferred


def postgresql_default_fk_name(table: str, columns: list[str]) -> str:
    """The name PostgreSQL gives an unnamed foreign key (``<table>_<cols>_fkey``, cut to 63 bytes as its
    ``makeObjectName`` cuts): the database ends up as ``create_all`` would leave it, and the key can
    be dropped by name. The model's key stays unnamed, so ``check`` never compares this name."""
    name1, name2, label = table, "_".join(columns), "fkey"
    available = 63 - (len(label) + 1) - (1 if name2 else 0)
    keep1, keep2 = len(name1), len(name2)
    while keep1 + keep2 > available:
        if keep1 > keep2:
            keep1 -= 1
        else:
            keep2 -= 1
    return f"{name1[:keep1]}_{name2[:keep2]}_{label}" if name2 else f"{name1[:keep1]}_{label}"


def create_table_op(table: sa.Table, deferred: Iterable[sa.ForeignKeyConstraint] = ()) -> ops.CreateTableOp:
    """``CreateTableOp.from_table`` without the ``deferred`` foreign keys (added once every table exists)."""
    left_out = set(deferred)
    return ops.CreateTableOp(
        table.name,
        [*table.c, *(constraint for constraint in table.constraints if constraint not in left_out)],
        schema=table.schema,
        _namespace_metadata=table.metadata,
        _constraints_included=True,
        comment=table.comment,
        info=dict(table.info),
        prefixes=list(table._prefixes),
        **table.kwargs,
    )


def group_per_table(operations: Iterable[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
    """Consecutive loose operations on one table gathered into ``ModifyTableOps`` (one batch block each).

    Only consecutive runs merge, so operations never move past another table's (foreign keys
    may depend on that order); ``ModifyTableOps`` given by the caller stay as they are (a step
    that must see the previous one committed, e.g. a backfill, comes as its own block).
    """
    grouped: list[ops.MigrateOperation] = []
    created: set[int] = set()
    for operation in operations:
        if not isinstance(operation, _TABLE_LEVEL_OPS):
            grouped.append(operation)
            continue
        table_name, schema = _table_of(operation)
        previous = grouped[-1] if grouped else None
        if (
            isinstance(previous, ops.ModifyTableOps)
            and id(previous) in created
            and (previous.table_name, previous.schema) == (table_name, schema)
        ):
            previous.ops.append(operation)
        else:
            group = ops.ModifyTableOps(table_name, [operation], schema=schema)
            created.add(id(group))
            grouped.append(group)
    return grouped


def _table_of(operation: ops.MigrateOperation) -> tuple[str, str | None]:
    # CreateForeignKeyOp (what AddConstraintOp.from_constraint gives for a foreign key) says source_table
    table_name = getattr(operation, "table_name", None) or getattr(operation, "source_table", None)
    if table_name is None:  # index / constraint operations built from objects
        raise RevisionError(f"{type(operation).__name__} names no table; build it with its table name.")
    return table_name, getattr(operation, "schema", None)


def _with_enum_type_cleanup(container: ops.OpContainer) -> ops.OpContainer:
    """After each dropped table, drop its PostgreSQL enum types once unused (Alembic leaves them)."""

    cleaned: list[ops.MigrateOperation] = []
    for operation in container.ops:
        cleaned.append(operation)
        if isinstance(operation, ops.DropTableOp) and operation._reverse is not None:
            table = operation.to_table()
            for column in table.columns:
                if isinstance(column.type, sa.Enum) and column.type.native_enum and column.type.name:
                    cleaned.append(DropEnumTypeIfUnusedOp(column.type.name, schema=column.type.schema))
    return type(container)(ops=cleaned)
