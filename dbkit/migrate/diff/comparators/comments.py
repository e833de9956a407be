"""The table comment (a column's comment is one attribute of its ``alter_column``)."""

from __future__ import annotations

from dbkit.migrate.diff.changes import AlterTableComment, Change
from dbkit.migrate.diff.context import CompareContext, comparators
from dbkit.migrate.schema.snapshot import TableSnapshot


@comparators.dispatch_for("table")
def compare_table_comment(context: CompareContext, old: TableSnapshot, new: TableSnapshot) -> list[Change]:
    if not context.options.compare_comments or old.comment == new.comment:
        return []
    return [AlterTableComment(table=new.name, old=old.comment, new=new.comment)]
