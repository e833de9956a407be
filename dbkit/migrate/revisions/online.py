"""Online operations: one revision file, safe on a live PostgreSQL table, unchanged on SQLite.

Each operation chooses its form when it runs, from the dialect and the server version:

* ``create_index_online`` / ``drop_index_online``: ``CREATE/DROP INDEX CONCURRENTLY`` outside the
  transaction; an INVALID index left by an earlier failure is dropped and built again.
* ``create_foreign_key_online`` / ``create_check_constraint_online``: ``ADD ... NOT VALID`` (no
  scan), then ``VALIDATE CONSTRAINT`` in its own transaction (SHARE UPDATE EXCLUSIVE: writes go on).
* ``create_unique_constraint_online``: a unique index built concurrently, then ``ADD CONSTRAINT
  ... UNIQUE USING INDEX`` (a brief lock, no scan).
* ``set_not_null_online``: ``CHECK (col IS NOT NULL) NOT VALID``, ``VALIDATE``, ``SET NOT NULL``
  (PostgreSQL 12+ skips its scan thanks to the valid check), then the check is dropped.
* ``backfill_column``: existing rows filled in primary-key batches, each a short transaction.
* ``online_step``: any other step (Alembic's own operations, e.g. an ``add_column`` or a
  binary-coercible type change, which PostgreSQL does in place), committed on its own.

On PostgreSQL every step runs under :func:`dbkit.migrate.revisions.locks.step_attempts` (a short
``lock_timeout``, retried with backoff) and checks the catalog first, so re-running an upgrade
after a failure or a kill completes the revision, and a downgrade runs from any intermediate
state. Elsewhere (SQLite) each operation is the plain Alembic one in the migration's transaction.
A revision of online steps is not atomic on PostgreSQL: that is the price of not locking.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import render_op, renderers
from alembic.operations import Operations, ops

from dbkit.migrate.revisions.locks import policy_of, run_step, step_attempts
from dbkit.migrate.revisions.reasons import REASON_KEY, ReasonComment, annotate

#: Rows a backfill fills per transaction in the online form (pgroll's batch size).
BACKFILL_BATCH_ROWS = 1000
#: strong_migrations refuses concurrent builds on these (index corruption fixed in 14.4).
_BROKEN_CONCURRENT_BUILDS = ((14, 0), (14, 4))


# -- the catalog: what is already done -------------------------------------------------------------
def _is_postgresql(operations: Operations) -> bool:
    return operations.get_context().dialect.name == "postgresql"


def _online(operations: Operations) -> bool:
    """PostgreSQL with a live connection (offline SQL has no catalog to check)."""
    return _is_postgresql(operations) and not operations.get_context().as_sql


def _server_version(operations: Operations) -> tuple[int, ...]:
    if operations.get_context().as_sql:
        return (99,)  # offline: write the modern form
    return tuple(operations.get_bind().dialect.server_version_info or (0,))


def _scalar(operations: Operations, sql: str, **params: Any) -> Any:
    return operations.get_bind().execute(sa.text(sql), params).scalar()


#: The table named by the ``:table`` and ``:schema`` parameters, quoted as PostgreSQL would (NULL if missing).
_RELATION = (
    "to_regclass(format('%I.%I', coalesce(CAST(:schema AS text), current_schema()), CAST(:table AS text)))"
)


def table_exists(operations: Operations, table: str, schema: str | None = None) -> bool:
    return bool(_scalar(operations, f"SELECT {_RELATION} IS NOT NULL", table=table, schema=schema))


def column_state(operations: Operations, table: str, column: str, schema: str | None = None) -> bool | None:
    """``None``: no such column; else whether it is NOT NULL."""
    return _scalar(
        operations,
        f"SELECT attnotnull FROM pg_attribute WHERE attrelid = {_RELATION} "
        "AND attname = :column AND attnum > 0 AND NOT attisdropped",
        table=table,
        schema=schema,
        column=column,
    )


def index_state(operations: Operations, name: str, schema: str | None = None) -> bool | None:
    """``None``: no such index; ``False``: INVALID (a concurrent build failed or was killed)."""
    return _scalar(
        operations,
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = :name AND n.nspname = coalesce(CAST(:schema AS text), current_schema())",
        name=name,
        schema=schema,
    )


def constraint_state(operations: Operations, name: str, table: str, schema: str | None = None) -> bool | None:
    """``None``: no such constraint on ``table``; ``False``: added ``NOT VALID``, not validated yet."""
    return _scalar(
        operations,
        f"SELECT convalidated FROM pg_constraint WHERE conrelid = {_RELATION} AND conname = :name",
        table=table,
        schema=schema,
        name=name,
    )


def _quote(operations: Operations, name: str) -> str:
    return operations.get_context().dialect.identifier_preparer.quote(name)


def _qualified(operations: Operations, table: str, schema: str | None) -> str:
    prefix = f"{_quote(operations, schema)}." if schema else ""
    return prefix + _quote(operations, table)


def _in_batch(
    operations: Operations, table: str, schema: str | None, operation: ops.MigrateOperation
) -> None:
    """The plain Alembic operation, in a batch block (SQLite rebuilds the table to add a constraint)."""
    with operations.batch_alter_table(table, schema=schema) as batch:
        batch.invoke(operation)


# -- indexes ---------------------------------------------------------------------------------------
@Operations.register_operation("create_index_online")
class CreateIndexOnlineOp(ops.CreateIndexOp):
    """``create_index`` that builds concurrently on PostgreSQL (same arguments as Alembic's)."""

    @classmethod
    def create_index_online(
        cls, operations: Operations, index_name: str, table_name: str, columns: Sequence[Any], **kw: Any
    ) -> None:
        operations.invoke(cls(index_name, table_name, columns, **kw))

    def reverse(self) -> DropIndexOnlineOp:
        return DropIndexOnlineOp.from_index(self.to_index())


@Operations.register_operation("drop_index_online")
class DropIndexOnlineOp(ops.DropIndexOp):
    """``drop_index`` that drops concurrently on PostgreSQL, and only if the index is there."""

    @classmethod
    def drop_index_online(
        cls, operations: Operations, index_name: str, table_name: str | None = None, **kw: Any
    ) -> None:
        operations.invoke(cls(index_name, table_name, **kw))

    def reverse(self) -> CreateIndexOnlineOp:
        return CreateIndexOnlineOp.from_index(self.to_index())


def _concurrent_builds(operations: Operations) -> bool:
    low, high = _BROKEN_CONCURRENT_BUILDS
    return not (low <= _server_version(operations)[:2] < high)


def _drop_concurrently(operations: Operations, index: sa.Index, *, if_exists: bool = True) -> None:
    index.dialect_options["postgresql"]["concurrently"] = _concurrent_builds(operations)
    run_step(
        operations,
        f"drop index {index.name}",
        str(index.table.name if index.table is not None else ""),
        lambda: operations.execute(sa.schema.DropIndex(index, if_exists=if_exists)),
        transaction=not _concurrent_builds(operations),
        waits_harmlessly=_concurrent_builds(operations),
    )


def _build_concurrently(operations: Operations, index: sa.Index) -> None:
    """Build ``index`` unless a valid one exists; an INVALID leftover is dropped first."""
    schema = index.table.schema if index.table is not None else None
    state = index_state(operations, str(index.name), schema) if _online(operations) else None
    if state:
        return
    if state is False:
        _drop_concurrently(operations, index)
    concurrent = _concurrent_builds(operations)
    index.dialect_options["postgresql"]["concurrently"] = concurrent
    for name in index.dialect_options["postgresql"].get("include") or ():  # as Alembic's PostgreSQL impl
        if index.table is not None and name not in index.table.c:
            index.table.append_column(sa.Column(name, sa.types.NullType()))
    run_step(
        operations,
        f"create index {index.name}",
        str(index.table.name if index.table is not None else ""),
        lambda: operations.execute(sa.schema.CreateIndex(index, if_not_exists=True)),
        transaction=not concurrent,
        scans=True,
        waits_harmlessly=concurrent,
    )


@Operations.implementation_for(CreateIndexOnlineOp)
def _create_index_online(operations: Operations, operation: CreateIndexOnlineOp) -> None:
    if not _is_postgresql(operations) or operation.index_name is None:
        operations.invoke(ops.CreateIndexOp.from_index(operation.to_index()))
        return
    _build_concurrently(operations, operation.to_index())


@Operations.implementation_for(DropIndexOnlineOp)
def _drop_index_online(operations: Operations, operation: DropIndexOnlineOp) -> None:
    if not _is_postgresql(operations):
        operations.drop_index(
            operation.index_name, operation.table_name, schema=operation.schema, if_exists=True
        )
        return
    _drop_concurrently(operations, operation.to_index())


# -- constraints added NOT VALID, then validated ----------------------------------------------------
@Operations.register_operation("create_foreign_key_online")
class CreateForeignKeyOnlineOp(ops.CreateForeignKeyOp):
    """``create_foreign_key`` added ``NOT VALID`` then validated on PostgreSQL (Alembic's arguments)."""

    @classmethod
    def create_foreign_key_online(
        cls,
        operations: Operations,
        constraint_name: str | None,
        source_table: str,
        referent_table: str,
        local_cols: list[str],
        remote_cols: list[str],
        **kw: Any,
    ) -> None:
        operations.invoke(cls(constraint_name, source_table, referent_table, local_cols, remote_cols, **kw))


@Operations.register_operation("create_check_constraint_online")
class CreateCheckConstraintOnlineOp(ops.CreateCheckConstraintOp):
    """``create_check_constraint`` added ``NOT VALID`` then validated on PostgreSQL."""

    @classmethod
    def create_check_constraint_online(
        cls, operations: Operations, constraint_name: str | None, table_name: str, condition: Any, **kw: Any
    ) -> None:
        operations.invoke(cls(constraint_name, table_name, condition, **kw))


def _plain(operation: ops.AddConstraintOp) -> ops.AddConstraintOp:
    """The same constraint as Alembic's own operation (what SQLite runs, and an unnamed constraint)."""
    return ops.AddConstraintOp.from_constraint(operation.to_constraint())


def _add_not_valid_then_validate(
    operations: Operations, constraint: sa.Constraint, table: str, schema: str | None
) -> None:
    name = str(constraint.name)
    state = constraint_state(operations, name, table, schema) if _online(operations) else None
    if state is None:
        constraint.dialect_options["postgresql"]["not_valid"] = True
        run_step(
            operations,
            f"add constraint {name} NOT VALID",
            table,
            lambda: operations.execute(sa.schema.AddConstraint(constraint)),
        )
    if not state:
        sql = f"ALTER TABLE {_qualified(operations, table, schema)} VALIDATE CONSTRAINT {_quote(operations, name)}"
        run_step(
            operations, f"validate constraint {name}", table, lambda: operations.execute(sql), scans=True
        )


@Operations.implementation_for(CreateForeignKeyOnlineOp)
@Operations.implementation_for(CreateCheckConstraintOnlineOp)
def _create_constraint_online(operations: Operations, operation: ops.AddConstraintOp) -> None:
    table, schema = _constraint_table(operation)
    if not _is_postgresql(operations) or operation.constraint_name is None:
        _in_batch(operations, table, schema, _plain(operation))
        return
    _add_not_valid_then_validate(operations, operation.to_constraint(), table, schema)


def _constraint_table(operation: ops.AddConstraintOp) -> tuple[str, str | None]:
    table = getattr(operation, "source_table", None) or operation.table_name
    schema = getattr(operation, "source_schema", None) or getattr(operation, "schema", None)
    return table, schema


# -- unique constraints through a concurrent index ---------------------------------------------------
@Operations.register_operation("create_unique_constraint_online")
class CreateUniqueConstraintOnlineOp(ops.CreateUniqueConstraintOp):
    """``create_unique_constraint`` as a concurrent unique index, then ``ADD CONSTRAINT ... USING INDEX``."""

    @classmethod
    def create_unique_constraint_online(
        cls,
        operations: Operations,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        **kw: Any,
    ) -> None:
        operations.invoke(cls(constraint_name, table_name, columns, **kw))


@Operations.implementation_for(CreateUniqueConstraintOnlineOp)
def _create_unique_online(operations: Operations, operation: CreateUniqueConstraintOnlineOp) -> None:
    table, schema = operation.table_name, operation.schema
    name = operation.constraint_name
    if not _is_postgresql(operations) or name is None or operation.kw.get("deferrable"):
        _in_batch(operations, table, schema, _plain(operation))
        return
    if _online(operations) and constraint_state(operations, name, table, schema) is not None:
        return
    constraint = operation.to_constraint()
    index = sa.Index(name, *constraint.columns, unique=True)
    _build_concurrently(operations, index)
    sql = (
        f"ALTER TABLE {_qualified(operations, table, schema)} ADD CONSTRAINT {_quote(operations, name)} "
        f"UNIQUE USING INDEX {_quote(operations, name)}"
    )
    run_step(operations, f"add constraint {name} USING INDEX", table, lambda: operations.execute(sql))


# -- SET NOT NULL without a scan under ACCESS EXCLUSIVE ---------------------------------------------
@Operations.register_operation("set_not_null_online")
class SetNotNullOnlineOp(ops.AlterColumnOp):
    """``alter_column(..., nullable=False)``; on PostgreSQL 12+ proven by a validated check first."""

    def __init__(self, table_name: str, column_name: str, **kw: Any) -> None:
        kw.pop("modify_nullable", None)
        super().__init__(table_name, column_name, modify_nullable=False, **kw)

    @classmethod
    def set_not_null_online(
        cls, operations: Operations, table_name: str, column_name: str, **kw: Any
    ) -> None:
        kw.pop("nullable", None)
        operations.invoke(cls(table_name, column_name, **kw))

    def reverse(self) -> DropNotNullOnlineOp:
        return DropNotNullOnlineOp(
            self.table_name,
            self.column_name,
            schema=self.schema,
            existing_type=self.existing_type,
            existing_server_default=self.existing_server_default,
            existing_comment=self.existing_comment,
        )


@Operations.register_operation("drop_not_null_online")
class DropNotNullOnlineOp(ops.AlterColumnOp):
    """``alter_column(..., nullable=True)``; on PostgreSQL it also drops the temporary check a
    :class:`SetNotNullOnlineOp` stopped half-way may have left (a downgrade from that state)."""

    def __init__(self, table_name: str, column_name: str, **kw: Any) -> None:
        kw.pop("modify_nullable", None)
        kw.pop("existing_nullable", None)
        super().__init__(table_name, column_name, modify_nullable=True, existing_nullable=False, **kw)

    @classmethod
    def drop_not_null_online(
        cls, operations: Operations, table_name: str, column_name: str, **kw: Any
    ) -> None:
        kw.pop("nullable", None)
        operations.invoke(cls(table_name, column_name, **kw))

    def reverse(self) -> SetNotNullOnlineOp:
        return SetNotNullOnlineOp(
            self.table_name,
            self.column_name,
            schema=self.schema,
            existing_type=self.existing_type,
            existing_server_default=self.existing_server_default,
            existing_comment=self.existing_comment,
            existing_nullable=True,
        )


@Operations.implementation_for(DropNotNullOnlineOp)
def _drop_not_null_online(operations: Operations, operation: DropNotNullOnlineOp) -> None:
    table, column, schema = operation.table_name, operation.column_name, operation.schema
    if not _is_postgresql(operations):
        plain = ops.AlterColumnOp(
            table,
            column,
            schema=schema,
            existing_type=operation.existing_type,
            existing_server_default=operation.existing_server_default,
            existing_comment=operation.existing_comment,
            existing_nullable=False,
            modify_nullable=True,
        )
        _in_batch(operations, table, schema, plain)
        return
    qualified, check = _qualified(operations, table, schema), not_null_check_name(table, column)
    statements = [
        f"ALTER TABLE {qualified} DROP CONSTRAINT IF EXISTS {_quote(operations, check)}",
        f"ALTER TABLE {qualified} ALTER COLUMN {_quote(operations, column)} DROP NOT NULL",
    ]
    if _online(operations) and column_state(operations, table, column, schema) is None:
        return  # the column is gone (a later step of this downgrade drops it, or it never came)
    run_step(
        operations,
        f"drop NOT NULL of {table}.{column}",
        table,
        lambda: [operations.execute(sql) for sql in statements],
    )


def not_null_check_name(table: str, column: str) -> str:
    """A deterministic name for the temporary check, within PostgreSQL's 63 bytes."""
    name = f"{table}_{column}_not_null"
    if len(name.encode()) <= 63:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name.encode()[:50].decode(errors='ignore')}_{digest}_nn"


