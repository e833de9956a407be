"""Split into :mod:`dbkit.migrate.schema.to_metadata`, :mod:`dbkit.migrate.revisions.environment`; this path stays for code written against it."""

from dbkit._moved import reexport

reexport(globals(), "dbkit.migrate.schema.to_metadata", "dbkit.migrate.revisions.environment")
