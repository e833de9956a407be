"""The built-in comparators, one module per kind of schema object (see :mod:`dbkit.migrate.diff.context`).

Importing this package registers them with :data:`dbkit.migrate.diff.context.comparators`. The
order below is the dispatch order within each level: native enum values before tables (schema
level); a table's columns, then its primary key, constraints and indexes, then its comment (table
level); a column's attributes before its non-native enum values (column level). ``order_changes``
sorts a whole diff afterwards; a table's changes alone (parity) come in this order.
"""

# isort: off
from dbkit.migrate.diff.comparators import columns, enums, tables, primary_key, constraints, comments

# isort: on

__all__ = ["columns", "comments", "constraints", "enums", "primary_key", "tables"]
