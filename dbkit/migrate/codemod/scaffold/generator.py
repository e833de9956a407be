"""ScaffoldGenerator: hand-written tables → BLL model source, one small overridable method per decision."""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import enum
import importlib
import inspect
import keyword
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.orm import RelationshipDirection

from dbkit.errors import DbkitError
from dbkit.generate.builder import RESERVED_ATTRIBUTES
from dbkit.generate.options import DBColumn
from dbkit.generate.types import FieldContext, TypeRegistry, type_registry
from dbkit.manager import PK_COLUMN_TYPE
from dbkit.migrate.codemod.scaffold.constants import (
    _MISSING,
    AUDIT_COLUMNS,
    BACKREF_INHERITED,
    MODEL_CLASS_ATTRIBUTES,
    POSITIONAL_PARAMETERS,
)
from dbkit.migrate.codemod.scaffold.facts import (
    column_signature,
    ddl_type,
    mixin_columns_table,
    model_name_for,
    name_to_render,
    original_callable,
    python_default_kind,
    reference_description,
    resolved_name,
    sql_text,
)
from dbkit.migrate.codemod.scaffold.results import (
    ModelRef,
    ScaffoldError,
    ScaffoldProblem,
    ScaffoldResult,
    SourceTable,
)
from dbkit.migrate.codemod.scaffold.source import Imports, format_source
from dbkit.naming import reference_field_for, snake_case, table_name_for

# -- planning ----------------------------------------------------------------------------------------


@dataclass
class FieldPlan:
    """One field of a scaffolded model, ready to render."""

    name: str
    annotation: str
    options: dict[str, str] = field(default_factory=dict)
    field_args: list[str] = field(default_factory=list)
    field_kwargs: dict[str, str] = field(default_factory=dict)
    #: A field with no ``= ...`` part (required, nothing to say).
    bare: bool = False


@dataclass
class ModelPlan:
    """One model: its class name, bases, class variables and fields."""

    source: SourceTable
    name: str
    module: str
    audit: bool = False
    mixin_id: bool = False
    reference_bases: list[str] = field(default_factory=list)
    class_vars: list[str] = field(default_factory=list)
    fields: list[FieldPlan] = field(default_factory=list)
    table_args: list[str] = field(default_factory=list)

    @property
    def table(self) -> sa.Table:
        return self.source.table


@dataclass(frozen=True)
class RelationshipInfo:
    """A many-to-one relationship of the hand-written class over one foreign-key column."""

    name: str
    backref: str | None
    backref_options: tuple[str, ...] = ()


