"""Why each operation exists: the change that caused it, rendered as a ``# ...`` comment above it."""

from __future__ import annotations

from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import renderers
from alembic.operations import ops

#: Key in ``MigrateOperation.info`` holding the change that caused the operation.
REASON_KEY = "dbkit_reason"


# -- reasons ----------------------------------------------------------------------------------
def with_reason(operation: ops.MigrateOperation, reason: str | None) -> ops.MigrateOperation:
    """Record which change caused ``operation`` (rendered as a comment above it); returns it."""
    if reason:
        operation.info[REASON_KEY] = reason
    return operation


def reason_of(operation: ops.MigrateOperation) -> str | None:
    return operation.info.get(REASON_KEY)


class ReasonComment(ops.MigrateOperation):
    """A render-only ``# ...`` line; never executed, so it has no ``op.`` method."""

    def __init__(self, text: str) -> None:
        self.text = text

    def reverse(self) -> ReasonComment:
        return self


@renderers.dispatch_for(ReasonComment)
def _render_reason(_context: AutogenContext, comment: ReasonComment) -> list[str]:
    return [f"# {line}".rstrip() for line in comment.text.splitlines() or [""]]


def annotate(container: ops.OpContainer) -> ops.OpContainer:
    """A copy of ``container`` with a :class:`ReasonComment` before each operation that has a reason."""
    annotated: list[ops.MigrateOperation] = []
    for operation in container.ops:
        reason = reason_of(operation)
        if reason and not isinstance(operation, ReasonComment):  # a comment says it itself
            annotated.append(ReasonComment(reason))
        if isinstance(operation, ops.ModifyTableOps):
            operation = annotate(operation)
        annotated.append(operation)
    if isinstance(container, ops.ModifyTableOps):
        return ops.ModifyTableOps(container.table_name, annotated, schema=container.schema)
    return type(container)(ops=annotated)
