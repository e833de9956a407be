"""dbkit inside plain ``alembic revision --autogenerate``: renames, enum members and backfills.

For a team that keeps its own Alembic environment. Two lines in its ``env.py``::

    from dbkit.migrate.autogenerate import dbkit_autogenerate
    context.configure(connection=connection, target_metadata=target_metadata, **dbkit_autogenerate())

``dbkit_autogenerate()`` returns the ``context.configure`` keywords that turn on:

* the comparator plugin :data:`PLUGIN_NAME` (Alembic 1.18+ plugins): PostgreSQL enum members
  added or removed, which Alembic does not see, become ``op.add_enum_value`` /
  ``op.drop_enum_value`` (so ``alembic check`` reports them too);
* a ``process_revision_directives`` hook that rewrites Alembic's output with the hints in the
  models' ``migration_notes`` (generated classes carry their model's notes as
  ``__dbkit_migration_notes__``; hand-written classes may define ``migration_notes``): a hinted
  ``drop_column`` + ``add_column`` pair becomes a reversible column rename, a hinted
  ``drop_table`` + ``create_table`` pair a reversible table rename, and a NOT NULL column added
  with a ``backfill`` value is added with a temporary default that fills existing rows and is
  dropped afterwards. The tables concerned are rebuilt by dbkit's own engine (snapshot diff →
  :class:`~dbkit.migrate.revisions.operations.OperationBuilder`), so indexes, constraints and foreign
  keys follow a renamed column or table instead of being dropped and re-created; every other
  table keeps exactly what Alembic wrote. The downgrade is re-derived so renames reverse.

A hint that names what neither the database nor the models have stops the autogenerate with a
:class:`~dbkit.migrate.diff.hints.MigrationHintError` naming the model and the hint.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic.operations import ops
from alembic.runtime.plugins import Plugin
from alembic.util import DispatchPriority, PriorityDispatchResult
from sqlalchemy.orm.mapper import _all_registries  # no public accessor lists the registries

from dbkit.manager import GENERATED_CLASSES_INFO
from dbkit.migrate.diff.changes import Op, RenameColumn, RenameTable
from dbkit.migrate.diff.hints import (
    MigrationHints,
    apply_hints,
    hints_from_snapshot,
    rename_in_snapshot,
    resolve_renames,
)
from dbkit.migrate.revisions.custom_ops import (
    AddEnumValueOp,
    DropEnumTypeIfUnusedOp,
    DropEnumValueOp,
    RenameConstraintsOp,
)
from dbkit.migrate.revisions.online import is_online_operation, online_operations
from dbkit.migrate.revisions.operations import OperationBuilder
from dbkit.migrate.revisions.reasons import annotate
from dbkit.migrate.revisions.reversal import reverse_upgrade_ops
from dbkit.migrate.revisions.table_ops import group_per_table
from dbkit.migrate.schema.from_database import snapshot_from_database
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.source.codebase import _mappers

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from alembic.runtime.migration import MigrationContext

    from dbkit.migrate.diff.hints import HintedDiff, MigrationHints, ResolvedRenames
    from dbkit.migrate.diff.lint import BackfillPlan
    from dbkit.migrate.schema.snapshot import Snapshot

#: The name to list in ``autogenerate_plugins`` (opt-in: Alembic's default ``alembic.autogenerate.*`` excludes it).
PLUGIN_NAME = "dbkit.autogenerate"
ALEMBIC_DEFAULT_PLUGINS = ("alembic.autogenerate.*",)
#: What a revision using dbkit's own operations imports (it registers ``op.add_enum_value``...).
RENDERERS_IMPORT = "import dbkit.migrate.renderers  # registers op.add_enum_value / op.drop_enum_value"
_DBKIT_OPERATIONS = (AddEnumValueOp, DropEnumValueOp, DropEnumTypeIfUnusedOp, RenameConstraintsOp)
_BACKFILL_STRATEGIES = ("temporary_default", "nullable_then_backfill")

RevisionDirectivesHook = Callable[[Any, Any, list[Any]], None]


def dbkit_autogenerate(
    *,
    models: Iterable[type] | None = None,
    backfills: Mapping[str, str] | None = None,
    process_revision_directives: RevisionDirectivesHook | None = None,
    autogenerate_plugins: Sequence[str] = ALEMBIC_DEFAULT_PLUGINS,
    transactional: bool = False,
) -> dict[str, Any]:
    """Keywords for ``context.configure(...)`` in env.py that turn dbkit's autogenerate on.

    ``models``: the mapped classes whose ``migration_notes`` count (default: every mapped class
    whose table is in the target metadata). ``backfills``: ``{"table.column": "SQL value"}``, as
    ``dbkit revision --backfill``. ``process_revision_directives``: the env's own hook, run after
    dbkit's. ``autogenerate_plugins``: the env's plugin list; dbkit's plugin is appended.
    ``transactional``: keep Alembic's plain operations instead of online steps (as
    ``dbkit revision --transactional``; see :mod:`dbkit.migrate.revisions.online`).
    """
    return {
        "process_revision_directives": RevisionRewriter(
            models=tuple(models) if models is not None else None,
            backfills=dict(backfills or {}),
            then=process_revision_directives,
            online=not transactional,
        ),
        "autogenerate_plugins": [*autogenerate_plugins, PLUGIN_NAME],
    }


# -- the comparator plugin: PostgreSQL enum members -----------------------------------------------
def enum_value_steps(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, str, list[str]]]:
    """``(op, member, members)`` steps turning enum ``old`` into ``new``, each ``members`` being the
    type's members in database order at that step, the member included.

    Additions come first, each placed next to a member that already exists (so ``ADD VALUE
    ... BEFORE`` never names a member added later), removals last; each step reverses alone.
    """
    current = list(old)
    steps: list[tuple[str, str, list[str]]] = []
    for position, value in enumerate(new):
        if value in current:
            continue
        earlier = [member for member in new[:position] if member in current]
        index = current.index(earlier[-1]) + 1 if earlier else 0
        current.insert(index, value)
        steps.append(("add", value, list(current)))
    for value in [member for member in old if member not in new]:
        steps.append(("drop", value, list(current)))
        current.remove(value)
    return steps


@dataclass
class _ModelEnum:
    values: list[str]
    columns: list[tuple[str, str]]


def _model_enums(tables: Iterable[sa.Table], schema: str | None) -> dict[str, _ModelEnum]:
    """Native enum types of the models in ``schema``: members and the columns using them."""
    enums: dict[str, _ModelEnum] = {}
    for table in tables:
        if table.schema != schema:
            continue
        for column in table.columns:
            kind = column.type
            if isinstance(kind, sa.Enum) and kind.native_enum and kind.name:
                entry = enums.setdefault(kind.name, _ModelEnum(list(kind.enums), []))
                entry.columns.append((table.name, column.name))
    return enums


def compare_enum_values(
    autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, schemas: Iterable[str | None]
) -> PriorityDispatchResult:
    """Members added to or removed from an existing PostgreSQL enum type (Alembic sees neither):
    additions go first in the upgrade (columns and defaults may use them), removals last."""
    inspector = autogen_context.inspector
    tables = list(autogen_context.sorted_tables)
    added: list[ops.MigrateOperation] = []
    dropped: list[ops.MigrateOperation] = []
    for schema in sorted(schemas, key=lambda name: name or ""):
        reflected = {item["name"]: list(item["labels"]) for item in inspector.get_enums(schema=schema)}
        for name, model in sorted(_model_enums(tables, schema).items()):
            if name not in reflected or reflected[name] == model.values:
                continue
            for step, value, members in enum_value_steps(reflected[name], model.values):
                operation_class = AddEnumValueOp if step == "add" else DropEnumValueOp
                operation = operation_class(name, value, values=members, columns=model.columns, schema=schema)
                (added if step == "add" else dropped).append(operation)
    upgrade_ops.ops[:0] = added
    upgrade_ops.ops.extend(dropped)
    return PriorityDispatchResult.CONTINUE


def setup(plugin: Plugin) -> None:
    """Alembic's plugin entry point (also called on import, below)."""
    plugin.add_autogenerate_comparator(
        compare_enum_values,
        "schema",
        "enum_values",
        qualifier="postgresql",
        priority=DispatchPriority.LAST,
    )