@Operations.implementation_for(SetNotNullOnlineOp)
def _set_not_null_online(operations: Operations, operation: SetNotNullOnlineOp) -> None:
    table, column, schema = operation.table_name, operation.column_name, operation.schema
    plain = ops.AlterColumnOp(
        table,
        column,
        schema=schema,
        existing_type=operation.existing_type,
        existing_server_default=operation.existing_server_default,
        existing_comment=operation.existing_comment,
        existing_nullable=True,
        modify_nullable=False,
    )
    if not _is_postgresql(operations):
        _in_batch(operations, table, schema, plain)
        return
    qualified, quoted = _qualified(operations, table, schema), _quote(operations, column)
    set_not_null = f"ALTER TABLE {qualified} ALTER COLUMN {quoted} SET NOT NULL"
    if _server_version(operations) < (12,):  # no check can spare the scan: bounded lock, long timeout
        if not (_online(operations) and column_state(operations, table, column, schema)):
            run_step(
                operations,
                f"set {table}.{column} NOT NULL",
                table,
                lambda: operations.execute(set_not_null),
                scans=True,
            )
        return
    check = not_null_check_name(table, column)
    done = _online(operations) and column_state(operations, table, column, schema)
    if not done:
        constraint = sa.CheckConstraint(sa.text(f"{quoted} IS NOT NULL"), name=check)
        sa.Table(table, sa.MetaData(), sa.Column(column), constraint, schema=schema)
        _add_not_valid_then_validate(operations, constraint, table, schema)
        run_step(
            operations, f"set {table}.{column} NOT NULL", table, lambda: operations.execute(set_not_null)
        )
    drop_check = f"ALTER TABLE {qualified} DROP CONSTRAINT IF EXISTS {_quote(operations, check)}"
    if not _online(operations) or constraint_state(operations, check, table, schema) is not None:
        run_step(operations, f"drop check {check}", table, lambda: operations.execute(drop_check))


