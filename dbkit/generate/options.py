"""``DBColumn``: the one place to say what Pydantic cannot (unique, index, SQL type, column name...).

Put it in the field's ``Annotated`` metadata::

    email: Annotated[str, DBColumn(unique=True, index=True)] = Field(description="Login e-mail")
    private: Annotated[str | None, DBColumn(name="_private")] = None          # column "_private"
    owner_id: Annotated[str, DBColumn(references=UserModel, relationship="owner",
                                      backref="owned_documents", ondelete="CASCADE")]

Table-level options are class variables of the model: ``table_name``, ``table_comment``,
``table_args`` (SQLAlchemy ``UniqueConstraint``/``CheckConstraint``/``Index``/
``ForeignKeyConstraint`` objects, as ``__table_args__``), ``migration_notes``,
``audit_columns`` and ``db_mixins``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic.fields import FieldInfo

_UNSET: Any = object()


@dataclass(frozen=True)
class DBColumn:
    """Column options for one field. Every option left unset follows the field's Pydantic declaration."""

    #: The column's name in the database when it differs from the attribute (field) name.
    name: str | None = None
    #: An explicit SQLAlchemy type (instance or class), bypassing the type registry.
    sa_type: Any = None
    primary_key: bool = False
    #: ``True``/``False``/``"auto"`` as SQLAlchemy's ``Column(autoincrement=...)``.
    autoincrement: bool | Literal["auto"] = "auto"
    #: An ``sqlalchemy.Identity(...)`` for identity columns.
    identity: Any = None
    #: An ``sqlalchemy.Computed(...)`` for generated columns.
    computed: Any = None
    unique: bool = False
    index: bool = False
    #: Overrides the nullability implied by ``Optional[...]`` (e.g. a nullable primary-key-less field).
    nullable: bool | None = None
    #: A server-side default: a literal string, or ``sqlalchemy.text(...)`` / ``func.now()``.
    server_default: Any = None
    #: A Python-side value (or callable) applied on every UPDATE (SQLAlchemy's ``onupdate``).
    update_value: Any = None
    #: ``"table.column"`` for a foreign key to any column.
    foreign_key: str | None = None
    #: A foreign key to another model's primary key: a DatabaseMixin model, a mapped class,
    #: a ``Table`` or a table name. Adds a relationship and a backref (see below).
    references: Any = None
    ondelete: str | None = None
    onupdate: str | None = None
    #: An explicit foreign-key constraint name, kept exactly as written.
    fk_name: str | None = None
    #: Relationship attribute on this model for ``references`` (default: field name minus ``_id``);
    #: ``False`` for no relationship.
    relationship: str | Literal[False] | None = None
    #: Backref attribute on the referenced class (default: this model's table name).
    backref: str | Literal[False] | None = None
    #: Database name of an Enum type (default: the snake_case Enum class name).
    enum_name: str | None = None
    #: Store Enum members by ``"name"`` (SQLAlchemy's default) or by ``"value"``.
    enum_by: Literal["name", "value"] = "name"
    #: Whether the database creates a native enum type (PostgreSQL) or a VARCHAR.
    native_enum: bool = True
    #: ``False`` keeps the field out of the table (an API-only field).
    persist: bool = True


def column_options(field: FieldInfo) -> DBColumn:
    """The field's ``DBColumn`` (the last one wins), or the defaults when it has none."""
    found = [item for item in field.metadata if isinstance(item, DBColumn)]
    return found[-1] if found else DBColumn()
