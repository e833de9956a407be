"""The primary key: its columns changed (a name alone is not a change; see ``name_alignments``)."""

from __future__ import annotations

from dbkit.migrate.diff.changes import AlterPrimaryKey, Change
from dbkit.migrate.diff.context import CompareContext, comparators
from dbkit.migrate.schema.snapshot import TableSnapshot


@comparators.dispatch_for("table")
def compare_primary_key(context: CompareContext, old: TableSnapshot, new: TableSnapshot) -> list[Change]:
    old_columns = old.primary_key.columns if old.primary_key else ()
    new_columns = new.primary_key.columns if new.primary_key else ()
    if old_columns == new_columns:
        return []
    return [AlterPrimaryKey(table=new.name, old=old.primary_key, new=new.primary_key)]
