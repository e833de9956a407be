"""The schema stage: the Snapshot model, built from models or a live database, kept as JSON,
turned back into ``MetaData``.

The package exports the snapshot model itself (``dbkit.migrate.schema`` was its module before the
engine was laid out by stage); builders live in their own modules so that loading a snapshot
document never imports SQLAlchemy.
"""

from dbkit.migrate.schema.snapshot import *  # noqa: F403
from dbkit.migrate.schema.snapshot import __all__  # noqa: F401