def _register_plugin() -> None:
    # ValueError: already registered (e.g. through an ``alembic.plugins`` entry point)
    with suppress(ValueError):
        Plugin.setup_plugin_from_module(sys.modules[__name__], PLUGIN_NAME)


_register_plugin()


# -- the rewriter: renames and backfills from migration_notes -------------------------------------
def target_tables(metadata: sa.MetaData | Sequence[sa.MetaData] | None) -> list[sa.Table]:
    """Every table of the env's ``target_metadata`` (one MetaData or a list of them)."""
    if metadata is None:
        return []
    collections = [metadata] if isinstance(metadata, sa.MetaData) else list(metadata)
    return [table for collection in collections for table in collection.tables.values()]


def mapped_classes(tables: Iterable[sa.Table]) -> list[type]:
    """The mapped classes (generated or hand-written) of ``tables``: the generated class each table
    holds, and the classes of every live ORM registry (hand-written ones live in their modules)."""

    tables = list(tables)
    wanted = {id(table) for table in tables}
    held = (table.metadata.info.get(GENERATED_CLASSES_INFO, {}).get(table.key) for table in tables)
    classes = [cls for cls in held if cls is not None]
    classes += [
        mapper.class_
        for registry in _all_registries()
        for mapper in _mappers(registry)
        if id(mapper.local_table) in wanted
    ]
    return sorted(set(classes), key=lambda cls: (cls.__module__, cls.__qualname__))


