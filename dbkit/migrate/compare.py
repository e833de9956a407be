"""Split into :mod:`dbkit.migrate.diff.changes`, :mod:`dbkit.migrate.diff.compare`; this path stays for code written against it."""

from dbkit._moved import reexport

reexport(globals(), "dbkit.migrate.diff.changes", "dbkit.migrate.diff.compare")