# -- any other step, committed on its own ------------------------------------------------------------
#: ``done`` conditions an :class:`OnlineStepOp` checks before running: [kind, table, column?].
_DONE_CHECKS: dict[str, Callable[..., bool]] = {
    "table": lambda operations, table, schema: table_exists(operations, table, schema),
    "no_table": lambda operations, table, schema: not table_exists(operations, table, schema),
    "column": lambda operations, table, column, schema: (
        column_state(operations, table, column, schema) is not None
    ),
    "no_column": lambda operations, table, column, schema: (
        column_state(operations, table, column, schema) is None
    ),
    "no_constraint": lambda operations, table, name, schema: (
        constraint_state(operations, name, table, schema) is None
    ),
}


@Operations.register_operation("online_step")
class OnlineStepOp(ops.MigrateOperation):
    """Run Alembic operations as one step of their own: ``for attempt in op.online_step(...): with attempt:``.

    On PostgreSQL each attempt commits the migration's transaction, runs the body in a
    transaction of its own under the lock policy and, on a lock timeout, rolls back, waits and
    comes round again. ``done`` lists catalog conditions that mean the step already ran (a
    re-run skips it). Elsewhere the body runs once, in the migration's transaction.
    """

    def __init__(
        self,
        table_name: str,
        inner: ops.MigrateOperation | None = None,
        *,
        description: str = "",
        done: Sequence[Sequence[str]] = (),
        schema: str | None = None,
    ) -> None:
        self.table_name = table_name
        self.inner = inner
        self.description = description or f"step on {table_name}"
        self.done = [list(condition) for condition in done]
        self.schema = schema

    @classmethod
    def online_step(
        cls, operations: Operations, table_name: str, description: str = "", **kw: Any
    ) -> Iterator[Any]:
        return operations.invoke(cls(table_name, description=description, **kw))

    def reverse(self) -> OnlineStepOp:
        if self.inner is None:
            raise NotImplementedError("an online step read back from a file has no operations to reverse")
        return online_step_for(self.inner.reverse())


