"""Renames that reverse correctly: Alembic's ``RenameTableOp`` has no renderer and raises in
``reverse()``, and ``AlterColumnOp.reverse()`` forgets a rename.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import renderers
from alembic.operations import ops

from dbkit.migrate.revisions.reasons import reason_of, with_reason


# -- renames ----------------------------------------------------------------------------------
class RenameTable(ops.RenameTableOp):
    """``RenameTableOp`` whose ``reverse()`` renames back instead of raising."""

    def reverse(self) -> RenameTable:
        return RenameTable(self.new_table_name, self.table_name, schema=self.schema)


class RenameColumn(ops.AlterColumnOp):
    """``AlterColumnOp`` whose ``reverse()`` keeps the rename (renaming back, on the new name)."""

    def reverse(self) -> RenameColumn:
        reversed_op = super().reverse()  # swaps every modify_*/existing_* pair except the name
        if self.modify_name:
            reversed_op.column_name, reversed_op.modify_name = self.modify_name, self.column_name
        return reversed_op


def rename_column(table_name: str, old_name: str, new_name: str, **existing: Any) -> RenameColumn:
    """A column rename; ``existing`` takes ``existing_type``, ``existing_nullable``... (batch mode needs them)."""
    return RenameColumn(table_name, old_name, modify_name=new_name, **existing)


def reversible(operation: ops.MigrateOperation) -> ops.MigrateOperation:
    """Alembic's own rename operations as their correctly reversing subclasses (others unchanged)."""
    if isinstance(operation, ops.RenameTableOp) and not isinstance(operation, RenameTable):
        converted: ops.MigrateOperation = RenameTable(
            operation.table_name, operation.new_table_name, schema=operation.schema
        )
    elif (
        isinstance(operation, ops.AlterColumnOp)
        and operation.modify_name
        and not isinstance(operation, RenameColumn)
    ):
        converted = RenameColumn(
            operation.table_name,
            operation.column_name,
            schema=operation.schema,
            existing_type=operation.existing_type,
            existing_server_default=operation.existing_server_default,
            existing_nullable=operation.existing_nullable,
            existing_comment=operation.existing_comment,
            modify_nullable=operation.modify_nullable,
            modify_comment=operation.modify_comment,
            modify_server_default=operation.modify_server_default,
            modify_name=operation.modify_name,
            modify_type=operation.modify_type,
            **operation.kw,
        )
    elif isinstance(operation, ops.ModifyTableOps):
        converted = ops.ModifyTableOps(
            operation.table_name, [reversible(child) for child in operation.ops], schema=operation.schema
        )
    else:
        return operation
    converted.info.update(operation.info)
    return converted


def reverse_operation(operation: ops.MigrateOperation) -> ops.MigrateOperation:
    """The operation that undoes ``operation`` (renames included), keeping its reason."""
    operation = reversible(operation)
    if isinstance(operation, ops.ModifyTableOps):
        undone: ops.MigrateOperation = ops.ModifyTableOps(
            operation.table_name,
            [reverse_operation(child) for child in reversed(operation.ops)],
            schema=operation.schema,
        )
    else:
        undone = operation.reverse()
    reason = reason_of(operation)
    if reason:  # undoing an undo names the original change
        with_reason(
            undone, reason.removeprefix("undo: ") if reason.startswith("undo: ") else f"undo: {reason}"
        )
    return undone


def reverse_upgrade_ops(upgrade_ops: ops.UpgradeOps) -> ops.DowngradeOps:
    """The downgrade of ``upgrade_ops``: each operation reversed, in reverse order."""
    return ops.DowngradeOps(ops=[reverse_operation(operation) for operation in reversed(upgrade_ops.ops)])


@renderers.dispatch_for(ops.RenameTableOp)
def _render_rename_table(context: AutogenContext, operation: ops.RenameTableOp) -> str:
    schema = f", schema={operation.schema!r}" if operation.schema else ""
    prefix = context.opts["alembic_module_prefix"]
    return f"{prefix}rename_table({operation.table_name!r}, {operation.new_table_name!r}{schema})"
