"""dbkit: migrate and evolve database models, from hand-written SQLAlchemy to Pydantic-first.

Names are exported lazily (PEP 562), so ``import dbkit`` stays cheap for the command line.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "DatabaseManager": "dbkit.manager",
    "DatabaseMixin": "dbkit.generate.database_mixin",
    "ApplicationModel": "dbkit.generate.database_mixin",
    "DBColumn": "dbkit.generate.options",
    "DBRelationship": "dbkit.generate.options",
    "type_registry": "dbkit.generate.types",
    "TypeRegistry": "dbkit.generate.types",
    "ModelRegistry": "dbkit.generate.registry",
    "BaseMixin": "dbkit.entity",
    "UpdateMixin": "dbkit.entity",
    "ParentMixin": "dbkit.entity",
    "EntityMixin": "dbkit.entity",
    "StringSearchModel": "dbkit.search",
    "NumericalSearchModel": "dbkit.search",
    "DateSearchModel": "dbkit.search",
    "BooleanSearchModel": "dbkit.search",
    "IdSearchModel": "dbkit.search",
    "DbkitError": "dbkit.errors",
    "ConfigurationError": "dbkit.errors",
    "DatabaseConnectionError": "dbkit.errors",
    "ModelDefinitionError": "dbkit.errors",
    "UnsupportedFieldTypeError": "dbkit.errors",
    "ModelReferenceError": "dbkit.errors",
    "PermissionDeniedError": "dbkit.errors",
    "NotFoundError": "dbkit.errors",
    "with_session": "dbkit.bll",
    "to_return_type": "dbkit.bll",
    "AbstractBLLManager": "dbkit.bll",
    "HookContext": "dbkit.bll",
    "PermissionRules": "dbkit.bll",
    "TeamModel": "dbkit.bll",
    "RoleModel": "dbkit.bll",
    "MembershipModel": "dbkit.bll",
    "TEAM_MODELS": "dbkit.bll",
    "seed": "dbkit.bll",
    "SeedError": "dbkit.bll",
    "SearchError": "dbkit.bll",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dbkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
