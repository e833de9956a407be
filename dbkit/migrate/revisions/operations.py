"""Changes → Alembic operation objects, each carrying the change that caused it.

Objects are built from SQLAlchemy tables of the old and new snapshots (``from_table``,
``from_column``, ``from_constraint``, ``from_index``), so Alembic can reverse every one of them:
the downgrade is the reversed upgrade, renames included (see :mod:`dbkit.migrate.renderers`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.dialects import postgresql

from dbkit.errors import DbkitError, working_on
from dbkit.migrate.diff.changes import (
    Added,
    AddIndex,
    AlterColumn,
    AlterTableComment,
    Change,
    DropColumn,
    DropIndex,
    Dropped,
    EnumValueChange,
    Op,
    RenameColumn,
    RenameConstraint,
    Renamed,
)
from dbkit.migrate.diff.lint import BackfillPlan
from dbkit.migrate.diff.risk import needs_backfill
from dbkit.migrate.revisions.custom_ops import (
    DISTINCT_PLACEHOLDER_KINDS,
    AddEnumValueOp,
    DropEnumTypeIfUnusedOp,
    DropEnumValueOp,
    EnsureEnumTypeOp,
    FillDistinctPlaceholdersOp,
    RenameConstraintsOp,
)
from dbkit.migrate.revisions.online import BackfillColumnOp
from dbkit.migrate.revisions.reasons import ReasonComment, with_reason
from dbkit.migrate.revisions.reversal import RenameTable, rename_column, reverse_operation
from dbkit.migrate.revisions.table_ops import (
    create_table_op,
    creation_order,
    not_null_backfill_ops,
    skipped_foreign_key_comments,
    skipped_index_comments,
)
from dbkit.migrate.schema.snapshot import ColumnSnapshot, IndexSnapshot, Snapshot
from dbkit.migrate.schema.to_metadata import metadata_from_snapshot


class UnsupportedChangeError(DbkitError):
    """A change no Alembic operation expresses (write that step of the revision by hand)."""


def describe(change: Change) -> str:
    """One line saying which change caused an operation (rendered as a comment above it)."""
    return f"{change.op} {change.target} [{change.risk}]"


class OperationBuilder:
    """Turns one diff into operations; one small method per kind of change."""

    def __init__(self, old: Snapshot, new: Snapshot, plans: Sequence[BackfillPlan] = ()) -> None:
        self.new = new
        self.old_tables = metadata_from_snapshot(old).tables
        self.new_tables = metadata_from_snapshot(new).tables
        self.plans = {(plan.table, plan.column): plan for plan in plans}
        #: Foreign keys among the new tables that close a cycle (set by :meth:`build`).
        self.cycle_keys: set[sa.ForeignKeyConstraint] = set()
        self._dispatch: dict[Op, Callable[[Change], list[ops.MigrateOperation]]] = {
            Op.ADD_TABLE: self.add_table,
            Op.DROP_TABLE: self.drop_table,
            Op.RENAME_TABLE: self.rename_table,
            Op.ADD_COLUMN: self.add_column,
            Op.DROP_COLUMN: self.drop_column,
            Op.RENAME_COLUMN: self.rename_column,
            Op.ALTER_COLUMN: self.alter_column,
            Op.ALTER_PRIMARY_KEY: self.alter_primary_key,
            Op.ADD_INDEX: self.add_index,
            Op.DROP_INDEX: self.drop_index,
            Op.ADD_UNIQUE: self.add_constraint,
            Op.ADD_CHECK: self.add_constraint,
            Op.ADD_FOREIGN_KEY: self.add_constraint,
            Op.DROP_UNIQUE: self.drop_constraint,
            Op.DROP_CHECK: self.drop_constraint,
            Op.DROP_FOREIGN_KEY: self.drop_constraint,
            Op.ADD_ENUM_VALUE: self.enum_value,
            Op.DROP_ENUM_VALUE: self.enum_value,
            Op.ALTER_TABLE_COMMENT: self.table_comment,
        }

    def build(self, changes: Sequence[Change]) -> ops.UpgradeOps:
        created = [self.new_tables[c.table] for c in changes if c.op == Op.ADD_TABLE]
        self.cycle_keys = creation_order(created)[1]
        operations: list[ops.MigrateOperation] = []
        for group in _renames_of_one_table_together(changes):
            if group[0].op == Op.RENAME_CONSTRAINT:
                operations.append(self.rename_constraints(group))
                continue
            change = group[0]
            with working_on(table=change.table, column=change.column):
                for operation in self._dispatch[Op(change.op)](change):
                    if isinstance(operation, ops.ModifyTableOps):
                        for child in operation.ops:
                            if not child.info.get("dbkit_reason"):
                                with_reason(child, describe(change))
                    elif not operation.info.get("dbkit_reason"):
                        with_reason(operation, describe(change))
                    operations.append(operation)
        operations.extend(self.close_cycles(changes))
        return ops.UpgradeOps(ops=operations)

    def close_cycles(self, changes: Sequence[Change]) -> list[ops.MigrateOperation]:
        """Foreign keys between new tables that reference each other, added once both exist."""
        adds = {c.table: c for c in changes if c.op == Op.ADD_TABLE}
        return [
            with_reason(
                ops.AddConstraintOp.from_constraint(fk), f"{describe(adds[fk.table.name])}: closes a cycle"
            )
            for fk in sorted(self.cycle_keys, key=lambda fk: (fk.table.name, str(fk.name)))
        ]

    # -- tables ---------------------------------------------------------------------------------
    def add_table(self, change: Change) -> list[ops.MigrateOperation]:
        table = self.new_tables[change.table]
        types = _enum_types_created_apart(table.columns)
        return [
            *(EnsureEnumTypeOp(name, values=values) for name, values in types),
            create_table_op(table, self.cycle_keys),
            *(ops.CreateIndexOp.from_index(i) for i in _indexes(table)),
            *skipped_index_comments(change.definition),
            *skipped_foreign_key_comments(self.new, change.table),
        ]

    def drop_table(self, change: Change) -> list[ops.MigrateOperation]:
        table = self.old_tables[change.table]
        types = _enum_types_created_apart(table.columns)
        return [
            *(ops.DropIndexOp.from_index(i) for i in _indexes(table)),
            ops.DropTableOp.from_table(table),
            *(DropEnumTypeIfUnusedOp(name, values=values) for name, values in types),
        ]

    def rename_table(self, change: Renamed) -> list[ops.MigrateOperation]:
        return [RenameTable(change.old, change.new)]

    def rename_constraints(self, changes: Sequence[RenameConstraint]) -> ops.MigrateOperation:
        """One operation for a table's renamed names: SQLite rebuilds the table once for all of them."""
        renames = [
            {
                "kind": change.kind,
                "old": change.old,
                "new": change.new,
                **{key: value for key, value in change.definition_fields().items() if value is not None},
            }
            for change in changes
        ]
        operation = RenameConstraintsOp(changes[0].table or "", renames)
        names = ", ".join(f"{change.old} → {change.new}" for change in changes)
        return with_reason(
            operation, f"{Op.RENAME_CONSTRAINT} {changes[0].table}: {names} [{changes[0].risk}]"
        )

    def table_comment(self, change: AlterTableComment) -> list[ops.MigrateOperation]:
        old, new = change.old, change.new
        if new is None:
            return [ops.DropTableCommentOp(change.table, existing_comment=old)]
        return [ops.CreateTableCommentOp(change.table, new, existing_comment=old)]

    # -- columns --------------------------------------------------------------------------------
    def add_column(self, change: Change) -> list[ops.MigrateOperation]:
        column = _copy_column(self.new_tables[change.table].c[change.column])
        ensure = [
            EnsureEnumTypeOp(name, values=values) for name, values in _enum_types_created_apart([column])
        ]
        plan = self.plans.get((change.table, change.column))
        if plan is not None and plan.strategy == "nullable_then_backfill":
            return [*ensure, *self.add_then_backfill(change, column, str(plan.value))]
        if plan is not None and plan.strategy == "temporary_default":
            return [
                *ensure,
                *not_null_backfill_ops(change.table, column, str(plan.value), reason=describe(change)),
            ]
        return [*ensure, ops.AddColumnOp(change.table, column)]

    def add_then_backfill(
        self, change: Change, column: sa.Column[Any], value: str
    ) -> list[ops.MigrateOperation]:
        """A NOT NULL column whose value is an expression (no default can hold it): added nullable,
        filled (in primary-key batches in an online revision), then made NOT NULL. Each step is its
        own batch block: SQLite must see the column filled before rebuilding the table NOT NULL."""
        nullable = column._copy()
        nullable.nullable = True
        set_not_null = ops.AlterColumnOp(
            change.table,
            column.name,
            existing_type=column.type,
            existing_nullable=True,
            existing_server_default=_default_text(column),
            existing_comment=column.comment,
            modify_nullable=False,
        )
        reason = describe(change)
        return [
            ops.ModifyTableOps(change.table, [with_reason(ops.AddColumnOp(change.table, nullable), reason)]),
            with_reason(
                self.backfill(change.table, column.name, value), f"{reason}: existing rows get {value}"
            ),
            ops.ModifyTableOps(change.table, [with_reason(set_not_null, reason)]),
        ]

    def backfill(self, table: str, column: str, value: str) -> BackfillColumnOp:
        keys = [c.name for c in self.new_tables[table].primary_key.columns]
        if not keys:
            raise UnsupportedChangeError(
                f"{table}.{column}: filling existing rows needs the table's primary key; give {table} one, "
                "or give the column a server default instead of a backfill expression."
            )
        return BackfillColumnOp(table, column, value, key_columns=keys)

    def drop_column(self, change: DropColumn) -> list[ops.MigrateOperation]:
        column = _copy_column(self.old_tables[change.table].c[change.column])
        drop_types = [DropEnumTypeIfUnusedOp(n, values=v) for n, v in _enum_types_created_apart([column])]
        restore = self.restore_column(change, column)
        if restore is None:
            return [ops.DropColumnOp.from_column_and_tablename(None, change.table, column), *drop_types]
        return [*(reverse_operation(operation) for operation in reversed(restore)), *drop_types]

    def restore_column(self, change: DropColumn, column: sa.Column[Any]) -> list[ops.MigrateOperation] | None:
        """How the downgrade re-adds a dropped column to a populated table (``None``: plain add).

        The dropped values are gone. A NOT NULL column is filled with a placeholder through a
        temporary default; a column with a server default is filled with that default by the
        database. Either way every row holds the same value, which a unique constraint or index
        re-added next would refuse: those rows get numbered placeholders, or stay NULL if they may.
        """
        unique = self.covered_by_unique(change.table, column.name)
        if needs_backfill(change.definition):
            placeholder = restore_placeholder(change.definition)
            if placeholder is None:
                return None
            restore = not_null_backfill_ops(
                change.table,
                column,
                placeholder,
                reason=f"{describe(change)}; the downgrade restores placeholders",
            )
            return [restore[0], self.distinct_fill(change, column), *restore[1:]] if unique else restore
        if not unique or column.server_default is None:
            return None
        if column.nullable:
            # Rows stay NULL (distinct to a unique constraint); the default applies to new rows.
            return _add_then_set_default(change.table, column, reason=describe(change))
        added = ops.ModifyTableOps(change.table, [ops.AddColumnOp(change.table, column)])
        return [added, self.distinct_fill(change, column)]

    def covered_by_unique(self, table_name: str, column_name: str) -> bool:
        table = self.old_tables[table_name]
        return any(
            column_name in [c.name for c in item.columns]
            for item in [*table.constraints, *table.indexes]
            if isinstance(item, sa.UniqueConstraint) or (isinstance(item, sa.Index) and item.unique)
        )

    def distinct_fill(self, change: DropColumn, column: sa.Column[Any]) -> ops.MigrateOperation:
        """Numbered placeholders for a re-added column a unique constraint or index covers."""
        table = self.old_tables[change.table]
        keys = [c.name for c in table.primary_key.columns if c.name != column.name]
        kind = change.definition.type.kind
        if not keys or kind not in DISTINCT_PLACEHOLDER_KINDS:
            return ReasonComment(
                f"{change.target} is unique but its {kind} placeholders cannot be numbered: re-adding its "
                "unique constraint in the downgrade fails once the table has two rows; fill them by hand"
            )
        return with_reason(
            FillDistinctPlaceholdersOp(change.table, column.name, key_columns=keys, kind=kind),
            f"{change.target} is unique: each row gets its own placeholder",
        )

    def rename_column(self, change: RenameColumn) -> list[ops.MigrateOperation]:
        column = self.new_tables[change.table].c[change.new]
        return [
            rename_column(
                change.table,
                change.old,
                change.new,
                existing_type=column.type,
                existing_nullable=column.nullable,
                existing_server_default=_default_text(column),
                existing_comment=column.comment,
            )
        ]

    def alter_column(self, change: AlterColumn) -> list[ops.MigrateOperation]:
        unsupported = [name for name in ("computed", "identity") if getattr(change, name) is not None]
        if unsupported:
            raise UnsupportedChangeError(
                f"{change.target}: changing a column's {' and '.join(unsupported)} has no Alembic operation. "
                "Write that step by hand (dbkit writes the rest), or drop and re-add the column."
            )
        old = self.old_tables[change.table].c[change.column]
        new = self.new_tables[change.table].c[change.column]
        kwargs: dict[str, Any] = {
            "existing_type": old.type,
            "existing_nullable": old.nullable,
            "existing_server_default": _default_text(old),
            "existing_comment": old.comment,
        }
        if change.type is not None:
            kwargs["modify_type"] = new.type
        if change.nullable is not None:
            kwargs["modify_nullable"] = new.nullable
        if change.server_default is not None:
            kwargs["modify_server_default"] = _default_text(new)
        if change.comment is not None:
            kwargs["modify_comment"] = new.comment
        plan = self.plans.get((change.table, change.column))
        if plan is not None and plan.strategy == "fill_nulls" and kwargs.get("modify_nullable") is False:
            fill = self.backfill(change.table, change.column, str(plan.value))
            return [
                with_reason(fill, f"{describe(change)}: NULLs become {plan.value}"),
                ops.AlterColumnOp(change.table, change.column, **kwargs),
            ]
        return [ops.AlterColumnOp(change.table, change.column, **kwargs)]

    def alter_primary_key(self, change: Change) -> list[ops.MigrateOperation]:
        operations: list[ops.MigrateOperation] = []
        old_pk = self.old_tables[change.table].primary_key
        new_pk = self.new_tables[change.table].primary_key
        if old_pk.columns:
            operations.append(ops.DropConstraintOp.from_constraint(old_pk))
        if new_pk.columns:
            operations.append(ops.AddConstraintOp.from_constraint(new_pk))
        return operations

    # -- constraints and indexes --------------------------------------------------------------
    def add_index(self, change: AddIndex) -> list[ops.MigrateOperation]:
        return [ops.CreateIndexOp.from_index(_find_index(self.new_tables[change.table], change.definition))]

    def drop_index(self, change: DropIndex) -> list[ops.MigrateOperation]:
        return [ops.DropIndexOp.from_index(_find_index(self.old_tables[change.table], change.definition))]

    def add_constraint(self, change: Added[Any]) -> list[ops.MigrateOperation]:
        constraint = _find_constraint(self.new_tables[change.table], change)
        return [ops.AddConstraintOp.from_constraint(constraint)]

    def drop_constraint(self, change: Dropped[Any]) -> list[ops.MigrateOperation]:
        constraint = _find_constraint(self.old_tables[change.table], change)
        return [ops.DropConstraintOp.from_constraint(constraint)]

    # -- enums ----------------------------------------------------------------------------------
    def enum_value(self, change: EnumValueChange) -> list[ops.MigrateOperation]:
        if change.table is not None:  # a non-native enum: a VARCHAR whose length may change
            old = self.old_tables[change.table].c[change.column]
            new = self.new_tables[change.table].c[change.column]
            return [
                ops.AlterColumnOp(
                    change.table,
                    change.column,
                    existing_type=old.type,
                    existing_nullable=old.nullable,
                    modify_type=new.type,
                )
            ]
        columns = [tuple(name.split(".", 1)) for name in change.columns]
        operation = AddEnumValueOp if change.op == Op.ADD_ENUM_VALUE else DropEnumValueOp
        length = self._explicit_enum_length(columns, (*change.old, *change.new))
        return [
            operation(change.enum, change.value, values=list(change.members), columns=columns, length=length)
        ]

    def _explicit_enum_length(self, columns: Sequence[tuple[str, ...]], members: Sequence[str]) -> int | None:
        """An ``Enum(length=...)`` longer than any member of either version (where the enum is a
        ``VARCHAR``, the columns keep it); ``None`` when the length is just the longest member's."""
        longest = max((len(member) for member in members), default=0)
        for tables in (self.new_tables, self.old_tables):
            for table, column in columns:
                if table in tables and column in tables[table].c:
                    length = getattr(tables[table].c[column].type, "length", None)
                    return length if length and length > longest else None
        return None


