"""Split into :mod:`dbkit.migrate.diff.risk`, :mod:`dbkit.migrate.diff.changes` (``classify``), :mod:`dbkit.migrate.diff.lint`; this path stays for code written against it."""

from dbkit._moved import reexport

reexport(globals(), "dbkit.migrate.diff.risk", "dbkit.migrate.diff.changes", "dbkit.migrate.diff.lint")
