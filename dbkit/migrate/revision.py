"""Split into :mod:`dbkit.migrate.revisions.history`, :mod:`dbkit.migrate.revisions.table_ops`, :mod:`dbkit.migrate.revisions.writer`; this path stays for code written against it."""

from dbkit._moved import reexport

reexport(
    globals(),
    "dbkit.migrate.revisions.history",
    "dbkit.migrate.revisions.table_ops",
    "dbkit.migrate.revisions.writer",
)