@Operations.implementation_for(OnlineStepOp)
def _online_step(operations: Operations, operation: OnlineStepOp) -> Iterator[AbstractContextManager[Any]]:
    if (
        _online(operations)
        and operation.done
        and all(_is_done(operations, operation, c) for c in operation.done)
    ):
        return iter(())
    return step_attempts(operations, operation.description, operation.table_name)


def _is_done(operations: Operations, operation: OnlineStepOp, condition: Sequence[str]) -> bool:
    kind, *names = condition
    return _DONE_CHECKS[kind](operations, *names, operation.schema)


def online_step_for(operation: ops.MigrateOperation) -> OnlineStepOp:
    """Wrap one Alembic operation (or a table's batch of them) as a step with its ``done`` checks."""
    children = operation.ops if isinstance(operation, ops.ModifyTableOps) else [operation]
    table = getattr(operation, "table_name", None) or ""
    schema = getattr(operation, "schema", None)
    done = [condition for child in children for condition in _done_conditions(child)]
    described = ", ".join(_described(child, table) for child in children)
    step = OnlineStepOp(table, operation, description=described, done=done, schema=schema)
    reason = next((child.info.get(REASON_KEY) for child in children if child.info.get(REASON_KEY)), None)
    if reason and not isinstance(operation, ops.ModifyTableOps):
        step.info[REASON_KEY] = reason
    return step