class ScaffoldGenerator:
    """Renders ``BLL_*`` modules for a set of hand-written tables. Override any step to change the output."""

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
        self.plans: dict[str, ModelPlan] = {}
        #: Enum class → (module that defines it, rendered class name).
        self.enums: dict[Any, tuple[str, str]] = {}
        self._imports: dict[str, Imports] = {}
        self._module_order: list[str] = []
        self._table_order: list[str] = []
        #: (target table, backref name) → the scaffolded relationship that creates it.
        self.backrefs: dict[tuple[str, str], str] = {}

    # -- entry point -----------------------------------------------------------------------------
    def generate(self) -> ScaffoldResult:
        self.check_unique_tables()
        for source in self.sources:
            module = self.module_name(source)
            self.plans[source.table.name] = ModelPlan(source, "", module)
        self.name_models()
        self._table_order = self.order_tables()
        self._module_order = list(dict.fromkeys(self.plans[t].module for t in self._table_order))
        for table_name in self._table_order:
            self.plan_model(self.plans[table_name])
        for table_name in self._table_order:
            self.report_uncovered_relationships(self.plans[table_name])
        modules = {module: self.render_module(module) for module in self._module_order}
        models = {name: ModelRef(plan.module, plan.name) for name, plan in sorted(self.plans.items())}
        return ScaffoldResult(modules, models, list(self.problems))

    def problem(self, table: sa.Table, column: str | None, message: str) -> None:
        self.problems.append(ScaffoldProblem(table.name, column, message))

    def check_unique_tables(self) -> None:
        seen: dict[str, str] = {}
        for source in self.sources:
            if source.table.name in seen:
                previous = seen[source.table.name]
                raise ScaffoldError(
                    f"Table {source.table.name!r} is defined in both {previous} and {source.module}: "
                    "scaffold one of them."
                )
            seen[source.table.name] = source.module

    # -- names and order -------------------------------------------------------------------------
    def module_name(self, source: SourceTable) -> str:
        """``DB_Auth`` → ``BLL_Auth``; any other module name ``x`` → ``BLL_x``."""
        stem = source.module.rsplit(".", 1)[-1]
        return "BLL_" + (stem[3:] if stem.startswith("DB_") else stem)

    def name_models(self) -> None:
        taken: set[str] = set()
        for table_name in sorted(self.plans):
            plan = self.plans[table_name]
            name = model_name_for(plan.table, plan.source.mapped_class)
            while name in taken:
                name = name[: -len("Model")] + "_Model"
            taken.add(name)
            plan.name = name

    def order_tables(self) -> list[str]:
        """Referenced tables first (ties keep the input order), so most references are to defined classes."""
        position = {source.table.name: index for index, source in enumerate(self.sources)}
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(name: str) -> None:
            state[name] = "visiting"
            for target in self.referenced_tables(self.plans[name].table):
                if target in self.plans and target not in state:
                    visit(target)
            state[name] = "done"
            order.append(name)

        for name in sorted(self.plans, key=position.__getitem__):
            if name not in state:
                visit(name)
        return order

    def referenced_tables(self, table: sa.Table) -> list[str]:
        return [
            name
            for constraint in sorted(
                table.foreign_key_constraints, key=lambda c: [e.parent.name for e in c.elements]
            )
            if (name := constraint.elements[0].target_fullname.rsplit(".", 2)[-2]) != table.name
        ]

    def defined_before(self, target: str, plan: ModelPlan) -> bool:
        """Whether ``target``'s model class exists (same module, earlier; or an earlier module) at ``plan``."""
        target_plan = self.plans[target]
        if target_plan.module == plan.module:
            return self._table_order.index(target) < self._table_order.index(plan.table.name)
        return self._module_order.index(target_plan.module) < self._module_order.index(plan.module)

    def imports(self, module: str) -> Imports:
        return self._imports.setdefault(module, Imports())

    def model_reference(self, target: str, plan: ModelPlan) -> str:
        """The target model's class name in ``plan``'s module, importing it from its module if needed."""
        target_plan = self.plans[target]
        if target_plan.module != plan.module:
            self.imports(plan.module).name(target_plan.module, target_plan.name)
        return target_plan.name

    # -- one model -------------------------------------------------------------------------------
    def plan_model(self, plan: ModelPlan) -> None:
        table = plan.table
        self.choose_mixins(plan)
        own_columns = self.own_columns(plan)
        if table_name_for(plan.name) != table.name:
            plan.class_vars.append(f"table_name: ClassVar[str] = {table.name!r}")
        if table.comment:
            plan.class_vars.append(f"table_comment: ClassVar[str] = {table.comment!r}")
        if not plan.audit:
            plan.class_vars.append("audit_columns: ClassVar[bool] = False")
        if plan.class_vars:
            self.imports(plan.module).name("typing", "ClassVar")
        relationships = self.hand_written_relationships(plan)
        column_level = self.column_level_items(plan)
        used_names = {"id"} if plan.mixin_id else set()
        reference_prefix = True
        for column in own_columns:
            base = (
                self.reference_base(plan, column, relationships, column_level) if reference_prefix else None
            )
            if base is not None:
                plan.reference_bases.append(base)
                used_names.add(column.name)
                continue
            reference_prefix = False
            plan.fields.append(self.plan_field(plan, column, relationships, column_level, used_names))
        self.plan_table_args(plan, column_level)
        if plan.table_args:
            self.imports(plan.module).name("typing", "ClassVar")
        self.check_table_level(plan)

    def choose_mixins(self, plan: ModelPlan) -> None:
        """Audit mixins only when the table has every mixin column exactly as dbkit defines it, in place."""
        table = plan.table
        probe = mixin_columns_table()
        names = [column.name for column in table.columns]

        def same(name: str) -> bool:
            return name in table.c and column_signature(table.c[name]) == column_signature(probe.c[name])

        plan.mixin_id = bool(
            names and names[0] == "id" and [c.name for c in table.primary_key] == ["id"] and same("id")
        )
        plan.audit = (
            plan.mixin_id
            and tuple(names[-len(AUDIT_COLUMNS) :]) == AUDIT_COLUMNS
            and all(same(name) for name in AUDIT_COLUMNS)
        )
        if plan.mixin_id and self.attribute_name(plan, table.c.id) != "id":
            plan.mixin_id = plan.audit = False

    def own_columns(self, plan: ModelPlan) -> list[sa.Column[Any]]:
        skip = {"id"} if plan.mixin_id else set()
        if plan.audit:
            skip.update(AUDIT_COLUMNS)
        return [column for column in plan.table.columns if column.name not in skip]

    def attribute_name(self, plan: ModelPlan, column: sa.Column[Any]) -> str:
        """The mapped class's attribute for ``column`` (it may differ from the column's name)."""
        mapped = plan.source.mapped_class
        if mapped is None:
            return column.key
        try:
            return sa.inspect(mapped).get_property_by_column(column).key
        except Exception:  # an unmapped column, or mappers that cannot configure
            return column.key

    def field_name(self, attribute: str, used: set[str]) -> str:
        """A field name Pydantic and SQLAlchemy accept: ``_private`` → ``private``, ``metadata`` → ``metadata_``."""
        name = re.sub(r"\W", "_", attribute).lstrip("_") or "field"
        if name[0].isdigit():
            name = f"field_{name}"
        if name.startswith("model_"):
            name = f"{name[len('model_') :]}_model"
        while (
            keyword.iskeyword(name)
            or name in RESERVED_ATTRIBUTES
            or name in MODEL_CLASS_ATTRIBUTES
            or hasattr(BaseModel, name)
            or name in used
        ):
            name += "_"
        used.add(name)
        return name

    # -- relationships ---------------------------------------------------------------------------
    def hand_written_relationships(self, plan: ModelPlan) -> dict[str, RelationshipInfo]:
        """Column name → the many-to-one relationship the hand-written class has over it."""
        mapped = plan.source.mapped_class
        if mapped is None:
            return {}
        found: dict[str, RelationshipInfo] = {}
        for rel in self.relationships_of(mapped):
            if rel.direction is not RelationshipDirection.MANYTOONE or rel.secondary is not None:
                continue
            local = [column for column in rel.local_columns if column.table is plan.table]
            if len(local) != 1 or local[0].name in found:
                continue
            found[local[0].name] = self.relationship_info(rel)
        return found

    def relationships_of(self, mapped: type) -> list[Any]:
        try:
            return list(sa.inspect(mapped).relationships)
        except Exception:
            return []

    def relationship_info(self, rel: Any) -> RelationshipInfo:
        backref = rel.backref
        options: tuple[str, ...] = ()
        if isinstance(backref, tuple):
            backref, kwargs = backref
            # SQLAlchemy fills in the forward relationship's own settings: only the others were asked for.
            options = tuple(
                sorted(
                    k
                    for k, v in kwargs.items()
                    if not (k in BACKREF_INHERITED and getattr(rel, k, _MISSING) == v)
                )
            )
        name = backref or rel.back_populates
        if name is None:
            reverse = sorted(r.key for r in getattr(rel, "_reverse_property", ()))
            name = reverse[0] if reverse else None
        return RelationshipInfo(rel.key, name, options)

    def report_uncovered_relationships(self, plan: ModelPlan) -> None:
        mapped = plan.source.mapped_class
        if mapped is None:
            return
        covered = self.hand_written_relationships(plan)
        covered_names = {info.name for info in covered.values()}
        for rel in self.relationships_of(mapped):
            if rel.key in covered_names or (plan.table.name, rel.key) in self.backrefs:
                continue
            kind = "many-to-many" if rel.secondary is not None else rel.direction.name.lower()
            target = rel.mapper.class_.__name__
            self.problem(
                plan.table,
                None,
                f"relationship {mapped.__name__}.{rel.key} ({kind} to {target}) is not generated: "
                "declare it on the generated class, or model it with a reference field (ORM-level only).",
            )
        validators = getattr(sa.inspect(mapped), "validators", {})
        if validators:
            self.problem(
                plan.table,
                None,
                f"@validates methods {sorted(validators)} are not scaffolded: "
                "write them as Pydantic field validators on the model.",
            )

    # -- column-level constraints ----------------------------------------------------------------
    def column_level_items(self, plan: ModelPlan) -> dict[str, dict[str, Any]]:
        """Which unique constraints, indexes and foreign keys can be said on the column itself."""
        table = plan.table
        found: dict[str, dict[str, Any]] = {}
        for constraint in table.constraints:
            columns = [c.name for c in getattr(constraint, "columns", [])]
            if (
                isinstance(constraint, sa.UniqueConstraint)
                and len(columns) == 1
                and name_to_render(constraint, table) is None
                and not constraint.dialect_kwargs
                and not (constraint.deferrable or constraint.initially)
            ):
                found.setdefault(columns[0], {}).setdefault("unique", constraint)
            if isinstance(constraint, sa.ForeignKeyConstraint) and len(constraint.elements) == 1:
                element = constraint.elements[0]
                if not (
                    constraint.deferrable or constraint.initially or constraint.match or constraint.use_alter
                ):
                    found.setdefault(element.parent.name, {}).setdefault("foreign_key", constraint)
        for index in sorted(table.indexes, key=lambda i: str(resolved_name(i))):
            columns = [e.name if isinstance(e, sa.Column) else None for e in index.expressions]
            if (
                len(columns) == 1
                and columns[0] is not None
                and not index.unique
                and not index.dialect_kwargs
                and name_to_render(index, table) is None
                and "unique" not in found.get(columns[0], {})
            ):
                found.setdefault(columns[0], {}).setdefault("index", index)
        return found

    # -- references ------------------------------------------------------------------------------
    def reference_base(
        self,
        plan: ModelPlan,
        column: sa.Column[Any],
        relationships: dict[str, RelationshipInfo],
        column_level: dict[str, dict[str, Any]],
    ) -> str | None:
        """``XModel.ReferenceID`` (or ``.Optional``) when it generates exactly this column and relationship."""
        constraint = column_level.get(column.name, {}).get("foreign_key")
        if constraint is None or set(column_level[column.name]) != {"foreign_key"}:
            return None
        element = constraint.elements[0]
        target_table, target_column = element.target_fullname.rsplit(".", 2)[-2:]
        target_plan = self.plans.get(target_table)
        if target_plan is None or target_table == plan.table.name or not target_plan.mixin_id:
            return None
        if target_column != "id" or not self.defined_before(target_table, plan):
            return None
        expected_name = reference_field_for(target_plan.name)
        relationship = relationships.get(column.name)
        default_backref = plan.table.name
        exact = (
            column.name == expected_name
            and self.attribute_name(plan, column) == expected_name
            and not column.primary_key
            and column.comment == reference_description(target_plan.name)
            and ddl_type(column.type) == ddl_type(PK_COLUMN_TYPE)
            and column.server_default is None
            and column.default is None
            and column.onupdate is None
            and column.identity is None
            and column.computed is None
            and element.ondelete is None
            and element.onupdate is None
            and name_to_render(constraint, plan.table) is None
            and relationship is not None
            and relationship.name == expected_name[: -len("_id")]
            and relationship.backref == default_backref
            and not relationship.backref_options
            and (target_table, default_backref) not in self.backrefs
        )
        if not exact:
            return None
        self.backrefs[(target_table, default_backref)] = f"{plan.name}.{relationship.name}"
        base = f"{self.model_reference(target_table, plan)}.ReferenceID"
        return f"{base}.Optional" if column.nullable else base

    def reference_options(
        self,
        plan: ModelPlan,
        column: sa.Column[Any],
        field_name: str,
        constraint: sa.ForeignKeyConstraint,
        relationship: RelationshipInfo | None,
    ) -> tuple[dict[str, str], bool]:
        """``DBColumn`` options for a single-column foreign key; True when the type comes from the target."""
        element = constraint.elements[0]
        target_table, target_column = element.target_fullname.rsplit(".", 2)[-2:]
        options: dict[str, str] = {}
        target_plan = self.plans.get(target_table)
        typed_by_target = False
        if target_plan is not None and [c.name for c in target_plan.table.primary_key] == [target_column]:
            target_type = target_plan.table.c[target_column].type
            same_type = ddl_type(column.type) == ddl_type(target_type)
            if same_type and self.defined_before(target_table, plan):
                options["references"] = self.model_reference(target_table, plan)
                typed_by_target = True
            elif same_type and ddl_type(target_type) == ddl_type(PK_COLUMN_TYPE):
                spec = target_table if target_column == "id" else f"{target_table}.{target_column}"
                options["references"] = repr(spec)
                typed_by_target = True
        if not typed_by_target:
            options["foreign_key"] = repr(f"{target_table}.{target_column}")
        for key in ("ondelete", "onupdate"):
            value = getattr(element, key)
            if value is not None:
                options[key] = repr(value)
        fk_name = name_to_render(constraint, plan.table)
        if fk_name is not None:
            options["fk_name"] = repr(fk_name)
        if typed_by_target:
            options.update(self.relationship_options(plan, column, field_name, target_table, relationship))
        elif relationship is not None:
            why = (
                "a reference to a model not defined yet (a self-reference or a cycle) goes by table name, "
                "which dbkit types as a UUID"
                if target_plan is not None
                else "it is not the single primary key of a scaffolded table of the same type"
            )
            self.problem(
                plan.table,
                column.name,
                f"relationship {relationship.name!r} is not generated: the foreign key targets "
                f"{target_table}.{target_column} and {why}. Declare the relationship by hand.",
            )
        return options, typed_by_target

    def relationship_options(
        self,
        plan: ModelPlan,
        column: sa.Column[Any],
        field_name: str,
        target_table: str,
        relationship: RelationshipInfo | None,
    ) -> dict[str, str]:
        default_name = field_name[: -len("_id")] if field_name.endswith("_id") else None
        options: dict[str, str] = {}
        if relationship is None:
            if default_name:
                options["relationship"] = "False"
            return options
        if relationship.name != default_name:
            options["relationship"] = repr(relationship.name)
        self_reference = target_table == plan.table.name
        default_backref = "children" if self_reference and relationship.name == "parent" else plan.table.name
        if relationship.backref != default_backref:
            options["backref"] = repr(relationship.backref) if relationship.backref else "False"
        if relationship.backref_options:
            self.problem(
                plan.table,
                column.name,
                f"backref {relationship.backref!r} options {list(relationship.backref_options)} are not "
                "generated (ORM-level): set them on the generated class if the application relies on them.",
            )
        if relationship.backref:
            self.backrefs[(target_table, relationship.backref)] = f"{plan.name}.{relationship.name}"
        return options

    # -- one field -------------------------------------------------------------------------------
    def plan_field(
        self,
        plan: ModelPlan,
        column: sa.Column[Any],
        relationships: dict[str, RelationshipInfo],
        column_level: dict[str, dict[str, Any]],
        used_names: set[str],
    ) -> FieldPlan:
        attribute = self.attribute_name(plan, column)
        name = self.field_name(attribute, used_names)
        options: dict[str, str] = {}
        if name != column.name:
            options["name"] = repr(column.name)
        level = column_level.get(column.name, {})
        typed_by_target = False
        if "foreign_key" in level:
            reference, typed_by_target = self.reference_options(
                plan, column, name, level["foreign_key"], relationships.get(column.name)
            )
        else:
            reference = {}
        annotation, field_kwargs, type_options = self.plan_type(plan, column, typed_by_target)
        options.update(type_options)
        if column.primary_key:
            options["primary_key"] = "True"
            if [c.name for c in plan.table.primary_key] != [column.name] and column.autoincrement is True:
                options["autoincrement"] = "True"
        if column.autoincrement is False and column.primary_key:
            options["autoincrement"] = "False"
        if column.identity is not None:
            options["identity"] = self.render_construct(plan, column.identity)
        if column.computed is not None:
            options["computed"] = self.render_construct(plan, column.computed)
        if "unique" in level:
            options["unique"] = "True"
        if "index" in level:
            options["index"] = "True"
        generated_by_database = (
            column.identity is not None
            or column.computed is not None
            or (column.primary_key and column is plan.table.autoincrement_column)
        )
        optional = column.nullable or generated_by_database
        if optional and not column.nullable and not column.primary_key:
            options["nullable"] = "False"
        database_generated = (column.identity, column.computed)
        if column.server_default is not None and column.server_default not in database_generated:
            options["server_default"] = self.render_server_default(plan, column)
        if column.onupdate is not None:
            update_value = self.render_python_value(plan, column, column.onupdate, "onupdate")
            if update_value is not None:
                options["update_value"] = update_value
        options.update(reference)
        if column.server_onupdate is not None and column.server_onupdate not in database_generated:
            self.problem(plan.table, column.name, "server_onupdate (FetchedValue) has no DBColumn option.")
        if column.comment:
            field_kwargs = {"description": repr(column.comment), **field_kwargs}
        field_args: list[str] = []
        default = (
            self.render_python_value(plan, column, column.default, "default") if column.default else None
        )
        if default is not None and default.startswith("default_factory="):
            field_kwargs = {"default_factory": default.split("=", 1)[1], **field_kwargs}
        elif default is not None:
            field_args.append(default)
        elif optional:
            field_args.append("None")
        if optional:
            annotation = f"{annotation} | None"
        return FieldPlan(name, annotation, self.ordered_options(options), field_args, field_kwargs)

    def ordered_options(self, options: dict[str, str]) -> dict[str, str]:
        """Options in ``DBColumn``'s own field order, so the output is stable and familiar."""
        order = list(DBColumn.__dataclass_fields__)
        return {key: options[key] for key in sorted(options, key=order.index)}

    def plan_type(
        self, plan: ModelPlan, column: sa.Column[Any], typed_by_target: bool
    ) -> tuple[str, dict[str, str], dict[str, str]]:
        """Python annotation, ``Field`` constraints and type options (``sa_type``, enum options) of a column."""
        column_type = column.type
        if typed_by_target:
            return self.render_annotation(plan, self.python_type(column_type)), {}, {}
        if isinstance(column_type, sa.Enum) and not column_type._variant_mapping:
            return self.plan_enum_type(plan, column)
        python_type = self.python_type(column_type)
        constraints = self.field_constraints(column_type, python_type)
        annotation = self.render_annotation(plan, python_type)
        field_kwargs = {key: repr(value) for key, value in constraints.items()}
        if self.registry_type_matches(plan, column, python_type, constraints, DBColumn()):
            return annotation, field_kwargs, {}
        return annotation, {}, {"sa_type": self.render_type(plan, column, column_type)}

    def python_type(self, column_type: sa.types.TypeEngine[Any]) -> Any:
        try:
            python_type = column_type.python_type
        except (NotImplementedError, AttributeError):
            return Any
        if python_type is object:
            return Any
        if isinstance(column_type, sa.Uuid) and not column_type.as_uuid:
            return str
        return python_type

    def field_constraints(self, column_type: sa.types.TypeEngine[Any], python_type: Any) -> dict[str, Any]:
        """Pydantic constraints the registry reads back into the type: ``max_length``, ``max_digits``..."""
        if python_type is str and isinstance(column_type, sa.String) and column_type.length:
            return {"max_length": column_type.length}
        if python_type is decimal.Decimal and isinstance(column_type, sa.Numeric):
            found = {}
            if column_type.precision is not None:
                found["max_digits"] = column_type.precision
            if column_type.scale is not None:
                found["decimal_places"] = column_type.scale
            return found
        return {}

    def registry_type_matches(
        self,
        plan: ModelPlan,
        column: sa.Column[Any],
        python_type: Any,
        constraints: dict[str, Any],
        options: DBColumn,
    ) -> bool:
        """Whether the type registry maps ``python_type`` to a type with the same DDL as ``column``'s."""
        info = Field(**constraints) if constraints else Field()
        ctx = FieldContext(plan.name, column.name, python_type, info, options)
        try:
            generated = self.type_registry.column_type(ctx)
        except DbkitError:
            return False
        if ddl_type(generated) != ddl_type(column.type):
            return False
        if isinstance(column.type, sa.Enum):
            return isinstance(generated, sa.Enum) and list(generated.enums) == list(column.type.enums)
        return True

    def plan_enum_type(
        self, plan: ModelPlan, column: sa.Column[Any]
    ) -> tuple[str, dict[str, str], dict[str, str]]:
        column_type: sa.Enum = column.type  # type: ignore[assignment]
        enum_class = column_type.enum_class
        options: dict[str, str] = {}
        candidate: dict[str, Any] = {}
        if not column_type.native_enum:
            options["native_enum"] = "False"
            candidate["native_enum"] = False
        if enum_class is None:
            values = list(column_type.enums)
            python_type: Any = Literal[tuple(values)]
            annotation = (
                f"{self.imports(plan.module).name('typing', 'Literal')}[{', '.join(map(repr, values))}]"
            )
            default_name = f"{snake_case(plan.name[: -len('Model')] if plan.name.endswith('Model') else plan.name)}_{column.name}"
        else:
            python_type = enum_class
            annotation = self.enum_reference(plan, enum_class)
            default_name = snake_case(annotation)
            if list(column_type.enums) == [str(member.value) for member in enum_class] and list(
                column_type.enums
            ) != [member.name for member in enum_class]:
                options["enum_by"] = repr("value")
                candidate["enum_by"] = "value"
        if column_type.name != default_name:
            options["enum_name"] = repr(column_type.name)
        # The rendered class may be renamed (a nested ``Document.Visibility`` → ``DocumentVisibility``):
        # check with the name the generated model will give the type.
        candidate["enum_name"] = column_type.name
        if self.registry_type_matches(plan, column, python_type, {}, DBColumn(**candidate)):
            return annotation, {}, dict(sorted(options.items()))
        self.problem(
            plan.table,
            column.name,
            f"enum type {column_type.name!r} has options dbkit's Enum mapping does not reproduce "
            "(length, create_constraint, schema or member storage): it is given as sa_type; check it.",
        )
        return annotation, {}, {"sa_type": self.render_type(plan, column, column_type)}

    def enum_reference(self, plan: ModelPlan, enum_class: type[enum.Enum]) -> str:
        """The rendered name of an Enum class, defining it in this module the first time it is used."""
        if enum_class not in self.enums:
            taken = {name for _, name in self.enums.values()} | {p.name for p in self.plans.values()}
            name = (
                "".join(enum_class.__qualname__.split(".")[-2:])
                if "." in enum_class.__qualname__
                else enum_class.__name__
            )
            name = name.replace("<locals>", "")
            while name in taken:
                name += "_"
            self.enums[enum_class] = (plan.module, name)
        module, name = self.enums[enum_class]
        if module != plan.module:
            self.imports(plan.module).name(module, name)
        return name

    # -- values and types ------------------------------------------------------------------------
    def render_annotation(self, plan: ModelPlan, python_type: Any) -> str:
        imports = self.imports(plan.module)
        if python_type is Any:
            return imports.name("typing", "Any")
        if python_type in (dict, list):
            return f"{python_type.__name__}[{'str, ' if python_type is dict else ''}{imports.name('typing', 'Any')}]"
        if isinstance(python_type, type) and python_type.__module__ == "builtins":
            return python_type.__name__
        if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
            return self.enum_reference(plan, python_type)
        known = {dt.datetime: "dt", dt.date: "dt", dt.time: "dt", dt.timedelta: "dt"}
        if python_type in known:
            return f"{imports.module('datetime', 'dt')}.{python_type.__name__}"
        if python_type in (decimal.Decimal, uuid.UUID):
            return f"{imports.module(python_type.__module__)}.{python_type.__name__}"
        return self.render_import(plan, python_type) or imports.name("typing", "Any")

    def render_import(self, plan: ModelPlan, obj: Any) -> str | None:
        """``obj``'s name, imported from its module; None when that module is a ``DB_*`` file or not importable."""
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", "")
        if not module or module == "__main__" or "<" in qualname or "." in qualname:
            return None
        if module.rsplit(".", 1)[-1].startswith("DB_"):
            return None
        if module == "sqlalchemy" or (
            module.startswith("sqlalchemy.") and getattr(sa, qualname, None) is obj
        ):
            return f"{self.imports(plan.module).module('sqlalchemy', 'sa')}.{qualname}"
        if module.startswith("sqlalchemy.dialects."):
            dialect = module.split(".")[2]
            dialect_module = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
            if getattr(dialect_module, qualname, None) is obj:
                return f"{self.imports(plan.module).name('sqlalchemy.dialects', dialect)}.{qualname}"
        return self.imports(plan.module).name(module, qualname)

    def render_value(self, plan: ModelPlan, value: Any) -> str:
        """A literal, enum member, SQLAlchemy type or importable object as Python source."""
        if isinstance(value, enum.Enum):
            return f"{self.enum_reference(plan, type(value))}.{value.name}"
        if value is None or isinstance(value, bool | int | float | str | bytes):
            return repr(value)
        if isinstance(value, decimal.Decimal):
            return f"{self.imports(plan.module).module('decimal')}.Decimal({str(value)!r})"
        if isinstance(value, sa.types.TypeEngine):
            return self.render_type_object(plan, value)
        if isinstance(value, list | tuple):
            items = ", ".join(self.render_value(plan, item) for item in value)
            return f"[{items}]" if isinstance(value, list) else f"({items}{',' if len(value) == 1 else ''})"
        if isinstance(value, sa.sql.ClauseElement):
            return self.render_sql(plan, value)
        rendered = self.render_import(plan, value)
        if rendered is None:
            raise ScaffoldError(f"cannot render {value!r} as source")
        return rendered

    def constructor_arguments(self, obj: Any) -> tuple[list[Any], dict[str, Any]]:
        """Arguments that rebuild ``obj``: those differing from a default-constructed instance (as generic_repr)."""
        cls = type(obj)
        to_inspect = obj
        if isinstance(obj, sa.types.TypeDecorator) and _takes_only_var_args(cls):
            to_inspect = obj.impl_instance
        signature = inspect.signature(type(to_inspect).__init__)
        try:
            blank = type(to_inspect)()
        except Exception:
            blank = None
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        positional = True
        for name, parameter in list(signature.parameters.items())[1:]:
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            value = getattr(to_inspect, name, _MISSING)
            if value is _MISSING:
                positional = False
                continue
            default = parameter.default
            same_as_blank = blank is not None and _same_value(value, getattr(blank, name, _MISSING))
            if (default is not parameter.empty and _same_value(value, default)) or (
                default is not parameter.empty and same_as_blank
            ):
                positional = False
                continue
            if positional and (default is parameter.empty or name in POSITIONAL_PARAMETERS):
                args.append(value)
            else:
                positional = False
                kwargs[name] = value
        return args, kwargs

    def render_call(self, plan: ModelPlan, callee: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
        parts = [self.render_value(plan, arg) for arg in args]
        parts += [f"{key}={self.render_value(plan, value)}" for key, value in kwargs.items()]
        return f"{callee}({', '.join(parts)})"

    def render_type_object(self, plan: ModelPlan, type_: sa.types.TypeEngine[Any]) -> str:
        variants = dict(getattr(type_, "_variant_mapping", {}) or {})
        base = type_
        if variants:
            base = copy.copy(type_)
            base._variant_mapping = type(type_._variant_mapping)()
        if isinstance(base, sa.Enum):
            raise ScaffoldError("an Enum type inside another type")
        callee = self.render_import(plan, type(base))
        if callee is None:
            raise ScaffoldError(f"{type(base).__qualname__} is defined in {type(base).__module__}")
        args, kwargs = self.constructor_arguments(base)
        rendered = self.render_call(plan, callee, args, kwargs)
        for dialect in sorted(variants):
            rendered += f".with_variant({self.render_type_object(plan, variants[dialect])}, {dialect!r})"
        return rendered

    def render_type(self, plan: ModelPlan, column: sa.Column[Any], type_: sa.types.TypeEngine[Any]) -> str:
        """An ``sa_type`` value, checked to compile to the same DDL; else the type it stores, reported."""
        try:
            rendered = self.render_type_object(plan, type_)
        except ScaffoldError as exc:
            storage = getattr(type_, "impl_instance", None)
            if storage is not None and not isinstance(storage, sa.types.TypeDecorator):
                self.problem(
                    plan.table,
                    column.name,
                    f"type {type(type_).__name__} cannot be imported ({exc}; DB_* files are deleted in Phase 3): "
                    f"scaffolded as its storage type {storage!r} (same DDL, no Python-side conversion). "
                    "Move the type to a module that stays and give it as DBColumn(sa_type=...).",
                )
                return self.render_type_object(plan, storage)
            self.problem(
                plan.table, column.name, f"type {type_!r} cannot be rendered: {exc}; scaffolded as JSON."
            )
            return f"{self.imports(plan.module).module('sqlalchemy', 'sa')}.JSON()"
        if not self.evaluates_to_same_type(plan, rendered, type_):
            self.problem(
                plan.table,
                column.name,
                f"type rendered as {rendered} does not compile to the same DDL as {type_!r}: check it.",
            )
        return rendered

    def evaluates_to_same_type(self, plan: ModelPlan, rendered: str, type_: sa.types.TypeEngine[Any]) -> bool:
        namespace = self.namespace(plan.module)
        try:
            rebuilt = eval(rendered, namespace)  # the source this class just rendered, in its own imports
        except Exception:
            return False
        return ddl_type(rebuilt) == ddl_type(type_)

    def namespace(self, module: str) -> dict[str, Any]:
        """The names this module's imports bind (enum classes excepted), to evaluate rendered expressions."""
        imports = self.imports(module)
        namespace: dict[str, Any] = {}
        for name, alias in imports.modules.items():
            try:
                namespace[alias or name.split(".")[0]] = importlib.import_module(name)
            except ImportError:
                continue
        for name, names in imports.names.items():
            try:
                loaded = importlib.import_module(name)
            except ImportError:
                continue
            for attribute in names:
                if hasattr(loaded, attribute):
                    namespace[attribute] = getattr(loaded, attribute)
                else:
                    with_sub = f"{name}.{attribute}"
                    try:
                        namespace[attribute] = importlib.import_module(with_sub)
                    except ImportError:
                        continue
        return namespace

    def render_construct(self, plan: ModelPlan, construct: Any) -> str:
        """``sa.Identity(...)`` / ``sa.Computed(...)`` as source."""
        sa_alias = self.imports(plan.module).module("sqlalchemy", "sa")
        if isinstance(construct, sa.Computed):
            kwargs = {} if construct.persisted is None else {"persisted": construct.persisted}
            return self.render_call(plan, f"{sa_alias}.Computed", [sql_text(construct.sqltext)], kwargs)
        args, kwargs = self.constructor_arguments(construct)
        return self.render_call(plan, f"{sa_alias}.{type(construct).__name__}", args, kwargs)

    def render_sql(self, plan: ModelPlan, expression: Any) -> str:
        """``sa.func.now()``, ``sa.false()``, ``sa.text("0")``: a server-side SQL expression as source."""
        sa_alias = self.imports(plan.module).module("sqlalchemy", "sa")
        if isinstance(expression, sa.sql.elements.True_):
            return f"{sa_alias}.true()"
        if isinstance(expression, sa.sql.elements.False_):
            return f"{sa_alias}.false()"
        if isinstance(expression, sa.sql.elements.TextClause):
            return f"{sa_alias}.text({expression.text!r})"
        if isinstance(expression, sa.sql.functions.FunctionElement):
            arguments = list(expression.clauses.clauses)
            if all(isinstance(a, sa.sql.elements.BindParameter) for a in arguments):
                values = ", ".join(repr(a.value) for a in arguments)
                name = getattr(expression, "name", None)
                if name and name.isidentifier():
                    return f"{sa_alias}.func.{name}({values})"
        return f"{sa_alias}.text({sql_text(expression)!r})"

    def render_server_default(self, plan: ModelPlan, column: sa.Column[Any]) -> str:
        default = column.server_default
        arg = getattr(default, "arg", None)
        if arg is None:
            self.problem(plan.table, column.name, f"server default {default!r} has no value to scaffold.")
            return "None"
        if isinstance(arg, str):
            return repr(arg)
        return self.render_sql(plan, arg)

    def render_python_value(
        self, plan: ModelPlan, column: sa.Column[Any], default: Any, what: str
    ) -> str | None:
        """A Python-side default (or onupdate) as source; None (and a problem) when it cannot be said."""
        kind, value = python_default_kind(default)
        if kind == "scalar":
            try:
                return self.render_value(plan, value)
            except ScaffoldError as exc:
                reason = str(exc)
        elif kind == "clause":
            if what == "onupdate":
                return self.render_sql(plan, default.arg)
            reason = f"an SQL expression ({value}) evaluated at INSERT; a Field default cannot say that"
        elif kind == "callable":
            function = original_callable(default)
            rendered = self.render_import(plan, function)
            if rendered is not None:
                return rendered if what == "onupdate" else f"default_factory={rendered}"
            where = getattr(function, "__module__", "?")
            reason = (
                f"the function {getattr(function, '__qualname__', function)!r} is defined in {where}, "
                "which Phase 3 deletes (or is a lambda)"
            )
        else:
            reason = f"a {kind} default"
        self.problem(
            plan.table,
            column.name,
            f"Python-side {what} not scaffolded: {reason}. Move it to a module that stays and set it by hand "
            "(ORM-level only: the schema is unaffected).",
        )
        return None

    # -- table level -----------------------------------------------------------------------------
    def plan_table_args(self, plan: ModelPlan, column_level: dict[str, dict[str, Any]]) -> None:
        """Constraints and indexes not said on a column, with explicit names where dbkit's would differ."""
        table = plan.table
        used = {id(item) for items in column_level.values() for item in items.values()}
        rendered: list[tuple[int, str, str]] = []
        pk_name = name_to_render(table.primary_key, table) if table.primary_key.columns else None
        if pk_name is not None:
            rendered.append((0, pk_name, self.render_constraint(plan, table.primary_key)))
        kinds = {sa.UniqueConstraint: 1, sa.CheckConstraint: 2, sa.ForeignKeyConstraint: 3}
        for constraint in table.constraints:
            if id(constraint) in used or isinstance(constraint, sa.PrimaryKeyConstraint):
                continue
            if getattr(constraint, "_type_bound", False):
                continue
            kind = next((order for cls, order in kinds.items() if isinstance(constraint, cls)), None)
            if kind is None:
                self.problem(plan.table, None, f"{type(constraint).__name__} is not scaffolded.")
                continue
            rendered.append((kind, self.sort_key(constraint), self.render_constraint(plan, constraint)))
        for column in table.columns:
            for constraint in column.constraints:
                self.problem(
                    table,
                    column.name,
                    "a column-level CHECK is declared at table level in the generated model "
                    "(same meaning, the DDL spells it as a table constraint).",
                )
                rendered.append((2, self.sort_key(constraint), self.render_constraint(plan, constraint)))
        for index in table.indexes:
            if id(index) not in used:
                rendered.append((4, self.sort_key(index), self.render_index(plan, index)))
        plan.table_args = [source for _, _, source in sorted(rendered)]
        if resolved_name(table.primary_key) is None and table.primary_key.columns:
            self.problem(
                table,
                None,
                "constraint names are left to the database here (no naming convention): the generated model "
                "names them by dbkit's convention (pk_/fk_/uq_/ix_/ck_), a cosmetic difference.",
            )

    def sort_key(self, item: Any) -> str:
        name = resolved_name(item) or ""
        columns = [getattr(c, "name", str(c)) for c in getattr(item, "columns", [])]
        return f"{name}|{','.join(columns)}|{getattr(item, 'sqltext', '')}"

    def render_constraint(self, plan: ModelPlan, constraint: Any) -> str:
        sa_alias = self.imports(plan.module).module("sqlalchemy", "sa")
        name = name_to_render(constraint, plan.table)
        kwargs: dict[str, Any] = {} if name is None else {"name": name}
        if isinstance(constraint, sa.CheckConstraint):
            if name is None and resolved_name(constraint) is not None:
                kwargs["name"] = resolved_name(constraint)
            args: list[Any] = [sql_text(constraint.sqltext)]
            callee = "CheckConstraint"
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            args = [
                [element.parent.name for element in constraint.elements],
                [".".join(element.target_fullname.rsplit(".", 2)[-2:]) for element in constraint.elements],
            ]
            for key in ("ondelete", "onupdate", "deferrable", "initially", "match"):
                if getattr(constraint, key, None) is not None:
                    kwargs[key] = getattr(constraint, key)
            if constraint.use_alter:
                kwargs["use_alter"] = True
            callee = "ForeignKeyConstraint"
        else:
            args = [column.name for column in constraint.columns]
            callee = type(constraint).__name__
            for key in ("deferrable", "initially"):
                if getattr(constraint, key, None) is not None:
                    kwargs[key] = getattr(constraint, key)
        kwargs.update(constraint.dialect_kwargs)
        return self.render_call(plan, f"{sa_alias}.{callee}", args, kwargs)

    def render_index(self, plan: ModelPlan, index: sa.Index) -> str:
        sa_alias = self.imports(plan.module).module("sqlalchemy", "sa")
        name = resolved_name(index)
        expressions: list[str] = []
        for expression in index.expressions:
            if isinstance(expression, sa.Column) and expression.table is plan.table:
                expressions.append(repr(expression.name))
            elif isinstance(expression, str):
                expressions.append(repr(expression))
            else:
                expressions.append(f"{sa_alias}.text({sql_text(expression)!r})")
        if not expressions:
            self.problem(plan.table, None, f"index {name!r} has no columns: left out.")
            return ""
        kwargs: dict[str, Any] = {"unique": True} if index.unique else {}
        kwargs.update(index.dialect_kwargs)
        parts = [repr(name), *expressions, *(f"{k}={self.render_value(plan, v)}" for k, v in kwargs.items())]
        return f"{sa_alias}.Index({', '.join(parts)})"

    def check_table_level(self, plan: ModelPlan) -> None:
        table = plan.table
        if table.schema:
            self.problem(
                table,
                None,
                f"schema {table.schema!r} has no model option: the table moves to the default schema.",
            )
        extra = {k: v for k, v in table.dialect_kwargs.items()}
        if extra:
            plan.table_args.append(
                "{"
                + ", ".join(f"{k!r}: {self.render_value(plan, v)}" for k, v in sorted(extra.items()))
                + "}"
            )
        plan.table_args = [item for item in plan.table_args if item]

    # -- rendering -------------------------------------------------------------------------------
    def render_module(self, module: str) -> str:
        plans = [self.plans[name] for name in self._table_order if self.plans[name].module == module]
        models = [self.render_model(plan) for plan in plans]
        enums = [self.render_enum(cls, name) for cls, (owner, name) in self.enums.items() if owner == module]
        header = self.render_docstring(module, plans)
        imports = self.imports(module).render(local_modules=self._module_order)
        body = "\n\n\n".join([*enums, *models])
        source = f"{header}\n\n{imports}\n\n\n{body}\n"
        return self.formatter(source) if self.formatter else source

    def render_docstring(self, module: str, plans: list[ModelPlan]) -> str:
        origins = sorted({plan.source.module for plan in plans})
        return (
            f'"""Business-logic models scaffolded by dbkit from {", ".join(origins)}: '
            'review, then own this file."""'
        )

    def render_enum(self, enum_class: type[enum.Enum], name: str) -> str:
        if issubclass(enum_class, enum.IntEnum):
            bases = "enum.IntEnum"
        elif issubclass(enum_class, str):
            bases = "str, enum.Enum"
        elif issubclass(enum_class, int):
            bases = "int, enum.Enum"
        else:
            bases = "enum.Enum"
        self.imports(self.enums[enum_class][0]).module("enum")
        lines = [f"class {name}({bases}):"]
        for member in enum_class:
            member_name = (
                member.name if member.name.isidentifier() and not keyword.iskeyword(member.name) else None
            )
            if member_name is None:
                raise ScaffoldError(
                    f"Enum {enum_class.__qualname__} member {member.name!r} is not an identifier."
                )
            lines.append(f"    {member_name} = {member.value!r}")
        return "\n".join(lines)

    def render_model(self, plan: ModelPlan) -> str:
        imports = self.imports(plan.module)
        bases = [imports.name("dbkit", "ApplicationModel")] if plan.audit else []
        bases += list(reversed(plan.reference_bases))  # Pydantic puts the last base's fields first
        bases.append(imports.name("dbkit", "DatabaseMixin"))
        lines = [f"class {plan.name}({', '.join(bases)}):"]
        body = list(plan.class_vars)
        if plan.table_args:
            items = "".join(f"        {item},\n" for item in plan.table_args)
            body.append(f"table_args: ClassVar[tuple] = (\n{items}    )")
        field_lines = []
        if plan.mixin_id and not plan.audit:
            field_lines.append(
                f'id: str = {imports.name("pydantic", "Field")}(description="Unique identifier")'
            )
        field_lines += [self.render_field(plan, item) for item in plan.fields]
        if body and field_lines:
            body.append("")
        body += field_lines
        if not body:
            body = ["pass"]
        lines += [f"    {line}" if line else "" for line in body]
        return "\n".join(lines)

    def render_field(self, plan: ModelPlan, item: FieldPlan) -> str:
        imports = self.imports(plan.module)
        annotation = item.annotation
        if item.options:
            options = ", ".join(f"{key}={value}" for key, value in item.options.items())
            annotation = f"{imports.name('typing', 'Annotated')}[{annotation}, {imports.name('dbkit', 'DBColumn')}({options})]"
        if item.field_kwargs:
            arguments = [*item.field_args, *(f"{k}={v}" for k, v in item.field_kwargs.items())]
            return f"{item.name}: {annotation} = {imports.name('pydantic', 'Field')}({', '.join(arguments)})"
        if item.field_args:
            return f"{item.name}: {annotation} = {item.field_args[0]}"
        return f"{item.name}: {annotation}"


def _takes_only_var_args(cls: type) -> bool:
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters)


def _same_value(value: Any, default: Any) -> bool:
    if default is _MISSING:
        return False
    if isinstance(value, sa.types.TypeEngine) or isinstance(default, sa.types.TypeEngine):
        return (
            isinstance(value, sa.types.TypeEngine)
            and isinstance(default, sa.types.TypeEngine)
            and type(value) is type(default)
            and ddl_type(value) == ddl_type(default)
        )
    try:
        return bool(value == default) and type(value) is type(default)
    except Exception:
        return False


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
    from dbkit.migrate.source.codebase import load_codebase

    codebase = load_codebase(path)
    entries = sorted(codebase.hand_written.values(), key=lambda e: (e.file, e.name))
    return scaffold([SourceTable.from_hand_written(entry) for entry in entries])
