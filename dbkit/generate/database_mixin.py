"""``DatabaseMixin``: a Pydantic model whose ``.DB`` is a generated SQLAlchemy class.

``UserModel.DB`` generates (once per manager, lazily) against the active manager:
``DatabaseManager.default()`` unless a block runs under ``manager.activate()`` or a
``ModelRegistry`` bound the model. ``UserModel.db_for(manager)`` names a manager explicitly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic._internal._model_construction import ModelMetaclass

from dbkit.entity import Hooks, HooksDescriptor
from dbkit.generate import crud_variants  # noqa: F401  (registers Create, Update, Search, Network)
from dbkit.generate.builder import DATABASE_MODEL_MARKER, generator_for
from dbkit.generate.options import DBRelationship
from dbkit.generate.variants import install_variants
from dbkit.manager import DatabaseManager, active_manager
from dbkit.search import DateSearchModel, IdSearchModel


class DatabaseModelMeta(ModelMetaclass):
    """Adds the class-level ``.DB`` property (a property on a Pydantic model body is refused)."""

    @property
    def DB(cls) -> type:  # noqa: N805 - a property of the metaclass: its instance is the model class
        return generator_for(active_manager()).generate(cls)

    @property
    def hooks(cls) -> Hooks:  # noqa: N805 - a metaclass property receives the class
        """Before/after create/update/delete hooks of the model, run by the business layer on every manager."""
        return HooksDescriptor().__get__(None, cls)


class DatabaseMixin(BaseModel, metaclass=DatabaseModelMeta):
    """Inherit to make a Pydantic model the single definition of a table.

    Class variables (all optional): ``table_name`` (default: ``UserTeamModel`` → ``user_teams``),
    ``table_comment``, ``table_args`` (SQLAlchemy constraints and indexes), ``migration_notes``
    (free text, or a dict with structured hints for the migration engine), ``audit_columns``
    (``False`` drops ``created_*``/``updated_*``/``deleted_*``), ``db_mixins`` (extra
    SQLAlchemy mixins such as ``ParentMixin``) and ``db_class_name`` (the generated class's name;
    default: the model's name without ``Model``, the legacy class it replaces). Column options go
    on fields via ``DBColumn``; relationships no field states (one-to-many, many-to-many,
    adjacency lists) in ``db_relationships``, as :class:`~dbkit.generate.options.DBRelationship`.
    """

    model_config = ConfigDict(from_attributes=True)

    table_name: ClassVar[str | None] = None
    table_comment: ClassVar[str | None] = None
    table_args: ClassVar[tuple[Any, ...]] = ()
    migration_notes: ClassVar[str | dict[str, Any] | None] = None
    audit_columns: ClassVar[bool] = True
    db_mixins: ClassVar[tuple[type, ...]] = ()
    db_class_name: ClassVar[str | None] = None
    db_relationships: ClassVar[dict[str, DBRelationship]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        type.__setattr__(cls, DATABASE_MODEL_MARKER, True)
        install_variants(cls)

    @classmethod
    def db_for(cls, manager: DatabaseManager) -> type:
        """The SQLAlchemy class generated for this model on ``manager`` (generated on first call)."""
        return generator_for(manager).generate(cls)


class ApplicationModel(BaseModel):
    """The fields every entity exposes: ``id``, ``created_at``, ``created_by_user_id``.

    Combine with ``DatabaseMixin`` in any base order; the columns come from ``BaseMixin``.
    """

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(..., description="Unique identifier")
    created_at: dt.datetime | None = Field(None, description="When the row was created")
    created_by_user_id: str | None = Field(None, description="Who created the row")

    class Optional(BaseModel):
        model_config = ConfigDict(from_attributes=True)

        id: str | None = Field(None, description="Unique identifier")
        created_at: dt.datetime | None = Field(None, description="When the row was created")
        created_by_user_id: str | None = Field(None, description="Who created the row")

    class Search(BaseModel):
        id: IdSearchModel | None = None
        created_at: DateSearchModel | None = None
        created_by_user_id: IdSearchModel | None = None
