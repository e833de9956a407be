"""Scaffold: hand-written SQLAlchemy tables → source of ``BLL_*.py`` modules with ``DatabaseMixin`` models.

The Phase 2 helper. Each generated model produces, through dbkit's generator, a table with no
schema-level difference from the hand-written one: same columns (types, nullability, keys,
server defaults, comments, identity/computed), foreign keys, unique/check constraints,
indexes, enum types and table comment. It says only what dbkit would not derive by itself:
``DBColumn`` options, ``sa_type`` where the type registry maps the Python type to another SQL
type (checked by compiling both on PostgreSQL and SQLite), explicit constraint names where
dbkit's naming convention would spell them differently.

What cannot be expressed (a Python default defined in a ``DB_*.py`` file, a many-to-many
relationship, backref options...) is listed in :attr:`ScaffoldResult.problems`, never dropped
silently. Enum classes are rendered inline: the ``DB_*.py`` files are deleted in Phase 3, so the
generated modules never import from them.

:func:`scaffold` is the one-call entry point. :class:`ScaffoldGenerator` works as sqlacodegen
does: it plans every model as structured values (:class:`ModelPlan`, :class:`FieldPlan`: types
and defaults as expressions of :mod:`.code`, ``DBColumn`` options as values), one small method
per decision, and renders source from the plans at the very end (:mod:`.render`). Its public
hooks (``module_name``, ``model_name``, ``field_name``, ``plan_field``, ``module_docstring``)
are the extension point; see the class's docstring.
"""

from dbkit.migrate.codemod.scaffold.generator import ScaffoldGenerator, scaffold, scaffold_codebase
from dbkit.migrate.codemod.scaffold.plan import FieldPlan, ModelPlan
from dbkit.migrate.codemod.scaffold.results import (
    ModelRef,
    ScaffoldError,
    ScaffoldProblem,
    ScaffoldResult,
    SourceTable,
)
from dbkit.migrate.codemod.scaffold.source import format_source

__all__ = [
    "FieldPlan",
    "ModelPlan",
    "ModelRef",
    "ScaffoldError",
    "ScaffoldGenerator",
    "ScaffoldProblem",
    "ScaffoldResult",
    "SourceTable",
    "format_source",
    "scaffold",
    "scaffold_codebase",
]
