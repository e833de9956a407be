"""The primary key: its columns or dialect options changed (a name alone is not a change; see
``name_alignments``). Dialect options are compared as :mod:`.constraints` says."""

from __future__ import annotations

from dbkit.migrate.diff.changes import AlterPrimaryKey, Change
from dbkit.migrate.diff.context import CompareContext, comparators
from dbkit.migrate.schema.snapshot import TableSnapshot


@comparators.dispatch_for("table")
def compare_primary_key(context: CompareContext, old: TableSnapshot, new: TableSnapshot) -> list[Change]:
    old_columns = old.primary_key.columns if old.primary_key else ()
    new_columns = new.primary_key.columns if new.primary_key else ()
    old_options = old.primary_key.dialect_options if old.primary_key else ()
    new_options = new.primary_key.dialect_options if new.primary_key else ()
    if old_columns == new_columns and old_options == new_options:
        return []
    return [AlterPrimaryKey(table=new.name, old=old.primary_key, new=new.primary_key)]