_CONSTRAINT_CLASSES: Mapping[str, type] = {
    "unique": sa.UniqueConstraint,
    "check": sa.CheckConstraint,
    "foreign_key": sa.ForeignKeyConstraint,
}


#: A value of each type kind that both backends accept as a server default (text, as DefaultClause takes it).
_PLACEHOLDERS: Mapping[str, str] = {
    "string": "",
    "text": "",
    "integer": "0",
    "big_integer": "0",
    "small_integer": "0",
    "numeric": "0",
    "float": "0",
    "boolean": "0",
    "date": "1970-01-01",
    "datetime": "1970-01-01 00:00:00",
    "time": "00:00:00",
    "uuid": "00000000000000000000000000000000",
    "json": "null",
    "jsonb": "null",
}


def restore_placeholder(column: ColumnSnapshot) -> str | None:
    """What a downgrade puts in a dropped NOT NULL column it re-adds, as an SQL literal (a quoted
    string, which both backends cast to the column's type); ``None``: no safe placeholder."""
    spec = column.type
    if spec.kind == "enum":
        value = str(spec.values[0]) if spec.values else None
    else:
        value = _PLACEHOLDERS.get(spec.kind)
    return None if value is None else "'" + value.replace("'", "''") + "'"


def _indexes(table: sa.Table) -> list[sa.Index]:
    return sorted(table.indexes, key=lambda index: str(index.name))