def _done_conditions(operation: ops.MigrateOperation) -> list[list[str]]:
    if isinstance(operation, ops.AddColumnOp):
        return [["column", operation.table_name, operation.column.name]]
    if isinstance(operation, ops.DropColumnOp):
        return [["no_column", operation.table_name, operation.column_name]]
    if isinstance(operation, ops.CreateTableOp):
        return [["table", operation.table_name]]
    if isinstance(operation, ops.DropTableOp):
        return [["no_table", operation.table_name]]
    if isinstance(operation, ops.AlterColumnOp) and operation.modify_name:
        return [["column", operation.table_name, operation.modify_name]]
    if isinstance(operation, ops.DropConstraintOp) and operation.constraint_name:
        return [["no_constraint", operation.table_name, str(operation.constraint_name)]]
    return []


def _described(operation: ops.MigrateOperation, table: str) -> str:
    """``add column events.source``: what a lock retry or a failure names."""
    name = type(operation).__name__.removesuffix("Op")
    verb = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    column = getattr(operation, "column_name", None) or getattr(
        getattr(operation, "column", None), "name", None
    )
    constraint = getattr(operation, "constraint_name", None)
    target = f"{table}.{column}" if column else f"{constraint} on {table}" if constraint else table
    return f"{verb} {target}"


