"""Typed errors. Each message says what failed, where, and what to do about it."""

from __future__ import annotations


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
