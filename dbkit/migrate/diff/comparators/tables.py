"""Tables: added, dropped, and each table both snapshots have dispatched to the ``table`` comparators."""

from __future__ import annotations

from dbkit.migrate.diff.changes import AddTable, Change, DropTable
from dbkit.migrate.diff.context import CompareContext, comparators
from dbkit.migrate.schema.snapshot import Snapshot


@comparators.dispatch_for("schema")
def compare_tables(context: CompareContext, old: Snapshot, new: Snapshot) -> list[Change]:
    old_tables, new_tables = old.table_map, new.table_map
    changes: list[Change] = [
        DropTable(table=name, definition=old_tables[name])
        for name in sorted(old_tables.keys() - new_tables.keys())
    ]
    changes.extend(
        AddTable(table=name, definition=new_tables[name])
        for name in sorted(new_tables.keys() - old_tables.keys())
    )
    for name in sorted(old_tables.keys() & new_tables.keys()):
        changes.extend(context.table_changes(old_tables[name], new_tables[name]))
    return changes
