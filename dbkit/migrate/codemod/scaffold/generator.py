"""ScaffoldGenerator: hand-written tables → a structured plan of ``BLL_*`` models → source, rendered last.

Planning fills in :class:`~.plan.ModelPlan` and :class:`~.plan.FieldPlan` values one decision at
a time (a field's name, column name, reference, type, key, generated value, unique/index,
optionality, server default, update value, description, default); :mod:`.render` turns them into
source at the end. The decisions that need more than a few lines live beside this module:
:mod:`.column_types`, :mod:`.references`, :mod:`.table_args`; :mod:`.values` builds the
expressions of values, types and SQL.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from dbkit.errors import location_of, working_on
from dbkit.generate.builder import RESERVED_ATTRIBUTES
from dbkit.generate.types import TypeRegistry, type_registry
from dbkit.migrate.codemod.scaffold.code import Constant, Expr, Imports
from dbkit.migrate.codemod.scaffold.column_types import TypePlanner
from dbkit.migrate.codemod.scaffold.constants import AUDIT_COLUMNS, MODEL_CLASS_ATTRIBUTES
from dbkit.migrate.codemod.scaffold.facts import (
    attribute_name,
    column_level_items,
    column_signature,
    many_to_one_relationships,
    mixin_columns_table,
    model_name_for,
    original_callable,
    python_default_kind,
)
from dbkit.migrate.codemod.scaffold.plan import FieldPlan, ModelPlan, ModulePlan
from dbkit.migrate.codemod.scaffold.references import ReferencePlanner
from dbkit.migrate.codemod.scaffold.render import render_model, render_module
from dbkit.migrate.codemod.scaffold.results import (
    ModelRef,
    ScaffoldError,
    ScaffoldProblem,
    ScaffoldResult,
    SourceTable,
    TableNotScaffoldedError,
)
from dbkit.migrate.codemod.scaffold.source import format_source
from dbkit.migrate.codemod.scaffold.table_args import TableArgsPlanner
from dbkit.migrate.codemod.scaffold.values import EnumRegistry, ModuleWriter, describe
from dbkit.migrate.schema.from_models import foreign_key_target
from dbkit.migrate.source.codebase import load_codebase
from dbkit.naming import table_name_for
from dbkit.text import shorten


class ScaffoldGenerator:
    """Scaffolds the ``BLL_*`` modules of a set of hand-written tables: :meth:`generate`.

    **Extension point.** Subclass and override these hooks; they are public and stay stable
    (every method or attribute whose name starts with ``_`` is internal and may change):

    * :meth:`module_name` - the module a table's model goes to (``DB_Auth`` → ``BLL_Auth``);
    * :meth:`model_name` - a model's class name (``User`` → ``UserModel``), before de-duplication;
    * :meth:`field_name` - a field's name, from the hand-written attribute's; when it is not the
      column's name, the field says ``DBColumn(name=...)``, so the table does not change;
    * :meth:`plan_field` - a whole field: call ``super().plan_field(model, column)`` and adjust
      the :class:`~.plan.FieldPlan` it returns (``options`` maps ``DBColumn`` keywords to literal
      values or :mod:`.code` expressions; ``description``, ``default``... are fields of their own);
    * :meth:`module_docstring` - the docstring at the top of each generated module.

    A hook reports what it cannot express with :meth:`problem` (it joins
    :attr:`ScaffoldResult.problems`). A hook whose output changes a table's DDL breaks scaffold's
    promise of no ``schema``-level difference: ``dbkit parity`` shows it.
    """

    def __init__(
        self,
        tables: Iterable[SourceTable],
        *,
        registry: TypeRegistry = type_registry,
        formatter: Callable[[str], str] | None = format_source,
    ) -> None:
        self.sources = list(tables)
        if not self.sources:
            raise ScaffoldError("Nothing to scaffold: no hand-written tables were given.")
        self.type_registry = registry
        self.formatter = formatter
        self.problems: list[ScaffoldProblem] = []
        self._plans: dict[str, ModelPlan] = {}
        self._enums = EnumRegistry()
        self._writers: dict[str, ModuleWriter] = {}
        self._types = TypePlanner(registry, self.problem)
        self._references: ReferencePlanner
        self._table_order: list[str] = []
        self._module_order: list[str] = []

    # -- entry point ------------------------------------------------------------------------------
    def generate(self) -> ScaffoldResult:
        """Plan every model (referenced tables first, so references name defined classes), then render.

        A table whose planning fails (a column type no written source rebuilds, or anything
        unexpected) gets no model: it is reported as ``no model scaffolded: ...`` and the others
        are planned again without it, so that references to it are plain foreign keys, as to any
        table left hand-written.
        """
        self._check_unique_tables()
        self.sources = self._with_primary_keys(self.sources)
        before_planning = len(self.problems)
        refusals: list[ScaffoldProblem] = []
        while True:
            refused = self._plan_all()
            if not refused:
                break
            del self.problems[before_planning:]
            for source, reason in refused:
                self.sources.remove(source)
                refusals.append(ScaffoldProblem(source.table.name, None, self._refusal(source, reason)))
            if not self.sources:
                raise ScaffoldError(
                    "Nothing to scaffold: no table could be scaffolded ("
                    + shorten("; ".join(str(problem) for problem in refusals), 300)
                    + ")."
                )
        self.problems[before_planning:before_planning] = refusals
        modules = {
            module: render_module(self._module_plan(module), self.formatter) for module in self._module_order
        }
        models = {name: ModelRef(plan.module, plan.name) for name, plan in sorted(self._plans.items())}
        return ScaffoldResult(modules, models, list(self.problems))

    def _plan_all(self) -> list[tuple[SourceTable, str]]:
        """Plan every model of :attr:`sources` from scratch; the tables that failed, and why.

        A table that fails after one of the tables it references failed in this pass is not refused
        yet (the failure may come from that table): the next pass, without the refused ones, decides.
        """
        self._plans = {}
        self._enums = EnumRegistry()
        self._writers = {}
        for source in self.sources:
            self._plans[source.table.name] = ModelPlan(source, "", self.module_name(source))
        self._name_models()
        self._table_order = self._order_tables()
        self._module_order = list(dict.fromkeys(self._plans[t].module for t in self._table_order))
        self._references = ReferencePlanner(
            self._plans, self._table_order, self._module_order, self._writer, self.problem
        )
        failed: dict[str, str] = {}
        refused: list[tuple[SourceTable, str]] = []

        def attempt(table_name: str, step: Callable[[ModelPlan], None]) -> None:
            if table_name in failed:
                return
            plan = self._plans[table_name]
            try:
                with working_on(table=table_name):
                    step(plan)
            except Exception as exc:
                failed[table_name] = reason = _failure(exc)
                if not set(self._referenced_tables(plan.table)) & (failed.keys() - {table_name}):
                    refused.append((plan.source, reason))

        for table_name in self._table_order:
            attempt(table_name, self._plan_model)
        for table_name in self._table_order:
            attempt(table_name, self._references.report_uncovered)
        for table_name in self._table_order:
            attempt(table_name, _renders)
        return refused

    def _refusal(self, source: SourceTable, reason: str) -> str:
        """The report of a table left out: ``no model scaffolded:`` (tools look for it), why, what to do."""
        return (
            f"no model scaffolded: {reason}. Keep {source_file(source)}'s definition of the table by hand "
            "(references to it stay plain foreign keys), or remove the cause and scaffold again."
        )

    def _with_primary_keys(self, sources: list[SourceTable]) -> list[SourceTable]:
        """A table without a primary key gets no model: a generated class needs one, and adding an
        ``id`` column would change the table. It stays hand-written (the hybrid end state keeps such
        tables by hand); the report says so, and the other tables are scaffolded as usual."""
        kept = []
        for source in sources:
            if source.table.primary_key.columns:
                kept.append(source)
                continue
            self.problem(
                source.table,
                None,
                f"no model scaffolded: the table has no primary key, and a generated model needs one "
                f"(adding an id column would change the table). Keep {source_file(source)}'s definition "
                "by hand, or give the table a primary key and scaffold again.",
            )
        if not kept:
            raise ScaffoldError("Nothing to scaffold: none of the hand-written tables has a primary key.")
        return kept

    def problem(self, table: sa.Table, column: str | None, message: str) -> None:
        """Report something of the hand-written table the scaffolded model does not reproduce."""
        self.problems.append(ScaffoldProblem(table.name, column, message))

    # -- hooks --------------------------------------------------------------------------------------
    def module_name(self, source: SourceTable) -> str:
        """``DB_Auth`` → ``BLL_Auth``; any other module name ``x`` → ``BLL_x``."""
        stem = source.module.rsplit(".", 1)[-1]
        return "BLL_" + (stem[3:] if stem.startswith("DB_") else stem)

    def model_name(self, source: SourceTable) -> str:
        """``User`` → ``UserModel``; a Core table ``document_tags`` → ``DocumentTagModel``."""
        return model_name_for(source.table, source.mapped_class)

    def field_name(self, attribute: str, taken: set[str]) -> str:
        """A name Pydantic and SQLAlchemy accept, not in ``taken``: ``_x`` → ``x``, ``metadata`` → ``metadata_``."""
        name = re.sub(r"\W", "_", attribute).lstrip("_") or "field"
        if name[0].isdigit():
            name = f"field_{name}"
        if name.startswith("model_"):  # Pydantic's protected namespace
            name = f"{name[len('model_') :]}_model"
        while (
            keyword.iskeyword(name)
            or name in RESERVED_ATTRIBUTES
            or name in MODEL_CLASS_ATTRIBUTES
            or hasattr(BaseModel, name)
            or name in taken
        ):
            name += "_"
        return name

    def plan_field(self, model: ModelPlan, column: sa.Column[Any]) -> FieldPlan:
        """The field for ``column``: one decision after another, each filling in part of the plan.

        The order is the order the problems are reported in.
        """
        name = self.field_name(attribute_name(model.source.mapped_class, column), model.used_names)
        model.used_names.add(name)
        field = FieldPlan(name)
        self._column_name(column, field)
        typed_by_target = self._references.plan_reference(model, column, field)
        self._types.plan(model, column, field, self._writer(model.module), typed_by_target)
        self._key(model, column, field)
        self._generated_value(model, column, field)
        self._unique_and_index(model, column, field)
        self._optional(model, column, field)
        self._server_default(model, column, field)
        self._update_value(model, column, field)
        self._server_onupdate(model, column)
        self._description(column, field)
        self._default(model, column, field)
        return field

    def module_docstring(self, module: str, origins: list[str]) -> str:
        """The generated module's docstring; ``origins`` are the hand-written modules it comes from."""
        sources = ", ".join(origins)
        return f"Business-logic models scaffolded by dbkit from {sources}: review, then own this file."

    # -- names and order ----------------------------------------------------------------------------
    def _check_unique_tables(self) -> None:
        seen: dict[str, str] = {}
        for source in self.sources:
            if source.table.name in seen:
                raise ScaffoldError(
                    f"Table {source.table.name!r} is defined in both {seen[source.table.name]} and "
                    f"{source.module}: scaffold one of them."
                )
            seen[source.table.name] = source.module

    def _name_models(self) -> None:
        """Class names, unique across modules (so any module can import any model by name)."""
        taken: set[str] = set()
        for table_name in sorted(self._plans):
            plan = self._plans[table_name]
            name = self.model_name(plan.source)
            while name in taken:
                name = name[: -len("Model")] + "_Model" if name.endswith("Model") else name + "_"
            taken.add(name)
            plan.name = name
        self._enums.reserved = set(taken)

    def _order_tables(self) -> list[str]:
        """Referenced tables first (ties keep the input order), so most references are to defined classes."""
        position = {source.table.name: index for index, source in enumerate(self.sources)}
        order: list[str] = []
        visited: set[str] = set()

        def visit(name: str) -> None:
            visited.add(name)
            for target in self._referenced_tables(self._plans[name].table):
                if target in self._plans and target not in visited:
                    visit(target)
            order.append(name)

        for name in sorted(self._plans, key=position.__getitem__):
            if name not in visited:
                visit(name)
        return order

    def _referenced_tables(self, table: sa.Table) -> list[str]:
        return [
            name
            for constraint in sorted(
                table.foreign_key_constraints, key=lambda c: [e.parent.name for e in c.elements]
            )
            if (name := foreign_key_target(constraint.elements[0])[0]) != table.name
        ]

    def _writer(self, module: str) -> ModuleWriter:
        if module not in self._writers:
            self._writers[module] = ModuleWriter(module, self._enums)
        return self._writers[module]

    def _module_plan(self, module: str) -> ModulePlan:
        models = [self._plans[name] for name in self._table_order if self._plans[name].module == module]
        origins = sorted({model.source.module for model in models})
        return ModulePlan(
            name=module,
            docstring=self.module_docstring(module, origins),
            enums=self._enums.defined_in(module),
            models=models,
            local_modules=self._module_order,
        )

    # -- one model ------------------------------------------------------------------------------------
    def _plan_model(self, model: ModelPlan) -> None:
        table = model.table
        writer = self._writer(model.module)
        self._choose_mixins(model)
        if table_name_for(model.name) != table.name:
            model.table_name = table.name
        if table.comment:
            model.table_comment = table.comment
        model.relationships = many_to_one_relationships(table, model.source.mapped_class)
        model.column_level = column_level_items(table)
        model.used_names = {"id"} if model.mixin_id else set()
        self._plan_columns(model)
        self._plan_table_args(model, writer)

    def _choose_mixins(self, model: ModelPlan) -> None:
        """Audit mixins only when the table has every mixin column exactly as dbkit defines it, in place."""
        table = model.table
        probe = mixin_columns_table()
        names = [column.name for column in table.columns]

        def same(name: str) -> bool:
            return name in table.c and column_signature(table.c[name]) == column_signature(probe.c[name])

        model.mixin_id = bool(
            names and names[0] == "id" and [c.name for c in table.primary_key] == ["id"] and same("id")
        )
        model.audit = (
            model.mixin_id
            and tuple(names[-len(AUDIT_COLUMNS) :]) == AUDIT_COLUMNS
            and all(same(name) for name in AUDIT_COLUMNS)
        )
        if model.mixin_id and attribute_name(model.source.mapped_class, table.c.id) != "id":
            model.mixin_id = model.audit = False

    def _own_columns(self, model: ModelPlan) -> list[sa.Column[Any]]:
        """The columns the mixins do not supply."""
        skip = {"id"} if model.mixin_id else set()
        if model.audit:
            skip.update(AUDIT_COLUMNS)
        return [column for column in model.table.columns if column.name not in skip]

    def _plan_columns(self, model: ModelPlan) -> None:
        """Leading exact references become ``ReferenceID`` bases (their fields come first); others fields."""
        reference_prefix = True
        for column in self._own_columns(model):
            with working_on(column=column.name):
                base = self._references.reference_base(model, column) if reference_prefix else None
                if base is not None:
                    model.reference_bases.append(base)
                    model.used_names.add(column.name)
                    continue
                reference_prefix = False
                model.fields.append(self.plan_field(model, column))

    def _plan_table_args(self, model: ModelPlan, writer: ModuleWriter) -> None:
        planner = TableArgsPlanner(model, writer, self.problem)
        items = planner.constraints_and_indexes()
        planner.report_column_options()
        planner.report_schema()
        model.table_args = [item for item in items if item is not None] + planner.dialect_options()

    # -- one field: the decisions, in order -----------------------------------------------------------
    def _column_name(self, column: sa.Column[Any], field: FieldPlan) -> None:
        """``DBColumn(name=...)`` when the field is not named as its column."""
        if field.name != column.name:
            field.options["name"] = column.name

    def _key(self, model: ModelPlan, column: sa.Column[Any], field: FieldPlan) -> None:
        """Primary key, and ``autoincrement`` where SQLAlchemy's ``"auto"`` would decide otherwise."""
        if not column.primary_key:
            return
        field.options["primary_key"] = True
        if column.autoincrement is False:
            field.options["autoincrement"] = False
        elif column.autoincrement is True and [c.name for c in model.table.primary_key] != [column.name]:
            field.options["autoincrement"] = True

    def _generated_value(self, model: ModelPlan, column: sa.Column[Any], field: FieldPlan) -> None:
        """``identity`` / ``computed``: values the database generates."""
        writer = self._writer(model.module)
        if column.identity is not None:
            field.options["identity"] = writer.construct(column.identity)
        if column.computed is not None:
            field.options["computed"] = writer.construct(column.computed)

    def _unique_and_index(self, model: ModelPlan, column: sa.Column[Any], field: FieldPlan) -> None:
        """``unique`` / ``index`` for the unnamed single-column ones (others go to ``table_args``)."""
        level = model.column_level.get(column.name)
        if level is not None and level.unique is not None:
            field.options["unique"] = True
        if level is not None and level.index is not None:
            field.options["index"] = True

    def _optional(self, model: ModelPlan, column: sa.Column[Any], field: FieldPlan) -> None:
        """``| None`` for nullable columns and for values the database generates (``nullable=False`` kept)."""
        generated_by_database = (
            column.identity is not None
            or column.computed is not None
            or (column.primary_key and column is model.table.autoincrement_column)
        )
        field.optional = bool(column.nullable or generated_by_database)
        if field.optional and not column.nullable and not column.primary_key:
            field.options["nullable"] = False

    def _server_default(self, model: ModelPlan, column: sa.Column[Any], field: FieldPlan) -> None:
        """``server_default``: a string literal or SQL (an identity's or computed column's own is implied)."""
        default = column.server_default
        if default is None or default in (column.identity, column.computed):
            return
        arg = getattr(default, "arg", None)
        if arg is None:
            self.problem(model.table, column.name, f"server default {default!r} has no value to scaffold.")
            field.options["server_default"] = None
        elif isinstance(arg, str):
            field.options["server_default"] = arg
        else:
            field.options["server_default"] = self._writer(model.module).sql(arg)

    def _update_value(self, model: ModelPlan, column: sa.Column[Any], field: FieldPlan) -> None:
        """``update_value``: SQLAlchemy's ``onupdate`` (a value, a function or SQL)."""
        if column.onupdate is not None:
            value = self._python_value(model, column, field, column.onupdate, "onupdate")
            if value is not None:
                field.options["update_value"] = value

    def _server_onupdate(self, model: ModelPlan, column: sa.Column[Any]) -> None:
        if column.server_onupdate is not None and column.server_onupdate not in (
            column.identity,
            column.computed,
        ):
            self.problem(model.table, column.name, "server_onupdate (FetchedValue) has no DBColumn option.")

    def _description(self, column: sa.Column[Any], field: FieldPlan) -> None:
        """``Field(description=...)``: dbkit writes it as the column comment."""
        if column.comment:
            field.description = column.comment

    def _default(self, model: ModelPlan, column: sa.Column[Any], field: FieldPlan) -> None:
        """The Python-side default: a value, or a function as ``default_factory``; ``None`` when optional."""
        value = (
            self._python_value(model, column, field, column.default, "default") if column.default else None
        )
        if value is not None and column.default.is_callable:
            field.default_factory = value
        elif value is not None:
            field.default = value
        elif field.optional:
            field.default = Constant(None)

    def _python_value(
        self, model: ModelPlan, column: sa.Column[Any], field: FieldPlan, default: Any, what: str
    ) -> Expr | None:
        """A Python-side default (or onupdate) value or function; None (a problem) when it has no source."""
        writer = self._writer(model.module)
        kind, value = python_default_kind(default)
        if kind == "scalar":
            try:
                return writer.value(value)
            except ScaffoldError as exc:
                self._unscaffolded_value(model, column, field, what, value, exc)
                return None
        if kind == "clause":
            if what == "onupdate":
                return writer.sql(default.arg)
            reason = f"an SQL expression ({value}) evaluated at INSERT; a Field default cannot say that"
        elif kind == "callable":
            function = original_callable(default)
            found = writer.importable(function)
            if found is not None:
                return found
            reason = (
                f"the function {getattr(function, '__qualname__', function)!r} is defined in "
                f"{getattr(function, '__module__', '?')}, which Phase 3 deletes (or is a lambda)"
            )
        else:
            reason = f"a {kind} default"
        self.problem(
            model.table,
            column.name,
            f"Python-side {what} not scaffolded: {reason}. Move it to a module that stays and set it by hand "
            "(ORM-level only: the schema is unaffected).",
        )
        return None

    def _unscaffolded_value(
        self,
        model: ModelPlan,
        column: sa.Column[Any],
        field: FieldPlan,
        what: str,
        value: Any,
        exc: ScaffoldError,
    ) -> None:
        """A Python-side value with no faithful source: a problem for this one field, saying where and what to do."""
        source = model.source
        owner = source.mapped_class.__name__ if source.mapped_class is not None else model.table.name
        hand_written = f"{owner}.{attribute_name(source.mapped_class, column)}"
        by_hand = "Field(default=...)" if what == "default" else "DBColumn(update_value=...)"
        self.problem(
            model.table,
            column.name,
            f"Python-side {what} {describe(value)} not scaffolded: {exc}. {hand_written} ({source_file(source)}) "
            f"→ {model.module}.{model.name}.{field.name}: set it there by hand ({by_hand}), or move its class "
            "to a module that stays, with a repr that rebuilds the value, and scaffold again "
            "(ORM-level only: the schema is unaffected).",
        )


