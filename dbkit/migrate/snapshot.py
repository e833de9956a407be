"""Split into :mod:`dbkit.migrate.schema.documents`, :mod:`dbkit.migrate.schema.from_models`, :mod:`dbkit.migrate.schema.from_database`; this path stays for code written against it."""

from dbkit._moved import reexport

reexport(
    globals(),
    "dbkit.migrate.schema.documents",
    "dbkit.migrate.schema.from_models",
    "dbkit.migrate.schema.from_database",
)