def _find_index(table: sa.Table, described: IndexSnapshot) -> sa.Index:
    for index in table.indexes:
        if index.name == described.name or [c.name for c in index.columns] == list(described.columns):
            return index
    raise UnsupportedChangeError(f"Index {described.name} is not in table {table.name}.")


def _find_constraint(table: sa.Table, change: Added[Any] | Dropped[Any]) -> sa.Constraint:
    kind = str(change.kind)
    described = change.definition
    wanted = _CONSTRAINT_CLASSES[kind]
    candidates = [c for c in table.constraints if isinstance(c, wanted)]
    for constraint in candidates:
        if described.name and constraint.name == described.name:
            return constraint
    for constraint in candidates:
        columns = [c.name for c in constraint.columns] if kind != "check" else []
        if kind != "check" and columns == list(getattr(described, "columns", ())):
            return constraint
    raise UnsupportedChangeError(
        f"{change.target}: the {kind.replace('_', ' ')} constraint {described.name!r} cannot be found "
        "in the snapshot; give it a name."
    )


def _renames_of_one_table_together(changes: Sequence[Change]) -> list[list[Change]]:
    """Each change alone, except consecutive constraint renames of one table, which go together."""
    groups: list[list[Change]] = []
    for change in changes:
        previous = groups[-1][0] if groups else None
        if (
            change.op == Op.RENAME_CONSTRAINT
            and previous is not None
            and previous.op == Op.RENAME_CONSTRAINT
            and previous.table == change.table
        ):
            groups[-1].append(change)
        else:
            groups.append([change])
    return groups