@dataclass
class RevisionRewriter:
    """The ``process_revision_directives`` hook :func:`dbkit_autogenerate` installs."""

    models: tuple[type, ...] | None = None
    backfills: dict[str, str] = field(default_factory=dict)
    then: RevisionDirectivesHook | None = None
    #: Write each operation in its online form (safe on a live PostgreSQL table).
    online: bool = True

    def __call__(self, context: MigrationContext, revision: Any, directives: list[Any]) -> None:
        token = context.opts.get("upgrade_token", "upgrades")
        tables = target_tables(context.opts.get("target_metadata"))
        for script in directives:
            if not isinstance(script, ops.MigrationScript):
                continue
            for upgrade, downgrade in zip(script.upgrade_ops_list, script.downgrade_ops_list, strict=True):
                if upgrade.upgrade_token != token or upgrade.is_empty():
                    continue
                rewritten = self.rewrite(upgrade, context.bind, tables) if tables else upgrade
                if rewritten is not upgrade:  # Alembic reversed its own operations: reverse dbkit's
                    downgrade.ops[:] = annotate(reverse_upgrade_ops(rewritten)).ops
                    upgrade.ops[:] = annotate(rewritten).ops
                if self.online:
                    upgrade.ops[:] = online_operations(upgrade).ops
                    downgrade.ops[:] = online_operations(downgrade).ops
                if _uses_dbkit_operations(upgrade) or _uses_dbkit_operations(downgrade):
                    script.imports.add(RENDERERS_IMPORT)
        if self.then is not None:
            self.then(context, revision, directives)

    def rewrite(
        self, upgrade: ops.UpgradeOps, connection: sa.Connection, tables: Sequence[sa.Table]
    ) -> ops.UpgradeOps:
        """``upgrade`` with the hinted tables' operations replaced by dbkit's."""

        new = snapshot_from_metadata(
            tables, models=self.models if self.models is not None else mapped_classes(tables)
        )
        hints = self.hints(new)
        if not hints.renames and not hints.backfills:
            return upgrade  # nothing to rewrite: no need to reflect the database again
        plan = _HintedTables.plan(upgrade, snapshot_from_database(connection), new, hints)
        return plan.apply(upgrade) if plan.tables else upgrade

    def hints(self, new: Snapshot) -> MigrationHints:

        given = MigrationHints(
            backfills=dict(self.backfills),
            sources={f"backfill:{key}": "dbkit_autogenerate(backfills=...)" for key in self.backfills},
        )
        return hints_from_snapshot(new).merged(given)


@dataclass
class _HintedTables:
    """The tables whose Alembic operations dbkit replaces, and dbkit's operations for them."""

    tables: set[str]  # every name involved: a renamed table under its old and its new name
    renames: list[ops.MigrateOperation]
    others: list[ops.MigrateOperation]

    @classmethod
    def plan(
        cls, upgrade: ops.UpgradeOps, old: Snapshot, new: Snapshot, hints: MigrationHints
    ) -> _HintedTables:

        hinted = apply_hints(old, new, hints)
        renames = resolve_renames(hints, old, new)
        plans = hinted.lint(snapshot=new).plans
        emitted = _AlembicOutput(upgrade)
        tables = _renamed_tables(hinted, emitted) | _backfilled_tables(plans, emitted)
        if not tables:
            return cls(set(), [], [])
        tables |= _referring_tables(old, renames, emitted)
        new_names = {renames.tables.get(name, name) for name in tables}
        tables |= {old_name for old_name, new_name in renames.tables.items() if new_name in new_names}
        renamed_old = rename_in_snapshot(old, renames)
        changes = [change for change in hinted.changes if change.table in new_names]  # names follow renames
        builder = OperationBuilder(renamed_old, new, plans)
        is_rename = {Op.RENAME_TABLE, Op.RENAME_COLUMN}
        return cls(
            tables,
            builder.build([c for c in changes if c.op in is_rename]).ops,
            builder.build([c for c in changes if c.op not in is_rename]).ops,
        )

    def apply(self, upgrade: ops.UpgradeOps) -> ops.UpgradeOps:
        """Renames first (after new enum members), the rest where Alembic had those tables'
        operations but after every table Alembic creates (foreign keys may point at them)."""

        kept: list[ops.MigrateOperation] = []
        first_removed: int | None = None
        for operation in upgrade.ops:
            if _table_name(operation) in self.tables:
                first_removed = len(kept) if first_removed is None else first_removed
            else:
                kept.append(operation)
        leading = 0
        while leading < len(kept) and isinstance(kept[leading], AddEnumValueOp):
            leading += 1
        after_creates = max(
            (index + 1 for index, op in enumerate(kept) if isinstance(op, ops.CreateTableOp)), default=0
        )
        position = max(first_removed or 0, after_creates, leading)
        others = group_per_table(self.others)
        result = [
            *kept[:leading],
            *group_per_table(self.renames),
            *kept[leading:position],
            *others,
            *kept[position:],
        ]
        return ops.UpgradeOps(ops=result, upgrade_token=upgrade.upgrade_token)