@renderers.dispatch_for(OnlineStepOp)
def _render_online_step(context: AutogenContext, operation: OnlineStepOp) -> list[str]:
    if operation.inner is None:
        raise ValueError("an online step needs its operations to be rendered")
    inner = annotate(operation.inner) if isinstance(operation.inner, ops.ModifyTableOps) else operation.inner
    body = render_op(context, inner)
    done = f", done={operation.done!r}" if operation.done else ""
    schema = f", schema={operation.schema!r}" if operation.schema else ""
    prefix = context.opts["alembic_module_prefix"]
    header = f"for attempt in {prefix}online_step({operation.table_name!r}, {operation.description!r}{done}{schema}):"
    return [header, "with attempt:", *body, "", ""]


# -- renderers of the online constraint and index operations ----------------------------------------
def _renamed(render: Callable[[AutogenContext, Any], Any], parent: str, online: str) -> Callable[..., Any]:
    """Alembic's own renderer for the parent operation, calling the online name instead."""

    def render_online(context: AutogenContext, operation: Any) -> str | list[str]:
        rendered = render(context, operation)
        if isinstance(rendered, str):
            return rendered.replace(f"{parent}(", f"{online}(", 1)
        return [rendered[0].replace(f"{parent}(", f"{online}(", 1), *rendered[1:]]

    return render_online


def _register_renderers() -> None:
    for online_class, parent_class, parent, name in (
        (CreateIndexOnlineOp, ops.CreateIndexOp, "create_index", "create_index_online"),
        (DropIndexOnlineOp, ops.DropIndexOp, "drop_index", "drop_index_online"),
        (CreateForeignKeyOnlineOp, ops.CreateForeignKeyOp, "create_foreign_key", "create_foreign_key_online"),
        (
            CreateCheckConstraintOnlineOp,
            ops.CreateCheckConstraintOp,
            "create_check_constraint",
            "create_check_constraint_online",
        ),
        (
            CreateUniqueConstraintOnlineOp,
            ops.CreateUniqueConstraintOp,
            "create_unique_constraint",
            "create_unique_constraint_online",
        ),
        (SetNotNullOnlineOp, ops.AlterColumnOp, "alter_column", "set_not_null_online"),
        (DropNotNullOnlineOp, ops.AlterColumnOp, "alter_column", "drop_not_null_online"),
    ):
        renderers.dispatch_for(online_class)(_renamed(renderers.dispatch(parent_class), parent, name))


_register_renderers()


def is_online_operation(operation: ops.MigrateOperation) -> bool:
    """One of this module's operations (a revision using it must import dbkit's renderers)."""
    return isinstance(
        operation,
        OnlineStepOp
        | CreateIndexOnlineOp
        | DropIndexOnlineOp
        | CreateForeignKeyOnlineOp
        | CreateCheckConstraintOnlineOp
        | CreateUniqueConstraintOnlineOp
        | SetNotNullOnlineOp
        | DropNotNullOnlineOp
        | BackfillColumnOp,
    )


def batches_on_sqlite(operation: ops.MigrateOperation) -> bool:
    """Whether ``operation`` recreates a table on SQLite (foreign keys must be off around it)."""
    if isinstance(operation, OnlineStepOp):
        return isinstance(operation.inner, ops.ModifyTableOps | ops.DropTableOp)
    return isinstance(
        operation,
        CreateForeignKeyOnlineOp
        | CreateCheckConstraintOnlineOp
        | CreateUniqueConstraintOnlineOp
        | SetNotNullOnlineOp
        | DropNotNullOnlineOp,
    )


# -- a revision's operations → their online form --------------------------------------------------
def online_operations(container: ops.OpContainer) -> ops.OpContainer:
    """``container`` (grouped per table, as the writer renders it) in its online form.

    Each hazardous operation becomes its online operation; the rest of a table's batch, and
    each table created or dropped, becomes an :class:`OnlineStepOp` (committed on its own, its
    lock bounded). Comments and dbkit's own operations (enum members, renames...) stay as they are.
    """
    converted: list[ops.MigrateOperation] = []
    for operation in container.ops:
        if isinstance(operation, ops.ModifyTableOps):
            converted.extend(_online_table_batch(operation))
        elif isinstance(operation, ops.CreateTableOp | ops.DropTableOp):
            converted.append(online_step_for(operation))
        elif isinstance(operation, BackfillColumnOp):
            converted.append(operation.in_batches(BACKFILL_BATCH_ROWS))
        elif _online_form(operation) is not None:
            converted.extend(_online_form(operation) or ())
        else:
            converted.append(operation)
    return type(container)(ops=converted)