def _enum_types_created_apart(columns: Iterable[sa.Column[Any]]) -> list[tuple[str, list[str]]]:
    """Native enum columns switched to ``create_type=False``; their types, to create with their own op.

    Alembic's ``create_table`` issues ``CREATE TYPE`` even for a type another table uses, and
    ``add_column`` never creates one: dbkit creates each type with ``ensure_enum_type`` instead.
    """

    types: list[tuple[str, list[str]]] = []
    for column in columns:
        kind = column.type
        if isinstance(kind, sa.Enum) and kind.native_enum and kind.name:
            values = list(kind.enums)
            column.type = postgresql.ENUM(*values, name=kind.name, create_type=False)
            types.append((kind.name, values))
    return types


def _add_then_set_default(table: str, column: sa.Column[Any], *, reason: str) -> list[ops.MigrateOperation]:
    """Add ``column`` without its server default (existing rows stay NULL), then set the default."""
    bare = column._copy()
    bare.server_default = None
    set_default = ops.AlterColumnOp(
        table,
        column.name,
        existing_type=column.type,
        existing_nullable=column.nullable,
        existing_server_default=None,
        modify_server_default=_default_text(column),
    )
    return [
        ops.ModifyTableOps(table, [with_reason(ops.AddColumnOp(table, bare), reason)]),
        ops.ModifyTableOps(table, [with_reason(set_default, f"{reason}; existing rows stay NULL")]),
    ]


def _copy_column(column: sa.Column[Any]) -> sa.Column[Any]:
    """A column detached from its table (an operation attaches it to a table of its own)."""
    return column._copy()


def _default_text(column: sa.Column[Any]) -> Any:
    default = column.server_default
    if default is None:
        return None
    argument = getattr(default, "arg", None)
    return getattr(argument, "text", argument)


def operations_for(
    changes: Sequence[Change], old: Snapshot, new: Snapshot, plans: Sequence[BackfillPlan] = ()
) -> ops.UpgradeOps:
    """The upgrade operations for ``changes`` (in their order); ``old`` must carry the hinted renames."""
    return OperationBuilder(old, new, plans).build(changes)
