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

from collections.abc import Mapping
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
    #: ``relationship()`` keywords of the relationship (``lazy``, ``viewonly``...); see :data:`RELATIONSHIP_OPTIONS`.
    relationship_options: Mapping[str, Any] | None = None
    #: ``backref()`` keywords of the backref, e.g. ``{"cascade": "all, delete-orphan", "passive_deletes": True}``.
    backref_options: Mapping[str, Any] | None = None
    #: Database name of an Enum type (default: the snake_case Enum class name).
    enum_name: str | None = None
    #: Store Enum members by ``"name"`` (SQLAlchemy's default) or by ``"value"``.
    enum_by: Literal["name", "value"] = "name"
    #: Whether the database creates a native enum type (PostgreSQL) or a VARCHAR.
    native_enum: bool = True
    #: ``False`` keeps the field out of the table (an API-only field).
    persist: bool = True


#: The relationship options dbkit carries (others, such as a custom ``primaryjoin``, are declared by hand).
RELATIONSHIP_OPTIONS = (
    "cascade",
    "passive_deletes",
    "lazy",
    "order_by",
    "uselist",
    "viewonly",
    "single_parent",
    "overlaps",
)


@dataclass(frozen=True)
class DBRelationship:
    """A relationship that no foreign-key field of the model states: one-to-many, one-to-one,
    many-to-many through an association table, or a self-referential adjacency list.

    Declare them in the model's ``db_relationships`` class variable, by attribute name::

        db_relationships: ClassVar[dict[str, DBRelationship]] = {
            "tags": DBRelationship("Tag", secondary="account_tags", back_populates="accounts"),
            "children": DBRelationship("Category", back_populates="parent", cascade="all, delete-orphan"),
        }

    Every option left ``None`` is SQLAlchemy's default.
    """

    #: The related class: a ``DatabaseMixin`` model, a mapped class, or a class name in the
    #: manager's registry (a hand-written class kept beside the generated ones).
    target: Any
    #: The association table's name, for a many-to-many.
    secondary: str | None = None
    #: The relationship on ``target`` that is the other side of this one.
    back_populates: str | None = None
    #: A backref to create on ``target`` instead (``back_populates`` is the explicit form).
    backref: str | None = None
    backref_options: Mapping[str, Any] | None = None
    #: Columns holding the foreign key, when several paths join the two tables: ``"column"`` of
    #: this table or ``"table.column"``.
    foreign_keys: tuple[str, ...] = ()
    #: Columns of ``target`` on the remote side (a self-referential many-to-one names the primary key).
    remote_side: tuple[str, ...] = ()
    cascade: str | None = None
    passive_deletes: bool | str | None = None
    lazy: str | None = None
    #: Columns of ``target`` to order by; ``"name desc"`` sorts descending.
    order_by: tuple[str, ...] = ()
    uselist: bool | None = None
    viewonly: bool | None = None
    single_parent: bool | None = None
    #: Relationships this one knowingly writes the same columns as (``"owner, items"``).
    overlaps: str | None = None


def column_options(field: FieldInfo) -> DBColumn:
    """The field's ``DBColumn`` (the last one wins), or the defaults when it has none."""
    found = [item for item in field.metadata if isinstance(item, DBColumn)]
    return found[-1] if found else DBColumn()