def _online_table_batch(batch: ops.ModifyTableOps) -> list[ops.MigrateOperation]:
    """A table's batch as steps of one operation each, order kept: each step is idempotent on its
    own (its ``done`` check), so a re-run, or a downgrade, resumes from wherever a run stopped."""
    steps: list[ops.MigrateOperation] = []
    for operation in batch.ops:
        online = _online_form(operation)
        if online is not None:
            steps.extend(online)
        elif isinstance(operation, ReasonComment):
            steps.append(operation)
        else:
            steps.append(
                online_step_for(ops.ModifyTableOps(batch.table_name, [operation], schema=batch.schema))
            )
    return steps


def _online_form(operation: ops.MigrateOperation) -> list[ops.MigrateOperation] | None:
    """The online operations replacing ``operation`` (a plain remainder first), ``None`` to keep it."""
    replacement: list[ops.MigrateOperation] | None = None
    if type(operation) is ops.CreateIndexOp:
        replacement = [CreateIndexOnlineOp.from_index(operation.to_index())]
    elif type(operation) is ops.DropIndexOp:
        replacement = [DropIndexOnlineOp.from_index(operation.to_index())]
    elif type(operation) in _CONSTRAINT_FORMS and getattr(operation, "constraint_name", None):
        online_class = _CONSTRAINT_FORMS[type(operation)]
        replacement = [online_class.from_constraint(operation.to_constraint())]
    elif type(operation) is ops.AlterColumnOp and operation.modify_nullable is False:
        replacement = _split_not_null(operation)
    elif (
        type(operation) is ops.AlterColumnOp
        and operation.modify_nullable is True
        and _only_nullable(operation)
    ):
        replacement = [
            DropNotNullOnlineOp(
                operation.table_name,
                operation.column_name,
                schema=operation.schema,
                existing_type=operation.existing_type,
                existing_server_default=operation.existing_server_default,
                existing_comment=operation.existing_comment,
            )
        ]
    if replacement is not None:
        for item in replacement:
            item.info.update(operation.info)
    return replacement


_CONSTRAINT_FORMS: dict[type, Any] = {
    ops.CreateForeignKeyOp: CreateForeignKeyOnlineOp,
    ops.CreateCheckConstraintOp: CreateCheckConstraintOnlineOp,
    ops.CreateUniqueConstraintOp: CreateUniqueConstraintOnlineOp,
}


def _only_nullable(operation: ops.AlterColumnOp) -> bool:
    return (
        operation.modify_type is None
        and operation.modify_name is None
        and operation.modify_server_default is False
        and operation.modify_comment is False
        and not operation.kw
    )


def _split_not_null(operation: ops.AlterColumnOp) -> list[ops.MigrateOperation]:
    """``nullable=False`` on its own online operation; what else the alter changes stays plain, first."""
    changed = {
        "modify_type": operation.modify_type,
        "modify_server_default": operation.modify_server_default,
        "modify_comment": operation.modify_comment,
        "modify_name": operation.modify_name,
    }
    kept = {key: value for key, value in changed.items() if value is not False and value is not None}
    if operation.modify_server_default is None or operation.modify_comment is None:  # dropped ones
        kept |= {k: None for k in ("modify_server_default", "modify_comment") if changed[k] is None}
    final_default = kept.get("modify_server_default", operation.existing_server_default)
    set_not_null = SetNotNullOnlineOp(
        operation.table_name,
        operation.modify_name or operation.column_name,
        schema=operation.schema,
        existing_type=operation.modify_type if operation.modify_type is not None else operation.existing_type,
        existing_server_default=final_default,
        existing_comment=kept.get("modify_comment", operation.existing_comment),
        existing_nullable=True,
    )
    if not kept:
        return [set_not_null]
    rest = ops.AlterColumnOp(
        operation.table_name,
        operation.column_name,
        schema=operation.schema,
        existing_type=operation.existing_type,
        existing_server_default=operation.existing_server_default,
        existing_nullable=True,
        existing_comment=operation.existing_comment,
        **kept,
        **operation.kw,
    )
    return [
        online_step_for(ops.ModifyTableOps(operation.table_name, [rest], schema=operation.schema)),
        set_not_null,
    ]


