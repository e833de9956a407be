"""The operations that dbkit's revision files use, in one stable module.

Every revision dbkit writes starts with ``import dbkit.migrate.renderers as dbkit_ops``: importing
it registers the custom operations (``op.add_enum_value``, ``op.rename_constraints``,
``op.fill_distinct_placeholders``, ...) with Alembic, and the file calls the helpers below. The
code lives in :mod:`dbkit.migrate.revisions` (reasons, reversal, custom_ops, sqlite_guard); this
path never moves, so revisions written by any release keep running.
"""

from dbkit._moved import reexport
from dbkit.errors import MigrationRuntimeError  # noqa: F401  (revision files catch it by this path)

reexport(
    globals(),
    "dbkit.migrate.revisions.reasons",
    "dbkit.migrate.revisions.reversal",
    "dbkit.migrate.revisions.custom_ops",
    "dbkit.migrate.revisions.sqlite_guard",
)
