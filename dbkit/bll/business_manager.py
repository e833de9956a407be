"""``AbstractBLLManager``: create, get, list, search, update and delete one model's rows, as one requester.

::

    class DocumentManager(AbstractBLLManager):
        Model = DocumentModel                  # ReferenceModel and NetworkModel default to
                                               # DocumentModel.ReferenceID / .Network
    documents = DocumentManager(requester_id=user_id, model_registry=registry)
    doc = documents.create(title="Plan", user_id=user_id)          # a DocumentModel
    documents.search(title={"inc": "plan"}, limit=20, order_by=["-created_at"])
    documents.update(doc.id, title="Plan B"); documents.delete(doc.id)

Every method runs in one ``with_session`` unit of work (pass ``db=`` to use yours) and applies
the permission rules of :mod:`dbkit.bll.permissions` in its SQL. Hooks registered on the model
(``DocumentModel.hooks.before_create``) or on the entity class run around each write; an
exception in a hook aborts the operation and rolls the whole unit of work back.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from dbkit.bll.permissions import DELETED_COLUMN, OWNER_COLUMN, AccessPolicy, PermissionRules, is_valid_id
from dbkit.bll.query import order_clauses, search_conditions
from dbkit.bll.session import ReturnType, to_return_type, with_session
from dbkit.entity import HookEvent, Hooks, HookTime
from dbkit.errors import ConfigurationError, ModelDefinitionError, NotFoundError, PermissionDeniedError
from dbkit.generate.options import column_options
from dbkit.manager import DatabaseManager, active_manager

UPDATER_COLUMN = "updated_by_user_id"
DELETER_COLUMN = "deleted_by_user_id"


@dataclass
class HookContext:
    """What a hook sees besides the row: who asked, the session, and the validated input."""

    event: HookEvent
    requester_id: str
    db: Session
    manager: AbstractBLLManager
    #: Every validated input value (including fields that are not stored, such as a password).
    data: dict[str, Any] = field(default_factory=dict)
    #: For updates, the stored fields being changed and their new values.
    changes: dict[str, Any] = field(default_factory=dict)


class AbstractBLLManager:
    """The business-logic manager of one model; subclass it and set ``Model``."""

    Model: ClassVar[type[BaseModel]]
    ReferenceModel: ClassVar[type | None] = None
    NetworkModel: ClassVar[type | None] = None
    #: A hand-written mapped class to use instead of ``Model``'s generated one.
    Entity: ClassVar[type | None] = None
    #: Where the permission rules find users, teams, memberships and roles.
    rules: ClassVar[PermissionRules | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        model = cls.__dict__.get("Model")
        if model is not None:
            if cls.__dict__.get("ReferenceModel") is None:
                cls.ReferenceModel = getattr(model, "ReferenceID", None)
            if cls.__dict__.get("NetworkModel") is None:
                cls.NetworkModel = getattr(model, "Network", None)

    def __init__(
        self,
        requester_id: Any,
        model_registry: Any = None,
        db_manager: DatabaseManager | None = None,
        *,
        rules: PermissionRules | None = None,
    ) -> None:
        if getattr(type(self), "Model", None) is None:
            raise ModelDefinitionError(f"{type(self).__name__} must set Model = <your DatabaseMixin model>.")
        if model_registry is not None:
            if db_manager is not None and db_manager is not model_registry.manager:
                raise ConfigurationError(
                    f"{type(self).__name__}: model_registry is bound to {model_registry.manager!r} but db_manager is "
                    f"{db_manager!r}; pass one of them."
                )
            db_manager = model_registry.manager
        self.model_registry = model_registry
        self.db_manager: DatabaseManager = db_manager or active_manager()
        self.entity: type = self._entity_class()
        self.policy = AccessPolicy(self.db_manager, rules or self.rules)
        self.requester = self.policy.requester(requester_id)
        self.requester_id = self.requester.id
        self._requester_checked = False
        self._read_condition = self.policy.read_condition(self.entity, self.requester)
        self._write_condition = self.policy.write_condition(self.entity, self.requester)
        self._describe_entity()

    # -- set-up --------------------------------------------------------------------------------
    def _entity_class(self) -> type:
        if self.Entity is not None:
            return self.Entity
        if self.model_registry is not None:
            return self.model_registry.DB(self.Model)
        db_for = getattr(self.Model, "db_for", None)
        if db_for is None:
            raise ModelDefinitionError(
                f"{type(self).__name__}.Model {self.Model.__name__} is not a DatabaseMixin model: set Entity to "
                "its mapped class."
            )
        return db_for(self.db_manager)

    def _describe_entity(self) -> None:
        mapper = sa_inspect(self.entity)
        if len(mapper.primary_key) != 1:
            raise ModelDefinitionError(
                f"{self.entity.__name__} has a composite primary key; AbstractBLLManager addresses rows by one id."
            )
        self._primary_key = mapper.primary_key[0]
        self._key_attribute = mapper.get_property_by_column(self._primary_key).key
        self._key_is_uuid = isinstance(self._primary_key.type, sa.Uuid)
        columns = {attr.key for attr in mapper.column_attrs}
        stored = {
            name
            for name, info in self.Model.model_fields.items()
            if name in columns and column_options(info).persist
        }
        self._stored_fields = frozenset(stored)
        table = self.entity.__table__
        self._has = {
            name: name in table.c for name in (OWNER_COLUMN, UPDATER_COLUMN, DELETED_COLUMN, DELETER_COLUMN)
        }
        self._team_attribute = (
            self.policy.rules.team_column if self.policy.rules.team_column in columns else None
        )
        self._read_columns: dict[type[BaseModel] | None, tuple[Any, ...]] = {}
        self._hooks: list[Hooks] = [
            h
            for h in (getattr(self.Model, "hooks", None), getattr(self.entity, "hooks", None))
            if isinstance(h, Hooks)
        ]

    # -- shared steps ----------------------------------------------------------------------------
    def _check_requester(self, db: Session) -> None:
        if not self._requester_checked:
            self.policy.check_requester_exists(db, self.requester)
            self._requester_checked = True

    @staticmethod
    def _validated(variant: type[BaseModel], data: Any, fields: dict[str, Any]) -> BaseModel:
        if data is not None and fields:
            raise TypeError(f"Pass either a {variant.__name__} (or dict) or keyword fields, not both.")
        if data is None:
            data = fields
        if isinstance(data, variant):
            return data
        if isinstance(data, BaseModel):
            data = data.model_dump(exclude_unset=True)
        return variant.model_validate(data)

    def _convert(self, entity: Any, return_type: ReturnType, override_dto: type[BaseModel] | None) -> Any:
        return to_return_type(entity, return_type, self.Model, override_dto)

    def _columns_for(self, return_type: ReturnType, override_dto: type[BaseModel] | None) -> tuple[Any, ...]:
        """The column attributes a read returns: every column for dicts, the model's fields for DTOs."""
        target = None if return_type == "dict" else (override_dto or self.Model)
        columns = self._read_columns.get(target)
        if columns is None:
            mapper = sa_inspect(self.entity)
            names = [attr.key for attr in mapper.column_attrs]
            if target is not None:
                names = [name for name in names if name in target.model_fields]
            columns = self._read_columns[target] = tuple(getattr(self.entity, name) for name in names)
        return columns

    def _readable(self, return_type: ReturnType, override_dto: type[BaseModel] | None) -> sa.Select[Any]:
        """SELECT of what a read returns, limited to the rows the requester may read."""
        if return_type == "db":
            query = sa.select(self.entity)
        elif return_type in ("dict", "dto", "model"):
            query = sa.select(*self._columns_for(return_type, override_dto))
        else:
            raise ValueError(f"Unknown return_type {return_type!r}; use one of db, dict, dto, model.")
        return query if self._read_condition is None else query.where(self._read_condition)

    def _read_rows(
        self,
        db: Session,
        query: sa.Select[Any],
        return_type: ReturnType,
        override_dto: type[BaseModel] | None,
    ) -> builtins.list[Any]:
        """ORM objects for ``"db"``; otherwise plain column rows straight into dicts or DTOs.

        Reading columns rather than ORM objects skips the identity map and attribute
        instrumentation, which cost more than the Pydantic validation that follows.
        """
        result = db.execute(query)
        if return_type == "db":
            return builtins.list(result.scalars())
        keys = builtins.list(result.keys())
        rows = [dict(zip(keys, row, strict=True)) for row in result]
        if return_type == "dict":
            return rows
        validate = (override_dto or self.Model).model_validate
        return [validate(row) for row in rows]

    def _key_of(self, row: Any) -> str:
        return str(row[self._key_attribute] if isinstance(row, dict) else getattr(row, self._key_attribute))

    def _run_hooks(self, time: HookTime, event: HookEvent, row: Any, context: HookContext) -> None:
        for hooks in self._hooks:
            hooks.run(time, event, row, context)

    def _has_hooks(self, event: HookEvent) -> bool:
        return any(hooks.of("before", event) or hooks.of("after", event) for hooks in self._hooks)

    def _context(
        self, event: HookEvent, db: Session, data: dict[str, Any], changes: dict[str, Any]
    ) -> HookContext:
        return HookContext(event, self.requester_id, db, self, data, changes)

    def _describe(self, key: Any) -> str:
        return f"{self.entity.__name__} {key!r}"

    def _check_key(self, key: Any) -> None:
        if self._key_is_uuid and not is_valid_id(key):
            raise NotFoundError(f"No {self._describe(key)}: {key!r} is not a valid id.")

    def _fetch(self, db: Session, key: Any, condition: Any, action: str, lock: bool = False) -> Any:
        """One row the condition allows, or the reason it is refused."""
        self._check_key(key)
        query = sa.select(self.entity).where(self._primary_key == key)
        if condition is not None:
            query = query.where(condition)
        if lock:
            query = query.with_for_update()
        row = db.execute(query).scalar_one_or_none()
        if row is None:
            self._refuse(db, key, action)
        return row

    def _refuse(self, db: Session, key: Any, action: str) -> None:
        """Tell a missing (or soft-deleted) row from one the requester may not touch."""
        table = self.entity.__table__
        query = sa.select(sa.literal(1)).select_from(table).where(self._primary_key == key)
        if self._has[DELETED_COLUMN] and not self.requester.is_root:
            query = query.where(table.c[DELETED_COLUMN].is_(None))
        if db.execute(query).first() is None:
            raise NotFoundError(f"No {self._describe(key)} (it does not exist or was deleted).")
        raise PermissionDeniedError(
            f"Requester {self.requester_id!r} may not {action} {self._describe(key)}: it is not theirs, not shared "
            "with them through a team role that allows it, and not a system row they may "
            f"{'read' if action == 'read' else 'change'}."
        )

    # -- create ----------------------------------------------------------------------------------
    @with_session
    def create(
        self,
        data: Any = None,
        /,
        *,
        return_type: ReturnType = "dto",
        override_dto: type[BaseModel] | None = None,
        db: Session | None = None,
        db_manager: DatabaseManager | None = None,
        **fields: Any,
    ) -> Any:
        """Insert one row from a ``Model.Create`` (or a dict, or keyword fields)."""
        assert db is not None
        self._check_requester(db)
        return self._convert(self._create_one(db, data, fields), return_type, override_dto)

    @with_session
    def batch_create(
        self,
        items: Iterable[Any],
        *,
        return_type: ReturnType = "dto",
        override_dto: type[BaseModel] | None = None,
        db: Session | None = None,
        db_manager: DatabaseManager | None = None,
    ) -> builtins.list[Any]:
        """Insert several rows in one unit of work: all of them, or none."""
        assert db is not None
        self._check_requester(db)
        rows = [self._create_one(db, item, {}) for item in items]
        return [self._convert(row, return_type, override_dto) for row in rows]

    def _create_one(self, db: Session, data: Any, fields: dict[str, Any]) -> Any:
        payload = self._validated(self.Model.Create, data, fields)
        self.policy.check_entity_writable(self.entity, self.requester, "create")
        values = payload.model_dump(include=self._stored_fields)
        if values.get(self._key_attribute, 0) is None:
            del values[self._key_attribute]  # let the column default generate it
        if self._team_attribute is not None:
            team_id = values.get(self._team_attribute)
            self.policy.check_team_writable(db, self.entity, self.requester, team_id, "create")
        row = self.entity(**values)
        if self._has[OWNER_COLUMN]:
            row.created_by_user_id = self.requester_id
        if not self._has_hooks("create"):
            db.add(row)
            db.flush()
            return row
        context = self._context("create", db, dict(payload), {})
        self._run_hooks("before", "create", row, context)
        db.add(row)
        db.flush()
        self._run_hooks("after", "create", row, context)
        return row

    # -- read ------------------------------------------------------------------------------------
    @with_session
    def get(
        self,
        key: Any,
        /,
        *,
        return_type: ReturnType = "dto",
        override_dto: type[BaseModel] | None = None,
        db: Session | None = None,
        db_manager: DatabaseManager | None = None,
    ) -> Any:
        """The row with this id, if the requester may read it (``NotFoundError``/``PermissionDeniedError``)."""
        assert db is not None
        self._check_requester(db)
        self._check_key(key)
        query = self._readable(return_type, override_dto).where(self._primary_key == key)
        rows = self._read_rows(db, query, return_type, override_dto)
        if not rows:
            self._refuse(db, key, "read")
        return rows[0]

    @with_session
    def batch_get(
        self,
        keys: Iterable[Any],
        *,
        return_type: ReturnType = "dto",
        override_dto: type[BaseModel] | None = None,
        db: Session | None = None,
        db_manager: DatabaseManager | None = None,
    ) -> builtins.list[Any]:
        """The rows with these ids, in the order asked; any refused id raises as ``get`` does."""
        assert db is not None
        self._check_requester(db)
        wanted = [str(key) for key in keys]
        valid = [key for key in wanted if not self._key_is_uuid or is_valid_id(key)]
        query = self._readable(return_type, override_dto).where(self._primary_key.in_(valid))
        found = {self._key_of(row): row for row in self._read_rows(db, query, return_type, override_dto)}
        for key in wanted:
            if key not in found:
                self._check_key(key)
                self._refuse(db, key, "read")
        return [found[key] for key in wanted]

    @with_session
    def search(
        self,
        criteria: Any = None,
        /,
        *,
        limit: int | None = None,
        offset: int | None = None,
        order_by: str | Iterable[str] | None = None,
        return_type: ReturnType = "dto",
        override_dto: type[BaseModel] | None = None,
        db: Session | None = None,
        db_manager: DatabaseManager | None = None,
        **fields: Any,
    ) -> builtins.list[Any]:
        """Rows matching a ``Model.Search`` (or ``email={"inc": "x"}`` keywords) that the requester may read."""
        assert db is not None
        self._check_requester(db)
        payload = self._validated(self.Model.Search, criteria, fields)
        query = self._readable(return_type, override_dto).where(*search_conditions(self.entity, payload))
        query = query.order_by(*order_clauses(self.entity, order_by))
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        return self._read_rows(db, query, return_type, override_dto)

    def list(
        self,
        *,
        limit: int | None = None,
        offset: int | None = None,
        order_by: str | Iterable[str] | None = None,
        return_type: ReturnType = "dto",
        override_dto: type[BaseModel] | None = None,
        db: Session | None = None,
    ) -> builtins.list[Any]:
        """Every row the requester may read, paged and ordered."""
        return self.search(
            None,
            limit=limit,
            offset=offset,
            order_by=order_by,
            return_type=return_type,
            override_dto=override_dto,
            db=db,
        )

    # -- update ----------------------------------------------------------------------------------
    @with_session
    def update(
        self,
        key: Any,
        data: Any = None,
        /,
        *,
        return_type: ReturnType = "dto",
        override_dto: type[BaseModel] | None = None,
        db: Session | None = None,
        db_manager: DatabaseManager | None = None,
        **fields: Any,
    ) -> Any:
        """Change the fields given (a ``Model.Update``, dict or keywords); fields not given stay as they are."""
        assert db is not None
        self._check_requester(db)
        return self._convert(self._update_one(db, key, data, fields), return_type, override_dto)

    @with_session
    def batch_update(
        self,
        changes: Mapping[Any, Any] | Iterable[tuple[Any, Any]],
        *,
        return_type: ReturnType = "dto",
        override_dto: type[BaseModel] | None = None,
        db: Session | None = None,
        db_manager: DatabaseManager | None = None,
    ) -> builtins.list[Any]:
        """Update several rows (id → changes) in one unit of work: all of them, or none."""
        assert db is not None
        self._check_requester(db)
        pairs = changes.items() if isinstance(changes, Mapping) else changes
        rows = [self._update_one(db, key, data, {}) for key, data in pairs]
        return [self._convert(row, return_type, override_dto) for row in rows]

    def _update_one(self, db: Session, key: Any, data: Any, fields: dict[str, Any]) -> Any:
        payload = self._validated(self.Model.Update, data, fields)
        self.policy.check_entity_writable(self.entity, self.requester, "update")
        row = self._fetch(db, key, self._write_condition, "update", lock=True)
        changes = payload.model_dump(exclude_unset=True, include=self._stored_fields)
        if self._team_attribute is not None and self._team_attribute in changes:
            self.policy.check_team_writable(
                db, self.entity, self.requester, changes[self._team_attribute], "move"
            )
        for name, value in changes.items():
            setattr(row, name, value)
        if self._has[UPDATER_COLUMN]:
            row.updated_by_user_id = self.requester_id
        context = self._context("update", db, payload.model_dump(exclude_unset=True), changes)
        self._run_hooks("before", "update", row, context)
        db.flush()
        self._run_hooks("after", "update", row, context)
        return row

    # -- delete ----------------------------------------------------------------------------------
    @with_session
    def delete(
        self, key: Any, /, *, db: Session | None = None, db_manager: DatabaseManager | None = None
    ) -> None:
        """Soft-delete the row (``deleted_at``/``deleted_by_user_id``); tables without them lose the row."""
        assert db is not None
        self._check_requester(db)
        self._delete_one(db, key)

    @with_session
    def batch_delete(
        self, keys: Iterable[Any], *, db: Session | None = None, db_manager: DatabaseManager | None = None
    ) -> None:
        """Delete several rows in one unit of work: all of them, or none."""
        assert db is not None
        self._check_requester(db)
        for key in keys:
            self._delete_one(db, key)

    def _delete_one(self, db: Session, key: Any) -> None:
        self.policy.check_entity_writable(self.entity, self.requester, "delete")
        row = self._fetch(db, key, self._write_condition, "delete", lock=True)
        if self._has[DELETED_COLUMN] and row.deleted_at is not None:
            raise NotFoundError(f"No {self._describe(key)} (it was already deleted).")
        context = self._context("delete", db, {}, {})
        self._run_hooks("before", "delete", row, context)
        if self._has[DELETED_COLUMN]:
            row.deleted_at = sa.func.now()
            if self._has[DELETER_COLUMN]:
                row.deleted_by_user_id = self.requester_id
        else:
            db.delete(row)
        db.flush()
        self._run_hooks("after", "delete", row, context)
