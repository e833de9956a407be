"""``with_session``: one unit of work per outermost call, shared by every nested call.

A decorated function takes ``db`` (a Session) and ``db_manager`` keyword arguments. When the
caller passes a ``db``, it is used as is: the caller owns the transaction. Otherwise the
decorator reuses the session an enclosing decorated call opened on the same database manager
(tracked in a context variable, so threads and asyncio tasks do not share it), or opens one,
commits it when the call returns, rolls it back on any error and always closes it. Nested calls
never commit halfway through the outer unit of work.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from dbkit.manager import DatabaseManager, active_manager

ReturnType = Literal["db", "dict", "dto", "model"]
RETURN_TYPES: tuple[str, ...] = ("db", "dict", "dto", "model")

F = TypeVar("F", bound=Callable[..., Any])

#: Sessions opened by enclosing ``with_session`` calls, per database manager.
_open_sessions: contextvars.ContextVar[Mapping[DatabaseManager, Session] | None] = contextvars.ContextVar(
    "dbkit_open_sessions", default=None
)


def current_session(db_manager: DatabaseManager) -> Session | None:
    """The session an enclosing ``with_session`` call holds open on ``db_manager``, if any."""
    return (_open_sessions.get() or {}).get(db_manager)


def _manager_from(candidate: Any) -> DatabaseManager | None:
    if isinstance(candidate, DatabaseManager):
        return candidate
    own = getattr(candidate, "__dict__", None)
    if own is not None and isinstance(own.get("db_manager"), DatabaseManager):  # the fast path: a BLL manager
        return own["db_manager"]
    registry_manager = inspect.getattr_static(candidate, "manager", None)  # a ModelRegistry
    if isinstance(registry_manager, DatabaseManager):
        return registry_manager
    for attribute in ("db_manager", "model_registry"):
        value = inspect.getattr_static(candidate, attribute, None)
        if isinstance(value, DatabaseManager):
            return value
        manager = getattr(value, "manager", None)
        if isinstance(manager, DatabaseManager):
            return manager
    return None


def resolve_manager(args: tuple[Any, ...], kwargs: dict[str, Any]) -> DatabaseManager:
    """``db_manager=`` or ``model_registry=`` arguments, then ``self``/``cls``, then the active manager."""
    for key in ("db_manager", "model_registry"):
        found = _manager_from(kwargs.get(key)) if kwargs.get(key) is not None else None
        if found is not None:
            return found
    if args:
        found = _manager_from(args[0])
        if found is not None:
            return found
    return active_manager()


def with_session(func: F) -> F:
    """Give ``func`` a session (``db``) and its manager (``db_manager``) unless the caller did.

    Works on plain functions, methods and classmethods (either decorator order).
    """
    if isinstance(func, classmethod):
        return classmethod(with_session(func.__func__))  # type: ignore[return-value]

    @functools.wraps(func)
    def run_in_session(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("db") is not None:
            if kwargs.get("db_manager") is None:
                kwargs["db_manager"] = resolve_manager(args, kwargs)
            return func(*args, **kwargs)
        db_manager = resolve_manager(args, kwargs)
        kwargs["db_manager"] = db_manager
        open_sessions = _open_sessions.get() or {}
        shared = open_sessions.get(db_manager)
        if shared is not None:
            kwargs["db"] = shared
            return func(*args, **kwargs)
        with db_manager.get_db() as db:
            token = _open_sessions.set({**open_sessions, db_manager: db})
            try:
                kwargs["db"] = db
                return func(*args, **kwargs)
            finally:
                _open_sessions.reset(token)

    return run_in_session  # type: ignore[return-value]


def column_values(entity: Any) -> dict[str, Any]:
    """The mapped column attributes of an ORM object, by attribute name."""
    mapper = sa_inspect(type(entity))
    return {attr.key: getattr(entity, attr.key) for attr in mapper.column_attrs}


def to_return_type(
    entity: Any,
    return_type: ReturnType,
    model: type[BaseModel] | None = None,
    override_dto: type[BaseModel] | None = None,
) -> Any:
    """An ORM object as the caller asked: itself (``"db"``), a dict of its columns, or a Pydantic model.

    ``override_dto`` replaces the default model for ``"dto"``/``"model"``.
    """
    if return_type == "db":
        return entity
    if return_type == "dict":
        return column_values(entity)
    if return_type in ("dto", "model"):
        target = override_dto or model
        if target is None:
            raise ValueError("return_type='dto' needs a Pydantic model: pass override_dto=YourModel.")
        return target.model_validate(entity, from_attributes=True)
    raise ValueError(f"Unknown return_type {return_type!r}; use one of {', '.join(RETURN_TYPES)}.")
