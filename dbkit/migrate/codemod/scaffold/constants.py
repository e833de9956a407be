"""Facts scaffolding relies on: the mixin audit columns, names models reserve, rendering limits."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dbkit.entity import AUDIT_COLUMN_NAMES

#: Dialects whose compiled DDL decides whether two column types are the same.
DDL_DIALECTS: tuple[sa.Dialect, ...] = (postgresql.dialect(), sqlite.dialect())
#: The audit columns of ``BaseMixin`` + ``UpdateMixin``, in table order after ``id``.
AUDIT_COLUMNS = AUDIT_COLUMN_NAMES
#: Class attributes of DatabaseMixin models and entity classes a field must not shadow.
MODEL_CLASS_ATTRIBUTES = frozenset(
    {
        "table_name",
        "table_comment",
        "table_args",
        "migration_notes",
        "audit_columns",
        "db_mixins",
        "system",
        "seed_list",
        "hooks",
        "DB",
        "db_for",
    }
)
#: Positional parameters rendered without their keyword: ``sa.String(255)``, ``sa.Numeric(10, 2)``.
POSITIONAL_PARAMETERS = ("length", "precision", "scale")
LINE_LENGTH = 110
#: Backref options SQLAlchemy copies from the forward relationship when the author did not give them.
BACKREF_INHERITED = frozenset({"viewonly", "post_update", "passive_updates", "sync_backref"})
_MISSING: Any = object()