@dataclass
class _AlembicOutput:
    """What Alembic's autogenerate emitted, indexed for matching hints against it."""

    created_tables: set[str]
    dropped_tables: set[str]
    added_columns: set[tuple[str, str]]
    dropped_columns: set[tuple[str, str]]
    touched_tables: set[str]

    def __init__(self, upgrade: ops.UpgradeOps) -> None:
        self.created_tables, self.dropped_tables = set(), set()
        self.added_columns, self.dropped_columns = set(), set()
        self.touched_tables = set()
        for operation in upgrade.ops:
            name = _table_name(operation)
            if name is not None:
                self.touched_tables.add(name)
            if isinstance(operation, ops.CreateTableOp):
                self.created_tables.add(operation.table_name)
            elif isinstance(operation, ops.DropTableOp):
                self.dropped_tables.add(operation.table_name)
            for child in operation.ops if isinstance(operation, ops.ModifyTableOps) else [operation]:
                if isinstance(child, ops.AddColumnOp):
                    self.added_columns.add((child.table_name, child.column.name))
                elif isinstance(child, ops.DropColumnOp):
                    self.dropped_columns.add((child.table_name, child.column_name))


def _table_name(operation: ops.MigrateOperation) -> str | None:
    """The table an operation of Alembic's output is about (``None``: not about one table)."""
    if isinstance(operation, ops.ModifyTableOps | ops.CreateTableOp | ops.DropTableOp):
        return operation.table_name
    return getattr(operation, "table_name", None)


def _renamed_tables(hinted: HintedDiff, emitted: _AlembicOutput) -> set[str]:
    """Tables (new names) with a hinted rename that Alembic wrote as a drop + add pair."""
    found = {
        change.new
        for change in hinted.changes
        if isinstance(change, RenameTable)
        and change.old in emitted.dropped_tables
        and change.new in emitted.created_tables
    }
    for change in hinted.changes:
        if (
            isinstance(change, RenameColumn)
            and (change.table, change.old) in emitted.dropped_columns
            and (change.table, change.new) in emitted.added_columns
        ):
            found.add(str(change.table))
    return found


def _backfilled_tables(plans: Iterable[BackfillPlan], emitted: _AlembicOutput) -> set[str]:
    """Tables where Alembic adds a NOT NULL column that has a backfill value."""
    return {
        plan.table
        for plan in plans
        if plan.strategy in _BACKFILL_STRATEGIES and (plan.table, plan.column) in emitted.added_columns
    }


def _referring_tables(old: Snapshot, renames: ResolvedRenames, emitted: _AlembicOutput) -> set[str]:
    """Tables whose foreign keys point at a renamed table or column: the database carries those
    keys along, so Alembic's drop + re-create of them is replaced by dbkit's (empty) diff."""
    renamed_columns = {(table, column) for table, column in renames.columns}
    found = set()
    for table in old.tables:
        for fk in table.foreign_keys:
            if fk.referred_table in renames.tables or any(
                (fk.referred_table, column) in renamed_columns for column in fk.referred_columns
            ):
                found.add(renames.tables.get(table.name, table.name))
    return found & emitted.touched_tables


def _uses_dbkit_operations(container: ops.OpContainer) -> bool:
    for operation in container.ops:
        if isinstance(operation, _DBKIT_OPERATIONS) or is_online_operation(operation):
            return True
        if isinstance(operation, ops.OpContainer) and _uses_dbkit_operations(operation):
            return True
    return False


__all__ = [
    "ALEMBIC_DEFAULT_PLUGINS",
    "PLUGIN_NAME",
    "RENDERERS_IMPORT",
    "RevisionRewriter",
    "compare_enum_values",
    "dbkit_autogenerate",
    "enum_value_steps",
    "mapped_classes",
    "setup",
    "target_tables",
]