def _renders(plan: ModelPlan) -> None:
    """Render one model on its own: a model that cannot be rendered fails here, not the whole module."""
    render_model(plan, Imports())


def _failure(exc: Exception) -> str:
    """Why a table's planning failed: a refusal's own message, else the error and where it happened."""
    if isinstance(exc, TableNotScaffoldedError):
        return str(exc)
    where = location_of(exc)
    column = where.split(", ", 1)[1] if where and ", " in where else None
    at = f" at {column}" if column else ""
    return f"planning it failed unexpectedly{at} ({type(exc).__name__}: {shorten(str(exc), 200)})"


def source_file(source: SourceTable) -> str:
    """The hand-written file a table comes from, as its module names it: ``DB_Auth`` → ``DB_Auth.py``."""
    return source.module.replace(".", "/") + ".py"


def scaffold(
    tables: Iterable[SourceTable | type | sa.Table],
    *,
    formatter: Callable[[str], str] | None = format_source,
) -> ScaffoldResult:
    """Scaffold ``BLL_*`` modules for hand-written mapped classes, ``Table`` s or :class:`SourceTable` s."""
    sources = []
    for item in tables:
        if isinstance(item, SourceTable):
            sources.append(item)
        elif isinstance(item, sa.Table):
            sources.append(SourceTable(item))
        elif isinstance(item, type) and hasattr(item, "__table__"):
            sources.append(SourceTable.of_class(item))
        else:
            raise ScaffoldError(f"Cannot scaffold {item!r}: give a mapped class, a Table or a SourceTable.")
    return ScaffoldGenerator(sources, formatter=formatter).generate()


def scaffold_codebase(path: str | Path) -> ScaffoldResult:
    """Scaffold every hand-written table of a codebase directory (loading executes its code)."""
    codebase = load_codebase(path)
    entries = sorted(codebase.hand_written.values(), key=lambda e: (e.file, e.name))
    return scaffold([SourceTable.from_hand_written(entry) for entry in entries])
