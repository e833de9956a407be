"""The entity mixins (the seed's ``AbstractDatabaseEntity``) shared by hand-written and generated models.

``class User(Base, BaseMixin, UpdateMixin)`` on any dbkit manager's ``Base`` gets the same
columns a generated model gets, so the two kinds live on one Base and reference each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from dbkit.errors import ModelDefinitionError
from dbkit.manager import PK_COLUMN_TYPE

HookTime = Literal["before", "after"]
HookEvent = Literal["create", "update", "delete"]
HOOK_TIMES: tuple[HookTime, ...] = ("before", "after")
HOOK_EVENTS: tuple[HookEvent, ...] = ("create", "update", "delete")


def new_id() -> str:
    """A new primary-key value: a uuid4 string (stored natively as UUID on PostgreSQL)."""
    return str(uuid.uuid4())


class Hooks:
    """Before/after hooks of one entity class for create, update and delete.

    The business layer runs them: an exception in a before-hook aborts the operation.
    """

    def __init__(self, owner: type) -> None:
        self.owner = owner
        self._hooks: dict[tuple[str, str], list[Callable[..., Any]]] = {
            (time, event): [] for time in HOOK_TIMES for event in HOOK_EVENTS
        }

    def register(self, time: HookTime, event: HookEvent, hook: Callable[..., Any]) -> Callable[..., Any]:
        if (time, event) not in self._hooks:
            raise ValueError(f"Unknown hook {time}_{event}; use one of {sorted(self._names())}.")
        self._hooks[(time, event)].append(hook)
        return hook

    def _names(self) -> set[str]:
        return {f"{time}_{event}" for time, event in self._hooks}

    def __getattr__(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """``User.hooks.before_create`` is a decorator registering a hook."""
        time, _, event = name.partition("_")
        if (time, event) not in self.__dict__.get("_hooks", {}):
            raise AttributeError(name)
        return lambda hook: self.register(time, event, hook)  # type: ignore[arg-type]

    def of(self, time: HookTime, event: HookEvent) -> list[Callable[..., Any]]:
        return list(self._hooks[(time, event)])

    def run(self, time: HookTime, event: HookEvent, *args: Any, **kwargs: Any) -> None:
        for hook in self._hooks[(time, event)]:
            hook(*args, **kwargs)


class HooksDescriptor:
    """Gives each class its own :class:`Hooks`, created on first access."""

    def __get__(self, obj: Any, owner: type | None = None) -> Hooks:
        cls = owner if owner is not None else type(obj)
        hooks = cls.__dict__.get("_dbkit_hooks")
        if hooks is None:
            hooks = Hooks(cls)
            type.__setattr__(cls, "_dbkit_hooks", hooks)
        return hooks


def _target_table_and_type(target: Any, column: str | None) -> tuple[str, str, sa.types.TypeEngine[Any]]:
    """Table name, referenced column and its type for a mapped class, a ``Table`` or a table name."""
    table = getattr(target, "__table__", target)
    if isinstance(table, sa.Table):
        pk = column or _single_primary_key(table)
        if pk not in table.c:
            raise ModelDefinitionError(f"Foreign key target {table.name}.{pk} does not exist.")
        return table.name, pk, table.c[pk].type
    if isinstance(target, str):
        table_name, _, target_column = target.partition(".")
        return table_name, column or target_column or "id", PK_COLUMN_TYPE
    raise ModelDefinitionError(
        f"Cannot reference {target!r}: give a mapped class, a Table, or a table name such as 'users'."
    )


def _single_primary_key(table: sa.Table) -> str:
    keys = [c.name for c in table.primary_key.columns]
    if len(keys) != 1:
        raise ModelDefinitionError(
            f"Table {table.name} has a composite primary key {keys}: name the referenced column, "
            "or declare a composite ForeignKeyConstraint in the table arguments."
        )
    return keys[0]


class EntityMixin:
    """What every dbkit entity has, columns aside: seed rows, the system flag and hooks."""

    #: Entities marked ``system = True`` are writable only by the root and system requesters.
    system: ClassVar[bool] = False
    #: Rows inserted by seeding (dicts of column values), in order.
    seed_list: ClassVar[list[dict[str, Any]]] = []
    hooks: ClassVar[HooksDescriptor] = HooksDescriptor()  # type: ignore[assignment]

    @classmethod
    def create_foreign_key(
        cls,
        target: Any,
        *,
        nullable: bool = True,
        ondelete: str | None = None,
        onupdate: str | None = None,
        constraint_name: str | None = None,
        column: str | None = None,
        **column_kwargs: Any,
    ) -> sa.Column[Any]:
        """A column referencing ``target``'s primary key (or ``column``), with the target's type.

        Unnamed constraints get the standard name ``fk_<table>_<column>`` from the naming
        convention (``fk_documents_user_id``); ``constraint_name`` keeps an explicit one.
        """
        table_name, target_column, target_type = _target_table_and_type(target, column)
        foreign_key = sa.ForeignKey(
            f"{table_name}.{target_column}", ondelete=ondelete, onupdate=onupdate, name=constraint_name
        )
        return sa.Column(target_type, foreign_key, nullable=nullable, **column_kwargs)


class IdMixin:
    """A uuid4 string primary key ``id``."""

    @declared_attr
    def id(cls) -> Mapped[str]:  # noqa: N805 - declared_attr takes the class
        return mapped_column(PK_COLUMN_TYPE, primary_key=True, default=new_id, sort_order=-100)


class AuditMixin:
    """Who created a row and when (the database clock decides when)."""

    @declared_attr
    def created_at(cls) -> Mapped[Any]:  # noqa: N805
        return mapped_column(
            sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now(), sort_order=100
        )

    @declared_attr
    def created_by_user_id(cls) -> Mapped[str | None]:  # noqa: N805
        return mapped_column(PK_COLUMN_TYPE, nullable=True, sort_order=101)


class BaseMixin(EntityMixin, IdMixin, AuditMixin):
    """The seed's ``BaseMixin``: ``id``, ``created_at``, ``created_by_user_id``, hooks, seeds."""


