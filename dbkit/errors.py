"""Typed errors. Each message says what failed, where, and what to do about it."""

from __future__ import annotations

from contextvars import ContextVar


class DbkitError(Exception):
    """Base of every error dbkit raises on purpose."""


class ConfigurationError(DbkitError):
    """A manager, URL or environment setting is unusable."""


class DatabaseConnectionError(ConfigurationError):
    """A database could not be reached (``test_connection=True`` or a command given a URL)."""


class ModelDefinitionError(DbkitError):
    """A business-logic model cannot be turned into a table as written."""


class UnsupportedFieldTypeError(ModelDefinitionError):
    """No column type is registered for a field's Python type."""


class ModelReferenceError(ModelDefinitionError):
    """A reference points at an unknown model, or two references produce the same name."""


class PermissionDeniedError(DbkitError):
    """A requester may not do what it asked; the message says what was refused."""


class NotFoundError(DbkitError):
    """A row does not exist, or is not visible to the requester."""


class MigrationRuntimeError(RuntimeError):
    """A revision stopped itself before it could damage data; the message says why and what to do.

    Raised inside revision files as they run (not a :class:`DbkitError`: Alembic and the user's own
    runner see a plain runtime failure), caught and explained by ``dbkit upgrade``.
    """


# -- where the engine was when something broke ------------------------------------------------------
#: The innermost :class:`working_on` of this thread or task; each one's token leads to the one around it.
_CURRENT: ContextVar[working_on | None] = ContextVar("dbkit_working_on", default=None)


class working_on:  # noqa: N801  (used as a function: ``with working_on(table=...):``)
    """Context manager naming what the engine is working on, for the error an unexpected failure makes.

    ``with working_on(table=name):`` around a per-table loop body (``column=`` per column, ``what=``
    for a step): an exception escaping it records, once, where it happened. The innermost context
    wins, and a part it leaves out (a column's table) comes from the contexts around it. The
    location is read with :func:`location_of` and shows in tracebacks as a note. Cheap enough for
    per-column loops: one small object and a ``ContextVar`` token per use, no string built unless
    something fails. State is per thread and per asyncio task (a ``ContextVar``).
    """

    __slots__ = ("_token", "column", "table", "what")

    def __init__(self, table: str | None = None, column: str | None = None, what: str | None = None) -> None:
        self.table, self.column, self.what = table, column, what

    def __enter__(self) -> working_on:
        self._token = _CURRENT.set(self)
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, traceback: object) -> None:
        _CURRENT.reset(self._token)
        if exc is not None and isinstance(exc, Exception) and getattr(exc, "dbkit_location", None) is None:
            _record(exc, self.location())

    def location(self) -> str | None:
        """``"table 'users', column 'email'"``: each part from the innermost context that names it."""
        table = column = what = None
        frame: working_on | None = self
        while frame is not None:
            table = frame.table if table is None else table
            column = frame.column if column is None else column
            what = frame.what if what is None else what
            outer = frame._token.old_value
            frame = outer if isinstance(outer, working_on) else None
        parts = [
            f"table {table!r}" if table is not None else "",
            f"column {column!r}" if column is not None else "",
        ]
        where = ", ".join(part for part in parts if part)
        if what is not None:
            where = f"{where} ({what})" if where else what
        return where or None


def location_of(exc: BaseException) -> str | None:
    """Where the engine was when ``exc`` escaped (``"table 'users', column 'email'"``), if known."""
    return getattr(exc, "dbkit_location", None)


def current_location() -> str | None:
    """Where the engine is now (``None`` outside every :class:`working_on`)."""
    innermost = _CURRENT.get()
    return innermost.location() if innermost is not None else None


def _record(exc: BaseException, location: str | None) -> None:
    if location is None:
        return
    try:
        exc.dbkit_location = location  # type: ignore[attr-defined]
        exc.add_note(f"(dbkit was working on {location})")
    except (AttributeError, TypeError):  # an exception type without a __dict__: nothing to record on
        pass