# -- backfills in primary-key batches ------------------------------------------------------------
@Operations.register_operation("backfill_column")
class BackfillColumnOp(ops.MigrateOperation):
    """``UPDATE table SET column = value WHERE column IS NULL``: existing rows get a value before the
    column becomes NOT NULL.

    With ``batch_rows`` (the online form) on PostgreSQL, rows are filled in primary-key order, a
    batch of ``batch_rows`` per short transaction of its own, pausing between batches so the
    application keeps up; each batch is reported, and a re-run resumes (filled rows are no longer
    NULL). Otherwise, and on SQLite, one ``UPDATE`` in the migration's transaction.
    """

    def __init__(
        self,
        table_name: str,
        column_name: str,
        value: str,
        *,
        key_columns: Sequence[str],
        batch_rows: int | None = None,
        schema: str | None = None,
    ) -> None:
        if not key_columns:
            raise ValueError(f"backfilling {table_name}.{column_name} in batches needs its primary key.")
        self.table_name = table_name
        self.column_name = column_name
        self.value = value
        self.key_columns = list(key_columns)
        self.batch_rows = batch_rows
        self.schema = schema

    @classmethod
    def backfill_column(
        cls, operations: Operations, table_name: str, column_name: str, value: str, **kw: Any
    ) -> None:
        operations.invoke(cls(table_name, column_name, value, **kw))

    def reverse(self) -> ReasonComment:
        return _ReversedBackfill(self)

    def in_batches(self, rows: int) -> BackfillColumnOp:
        batched = BackfillColumnOp(
            self.table_name,
            self.column_name,
            self.value,
            key_columns=self.key_columns,
            batch_rows=rows,
            schema=self.schema,
        )
        batched.info.update(self.info)
        return batched


class _ReversedBackfill(ReasonComment):
    """The downgrade passes a backfill as a comment (the column keeps or loses its values with the
    steps around it); reversing brings the backfill back."""

    def __init__(self, backfill: BackfillColumnOp) -> None:
        super().__init__(f"the upgrade filled {backfill.table_name}.{backfill.column_name} here")
        self.backfill = backfill

    def reverse(self) -> BackfillColumnOp:  # type: ignore[override]
        return self.backfill


@renderers.dispatch_for(BackfillColumnOp)
def _render_backfill(context: AutogenContext, operation: BackfillColumnOp) -> str:
    batch = f", batch_rows={operation.batch_rows!r}" if operation.batch_rows else ""
    schema = f", schema={operation.schema!r}" if operation.schema else ""
    return (
        f"{context.opts['alembic_module_prefix']}backfill_column({operation.table_name!r}, "
        f"{operation.column_name!r}, {operation.value!r}, key_columns={operation.key_columns!r}{batch}{schema})"
    )


@Operations.implementation_for(BackfillColumnOp)
def _backfill_column(operations: Operations, operation: BackfillColumnOp) -> None:
    table = _qualified(operations, operation.table_name, operation.schema)
    column = _quote(operations, operation.column_name)
    fill = f"UPDATE {table} SET {column} = {operation.value} WHERE {column} IS NULL"
    if not operation.batch_rows or not _online(operations):
        operations.execute(fill)
        return
    _backfill_in_batches(operations, operation, table, column)


def _backfill_in_batches(
    operations: Operations, operation: BackfillColumnOp, table: str, column: str
) -> None:
    """Keyset batches: each transaction fills the NULLs among the next ``batch_rows`` keys, so the
    whole table is read once however many batches (a re-run starts again and skips filled rows)."""
    policy = policy_of(operations)
    keys = [_quote(operations, name) for name in operation.key_columns]
    row = f"({', '.join(keys)})"
    step = f"backfill {operation.table_name}.{operation.column_name}"
    last: Sequence[Any] | None = None
    filled = 0
    while True:
        after = _key_bound(row, ">", "k", last)
        upper = (
            operations.get_bind()
            .execute(
                sa.text(
                    f"SELECT {', '.join(keys)} FROM {table} WHERE {after.sql} ORDER BY {', '.join(keys)} "
                    "LIMIT 1 OFFSET :skip"
                ),
                {**after.params, "skip": operation.batch_rows - 1},
            )
            .first()
        )
        until = _key_bound(row, "<=", "u", upper)
        statement = sa.text(
            f"UPDATE {table} SET {column} = {operation.value} WHERE {column} IS NULL "
            f"AND {after.sql} AND {until.sql}"
        )
        for attempt in step_attempts(operations, step, operation.table_name):
            with attempt:
                filled += operations.get_bind().execute(statement, {**after.params, **until.params}).rowcount
        policy.report_progress(f"{step}: {filled} rows filled")
        if upper is None:
            return
        last = tuple(upper)
        time.sleep(policy.batch_pause)


class _Bound:
    """A keyset condition (``(id) > (:k0)``) and its parameters; always true without a key."""

    def __init__(self, sql: str, params: dict[str, Any]) -> None:
        self.sql, self.params = sql, params


def _key_bound(row: str, comparison: str, prefix: str, key: Sequence[Any] | None) -> _Bound:
    if key is None:
        return _Bound("TRUE", {})
    names = [f"{prefix}{n}" for n in range(len(key))]
    placeholders = ", ".join(f":{name}" for name in names)
    return _Bound(f"{row} {comparison} ({placeholders})", dict(zip(names, key, strict=True)))
