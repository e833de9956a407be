"""The structured plan of what scaffold writes: modules, models and fields, as values and expressions.

The generator fills these in, one decision at a time; :mod:`.render` turns them into source at
the very end. Nothing here is pre-rendered source: a ``DBColumn`` option is a value (``True``,
``"name"``) or an :class:`~.code.Expr` (``sa.text("0")``, ``OwnerModel``), a default is an
expression, and a ``default_factory`` has its own slot.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from dbkit.migrate.codemod.scaffold.code import Expr, OrNone
from dbkit.migrate.codemod.scaffold.facts import ColumnLevel, RelationshipInfo
from dbkit.migrate.codemod.scaffold.results import SourceTable


@dataclass
class FieldPlan:
    """One field of a scaffolded model: ``name: Annotated[type | None, DBColumn(**options)] = Field(...)``."""

    name: str
    #: The Python type, without ``| None`` (see :attr:`optional`).
    type: Expr | None = None
    #: Whether the annotation says ``| None`` (nullable, or a value the database generates).
    optional: bool = False
    #: ``DBColumn`` keyword → a literal value or an expression; rendered in ``DBColumn``'s field order.
    options: dict[str, Any] = field(default_factory=dict)
    #: The field's default value (``None`` for an optional field without one); None: required.
    default: Expr | None = None
    #: A function building the default (``Field(default_factory=...)``), instead of :attr:`default`.
    default_factory: Expr | None = None
    #: ``Field(description=...)``: dbkit makes it the column comment.
    description: str | None = None
    #: Pydantic constraints the type registry reads back into the type (``max_length``...).
    constraints: dict[str, Any] = field(default_factory=dict)

    @property
    def annotation(self) -> Expr:
        """The type as annotated, ``| None`` included (without the ``Annotated`` wrapper)."""
        if self.type is None:
            raise ValueError(f"field {self.name!r} has no type yet")
        return OrNone(self.type) if self.optional else self.type


@dataclass
class ModelPlan:
    """One model: its class name and module, bases, class variables, table arguments and fields."""

    source: SourceTable
    name: str
    module: str
    #: ``ApplicationModel`` (the audit mixins) supplies ``id`` and the audit columns.
    audit: bool = False
    #: The table's ``id`` column is exactly dbkit's: the model declares no ``id`` of its own.
    mixin_id: bool = False
    #: ``table_name: ClassVar[str]``, when dbkit would derive another name from the class name.
    table_name: str | None = None
    table_comment: str | None = None
    #: ``XModel.ReferenceID`` (``.Optional``) bases, in column order.
    reference_bases: list[Expr] = field(default_factory=list)
    fields: list[FieldPlan] = field(default_factory=list)
    #: ``table_args: ClassVar[tuple]`` items: constraints, indexes, dialect options.
    table_args: list[Expr] = field(default_factory=list)
    #: ``db_relationships: ClassVar[dict]``: relationship name → ``DBRelationship(...)``.
    declared_relationships: dict[str, Expr] = field(default_factory=dict)
    #: Facts planning reads: the hand-written many-to-one relationships and column-level items,
    #: by column name, and the field names taken so far.
    relationships: dict[str, RelationshipInfo] = field(default_factory=dict, repr=False)
    column_level: dict[str, ColumnLevel] = field(default_factory=dict, repr=False)
    used_names: set[str] = field(default_factory=set, repr=False)

    @property
    def table(self) -> sa.Table:
        return self.source.table

    @property
    def declares_class_vars(self) -> bool:
        """Whether the class says ``table_name``, ``table_comment`` or ``audit_columns``."""
        return self.table_name is not None or bool(self.table_comment) or not self.audit


@dataclass
class ModulePlan:
    """One ``BLL_*`` module: its docstring, enum classes and models (the renderer derives its imports)."""

    name: str
    docstring: str
    #: Enum classes defined here (class, rendered name, members as name and value), in the order
    #: models first used them.
    enums: list[tuple[type[enum.Enum], str, list[tuple[str, Expr]]]]
    models: list[ModelPlan]
    #: Every generated module: their imports are grouped as the codebase's own.
    local_modules: list[str]