class UpdateMixin:
    """Update stamps and soft delete (``deleted_at`` set means the row is deleted)."""

    @declared_attr
    def updated_at(cls) -> Mapped[Any]:  # noqa: N805
        return mapped_column(
            sa.DateTime(timezone=True),
            nullable=True,
            server_default=sa.func.now(),
            onupdate=sa.func.now(),
            sort_order=102,
        )

    @declared_attr
    def updated_by_user_id(cls) -> Mapped[str | None]:  # noqa: N805
        return mapped_column(PK_COLUMN_TYPE, nullable=True, sort_order=103)

    @declared_attr
    def deleted_at(cls) -> Mapped[Any]:  # noqa: N805
        return mapped_column(sa.DateTime(timezone=True), nullable=True, sort_order=104)

    @declared_attr
    def deleted_by_user_id(cls) -> Mapped[str | None]:  # noqa: N805
        return mapped_column(PK_COLUMN_TYPE, nullable=True, sort_order=105)


class ParentMixin:
    """A self-reference: ``parent_id`` with ``parent`` and ``children`` relationships."""

    @declared_attr
    def parent_id(cls) -> Mapped[str | None]:  # noqa: N805
        return mapped_column(
            PK_COLUMN_TYPE, sa.ForeignKey(f"{cls.__tablename__}.id"), nullable=True, sort_order=99
        )

    @declared_attr
    def parent(cls) -> Mapped[Any]:  # noqa: N805
        return relationship(
            cls,
            remote_side=lambda: [cls.__table__.c.id],
            foreign_keys=lambda: [cls.__table__.c.parent_id],
            backref="children",
        )


#: Column names each mixin provides; a Pydantic field of the same name maps to the mixin's column.
MIXIN_COLUMNS: dict[type, tuple[str, ...]] = {
    IdMixin: ("id",),
    AuditMixin: ("created_at", "created_by_user_id"),
    UpdateMixin: ("updated_at", "updated_by_user_id", "deleted_at", "deleted_by_user_id"),
    ParentMixin: ("parent_id",),
}


#: The audit columns of ``BaseMixin`` + ``UpdateMixin``, in table order after ``id``: the database fills them.
AUDIT_COLUMN_NAMES: tuple[str, ...] = MIXIN_COLUMNS[AuditMixin] + MIXIN_COLUMNS[UpdateMixin]


def mixin_columns(mixins: tuple[type, ...]) -> set[str]:
    """Every column name provided by ``mixins`` (and their bases)."""
    names: set[str] = set()
    for mixin in mixins:
        for klass in mixin.__mro__:
            names.update(MIXIN_COLUMNS.get(klass, ()))
    return names
